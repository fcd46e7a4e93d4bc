//! See `union_bot::harness::station_csv`: the invariants live in the library, so
//! that `tests/fuzz_corpus.rs` replays this target's corpus through the
//! same code on the stable toolchain.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| union_bot::harness::station_csv(data));
