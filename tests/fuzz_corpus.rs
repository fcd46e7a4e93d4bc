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
