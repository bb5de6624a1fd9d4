//! Fetching what verification needs from elsewhere (status lists, did:web documents, hosted
//! badges, key sets) through a [`Fetcher`] the caller supplies, and did:web key resolution on
//! top of it.

use std::collections::HashMap;
use std::sync::Arc;

use pathledger_signing::{did_web_url, KeyResolver, ResolveError, ResolvedKey, StaticResolver};
use serde_json::Value;

use crate::status::CheckedList;
use crate::text::clip;

/// Why a URL could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// Nothing there (HTTP 404, unknown host).
    #[error("not found: {0}")]
    NotFound(String),
    /// Deliberately removed (HTTP 410 Gone): a hosted Open Badges 2.0 assertion so answered
    /// is revoked.
    #[error("gone: {0}")]
    Gone(String),
    /// Temporarily unavailable (timeout, 5xx, offline).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Fetched, but not JSON or too large.
    #[error("invalid response: {0}")]
    Invalid(String),
    /// The URL is refused by policy (e.g. not https, private address).
    #[error("not allowed: {0}")]
    NotAllowed(String),
}

/// Fetches JSON documents (status lists, did:web documents). The server plugs in an HTTP client;
/// tests and offline use plug in [`StaticFetcher`] or [`NoFetcher`].
pub trait Fetcher: Send + Sync {
    /// Fetches and parses one JSON document.
    fn fetch_json(&self, url: &str) -> Result<Value, FetchError>;

    /// A status list at `url` that was already checked ([`CheckedList::check`]), if this
    /// fetcher holds one: the verifier then reads entries from it instead of fetching,
    /// verifying and inflating the list again.
    fn checked_status_list(&self, _url: &str) -> Option<Arc<CheckedList>> {
        None
    }
}

/// Fetches nothing: every URL is unavailable (offline verification).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFetcher;

impl Fetcher for NoFetcher {
    fn fetch_json(&self, url: &str) -> Result<Value, FetchError> {
        Err(FetchError::Unavailable(format!(
            "offline: {} was not fetched",
            clip(url)
        )))
    }
}

/// Serves documents from a fixed map (our own status lists and DID documents, tests).
#[derive(Debug, Clone, Default)]
pub struct StaticFetcher {
    docs: HashMap<String, Value>,
    checked: HashMap<String, Arc<CheckedList>>,
}

impl StaticFetcher {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one document.
    pub fn insert(&mut self, url: impl Into<String>, doc: Value) -> &mut Self {
        self.docs.insert(url.into(), doc);
        self
    }

    /// Adds a status list that was already checked.
    pub fn insert_checked(&mut self, url: impl Into<String>, list: Arc<CheckedList>) -> &mut Self {
        self.checked.insert(url.into(), list);
        self
    }
}

impl Fetcher for StaticFetcher {
    fn fetch_json(&self, url: &str) -> Result<Value, FetchError> {
        self.docs
            .get(url)
            .cloned()
            .ok_or_else(|| FetchError::NotFound(clip(url)))
    }

    fn checked_status_list(&self, url: &str) -> Option<Arc<CheckedList>> {
        self.checked.get(url).cloned()
    }
}

/// Resolves did:web verification methods by fetching the DID document; everything else goes to
/// the base resolver first.
pub(crate) struct WebResolver<'a> {
    pub(crate) base: &'a dyn KeyResolver,
    pub(crate) fetcher: &'a dyn Fetcher,
}

impl KeyResolver for WebResolver<'_> {
    fn resolve(&self, vm: &str) -> Result<ResolvedKey, ResolveError> {
        match self.base.resolve(vm) {
            Err(ResolveError::Unsupported(_) | ResolveError::NotFound(_))
                if vm.starts_with("did:web:") => {}
            other => return other,
        }
        let did = vm.split('#').next().unwrap_or(vm);
        let url = did_web_url(did).map_err(|e| ResolveError::NotFound(e.to_string()))?;
        let doc = self.fetcher.fetch_json(&url).map_err(|e| match e {
            FetchError::NotFound(m) => ResolveError::NotFound(format!(
                "the DID document of {} was not found ({m})",
                clip(did)
            )),
            other => ResolveError::Unavailable(format!(
                "the DID document of {} could not be fetched ({other})",
                clip(did)
            )),
        })?;
        if doc.get("id").and_then(Value::as_str) != Some(did) {
            return Err(ResolveError::NotFound(format!(
                "the document at {} is not the DID document of {}",
                clip(&url),
                clip(did)
            )));
        }
        let mut keys = StaticResolver::new();
        keys.add_did_document(&doc)
            .map_err(|e| ResolveError::NotFound(e.to_string()))?;
        keys.resolve(vm)
    }
}
