//! Sign-in throttling: failed sign-ins (the login form) and failed API tokens are counted per
//! client address in a sliding window; an address that reaches the limit is answered 429 with
//! `Retry-After` until its oldest counted failure leaves the window, so a lockout never outlasts
//! one window.
//!
//! "Per account" is not possible with today's tokens: a token is `plt_` and 32 random bytes with
//! no public id part, so a wrong token names no account to count against (and cannot be guessed:
//! the limit bounds the noise and the load, not a search). The state is in this process's memory
//! and bounded ([`ThrottleConfig::max_tracked`] addresses); several servers behind a balancer
//! each keep their own count. The address is the TCP peer's (`X-Forwarded-For` is never read),
//! an IPv6 address counted by its /64 (one host usually holds the whole /64).

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::StatusCode;

use crate::error::ApiError;

/// How many failures lock an address out, and for how long they count.
#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    /// Failures within `window` that lock the address out.
    pub max_failures: usize,
    /// How long a failure counts (and so the longest lockout).
    pub window: Duration,
    /// Most addresses tracked at once; beyond it the stalest are forgotten.
    pub max_tracked: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            max_failures: 5,
            window: Duration::from_secs(15 * 60),
            max_tracked: 10_000,
        }
    }
}

/// Who a failure is counted against: the client's address (IPv6 by its /64), or `Unknown` when
/// the server was not given peer addresses (in-process tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    Addr(IpAddr),
    Unknown,
}

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientKey::Addr(IpAddr::V6(a)) => write!(f, "{a}/64"),
            ClientKey::Addr(a) => write!(f, "{a}"),
            ClientKey::Unknown => f.write_str("unknown"),
        }
    }
}

impl ClientKey {
    fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => ClientKey::Addr(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::Addr(IpAddr::V4(v4)),
                None => {
                    let bits = u128::from(v6) & !((1u128 << 64) - 1);
                    ClientKey::Addr(IpAddr::V6(bits.into()))
                }
            },
        }
    }
}

/// The client's key from the connection's peer address (`ConnectInfo`, set by [`crate::serve`]).
pub fn client_key(parts: &Parts) -> ClientKey {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| ClientKey::of(a.ip()))
        .unwrap_or(ClientKey::Unknown)
}

impl<S: Send + Sync> FromRequestParts<S> for ClientKey {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(client_key(parts))
    }
}

/// The failure counts; cheap to clone (shared), carried to handlers as a request extension.
#[derive(Clone)]
pub struct SignInThrottle {
    config: Arc<ThrottleConfig>,
    failures: Arc<Mutex<HashMap<ClientKey, VecDeque<Instant>>>>,
}

impl SignInThrottle {
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            config: Arc::new(config),
            failures: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ClientKey, VecDeque<Instant>>> {
        // A panic while holding the lock leaves only counts behind; they stay usable.
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long `failures` (oldest first) keep their address locked out, if they do.
    fn lockout(&self, failures: &VecDeque<Instant>, now: Instant) -> Option<Duration> {
        if failures.len() < self.config.max_failures {
            return None;
        }
        let oldest = *failures.get(failures.len() - self.config.max_failures)?;
        (oldest + self.config.window)
            .checked_duration_since(now)
            .filter(|d| !d.is_zero())
    }

    /// How long `client` is still locked out, if it is.
    pub fn locked_for(&self, client: ClientKey) -> Option<Duration> {
        let now = Instant::now();
        let map = self.lock();
        self.lockout(map.get(&client)?, now)
    }

    /// `Err(429)` while `client` is locked out.
    pub fn check(&self, client: ClientKey) -> Result<(), ApiError> {
        match self.locked_for(client) {
            Some(d) => {
                tracing::warn!(client = %client, retry_after_s = d.as_secs(), "sign-in refused: too many failures from this address");
                Err(ApiError::too_many_attempts(retry_after_secs(d)))
            }
            None => Ok(()),
        }
    }

    /// Counts one failure of `client`; returns the lockout it now has, if any.
    pub fn failed(&self, client: ClientKey) -> Option<Duration> {
        let now = Instant::now();
        let window = self.config.window;
        let mut map = self.lock();
        if !map.contains_key(&client) && map.len() >= self.config.max_tracked {
            make_room(&mut map, now, window, self.config.max_tracked);
        }
        let list = map.entry(client).or_default();
        while list
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            list.pop_front();
        }
        list.push_back(now);
        while list.len() > self.config.max_failures.max(1) {
            list.pop_front();
        }
        let lockout = self.lockout(list, now);
        if let Some(d) = lockout {
            tracing::warn!(client = %client, lockout_s = d.as_secs(), "too many failed sign-ins: address locked out");
        }
        lockout
    }

    /// How many addresses are tracked now.
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }
}

/// Forgets addresses whose failures all left the window; if that is not enough, the eighth of
/// the rest whose latest failure is oldest (amortized: one pass per many new addresses).
fn make_room(
    map: &mut HashMap<ClientKey, VecDeque<Instant>>,
    now: Instant,
    window: Duration,
    max: usize,
) {
    map.retain(|_, l| l.back().is_some_and(|t| now.duration_since(*t) < window));
    if map.len() < max {
        return;
    }
    let mut latest: Vec<(Instant, ClientKey)> = map
        .iter()
        .filter_map(|(k, l)| l.back().map(|t| (*t, *k)))
        .collect();
    let evict = (max / 8).max(1).min(latest.len());
    if evict == 0 {
        return;
    }
    latest.select_nth_unstable_by_key(evict - 1, |(t, _)| *t);
    for (_, k) in &latest[..evict] {
        map.remove(k);
    }
}

/// Whole seconds for `Retry-After`, rounded up, at least 1.
pub fn retry_after_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl ApiError {
    /// 429: too many failed sign-ins from this address; `Retry-After` says when to try again.
    pub fn too_many_attempts(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!(
                "Too many failed sign-ins from this address; try again in {retry_after} seconds."
            ),
        );
        e.retryable = true;
        e.retry_after = Some(retry_after);
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(i: u32) -> ClientKey {
        ClientKey::of(IpAddr::V4(i.into()))
    }

    #[test]
    fn locks_after_the_limit_and_forgets_after_the_window() {
        let t = SignInThrottle::new(ThrottleConfig {
            max_failures: 3,
            window: Duration::from_millis(200),
            max_tracked: 100,
        });
        assert!(t.failed(addr(1)).is_none());
        assert!(t.failed(addr(1)).is_none());
        let d = t.failed(addr(1)).expect("locked at the third failure");
        assert!(d <= Duration::from_millis(200));
        assert!(t.check(addr(1)).is_err());
        assert!(t.check(addr(2)).is_ok(), "another address is not locked");
        std::thread::sleep(Duration::from_millis(220));
        assert!(t.check(addr(1)).is_ok(), "the lockout ends with the window");
    }

    #[test]
    fn a_spray_of_addresses_stays_bounded() {
        let t = SignInThrottle::new(ThrottleConfig {
            max_failures: 5,
            window: Duration::from_secs(60),
            max_tracked: 64,
        });
        for i in 0..10_000 {
            t.failed(addr(i));
            assert!(t.tracked() <= 64);
        }
        // Even a zero bound is a bound (nothing to evict is not a panic).
        let none = SignInThrottle::new(ThrottleConfig {
            max_tracked: 0,
            ..ThrottleConfig::default()
        });
        none.failed(addr(1));
        assert!(none.tracked() <= 1);
        // The newest addresses are still counted.
        for _ in 0..4 {
            t.failed(addr(9_999));
        }
        assert!(t.locked_for(addr(9_999)).is_some());
    }

    #[test]
    fn ipv6_is_counted_by_its_64_prefix() {
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(ClientKey::of(a), ClientKey::of(b));
        assert_ne!(ClientKey::of(a), ClientKey::of(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().expect("ip");
        assert_eq!(ClientKey::of(mapped), addr(0x0a00_0001));
    }
}
