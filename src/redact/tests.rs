//! The redaction on realistic messages: each kind of number and names, and what must stay.

use super::*;

#[track_caller]
fn same(s: &str) {
    assert_eq!(redact(s), s, "must stay as it is");
}

#[test]
fn mobile_numbers_in_every_writing() {
    assert_eq!(redact("我的手机13812345678怎么入会"), "我的手机〔手机号〕怎么入会");
    assert_eq!(redact("电话 138 1234 5678，回电"), "电话 〔手机号〕，回电");
    assert_eq!(redact("139-1234-5678"), "〔手机号〕");
    assert_eq!(redact("+86 13812345678"), "〔手机号〕");
    assert_eq!(redact("+8613812345678"), "〔手机号〕");
    assert_eq!(redact("0086 138 1234 5678"), "〔手机号〕");
    assert_eq!(redact("手机号１３８１２３４５６７８"), "手机号〔手机号〕");
    assert_eq!(redact("tel:15901234567"), "tel:〔手机号〕");
    assert_eq!(redact("2024 13812345678"), "2024 〔手机号〕", "a year before a number stays");
    assert_eq!(redact("13812345678 13987654321"), "〔手机号〕 〔手机号〕");
}

#[test]
fn landlines_with_and_without_area_code() {
    assert_eq!(redact("打010-65123456找我"), "打〔电话〕找我");
    assert_eq!(redact("(010)6512 3456"), "(010)〔电话〕");
    assert_eq!(redact("单位电话 0755 1234 5678"), "单位电话 〔电话〕");
    assert_eq!(redact("家里电话65123456"), "家里电话〔电话〕");
    assert_eq!(redact("座机 6512-3456"), "座机 〔电话〕");
}

#[test]
fn id_numbers_and_bank_cards() {
    assert_eq!(redact("身份证110101199003074518"), "身份证〔身份证号〕");
    assert_eq!(redact("身份证号11010119900307451X，能入会吗"), "身份证号〔身份证号〕，能入会吗");
    assert_eq!(redact("11010119900307451x"), "〔身份证号〕");
    assert_eq!(redact("110101 19900307 4518"), "〔身份证号〕");
    assert_eq!(redact("老身份证110101900307451"), "老身份证〔身份证号〕");
    assert_eq!(redact("卡号6222021234567890123"), "卡号〔银行卡号〕");
    assert_eq!(redact("银行卡 6222 0212 3456 7890 123 补贴打到这"), "银行卡 〔银行卡号〕 补贴打到这");
    assert_eq!(redact("4000 1234 5678 9010"), "〔银行卡号〕");
    assert_eq!(redact("订单123456789012345678901"), "订单〔号码〕");
    assert_eq!(redact("账号 1234 5678 9012"), "账号 〔号码〕");
    assert_eq!(redact("0.13812345678"), "0.〔手机号〕", "eleven decimals are no coordinate");
    // Found by the fuzzer (fuzz/corpus/redact/crash-83d9622c…): an x after a phone number.
    assert_eq!(redact("L20725\"16072521605x"), "L20725\"〔手机号〕");
}

#[test]
fn plates() {
    assert_eq!(redact("我的车京A·12345被贴条了"), "我的车〔车牌号〕被贴条了");
    assert_eq!(redact("京A12345"), "〔车牌号〕");
    assert_eq!(redact("京AD12345是新能源"), "〔车牌号〕是新能源");
    assert_eq!(redact("京A12345D"), "〔车牌号〕");
    assert_eq!(redact("京 A 12345"), "〔车牌号〕");
    assert_eq!(redact("车牌京a 1b234"), "车牌〔车牌号〕");
    assert_eq!(redact("冀F·8K888"), "〔车牌号〕");
    assert_eq!(redact("京A1234学"), "〔车牌号〕");
    assert_eq!(redact("京ＡＤ１２３４５"), "〔车牌号〕");
}

#[test]
fn emails() {
    assert_eq!(redact("邮箱zhang.san@163.com，发我"), "邮箱〔邮箱〕，发我");
    assert_eq!(redact("13812345678@qq.com"), "〔邮箱〕");
    assert_eq!(redact("a_b-c+tag@mail.example.org."), "〔邮箱〕.");
    assert_eq!(redact("发到 wang＠sina.cn"), "发到 〔邮箱〕");
}

#[test]
fn names_after_the_cues() {
    assert_eq!(redact("我叫张伟，怎么入会"), "我叫〔姓名〕，怎么入会");
    assert_eq!(redact("你好，我是李娜"), "你好，我是〔姓名〕");
    assert_eq!(redact("我是王小明想问一下驿站"), "我是〔姓名〕想问一下驿站");
    assert_eq!(redact("我是欧阳娜娜"), "我是〔姓名〕");
    assert_eq!(redact("姓名：赵四 电话：13812345678"), "姓名：〔姓名〕 电话：〔手机号〕");
    assert_eq!(redact("我叫小明，是骑手"), "我叫〔姓名〕，是骑手");
    assert_eq!(redact("我的名字叫刘德华"), "我的名字叫〔姓名〕");
    assert_eq!(redact("我是张三的朋友"), "我是〔姓名〕的朋友");
    assert_eq!(redact("我是李明"), "我是〔姓名〕");
    assert_eq!(redact("我是王小明有个问题"), "我是〔姓名〕有个问题");
    assert_eq!(redact("我叫王刚想问问"), "我叫〔姓名〕想问问");
}

#[test]
fn what_is_no_name_stays() {
    for s in [
        "我是美团骑手",
        "我是外卖员，怎么入会",
        "我是快递小哥",
        "我是滴滴司机",
        "我是新来的",
        "我是北京人",
        "我是不是会员",
        "我是安徽人，在北京送外卖",
        "我是全职骑手",
        "我是高中生能入会吗",
        "我是张家口人",
        "我是一名快递员",
        "我叫了外卖",
        "我叫车去医院",
        "姓名怎么改",
        "我是工会会员",
        "我是众包骑手",
    ] {
        same(s);
    }
}

#[test]
fn figures_questions_are_about_stay() {
    for s in [
        "工会热线12351",
        "12351是什么电话",
        "北京有2178家驿站",
        "2024年3月7日开的会",
        "2024-03-07",
        "20240307那天",
        "补贴10000元",
        "12000000元",
        "坐标39.9965, 116.397428",
        "116.39742812",
        "开放时间09:00-18:00",
        "京A的车能进五环吗",
        "京A牌照好摇吗",
        "我在京A区",
        "第3家",
        "12345678",
        "1234567",
        "96156",
        "400-810-5678",
    ] {
        same(s);
    }
}

#[test]
fn a_long_text_of_many_numbers_is_linear_and_safe() {
    let s = "1 ".repeat(5000) + "13812345678";
    let r = redact(&s);
    assert!(r.ends_with("〔手机号〕"), "{}", &r[r.len() - 30..]);
    let s = "-".repeat(3000) + &"京".repeat(3000) + &"我是".repeat(2000) + "@@@..";
    let _ = redact(&s);
}
