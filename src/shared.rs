//! What every channel shares in one process ([`crate::serve`] runs every
//! configured channel over it; each channel alone opens its own).
//!
//! One [`Shared`]: one live engine, one watcher of `knowledge/` (its outcomes
//! broadcast to every channel: Telegram tells its admins, the web counts
//! reloads), one journal and one store of answers waiting for a 👍/👎.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result};
use tokio::sync::broadcast;

use crate::config::Paths;
use crate::feedback::Pending;
use crate::journal::Journal;
use crate::reload::{Live, Outcome};

/// How often the watcher looks at the knowledge directory.
pub const WATCH_EVERY: Duration = Duration::from_secs(2);

/// What the channels of one process share.
#[derive(Clone)]
pub struct Shared {
    pub live: Arc<Live>,
    pub journal: Arc<Journal>,
    pub pending: Arc<Pending>,
    /// Every reload that was not `Unchanged`, for whoever subscribes.
    pub outcomes: broadcast::Sender<Outcome>,
}

impl Shared {
    /// Opens the engine (building the index when needed) and the journal.
    pub fn open(paths: &Paths) -> Result<Shared> {
        let live = Live::open(paths.clone()).with_context(|| format!("cannot load the knowledge in {}", paths.knowledge.display()))?;
        Shared::from_live(Arc::new(live))
    }

    /// Wraps a live engine that is already open (tests).
    pub fn from_live(live: Arc<Live>) -> Result<Shared> {
        let journal = Arc::new(Journal::open(&live.paths().data).context("cannot open the journal")?);
        let (outcomes, _) = broadcast::channel(16);
        Ok(Shared { live, journal, pending: Arc::new(Pending::default()), outcomes })
    }

    /// Starts the one watcher: a good edit goes live by itself; every outcome
    /// but `Unchanged` is logged and broadcast. Stops when the returned guard
    /// is dropped.
    pub fn watch(&self, every: Duration) -> Watcher {
        let stop = Arc::new(AtomicBool::new(false));
        let tx = self.outcomes.clone();
        let handle = self.live.watch(every, Arc::clone(&stop), move |outcome| {
            match outcome {
                Outcome::Reloaded { .. } => tracing::info!("{}", crate::reload::describe(outcome)),
                _ => tracing::error!("{}", crate::reload::describe(outcome)),
            }
            let _ = tx.send(outcome.clone());
        });
        Watcher { stop, _handle: handle }
    }
}

/// Stops the watcher when dropped.
pub struct Watcher {
    stop: Arc<AtomicBool>,
    _handle: std::thread::JoinHandle<()>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM; set up as soon as this
/// is called, so a signal that comes early is not missed.
#[cfg(unix)]
pub fn stop_signal() -> Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: stopping"),
            _ = int.recv() => tracing::info!("SIGINT: stopping"),
        }
    })
}

#[cfg(not(unix))]
pub fn stop_signal() -> Result<impl Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("Ctrl-C: stopping");
    })
}

/// A stop signal that several channels can wait for.
pub fn fan_out(stop: impl Future<Output = ()> + Send + 'static) -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        stop.await;
        let _ = tx.send(true);
    });
    rx
}

/// Resolves when the fanned-out stop signal has fired.
pub async fn stopped(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}
