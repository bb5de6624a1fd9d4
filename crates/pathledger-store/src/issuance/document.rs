//! A caller's own document on the ledger (the VC-API issue route): one transaction that checks
//! idempotency, allocates a revocation entry, lets the caller sign, stores the exact signed
//! bytes and appends the log leaf — the same record and leaf as an issued credential, with no
//! achievement definition ([`NO_ACHIEVEMENT`]) and no educator.

use std::sync::Mutex;

use super::build::BoxErr;
use super::prepare::replay;
use super::write::{credential_statements, NewRecord};
use crate::crypto::{new_credential_id, now_ms, sha256};
use crate::error::StoreError;
use crate::issuers::ensure_still_active;
use crate::log::{LeafData, LogAppender};
use crate::model::{
    CredentialRecord, CredentialStatus, DocumentContext, DocumentRequest, IssueOutcome,
    StatusPurpose, NO_ACHIEVEMENT,
};
use crate::rows::CRED_COLS;
use crate::sql::args;
use crate::status::allocation::Alloc;
use crate::store::Store;
use crate::validate::check_text;

impl Store {
    /// Signs and records a caller's document in one transaction. `build` gets the credential
    /// id, the revocation entry and the issuer's key, and returns the exact signed bytes. A
    /// retry with the same idempotency key returns the first result (`replayed: true`) without
    /// calling `build`; the same key with another payload, or an id already on the ledger, is a
    /// [`StoreError::Conflict`]. Nothing is written unless everything is.
    pub async fn issue_document<F, E>(
        &self,
        req: DocumentRequest,
        build: F,
    ) -> Result<IssueOutcome, StoreError>
    where
        F: FnOnce(&DocumentContext<'_>) -> Result<String, E> + Send,
        E: std::error::Error + Send + Sync + 'static,
    {
        check_text("issuer_id", &req.issuer_id, 512)?;
        if let Some(id) = &req.credential_id {
            check_text("credential_id", id, 2048)?;
        }
        if let Some(k) = &req.idempotency_key {
            check_text("idempotency_key", k, 255)?;
        }
        if let Some(s) = &req.subject {
            check_text("subject", s, 2048)?;
        }
        let request_hash = {
            let mut r = req.clone();
            r.idempotency_key = None;
            sha256(
                &serde_json::to_vec(&r)
                    .map_err(|e| StoreError::invalid("request", format!("cannot encode: {e}")))?,
            )
        };
        let slot = Mutex::new(Some(build));
        let mut last_err = None;
        // A unique-key race (the same idempotency key or id from a concurrent request) rolls the
        // transaction back; the retry finds the winner's record. The builder runs once at most.
        for _ in 0..3 {
            let once = |ctx: &DocumentContext<'_>| -> Result<String, BoxErr> {
                let f = slot
                    .lock()
                    .map_err(|_| BoxErr::from("builder lock poisoned"))?
                    .take()
                    .ok_or_else(|| BoxErr::from("builder already used"))?;
                f(ctx).map_err(|e| Box::new(e) as BoxErr)
            };
            match self.issue_document_once(&req, request_hash, once).await {
                Ok(out) => return Ok(out),
                Err(e)
                    if (e.is_unique_violation() || e.is_retryable())
                        && slot.lock().is_ok_and(|b| b.is_some()) =>
                {
                    last_err = Some(e)
                }
                Err(e) if e.is_unique_violation() => {
                    // The builder was used, so this attempt lost a race after signing: the
                    // winner's record (same key) or the taken id answers below on retry.
                    return match self.replay_document(&req, request_hash).await? {
                        Some(out) => Ok(out),
                        None => Err(StoreError::conflict(format!(
                            "credential {} already exists",
                            req.credential_id.as_deref().unwrap_or("(new id)")
                        ))),
                    };
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| StoreError::integrity("issuance did not complete")))
    }

    /// The stored answer to a retry: the record issued under the request's idempotency key,
    /// if it was issued from the same request.
    async fn replay_document(
        &self,
        req: &DocumentRequest,
        request_hash: [u8; 32],
    ) -> Result<Option<IssueOutcome>, StoreError> {
        let Some(key) = &req.idempotency_key else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT {CRED_COLS} FROM credentials WHERE idempotency_key = $1 AND org_id = (SELECT org_id FROM issuers WHERE id = $2)"
        );
        let Some(row) = self
            .db()
            .fetch_optional(&sql, args![key.as_str(), req.issuer_id.as_str()])
            .await?
        else {
            return Ok(None);
        };
        replay(&row, &request_hash, key, self.status_base_url()).map(Some)
    }

    async fn issue_document_once(
        &self,
        req: &DocumentRequest,
        request_hash: [u8; 32],
        build: impl FnOnce(&DocumentContext<'_>) -> Result<String, BoxErr>,
    ) -> Result<IssueOutcome, StoreError> {
        if let Some(out) = self.replay_document(req, request_hash).await? {
            return Ok(out);
        }
        let issuer_id = req.issuer_id.as_str();
        let mut tx = self.db().begin().await?;
        let now = now_ms();
        let Some((org_id, key)) = self.issuer_and_key(&mut tx, issuer_id).await? else {
            return Err(StoreError::not_found("issuer", issuer_id));
        };
        let Some(key) = key else {
            return Err(StoreError::conflict(format!(
                "issuer {issuer_id} has no active signing key"
            )));
        };
        let credential_id = match &req.credential_id {
            Some(id) => {
                let taken = tx
                    .fetch_optional(
                        "SELECT id FROM credentials WHERE id = $1",
                        args![id.as_str()],
                    )
                    .await?
                    .is_some();
                if taken {
                    return Err(StoreError::conflict(format!(
                        "credential {id} already exists"
                    )));
                }
                id.clone()
            }
            None => new_credential_id()?,
        };
        let revocation = self
            .allocate(
                &mut tx,
                issuer_id,
                StatusPurpose::Revocation,
                1,
                now,
                Alloc::Write { prefer: &[] },
            )
            .await?
            .unwrap_or_default()
            .pop()
            .ok_or_else(|| StoreError::integrity("status allocation came up short"))?;
        let ctx = DocumentContext {
            credential_id: credential_id.clone(),
            request: req,
            org_id: &org_id,
            issued_ms: now,
            revocation: &revocation,
            key: &key,
        };
        let doc = build(&ctx).map_err(StoreError::Build)?;
        let doc_hash = sha256(doc.as_bytes());
        let mut log = LogAppender::lock(&mut tx).await?;
        // As in a batch: with the log locked a rotation cannot commit in between any more.
        ensure_still_active(
            &mut tx,
            issuer_id,
            key.key_id(),
            "the credential was signed",
        )
        .await?;
        let mut leaf = LeafData::new("issue", now);
        leaf.credential_id = Some(&credential_id);
        leaf.credential_sha256 = Some(hex::encode(doc_hash));
        leaf.issuer_id = Some(issuer_id);
        leaf.key_id = Some(key.key_id());
        let data = leaf.to_bytes()?;
        let log_index = log.append("issue", Some(&credential_id), data, now)?;
        let recipient_hash = match &req.subject {
            Some(s) => format!("sha256${}", hex::encode(sha256(s.as_bytes()))),
            None => String::new(),
        };
        let record = CredentialRecord {
            id: credential_id,
            org_id: org_id.clone(),
            issuer_id: issuer_id.to_owned(),
            key_id: key.key_id().to_owned(),
            achievement_id: NO_ACHIEVEMENT.to_owned(),
            achievement_version: 0,
            educator_id: None,
            recipient_hash,
            document: doc,
            document_hash: doc_hash,
            issued_ms: now,
            valid_until_ms: req.valid_until_ms,
            status: CredentialStatus::Active,
            status_reason: None,
            idempotency_key: req.idempotency_key.clone(),
            previous_id: None,
            revocation,
            suspension: None,
            log_index,
        };
        let mut records = [NewRecord::single(record, request_hash)];
        for stmt in credential_statements(tx.backend(), &mut records)? {
            tx.run(stmt).await?;
        }
        for stmt in log.take_statements(tx.backend())? {
            tx.run(stmt).await?;
        }
        log.move_head(&mut tx).await?;
        tx.commit().await?;
        let [NewRecord { record, .. }] = records;
        Ok(IssueOutcome {
            credential: record,
            replayed: false,
            new_educator: false,
        })
    }
}
