//! See `union_bot::harness::telegram`: any bytes as a Telegram update's JSON,
//! through the channel's real handling, every request it would send checked
//! as Telegram checks it. The invariants live in the library, so that
//! `tests/fuzz_corpus.rs` replays this target's corpus on the stable toolchain.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| union_bot::harness::telegram::telegram_update(data));
