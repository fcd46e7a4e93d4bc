//! union-bot (工会小助手) answers Beijing workers' questions about their trade
//! union's services, from a knowledge base an editor keeps in `knowledge/`.
//!
//! The architecture, from the bottom up:
//! - [`text`]: normalisation shared by everything that compares text;
//! - [`knowledge`]: loads and validates `faq.yaml`, `stations.yaml`,
//!   `places.yaml`, `synonyms.yaml` and `articles/*.md` (every problem with
//!   `file:line`), and splits newspaper pages into articles;
//! - [`search`]: the jieba analyzer shared with tantivy, and the article index
//!   on disk, rebuilt only when the knowledge's fingerprint changes;
//! - [`geo`]: distances, nearest stations, typed places, map links, Beijing time;
//! - [`engine`]: question in, sourced [`engine::Answer`] out: one file per
//!   step of the pipeline, every threshold in [`engine::Tuning`], references
//!   in one text form ([`engine::Ref`]); [`answer`] re-exports its answer
//!   types under their earlier path;
//! - [`reload`]: the live engine, swapped atomically when a good edit lands;
//! - [`reply`]: every sentence the bot says, and rendering to text or HTML;
//! - [`journal`]: unanswered questions and usage figures for the editors (no user ids);
//! - [`telegram`]: the Telegram channel, a thin adapter over the engine;
//! - [`web`]: the web channel (a mobile chat page and a JSON API), another;
//!   [`shared`] is what the channels of one process share, and [`serve`]
//!   runs every configured channel over it;
//!   [`feedback`] keeps the answers waiting for a 👍/👎; [`page_text`] says
//!   what the page says; [`qr`] makes QR codes for station posters;
//! - [`check`] and [`grounding`]: what `union-bot check` adds to loading: FAQ
//!   routing, and every figure and station text found in its cited articles;
//! - [`eval`]: the yardstick runner; [`bench`]: synthetic knowledge at city
//!   scale and timings, [`bench_http`] the HTTP load generator; [`sample`]: generated questions (the benchmark's mix,
//!   the unit tests' probes); [`cli`]: the command line.
//!
//! No module imports one that imports it (`scripts/module-cycles` checks).
//! The engine knows nothing of Telegram and says nothing in words; channels
//! are thin adapters over it, and [`reply`] says everything.

pub mod answer;
pub mod bench;
pub mod bench_http;
pub mod check;
pub mod cli;
pub mod config;
pub mod engine;
pub mod eval;
pub mod feedback;
pub mod geo;
pub mod grounding;
#[doc(hidden)]
pub mod harness;
pub mod journal;
pub mod kept;
pub mod knowledge;
pub mod memory;
pub mod messages;
pub mod page_text;
pub mod qr;
pub mod redact;
pub mod reload;
pub mod repair;
pub mod reply;
pub mod sample;
pub mod search;
pub mod serve;
pub mod shared;
pub mod telegram;
pub mod text;
pub mod web;

pub use engine::{Answer, Engine};
