//! The adapter: the one file of the web channel that talks to the engine.
//! Everything else in `src/web/` sees [`Reply`], ready to serialise.
//!
//! What it relies on: `Engine::answer_at`, `Engine::nearby_at`,
//! `Engine::answer_ref` (a suggestion key, `f:`/`a:`/`s:`), the `Answer`
//! fields, `reply::document`/`plain` and `cli::AnswerJson` (so that the API
//! gives the same fields as `ask --json`).
//!
//! Two seams for what the engine does not do yet:
//! - references: an answer's reference is its intent (`faq:join-how`,
//!   `article:004-01`, `station:…`, `nearby`, …; `fallback` for a fallback);
//!   [`key_of_ref`] turns one into the key `answer_ref` takes. Once the engine
//!   has one typed `Ref` with one text form, both collapse into it.
//! - context: [`ask`] takes the `context` the client sent back (the previous
//!   answer's reference) and passes it on to nobody: the engine answers each
//!   question on its own until it resolves follow-ups (issue 11). That is the
//!   one line to change: `engine.answer_at(q, minute)` →
//!   `engine.answer_in_context(q, context, minute)` or whatever it becomes.

use serde::Serialize;

use crate::answer::{Answer, Kind, StationHit};
use crate::cli::AnswerJson;
use crate::reload::Live;
use crate::{geo, page_text, reply};

/// An answer as the API returns it: the fields of `ask --json`, and what a
/// page needs to show it (the text without the lines the page shows as
/// chips and cards, the source line, the chips, the station cards, the map
/// links), the reference to send back as context, and the key for a vote.
#[derive(Serialize)]
pub struct Reply<'a> {
    #[serde(flatten)]
    pub json: AnswerJson<'a>,
    /// The answer's reference: its intent, or `fallback`.
    #[serde(rename = "ref")]
    pub answer_ref: String,
    /// Send this back as `context` with the next question.
    pub context: String,
    /// The key for `POST /api/v1/feedback` (valid for the recent answers).
    pub feedback_key: String,
    pub display: Display,
    pub chips: Vec<Chip>,
    pub cards: Vec<Card>,
}

/// The answer as a chat bubble shows it.
#[derive(Serialize)]
pub struct Display {
    /// The answer's text, without the 来源 line and the choices.
    pub text: String,
    /// The 来源 line ("来源：《…》"), empty when the answer cites nothing.
    pub source: String,
}

/// A choice to tap: answered by `GET /api/v1/answer/{key}`.
#[derive(Serialize)]
pub struct Chip {
    pub key: String,
    pub label: String,
    /// `suggestion` (您是不是想问 / closest topics) or `follow_up` (相关问题).
    pub kind: &'static str,
}

/// A station as a card shows it.
#[derive(Serialize)]
pub struct Card {
    pub id: String,
    pub name: String,
    /// "350米", "2.1公里", "就在附近"; empty when no distance is known.
    pub distance: String,
    pub address: String,
    pub hours: Option<String>,
    pub open_now: Option<bool>,
    pub services: Vec<String>,
    pub approximate: bool,
    /// Amap and Baidu links that open at the station (WGS-84 declared).
    pub amap: String,
    pub baidu: String,
}

/// The reference of an answer: what a vote is about and what the client
/// sends back as context.
pub fn ref_of(a: &Answer) -> String {
    crate::feedback::answer_ref(a)
}

/// The engine key for a reference, as `answer_ref` takes it: the keys
/// themselves (`f:x`, `a:x`, `s:x`) and the intents (`faq:x`, `article:x`, `station:x`).
pub fn key_of_ref(r: &str) -> Option<String> {
    let (kind, id) = r.split_once(':')?;
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.') {
        return None;
    }
    let short = match kind {
        "f" | "faq" => "f",
        "a" | "article" => "a",
        "s" | "station" => "s",
        _ => return None,
    };
    Some(format!("{short}:{id}"))
}

/// Answers a question. `context` is accepted and not used yet (see the module doc).
pub fn ask(live: &Live, question: &str, context: Option<&str>) -> Answer {
    let _ = context; // issue 11: pass it to the engine once it resolves follow-ups.
    live.engine().answer_at(question, geo::beijing_minute_now())
}

/// The stations nearest to a point.
pub fn nearby(live: &Live, lat: f64, lon: f64) -> Answer {
    live.engine().nearby_at(lat, lon, geo::beijing_minute_now())
}

/// The answer a tapped choice (a key or an intent) stands for.
pub fn by_ref(live: &Live, r: &str) -> Option<Answer> {
    let key = key_of_ref(r)?;
    live.engine().answer_ref(&key)
}

/// How many FAQ entries, stations and articles the serving engine has, and
/// its knowledge's fingerprint (for /readyz and /metrics).
pub fn knowledge_figures(live: &Live) -> (usize, usize, usize, u64) {
    let e = live.engine();
    let k = &e.knowledge;
    (k.faq.len(), k.stations.len(), k.articles.len(), k.fingerprint)
}

impl<'a> Reply<'a> {
    pub fn new(question: Option<&'a str>, a: &'a Answer, feedback_key: String) -> Reply<'a> {
        let answer_ref = ref_of(a);
        Reply {
            json: AnswerJson::new(question, a),
            context: answer_ref.clone(),
            answer_ref,
            feedback_key,
            display: display(a),
            chips: a
                .suggestions
                .iter()
                .map(|s| (s, "suggestion"))
                .chain(a.follow_ups.iter().map(|s| (s, "follow_up")))
                .map(|(s, kind)| Chip { key: s.key.clone(), label: s.label.clone(), kind })
                .collect(),
            cards: a.stations.iter().map(card).collect(),
        }
    }
}

/// The bubble's text: the reply as the bot writes it, less what the page
/// shows otherwise (sources, choices; for station answers, the stations).
fn display(a: &Answer) -> Display {
    let mut bare = a.clone();
    bare.sources.clear();
    bare.suggestions.clear();
    bare.follow_ups.clear();
    if matches!(a.kind, Kind::Nearby | Kind::Station) {
        bare.stations.clear();
    }
    let titles: Vec<String> = a.sources.iter().map(|s| s.title.clone()).collect();
    Display {
        text: reply::plain(&bare),
        source: if titles.is_empty() { String::new() } else { page_text::source_line(&titles) },
    }
}

fn card(h: &StationHit) -> Card {
    let distance = match h.distance_m {
        Some(m) if m < 100.0 => page_text::get("nearby_here").to_string(),
        Some(m) => geo::format_distance(m),
        None => String::new(),
    };
    Card {
        id: h.id.clone(),
        name: h.name.clone(),
        distance,
        address: h.address.clone(),
        hours: h.hours.clone(),
        open_now: h.open_now,
        services: h.services.clone(),
        approximate: h.approximate,
        amap: geo::amap_url(h.lat, h.lon, &h.name),
        baidu: geo::baidu_url(h.lat, h.lon, &h.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_become_keys() {
        assert_eq!(key_of_ref("faq:join-how").as_deref(), Some("f:join-how"));
        assert_eq!(key_of_ref("f:join-how").as_deref(), Some("f:join-how"));
        assert_eq!(key_of_ref("station:x_1").as_deref(), Some("s:x_1"));
        assert_eq!(key_of_ref("nearby"), None);
        assert_eq!(key_of_ref("f:"), None);
        assert_eq!(key_of_ref("f:../etc"), None);
    }
}
