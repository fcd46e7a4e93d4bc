//! The one log line per update, and the guard that keeps errors and panics
//! away from the dispatcher.
//!
//! The log line carries the update id, a hashed user id, what kind of update
//! it was, the intent answered and the latency. It never carries the text of
//! a message or a position: with the user's hash next to it, that would be a
//! record of who asked what, and where they were.
//!
//! Why the guard: a panic inside a teloxide handler kills the chat's worker
//! and then the dispatcher (teloxide #1435), so one bad message would stop the
//! bot for everyone. Every endpoint runs its body through [`guard`], logs the
//! failure and tells the worker something went wrong; the next message from
//! the same chat is answered as usual.

use std::borrow::Cow;
use std::future::Future;
use std::hash::BuildHasher;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use futures::FutureExt as _;
use teloxide::prelude::*;

use super::TgBot;
use crate::answer::Answer;
use crate::reply;

/// Hashes user ids with a key drawn at random when the process starts: the
/// same user gets the same hash in one run's logs (to follow a conversation),
/// and the hash cannot be looked up or matched across runs.
pub struct UserHasher(std::collections::hash_map::RandomState);

impl Default for UserHasher {
    fn default() -> Self {
        UserHasher(std::collections::hash_map::RandomState::new())
    }
}

impl UserHasher {
    pub fn hash(&self, id: u64) -> String {
        format!("{:016x}", self.0.hash_one(id))
    }
}

/// What an endpoint did with an update, for the log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// text, location, live_location, command, callback, other, …
    pub kind: &'static str,
    /// The answer's intent (`faq_join-how`, `nearby`, `fallback`), or what was
    /// done instead (`greeting`, `refused`, `not_addressed`, `flood`).
    pub intent: Cow<'static, str>,
}

impl Handled {
    pub fn new(kind: &'static str, intent: impl Into<Cow<'static, str>>) -> Handled {
        Handled { kind, intent: intent.into() }
    }

    /// An update answered by the engine.
    pub fn answered(kind: &'static str, a: &Answer) -> Handled {
        let intent = a.intent.clone().unwrap_or_else(|| if a.is_fallback() { "fallback".into() } else { "-".into() });
        Handled::new(kind, intent)
    }
}

/// Why an endpoint's body did not finish.
#[derive(Debug)]
pub enum Failure {
    Error(anyhow::Error),
    Panic,
}

/// Runs an endpoint's body, turning a panic into a [`Failure`].
pub async fn guard<F>(body: F) -> Result<Handled, Failure>
where
    F: Future<Output = anyhow::Result<Handled>>,
{
    match AssertUnwindSafe(body).catch_unwind().await {
        Ok(Ok(h)) => Ok(h),
        Ok(Err(e)) => Err(Failure::Error(e)),
        // The panic hook has printed the message (it may quote the worker's
        // text, so it is not repeated here next to the user's hash).
        Err(_) => Err(Failure::Panic),
    }
}

/// One update being handled: started when it arrives, logged when done.
pub struct Trace {
    update: u32,
    user: String,
    started: Instant,
}

impl Trace {
    pub fn start(users: &UserHasher, update: &Update) -> Trace {
        let user = update.from().map(|u| users.hash(u.id.0)).unwrap_or_else(|| "-".to_string());
        Trace { update: update.id.0, user, started: Instant::now() }
    }

    /// Logs the outcome; after a failure, tells the chat (when there is one)
    /// that something went wrong, with the fixed polite sentence.
    pub async fn finish(self, bot: &TgBot, chat: Option<ChatId>, outcome: Result<Handled, Failure>) {
        let ms = self.started.elapsed().as_millis() as u64;
        let failed = match outcome {
            Ok(h) => {
                tracing::info!(update = self.update, user = %self.user, kind = h.kind, intent = %h.intent, ms, "update");
                return;
            }
            Err(Failure::Error(e)) => {
                tracing::error!(update = self.update, user = %self.user, ms, error = %format!("{e:#}"), "update failed");
                true
            }
            Err(Failure::Panic) => {
                tracing::error!(update = self.update, user = %self.user, ms, "update handler panicked");
                true
            }
        };
        if let (true, Some(chat)) = (failed, chat)
            && let Err(e) = bot.send_message(chat, reply::internal_error()).await
        {
            tracing::warn!(update = self.update, error = %e, "cannot send the apology either");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_guard_catches_panics_and_errors() {
        let ok = guard(async { Ok(Handled::new("text", "faq:x")) }).await;
        assert_eq!(ok.unwrap(), Handled::new("text", "faq:x"));
        let err = guard(async { Err(anyhow::anyhow!("boom")) }).await;
        assert!(matches!(err, Err(Failure::Error(_))));
        let panicked = guard(async {
            let v: Vec<u8> = Vec::new();
            // An index out of bounds, as a bug in a handler would be.
            let _ = v[std::hint::black_box(3)];
            Ok(Handled::new("text", "never"))
        })
        .await;
        assert!(matches!(panicked, Err(Failure::Panic)));
    }

    #[test]
    fn user_hashes_are_stable_within_a_run_and_hide_the_id() {
        let h = UserHasher::default();
        assert_eq!(h.hash(42), h.hash(42));
        assert_ne!(h.hash(42), h.hash(43));
        assert!(!h.hash(123456789).contains("123456789"));
        assert_ne!(UserHasher::default().hash(42), h.hash(42), "keys differ between runs");
    }
}
