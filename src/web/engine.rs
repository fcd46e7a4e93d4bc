//! The adapter: the one file of the web channel that talks to the engine.
//! Everything else in `src/web/` sees [`Reply`], ready to serialise.
//!
//! What it relies on: `Engine::answer_at`, `Engine::nearby_at`,
//! `Engine::answer_to` (a [`Ref`]: a chip's key, an answer's reference), the
//! `Answer` fields, `reply::plain` and `reply::AnswerJson` (so that the API
//! gives the same fields as `ask --json`).
//!
//! An answer's reference is its intent: the text form of a [`Ref`]
//! (`faq_join-how`, `article_004-01`, `station_…`) or one of the fixed
//! intents (`nearby`, `outside_beijing`, …); `fallback` for a fallback.
//!
//! [`ask`] passes the `context` the client sent back (the previous answer's
//! reference, already read as a [`Ref`]) to `Engine::answer_in_context_at`;
//! the answer's own `context` (in [`AnswerJson`], as in `ask --json`) is
//! what the client sends back with its next question.

use serde::Serialize;

use crate::answer::{Answer, Kind, StationHit};
use crate::reply::AnswerJson;
use crate::engine::Ref;
use crate::reload::Live;
use crate::{geo, page_text, reply};

/// An answer as the API returns it: the fields of `ask --json`, and what a
/// page needs to show it (the text without the lines the page shows as
/// chips and cards, the source line, the chips, the station cards, the map
/// links), and the key for a vote (the reference to send back as context is
/// `AnswerJson`'s `context`).
#[derive(Serialize)]
pub struct Reply<'a> {
    #[serde(flatten)]
    pub json: AnswerJson<'a>,
    /// The answer's reference: its intent, or `fallback`.
    #[serde(rename = "ref")]
    pub answer_ref: String,
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
    /// What stations of its kind generally offer (not said of this one).
    pub expected_services: Vec<String>,
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

/// Reads a reference a client sent (a chip's key, a `context`): the text
/// form of a [`Ref`] (earlier spellings too); `None` when it is not one.
pub fn parse_ref(r: &str) -> Option<Ref> {
    r.parse().ok()
}

/// Answers a question; `context` is the previous answer's reference (see the module doc).
pub fn ask(live: &Live, question: &str, context: Option<&Ref>) -> Answer {
    live.engine().answer_in_context_at(question, context, geo::beijing_minute_now())
}

/// The stations nearest to a point.
pub fn nearby(live: &Live, lat: f64, lon: f64) -> Answer {
    live.engine().nearby_at(lat, lon, geo::beijing_minute_now())
}

/// The answer a tapped choice (a [`Ref`]) stands for; `None` when the
/// knowledge does not have it (any more).
pub fn by_ref(live: &Live, r: &Ref) -> Option<Answer> {
    live.engine().answer_to(r)
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
        expected_services: h.expected_services.clone(),
        approximate: h.approximate,
        amap: geo::amap_url(h.lat, h.lon, &h.name),
        baidu: geo::baidu_url(h.lat, h.lon, &h.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_read_as_refs() {
        assert_eq!(parse_ref("faq_join-how"), Some(Ref::Faq("join-how".into())));
        assert_eq!(parse_ref("f:join-how"), Some(Ref::Faq("join-how".into())), "an earlier spelling");
        assert_eq!(parse_ref("station_x_1"), Some(Ref::Station("x_1".into())));
        assert_eq!(parse_ref("nearby"), None);
        assert_eq!(parse_ref("faq_"), None);
        assert_eq!(parse_ref("faq_../etc"), None);
        assert_eq!(parse_ref(&format!("faq_{}", "x".repeat(80))), None);
    }
}
