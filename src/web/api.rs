//! The HTTP API's handlers (`/api/v1/…`, `/healthz`, `/readyz`, `/metrics`)
//! and its one error type: every error is JSON, `{"error": {"code",
//! "message"}}`, with a stable code (the messages live in
//! [`crate::page_text::api_error`]).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::App;
use super::engine::{self, Reply};
use crate::feedback::Vote;
use crate::page_text;

/// The largest request body accepted.
pub const BODY_LIMIT: usize = 16 * 1024;

/// An error as the API reports it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    /// Seconds, for a 429.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str) -> ApiError {
        ApiError { status, code, retry_after: None }
    }

    pub fn internal() -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": page_text::api_error(self.code) } });
        let mut r = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        r
    }
}

/// A JSON body, as the API reads it: within [`BODY_LIMIT`] (413 beyond),
/// declared JSON (415 otherwise), parsed (400 `bad_json` when it is not).
fn json_body<T: for<'de> Deserialize<'de>>(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let body = body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        _ => ApiError::new(StatusCode::BAD_REQUEST, "bad_json"),
    })?;
    let json_declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json"))
        .unwrap_or(false);
    if !json_declared {
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"));
    }
    serde_json::from_slice(&body).map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "bad_json"))
}

/// Runs engine work on this thread (tens of microseconds), turning a panic
/// into a 500 instead of a dropped connection.
fn engine_call<T>(f: impl FnOnce() -> T) -> Result<T, ApiError> {
    std::panic::catch_unwind(AssertUnwindSafe(f)).map_err(|_| {
        tracing::error!("the engine panicked");
        ApiError::internal()
    })
}

fn json_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

#[derive(Deserialize)]
struct AskIn {
    q: Option<String>,
    /// The previous answer's `context`: a reference's text form, or null.
    #[serde(default)]
    context: Option<serde_json::Value>,
}

/// The `context` a client sent: absent, null or "" → none; a string that
/// is the text form of a reference → it; anything else → 400 `bad_context`.
fn context_of(v: Option<&serde_json::Value>) -> Result<Option<crate::engine::Ref>, ApiError> {
    let bad = || ApiError::new(StatusCode::BAD_REQUEST, "bad_context");
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => engine::parse_ref(s).map(Some).ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

/// `POST /api/v1/ask`: `{"q": …, "context": …}` → the answer.
pub async fn ask(State(app): State<Arc<App>>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    let input: AskIn = json_body(&headers, body)?;
    let q = input.q.unwrap_or_default();
    if q.trim().is_empty() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "no_question"));
    }
    let context = context_of(input.context.as_ref())?;
    let body = engine_call(|| {
        let started = Instant::now();
        let a = engine::ask(&app.shared.live, &q, context.as_ref());
        app.metrics.answer(started.elapsed(), a.is_fallback());
        app.shared.journal.record(&q, &a);
        let key = app.shared.pending.issue(&engine::ref_of(&a), Some(&q));
        serde_json::to_string(&Reply::new(Some(&q), &a, key))
    })?
    .map_err(|_| ApiError::internal())?;
    Ok(json_response(body))
}

/// `GET /api/v1/nearby?lat=&lon=`: the nearest stations (WGS-84).
pub async fn nearby(State(app): State<Arc<App>>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let (mut lat, mut lon) = (None, None);
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let v = v.trim().parse::<f64>().ok().filter(|x| x.is_finite());
        match &*k {
            "lat" => lat = v,
            "lon" | "lng" => lon = v,
            _ => {}
        }
    }
    let (Some(lat), Some(lon)) = (lat, lon) else {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_location"));
    };
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_location"));
    }
    let body = engine_call(|| {
        let started = Instant::now();
        let a = engine::nearby(&app.shared.live, lat, lon);
        app.metrics.answer(started.elapsed(), a.is_fallback());
        app.shared.journal.record_location(&a);
        let key = app.shared.pending.issue(&engine::ref_of(&a), None);
        serde_json::to_string(&Reply::new(None, &a, key))
    })?
    .map_err(|_| ApiError::internal())?;
    Ok(json_response(body))
}

/// `GET /api/v1/answer/{ref}`: the answer a tapped choice stands for.
pub async fn answer(State(app): State<Arc<App>>, Path(r): Path<String>) -> Result<Response, ApiError> {
    let body = engine_call(|| {
        let a = engine::by_ref(&app.shared.live, &engine::parse_ref(&r)?)?;
        let key = app.shared.pending.issue(&engine::ref_of(&a), None);
        serde_json::to_string(&Reply::new(None, &a, key)).ok()
    })?
    .ok_or(ApiError::new(StatusCode::NOT_FOUND, "unknown_ref"))?;
    Ok(json_response(body))
}

#[derive(Deserialize)]
struct FeedbackIn {
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    vote: Option<String>,
    /// The answer's reference, for a key that is no longer known.
    #[serde(default, rename = "ref")]
    answer_ref: Option<String>,
}

/// `POST /api/v1/feedback`: `{"key": …, "vote": "up"|"down"}`.
pub async fn feedback(State(app): State<Arc<App>>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    let input: FeedbackIn = json_body(&headers, body)?;
    let Some(vote) = input.vote.as_deref().and_then(Vote::parse) else {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_vote"));
    };
    let given = input.key.as_deref().and_then(|k| app.shared.pending.take(k));
    let (answer_ref, question) = match given {
        Some(g) => (g.answer_ref, g.question),
        None => match input.answer_ref.filter(|r| valid_ref(r)) {
            // An old key (a restart, or long ago): the vote counts, without the question.
            Some(r) => (r, None),
            None => return Err(ApiError::new(StatusCode::NOT_FOUND, "unknown_key")),
        },
    };
    app.shared.journal.record_vote(&answer_ref, vote, question.as_deref(), "web");
    app.metrics.vote(vote.as_str());
    Ok(Json(json!({ "recorded": true, "ref": answer_ref, "vote": vote.as_str() })).into_response())
}

/// A reference a client may send: short ASCII of the engine's alphabet.
fn valid_ref(r: &str) -> bool {
    !r.is_empty() && r.len() <= 80 && r.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// `GET /healthz`: the process answers.
pub async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// `GET /readyz`: the knowledge is loaded and serving.
pub async fn readyz(State(app): State<Arc<App>>) -> Result<Response, ApiError> {
    let (faq, stations, articles, fingerprint) = engine::knowledge_figures(&app.shared.live);
    if faq == 0 {
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready"));
    }
    Ok(Json(json!({
        "status": "ready",
        "knowledge": { "faq": faq, "stations": stations, "articles": articles, "version": format!("{fingerprint:016x}") }
    }))
    .into_response())
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(app): State<Arc<App>>) -> Response {
    let (faq, stations, articles, fingerprint) = engine::knowledge_figures(&app.shared.live);
    let text = app.metrics.render(faq, stations, articles, fingerprint);
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"))], text).into_response()
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
}
