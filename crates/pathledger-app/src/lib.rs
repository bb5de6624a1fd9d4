//! The product's rules, shared by the HTTP API, the pages and the command line: issuance and
//! awards, verification policy, status-list publishing, progress and plans, evidence review,
//! endorsements, bulk jobs and CLR bundles, composed from the store (persistence), badges
//! (documents, verification) and core (pathways). No HTTP type appears here: callers name who is
//! acting with an [`Actor`] and get an [`AppError`] back.

pub mod accounts;
mod actor;
mod awards;
pub mod bulk;
pub mod claims;
mod clr;
pub mod communities;
mod definitions;
pub mod demo;
pub mod documents;
pub mod endorsements;
pub mod endorsers;
mod error;
pub mod evidence;
pub mod fetch;
pub mod framework_edit;
mod heads;
pub mod holder;
pub mod images;
mod issuance;
mod keys;
pub mod mail;
pub mod me;
pub mod members;
pub mod names;
pub mod newcomers;
pub mod notify;
pub mod oid4vci;
pub mod oidc;
pub mod privacy;
pub mod progress;
pub mod proofs;
pub mod registry;
pub mod roster;
pub mod sharing;
mod status_lists;
mod templates;
pub mod tenancy;
pub mod tokens;
pub mod vcapi;
mod verification;
pub mod wallet_exchange;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use pathledger_core::Definitions;
use pathledger_signing::Cryptosuite;
use pathledger_store::{CredentialRecord, Kek, Recipient, Store, StoreConfig};
use serde_json::Value;
use time::OffsetDateTime;

pub use actor::Actor;
pub use claims::{ClaimProtocol, ClaimStatus, WalletClaim, CLAIM_TTL};
pub use definitions::BUNDLE_ID;
pub use error::AppError;
pub use heads::HEAD_SIGNING_INTERVAL;
pub use keys::KEY_FOLLOWING_INTERVAL;
pub use status_lists::LIST_VERSION_TTL;
pub use verification::{VerifyWork, REQUEST_WORK_BUDGET, VERIFY_CHUNK};

/// Configuration the program reads once and hands to the application.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// `sqlite:…`/a file path, or `postgres://…`.
    pub database_url: String,
    /// Key-encryption key for issuer keys at rest.
    pub kek: Kek,
    /// Public base URL of this deployment (links, status lists, did:web), without a trailing slash.
    pub public_url: String,
    /// Trusted issuers besides our own (ids, and the names a trust file or registry gives
    /// them: [`registry`]).
    pub trusted_issuers: Vec<registry::TrustedIssuer>,
    /// The issuer (id) whose keys the deployment's own host DID (`did:web:<public host>`, served
    /// at `/.well-known/did.json`) carries. `None`: the host has no DID, and that URL is 404;
    /// the host never speaks for whichever organization's issuer happens to come first.
    pub host_issuer: Option<String>,
    /// How this deployment sends mail (invitations, sign-in links) and from whom.
    pub mail: mail::MailConfig,
    /// Whether and how verification fetches other issuers' documents ([`fetch`]).
    pub fetch: fetch::FetchConfig,
}

/// Cheap to clone; shared by every request.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    public_url: String,
    trusted: Vec<registry::TrustedIssuer>,
    /// Other issuers' documents, when fetching is enabled.
    fetcher: Option<Arc<fetch::SafeFetcher>>,
    host_issuer: Option<String>,
    mail: mail::MailConfig,
    /// Definitions per organization, loaded from the store.
    defs: RwLock<HashMap<String, Arc<Definitions>>>,
    /// Our issuers' keys (all, retired included), rebuilt when keys change.
    keys: RwLock<Arc<KeyRing>>,
    /// Signed status list credentials by (list id, version).
    lists: RwLock<HashMap<String, status_lists::ListEntry>>,
    /// Slots for CPU-heavy verification and the work it has spent.
    verifying: verification::Verifying,
    /// The witnesses whose cosignatures of our checkpoints are kept ([`App::set_witnesses`]).
    witnesses: RwLock<Arc<Vec<pathledger_log::NoteVerifier>>>,
    /// Notices sent in the background (award, evidence, review): their slots and those pending.
    notices: notify::Background,
}

/// Our own issuers' public keys and DID documents, for offline verification.
#[derive(Default)]
pub struct KeyRing {
    /// Issuer id → did:web document.
    pub did_documents: BTreeMap<String, Value>,
    /// Issuer id → its DID.
    pub issuer_dids: BTreeMap<String, String>,
    /// The host's own did:web document (`AppConfig::host_issuer`'s keys), if one is configured.
    pub host_document: Option<Value>,
    /// The resolver over these keys plus did:key, built once per ring ([`App::resolver`]).
    resolver: std::sync::OnceLock<Arc<pathledger_signing::ChainResolver>>,
    /// The store's [`key_ring_version`](pathledger_store::Store::key_ring_version) it was built at.
    version: u64,
}

/// A credential as returned to callers.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The store record.
    pub record: CredentialRecord,
    /// The signed credential (parsed from the exact stored bytes).
    pub credential: Value,
    /// True when this answered a retry with the first result.
    pub replayed: bool,
    /// Whether the person whose educator record this issuance created was invited.
    pub invite: newcomers::NewcomerInvite,
}

/// One row of a bulk issuance: the record (whose `document` is the exact signed bytes), without
/// the parsed copy [`Issued`] carries (a cohort's worth of parsing nobody reads).
#[derive(Debug, Clone)]
pub struct BulkIssued {
    /// The store record.
    pub record: CredentialRecord,
    /// True when this answered a retry with the first result.
    pub replayed: bool,
    /// Whether the person whose educator record this row created was invited (reported on the
    /// first row that created it).
    pub invite: newcomers::NewcomerInvite,
}

/// Options of one issuance.
#[derive(Debug, Clone)]
pub struct IssueOptions {
    /// Which proof suite.
    pub suite: Cryptosuite,
    /// Expiry.
    pub valid_until: Option<OffsetDateTime>,
    /// Retry key.
    pub idempotency_key: Option<String>,
    /// Evidence narrative, if any.
    pub evidence: Option<String>,
    /// Also give it a suspension entry (then `credentialStatus` carries two entries).
    pub suspendable: bool,
    /// The credential this one renews.
    pub renews: Option<String>,
    /// Bind the credential to this DID (`credentialSubject.id`), whatever the educator's
    /// choices say: a wallet's copy of a credential, issued when a claim is spent.
    pub holder_did: Option<String>,
    /// Mail the people this issuance concerns (default true): invite the person whose educator
    /// record it creates, and tell the educator what they earned ([`notify`]). `false` mails
    /// nobody: machine runs (the benchmark, which measures issuance alone; the demo seed), and
    /// callers that tell the person themselves once their own step is recorded (evidence
    /// acceptance).
    pub mail_people: bool,
}

impl Default for IssueOptions {
    fn default() -> Self {
        Self {
            suite: Cryptosuite::EddsaJcs2022,
            valid_until: None,
            idempotency_key: None,
            evidence: None,
            suspendable: false,
            renews: None,
            holder_did: None,
            mail_people: true,
        }
    }
}

impl IssueOptions {
    /// Whether this issuance is a wallet's copy of a credential the person already holds (bound
    /// to the wallet's DID when a claim is spent). The person was told about the original, so
    /// the copy sends no award notice.
    pub fn is_wallet_copy(&self) -> bool {
        self.holder_did.is_some()
    }
}

/// Percent-encode the host part of a did:web (the port colon becomes `%3A`).
fn did_web_host(public_url: &str) -> String {
    let host = public_url
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or("localhost");
    host.replace(':', "%3A")
}

fn ms_to_datetime(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl App {
    /// Opens the store (creating and migrating it if needed) and loads definitions and keys.
    pub async fn open(config: AppConfig) -> Result<App, AppError> {
        let public_url = config.public_url.trim_end_matches('/').to_owned();
        let mut sc = StoreConfig::new(config.database_url.clone(), config.kek.clone());
        sc.status_base_url = format!("{public_url}/status");
        let store = Store::open(sc).await?;
        let fetcher = if config.fetch.enabled {
            let f = fetch::SafeFetcher::new(&config.fetch)
                .map_err(|e| AppError::internal(e.to_string()))?;
            Some(Arc::new(f))
        } else {
            None
        };
        let app = App {
            inner: Arc::new(Inner {
                store,
                public_url,
                trusted: config.trusted_issuers,
                fetcher,
                host_issuer: config.host_issuer,
                mail: config.mail,
                defs: RwLock::new(HashMap::new()),
                keys: RwLock::new(Arc::new(KeyRing::default())),
                lists: RwLock::new(HashMap::new()),
                verifying: verification::Verifying::default(),
                witnesses: RwLock::default(),
                notices: notify::Background::default(),
            }),
        };
        app.reload_keys().await?;
        Ok(app)
    }

    /// The store (for operations that need no composition).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// How this deployment sends mail.
    pub fn mail(&self) -> &mail::MailConfig {
        &self.inner.mail
    }

    /// Sends `mail` through the deployment's mailer (SMTP, or the outbox by default).
    pub async fn send_mail(&self, mail: &mail::Mail) -> Result<mail::Delivered, AppError> {
        let c = &self.inner.mail;
        c.mailer.send(&c.from, mail).await
    }

    /// Public base URL.
    pub fn public_url(&self) -> &str {
        &self.inner.public_url
    }

    /// The public page of an organization's achievement (definition ids are per organization).
    pub fn achievement_url(&self, org_id: &str, achievement_id: &str) -> String {
        format!(
            "{}/orgs/{org_id}/achievements/{achievement_id}",
            self.inner.public_url
        )
    }

    /// The public page of a competency of an organization's framework.
    pub fn competency_url(&self, org_id: &str, competency_id: &str) -> String {
        format!(
            "{}/orgs/{org_id}/competencies/{competency_id}",
            self.inner.public_url
        )
    }

    /// The did:web of one of our issuers.
    pub fn issuer_did(&self, issuer_id: &str) -> String {
        format!(
            "did:web:{}:issuers:{}",
            did_web_host(&self.inner.public_url),
            issuer_id
        )
    }

    /// The verification method id of an issuer key.
    pub fn key_vm(&self, issuer_id: &str, key_id: &str) -> String {
        format!("{}#{}", self.issuer_did(issuer_id), key_id)
    }
}

/// Parses a recipient given as an email or `educator:<id>`; errors are reported at `/recipient`.
pub fn parse_recipient(s: &str) -> Result<Recipient, AppError> {
    let s = s.trim();
    if let Some(id) = s.strip_prefix("educator:") {
        return Ok(Recipient::Educator(id.to_owned()));
    }
    if s.contains('@') && !s.contains(char::is_whitespace) && s.len() <= 320 {
        return Ok(Recipient::Email(s.to_owned()));
    }
    Err(AppError::invalid(
        "/recipient",
        "must be an email address or educator:<id>",
    ))
}

/// Parses a cryptosuite name (`default` when none is given); errors are reported at `cryptosuite`.
pub fn parse_suite(s: Option<&str>, default: Cryptosuite) -> Result<Cryptosuite, AppError> {
    match s {
        None => Ok(default),
        Some(s) => s.parse().map_err(|_| {
            AppError::invalid(
                "cryptosuite",
                format!("unknown cryptosuite {s:?}; use eddsa-jcs-2022 or eddsa-rdfc-2022"),
            )
        }),
    }
}

/// The organization's issuer (the first, when it has several).
pub async fn first_issuer(app: &App, org_id: &str) -> Result<pathledger_store::Issuer, AppError> {
    app.store()
        .issuers(org_id)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::conflict("This organization has no issuer yet."))
}
