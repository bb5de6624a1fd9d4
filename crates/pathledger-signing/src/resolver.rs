//! Verification-method resolution: from a proof's `verificationMethod` to a public key and its controller.
//!
//! Resolution never touches the network here: did:key is decoded offline, our own and known
//! did:web issuers come from a [`StaticResolver`] filled from their DID documents, and callers
//! that can fetch (the server) plug in their own [`KeyResolver`].

use crate::keys::{resolve_did_key, KeyError, PublicKey};
use serde_json::Value;
use std::collections::HashMap;

/// A resolved verification method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedKey {
    /// The key.
    pub public_key: PublicKey,
    /// The DID (or URL) that controls the key; verifiers compare it with the issuer.
    pub controller: String,
}

/// Why a verification method gave no key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The method or DID does not exist or names no usable key.
    #[error("verification method not found: {0}")]
    NotFound(String),
    /// A method kind this resolver does not handle (e.g. did:web without a fetcher).
    #[error("verification method not supported: {0}")]
    Unsupported(String),
    /// Could not check right now (e.g. a did:web document could not be fetched).
    #[error("verification method unavailable: {0}")]
    Unavailable(String),
}

/// Resolves verification method ids to keys.
pub trait KeyResolver: Send + Sync {
    /// Resolves one verification method id.
    fn resolve(&self, verification_method: &str) -> Result<ResolvedKey, ResolveError>;
}

/// Offline did:key resolution.
#[derive(Debug, Clone, Copy, Default)]
pub struct DidKeyResolver;

impl KeyResolver for DidKeyResolver {
    fn resolve(&self, vm: &str) -> Result<ResolvedKey, ResolveError> {
        if !vm.starts_with("did:key:") {
            return Err(ResolveError::Unsupported(vm.chars().take(200).collect()));
        }
        // The controller is the DID as written: base58btc has one encoding per byte string,
        // so it equals the key's own `did:key` (no re-encoding).
        let did = vm.split_once('#').map_or(vm, |(d, _)| d);
        if let Some(public_key) = DID_KEYS.with(|c| c.borrow().get(vm).copied()) {
            return Ok(ResolvedKey {
                public_key,
                controller: did.to_owned(),
            });
        }
        let key = resolve_did_key(vm).map_err(|e| ResolveError::NotFound(e.to_string()))?;
        DID_KEYS.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= DID_KEY_CACHE {
                c.clear();
            }
            c.insert(vm.to_owned(), key);
        });
        Ok(ResolvedKey {
            controller: did.to_owned(),
            public_key: key,
        })
    }
}

/// Decoded did:key verification methods per thread: decoding is base58 plus an Edwards point
/// decompression, a fair share of a verification's cost, and a verifier meets the same few
/// keys again and again. Only successfully decoded methods are kept.
const DID_KEY_CACHE: usize = 256;

thread_local! {
    static DID_KEYS: std::cell::RefCell<HashMap<String, PublicKey>> =
        std::cell::RefCell::new(HashMap::new());
}

/// A fixed map from verification method id to key: tests, and did:web issuers we already know.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    keys: HashMap<String, ResolvedKey>,
}

impl StaticResolver {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one method.
    pub fn insert(
        &mut self,
        verification_method: impl Into<String>,
        public_key: PublicKey,
        controller: impl Into<String>,
    ) -> &mut Self {
        self.keys.insert(
            verification_method.into(),
            ResolvedKey {
                public_key,
                controller: controller.into(),
            },
        );
        self
    }

    /// Adds every Multikey of a DID document that is listed under `assertionMethod`
    /// (by reference or embedded). Returns how many were added.
    pub fn add_did_document(&mut self, doc: &Value) -> Result<usize, KeyError> {
        let did = doc
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| KeyError::BadDid("DID document without id".into()))?
            .to_string();
        let mut methods: HashMap<String, &Value> = HashMap::new();
        for vm in doc
            .get("verificationMethod")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = vm.get("id").and_then(Value::as_str) {
                methods.insert(absolute_id(&did, id), vm);
            }
        }
        let mut added = 0;
        for entry in doc
            .get("assertionMethod")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (id, vm) = match entry {
                Value::String(s) => {
                    let id = absolute_id(&did, s);
                    match methods.get(&id) {
                        Some(vm) => (id, *vm),
                        None => continue,
                    }
                }
                Value::Object(_) => match entry.get("id").and_then(Value::as_str) {
                    Some(id) => (absolute_id(&did, id), entry),
                    None => continue,
                },
                _ => continue,
            };
            let Some(mb) = vm.get("publicKeyMultibase").and_then(Value::as_str) else {
                continue;
            };
            let key = PublicKey::from_multibase(mb)?;
            let controller = vm
                .get("controller")
                .and_then(Value::as_str)
                .unwrap_or(&did)
                .to_string();
            self.insert(id, key, controller);
            added += 1;
        }
        Ok(added)
    }

    /// Number of known methods.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no method is known.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn absolute_id(did: &str, id: &str) -> String {
    if id.starts_with('#') {
        format!("{did}{id}")
    } else {
        id.to_string()
    }
}

impl KeyResolver for StaticResolver {
    fn resolve(&self, vm: &str) -> Result<ResolvedKey, ResolveError> {
        self.keys
            .get(vm)
            .cloned()
            .ok_or_else(|| ResolveError::NotFound(vm.chars().take(200).collect()))
    }
}

/// Tries resolvers in order; the first key wins. If none finds one, the most telling error
/// is returned: `Unavailable` beats `NotFound`, which beats `Unsupported`.
#[derive(Default)]
pub struct ChainResolver {
    resolvers: Vec<Box<dyn KeyResolver>>,
}

impl ChainResolver {
    /// An empty chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a resolver.
    pub fn with(mut self, resolver: impl KeyResolver + 'static) -> Self {
        self.resolvers.push(Box::new(resolver));
        self
    }
}

impl KeyResolver for ChainResolver {
    fn resolve(&self, vm: &str) -> Result<ResolvedKey, ResolveError> {
        let mut best: Option<ResolveError> = None;
        for r in &self.resolvers {
            match r.resolve(vm) {
                Ok(k) => return Ok(k),
                Err(e) => {
                    let rank = |e: &ResolveError| match e {
                        ResolveError::Unavailable(_) => 3,
                        ResolveError::NotFound(_) => 2,
                        _ => 1,
                    };
                    if best.as_ref().is_none_or(|b| rank(&e) > rank(b)) {
                        best = Some(e);
                    }
                }
            }
        }
        Err(best.unwrap_or_else(|| ResolveError::Unsupported(vm.chars().take(200).collect())))
    }
}

impl<T: KeyResolver + ?Sized> KeyResolver for &T {
    fn resolve(&self, vm: &str) -> Result<ResolvedKey, ResolveError> {
        (**self).resolve(vm)
    }
}

impl<T: KeyResolver + ?Sized> KeyResolver for Box<T> {
    fn resolve(&self, vm: &str) -> Result<ResolvedKey, ResolveError> {
        (**self).resolve(vm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{DidWebDocument, KeyStatus, SigningKey};

    #[test]
    fn did_key_resolution() {
        let pk = SigningKey::from_seed([3; 32]).public_key();
        let r = DidKeyResolver
            .resolve(&pk.did_key_verification_method())
            .unwrap();
        assert_eq!(r.public_key, pk);
        assert_eq!(r.controller, pk.did_key());
        assert!(matches!(
            DidKeyResolver.resolve("did:web:x.org#k"),
            Err(ResolveError::Unsupported(_))
        ));
        assert!(matches!(
            DidKeyResolver.resolve("did:key:zzz"),
            Err(ResolveError::NotFound(_))
        ));
    }

    #[test]
    fn did_web_document_feeds_static_resolver_with_retired_keys() {
        let old = SigningKey::from_seed([1; 32]).public_key();
        let new = SigningKey::from_seed([2; 32]).public_key();
        let mut d = DidWebDocument::new("did:web:example.org").unwrap();
        d.add_key("key-1", old, KeyStatus::Current);
        d.add_key("key-2", new, KeyStatus::Current);
        let mut r = StaticResolver::new();
        assert_eq!(r.add_did_document(&d.to_json()).unwrap(), 2);
        assert_eq!(
            r.resolve("did:web:example.org#key-1").unwrap().public_key,
            old
        );
        assert_eq!(
            r.resolve("did:web:example.org#key-2").unwrap().controller,
            "did:web:example.org"
        );
        assert!(r.resolve("did:web:example.org#key-3").is_err());
    }

    #[test]
    fn chain_prefers_first_hit_and_best_error() {
        let pk = SigningKey::from_seed([4; 32]).public_key();
        let mut s = StaticResolver::new();
        s.insert("https://x.org/issuer#k", pk, "https://x.org/issuer");
        let chain = ChainResolver::new().with(DidKeyResolver).with(s);
        assert_eq!(
            chain.resolve("https://x.org/issuer#k").unwrap().public_key,
            pk
        );
        assert_eq!(
            chain
                .resolve(&pk.did_key_verification_method())
                .unwrap()
                .public_key,
            pk
        );
        assert!(matches!(
            chain.resolve("https://y.org#k"),
            Err(ResolveError::NotFound(_))
        ));
    }
}
