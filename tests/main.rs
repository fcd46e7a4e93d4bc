//! The integration tests: one binary, one module per area. Everything runs on
//! the real parts: the real knowledge/ directory, the real jieba dictionary,
//! real tantivy indexes (in RAM or in a temporary data directory) and the
//! real `union-bot` binary.

mod common;

mod browser;
mod cli;
mod data_dir;
mod engine;
mod faults;
mod grounding;
mod fuzz_corpus;
mod journal;
mod knowledge;
mod reload;
mod repair;
mod soak;
mod telegram;
mod web;
