//! Evidence submissions and the assessor's decision on them.

use crate::crypto::{new_id, now_ms};
use crate::error::StoreError;
use crate::model::{EducatorId, OrgId, UserId};
use crate::model::{EvidenceSubmission, SubmissionState};
use crate::rows::{row_to_submission, SUB_COLS};
use crate::sql::args;
use crate::store::Store;
use crate::validate::check_text;

impl Store {
    /// Submits evidence for a micro-credential, optionally assigned to an assessor.
    pub async fn submit_evidence(
        &self,
        org_id: &OrgId,
        educator_id: &EducatorId,
        achievement_id: &str,
        document: &serde_json::Value,
        assessor_user_id: Option<&UserId>,
    ) -> Result<EvidenceSubmission, StoreError> {
        self.submit_evidence_with_file(
            org_id,
            educator_id,
            achievement_id,
            document,
            assessor_user_id,
            None,
        )
        .await
    }

    /// Submits evidence with a file attached (or none), the submission and its file in one
    /// transaction.
    pub async fn submit_evidence_with_file(
        &self,
        org_id: &OrgId,
        educator_id: &EducatorId,
        achievement_id: &str,
        document: &serde_json::Value,
        assessor_user_id: Option<&UserId>,
        file: Option<&EvidenceFile>,
    ) -> Result<EvidenceSubmission, StoreError> {
        check_text("achievement_id", achievement_id, 2048)?;
        if let Some(f) = file {
            check_text("file_name", &f.file_name, 255)?;
            check_text("media_type", &f.media_type, 100)?;
            if f.bytes.is_empty() {
                return Err(StoreError::invalid("file", "is empty"));
            }
        }
        let s = EvidenceSubmission {
            id: new_id("sub")?,
            org_id: org_id.to_owned(),
            educator_id: educator_id.to_owned(),
            achievement_id: achievement_id.to_owned(),
            document: document.clone(),
            assessor_user_id: assessor_user_id.cloned(),
            state: SubmissionState::Submitted,
            decision_comment: None,
            decided_by: None,
            created_ms: now_ms(),
            decided_ms: None,
        };
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM educators WHERE id = $1", args![educator_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("educator", educator_id));
        }
        tx.execute(
            &format!("INSERT INTO evidence_submissions ({SUB_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8, NULL)"),
            args![s.id.as_str(), org_id, educator_id, achievement_id, document.to_string(), assessor_user_id, s.state.as_str(), s.created_ms],
        )
        .await?;
        if let Some(f) = file {
            tx.execute(
                "INSERT INTO evidence_files (submission_id, media_type, file_name, bytes, created_ms) VALUES ($1, $2, $3, $4, $5)",
                args![s.id.as_str(), f.media_type.as_str(), f.file_name.as_str(), f.bytes.clone(), s.created_ms],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(s)
    }

    /// Assigns (or reassigns) the assessor of a submission.
    pub async fn assign_assessor(
        &self,
        submission_id: &str,
        assessor_user_id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        let n = tx
            .execute(
                "UPDATE evidence_submissions SET assessor_user_id = $1 WHERE id = $2 AND state = 'submitted'",
                args![assessor_user_id, submission_id],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::not_found("open submission", submission_id));
        }
        tx.commit().await
    }

    /// Records the assessor's decision (accepted or returned with a comment). Only the assigned
    /// assessor may decide, and only once.
    pub async fn decide_evidence(
        &self,
        submission_id: &str,
        assessor_user_id: &UserId,
        accept: bool,
        comment: Option<&str>,
    ) -> Result<EvidenceSubmission, StoreError> {
        let state = if accept {
            SubmissionState::Accepted
        } else {
            SubmissionState::Returned
        };
        let mut tx = self.db().begin().await?;
        let row = tx
            .fetch_optional(
                &format!("SELECT {SUB_COLS} FROM evidence_submissions WHERE id = $1"),
                args![submission_id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("submission", submission_id))?;
        let mut sub = row_to_submission(&row)?;
        if sub.assessor_user_id.as_deref() != Some(assessor_user_id) {
            return Err(StoreError::Forbidden {
                message: "only the assigned assessor can decide this submission".into(),
            });
        }
        if sub.state != SubmissionState::Submitted {
            return Err(StoreError::conflict("this submission was already decided"));
        }
        let now = now_ms();
        tx.execute(
            "UPDATE evidence_submissions SET state = $1, decision_comment = $2, decided_by = $3, decided_ms = $4 WHERE id = $5 AND state = 'submitted'",
            args![state.as_str(), comment, assessor_user_id, now, submission_id],
        )
        .await?;
        tx.commit().await?;
        sub.state = state;
        sub.decision_comment = comment.map(str::to_owned);
        sub.decided_by = Some(assessor_user_id.to_owned());
        sub.decided_ms = Some(now);
        Ok(sub)
    }

    /// One submission.
    pub async fn submission(&self, id: &str) -> Result<EvidenceSubmission, StoreError> {
        let r = self
            .db()
            .fetch_optional(
                &format!("SELECT {SUB_COLS} FROM evidence_submissions WHERE id = $1"),
                args![id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("submission", id))?;
        row_to_submission(&r)
    }

    /// Submissions of an educator.
    pub async fn submissions_for_educator(
        &self,
        educator_id: &str,
    ) -> Result<Vec<EvidenceSubmission>, StoreError> {
        self.db()
            .fetch_all(
                &format!("SELECT {SUB_COLS} FROM evidence_submissions WHERE educator_id = $1 ORDER BY created_ms, id"),
                args![educator_id],
            )
            .await?
            .iter()
            .map(row_to_submission)
            .collect()
    }

    /// Submissions assigned to an assessor.
    pub async fn submissions_for_assessor(
        &self,
        assessor_user_id: &str,
    ) -> Result<Vec<EvidenceSubmission>, StoreError> {
        self.db()
            .fetch_all(
                &format!("SELECT {SUB_COLS} FROM evidence_submissions WHERE assessor_user_id = $1 ORDER BY created_ms, id"),
                args![assessor_user_id],
            )
            .await?
            .iter()
            .map(row_to_submission)
            .collect()
    }

    /// The file attached to a submission, if any.
    pub async fn evidence_file(
        &self,
        submission_id: &str,
    ) -> Result<Option<EvidenceFile>, StoreError> {
        let Some(r) = self
            .db()
            .fetch_optional(
                "SELECT media_type, file_name, bytes FROM evidence_files WHERE submission_id = $1",
                args![submission_id],
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(EvidenceFile {
            media_type: r.text("media_type")?,
            file_name: r.text("file_name")?,
            bytes: r.bytes("bytes")?,
        }))
    }
}

/// A file attached to evidence: its media type (as read from its content), the name it was
/// uploaded under, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    pub media_type: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}
