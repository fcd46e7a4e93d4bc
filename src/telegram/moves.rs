//! Live locations: Telegram sends a moving worker's position as an edit of
//! the same message every few seconds. Answering each would flood the chat, so
//! a new position is answered only when the worker has moved more than
//! [`MIN_MOVE_M`] since the last answer *and* the nearest station changed:
//! otherwise the list would say the same thing again.
//!
//! A track not heard of for [`FORGET_AFTER`] is forgotten: at most once a
//! [`SWEEP_EVERY`], the table drops those, so it holds only the live
//! locations of the last hours (and a pass over it costs nothing per edit).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::geo;

/// How far (metres) a worker moves before a live location is answered again.
pub const MIN_MOVE_M: f64 = 500.0;
/// Tracks not heard of for this long are forgotten.
pub const FORGET_AFTER: Duration = Duration::from_secs(6 * 3600);
/// How often the forgotten tracks are dropped.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

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
    tracks: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    tracks: HashMap<Key, Track>,
    /// When the forgotten tracks are next dropped (`None`: at the first answer).
    next_sweep: Option<Instant>,
}

impl Moves {
    /// Remembers the position just answered and the nearest station named.
    pub fn answered(&self, key: Key, lat: f64, lon: f64, nearest: Option<&str>, now: Instant) {
        let mut table = self.lock();
        if table.next_sweep.is_none_or(|at| now >= at) {
            table.tracks.retain(|_, t| now.saturating_duration_since(t.heard) < FORGET_AFTER);
            table.next_sweep = now.checked_add(SWEEP_EVERY);
        }
        table.tracks.insert(key, Track { lat, lon, nearest: nearest.map(str::to_string), heard: now });
    }

    /// Whether a new position deserves a new answer. An untracked live
    /// location (the bot restarted, or it was never answered) is news only
    /// when `news_if_untracked`.
    pub fn is_news(&self, key: Key, lat: f64, lon: f64, nearest: Option<&str>, news_if_untracked: bool, now: Instant) -> bool {
        let mut table = self.lock();
        match table.tracks.get_mut(&key) {
            None => news_if_untracked,
            // Forgotten, though not yet swept: as if untracked.
            Some(t) if now.saturating_duration_since(t.heard) >= FORGET_AFTER => news_if_untracked,
            Some(t) => {
                t.heard = now;
                geo::haversine_m(t.lat, t.lon, lat, lon) > MIN_MOVE_M && t.nearest.as_deref() != nearest
            }
        }
    }

    /// How many live locations are followed (for the per-chat state line).
    pub fn len(&self) -> usize {
        self.lock().tracks.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
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
    fn tracks_not_heard_of_are_forgotten() {
        let m = Moves::default();
        let t0 = Instant::now();
        for chat in 0..3_000 {
            m.answered((chat, 1), FUSHANG.0, FUSHANG.1, Some("a"), t0);
        }
        assert_eq!(m.len(), 3_000);
        // One is still heard of; the rest go quiet.
        assert!(!m.is_news((7, 1), FUSHANG.0, FUSHANG.1, Some("a"), true, t0 + FORGET_AFTER / 2));
        // Past FORGET_AFTER a quiet track counts as untracked even before a sweep...
        assert!(!m.is_news((8, 1), FUSHANG.0, FUSHANG.1, Some("a"), false, t0 + FORGET_AFTER));
        assert!(m.is_news((8, 1), FUSHANG.0, FUSHANG.1, Some("a"), true, t0 + FORGET_AFTER));
        // ...and the next answer sweeps them away.
        m.answered((9_999, 1), FUSHANG.0, FUSHANG.1, Some("a"), t0 + FORGET_AFTER + Duration::from_secs(1));
        assert_eq!(m.len(), 2, "the track heard of half-way and the new one are kept");
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
