//! The `union-bot` binary: ask, nearby, eval, check, index, import.

use std::io::Write;
use std::process::Stdio;

use union_bot::reply;

use crate::common::{bin, knowledge_copy, knowledge_dir};

fn run(args: &[&str], data: &std::path::Path) -> (i32, String, String) {
    let out = bin().args(["--knowledge", knowledge_dir().to_str().unwrap(), "--data", data.to_str().unwrap()]).args(args).output().expect("run");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn ask_json_has_the_documented_fields() {
    let data = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&["ask", "--json", "外卖小哥怎么加入工会？"], data.path());
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert!(v["answer"].as_str().unwrap().contains("i会员"), "{v}");
    assert_eq!(v["confident"], true);
    assert!(v["intent"].as_str().unwrap().starts_with("faq_"));
    let sources = v["sources"].as_array().unwrap();
    assert!(!sources.is_empty() && sources[0]["title"].is_string() && sources[0]["path"].is_string(), "{v}");
    assert!(v["suggestions"].is_array() && v["stations"].is_array());
}

#[test]
fn ask_json_reads_questions_from_stdin() {
    let data = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args(["--knowledge", knowledge_dir().to_str().unwrap(), "--data", data.path().to_str().unwrap(), "ask", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all("工会电话多少\n帮我点一份外卖\n\n".as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0]["answer"].as_str().unwrap().contains("12351"));
    assert_eq!(lines[1]["confident"], false);
    assert!(lines[1]["intent"].is_null());
    assert_eq!(lines[2]["kind"], "blank", "an empty line is not a question: {}", lines[2]);
    assert!(lines[2]["answer"].as_str().unwrap().starts_with(reply::blank_question()), "{}", lines[2]);
}

#[test]
fn an_empty_question_gets_its_own_prompt_and_the_menu() {
    let data = tempfile::tempdir().unwrap();
    for q in ["", "   ", "？？？！！！"] {
        let (code, out, err) = run(&["ask", q], data.path());
        assert_eq!(code, 0, "{q:?}: {err}");
        assert!(out.starts_with(reply::blank_question()), "{q:?}: {out}");
        assert!(out.contains("您可以试试问："), "the menu of topics: {out}");
        assert!(!out.contains("只看得懂文字和位置"), "not the reply for stickers and emoji: {out}");
    }
    // Emoji alone are something sent, not nothing: the reply for what it cannot read.
    let (_, out, _) = run(&["ask", "😀😀😀"], data.path());
    assert!(out.starts_with(reply::empty_question()), "{out}");
}

#[test]
fn nearby_json_lists_stations_with_distance_and_coordinates() {
    let data = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&["nearby", "--json", "40.3162", "116.6325"], data.path());
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let s = &v["stations"][0];
    assert!(s["name"].as_str().unwrap().contains("富商"), "{v}");
    for field in ["address", "distance_m", "lat", "lon", "hours"] {
        assert!(!s[field].is_null(), "missing {field}: {s}");
    }
    let (code, out, _) = run(&["nearby", "31.23", "121.47"], data.path());
    assert_eq!(code, 0);
    assert!(out.contains("不在北京"), "{out}");
}

#[test]
fn nearby_refuses_what_is_no_point_on_earth() {
    let data = tempfile::tempdir().unwrap();
    for args in [["999", "999"], ["NaN", "inf"], ["-91", "116.4"], ["39.9", "-180.5"]] {
        let (code, out, err) = run(&["nearby", args[0], args[1]], data.path());
        assert_eq!(code, 2, "{args:?} is a usage error: {out}{err}");
        assert!(out.is_empty(), "no answer: {out}");
        assert!(err.starts_with("error: ") && err.contains("no such point") && err.contains("latitude"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let (code, _, err) = run(&["nearby", "116.39", "39.90"], data.path());
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `union-bot nearby 39.9 116.39`?"), "the swapped order as a hint: {err}");
    // A real point outside Beijing is the bot's reply, not an error.
    let (code, out, _) = run(&["nearby", "-33.86", "151.21"], data.path());
    assert_eq!(code, 0);
    assert!(out.contains("不在北京"), "{out}");
}

#[test]
fn hours_lines_show_hours_not_article_prose() {
    let data = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&["ask", "我在望京，附近有驿站吗"], data.path());
    assert_eq!(code, 0, "{err}");
    let hours: Vec<&str> = out.lines().filter(|l| l.starts_with("开放时间：")).collect();
    assert!(!hours.is_empty(), "{out}");
    for l in &hours {
        let shown = l.trim_start_matches("开放时间：");
        assert!(shown.starts_with("24小时") || shown.starts_with("报道未写明") || shown.as_bytes()[0].is_ascii_digit(), "not hours: {l}\n{out}");
    }
    assert!(!out.contains("之后的第二座"), "article prose in an hours line:\n{out}");
}

#[test]
fn eval_reports_failures_and_the_closing_line() {
    let data = tempfile::tempdir().unwrap();
    let set = data.path().join("set.yaml");
    std::fs::write(&set, "- q: 工会服务热线是多少？\n  any: [\"12351\"]\n- q: 怎么加入工会？\n  any: [\"这句话不会出现\"]\n- q: 给我讲个笑话\n  fallback: true\n").unwrap();
    let (code, out, _) = run(&["eval", set.to_str().unwrap()], data.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL 怎么加入工会？"), "{out}");
    assert!(out.contains("expected: any of [\"这句话不会出现\"]"), "{out}");
    assert_eq!(out.lines().last(), Some("2 passed, 1 failed"));
    let (code, _, _) = run(&["eval", set.to_str().unwrap(), "--min-pass", "0.6"], data.path());
    assert_eq!(code, 0, "2/3 meets --min-pass 0.6");
}

#[test]
fn check_passes_on_the_committed_knowledge_and_fails_with_file_and_line() {
    let data = tempfile::tempdir().unwrap();
    let (code, out, _) = run(&["check"], data.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 errors"), "{out}");

    let tmp = knowledge_copy();
    let faq = tmp.path().join("faq.yaml");
    let text = std::fs::read_to_string(&faq).unwrap();
    std::fs::write(&faq, text.replacen("- id: hotline\n", "- id: join-how\n", 1)).unwrap();
    let out = bin().args(["--knowledge", tmp.path().to_str().unwrap(), "check"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.lines().any(|l| l.contains("faq.yaml:") && l.contains("duplicate id \"join-how\"")), "{stdout}");
}

#[test]
fn check_reports_a_wording_routed_to_another_entry() {
    let tmp = knowledge_copy();
    let faq = tmp.path().join("faq.yaml");
    let text = std::fs::read_to_string(&faq).unwrap();
    // Give the haircut entry a wording that plainly asks for the hotline.
    let text = text.replacen("- id: haircut\n  topic: 经开区免费理发\n  questions:\n", "- id: haircut\n  topic: 经开区免费理发\n  questions:\n    - 工会服务热线电话号码是多少\n", 1);
    assert!(text.contains("工会服务热线电话号码是多少"), "the haircut entry's layout changed; update this test");
    std::fs::write(&faq, text).unwrap();
    let out = bin().args(["--knowledge", tmp.path().to_str().unwrap(), "check"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.contains("faq.yaml:") && l.contains("\"haircut\"") && l.contains("\"hotline\"")),
        "no routing error naming both entries:\n{stdout}"
    );
}

#[test]
fn the_index_is_built_once_and_rebuilt_when_knowledge_changes() {
    let data = tempfile::tempdir().unwrap();
    let tmp = knowledge_copy();
    let ask = |k: &std::path::Path| {
        let out = bin()
            .env("RUST_LOG", "info")
            .args(["--knowledge", k.to_str().unwrap(), "--data", data.path().to_str().unwrap(), "ask", "怎么入会"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(ask(tmp.path()).contains("built the article index"), "first run builds");
    assert!(!ask(tmp.path()).contains("built the article index"), "second run reuses");
    let art = tmp.path().join("articles/000-02.md");
    let text = std::fs::read_to_string(&art).unwrap();
    std::fs::write(&art, text.replace("春节前夕", "春节前")).unwrap();
    assert!(ask(tmp.path()).contains("built the article index"), "an edited article rebuilds");
    let dirs: Vec<_> = std::fs::read_dir(data.path()).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().starts_with("index-")).collect();
    assert_eq!(dirs.len(), 1, "the old index is removed");
}

#[test]
fn index_command_builds_into_the_data_directory() {
    let data = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&["index"], data.path());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("27 articles"), "{out}");
}

#[test]
fn import_splits_a_page_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let page = crate::common::shared_dir().join("seeds").join("004_7b22422eec2801af.txt");
    let k = tmp.path().join("k");
    let go = |extra: &[&str]| bin().args(["--knowledge", k.to_str().unwrap(), "import", page.to_str().unwrap()]).args(extra).output().unwrap();
    let dry = go(&["--dry-run"]);
    let said = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(dry.status.success(), "{said}");
    assert!(said.contains("paragraphs,") && said.lines().last().unwrap().contains("the real run would write 5 articles"), "{said}");
    assert!(!k.join("articles").exists(), "--dry-run writes nothing");
    let out = go(&[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let files = std::fs::read_dir(k.join("articles")).unwrap().count();
    assert_eq!(files, 5);
    // The dry run says what the real run then does: refuse.
    let dry = go(&["--dry-run"]);
    let said = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert_eq!(dry.status.code(), Some(1), "{said}");
    assert!(said.contains("exists already") && said.contains("would write nothing") && said.contains("--force"), "{said}");
    let again = go(&[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let dry = go(&["--dry-run", "--force"]);
    assert!(dry.status.success());
    assert!(String::from_utf8_lossy(&dry.stdout).contains("replacing"), "{}", String::from_utf8_lossy(&dry.stdout));
    assert!(go(&["--force"]).status.success());
}

#[test]
fn missing_knowledge_is_a_clear_error_not_a_panic() {
    let data = tempfile::tempdir().unwrap();
    let out = bin().args(["--knowledge", "/nonexistent/knowledge", "--data", data.path().to_str().unwrap(), "ask", "怎么入会"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: ") && err.contains("knowledge"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn import_stations_counts_every_row_and_the_result_checks_and_answers() {
    let tmp = knowledge_copy();
    let csv = tmp.path().join("list.csv");
    std::fs::write(
        &csv,
        "名称,所属区,地址,纬度,经度,开放时间,服务内容\n\
         西直门暖心驿站,西城区,西直门外大街1号,39.9406,116.3551,8:00-20:00,喝水、休息、充电\n\
         ,西城区,没有名字,39.94,116.35,,\n\
         坐标坏了,西城区,某路,北纬39,116.35,,\n\
         上海的站,外地,南京路,31.23,121.47,,\n\
         西直门暖心驿站,西城区,西直门外大街1号,39.9406,116.3551,,\n\
         \"德胜门驿站, 二号\",西城区,\"德胜门, 东侧\",39.9476,116.3795,24小时,热水\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        bin().args(["--knowledge", tmp.path().to_str().unwrap(), "import-stations", csv.to_str().unwrap()]).args(extra).output().unwrap()
    };
    let dry = run(&["--dry-run"]);
    let out = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(out.contains("6 rows: 2 would be imported, 3 refused, 1 duplicate (dry run: nothing written)"), "{out}");
    let rows: Vec<&str> = out.lines().filter(|l| l.contains("list.csv:")).collect();
    let expected = [":2: would be imported: \"西直门暖心驿站\"", ":3: refused", ":4: refused", ":5: refused", ":6: duplicate", ":7: would be imported: \"德胜门驿站, 二号\""];
    assert_eq!(rows.len(), expected.len(), "every row once, in the file's order: {out}");
    for (row, want) in rows.iter().zip(expected) {
        assert!(row.contains(want), "{want} expected, got {row}: {out}");
    }
    assert_eq!(dry.status.code(), Some(0), "a dry run that would import exits 0");
    let before = std::fs::read_to_string(tmp.path().join("stations.yaml")).unwrap();
    assert!(!before.contains("西直门暖心驿站"), "--dry-run writes nothing");

    let real = run(&[]);
    let out = String::from_utf8_lossy(&real.stdout).into_owned();
    assert!(out.contains(":2: imported: \"西直门暖心驿站\"") && out.contains("appended 2 stations"), "{out}");
    assert_eq!(real.status.code(), Some(1), "refused rows make the real run's exit code 1");
    let check = bin().args(["--knowledge", tmp.path().to_str().unwrap(), "check"]).output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    let data = tempfile::tempdir().unwrap();
    let near = bin()
        .args(["--knowledge", tmp.path().to_str().unwrap(), "--data", data.path().to_str().unwrap(), "nearby", "--json", "39.9405", "116.3550"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&near.stdout).unwrap();
    assert_eq!(v["stations"][0]["name"], "西直门暖心驿站", "{v}");
    assert!(v["answer"].as_str().unwrap().contains("工会驿站名录（list.csv）"), "the list is cited: {v}");
    // Importing the same file again adds nothing: every row is a duplicate now.
    let again = run(&["--dry-run"]);
    let said = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(said.contains("0 would be imported, 3 refused, 3 duplicates"), "{said}");
    assert_eq!(again.status.code(), Some(1), "nothing to import and rows refused: {said}");
}

#[test]
fn eleven_thousand_imported_stations_load_check_and_answer() {
    let tmp = knowledge_copy();
    let csv = tmp.path().join("beijing.csv");
    let mut text = String::from("name,district,address,lat,lon,hours,services\n");
    // A deterministic spread over the built-up part of Beijing.
    let mut x: u64 = 42;
    for i in 0..11_000 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let lat = 39.75 + (x >> 33) as f64 / (1u64 << 31) as f64 * 0.35;
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let lon = 116.15 + (x >> 33) as f64 / (1u64 << 31) as f64 * 0.55;
        text.push_str(&format!("驿站{i},朝阳区,测试路{i}号,{lat:.5},{lon:.5},09:00-18:00,喝水\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let out = bin().args(["--knowledge", tmp.path().to_str().unwrap(), "import-stations", csv.to_str().unwrap()]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("11000 rows: 11000 imported, 0 refused, 0 duplicates"), "{}", stdout.lines().last().unwrap_or_default());
    let check = bin().args(["--knowledge", tmp.path().to_str().unwrap(), "check"]).output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    let data = tempfile::tempdir().unwrap();
    let near = bin()
        .args(["--knowledge", tmp.path().to_str().unwrap(), "--data", data.path().to_str().unwrap(), "nearby", "--json", "39.9", "116.4"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&near.stdout).unwrap();
    let d: Vec<f64> = v["stations"].as_array().unwrap().iter().map(|s| s["distance_m"].as_f64().unwrap()).collect();
    assert_eq!(d.len(), 5);
    assert!(d.windows(2).all(|w| w[0] <= w[1]) && d[4] < 1_500.0, "{d:?}");
}

#[test]
fn report_lists_unanswered_questions_grouped_without_user_ids() {
    let data = tempfile::tempdir().unwrap();
    let journal = union_bot::journal::Journal::open(data.path()).unwrap();
    let engine = crate::common::engine();
    for q in ["怎么考公务员", "公务员怎么考", "怎么考公务员？", "股票怎么买", "怎么入会"] {
        journal.record(q, &engine.answer(q));
    }
    let (code, out, _) = run(&["report"], data.path());
    assert_eq!(code, 0);
    assert!(out.contains("1. 怎么考公务员（3次"), "{out}");
    assert!(out.contains("股票怎么买（1次"), "{out}");
    assert!(!out.contains("怎么入会（"), "answered questions are not listed: {out}");
    assert!(out.contains("今天（北京时间）：5 次提问"), "{out}");
    let raw = std::fs::read_to_string(data.path().join("unanswered.jsonl")).unwrap();
    assert!(!raw.contains("user") && !raw.contains("chat"), "{raw}");
}

#[test]
fn help_describes_the_arguments_readme_names() {
    let help = |cmd: &str| String::from_utf8_lossy(&bin().args([cmd, "--help"]).output().unwrap().stdout).into_owned();
    let ask = help("ask");
    assert!(ask.contains("[QUESTION]") && ask.contains("The question as a worker would type it"), "{ask}");
    assert!(ask.contains("--json") && ask.contains("one JSON object per question"), "{ask}");
    assert!(ask.contains("Not journaled"), "{ask}");
    let eval = help("eval");
    assert!(eval.contains("../shared/eval/README.md") && eval.contains("--verbose"), "{eval}");
    let nearby = help("nearby");
    assert!(nearby.contains("Latitude, WGS-84") && nearby.contains("Longitude, WGS-84"), "{nearby}");
}
