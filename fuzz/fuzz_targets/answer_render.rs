//! See `union_bot::harness::answer_render`: the normalise → answer → render
//! path on any text, over the committed knowledge; every part must be
//! non-empty, fit in one Telegram message and be HTML the Bot API accepts.
//! The invariants live in the library, so that `tests/fuzz_corpus.rs`
//! replays this target's corpus through the same code on the stable toolchain.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| union_bot::harness::answer_render(data));
