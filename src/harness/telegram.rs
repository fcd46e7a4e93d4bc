//! A Telegram update (any bytes, read as the Bot API's JSON) through the
//! channel's real handling: [`crate::telegram::schema`], the endpoints, the
//! engine over the committed knowledge, the journal, the senders. The bot's
//! requests go over loopback to a small in-process stand-in for the Bot API
//! that records them and answers each as Telegram would when it accepts it.
//! Then every request is checked the way Telegram checks it:
//!
//! - only methods the channel is meant to call, to the update's own chat;
//! - `sendMessage`: 1–4096 characters (UTF-16 units, after entities are
//!   parsed); with `parse_mode` HTML, only Telegram's tags, balanced, with
//!   `<`, `>` and `&` escaped in text; a reply quoting the update's message;
//! - buttons: a non-empty label, one action, callback data 1–64 bytes, link
//!   buttons with an http(s) or tg URL, the location button in private chats;
//! - `sendVenue`: coordinates on Earth, a title and an address;
//! - a button press is answered (`answerCallbackQuery`) exactly once;
//! - nothing failed: the apology a failed or panicking handler sends
//!   ([`crate::reply::internal_error`]) is never among them.
//!
//! Each update gets a fresh per-chat state (flood limit, live locations), so
//! the outcome depends on the input alone. The Bot API's pace limits are not
//! applied here: the [`TgBot`] is built with its pacing worker dropped, which
//! makes teloxide's `Throttle` send each request straight through.

use std::collections::BTreeSet;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{Chat, Me};

use crate::config::Paths;
use crate::engine::Engine;
use crate::journal::Journal;
use crate::knowledge::Knowledge;
use crate::reload::Live;
use crate::reply;
use crate::telegram::{Ctx, TgBot, schema};

/// The admin of the harness's bot (`ADMIN_IDS`): the fuzzer may find the
/// admin commands too.
pub const ADMIN: u64 = 4242;
/// The bot's user (`getMe`).
pub const BOT_ID: u64 = 7_000_000_001;
pub const BOT_USERNAME: &str = "union_helper_bot";
const TOKEN: &str = "7000000001:AAFuzzHarnessTokenNotARealOne_0123456";
/// Telegram's limits.
const TEXT_LIMIT: usize = 4096;
const CALLBACK_DATA_LIMIT: usize = 64;
/// An update whose handling takes longer than this is a hang.
const HANDLING_LIMIT: Duration = Duration::from_secs(60);

/// One request the bot sent: the method and its JSON parameters.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub params: Value,
}

struct Channel {
    runtime: tokio::runtime::Runtime,
    bot: TgBot,
    me: Me,
    handler: UpdateHandler<Box<dyn std::error::Error + Send + Sync>>,
    live: Arc<Live>,
    journal: Arc<Journal>,
    data: PathBuf,
    requests: Arc<Mutex<Vec<Request>>>,
    runs: AtomicU64,
}

fn channel() -> &'static Channel {
    static CHANNEL: OnceLock<Channel> = OnceLock::new();
    CHANNEL.get_or_init(|| Channel::start().expect("the harness's channel starts"))
}

impl Channel {
    fn start() -> anyhow::Result<Channel> {
        let knowledge_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let data = std::env::temp_dir().join(format!("union-bot-harness-{}", std::process::id()));
        std::fs::create_dir_all(&data)?;
        let (knowledge, _warnings) = Knowledge::load(&knowledge_dir).map_err(|p| anyhow::anyhow!("the committed knowledge does not load: {p:?}"))?;
        let engine = Engine::in_ram(knowledge)?;
        let live = Arc::new(Live::from_engine(Paths { knowledge: knowledge_dir, data: data.clone() }, engine));
        let journal = Arc::new(Journal::with_retention(&data, 90));
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).max_blocking_threads(2).enable_all().build()?;
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let url = runtime.block_on(serve(Arc::clone(&requests)))?;
        // Built inside the runtime (the client spawns nothing, but its
        // connections live on it). The pacing worker is dropped unpolled: with
        // its queue closed, Throttle sends every request at once.
        let bot = runtime.block_on(async {
            let (bot, worker) = Throttle::new(Bot::new(TOKEN).set_api_url(url), Limits::default());
            drop(worker);
            bot
        });
        let me: Me = serde_json::from_value(json!({
            "id": BOT_ID, "is_bot": true, "first_name": "工会小助手", "username": BOT_USERNAME,
            "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
            "can_connect_to_business": false, "has_main_web_app": false,
        }))?;
        Ok(Channel { runtime, bot, me, handler: schema(), live, journal, data, requests, runs: AtomicU64::new(0) })
    }

    /// Handles one update with fresh per-chat state and returns what was sent.
    fn handle(&self, update: Update) -> Vec<Request> {
        // The journal keeps growing with every question; start it afresh now and then.
        if self.runs.fetch_add(1, Ordering::Relaxed) % 1000 == 999 {
            for f in [crate::journal::UNANSWERED_FILE, crate::journal::EVENTS_FILE] {
                let _ = std::fs::remove_file(self.data.join(f));
            }
        }
        self.requests.lock().unwrap_or_else(|p| p.into_inner()).clear();
        let admins: BTreeSet<u64> = [ADMIN].into();
        let ctx = Arc::new(Ctx::new(Arc::clone(&self.live), Arc::clone(&self.journal), admins));
        let deps = dptree::deps![self.bot.clone(), self.me.clone(), ctx, update];
        let handled = self.runtime.block_on(async { tokio::time::timeout(HANDLING_LIMIT, self.handler.dispatch(deps)).await });
        match handled {
            Err(_) => panic!("the update was not handled within {} s", HANDLING_LIMIT.as_secs()),
            Ok(std::ops::ControlFlow::Break(Err(e))) => panic!("an endpoint returned an error to the dispatcher: {e}"),
            Ok(_) => {}
        }
        std::mem::take(&mut *self.requests.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The stand-in Bot API on 127.0.0.1: records each request, answers it as
/// accepted. Returns its URL.
async fn serve(requests: Arc<Mutex<Vec<Request>>>) -> anyhow::Result<url::Url> {
    use axum::extract::{Path as UrlPath, State};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let next_id = Arc::new(AtomicU64::new(1));
    let router = axum::Router::new()
        .route(
            "/{bot}/{method}",
            axum::routing::post(move |State(requests): State<Arc<Mutex<Vec<Request>>>>, UrlPath((_bot, method)): UrlPath<(String, String)>, body: axum::body::Bytes| {
                let next_id = Arc::clone(&next_id);
                async move {
                    // Bot API methods are case-insensitive (teloxide sends "SendMessage").
                    let method = method.get(..1).map(|c| c.to_ascii_lowercase()).unwrap_or_default() + method.get(1..).unwrap_or_default();
                    let params: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let result = match method.as_str() {
                        "sendMessage" | "sendVenue" => {
                            let id = next_id.fetch_add(1, Ordering::Relaxed);
                            let chat = params["chat_id"].as_i64().unwrap_or(1);
                            let date = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
                            json!({ "message_id": id, "date": date, "text": "·",
                                    "chat": { "id": chat, "type": "private", "first_name": "·" },
                                    "from": { "id": BOT_ID, "is_bot": true, "first_name": "工会小助手", "username": BOT_USERNAME } })
                        }
                        _ => json!(true),
                    };
                    requests.lock().unwrap_or_else(|p| p.into_inner()).push(Request { method, params });
                    axum::Json(json!({ "ok": true, "result": result }))
                }
            }),
        )
        .with_state(requests);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(url::Url::parse(&format!("http://{addr}"))?)
}

/// Any bytes as a Telegram update: not JSON, or not an update, is what
/// teloxide skips too; an update is handled and its requests checked.
pub fn telegram_update(data: &[u8]) {
    let Ok(update) = serde_json::from_slice::<Update>(data) else { return };
    let requests = channel().handle(update.clone());
    if let Err(e) = check_requests(&update, &requests) {
        panic!("{e}\nrequests: {requests:#?}");
    }
}

/// The checks listed at the top of this module.
pub fn check_requests(update: &Update, requests: &[Request]) -> Result<(), String> {
    let chat = update.chat();
    let callback = match &update.kind {
        teloxide::types::UpdateKind::CallbackQuery(q) => Some(q.id.0.as_str()),
        _ => None,
    };
    let apology = reply::internal_error();
    let mut answered = 0;
    for r in requests {
        let p = &r.params;
        match r.method.as_str() {
            "answerCallbackQuery" => {
                if Some(p["callback_query_id"].as_str().unwrap_or_default()) != callback {
                    return Err(format!("answerCallbackQuery for another query: {p}"));
                }
                answered += 1;
                continue;
            }
            "sendMessage" | "sendVenue" => {}
            other => return Err(format!("an unexpected method {other}")),
        }
        let Some(chat) = chat else { return Err(format!("{} for an update without a chat", r.method)) };
        if p["chat_id"].as_i64() != Some(chat.id.0) {
            return Err(format!("{} to chat {} for an update in chat {}", r.method, p["chat_id"], chat.id.0));
        }
        if r.method == "sendMessage" {
            let text = p["text"].as_str().ok_or("sendMessage without text")?;
            if text == apology {
                return Err("the handler failed (the apology was sent)".into());
            }
            let visible = match p["parse_mode"].as_str() {
                None => text.to_string(),
                Some("HTML") => parse_html(text).map_err(|e| format!("Bad Request: can't parse entities: {e}"))?,
                Some(other) => return Err(format!("parse_mode {other}")),
            };
            if visible.trim().is_empty() {
                return Err("Bad Request: message text is empty".into());
            }
            let n = visible.encode_utf16().count();
            if n > TEXT_LIMIT {
                return Err(format!("Bad Request: message is too long ({n})"));
            }
        } else {
            let (lat, lon) = (p["latitude"].as_f64().unwrap_or(f64::NAN), p["longitude"].as_f64().unwrap_or(f64::NAN));
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return Err(format!("sendVenue at {lat},{lon}"));
            }
            for field in ["title", "address"] {
                if p[field].as_str().is_none_or(|t| t.trim().is_empty()) {
                    return Err(format!("sendVenue without a {field}"));
                }
            }
        }
        if !p["reply_parameters"].is_null() {
            let quoted = p["reply_parameters"]["message_id"].as_i64();
            let own = match &update.kind {
                teloxide::types::UpdateKind::Message(m) | teloxide::types::UpdateKind::EditedMessage(m) => Some(m.id.0 as i64),
                _ => None,
            };
            if quoted != own && p["reply_parameters"]["allow_sending_without_reply"] != json!(true) {
                return Err(format!("a reply to message {quoted:?}, not the update's"));
            }
        }
        check_markup(&p["reply_markup"], chat)?;
    }
    let expected = usize::from(callback.is_some());
    if answered != expected {
        return Err(format!("the button press answered {answered} times"));
    }
    Ok(())
}

/// A reply_markup as Telegram checks it.
fn check_markup(m: &Value, chat: &Chat) -> Result<(), String> {
    if m.is_null() {
        return Ok(());
    }
    if let Some(rows) = m.get("inline_keyboard") {
        for b in rows.as_array().into_iter().flatten().filter_map(Value::as_array).flatten() {
            if b["text"].as_str().is_none_or(|t| t.trim().is_empty()) {
                return Err("BUTTON_TEXT_EMPTY".into());
            }
            let actions = ["url", "callback_data", "switch_inline_query", "switch_inline_query_current_chat", "web_app", "login_url", "pay", "copy_text"];
            if actions.iter().filter(|a| !b[**a].is_null()).count() != 1 {
                return Err(format!("a button without exactly one action: {b}"));
            }
            if let Some(d) = b.get("callback_data") {
                let d = d.as_str().unwrap_or_default();
                if d.is_empty() || d.len() > CALLBACK_DATA_LIMIT {
                    return Err(format!("BUTTON_DATA_INVALID: {} bytes", d.len()));
                }
            }
            if let Some(u) = b.get("url") {
                let ok = u.as_str().and_then(|u| url::Url::parse(u).ok()).is_some_and(|u| matches!(u.scheme(), "http" | "https" | "tg"));
                if !ok {
                    return Err(format!("BUTTON_URL_INVALID: {u}"));
                }
            }
        }
        return Ok(());
    }
    if let Some(rows) = m.get("keyboard") {
        for b in rows.as_array().into_iter().flatten().filter_map(Value::as_array).flatten() {
            if b.as_str().or_else(|| b["text"].as_str()).is_none_or(|t| t.trim().is_empty()) {
                return Err("BUTTON_TEXT_EMPTY".into());
            }
            if b["request_location"] == json!(true) && !chat.is_private() {
                return Err("a location button outside a private chat".into());
            }
        }
        if m.get("input_field_placeholder").and_then(Value::as_str).is_some_and(|p| p.chars().count() > 64) {
            return Err("input_field_placeholder over 64 characters".into());
        }
        return Ok(());
    }
    if m.get("remove_keyboard").is_some() || m.get("force_reply").is_some() {
        return Ok(());
    }
    Err(format!("a reply_markup Telegram cannot read: {m}"))
}

/// Parses Telegram HTML as the Bot API does, returning the visible text
/// (entities decoded, tags removed) or the Bot API's complaint.
pub fn parse_html(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut open: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(c) = s[i..].chars().next() {
        match c {
            '<' => {
                let end = i + s[i..].find('>').ok_or_else(|| format!("Unclosed start tag at byte offset {i}"))?;
                let inner = &s[i + 1..end];
                if let Some(name) = inner.strip_prefix('/') {
                    let name = name.trim().to_ascii_lowercase();
                    match open.pop() {
                        Some(o) if o == name => {}
                        Some(o) => return Err(format!("Unmatched end tag at byte offset {i}, expected \"</{o}>\", found \"</{name}>\"")),
                        None => return Err(format!("Unexpected end tag at byte offset {i}")),
                    }
                } else {
                    let name_end = inner.find(char::is_whitespace).unwrap_or(inner.len());
                    let name = inner[..name_end].to_ascii_lowercase();
                    let attrs = parse_attrs(&inner[name_end..]).map_err(|e| format!("{e} at byte offset {i}"))?;
                    let known = match name.as_str() {
                        "b" | "strong" | "i" | "em" | "u" | "ins" | "s" | "strike" | "del" | "tg-spoiler" | "code" | "pre" | "blockquote" => true,
                        "span" => attrs.get("class").map(String::as_str) == Some("tg-spoiler"),
                        "a" => attrs.get("href").is_some_and(|h| url::Url::parse(h).is_ok()),
                        "tg-emoji" => attrs.contains_key("emoji-id"),
                        _ => false,
                    };
                    if !known {
                        return Err(format!("Unsupported start tag \"{name}\" at byte offset {i}"));
                    }
                    open.push(name);
                }
                i = end + 1;
            }
            '&' => {
                let (decoded, len) = entity(&s[i..]).ok_or_else(|| format!("Character '&' at byte offset {i} is not a part of an entity; it must be escaped as &amp;"))?;
                out.push(decoded);
                i += len;
            }
            '>' => return Err(format!("Character '>' at byte offset {i} must be escaped as &gt;")),
            _ => {
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    match open.pop() {
        Some(o) => Err(format!("Can't find end tag corresponding to start tag \"{o}\"")),
        None => Ok(out),
    }
}

/// `name="value"`, `name='value'`, `name=value` or a bare `name`.
fn parse_attrs(s: &str) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let name_end = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let value = if let Some(r) = rest.strip_prefix('=') {
            let r = r.trim_start();
            let (v, after) = match r.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let close = r[1..].find(q).ok_or("Unclosed attribute value")?;
                    (&r[1..1 + close], &r[close + 2..])
                }
                _ => {
                    let e = r.find(char::is_whitespace).unwrap_or(r.len());
                    (&r[..e], &r[e..])
                }
            };
            rest = after.trim_start();
            v.to_string()
        } else {
            String::new()
        };
        out.insert(name, value);
    }
    Ok(out)
}

/// An HTML entity at the start of `s`: the four named ones Telegram knows,
/// or a numeric one. Returns the character and the entity's length.
fn entity(s: &str) -> Option<(char, usize)> {
    let end = s.find(';').filter(|e| *e <= 10)?;
    let body = &s[1..end];
    let c = match body {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let n = body.strip_prefix('#')?;
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegram_html_is_parsed_as_telegram_does() {
        assert_eq!(parse_html("<b>工会</b> &amp; <a href=\"https://example.org/?a=1&amp;b=2\">链接</a>").unwrap(), "工会 & 链接");
        assert!(parse_html("<b>未闭合").is_err());
        assert!(parse_html("<b><i>交叉</b></i>").is_err());
        assert!(parse_html("a > b").is_err());
        assert!(parse_html("a & b").is_err());
        assert!(parse_html("<div>不支持</div>").is_err());
        assert!(parse_html("<span class=\"tg-spoiler\">剧透</span>").is_ok());
        assert!(parse_html("<span>不行</span>").is_err());
    }
}
