//! What the fuzz targets check, in the library: the targets in `fuzz/` call
//! these functions on libFuzzer's input, and `tests/fuzz_corpus.rs` replays
//! every committed corpus file through the very same functions on the stable
//! toolchain, so CI guards what fuzzing found. Each function panics (an
//! assertion) when an invariant does not hold; any other panic is a bug too.
//!
//! - [`answer_render`]: any text as a question, answered and rendered as
//!   Telegram HTML: parts non-empty, within the limit, HTML Telegram accepts;
//! - [`knowledge_yaml`]: any bytes as `faq.yaml`, `stations.yaml`,
//!   `places.yaml` or `synonyms.yaml` (the first byte picks which) give
//!   problems that name the file and a line inside it, never a panic;
//! - [`station_csv`]: any bytes as a station list; every refused row names a
//!   line, and what is imported loads back from `stations.yaml` cleanly;
//! - [`import_page`]: any text as a newspaper page; every article written is
//!   one the loader reads back;
//! - [`redact`]: any text; no phone number or long number survives;
//! - [`telegram::telegram_update`]: any bytes as a Telegram update, through
//!   the channel's real handling; every request it sends is one Telegram
//!   accepts, and nothing fails.

pub mod telegram;

use std::collections::HashSet;
use std::path::Path;

use crate::knowledge::{Problem, Severity, articles, faq, import, lexicon, places, station_import, stations};

/// The article ids the knowledge loaders are checked against.
const ARTICLE_IDS: &[&str] = &["000-01", "001-01", "004-01"];

/// Every problem names `path` and a line of `bytes` (or the line just after
/// its end, where a parser may stop), and says something.
fn check_problems(path: &Path, bytes: &[u8], problems: &[Problem]) {
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    for p in problems {
        assert_eq!(p.path, path, "{p}");
        assert!(p.line >= 1 && p.line <= lines + 1, "line {} of a {lines}-line file: {p}", p.line);
        assert!(!p.message.trim().is_empty(), "an empty message at {}:{}", p.path.display(), p.line);
        let shown = p.to_string();
        assert!(shown.starts_with(&format!("{}:{}: ", path.display(), p.line)), "{shown}");
        assert!(!shown.contains("expected f64") && !shown.contains("invalid type"), "serde's words reach the editor: {shown}");
    }
}

/// Any bytes as one of the four YAML files of the knowledge base.
pub fn knowledge_yaml(data: &[u8]) {
    let Some((&which, bytes)) = data.split_first() else { return };
    let ids: HashSet<&str> = ARTICLE_IDS.iter().copied().collect();
    let mut problems = Vec::new();
    let path = match which % 4 {
        0 => {
            let path = Path::new("knowledge/faq.yaml");
            let entries = faq::parse(path, bytes, &ids, &mut problems);
            if !has_errors(&problems) {
                assert!(
                    entries.iter().all(|e| !e.id.trim().is_empty() && !e.questions.is_empty() && !e.sources.is_empty()),
                    "an entry without id, questions or sources passed"
                );
            }
            path
        }
        1 => {
            let path = Path::new("knowledge/stations.yaml");
            let found = stations::parse(path, bytes, &ids, &mut problems);
            if !has_errors(&problems) {
                assert!(found.iter().all(|s| crate::geo::in_beijing(s.lat, s.lon)), "a station outside Beijing passed");
            }
            path
        }
        2 => {
            let path = Path::new("knowledge/places.yaml");
            let found = places::parse(path, bytes, &mut problems);
            if !has_errors(&problems) {
                assert!(found.iter().all(|p| crate::geo::in_beijing(p.lat, p.lon)), "a place outside Beijing passed");
            }
            path
        }
        _ => {
            let path = Path::new("knowledge/synonyms.yaml");
            lexicon::parse(path, bytes, &mut problems);
            path
        }
    };
    check_problems(path, bytes, &problems);
}

fn has_errors(problems: &[Problem]) -> bool {
    problems.iter().any(|p| p.severity == Severity::Error)
}

/// Any bytes as a spreadsheet export of stations.
pub fn station_csv(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let lines = text.lines().count() + 1;
    let Ok(import) = station_import::parse(&text, "list.csv", &[]) else { return };
    for r in import.refused.iter().chain(&import.duplicates).chain(&import.remarks) {
        assert!(r.line >= 1 && r.line <= lines + 1, "row line {} of {lines}: {}", r.line, r.reason);
        assert!(!r.reason.trim().is_empty());
    }
    assert!(import.stations.len() + import.refused.len() + import.duplicates.len() <= import.rows, "more outcomes than rows");
    if import.stations.is_empty() {
        return;
    }
    // What is imported is appended to stations.yaml: it must load back.
    let yaml = station_import::to_yaml(&import.stations, "list.csv").expect("imported stations serialise");
    let path = Path::new("knowledge/stations.yaml");
    let mut problems = Vec::new();
    let back = stations::parse(path, yaml.as_bytes(), &HashSet::new(), &mut problems);
    let errors: Vec<String> = problems.iter().filter(|p| p.severity == Severity::Error).map(|p| p.to_string()).collect();
    assert!(errors.is_empty(), "imported stations do not load back:\n{}\n{yaml}", errors.join("\n"));
    assert_eq!(back.len(), import.stations.len());
}

/// Any text as a newspaper page to split into articles.
pub fn import_page(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let found = import::split_page(text, "000.txt", "000");
    for a in &found {
        let md = a.to_markdown();
        let file = Path::new("knowledge/articles").join(format!("{}.md", a.id));
        let mut problems = Vec::new();
        let back = articles::parse(&md, &file, a.path.clone(), &mut problems);
        check_problems(&file, md.as_bytes(), &problems);
        let errors: Vec<String> = problems.iter().filter(|p| p.severity == Severity::Error).map(|p| p.to_string()).collect();
        assert!(errors.is_empty(), "an imported article does not load back:\n{}\n{md}", errors.join("\n"));
        let back = back.expect("an article without errors loads");
        assert_eq!(back.paragraphs, a.paragraphs, "the paragraphs change on the way through the file");
    }
}

/// Any text as a question: normalise → answer over the committed knowledge
/// → Telegram HTML. No panic; every part non-empty, within Telegram's 4096
/// characters after its entities are parsed, and HTML the Bot API accepts.
pub fn answer_render(data: &[u8]) {
    static ENGINE: std::sync::OnceLock<crate::Engine> = std::sync::OnceLock::new();
    let Ok(question) = std::str::from_utf8(data) else { return };
    if question.chars().count() > 10_000 {
        return;
    }
    let engine = ENGINE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let (knowledge, _warnings) = crate::knowledge::Knowledge::load(&dir).expect("the committed knowledge loads");
        crate::Engine::in_ram(knowledge).expect("the engine builds")
    });
    let answer = engine.answer(question);
    let parts = crate::reply::html(&answer);
    assert!(!parts.is_empty(), "no reply");
    for part in &parts {
        let visible = telegram::parse_html(part).unwrap_or_else(|e| panic!("Telegram refuses the HTML ({e}): {part:?}"));
        assert!(!visible.trim().is_empty(), "an empty part");
        assert!(crate::reply::telegram_len(&visible) <= crate::reply::TELEGRAM_LIMIT, "a part over the limit");
        assert!(crate::reply::telegram_len(part) <= crate::reply::TELEGRAM_LIMIT, "a part over the limit before parsing");
    }
}

/// Any text through [`crate::redact::redact`]: no 11-digit mobile number
/// and no run of 12 digits or more is left.
pub fn redact(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let out = crate::redact::redact(text);
    let digits: Vec<Option<u8>> =
        out.chars().map(|c| crate::text::fold_width(c).to_digit(10).filter(|_| crate::text::fold_width(c).is_ascii_digit()).map(|d| d as u8)).collect();
    let mut run: Vec<u8> = Vec::new();
    for d in digits.iter().copied().chain([None]) {
        match d {
            Some(d) => run.push(d),
            None => {
                assert!(run.len() < 12, "a run of {} digits survives in {out:?}", run.len());
                assert!(!(run.len() == 11 && run[0] == 1 && run[1] >= 3), "a mobile number survives in {out:?}");
                run.clear();
            }
        }
    }
}
