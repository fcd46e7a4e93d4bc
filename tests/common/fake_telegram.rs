//! A fake Telegram Bot API server: a small axum server on 127.0.0.1:0 that
//! serves `getUpdates` (long polling) from a queue the test pushes to,
//! records every request, and checks each one as Telegram would:
//! - the token in the path (`/bot<token>/<method>`), else 401;
//! - `parse_mode: HTML` text parses with Telegram's tag set (b strong i em u
//!   ins s strike del span.tg-spoiler tg-spoiler a code pre blockquote
//!   tg-emoji), tags nest, entities are known, and no `<`, `>` or `&` is left
//!   unescaped (a bare `>` Telegram itself would let pass; we do not);
//! - text is 1–4096 characters (UTF-16 units) after entity parsing;
//! - inline buttons: a text and one action, callback data 1–64 bytes, URLs
//!   that parse; reply-keyboard location buttons only in private chats;
//! - messages go to chats the bot has seen; callback queries are answered
//!   once, and only ones that were delivered.
//!
//! When the bot sets a webhook, the server posts the queued updates to it
//! instead (with the secret token header), and refuses getUpdates as
//! Telegram does until the webhook is deleted.
//!
//! Faults on demand, for the fault bench (`tests/faults.rs`): a 429 with
//! `retry_after` on the next sends ([`FakeTelegram::too_many_requests`]),
//! getUpdates answered with 502s and dropped connections for a while
//! ([`FakeTelegram::break_get_updates_for`]), a 409 Conflict as when another
//! instance polls ([`FakeTelegram::conflict`]), and slow sends
//! ([`FakeTelegram::delay_sends`]). Every request is timed, and every update
//! handed out by getUpdates too, for latencies ([`FakeTelegram::latencies`]).
//!
//! A refused request gets Telegram's error JSON (`{"ok":false,
//! "error_code":400,"description":"Bad Request: …"}`) and is recorded with
//! its error, so a test can assert there were none.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

/// The token the fake server accepts.
pub const TOKEN: &str = "123456789:TEST-fake_token-for-union-bot";
pub const BOT_ID: i64 = 123456789;
pub const BOT_USERNAME: &str = "union_test_bot";
/// Telegram's limit on a message's text, in UTF-16 units after parsing.
pub const TEXT_LIMIT: usize = 4096;
/// Telegram's limit on callback data, in bytes.
pub const CALLBACK_DATA_LIMIT: usize = 64;
/// The user id Telegram shows for anonymous group admins.
pub const GROUP_ANONYMOUS_BOT: i64 = 1087968824;

/// One request the bot made.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub params: Value,
    /// What was answered (a message for sendMessage and sendVenue).
    pub result: Option<Value>,
    /// Telegram's error description, when the request was refused.
    pub error: Option<String>,
    /// When the request arrived (for getUpdates) or was answered.
    pub at: Instant,
}

impl Call {
    pub fn chat_id(&self) -> Option<i64> {
        self.params["chat_id"].as_i64()
    }

    pub fn text(&self) -> &str {
        self.params["text"].as_str().unwrap_or_default()
    }

    /// Every inline button (flattened), or every reply-keyboard button.
    pub fn buttons(&self) -> Vec<Value> {
        let m = &self.params["reply_markup"];
        let rows = m.get("inline_keyboard").or_else(|| m.get("keyboard"));
        rows.and_then(Value::as_array).map(|rows| rows.iter().filter_map(Value::as_array).flatten().cloned().collect()).unwrap_or_default()
    }

    pub fn is_sent_message(&self) -> bool {
        self.error.is_none() && matches!(self.method.as_str(), "sendMessage" | "sendVenue")
    }
}

struct Inner {
    /// Updates not yet confirmed by an offset.
    queue: Vec<Value>,
    next_update_id: i64,
    next_message_id: i64,
    next_callback_id: u64,
    calls: Vec<Call>,
    /// Chats the bot may write to (it has seen them), by id.
    chats: HashMap<i64, Value>,
    callbacks_delivered: HashSet<String>,
    callbacks_answered: HashSet<String>,
    /// The update kinds the bot asked for (Telegram remembers the last list).
    allowed_updates: Option<Vec<String>>,
    /// The highest offset the bot has confirmed.
    confirmed_offset: i64,
    /// Where each message was sent (message id → chat id), for replies.
    message_chats: HashMap<i64, i64>,
    /// The webhook (URL and secret token) while one is set.
    webhook: Option<(url::Url, Option<String>)>,
    faults: Faults,
    /// Each update handed out by getUpdates: its id, its chat, when.
    delivered: Vec<(i64, Option<i64>, Instant)>,
}

/// The faults to inject, as the test sets them.
#[derive(Default)]
struct Faults {
    /// The next this many sendMessage requests get 429 with this retry_after.
    too_many: (u32, u64),
    /// Until then, getUpdates gets a 502 or a dropped connection, in turn.
    broken_until: Option<Instant>,
    broken_so_far: u64,
    /// getUpdates gets 409 Conflict (another instance is polling).
    conflict: bool,
    /// Sends are answered only after this long.
    delay_sends: Duration,
}

struct Shared {
    inner: Mutex<Inner>,
    /// Bumped on every change, so waiters wake up.
    version: watch::Sender<u64>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn bump(&self) {
        self.version.send_modify(|v| *v += 1);
    }
}

/// The running fake server.
pub struct FakeTelegram {
    /// Its base URL, for `TELOXIDE_API_URL`.
    pub url: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeTelegram {
    /// Starts a server on a free port of 127.0.0.1.
    pub async fn start() -> FakeTelegram {
        FakeTelegram::start_on("127.0.0.1:0").await
    }

    /// Starts a server on `addr` (a fixed port, to try the bot by hand).
    pub async fn start_on(addr: &str) -> FakeTelegram {
        let (version, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                queue: Vec::new(),
                next_update_id: 1000,
                next_message_id: 1,
                next_callback_id: 1,
                calls: Vec::new(),
                chats: HashMap::new(),
                callbacks_delivered: HashSet::new(),
                callbacks_answered: HashSet::new(),
                allowed_updates: None,
                confirmed_offset: 0,
                message_chats: HashMap::new(),
                webhook: None,
                faults: Faults::default(),
                delivered: Vec::new(),
            }),
            version,
        });
        let app = Router::new().route("/{bot}/{method}", post(handle)).with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap_or_else(|e| panic!("cannot listen on {addr}: {e}"));
        let addr = listener.local_addr().expect("local addr");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeTelegram { url: format!("http://{addr}"), shared, server }
    }

    // ----------------------------------------------------------- what the bot did

    /// Every request so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// Takes every request recorded so far, leaving none: a long run (the
    /// soak) looks at each once, and the fake's memory stays small.
    pub fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut self.shared.lock().calls)
    }

    /// The requests refused as Telegram would have refused them.
    pub fn refused(&self) -> Vec<Call> {
        self.calls().into_iter().filter(|c| c.error.is_some()).collect()
    }

    /// Messages and venues sent to `chat`, in order.
    pub fn sent_to(&self, chat: i64) -> Vec<Call> {
        self.calls().into_iter().filter(|c| c.is_sent_message() && c.chat_id() == Some(chat)).collect()
    }

    /// The highest offset the bot has confirmed with getUpdates.
    pub fn confirmed_offset(&self) -> i64 {
        self.shared.lock().confirmed_offset
    }

    /// The id of the last update pushed.
    pub fn last_update_id(&self) -> i64 {
        self.shared.lock().next_update_id - 1
    }

    /// Whether the bot's last getUpdates was the acknowledgement a polling bot
    /// sends when it stops gracefully (limit 1, timeout 0), confirming every
    /// update pushed.
    pub fn acknowledged_on_stop(&self) -> bool {
        let last = self.calls().into_iter().rev().find(|c| c.method == "getUpdates");
        last.is_some_and(|c| c.params["limit"] == json!(1) && c.params["timeout"] == json!(0) && c.params["offset"].as_i64() == Some(self.last_update_id() + 1))
    }

    /// Callback queries delivered to the bot and never answered.
    pub fn unanswered_callbacks(&self) -> Vec<String> {
        let g = self.shared.lock();
        g.callbacks_delivered.difference(&g.callbacks_answered).cloned().collect()
    }

    /// Waits until `done` holds for the calls so far, at most `timeout`;
    /// panics naming `what` if it never does.
    pub async fn wait_for(&self, what: &str, timeout: Duration, done: impl Fn(&[Call]) -> bool) -> Vec<Call> {
        let mut rx = self.shared.version.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            rx.borrow_and_update();
            let calls = self.calls();
            if done(&calls) {
                return calls;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => {
                    let summary: Vec<String> = calls
                        .iter()
                        .filter(|c| c.method != "getUpdates")
                        .map(|c| format!("{} {} {:?} {}", c.method, c.chat_id().unwrap_or(0), c.error, c.text().chars().take(40).collect::<String>()))
                        .collect();
                    panic!("timed out after {timeout:?} waiting for {what}; requests so far:\n{}", summary.join("\n"));
                }
            }
        }
    }

    /// Waits until `chat` has received at least `n` messages or venues.
    pub async fn wait_for_sent(&self, chat: i64, n: usize) -> Vec<Call> {
        self.wait_for(&format!("{n} messages to chat {chat}"), Duration::from_secs(60), |calls| {
            calls.iter().filter(|c| c.is_sent_message() && c.chat_id() == Some(chat)).count() >= n
        })
        .await;
        self.sent_to(chat)
    }

    /// Waits until the bot has received every update pushed so far (its
    /// getUpdates offset has moved past them).
    pub async fn wait_until_received(&self) {
        let last = self.shared.lock().next_update_id - 1;
        let shared = Arc::clone(&self.shared);
        self.wait_for(&format!("the bot to confirm update {last}"), Duration::from_secs(60), move |_| shared.lock().confirmed_offset > last).await;
    }

    /// For each update handed out by getUpdates, how long until the next
    /// message or venue was sent to its chat (updates never answered left out).
    pub fn latencies(&self) -> Vec<Duration> {
        let delivered = self.shared.lock().delivered.clone();
        let calls = self.calls();
        delivered
            .iter()
            .filter_map(|(_, chat, at)| {
                let chat = (*chat)?;
                calls.iter().find(|c| c.is_sent_message() && c.chat_id() == Some(chat) && c.at >= *at).map(|c| c.at - *at)
            })
            .collect()
    }

    // ------------------------------------------------------------- faults

    /// The next `n` sendMessage requests get `429 Too Many Requests` with
    /// `retry_after` seconds, as Telegram answers a bot that sends too fast.
    pub fn too_many_requests(&self, n: u32, retry_after: u64) {
        self.shared.lock().faults.too_many = (n, retry_after);
    }

    /// For `d` from now, every getUpdates has its connection dropped
    /// mid-response or gets a 502 Bad Gateway, in turn (one waiting is cut
    /// with a 502). teloxide waits 10 s after any 5xx before it reports it.
    pub fn break_get_updates_for(&self, d: Duration) {
        self.shared.lock().faults.broken_until = Some(Instant::now() + d);
        self.shared.bump();
    }

    /// From now on (until `false`), getUpdates gets the 409 Conflict Telegram
    /// sends when another instance polls with the same token.
    pub fn conflict(&self, on: bool) {
        self.shared.lock().faults.conflict = on;
        self.shared.bump();
    }

    /// Sends (sendMessage, sendVenue) are answered only after `d`.
    pub fn delay_sends(&self, d: Duration) {
        self.shared.lock().faults.delay_sends = d;
    }

    // ------------------------------------------------------- what users do

    /// Makes a chat known, as if its user had opened the bot before.
    pub fn know_chat(&self, chat: &Value) {
        let id = chat["id"].as_i64().expect("chat id");
        self.shared.lock().chats.insert(id, chat.clone());
    }

    /// Pushes an update (`kind` is `message`, `edited_message`,
    /// `callback_query`, …) and returns its id.
    pub fn push(&self, kind: &str, payload: Value) -> i64 {
        let id = {
            let mut g = self.shared.lock();
            let id = g.next_update_id;
            g.next_update_id += 1;
            g.queue.push(json!({ "update_id": id, kind: payload }));
            id
        };
        self.shared.bump();
        id
    }

    /// A new message from `from` in `chat` with `body` (text, location, …);
    /// returns the message as sent, with its id.
    pub fn message(&self, chat: &Value, from: &Value, body: Value) -> Value {
        let mut msg = {
            let mut g = self.shared.lock();
            let id = g.next_message_id;
            g.next_message_id += 1;
            let chat_id = chat["id"].as_i64().expect("chat id");
            g.chats.insert(chat_id, chat.clone());
            g.message_chats.insert(id, chat_id);
            json!({ "message_id": id, "date": now(), "chat": chat, "from": from })
        };
        merge(&mut msg, body);
        self.push("message", msg.clone());
        msg
    }

    /// A text message, with the entities Telegram adds (commands, mentions).
    pub fn text(&self, chat: &Value, from: &Value, text: &str) -> Value {
        self.message(chat, from, text_body(text))
    }

    /// A text message in a forum topic (`thread`: the topic's id).
    pub fn text_in_topic(&self, chat: &Value, from: &Value, thread: i64, text: &str) -> Value {
        let mut body = text_body(text);
        body["message_thread_id"] = json!(thread);
        body["is_topic_message"] = json!(true);
        self.message(chat, from, body)
    }

    /// A text message replying to one of the bot's messages.
    pub fn reply(&self, chat: &Value, from: &Value, to: &Value, text: &str) -> Value {
        let mut body = text_body(text);
        body["reply_to_message"] = to.clone();
        self.message(chat, from, body)
    }

    /// A shared location; `live` makes it a live location.
    pub fn location(&self, chat: &Value, from: &Value, lat: f64, lon: f64, live: bool) -> Value {
        let mut location = json!({ "latitude": lat, "longitude": lon });
        if live {
            location["live_period"] = json!(900);
        }
        self.message(chat, from, json!({ "location": location }))
    }

    /// A live location's new position: an edit of the same message.
    pub fn move_live_location(&self, original: &Value, lat: f64, lon: f64) -> i64 {
        let mut msg = original.clone();
        msg["location"] = json!({ "latitude": lat, "longitude": lon, "live_period": 900 });
        msg["edit_date"] = json!(now());
        self.push("edited_message", msg)
    }

    /// A venue (a place picked from the map); Telegram sends both fields.
    pub fn venue(&self, chat: &Value, from: &Value, lat: f64, lon: f64, title: &str) -> Value {
        let location = json!({ "latitude": lat, "longitude": lon });
        self.message(chat, from, json!({ "location": location, "venue": { "location": location, "title": title, "address": "某街1号" } }))
    }

    pub fn sticker(&self, chat: &Value, from: &Value) -> Value {
        self.message(
            chat,
            from,
            json!({ "sticker": {
                "file_id": "CAACAgIAAxkBAAIBsticker", "file_unique_id": "AgADsticker", "type": "regular",
                "width": 512, "height": 512, "is_animated": false, "is_video": false, "emoji": "👍"
            } }),
        )
    }

    pub fn voice(&self, chat: &Value, from: &Value) -> Value {
        self.message(chat, from, json!({ "voice": { "file_id": "AwACAgIAAxkBvoice", "file_unique_id": "AgADvoice", "duration": 3, "mime_type": "audio/ogg", "file_size": 4321 } }))
    }

    /// `from` presses an inline button with `data` under `message` (a
    /// message the bot sent, as returned to it). Returns the query id.
    pub fn press(&self, from: &Value, message: &Value, data: &str) -> String {
        let id = {
            let mut g = self.shared.lock();
            let id = g.next_callback_id;
            g.next_callback_id += 1;
            format!("cbq-{id}")
        };
        self.push("callback_query", json!({ "id": id, "from": from, "message": message, "chat_instance": "-42", "data": data }));
        id
    }
}

// ------------------------------------------------------------------ fixtures

pub fn user(id: i64, first_name: &str) -> Value {
    json!({ "id": id, "is_bot": false, "first_name": first_name, "language_code": "zh-hans" })
}

pub fn private_chat(user_id: i64, first_name: &str) -> Value {
    json!({ "id": user_id, "type": "private", "first_name": first_name })
}

pub fn group_chat(id: i64, title: &str) -> Value {
    json!({ "id": id, "type": "group", "title": title })
}

/// A supergroup with topics; its ids start with -100.
pub fn forum_chat(id: i64, title: &str) -> Value {
    json!({ "id": id, "type": "supergroup", "title": title, "is_forum": true })
}

/// Telegram's user for anonymous group admins.
pub fn anonymous_admin() -> Value {
    json!({ "id": GROUP_ANONYMOUS_BOT, "is_bot": true, "first_name": "Group", "username": "GroupAnonymousBot" })
}

fn bot_user() -> Value {
    json!({ "id": BOT_ID, "is_bot": true, "first_name": "工会小助手", "username": BOT_USERNAME })
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn merge(into: &mut Value, body: Value) {
    if let (Some(o), Value::Object(b)) = (into.as_object_mut(), body) {
        o.extend(b);
    }
}

/// A text body with the entities Telegram would add: a leading bot command,
/// and @mentions (offsets and lengths in UTF-16 units).
fn text_body(text: &str) -> Value {
    let mut entities = Vec::new();
    let utf16 = |s: &str| s.encode_utf16().count();
    if text.starts_with('/') {
        let cmd = text.split_whitespace().next().unwrap_or(text);
        entities.push(json!({ "type": "bot_command", "offset": 0, "length": utf16(cmd) }));
    }
    let mut search = 0;
    while let Some(at) = text[search..].find('@') {
        let start = search + at;
        let end = text[start + 1..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map(|e| start + 1 + e).unwrap_or(text.len());
        let starts_word = start == 0 || !text[..start].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '/');
        if end > start + 1 && starts_word {
            entities.push(json!({ "type": "mention", "offset": utf16(&text[..start]), "length": utf16(&text[start..end]) }));
        }
        search = end.max(start + 1);
    }
    let mut body = json!({ "text": text });
    if !entities.is_empty() {
        body["entities"] = Value::Array(entities);
    }
    body
}

// ------------------------------------------------------------------- serving

type Reply = Result<Value, (StatusCode, String)>;

fn bad_request(description: impl Into<String>) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, format!("Bad Request: {}", description.into()))
}

async fn handle(State(shared): State<Arc<Shared>>, Path((bot, method)): Path<(String, String)>, headers: HeaderMap, body: Bytes) -> Response {
    if bot.strip_prefix("bot") != Some(TOKEN) {
        return error_response(StatusCode::UNAUTHORIZED, "Unauthorized".to_string());
    }
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let params: Value = if body.is_empty() {
        json!({})
    } else if let Some(boundary) = content_type.split("boundary=").nth(1).filter(|_| content_type.starts_with("multipart/form-data")) {
        // Methods that may upload a file (setWebhook's certificate) come as a form.
        match parse_multipart(&body, boundary.trim_matches('"')) {
            Some(v) => v,
            None => return error_response(StatusCode::BAD_REQUEST, "Bad Request: the form does not parse".to_string()),
        }
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => return error_response(StatusCode::BAD_REQUEST, "Bad Request: the request body is not JSON".to_string()),
        }
    };
    // Bot API methods are case-insensitive (teloxide sends "SendMessage").
    let method = canonical(&method);
    if method == "getUpdates"
        && let Some(fault) = get_updates_fault(&shared, &params)
    {
        return fault;
    }
    if method == "sendMessage"
        && let Some(fault) = send_fault(&shared, &params)
    {
        return fault;
    }
    if matches!(method.as_str(), "sendMessage" | "sendVenue") {
        let delay = shared.lock().faults.delay_sends;
        tokio::time::sleep(delay).await;
    }
    let reply = match method.as_str() {
        "getUpdates" if shared.lock().webhook.is_some() => {
            Err((StatusCode::CONFLICT, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first".to_string()))
        }
        "getUpdates" => get_updates(&shared, &params).await,
        _ => {
            let r = answer(&shared, &method, &params);
            if method == "setWebhook" && r.is_ok() {
                tokio::spawn(deliver(Arc::clone(&shared)));
            }
            let mut g = shared.lock();
            g.calls.push(Call {
                method: method.clone(),
                params: params.clone(),
                result: r.as_ref().ok().cloned(),
                error: r.as_ref().err().map(|e| e.1.clone()),
                at: Instant::now(),
            });
            drop(g);
            shared.bump();
            r
        }
    };
    match reply {
        Ok(result) => axum::Json(json!({ "ok": true, "result": result })).into_response(),
        Err((status, description)) => error_response(status, description),
    }
}

/// A getUpdates fault, if one is on: recorded as a refused call.
fn get_updates_fault(shared: &Shared, params: &Value) -> Option<Response> {
    let mut g = shared.lock();
    let (error, response) = if g.faults.conflict {
        let d = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";
        (d.to_string(), error_response(StatusCode::CONFLICT, d.to_string()))
    } else if g.faults.broken_until.is_some_and(|t| Instant::now() < t) {
        g.faults.broken_so_far += 1;
        if g.faults.broken_so_far % 2 == 0 {
            ("502 Bad Gateway".to_string(), (StatusCode::BAD_GATEWAY, "<html><body><h1>502 Bad Gateway</h1></body></html>").into_response())
        } else {
            // A body that fails after the headers: hyper drops the connection.
            let body = axum::body::Body::from_stream(futures::stream::once(async { Err::<Bytes, _>(std::io::Error::other("dropped")) }));
            let response = Response::builder().status(StatusCode::OK).header(CONTENT_TYPE, "application/json").header("content-length", "1000").body(body).expect("a response");
            ("connection dropped".to_string(), response)
        }
    } else {
        return None;
    };
    g.calls.push(Call { method: "getUpdates".into(), params: params.clone(), result: None, error: Some(error), at: Instant::now() });
    drop(g);
    shared.bump();
    Some(response)
}

/// A 429 on a send, if one is due: recorded as a refused call.
fn send_fault(shared: &Shared, params: &Value) -> Option<Response> {
    let mut g = shared.lock();
    let (n, retry_after) = g.faults.too_many;
    if n == 0 {
        return None;
    }
    g.faults.too_many.0 -= 1;
    let description = format!("Too Many Requests: retry after {retry_after}");
    g.calls.push(Call { method: "sendMessage".into(), params: params.clone(), result: None, error: Some(description.clone()), at: Instant::now() });
    drop(g);
    shared.bump();
    let body = json!({ "ok": false, "error_code": 429, "description": description, "parameters": { "retry_after": retry_after } });
    Some((StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response())
}

/// One raw HTTP/1.1 POST of `body` to `url` with `headers`, as anyone on
/// the internet could send to a webhook; `declared_len` overrides the
/// Content-Length (to announce a body larger than the one sent). Returns the
/// response's status code, read as soon as it arrives.
pub async fn post_raw(url: &str, headers: &[(&str, &str)], body: &[u8], declared_len: Option<usize>) -> Option<u16> {
    let url = url::Url::parse(url).ok()?;
    let addr = format!("{}:{}", url.host_str()?, url.port_or_known_default()?);
    let mut stream = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(addr)).await.ok()?.ok()?;
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        url.path(),
        url.host_str()?,
        declared_len.unwrap_or(body.len())
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    // The server may answer (and close) before reading it all.
    let _ = stream.write_all(&bytes).await;
    let mut response = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !response.windows(2).any(|w| w == b"\r\n") {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => response.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let head = String::from_utf8_lossy(&response);
    head.split_whitespace().nth(1)?.parse().ok()
}

/// While a webhook is set, posts the queued updates to it one at a time, as
/// Telegram does, with the secret token header; an update leaves the queue
/// once the bot answers 200.
async fn deliver(shared: Arc<Shared>) {
    let mut rx = shared.version.subscribe();
    loop {
        rx.borrow_and_update();
        let next = {
            let g = shared.lock();
            let Some((url, secret)) = g.webhook.clone() else { return };
            g.queue.first().cloned().map(|u| (url, secret, u))
        };
        match next {
            None => {
                if rx.changed().await.is_err() {
                    return;
                }
            }
            Some((url, secret, update)) => {
                // The query exists from the moment it is sent: the bot may
                // answer it before this POST returns.
                if let Some(id) = update["callback_query"]["id"].as_str() {
                    shared.lock().callbacks_delivered.insert(id.to_string());
                }
                if post_update(&url, secret.as_deref(), &update).await == Some(200) {
                    let mut g = shared.lock();
                    g.queue.retain(|u| u["update_id"] != update["update_id"]);
                    g.confirmed_offset = g.confirmed_offset.max(update["update_id"].as_i64().unwrap_or(0) + 1);
                    drop(g);
                    shared.bump();
                } else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

/// One HTTP/1.1 POST to a plain-HTTP webhook; the response's status code.
async fn post_update(url: &url::Url, secret: Option<&str>, update: &Value) -> Option<u16> {
    let addr = format!("{}:{}", url.host_str()?, url.port_or_known_default()?);
    let mut stream = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(addr)).await.ok()?.ok()?;
    let body = update.to_string();
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        url.path(),
        url.host_str()?,
        body.len()
    );
    if let Some(s) = secret {
        request.push_str(&format!("X-Telegram-Bot-Api-Secret-Token: {s}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut response)).await.ok()?.ok()?;
    let head = String::from_utf8_lossy(&response);
    head.split_whitespace().nth(1)?.parse().ok()
}

/// A multipart/form-data body as a JSON object: each field's value parsed as
/// JSON when it is JSON (teloxide sends objects that way), else as a string.
fn parse_multipart(body: &[u8], boundary: &str) -> Option<Value> {
    let text = String::from_utf8_lossy(body);
    let delimiter = format!("--{boundary}");
    let mut out = serde_json::Map::new();
    for part in text.split(delimiter.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let (head, value) = part.split_once("\r\n\r\n")?;
        let name = head.split("name=\"").nth(1)?.split('"').next()?;
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        out.insert(name.to_string(), serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string())));
    }
    Some(Value::Object(out))
}

/// The method's name as the Bot API documents it.
fn canonical(method: &str) -> String {
    const METHODS: &[&str] = &[
        "getUpdates", "getMe", "getWebhookInfo", "deleteWebhook", "setWebhook", "setMyCommands",
        "sendMessage", "sendVenue", "answerCallbackQuery",
    ];
    METHODS.iter().find(|m| m.eq_ignore_ascii_case(method)).map(|m| m.to_string()).unwrap_or_else(|| method.to_string())
}

fn error_response(status: StatusCode, description: String) -> Response {
    (status, axum::Json(json!({ "ok": false, "error_code": status.as_u16(), "description": description }))).into_response()
}

/// Long polling: confirms updates below `offset`, then returns the waiting
/// ones at once, or waits up to `timeout` seconds for one.
async fn get_updates(shared: &Arc<Shared>, params: &Value) -> Reply {
    let offset = params["offset"].as_i64().unwrap_or(0);
    let limit = params["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(params["timeout"].as_u64().unwrap_or(0));
    let mut rx = shared.version.subscribe();
    let deadline = tokio::time::Instant::now() + timeout;
    {
        let mut g = shared.lock();
        g.calls.push(Call { method: "getUpdates".into(), params: params.clone(), result: None, error: None, at: Instant::now() });
        if let Some(list) = params["allowed_updates"].as_array() {
            g.allowed_updates = Some(list.iter().filter_map(|v| v.as_str().map(str::to_string)).collect());
        }
        if offset > g.confirmed_offset {
            g.confirmed_offset = offset;
        }
    }
    shared.bump();
    loop {
        rx.borrow_and_update();
        {
            let mut g = shared.lock();
            // A fault switched on while this request waits cuts it short
            // (recorded again, with its error).
            let cut = if g.faults.conflict {
                Some((StatusCode::CONFLICT, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running".to_string()))
            } else if g.faults.broken_until.is_some_and(|t| Instant::now() < t) {
                Some((StatusCode::BAD_GATEWAY, "Bad Gateway".to_string()))
            } else {
                None
            };
            if let Some((status, description)) = cut {
                g.calls.push(Call { method: "getUpdates".into(), params: params.clone(), result: None, error: Some(description.clone()), at: Instant::now() });
                drop(g);
                shared.bump();
                return Err((status, description));
            }
            g.queue.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            // Telegram drops the kinds the bot did not ask for.
            if let Some(allowed) = g.allowed_updates.clone().filter(|a| !a.is_empty()) {
                g.queue.retain(|u| u.as_object().is_some_and(|o| o.keys().any(|k| allowed.contains(k))));
            }
            let ready: Vec<Value> = g.queue.iter().take(limit).cloned().collect();
            if !ready.is_empty() || timeout.is_zero() {
                let now = Instant::now();
                for u in &ready {
                    if let Some(id) = u["callback_query"]["id"].as_str() {
                        g.callbacks_delivered.insert(id.to_string());
                    }
                    let chat = u["message"]["chat"]["id"].as_i64();
                    g.delivered.push((u["update_id"].as_i64().unwrap_or(0), chat, now));
                }
                return Ok(Value::Array(ready));
            }
        }
        if tokio::time::timeout_at(deadline, rx.changed()).await.is_err() {
            return Ok(json!([]));
        }
    }
}

/// Every method but getUpdates: check as Telegram would, then answer.
fn answer(shared: &Shared, method: &str, p: &Value) -> Reply {
    let mut g = shared.lock();
    match method {
        "getMe" => {
            let mut me = bot_user();
            merge(
                &mut me,
                json!({ "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
                        "can_connect_to_business": false, "has_main_web_app": false }),
            );
            Ok(me)
        }
        "getWebhookInfo" => Ok(json!({ "url": "", "has_custom_certificate": false, "pending_update_count": g.queue.len() })),
        "deleteWebhook" => {
            g.webhook = None;
            Ok(json!(true))
        }
        "setWebhook" => {
            let url = p["url"].as_str().and_then(|u| url::Url::parse(u).ok()).ok_or_else(|| bad_request("bad webhook: Failed to resolve host"))?;
            let secret = p["secret_token"].as_str().map(str::to_string);
            if secret.as_deref().is_some_and(|t| t.is_empty() || t.len() > 256 || !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')) {
                return Err(bad_request("secret token contains unallowed characters"));
            }
            // Telegram wants HTTPS on port 443, 80, 88 or 8443; this fake posts
            // plain HTTP to 127.0.0.1, so it takes any http(s) URL.
            g.webhook = Some((url, secret));
            Ok(json!(true))
        }
        "setMyCommands" => {
            let commands = p["commands"].as_array().ok_or_else(|| bad_request("commands must be an array"))?;
            if commands.len() > 100 {
                return Err(bad_request("too many commands"));
            }
            for c in commands {
                let name = c["command"].as_str().unwrap_or_default();
                let desc = c["description"].as_str().unwrap_or_default();
                if name.is_empty() || name.len() > 32 || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                    return Err(bad_request("BOT_COMMAND_INVALID"));
                }
                if desc.trim().is_empty() || desc.chars().count() > 256 {
                    return Err(bad_request("BOT_COMMAND_DESCRIPTION_INVALID"));
                }
            }
            if p["scope"]["type"] == "chat" {
                let id = p["scope"]["chat_id"].as_i64().unwrap_or(0);
                if !g.chats.contains_key(&id) {
                    return Err(bad_request("chat not found"));
                }
            }
            Ok(json!(true))
        }
        "sendMessage" => {
            let chat = known_chat(&g, p)?;
            let text = p["text"].as_str().ok_or_else(|| bad_request("message text is empty"))?;
            let visible = match p["parse_mode"].as_str() {
                None => text.to_string(),
                Some("HTML") => parse_html(text).map_err(|e| bad_request(format!("can't parse entities: {e}")))?,
                Some(other) => return Err(bad_request(format!("unsupported parse_mode {other:?} in this fake"))),
            };
            if visible.trim().is_empty() {
                return Err(bad_request("message text is empty"));
            }
            if visible.encode_utf16().count() > TEXT_LIMIT {
                return Err(bad_request("message is too long"));
            }
            check_markup(&p["reply_markup"], &chat)?;
            check_reply_to(&g, p, &chat)?;
            check_thread(p, &chat)?;
            let mut msg = new_message(&mut g, &chat);
            msg["text"] = json!(visible);
            inline_markup_of(&mut msg, p);
            Ok(msg)
        }
        "sendVenue" => {
            let chat = known_chat(&g, p)?;
            let (lat, lon) = (p["latitude"].as_f64(), p["longitude"].as_f64());
            let (Some(lat), Some(lon)) = (lat, lon) else {
                return Err(bad_request("latitude and longitude are required"));
            };
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return Err(bad_request("wrong coordinates"));
            }
            let title = p["title"].as_str().unwrap_or_default();
            let address = p["address"].as_str().unwrap_or_default();
            if title.trim().is_empty() || address.trim().is_empty() {
                return Err(bad_request("venue title and address must be non-empty"));
            }
            check_markup(&p["reply_markup"], &chat)?;
            check_reply_to(&g, p, &chat)?;
            check_thread(p, &chat)?;
            let mut msg = new_message(&mut g, &chat);
            let location = json!({ "latitude": lat, "longitude": lon });
            msg["venue"] = json!({ "location": location, "title": title, "address": address });
            msg["location"] = location;
            inline_markup_of(&mut msg, p);
            Ok(msg)
        }
        "answerCallbackQuery" => {
            let id = p["callback_query_id"].as_str().unwrap_or_default().to_string();
            if p["text"].as_str().is_some_and(|t| t.chars().count() > 200) {
                return Err(bad_request("MESSAGE_TOO_LONG"));
            }
            if !g.callbacks_delivered.contains(&id) || g.callbacks_answered.contains(&id) {
                return Err(bad_request("query is too old and response timeout expired or query ID is invalid"));
            }
            g.callbacks_answered.insert(id);
            Ok(json!(true))
        }
        _ => Err((StatusCode::NOT_FOUND, "Not Found: method not found".to_string())),
    }
}

fn known_chat(g: &Inner, p: &Value) -> Result<Value, (StatusCode, String)> {
    let id = p["chat_id"].as_i64().ok_or_else(|| bad_request("chat_id is empty"))?;
    g.chats.get(&id).cloned().ok_or_else(|| bad_request("chat not found"))
}

fn check_reply_to(g: &Inner, p: &Value, chat: &Value) -> Result<(), (StatusCode, String)> {
    let r = &p["reply_parameters"];
    if r.is_null() {
        return Ok(());
    }
    let id = r["message_id"].as_i64().unwrap_or(0);
    let same_chat = g.message_chats.get(&id) == chat["id"].as_i64().as_ref();
    if !same_chat && r["allow_sending_without_reply"] != json!(true) {
        return Err(bad_request("message to be replied not found"));
    }
    Ok(())
}

/// A forum topic exists only in a forum supergroup.
fn check_thread(p: &Value, chat: &Value) -> Result<(), (StatusCode, String)> {
    if !p["message_thread_id"].is_null() && chat["is_forum"] != json!(true) {
        return Err(bad_request("message thread not found"));
    }
    Ok(())
}

fn new_message(g: &mut Inner, chat: &Value) -> Value {
    let id = g.next_message_id;
    g.next_message_id += 1;
    if let Some(c) = chat["id"].as_i64() {
        g.message_chats.insert(id, c);
    }
    json!({ "message_id": id, "from": bot_user(), "chat": chat, "date": now() })
}

/// A sent message carries its inline keyboard (not a reply keyboard).
fn inline_markup_of(msg: &mut Value, p: &Value) {
    if p["reply_markup"].get("inline_keyboard").is_some() {
        msg["reply_markup"] = p["reply_markup"].clone();
    }
}

/// Checks a reply_markup as Telegram would.
fn check_markup(m: &Value, chat: &Value) -> Result<(), (StatusCode, String)> {
    if m.is_null() {
        return Ok(());
    }
    let private = chat["type"] == "private";
    if let Some(rows) = m.get("inline_keyboard") {
        for b in rows.as_array().into_iter().flatten().filter_map(Value::as_array).flatten() {
            if b["text"].as_str().is_none_or(|t| t.trim().is_empty()) {
                return Err(bad_request("BUTTON_TEXT_EMPTY"));
            }
            let actions = ["url", "callback_data", "switch_inline_query", "switch_inline_query_current_chat", "web_app", "login_url", "pay", "copy_text"];
            let n = actions.iter().filter(|a| !b[**a].is_null()).count();
            if n != 1 {
                return Err(bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"));
            }
            if let Some(d) = b.get("callback_data") {
                let d = d.as_str().unwrap_or_default();
                if d.is_empty() || d.len() > CALLBACK_DATA_LIMIT {
                    return Err(bad_request("BUTTON_DATA_INVALID"));
                }
            }
            if let Some(u) = b.get("url") {
                let ok = u.as_str().and_then(|u| url::Url::parse(u).ok()).is_some_and(|u| matches!(u.scheme(), "http" | "https" | "tg"));
                if !ok {
                    return Err(bad_request("BUTTON_URL_INVALID"));
                }
            }
        }
        return Ok(());
    }
    if let Some(rows) = m.get("keyboard") {
        for b in rows.as_array().into_iter().flatten().filter_map(Value::as_array).flatten() {
            let text = b.as_str().or_else(|| b["text"].as_str()).unwrap_or_default();
            if text.trim().is_empty() {
                return Err(bad_request("BUTTON_TEXT_EMPTY"));
            }
            // Telegram documents location requests as private-chat only.
            if b["request_location"] == json!(true) && !private {
                return Err(bad_request("BUTTON_TYPE_INVALID: request_location is available in private chats only"));
            }
        }
        if let Some(p) = m.get("input_field_placeholder").and_then(Value::as_str)
            && p.chars().count() > 64
        {
            return Err(bad_request("input_field_placeholder is longer than 64 characters"));
        }
        return Ok(());
    }
    if m.get("remove_keyboard").is_some() || m.get("force_reply").is_some() {
        return Ok(());
    }
    Err(bad_request("can't parse reply keyboard markup JSON object"))
}

/// Parses Telegram HTML, returning the visible text (entities decoded,
/// tags removed) or Telegram's error description.
pub fn parse_html(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut open: Vec<String> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i..].chars().next().expect("in bounds");
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
                    let name_end = inner.find(|c: char| c.is_whitespace()).unwrap_or(inner.len());
                    let name = inner[..name_end].to_ascii_lowercase();
                    let attrs = parse_attrs(&inner[name_end..]).map_err(|e| format!("{e} at byte offset {i}"))?;
                    check_tag(&name, &attrs).map_err(|e| format!("{e} at byte offset {i}"))?;
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

fn check_tag(name: &str, attrs: &HashMap<String, String>) -> Result<(), String> {
    match name {
        "b" | "strong" | "i" | "em" | "u" | "ins" | "s" | "strike" | "del" | "tg-spoiler" | "code" | "pre" | "blockquote" => Ok(()),
        "span" if attrs.get("class").map(String::as_str) == Some("tg-spoiler") => Ok(()),
        "a" if attrs.contains_key("href") => Ok(()),
        "tg-emoji" if attrs.contains_key("emoji-id") => Ok(()),
        _ => Err(format!("Unsupported start tag \"{name}\"")),
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
