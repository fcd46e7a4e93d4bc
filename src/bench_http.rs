//! `union-bot bench http`: the HTTP benchmark's load generator (`bench/run
//! --http` drives it against union-bot's web channel and the Python baseline).
//!
//! `--connections` keep-alive HTTP/1.1 connections each send one question at a
//! time (`POST {"q": …}` to `--url`, the questions in turn), for `--warmup`
//! seconds unrecorded and then `--duration` seconds recorded: every answer's
//! latency (request written to body read) goes into the histogram. With
//! `--idle N`, N more connections are opened first; each makes one request
//! and then stays open without a word, and is opened again if the server
//! closes it, so that N idle connections are held while the others run.
//! Prints one JSON object: throughput, latency percentiles, errors, and how
//! many idle connections were open at the end and how often one was re-opened.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{Connection, SendRequest};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpStream;

/// `union-bot bench http`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpArgs {
    /// Where questions are POSTed, e.g. http://127.0.0.1:8080/api/v1/ask
    #[arg(long)]
    pub url: String,
    /// Questions, one a line; each is sent as {"q": …}, in turn.
    #[arg(long)]
    pub questions: PathBuf,
    /// Keep-alive connections sending questions, one request at a time each.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Seconds recorded.
    #[arg(long, default_value_t = 20.0)]
    pub duration: f64,
    /// Seconds sent before recording starts.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Idle connections held open meanwhile (one request each, then silence).
    #[arg(long, default_value_t = 0)]
    pub idle: usize,
    /// The load generator's threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

/// What `bench http` prints.
#[derive(Debug, Serialize)]
struct Report {
    url: String,
    connections: usize,
    idle: usize,
    duration_s: f64,
    /// Answers with a 2xx status completed in the recorded window.
    requests: u64,
    per_second: f64,
    latency: Latency,
    /// Answers with another status (a 429 would mean the rate limit is on).
    non_2xx: u64,
    /// Connections that failed (refused, reset, closed mid-request).
    errors: u64,
    /// Idle connections open when recording ended.
    idle_open_at_end: u64,
    /// How often an idle connection was closed by the server and opened again.
    idle_reopened: u64,
}

#[derive(Debug, Serialize)]
struct Latency {
    p50_us: u64,
    p90_us: u64,
    p99_us: u64,
    p999_us: u64,
    max_us: u64,
    mean_us: f64,
}

/// Where the requests go.
struct Target {
    addr: (String, u16),
    host_header: String,
    path: String,
}

struct Counters {
    non_2xx: AtomicU64,
    errors: AtomicU64,
    idle_open: AtomicU64,
    idle_reopened: AtomicU64,
}

/// Runs the load and prints the report.
pub fn main(args: HttpArgs) -> Result<std::process::ExitCode> {
    let url = url::Url::parse(&args.url).with_context(|| format!("{}: not a URL", args.url))?;
    if url.scheme() != "http" {
        bail!("{}: only http:// is measured", args.url);
    }
    let host = url.host_str().context("the URL has no host")?.trim_matches(['[', ']']).to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let target = Arc::new(Target { host_header: format!("{}:{port}", url.host_str().unwrap_or_default()), addr: (host, port), path: url[url::Position::BeforePath..].to_string() });
    let text = std::fs::read_to_string(&args.questions).with_context(|| format!("{}: cannot read", args.questions.display()))?;
    let bodies: Vec<Bytes> = text.lines().filter(|l| !l.trim().is_empty()).map(|q| Bytes::from(serde_json::json!({ "q": q }).to_string())).collect();
    if bodies.is_empty() {
        bail!("{}: no questions", args.questions.display());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads.max(1)).enable_all().build().context("cannot start the async runtime")?;
    let report = runtime.block_on(run(&args, target, Arc::new(bodies)))?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(std::process::ExitCode::SUCCESS)
}

async fn run(args: &HttpArgs, target: Arc<Target>, bodies: Arc<Vec<Bytes>>) -> Result<Report> {
    let counters = Arc::new(Counters { non_2xx: AtomicU64::new(0), errors: AtomicU64::new(0), idle_open: AtomicU64::new(0), idle_reopened: AtomicU64::new(0) });
    let (stop_idle, stopped) = tokio::sync::watch::channel(false);
    // The idle connections first, a hundred at a time, until all are open.
    let mut idle_tasks = Vec::new();
    for i in 0..args.idle {
        idle_tasks.push(tokio::spawn(hold_idle(Arc::clone(&target), bodies[i % bodies.len()].clone(), Arc::clone(&counters), stopped.clone())));
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while (counters.idle_open.load(Ordering::Relaxed) as usize) < args.idle {
        if Instant::now() > deadline {
            bail!("only {} of {} idle connections could be opened in 30 s", counters.idle_open.load(Ordering::Relaxed), args.idle);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let record_from = Instant::now() + Duration::from_secs_f64(args.warmup.max(0.0));
    let end = record_from + Duration::from_secs_f64(args.duration.max(0.1));
    let mut active = Vec::new();
    for c in 0..args.connections.max(1) {
        // Each connection starts at another place in the questions.
        let start = c * 7919 % bodies.len();
        active.push(tokio::spawn(send_questions(Arc::clone(&target), Arc::clone(&bodies), start, record_from, end, Arc::clone(&counters))));
    }
    let mut samples: Vec<u32> = Vec::new();
    for t in active {
        samples.extend(t.await.context("a connection's task failed")?);
    }
    let idle_open_at_end = counters.idle_open.load(Ordering::Relaxed);
    let _ = stop_idle.send(true);
    for t in idle_tasks {
        let _ = t.await;
    }
    let duration_s = args.duration.max(0.1);
    Ok(Report {
        url: args.url.clone(),
        connections: args.connections.max(1),
        idle: args.idle,
        duration_s,
        requests: samples.len() as u64,
        per_second: samples.len() as f64 / duration_s,
        latency: latency(&mut samples),
        non_2xx: counters.non_2xx.load(Ordering::Relaxed),
        errors: counters.errors.load(Ordering::Relaxed),
        idle_open_at_end,
        idle_reopened: counters.idle_reopened.load(Ordering::Relaxed),
    })
}

fn latency(samples: &mut [u32]) -> Latency {
    if samples.is_empty() {
        return Latency { p50_us: 0, p90_us: 0, p99_us: 0, p999_us: 0, max_us: 0, mean_us: 0.0 };
    }
    samples.sort_unstable();
    let n = samples.len();
    let rank = |p: f64| u64::from(samples[((p * n as f64).ceil() as usize).clamp(1, n) - 1]);
    Latency {
        p50_us: rank(0.50),
        p90_us: rank(0.90),
        p99_us: rank(0.99),
        p999_us: rank(0.999),
        max_us: u64::from(samples[n - 1]),
        mean_us: samples.iter().map(|&s| f64::from(s)).sum::<f64>() / n as f64,
    }
}

fn request(target: &Target, body: Bytes) -> hyper::Request<Full<Bytes>> {
    hyper::Request::post(target.path.as_str())
        .header(hyper::header::HOST, target.host_header.as_str())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(body))
        .expect("a request from a parsed URL")
}

/// Opens a keep-alive connection: the sender, and the connection's driver
/// (polled by the same task that sends, so that an answer wakes one task).
async fn connect(target: &Target) -> Result<(SendRequest<Full<Bytes>>, Connection<TokioIo<TcpStream>, Full<Bytes>>)> {
    let stream = TcpStream::connect((target.addr.0.as_str(), target.addr.1)).await?;
    stream.set_nodelay(true)?;
    Ok(hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?)
}

/// One active connection: questions one after another until `end`; the
/// latencies (µs) of the 2xx answers sent after `record_from`.
async fn send_questions(target: Arc<Target>, bodies: Arc<Vec<Bytes>>, mut next: usize, record_from: Instant, end: Instant, counters: Arc<Counters>) -> Vec<u32> {
    let mut samples = Vec::new();
    'connection: while Instant::now() < end {
        let (mut sender, connection) = match connect(&target).await {
            Ok(s) => s,
            Err(_) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let mut connection = std::pin::pin!(connection);
        while Instant::now() < end {
            let req = request(&target, bodies[next % bodies.len()].clone());
            next += 1;
            let sent = Instant::now();
            let answered = async {
                sender.ready().await?;
                let response = sender.send_request(req).await?;
                let status = response.status();
                response.into_body().collect().await?;
                Ok::<_, hyper::Error>(status)
            };
            let answered = tokio::select! {
                r = answered => r.ok(),
                // The connection ended (closed by the server, an error).
                _ = &mut connection => None,
            };
            match answered {
                Some(status) if sent >= record_from => {
                    if status.is_success() {
                        samples.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    } else {
                        counters.non_2xx.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Some(_) => {}
                None => {
                    counters.errors.fetch_add(1, Ordering::Relaxed);
                    continue 'connection;
                }
            }
        }
    }
    samples
}

/// One idle connection: a request, then silence until `stop`; opened again
/// when the server closes it.
async fn hold_idle(target: Arc<Target>, body: Bytes, counters: Arc<Counters>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut opened_before = false;
    while !*stop.borrow() {
        let connected = async {
            let stream = TcpStream::connect((target.addr.0.as_str(), target.addr.1)).await?;
            stream.set_nodelay(true)?;
            let (sender, connection) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream)).await?;
            Ok::<_, anyhow::Error>((sender, connection))
        }
        .await;
        let Ok((mut sender, connection)) = connected else {
            counters.errors.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let mut connection = std::pin::pin!(connection);
        let first = async {
            let response = sender.send_request(request(&target, body.clone())).await?;
            response.into_body().collect().await?;
            Ok::<_, hyper::Error>(())
        };
        let answered = tokio::select! {
            r = first => r.is_ok(),
            _ = &mut connection => false,
        };
        if !answered {
            counters.errors.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        counters.idle_open.fetch_add(1, Ordering::Relaxed);
        if opened_before {
            counters.idle_reopened.fetch_add(1, Ordering::Relaxed);
        }
        opened_before = true;
        // Silence: the connection stays open until the server closes it or the run ends.
        tokio::select! {
            _ = &mut connection => {}
            _ = stop.changed() => {}
        }
        counters.idle_open.fetch_sub(1, Ordering::Relaxed);
        drop(sender);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_rank() {
        let mut s: Vec<u32> = (1..=1000).rev().collect();
        let l = latency(&mut s);
        assert_eq!((l.p50_us, l.p90_us, l.p99_us, l.p999_us, l.max_us), (500, 900, 990, 999, 1000));
        assert!((l.mean_us - 500.5).abs() < 1e-9);
        assert_eq!(latency(&mut []).max_us, 0);
    }
}
