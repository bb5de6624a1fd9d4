//! A batch's transaction in two halves: `open_batch` begins it and does its reads (issuer and
//! key, idempotency keys, educators, each row's inputs) without locking; `close_batch` allocates
//! status indexes, takes or builds the documents, appends to the log, writes and commits.

use std::collections::{HashMap, HashSet};

use super::build::{build_all, BoxErr, BuiltRow};
use super::plan::Ahead;
use super::prepare::{existing_by_key, AchievementCache, Prepared, RowResult};
use super::write::{credential_statements, write_awards, NewRecord, RowCtx};
use crate::crypto::{now_ms, SigningKeyHandle};
use crate::error::StoreError;
use crate::issuers::ensure_still_active;
use crate::log::LogAppender;
use crate::model::{
    CredentialRecord, IssueContext, IssueOutcome, IssueRequest, Recipient, StatusAssignment,
    StatusPurpose,
};
use crate::sql::{Backend, Stmt, Tx};
use crate::status::allocation::{Alloc, Assigner};
use crate::store::Store;
use crate::validate::normalize_email;

/// A batch's transaction between [`Store::open_batch`] and [`Store::close_batch`].
pub(super) struct OpenBatch {
    tx: Tx,
    /// How long [`Store::open_batch`] took (for the debug log).
    opened_in: std::time::Duration,
    pub(super) ahead: Option<Ahead>,
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
pub(super) enum Opened {
    Batch(Box<OpenBatch>),
    Answered(Vec<(usize, Result<IssueOutcome, StoreError>)>),
}

/// Whether batch `b` reads nothing batch `a` writes, so `b`'s transaction may do its reads
/// before `a` commits: no recipient (an email `a` may create an educator for, or an educator it
/// may award) and no idempotency key in common. Emails compare trimmed and lowercased, as they
/// are stored; a finer match would only let fewer batches overlap.
pub(super) fn independent(a: &[(usize, IssueRequest)], b: &[(usize, IssueRequest)]) -> bool {
    let key = |r: &IssueRequest| match &r.recipient {
        Recipient::Email(e) => format!(
            "email:{}",
            normalize_email("recipient", e).unwrap_or_else(|_| e.clone())
        ),
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

impl Store {
    /// The first half of [`Store::issue_batch`]: begins the transaction and does its reads (the
    /// issuer and key, idempotency keys, educators, each row's inputs). It locks and writes
    /// nothing, so on PostgreSQL the next batch's can run while the batch before is written.
    pub(super) async fn open_batch(
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
    pub(super) async fn close_batch(
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
        ensure_still_active(&mut tx, issuer_id, &key_id, "a batch was prepared").await?;
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{drop_pg, echo, issuer_with_achievement, pg_store};

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
}
