//! Who the client is, and how often it may ask.
//!
//! The client is the peer's address, unless `TRUST_PROXY` says how many
//! proxies in front append to `X-Forwarded-For`: then it is the address the
//! nearest trusted proxy saw (counting from the right; a client can put
//! anything on the left). The address is used for the rate limit, in memory,
//! and never logged: the log gets a keyed hash of it ([`ClientHasher`]), as
//! the Telegram channel does with user ids.

use std::hash::BuildHasher;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The peer's address, put into each request's extensions by the server.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// The client's address for `headers` from `peer`, trusting `trusted` proxies.
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: usize) -> IpAddr {
    if trusted == 0 {
        return peer;
    }
    // Every X-Forwarded-For header, in order, as one list.
    let hops: Vec<&str> =
        headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).map(str::trim).filter(|s| !s.is_empty()).collect();
    // The last proxy appended the address it saw; with `trusted` proxies the
    // client is `trusted` entries from the right. Fewer entries: the leftmost.
    let pick = if hops.len() >= trusted { hops.get(hops.len() - trusted) } else { hops.first() };
    pick.and_then(|s| parse_hop(s)).unwrap_or(peer)
}

/// An X-Forwarded-For entry: an address, maybe with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    s.parse::<SocketAddr>().ok().map(|a| a.ip())
}

/// Hashes client addresses with a key drawn when the process starts: one
/// client gets one hash in one run's log, and it cannot be looked up.
#[derive(Default)]
pub struct ClientHasher(std::collections::hash_map::RandomState);

impl ClientHasher {
    pub fn hash(&self, ip: IpAddr) -> String {
        format!("{:016x}", self.0.hash_one(ip))
    }
}

/// The per-client limit of the API.
pub struct Limiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl Limiter {
    /// `per_minute` requests a minute on average, `burst` at once; `None` when `per_minute` is 0 (no limit).
    pub fn new(per_minute: u32, burst: u32) -> Option<Limiter> {
        let per_minute = NonZeroU32::new(per_minute)?;
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Some(Limiter { limiter: RateLimiter::keyed(quota), clock: DefaultClock::default() })
    }

    /// `Ok` when `client` may go on; otherwise how long until it may.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.limiter.check_key(&client).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets clients that are back to a full allowance (called now and then,
    /// so the table does not grow with every address ever seen).
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_for_is_read_only_when_trusted() {
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        let h = headers(&["6.6.6.6, 1.2.3.4"]);
        assert_eq!(client_addr(peer, &h, 0), peer, "not trusted: the peer");
        assert_eq!(client_addr(peer, &h, 1).to_string(), "1.2.3.4", "one proxy: the rightmost");
        assert_eq!(client_addr(peer, &h, 2).to_string(), "6.6.6.6");
        assert_eq!(client_addr(peer, &headers(&["6.6.6.6", "1.2.3.4:555"]), 1).to_string(), "1.2.3.4");
        assert_eq!(client_addr(peer, &headers(&["garbage"]), 1), peer);
        assert_eq!(client_addr(peer, &headers(&[]), 1), peer);
    }

    #[test]
    fn the_limit_lets_a_burst_through_then_says_how_long_to_wait() {
        let l = Limiter::new(60, 3).unwrap();
        let a: IpAddr = "1.1.1.1".parse().unwrap();
        let b: IpAddr = "2.2.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check(a).is_ok());
        }
        let wait = l.check(a).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1), "{wait:?}");
        assert!(l.check(b).is_ok(), "another client is not held up");
        assert!(Limiter::new(0, 5).is_none());
    }

    #[test]
    fn client_hashes_hide_the_address() {
        let h = ClientHasher::default();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(h.hash(ip), h.hash(ip));
        // Hex digits only: the address's text (dots and all) cannot be in it,
        // whatever three digits the random key makes appear.
        let hashed = h.hash(ip);
        assert!(hashed.len() == 16 && hashed.bytes().all(|b| b.is_ascii_hexdigit()), "{hashed}");
        assert!(!hashed.contains("203.0.113.7") && !hashed.contains('.'), "{hashed}");
        assert_ne!(ClientHasher::default().hash(ip), hashed, "keys differ between runs");
    }
}
