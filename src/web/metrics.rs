//! The figures `/metrics` serves, in the Prometheus text format: requests by
//! route and status, the answer latency histogram, fallbacks, reloads,
//! rate-limited requests and the knowledge's version. Kept by hand with
//! atomics (a handful of series; no registry crate needed).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, RwLock};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The histogram's upper bounds, in seconds (the engine answers in tens of
/// microseconds; a large knowledge base in a millisecond or so).
const BUCKETS: [f64; 12] = [0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];

#[derive(Default)]
pub struct Metrics {
    /// By route, then status: a request takes the read lock and counts with
    /// an atomic; only a route and status seen for the first time write.
    requests: RwLock<BTreeMap<String, BTreeMap<u16, AtomicU64>>>,
    /// Answers by the first bucket they fit (the last one: beyond every
    /// bound); `/metrics` adds them up into the cumulative histogram.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    answers: AtomicU64,
    answer_nanos: AtomicU64,
    fallbacks: AtomicU64,
    rate_limited: AtomicU64,
    reloads: Mutex<BTreeMap<&'static str, u64>>,
    votes: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// One request answered on `route` (the route's pattern, never the path
    /// a client typed: that would let anyone grow the table).
    pub fn request(&self, route: &str, status: u16) {
        if let Some(n) = self.requests.read().unwrap_or_else(|p| p.into_inner()).get(route).and_then(|s| s.get(&status)) {
            n.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let mut m = self.requests.write().unwrap_or_else(|p| p.into_inner());
        m.entry(route.to_string()).or_default().entry(status).or_default().fetch_add(1, Ordering::Relaxed);
    }

    /// One answer from the engine, how long it took and whether it was a fallback.
    pub fn answer(&self, took: Duration, fallback: bool) {
        let secs = took.as_secs_f64();
        let first = BUCKETS.iter().position(|b| secs <= *b).unwrap_or(BUCKETS.len());
        self.buckets[first].fetch_add(1, Ordering::Relaxed);
        self.answers.fetch_add(1, Ordering::Relaxed);
        self.answer_nanos.fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
        if fallback {
            self.fallbacks.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// A reload's outcome: `reloaded`, `refused` or `failed`.
    pub fn reload(&self, outcome: &'static str) {
        *self.reloads.lock().unwrap_or_else(|p| p.into_inner()).entry(outcome).or_default() += 1;
    }

    pub fn vote(&self, vote: &'static str) {
        *self.votes.lock().unwrap_or_else(|p| p.into_inner()).entry(vote).or_default() += 1;
    }

    /// The text format (version 0.0.4).
    pub fn render(&self, faq: usize, stations: usize, articles: usize, fingerprint: u64) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP union_bot_http_requests_total HTTP requests by route and status.\n# TYPE union_bot_http_requests_total counter\n");
        for (route, statuses) in self.requests.read().unwrap_or_else(|p| p.into_inner()).iter() {
            for (status, n) in statuses {
                let _ = writeln!(out, "union_bot_http_requests_total{{route=\"{}\",status=\"{status}\"}} {}", label(route), n.load(Ordering::Relaxed));
            }
        }
        out.push_str("# HELP union_bot_answer_seconds Time the engine took to answer.\n# TYPE union_bot_answer_seconds histogram\n");
        let mut below = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            below += self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "union_bot_answer_seconds_bucket{{le=\"{b}\"}} {below}");
        }
        let count = self.answers.load(Ordering::Relaxed);
        let _ = writeln!(out, "union_bot_answer_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "union_bot_answer_seconds_sum {}", self.answer_nanos.load(Ordering::Relaxed) as f64 / 1e9);
        let _ = writeln!(out, "union_bot_answer_seconds_count {count}");
        let _ = writeln!(
            out,
            "# HELP union_bot_fallbacks_total Questions answered with the honest fallback.\n# TYPE union_bot_fallbacks_total counter\nunion_bot_fallbacks_total {}",
            self.fallbacks.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP union_bot_rate_limited_total Requests refused with 429.\n# TYPE union_bot_rate_limited_total counter\nunion_bot_rate_limited_total {}",
            self.rate_limited.load(Ordering::Relaxed)
        );
        out.push_str("# HELP union_bot_reloads_total Reloads of the knowledge by outcome.\n# TYPE union_bot_reloads_total counter\n");
        let reloads = self.reloads.lock().unwrap_or_else(|p| p.into_inner());
        for outcome in ["reloaded", "refused", "failed"] {
            let _ = writeln!(out, "union_bot_reloads_total{{outcome=\"{outcome}\"}} {}", reloads.get(outcome).copied().unwrap_or(0));
        }
        drop(reloads);
        out.push_str("# HELP union_bot_votes_total Votes on answers.\n# TYPE union_bot_votes_total counter\n");
        let votes = self.votes.lock().unwrap_or_else(|p| p.into_inner());
        for vote in ["up", "down"] {
            let _ = writeln!(out, "union_bot_votes_total{{vote=\"{vote}\"}} {}", votes.get(vote).copied().unwrap_or(0));
        }
        drop(votes);
        let _ = writeln!(
            out,
            "# HELP union_bot_knowledge_info The knowledge serving now (its fingerprint).\n# TYPE union_bot_knowledge_info gauge\nunion_bot_knowledge_info{{version=\"{fingerprint:016x}\"}} 1"
        );
        out.push_str("# HELP union_bot_knowledge_items Items in the knowledge serving now.\n# TYPE union_bot_knowledge_items gauge\n");
        for (kind, n) in [("faq", faq), ("stations", stations), ("articles", articles)] {
            let _ = writeln!(out, "union_bot_knowledge_items{{kind=\"{kind}\"}} {n}");
        }
        out
    }
}

/// A label value, escaped as the format wants.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative() {
        let m = Metrics::default();
        m.answer(Duration::from_micros(30), false);
        m.answer(Duration::from_millis(3), true);
        m.request("/api/v1/ask", 200);
        m.request("/api/v1/ask", 200);
        let text = m.render(1, 2, 3, 0xabc);
        assert!(text.contains("union_bot_answer_seconds_bucket{le=\"0.00005\"} 1"), "{text}");
        assert!(text.contains("union_bot_answer_seconds_bucket{le=\"0.005\"} 2"), "{text}");
        assert!(text.contains("union_bot_answer_seconds_count 2"), "{text}");
        assert!(text.contains("union_bot_fallbacks_total 1"), "{text}");
        assert!(text.contains("union_bot_http_requests_total{route=\"/api/v1/ask\",status=\"200\"} 2"), "{text}");
        assert!(text.contains("union_bot_knowledge_info{version=\"0000000000000abc\"} 1"), "{text}");
    }
}
