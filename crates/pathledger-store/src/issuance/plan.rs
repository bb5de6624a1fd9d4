//! Planning a batch ahead of its transaction: prepared and built from a read-only snapshot while
//! the batch before is written; the transaction takes a planned document only for a row whose
//! inputs came out the same.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use super::build::{build_all, build_one, Builder, BuiltRow};
use super::prepare::{existing_by_key, AchievementCache, Prepared};
use crate::crypto::now_ms;
use crate::error::StoreError;
use crate::model::{IssueRequest, StatusAssignment, StatusPurpose};
use crate::status::allocation::{Alloc, Assigner};
use crate::store::Store;

/// A batch prepared and built ahead of its transaction, from a read-only snapshot, while the
/// previous batch is being written. The transaction redoes every read and decision; a row whose
/// inputs came out the same takes its document from here, any other row is built again inside
/// the transaction. So a plan only ever saves work, never changes a result.
///
/// The documents are built on a pooled thread, one plan at a time, and may still be in progress
/// when the transaction starts: it waits for them only once its own reads and allocations are
/// done, so building one batch overlaps preparing it as well as writing the batch before.
pub(super) struct Ahead {
    pub(super) now: i64,
    pub(super) org_id: String,
    pub(super) key_id: String,
    /// Ids and salts for the emails that were unknown, so those educators come out the same.
    pub(super) new_educators: HashMap<String, (String, String)>,
    pub(super) achievements: AchievementCache,
    /// The inputs each document is built from, in build order.
    prepared: std::sync::Arc<Vec<Prepared>>,
    /// Index into `prepared` by input position.
    by_pos: HashMap<usize, usize>,
    built: Built,
}

/// Documents of an [`Ahead`], in `prepared` order.
enum Built {
    Pending(tokio::task::JoinHandle<Vec<BuiltRow>>),
    /// A document is taken at most once.
    Done(Vec<Option<BuiltRow>>),
}

impl Ahead {
    /// The status indexes this plan built with (taken, as far as the next plan is concerned).
    pub(super) fn assignments(&self) -> impl Iterator<Item = &StatusAssignment> {
        self.prepared
            .iter()
            .flat_map(|p| p.revocation.iter().chain(p.suspension.iter()))
    }

    /// The planned inputs of the row at input position `pos`.
    pub(super) fn planned(&self, pos: usize) -> Option<&Prepared> {
        self.by_pos.get(&pos).map(|&i| &self.prepared[i])
    }

    /// Waits for the build to finish. A build that failed as a whole (its thread was lost)
    /// leaves nothing built, so every row is built again in the transaction.
    pub(super) async fn finish(&mut self) {
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
    pub(super) fn take(&mut self, p: &Prepared) -> Option<BuiltRow> {
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

impl Store {
    /// Prepares and builds `rows` ahead of their transaction (see [`Ahead`]), from a read-only
    /// snapshot in which the indexes in `avoid` count as taken. Writes and locks nothing. `None`
    /// when there is nothing worth planning (no issuer key, or a status list would have to be
    /// opened): the transaction then does all the work itself.
    pub(super) async fn plan_ahead(
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
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::Value;

    use super::*;
    use crate::issuance::build::BoxErr;
    use crate::model::{CredentialRecord, IssueContext, NewEducator, Recipient};
    use crate::sql::args;
    use crate::status::bits::ListBits;
    use crate::testutil::{drop_pg, echo, issuer_with_achievement, pg_store, sqlite_store};

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
                org_id: org.id.to_string(),
                display_name: "Kept".into(),
                emails: vec!["kept@example.org".into()],
                ..Default::default()
            })
            .await
            .unwrap();
        let private = store
            .create_educator(NewEducator {
                org_id: org.id.to_string(),
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
            (3, req(Recipient::Educator(private.id.to_string()))),
            (4, req(Recipient::Educator(kept.id.to_string()))),
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
            .issue(req(Recipient::Educator(kept.id.to_string())), echo)
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
            .set_educator_preferences(
                &private.id,
                true,
                false,
                crate::model::CommunityVisibility::Hidden,
            )
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
}
