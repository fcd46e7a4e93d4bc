//! The per-user flood limit: about 20 messages a minute. The first message
//! over the limit gets one polite notice ([`crate::reply::slow_down`]); the
//! rest get silence until the user slows down.
//!
//! A user quiet for a whole window is forgotten: at most once a window, the
//! table drops everyone whose last message is older than that, so it holds
//! the users of the last two windows at most (and a pass over it costs
//! nothing per message).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Messages (and button presses) a user may send per [`WINDOW`].
pub const LIMIT: usize = 20;
pub const WINDOW: Duration = Duration::from_secs(60);

/// What to do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Answer,
    /// Over the limit for the first time: send the notice, answer nothing else.
    Notice,
    /// Over the limit, already told: say nothing.
    Silence,
}

#[derive(Default)]
struct Recent {
    /// When the user's last (at most [`LIMIT`]) messages arrived, oldest first.
    times: VecDeque<Instant>,
    told: bool,
}

/// Counts each user's recent messages (in memory; keyed by the raw id, which
/// is never logged).
pub struct Flood {
    limit: usize,
    window: Duration,
    users: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    users: HashMap<u64, Recent>,
    /// When the quiet users are next forgotten (`None`: at the first message).
    next_sweep: Option<Instant>,
}

impl Default for Flood {
    fn default() -> Self {
        Flood::new(LIMIT, WINDOW)
    }
}

impl Flood {
    pub fn new(limit: usize, window: Duration) -> Flood {
        Flood { limit: limit.max(1), window, users: Mutex::new(Table::default()) }
    }

    /// Judges one message from `user` arriving at `now`. A user is over the
    /// limit when their last `limit` messages all arrived within the window
    /// before this one; every message counts, answered or not, so a user who
    /// keeps flooding stays silenced until they pause.
    pub fn check(&self, user: u64, now: Instant) -> Verdict {
        let mut table = self.lock();
        let window = self.window;
        if table.next_sweep.is_none_or(|at| now >= at) {
            table.users.retain(|_, r| r.times.back().is_some_and(|t| now.saturating_duration_since(*t) < window));
            table.next_sweep = now.checked_add(window);
        }
        let r = table.users.entry(user).or_default();
        let over = r.times.len() >= self.limit && r.times.front().is_some_and(|t| now.saturating_duration_since(*t) < self.window);
        if r.times.len() >= self.limit {
            r.times.pop_front();
        }
        r.times.push_back(now);
        match (over, r.told) {
            (false, _) => {
                r.told = false;
                Verdict::Answer
            }
            (true, false) => {
                r.told = true;
                Verdict::Notice
            }
            (true, true) => Verdict::Silence,
        }
    }

    /// How many users the table holds (for the per-chat state line).
    pub fn len(&self) -> usize {
        self.lock().users.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        match self.users.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_a_minute_then_one_notice_then_silence() {
        let f = Flood::default();
        let t0 = Instant::now();
        let verdicts: Vec<Verdict> = (0..25).map(|i| f.check(1, t0 + Duration::from_millis(100 * i))).collect();
        assert!(verdicts[..20].iter().all(|v| *v == Verdict::Answer), "{verdicts:?}");
        assert_eq!(verdicts[20], Verdict::Notice);
        assert!(verdicts[21..].iter().all(|v| *v == Verdict::Silence), "{verdicts:?}");
        // Another user is not affected.
        assert_eq!(f.check(2, t0 + Duration::from_secs(3)), Verdict::Answer);
    }

    #[test]
    fn answers_again_once_the_flood_passes() {
        let f = Flood::default();
        let t0 = Instant::now();
        for i in 0..22 {
            f.check(1, t0 + Duration::from_millis(10 * i));
        }
        // Still flooding a little later: silence, and no second notice.
        assert_eq!(f.check(1, t0 + Duration::from_secs(30)), Verdict::Silence);
        // A minute after the burst, the user is answered, and would be told again.
        let later = t0 + Duration::from_secs(95);
        assert_eq!(f.check(1, later), Verdict::Answer);
        for i in 1..20 {
            assert_eq!(f.check(1, later + Duration::from_millis(i)), Verdict::Answer, "message {i} after the pause");
        }
        assert_eq!(f.check(1, later + Duration::from_millis(50)), Verdict::Notice);
    }

    #[test]
    fn quiet_users_are_forgotten_within_two_windows() {
        let f = Flood::default();
        let t0 = Instant::now();
        for user in 0..5_000 {
            assert_eq!(f.check(user, t0 + Duration::from_millis(user)), Verdict::Answer);
        }
        assert_eq!(f.len(), 5_000);
        // A window later only the users still writing are kept; one flooding
        // stays silenced (their messages are recent).
        for i in 0..25 {
            f.check(9_999, t0 + WINDOW + Duration::from_secs(10) + Duration::from_millis(i));
        }
        f.check(1, t0 + 2 * WINDOW + Duration::from_secs(5));
        assert_eq!(f.len(), 2, "only the two users of the last window are kept");
        assert_eq!(f.check(9_999, t0 + 2 * WINDOW + Duration::from_secs(6)), Verdict::Silence);
    }

    #[test]
    fn a_steady_pace_under_the_limit_is_always_answered() {
        let f = Flood::default();
        let t0 = Instant::now();
        for i in 0..200 {
            assert_eq!(f.check(1, t0 + Duration::from_secs(4 * i)), Verdict::Answer, "message {i}");
        }
    }
}
