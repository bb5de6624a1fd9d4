//! Issuance as one transaction: idempotency, status index allocation, signing by the caller's
//! builder, storing the exact signed bytes and appending the log, all or nothing; plus bulk
//! issuance in batched transactions with per-row results, renewal and award-once.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use serde_json::Value;

use crate::crypto::{
    new_credential_id, new_sorted_id, now_ms, recipient_identity_hash, sha256, SigningKeyHandle,
};
use crate::error::StoreError;
use crate::log::{LeafData, LogAppender};
use crate::model::{
    CredentialRecord, CredentialStatus, IssueContext, IssueOutcome, IssueRequest, Recipient,
    RecipientIdentity, StatusAssignment, StatusPurpose,
};
use crate::rows::{row_to_credential, CRED_COLS};
use crate::sql::{args, insert_statements, keyed_sql, Backend, Col, Keys, Row, Stmt, Tx};
use crate::status::allocation::{Alloc, Assigner};
use crate::store::Store;
use crate::validate::check_text;

/// Rows per transaction in [`Store::bulk_issue`].
pub const BULK_BATCH_SIZE: usize = 500;

type BoxErr = Box<dyn std::error::Error + Send + Sync + 'static>;
/// Achievement definitions read in this batch: (id, requested version) -> (version, document).
type AchievementCache = HashMap<(String, Option<i64>), (i64, std::sync::Arc<Value>)>;

/// An issuer's organization and active key.
const ISSUER_KEY_SQL: &str = "SELECT i.org_id, k.id AS key_id, k.sealed_seed FROM issuers i LEFT JOIN issuer_keys k ON k.issuer_id = i.id AND k.active WHERE i.id = $1";

/// The request fields compared for idempotency (everything but the key itself).
fn request_hash(req: &IssueRequest) -> Result<[u8; 32], StoreError> {
    let mut r = req.clone();
    r.idempotency_key = None;
    let bytes = serde_json::to_vec(&r)
        .map_err(|e| StoreError::invalid("request", format!("cannot encode: {e}")))?;
    Ok(sha256(&bytes))
}

fn normalize_email(e: &str) -> Result<String, StoreError> {
    let e = e.trim().to_lowercase();
    check_text("recipient", &e, 320)?;
    match e.split_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') && !e.contains(' ') => {
            Ok(e)
        }
        _ => Err(StoreError::invalid(
            "recipient",
            format!("{e:?} is not an email address"),
        )),
    }
}

/// One row that passed validation and waits to be built.
struct Prepared {
    pos: usize,
    req: IssueRequest,
    request_hash: [u8; 32],
    achievement_version: i64,
    achievement: std::sync::Arc<Value>,
    recipient: RecipientIdentity,
    /// What `recipient` was made from.
    educator: std::sync::Arc<EducatorInfo>,
    /// The recipient became an educator in this batch.
    new_educator: bool,
    credential_id: String,
    revocation: Option<StatusAssignment>,
    suspension: Option<StatusAssignment>,
}

type Builder = dyn Fn(IssueContext<'_>) -> Result<String, BoxErr> + Send + Sync;

/// A batch prepared and built ahead of its transaction, from a read-only snapshot, while the
/// previous batch is being written. The transaction redoes every read and decision; a row whose
/// inputs came out the same takes its document from here, any other row is built again inside
/// the transaction. So a plan only ever saves work, never changes a result.
///
/// The documents are built on a pooled thread, one plan at a time, and may still be in progress
/// when the transaction starts: it waits for them only once its own reads and allocations are
/// done, so building one batch overlaps preparing it as well as writing the batch before.
struct Ahead {
    now: i64,
    org_id: String,
    key_id: String,
    /// Ids and salts for the emails that were unknown, so those educators come out the same.
    new_educators: HashMap<String, (String, String)>,
    achievements: AchievementCache,
    /// The inputs each document is built from, in build order.
    prepared: std::sync::Arc<Vec<Prepared>>,
    /// Index into `prepared` by input position.
    by_pos: HashMap<usize, usize>,
    built: Built,
}

/// A built row: the signed document and its SHA-256, hashed on the thread that built it.
struct Signed {
    doc: String,
    hash: [u8; 32],
    /// A second copy, for the SQL arguments (the record keeps `doc`), made on the building
    /// thread so the transaction's thread does not copy it.
    for_sql: String,
}

/// What building one row gives: its document, or the builder's error for that row only.
type BuiltRow = Result<Signed, BoxErr>;

/// Documents of an [`Ahead`], in `prepared` order.
enum Built {
    Pending(tokio::task::JoinHandle<Vec<BuiltRow>>),
    /// A document is taken at most once.
    Done(Vec<Option<BuiltRow>>),
}

impl Ahead {
    /// The status indexes this plan built with (taken, as far as the next plan is concerned).
    fn assignments(&self) -> impl Iterator<Item = &StatusAssignment> {
        self.prepared
            .iter()
            .flat_map(|p| p.revocation.iter().chain(p.suspension.iter()))
    }

    /// The planned inputs of the row at input position `pos`.
    fn planned(&self, pos: usize) -> Option<&Prepared> {
        self.by_pos.get(&pos).map(|&i| &self.prepared[i])
    }

    /// Waits for the build to finish. A build that failed as a whole (its thread was lost)
    /// leaves nothing built, so every row is built again in the transaction.
    async fn finish(&mut self) {
        if let Built::Pending(job) = &mut self.built {
            let docs = match job.await {
                Ok(v) => v.into_iter().map(Some).collect(),
                Err(e) => {
                    tracing::debug!(error = %e, "building ahead failed; the transaction builds");
                    Vec::new()
                }
            };
            self.built = Built::Done(docs);
        }
    }

    /// The document built for `p`'s row, if it was built from the same inputs. Call
    /// [`Ahead::finish`] first: while the build is pending this answers `None`.
    fn take(&mut self, p: &Prepared) -> Option<BuiltRow> {
        let i = *self.by_pos.get(&p.pos)?;
        if !same_inputs(&self.prepared[i], p) {
            return None;
        }
        match &mut self.built {
            Built::Done(docs) => docs.get_mut(i).and_then(Option::take),
            Built::Pending(_) => None,
        }
    }
}

/// Whether a document built from `a` is the document `b` would build (the builder is a pure
/// function of its context; the batch-wide parts, time, organization and key, are compared once).
fn same_inputs(a: &Prepared, b: &Prepared) -> bool {
    a.credential_id == b.credential_id
        && a.req == b.req
        && a.achievement_version == b.achievement_version
        && (std::sync::Arc::ptr_eq(&a.achievement, &b.achievement)
            || a.achievement == b.achievement)
        && a.recipient == b.recipient
        && a.revocation == b.revocation
        && a.suspension == b.suspension
}

/// A batch's transaction between [`Store::open_batch`] and [`Store::close_batch`].
struct OpenBatch {
    tx: Tx,
    /// How long [`Store::open_batch`] took (for the debug log).
    opened_in: std::time::Duration,
    ahead: Option<Ahead>,
    now: i64,
    results: Vec<(usize, RowResult)>,
    org_id: String,
    key: SigningKeyHandle,
    key_id: String,
    prepared: Vec<Prepared>,
    /// Statements that create the batch's new educators, run in [`Store::close_batch`].
    creates: Vec<Stmt>,
}

/// What [`Store::open_batch`] gives: a transaction to finish, or every row's answer already
/// (an unknown issuer, or one without an active key).
enum Opened {
    Batch(Box<OpenBatch>),
    Answered(Vec<(usize, Result<IssueOutcome, StoreError>)>),
}

/// What happened to one input row inside a batch.
enum RowResult {
    Done(Box<Result<IssueOutcome, StoreError>>),
    /// Same idempotency key as an earlier row of the batch: answer with that row's result.
    SameAs(usize, [u8; 32]),
}

struct EducatorInfo {
    id: String,
    /// Created by this batch.
    created: bool,
    salt: String,
    email: Option<String>,
    did: Option<String>,
    show_email: bool,
    show_did: bool,
}

impl EducatorInfo {
    /// Whether `other` names the recipient the same way (same identity hash and shown fields).
    fn same_identity(&self, other: &EducatorInfo) -> bool {
        self.id == other.id
            && self.salt == other.salt
            && self.email == other.email
            && self.did == other.did
            && self.show_email == other.show_email
            && self.show_did == other.show_did
    }

    fn identity(&self) -> Result<RecipientIdentity, StoreError> {
        let (identity, kind) = match (&self.email, &self.did) {
            (Some(e), _) => (e.as_str(), "emailAddress"),
            (None, Some(d)) => (d.as_str(), "did"),
            (None, None) => {
                return Err(StoreError::invalid(
                    "recipient",
                    format!("educator {} has no email or DID", self.id),
                ))
            }
        };
        Ok(RecipientIdentity {
            educator_id: self.id.clone(),
            identity_hash: recipient_identity_hash(identity, &self.salt),
            salt: self.salt.clone(),
            identity_type: kind,
            shown_email: self.email.clone().filter(|_| self.show_email),
            shown_did: self.did.clone().filter(|_| self.show_did),
        })
    }
}

impl Store {
    /// Issues one credential in one transaction. `build` receives the context (credential id,
    /// status entries, recipient, achievement, a signing handle) and returns the exact signed
    /// bytes to store. A retry with the same idempotency key returns the first result
    /// (`replayed: true`) without calling `build`; the same key with another payload is a
    /// [`StoreError::Conflict`].
    pub async fn issue<F, E>(&self, req: IssueRequest, build: F) -> Result<IssueOutcome, StoreError>
    where
        F: FnOnce(IssueContext<'_>) -> Result<String, E> + Send,
        E: std::error::Error + Send + Sync + 'static,
    {
        let slot = Mutex::new(Some(build));
        let once = |ctx: IssueContext<'_>| -> Result<String, BoxErr> {
            let f = slot
                .lock()
                .map_err(|_| BoxErr::from("builder lock poisoned"))?
                .take()
                .ok_or_else(|| BoxErr::from("builder already used"))?;
            f(ctx).map_err(|e| Box::new(e) as BoxErr)
        };
        let issuer_id = req.issuer_id.clone();
        let mut last_err = None;
        // A unique-key race with a concurrent request (or a transient failure) rolls the whole
        // transaction back; the retry then finds the winner's credential and replays it.
        for _ in 0..3 {
            match self
                .issue_batch(&issuer_id, vec![(0, req.clone())], &once, None)
                .await
            {
                Ok(mut v) => {
                    return v.pop().map(|(_, r)| r).unwrap_or_else(|| {
                        Err(StoreError::integrity("issuance produced no result"))
                    })
                }
                // The builder is FnOnce: once a failed attempt has used it, a retry here could
                // only fail with "builder already used"; the caller retries (same idempotency key).
                Err(e) if e.is_retryable() && slot.lock().map_or(true, |b| b.is_none()) => {
                    return Err(e)
                }
                Err(e) if e.is_unique_violation() || e.is_retryable() => last_err = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| StoreError::integrity("issuance did not complete")))
    }

    /// Issues the award of a pathway role at most once per educator: the first call issues, any
    /// later call (any payload) returns that credential with `replayed: true`.
    pub async fn award_once<F, E>(
        &self,
        educator_id: &str,
        role_id: &str,
        mut req: IssueRequest,
        build: F,
    ) -> Result<IssueOutcome, StoreError>
    where
        F: FnOnce(IssueContext<'_>) -> Result<String, E> + Send,
        E: std::error::Error + Send + Sync + 'static,
    {
        check_text("role_id", role_id, 512)?;
        req.recipient = Recipient::Educator(educator_id.to_owned());
        req.award_role_id = Some(role_id.to_owned());
        self.issue(req, build).await
    }

    /// Issues many credentials in batched transactions of [`BULK_BATCH_SIZE`]. Results come back
    /// in input order, one per row: a bad row is reported and the others still issue. If a batch
    /// fails as a whole (e.g. a race on an idempotency key), its rows are retried one by one.
    ///
    /// While one batch is written, the next is prepared and built ahead of its transaction
    /// ([`Ahead`]), so signing overlaps storing.
    pub async fn bulk_issue<F, E>(
        &self,
        reqs: Vec<IssueRequest>,
        build: F,
    ) -> Vec<Result<IssueOutcome, StoreError>>
    where
        F: Fn(IssueContext<'_>) -> Result<String, E> + Send + Sync + 'static,
        E: std::error::Error + Send + Sync + 'static,
    {
        let b: std::sync::Arc<Builder> = std::sync::Arc::new(move |ctx: IssueContext<'_>| {
            build(ctx).map_err(|e| Box::new(e) as BoxErr)
        });
        let n = reqs.len();
        let mut results: Vec<Option<Result<IssueOutcome, StoreError>>> =
            (0..n).map(|_| None).collect();
        // Group by issuer (one issuer's status lists are locked per batch, always in one order).
        let mut groups: Vec<(String, Vec<(usize, IssueRequest)>)> = Vec::new();
        for (i, r) in reqs.into_iter().enumerate() {
            match groups.iter_mut().find(|(iss, _)| *iss == r.issuer_id) {
                Some((_, v)) => v.push((i, r)),
                None => groups.push((r.issuer_id.clone(), vec![(i, r)])),
            }
        }
        for (issuer, rows) in groups {
            let batches: Vec<&[(usize, IssueRequest)]> = rows.chunks(BULK_BATCH_SIZE).collect();
            // One build at a time: a plan's build may still run while the next plan starts.
            let one_build = std::sync::Arc::new(Mutex::new(()));
            // A plan is a task of its own, so its reads and per-row work run on another thread
            // while this one drives the transaction of the batch before.
            let plan = |i: usize, avoid: HashSet<(String, u64)>| {
                let rows = batches.get(i)?.to_vec();
                let (store, issuer) = (self.clone(), issuer.clone());
                let (b, one_build) = (b.clone(), one_build.clone());
                Some(tokio::spawn(async move {
                    match store
                        .plan_ahead(&issuer, rows, &avoid, b, one_build, i == 0)
                        .await
                    {
                        Ok(a) => a,
                        Err(e) => {
                            tracing::debug!(error = %e, "planning a bulk batch ahead failed; its transaction builds it");
                            None
                        }
                    }
                }))
            };
            let planned = |job: Option<tokio::task::JoinHandle<Option<Ahead>>>| async move {
                match job?.await {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::debug!(error = %e, "a bulk plan's task failed; its transaction builds it");
                        None
                    }
                }
            };
            // The first batch is planned too, so its transaction overlaps its build.
            let mut ahead: Option<Ahead> = planned(plan(0, HashSet::new())).await;
            // PostgreSQL: the next batch's transaction, opened (its reads done) while this one
            // was written. SQLite has one writer, so there is nothing to overlap.
            let overlap = self.backend() == Backend::Postgres;
            let mut opened_next: Option<Result<Opened, StoreError>> = None;
            for (i, batch) in batches.iter().enumerate() {
                let batch = batch.to_vec();
                // Indexes the current batch was planned with count as taken for the next plan.
                let current_plan = match &opened_next {
                    Some(Ok(Opened::Batch(o))) => o.ahead.as_ref(),
                    _ => ahead.as_ref(),
                };
                let avoid: HashSet<(String, u64)> = current_plan
                    .into_iter()
                    .flat_map(Ahead::assignments)
                    .map(|a| (a.list_id.clone(), a.index))
                    .collect();
                let plan_next = plan(i + 1, avoid);
                let opened = match opened_next.take() {
                    Some(o) => o,
                    None => self.open_batch(&issuer, batch.clone(), ahead.take()).await,
                };
                // The next batch may read before this one commits only if nothing it reads is
                // written here: no recipient or idempotency key in common.
                let next = batches
                    .get(i + 1)
                    .filter(|next| overlap && independent(&batch, next));
                let outcome = match next {
                    Some(next) => {
                        let next = next.to_vec();
                        let (outcome, opened) =
                            futures::join!(self.finish_opened(&issuer, opened, &*b), async {
                                let a = planned(plan_next).await;
                                self.open_batch(&issuer, next, a).await
                            });
                        opened_next = Some(opened);
                        outcome
                    }
                    None => {
                        let outcome = self.finish_opened(&issuer, opened, &*b).await;
                        ahead = planned(plan_next).await;
                        outcome
                    }
                };
                match outcome {
                    Ok(v) => {
                        for (pos, r) in v {
                            results[pos] = Some(r);
                        }
                    }
                    Err(batch_err) => {
                        tracing::warn!(error = %batch_err, rows = batch.len(), "bulk batch failed; retrying rows one by one");
                        for (pos, req) in batch {
                            let mut out = Err(StoreError::integrity("not attempted"));
                            for _ in 0..3 {
                                match self
                                    .issue_batch(&issuer, vec![(pos, req.clone())], &*b, None)
                                    .await
                                {
                                    Ok(mut v) => {
                                        out = v.pop().map(|(_, r)| r).unwrap_or_else(|| {
                                            Err(StoreError::integrity("no result"))
                                        });
                                        break;
                                    }
                                    Err(e) if e.is_unique_violation() || e.is_retryable() => {
                                        out = Err(e)
                                    }
                                    Err(e) => {
                                        out = Err(e);
                                        break;
                                    }
                                }
                            }
                            results[pos] = Some(out);
                        }
                    }
                }
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(StoreError::integrity("row was not processed"))))
            .collect()
    }

    /// One transaction for rows of one issuer. `Err` means the whole batch rolled back. With
    /// `ahead`, rows whose inputs match the plan take the document built there.
    async fn issue_batch(
        &self,
        issuer_id: &str,
        rows: Vec<(usize, IssueRequest)>,
        build: &(dyn Fn(IssueContext<'_>) -> Result<String, BoxErr> + Sync),
        ahead: Option<Ahead>,
    ) -> Result<Vec<(usize, Result<IssueOutcome, StoreError>)>, StoreError> {
        let opened = self.open_batch(issuer_id, rows, ahead).await;
        self.finish_opened(issuer_id, opened, build).await
    }

    /// [`Store::close_batch`] for what [`Store::open_batch`] gave.
    async fn finish_opened(
        &self,
        issuer_id: &str,
        opened: Result<Opened, StoreError>,
        build: &(dyn Fn(IssueContext<'_>) -> Result<String, BoxErr> + Sync),
    ) -> Result<Vec<(usize, Result<IssueOutcome, StoreError>)>, StoreError> {
        match opened? {
            Opened::Answered(r) => Ok(r),
            Opened::Batch(open) => self.close_batch(issuer_id, *open, build).await,
        }
    }

    /// The first half of [`Store::issue_batch`]: begins the transaction and does its reads (the
    /// issuer and key, idempotency keys, educators, each row's inputs). It locks and writes
    /// nothing, so on PostgreSQL the next batch's can run while the batch before is written.
    async fn open_batch(
        &self,
        issuer_id: &str,
        rows: Vec<(usize, IssueRequest)>,
        ahead: Option<Ahead>,
    ) -> Result<Opened, StoreError> {
        let t0 = std::time::Instant::now();
        let mut tx = self.db().begin().await?;
        let mut ahead = ahead;
        let now = ahead.as_ref().map_or_else(now_ms, |a| a.now);
        let mut results: Vec<(usize, RowResult)> = Vec::with_capacity(rows.len());

        // Issuer and its active key, decrypted once per batch.
        let Some((org_id, key)) = self.issuer_and_key(&mut tx, issuer_id).await? else {
            return Ok(Opened::Answered(
                rows.into_iter()
                    .map(|(p, _)| (p, Err(StoreError::not_found("issuer", issuer_id))))
                    .collect(),
            ));
        };
        let Some(key) = key else {
            return Ok(Opened::Answered(
                rows.into_iter()
                    .map(|(p, _)| {
                        (
                            p,
                            Err(StoreError::conflict(format!(
                                "issuer {issuer_id} has no active signing key"
                            ))),
                        )
                    })
                    .collect(),
            ));
        };
        let key_id = key.key_id().to_owned();
        if ahead
            .as_ref()
            .is_some_and(|a| a.org_id != org_id || a.key_id != key_id)
        {
            ahead = None;
        }

        let existing = existing_by_key(&mut tx, &org_id, &rows).await?;
        let mut planned = ahead
            .as_mut()
            .map(|a| std::mem::take(&mut a.new_educators))
            .unwrap_or_default();
        let (educators, creates) = self
            .resolve_educators(&mut tx, &org_id, &rows, now, &mut planned, true)
            .await?;

        let mut achievements: AchievementCache = HashMap::new();
        let mut keys_in_batch: HashMap<String, usize> = HashMap::new();
        let mut prepared: Vec<Prepared> = Vec::new();
        for (pos, req) in rows {
            let r = self
                .prepare_row(
                    &mut tx,
                    &org_id,
                    pos,
                    req,
                    &existing,
                    &educators,
                    &mut achievements,
                    ahead.as_ref().map(|a| &a.achievements),
                    ahead.as_ref().and_then(|a| a.planned(pos)),
                    &mut keys_in_batch,
                )
                .await?;
            match r {
                Ok(Some(p)) => prepared.push(p),
                Ok(None) => {}
                Err(rr) => results.push((pos, rr)),
            }
        }
        Ok(Opened::Batch(Box::new(OpenBatch {
            tx,
            opened_in: t0.elapsed(),
            ahead,
            now,
            results,
            org_id,
            key,
            key_id,
            prepared,
            creates,
        })))
    }

    /// The second half of [`Store::issue_batch`]: allocates status indexes, takes the documents
    /// (built ahead, or builds them), appends to the log, writes and commits.
    async fn close_batch(
        &self,
        issuer_id: &str,
        open: OpenBatch,
        build: &(dyn Fn(IssueContext<'_>) -> Result<String, BoxErr> + Sync),
    ) -> Result<Vec<(usize, Result<IssueOutcome, StoreError>)>, StoreError> {
        let t0 = std::time::Instant::now();
        let OpenBatch {
            mut tx,
            opened_in,
            mut ahead,
            now,
            mut results,
            org_id,
            key,
            key_id,
            mut prepared,
            creates,
        } = open;

        // Status indexes for everything that will be built; a row gets the index it was built
        // with ahead when that one is still free.
        let n_rev = prepared.len();
        let n_susp = prepared.iter().filter(|p| p.req.suspendable).count();
        let prefer: Vec<StatusAssignment> = ahead
            .as_ref()
            .map(|a| a.assignments().cloned().collect())
            .unwrap_or_default();
        let mode = Alloc::Write { prefer: &prefer };
        let rev = self
            .allocate(
                &mut tx,
                issuer_id,
                StatusPurpose::Revocation,
                n_rev,
                now,
                mode,
            )
            .await?
            .unwrap_or_default();
        let susp = self
            .allocate(
                &mut tx,
                issuer_id,
                StatusPurpose::Suspension,
                n_susp,
                now,
                mode,
            )
            .await?
            .unwrap_or_default();
        let mut rev = Assigner::new(rev);
        let mut susp = Assigner::new(susp);
        let planned_row = |p: &Prepared| ahead.as_ref().and_then(|a| a.planned(p.pos));
        for p in prepared.iter_mut() {
            let plan = planned_row(p);
            p.revocation = rev.take(plan.and_then(|a| a.revocation.as_ref()));
        }
        for p in prepared.iter_mut() {
            if p.req.suspendable {
                let plan = planned_row(p);
                p.suspension = susp.take(plan.and_then(|a| a.suspension.as_ref()));
            }
        }
        rev.rest(prepared.iter_mut().map(|p| &mut p.revocation));
        susp.rest(
            prepared
                .iter_mut()
                .filter(|p| p.req.suspendable)
                .map(|p| &mut p.suspension),
        );

        let mut records: Vec<NewRecord> = Vec::with_capacity(prepared.len());
        let done = RowCtx {
            org_id: &org_id,
            issuer_id,
            key_id: &key_id,
            now,
        };
        // Build and sign: CPU-bound and independent per row, so it runs on all cores. The log
        // lock is taken after building, so it is held only while writing.
        let t_prepared = t0.elapsed();
        let mut built: Vec<Option<BuiltRow>> = Vec::with_capacity(prepared.len());
        let mut rebuild: Vec<&Prepared> = Vec::new();
        if let Some(a) = ahead.as_mut() {
            a.finish().await;
        }
        for p in &prepared {
            match ahead.as_mut().and_then(|a| a.take(p)) {
                Some(doc) => built.push(Some(doc)),
                None => {
                    built.push(None);
                    rebuild.push(p);
                }
            }
        }
        let reused = prepared.len() - rebuild.len();
        let mut fresh = build_all(&rebuild, &org_id, now, &key, build).into_iter();
        let built: Vec<BuiltRow> = built
            .into_iter()
            .map(|b| {
                b.or_else(|| fresh.next())
                    .unwrap_or_else(|| Err("no document was built".into()))
            })
            .collect();
        let t_built = t0.elapsed();
        let mut log = LogAppender::lock(&mut tx).await?;
        // The key was read when the batch opened, before any lock. A rotation appends to the log
        // too, so with the log locked the active key cannot change until this commits: if it
        // already has, the batch's documents name a retired key and would follow the rotation
        // in the log. The batch fails and its rows are retried with the new key.
        if crate::issuers::active_key_id(&mut tx, issuer_id, false)
            .await?
            .as_deref()
            != Some(key_id.as_str())
        {
            return Err(StoreError::conflict(format!(
                "the signing key of issuer {issuer_id} changed while a batch was prepared"
            )));
        }
        log.reserve(prepared.len());
        // From here each statement is made while the one before it runs: the new educators are
        // written while the records and log leaves are made, each part of the credentials while
        // the next part is bound, the log's rows while the last credentials go in.
        let backend = tx.backend();
        let mut queue: std::collections::VecDeque<Stmt> = creates.into();
        tx.execute_while(queue.pop_front(), || -> Result<(), StoreError> {
            for (p, b) in prepared.iter().zip(built) {
                done.finish_row(p, b, &mut log, &mut records, &mut results)?;
            }
            Ok(())
        })
        .await??;
        let t_logged = t0.elapsed();
        let per_statement = match backend {
            Backend::Sqlite => 200,
            Backend::Postgres => records.len().max(1),
        };
        let mut parts = records.chunks_mut(per_statement);
        let mut log_made = false;
        loop {
            let stmt = queue.pop_front();
            if stmt.is_none() && parts.len() == 0 && log_made {
                break;
            }
            let more = tx
                .execute_while(stmt, || match parts.next() {
                    Some(part) => credential_statements(backend, part),
                    None if !log_made => {
                        log_made = true;
                        log.take_statements(backend)
                    }
                    None => Ok(Vec::new()),
                })
                .await??;
            queue.extend(more);
        }
        log.move_head(&mut tx).await?;
        write_awards(&mut tx, &records, now).await?;
        let t_written = t0.elapsed();
        tx.commit().await?;
        tracing::debug!(
            rows = records.len(),
            built_ahead = reused,
            open = ?opened_in,
            allocate = ?t_prepared,
            build = ?(t_built - t_prepared),
            log = ?(t_logged - t_built),
            write = ?(t_written - t_logged),
            commit = ?(t0.elapsed() - t_written),
            "bulk batch"
        );

        // Rows answered by another row of the batch (same idempotency key) need its record.
        let wanted: HashSet<usize> = results
            .iter()
            .filter_map(|(_, r)| match r {
                RowResult::SameAs(first, _) => Some(*first),
                RowResult::Done(_) => None,
            })
            .collect();
        let mut by_pos: HashMap<usize, CredentialRecord> = HashMap::new();
        let mut out: Vec<(usize, Result<IssueOutcome, StoreError>)> = Vec::new();
        let mut hash_by_pos: HashMap<usize, [u8; 32]> = HashMap::new();
        for NewRecord {
            pos,
            record: rec,
            request_hash: h,
            new_educator,
            ..
        } in records
        {
            hash_by_pos.insert(pos, h);
            if wanted.contains(&pos) {
                by_pos.insert(pos, rec.clone());
            }
            out.push((
                pos,
                Ok(IssueOutcome {
                    credential: rec,
                    replayed: false,
                    new_educator,
                }),
            ));
        }
        for (pos, r) in results {
            let r = match r {
                RowResult::Done(r) => *r,
                RowResult::SameAs(first, h) => {
                    match (by_pos.get(&first), hash_by_pos.get(&first)) {
                        (Some(rec), Some(fh)) if *fh == h => Ok(IssueOutcome {
                            credential: rec.clone(),
                            replayed: true,
                            new_educator: false,
                        }),
                        (Some(_), Some(_)) => Err(StoreError::conflict(
                            "idempotency key reused with a different payload",
                        )),
                        _ => Err(StoreError::conflict(
                            "idempotency key reused in the batch by a row that failed",
                        )),
                    }
                }
            };
            out.push((pos, r));
        }
        out.sort_by_key(|(p, _)| *p);
        Ok(out)
    }

    /// The issuer's organization and its active key, decrypted; `None` for an unknown issuer,
    /// and no key when the issuer has none active.
    async fn issuer_and_key(
        &self,
        tx: &mut Tx,
        issuer_id: &str,
    ) -> Result<Option<(String, Option<SigningKeyHandle>)>, StoreError> {
        let Some(row) = tx.fetch_optional(ISSUER_KEY_SQL, args![issuer_id]).await? else {
            return Ok(None);
        };
        let org_id = row.text("org_id")?;
        let key = match row.opt_text("key_id")? {
            Some(key_id) => {
                let seed = self.inner.kek.open(&key_id, &row.bytes("sealed_seed")?)?;
                Some(SigningKeyHandle::new(key_id, seed))
            }
            None => None,
        };
        Ok(Some((org_id, key)))
    }

    /// Prepares and builds `rows` ahead of their transaction (see [`Ahead`]), from a read-only
    /// snapshot in which the indexes in `avoid` count as taken. Writes and locks nothing. `None`
    /// when there is nothing worth planning (no issuer key, or a status list would have to be
    /// opened): the transaction then does all the work itself.
    async fn plan_ahead(
        &self,
        issuer_id: &str,
        rows: Vec<(usize, IssueRequest)>,
        avoid: &HashSet<(String, u64)>,
        build: std::sync::Arc<Builder>,
        one_build: std::sync::Arc<Mutex<()>>,
        spread: bool,
    ) -> Result<Option<Ahead>, StoreError> {
        let mut tx = self.db().begin_read().await?;
        let now = now_ms();
        let Some((org_id, Some(key))) = self.issuer_and_key(&mut tx, issuer_id).await? else {
            return Ok(None);
        };
        let key_id = key.key_id().to_owned();
        let existing = existing_by_key(&mut tx, &org_id, &rows).await?;
        let mut new_educators = HashMap::new();
        let (educators, _) = self
            .resolve_educators(&mut tx, &org_id, &rows, now, &mut new_educators, false)
            .await?;
        let mut achievements: AchievementCache = HashMap::new();
        let mut keys_in_batch: HashMap<String, usize> = HashMap::new();
        let mut prepared: Vec<Prepared> = Vec::new();
        for (pos, req) in rows {
            let r = self
                .prepare_row(
                    &mut tx,
                    &org_id,
                    pos,
                    req,
                    &existing,
                    &educators,
                    &mut achievements,
                    None,
                    None,
                    &mut keys_in_batch,
                )
                .await?;
            if let Ok(Some(p)) = r {
                prepared.push(p);
            }
        }
        let n_rev = prepared.len();
        let n_susp = prepared.iter().filter(|p| p.req.suspendable).count();
        let mode = Alloc::Plan { avoid };
        let Some(rev) = self
            .allocate(
                &mut tx,
                issuer_id,
                StatusPurpose::Revocation,
                n_rev,
                now,
                mode,
            )
            .await?
        else {
            return Ok(None);
        };
        let Some(susp) = self
            .allocate(
                &mut tx,
                issuer_id,
                StatusPurpose::Suspension,
                n_susp,
                now,
                mode,
            )
            .await?
        else {
            return Ok(None);
        };
        drop(tx);
        Assigner::new(rev).rest(prepared.iter_mut().map(|p| &mut p.revocation));
        Assigner::new(susp).rest(
            prepared
                .iter_mut()
                .filter(|p| p.req.suspendable)
                .map(|p| &mut p.suspension),
        );
        // One thread: the transaction of the batch before keeps the other cores busy. A pooled
        // blocking thread, not a fresh one per batch, keeps its allocator's pages warm. With
        // `spread` (the first batch of a call: no batch before it to overlap, and its
        // transaction waits for the whole build) on all cores. The job is not awaited here (see
        // [`Ahead`]).
        let prepared = std::sync::Arc::new(prepared);
        let job = {
            let prepared = prepared.clone();
            let org = org_id.clone();
            tokio::task::spawn_blocking(move || {
                let _one = one_build
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if spread {
                    let rows: Vec<&Prepared> = prepared.iter().collect();
                    build_all(&rows, &org, now, &key, &*build)
                } else {
                    prepared
                        .iter()
                        .map(|p| build_one(p, &org, now, &key, &*build))
                        .collect()
                }
            })
        };
        Ok(Some(Ahead {
            now,
            org_id,
            key_id,
            new_educators,
            achievements,
            by_pos: prepared
                .iter()
                .enumerate()
                .map(|(i, p)| (p.pos, i))
                .collect(),
            prepared,
            built: Built::Pending(job),
        }))
    }

    /// Looks up (or plans, for unknown emails) the educators named by the rows, in bulk. An
    /// unknown email gets the id and salt `planned` holds for it (a plan made ahead of the
    /// transaction), else new ones, recorded in `planned`. With `write`, also the statements
    /// that create those educators, for the caller to run before anything refers to them.
    async fn resolve_educators(
        &self,
        tx: &mut Tx,
        org_id: &str,
        rows: &[(usize, IssueRequest)],
        now: i64,
        planned: &mut HashMap<String, (String, String)>,
        write: bool,
    ) -> Result<(HashMap<String, std::sync::Arc<EducatorInfo>>, Vec<Stmt>), StoreError> {
        // Keyed by "id:<educator id>" or "email:<normalized email>".
        let mut out: HashMap<String, std::sync::Arc<EducatorInfo>> = HashMap::new();
        let mut ids: Vec<String> = Vec::new();
        let mut emails: Vec<String> = Vec::new();
        for (_, r) in rows {
            match &r.recipient {
                Recipient::Educator(id) => ids.push(id.clone()),
                Recipient::Email(e) => {
                    if let Ok(e) = normalize_email(e) {
                        emails.push(e);
                    }
                }
            }
        }
        emails.sort();
        emails.dedup();
        ids.sort();
        ids.dedup();
        let mut email_to_id: HashMap<String, String> = HashMap::new();
        for chunk in emails.chunks(500) {
            let (sql, a) = keyed_sql(
                tx.backend(),
                "value, educator_id",
                "educator_identifiers",
                "kind = 'email'",
                "value",
                Keys::Text(chunk),
                "",
                Vec::new(),
            );
            for r in tx.fetch_all(&sql, a).await? {
                email_to_id.insert(r.text("value")?, r.text("educator_id")?);
            }
        }
        // Unknown emails become educators of the issuing organization.
        let missing: Vec<&String> = emails
            .iter()
            .filter(|e| !email_to_id.contains_key(*e))
            .collect();
        // Educators created here are known without reading them back.
        let mut created: HashMap<String, EducatorInfo> = HashMap::with_capacity(missing.len());
        let mut ed_rows = Vec::with_capacity(missing.len());
        let mut id_rows = Vec::with_capacity(missing.len());
        for e in missing {
            let (id, salt) = match planned.get(e) {
                Some(p) => p.clone(),
                None => {
                    let p = (
                        new_sorted_id("edu")?,
                        hex::encode(crate::crypto::random_bytes::<16>()?),
                    );
                    planned.insert(e.clone(), p.clone());
                    p
                }
            };
            created.insert(
                id.clone(),
                EducatorInfo {
                    id: id.clone(),
                    created: true,
                    salt: salt.clone(),
                    email: Some(e.clone()),
                    did: None,
                    show_email: false,
                    show_did: false,
                },
            );
            if write {
                ed_rows.push(args![
                    id.as_str(),
                    org_id,
                    e.as_str(),
                    salt,
                    false,
                    false,
                    false,
                    now
                ]);
                id_rows.push(args!["email", e.as_str(), id.as_str(), true]);
            }
            email_to_id.insert(e.clone(), id);
        }
        let mut creates = insert_statements(
            tx.backend(),
            "educators",
            &[
                ("id", Col::Text),
                ("org_id", Col::Text),
                ("display_name", Col::Text),
                ("salt", Col::Text),
                ("show_email", Col::Bool),
                ("show_did", Col::Bool),
                ("community_opt_in", Col::Bool),
                ("created_ms", Col::I64),
            ],
            ed_rows,
            200,
        )?;
        creates.extend(insert_statements(
            tx.backend(),
            "educator_identifiers",
            &[
                ("kind", Col::Text),
                ("value", Col::Text),
                ("educator_id", Col::Text),
                ("is_primary", Col::Bool),
            ],
            id_rows,
            200,
        )?);
        let mut all_ids: Vec<String> = ids.clone();
        all_ids.extend(email_to_id.values().cloned());
        all_ids.retain(|id| !created.contains_key(id));
        all_ids.sort();
        all_ids.dedup();
        let mut infos: HashMap<String, EducatorInfo> = created;
        for chunk in all_ids.chunks(500) {
            let (sql, a) = keyed_sql(
                tx.backend(),
                "id, salt, show_email, show_did",
                "educators",
                "",
                "id",
                Keys::Text(chunk),
                "",
                Vec::new(),
            );
            for r in tx.fetch_all(&sql, a).await? {
                let id = r.text("id")?;
                infos.insert(
                    id.clone(),
                    EducatorInfo {
                        id,
                        created: false,
                        salt: r.text("salt")?,
                        email: None,
                        did: None,
                        show_email: r.bool("show_email")?,
                        show_did: r.bool("show_did")?,
                    },
                );
            }
            let (sql, a) = keyed_sql(
                tx.backend(),
                "educator_id, kind, value, is_primary",
                "educator_identifiers",
                "",
                "educator_id",
                Keys::Text(chunk),
                "is_primary DESC, value",
                Vec::new(),
            );
            for r in tx.fetch_all(&sql, a).await? {
                if let Some(info) = infos.get_mut(&r.text("educator_id")?) {
                    let v = r.text("value")?;
                    match r.text("kind")?.as_str() {
                        "email" if info.email.is_none() => info.email = Some(v),
                        "did" if info.did.is_none() => info.did = Some(v),
                        _ => {}
                    }
                }
            }
        }
        let infos: HashMap<String, std::sync::Arc<EducatorInfo>> = infos
            .into_iter()
            .map(|(id, info)| (id, std::sync::Arc::new(info)))
            .collect();
        for (email, id) in email_to_id {
            if let Some(info) = infos.get(&id) {
                out.insert(format!("email:{email}"), info.clone());
            }
        }
        for (id, info) in infos {
            out.insert(format!("id:{id}"), info);
        }
        Ok((out, creates))
    }

    /// Validates one row. `Ok(Ok(Some))` = to build; `Ok(Ok(None))` never; `Ok(Err(r))` = answered now.
    #[allow(clippy::too_many_arguments)]
    async fn prepare_row(
        &self,
        tx: &mut Tx,
        org_id: &str,
        pos: usize,
        req: IssueRequest,
        existing: &HashMap<String, Row>,
        educators: &HashMap<String, std::sync::Arc<EducatorInfo>>,
        achievements: &mut AchievementCache,
        seen_ahead: Option<&AchievementCache>,
        planned: Option<&Prepared>,
        keys_in_batch: &mut HashMap<String, usize>,
    ) -> Result<Result<Option<Prepared>, RowResult>, StoreError> {
        let fail = |e: StoreError| Ok(Err(RowResult::Done(Box::new(Err(e)))));
        if let Err(e) = check_text("achievement_id", &req.achievement_id, 2048) {
            return fail(e);
        }
        // A planned row keeps its credential id, whatever else changed (ids are never reused),
        // and, planned from the same request, what the plan derived from it.
        let planned_id = planned.map(|p| p.credential_id.clone());
        let planned = planned.filter(|p| p.req == req);
        let rh = match planned {
            Some(p) => p.request_hash,
            None => match request_hash(&req) {
                Ok(h) => h,
                Err(e) => return fail(e),
            },
        };
        if let Some(k) = &req.idempotency_key {
            if let Err(e) = check_text("idempotency_key", k, 255) {
                return fail(e);
            }
            if let Some(row) = existing.get(k) {
                let same = row.bytes("request_hash")? == rh.to_vec();
                return Ok(Err(RowResult::Done(Box::new(if same {
                    row_to_credential(row, self.status_base_url()).map(|credential| IssueOutcome {
                        credential,
                        replayed: true,
                        new_educator: false,
                    })
                } else {
                    Err(StoreError::conflict(format!(
                        "idempotency key {k:?} was already used with a different request"
                    )))
                }))));
            }
            if let Some(first) = keys_in_batch.get(k) {
                return Ok(Err(RowResult::SameAs(*first, rh)));
            }
            keys_in_batch.insert(k.clone(), pos);
        }
        let key = match &req.recipient {
            Recipient::Educator(id) => format!("id:{id}"),
            Recipient::Email(e) => match normalize_email(e) {
                Ok(e) => format!("email:{e}"),
                Err(e) => return fail(e),
            },
        };
        let Some(edu) = educators.get(&key) else {
            let id = match &req.recipient {
                Recipient::Educator(id) | Recipient::Email(id) => id.clone(),
            };
            return fail(StoreError::not_found("educator", id));
        };
        let recipient = match planned.filter(|p| p.educator.same_identity(edu)) {
            Some(p) => p.recipient.clone(),
            None => match edu.identity() {
                Ok(r) => r,
                Err(e) => return fail(e),
            },
        };
        if let Some(role) = &req.award_role_id {
            if let Err(e) = check_text("award_role_id", role, 512) {
                return fail(e);
            }
            let sql = format!(
                "SELECT {CRED_COLS} FROM credentials WHERE id = (SELECT credential_id FROM awards WHERE educator_id = $1 AND role_id = $2)"
            );
            if let Some(row) = tx
                .fetch_optional(&sql, args![edu.id.as_str(), role.as_str()])
                .await?
            {
                return Ok(Err(RowResult::Done(Box::new(
                    row_to_credential(&row, self.status_base_url()).map(|credential| {
                        IssueOutcome {
                            credential,
                            replayed: true,
                            new_educator: false,
                        }
                    }),
                ))));
            }
        }
        if let Some(prev) = &req.previous_credential_id {
            let row = tx
                .fetch_optional(
                    "SELECT org_id, educator_id, achievement_id FROM credentials WHERE id = $1",
                    args![prev.as_str()],
                )
                .await?;
            match row {
                None => return fail(StoreError::not_found("credential", prev.clone())),
                Some(r) => {
                    if r.text("org_id")? != org_id
                        || r.opt_text("educator_id")?.as_deref() != Some(edu.id.as_str())
                        || r.text("achievement_id")? != req.achievement_id
                    {
                        return fail(StoreError::invalid(
                            "previous_credential_id",
                            "a renewal must be for the same organization, educator and achievement",
                        ));
                    }
                }
            }
        }
        let ak = (req.achievement_id.clone(), req.achievement_version);
        let (version, doc) = match achievements.get(&ak) {
            Some(v) => v.clone(),
            None => {
                let row = match req.achievement_version {
                    Some(v) => tx.fetch_optional(
                        "SELECT version, document FROM definitions WHERE kind = 'achievement' AND id = $1 AND version = $2",
                        args![req.achievement_id.as_str(), v],
                    ).await?,
                    None => tx.fetch_optional(
                        "SELECT version, document FROM definitions WHERE kind = 'achievement' AND id = $1 ORDER BY version DESC LIMIT 1",
                        args![req.achievement_id.as_str()],
                    ).await?,
                };
                let Some(row) = row else {
                    return fail(StoreError::not_found(
                        "achievement",
                        req.achievement_id.clone(),
                    ));
                };
                let doc: Value = serde_json::from_str(&row.text("document")?)
                    .map_err(|e| StoreError::integrity(format!("stored definition: {e}")))?;
                let version = row.i64("version")?;
                // The same definition as the plan read shares its allocation, so rows built ahead
                // compare equal by pointer.
                let v = match seen_ahead.and_then(|c| c.get(&ak)) {
                    Some((sv, sd)) if *sv == version && **sd == doc => (version, sd.clone()),
                    _ => (version, std::sync::Arc::new(doc)),
                };
                achievements.insert(ak, v.clone());
                v
            }
        };
        Ok(Ok(Some(Prepared {
            pos,
            req,
            request_hash: rh,
            achievement_version: version,
            achievement: doc,
            recipient,
            educator: edu.clone(),
            new_educator: edu.created,
            credential_id: match planned_id {
                Some(id) => id,
                None => new_credential_id()?,
            },
            revocation: None,
            suspension: None,
        })))
    }
}

/// A credential built and signed in this batch, waiting to be written.
struct NewRecord {
    pos: usize,
    record: CredentialRecord,
    /// `record.document` once more, moved into the insert (see [`Signed::for_sql`]).
    for_sql: String,
    request_hash: [u8; 32],
    award_role_id: Option<String>,
    new_educator: bool,
}

/// What every row of one batch shares once it is built.
struct RowCtx<'a> {
    org_id: &'a str,
    issuer_id: &'a str,
    key_id: &'a str,
    now: i64,
}

impl RowCtx<'_> {
    /// Turns one built row into its record and log leaf, or into its per-row error. `Err` is
    /// an integrity failure of the whole batch.
    fn finish_row(
        &self,
        p: &Prepared,
        built: BuiltRow,
        log: &mut LogAppender,
        records: &mut Vec<NewRecord>,
        results: &mut Vec<(usize, RowResult)>,
    ) -> Result<(), StoreError> {
        let Signed {
            doc,
            hash: doc_hash,
            for_sql,
        } = match built {
            Ok(d) => d,
            Err(e) => {
                results.push((p.pos, RowResult::Done(Box::new(Err(StoreError::Build(e))))));
                return Ok(());
            }
        };
        let Some(revocation) = p.revocation.clone() else {
            return Err(StoreError::integrity("status allocation came up short"));
        };
        let mut leaf = LeafData::new("issue", self.now);
        leaf.credential_id = Some(&p.credential_id);
        leaf.credential_sha256 = Some(hex::encode(doc_hash));
        leaf.issuer_id = Some(self.issuer_id);
        leaf.key_id = Some(self.key_id);
        leaf.previous_id = p.req.previous_credential_id.as_deref();
        let data = leaf.to_bytes()?;
        let log_index = log.append("issue", Some(&p.credential_id), data, self.now)?;
        records.push(NewRecord {
            pos: p.pos,
            for_sql,
            record: CredentialRecord {
                id: p.credential_id.clone(),
                org_id: self.org_id.to_owned(),
                issuer_id: self.issuer_id.to_owned(),
                key_id: self.key_id.to_owned(),
                achievement_id: p.req.achievement_id.clone(),
                achievement_version: p.achievement_version,
                educator_id: Some(p.recipient.educator_id.clone()),
                recipient_hash: p.recipient.identity_hash.clone(),
                document: doc,
                document_hash: doc_hash,
                issued_ms: self.now,
                valid_until_ms: p.req.valid_until_ms,
                status: CredentialStatus::Active,
                status_reason: None,
                idempotency_key: p.req.idempotency_key.clone(),
                previous_id: p.req.previous_credential_id.clone(),
                revocation,
                suspension: p.suspension.clone(),
                log_index,
            },
            request_hash: p.request_hash,
            award_role_id: p.req.award_role_id.clone(),
            new_educator: p.new_educator,
        });
        Ok(())
    }
}

/// Whether batch `b` reads nothing batch `a` writes, so `b`'s transaction may do its reads
/// before `a` commits: no recipient (an email `a` may create an educator for, or an educator it
/// may award) and no idempotency key in common. Emails compare trimmed and lowercased, as they
/// are stored; a finer match would only let fewer batches overlap.
fn independent(a: &[(usize, IssueRequest)], b: &[(usize, IssueRequest)]) -> bool {
    let key = |r: &IssueRequest| match &r.recipient {
        Recipient::Email(e) => format!("email:{}", e.trim().to_lowercase()),
        Recipient::Educator(id) => format!("educator:{id}"),
    };
    let mut seen: HashSet<String> = HashSet::with_capacity(a.len() * 2);
    for (_, r) in a {
        seen.insert(key(r));
        if let Some(k) = &r.idempotency_key {
            seen.insert(format!("key:{k}"));
        }
    }
    b.iter().all(|(_, r)| {
        !seen.contains(&key(r))
            && r.idempotency_key
                .as_ref()
                .is_none_or(|k| !seen.contains(&format!("key:{k}")))
    })
}

/// The stored credentials for the idempotency keys of `rows`, by key.
async fn existing_by_key(
    tx: &mut Tx,
    org_id: &str,
    rows: &[(usize, IssueRequest)],
) -> Result<HashMap<String, Row>, StoreError> {
    let keys: Vec<String> = rows
        .iter()
        .filter_map(|(_, r)| r.idempotency_key.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut existing: HashMap<String, Row> = HashMap::new();
    for chunk in keys.chunks(500) {
        let (sql, a) = keyed_sql(
            tx.backend(),
            CRED_COLS,
            "credentials",
            "org_id = $1",
            "idempotency_key",
            Keys::Text(chunk),
            "",
            args![org_id],
        );
        for r in tx.fetch_all(&sql, a).await? {
            if let Some(k) = r.opt_text("idempotency_key")? {
                existing.insert(k, r);
            }
        }
    }
    Ok(existing)
}

/// Builds one row and hashes its document; a panicking builder fails only its own row.
fn build_one(
    p: &Prepared,
    org_id: &str,
    now: i64,
    key: &SigningKeyHandle,
    build: &(dyn Fn(IssueContext<'_>) -> Result<String, BoxErr> + Sync),
) -> BuiltRow {
    let Some(revocation) = p.revocation.as_ref() else {
        return Err("no status index allocated".into());
    };
    let call = || {
        build(IssueContext {
            credential_id: p.credential_id.clone(),
            request: &p.req,
            org_id,
            issued_ms: now,
            achievement_version: p.achievement_version,
            achievement: &p.achievement,
            recipient: &p.recipient,
            revocation,
            suspension: p.suspension.as_ref(),
            key,
        })
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call))
        .unwrap_or_else(|_| Err("builder panicked".into()))
        .map(|doc| Signed {
            hash: sha256(doc.as_bytes()),
            for_sql: doc.clone(),
            doc,
        })
}

/// Builds every row, on all cores for a batch worth splitting.
fn build_all(
    prepared: &[&Prepared],
    org_id: &str,
    now: i64,
    key: &SigningKeyHandle,
    build: &(dyn Fn(IssueContext<'_>) -> Result<String, BoxErr> + Sync),
) -> Vec<BuiltRow> {
    let one = |p: &&Prepared| build_one(p, org_id, now, key, build);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if prepared.len() < 32 || threads < 2 {
        return prepared.iter().map(one).collect();
    }
    let chunk = prepared.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = prepared
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(one).collect::<Vec<_>>()))
            .collect();
        let mut out = Vec::with_capacity(prepared.len());
        for (h, c) in handles.into_iter().zip(prepared.chunks(chunk)) {
            match h.join() {
                Ok(v) => out.extend(v),
                // `build_one` catches builder panics; this is only a last resort.
                Err(_) => out.extend(
                    c.iter()
                        .map(|_| Err::<Signed, BoxErr>("builder panicked".into())),
                ),
            }
        }
        out
    })
}

/// The credentials columns with their types, in [`CRED_COLS`] order.
const CRED_TYPES: [(&str, Col); 22] = [
    ("id", Col::Text),
    ("org_id", Col::Text),
    ("issuer_id", Col::Text),
    ("key_id", Col::Text),
    ("achievement_id", Col::Text),
    ("achievement_version", Col::I64),
    ("educator_id", Col::Text),
    ("recipient_hash", Col::Text),
    ("document", Col::Text),
    ("document_hash", Col::Bytes),
    ("issued_ms", Col::I64),
    ("valid_until_ms", Col::I64),
    ("status", Col::Text),
    ("status_reason", Col::Text),
    ("idempotency_key", Col::Text),
    ("request_hash", Col::Bytes),
    ("previous_id", Col::Text),
    ("revocation_list_id", Col::Text),
    ("revocation_index", Col::I64),
    ("suspension_list_id", Col::Text),
    ("suspension_index", Col::I64),
    ("log_index", Col::I64),
];

/// The statements that insert `records` into `credentials`; each record's SQL copy of its
/// document moves into them.
fn credential_statements(
    backend: Backend,
    records: &mut [NewRecord],
) -> Result<Vec<Stmt>, StoreError> {
    let rows = records
        .iter_mut()
        .map(
            |NewRecord {
                 record: c,
                 request_hash: rh,
                 for_sql,
                 ..
             }| {
                args![
                    c.id.as_str(),
                    c.org_id.as_str(),
                    c.issuer_id.as_str(),
                    c.key_id.as_str(),
                    c.achievement_id.as_str(),
                    c.achievement_version,
                    c.educator_id.clone(),
                    c.recipient_hash.as_str(),
                    std::mem::take(for_sql),
                    c.document_hash.to_vec(),
                    c.issued_ms,
                    c.valid_until_ms,
                    c.status.as_str(),
                    c.status_reason.clone(),
                    c.idempotency_key.clone(),
                    rh.to_vec(),
                    c.previous_id.clone(),
                    c.revocation.list_id.as_str(),
                    c.revocation.index as i64,
                    c.suspension.as_ref().map(|s| s.list_id.clone()),
                    c.suspension.as_ref().map(|s| s.index as i64),
                    c.log_index as i64
                ]
            },
        )
        .collect();
    insert_statements(backend, "credentials", &CRED_TYPES, rows, usize::MAX)
}

/// Records the roles that `records` were awarded for (after the credentials are stored).
async fn write_awards(tx: &mut Tx, records: &[NewRecord], now: i64) -> Result<(), StoreError> {
    for NewRecord {
        record: c,
        award_role_id: role,
        ..
    } in records
    {
        if let (Some(role), Some(edu)) = (role, &c.educator_id) {
            tx.execute(
                "INSERT INTO awards (educator_id, role_id, credential_id, created_ms) VALUES ($1, $2, $3, $4)",
                args![edu.as_str(), role.as_str(), c.id.as_str(), now],
            )
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::bits::ListBits;
    use crate::testutil::{drop_pg, echo, issuer_with_achievement, pg_store, sqlite_store};
    use crate::NewEducator;

    #[test]
    fn batches_are_independent_without_shared_recipients_or_keys() {
        let req = |r: Recipient, key: Option<&str>| {
            let mut q = IssueRequest::new("iss", "ach", r);
            q.idempotency_key = key.map(str::to_owned);
            (0, q)
        };
        let email = |e: &str| Recipient::Email(e.into());
        let a = [
            req(email("a@x.org"), None),
            req(Recipient::Educator("edu_1".into()), Some("k1")),
        ];
        assert!(independent(&a, &[req(email("b@x.org"), Some("k2"))]));
        // The same email in another case and with spaces, the same educator, the same key.
        assert!(!independent(&a, &[req(email(" A@X.org"), None)]));
        assert!(!independent(
            &a,
            &[req(Recipient::Educator("edu_1".into()), None)]
        ));
        assert!(!independent(&a, &[req(email("c@x.org"), Some("k1"))]));
        assert!(independent(&a, &[]));
    }

    fn builder() -> std::sync::Arc<Builder> {
        std::sync::Arc::new(|ctx: IssueContext<'_>| echo(ctx).map_err(|e| Box::new(e) as BoxErr))
    }

    /// Every change made behind a plan's back (an email that became an educator, an educator's
    /// privacy choice, a status index someone else took) shows in the credential: those rows are
    /// built again in the transaction, the others keep the document built ahead.
    async fn stale_plan_is_corrected(store: &Store) {
        let (org, issuer) = issuer_with_achievement(store, "Plan", "ach-plan").await;
        let kept = store
            .create_educator(NewEducator {
                org_id: org.id.clone(),
                display_name: "Kept".into(),
                emails: vec!["kept@example.org".into()],
                ..Default::default()
            })
            .await
            .unwrap();
        let private = store
            .create_educator(NewEducator {
                org_id: org.id.clone(),
                display_name: "Changes Mind".into(),
                emails: vec!["shows@example.org".into()],
                ..Default::default()
            })
            .await
            .unwrap();
        let req = |r: Recipient| IssueRequest::new(&issuer.id, "ach-plan", r);
        let rows: Vec<(usize, IssueRequest)> = vec![
            (0, req(Recipient::Email("kept@example.org".into()))),
            (1, req(Recipient::Email("raced@example.org".into()))),
            (2, req(Recipient::Email("fresh@example.org".into()))),
            (3, req(Recipient::Educator(private.id.clone()))),
            (4, req(Recipient::Educator(kept.id.clone()))),
        ];
        // A plan uses the issuer's open status list; the first credential opens it.
        assert!(store
            .plan_ahead(
                &issuer.id,
                rows.clone(),
                &HashSet::new(),
                builder(),
                Default::default(),
                false,
            )
            .await
            .unwrap()
            .is_none());
        store
            .issue(req(Recipient::Educator(kept.id.clone())), echo)
            .await
            .unwrap();
        let b = builder();
        let mut plan = store
            .plan_ahead(
                &issuer.id,
                rows.clone(),
                &HashSet::new(),
                b.clone(),
                Default::default(),
                true,
            )
            .await
            .unwrap()
            .expect("a plan");
        assert_eq!(plan.prepared.len(), 5);
        plan.finish().await;
        let planned_doc = |pos: usize| match &plan.built {
            Built::Done(docs) => docs[plan.by_pos[&pos]]
                .as_ref()
                .unwrap()
                .as_ref()
                .unwrap()
                .doc
                .clone(),
            Built::Pending(_) => panic!("the build has finished"),
        };
        let (d0, d1, d2, d3, d4) = (
            planned_doc(0),
            planned_doc(1),
            planned_doc(2),
            planned_doc(3),
            planned_doc(4),
        );

        // Behind the plan's back: the unknown email becomes an educator through another request,
        // an educator opts in to showing their email, and the new educator's planned status index
        // goes to another credential.
        let raced = store
            .issue(req(Recipient::Email("raced@example.org".into())), echo)
            .await
            .unwrap()
            .credential;
        store
            .set_educator_preferences(&private.id, true, false, false)
            .await
            .unwrap();
        let stolen = plan.planned(2).unwrap().revocation.clone().unwrap();
        let fresh_educator = plan.planned(2).unwrap().recipient.educator_id.clone();
        let mut tx = store.db().begin().await.unwrap();
        let list = tx
            .fetch_optional(
                "SELECT capacity, taken FROM status_lists WHERE id = $1",
                args![stolen.list_id.as_str()],
            )
            .await
            .unwrap()
            .unwrap();
        let mut taken = ListBits::from_bytes(
            &stolen.list_id,
            list.opt_bytes("taken").unwrap().unwrap(),
            list.u64("capacity").unwrap(),
        )
        .unwrap();
        assert!(taken.claim(stolen.index));
        tx.execute(
            "UPDATE status_lists SET allocated = allocated + 1, taken = $1 WHERE id = $2",
            args![taken.as_bytes(), stolen.list_id.as_str()],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let out = store
            .issue_batch(&issuer.id, rows, &*b, Some(plan))
            .await
            .unwrap();
        let recs: Vec<CredentialRecord> = out
            .into_iter()
            .map(|(_, r)| r.unwrap().credential)
            .collect();
        // Unchanged rows keep what was built ahead.
        assert_eq!(recs[0].document, d0);
        assert_eq!(recs[4].document, d4);
        // The raced email is the educator the other request created, not the planned one.
        assert_ne!(recs[1].document, d1);
        assert_eq!(recs[1].educator_id, raced.educator_id);
        assert_eq!(recs[1].recipient_hash, raced.recipient_hash);
        // The stolen index was not reused.
        assert_ne!(recs[2].document, d2);
        assert_ne!(
            (
                recs[2].revocation.list_id.as_str(),
                recs[2].revocation.index
            ),
            (stolen.list_id.as_str(), stolen.index)
        );
        // The opt-in shows.
        assert_ne!(recs[3].document, d3);
        let shown: Value = serde_json::from_str(&recs[3].document).unwrap();
        assert_eq!(shown["body"]["shownEmail"], "shows@example.org");
        // Every stored document matches its record, and no index is used twice.
        let mut indexes = HashSet::new();
        assert!(indexes.insert((raced.revocation.list_id.clone(), raced.revocation.index)));
        for r in &recs {
            let d: Value = serde_json::from_str(&r.document).unwrap();
            let body = &d["body"];
            assert_eq!(body["id"], r.id.as_str());
            assert_eq!(body["issued"], r.issued_ms);
            assert_eq!(body["identityHash"], r.recipient_hash.as_str());
            assert_eq!(body["educator"].as_str(), r.educator_id.as_deref());
            assert_eq!(body["list"], r.revocation.list_id.as_str());
            assert_eq!(body["index"], r.revocation.index);
            assert!(indexes.insert((r.revocation.list_id.clone(), r.revocation.index)));
            assert_ne!(
                (r.revocation.list_id.as_str(), r.revocation.index),
                (stolen.list_id.as_str(), stolen.index)
            );
            let stored = store.credential(&r.id).await.unwrap();
            assert_eq!(stored.document, r.document);
        }
        // The fresh email became exactly one educator, with the planned identity.
        assert_eq!(
            recs[2].educator_id.as_deref(),
            Some(fresh_educator.as_str())
        );
    }

    /// `insert_statements` (run by `insert_rows`) stores every value as given (NULLs too) on either backend, and refuses a
    /// value of the wrong type for its column.
    async fn insert_rows_round_trip(store: &Store) {
        use crate::sql::{insert_rows, Col, Val};
        let cols = [
            ("t", Col::Text),
            ("i", Col::I64),
            ("b", Col::Bytes),
            ("f", Col::Bool),
        ];
        let mut tx = store.db().begin().await.unwrap();
        tx.execute(
            "CREATE TABLE insert_rows_probe (t TEXT, i BIGINT, b BYTEA, f BOOLEAN)"
                .replace(
                    "BYTEA",
                    if tx.backend() == Backend::Sqlite {
                        "BLOB"
                    } else {
                        "BYTEA"
                    },
                )
                .as_str(),
            Vec::new(),
        )
        .await
        .unwrap();
        let rows: Vec<Vec<Val>> = (0..5)
            .map(|k: i64| {
                vec![
                    if k == 2 {
                        Val::OptText(None)
                    } else {
                        Val::Text(format!("r{k} 'quoted' \\ {{\"json\": [1]}}"))
                    },
                    if k == 3 {
                        Val::OptI64(None)
                    } else {
                        Val::I64(k * 1_000_000_007)
                    },
                    Val::Bytes(vec![k as u8, 0, 255]),
                    Val::Bool(k % 2 == 0),
                ]
            })
            .collect();
        // A chunk of 2 on SQLite: three statements.
        insert_rows(&mut tx, "insert_rows_probe", &cols, rows, 2)
            .await
            .unwrap();
        let back = tx
            .fetch_all(
                "SELECT t, i, b, f FROM insert_rows_probe ORDER BY b",
                Vec::new(),
            )
            .await
            .unwrap();
        assert_eq!(back.len(), 5);
        for (k, r) in back.iter().enumerate() {
            let k = k as i64;
            let t = r.opt_text("t").unwrap();
            assert_eq!(
                t,
                (k != 2).then(|| format!("r{k} 'quoted' \\ {{\"json\": [1]}}"))
            );
            assert_eq!(
                r.opt_i64("i").unwrap(),
                (k != 3).then_some(k * 1_000_000_007)
            );
            assert_eq!(r.bytes("b").unwrap(), vec![k as u8, 0, 255]);
            assert_eq!(r.bool("f").unwrap(), k % 2 == 0);
        }
        let wrong = vec![vec![
            Val::I64(1),
            Val::I64(1),
            Val::Bytes(Vec::new()),
            Val::Bool(true),
        ]];
        let e = insert_rows(&mut tx, "insert_rows_probe", &cols, wrong, 2).await;
        if tx.backend() == Backend::Postgres {
            assert!(e.is_err(), "a number for a text column");
        }
        let short = vec![vec![Val::I64(1)]];
        assert!(insert_rows(&mut tx, "insert_rows_probe", &cols, short, 2)
            .await
            .is_err());
        drop(tx);

        // `execute_while` runs the statement and the work, and reports the statement's error.
        let mut tx = store.db().begin().await.unwrap();
        let stmts = crate::sql::insert_statements(
            tx.backend(),
            "log_head",
            &[("id", Col::I64), ("size", Col::I64)],
            vec![vec![Val::I64(2), Val::I64(0)]],
            10,
        )
        .unwrap();
        let mut ran = false;
        let e = tx
            .execute_while(stmts.into_iter().next(), || ran = true)
            .await;
        assert!(ran, "the work ran");
        assert!(e.is_err(), "log_head allows only id 1: {e:?}");
        drop(tx);
        let mut tx = store.db().begin().await.unwrap();
        let made = tx
            .execute_while(
                Some(Stmt {
                    sql: "UPDATE log_head SET size = size WHERE id = 1".into(),
                    args: Vec::new(),
                    copy: None,
                }),
                || 7,
            )
            .await
            .unwrap();
        assert_eq!(made, 7);
        assert_eq!(tx.execute_while(None, || 8).await.unwrap(), 8);
        drop(tx);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn insert_rows_round_trips_on_sqlite() {
        let (_dir, store) = sqlite_store().await;
        insert_rows_round_trip(&store).await;
        store.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn insert_rows_round_trips_on_postgres() {
        let Some((store, base, name)) = pg_store().await else {
            return;
        };
        insert_rows_round_trip(&store).await;
        drop_pg(store, base, name).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stale_plan_is_corrected_on_sqlite() {
        let (_dir, store) = sqlite_store().await;
        stale_plan_is_corrected(&store).await;
        store.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stale_plan_is_corrected_on_postgres() {
        let Some((store, base, name)) = pg_store().await else {
            return;
        };
        stale_plan_is_corrected(&store).await;
        drop_pg(store, base, name).await;
    }

    /// A batch opened (on PostgreSQL, possibly while the batch before is written) and closed
    /// after its issuer's key was rotated does not commit credentials signed with the retired
    /// key behind the rotation in the log: it fails, and `bulk_issue` retries the rows with the
    /// new key.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batch_opened_before_a_key_rotation_fails_on_postgres() {
        let Some((store, base, name)) = pg_store().await else {
            return;
        };
        let (_, issuer) = issuer_with_achievement(&store, "Rotating", "ach-rot").await;
        let rows = |from: usize| -> Vec<(usize, IssueRequest)> {
            (from..from + 3)
                .map(|i| {
                    let to = Recipient::Email(format!("rot{i}@example.org"));
                    (i, IssueRequest::new(&issuer.id, "ach-rot", to))
                })
                .collect()
        };
        let Opened::Batch(open) = store.open_batch(&issuer.id, rows(0), None).await.unwrap() else {
            panic!("the issuer has a key");
        };
        let old_key = open.key_id.clone();
        let before = store.log_size().await.unwrap();
        let new_key = store.rotate_issuer_key(&issuer.id).await.unwrap();
        let build = |ctx: IssueContext<'_>| echo(ctx).map_err(|e| Box::new(e) as BoxErr);
        let e = store.close_batch(&issuer.id, *open, &build).await;
        assert!(matches!(e, Err(StoreError::Conflict { .. })), "{e:?}");
        // Only the rotation reached the log.
        assert_eq!(store.log_size().await.unwrap(), before + 1);
        // Through bulk_issue the same rows issue, signed with the new key.
        let reqs = rows(10).into_iter().map(|(_, r)| r).collect();
        for r in store.bulk_issue(reqs, echo).await {
            let c = r.unwrap().credential;
            assert_eq!(c.key_id, new_key.id);
            assert_ne!(c.key_id, old_key);
        }
        drop_pg(store, base, name).await;
    }

    /// Every pooled PostgreSQL connection runs without JIT (see `Store::open`).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_connections_do_not_jit() {
        let Some((store, base, name)) = pg_store().await else {
            return;
        };
        let mut conns = Vec::new();
        for _ in 0..3 {
            conns.push(store.db().begin_read().await.unwrap());
        }
        for tx in &mut conns {
            let r = tx
                .fetch_one("SELECT current_setting('jit') AS jit", Vec::new())
                .await
                .unwrap();
            assert_eq!(r.text("jit").unwrap(), "off");
        }
        drop(conns);
        drop_pg(store, base, name).await;
    }
}
