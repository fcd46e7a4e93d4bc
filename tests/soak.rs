//! The soak: many chats talking to the bot at once for a long time, through
//! the fake Bot API (`common::fake_telegram`): questions, shared locations,
//! live locations and their moves, button presses, stickers, /start.
//!
//! The bot runs in a process of its own (so that its memory is its own): this
//! test binary started again as [`soak_bot_process`], which serves exactly as
//! `union-bot telegram` does (`union_bot::telegram::run`, the same logging
//! set-up, the settings from the environment) except for one thing: its sends
//! are not held to Telegram's 30 a second, or 100,000 updates would take an
//! hour. Each chat behaves like a worker: it sends something, waits for the
//! bot to finish with it (the bot's one log line per update), then sends the
//! next, so every request the bot makes belongs to exactly one update.
//!
//! What must hold:
//! - every update is handled exactly once (one log line with its id), none
//!   fails, none is held back by the flood limit, and Telegram would have
//!   refused no request;
//! - each is answered as its kind must be: a question, a location or a
//!   button press with at least one message, a button press with exactly one
//!   `answerCallbackQuery`, a sticker with exactly the one sentence, a live
//!   location's move with messages exactly when the bot says it was news;
//! - the whole run ends within its time bound;
//! - the bot's memory (VmRSS, read from /proc) after the warm-up (the first
//!   fifth of the updates; half of them in the short version) grows by at
//!   most 10 %;
//! - the per-chat tables (flood limit, live locations), whose sizes the bot
//!   logs every 1,000 updates and when it stops (counts only), never hold
//!   more entries than there are chats.
//!
//! `soak_in_ci` is the short version (1,200 updates from 100 chats, a few
//! seconds; too short to show memory settling, it mostly guards the
//! exactly-once bookkeeping). The long one, 100,000 updates from 5,000 chats:
//!
//! ```sh
//! cargo test --release --test main soak_100k -- --ignored --nocapture
//! ```

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use union_bot::reply;

use crate::common::fake_telegram::{self as tg, Call, FakeTelegram};
use crate::common::knowledge_dir;

/// The environment variable that turns [`soak_bot_process`] into the bot.
const CHILD: &str = "UNION_BOT_SOAK_CHILD";

/// What a soak sends.
#[derive(Debug, Clone, Copy)]
struct Plan {
    chats: usize,
    updates_per_chat: usize,
    /// How many chats talk at the same time; when one has sent everything,
    /// the next starts, so the early ones go quiet while the run goes on.
    at_once: usize,
    /// The warm-up: the first 1/`warm_up` of the updates.
    warm_up: usize,
    /// The whole run must end within this.
    time_bound: Duration,
}

/// What a soak measured.
#[derive(Debug)]
struct Figures {
    updates: usize,
    elapsed: Duration,
    rss_start_kb: u64,
    rss_warm_kb: u64,
    rss_end_kb: u64,
    rss_max_kb: u64,
    max_flood_users: usize,
    max_live_tracks: usize,
    max_contexts: usize,
    last_state: Option<(usize, usize, usize)>,
    sends: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_in_ci() {
    let plan = Plan { chats: 100, updates_per_chat: 12, at_once: 100, warm_up: 2, time_bound: Duration::from_secs(120) };
    let f = soak(plan).await;
    assert_eq!(f.updates, 1_200);
    assert!(f.last_state.is_some(), "the bot logged its per-chat state when it stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the long soak (several minutes): cargo test --release --test main soak_100k -- --ignored --nocapture"]
async fn soak_100k() {
    let plan = Plan { chats: 5_000, updates_per_chat: 20, at_once: 500, warm_up: 5, time_bound: Duration::from_secs(40 * 60) };
    let f = soak(plan).await;
    assert_eq!(f.updates, 100_000);
    // Runs longer than two flood windows: the chats that went quiet were forgotten.
    if f.elapsed > 3 * Duration::from_secs(60) {
        let (flood_users, _, _) = f.last_state.expect("a last state line");
        assert!(flood_users < plan.chats, "the flood table still holds {flood_users} users after the run");
    }
}

/// The bot's process in a soak (started by [`soak`]; does nothing when run
/// otherwise): `union-bot telegram` with its sends unpaced, until SIGTERM.
#[test]
#[ignore = "the soak's bot process, started by the soak itself"]
fn soak_bot_process() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    union_bot::config::init_tracing();
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is set by the soak"));
    let paths = union_bot::config::Paths { knowledge: var("KNOWLEDGE_DIR").into(), data: var("DATA_DIR").into() };
    let mut config = union_bot::config::TelegramConfig::from_env().expect("the soak's settings");
    config.send_limits = teloxide::adaptors::throttle::Limits {
        messages_per_sec_chat: 1_000,
        messages_per_min_chat: 1_000_000,
        messages_per_min_channel_or_supergroup: 1_000_000,
        messages_per_sec_overall: 20_000,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let served = runtime.block_on(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM");
        union_bot::telegram::run(paths, config, None, async move {
            term.recv().await;
        })
        .await
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    served.expect("the bot served and stopped cleanly");
}

/// What the bot's log says, line by line (never a text or a position: the
/// log holds none).
enum Event {
    Ready,
    Update { id: i64, kind: String, intent: String },
    State { flood_users: usize, live_tracks: usize, contexts: usize },
    Trouble(String),
}

fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    // A `&str` field is logged quoted (kind="text"), a Display one bare.
    line.split_whitespace().find_map(|t| t.strip_prefix(name)?.strip_prefix('=')).map(|v| v.trim_matches('"'))
}

fn parse_line(line: &str) -> Option<Event> {
    if line.contains("ready: @") {
        return Some(Event::Ready);
    }
    if line.contains("update failed") || line.contains("panicked") || line.contains(" ERROR ") {
        return Some(Event::Trouble(line.to_string()));
    }
    if line.contains(" update update=") {
        let id = field(line, "update")?.parse().ok()?;
        return Some(Event::Update { id, kind: field(line, "kind")?.to_string(), intent: field(line, "intent")?.to_string() });
    }
    if line.contains("per-chat state") {
        return Some(Event::State {
            flood_users: field(line, "flood_users")?.parse().ok()?,
            live_tracks: field(line, "live_tracks")?.parse().ok()?,
            contexts: field(line, "contexts")?.parse().ok()?,
        });
    }
    None
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The questions the project has: its regression questions and the yardstick's.
fn questions() -> Vec<String> {
    let mut out = Vec::new();
    for file in [knowledge_dir().join("../tests/data/questions.yaml"), crate::common::shared_dir().join("eval/questions.yaml")] {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let entries: Vec<Value> = serde_yaml::from_str(&text).unwrap_or_default();
        out.extend(entries.iter().filter_map(|e| e["q"].as_str().map(str::to_string)));
    }
    assert!(out.len() >= 50, "the soak's questions: only {}", out.len());
    out
}

/// Places in Beijing a worker shares, and one far away.
const PLACES: &[(f64, f64)] = &[(39.9965, 116.4705), (40.3162, 116.6325), (39.9087, 116.4605), (39.9834, 116.3162), (39.795, 116.506), (39.865, 116.379)];
const SHANGHAI: (f64, f64) = (31.2304, 121.4737);

/// One chat's script (cut to the plan's length). "press" falls back to a
/// question when the bot has shown no button yet.
const SCRIPT: &[Step] = &[
    Step::Question,
    Step::Question,
    Step::Press,
    Step::Location,
    Step::Question,
    Step::Sticker,
    Step::LiveStart,
    Step::LiveMove,
    Step::LiveMove,
    Step::Question,
    Step::Press,
    Step::Start,
    Step::LiveMove,
    Step::Question,
    Step::FarLocation,
    Step::Question,
    Step::Press,
    Step::LiveMove,
    Step::Question,
    Step::Question,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Question,
    Press,
    Location,
    FarLocation,
    Sticker,
    LiveStart,
    LiveMove,
    Start,
}

struct Chat {
    chat: Value,
    from: Value,
    step: usize,
    /// The last message the bot sent with buttons under it.
    buttons: Option<(Value, String)>,
    live: Option<Value>,
    moved: usize,
    /// The update being handled: its id, what it was, a button press's id.
    pending: Option<(i64, Step, Option<String>)>,
    /// The requests to this chat since its update was sent.
    sent: Vec<Call>,
}

async fn soak(plan: Plan) -> Figures {
    let started = Instant::now();
    let run = tokio::time::timeout(plan.time_bound, soak_unbounded(plan));
    let figures = run.await.unwrap_or_else(|_| panic!("the soak did not end within {:?}", plan.time_bound));
    eprintln!(
        "soak: {} updates from {} chats in {:.1} s ({:.0}/s), {} requests; VmRSS {} kB at start, {} kB after warm-up, {} kB at the end (max {} kB, {:+.1} % after warm-up); \
         most users in the flood table {}, most live locations followed {}, most follow-up contexts held {}; at the stop {:?}",
        figures.updates,
        plan.chats,
        figures.elapsed.as_secs_f64(),
        figures.updates as f64 / figures.elapsed.as_secs_f64(),
        figures.sends,
        figures.rss_start_kb,
        figures.rss_warm_kb,
        figures.rss_end_kb,
        figures.rss_max_kb,
        (figures.rss_end_kb as f64 / figures.rss_warm_kb as f64 - 1.0) * 100.0,
        figures.max_flood_users,
        figures.max_live_tracks,
        figures.max_contexts,
        figures.last_state,
    );
    assert!(started.elapsed() < plan.time_bound);
    figures
}

async fn soak_unbounded(plan: Plan) -> Figures {
    let questions = questions();
    let fake = FakeTelegram::start().await;
    let data = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args(["soak::soak_bot_process", "--exact", "--ignored", "--nocapture", "--test-threads", "1"])
        .env(CHILD, "1")
        .env("TELOXIDE_TOKEN", tg::TOKEN)
        .env("TELOXIDE_API_URL", &fake.url)
        .env("KNOWLEDGE_DIR", knowledge_dir())
        .env("DATA_DIR", data.path())
        .env("RUST_LOG", "info,union_bot::telegram=debug")
        .env_remove("ADMIN_IDS")
        .env_remove("JOURNAL_DAYS")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the soak's bot process");
    let pid = child.id().expect("running");
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let stderr = child.stderr.take().unwrap();
    let reader = tokio::spawn(async move {
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(e) = parse_line(&line) {
                let _ = events_tx.send(e);
            }
        }
    });
    loop {
        match tokio::time::timeout(Duration::from_secs(120), events.recv()).await {
            Ok(Some(Event::Ready)) => break,
            Ok(Some(Event::Trouble(line))) => panic!("the bot: {line}"),
            Ok(Some(_)) => {}
            _ => panic!("the bot did not get ready"),
        }
    }
    fake.wait_for("the first getUpdates", Duration::from_secs(60), |calls| calls.iter().any(|c| c.method == "getUpdates")).await;
    fake.take_calls();

    // Memory, twice a second, against how far the run has got.
    let handled = Arc::new(AtomicUsize::new(0));
    let samples: Arc<std::sync::Mutex<Vec<(usize, u64)>>> = Arc::default();
    let rss_start_kb = rss_kb(pid).expect("VmRSS of the bot");
    let sampler = {
        let (handled, samples) = (Arc::clone(&handled), Arc::clone(&samples));
        tokio::spawn(async move {
            loop {
                if let Some(kb) = rss_kb(pid) {
                    samples.lock().unwrap().push((handled.load(Ordering::Relaxed), kb));
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };

    let total = plan.chats * plan.updates_per_chat;
    let mut chats: Vec<Chat> = Vec::with_capacity(plan.chats);
    let mut by_update: HashMap<i64, usize> = HashMap::new();
    let mut by_chat_id: HashMap<i64, usize> = HashMap::new();
    let mut by_query: HashMap<String, usize> = HashMap::new();
    let mut seen: HashMap<i64, u32> = HashMap::new();
    let (mut max_flood_users, mut max_live_tracks, mut max_contexts, mut sends) = (0, 0, 0, 0);
    let mut refused: Vec<Call> = Vec::new();
    let t0 = Instant::now();

    let mut next_chat = 0;
    let mut start_chat = |chats: &mut Vec<Chat>, by_chat_id: &mut HashMap<i64, usize>| -> Option<usize> {
        if next_chat >= plan.chats {
            return None;
        }
        let id = 900_000_000 + next_chat as i64;
        next_chat += 1;
        chats.push(Chat {
            chat: tg::private_chat(id, "骑手"),
            from: tg::user(id, "骑手"),
            step: 0,
            buttons: None,
            live: None,
            moved: 0,
            pending: None,
            sent: Vec::new(),
        });
        by_chat_id.insert(id, chats.len() - 1);
        Some(chats.len() - 1)
    };
    for _ in 0..plan.at_once {
        if let Some(i) = start_chat(&mut chats, &mut by_chat_id) {
            send_next(&fake, &mut chats[i], i, &questions, &mut by_update, &mut by_query);
        }
    }

    let mut done = 0;
    while done < total {
        let event = match tokio::time::timeout(Duration::from_secs(120), events.recv()).await {
            Ok(Some(e)) => e,
            Ok(None) => panic!("the bot's log ended after {done} of {total} updates"),
            Err(_) => panic!("no update handled for 120 s, after {done} of {total}"),
        };
        let (id, kind, intent) = match event {
            Event::Update { id, kind, intent } => (id, kind, intent),
            Event::State { flood_users, live_tracks, contexts } => {
                max_flood_users = max_flood_users.max(flood_users);
                max_live_tracks = max_live_tracks.max(live_tracks);
                max_contexts = max_contexts.max(contexts);
                continue;
            }
            Event::Trouble(line) => panic!("the bot: {line}"),
            Event::Ready => continue,
        };
        let n = seen.entry(id).or_default();
        *n += 1;
        assert_eq!(*n, 1, "update {id} handled twice");
        let Some(&i) = by_update.get(&id) else { panic!("update {id} was never sent") };
        // Every request so far, to the chat it went to.
        for call in fake.take_calls() {
            if call.error.is_some() {
                refused.push(call);
                continue;
            }
            let owner = match call.method.as_str() {
                "sendMessage" | "sendVenue" => call.chat_id().and_then(|c| by_chat_id.get(&c).copied()),
                "answerCallbackQuery" => call.params["callback_query_id"].as_str().and_then(|q| by_query.get(q).copied()),
                _ => continue,
            };
            let Some(owner) = owner else { panic!("a request to nobody: {call:?}") };
            sends += 1;
            chats[owner].sent.push(call);
        }
        judge(&mut chats[i], id, &kind, &intent);
        done += 1;
        handled.store(done, Ordering::Relaxed);
        if chats[i].step < plan.updates_per_chat {
            send_next(&fake, &mut chats[i], i, &questions, &mut by_update, &mut by_query);
        } else if let Some(j) = start_chat(&mut chats, &mut by_chat_id) {
            send_next(&fake, &mut chats[j], j, &questions, &mut by_update, &mut by_query);
        }
    }
    let elapsed = t0.elapsed();
    tokio::time::sleep(Duration::from_millis(600)).await;
    sampler.abort();
    let rss_end_kb = rss_kb(pid).expect("VmRSS at the end");

    // Stop it as systemd would, and read its last state line.
    let status = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(15), child.wait()).await.expect("the bot stops within 15 s of SIGTERM").unwrap();
    assert!(exit.success(), "the bot exited with {exit:?}");
    let _ = reader.await;
    let mut last_state = None;
    while let Ok(e) = events.try_recv() {
        match e {
            Event::State { flood_users, live_tracks, contexts } => {
                max_flood_users = max_flood_users.max(flood_users);
                max_live_tracks = max_live_tracks.max(live_tracks);
                max_contexts = max_contexts.max(contexts);
                last_state = Some((flood_users, live_tracks, contexts));
            }
            Event::Trouble(line) => panic!("the bot: {line}"),
            Event::Update { id, .. } => panic!("update {id} handled again after the run"),
            Event::Ready => {}
        }
    }
    refused.extend(fake.take_calls().into_iter().filter(|c| c.error.is_some()));
    assert!(refused.is_empty(), "Telegram would have refused: {:#?}", &refused[..refused.len().min(5)]);
    assert!(fake.unanswered_callbacks().is_empty(), "button presses never answered: {:?}", fake.unanswered_callbacks());
    assert_eq!(seen.len(), total, "every update handled once");

    let samples = samples.lock().unwrap().clone();
    let rss_warm_kb = samples.iter().find(|(n, _)| *n >= total / plan.warm_up).map(|s| s.1).expect("a sample after the warm-up");
    let rss_max_kb = samples.iter().map(|s| s.1).max().unwrap_or(rss_end_kb).max(rss_end_kb);
    let figures = Figures {
        updates: done,
        elapsed,
        rss_start_kb,
        rss_warm_kb,
        rss_end_kb,
        rss_max_kb,
        max_flood_users,
        max_live_tracks,
        max_contexts,
        last_state,
        sends,
    };
    assert!(
        figures.rss_end_kb as f64 <= figures.rss_warm_kb as f64 * 1.10,
        "the bot's memory grew by more than 10 % after the warm-up: {figures:?}"
    );
    assert!(max_flood_users <= plan.chats && max_live_tracks <= plan.chats && max_contexts <= plan.chats, "a per-chat table holds more entries than there are chats: {figures:?}");
    figures
}

/// Sends a chat's next update.
fn send_next(fake: &FakeTelegram, c: &mut Chat, i: usize, questions: &[String], by_update: &mut HashMap<i64, usize>, by_query: &mut HashMap<String, usize>) {
    let mut step = SCRIPT[c.step % SCRIPT.len()];
    if step == Step::Press && c.buttons.is_none() {
        step = Step::Question;
    }
    if step == Step::LiveMove && c.live.is_none() {
        step = Step::LiveStart;
    }
    let seed = i * 31 + c.step * 7;
    let before = fake.last_update_id();
    let mut query = None;
    match step {
        Step::Question => {
            fake.text(&c.chat, &c.from, &questions[seed % questions.len()]);
        }
        Step::Start => {
            fake.text(&c.chat, &c.from, "/start");
        }
        Step::Location => {
            let (lat, lon) = PLACES[seed % PLACES.len()];
            fake.location(&c.chat, &c.from, lat, lon, false);
        }
        Step::FarLocation => {
            fake.location(&c.chat, &c.from, SHANGHAI.0, SHANGHAI.1, false);
        }
        Step::Sticker => {
            fake.sticker(&c.chat, &c.from);
        }
        Step::LiveStart => {
            let (lat, lon) = PLACES[seed % PLACES.len()];
            c.live = Some(fake.location(&c.chat, &c.from, lat, lon, true));
            c.moved = 0;
        }
        Step::LiveMove => {
            // A courier riding north-east: about 1.4 km a move.
            c.moved += 1;
            let original = c.live.as_ref().expect("a live location");
            let lat = original["location"]["latitude"].as_f64().unwrap() + 0.01 * c.moved as f64;
            let lon = original["location"]["longitude"].as_f64().unwrap() + 0.01 * c.moved as f64;
            fake.move_live_location(original, lat, lon);
        }
        Step::Press => {
            let (message, data) = c.buttons.clone().expect("buttons");
            let id = fake.press(&c.from, &message, &data);
            by_query.insert(id.clone(), i);
            query = Some(id);
        }
    }
    let id = fake.last_update_id();
    assert_eq!(id, before + 1);
    by_update.insert(id, i);
    c.pending = Some((id, step, query));
    c.step += 1;
}

/// Checks that the chat's update was answered as its kind must be, from the
/// requests made for it, and remembers the buttons shown.
fn judge(c: &mut Chat, id: i64, kind: &str, intent: &str) {
    let (pending, step, query) = c.pending.take().unwrap_or_else(|| panic!("update {id}: its chat has nothing pending"));
    assert_eq!(pending, id, "the chat's updates are handled in order");
    let sent = std::mem::take(&mut c.sent);
    let messages: Vec<&Call> = sent.iter().filter(|s| s.method != "answerCallbackQuery").collect();
    let answers = sent.iter().filter(|s| s.method == "answerCallbackQuery").count();
    let what = || format!("update {id} ({step:?}, logged as {kind}/{intent}): {:?}", sent.iter().map(|s| (s.method.as_str(), s.text().chars().take(30).collect::<String>())).collect::<Vec<_>>());
    assert!(kind != "flood" && intent != "flood", "held back by the flood limit: {}", what());
    match step {
        Step::Question | Step::Location | Step::FarLocation | Step::LiveStart | Step::Start => {
            assert!(!messages.is_empty() && messages[0].method == "sendMessage", "not answered: {}", what());
            assert_eq!(answers, 0, "{}", what());
        }
        Step::Sticker => {
            assert_eq!(messages.len(), 1, "{}", what());
            assert_eq!(messages[0].text(), reply::unsupported_message(), "{}", what());
        }
        Step::LiveMove => {
            assert_eq!(kind, "live_location", "{}", what());
            assert_eq!(messages.is_empty(), intent == "unchanged", "answered exactly when news: {}", what());
        }
        Step::Press => {
            assert_eq!(answers, 1, "the press answered once: {}", what());
            assert_eq!(sent.iter().find(|s| s.method == "answerCallbackQuery").unwrap().params["callback_query_id"].as_str(), query.as_deref());
            // A 👍/👎 is thanked with the toast alone; any other button gets its answer.
            if kind == "vote" {
                assert!(messages.is_empty(), "a vote is answered by the toast only: {}", what());
            } else {
                assert!(!messages.is_empty(), "not answered: {}", what());
            }
        }
    }
    if step == Step::Start {
        assert_eq!(messages[0].text(), reply::greeting(), "{}", what());
    }
    // The buttons of the last message that had any, for a later press.
    for m in messages.iter().rev() {
        let data = m.buttons().iter().find_map(|b| b["callback_data"].as_str().map(str::to_string));
        if let (Some(data), Some(result)) = (data, m.result.clone()) {
            c.buttons = Some((result, data));
            break;
        }
    }
}

#[test]
fn the_log_lines_the_soak_reads_parse() {
    let update = "2026-12-02T01:00:00.000000Z  INFO update update=17 user=0f3a kind=\"callback\" intent=faq_join-how ms=3";
    assert!(matches!(parse_line(update), Some(Event::Update { id: 17, ref kind, ref intent }) if kind == "callback" && intent == "faq_join-how"));
    let state = "2026-12-02T01:00:00.000000Z DEBUG per-chat state updates=1000 flood_users=412 live_tracks=37 contexts=88";
    assert!(matches!(parse_line(state), Some(Event::State { flood_users: 412, live_tracks: 37, contexts: 88 })));
    assert!(parse_line("2026-12-02T01:00:00Z  INFO stopped").is_none());
}
