//! The answer engine on the real knowledge: segmentation, FAQ routing,
//! article search, nearest stations, confidence and bad input.

use union_bot::engine::{Kind, Ref};
use union_bot::{eval, reply};

use crate::common::engine;

#[test]
fn segmentation_keeps_domain_words_whole() {
    let e = engine();
    let a = e.analyzer();
    for w in ["i会员", "北京工会i会员", "12351", "工会驿站", "暖心驿站", "新就业形态", "网约车司机小站", "互助服务卡", "二次报销", "劳模法律服务团", "接诉即办"] {
        assert!(a.keeps_whole(w), "jieba splits {w:?} into {:?}", a.segment(w));
    }
    for w in &e.knowledge.lexicon.user_words {
        assert!(a.keeps_whole(w), "user word {w:?} is split into {:?}", a.segment(w));
    }
    let seg = a.segment("外卖小哥怎么在北京工会i会员上入会？");
    assert!(seg.contains(&"北京工会i会员".to_string()), "got {seg:?}");
}

#[test]
fn synonyms_meet_on_one_canonical_word() {
    let a = engine().analyzer();
    let words = |t: &str| a.term_groups(t).into_iter().map(|g| g.full).collect::<Vec<_>>();
    assert_eq!(words("外卖小哥"), words("快递员"));
    assert_eq!(words("加入工会"), words("入会"));
    assert!(a.terms("工会电话").contains(&"热线".to_string()), "{:?}", a.terms("工会电话"));
}

#[test]
fn every_faq_wording_routes_to_its_own_entry() {
    let e = engine();
    let mut wrong = Vec::new();
    for entry in &e.knowledge.faq {
        for q in &entry.questions {
            let (routed, score) = e.route_faq(q).expect("some entry");
            if routed != entry.id {
                wrong.push(format!("{q:?}: {} -> {routed} ({score:.2})", entry.id));
            }
            let a = e.answer(q);
            assert!(!a.is_fallback(), "wording {q:?} of {} gets a fallback", entry.id);
            if a.kind == Kind::Faq {
                assert_eq!(a.intent, Some(Ref::Faq(entry.id.clone()).to_string()), "wording {q:?}");
            }
        }
    }
    assert!(wrong.is_empty(), "misrouted wordings:\n{}", wrong.join("\n"));
}

/// A question about each article's main fact, and the article it must find.
const ARTICLE_QUESTIONS: &[(&str, &str)] = &[
    ("000-01", "北京市总工会召开的规范工会驿站工作部署会讲了什么"),
    ("000-02", "石景山区春节前慰问了哪些劳模和困难职工"),
    ("000-03", "送万福进万家书法活动在哪举行"),
    ("000-04", "经开区优惠理发服务月发了多少张理发券"),
    ("000-05", "劳模法律服务团去航天科工203所普法讲了什么"),
    ("001-01", "朝阳区建了多少户外劳动者工会驿站"),
    ("001-02", "东城区总工会冬送温暖有什么活动"),
    ("001-03", "北方车辆集团工会慰问困难职工"),
    ("001-04", "中铁电气化局春运志愿者服务了多少旅客"),
    ("001-05", "天利弘远公司职工技能比武大赛"),
    ("002-01", "牛顿商务楼宇劳动关系公共服务站样板站点评估"),
    ("002-02", "顺义区政府和区总工会联席会议说了什么"),
    ("002-03", "和平街街道职工沟通会送了什么"),
    ("002-04", "北京建工装饰集团书香企业读书活动"),
    ("002-05", "经开区总工会慰问了几名困难职工"),
    ("002-06", "拱辰街道文化路社区团扇制作活动"),
    ("003-01", "海淀区建了多少个暖心驿站"),
    ("003-02", "中国海员建设工会去自来水集团调研"),
    ("003-03", "北京图书大厦共享阅读区"),
    ("003-04", "经开区消防员单身联谊活动"),
    ("003-05", "八里庄街道职工沟通会在哪开的"),
    ("003-06", "朝外街道掐丝珐琅杯垫活动"),
    ("004-01", "怀柔富商市场暖心驿站几点开放"),
    ("004-02", "顺义区总工会2022年办了多少件12351热线派单"),
    ("004-03", "中建二局便利型阅读站点有多少本书"),
    ("004-04", "大兴区各级工会职工沟通会去了哪些地方"),
    ("004-05", "贝壳找房工会给西吉县捐了什么医药物资"),
];

#[test]
fn article_search_finds_each_article_by_its_main_fact() {
    let e = engine();
    assert_eq!(ARTICLE_QUESTIONS.len(), e.knowledge.articles.len(), "one question per article");
    for (id, q) in ARTICLE_QUESTIONS {
        let hits = e.search_articles(q, 3);
        let top = hits.first().map(|h| h.0.as_str());
        assert_eq!(top, Some(*id), "no top hit for {q:?}: {hits:?}");
    }
}

#[test]
fn figures_come_from_the_sentence_that_states_them() {
    let e = engine();
    for (q, figure, source) in [
        ("全国建了多少工会驿站", "18.42万", "000-01"),
        ("朝阳区建了多少户外劳动者工会驿站", "2178", "001-01"),
        ("顺义区总工会2022年办了多少件12351热线派单", "320", "004-02"),
        ("中铁电气化局志愿者累计服务旅客多少人次", "2000", "001-04"),
    ] {
        let a = e.answer(q);
        let text = reply::plain(&a);
        assert!(text.contains(figure), "{q:?} should state {figure}, got:\n{text}");
        assert!(a.sources.iter().any(|s| s.path.ends_with(&format!("{source}.md"))), "{q:?} should cite {source}: {:?}", a.sources);
    }
}

#[test]
fn every_answer_names_its_source() {
    let e = engine();
    for q in ["怎么入会", "工会热线", "驿站是干嘛的", "海淀区建了多少个暖心驿站", "网约车司机小站在哪", "我在望京"] {
        let a = e.answer(q);
        assert!(!a.sources.is_empty(), "{q:?} cites nothing");
        for s in &a.sources {
            assert!(s.path.starts_with("knowledge/articles/") && !s.title.is_empty(), "{q:?}: {s:?}");
        }
        assert!(reply::plain(&a).contains("来源："), "{q:?}");
    }
}

#[test]
fn regression_questions_pass() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/questions.yaml");
    let cases = eval::load(&path).expect("question set loads");
    assert!(cases.len() >= 90, "the set has {} cases", cases.len());
    let failed: Vec<String> = eval::run(engine(), &cases)
        .into_iter()
        .filter(|o| !o.passed)
        .map(|o| format!("{} (expected {}):\n{}", o.case.label(), o.case.expected(), o.reply))
        .collect();
    assert!(failed.is_empty(), "{} failed:\n{}", failed.len(), failed.join("\n---\n"));
}

#[test]
fn out_of_scope_questions_are_never_answered_confidently() {
    let e = engine();
    for q in [
        "今天北京天气怎么样",
        "帮我点一份宫保鸡丁外卖",
        "个人所得税怎么退",
        "给我讲个笑话",
        "asdfghjkl",
        "世界杯谁夺冠了",
        "我的外卖超时了怎么办",
        "微信怎么转账",
        "附近哪有好吃的",
        "高铁票怎么退",
    ] {
        let a = e.answer(q);
        assert!(!a.confident, "{q:?} answered confidently as {:?}", a.intent);
        let text = reply::plain(&a);
        if a.is_fallback() {
            assert!(text.contains("12351"), "{q:?} fallback without the hotline:\n{text}");
        }
    }
}

#[test]
fn a_fallback_offers_the_closest_topics() {
    let a = engine().answer("工会能帮我找工作吗");
    if a.is_fallback() {
        assert!(!a.suggestions.is_empty(), "no suggestions");
        for s in &a.suggestions {
            assert!(s.key.len() <= 48 && s.key.is_ascii(), "suggestion key {:?} too long for callback data", s.key);
            assert!(engine().answer_ref(&s.key).is_some(), "suggestion {:?} does not answer", s.key);
        }
    }
    let a = engine().answer("asdfghjkl");
    assert!(a.is_fallback());
    assert!(!a.suggestions.is_empty(), "even gibberish gets the main topics");
}

#[test]
fn nearest_stations_come_in_order_of_distance() {
    let e = engine();
    let a = e.nearby_at(40.3162, 116.6325, 10 * 60);
    assert_eq!(a.kind, Kind::Nearby);
    assert!(a.stations[0].name.contains("富商"), "{:?}", a.stations[0]);
    assert!(a.stations.len() <= 5);
    let d: Vec<f64> = a.stations.iter().map(|s| s.distance_m.expect("distance")).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "not in order: {d:?}");
    assert!(d[0] < 500.0, "富商 is {} m away", d[0]);
    // Open 09:00–18:00: open at 10:00, closed at 20:00, Beijing time.
    assert_eq!(a.stations[0].open_now, Some(true));
    let evening = e.nearby_at(40.3162, 116.6325, 20 * 60);
    assert_eq!(evening.stations[0].open_now, Some(false));

    let wangjing = e.nearby(39.9965, 116.4705);
    assert!(wangjing.stations[0].name.contains("望京"), "{:?}", wangjing.stations[0]);
    let drivers = e.nearby(40.0443, 116.2905);
    assert!(drivers.stations[0].name.contains("网约车司机小站"), "{:?}", drivers.stations[0]);
}

#[test]
fn locations_far_away_or_outside_beijing_are_said_so() {
    let e = engine();
    let shanghai = e.nearby(31.2304, 121.4737);
    assert_eq!(shanghai.kind, Kind::OutsideBeijing);
    assert!(shanghai.stations.is_empty());
    assert!(reply::plain(&shanghai).contains("不在北京"));
    // 延庆: in Beijing, but far from every station the articles name.
    let yanqing = e.nearby(40.4656, 115.9850);
    assert_eq!(yanqing.kind, Kind::Nearby);
    assert!(yanqing.note.is_some(), "no 'nothing nearby' note");
    assert!(!yanqing.stations.is_empty() && yanqing.stations.len() <= 3);
    assert!(e.nearby(f64::NAN, 116.0).kind == Kind::OutsideBeijing);
}

#[test]
fn a_typed_place_answers_like_a_shared_location() {
    let e = engine();
    for (q, want) in [("我在望京", "望京"), ("怀柔商业街附近有驿站吗", "富商"), ("八里庄有小哥驿站吗", "庄里小哥驿站")] {
        let a = e.answer(q);
        assert!(matches!(a.kind, Kind::Nearby | Kind::Station), "{q:?} -> {:?}", a.kind);
        assert!(a.stations.iter().take(2).any(|s| s.name.contains(want)), "{q:?}: {:?}", a.stations.iter().map(|s| &s.name).collect::<Vec<_>>());
    }
    let a = e.answer("附近有驿站吗");
    assert_eq!(a.kind, Kind::NeedLocation, "no place: ask for the location");
}

#[test]
fn bad_input_gets_a_reply_and_never_panics() {
    let e = engine();
    let long = "工会驿站在哪里".repeat(700);
    let inputs = [
        String::new(),
        "   ".to_string(),
        "😀😀😀🙏🙏🔥🔥🔥".repeat(50),
        "？？？！！！。。。,,,...".to_string(),
        "\u{0000}\u{0007}\u{001b}[31m\u{200b}\u{202e}".to_string(),
        long.clone(),
        "x".repeat(5000),
        format!("怎么入会{}", "啊".repeat(4000)),
        "<b>&amp;</b><script>".to_string(),
        "\u{10FFFF}\u{FFFF}\u{FEFF}".to_string(),
    ];
    for input in &inputs {
        let a = e.answer(input);
        let text = reply::plain(&a);
        assert!(!text.trim().is_empty(), "empty reply for {:?}", union_bot::text::clip(input, 20));
        for part in reply::html(&a) {
            assert!(reply::telegram_len(&part) <= reply::TELEGRAM_LIMIT, "message over the limit");
            assert!(!part.contains("<script"), "unescaped input in HTML");
        }
    }
    assert_eq!(e.answer("").kind, Kind::Blank);
    assert_eq!(e.answer("😀😀😀").kind, Kind::Empty);
    // A long paste is answered from its beginning.
    let a = e.answer(&format!("怎么入会{}", "啊".repeat(4000)));
    assert!(reply::plain(&a).contains("i会员"), "{}", reply::plain(&a));
}

#[test]
fn full_width_and_case_do_not_matter() {
    let e = engine();
    let a = e.answer("Ｉ会员怎么用");
    let b = e.answer("i会员怎么用");
    assert_eq!(a.intent, b.intent);
    assert_eq!(e.answer("工会电话１２３５１").intent, e.answer("工会电话12351").intent);
}

#[test]
fn suggestion_keys_answer_their_entry() {
    let e = engine();
    for entry in &e.knowledge.faq {
        let key = Ref::Faq(entry.id.clone()).to_string();
        assert!(key.len() <= 64, "callback data {key:?} over 64 bytes");
        let a = e.answer_ref(&key).expect("entry answers");
        assert_eq!(a.intent.as_deref(), Some(key.as_str()));
        // Buttons sent and links shared before the one text form still answer.
        assert_eq!(e.answer_ref(&format!("f:{}", entry.id)).and_then(|a| a.intent), Some(key.clone()));
        assert_eq!(e.answer_ref(&format!("f_{}", entry.id)).and_then(|a| a.intent), Some(key.clone()));
        for f in &a.follow_ups {
            assert!(e.answer_ref(&f.key).is_some(), "follow-up {} of {}", f.key, entry.id);
        }
    }
    for s in &e.knowledge.stations {
        assert!(e.answer_ref(&Ref::Station(s.id.clone()).to_string()).is_some());
    }
    for a in &e.knowledge.articles {
        assert!(e.answer_ref(&Ref::Article(a.id.clone()).to_string()).is_some(), "article {}", a.id);
        let last = a.paragraphs.len() - 1;
        let p = e.answer_ref(&Ref::Passage { article: a.id.clone(), paragraph: last }.to_string()).expect("a passage answers");
        assert_eq!(p.intent, Some(Ref::Article(a.id.clone()).to_string()));
    }
    assert!(e.answer_ref("faq_no-such-entry").is_none());
    assert!(e.answer_ref("garbage").is_none());
}
