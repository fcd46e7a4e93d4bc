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
//! - [`answer`]: the engine, question in, sourced [`answer::Answer`] out;
//! - [`reload`]: the live engine, swapped atomically when a good edit lands;
//! - [`reply`]: every sentence the bot says, and rendering to text or HTML;
//! - [`journal`]: unanswered questions and usage figures for the editors (no user ids);
//! - [`telegram`]: the Telegram channel, a thin adapter over the engine;
//! - [`web`]: the web channel (a mobile chat page and a JSON API), another;
//!   [`serve`] runs every configured channel over one engine and watcher;
//!   [`feedback`] keeps the answers waiting for a 👍/👎; [`page_text`] says
//!   what the page says; [`qr`] makes QR codes for station posters;
//! - [`eval`]: the yardstick runner; [`bench`]: benchmark questions, synthetic
//!   knowledge at city scale and timings; [`cli`]: the command line.
//!
//! The engine knows nothing of Telegram; channels are thin adapters over it.

pub mod answer;
pub mod bench;
pub mod check;
pub mod cli;
pub mod config;
pub mod eval;
pub mod feedback;
pub mod geo;
pub mod journal;
pub mod knowledge;
pub mod page_text;
pub mod qr;
pub mod reload;
pub mod reply;
pub mod search;
pub mod serve;
pub mod telegram;
pub mod text;
pub mod web;

pub use answer::{Answer, Engine};
