//! Loading and validating knowledge/: every problem at once, each with file:line.

use std::path::Path;

use union_bot::knowledge::{Knowledge, Problem, Severity};

use crate::common::knowledge_copy;

fn load_errors(dir: &Path) -> Vec<Problem> {
    match Knowledge::load(dir) {
        Ok(_) => Vec::new(),
        Err(p) => p.0.into_iter().filter(|p| p.severity == Severity::Error).collect(),
    }
}

fn edit(dir: &Path, file: &str, f: impl FnOnce(String) -> String) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, f(text)).expect("write");
}

#[test]
fn the_committed_knowledge_is_valid() {
    let (k, warnings) = Knowledge::load(&crate::common::knowledge_dir()).expect("valid");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(k.faq.len() >= 30 && k.stations.len() >= 12 && k.articles.len() == 27 && k.places.len() >= 50);
}

#[test]
fn a_truncated_yaml_file_is_reported_with_its_line() {
    let tmp = knowledge_copy();
    edit(tmp.path(), "faq.yaml", |t| {
        let cut = t.len() / 2;
        let cut = (0..=cut).rev().find(|i| t.is_char_boundary(*i)).unwrap();
        format!("{}\n  - [unclosed: {{\n", &t[..cut])
    });
    let errors = load_errors(tmp.path());
    assert!(!errors.is_empty());
    let p = &errors[0];
    assert!(p.path.ends_with("faq.yaml"), "{p}");
    assert!(p.line > 1, "{p}");
    assert!(p.to_string().contains("faq.yaml:"), "{p}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let tmp = knowledge_copy();
    let d = tmp.path();
    // A duplicate id, an unknown field, a source that is no article, a
    // follow-up that is no entry, a station in Shanghai, hours that do not parse.
    edit(d, "faq.yaml", |t| {
        t.replacen("- id: hotline\n", "- id: join-how\n", 1)
            .replacen("  topic: 经开区免费理发\n", "  topic: 经开区免费理发\n  colour: red\n", 1)
            .replacen("sources: [000-05", "sources: [999-99, 000-05", 1)
            .replacen("follow_ups: [car-scrape", "follow_ups: [no-such-entry, car-scrape", 1)
    });
    edit(d, "stations.yaml", |t| t.replacen("lat: 40.", "lat: 31.", 1).replacen("hours: \"09:00-18:00\"", "hours: \"早9点到晚6点\"", 1));
    let errors = load_errors(d);
    let text: Vec<String> = errors.iter().map(|p| p.to_string()).collect();
    let all = text.join("\n");
    for needle in ["duplicate id \"join-how\"", "不认识字段 colour", "999-99", "no-such-entry", "outside Beijing", "do not parse"] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
    for p in &errors {
        assert!(p.line >= 1, "{p}");
    }
}

#[test]
fn a_missing_file_and_a_bad_article_are_reported() {
    let tmp = knowledge_copy();
    std::fs::remove_file(tmp.path().join("places.yaml")).unwrap();
    std::fs::write(tmp.path().join("articles/000-01.md"), "no front matter\n").unwrap();
    let all: String = load_errors(tmp.path()).iter().map(|p| format!("{p}\n")).collect();
    assert!(all.contains("places.yaml:1"), "{all}");
    assert!(all.contains("000-01.md:1"), "{all}");
    // The FAQ cites 000-01, which no longer loads.
    assert!(all.contains("\"000-01\", which is not in knowledge/articles/"), "{all}");
}

#[test]
fn the_importer_reproduces_the_committed_articles() {
    let seeds = crate::common::shared_dir().join("seeds");
    let pages: Vec<_> = std::fs::read_dir(&seeds).expect("../shared/seeds is beside the checkout").flatten().map(|e| e.path()).collect();
    assert_eq!(pages.len(), 5);
    let mut n = 0;
    for page in pages {
        let name = page.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&page).unwrap();
        let articles = union_bot::knowledge::import::split_page(&text, &name, &union_bot::knowledge::import::id_prefix(&name));
        for a in articles {
            let committed = std::fs::read_to_string(crate::common::knowledge_dir().join("articles").join(format!("{}.md", a.id)))
                .unwrap_or_else(|_| panic!("{} is not committed", a.id));
            assert_eq!(a.to_markdown(), committed, "article {} differs from the importer's output", a.id);
            // No page break left inside a paragraph: each ends a sentence.
            for p in &a.paragraphs {
                let last = p.chars().last().unwrap();
                let tail: String = p.chars().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect();
                assert!("。！？”…）摄".contains(last), "{}: paragraph ends mid-sentence: …{tail}", a.id);
            }
            n += 1;
        }
    }
    assert_eq!(n, 27);
}

/// Issue 14: a field of the wrong kind is named at its own line, with its
/// name and plain words; every bad field of an entry is reported, and an
/// unknown field hides none of the other problems of its file.
#[test]
fn wrong_fields_are_named_at_their_own_line_in_plain_words() {
    let tmp = knowledge_copy();
    let d = tmp.path();
    edit(d, "stations.yaml", |t| {
        t.replacen("  lat: 39.9965\n  lon: 116.4705\n", "  colour: red\n  lat: 北纬39.9965\n  lon: \"116.4705\"\n", 1).replacen("hours: \"09:00-18:00\"", "hours: \"早9点到晚6点\"", 1)
    });
    let text = std::fs::read_to_string(d.join("stations.yaml")).unwrap();
    let line = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let all: String = load_errors(d).iter().map(|p| format!("{p}\n")).collect();
    for (l, words) in [
        (line("北纬39.9965"), "lat 应为数字，如 39.9965（这里是文字“北纬39.9965”）"),
        (line("\"116.4705\""), "lon 应为数字，如 116.3974（这里是文字“116.4705”）；数字不要加引号"),
        (line("colour: red"), "驿站不认识字段 colour"),
    ] {
        assert!(all.contains(&format!("stations.yaml:{l}: error: {words}")), "missing line {l}: {words}\n{all}");
    }
    assert!(all.contains("do not parse"), "the unknown field hides no other problem of the file:\n{all}");
    assert!(!all.contains("expected f64") && !all.contains("invalid type"), "{all}");
}

#[test]
fn a_missing_knowledge_directory_is_one_clear_line() {
    let e = Knowledge::load(Path::new("/nonexistent/knowledge")).unwrap_err().to_string();
    assert!(e.starts_with("/nonexistent/knowledge: error: 找不到知识库目录"), "{e}");
    assert!(e.contains("--knowledge") && e.contains("当前目录"), "{e}");
    assert!(!e.contains("knowledge:1:"), "{e}");
}
