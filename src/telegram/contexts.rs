//! Each chat's conversation context: the reference the last answer left
//! ([`crate::engine::Answer::context`]: a station, a FAQ entry, a district),
//! so that "几点开门" after a station's answer is about that station. In
//! memory only, never on disk, never with what anyone wrote: a chat id, a
//! reference and when it was left. An entry expires after [`TTL`]; at most
//! [`CAP`] chats are remembered, the one left longest ago forgotten first.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::engine::Ref;

/// How long a chat's context lasts.
pub const TTL: Duration = Duration::from_secs(10 * 60);
/// How many chats' contexts are kept at most.
pub const CAP: usize = 50_000;

struct Entry {
    context: Ref,
    at: Instant,
    /// Its key in [`Inner::order`].
    seq: u64,
}

#[derive(Default)]
struct Inner {
    chats: HashMap<i64, Entry>,
    /// Sequence number → chat, oldest first: what expires or is evicted next.
    order: BTreeMap<u64, i64>,
    next: u64,
}

impl Inner {
    fn remove(&mut self, chat: i64) {
        if let Some(e) = self.chats.remove(&chat) {
            self.order.remove(&e.seq);
        }
    }

    /// Forgets the entries older than the TTL, oldest first.
    fn expire(&mut self, now: Instant, ttl: Duration) {
        while let Some((&seq, &chat)) = self.order.first_key_value() {
            match self.chats.get(&chat) {
                Some(e) if now.saturating_duration_since(e.at) < ttl => break,
                _ => {
                    self.order.remove(&seq);
                    self.chats.remove(&chat);
                }
            }
        }
    }
}

/// The contexts of the chats that asked in the last [`TTL`].
pub struct Contexts {
    ttl: Duration,
    cap: usize,
    inner: Mutex<Inner>,
}

impl Default for Contexts {
    fn default() -> Self {
        Contexts::new(TTL, CAP)
    }
}

impl Contexts {
    pub fn new(ttl: Duration, cap: usize) -> Contexts {
        Contexts { ttl, cap: cap.max(1), inner: Mutex::new(Inner::default()) }
    }

    /// The context `chat` left less than the TTL before `now`.
    pub fn get(&self, chat: i64, now: Instant) -> Option<Ref> {
        let mut inner = self.lock();
        match inner.chats.get(&chat) {
            Some(e) if now.saturating_duration_since(e.at) < self.ttl => Some(e.context.clone()),
            Some(_) => {
                inner.remove(chat);
                None
            }
            None => None,
        }
    }

    /// Remembers what `chat`'s last answer left at `now` (`None` forgets it:
    /// the answer was about nothing the next question could lean on).
    pub fn set(&self, chat: i64, context: Option<Ref>, now: Instant) {
        let mut inner = self.lock();
        inner.remove(chat);
        inner.expire(now, self.ttl);
        let Some(context) = context else {
            return;
        };
        while inner.chats.len() >= self.cap {
            let Some((_, oldest)) = inner.order.pop_first() else { break };
            inner.chats.remove(&oldest);
        }
        let seq = inner.next;
        inner.next += 1;
        inner.order.insert(seq, chat);
        inner.chats.insert(chat, Entry { context, at: now, seq });
    }

    /// How many chats' contexts are held (expired ones included until the
    /// next [`Contexts::set`] clears them).
    pub fn len(&self) -> usize {
        self.lock().chats.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station(id: &str) -> Option<Ref> {
        Some(Ref::Station(id.into()))
    }

    #[test]
    fn a_context_lasts_ten_minutes() {
        let c = Contexts::default();
        let t0 = Instant::now();
        c.set(1, station("a"), t0);
        assert_eq!(c.get(1, t0 + Duration::from_secs(9 * 60 + 59)), station("a"));
        assert_eq!(c.get(1, t0 + TTL), None);
        assert_eq!(c.len(), 0, "an expired context is dropped when asked for");
        // Another chat's is its own.
        c.set(2, station("b"), t0);
        assert_eq!(c.get(3, t0), None);
    }

    #[test]
    fn expired_contexts_are_cleared_by_the_next_set() {
        let c = Contexts::default();
        let t0 = Instant::now();
        for chat in 0..100 {
            c.set(chat, station("a"), t0 + Duration::from_secs(chat as u64));
        }
        assert_eq!(c.len(), 100);
        // Eleven minutes after the first: those left more than ten minutes before are gone.
        c.set(1000, station("b"), t0 + Duration::from_secs(11 * 60));
        assert_eq!(c.len(), 100 - 61 + 1);
        assert_eq!(c.get(60, t0 + Duration::from_secs(11 * 60)), None);
        assert_eq!(c.get(61, t0 + Duration::from_secs(11 * 60)), station("a"));
    }

    #[test]
    fn at_the_cap_the_oldest_is_forgotten() {
        let c = Contexts::new(TTL, 3);
        let t0 = Instant::now();
        for chat in 1..=3 {
            c.set(chat, station("a"), t0);
        }
        // Chat 1 asks again: now chat 2 is the oldest.
        c.set(1, station("b"), t0);
        c.set(4, station("c"), t0);
        assert_eq!(c.len(), 3);
        assert_eq!(c.get(2, t0), None);
        assert_eq!(c.get(1, t0), station("b"));
        assert_eq!(c.get(4, t0), station("c"));
        for chat in 5..1000 {
            c.set(chat, station("d"), t0);
            assert!(c.len() <= 3);
        }
    }

    #[test]
    fn an_answer_about_nothing_forgets_the_context() {
        let c = Contexts::default();
        let t0 = Instant::now();
        c.set(1, station("a"), t0);
        c.set(1, None, t0);
        assert_eq!((c.get(1, t0), c.len()), (None, 0));
    }
}
