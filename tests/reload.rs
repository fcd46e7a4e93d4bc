//! Editing knowledge/ under a running engine: a bad edit changes nothing, a
//! good one is picked up, a rename-save too.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use union_bot::config::Paths;
use union_bot::reload::{Live, Outcome, describe};

use crate::common::knowledge_copy;

fn live(k: &std::path::Path, data: &std::path::Path) -> Live {
    Live::open(Paths { knowledge: k.to_path_buf(), data: data.to_path_buf() }).expect("the copy loads")
}

fn hotline_answer(live: &Live) -> String {
    union_bot::reply::plain(&live.engine().answer("工会服务热线是多少"))
}

const MARK: &str = "（本条已由编辑更新）";

fn edit_hotline_answer(text: &str) -> String {
    let start = text.find("- id: hotline\n").expect("hotline entry");
    let answer = start + text[start..].find("  answer: |\n").expect("answer") + "  answer: |\n".len();
    let line_end = answer + text[answer..].find('\n').expect("line");
    format!("{}{MARK}{}", &text[..line_end], &text[line_end..])
}

#[test]
fn bad_edits_are_refused_and_the_old_answers_keep_coming() {
    let k = knowledge_copy();
    let data = tempfile::tempdir().unwrap();
    let live = live(k.path(), data.path());
    let before = hotline_answer(&live);
    assert!(before.contains("12351"));
    let faq = k.path().join("faq.yaml");
    let good = std::fs::read_to_string(&faq).unwrap();

    // A truncated file (a save cut short).
    let cut = (0..=good.len() / 3).rev().find(|i| good.is_char_boundary(*i)).unwrap();
    std::fs::write(&faq, &good[..cut]).unwrap();
    match live.reload(false) {
        Outcome::Refused { problems } => {
            assert!(problems.iter().any(|p| p.path.ends_with("faq.yaml") && p.line >= 1), "{problems:?}");
            let outcome = Outcome::Refused { problems };
            assert!(describe(&outcome).contains("faq.yaml:"));
            // What the admins read: Chinese, with the file and line.
            let report = union_bot::reply::reload_report(&outcome);
            assert!(report.starts_with("这次修改没有生效，机器人继续使用之前的知识库。") && report.contains("faq.yaml:"), "{report}");
        }
        other => panic!("a truncated faq.yaml was not refused: {other:?}"),
    }
    assert_eq!(hotline_answer(&live), before, "the old answers keep coming");

    // A save cut short exactly at an entry boundary: valid YAML, half the entries gone.
    // (Follow-ups are dropped so that what is left is consistent on its own.)
    let middle = (0..=good.len() / 2).rev().find(|i| good.is_char_boundary(*i)).unwrap();
    let boundary = good[..middle].rfind("\n- id: ").unwrap();
    let half: String = good[..boundary + 1].lines().filter(|l| !l.trim_start().starts_with("follow_ups:")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&faq, &half).unwrap();
    match live.reload(false) {
        Outcome::Refused { problems } => assert!(problems[0].message.contains("disappeared at once"), "{problems:?}"),
        other => panic!("losing half the entries was not refused: {other:?}"),
    }
    assert_eq!(hotline_answer(&live), before);

    // A duplicate id.
    std::fs::write(&faq, good.replacen("- id: haircut\n", "- id: hotline\n", 1)).unwrap();
    match live.reload(false) {
        Outcome::Refused { problems } => assert!(problems.iter().any(|p| p.message.contains("duplicate id \"hotline\"")), "{problems:?}"),
        other => panic!("a duplicate id was not refused: {other:?}"),
    }
    assert_eq!(hotline_answer(&live), before);
    // The same bad files are not reported again on the next poll.
    assert!(matches!(live.reload(false), Outcome::Unchanged));

    // A good edit.
    std::fs::write(&faq, edit_hotline_answer(&good)).unwrap();
    match live.reload(false) {
        Outcome::Reloaded { changes, .. } => assert_eq!(changes.changed, vec!["faq:hotline".to_string()], "{changes:?}"),
        other => panic!("a good edit was not loaded: {other:?}"),
    }
    assert!(hotline_answer(&live).contains(MARK), "the new answer is served");
}

#[test]
fn a_rename_save_is_picked_up_by_the_watcher_within_seconds() {
    let k = knowledge_copy();
    let data = tempfile::tempdir().unwrap();
    let live = Arc::new(live(k.path(), data.path()));
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stop = Arc::new(AtomicBool::new(false));
    let tx = std::sync::Mutex::new(tx);
    let handle = live.watch(Duration::from_millis(200), stop.clone(), move |o| {
        let _ = tx.lock().unwrap().send(describe(o));
    });

    // Editors' tools save by writing a new file and renaming it over the old one.
    let faq = k.path().join("faq.yaml");
    let good = std::fs::read_to_string(&faq).unwrap();
    let tmp = k.path().join(".faq.yaml.swp");
    std::fs::write(&tmp, edit_hotline_answer(&good)).unwrap();
    std::fs::rename(&tmp, &faq).unwrap();

    let msg = rx.recv_timeout(Duration::from_secs(30)).expect("the watcher reports the reload");
    assert!(msg.starts_with("reloaded") && msg.contains("faq:hotline"), "{msg}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !hotline_answer(&live).contains(MARK) {
        assert!(Instant::now() < deadline, "the new answer is not served");
        std::thread::sleep(Duration::from_millis(50));
    }

    // A broken save is reported once, with its line, and changes nothing.
    std::fs::write(&faq, "- id: [unclosed\n").unwrap();
    let msg = rx.recv_timeout(Duration::from_secs(30)).expect("the watcher reports the refusal");
    assert!(msg.contains("refused") && msg.contains("faq.yaml:"), "{msg}");
    assert!(hotline_answer(&live).contains(MARK), "the last good knowledge keeps serving");

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    handle.join().unwrap();
}

#[test]
fn an_added_entry_is_reported_and_answered() {
    let k = knowledge_copy();
    let data = tempfile::tempdir().unwrap();
    let live = live(k.path(), data.path());
    let faq = k.path().join("faq.yaml");
    let mut text = std::fs::read_to_string(&faq).unwrap();
    text.push_str(
        "\n- id: bike-repair\n  topic: 驿站修车\n  questions:\n    - 驿站能修电动车吗\n    - 电动车坏了驿站能修吗\n  answer: |\n    报道里没有写驿站能修车；富商市场暖心驿站备有打气筒。具体请拨打北京工会12351职工服务热线问问。\n  sources: [004-01]\n",
    );
    std::fs::write(&faq, text).unwrap();
    match live.reload(false) {
        outcome @ Outcome::Reloaded { .. } => {
            let Outcome::Reloaded { changes, .. } = &outcome else { unreachable!() };
            assert_eq!(changes.added, vec!["faq:bike-repair".to_string()]);
            let report = union_bot::reply::reload_report(&outcome);
            assert!(report.contains("新增（1）：faq:bike-repair") && !report.contains("删除"), "{report}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(live.engine().answer("驿站能修电动车吗").intent.as_deref(), Some("faq_bike-repair"));
    // /reload on demand with nothing changed says so.
    match live.reload(true) {
        outcome @ Outcome::Reloaded { .. } => {
            let Outcome::Reloaded { changes, .. } = &outcome else { unreachable!() };
            assert!(changes.is_empty());
            assert!(union_bot::reply::reload_report(&outcome).starts_with("已重新加载，没有条目变化。"));
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------- issue 13: a reload redoes only what the edit needs

/// The files of the data directory, by name.
fn data_files(data: &std::path::Path) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(data).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| !n.starts_with('.')).collect()
}

/// Waits (watching as the bot does) until `shows` holds for the engine serving.
fn wait_live(live: &Live, what: &str, shows: impl Fn(&union_bot::answer::Engine) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !shows(live.engine().as_ref()) {
        assert!(Instant::now() < deadline, "the edit of {what} did not go live");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn each_kind_of_edit_goes_live_and_redoes_only_its_part() {
    let k = knowledge_copy();
    let data = tempfile::tempdir().unwrap();
    let live = Arc::new(live(k.path(), data.path()));
    let stop = Arc::new(AtomicBool::new(false));
    // The bot's own period: the quick look sees an edited YAML file sooner.
    let handle = live.watch(Duration::from_secs(2), stop.clone(), |_| {});
    let first = live.engine();
    let files = data_files(data.path());
    assert_eq!(files.iter().filter(|f| f.starts_with("index-")).count(), 1, "{files:?}");
    assert_eq!(files.iter().filter(|f| f.starts_with("stations-")).count(), 1, "the station terms are kept: {files:?}");
    assert_eq!(files.iter().filter(|f| f.starts_with("parsed-stations-")).count(), 1, "the parsed stations are kept: {files:?}");
    assert_eq!(files.iter().filter(|f| f.starts_with("jieba-")).count(), 1, "jieba's dictionary is kept: {files:?}");
    // A reload takes what did not change from the knowledge serving; what it
    // serves is what loading the files afresh gives.
    let as_loaded_afresh = |e: &union_bot::answer::Engine| {
        let (fresh, _) = union_bot::knowledge::Knowledge::load(k.path()).expect("the copy loads");
        assert_eq!(e.knowledge.articles, fresh.articles);
        assert_eq!(e.knowledge.stations, fresh.stations);
        assert_eq!(e.knowledge.faq, fresh.faq);
        assert_eq!(e.knowledge.fingerprint, fresh.fingerprint);
        assert_eq!(e.knowledge.fingerprint, union_bot::knowledge::fingerprint(k.path()));
    };

    // faq.yaml, one line: the answer shows it; the index and station files stay as they were.
    let faq = k.path().join("faq.yaml");
    std::fs::write(&faq, edit_hotline_answer(&std::fs::read_to_string(&faq).unwrap())).unwrap();
    wait_live(&live, "faq.yaml", |e| union_bot::reply::plain(&e.answer("工会服务热线是多少")).contains(MARK));
    let after_faq = live.engine();
    assert_eq!(after_faq.index().key(), first.index().key(), "a FAQ edit keeps the article index");
    assert_eq!(after_faq.analyzer().key(), first.analyzer().key(), "and jieba's dictionary");
    assert_eq!(data_files(data.path()), files, "nothing rebuilt on disk");
    as_loaded_afresh(&after_faq);

    // stations.yaml, one line (an address): the index stays; the station files are redone.
    let stations = k.path().join("stations.yaml");
    let text = std::fs::read_to_string(&stations).unwrap();
    let at = text.find("\n  address: ").unwrap() + 1;
    let end = at + text[at..].find('\n').unwrap();
    std::fs::write(&stations, format!("{}（编辑测试）{}", &text[..end], &text[end..])).unwrap();
    wait_live(&live, "stations.yaml", |e| e.knowledge.stations[0].address.ends_with("（编辑测试）"));
    let after_stations = live.engine();
    assert_eq!(after_stations.index().key(), first.index().key(), "an address edit keeps the article index");
    let now = data_files(data.path());
    assert_eq!(now.iter().filter(|f| f.starts_with("index-")).collect::<Vec<_>>(), files.iter().filter(|f| f.starts_with("index-")).collect::<Vec<_>>());
    assert_ne!(now.iter().filter(|f| f.starts_with("parsed-stations-")).collect::<Vec<_>>(), files.iter().filter(|f| f.starts_with("parsed-stations-")).collect::<Vec<_>>(), "the parsed stations are kept anew");
    let near = union_bot::reply::plain(&after_stations.nearby(after_stations.knowledge.stations[0].lat, after_stations.knowledge.stations[0].lon));
    assert!(near.contains("（编辑测试）"), "the nearby answer shows the new address: {near}");
    as_loaded_afresh(&after_stations);

    // One article: the index is rebuilt (a new key) and answers from the new text.
    let article = k.path().join("articles").join("004-01.md");
    let text = std::fs::read_to_string(&article).unwrap();
    std::fs::write(&article, format!("{}\n\n编辑测试新增的一段。\n", text.trim_end())).unwrap();
    wait_live(&live, "one article", |e| e.knowledge.articles.iter().any(|a| a.paragraphs.iter().any(|p| p.contains("编辑测试新增的一段"))));
    assert_ne!(live.engine().index().key(), first.index().key(), "an article edit makes a new index");
    let edited = live.engine().index().built().expect("built for the edit");
    let paragraphs = live.engine().knowledge.articles.iter().find(|a| a.paragraphs.iter().any(|p| p.contains("编辑测试新增的一段"))).unwrap().paragraphs.len();
    assert_eq!((edited.articles_segmented, edited.passages_segmented), (1, paragraphs), "only the edited article is segmented again: {edited:?}");
    as_loaded_afresh(&live.engine());

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    handle.join().unwrap();
}

/// The questions whose hits and answers two indexes of `k` must share: every
/// FAQ wording, every title, the start of every paragraph, and `more`.
fn questions_of(k: &union_bot::knowledge::Knowledge, more: &[&str]) -> Vec<String> {
    let mut q: Vec<String> = k.faq.iter().flat_map(|e| e.questions.iter().cloned()).collect();
    q.extend(k.articles.iter().map(|a| a.title.clone()));
    q.extend(k.articles.iter().flat_map(|a| a.paragraphs.iter().map(|p| p.chars().take(16).collect::<String>())));
    q.extend(more.iter().map(|s| s.to_string()));
    q
}

/// An edit of one article, on a reload and at the next start, segments that
/// article alone (the others are read from the segments kept beside the last
/// index), and the index is the one a build from an empty data directory
/// makes: the same passage terms, the same hits with the same scores, the
/// same answers.
#[test]
fn an_article_edit_segments_that_article_alone_and_answers_as_a_fresh_build() {
    use union_bot::knowledge::Knowledge;
    use union_bot::search::{Analyzer, ArticleIndex, BuildStats};
    let k = knowledge_copy();
    let data = tempfile::tempdir().unwrap();
    let (before, _) = Knowledge::load(k.path()).unwrap();
    let analyzer = Analyzer::new(&before);
    let (first, built) = ArticleIndex::open_or_build(&before, &analyzer, data.path()).unwrap();
    let n = before.articles.len();
    assert!(built);
    assert_eq!(first.built().map(|s| s.articles_segmented), Some(n), "an empty data directory segments every article");

    // One sentence added inside a paragraph in the middle of an article.
    let added = "编辑测试：外卖小哥可以到朝阳区的暖心驿站免费充电。";
    let file = k.path().join("articles").join("004-01.md");
    let text = std::fs::read_to_string(&file).unwrap();
    let at = text.rfind("。\n\n").expect("a paragraph end") + "。".len();
    std::fs::write(&file, format!("{}{added}{}", &text[..at], &text[at..])).unwrap();
    let (after, _) = Knowledge::load(k.path()).unwrap();
    let edited = after.articles.iter().position(|a| a.paragraphs.iter().any(|p| p.contains(added))).expect("the edit loads");
    assert_eq!(Analyzer::key_of(&after), analyzer.key(), "the edit changes no word jieba is given");

    let (reindexed, built) = ArticleIndex::open_or_build(&after, &analyzer, data.path()).unwrap();
    assert!(built);
    let passages = union_bot::search::passages(&after).len();
    let spared = BuildStats { articles: n, articles_segmented: 1, passages, passages_segmented: after.articles[edited].paragraphs.len() };
    assert_eq!(reindexed.built(), Some(spared), "only the edited article is segmented");
    let empty = tempfile::tempdir().unwrap();
    let (fresh, _) = ArticleIndex::open_or_build(&after, &analyzer, empty.path()).unwrap();
    assert_eq!(fresh.built().map(|s| s.passages_segmented), Some(passages));
    let dirs = data_files(data.path());
    assert_eq!(dirs.iter().filter(|f| f.starts_with("index-")).count(), 1, "the last index is removed: {dirs:?}");

    let questions = questions_of(&after, &[added, "朝阳区哪里能免费充电", "外卖小哥在哪歇脚"]);
    assert_eq!(reindexed.terms(), fresh.terms(), "the passage terms");
    assert_eq!(reindexed.num_docs(), fresh.num_docs());
    let engines = [(&reindexed, "reindexed"), (&fresh, "fresh")].map(|(index, _)| union_bot::answer::Engine::from_parts(after.clone(), analyzer.clone(), index.clone()));
    for q in &questions {
        let terms = analyzer.terms(q);
        assert_eq!(reindexed.search(&terms, 50).unwrap(), fresh.search(&terms, 50).unwrap(), "hits for {q}");
        let [a, b] = engines.each_ref().map(|e| serde_json::to_string(&e.answer_at(q, 600)).unwrap());
        assert_eq!(a, b, "answer to {q}");
    }
    let all = union_bot::search::passages(&after);
    let hits = reindexed.search(&analyzer.terms(added), 3).unwrap();
    assert!(hits.iter().any(|&(pid, _)| all[pid].article == edited), "the new sentence is found: {hits:?}");
    drop(engines);

    // At the next start: another article edited while the bot was stopped.
    let file = k.path().join("articles").join("001-01.md");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{}\n\n编辑测试新增的一段：工会会员可以申请困难帮扶。\n", text.trim_end())).unwrap();
    let (engine, _) = union_bot::answer::Engine::open(k.path(), data.path()).unwrap();
    let second = engine.index().built().expect("built at the start");
    let of = engine.knowledge.articles.iter().find(|a| a.paragraphs.iter().any(|p| p.contains("编辑测试新增的一段"))).unwrap();
    assert_eq!((second.articles_segmented, second.passages_segmented), (1, of.paragraphs.len()), "the start segments the edited article alone");
    let empty = tempfile::tempdir().unwrap();
    let (fresh, _) = ArticleIndex::open_or_build(&engine.knowledge, engine.analyzer(), empty.path()).unwrap();
    assert_eq!(engine.index().terms(), fresh.terms());
    let fresh_engine = union_bot::answer::Engine::from_parts(engine.knowledge.clone(), engine.analyzer().clone(), fresh);
    for q in questions_of(&engine.knowledge, &["工会会员可以申请困难帮扶吗"]) {
        assert_eq!(serde_json::to_string(&engine.answer_at(&q, 600)).unwrap(), serde_json::to_string(&fresh_engine.answer_at(&q, 600)).unwrap(), "answer to {q}");
    }
}
