//! The data subject's rights: an educator downloads everything the ledger holds about them and
//! asks for their record to be erased; an org admin of the record's organization carries the
//! request out (or declines it). Erasure revokes what is still valid first, through the ordinary
//! status change, so the log records it and the status lists keep saying "revoked"; the log
//! itself holds only hashes and ids, so it stays intact and still audits.

use pathledger_store::{
    AccessRole, CredentialStatus, EducatorId, OrgId, PrivacyRequest, StatusChange, StoreError,
};
use serde::Serialize;
use serde_json::{json, Value};

use crate::{Actor, App, AppError};

/// The reason recorded on credentials revoked because their holder's record is erased.
pub const DELETION_REASON: &str = "Deleted at the educator's request";

/// What carrying out a deletion request did.
#[derive(Debug, Clone, Serialize)]
pub struct CarriedOut {
    /// The request, now done (ids and times only).
    pub request: PrivacyRequest,
    /// Credentials revoked before erasure.
    pub revoked: Vec<String>,
    /// Credential records erased.
    pub erased_credentials: u64,
}

/// Everything stored about an educator, for the educator themself or an org admin of the
/// record's organization: the record (with its identifiers), facts, evidence submissions,
/// credentials (the exact signed documents) and deletion requests.
pub async fn export(app: &App, actor: &Actor, educator_id: &EducatorId) -> Result<Value, AppError> {
    let educator = app.store().educator(educator_id.as_str()).await?;
    if !actor.user.is_educator(educator_id.as_str()) {
        actor
            .require(app, &educator.org_id, AccessRole::OrgAdmin)
            .await?;
    }
    let data = app.store().export_educator(educator_id.as_str()).await?;
    let requests = app
        .store()
        .privacy_requests_for_educator(educator_id)
        .await?;
    let credentials: Vec<Value> = data
        .credentials
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "org_id": c.org_id,
                "issuer_id": c.issuer_id,
                "achievement_id": c.achievement_id,
                "issued_ms": c.issued_ms,
                "valid_until_ms": c.valid_until_ms,
                "status": c.status.as_str(),
                "status_reason": c.status_reason,
                "log_index": c.log_index,
                // The exact signed bytes, as issued.
                "document": c.document,
            })
        })
        .collect();
    Ok(json!({
        "format": "pathledger-educator-export/1",
        "exported_ms": now_ms(),
        "educator": data.educator,
        "identifiers": data.educator.emails,
        "facts": data.facts,
        "evidence_submissions": data.submissions,
        "credentials": credentials,
        "privacy_requests": requests,
    }))
}

/// The educator asks for their record `educator_id` to be erased. Only the educator themself
/// may ask; one pending request at a time (a second is a conflict).
pub async fn request_deletion(
    app: &App,
    actor: &Actor,
    educator_id: &EducatorId,
    reason: Option<&str>,
) -> Result<PrivacyRequest, AppError> {
    let educator = app.store().educator(educator_id.as_str()).await?;
    if !actor.user.is_educator(educator_id.as_str()) {
        tracing::warn!(user = %actor.user.id, educator = %educator_id, "deletion request refused: not the educator");
        return Err(AppError::forbidden());
    }
    match app
        .store()
        .request_deletion(&educator.org_id, educator_id, &actor.user.id, reason)
        .await
    {
        Err(StoreError::Conflict { .. }) => Err(AppError::conflict(
            "You already asked for this record to be deleted; an org admin will carry it out.",
        )),
        other => Ok(other?),
    }
}

/// An organization's deletion requests, newest first (org admins of `org_id` only).
pub async fn list(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
) -> Result<Vec<PrivacyRequest>, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    Ok(app.store().privacy_requests(org_id).await?)
}

/// Carries out a pending deletion request of `org_id` (org admins of that organization only):
/// revokes the educator's credentials that are still active or suspended, then erases the
/// record and marks the request done.
pub async fn carry_out(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
    request_id: &str,
) -> Result<CarriedOut, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    let request = app
        .store()
        .pending_privacy_request(org_id, request_id)
        .await?;
    let mut revoked = Vec::new();
    // A credential issued between the revocations and the erasure makes the store refuse
    // (conflict); revoke again and retry, a few times at most.
    for attempt in 0..3 {
        let held = app
            .store()
            .credentials_for_educator(request.educator_id.as_str())
            .await?;
        for c in held
            .iter()
            .filter(|c| c.status != CredentialStatus::Revoked)
        {
            app.change_status(
                &c.id,
                StatusChange::Revoke,
                Some(DELETION_REASON),
                Some(&actor.user.id),
            )
            .await?;
            revoked.push(c.id.clone());
        }
        match app
            .store()
            .carry_out_deletion(org_id, request_id, &actor.user.id)
            .await
        {
            Ok((request, erased_credentials)) => {
                tracing::info!(user = %actor.user.id, org = %org_id, request = request_id, erased_credentials, "deletion request carried out");
                return Ok(CarriedOut {
                    request,
                    revoked,
                    erased_credentials,
                });
            }
            Err(StoreError::Conflict { .. }) if attempt < 2 => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::conflict(
        "credentials kept being issued to this educator; try again",
    ))
}

/// Declines a pending deletion request of `org_id`, saying why (org admins only).
pub async fn decline(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
    request_id: &str,
    reason: &str,
) -> Result<PrivacyRequest, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    if reason.trim().is_empty() {
        return Err(AppError::invalid(
            "reason",
            "say why the request is declined; the educator sees it in their data",
        ));
    }
    Ok(app
        .store()
        .decline_deletion(org_id, request_id, &actor.user.id, reason)
        .await?)
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}
