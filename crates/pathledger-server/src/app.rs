//! The application layer: every operation the HTTP API, the pages and the CLI share, composed
//! from the store (persistence), badges (documents, verification) and core (pathways).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use pathledger_badges as badges;
use pathledger_core::{Definitions, EducatorState, Endorsement, Holding};
use pathledger_signing::{
    jcs, sign_document, sign_document_to_string, ChainResolver, Cryptosuite, DidKeyResolver,
    DidWebDocument, JcsProofTemplate, KeyStatus, ProofOptions, PublicKey, SigningKey,
    StaticResolver,
};
use pathledger_store::{
    CredentialRecord, DefinitionKind, IssueContext, IssueOutcome, IssueRequest, Kek, Recipient,
    StatusChange, StatusChangeOutcome, StatusPurpose, Store, StoreConfig, StoreError,
};
use serde_json::{json, Value};
use time::OffsetDateTime;

/// The definitions bundle is stored as one versioned document under this id.
pub const BUNDLE_ID: &str = "definitions";

/// Configuration the program reads once and hands to the application.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// `sqlite:…`/a file path, or `postgres://…`.
    pub database_url: String,
    /// Key-encryption key for issuer keys at rest.
    pub kek: Kek,
    /// Public base URL of this deployment (links, status lists, did:web), without a trailing slash.
    pub public_url: String,
    /// Extra trusted issuer ids (DIDs or URLs) besides our own issuers.
    pub trusted_issuers: Vec<String>,
}

/// Why an application operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// From the store (not found, conflict, invalid input, unavailable …).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A field of the request is invalid.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// JSON pointer or parameter name.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Something the request names does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// Definitions failed validation (each error carries its path).
    #[error("invalid definitions: {0}")]
    Definitions(String),
    /// Building or signing a document failed.
    #[error("could not build the credential: {0}")]
    Build(String),
}

impl AppError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Cheap to clone; shared by every request.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    public_url: String,
    trusted: Vec<String>,
    /// Definitions per organization, loaded from the store.
    defs: RwLock<HashMap<String, Arc<Definitions>>>,
    /// Our issuers' keys (all, retired included), rebuilt when keys change.
    keys: RwLock<Arc<KeyRing>>,
    /// Signed status list credentials by (list id, version).
    lists: RwLock<HashMap<String, (i64, Arc<Value>)>>,
}

/// Our own issuers' public keys and DID documents, for offline verification.
#[derive(Default)]
pub struct KeyRing {
    /// Issuer id → did:web document.
    pub did_documents: BTreeMap<String, Value>,
    /// Issuer id → its DID.
    pub issuer_dids: BTreeMap<String, String>,
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
}

/// One row of a bulk issuance: the record (whose `document` is the exact signed bytes), without
/// the parsed copy [`Issued`] carries (a cohort's worth of parsing nobody reads).
#[derive(Debug, Clone)]
pub struct BulkIssued {
    /// The store record.
    pub record: CredentialRecord,
    /// True when this answered a retry with the first result.
    pub replayed: bool,
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
        }
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
        let app = App {
            inner: Arc::new(Inner {
                store,
                public_url,
                trusted: config.trusted_issuers,
                defs: RwLock::new(HashMap::new()),
                keys: RwLock::new(Arc::new(KeyRing::default())),
                lists: RwLock::new(HashMap::new()),
            }),
        };
        app.reload_keys().await?;
        Ok(app)
    }

    /// The store (for operations that need no composition).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Public base URL.
    pub fn public_url(&self) -> &str {
        &self.inner.public_url
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

    /// Rebuilds the key ring from the store (after a key is generated or rotated).
    pub async fn reload_keys(&self) -> Result<(), AppError> {
        let mut ring = KeyRing::default();
        for org in self.inner.store.organizations().await? {
            for issuer in self.inner.store.issuers(&org.id).await? {
                let did = self.issuer_did(&issuer.id);
                let mut doc =
                    DidWebDocument::new(did.clone()).map_err(|e| AppError::Build(e.to_string()))?;
                for k in self.inner.store.issuer_keys(&issuer.id).await? {
                    let pk = PublicKey::from_bytes(k.public_key)
                        .map_err(|e| AppError::Build(e.to_string()))?;
                    let status = if k.active {
                        KeyStatus::Current
                    } else {
                        KeyStatus::Retired
                    };
                    doc.add_key(k.id.clone(), pk, status);
                }
                ring.did_documents.insert(issuer.id.clone(), doc.to_json());
                ring.issuer_dids.insert(issuer.id.clone(), did);
            }
        }
        if let Ok(mut w) = self.inner.keys.write() {
            *w = Arc::new(ring);
        }
        Ok(())
    }

    /// Rotates an issuer's signing key: the new key signs from now on, the retired one stays in
    /// the DID document (what it signed still verifies), and the key ring is rebuilt at once.
    pub async fn rotate_issuer_key(
        &self,
        issuer_id: &str,
    ) -> Result<pathledger_store::IssuerKeyInfo, AppError> {
        let k = self.inner.store.rotate_issuer_key(issuer_id).await?;
        self.reload_keys().await?;
        tracing::info!(issuer = %issuer_id, key = %k.id, "issuer key rotated");
        Ok(k)
    }

    /// Our key ring.
    pub fn key_ring(&self) -> Arc<KeyRing> {
        self.inner
            .keys
            .read()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// A resolver for our issuers' did:web keys plus offline did:key.
    pub fn resolver(&self) -> ChainResolver {
        let ring = self.key_ring();
        let mut ours = StaticResolver::new();
        for doc in ring.did_documents.values() {
            // Our own documents are well-formed; a failure would only mean fewer known keys.
            let _ = ours.add_did_document(doc);
        }
        ChainResolver::new().with(ours).with(DidKeyResolver)
    }

    // ----- definitions ---------------------------------------------------------------------

    /// Validates and stores a definitions bundle for an organization (a new version), and
    /// each achievement as its own versioned definition (credentials record that version).
    pub async fn put_definitions(
        &self,
        org_id: &str,
        bundle: &Value,
    ) -> Result<Arc<Definitions>, AppError> {
        let defs = Definitions::from_value(bundle).map_err(definition_errors)?;
        let store = &self.inner.store;
        for a in defs.achievements() {
            let doc = serde_json::to_value(a).map_err(|e| AppError::Build(e.to_string()))?;
            let unchanged = match store
                .definition(DefinitionKind::Achievement, a.id.as_str(), None)
                .await
            {
                Ok(d) => d.document == doc,
                Err(StoreError::NotFound { .. }) => false,
                Err(e) => return Err(e.into()),
            };
            if !unchanged {
                store
                    .put_definition(org_id, DefinitionKind::Achievement, a.id.as_str(), &doc)
                    .await?;
            }
        }
        store
            .put_definition(
                org_id,
                DefinitionKind::Pathway,
                &bundle_id(org_id),
                &defs.to_value(),
            )
            .await?;
        let defs = Arc::new(defs);
        if let Ok(mut w) = self.inner.defs.write() {
            w.insert(org_id.to_owned(), defs.clone());
        }
        Ok(defs)
    }

    /// The organization's current definitions.
    pub async fn definitions(&self, org_id: &str) -> Result<Arc<Definitions>, AppError> {
        if let Some(d) = self
            .inner
            .defs
            .read()
            .ok()
            .and_then(|m| m.get(org_id).cloned())
        {
            return Ok(d);
        }
        let d = self
            .inner
            .store
            .definition(DefinitionKind::Pathway, &bundle_id(org_id), None)
            .await
            .map_err(|e| match e {
                StoreError::NotFound { .. } => {
                    AppError::NotFound(format!("definitions of organization {org_id}"))
                }
                other => other.into(),
            })?;
        let defs = Arc::new(Definitions::from_value(&d.document).map_err(definition_errors)?);
        if let Ok(mut w) = self.inner.defs.write() {
            w.insert(org_id.to_owned(), defs.clone());
        }
        Ok(defs)
    }

    // ----- issuance ------------------------------------------------------------------------

    fn issuer_profile(&self, issuer: &pathledger_store::Issuer) -> badges::IssuerProfile {
        badges::IssuerProfile {
            id: self.issuer_did(&issuer.id),
            name: issuer.name.clone(),
            url: Some(
                issuer
                    .url
                    .clone()
                    .unwrap_or_else(|| format!("{}/issuers/{}", self.inner.public_url, issuer.id)),
            ),
            email: None,
            description: None,
            image: None,
        }
    }

    /// Builds and signs the credential for one issuance context (called inside the store's transaction).
    fn build_credential(
        &self,
        defs: &Definitions,
        profile: &badges::IssuerProfile,
        ctx: &IssueContext<'_>,
        opts: &IssueOptions,
    ) -> Result<String, AppError> {
        let doc = self.unsigned_credential(defs, profile, ctx, opts)?;
        self.sign_credential(&doc, ctx, opts)
    }

    /// [`App::build_credential`] for the rows of one bulk call: the first row of each
    /// [`TemplateKey`] builds the unsigned document, the others take its place with their own
    /// id, recipient and status entries ([`personalize`]), the only parts that differ. Under
    /// eddsa-jcs-2022 they do not even copy it: they fill those parts into the template's
    /// canonical text and sign that ([`CanonicalTemplate`]).
    fn build_credential_from(
        &self,
        templates: &Templates,
        defs: &Definitions,
        profile: &badges::IssuerProfile,
        ctx: &IssueContext<'_>,
        opts: &IssueOptions,
    ) -> Result<String, AppError> {
        let key = TemplateKey::of(ctx);
        let cached = templates
            .docs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            .cloned();
        match cached {
            Some(t) => {
                templates
                    .hits
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if let Some(signed) = t.canonical.as_ref().and_then(|c| c.sign(ctx, opts)) {
                    templates
                        .canonical
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return signed;
                }
                let mut doc = t.doc.clone();
                personalize(&mut doc, ctx, opts)?;
                self.sign_credential(&doc, ctx, opts)
            }
            None => {
                let doc = self.unsigned_credential(defs, profile, ctx, opts)?;
                let signed = self.sign_credential(&doc, ctx, opts)?;
                let canonical = self.canonical_template(&doc, ctx, opts, &signed);
                templates
                    .docs
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(key, Arc::new(Template { doc, canonical }));
                Ok(signed)
            }
        }
    }

    /// The canonical template of `doc` (this row's unsigned credential, which signed is
    /// `signed`), or `None` when the suite is not eddsa-jcs-2022 or the template does not give
    /// back exactly `signed` for this row.
    fn canonical_template(
        &self,
        doc: &Value,
        ctx: &IssueContext<'_>,
        opts: &IssueOptions,
        signed: &str,
    ) -> Option<CanonicalTemplate> {
        if opts.suite != Cryptosuite::EddsaJcs2022 {
            return None;
        }
        let subject = doc.get("credentialSubject")?.as_object()?;
        let (subject_member, subject_hole) = match (
            subject.contains_key("id"),
            subject.contains_key("identifier"),
        ) {
            (true, false) => ("id", "/credentialSubject/id"),
            (false, true) => ("identifier", "/credentialSubject/identifier"),
            _ => return None,
        };
        let holes = ["/id", "/credentialStatus", subject_hole];
        let text = jcs::Template::new(doc, &holes).ok()??;
        let proof =
            JcsProofTemplate::new(doc.get("@context"), &self.proof_options(ctx, opts)).ok()?;
        let t = CanonicalTemplate {
            text,
            proof,
            key_id: ctx.key.key_id().to_owned(),
            subject_member,
        };
        match t.sign(ctx, opts) {
            Some(Ok(s)) if s == signed => Some(t),
            _ => {
                tracing::warn!(
                    achievement = %ctx.request.achievement_id,
                    "a bulk credential template does not reproduce its own row; the call signs whole documents"
                );
                None
            }
        }
    }

    /// The credential [`App::build_credential`] signs.
    fn unsigned_credential(
        &self,
        defs: &Definitions,
        profile: &badges::IssuerProfile,
        ctx: &IssueContext<'_>,
        opts: &IssueOptions,
    ) -> Result<Value, AppError> {
        let ach_id = ctx.request.achievement_id.as_str();
        let ach = defs.achievement(ach_id).ok_or_else(|| {
            AppError::invalid("achievement", format!("unknown achievement {ach_id:?}"))
        })?;
        let fw = defs.framework();
        let alignments = ach
            .alignments
            .iter()
            .filter_map(|c| defs.competency(c.as_str()))
            .map(|c| badges::Alignment {
                target_name: c.name.clone(),
                target_url: format!("{}/competencies/{}", self.inner.public_url, c.id.as_str()),
                target_type: Some("CFItem".into()),
                target_code: c.code.clone(),
                target_framework: Some(fw.name.clone()),
                target_description: (!c.description.is_empty()).then(|| c.description.clone()),
            })
            .collect();
        let recipient = recipient_of(ctx);
        let status = if opts.suspendable {
            None
        } else {
            Some(badges::StatusEntry::new(
                &ctx.revocation.list_url,
                badges::StatusPurpose::Revocation,
                ctx.revocation.index,
            ))
        };
        let input = badges::OpenBadgeInput {
            id: ctx.credential_id.clone(),
            issuer: profile.clone(),
            valid_from: ms_to_datetime(ctx.issued_ms),
            valid_until: ctx.request.valid_until_ms.map(ms_to_datetime),
            name: ach.name.clone(),
            description: (!ach.description.is_empty()).then(|| ach.description.clone()),
            recipient,
            achievement: badges::AchievementInput {
                id: format!("{}/achievements/{}", self.inner.public_url, ach_id),
                name: ach.name.clone(),
                description: if ach.description.is_empty() {
                    ach.name.clone()
                } else {
                    ach.description.clone()
                },
                criteria: badges::Criteria {
                    id: None,
                    narrative: Some(if ach.criteria.is_empty() {
                        ach.name.clone()
                    } else {
                        ach.criteria.clone()
                    }),
                },
                achievement_type: Some(achievement_type_name(&ach.achievement_type)),
                alignments,
                image: None,
                human_code: Some(ach_id.to_owned()),
                tags: Vec::new(),
                version: Some(ctx.achievement_version.to_string()),
            },
            evidence: opts
                .evidence
                .iter()
                .map(|n| badges::EvidenceInput {
                    narrative: Some(n.clone()),
                    name: Some("Evidence".into()),
                    ..Default::default()
                })
                .collect(),
            status,
            include_schema: true,
            awarded_date: None,
            image: None,
        };
        let mut doc =
            badges::open_badge_credential(&input).map_err(|e| AppError::Build(e.to_string()))?;
        if let badges::Recipient::Hashed { .. } = &input.recipient {
            put_identity_hash(&mut doc, ctx);
        }
        if opts.suspendable {
            doc["credentialStatus"] = suspendable_status(ctx);
        }
        Ok(doc)
    }

    /// Signs a document built for `ctx` with the issuer's key.
    fn sign_credential(
        &self,
        doc: &Value,
        ctx: &IssueContext<'_>,
        opts: &IssueOptions,
    ) -> Result<String, AppError> {
        sign_document_to_string(doc, ctx.key.suite_key(), &self.proof_options(ctx, opts))
            .map_err(|e| AppError::Build(e.to_string()))
    }

    /// The proof options of the credential of `ctx`: its issuer's key, created when issued.
    fn proof_options(&self, ctx: &IssueContext<'_>, opts: &IssueOptions) -> ProofOptions {
        let issuer_id = ctx.request.issuer_id.as_str();
        let mut popts =
            ProofOptions::assertion(opts.suite, self.key_vm(issuer_id, ctx.key.key_id()));
        popts.created = Some(badges::dates::format(ms_to_datetime(ctx.issued_ms)));
        popts
    }

    /// Issues one credential of `achievement_id` to `recipient`.
    pub async fn issue(
        &self,
        issuer_id: &str,
        achievement_id: &str,
        recipient: Recipient,
        opts: IssueOptions,
    ) -> Result<Issued, AppError> {
        self.issue_inner(issuer_id, achievement_id, recipient, opts, None)
            .await
    }

    /// Issues every credential the educator has earned but does not hold yet (a completed stack's
    /// certificate, a reached role's award), each at most once, until nothing new is earned (a
    /// certificate may complete a role). Returns the credentials issued by this call.
    pub async fn award_earned(&self, educator_id: &str) -> Result<Vec<Issued>, AppError> {
        let educator = self.inner.store.educator(educator_id).await?;
        let Some(issuer) = self
            .inner
            .store
            .issuers(&educator.org_id)
            .await?
            .into_iter()
            .next()
        else {
            return Ok(Vec::new());
        };
        let defs = self.definitions(&educator.org_id).await?;
        let mut issued = Vec::new();
        // Each round issues at least one new credential or stops; the definitions are finite.
        let ids = [educator_id.to_owned()];
        for _ in 0..=defs.achievements().len() {
            let state = self
                .award_states(&ids)
                .await?
                .remove(educator_id)
                .unwrap_or_default();
            let mut new = 0;
            for ach in &defs.to_issue(&state) {
                let role = defs
                    .roles()
                    .iter()
                    .find(|r| r.awards.as_ref() == Some(ach))
                    .map(|r| r.id.as_str().to_owned());
                let opts = IssueOptions {
                    idempotency_key: Some(format!("award:{educator_id}:{}", ach.as_str())),
                    ..IssueOptions::default()
                };
                let out = self
                    .issue_inner(
                        &issuer.id,
                        ach.as_str(),
                        Recipient::Educator(educator_id.to_owned()),
                        opts,
                        role,
                    )
                    .await?;
                if !out.replayed {
                    new += 1;
                    tracing::info!(educator = %educator_id, achievement = %ach.as_str(), credential = %out.record.id, "awarded an earned credential");
                    issued.push(out);
                }
            }
            if new == 0 {
                break;
            }
        }
        Ok(issued)
    }

    async fn issue_inner(
        &self,
        issuer_id: &str,
        achievement_id: &str,
        recipient: Recipient,
        opts: IssueOptions,
        award_role: Option<String>,
    ) -> Result<Issued, AppError> {
        let store = &self.inner.store;
        let issuer = store.issuer(issuer_id).await?;
        let defs = self.definitions(&issuer.org_id).await?;
        if defs.achievement(achievement_id).is_none() {
            return Err(AppError::invalid(
                "achievement",
                format!("unknown achievement {achievement_id:?}"),
            ));
        }
        let profile = self.issuer_profile(&issuer);
        let mut req = IssueRequest::new(issuer_id, achievement_id, recipient);
        req.valid_until_ms = opts
            .valid_until
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
        req.idempotency_key = opts.idempotency_key.clone();
        req.suspendable = opts.suspendable;
        req.previous_credential_id = opts.renews.clone();
        req.award_role_id = award_role;
        req.extra = json!({"suite": opts.suite.as_str(), "evidence": opts.evidence});
        let this = self.clone();
        let out = store
            .issue(req, move |ctx| {
                this.build_credential(&defs, &profile, &ctx, &opts)
            })
            .await
            .map_err(unwrap_build)?;
        self.to_issued(out)
    }

    /// Issues many credentials (one issuer), in batched transactions; one result per row.
    pub async fn bulk_issue(
        &self,
        issuer_id: &str,
        rows: Vec<(String, Recipient, IssueOptions)>,
    ) -> Result<Vec<Result<BulkIssued, AppError>>, AppError> {
        let store = &self.inner.store;
        let issuer = store.issuer(issuer_id).await?;
        let defs = self.definitions(&issuer.org_id).await?;
        let profile = self.issuer_profile(&issuer);
        let mut pre: Vec<Option<AppError>> = Vec::with_capacity(rows.len());
        let mut reqs = Vec::new();
        let mut opts_by_row = Vec::new();
        for (ach, rcpt, opts) in rows {
            if defs.achievement(&ach).is_none() {
                pre.push(Some(AppError::invalid(
                    "achievement",
                    format!("unknown achievement {ach:?}"),
                )));
                continue;
            }
            let mut req = IssueRequest::new(issuer_id, &ach, rcpt);
            req.valid_until_ms = opts
                .valid_until
                .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
            req.idempotency_key = opts.idempotency_key.clone();
            req.suspendable = opts.suspendable;
            req.extra = json!({"suite": opts.suite.as_str(), "evidence": opts.evidence});
            pre.push(None);
            reqs.push(req);
            opts_by_row.push(opts);
        }
        // The builder finds its row's options by the request's idempotency key or position-free
        // data: every row of a bulk call shares suite and flags, so take the first.
        let shared = opts_by_row.first().cloned().unwrap_or_default();
        let this = self.clone();
        let started = std::time::Instant::now();
        let build_defs = defs.clone();
        let templates = Templates::default();
        let results = store
            .bulk_issue(reqs, move |ctx| {
                this.build_credential_from(&templates, &build_defs, &profile, &ctx, &shared)
            })
            .await;
        let stored = started.elapsed();
        // A cohort finishing a module may complete stacks and reach roles: award those now,
        // once each (the award path replays what was already awarded).
        let now_ms = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
        let (fresh, mut cohort) = cohort_states(&results, now_ms);
        cohort.sort();
        cohort.dedup();
        let mut awarded = self.award_quietly_among(&issuer.org_id, fresh).await;
        if !cohort.is_empty() {
            awarded.extend(self.award_quietly_many(&issuer.org_id, &cohort).await);
        }
        if !awarded.is_empty() {
            tracing::info!(issuer = %issuer_id, awarded = awarded.len(), "bulk issuance completed stacks or roles; earned credentials issued");
        }
        let award_time = started.elapsed() - stored;
        tracing::debug!(rows = pre.len(), ?stored, awards = ?award_time, "bulk issuance");
        let mut results = results.into_iter();
        let mut out = Vec::with_capacity(pre.len());
        for p in pre {
            match p {
                Some(e) => out.push(Err(e)),
                None => match results.next() {
                    Some(Ok(o)) => out.push(Ok(BulkIssued {
                        record: o.credential,
                        replayed: o.replayed,
                    })),
                    Some(Err(e)) => out.push(Err(unwrap_build(e))),
                    None => out.push(Err(AppError::Build("missing result".into()))),
                },
            }
        }
        Ok(out)
    }

    fn to_issued(&self, out: IssueOutcome) -> Result<Issued, AppError> {
        let credential: Value = serde_json::from_str(&out.credential.document)
            .map_err(|e| AppError::Build(format!("stored credential is not JSON: {e}")))?;
        Ok(Issued {
            record: out.credential,
            credential,
            replayed: out.replayed,
        })
    }

    /// Revokes, suspends or reinstates.
    pub async fn change_status(
        &self,
        credential_id: &str,
        change: StatusChange,
        reason: Option<&str>,
        actor: Option<&str>,
    ) -> Result<StatusChangeOutcome, AppError> {
        Ok(self
            .inner
            .store
            .change_status(credential_id, change, reason, actor)
            .await?)
    }

    // ----- status lists --------------------------------------------------------------------

    /// The signed status list credential for `list_id` (cached per list version).
    pub async fn status_list_credential(&self, list_id: &str) -> Result<Arc<Value>, AppError> {
        let version = self.inner.store.status_list_version(list_id).await?;
        if let Some((v, doc)) = self
            .inner
            .lists
            .read()
            .ok()
            .and_then(|m| m.get(list_id).cloned())
        {
            if v == version {
                return Ok(doc);
            }
        }
        let bits = self.inner.store.status_list_bits(list_id).await?;
        let mut list =
            badges::StatusList::new(bits.capacity).map_err(|e| AppError::Build(e.to_string()))?;
        for (byte_i, b) in bits.bits.iter().enumerate() {
            if *b == 0 {
                continue;
            }
            for bit in 0..8u64 {
                if b & (0x80 >> bit) != 0 {
                    list.set(byte_i as u64 * 8 + bit, true)
                        .map_err(|e| AppError::Build(e.to_string()))?;
                }
            }
        }
        let issuer_did = self.issuer_did(&bits.issuer_id);
        let purpose = match bits.purpose {
            StatusPurpose::Revocation => badges::StatusPurpose::Revocation,
            StatusPurpose::Suspension => badges::StatusPurpose::Suspension,
        };
        let unsigned = badges::status_list_credential(&badges::StatusListCredentialInput {
            id: &bits.list_url,
            issuer: &issuer_did,
            purpose,
            valid_from: OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            valid_until: None,
            ttl_ms: Some(300_000),
            list: &list,
        });
        let signed = Arc::new(self.sign_as_issuer(&bits.issuer_id, &unsigned).await?);
        if let Ok(mut w) = self.inner.lists.write() {
            w.insert(list_id.to_owned(), (bits.version, signed.clone()));
        }
        Ok(signed)
    }

    // ----- verification --------------------------------------------------------------------

    /// Our issuers plus the configured trust list.
    pub fn trust_list(&self) -> badges::TrustList {
        let ring = self.key_ring();
        badges::TrustList::of(
            ring.issuer_dids
                .values()
                .cloned()
                .chain(self.inner.trusted.iter().cloned()),
        )
    }

    /// Gathers what verifying `docs` needs from our own deployment (status lists), so the
    /// verification itself runs without I/O. URLs outside this deployment are never fetched.
    async fn local_fetcher(&self, docs: &[&Value]) -> badges::StaticFetcher {
        let mut fetcher = badges::StaticFetcher::new();
        let prefix = format!("{}/status/", self.inner.public_url);
        let mut seen = std::collections::BTreeSet::new();
        let mut stack: Vec<&Value> = docs.to_vec();
        while let Some(doc) = stack.pop() {
            let entries: Vec<&Value> = match doc.get("credentialStatus") {
                Some(Value::Array(a)) => a.iter().collect(),
                Some(v @ Value::Object(_)) => vec![v],
                _ => Vec::new(),
            };
            for e in entries {
                if let Some(url) = e.get("statusListCredential").and_then(Value::as_str) {
                    if let Some(list_id) = url.strip_prefix(&prefix) {
                        if seen.insert(url.to_owned()) {
                            if let Ok(list) = self.status_list_credential(list_id).await {
                                fetcher.insert(url, (*list).clone());
                            }
                        }
                    }
                }
            }
            // CLR: inner credentials.
            if let Some(Value::Array(inner)) =
                doc.pointer("/credentialSubject/verifiableCredential")
            {
                stack.extend(inner.iter());
            }
        }
        let ring = self.key_ring();
        for (issuer_id, doc) in &ring.did_documents {
            let did = &ring.issuer_dids[issuer_id];
            if let Ok(url) = pathledger_signing::did_web_url(did) {
                fetcher.insert(url, doc.clone());
            }
        }
        fetcher
    }

    /// Verifies one credential (ours or anyone's).
    pub async fn verify(&self, doc: &Value) -> badges::VerificationReport {
        self.verify_many(std::slice::from_ref(doc))
            .await
            .pop()
            .unwrap_or_else(|| {
                badges::Verifier {
                    resolver: &DidKeyResolver,
                    fetcher: &badges::NoFetcher,
                    trust: badges::TrustList::default(),
                    now: None,
                    check_schema: true,
                }
                .verify(doc)
            })
    }

    /// Verifies many credentials on all cores.
    pub async fn verify_many(&self, docs: &[Value]) -> Vec<badges::VerificationReport> {
        let refs: Vec<&Value> = docs.iter().collect();
        let fetcher = self.local_fetcher(&refs).await;
        let resolver = self.resolver();
        let trust = self.trust_list();
        let docs = docs.to_vec();
        let job = move || {
            let verifier = badges::Verifier {
                resolver: &resolver,
                fetcher: &fetcher,
                trust,
                now: None,
                check_schema: true,
            };
            verifier.verify_many(&docs)
        };
        match tokio::task::spawn_blocking(job).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "verification task failed");
                Vec::new()
            }
        }
    }

    // ----- educators and pathways ----------------------------------------------------------

    /// The educator's engine state: credentials that still verify, plus recorded facts.
    pub async fn educator_state(
        &self,
        educator_id: &str,
    ) -> Result<
        (
            EducatorState,
            Vec<(CredentialRecord, badges::VerificationReport)>,
        ),
        AppError,
    > {
        let store = &self.inner.store;
        let educator = store.educator(educator_id).await?;
        let creds = store.credentials_for_educator(educator_id).await?;
        let docs: Vec<Value> = creds
            .iter()
            .map(|c| serde_json::from_str(&c.document).unwrap_or(Value::Null))
            .collect();
        let reports = self.verify_many(&docs).await;
        let mut state = EducatorState {
            id: Some(educator.id.clone()),
            name: Some(educator.display_name.clone()),
            ..Default::default()
        };
        let mut held = Vec::new();
        for (c, r) in creds.into_iter().zip(reports) {
            if r.verdict == badges::Verdict::Valid && !state.holds(&c.achievement_id) {
                if let Ok(id) = c.achievement_id.parse() {
                    state.holdings.push(Holding {
                        achievement: id,
                        issued_on: None,
                        expires_on: None,
                    });
                }
            }
            held.push((c, r));
        }
        for f in store.facts(educator_id).await? {
            apply_fact(&mut state, &f);
        }
        Ok((state, held))
    }

    /// The states award decisions use, for many educators at once: holdings from the ledger's
    /// own records (active and not expired; no signature re-check, these are our rows) and
    /// facts. A bulk cohort costs a few queries, not a verification per credential.
    async fn award_states(
        &self,
        educator_ids: &[String],
    ) -> Result<HashMap<String, EducatorState>, AppError> {
        let store = &self.inner.store;
        let mut states: HashMap<String, EducatorState> = educator_ids
            .iter()
            .map(|id| {
                let s = EducatorState {
                    id: Some(id.clone()),
                    ..Default::default()
                };
                (id.clone(), s)
            })
            .collect();
        let now = OffsetDateTime::now_utc().unix_timestamp() * 1000;
        for (edu, ach) in store.active_holdings(educator_ids, now).await? {
            if let Some(state) = states.get_mut(&edu) {
                add_holding(state, &ach);
            }
        }
        for f in store.facts_for_educators(educator_ids).await? {
            if let Some(state) = states.get_mut(&f.educator_id) {
                apply_fact(state, &f);
            }
        }
        Ok(states)
    }

    /// Awards what the educator has earned. The triggering action is already recorded, so a
    /// failure here is logged rather than reported as that action failing (the next award run,
    /// e.g. the educator's next credential, picks it up).
    pub async fn award_quietly(&self, educator_id: &str) -> Vec<Issued> {
        match self.award_earned(educator_id).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(educator = %educator_id, error = %e, "awarding earned credentials failed; will be retried on the next award run");
                Vec::new()
            }
        }
    }

    /// What a freshly issued credential completes (nothing for a replayed retry or a
    /// recipient who is not one of our educators), awarded quietly.
    pub async fn award_after(&self, issued: &Issued) -> Vec<Issued> {
        match (&issued.record.educator_id, issued.replayed) {
            (Some(edu), false) => self.award_quietly(edu).await,
            _ => Vec::new(),
        }
    }

    /// [`App::award_quietly`] for a cohort: one evaluation pass over all of them against
    /// `org_id`'s definitions, then the award path for those who earned something.
    pub async fn award_quietly_many(&self, org_id: &str, educator_ids: &[String]) -> Vec<Issued> {
        match self.award_states(educator_ids).await {
            Ok(states) => self.award_quietly_among(org_id, states).await,
            Err(e) => {
                tracing::warn!(org = %org_id, educators = educator_ids.len(), error = %e, "checking a cohort for earned credentials failed; will be retried on the next award run");
                Vec::new()
            }
        }
    }

    /// The award path for each educator whose state (as the caller knows it) earns something
    /// against `org_id`'s definitions. The award path reads the educator afresh.
    async fn award_quietly_among(
        &self,
        org_id: &str,
        states: HashMap<String, EducatorState>,
    ) -> Vec<Issued> {
        if states.is_empty() {
            return Vec::new();
        }
        let defs = match self.definitions(org_id).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(org = %org_id, educators = states.len(), error = %e, "checking a cohort for earned credentials failed; will be retried on the next award run");
                return Vec::new();
            }
        };
        let mut earned: Vec<&String> = states
            .iter()
            .filter(|(_, s)| !defs.to_issue(s).is_empty())
            .map(|(id, _)| id)
            .collect();
        earned.sort();
        let mut out = Vec::new();
        for id in earned {
            out.extend(self.award_quietly(id).await);
        }
        out
    }
}

/// How a credential names its recipient, from what the store resolved.
fn recipient_of(ctx: &IssueContext<'_>) -> badges::Recipient {
    match (&ctx.recipient.shown_did, &ctx.recipient.shown_email) {
        (Some(did), _) => badges::Recipient::Id(did.clone()),
        (None, Some(email)) => badges::Recipient::Plain {
            identity: email.clone(),
            identity_type: "emailAddress".into(),
        },
        // The store computed the salted hash; the builder's own hash of this placeholder is
        // replaced (`put_identity_hash`), so the email itself never reaches the document.
        (None, None) => badges::Recipient::Hashed {
            identity: "hashed-by-store".into(),
            identity_type: ctx.recipient.identity_type.to_owned(),
            salt: ctx.recipient.salt.clone(),
        },
    }
}

/// Puts the store's salted hash where the builder hashed the placeholder identity.
fn put_identity_hash(doc: &mut Value, ctx: &IssueContext<'_>) {
    if let Some(ident) = doc.pointer_mut("/credentialSubject/identifier/0/identityHash") {
        *ident = Value::String(ctx.recipient.identity_hash.clone());
    }
}

/// The status entries of a suspendable credential: revocation, and suspension when allocated.
fn suspendable_status(ctx: &IssueContext<'_>) -> Value {
    let mut entries = vec![badges::StatusEntry::new(
        &ctx.revocation.list_url,
        badges::StatusPurpose::Revocation,
        ctx.revocation.index,
    )
    .to_json()];
    if let Some(s) = ctx.suspension {
        entries.push(
            badges::StatusEntry::new(&s.list_url, badges::StatusPurpose::Suspension, s.index)
                .to_json(),
        );
    }
    Value::Array(entries)
}

/// What the unsigned credentials of one bulk call share beyond the call's own settings: rows
/// with equal keys differ only in id, recipient and status entries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TemplateKey {
    achievement_id: String,
    achievement_version: i64,
    issued_ms: i64,
    valid_until_ms: Option<i64>,
    /// 0 hashed, 1 email shown, 2 DID shown; and the hashed identity's type.
    recipient: (u8, &'static str),
}

impl TemplateKey {
    fn of(ctx: &IssueContext<'_>) -> Self {
        let kind = match (&ctx.recipient.shown_did, &ctx.recipient.shown_email) {
            (Some(_), _) => 2,
            (None, Some(_)) => 1,
            (None, None) => 0,
        };
        Self {
            achievement_id: ctx.request.achievement_id.clone(),
            achievement_version: ctx.achievement_version,
            issued_ms: ctx.issued_ms,
            valid_until_ms: ctx.request.valid_until_ms,
            recipient: (kind, ctx.recipient.identity_type),
        }
    }
}

/// Unsigned credentials by [`TemplateKey`], for one bulk call (whose issuer, definitions and
/// options are fixed).
#[derive(Default)]
struct Templates {
    docs: std::sync::Mutex<HashMap<TemplateKey, Arc<Template>>>,
    /// Rows built from a template.
    hits: std::sync::atomic::AtomicUsize,
    /// Of those, rows signed from the template's canonical text.
    canonical: std::sync::atomic::AtomicUsize,
}

/// The unsigned credential of the first row of a [`TemplateKey`], and its canonical text when
/// the call signs with eddsa-jcs-2022.
struct Template {
    doc: Value,
    canonical: Option<CanonicalTemplate>,
}

/// A template credential's canonical text with holes where [`personalize`] puts a row's own
/// values, and the proof its rows get but for the signature: a row is its few values
/// canonicalized into the text, hashed and signed. Made only when it gives back the first
/// row's credential byte for byte (see [`App::canonical_template`]).
struct CanonicalTemplate {
    /// Holes, in this order: `id`, `credentialStatus`, the subject's `subject_member`.
    text: jcs::Template,
    proof: JcsProofTemplate,
    /// The key the proof names; a row signed with another key signs its whole document.
    key_id: String,
    /// `id` (a DID shown) or `identifier` (an identity object).
    subject_member: &'static str,
}

impl CanonicalTemplate {
    /// The signed credential of `ctx`, or `None` when this template does not fit the row (another
    /// key, another kind of recipient): the caller then signs the whole document.
    fn sign(
        &self,
        ctx: &IssueContext<'_>,
        opts: &IssueOptions,
    ) -> Option<Result<String, AppError>> {
        if ctx.key.key_id() != self.key_id {
            return None;
        }
        // The row's own values, made by the very code that personalizes a whole copy.
        let mut own = json!({ "credentialSubject": {} });
        if let Err(e) = personalize(&mut own, ctx, opts) {
            return Some(Err(e));
        }
        let map = own.as_object_mut()?;
        let subject = map
            .get_mut("credentialSubject")?
            .as_object_mut()?
            .remove(self.subject_member)?;
        let (id, status) = (map.get("id")?, map.get("credentialStatus")?);
        let mut text = Vec::new();
        if let Err(e) = self.text.fill(&[id, status, &subject], &mut text) {
            return Some(Err(AppError::Build(e.to_string())));
        }
        Some(
            self.proof
                .sign(text, ctx.key.suite_key())
                .map_err(|e| AppError::Build(e.to_string())),
        )
    }
}

/// Turns a copy of another row's unsigned credential (same [`TemplateKey`]) into `ctx`'s: the
/// id, the recipient and the status entries are replaced, built as
/// [`App::unsigned_credential`] builds them.
fn personalize(
    doc: &mut Value,
    ctx: &IssueContext<'_>,
    opts: &IssueOptions,
) -> Result<(), AppError> {
    let bad = || AppError::Build("credential template is not an object".into());
    let map = doc.as_object_mut().ok_or_else(bad)?;
    map.insert("id".into(), Value::String(ctx.credential_id.clone()));
    map.insert(
        "credentialStatus".into(),
        if opts.suspendable {
            suspendable_status(ctx)
        } else {
            badges::StatusEntry::new(
                &ctx.revocation.list_url,
                badges::StatusPurpose::Revocation,
                ctx.revocation.index,
            )
            .to_json()
        },
    );
    let subject = map
        .get_mut("credentialSubject")
        .and_then(Value::as_object_mut)
        .ok_or_else(bad)?;
    subject.remove("id");
    subject.remove("identifier");
    let recipient = recipient_of(ctx);
    badges::recipient_fields(&recipient, subject).map_err(|e| AppError::Build(e.to_string()))?;
    if let badges::Recipient::Hashed { .. } = recipient {
        put_identity_hash(doc, ctx);
    }
    Ok(())
}

/// Records that the educator holds achievement `ach` (once; an id that does not parse is skipped).
fn add_holding(state: &mut EducatorState, ach: &str) {
    if let (Ok(id), false) = (ach.parse(), state.holds(ach)) {
        state.holdings.push(Holding {
            achievement: id,
            issued_on: None,
            expires_on: None,
        });
    }
}

/// Splits the recipients of a bulk call's new credentials for the award check: educators the
/// call created hold exactly what it issued them (active and unexpired at `now_ms`) and have no
/// facts, so their states are built here; everyone else is read from the store. An educator
/// created in one batch and named again in a later one is read from the store.
fn cohort_states(
    results: &[Result<IssueOutcome, StoreError>],
    now_ms: i64,
) -> (HashMap<String, EducatorState>, Vec<String>) {
    let mut fresh: HashMap<String, EducatorState> = HashMap::new();
    let mut known: Vec<String> = Vec::new();
    for o in results.iter().filter_map(|r| r.as_ref().ok()) {
        let Some(edu) = &o.credential.educator_id else {
            continue;
        };
        if o.replayed {
            continue;
        }
        if !o.new_educator {
            known.push(edu.clone());
            continue;
        }
        let state = fresh.entry(edu.clone()).or_insert_with(|| EducatorState {
            id: Some(edu.clone()),
            ..Default::default()
        });
        let c = &o.credential;
        if c.status == pathledger_store::CredentialStatus::Active
            && c.valid_until_ms.is_none_or(|t| t > now_ms)
        {
            add_holding(state, &c.achievement_id);
        }
    }
    for k in &known {
        fresh.remove(k);
    }
    (fresh, known)
}

/// Adds one recorded fact (experience, rotation, endorsement) to an educator's state.
fn apply_fact(state: &mut EducatorState, f: &pathledger_store::Fact) {
    match f.kind.as_str() {
        "experience" => {
            if let Some(y) = f.document.get("years").and_then(Value::as_f64) {
                state.years_experience = state.years_experience.max(y);
            }
        }
        "rotation" => {
            if let Some(r) = f
                .document
                .get("role")
                .and_then(Value::as_str)
                .and_then(|r| r.parse().ok())
            {
                state.rotations.push(r);
            }
        }
        "endorsement" => {
            if let Ok(e) = serde_json::from_value::<Endorsement>(f.document.clone()) {
                state.endorsements.push(e);
            }
        }
        _ => {}
    }
}

impl App {
    /// A signed CLR 2.0 bundle of an educator's credentials; a stack's parts are `isChildOf`
    /// the certificate they add up to. Signed by the educator's organization's first issuer.
    pub async fn clr_for(
        &self,
        educator: &pathledger_store::Educator,
        credentials: Vec<Value>,
    ) -> Result<Value, AppError> {
        if credentials.is_empty() {
            return Err(AppError::invalid(
                "educator",
                "has no credentials to bundle",
            ));
        }
        let store = &self.inner.store;
        let issuer = store
            .issuers(&educator.org_id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                AppError::NotFound(format!("issuer of organization {}", educator.org_id))
            })?;
        let defs = self.definitions(&educator.org_id).await?;
        let ach_url = |id: &str| format!("{}/achievements/{}", self.inner.public_url, id);
        let held: std::collections::BTreeSet<String> = credentials
            .iter()
            .filter_map(|c| {
                c.pointer("/credentialSubject/achievement/id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect();
        let mut associations = Vec::new();
        for stack in defs.stacks() {
            let Some(cert) = &stack.awards else { continue };
            let cert_url = ach_url(cert.as_str());
            if !held.contains(&cert_url) {
                continue;
            }
            let parts: Vec<String> = stack
                .required
                .iter()
                .chain(stack.electives.iter())
                .filter_map(|i| match i {
                    pathledger_core::StackItem::Achievement(a) => Some(ach_url(a.as_str())),
                    pathledger_core::StackItem::Stack(_) => None,
                })
                .filter(|u| held.contains(u))
                .collect();
            associations.extend(badges::stack_associations(&cert_url, &parts));
        }
        let email = educator.emails.first().cloned().unwrap_or_default();
        let input = badges::ClrInput {
            id: format!("urn:uuid:{}", uuid::Uuid::new_v4()),
            issuer: self.issuer_profile(&issuer),
            name: format!("Comprehensive Learner Record of {}", educator.display_name),
            description: None,
            valid_from: OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            valid_until: None,
            subject: badges::Recipient::Hashed {
                identity: email,
                identity_type: "emailAddress".into(),
                salt: educator.salt.clone(),
            },
            credentials,
            associations,
            partial: None,
            include_schema: true,
        };
        let doc = badges::clr_credential(&input).map_err(|e| AppError::Build(e.to_string()))?;
        self.sign_as_issuer(&issuer.id, &doc).await
    }

    /// Signs `doc` (eddsa-jcs-2022) with the issuer's current key, as its did:web. Status lists,
    /// CLR bundles and endorsements go through here; credentials are signed inside the store's
    /// issuance transaction instead.
    pub async fn sign_as_issuer(&self, issuer_id: &str, doc: &Value) -> Result<Value, AppError> {
        let vm_prefix = self.issuer_did(issuer_id);
        self.inner
            .store
            .with_issuer_key(issuer_id, |k| {
                let key = SigningKey::from_seed(k.seed_bytes());
                sign_document(
                    doc,
                    &key,
                    &ProofOptions::assertion(
                        Cryptosuite::EddsaJcs2022,
                        format!("{vm_prefix}#{}", k.key_id()),
                    ),
                )
            })
            .await?
            .map_err(|e| AppError::Build(e.to_string()))
    }
}

/// Every definition error with its path (at most 20), so a bad import says what to fix.
fn definition_errors(e: pathledger_core::DefinitionErrors) -> AppError {
    let list: Vec<String> = e
        .errors()
        .iter()
        .take(20)
        .map(ToString::to_string)
        .collect();
    let more = e.errors().len().saturating_sub(list.len());
    let mut msg = list.join("; ");
    if more > 0 {
        msg.push_str(&format!("; and {more} more"));
    }
    AppError::Definitions(msg)
}

fn bundle_id(org_id: &str) -> String {
    format!("{BUNDLE_ID}:{org_id}")
}

fn achievement_type_name(t: &pathledger_core::AchievementType) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "Achievement".into())
}

/// A builder failure inside the store comes back boxed; surface our own error when it is one.
fn unwrap_build(e: StoreError) -> AppError {
    match e {
        StoreError::Build(inner) => match inner.downcast::<AppError>() {
            Ok(app) => *app,
            Err(other) => AppError::Build(other.to_string()),
        },
        other => AppError::Store(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pathledger_store::{CredentialStatus, StatusAssignment};

    fn outcome(
        edu: &str,
        ach: &str,
        new_educator: bool,
        replayed: bool,
        valid_until_ms: Option<i64>,
    ) -> Result<IssueOutcome, StoreError> {
        Ok(IssueOutcome {
            credential: CredentialRecord {
                id: format!("urn:uuid:{edu}-{ach}"),
                org_id: "org".into(),
                issuer_id: "iss".into(),
                key_id: "key".into(),
                achievement_id: ach.into(),
                achievement_version: 1,
                educator_id: Some(edu.into()),
                recipient_hash: "sha256$00".into(),
                document: "{}".into(),
                document_hash: [0; 32],
                issued_ms: 0,
                valid_until_ms,
                status: CredentialStatus::Active,
                status_reason: None,
                idempotency_key: None,
                previous_id: None,
                revocation: StatusAssignment {
                    purpose: StatusPurpose::Revocation,
                    list_id: "sl".into(),
                    list_url: "http://127.0.0.1/sl".into(),
                    index: 0,
                },
                suspension: None,
                log_index: 0,
            },
            replayed,
            new_educator,
        })
    }

    struct Row {
        req: IssueRequest,
        recipient: pathledger_store::RecipientIdentity,
        revocation: StatusAssignment,
        suspension: StatusAssignment,
        id: String,
    }

    /// Row `n` of a bulk call: everything a row may vary in differs with `n`.
    fn row(n: u64, shown: u8, valid_until_ms: Option<i64>) -> Row {
        let mut req = IssueRequest::new(
            "iss",
            "mc-tools-3",
            Recipient::Email(format!("r{n}@example.org")),
        );
        req.valid_until_ms = valid_until_ms;
        let did = format!("did:example:r{n}");
        let email = format!("r{n}@example.org");
        Row {
            req,
            recipient: pathledger_store::RecipientIdentity {
                educator_id: format!("edu_{n}"),
                identity_hash: pathledger_store::recipient_identity_hash(
                    if shown == 3 { &did } else { &email },
                    &format!("salt{n}"),
                ),
                salt: format!("salt{n}"),
                identity_type: if shown == 3 { "did" } else { "emailAddress" },
                shown_email: (shown == 1).then(|| email.clone()),
                shown_did: (shown == 2).then(|| did.clone()),
            },
            revocation: StatusAssignment {
                purpose: StatusPurpose::Revocation,
                list_id: "sl_rev".into(),
                list_url: "http://127.0.0.1:8080/status/sl_rev".into(),
                index: n * 7,
            },
            suspension: StatusAssignment {
                purpose: StatusPurpose::Suspension,
                list_id: "sl_susp".into(),
                list_url: "http://127.0.0.1:8080/status/sl_susp".into(),
                index: n * 3,
            },
            id: format!("urn:uuid:00000000-0000-7000-8000-{n:012}"),
        }
    }

    fn ctx<'a>(
        r: &'a Row,
        suspendable: bool,
        achievement: &'a Value,
        key: &'a pathledger_store::SigningKeyHandle,
    ) -> IssueContext<'a> {
        IssueContext {
            credential_id: r.id.clone(),
            request: &r.req,
            org_id: "org",
            issued_ms: 1_780_000_000_000,
            achievement_version: 3,
            achievement,
            recipient: &r.recipient,
            revocation: &r.revocation,
            suspension: suspendable.then_some(&r.suspension),
            key,
        }
    }

    /// A bulk row built from another row's unsigned credential is byte for byte the credential
    /// built from scratch, for every way of naming the recipient, with and without suspension,
    /// expiry and evidence.
    #[tokio::test]
    async fn templated_credentials_equal_fresh_ones() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(AppConfig {
            database_url: dir.path().join("t.db").to_string_lossy().into_owned(),
            kek: Kek::generate().unwrap(),
            public_url: "http://127.0.0.1:8080".into(),
            trusted_issuers: Vec::new(),
        })
        .await
        .unwrap();
        let defs = Definitions::default_data().unwrap();
        let profile = badges::IssuerProfile {
            id: "did:web:127.0.0.1%3A8080:issuers:iss".into(),
            name: "Issuer".into(),
            url: Some("http://127.0.0.1:8080/issuers/iss".into()),
            email: None,
            description: None,
            image: None,
        };
        let key = pathledger_store::SigningKeyHandle::from_seed("key-1".into(), [5; 32]);
        let other_key = pathledger_store::SigningKeyHandle::from_seed("key-2".into(), [6; 32]);
        let achievement = json!({});
        let mut cases = 0;
        for suite in [Cryptosuite::EddsaJcs2022, Cryptosuite::EddsaRdfc2022] {
            for suspendable in [false, true] {
                for valid_until in [None, Some(1_900_000_000_000)] {
                    for shown in 0..4u8 {
                        let opts = IssueOptions {
                            suite,
                            suspendable,
                            evidence: suspendable.then(|| "Observed twice".to_owned()),
                            ..Default::default()
                        };
                        let templates = Templates::default();
                        let rows = [1, 2, 3].map(|n| row(n, shown, valid_until));
                        let c1 = ctx(&rows[0], suspendable, &achievement, &key);
                        let c2 = ctx(&rows[1], suspendable, &achievement, &key);
                        // A row signed with another key (a rotation between batches).
                        let c3 = ctx(&rows[2], suspendable, &achievement, &other_key);
                        let built: Vec<String> = [&c1, &c2, &c3]
                            .into_iter()
                            .map(|c| {
                                app.build_credential_from(&templates, &defs, &profile, c, &opts)
                                    .unwrap()
                            })
                            .collect();
                        let hits = |c: &std::sync::atomic::AtomicUsize| {
                            c.load(std::sync::atomic::Ordering::Relaxed)
                        };
                        assert_eq!(
                            hits(&templates.hits),
                            2,
                            "the later rows come from the template"
                        );
                        // Under eddsa-jcs-2022 the second row is filled into the canonical
                        // text; the third names another key, so it signs its whole document.
                        let canonical = usize::from(suite == Cryptosuite::EddsaJcs2022);
                        assert_eq!(hits(&templates.canonical), canonical, "{suite}");
                        for (b, c) in built.iter().zip([&c1, &c2, &c3]) {
                            let fresh = app.build_credential(&defs, &profile, c, &opts).unwrap();
                            let case = format!("{suite}, suspendable {suspendable}, valid until {valid_until:?}, shown {shown}");
                            if suite == Cryptosuite::EddsaJcs2022 {
                                // Stored as the canonical text: the same bytes.
                                assert_eq!(*b, fresh, "{case}");
                            } else {
                                // rdfc keeps the document's member order, which a personalized
                                // copy changes: the same JSON and the same signature.
                                let parse = |t: &str| serde_json::from_str::<Value>(t).unwrap();
                                assert_eq!(parse(b), parse(&fresh), "{case}");
                            }
                        }
                        assert_ne!(built[0], built[1]);
                        cases += 1;
                    }
                }
            }
        }
        assert_eq!(cases, 32);
    }

    /// Educators a bulk call created are judged on what it issued them (unexpired, each
    /// achievement once); one named again as existing, and everyone else, is read from the store;
    /// replays and failed rows count for nothing.
    #[test]
    fn cohort_states_split_created_from_known() {
        let results = vec![
            outcome("edu_a", "mc-one", true, false, None),
            outcome("edu_a", "mc-two", true, false, Some(2_000)),
            outcome("edu_a", "mc-two", true, false, None),
            outcome("edu_a", "mc-old", true, false, Some(500)),
            outcome("edu_b", "mc-one", true, false, None),
            outcome("edu_b", "mc-two", false, false, None),
            outcome("edu_c", "mc-one", false, false, None),
            outcome("edu_d", "mc-one", false, true, None),
            Err(StoreError::InvalidInput {
                field: "recipient".into(),
                message: "bad".into(),
            }),
        ];
        let (fresh, known) = cohort_states(&results, 1_000);
        assert_eq!(fresh.len(), 1, "{:?}", fresh.keys().collect::<Vec<_>>());
        let a = &fresh["edu_a"];
        assert_eq!(a.id.as_deref(), Some("edu_a"));
        let mut held: Vec<String> = a
            .holdings
            .iter()
            .map(|h| h.achievement.as_str().to_owned())
            .collect();
        held.sort();
        assert_eq!(held, ["mc-one", "mc-two"]);
        assert!(a.years_experience == 0.0 && a.rotations.is_empty());
        assert_eq!(known, ["edu_b", "edu_c"]);
    }
}
