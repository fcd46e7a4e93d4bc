//! The grounding check: every figure of an answer, and every station service,
//! expected service, hours text and district, is found in a cited article, on
//! copies of the real knowledge loaded by the real loader.

use std::path::Path;

use union_bot::grounding;
use union_bot::knowledge::{Knowledge, Problem, Severity};
use union_bot::reply;

use crate::common::{bin, engine, knowledge_copy, knowledge_dir};

fn grounding_of(dir: &Path) -> (Vec<Problem>, grounding::Summary) {
    let (k, _) = Knowledge::load(dir).expect("the edited knowledge still loads");
    grounding::check(&k)
}

fn edit(dir: &Path, file: &str, f: impl FnOnce(String) -> String) -> String {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    let new = f(text.clone());
    assert_ne!(new, text, "the edit of {file} changed nothing; the knowledge's layout changed, update this test");
    std::fs::write(&path, &new).expect("write");
    new
}

/// The 1-based line of the first line holding `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1).expect("needle in the file")
}

const HAIDIAN: &str = "截至目前，海淀区已建设暖心驿站2394个、各类职工之家246家";

#[test]
fn the_shipped_knowledge_is_grounded_with_only_marked_exceptions() {
    let (problems, summary) = grounding_of(&knowledge_dir());
    assert!(problems.is_empty(), "{}", problems.iter().map(|p| format!("{p}\n")).collect::<String>());
    assert!(summary.figures >= 80, "{summary:?}");
    assert!(summary.station_texts >= 60, "{summary:?}");
    let (k, _) = Knowledge::load(&knowledge_dir()).unwrap();
    let marks = k.faq.iter().map(|e| e.unsourced.len()).sum::<usize>() + k.stations.iter().map(|s| s.unsourced.len()).sum::<usize>();
    assert_eq!(summary.marked, marks, "every mark is used once");
    for s in &k.stations {
        for (claim, reason) in &s.unsourced {
            assert!(reason.chars().count() >= 8, "station {}: the mark of {claim} needs a reason", s.id);
        }
    }
}

#[test]
fn a_figure_no_article_has_is_reported_at_its_line() {
    let tmp = knowledge_copy();
    let text = edit(tmp.path(), "faq.yaml", |t| t.replacen(HAIDIAN, "截至目前，海淀区已建设暖心驿站2394个、流动驿站77个、各类职工之家246家", 1));
    let (problems, _) = grounding_of(tmp.path());
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert_eq!(p.severity, Severity::Warning);
    assert!(p.path.ends_with("faq.yaml"), "{p}");
    assert_eq!(p.line, line_of(&text, "流动驿站77个"), "{p}");
    let s = p.to_string();
    assert!(s.contains("\"count-haidian\"") && s.contains("\"77个\"") && s.contains("none of its cited articles (003-01)"), "{s}");
    assert!(s.starts_with(&format!("{}:{}:", p.path.display(), p.line)), "{s}");
}

#[test]
fn a_figure_only_another_article_has_is_reported_as_mis_cited_naming_it() {
    let tmp = knowledge_copy();
    let text = edit(tmp.path(), "faq.yaml", |t| t.replacen(HAIDIAN, "截至目前，全国已建成工会驿站18.42万个，海淀区已建设暖心驿站2394个、各类职工之家246家", 1));
    let (problems, _) = grounding_of(tmp.path());
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert_eq!(p.line, line_of(&text, "18.42万个，海淀区"), "{p}");
    let s = p.to_string();
    assert!(s.contains("\"18.42万个\" is mis-cited: it is in 000-01 but not in its cited articles (003-01)"), "{s}");

    // Citing that article mends it.
    edit(tmp.path(), "faq.yaml", |t| {
        t.replacen(
            "  sources: [003-01]\n  follow_ups: [ride-hailing-station, health-check]",
            "  sources: [003-01, 000-01]\n  follow_ups: [ride-hailing-station, health-check]",
            1,
        )
    });
    let (problems, _) = grounding_of(tmp.path());
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn a_marked_exception_passes_and_a_stale_mark_is_reported() {
    let tmp = knowledge_copy();
    edit(tmp.path(), "faq.yaml", |t| {
        t.replacen(HAIDIAN, "截至目前，海淀区已建设暖心驿站2394个、流动驿站77个、各类职工之家246家", 1).replacen(
            "  sources: [003-01]\n  follow_ups: [ride-hailing-station, health-check]",
            "  sources: [003-01]\n  unsourced:\n    77个: 区总工会来电告知的数字，报道里没有\n  follow_ups: [ride-hailing-station, health-check]",
            1,
        )
    });
    let (problems, summary) = grounding_of(tmp.path());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(summary.marked, 2, "the shipped 西城区 and this one");

    // The figure leaves the answer; the mark stays behind: reported at its line.
    let text = edit(tmp.path(), "faq.yaml", |t| t.replacen("、流动驿站77个", "", 1));
    let (problems, _) = grounding_of(tmp.path());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, line_of(&text, "77个: 区总工会"), "{}", problems[0]);
    assert!(problems[0].message.contains("matches no claim"), "{}", problems[0]);
}

#[test]
fn a_station_service_the_articles_do_not_give_is_reported() {
    let tmp = knowledge_copy();
    let text = edit(tmp.path(), "stations.yaml", |t| {
        t.replacen("services: [阅读, 小憩]", "services: [阅读, 小憩, 免费洗车]", 1).replacen(
            "  expected_services: [歇脚, 饮水, 如厕, 充电]\n  serves: [快递员, 外卖员]",
            "  expected_services: [歇脚, 饮水, 如厕, 充电, 淋浴]\n  serves: [快递员, 外卖员]",
            1,
        )
    });
    let (problems, _) = grounding_of(tmp.path());
    let all: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 2, "{all:?}");
    assert!(all.iter().any(|s| s.contains("\"xidan-shared-reading\": services \"免费洗车\"")), "{all:?}");
    assert!(all.iter().any(|s| s.contains("\"zhuangli-xiaoge\": expected_services \"淋浴\"")), "{all:?}");
    assert!(problems.iter().any(|p| p.line == line_of(&text, "免费洗车")), "{all:?}");
    assert!(problems.iter().any(|p| p.line == line_of(&text, "充电, 淋浴")), "{all:?}");
}

#[test]
fn check_on_the_shipped_knowledge_has_no_errors_and_no_warnings() {
    let data = tempfile::tempdir().unwrap();
    let out = bin().args(["--data", data.path().to_str().unwrap(), "check"]).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout.lines().last(), Some("0 errors, 0 warnings"), "{stdout}");
    assert!(stdout.contains("grounding:") && stdout.contains("marked unsourced"), "{stdout}");

    // The same check sees a figure added to a copy, at its file:line.
    let tmp = knowledge_copy();
    let text = edit(tmp.path(), "faq.yaml", |t| t.replacen(HAIDIAN, "截至目前，海淀区已建设暖心驿站2394个、流动驿站77个、各类职工之家246家", 1));
    let out = bin().args(["--knowledge", tmp.path().to_str().unwrap(), "--data", data.path().to_str().unwrap(), "check"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let want = format!("faq.yaml:{}: warning: entry \"count-haidian\": figure \"77个\"", line_of(&text, "流动驿站77个"));
    assert!(stdout.lines().any(|l| l.contains(&want)), "no {want:?} in:\n{stdout}");
}

#[test]
fn expected_services_are_shown_as_what_stations_generally_offer() {
    let a = engine().answer("庄里小哥驿站在哪");
    let text = reply::plain(&a);
    assert!(text.contains("服务：报道没写这个站具体有什么。一般驿站提供歇脚、饮水、如厕、充电，具体请问12351。"), "{text}");
    assert!(!text.contains("服务：歇脚"), "{text}");
    assert_eq!(a.stations[0].expected_services, ["歇脚", "饮水", "如厕", "充电"]);
    assert!(a.stations[0].services.is_empty());
}

#[test]
fn a_station_whose_point_is_only_its_districts_gets_no_distance() {
    // A shared location in 经开区: its three stations share the district's point.
    let a = engine().nearby_at(39.7960, 116.5070, 12 * 60);
    let bda: Vec<_> = a.stations.iter().filter(|h| h.district == "北京经济技术开发区").collect();
    assert_eq!(bda.len(), 3, "{:?}", a.stations);
    for h in &bda {
        assert!(!h.locatable && h.distance_m.is_none(), "{h:?}");
    }
    let text = reply::plain(&a);
    assert!(text.contains("生物医药园工会服务站\n地址：北京经济技术开发区生物医药园内（报道未写门牌）（具体位置不详，不能算距离）"), "{text}");
    assert!(!text.contains("就在附近"), "{text}");
    // A station with a place for a point keeps its distance.
    let b = engine().nearby_at(40.3162, 116.6325, 12 * 60);
    assert!(b.stations[0].locatable && b.stations[0].distance_m.is_some(), "{:?}", b.stations[0]);
}
