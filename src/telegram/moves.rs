//! Live locations: Telegram sends a moving worker's position as an edit of
//! the same message every few seconds. Answering each would flood the chat, so
//! a new position is answered only when the worker has moved more than
//! [`MIN_MOVE_M`] since the last answer *and* the nearest station changed:
//! otherwise the list would say the same thing again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::geo;

/// How far (metres) a worker moves before a live location is answered again.
pub const MIN_MOVE_M: f64 = 500.0;
/// Tracks not heard of for this long are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(6 * 3600);
const PRUNE_ABOVE: usize = 10_000;

/// Whose live location: (chat id, user id). Kept in memory only, never logged.
pub type Key = (i64, u64);

struct Track {
    lat: f64,
    lon: f64,
    nearest: Option<String>,
    heard: Instant,
}

/// The last answered position of each live location.
#[derive(Default)]
pub struct Moves {
    tracks: Mutex<HashMap<Key, Track>>,
}

impl Moves {
    /// Remembers the position just answered and the nearest station named.
    pub fn answered(&self, key: Key, lat: f64, lon: f64, nearest: Option<&str>, now: Instant) {
        let mut tracks = self.lock();
        if tracks.len() > PRUNE_ABOVE {
            tracks.retain(|_, t| now.saturating_duration_since(t.heard) < FORGET_AFTER);
        }
        tracks.insert(key, Track { lat, lon, nearest: nearest.map(str::to_string), heard: now });
    }

    /// Whether a new position deserves a new answer. An untracked live
    /// location (the bot restarted, or it was never answered) is news only
    /// when `news_if_untracked`.
    pub fn is_news(&self, key: Key, lat: f64, lon: f64, nearest: Option<&str>, news_if_untracked: bool, now: Instant) -> bool {
        let mut tracks = self.lock();
        match tracks.get_mut(&key) {
            None => news_if_untracked,
            Some(t) => {
                t.heard = now;
                geo::haversine_m(t.lat, t.lon, lat, lon) > MIN_MOVE_M && t.nearest.as_deref() != nearest
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Track>> {
        match self.tracks.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FUSHANG: (f64, f64) = (40.3162, 116.6325);

    #[test]
    fn small_moves_and_same_station_are_not_news() {
        let m = Moves::default();
        let now = Instant::now();
        m.answered((1, 1), FUSHANG.0, FUSHANG.1, Some("huairou-fushang"), now);
        // 100 m north: no.
        assert!(!m.is_news((1, 1), FUSHANG.0 + 0.0009, FUSHANG.1, Some("huairou-fushang"), true, now));
        // 2 km away but the same nearest station: no.
        assert!(!m.is_news((1, 1), FUSHANG.0 + 0.018, FUSHANG.1, Some("huairou-fushang"), true, now));
        // 2 km away and another station is nearest: yes.
        assert!(m.is_news((1, 1), FUSHANG.0 + 0.018, FUSHANG.1, Some("other"), true, now));
        // Another chat's live location is tracked apart.
        assert!(!m.is_news((2, 1), FUSHANG.0, FUSHANG.1, None, false, now));
        assert!(m.is_news((2, 1), FUSHANG.0, FUSHANG.1, None, true, now));
    }

    #[test]
    fn news_is_measured_from_the_last_answer() {
        let m = Moves::default();
        let now = Instant::now();
        m.answered((1, 1), FUSHANG.0, FUSHANG.1, Some("a"), now);
        // Creeping 300 m at a time never adds up unless answered.
        for i in 1..=3 {
            let lat = FUSHANG.0 + 0.0027 * i as f64;
            let news = m.is_news((1, 1), lat, FUSHANG.1, Some("b"), false, now);
            assert_eq!(news, i >= 2, "step {i}");
        }
    }
}
