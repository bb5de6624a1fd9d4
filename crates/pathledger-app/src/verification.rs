//! Verification policy: whom we trust (our issuers and the configured trust registry, by name),
//! our own status lists and keys served locally, other issuers' documents fetched safely
//! ([`crate::fetch`]), and the bounds on verification work (a canonicalization budget and a
//! number of fetched documents per request, one CPU slot per core).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pathledger_badges as badges;
use pathledger_signing::rdfc::HNDQ_CALL_LIMIT;
use pathledger_signing::WorkBudget;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::*;

impl App {
    // ----- verification --------------------------------------------------------------------

    /// Our issuers plus the configured trust list; issuers a trust file or registry names carry
    /// that name into the report ("Issued by My School (did:web:…), listed in registry.json").
    pub fn trust_list(&self) -> badges::TrustList {
        let ring = self.key_ring();
        let mut trust = badges::TrustList::of(ring.issuer_dids.values().cloned());
        for t in &self.inner.trusted {
            match (&t.name, &t.listed_in) {
                (Some(name), Some(list)) => {
                    trust.list(t.id.clone(), name.clone(), list.clone());
                }
                _ => {
                    trust.issuers.insert(t.id.clone());
                }
            }
        }
        trust
    }

    /// The configured trusted issuers besides our own.
    pub fn trusted_issuers(&self) -> &[crate::registry::TrustedIssuer] {
        &self.inner.trusted
    }

    /// The fetcher of other issuers' documents, when the deployment fetches them.
    pub fn safe_fetcher(&self) -> Option<&Arc<crate::fetch::SafeFetcher>> {
        self.inner.fetcher.as_ref()
    }

    /// The fetcher one verification request (`work`) uses: our own documents gathered here,
    /// others through the [`SafeFetcher`](crate::fetch::SafeFetcher) within the request's
    /// bound. Must be created on the runtime (it keeps its handle), and used on blocking threads.
    async fn request_fetcher(
        &self,
        docs: &[&Value],
        work: &VerifyWork,
    ) -> crate::fetch::RequestFetcher {
        let slot = Arc::new(crate::fetch::CpuSlot::new(
            self.inner.verifying.slots.clone(),
        ));
        let remote = self
            .inner
            .fetcher
            .as_ref()
            .map(|f| (f.clone(), tokio::runtime::Handle::current()));
        let per_request = self
            .inner
            .fetcher
            .as_ref()
            .map_or(0, |f| f.config().per_request);
        crate::fetch::RequestFetcher {
            local: self.local_fetcher(docs).await,
            own: crate::fetch::OwnHost::of(&self.inner.public_url),
            remote,
            fetched: work.fetched.clone(),
            per_request,
            slot,
        }
    }

    /// Gathers what verifying `docs` needs from our own deployment (status lists, DID
    /// documents), so our own documents are never fetched over the network.
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
                            match self.checked_status_list(list_id).await {
                                Ok(Ok(checked)) => {
                                    fetcher.insert_checked(url, checked);
                                }
                                // It did not check: the verifier checks the document and says why.
                                Ok(Err(doc)) => {
                                    fetcher.insert(url, (*doc).clone());
                                }
                                Err(_) => {}
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
        // Our own issuers' did:web keys are in the resolver ([`App::resolver`]); only the host's
        // DID document (not among them) is served to the verifier.
        let ring = self.key_ring();
        if let Some(doc) = &ring.host_document {
            let did = format!("did:web:{}", did_web_host(&self.inner.public_url));
            if let Ok(url) = pathledger_signing::did_web_url(&did) {
                fetcher.insert(url, doc.clone());
            }
        }
        fetcher
    }

    /// Verifies one credential (ours or anyone's), as a request of its own.
    pub async fn verify(&self, doc: &Value) -> badges::VerificationReport {
        let work = self.verify_work();
        self.verify_many_within(std::slice::from_ref(doc), &work)
            .await
            .pop()
            .unwrap_or_else(|| not_checked("the verification did not answer"))
    }

    /// Verifies many credentials as one request (one [`REQUEST_WORK_BUDGET`]).
    pub async fn verify_many(&self, docs: &[Value]) -> Vec<badges::VerificationReport> {
        let work = self.verify_work();
        self.verify_many_within(docs, &work).await
    }

    /// A new request's verification work: [`REQUEST_WORK_BUDGET`] to spend, cancelled when
    /// dropped. Hold it across every [`verify_many_within`](Self::verify_many_within) call of
    /// one request (a streamed report verifies in several calls).
    pub fn verify_work(&self) -> VerifyWork {
        VerifyWork::new(REQUEST_WORK_BUDGET)
    }

    /// Canonicalization work (hash N-degree quads calls granted) every verification of this
    /// process has spent so far: a counter for tests and operators.
    pub fn verification_work_spent(&self) -> u64 {
        self.inner.verifying.spent.load(Ordering::Relaxed)
    }

    /// How many CPU-heavy verification steps run at once (one per core).
    pub fn verify_slots(&self) -> usize {
        self.inner.verifying.slots_total
    }

    /// Verifies `docs` as part of the request that owns `work`; one report per document, in
    /// order. The documents are verified [`VERIFY_CHUNK`] at a time on blocking threads, each
    /// step holding one of [`verify_slots`](Self::verify_slots) (a fair queue), so verification
    /// never occupies the async workers that answer pages, and a long batch takes turns with
    /// every other request's verification. Once `work` is dropped no further step starts, and
    /// the running one stops before its next document.
    pub async fn verify_many_within(
        &self,
        docs: &[Value],
        work: &VerifyWork,
    ) -> Vec<badges::VerificationReport> {
        // A link to, or the id of, a credential issued here is verified as the stored document.
        let mut replaced = Vec::with_capacity(docs.len());
        for d in docs {
            replaced.push(self.own_credential_reference(d).await);
        }
        let docs: std::borrow::Cow<'_, [Value]> = if replaced.iter().all(Option::is_none) {
            std::borrow::Cow::Borrowed(docs)
        } else {
            docs.iter()
                .zip(replaced)
                .map(|(d, r)| r.unwrap_or_else(|| d.clone()))
                .collect()
        };
        let docs: &[Value] = &docs;
        let refs: Vec<&Value> = docs.iter().collect();
        let fetcher = Arc::new(self.request_fetcher(&refs, work).await);
        let resolver = self.resolver();
        let trust = self.trust_list();
        let mut out = Vec::with_capacity(docs.len());
        for chunk in docs.chunks(VERIFY_CHUNK) {
            let chunk = chunk.to_vec();
            let (step_fetcher, resolver, trust) =
                (fetcher.clone(), resolver.clone(), trust.clone());
            let step = self.on_verification_slot(&fetcher.slot, work, move |metered| {
                let verifier = badges::Verifier {
                    resolver: &*resolver,
                    fetcher: &*step_fetcher,
                    trust,
                    now: None,
                    check_schema: true,
                };
                chunk
                    .iter()
                    // Counted per document, so the work spent shows progress within a step.
                    .map(|doc| metered.run(|budget| verifier.verify_within(doc, budget)))
                    .collect::<Vec<_>>()
            });
            match step.await {
                Some(reports) => out.extend(reports),
                None => break,
            }
        }
        while out.len() < docs.len() {
            out.push(not_checked("the verification did not answer"));
        }
        out
    }
}

impl App {
    /// The id a reference names when it names a credential issued here: our credential page
    /// or API link (`…/credentials/ID`, `…/verify?id=ID`) or a bare `urn:uuid:` id.
    fn own_reference_id<'a>(&self, reference: &'a Value) -> Option<&'a str> {
        let s = reference.as_str()?.trim();
        if s.starts_with("urn:uuid:") {
            return Some(s);
        }
        // Our origin exactly: `https://ledger.example.evil/…` is not ours.
        let rest = s
            .strip_prefix(self.inner.public_url.as_str())
            .filter(|r| r.starts_with('/'))?;
        if let Some(q) = rest.strip_prefix("/verify?id=") {
            return Some(q.split(['&', '#']).next().unwrap_or(q));
        }
        let id = rest
            .rsplit("/credentials/")
            .next()
            .filter(|_| rest.contains("/credentials/"))?;
        Some(id.split(['?', '#', '/']).next().unwrap_or(id))
    }

    /// The stored credential a reference of ours names, if it names one that exists.
    pub async fn own_credential_reference(&self, reference: &Value) -> Option<Value> {
        let id = self.own_reference_id(reference)?;
        let id = id.replace("%3A", ":").replace("%3a", ":");
        let rec = self.store().credential(&id).await.ok()?;
        serde_json::from_str(&rec.document).ok()
    }
}

impl App {
    /// Verifies a Verifiable Presentation as a request of its own: the holder's proof (with
    /// the expected challenge and domain), each credential it carries (our status lists and
    /// keys served locally, like [`verify`](Self::verify)), and optionally the holder against
    /// the credentials' subjects. Runs on a blocking thread holding one verification slot.
    pub async fn verify_presentation(
        &self,
        vp: Value,
        challenge: Option<String>,
        domain: Option<String>,
        holder_is_subject: bool,
    ) -> badges::PresentationReport {
        let work = self.verify_work();
        let presented: Vec<&Value> = match vp.get("verifiableCredential") {
            Some(Value::Array(a)) => a.iter().take(badges::MAX_PRESENTED_CREDENTIALS).collect(),
            Some(v @ Value::Object(_)) => vec![v],
            _ => Vec::new(),
        };
        let fetcher = Arc::new(self.request_fetcher(&presented, &work).await);
        let resolver = self.resolver();
        let trust = self.trust_list();
        let step_fetcher = fetcher.clone();
        let report = self
            .on_verification_slot(&fetcher.slot, &work, move |metered| {
                let verifier = badges::Verifier {
                    resolver: &*resolver,
                    fetcher: &*step_fetcher,
                    trust,
                    now: None,
                    check_schema: true,
                };
                let opts = badges::PresentationOptions {
                    challenge: challenge.as_deref(),
                    domain: domain.as_deref(),
                    holder_is_subject,
                };
                metered.run(|budget| verifier.verify_presentation_within(&vp, &opts, budget))
            })
            .await;
        drop(work);
        report.unwrap_or_else(unanswered_presentation)
    }

    /// Runs one verification step on a blocking thread (never an async worker) once it has
    /// one of the [`verify_slots`](Self::verify_slots) (a fair queue); the step spends `work`'s
    /// budget through [`Metered::run`], which counts it. The slot is kept in `slot`, where
    /// the request's fetcher puts it down while it waits on another host, and released when the
    /// step ends, not when the request does: a request dropped mid-step must not let another
    /// step start on its core. `None` when the step could not run (logged).
    async fn on_verification_slot<T: Send + 'static>(
        &self,
        slot: &Arc<crate::fetch::CpuSlot>,
        work: &VerifyWork,
        step: impl FnOnce(&Metered) -> T + Send + 'static,
    ) -> Option<T> {
        let permit = self
            .inner
            .verifying
            .slots
            .clone()
            .acquire_owned()
            .await
            .ok()?;
        let slot = slot.clone();
        let metered = Metered {
            budget: work.budget.clone(),
            spent: self.inner.verifying.spent.clone(),
        };
        let job = move || {
            let _held = slot.hold(permit);
            step(&metered)
        };
        match tokio::task::spawn_blocking(job).await {
            Ok(out) => Some(out),
            Err(e) => {
                tracing::error!(error = %e, "a verification step failed");
                None
            }
        }
    }
}

/// A verification step's share of its request's budget, counted into the app's work spent as
/// it goes.
pub(crate) struct Metered {
    budget: Arc<WorkBudget>,
    spent: Arc<AtomicU64>,
}

impl Metered {
    /// Runs `f` on the request's budget and counts what it spent.
    fn run<R>(&self, f: impl FnOnce(&WorkBudget) -> R) -> R {
        let before = self.budget.spent();
        let out = f(&self.budget);
        self.spent
            .fetch_add((self.budget.spent() - before) as u64, Ordering::Relaxed);
        out
    }
}

fn unanswered_presentation() -> badges::PresentationReport {
    badges::PresentationReport {
        verified: false,
        holder: None,
        message: "We could not check this presentation: the verification did not answer. Try again later.".into(),
        checks: Vec::new(),
        credentials: Vec::new(),
    }
}

/// Canonicalization work (RDFC-1.0 hash N-degree quads calls) one request may spend over all
/// the credentials it verifies: four credentials at the per-canonicalization limit
/// ([`HNDQ_CALL_LIMIT`], about 0.1 CPU-second each). Credentials we issue, and every
/// tree-shaped credential, spend none; a credential whose proof needs more than is left is
/// `could_not_check` with `WORK_BUDGET_SPENT`.
pub const REQUEST_WORK_BUDGET: usize = 4 * HNDQ_CALL_LIMIT;

/// Credentials one blocking step verifies before the slot goes to the next step in the queue
/// (of this request or another).
pub const VERIFY_CHUNK: usize = 16;

/// Verification's CPU slots and the work it has spent, one per [`App`].
pub(crate) struct Verifying {
    slots: Arc<Semaphore>,
    slots_total: usize,
    spent: Arc<AtomicU64>,
}

impl Default for Verifying {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            slots: Arc::new(Semaphore::new(cores)),
            slots_total: cores,
            spent: Arc::new(AtomicU64::new(0)),
        }
    }
}

/// Documents one request fetched from other hosts (each once), by URL.
type Fetched = Arc<Mutex<HashMap<String, Result<Value, badges::FetchError>>>>;

/// One request's verification work: the canonicalization budget all its credentials share,
/// and the documents it fetched from other hosts (at most `FetchConfig::per_request`).
/// Dropping it (the request was answered, timed out, or its client went away) cancels it:
/// no credential is verified under it after that.
pub struct VerifyWork {
    budget: Arc<WorkBudget>,
    fetched: Fetched,
}

impl VerifyWork {
    /// Work of `calls` hash N-degree quads calls (tests; requests use [`App::verify_work`]).
    pub fn new(calls: usize) -> Self {
        Self {
            budget: Arc::new(WorkBudget::new(calls)),
            fetched: Fetched::default(),
        }
    }

    /// Distinct documents from other hosts this request has fetched (or tried to).
    pub fn fetched(&self) -> usize {
        self.fetched.lock().map_or(0, |f| f.len())
    }

    /// Calls granted so far.
    pub fn spent(&self) -> usize {
        self.budget.spent()
    }
}

impl Drop for VerifyWork {
    fn drop(&mut self) {
        self.budget.cancel();
    }
}

fn not_checked(why: &str) -> badges::VerificationReport {
    badges::VerificationReport::not_checked(
        "NOT_CHECKED",
        format!("We could not check this credential: {why}. Try again later."),
    )
}
