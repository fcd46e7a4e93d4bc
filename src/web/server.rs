//! The HTTP server: HTTP/1.1 with keep-alive, a timeout on reading a
//! request's headers (a slow or idle client cannot hold a half-sent request
//! open), the peer's address put into each request, and a graceful stop:
//! no new connections, requests in flight finished, idle connections closed.

use std::future::Future;
use std::time::Duration;

use anyhow::Result;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower::ServiceExt as _;

use super::limits::Peer;

/// Serves `app` on `listener` until `stop` resolves; then waits up to
/// `grace` for the requests in flight.
pub async fn serve(listener: TcpListener, app: Router, header_timeout: Duration, grace: Duration, stop: impl Future<Output = ()>) -> Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_timeout).keep_alive(true);
    let mut stop = std::pin::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors, most likely: wait a little instead of spinning.
                        tracing::warn!(error = %e, "cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    request.extensions_mut().insert(Peer(peer));
                    app.clone().oneshot(request)
                });
                let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            () = &mut stop => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("every request in flight finished"),
        () = tokio::time::sleep(grace) => tracing::warn!("requests still in flight {} s after the stop signal; exiting anyway", grace.as_secs()),
    }
    Ok(())
}
