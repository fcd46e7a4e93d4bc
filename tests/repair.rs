//! Typo repair and traditional characters on the real knowledge: what is
//! repaired, what must be left alone, and the robustness figures per transform.

use std::sync::OnceLock;

use union_bot::repair::Repairer;
use union_bot::text::normalize;

use crate::common::engine;

fn repairer() -> &'static Repairer {
    static R: OnceLock<Repairer> = OnceLock::new();
    R.get_or_init(|| {
        let e = engine();
        Repairer::new(&e.knowledge, e.analyzer())
    })
}

fn repaired(q: &str) -> String {
    repairer().repair(&normalize(q)).into_owned()
}

#[test]
fn ime_homophones_are_read_as_the_domain_word() {
    for (typed, meant) in [
        ("公会电话多少", "工会"),
        ("附近有驿栈吗", "驿站"),
        ("怎么如会", "入会"),
        ("互注保障怎么报销", "互助"),
        ("暖新驿站在哪", "暖心驿站"),
    ] {
        let r = repaired(typed);
        assert!(r.contains(meant), "{typed:?} -> {r:?}, wanted {meant:?} in it");
    }
}

#[test]
fn look_alikes_from_the_knowledge_file_are_swapped_toward_domain_words() {
    assert!(repaired("理发卷怎么领").contains("理发券"), "{}", repaired("理发卷怎么领"));
    assert!(repaired("驿站能体息吗").contains("休息"), "{}", repaired("驿站能体息吗"));
}

#[test]
fn romanised_words_are_read_through_the_same_index() {
    assert_eq!(repaired("gonghui dianhua"), "工会电话");
    assert_eq!(repaired("ruhui"), "入会");
    assert_eq!(repaired("ru hui"), "入会");
    assert_eq!(repaired("怎么ruhui"), "怎么入会");
    assert_eq!(repaired("gonghui 电话多少"), "工会 电话多少");
}

#[test]
fn right_words_and_other_words_are_left_alone() {
    for q in [
        "怎么入会",
        "工会电话多少",
        "附近有驿站吗",
        "坐一站地铁就到",     // 一站 is a more common word than 驿站
        "i会员怎么注册",
        "ok",
        "hello",
        "app打不开",
        "今天北京天气怎么样",
        "工会能帮我贷款吗",
        "驿站能寄存快递吗",
        "24h",
        "12351",
    ] {
        assert_eq!(repaired(q), normalize(q), "{q:?} was changed");
    }
}

#[test]
fn out_of_scope_questions_with_typos_stay_unanswered() {
    let e = engine();
    for q in ["公会能帮我贷款吗", "gonghui neng jie qian ma", "今天天汽怎么样"] {
        let a = e.answer(q);
        assert!(!a.confident, "{q:?} (read as {:?}) answered confidently as {:?}", repaired(q), a.intent);
    }
}

#[test]
fn typos_in_long_names_are_read_as_the_whole_name() {
    // A station's name or alias, a lexicon phrase: the typo'd part alone
    // (付商, 八里装) is no domain word, the whole run reads as one.
    for (typed, meant) in [
        ("付商市场驿站几点开门", "富商市场驿站"),
        ("八里装驿站有什么服务", "八里庄驿站"),
        ("高杯店中巴车在哪", "高碑店中巴车"),
        ("将台职工之加在哪", "将台职工之家"),
        ("网约车师付能进驿站吗", "网约车师傅"),
    ] {
        let r = repaired(typed);
        assert!(r.contains(meant), "{typed:?} -> {r:?}, wanted {meant:?} in it");
    }
}

#[test]
fn a_typo_beside_a_word_it_shares_a_character_with_is_read() {
    for (typed, meant) in [
        ("工会驿站再哪里", "在哪里"),  // 再哪 cuts 哪里, whose 哪 stays
        ("能面费体检吗", "免费体检"),  // 能面 is a rare entry jieba splits
        ("有没有度书的地方", "读书"),  // so is 有度
        ("先下能办入会吗", "线下"),    // and the typo 先下 itself
        ("权国有多少工会驿站", "全国"),  // 国有 is a word, 全国 有 the likelier reading
    ] {
        let r = repaired(typed);
        assert!(r.contains(meant), "{typed:?} -> {r:?}, wanted {meant:?} in it");
    }
}

#[test]
fn a_reading_likelier_as_typed_is_left() {
    for q in ["先下单再说", "定律是什么", "八里装修公司电话多少", "共享单车在哪还", "智能化手机哪个好"] {
        assert_eq!(repaired(q), normalize(q), "{q:?} was changed");
    }
}

#[test]
#[ignore = "prints how questions are repaired; run with --ignored --nocapture"]
fn print_repairs() {
    let q = std::env::var("REPAIR_Q").unwrap_or_default();
    for line in q.split('|') {
        println!("{line} -> {}", repaired(line));
    }
}

/// The robustness figures (`union-bot eval ../shared/eval/questions.yaml
/// --transforms tests/data/transforms.yaml`): every FAQ wording and every
/// yardstick question turned by each transform must still reach the same
/// answer. The target is 98 % for each. Traditional characters,
/// pinyin words, the filler prefix, the story (read by the part of a long
/// message that asks, `src/engine/asking.rs`) and the homophone typo (read
/// over runs as long as the domain's words, `src/repair.rs`) all meet it.
#[test]
fn robustness_per_transform() {
    use union_bot::eval::{self, transforms};
    let e = engine();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let cases = eval::load(&crate::common::shared_dir().join("eval").join("questions.yaml")).expect("the yardstick loads");
    let spec = transforms::Spec::load(&root.join("tests/data/transforms.yaml")).expect("the spec loads");
    let rates = transforms::measure(e, &cases, spec);
    let table = transforms::table(&rates);
    println!("{table}");
    for r in &rates {
        let floor = match r.transform {
            transforms::Transform::Traditional | transforms::Transform::Pinyin | transforms::Transform::Homophone => 0.98,
            transforms::Transform::Prefix | transforms::Transform::Story => 0.98,
        };
        assert!(r.total() >= 500, "{}: only {} questions turned", r.transform.name(), r.total());
        assert!(r.rate() >= floor, "{} at {:.1}% < {:.0}%:\n{table}\n{}", r.transform.name(), 100.0 * r.rate(), 100.0 * floor, r.failures.join("\n"));
    }
}

