//! Whom a verifier trusts: issuer ids, or any issuer that owns its key, and the names a
//! registry gives them.

use std::collections::{BTreeMap, BTreeSet};

/// Which issuers are trusted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustList {
    /// Trusted issuer ids (DIDs or URLs), compared exactly.
    pub issuers: BTreeSet<String>,
    /// Trust any issuer that owns its signing key (used by open "is it genuine?" endpoints).
    pub accept_any: bool,
    /// What a registry the deployment configured says about trusted issuers (by id): the
    /// report names them so.
    pub listed: BTreeMap<String, Listing>,
}

/// A trusted issuer's entry in a registry: its name there, and which registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The issuer's name in the registry.
    pub name: String,
    /// The registry (its name or file) that lists it.
    pub registry: String,
}

impl TrustList {
    /// Trusts exactly these issuers.
    pub fn of<I: IntoIterator<Item = S>, S: Into<String>>(issuers: I) -> Self {
        Self {
            issuers: issuers.into_iter().map(Into::into).collect(),
            accept_any: false,
            listed: BTreeMap::new(),
        }
    }

    /// Trusts `issuer` as `registry` lists it, under `name`.
    pub fn list(
        &mut self,
        issuer: impl Into<String>,
        name: impl Into<String>,
        registry: impl Into<String>,
    ) -> &mut Self {
        let issuer = issuer.into();
        self.issuers.insert(issuer.clone());
        self.listed.insert(
            issuer,
            Listing {
                name: name.into(),
                registry: registry.into(),
            },
        );
        self
    }
}
