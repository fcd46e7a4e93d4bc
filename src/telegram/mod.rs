//! The Telegram channel: a thin adapter that passes workers' messages to the
//! engine and sends back what [`crate::reply`] renders. No matching logic
//! lives here; what a message means is the engine's business.
//!
//! - [`run`] serves: it opens the live engine (and starts its watcher) and the
//!   journal, checks the token, sets the command menus, then dispatches
//!   updates (long polling, or a webhook) until `stop` resolves;
//! - [`schema`] routes each kind of update to its endpoint (`endpoints`);
//! - `send` sends replies (HTML parts, buttons, pins; fixed sentences),
//!   `keyboards` builds the buttons, `admin` the admin commands, menus and
//!   reports, `flood` the per-user limit, `moves` the live-location tracker,
//!   `contexts` each chat's last answer's reference (for follow-ups),
//!   `trace` the per-update log line and the panic guard (public, so the
//!   fault bench can run the same guard around a handler that panics).

mod admin;
pub mod contexts;
mod endpoints;
mod flood;
mod keyboards;
mod moves;
mod send;
pub mod trace;

use std::collections::BTreeSet;
use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use teloxide::adaptors::Throttle;
use teloxide::dispatching::UpdateHandler;
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::update_listeners::{Polling, webhooks};
use teloxide::utils::command::BotCommands;

use crate::answer::Answer;
use crate::config::{Paths, TelegramConfig};
use crate::feedback::Pending;
use crate::journal::Journal;
use crate::reload::{Live, Outcome};
use crate::shared::{Shared, WATCH_EVERY, stop_signal};

/// The bot as the endpoints use it: requests paced to Telegram's limits, and
/// re-sent after a RetryAfter.
pub type TgBot = Throttle<Bot>;

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// After a stop signal, how long replies in flight may take before the
/// process exits anyway (the whole stop stays within 10 s).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);
/// The long-polling timeout (getUpdates waits this long for an update).
const POLL_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest webhook request accepted. Telegram's updates are a few
/// kilobytes (a 4096-character message with its entities and a quoted reply);
/// anything much larger is not from Telegram and is refused unread.
pub const WEBHOOK_BODY_LIMIT: usize = 256 * 1024;
/// The header Telegram puts the webhook's secret token in.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// Every this many updates handled, the per-chat state's sizes are logged
/// (at debug level; counts only, see [`Ctx::state`]).
const STATE_EVERY: u64 = 1000;

/// The commands everyone may use. Their menu descriptions are in
/// [`crate::reply::COMMANDS`], with every other sentence the bot says.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Greets and shows the reply keyboard; a deep-link payload may name an entry.
    Start(String),
    /// What the bot can answer.
    Help,
    /// Asks for a location to find the nearest stations.
    Nearby,
    /// How to join the union.
    Join,
    /// The 12351 hotline.
    Hotline,
}

/// The admins' commands (private chat, user id in `ADMIN_IDS`).
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum AdminCommand {
    /// Reloads the knowledge now and reports what changed.
    Reload,
    /// Usage figures from the journal.
    Stats,
    /// The questions the bot could not answer, grouped.
    Unanswered,
}

/// What every endpoint shares.
pub struct Ctx {
    pub live: Arc<Live>,
    pub journal: Arc<Journal>,
    pub admins: BTreeSet<u64>,
    flood: flood::Flood,
    moves: moves::Moves,
    /// Each chat's last answer's reference, for its next question (10 minutes, in memory).
    contexts: contexts::Contexts,
    users: trace::UserHasher,
    /// Answers waiting for a 👍/👎 (shared with the other channels).
    pub pending: Arc<Pending>,
    /// Updates handled so far.
    updates: std::sync::atomic::AtomicU64,
}

/// The sizes of the per-chat state kept in memory: how many users the flood
/// limit counts, how many live locations are followed, how many
/// chats' follow-up contexts are held. Each table forgets
/// its quiet entries by itself ([`flood`], [`moves`]); these are counts
/// only, nothing about anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    pub flood_users: usize,
    pub live_tracks: usize,
    pub contexts: usize,
}

/// The chat a message or a button press came from (what its context is kept under).
pub type ChatId = i64;

impl Ctx {
    pub fn new(live: Arc<Live>, journal: Arc<Journal>, admins: BTreeSet<u64>) -> Ctx {
        Ctx { live, journal, admins, flood: Default::default(), moves: Default::default(), contexts: Default::default(), users: Default::default(), pending: Default::default(), updates: Default::default() }
    }

    /// The per-chat state's sizes now.
    pub fn state(&self) -> State {
        State { flood_users: self.flood.len(), live_tracks: self.moves.len(), contexts: self.contexts.len() }
    }

    /// Counts an update handled; every [`STATE_EVERY`]th logs [`Ctx::state`].
    fn handled(&self) {
        let n = self.updates.fetch_add(1, Ordering::Relaxed) + 1;
        if n % STATE_EVERY == 0 {
            self.log_state();
            crate::memory::give_back();
        }
    }

    fn log_state(&self) {
        let State { flood_users, live_tracks, contexts } = self.state();
        tracing::debug!(updates = self.updates.load(Ordering::Relaxed), flood_users, live_tracks, contexts, "per-chat state");
    }

    /// How many chats' conversation contexts are held in memory (bounded by
    /// [`contexts::CAP`], each for [`contexts::TTL`]).
    pub fn contexts_held(&self) -> usize {
        self.contexts.len()
    }

    /// Remembers what `chat`'s answer leaves for its next question.
    fn leave_context(&self, chat: ChatId, answer: &Answer) {
        self.contexts.set(chat, answer.context.clone(), std::time::Instant::now());
    }

    /// Answers a worker's question in `chat`, read with the context the
    /// chat's last answer left, and records it in the journal. The engine
    /// runs on the blocking pool: it is CPU work, and a panic in it comes back
    /// as an error instead of unwinding through the dispatcher.
    async fn answer(self: &Arc<Self>, chat: ChatId, question: String) -> Result<Answer> {
        let ctx = Arc::clone(self);
        blocking(move || {
            let context = ctx.contexts.get(chat, std::time::Instant::now());
            let answer = ctx.live.engine().answer_in_context(&question, context.as_ref());
            ctx.journal.record(&question, &answer);
            ctx.leave_context(chat, &answer);
            answer
        })
        .await
    }

    /// A key for a 👍/👎 on `answer`, remembering the question (in memory
    /// only) for a 👎; `None` for the bot's own prompts.
    fn vote_key(&self, answer: &Answer, question: Option<&str>) -> Option<String> {
        crate::feedback::votable(answer).then(|| self.pending.issue(&crate::feedback::answer_ref(answer), question))
    }

    /// Answers a question the bot put itself (a command's), not journaled.
    async fn answer_unrecorded(self: &Arc<Self>, chat: ChatId, question: String) -> Result<Answer> {
        let ctx = Arc::clone(self);
        blocking(move || {
            let answer = ctx.live.engine().answer(&question);
            ctx.leave_context(chat, &answer);
            answer
        })
        .await
    }

    /// The stations near a shared location, recorded (without the
    /// position). The caller leaves its context once it is sent (a live
    /// location's new position may not be).
    async fn nearby(self: &Arc<Self>, lat: f64, lon: f64) -> Result<Answer> {
        let ctx = Arc::clone(self);
        blocking(move || {
            let answer = ctx.live.engine().nearby(lat, lon);
            ctx.journal.record_location(&answer);
            answer
        })
        .await
    }

    /// The answer a button's key stands for; `None` when the key is stale.
    async fn answer_ref(self: &Arc<Self>, chat: ChatId, key: String) -> Result<Option<Answer>> {
        let ctx = Arc::clone(self);
        blocking(move || {
            let answer = ctx.live.engine().answer_ref(&key);
            if let Some(a) = &answer {
                ctx.leave_context(chat, a);
            }
            answer
        })
        .await
    }
}

/// Runs engine work on tokio's blocking pool, at most [`engine_slots`] of
/// them at a time. Without the bound a burst from 500 chats started close to
/// 500 blocking threads (tokio allows 512), each with its own stack and
/// allocator caches: the soak's bot grew by 95 MB in its warm-up and kept
/// growing. The work is CPU-bound, so more threads than cores only wait.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let _slot = engine_slots().acquire().await.map_err(|_| anyhow!("the engine's slots are closed"))?;
    tokio::task::spawn_blocking(f).await.map_err(|e| if e.is_panic() { anyhow!("the engine panicked") } else { anyhow!("the engine task was cancelled") })
}

/// As many slots as the machine has cores, and at least two.
fn engine_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()).max(2)))
}

/// The routing: one endpoint per kind of update. Every other kind is left
/// unasked for (the dispatcher tells Telegram which kinds it wants).
pub fn schema() -> UpdateHandler<Box<dyn std::error::Error + Send + Sync>> {
    dptree::entry()
        .branch(Update::filter_message().endpoint(endpoints::message))
        .branch(Update::filter_edited_message().endpoint(endpoints::edited_message))
        .branch(Update::filter_callback_query().endpoint(endpoints::callback_query))
}

/// `union-bot telegram`: reads the settings, serves until SIGINT or SIGTERM.
pub fn main(paths: &Paths, webhook: Option<String>) -> Result<ExitCode> {
    let config = TelegramConfig::from_env()?;
    let webhook = match webhook {
        None => None,
        Some(u) => Some(url::Url::parse(&u).with_context(|| format!("--webhook is not a URL: {u}"))?),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let paths = paths.clone();
    let served = runtime.block_on(async move {
        let stop = stop_signal().context("cannot listen for SIGINT and SIGTERM")?;
        run(paths, config, webhook, stop).await
    });
    // Engine calls still on the blocking pool are not waited for.
    runtime.shutdown_timeout(Duration::from_secs(1));
    served.map(|()| ExitCode::SUCCESS)
}

/// Builds the bot for `config`. The Bot holds the token: never `Debug`-print
/// it (or the Throttle around it).
fn bot(config: &TelegramConfig) -> TgBot {
    let mut bot = Bot::new(config.token.expose());
    if let Some(url) = &config.api_url {
        bot = bot.set_api_url(url.clone());
    }
    Throttle::new_spawn(bot, config.send_limits)
}

/// Serves the bot until `stop` resolves, then lets the replies in flight
/// finish, acknowledges the last update to Telegram and returns (within
/// [`SHUTDOWN_GRACE`]). With `webhook`, Telegram posts updates to that URL
/// (the server listens on `config.webhook_addr`); otherwise long polling.
pub async fn run(paths: Paths, config: TelegramConfig, webhook: Option<url::Url>, stop: impl Future<Output = ()> + Send + 'static) -> Result<()> {
    let mut stop = Box::pin(stop);
    let knowledge = paths.knowledge.clone();
    let opening = tokio::task::spawn_blocking(move || Shared::open(&paths));
    let shared = tokio::select! {
        s = opening => s.context("the engine task failed")?.with_context(|| format!("cannot load the knowledge in {}", knowledge.display()))?,
        () = &mut stop => {
            tracing::info!("stopped before serving");
            return Ok(());
        }
    };
    // The watcher: a good edit of knowledge/ goes live by itself; a refused
    // one (or a failed reload) is logged and reported to the admins.
    let _watcher = shared.watch(WATCH_EVERY);
    run_shared(shared, config, webhook, stop).await
}

/// [`run`] over an engine, journal and watcher shared with other channels
/// (`union-bot serve`): the admins hear of the shared watcher's refusals.
pub async fn run_shared(shared: Shared, config: TelegramConfig, webhook: Option<url::Url>, stop: impl Future<Output = ()> + Send + 'static) -> Result<()> {
    let mut stop = Box::pin(stop);
    let started = tokio::select! {
        s = start(&shared, &config) => s?,
        () = &mut stop => {
            tracing::info!("stopped before serving");
            return Ok(());
        }
    };
    let Started { bot, ctx, me, admins_not_opened } = started;
    tracing::info!(target: crate::config::READY_TARGET, "{}", ready_line(&me, &ctx, webhook.as_ref(), admins_not_opened));

    let report = admin::reporter(bot.clone(), config.admins.clone(), tokio::runtime::Handle::current());
    let mut outcomes = shared.outcomes.subscribe();
    let reporting = tokio::spawn(async move {
        loop {
            match outcomes.recv().await {
                Ok(o @ (Outcome::Refused { .. } | Outcome::Failed { .. })) => report(&o),
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });

    let mut dispatcher = Dispatcher::builder(bot.clone(), schema())
        .dependencies(dptree::deps![Arc::clone(&ctx)])
        // The default handler would Debug-print the whole update (text and user).
        .default_handler(|update| async move { tracing::debug!(update = update.id.0, "update of a kind not handled") })
        .build();

    // On stop: ask the dispatcher to finish (it stops polling, lets every
    // worker finish its queue, and acknowledges the last offset). It may still
    // be starting up (getMe), so ask again until it runs.
    let token = dispatcher.shutdown_token();
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let conflict = Arc::new(Conflict::default());
    let on_conflict = Arc::clone(&conflict);
    tokio::spawn(async move {
        // A 409 Conflict stops the bot as a signal would (see `PollErrors`).
        tokio::select! {
            () = stop => {}
            () = on_conflict.notify.notified() => {}
        }
        let _ = stopping_tx.send(());
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        loop {
            match token.shutdown() {
                Ok(done) => {
                    done.await;
                    break;
                }
                Err(_) if tokio::time::Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(_) => break,
            }
        }
    });

    let dispatching = async {
        match webhook {
            None => {
                let errors = Arc::new(PollErrors { conflict: Arc::clone(&conflict) });
                let polling = Polling::builder(bot.clone()).timeout(POLL_TIMEOUT).delete_webhook().await.build();
                dispatcher.try_dispatch_with_listener(polling, errors).await.context("cannot start dispatching")
            }
            Some(url) => {
                let errors = LoggingErrorHandler::with_custom_text("cannot get updates");
                let addr = config.webhook_addr;
                let tcp = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr} (WEBHOOK_ADDR)"))?;
                let mut options = webhooks::Options::new(addr, url);
                let secret = options.get_or_gen_secret_token().to_owned();
                let (listener, stop_flag, router) = webhooks::axum_to_router(bot.clone(), options).await.context("cannot set the webhook")?;
                let router = guard_webhook(router, secret);
                tokio::spawn(async move {
                    if let Err(e) = axum::serve(tcp, router).with_graceful_shutdown(stop_flag).await {
                        tracing::error!(error = %e, "the webhook server failed");
                    }
                });
                dispatcher.try_dispatch_with_listener(listener, errors).await.context("cannot start dispatching")
            }
        }
    };
    let result = tokio::select! {
        r = dispatching => r,
        () = async {
            match stopping_rx.await {
                Ok(()) => tokio::time::sleep(SHUTDOWN_GRACE).await,
                Err(_) => std::future::pending().await,
            }
        } => {
            tracing::warn!("replies still in flight {} s after the stop signal; exiting anyway", SHUTDOWN_GRACE.as_secs());
            Ok(())
        }
    };
    reporting.abort();
    ctx.log_state();
    tracing::info!("stopped");
    if conflict.seen.load(Ordering::Relaxed) {
        return Err(anyhow!("another instance is polling Telegram with this bot token (409 Conflict); stopped so that only one serves"));
    }
    result
}

/// What long polling does with its errors: a network error or a 5xx is
/// logged and retried (teloxide's polling backs off: 1 s, 2 s, 4 s … 64 s);
/// a 409 Conflict means another instance is polling with the same token.
/// Then the two would steal each other's updates forever, so this one says
/// so and stops, and `run` returns an error (a non-zero exit).
struct PollErrors {
    conflict: Arc<Conflict>,
}

/// Whether long polling met a 409 Conflict, and the wake-up for the task
/// that stops the dispatcher. (Not the dispatcher's shutdown token from in
/// here: this handler runs inside the dispatcher's loop, and the token's
/// wake-up is lost when nobody is waiting for it.)
#[derive(Default)]
struct Conflict {
    seen: AtomicBool,
    notify: tokio::sync::Notify,
}

impl teloxide::error_handlers::ErrorHandler<teloxide::RequestError> for PollErrors {
    fn handle_error(self: Arc<Self>, error: teloxide::RequestError) -> futures::future::BoxFuture<'static, ()> {
        use teloxide::ApiError;
        match &error {
            teloxide::RequestError::Api(ApiError::TerminatedByOtherGetUpdates) => {
                if !self.conflict.seen.swap(true, Ordering::Relaxed) {
                    tracing::error!("409 Conflict: another instance is polling Telegram with this bot token; stopping (run only one)");
                    self.conflict.notify.notify_one();
                }
            }
            // teloxide's errors name the method, never the URL with the token.
            e => tracing::error!(error = %e, "cannot get updates"),
        }
        Box::pin(async {})
    }
}

/// Wraps the webhook's router: the secret token is checked in constant time
/// before teloxide sees the request (teloxide compares with `!=`, which can
/// leak how much of a guess was right), and bodies over
/// [`WEBHOOK_BODY_LIMIT`] are refused. teloxide answers 200 as soon as the
/// update is queued for the dispatcher, so Telegram never waits for an answer.
fn guard_webhook(router: axum::Router, secret: String) -> axum::Router {
    use axum::http::StatusCode;
    use axum::response::IntoResponse as _;
    let secret = Arc::new(secret);
    router
        .layer(axum::middleware::from_fn(move |request: axum::extract::Request, next: axum::middleware::Next| {
            let secret = Arc::clone(&secret);
            async move {
                let given = request.headers().get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
                if !constant_time_eq(given, secret.as_bytes()) {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                next.run(request).await
            }
        }))
        .layer(axum::extract::DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT))
}

/// Compares two byte strings in time that depends only on their lengths (the
/// secret's length is no secret: Telegram documents 1–256 characters).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

struct Started {
    bot: TgBot,
    ctx: Arc<Ctx>,
    me: teloxide::types::Me,
    /// Admins who have not opened the bot yet (no admin menu for them).
    admins_not_opened: usize,
}

/// The one line printed at the default log level once the bot serves: who it
/// is, how it gets updates, what it knows, who may administer it, how to stop it.
fn ready_line(me: &teloxide::types::Me, ctx: &Ctx, webhook: Option<&url::Url>, admins_not_opened: usize) -> String {
    use crate::text::count;
    let engine = ctx.live.engine();
    let k = &engine.knowledge;
    let channel = match webhook {
        None => "Telegram (long polling)".to_string(),
        Some(url) => format!("Telegram (webhook {url})"),
    };
    let admins = match admins_not_opened {
        0 => count(ctx.admins.len(), "admin", "admins"),
        n => format!("{} ({n} not yet opened the bot)", count(ctx.admins.len(), "admin", "admins")),
    };
    format!(
        "ready: @{} on {channel}; {}, {}, {}; {admins}; stop with Ctrl-C or SIGTERM",
        me.user.username.as_deref().unwrap_or("?"),
        count(k.faq.len(), "FAQ entry", "FAQ entries"),
        count(k.stations.len(), "station", "stations"),
        count(k.articles.len(), "article", "articles"),
    )
}

/// Everything before serving (the engine and the journal are open): the
/// token checked with getMe, the command menus.
async fn start(shared: &Shared, config: &TelegramConfig) -> Result<Started> {
    let bot = bot(config);
    let me = bot.get_me().await.context("getMe failed: the Bot API refused the token or could not be reached; check TELOXIDE_TOKEN and TELOXIDE_API_URL")?;
    let admins_not_opened = admin::set_menus(&bot, &config.admins).await;
    let mut ctx = Ctx::new(Arc::clone(&shared.live), Arc::clone(&shared.journal), config.admins.clone());
    ctx.pending = Arc::clone(&shared.pending);
    let ctx = Arc::new(ctx);
    Ok(Started { bot, ctx, me, admins_not_opened })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply;

    #[test]
    fn secrets_compare_whole() {
        assert!(constant_time_eq(b"abc-123", b"abc-123"));
        assert!(!constant_time_eq(b"abc-123", b"abc-124"));
        assert!(!constant_time_eq(b"abc", b"abc-123"));
        assert!(!constant_time_eq(b"", b"abc"));
    }

    #[test]
    fn the_menu_lists_exactly_the_commands_we_parse() {
        let names = |cmds: Vec<teloxide::types::BotCommand>| cmds.into_iter().map(|c| c.command).collect::<Vec<_>>();
        let menu = |list: &[(&str, &str)]| list.iter().map(|(c, _)| format!("/{c}")).collect::<Vec<_>>();
        assert_eq!(names(Command::bot_commands()), menu(reply::COMMANDS));
        assert_eq!(names(AdminCommand::bot_commands()), menu(reply::ADMIN_COMMANDS));
    }
}
