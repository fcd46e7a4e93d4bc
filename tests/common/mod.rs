//! Fixtures shared by the integration tests.
#![allow(dead_code)]

pub mod bot;
pub mod fake_telegram;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use union_bot::Engine;
use union_bot::knowledge::Knowledge;

/// The project's knowledge directory.
pub fn knowledge_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

/// The shared folder beside the checkout (seed pages, the yardstick).
pub fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("shared")
}

/// One engine over the real knowledge, index in RAM, built once per test run.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let (knowledge, _warnings) = Knowledge::load(&knowledge_dir()).expect("the committed knowledge loads");
        Engine::in_ram(knowledge).expect("the engine builds")
    })
}

/// A copy of the knowledge directory in a temporary directory, to edit freely.
pub fn knowledge_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    copy_dir(&knowledge_dir(), tmp.path());
    tmp
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("dir entry");
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy file");
        }
    }
}

/// The `union-bot` binary built for this test run.
pub fn bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_union-bot"));
    c.env_remove("KNOWLEDGE_DIR").env_remove("DATA_DIR").env_remove("TELOXIDE_TOKEN").env("RUST_LOG", "warn");
    c
}
