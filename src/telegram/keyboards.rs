//! The bot's buttons: the persistent reply keyboard, the inline buttons under
//! an answer (close second answers, follow-ups, the other stations of a list)
//! and the map links under a station's pin. Labels come from [`crate::reply`];
//! callback data is the text form of an engine [`Ref`], checked against
//! Telegram's limit.

use teloxide::types::{ButtonRequest, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, KeyboardMarkup};

use crate::engine::{Answer, Kind, Ref, StationHit};
use crate::{geo, reply, text};

/// Telegram refuses callback data longer than this many bytes.
pub const CALLBACK_DATA_MAX: usize = 64;
/// Button labels are clipped to this many characters (phones show less).
const LABEL_MAX_CHARS: usize = 32;

/// The keyboard shown under the input field in private chats: share a
/// location (the phone asks first), and three common questions.
pub fn main_keyboard() -> KeyboardMarkup {
    KeyboardMarkup::new(vec![
        vec![KeyboardButton::new(reply::BUTTON_LOCATION).request(ButtonRequest::Location)],
        vec![KeyboardButton::new(reply::BUTTON_JOIN), KeyboardButton::new(reply::BUTTON_HOTLINE), KeyboardButton::new(reply::BUTTON_HELP)],
    ])
    .persistent()
    .resize_keyboard()
    .input_field_placeholder(reply::INPUT_PLACEHOLDER)
}

/// A button that asks the engine for `key`, or `None` (logged) when the key
/// would not fit in callback data.
pub fn callback(label: &str, key: &str) -> Option<InlineKeyboardButton> {
    if key.is_empty() || key.len() > CALLBACK_DATA_MAX {
        tracing::warn!(key, bytes = key.len(), "suggestion key does not fit in callback data; button left out");
        return None;
    }
    Some(InlineKeyboardButton::callback(text::clip(label, LABEL_MAX_CHARS), key))
}

/// The callback data of a vote: `v:u:<key>` or `v:d:<key>`, and the answer's
/// reference after another colon when it fits (a vote after a restart, when
/// the key is forgotten, still counts).
pub fn vote_data(vote: crate::feedback::Vote, key: &str, answer_ref: &str) -> String {
    let mut data = format!("v:{}:{key}", if vote == crate::feedback::Vote::Up { "u" } else { "d" });
    if data.len() + 1 + answer_ref.len() <= CALLBACK_DATA_MAX {
        data.push(':');
        data.push_str(answer_ref);
    }
    data
}

/// A vote's callback data read back: the vote, the key, the reference if sent.
pub fn parse_vote(data: &str) -> Option<(crate::feedback::Vote, &str, Option<&str>)> {
    let rest = data.strip_prefix("v:")?;
    let (vote, rest) = rest.split_once(':')?;
    let vote = crate::feedback::Vote::parse(vote)?;
    let (key, answer_ref) = match rest.split_once(':') {
        Some((k, r)) => (k, Some(r)),
        None => (rest, None),
    };
    Some((vote, key, answer_ref))
}

/// The inline buttons under an answer: "您是想问…" alternatives (or, for a
/// fallback, the closest topics), follow-ups, under a list of stations one
/// button per station after the first (whose pin is sent anyway), and with a
/// feedback key, 👍/👎 side by side.
pub fn answer_keyboard_voted(a: &Answer, vote_key: Option<&str>) -> Option<InlineKeyboardMarkup> {
    use crate::feedback::Vote;
    let mut rows = answer_keyboard(a).map(|k| k.inline_keyboard).unwrap_or_default();
    if let Some(key) = vote_key {
        let r = crate::feedback::answer_ref(a);
        let row: Vec<InlineKeyboardButton> = [(reply::BUTTON_HELPFUL, Vote::Up), (reply::BUTTON_NOT_HELPFUL, Vote::Down)]
            .into_iter()
            .filter_map(|(label, v)| callback(label, &vote_data(v, key, &r)))
            .collect();
        if !row.is_empty() {
            rows.push(row);
        }
    }
    (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
}

/// The inline buttons under an answer, without votes.
pub fn answer_keyboard(a: &Answer) -> Option<InlineKeyboardMarkup> {
    let mut keys: Vec<String> = Vec::new();
    let mut rows: Vec<Vec<InlineKeyboardButton>> = Vec::new();
    let mut add = |label: &str, key: String| {
        if !keys.contains(&key)
            && let Some(b) = callback(label, &key)
        {
            rows.push(vec![b]);
            keys.push(key);
        }
    };
    for s in a.suggestions.iter().chain(&a.follow_ups) {
        add(&s.label, s.key.clone());
    }
    if a.kind == Kind::Nearby {
        for h in a.stations.iter().skip(1) {
            add(&reply::station_button(&h.name), Ref::Station(h.id.clone()).to_string());
        }
    }
    (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
}

/// Links that open Amap and Baidu maps at a station (WGS-84 declared, see
/// [`geo::amap_url`]).
pub fn map_keyboard(h: &StationHit) -> Option<InlineKeyboardMarkup> {
    let links = [(reply::BUTTON_AMAP, geo::amap_url(h.lat, h.lon, &h.name)), (reply::BUTTON_BAIDU, geo::baidu_url(h.lat, h.lon, &h.name))];
    let row: Vec<InlineKeyboardButton> = links
        .into_iter()
        .filter_map(|(label, link)| match url::Url::parse(&link) {
            Ok(u) => Some(InlineKeyboardButton::url(label, u)),
            Err(e) => {
                tracing::warn!(error = %e, station = %h.id, "map link does not parse");
                None
            }
        })
        .collect();
    (!row.is_empty()).then(|| InlineKeyboardMarkup::new(vec![row]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_keys_are_left_out() {
        assert!(callback("入会", &Ref::Faq("join-how".into()).to_string()).is_some());
        assert!(callback("长", &Ref::Faq("x".repeat(61)).to_string()).is_none());
    }

    #[test]
    fn vote_data_fits_and_reads_back() {
        use crate::feedback::Vote;
        let d = vote_data(Vote::Down, "0123456789abcdef", "faq_join-how");
        assert_eq!(d, "v:d:0123456789abcdef:faq_join-how");
        assert_eq!(parse_vote(&d), Some((Vote::Down, "0123456789abcdef", Some("faq_join-how"))));
        let long = format!("faq_{}", "x".repeat(60));
        let d = vote_data(Vote::Up, "0123456789abcdef", &long);
        assert!(d.len() <= CALLBACK_DATA_MAX, "{d}");
        assert_eq!(parse_vote(&d), Some((Vote::Up, "0123456789abcdef", None)));
        assert_eq!(parse_vote("faq_join-how"), None);
    }

    #[test]
    fn the_location_button_asks_for_the_location() {
        let k = serde_json::to_value(main_keyboard()).unwrap();
        assert_eq!(k["keyboard"][0][0]["request_location"], true, "{k}");
        assert_eq!(k["keyboard"][0][0]["text"], reply::BUTTON_LOCATION);
        assert_eq!(k["is_persistent"], true);
    }
}
