//! What every channel shares in one process, and `union-bot serve`, which
//! runs every configured channel over it.
//!
//! One [`Shared`]: one live engine, one watcher of `knowledge/` (its outcomes
//! broadcast to every channel: Telegram tells its admins, the web counts
//! reloads), one journal and one store of answers waiting for a 👍/👎.

use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use tokio::sync::broadcast;

use crate::config::{Paths, TelegramConfig, WebConfig};
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

/// `union-bot serve`: the web channel when `WEB_ADDR` is set, Telegram when
/// `TELOXIDE_TOKEN` is, both over one engine and one watcher.
pub fn main(paths: &Paths) -> Result<ExitCode> {
    let set = |name: &str| std::env::var(name).ok().is_some_and(|v| !v.trim().is_empty());
    let web = if set("WEB_ADDR") { Some(WebConfig::from_env()?) } else { None };
    let telegram = if set("TELOXIDE_TOKEN") { Some(TelegramConfig::from_env()?) } else { None };
    if web.is_none() && telegram.is_none() {
        bail!("no channel configured: set WEB_ADDR for the web page and API, TELOXIDE_TOKEN for Telegram (or both)");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let paths = paths.clone();
    let served = runtime.block_on(async move {
        let stop = fan_out(stop_signal().context("cannot listen for SIGINT and SIGTERM")?);
        let shared = {
            let paths = paths.clone();
            tokio::task::spawn_blocking(move || Shared::open(&paths)).await.context("the engine task failed")??
        };
        let _watcher = shared.watch(WATCH_EVERY);
        let web_task = web.map(|config| {
            let (shared, stop) = (shared.clone(), stop.clone());
            tokio::spawn(async move { crate::web::run(shared, config, stopped(stop)).await })
        });
        let telegram_task = telegram.map(|config| {
            let (shared, stop) = (shared.clone(), stop.clone());
            tokio::spawn(async move { crate::telegram::run_shared(shared, config, None, stopped(stop)).await })
        });
        let mut result = Ok(());
        for task in [web_task, telegram_task].into_iter().flatten() {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => result = Err(e),
                Err(e) => result = Err(anyhow::anyhow!("a channel task failed: {e}")),
            }
        }
        result
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    served.map(|()| ExitCode::SUCCESS)
}
