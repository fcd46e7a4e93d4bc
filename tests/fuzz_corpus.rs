//! Every file of the committed fuzz corpora (`fuzz/corpus/<target>/`, made
//! small with `cargo fuzz cmin`) replayed through the same checks the fuzz
//! targets run (`union_bot::harness`), on the stable toolchain: what fuzzing
//! found stays found. The inputs that once crashed are in the corpora too,
//! and named in the regression tests below.

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join("corpus").join(target);
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = e.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} fails its target's checks", path.display());
        n += 1;
    }
    assert!(n >= 5, "{target}: only {n} corpus files in {}", dir.display());
}

#[test]
fn the_knowledge_yaml_corpus_replays() {
    replay("knowledge_yaml", union_bot::harness::knowledge_yaml);
}

#[test]
fn the_station_csv_corpus_replays() {
    replay("station_csv", union_bot::harness::station_csv);
}

#[test]
fn the_import_page_corpus_replays() {
    replay("import_page", union_bot::harness::import_page);
}

#[test]
fn the_redact_corpus_replays() {
    replay("redact", union_bot::harness::redact);
}

#[test]
fn the_answer_render_corpus_replays() {
    replay("answer_render", union_bot::harness::answer_render);
}

#[test]
fn the_telegram_update_corpus_replays() {
    replay("telegram_update", union_bot::harness::telegram::telegram_update);
}

/// What the fuzzers found, each named by the corpus file that holds it.
#[test]
fn the_inputs_that_crashed_stay_fixed() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join("corpus");
    let read = |target: &str, name: &str| std::fs::read(corpus.join(target).join(name)).unwrap();
    // A syntax error after carriage returns was reported beyond the file's last line.
    union_bot::harness::knowledge_yaml(&read("knowledge_yaml", "crash-668d2d8c1d00e19ffd3953674ed24cbdd4ad99cf"));
    // A phone number followed by an x survived redaction.
    union_bot::harness::redact(&read("redact", "crash-83d9622c6a3bdb8f37cf0906ebdec4abe0abaa1e"));
    // A photo story whose first sentence is punctuation only got an empty title.
    union_bot::harness::import_page(&read("import_page", "crash-918e5a1ed6cb1c57f0035335044858e8b43a653b"));
    // A byline alone ("本报讯(记者 刘欣欣)", nothing after it) was imported as an article without text.
    union_bot::harness::import_page(&read("import_page", "crash-98ccb89debeb9e0f980c75b33e15ef095e5f64a3"));
    // A mention entity reaching past the text made teloxide's parse_entities panic.
    union_bot::harness::telegram::telegram_update(&read("telegram_update", "crash-839a36bdef3d85a1992a4559cab4015bbaea337d"));
}
