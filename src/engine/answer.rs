//! What the engine returns: an [`Answer`] says what happened (which entry,
//! article or stations answer, how sure the engine is, what else to offer),
//! never in words. Every sentence a worker reads is [`crate::reply`]'s.

use serde::Serialize;

use super::Ref;

/// What kind of reply this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Faq,
    Article,
    Station,
    Nearby,
    NeedLocation,
    OutsideBeijing,
    Greeting,
    /// Small talk (`synonyms.yaml`'s `small_talk`): thanks (谢谢, 多谢)…
    Thanks,
    /// … an acknowledgement (好的, 收到)…
    Okay,
    /// … or a goodbye (拜拜, 再见): a short warm reply and the menu.
    Goodbye,
    Fallback,
    /// Only emoji or symbols: nothing the engine can read.
    Empty,
    /// Nothing was written: blank, or punctuation only ("？？？").
    Blank,
}

impl Kind {
    /// The intent of an answer of this kind that is about no one reference
    /// (see [`Answer::intent`]); `None` for the kinds that are.
    fn fixed_intent(self) -> Option<&'static str> {
        match self {
            Kind::Nearby => Some("nearby"),
            Kind::NeedLocation => Some("need_location"),
            Kind::OutsideBeijing => Some("outside_beijing"),
            Kind::Greeting => Some("greeting"),
            Kind::Thanks => Some("thanks"),
            Kind::Okay => Some("okay"),
            Kind::Goodbye => Some("goodbye"),
            Kind::Blank => Some("blank"),
            Kind::Faq | Kind::Article | Kind::Station | Kind::Fallback | Kind::Empty => None,
        }
    }
}

/// What a cited source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A newspaper article: `title` is its title.
    #[default]
    Article,
    /// An imported list of stations: `title` is the list's file name.
    StationList,
}

impl SourceKind {
    fn is_article(&self) -> bool {
        *self == SourceKind::Article
    }
}

/// A cited source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    #[serde(skip_serializing_if = "SourceKind::is_article")]
    pub kind: SourceKind,
    pub title: String,
    pub path: String,
}

/// Something the worker may tap next: a FAQ entry, an article or a station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// The text form of a [`Ref`], which [`super::Engine::answer_ref`] answers.
    pub key: String,
    pub label: String,
}

impl Suggestion {
    pub fn new(to: &Ref, label: impl Into<String>) -> Suggestion {
        Suggestion { key: to.text(), label: label.into() }
    }

    /// [`Suggestion::new`] of FAQ entry `id`.
    pub(super) fn faq(id: &str, label: impl Into<String>) -> Suggestion {
        Suggestion { key: Ref::faq_text(id), label: label.into() }
    }
}

/// A station in a nearby answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationHit {
    pub id: String,
    pub name: String,
    pub address: String,
    pub district: String,
    pub distance_m: Option<f64>,
    pub lat: f64,
    pub lon: f64,
    pub hours: Option<String>,
    pub open_now: Option<bool>,
    pub services: Vec<String>,
    /// What a station of its kind is expected to offer, which the articles
    /// do not say of this one (shown as "一般驿站提供…").
    pub expected_services: Vec<String>,
    /// The coordinates are only district-level or area-level estimates.
    pub approximate: bool,
    /// The point may be used for a distance and a pin; when not (a
    /// district's representative point), `distance_m` is `None`.
    pub locatable: bool,
}

/// What the engine noticed about a list of stations, for the reply to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Note {
    /// No station within [`crate::geo::NEARBY_RADIUS_M`]: the nearest ones are listed.
    NoneWithinRadius,
    /// No station in the district asked about (named here): the nearest ones are listed.
    NoneInDistrict(String),
}

/// The engine's reply, before any rendering.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub kind: Kind,
    /// What the answer is: the text form of a [`Ref`] (a FAQ entry, an
    /// article, a station), or `nearby`, `need_location`, `outside_beijing`,
    /// `greeting`; `None` for fallbacks.
    pub intent: Option<String>,
    pub confident: bool,
    pub score: f32,
    /// A heading for the answer (entry topic, article title, station name).
    pub title: Option<String>,
    /// The answer's text, plain, paragraphs separated by '\n'.
    pub body: String,
    pub sources: Vec<Source>,
    /// Close alternatives ("您是想问…") or, in a fallback, the closest topics.
    pub suggestions: Vec<Suggestion>,
    /// Related entries a worker may want next.
    pub follow_ups: Vec<Suggestion>,
    pub stations: Vec<StationHit>,
    /// The place the stations were looked up around, when typed.
    pub place: Option<String>,
    /// What the reply must say above a station list.
    pub note: Option<Note>,
    /// The district the question was about, when it named a place (for /stats).
    pub district: Option<String>,
    /// What the next question of the same conversation may lean on (a
    /// station, a FAQ entry, an article, a district): pass it to
    /// [`super::Engine::answer_in_context`] with that question.
    pub context: Option<Ref>,
}

impl Answer {
    /// An answer of `kind` about `about` (a FAQ entry, an article, a station)
    /// or, for the other kinds, about nothing in particular.
    pub(super) fn new(kind: Kind, about: Option<Ref>) -> Answer {
        Answer {
            kind,
            intent: about.as_ref().map(Ref::text).or_else(|| kind.fixed_intent().map(str::to_string)),
            confident: false,
            score: 0.0,
            title: None,
            body: String::new(),
            sources: Vec::new(),
            suggestions: Vec::new(),
            follow_ups: Vec::new(),
            stations: Vec::new(),
            place: None,
            note: None,
            district: None,
            context: about,
        }
    }

    /// A confident answer that needs no scoring (a greeting, a station, a list of stations).
    pub(super) fn sure(kind: Kind, about: Option<Ref>) -> Answer {
        Answer { confident: true, score: 1.0, ..Answer::new(kind, about) }
    }

    /// Whether this is small talk (thanks, OK, goodbye).
    pub fn is_small_talk(&self) -> bool {
        matches!(self.kind, Kind::Thanks | Kind::Okay | Kind::Goodbye)
    }

    /// Whether this is an honest "I don't know" (the unanswered log records these).
    pub fn is_fallback(&self) -> bool {
        matches!(self.kind, Kind::Fallback | Kind::Empty)
    }
}
