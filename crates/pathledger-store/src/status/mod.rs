//! Credential status: revoke, suspend and reinstate (status bits + log entry + reason, one
//! transaction), and status list bits for re-signing. Below: the bits of a list (`bits`) and the
//! allocation of status indexes to new credentials (`allocation`).

pub(crate) mod allocation;
pub(crate) mod bits;

use crate::crypto::{now_ms, random_bytes, reason_commitment};
use crate::error::StoreError;
use crate::log::{document_hash_hex, LeafData, LogAppender};
use crate::model::{
    CredentialStatus, StatusChange, StatusChangeOutcome, StatusListBits, StatusPurpose, UserId,
};
use crate::rows::{row_to_credential, CRED_COLS};
use crate::sql::{args, Backend};
use crate::store::Store;
use bits::ListBits;

impl Store {
    /// Revokes, suspends or reinstates a credential: flips its bit in the status list (bumping
    /// the list version so the caller re-signs the list credential), records the reason and
    /// appends a log entry, in one transaction. Impossible transitions (anything after a
    /// revocation, suspending a suspended credential, reinstating an active one, suspending a
    /// credential without a suspension entry) are [`StoreError::Conflict`].
    pub async fn change_status(
        &self,
        credential_id: &str,
        change: StatusChange,
        reason: Option<&str>,
        actor: Option<&UserId>,
    ) -> Result<StatusChangeOutcome, StoreError> {
        if let Some(r) = reason {
            if r.len() > 4096 {
                return Err(StoreError::invalid("reason", "longer than 4096 bytes"));
            }
        }
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        let lock = match tx.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let sql = format!("SELECT {CRED_COLS} FROM credentials WHERE id = $1{lock}");
        let row = tx
            .fetch_optional(&sql, args![credential_id])
            .await?
            .ok_or_else(|| StoreError::not_found("credential", credential_id))?;
        let cred = row_to_credential(&row, self.status_base_url())?;
        let (from, to, entry, bit) = match (change, cred.status) {
            (_, CredentialStatus::Revoked) => {
                return Err(StoreError::conflict(format!(
                    "credential {credential_id} is already revoked"
                )))
            }
            (StatusChange::Revoke, from) => (
                from,
                CredentialStatus::Revoked,
                Some(&cred.revocation),
                true,
            ),
            (StatusChange::Suspend, CredentialStatus::Active) => (
                CredentialStatus::Active,
                CredentialStatus::Suspended,
                cred.suspension.as_ref(),
                true,
            ),
            (StatusChange::Reinstate, CredentialStatus::Suspended) => (
                CredentialStatus::Suspended,
                CredentialStatus::Active,
                cred.suspension.as_ref(),
                false,
            ),
            (c, s) => {
                return Err(StoreError::conflict(format!(
                    "cannot {} a credential that is {}",
                    c.as_str(),
                    s.as_str()
                )))
            }
        };
        let Some(entry) = entry.cloned() else {
            return Err(StoreError::conflict(format!(
                "credential {credential_id} has no suspension status entry"
            )));
        };
        // Lock order: credential row, status list row, log head (the same order as issuance
        // after its list lock), so concurrent changes cannot deadlock.
        let row = tx
            .fetch_optional(
                "UPDATE status_lists SET version = version + 1 WHERE id = $1 RETURNING version",
                args![entry.list_id.as_str()],
            )
            .await?
            .ok_or_else(|| {
                StoreError::integrity(format!("status list {} is missing", entry.list_id))
            })?;
        let list_version = row.i64("version")?;
        // Issuance records an allocation in the list's bitmap only; the first change of a bit
        // adds its row here. A row held by another credential means the index was given twice.
        let n = tx
            .execute(
                "INSERT INTO status_allocations (list_id, idx, credential_id, bit) VALUES ($1, $2, $3, $4) ON CONFLICT (list_id, idx) DO UPDATE SET bit = excluded.bit WHERE status_allocations.credential_id = excluded.credential_id",
                args![entry.list_id.as_str(), entry.index as i64, credential_id, bit],
            )
            .await?;
        if n != 1 {
            return Err(StoreError::integrity(format!(
                "status index {} of list {} belongs to another credential than {credential_id}",
                entry.index, entry.list_id
            )));
        }
        let n = tx
            .execute(
                "UPDATE credentials SET status = $1, status_reason = $2 WHERE id = $3 AND status = $4",
                args![to.as_str(), reason, credential_id, from.as_str()],
            )
            .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "credential status changed concurrently",
            ));
        }
        let mut log = LogAppender::lock(&mut tx).await?;
        let mut leaf = LeafData::new(change.as_str(), now);
        leaf.credential_id = Some(credential_id);
        leaf.credential_sha256 = Some(document_hash_hex(&cred.document));
        leaf.issuer_id = Some(&cred.issuer_id);
        leaf.status_list_id = Some(&entry.list_id);
        leaf.status_index = Some(entry.index);
        // A fresh salt per event: the leaf commits to the reason without revealing it.
        let salt = random_bytes::<32>()?;
        leaf.reason_commitment = Some(reason_commitment(&salt, reason));
        let log_index = log.append(change.as_str(), Some(credential_id), leaf.to_bytes()?, now)?;
        log.flush(&mut tx).await?;
        tx.execute(
            "INSERT INTO credential_events (log_index, credential_id, event, reason, reason_salt, actor, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![log_index as i64, credential_id, change.as_str(), reason, &salt, actor, now],
        )
        .await?;
        tx.commit().await?;
        let mut credential = cred;
        credential.status = to;
        credential.status_reason = reason.map(str::to_owned);
        Ok(StatusChangeOutcome {
            credential,
            log_index,
            list_id: entry.list_id,
            list_version,
        })
    }

    /// The current version of a status list (bumped by every bit change): a cheap check
    /// before rebuilding its credential.
    pub async fn status_list_version(&self, list_id: &str) -> Result<i64, StoreError> {
        self.db()
            .fetch_optional(
                "SELECT version FROM status_lists WHERE id = $1",
                args![list_id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("status list", list_id))?
            .i64("version")
    }

    /// The bits of a status list (MSB-first, `capacity / 8` bytes) and its version.
    pub async fn status_list_bits(&self, list_id: &str) -> Result<StatusListBits, StoreError> {
        let row = self
            .db()
            .fetch_optional(
                "SELECT id, issuer_id, purpose, capacity, version FROM status_lists WHERE id = $1",
                args![list_id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("status list", list_id))?;
        let capacity = row.u64("capacity")?;
        let mut bits = ListBits::empty(capacity);
        let set = self
            .db()
            .fetch_all(
                "SELECT idx FROM status_allocations WHERE list_id = $1 AND bit",
                args![list_id],
            )
            .await?;
        for r in set {
            bits.claim(r.u64("idx")?);
        }
        Ok(StatusListBits {
            list_id: list_id.to_owned(),
            issuer_id: row.text("issuer_id")?,
            purpose: crate::model::parse_purpose(&row.text("purpose")?)?,
            list_url: self.list_url(list_id),
            version: row.i64("version")?,
            capacity,
            bits: bits.into_bytes(),
        })
    }

    /// Ids of an issuer's status lists (all purposes), oldest first.
    pub async fn status_lists(
        &self,
        issuer_id: &str,
    ) -> Result<Vec<(String, StatusPurpose, i64)>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT id, purpose, version FROM status_lists WHERE issuer_id = $1 ORDER BY created_ms, id",
                args![issuer_id],
            )
            .await?
            .iter()
            .map(|r| Ok((r.text("id")?, crate::model::parse_purpose(&r.text("purpose")?)?, r.i64("version")?)))
            .collect()
    }
}
