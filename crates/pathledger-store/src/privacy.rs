//! The data subject's rights: everything stored about an educator, and erasure.

use crate::crypto::{new_id, now_ms};
use crate::error::{dup, StoreError};
use crate::model::{
    EducatorExport, EducatorId, OrgId, PrivacyRequest, PrivacyRequestState, UserId,
};
use crate::rows::{row_to_privacy_request, PRIVACY_COLS};
use crate::sql::{args, list_placeholders, Tx, Val};
use crate::store::Store;
use crate::validate::check_text;

impl Store {
    /// Everything stored about an educator.
    pub async fn export_educator(&self, educator_id: &str) -> Result<EducatorExport, StoreError> {
        Ok(EducatorExport {
            educator: self.educator(educator_id).await?,
            facts: self.facts(educator_id).await?,
            submissions: self.submissions_for_educator(educator_id).await?,
            credentials: self.credentials_for_educator(educator_id).await?,
        })
    }

    /// Erases an educator on request: identifiers, facts, submissions, awards and stored
    /// credential documents go. The log keeps only hashes and identifiers, so it stays intact
    /// and audits still pass; status bits stay so revoked credentials stay revoked.
    pub async fn delete_educator(&self, educator_id: &str) -> Result<u64, StoreError> {
        let mut tx = self.db().begin().await?;
        let n = erase_educator(&mut tx, educator_id).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Records an educator's request that their record in `org_id` be erased. One pending
    /// request per educator: a second is a conflict.
    pub async fn request_deletion(
        &self,
        org_id: &OrgId,
        educator_id: &EducatorId,
        requested_by: &UserId,
        reason: Option<&str>,
    ) -> Result<PrivacyRequest, StoreError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if let Some(r) = reason {
            check_text("reason", r, 2000)?;
        }
        let req = PrivacyRequest {
            id: new_id("prq")?,
            org_id: org_id.clone(),
            educator_id: educator_id.clone(),
            requested_by: requested_by.clone(),
            requested_ms: now_ms(),
            reason: reason.map(str::to_owned),
            state: PrivacyRequestState::Pending,
            decided_by: None,
            decided_ms: None,
            decision_reason: None,
        };
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional(
                "SELECT id FROM educators WHERE id = $1 AND org_id = $2",
                args![educator_id, org_id],
            )
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("educator", educator_id.as_str()));
        }
        tx.execute(
            "INSERT INTO privacy_requests (id, org_id, educator_id, requested_by, requested_ms, reason, state) VALUES ($1, $2, $3, $4, $5, $6, 'pending')",
            args![req.id.as_str(), org_id, educator_id, requested_by, req.requested_ms, req.reason.as_deref()],
        )
        .await
        .map_err(dup("a pending deletion request for this educator"))?;
        tx.commit().await?;
        Ok(req)
    }

    /// An organization's deletion requests, newest first.
    pub async fn privacy_requests(
        &self,
        org_id: &OrgId,
    ) -> Result<Vec<PrivacyRequest>, StoreError> {
        self.db()
            .fetch_all(
                &format!("SELECT {PRIVACY_COLS} FROM privacy_requests WHERE org_id = $1 ORDER BY requested_ms DESC, id"),
                args![org_id],
            )
            .await?
            .iter()
            .map(row_to_privacy_request)
            .collect()
    }

    /// One educator's deletion requests, newest first.
    pub async fn privacy_requests_for_educator(
        &self,
        educator_id: &EducatorId,
    ) -> Result<Vec<PrivacyRequest>, StoreError> {
        self.db()
            .fetch_all(
                &format!("SELECT {PRIVACY_COLS} FROM privacy_requests WHERE educator_id = $1 ORDER BY requested_ms DESC, id"),
                args![educator_id],
            )
            .await?
            .iter()
            .map(row_to_privacy_request)
            .collect()
    }

    /// A pending deletion request of `org_id` (another organization's, or a decided one, is
    /// not found).
    pub async fn pending_privacy_request(
        &self,
        org_id: &OrgId,
        request_id: &str,
    ) -> Result<PrivacyRequest, StoreError> {
        self.db()
            .fetch_optional(
                &format!("SELECT {PRIVACY_COLS} FROM privacy_requests WHERE id = $1 AND org_id = $2 AND state = 'pending'"),
                args![request_id, org_id],
            )
            .await?
            .as_ref()
            .map(row_to_privacy_request)
            .transpose()?
            .ok_or_else(|| StoreError::not_found("deletion request", request_id))
    }

    /// Carries out a pending deletion request of `org_id` in one transaction: erases the
    /// educator (see [`Store::delete_educator`]) and marks the request done, clearing the
    /// educator's reason. Refused (conflict) while any of the educator's credentials is still
    /// active or suspended: the caller revokes them first, so their status bits stay set.
    /// Returns the request and how many credentials were erased.
    pub async fn carry_out_deletion(
        &self,
        org_id: &OrgId,
        request_id: &str,
        decided_by: &UserId,
    ) -> Result<(PrivacyRequest, u64), StoreError> {
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        let mut req = tx
            .fetch_optional(
                &format!("SELECT {PRIVACY_COLS} FROM privacy_requests WHERE id = $1 AND org_id = $2 AND state = 'pending'"),
                args![request_id, org_id],
            )
            .await?
            .as_ref()
            .map(row_to_privacy_request)
            .transpose()?
            .ok_or_else(|| StoreError::not_found("deletion request", request_id))?;
        if tx
            .fetch_optional(
                "SELECT id FROM credentials WHERE educator_id = $1 AND status <> 'revoked'",
                args![&req.educator_id],
            )
            .await?
            .is_some()
        {
            return Err(StoreError::conflict(
                "the educator still holds credentials that are not revoked",
            ));
        }
        let erased = match erase_educator(&mut tx, req.educator_id.as_str()).await {
            Ok(n) => n,
            // Already erased (e.g. by the operator): the request is still done.
            Err(StoreError::NotFound { .. }) => 0,
            Err(e) => return Err(e),
        };
        tx.execute(
            "UPDATE privacy_requests SET state = 'done', reason = NULL, decided_by = $1, decided_ms = $2 WHERE id = $3",
            args![decided_by, now, request_id],
        )
        .await?;
        // Earlier (declined) requests' reasons are the educator's words too.
        tx.execute(
            "UPDATE privacy_requests SET reason = NULL WHERE educator_id = $1",
            args![&req.educator_id],
        )
        .await?;
        tx.commit().await?;
        req.state = PrivacyRequestState::Done;
        req.reason = None;
        req.decided_by = Some(decided_by.clone());
        req.decided_ms = Some(now);
        Ok((req, erased))
    }

    /// Declines a pending deletion request of `org_id`, saying why.
    pub async fn decline_deletion(
        &self,
        org_id: &OrgId,
        request_id: &str,
        decided_by: &UserId,
        reason: &str,
    ) -> Result<PrivacyRequest, StoreError> {
        check_text("reason", reason, 2000)?;
        let mut req = self.pending_privacy_request(org_id, request_id).await?;
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        let n = tx
            .execute(
                "UPDATE privacy_requests SET state = 'declined', decided_by = $1, decided_ms = $2, decision_reason = $3 WHERE id = $4 AND state = 'pending'",
                args![decided_by, now, reason.trim(), request_id],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::not_found("deletion request", request_id));
        }
        tx.commit().await?;
        req.state = PrivacyRequestState::Declined;
        req.decided_by = Some(decided_by.clone());
        req.decided_ms = Some(now);
        req.decision_reason = Some(reason.trim().to_owned());
        Ok(req)
    }
}

/// Erases an educator inside `tx` (see [`Store::delete_educator`]).
async fn erase_educator(tx: &mut Tx, educator_id: &str) -> Result<u64, StoreError> {
    if tx
        .fetch_optional("SELECT id FROM educators WHERE id = $1", args![educator_id])
        .await?
        .is_none()
    {
        return Err(StoreError::not_found("educator", educator_id));
    }
    let creds: Vec<String> = tx
        .fetch_all(
            "SELECT id FROM credentials WHERE educator_id = $1",
            args![educator_id],
        )
        .await?
        .iter()
        .map(|r| r.text("id"))
        .collect::<Result<_, _>>()?;
    for chunk in creds.chunks(500) {
        let sql = format!(
            "DELETE FROM credential_events WHERE credential_id IN ({})",
            list_placeholders(1, chunk.len())
        );
        tx.execute(&sql, chunk.iter().map(|c| Val::Text(c.clone())).collect())
            .await?;
    }
    tx.execute(
        "DELETE FROM credentials WHERE educator_id = $1",
        args![educator_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM awards WHERE educator_id = $1",
        args![educator_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM facts WHERE educator_id = $1",
        args![educator_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM evidence_files WHERE submission_id IN (SELECT id FROM evidence_submissions WHERE educator_id = $1)",
        args![educator_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM milestones WHERE educator_id = $1",
        args![educator_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM evidence_submissions WHERE educator_id = $1",
        args![educator_id],
    )
    .await?;
    // What names the person by address outside their own rows: the results of bulk issuance
    // jobs (rows as the admin typed them) are dropped from every job that mentions one of
    // their addresses, and their notice choices, unsubscribe token and sent-notice claims go.
    let emails: Vec<String> = tx
        .fetch_all(
            "SELECT value FROM educator_identifiers WHERE educator_id = $1 AND kind = 'email'",
            args![educator_id],
        )
        .await?
        .iter()
        .map(|r| r.text("value"))
        .collect::<Result<_, _>>()?;
    for email in &emails {
        tx.execute(
            "UPDATE bulk_jobs SET results = NULL, error = $2 WHERE results IS NOT NULL AND LOWER(results) LIKE $1",
            args![
                format!("%{}%", email.to_lowercase()),
                "The results of this job were removed: they named a person whose data was erased on request."
            ],
        )
        .await?;
        for table in [
            "notification_choices",
            "notification_tokens",
            "notifications_sent",
        ] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE email = $1"),
                args![email.as_str()],
            )
            .await?;
        }
    }
    tx.execute(
        "DELETE FROM educator_identifiers WHERE educator_id = $1",
        args![educator_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM user_educators WHERE educator_id = $1",
        args![educator_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM wallet_claims WHERE educator_id = $1",
        args![educator_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM community_profiles WHERE educator_id = $1",
        args![educator_id],
    )
    .await?;
    tx.execute("DELETE FROM educators WHERE id = $1", args![educator_id])
        .await?;
    // Each erased credential's row is gone: the log says so (an `erase` entry naming only its
    // id), so an audit tells an erasure on request from a row deleted behind the log's back.
    if !creds.is_empty() {
        let now = now_ms();
        let mut log = crate::log::LogAppender::lock(tx).await?;
        for id in &creds {
            let mut leaf = crate::log::LeafData::new("erase", now);
            leaf.credential_id = Some(id);
            log.append("erase", Some(id), leaf.to_bytes()?, now)?;
        }
        log.flush(tx).await?;
    }
    Ok(creds.len() as u64)
}
