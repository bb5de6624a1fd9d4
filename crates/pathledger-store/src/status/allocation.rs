//! Status index allocation: random free bits of an issuer's open list, claimed in the list's
//! bitmap (the list row stays locked until commit), or planned ahead of a transaction without
//! locking or writing.

use std::collections::{HashMap, HashSet};

use crate::crypto::{new_id, random_bytes};
use crate::error::StoreError;
use crate::model::{StatusAssignment, StatusPurpose};
use crate::sql::{args, Backend, Tx};
use crate::status::bits::ListBits;
use crate::store::Store;

/// Bits per status list (the Bitstring Status List minimum, 16 KiB).
pub(crate) const LIST_CAPACITY: u64 = 131_072;

/// How [`Store::allocate`] runs.
#[derive(Clone, Copy)]
pub(crate) enum Alloc<'a> {
    /// In the issuing transaction: lock the list, open lists as needed, count what is taken.
    /// Indexes in `prefer` (those a plan built with) are tried first.
    Write { prefer: &'a [StatusAssignment] },
    /// Ahead of the transaction, in a read-only snapshot: locks and writes nothing, and treats
    /// the indexes in `avoid` (planned by the batch still in flight) as taken.
    Plan { avoid: &'a Taken },
}

/// Status indexes as (list id, index).
pub(crate) type Taken = HashSet<(String, u64)>;

/// Hands out allocated status indexes: to a row the index it was planned with, when that one
/// was allocated, then the rest in order to rows still without one.
pub(crate) struct Assigner {
    slots: Vec<Option<StatusAssignment>>,
    by_index: HashMap<(String, u64), usize>,
}

impl Assigner {
    pub(crate) fn new(all: Vec<StatusAssignment>) -> Self {
        let by_index = all
            .iter()
            .enumerate()
            .map(|(i, a)| ((a.list_id.clone(), a.index), i))
            .collect();
        Self {
            slots: all.into_iter().map(Some).collect(),
            by_index,
        }
    }

    pub(crate) fn take(&mut self, planned: Option<&StatusAssignment>) -> Option<StatusAssignment> {
        let p = planned?;
        let i = *self.by_index.get(&(p.list_id.clone(), p.index))?;
        self.slots[i].take()
    }

    pub(crate) fn rest<'a>(
        &mut self,
        rows: impl Iterator<Item = &'a mut Option<StatusAssignment>>,
    ) {
        let mut free = self.slots.iter_mut().filter_map(Option::take);
        for r in rows {
            if r.is_none() {
                *r = free.next();
            }
        }
    }
}

/// Random candidate indexes from the operating system's generator, fetched 64 at a time.
#[derive(Default)]
struct RandomIndexes {
    buf: Vec<u64>,
}

impl RandomIndexes {
    fn next(&mut self) -> Result<u64, StoreError> {
        if self.buf.is_empty() {
            let bytes: [u8; 512] = random_bytes()?;
            self.buf = bytes
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
                .collect();
        }
        self.buf
            .pop()
            .ok_or_else(|| StoreError::integrity("no random index"))
    }
}

impl Store {
    /// Picks `n` random unused indexes in the issuer's open list(s) of `purpose`, opening a new
    /// list when the current one is full. The list row stays locked until commit, so concurrent
    /// issuers cannot pick the same index: which indexes are taken is a bitmap in that row
    /// ([`ListBits`]), rewritten once per call. [`Alloc::Plan`] only plans (see there) and
    /// answers `None` where the plan would need a list that does not exist yet.
    pub(crate) async fn allocate(
        &self,
        tx: &mut Tx,
        issuer_id: &str,
        purpose: StatusPurpose,
        n: usize,
        now: i64,
        mode: Alloc<'_>,
    ) -> Result<Option<Vec<StatusAssignment>>, StoreError> {
        let mut out = Vec::with_capacity(n);
        let mut need = n as u64;
        let write = matches!(mode, Alloc::Write { .. });
        let lock = match tx.backend() {
            Backend::Postgres if write => " FOR UPDATE",
            _ => "",
        };
        let mut random = RandomIndexes::default();
        while need > 0 {
            let sql = format!("SELECT id, capacity, allocated, taken FROM status_lists WHERE issuer_id = $1 AND purpose = $2 AND open ORDER BY created_ms, id LIMIT 1{lock}");
            let row = tx
                .fetch_optional(&sql, args![issuer_id, purpose.as_str()])
                .await?;
            let (list_id, capacity, allocated, taken) = match row {
                Some(r) => {
                    let (id, capacity) = (r.text("id")?, r.u64("capacity")?);
                    let taken = match r.opt_bytes("taken")? {
                        Some(bits) => Some(ListBits::from_bytes(&id, bits, capacity)?),
                        None => None,
                    };
                    (id, capacity, r.u64("allocated")?, taken)
                }
                None if !write => return Ok(None),
                None => {
                    let id = new_id("sl")?;
                    let empty = ListBits::empty(LIST_CAPACITY);
                    tx.execute(
                        "INSERT INTO status_lists (id, issuer_id, purpose, capacity, allocated, version, open, created_ms, taken) VALUES ($1, $2, $3, $4, 0, 1, $5, $6, $7)",
                        args![id.as_str(), issuer_id, purpose.as_str(), LIST_CAPACITY as i64, true, now, empty.as_bytes()],
                    )
                    .await?;
                    (id, LIST_CAPACITY, 0, Some(empty))
                }
            };
            let mut taken = match taken {
                Some(bits) => bits,
                // A list from before the bitmap: the transaction fills it in.
                None if !write => return Ok(None),
                None => ListBits::from_allocations(tx, &list_id, capacity).await?,
            };
            // Indexes planned by a batch still in flight are taken, though not yet counted.
            let mut in_flight = 0u64;
            let prefer: Vec<u64> = match mode {
                Alloc::Write { prefer } => prefer
                    .iter()
                    .filter(|a| a.purpose == purpose && a.list_id == list_id)
                    .map(|a| a.index)
                    .collect(),
                Alloc::Plan { avoid } => {
                    for (_, i) in avoid.iter().filter(|(l, _)| *l == list_id) {
                        if taken.claim(*i) {
                            in_flight += 1;
                        }
                    }
                    Vec::new()
                }
            };
            let allocated = allocated + in_flight;
            // Lists are filled to half so random indexes stay cheap to find and hard to guess.
            let limit = capacity / 2;
            if !write && allocated + need > limit {
                return Ok(None);
            }
            if allocated >= limit {
                tx.execute(
                    "UPDATE status_lists SET open = $1 WHERE id = $2",
                    args![false, list_id.as_str()],
                )
                .await?;
                continue;
            }
            let take = need.min(limit - allocated);
            let mut chosen: Vec<u64> = Vec::with_capacity(take as usize);
            for c in prefer {
                if (chosen.len() as u64) < take && taken.claim(c) {
                    chosen.push(c);
                }
            }
            while (chosen.len() as u64) < take {
                let c = random.next()? % capacity;
                if taken.claim(c) {
                    chosen.push(c);
                }
            }
            if write {
                tx.execute(
                    "UPDATE status_lists SET allocated = allocated + $1, taken = $2 WHERE id = $3",
                    args![take as i64, taken.as_bytes(), list_id.as_str()],
                )
                .await?;
            }
            let url = self.list_url(&list_id);
            for idx in chosen {
                out.push(StatusAssignment {
                    purpose,
                    list_id: list_id.clone(),
                    list_url: url.clone(),
                    index: idx,
                });
            }
            need -= take;
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::error::StoreError;
    use crate::model::{CredentialRecord, CredentialStatus, IssueRequest, Recipient, StatusChange};
    use crate::testutil::{drop_pg, echo, issuer_with_achievement, pg_store, sqlite_store};

    /// A status list from before lists kept an allocation bitmap: its first allocation builds
    /// the bitmap from the list's allocation rows and never hands those indexes out again; the
    /// first status change of a credential issued since adds its row, and a row held by another
    /// credential is refused without changing anything.
    async fn legacy_list_keeps_its_allocations(store: &Store) {
        let (_, issuer) = issuer_with_achievement(store, "Legacy", "ach-legacy").await;
        // A 64-index list (filled to 32) holding 20 allocations, without a bitmap.
        let legacy: Vec<u64> = (0..20u64).map(|i| (i * 7 + 3) % 64).collect();
        let mut tx = store.db().begin().await.unwrap();
        tx.execute(
            "INSERT INTO status_lists (id, issuer_id, purpose, capacity, allocated, version, open, created_ms) VALUES ($1, $2, $3, $4, $5, 1, $6, 0)",
            args!["sl_legacy", issuer.id.as_str(), "revocation", 64i64, 20i64, true],
        )
        .await
        .unwrap();
        for (n, i) in legacy.iter().enumerate() {
            tx.execute(
                "INSERT INTO status_allocations (list_id, idx, credential_id, bit) VALUES ($1, $2, $3, $4)",
                args!["sl_legacy", *i as i64, format!("urn:uuid:old-{n}"), false],
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();

        let reqs: Vec<IssueRequest> = (0..14)
            .map(|i| {
                IssueRequest::new(
                    &issuer.id,
                    "ach-legacy",
                    Recipient::Email(format!("legacy{i}@example.org")),
                )
            })
            .collect();
        let recs: Vec<CredentialRecord> = store
            .bulk_issue(reqs, echo)
            .await
            .into_iter()
            .map(|r| r.unwrap().credential)
            .collect();
        let in_legacy: Vec<u64> = recs
            .iter()
            .filter(|c| c.revocation.list_id == "sl_legacy")
            .map(|c| c.revocation.index)
            .collect();
        // 12 fit below half of 64; the other 2 open a new list.
        assert_eq!(in_legacy.len(), 12);
        let mut seen: HashSet<u64> = legacy.iter().copied().collect();
        for i in &in_legacy {
            assert!(*i < 64);
            assert!(seen.insert(*i), "index {i} handed out twice");
        }
        let list = store
            .db()
            .fetch_optional(
                "SELECT allocated, open, taken FROM status_lists WHERE id = $1",
                args!["sl_legacy"],
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(list.u64("allocated").unwrap(), 32);
        assert!(!list.bool("open").unwrap());
        let mut taken =
            ListBits::from_bytes("sl_legacy", list.opt_bytes("taken").unwrap().unwrap(), 64)
                .unwrap();
        for i in 0..64u64 {
            assert_eq!(!taken.claim(i), seen.contains(&i), "bit {i}");
        }

        // Revoking a credential issued from the bitmap adds its allocation row with the bit.
        let first = recs
            .iter()
            .find(|c| c.revocation.list_id == "sl_legacy")
            .unwrap();
        store
            .change_status(&first.id, StatusChange::Revoke, None, None)
            .await
            .unwrap();
        let bits = store.status_list_bits("sl_legacy").await.unwrap();
        assert!(bits.is_set(first.revocation.index));
        assert!(!legacy.iter().any(|i| bits.is_set(*i)));

        // An allocation row of another credential at a credential's index is an integrity error.
        let other = recs
            .iter()
            .filter(|c| c.revocation.list_id == "sl_legacy")
            .nth(1)
            .unwrap();
        let mut tx = store.db().begin().await.unwrap();
        tx.execute(
            "INSERT INTO status_allocations (list_id, idx, credential_id, bit) VALUES ($1, $2, $3, $4)",
            args!["sl_legacy", other.revocation.index as i64, "urn:uuid:someone-else", false],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let err = store
            .change_status(&other.id, StatusChange::Revoke, None, None)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Integrity { .. }), "{err:?}");
        assert_eq!(
            store.credential(&other.id).await.unwrap().status,
            CredentialStatus::Active
        );
        assert!(!store
            .status_list_bits("sl_legacy")
            .await
            .unwrap()
            .is_set(other.revocation.index));

        // A bitmap of the wrong length is an integrity error, and nothing is issued.
        let open = recs
            .iter()
            .find(|c| c.revocation.list_id != "sl_legacy")
            .unwrap()
            .revocation
            .list_id
            .clone();
        let mut tx = store.db().begin().await.unwrap();
        tx.execute(
            "UPDATE status_lists SET taken = $1 WHERE id = $2",
            args![vec![0u8; 3], open.as_str()],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let count = || async {
            store
                .db()
                .fetch_optional("SELECT COUNT(*) AS n FROM credentials", Vec::new())
                .await
                .unwrap()
                .unwrap()
                .i64("n")
                .unwrap()
        };
        let before = count().await;
        let err = store
            .issue(
                IssueRequest::new(
                    &issuer.id,
                    "ach-legacy",
                    Recipient::Email("late@example.org".into()),
                ),
                echo,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Integrity { .. }), "{err:?}");
        assert_eq!(count().await, before);
    }

    #[tokio::test]
    async fn legacy_list_keeps_its_allocations_on_sqlite() {
        let (_dir, store) = sqlite_store().await;
        legacy_list_keeps_its_allocations(&store).await;
        store.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn legacy_list_keeps_its_allocations_on_postgres() {
        let Some((store, base, name)) = pg_store().await else {
            return;
        };
        legacy_list_keeps_its_allocations(&store).await;
        drop_pg(store, base, name).await;
    }
}
