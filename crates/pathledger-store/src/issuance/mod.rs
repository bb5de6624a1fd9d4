//! Issuance as one transaction: idempotency, status index allocation, signing by the caller's
//! builder, storing the exact signed bytes and appending the log, all or nothing; plus bulk
//! issuance in batched transactions with per-row results, renewal and award-once.
//!
//! The entry points are here; the parts, each using only those listed before it: `recipients`
//! (educators named by a batch), `prepare` (one row's inputs), `build` (signing by the caller's
//! builder), `plan` (a batch prepared and built ahead), `write` (records, log leaves, inserts)
//! and `batch` (the transaction, opened and closed).

mod batch;
mod build;
mod document;
mod plan;
mod prepare;
mod recipients;
mod write;

use std::collections::HashSet;
use std::sync::Mutex;

use crate::error::StoreError;
use crate::model::{IssueContext, IssueOutcome, IssueRequest, Recipient};
use crate::sql::Backend;
use crate::store::Store;
use crate::validate::check_text;
use batch::{independent, Opened};
use build::{BoxErr, Builder};
use plan::Ahead;

/// Rows per transaction in [`Store::bulk_issue`].
pub const BULK_BATCH_SIZE: usize = 500;

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
}
