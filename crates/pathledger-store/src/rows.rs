//! Row mappers: each turns a database row into a record of `model`, with the column list its
//! queries select where several share one. They read rows and nothing else.

use pathledger_log::SignedTreeHead;

use crate::error::StoreError;
use crate::model::{
    status_list_url, AccessRole, CommunityVisibility, CredentialRecord, CredentialStatus,
    Definition, DefinitionKind, Educator, EndorserGrant, EvidenceSubmission, Fact, Issuer,
    IssuerKeyInfo, LogEntry, Membership, Organization, PrivacyRequest, PrivacyRequestState,
    StatusAssignment, StatusPurpose, SubmissionState, User,
};
use crate::sql::Row;

pub(crate) const CRED_COLS: &str = "id, org_id, issuer_id, key_id, achievement_id, achievement_version, educator_id, recipient_hash, document, document_hash, issued_ms, valid_until_ms, status, status_reason, idempotency_key, request_hash, previous_id, revocation_list_id, revocation_index, suspension_list_id, suspension_index, log_index";

/// Turns a credentials row into a record.
pub(crate) fn row_to_credential(
    r: &Row,
    status_base_url: &str,
) -> Result<CredentialRecord, StoreError> {
    let list_url = |list_id: &str| status_list_url(status_base_url, list_id);
    let rev_list = r.text("revocation_list_id")?;
    let susp_list = r.opt_text("suspension_list_id")?;
    let suspension = match (susp_list, r.opt_i64("suspension_index")?) {
        (Some(list_id), Some(i)) => Some(StatusAssignment {
            purpose: StatusPurpose::Suspension,
            list_url: list_url(&list_id),
            list_id,
            index: u64::try_from(i).map_err(|_| StoreError::integrity("negative status index"))?,
        }),
        _ => None,
    };
    Ok(CredentialRecord {
        id: r.text("id")?,
        org_id: r.text("org_id")?,
        issuer_id: r.text("issuer_id")?,
        key_id: r.text("key_id")?,
        achievement_id: r.text("achievement_id")?,
        achievement_version: r.i64("achievement_version")?,
        educator_id: r.opt_text("educator_id")?,
        recipient_hash: r.text("recipient_hash")?,
        document: r.text("document")?,
        document_hash: r.hash("document_hash")?,
        issued_ms: r.i64("issued_ms")?,
        valid_until_ms: r.opt_i64("valid_until_ms")?,
        status: CredentialStatus::parse(&r.text("status")?)?,
        status_reason: r.opt_text("status_reason")?,
        idempotency_key: r.opt_text("idempotency_key")?,
        previous_id: r.opt_text("previous_id")?,
        revocation: StatusAssignment {
            purpose: StatusPurpose::Revocation,
            list_url: list_url(&rev_list),
            list_id: rev_list,
            index: r.u64("revocation_index")?,
        },
        suspension,
        log_index: r.u64("log_index")?,
    })
}

pub(crate) fn parse_json(s: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::integrity(format!("stored JSON: {e}")))
}

pub(crate) fn row_to_org(r: &Row) -> Result<Organization, StoreError> {
    Ok(Organization {
        id: r.text("id")?.into(),
        parent_id: r.opt_text("parent_id")?,
        name: r.text("name")?,
        kind: r.text("kind")?,
        created_ms: r.i64("created_ms")?,
    })
}

pub(crate) fn row_to_user(r: &Row) -> Result<User, StoreError> {
    Ok(User {
        id: r.text("id")?.into(),
        email: r.text("email")?,
        display_name: r.text("display_name")?,
        educators: Vec::new(),
        created_ms: r.i64("created_ms")?,
    })
}

pub(crate) fn row_to_key(r: &Row) -> Result<IssuerKeyInfo, StoreError> {
    Ok(IssuerKeyInfo {
        id: r.text("id")?,
        issuer_id: r.text("issuer_id")?,
        public_key: r.hash("public_key")?,
        active: r.bool("active")?,
        created_ms: r.i64("created_ms")?,
        retired_ms: r.opt_i64("retired_ms")?,
    })
}

pub(crate) fn row_to_fact(r: &Row) -> Result<Fact, StoreError> {
    Ok(Fact {
        id: r.text("id")?,
        educator_id: r.text("educator_id")?.into(),
        kind: r.text("kind")?,
        document: parse_json(&r.text("document")?)?,
        recorded_by: r.opt_text("recorded_by")?.map(Into::into),
        created_ms: r.i64("created_ms")?,
    })
}

pub(crate) fn row_to_submission(r: &Row) -> Result<EvidenceSubmission, StoreError> {
    Ok(EvidenceSubmission {
        id: r.text("id")?,
        org_id: r.text("org_id")?.into(),
        educator_id: r.text("educator_id")?.into(),
        achievement_id: r.text("achievement_id")?,
        document: parse_json(&r.text("document")?)?,
        assessor_user_id: r.opt_text("assessor_user_id")?.map(Into::into),
        state: SubmissionState::parse(&r.text("state")?)?,
        decision_comment: r.opt_text("decision_comment")?,
        decided_by: r.opt_text("decided_by")?.map(Into::into),
        created_ms: r.i64("created_ms")?,
        decided_ms: r.opt_i64("decided_ms")?,
    })
}

pub(crate) const KEY_COLS: &str = "id, issuer_id, public_key, active, created_ms, retired_ms";
pub(crate) const SUB_COLS: &str = "id, org_id, educator_id, achievement_id, document, assessor_user_id, state, decision_comment, decided_by, created_ms, decided_ms";

pub(crate) fn row_to_membership(r: &Row) -> Result<Membership, StoreError> {
    Ok(Membership {
        user_id: r.text("user_id")?.into(),
        org_id: r.text("org_id")?.into(),
        role: AccessRole::parse(&r.text("role")?)?,
    })
}

pub(crate) fn row_to_issuer(r: &Row) -> Result<Issuer, StoreError> {
    Ok(Issuer {
        id: r.text("id")?,
        org_id: r.text("org_id")?.into(),
        name: r.text("name")?,
        url: r.opt_text("url")?,
        created_ms: r.i64("created_ms")?,
    })
}

/// A definitions row of `kind` (the kind the caller asked for).
pub(crate) fn row_to_definition(kind: DefinitionKind, r: &Row) -> Result<Definition, StoreError> {
    Ok(Definition {
        kind,
        id: r.text("id")?,
        version: r.i64("version")?,
        org_id: r.text("org_id")?,
        document: parse_json(&r.text("document")?)?,
        created_ms: r.i64("created_ms")?,
    })
}

/// An educators row with its identifier rows (`kind`, `value`; primary first).
pub(crate) fn row_to_educator(r: &Row, identifiers: &[Row]) -> Result<Educator, StoreError> {
    let mut emails = Vec::new();
    let mut did = None;
    for i in identifiers {
        match i.text("kind")?.as_str() {
            "email" => emails.push(i.text("value")?),
            _ => did = Some(i.text("value")?),
        }
    }
    Ok(Educator {
        id: r.text("id")?.into(),
        org_id: r.text("org_id")?.into(),
        display_name: r.text("display_name")?,
        emails,
        did,
        salt: r.text("salt")?,
        show_email: r.bool("show_email")?,
        show_did: r.bool("show_did")?,
        community_visibility: CommunityVisibility::parse(
            "community_visibility",
            &r.text("community_visibility")?,
        )?,
        created_ms: r.i64("created_ms")?,
    })
}

pub(crate) const GRANT_COLS: &str =
    "id, org_id, user_id, role_id, granted_by, granted_ms, revoked_by, revoked_ms";

pub(crate) fn row_to_grant(r: &Row) -> Result<EndorserGrant, StoreError> {
    Ok(EndorserGrant {
        id: r.text("id")?,
        org_id: r.text("org_id")?.into(),
        user_id: r.text("user_id")?.into(),
        role_id: r.text("role_id")?,
        granted_by: r.opt_text("granted_by")?.map(Into::into),
        granted_ms: r.i64("granted_ms")?,
        revoked_by: r.opt_text("revoked_by")?.map(Into::into),
        revoked_ms: r.opt_i64("revoked_ms")?,
        log_index: None,
    })
}

pub(crate) fn row_to_entry(r: &Row) -> Result<LogEntry, StoreError> {
    let data = r.bytes("data")?;
    Ok(LogEntry {
        index: r.u64("idx")?,
        event: r.text("event")?,
        credential_id: r.opt_text("credential_id")?,
        data: String::from_utf8(data)
            .map_err(|_| StoreError::integrity("log entry data is not UTF-8"))?,
        leaf_hash: r.hash("leaf_hash")?,
        created_ms: r.i64("created_ms")?,
    })
}

pub(crate) fn row_to_head(r: &Row) -> Result<SignedTreeHead, StoreError> {
    let sig = r.bytes("signature")?;
    Ok(SignedTreeHead {
        tree_size: r.u64("tree_size")?,
        root_hash: r.hash("root_hash")?,
        timestamp_ms: r.u64("timestamp_ms")?,
        key_id: r.text("key_id")?,
        signature: <[u8; 64]>::try_from(sig.as_slice())
            .map_err(|_| StoreError::integrity("tree head signature is not 64 bytes"))?,
    })
}

pub(crate) const ENTRY_COLS: &str = "idx, event, credential_id, data, leaf_hash, created_ms";
pub(crate) const HEAD_COLS: &str = "tree_size, root_hash, timestamp_ms, key_id, signature";

pub(crate) const PRIVACY_COLS: &str = "id, org_id, educator_id, requested_by, requested_ms, reason, state, decided_by, decided_ms, decision_reason";

pub(crate) fn row_to_privacy_request(r: &Row) -> Result<PrivacyRequest, StoreError> {
    let state = r.text("state")?;
    Ok(PrivacyRequest {
        id: r.text("id")?,
        org_id: r.text("org_id")?.into(),
        educator_id: r.text("educator_id")?.into(),
        requested_by: r.text("requested_by")?.into(),
        requested_ms: r.i64("requested_ms")?,
        reason: r.opt_text("reason")?,
        state: PrivacyRequestState::parse(&state).ok_or_else(|| {
            StoreError::integrity(format!("unknown privacy request state {state:?}"))
        })?,
        decided_by: r.opt_text("decided_by")?.map(Into::into),
        decided_ms: r.opt_i64("decided_ms")?,
        decision_reason: r.opt_text("decision_reason")?,
    })
}
