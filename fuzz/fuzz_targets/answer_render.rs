//! The normalise → answer → render path on arbitrary input: the engine
//! (normalising the question first) over the real knowledge, then the
//! Telegram HTML renderer. It must not panic, and every part must be
//! non-empty, fit in one Telegram message and keep its tags balanced.
//! (The proptest in tests/faults.rs checks the parts with the fake Bot API's
//! full HTML parser.)
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use union_bot::Engine;
use union_bot::knowledge::Knowledge;
use union_bot::reply;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("knowledge");
        let (knowledge, _warnings) = Knowledge::load(&dir).expect("the committed knowledge loads");
        Engine::in_ram(knowledge).expect("the engine builds")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(question) = std::str::from_utf8(data) else { return };
    if question.chars().count() > 10_000 {
        return;
    }
    let answer = engine().answer(question);
    let parts = reply::html(&answer);
    assert!(!parts.is_empty(), "no reply");
    for part in &parts {
        assert!(!part.trim().is_empty(), "an empty part");
        assert!(reply::telegram_len(part) <= reply::TELEGRAM_LIMIT, "a part over the limit");
        assert_eq!(part.matches("<b>").count(), part.matches("</b>").count(), "unbalanced <b> in {part:?}");
        assert_eq!(part.matches("<a ").count(), part.matches("</a>").count(), "unbalanced <a> in {part:?}");
        assert!(!part.contains('>') || part.matches('>').count() == part.matches('<').count(), "a bare > in {part:?}");
    }
});
