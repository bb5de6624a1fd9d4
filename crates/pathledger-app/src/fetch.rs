//! Fetching other issuers' documents (did:web documents, status list credentials, issuer
//! profiles, hosted Open Badges 2.0 assertions) without letting a stranger's credential reach
//! inside our network.
//!
//! The rules of [`SafeFetcher`]:
//! - https only; plain http only for hosts configured as test hosts ([`FetchConfig::http_hosts`]).
//! - Every address a host name resolves to is checked inside the client's own DNS resolver,
//!   so the connection uses exactly the addresses that were checked (no DNS rebinding window):
//!   private, loopback, link-local, unspecified, multicast, CGNAT, unique-local, documentation,
//!   benchmarking and other special-purpose ranges are refused, also when embedded in IPv6
//!   (IPv4-mapped, -compatible, NAT64, 6to4). A name resolving to any such address is refused
//!   whole. URLs naming an IP address never reach a resolver and are checked the same way
//!   before the request and at every redirect.
//! - At most [`FetchConfig::max_redirects`] redirects, each target re-checked (scheme, address).
//! - A time limit for the whole call (connect included), the answer read up to
//!   [`FetchConfig::max_bytes`] counted while reading (`Content-Length` is not trusted),
//!   JSON only (a JSON media type, and the body must parse).
//! - No proxy from the environment (a proxy would resolve names where we cannot check them).
//! - At most [`FetchConfig::max_concurrent`] fetches in flight for the whole server: a flood of
//!   strangers' credentials naming slow hosts waits for a turn (within the same time limit)
//!   instead of opening connections without end.
//! - A small cache in memory honouring `Cache-Control`, or `Expires` without it (see
//!   [`cache_lifetime`]).
//!
//! Verification reaches it through [`RequestFetcher`], the request-scoped, synchronous
//! [`badges::Fetcher`] that serves our own deployment's documents locally (never fetched) and
//! bounds how many other documents one verification request may fetch.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pathledger_badges::{self as badges, FetchError};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use serde_json::Value;

/// How (and whether) the deployment fetches other issuers' documents.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Fetch at all. Off by default (library users and tests opt in); `pathledger serve` turns
    /// it on unless `--no-fetch`. Off: anything not ours is `could_not_check`.
    pub enabled: bool,
    /// Hosts that may be fetched over plain http (tests, a local conformance harness).
    pub http_hosts: BTreeSet<String>,
    /// Hosts that may resolve to private or loopback addresses (tests only).
    pub private_hosts: BTreeSet<String>,
    /// Extra root certificates (PEM), e.g. a test certificate authority.
    pub root_certificates: Vec<Vec<u8>>,
    /// Host → address used instead of DNS (tests). The address is still checked.
    pub resolve: BTreeMap<String, SocketAddr>,
    /// Time for one whole fetch: connecting, redirects, reading the answer.
    pub timeout: Duration,
    /// Largest answer read, in bytes.
    pub max_bytes: usize,
    /// Redirects followed at most.
    pub max_redirects: usize,
    /// Distinct documents one verification request may fetch.
    pub per_request: usize,
    /// Fetches in flight at once, across every request this server handles.
    pub max_concurrent: usize,
    /// Documents the cache holds at most.
    pub cache_entries: usize,
    /// How long an answer without `Cache-Control: max-age` is kept.
    pub cache_default: Duration,
    /// How long any answer is kept at most, whatever its `max-age`.
    pub cache_ceiling: Duration,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            http_hosts: BTreeSet::new(),
            private_hosts: BTreeSet::new(),
            root_certificates: Vec::new(),
            resolve: BTreeMap::new(),
            timeout: Duration::from_secs(5),
            max_bytes: 256 * 1024,
            max_redirects: 3,
            per_request: 16,
            max_concurrent: 32,
            cache_entries: 256,
            cache_default: Duration::from_secs(60),
            cache_ceiling: Duration::from_secs(300),
        }
    }
}

impl FetchConfig {
    /// The defaults, fetching enabled.
    pub fn enabled() -> Self {
        Self {
            enabled: true,
            ..Self::default()
        }
    }
}

/// Why the fetcher could not be built (a root certificate that is not PEM, the TLS stack).
#[derive(Debug, thiserror::Error)]
#[error("the fetcher could not be set up: {0}")]
pub struct FetchSetupError(String);

/// Fetches JSON documents from other hosts under the rules in the [module docs](self).
pub struct SafeFetcher {
    client: reqwest::Client,
    config: Arc<FetchConfig>,
    cache: Mutex<HashMap<String, Cached>>,
    network_fetches: AtomicU64,
    /// One permit per fetch in flight ([`FetchConfig::max_concurrent`]).
    in_flight: tokio::sync::Semaphore,
}

struct Cached {
    value: Arc<Value>,
    expires: Instant,
}

/// A refusal by policy, carried through reqwest's error chain from the resolver or the
/// redirect policy.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

impl SafeFetcher {
    /// Builds the client for `config` (whether or not `enabled`; the caller decides).
    pub fn new(config: &FetchConfig) -> Result<Self, FetchSetupError> {
        let config = Arc::new(normalized(config));
        let resolver = Arc::new(CheckedResolver {
            config: config.clone(),
        });
        let policy_config = config.clone();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > policy_config.max_redirects {
                return attempt.error(Refused(format!(
                    "more than {} redirects",
                    policy_config.max_redirects
                )));
            }
            match check_url(&policy_config, attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(why) => attempt.error(Refused(format!("a redirect was refused: {why}"))),
            }
        });
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(resolver)
            .redirect(policy)
            .connect_timeout(config.timeout)
            .timeout(config.timeout)
            .user_agent(concat!("pathledger/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(2);
        for pem in &config.root_certificates {
            let cert = reqwest::Certificate::from_pem(pem)
                .map_err(|e| FetchSetupError(format!("a root certificate is not PEM: {e}")))?;
            builder = builder.add_root_certificate(cert);
        }
        let client = builder
            .build()
            .map_err(|e| FetchSetupError(e.to_string()))?;
        Ok(Self {
            client,
            cache: Mutex::new(HashMap::new()),
            network_fetches: AtomicU64::new(0),
            in_flight: tokio::sync::Semaphore::new(config.max_concurrent.max(1)),
            config,
        })
    }

    /// The rules this fetcher applies.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// Requests that went to the network (cache hits not counted): for tests and operators.
    pub fn network_fetches(&self) -> u64 {
        self.network_fetches.load(Ordering::Relaxed)
    }

    /// Fetches and parses one JSON document, from the cache when it is fresh there.
    pub async fn fetch_json(&self, url: &str) -> Result<Arc<Value>, FetchError> {
        let parsed = Url::parse(url)
            .map_err(|e| FetchError::NotAllowed(format!("{} is not a URL ({e})", clip(url))))?;
        check_url(&self.config, &parsed).map_err(FetchError::NotAllowed)?;
        if let Some(hit) = self.cached(url) {
            return Ok(hit);
        }
        let deadline = self.config.timeout;
        // Waiting for a turn counts against the same time limit as the fetch itself.
        let started = Instant::now();
        let _turn = tokio::time::timeout(deadline, self.in_flight.acquire())
            .await
            .map_err(|_| {
                FetchError::Unavailable(format!(
                    "{} was not fetched: {} other documents were being fetched for {} s",
                    clip(url),
                    self.config.max_concurrent,
                    deadline.as_secs_f32()
                ))
            })?
            .map_err(|_| FetchError::Unavailable("the fetcher is shutting down".to_owned()))?;
        self.network_fetches.fetch_add(1, Ordering::Relaxed);
        let left = deadline.saturating_sub(started.elapsed());
        let (value, lifetime) = tokio::time::timeout(left, self.get(parsed))
            .await
            .map_err(|_| {
                FetchError::Unavailable(format!(
                    "{} did not answer within {} s",
                    clip(url),
                    deadline.as_secs_f32()
                ))
            })??;
        let value = Arc::new(value);
        if let Some(lifetime) = lifetime {
            self.remember(url, value.clone(), lifetime);
        }
        Ok(value)
    }

    async fn get(&self, url: Url) -> Result<(Value, Option<Duration>), FetchError> {
        let shown = clip(url.as_str());
        let mut response = self
            .client
            .get(url)
            .header(
                reqwest::header::ACCEPT,
                "application/did+json, application/did+ld+json, application/ld+json, application/json;q=0.9",
            )
            .send()
            .await
            .map_err(|e| request_error(&shown, &e))?;
        let status = response.status();
        if !status.is_success() {
            let m = format!("{shown} answered HTTP {}", status.as_u16());
            return Err(if status.is_server_error() || status.as_u16() == 429 {
                FetchError::Unavailable(m)
            } else if status.as_u16() == 410 {
                // Deliberately removed: a hosted Open Badges 2.0 assertion so answered is revoked.
                FetchError::Gone(m)
            } else {
                FetchError::NotFound(m)
            });
        }
        let media = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if !is_json_media_type(&media) {
            return Err(FetchError::Invalid(format!(
                "{shown} is not JSON (Content-Type {})",
                if media.is_empty() {
                    "missing".to_owned()
                } else {
                    clip(&media)
                }
            )));
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
        };
        let lifetime = cache_lifetime(
            header(reqwest::header::CACHE_CONTROL),
            expires_lifetime(
                header(reqwest::header::EXPIRES),
                header(reqwest::header::DATE),
                std::time::SystemTime::now(),
            ),
            self.config.cache_default,
            self.config.cache_ceiling,
        );
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| request_error(&shown, &e))?
        {
            if body.len() + chunk.len() > self.config.max_bytes {
                return Err(FetchError::Invalid(format!(
                    "{shown} is larger than {} KiB",
                    self.config.max_bytes / 1024
                )));
            }
            body.extend_from_slice(&chunk);
        }
        let value = pathledger_signing::parse_strict(&body)
            .map_err(|e| FetchError::Invalid(format!("{shown} is not valid JSON ({e})")))?;
        Ok((value, lifetime))
    }

    fn cached(&self, url: &str) -> Option<Arc<Value>> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(url)
            .filter(|c| c.expires > Instant::now())
            .map(|c| c.value.clone())
    }

    fn remember(&self, url: &str, value: Arc<Value>, lifetime: Duration) {
        let now = Instant::now();
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= self.config.cache_entries && !cache.contains_key(url) {
            cache.retain(|_, c| c.expires > now);
            while cache.len() >= self.config.cache_entries {
                let Some(oldest) = cache
                    .iter()
                    .min_by_key(|(_, c)| c.expires)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                cache.remove(&oldest);
            }
        }
        if self.config.cache_entries > 0 {
            cache.insert(
                url.to_owned(),
                Cached {
                    value,
                    expires: now + lifetime,
                },
            );
        }
    }
}

/// Host names compared in lower case.
fn normalized(config: &FetchConfig) -> FetchConfig {
    let lower = |s: &BTreeSet<String>| s.iter().map(|h| h.to_ascii_lowercase()).collect();
    FetchConfig {
        http_hosts: lower(&config.http_hosts),
        private_hosts: lower(&config.private_hosts),
        resolve: config
            .resolve
            .iter()
            .map(|(h, a)| (h.to_ascii_lowercase(), *a))
            .collect(),
        ..config.clone()
    }
}

/// The checks a URL passes before any connection: its scheme, and the address when it names
/// one (such URLs bypass the resolver).
fn check_url(config: &FetchConfig, url: &Url) -> Result<(), String> {
    let Some(host_name) = url.host_str().map(str::to_ascii_lowercase) else {
        return Err(format!("{} has no host", clip(url.as_str())));
    };
    let literal = host_name
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    match url.scheme() {
        "https" => {}
        "http" if config.http_hosts.contains(&host_name) => {}
        other => {
            return Err(format!(
                "only https is fetched ({} uses {other})",
                clip(url.as_str())
            ))
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{} carries credentials", clip(url.as_str())));
    }
    let Some(ip) = literal else {
        return Ok(());
    };
    if !is_public(ip) && !config.private_hosts.contains(&host_name) {
        return Err(format!(
            "{} names a private or reserved address ({ip})",
            clip(url.as_str())
        ));
    }
    Ok(())
}

/// The client's DNS: overrides first (tests), then the system resolver; every address checked.
struct CheckedResolver {
    config: Arc<FetchConfig>,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        let allow_private = self.config.private_hosts.contains(&host);
        let fixed = self.config.resolve.get(&host).copied();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = match fixed {
                Some(a) => vec![a],
                None => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
            };
            if addrs.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            if !allow_private {
                if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                    return Err(Box::new(Refused(format!(
                        "{host} resolves to a private or reserved address ({})",
                        bad.ip()
                    )))
                        as Box<dyn std::error::Error + Send + Sync>);
                }
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

fn request_error(shown: &str, e: &reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return FetchError::NotAllowed(r.0.clone());
        }
        source = s.source();
    }
    if e.is_timeout() {
        FetchError::Unavailable(format!("{shown} did not answer in time"))
    } else if e.is_redirect() {
        FetchError::NotAllowed(format!("{shown} redirects too often"))
    } else {
        // The innermost cause says most (refused connection, certificate, unknown host).
        let mut cause: &dyn std::error::Error = e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        FetchError::Unavailable(format!(
            "{shown} could not be fetched: {}",
            clip(&cause.to_string())
        ))
    }
}

/// JSON media types: `application/json` and every `+json` type (`application/did+json`,
/// `application/ld+json`, `application/vc+ld+json` …).
fn is_json_media_type(v: &str) -> bool {
    let essence = v
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The freshness an `Expires` header gives (RFC 9111 §4.2.1): `Expires` minus the answer's
/// `Date` (or minus `now` without one). An `Expires` that is not a date, or is in the past,
/// means already stale: `Some(0)`. No `Expires`: `None`.
pub fn expires_lifetime(
    expires: Option<&str>,
    date: Option<&str>,
    now: std::time::SystemTime,
) -> Option<Duration> {
    let expires = expires?;
    let Ok(at) = httpdate::parse_http_date(expires.trim()) else {
        return Some(Duration::ZERO);
    };
    let from = date
        .and_then(|d| httpdate::parse_http_date(d.trim()).ok())
        .unwrap_or(now);
    Some(at.duration_since(from).unwrap_or(Duration::ZERO))
}

/// How long an answer may be cached: `no-store` and `no-cache` (we do not revalidate) and
/// `max-age=0` mean not at all; otherwise `s-maxage` (we are a cache shared by every visitor)
/// or `max-age`; without either, the `Expires` lifetime ([`expires_lifetime`]; zero: not at
/// all); without that, `default`. Never longer than `ceiling`.
pub fn cache_lifetime(
    cache_control: Option<&str>,
    expires: Option<Duration>,
    default: Duration,
    ceiling: Duration,
) -> Option<Duration> {
    let mut max_age = None;
    let mut s_maxage = None;
    for directive in cache_control.unwrap_or("").split(',') {
        let directive = directive.trim().to_ascii_lowercase();
        let (name, value) = match directive.split_once('=') {
            Some((n, v)) => (
                n.trim().to_owned(),
                Some(v.trim().trim_matches('"').to_owned()),
            ),
            None => (directive.clone(), None),
        };
        match (name.as_str(), value) {
            ("no-store" | "no-cache", _) => return None,
            ("max-age", Some(v)) => max_age = Some(v.parse::<u64>().unwrap_or(0)),
            ("s-maxage", Some(v)) => s_maxage = Some(v.parse::<u64>().unwrap_or(0)),
            _ => {}
        }
    }
    let lifetime = match (s_maxage.or(max_age), expires) {
        (Some(0), _) => return None,
        (Some(secs), _) => Duration::from_secs(secs),
        (None, Some(lifetime)) => lifetime,
        (None, None) => default,
    };
    let lifetime = lifetime.min(ceiling);
    (!lifetime.is_zero()).then_some(lifetime)
}

/// Whether `ip` is an ordinary public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_public_v4(a),
        IpAddr::V6(a) => is_public_v6(a),
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    let [o0, o1, o2, _] = a.octets();
    let refused = o0 == 0 // "this network", unspecified
        || o0 == 10 // private
        || o0 == 127 // loopback
        || (o0 == 100 && (64..128).contains(&o1)) // CGNAT 100.64/10
        || (o0 == 169 && o1 == 254) // link-local
        || (o0 == 172 && (16..32).contains(&o1)) // private
        || (o0 == 192 && o1 == 0 && o2 == 0) // IETF protocol assignments
        || (o0 == 192 && o1 == 0 && o2 == 2) // TEST-NET-1
        || (o0 == 192 && o1 == 88 && o2 == 99) // 6to4 relay anycast
        || (o0 == 192 && o1 == 168) // private
        || (o0 == 198 && (18..20).contains(&o1)) // benchmarking 198.18/15
        || (o0 == 198 && o1 == 51 && o2 == 100) // TEST-NET-2
        || (o0 == 203 && o1 == 0 && o2 == 113) // TEST-NET-3
        || o0 >= 224; // multicast, reserved, broadcast
    !refused
}

fn is_public_v6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    // IPv4 inside IPv6: mapped (::ffff:0:0/96), compatible (::/96), NAT64 (64:ff9b::/96).
    let tail_v4 = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[0..5] == [0, 0, 0, 0, 0] && (s[5] == 0xffff || s[5] == 0) {
        // `::` and `::1` are the unspecified and loopback addresses, not embedded IPv4.
        let embedded = s[5] == 0xffff || s[6] != 0 || s[7] > 1;
        return embedded && is_public_v4(tail_v4());
    }
    if s[0..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(tail_v4());
    }
    if s[0] == 0x2002 {
        // 6to4: the IPv4 address is in the second and third groups.
        let v4 = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return is_public_v4(v4);
    }
    // Global unicast is 2000::/3; within it, special-purpose blocks are refused.
    let global = (s[0] & 0xe000) == 0x2000;
    // 2001::/23 IETF assignments (Teredo, ORCHID …) and documentation 2001:db8::/32; and
    // documentation 3fff::/20.
    let special =
        (s[0] == 0x2001 && (s[1] < 0x0200 || s[1] == 0x0db8)) || (s[0] & 0xfff0) == 0x3ff0;
    global && !special
}

/// The [`badges::Fetcher`] one verification request uses: our own documents from the map the
/// request gathered (never fetched, even when missing), everything else through the
/// [`SafeFetcher`] on the runtime `handle`, at most [`FetchConfig::per_request`] distinct
/// documents per request (`fetched`, shared by every call of the request), each fetched once.
///
/// Its `fetch_json` blocks on the runtime: call it on a blocking thread (the verifier runs
/// under `spawn_blocking`), never on an async worker. While it waits on the network it gives
/// back the verification CPU slot its step holds ([`CpuSlot`]), so credentials naming slow
/// hosts cannot keep everyone else's verification waiting.
pub struct RequestFetcher {
    pub(crate) local: badges::StaticFetcher,
    pub(crate) own: OwnHost,
    pub(crate) remote: Option<(Arc<SafeFetcher>, tokio::runtime::Handle)>,
    pub(crate) fetched: Arc<Mutex<HashMap<String, Result<Value, FetchError>>>>,
    pub(crate) per_request: usize,
    pub(crate) slot: Arc<CpuSlot>,
}

/// The verification CPU slot (a permit of the app's fair queue of slots, one per core) that
/// one request's running step holds; put down while the step waits on the network and taken
/// again, in the queue's turn, before it computes on.
pub(crate) struct CpuSlot {
    slots: Arc<tokio::sync::Semaphore>,
    held: Mutex<Option<tokio::sync::OwnedSemaphorePermit>>,
}

/// Holds a step's slot in its [`CpuSlot`] until dropped.
pub(crate) struct SlotHeld<'a>(&'a CpuSlot);

impl Drop for SlotHeld<'_> {
    fn drop(&mut self) {
        self.0.held.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

impl CpuSlot {
    pub(crate) fn new(slots: Arc<tokio::sync::Semaphore>) -> Self {
        Self {
            slots,
            held: Mutex::new(None),
        }
    }

    /// The step that got `permit` holds it here until the guard drops (when the step ends,
    /// whether or not the request is still waiting for it).
    pub(crate) fn hold(&self, permit: tokio::sync::OwnedSemaphorePermit) -> SlotHeld<'_> {
        *self.held.lock().unwrap_or_else(|p| p.into_inner()) = Some(permit);
        SlotHeld(self)
    }

    /// Runs `wait` on `handle` without the slot, then queues for a slot again when one was held.
    fn without<T>(
        &self,
        handle: &tokio::runtime::Handle,
        wait: impl std::future::Future<Output = T>,
    ) -> T {
        let had = self
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .is_some();
        let out = handle.block_on(wait);
        if had {
            if let Ok(permit) = handle.block_on(self.slots.clone().acquire_owned()) {
                *self.held.lock().unwrap_or_else(|p| p.into_inner()) = Some(permit);
            }
        }
        out
    }
}

/// Our deployment's host and port: URLs there are served locally or not at all.
#[derive(Debug, Clone)]
pub(crate) struct OwnHost {
    host: String,
    port: Option<u16>,
}

impl OwnHost {
    pub(crate) fn of(public_url: &str) -> Self {
        let url = Url::parse(public_url).ok();
        Self {
            host: url
                .as_ref()
                .and_then(|u| u.host_str())
                .unwrap_or("localhost")
                .to_ascii_lowercase(),
            port: url.and_then(|u| u.port()),
        }
    }

    /// Whether `url` points at this deployment (http or https, as did:web URLs are https).
    pub(crate) fn owns(&self, url: &str) -> bool {
        match Url::parse(url) {
            Ok(u) => {
                u.host_str().map(str::to_ascii_lowercase).as_deref() == Some(self.host.as_str())
                    && u.port() == self.port
            }
            // Not a URL: nothing to fetch either way.
            Err(_) => true,
        }
    }
}

impl badges::Fetcher for RequestFetcher {
    fn checked_status_list(&self, url: &str) -> Option<std::sync::Arc<badges::CheckedList>> {
        self.local.checked_status_list(url)
    }

    fn fetch_json(&self, url: &str) -> Result<Value, FetchError> {
        if let Ok(doc) = self.local.fetch_json(url) {
            return Ok(doc);
        }
        if self.own.owns(url) {
            return Err(FetchError::NotFound(format!(
                "{} is not published by this deployment",
                clip(url)
            )));
        }
        let Some((remote, handle)) = &self.remote else {
            return Err(FetchError::Unavailable(format!(
                "this deployment does not fetch other issuers' documents ({} was not fetched)",
                clip(url)
            )));
        };
        {
            let fetched = self.fetched.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(done) = fetched.get(url) {
                return done.clone();
            }
            if fetched.len() >= self.per_request {
                return Err(FetchError::NotAllowed(format!(
                    "one verification fetches at most {} documents from other hosts; {} was not fetched",
                    self.per_request,
                    clip(url)
                )));
            }
        }
        let result = self
            .slot
            .without(handle, remote.fetch_json(url))
            .map(|v| (*v).clone());
        let mut fetched = self.fetched.lock().unwrap_or_else(|p| p.into_inner());
        if fetched.len() < self.per_request {
            fetched.insert(url.to_owned(), result.clone());
        }
        result
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() <= 120 {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(117).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_addresses_are_refused_and_public_ones_allowed() {
        for refused in [
            "0.0.0.0",
            "10.1.2.3",
            "127.0.0.1",
            "100.64.0.1",
            "100.127.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "3fff::1",
            "100::1",
        ] {
            let ip: IpAddr = refused.parse().unwrap();
            assert!(!is_public(ip), "{refused} must be refused");
        }
        for allowed in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.0.1",
            "172.32.0.1",
            "198.20.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ] {
            let ip: IpAddr = allowed.parse().unwrap();
            assert!(is_public(ip), "{allowed} must be allowed");
        }
    }

    #[test]
    fn cache_control_is_honoured_within_the_ceiling() {
        let d = Duration::from_secs(60);
        let c = Duration::from_secs(300);
        assert_eq!(cache_lifetime(None, None, d, c), Some(d));
        assert_eq!(
            cache_lifetime(Some("max-age=10"), None, d, c),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            cache_lifetime(Some("public, max-age=86400"), None, d, c),
            Some(c)
        );
        assert_eq!(
            cache_lifetime(Some("max-age=100, s-maxage=20"), None, d, c),
            Some(Duration::from_secs(20))
        );
        assert_eq!(cache_lifetime(Some("no-store"), None, d, c), None);
        assert_eq!(
            cache_lifetime(Some("max-age=100, no-cache"), None, d, c),
            None
        );
        assert_eq!(cache_lifetime(Some("max-age=0"), None, d, c), None);
        assert_eq!(cache_lifetime(Some("max-age=junk"), None, d, c), None);
        // Expires counts only without max-age/s-maxage, still under the ceiling.
        let e = |secs| Some(Duration::from_secs(secs));
        assert_eq!(cache_lifetime(None, e(30), d, c), e(30));
        assert_eq!(cache_lifetime(None, e(3_600), d, c), Some(c));
        assert_eq!(cache_lifetime(None, e(0), d, c), None);
        assert_eq!(cache_lifetime(Some("max-age=10"), e(0), d, c), e(10));
        assert_eq!(cache_lifetime(Some("no-store"), e(30), d, c), None);
    }

    #[test]
    fn expires_is_read_against_the_answers_date() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let date = "Tue, 14 Nov 2023 22:13:20 GMT"; // 1_700_000_000
        let later = "Tue, 14 Nov 2023 22:14:00 GMT"; // 40 s after
        assert_eq!(expires_lifetime(None, Some(date), now), None);
        assert_eq!(
            expires_lifetime(Some(later), Some(date), now),
            Some(Duration::from_secs(40))
        );
        // Without Date, against now; in the past or not a date: stale at once.
        assert_eq!(
            expires_lifetime(Some(later), None, now),
            Some(Duration::from_secs(40))
        );
        assert_eq!(
            expires_lifetime(Some(date), Some(later), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            expires_lifetime(Some("0"), Some(date), now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn urls_are_checked_before_any_connection() {
        let mut config = FetchConfig::enabled();
        config.http_hosts.insert("plain.test".into());
        let check = |u: &str| check_url(&config, &Url::parse(u).unwrap());
        assert!(check("https://example.org/did.json").is_ok());
        assert!(check("http://plain.test/x").is_ok());
        assert!(check("http://example.org/x")
            .unwrap_err()
            .contains("only https"));
        assert!(check("ftp://example.org/x").is_err());
        assert!(check("https://127.0.0.1/x")
            .unwrap_err()
            .contains("private"));
        assert!(check("https://[::ffff:7f00:1]/x")
            .unwrap_err()
            .contains("private"));
        assert!(check("https://169.254.169.254/latest").is_err());
        assert!(check("https://user:pw@example.org/x").is_err());
        assert!(check("https://8.8.8.8/x").is_ok());
    }

    #[test]
    fn own_host_matches_both_schemes_and_the_port() {
        let own = OwnHost::of("http://localhost:8080");
        assert!(own.owns("https://localhost:8080/issuers/a/did.json"));
        assert!(own.owns("http://LOCALHOST:8080/status/1"));
        assert!(!own.owns("https://localhost:9090/x"));
        assert!(!own.owns("https://example.org/x"));
    }
}
