//! The web channel: a mobile chat page at `/` and a versioned JSON API under
//! `/api/v1/`, over the same live engine, watcher and journal as Telegram.
//! Like the Telegram channel it is a thin adapter: `engine` is the one file
//! that talks to the engine, [`crate::page_text`] says what the page says.
//!
//! - [`app`] builds the router from the shared state (tests call it on a
//!   random port); [`run`] binds and serves until the stop signal;
//! - `api` has the handlers and the JSON errors, `page` the embedded assets,
//!   `limits` the client address and the rate limit, `metrics` `/metrics`,
//!   `server` the HTTP/1 server with its timeouts and graceful stop.

mod api;
pub mod engine;
pub mod limits;
mod metrics;
mod page;
mod server;

use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::config::{Paths, WebConfig};
use crate::reload::Outcome;
use crate::shared::Shared;
use api::ApiError;
use limits::{ClientHasher, Limiter, Peer};

pub use page::{CSP, OPENAPI};

/// After a stop signal, how long requests in flight may take (the whole stop
/// stays within 10 s).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// What the handlers share.
pub struct App {
    pub shared: Shared,
    config: WebConfig,
    limiter: Option<Limiter>,
    metrics: metrics::Metrics,
    assets: page::Assets,
    clients: ClientHasher,
}

impl App {
    pub fn new(shared: Shared, config: WebConfig) -> Arc<App> {
        let limiter = Limiter::new(config.rate_per_minute, config.rate_burst);
        Arc::new(App { shared, config, limiter, metrics: Default::default(), assets: page::Assets::build(), clients: Default::default() })
    }
}

/// The routes. The API's routes are rate-limited per client; every response
/// gets the security headers and is counted and logged (with a hashed client).
pub fn app(state: Arc<App>) -> Router {
    let api = Router::new()
        .route("/api/v1/ask", post(api::ask))
        .route("/api/v1/nearby", get(api::nearby))
        .route("/api/v1/answer/{ref}", get(api::answer))
        .route("/api/v1/feedback", post(api::feedback))
        .route_layer(axum::middleware::from_fn_with_state(Arc::clone(&state), rate_limit));
    Router::new()
        .route("/", get(|State(app): State<Arc<App>>| async move { page::index(&app.assets) }))
        .route("/app.js", get(|State(app): State<Arc<App>>| async move { page::script(&app.assets) }))
        .route("/app.css", get(|| async { page::style() }))
        .route("/api/v1/openapi.yaml", get(|| async { page::openapi() }))
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
        .merge(api)
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(api::BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), outer))
        .with_state(state)
}

/// The client's address (after `TRUST_PROXY`), for the rate limit only.
#[derive(Clone, Copy)]
struct Client(std::net::IpAddr);

/// Around every request: the client's address, the request timeout, the
/// security headers, the count by route and status, and one log line.
async fn outer(State(app): State<Arc<App>>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let peer = request.extensions().get::<Peer>().map(|p| p.0.ip()).unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
    let client = limits::client_addr(peer, request.headers(), app.config.trust_proxy);
    request.extensions_mut().insert(Client(client));
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let mut response = match tokio::time::timeout(app.config.request_timeout, next.run(request)).await {
        Ok(r) => r,
        Err(_) => ApiError::new(StatusCode::REQUEST_TIMEOUT, "timeout").into_response(),
    };
    let h = response.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    let status = response.status().as_u16();
    let route = route.as_ref().map_or("other", MatchedPath::as_str);
    app.metrics.request(route, status);
    // The client as a keyed hash, never the address; never the question.
    tracing::info!(client = %app.clients.hash(client), %method, route, status, us = started.elapsed().as_micros() as u64, "request");
    response
}

/// The per-client limit on the API's routes: 429 with `Retry-After`.
async fn rate_limit(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    if let (Some(limiter), Some(Client(ip))) = (&app.limiter, request.extensions().get::<Client>()) {
        if let Err(wait) = limiter.check(*ip) {
            app.metrics.rate_limited();
            let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
            e.retry_after = Some(wait.as_secs_f64().ceil() as u64);
            return e.into_response();
        }
    }
    next.run(request).await
}

/// Serves the web channel on `config.addr` over `shared` until `stop`
/// resolves, then finishes the requests in flight (within [`SHUTDOWN_GRACE`]).
pub async fn run(shared: Shared, config: WebConfig, stop: impl Future<Output = ()> + Send + 'static) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(config.addr).await.with_context(|| format!("cannot listen on {} (WEB_ADDR)", config.addr))?;
    serve_on(listener, shared, config, stop).await
}

/// [`run`] on a listener that is already bound (tests bind port 0).
pub async fn serve_on(listener: tokio::net::TcpListener, shared: Shared, config: WebConfig, stop: impl Future<Output = ()> + Send + 'static) -> Result<()> {
    let addr = listener.local_addr().ok();
    let header_timeout = config.header_timeout;
    let state = App::new(shared, config);
    // Questions and locations are journaled off the request path.
    state.shared.journal.write_behind();
    // Reloads are counted; the limiter forgets idle clients now and then.
    let counting = {
        let state = Arc::clone(&state);
        let mut outcomes = state.shared.outcomes.subscribe();
        tokio::spawn(async move {
            let mut tidy = tokio::time::interval(Duration::from_secs(60));
            loop {
                tokio::select! {
                    o = outcomes.recv() => match o {
                        Ok(Outcome::Reloaded { .. }) => state.metrics.reload("reloaded"),
                        Ok(Outcome::Refused { .. }) => state.metrics.reload("refused"),
                        Ok(Outcome::Failed { .. }) => state.metrics.reload("failed"),
                        Ok(Outcome::Unchanged) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
                    },
                    _ = tidy.tick() => if let Some(l) = &state.limiter { l.forget_idle() },
                }
            }
        })
    };
    tracing::info!(addr = ?addr, "web channel serving");
    let state_journal = std::sync::Arc::clone(&state.shared.journal);
    let result = server::serve(listener, app(state), header_timeout, SHUTDOWN_GRACE, stop).await;
    counting.abort();
    // The requests are finished: what they journaled is written now.
    state_journal.flush();
    tracing::info!("web channel stopped");
    result
}

/// `union-bot web`: the page and the API on `WEB_ADDR`, with the watcher.
pub fn main(paths: &Paths) -> Result<ExitCode> {
    let config = WebConfig::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let paths = paths.clone();
    let served = runtime.block_on(async move {
        let stop = crate::shared::stop_signal().context("cannot listen for SIGINT and SIGTERM")?;
        let shared = tokio::task::spawn_blocking(move || Shared::open(&paths)).await.context("the engine task failed")??;
        let _watcher = shared.watch(crate::shared::WATCH_EVERY);
        run(shared, config, stop).await
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    served.map(|()| ExitCode::SUCCESS)
}
