//! `union-bot serve`: every configured channel in one process, over one
//! [`Shared`] engine, journal, vote store and watcher.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};

use crate::config::{Paths, TelegramConfig, WebConfig};
use crate::shared::{Shared, WATCH_EVERY, fan_out, stop_signal, stopped};

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
        // Every channel has stopped: what they journaled is written now.
        shared.journal.flush();
        result
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    served.map(|()| ExitCode::SUCCESS)
}
