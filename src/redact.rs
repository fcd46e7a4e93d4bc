//! Personal details out of what workers typed, before anything is written
//! to a file.
//!
//! Workers type their phone numbers, ID numbers, card numbers, plates and
//! names into chats ("我叫张伟，手机13812345678，身份证…怎么入会"). The journal
//! keeps the questions the bot could not answer, for the editors; it must
//! never keep those details. [`redact`] replaces each with a placeholder
//! that says what was there (〔手机号〕, 〔身份证号〕, …), so an editor still
//! reads what the worker asked about.
//!
//! The rules lean towards replacing: a number that might be a phone number
//! is replaced, while the figures questions are about stay (the 12351
//! hotline, "2178家", "10000元", dates like 2024-03-07 or 20240307,
//! coordinates, times). One pass from left to right, no backtracking beyond
//! one number or one name: linear in the length of the text.

use crate::text::fold_width;

/// What a piece of text was replaced because of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Mobile,
    Landline,
    IdNumber,
    BankCard,
    Plate,
    Email,
    Name,
    /// Another long number (12 digits or more): an account, an order, a
    /// number typed with a digit too many.
    Number,
}

impl Kind {
    /// The placeholder written instead.
    pub fn placeholder(self) -> &'static str {
        match self {
            Kind::Mobile => "〔手机号〕",
            Kind::Landline => "〔电话〕",
            Kind::IdNumber => "〔身份证号〕",
            Kind::BankCard => "〔银行卡号〕",
            Kind::Plate => "〔车牌号〕",
            Kind::Email => "〔邮箱〕",
            Kind::Name => "〔姓名〕",
            Kind::Number => "〔号码〕",
        }
    }
}

/// `text` with every phone number, ID number, bank card number, licence
/// plate, e-mail address and self-introduced name replaced by its placeholder.
pub fn redact(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        let found = email_at(&chars, i)
            .map(|len| (len, Kind::Email.placeholder().to_string()))
            .or_else(|| plate_at(&chars, i).map(|len| (len, Kind::Plate.placeholder().to_string())))
            .or_else(|| numbers_at(&chars, i))
            .or_else(|| name_at(&chars, i));
        match found {
            Some((len, replacement)) => {
                out.push_str(&replacement);
                i += len.max(1);
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

// ---------------------------------------------------------------- e-mail

fn is_local_char(c: char) -> bool {
    let c = fold_width(c);
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain_char(c: char) -> bool {
    let c = fold_width(c);
    c.is_ascii_alphanumeric() || c == '-'
}

/// An e-mail address starting at `i` (at the start of its local part): its length.
fn email_at(chars: &[char], i: usize) -> Option<usize> {
    if !is_local_char(chars[i]) || (i > 0 && is_local_char(chars[i - 1])) {
        return None;
    }
    let mut j = i;
    while j < chars.len() && is_local_char(chars[j]) {
        j += 1;
    }
    if j == i || j >= chars.len() || fold_width(chars[j]) != '@' {
        return None;
    }
    // The domain: labels separated by dots, the last of two letters or more.
    let mut k = j + 1;
    let mut labels = 0;
    let mut end = None;
    loop {
        let start = k;
        while k < chars.len() && is_domain_char(chars[k]) {
            k += 1;
        }
        if k == start {
            break;
        }
        labels += 1;
        let label: String = chars[start..k].iter().map(|&c| fold_width(c)).collect();
        if labels >= 2 && label.len() >= 2 && label.chars().all(|c| c.is_ascii_alphabetic()) {
            end = Some(k);
        }
        if k < chars.len() && fold_width(chars[k]) == '.' && k + 1 < chars.len() && is_domain_char(chars[k + 1]) {
            k += 1;
        } else {
            break;
        }
    }
    end.map(|e| e - i)
}

// ---------------------------------------------------------------- plates

/// The one-character abbreviations of the provinces that start a plate.
const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
/// What may stand between the letter and the number of a plate.
const PLATE_SEPARATORS: &[char] = &['·', '•', '・', '.', '．', '-', '－', ' ', '\u{3000}', '\u{b7}'];
/// The characters that end special plates (trailers, learners, police…).
const PLATE_SUFFIXES: &str = "挂学警港澳领使";

/// A licence plate starting at `i` (京A·12345, 京A12345, 京AD12345 new
/// energy, 京 A 12345, 京A1234学): its length.
fn plate_at(chars: &[char], i: usize) -> Option<usize> {
    if !PROVINCES.contains(chars[i]) {
        return None;
    }
    let mut j = i + 1;
    if j < chars.len() && matches!(chars[j], ' ' | '\u{3000}') {
        j += 1;
    }
    let letter = fold_width(*chars.get(j)?);
    if !letter.is_ascii_alphabetic() {
        return None;
    }
    j += 1;
    if j < chars.len() && PLATE_SEPARATORS.contains(&chars[j]) {
        j += 1;
    }
    let start = j;
    while j < chars.len() && fold_width(chars[j]).is_ascii_alphanumeric() {
        j += 1;
    }
    let run: Vec<char> = chars[start..j].iter().map(|&c| fold_width(c).to_ascii_uppercase()).collect();
    let digits = run.iter().filter(|c| c.is_ascii_digit()).count();
    let suffixed = j < chars.len() && PLATE_SUFFIXES.contains(chars[j]);
    let ok = match run.len() {
        5 => digits >= 2,
        6 => digits >= 4 && (matches!(run[0], 'D' | 'F') || matches!(run[5], 'D' | 'F')),
        4 => suffixed && digits >= 3,
        _ => false,
    };
    if !ok {
        return None;
    }
    Some(j + usize::from(suffixed) - i)
}

// ---------------------------------------------------------------- numbers

/// A digit, half- or full-width.
fn digit(c: char) -> Option<u8> {
    let c = fold_width(c);
    c.is_ascii_digit().then(|| c as u8 - b'0')
}

/// What may separate the groups of one number ("138 1234 5678", "010-6512 3456").
fn is_number_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '－' | '—' | '\u{3000}' | '\u{a0}')
}

/// Words right after a figure that make it a quantity, never a phone number.
const UNITS: &str = "元块角分万亿千百个家人位名次回天年月日号时点岁斤公米里吨件单份台辆条层楼栋平";

/// One group of digits in a number as typed.
#[derive(Debug, Clone)]
struct Group {
    /// Index of its first character (a '+' before the first group included).
    start: usize,
    /// Index after its last character (the X of an ID number included).
    end: usize,
    digits: Vec<u8>,
    /// Ends with the X of an ID number.
    x: bool,
}

/// The number (one or more groups of digits separated by single spaces or
/// dashes) starting at `i`, at the start of a run of digits: the length of
/// the whole span and its text with the personal numbers in it replaced.
/// A span with nothing to replace is returned as it is, so that its later
/// groups are not looked at again.
fn numbers_at(chars: &[char], i: usize) -> Option<(usize, String)> {
    let plus = fold_width(chars[i]) == '+' && chars.get(i + 1).and_then(|&c| digit(c)).is_some();
    let first = if plus { i + 1 } else { i };
    digit(chars[first])?;
    if first > 0 && digit(chars[first - 1]).is_some() {
        return None;
    }
    // A fraction (39.9965, 116.397428): its digits are no phone number.
    let fraction = first >= 2 && matches!(fold_width(chars[first - 1]), '.') && digit(chars[first - 2]).is_some();
    let mut groups: Vec<Group> = Vec::new();
    let mut j = first;
    loop {
        let start = j;
        let mut digits = Vec::new();
        while j < chars.len()
            && let Some(d) = digit(chars[j])
        {
            digits.push(d);
            j += 1;
        }
        let mut x = false;
        if j < chars.len() && matches!(fold_width(chars[j]), 'x' | 'X') && !chars.get(j + 1).is_some_and(|&c| fold_width(c).is_ascii_alphanumeric()) {
            x = true;
            j += 1;
        }
        let start = if groups.is_empty() && plus { start - 1 } else { start };
        groups.push(Group { start, end: j, digits, x });
        if x {
            break;
        }
        if j + 1 < chars.len() && is_number_separator(chars[j]) && digit(chars[j + 1]).is_some() {
            j += 1;
        } else {
            break;
        }
    }
    let end = groups.last().map(|g| g.end).unwrap_or(first);
    let after = chars.get(end).copied();
    // A decimal point after the number (12345678.90元) makes it an amount.
    let decimal = after.is_some_and(|c| fold_width(c) == '.') && chars.get(end + 1).and_then(|&c| digit(c)).is_some();
    let unit_after = after.is_some_and(|c| UNITS.contains(c));

    let mut out = String::new();
    let mut changed = false;
    let mut g = 0;
    let mut copied_to = i;
    while g < groups.len() {
        // The longest run of groups from g that is a personal number.
        let mut found = None;
        for h in (g..groups.len().min(g + 6)).rev() {
            let run = &groups[g..=h];
            let last = h + 1 == groups.len();
            if let Some(kind) = classify(run, last && unit_after, (g == 0 && fraction) || (last && decimal)) {
                found = Some((h, kind));
                break;
            }
        }
        match found {
            Some((h, kind)) => {
                let from = groups[g].start;
                out.extend(&chars[copied_to..from]);
                out.push_str(kind.placeholder());
                copied_to = groups[h].end;
                changed = true;
                g = h + 1;
            }
            None => g += 1,
        }
    }
    if !changed {
        return None;
    }
    out.extend(&chars[copied_to..end]);
    Some((end - i, out))
}

/// What a run of digit groups is, if it is a personal number.
fn classify(run: &[Group], unit_after: bool, fraction: bool) -> Option<Kind> {
    if run.iter().take(run.len() - 1).any(|g| g.x) {
        return None;
    }
    // Several groups make one number only as numbers are written: groups of
    // two to eight digits (not "2024 13812345678"), or a country code.
    let digits: Vec<u8> = run.iter().flat_map(|g| g.digits.iter().copied()).collect();
    let x = run.last().is_some_and(|g| g.x);
    let country = |d: &[u8]| d == [8, 6] || d == [0, 0, 8, 6];
    if run.len() > 1 {
        let plain = run.iter().all(|g| (2..=8).contains(&g.digits.len()));
        let prefixed = country(&run[0].digits) && (run.len() == 2 || run[1..].iter().all(|g| (2..=8).contains(&g.digits.len())));
        if !plain && !prefixed {
            return None;
        }
    }
    let n = digits.len();
    // The decimals of a coordinate or an amount (116.39742812, 12345678.90元).
    if fraction && n <= 8 {
        return None;
    }
    let is_mobile = |d: &[u8]| d.len() == 11 && d[0] == 1 && (3..=9).contains(&d[1]);
    // An X ends only an ID number; after any other number (a phone number
    // typed with a stray x) the digits are classified as they are, and the
    // x goes with them.
    if x && n == 17 {
        return Some(Kind::IdNumber);
    }
    if is_mobile(&digits) {
        return Some(Kind::Mobile);
    }
    if n == 13 && digits.starts_with(&[8, 6]) && is_mobile(&digits[2..]) || n == 15 && digits.starts_with(&[0, 0, 8, 6]) && is_mobile(&digits[4..]) {
        return Some(Kind::Mobile);
    }
    if n == 18 {
        return Some(if birth_date(&digits[6..14]) { Kind::IdNumber } else { Kind::BankCard });
    }
    if n == 15 && short_birth_date(&digits[6..12]) {
        return Some(Kind::IdNumber);
    }
    if (15..=19).contains(&n) {
        return Some(Kind::BankCard);
    }
    // An area code and a number: 010-65123456, 0755 1234 5678.
    if (10..=12).contains(&n) && digits[0] == 0 && digits[1] != 0 {
        return Some(Kind::Landline);
    }
    // A local number: eight digits, not a date (20240307, 2024-03-07), not a
    // quantity (12000000元).
    if n == 8 && (2..=9).contains(&digits[0]) && !unit_after && !date_groups(run) && !birth_date(&digits) {
        return Some(Kind::Landline);
    }
    (n >= 12).then_some(Kind::Number)
}

/// yyyymmdd with a year 1900..2099, a month and a day that exist.
fn birth_date(d: &[u8]) -> bool {
    if d.len() != 8 {
        return false;
    }
    let num = |s: &[u8]| s.iter().fold(0u32, |a, &b| a * 10 + b as u32);
    let (y, m, day) = (num(&d[..4]), num(&d[4..6]), num(&d[6..]));
    (1900..=2099).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&day)
}

/// yymmdd of an old 15-digit ID number.
fn short_birth_date(d: &[u8]) -> bool {
    let num = |s: &[u8]| s.iter().fold(0u32, |a, &b| a * 10 + b as u32);
    d.len() == 6 && (1..=12).contains(&num(&d[2..4])) && (1..=31).contains(&num(&d[4..]))
}

/// Groups written as a date: 2024-03-07, 2024 3 7.
fn date_groups(run: &[Group]) -> bool {
    run.len() == 3 && run[0].digits.len() == 4 && run[1].digits.len() <= 2 && run[2].digits.len() <= 2
}

// ---------------------------------------------------------------- names

/// Common Chinese surnames, single characters (words that are mostly
/// something else, like 和 or 时, left out).
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝封谈匡鞠惠荆乐冀郁胥南班储栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜阚权帅屠豆朴盖练廉禹井祖漆巴丰卿狄索宣晋初容敬扈晁芮普阙浦戈伏鹿薄邸雍辜羊乌母裘亓修邰赫杭况宿鲜逯隆茹诸战慕危亢嵇哈湛宾戎勾茅於呼居揭尉冶斯束檀衣展阴昝智幸奉植衡富尧闭";
/// Surnames of two characters.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "慕容", "东方", "皇甫", "尉迟", "公孙", "令狐", "夏侯", "长孙", "宇文", "司徒", "端木", "独孤", "南宫", "西门", "澹台",
    "轩辕",
];

/// Characters that start what follows a name ("我叫张三想问…", "我是李四的…"),
/// never part of the name itself.
const AFTER_NAME: &str = "想要问请在的从今昨去是我你他她啊呀吧呢哦嗯了跟与住已也还就现目找需能对这那怎因所但而又再都很没不";
/// Characters that may follow a name but also occur in names (张有才, 王刚).
const AFTER_NAME_TOO: &str = "有和可会来为刚明天";

/// Words that follow 我是 and start with a surname's character but are no
/// name: places, jobs, states ("我是安徽人", "我是全职骑手", "我是高中生").
const NOT_NAMES: &[&str] = &[
    "高中",
    "高龄",
    "高校",
    "高级",
    "全职",
    "全日",
    "党员",
    "单身",
    "单亲",
    "新人",
    "新手",
    "新来",
    "新疆",
    "新就业",
    "马上",
    "常住",
    "常驻",
    "安徽",
    "江西",
    "江苏",
    "湖南",
    "湖北",
    "广东",
    "广西",
    "山东",
    "山西",
    "河南",
    "河北",
    "云南",
    "贵州",
    "福建",
    "浙江",
    "海南",
    "甘肃",
    "陕西",
    "宁夏",
    "青海",
    "西藏",
    "吉林",
    "辽宁",
    "黑龙江",
    "四川",
    "重庆",
    "天津",
    "上海",
    "北京",
    "内蒙",
    "温州",
    "石家庄",
    "张家口",
    "唐山",
    "秦皇岛",
    "邢台",
    "连云港",
    "廊坊",
    "保定",
    "包头",
    "滴滴",
    "美团",
    "饿了么",
    "京东",
    "顺丰",
    "中通",
    "圆通",
    "韵达",
    "申通",
    "曹操",
    "花小猪",
    "高德",
    "货拉拉",
    "快狗",
    "闪送",
    "蜂鸟",
    "盒马",
    "朝阳",
    "海淀",
    "丰台",
    "石景山",
    "房山",
    "通州",
    "顺义",
    "昌平",
    "大兴",
    "怀柔",
    "平谷",
    "密云",
    "延庆",
    "门头沟",
    "东城",
    "西城",
    "经开",
    "亦庄",
    "望京",
    "中关村",
    "外卖",
    "快递",
    "司机",
    "骑手",
    "工会",
    "会员",
    "农民",
    "残疾",
    "退役",
    "临时",
    "合同",
    "劳务",
    "派遣",
    "兼职",
    "众包",
    "专送",
    "个体",
    "本地",
    "外地",
    "本人",
    "女的",
    "男的",
    "老人",
    "老骑",
    "老司",
    "车主",
    "房东",
    "租户",
    "孕妇",
    "学生",
    "万能",
    "夏天",
    "冬天",
    "白天",
    "晚上",
    "师傅",
    "宝妈",
];

/// The cues a name follows, and whether the name must start with a surname.
const NAME_CUES: &[(&str, bool)] =
    &[("我的名字叫", false), ("我的名字是", false), ("名字叫", false), ("名字是", false), ("我叫", false), ("名叫", false), ("姓名", false), ("我是", true)];

/// Words after 我叫 that make it "I called" / "I ordered", not a name.
const NOT_AFTER_JIAO: &[&str] =
    &["车", "了", "过", "着", "外卖", "快递", "滴滴", "人", "他", "她", "你", "什么", "啥", "不", "个", "一", "我", "醒", "嚷", "喊", "声"];

fn is_han(c: char) -> bool {
    crate::text::is_han(c)
}

/// A cue and the name after it, starting at `i`: the cue kept, the name replaced.
fn name_at(chars: &[char], i: usize) -> Option<(usize, String)> {
    let rest = &chars[i..];
    let (cue, needs_surname) = NAME_CUES.iter().find(|(cue, _)| starts_with(rest, cue))?;
    let cue_len = cue.chars().count();
    let mut j = i + cue_len;
    // 姓名：张三, 我叫 李四, 名字是：王五
    let mut separated = false;
    while j < chars.len() && matches!(fold_width(chars[j]), ':' | ' ' | '是' | '叫') && j - (i + cue_len) < 2 {
        separated = true;
        j += 1;
    }
    let name_start = j;
    let after = &chars[name_start..];
    let surname_len = COMPOUND_SURNAMES
        .iter()
        .find(|s| starts_with(after, s))
        .map(|s| s.chars().count())
        .or_else(|| after.first().is_some_and(|&c| SURNAMES.contains(c)).then_some(1));
    let jiao = cue.ends_with('叫');
    if jiao && NOT_AFTER_JIAO.iter().any(|w| starts_with(after, w)) {
        return None;
    }
    if (*needs_surname || !separated && *cue == "姓名") && surname_len.is_none() {
        return None;
    }
    if *needs_surname && NOT_NAMES.iter().any(|w| starts_with(after, w)) {
        return None;
    }
    // The name: a surname (or any first character after 我叫 / 姓名) and up
    // to two more characters that cannot start what follows a name.
    let head = surname_len.unwrap_or(1);
    if after.len() < head || !after[..head].iter().all(|&c| is_han(c)) {
        return None;
    }
    let mut given = 0;
    while given < 2 && head + given < after.len() && is_han(after[head + given]) && !AFTER_NAME.contains(after[head + given]) {
        given += 1;
    }
    if given == 0 {
        return None;
    }
    // After 我是 (and after a first character that is no surname) the name
    // must be followed by a boundary: "我是张家口人" is no name. The
    // given name may be one character shorter to reach one.
    let strict = *needs_surname || surname_len.is_none();
    let boundary = |k: usize| k >= after.len() || !is_han(after[k]) || AFTER_NAME.contains(after[k]) || AFTER_NAME_TOO.contains(after[k]);
    let len = if strict { (1..=given).rev().map(|g| head + g).find(|&l| boundary(l))? } else { head + given };
    let mut out: String = chars[i..name_start].iter().collect();
    out.push_str(Kind::Name.placeholder());
    Some((name_start + len - i, out))
}

fn starts_with(chars: &[char], word: &str) -> bool {
    let mut k = 0;
    for w in word.chars() {
        if chars.get(k) != Some(&w) {
            return false;
        }
        k += 1;
    }
    true
}

#[cfg(test)]
mod tests;
