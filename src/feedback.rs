//! 👍/👎 on answers, for every channel: the answers recently given, waiting
//! for a vote, and the vote itself.
//!
//! When a channel sends an answer it asks [`Pending::issue`] for a short key
//! (16 hex digits) that stands for the answer's reference and, in memory only,
//! the question. A vote carries the key back; [`Pending::take`] returns what
//! it stands for once, and the channel records the vote in the journal
//! ([`crate::journal::Journal::record_vote`]): the time, the reference, the
//! vote and, for 👎 only, the question — never who voted.
//!
//! The store is bounded (the oldest answers are forgotten first), so a vote
//! on a very old answer, or after a restart, finds no key; the channels then
//! record the vote with the reference alone when they have it.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::answer::{Answer, Kind};

/// How many answers wait for a vote at most.
pub const PENDING_MAX: usize = 20_000;

/// A vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote {
    Up,
    Down,
}

impl Vote {
    /// `up` / `down`, as the API and the journal write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Vote::Up => "up",
            Vote::Down => "down",
        }
    }

    pub fn parse(s: &str) -> Option<Vote> {
        match s {
            "up" | "+" | "u" => Some(Vote::Up),
            "down" | "-" | "d" => Some(Vote::Down),
            _ => None,
        }
    }
}

/// The reference a vote on `a` is about: its intent, or `fallback`.
pub fn answer_ref(a: &Answer) -> String {
    a.intent.clone().unwrap_or_else(|| "fallback".to_string())
}

/// Whether a worker may vote on `a`: answers, not the bot's own prompts
/// (the greeting, "send a location", an empty message).
pub fn votable(a: &Answer) -> bool {
    !matches!(a.kind, Kind::Empty | Kind::Greeting | Kind::NeedLocation)
}

/// What a feedback key stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    /// The answer's reference (its intent, or `fallback`).
    pub answer_ref: String,
    /// The question, kept in memory for a 👎 (scrubbed when written).
    pub question: Option<String>,
}

/// Answers waiting for a vote.
pub struct Pending {
    inner: Mutex<Inner>,
    next: AtomicU64,
    key: std::collections::hash_map::RandomState,
    max: usize,
}

#[derive(Default)]
struct Inner {
    by_key: HashMap<String, Given>,
    order: VecDeque<String>,
}

impl Default for Pending {
    fn default() -> Self {
        Pending::with_capacity(PENDING_MAX)
    }
}

impl Pending {
    pub fn with_capacity(max: usize) -> Pending {
        Pending { inner: Mutex::new(Inner::default()), next: AtomicU64::new(1), key: Default::default(), max: max.max(1) }
    }

    /// A new key for an answer just given. Keys are 16 lowercase hex digits,
    /// unguessable from one another (a counter hashed with a per-process key).
    pub fn issue(&self, answer_ref: &str, question: Option<&str>) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let key = format!("{:016x}", self.key.hash_one(n));
        let given = Given { answer_ref: answer_ref.to_string(), question: question.map(str::to_string) };
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        while inner.order.len() >= self.max {
            if let Some(old) = inner.order.pop_front() {
                inner.by_key.remove(&old);
            }
        }
        inner.order.push_back(key.clone());
        inner.by_key.insert(key.clone(), given);
        key
    }

    /// What `key` stands for, once: a second vote with the same key finds nothing.
    pub fn take(&self, key: &str) -> Option<Given> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let given = inner.by_key.remove(key)?;
        if let Some(i) = inner.order.iter().position(|k| k == key) {
            inner.order.remove(i);
        }
        Some(given)
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|g| g.by_key.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_taken_once_and_the_oldest_are_forgotten() {
        let p = Pending::with_capacity(2);
        let a = p.issue("faq_join-how", Some("怎么入会"));
        let b = p.issue("fallback", Some("今天天气"));
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
        assert_eq!(p.take(&a).unwrap().answer_ref, "faq_join-how");
        assert!(p.take(&a).is_none(), "taken once");
        let c = p.issue("nearby", None);
        let _d = p.issue("nearby", None);
        assert!(p.take(&b).is_none(), "the oldest is forgotten");
        assert!(p.take(&c).is_some());
    }

    #[test]
    fn votes_parse() {
        assert_eq!(Vote::parse("up"), Some(Vote::Up));
        assert_eq!(Vote::parse("down"), Some(Vote::Down));
        assert_eq!(Vote::parse("sideways"), None);
    }
}
