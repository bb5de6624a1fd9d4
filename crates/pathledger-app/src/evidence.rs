//! Evidence for a micro-credential: an educator submits it to an assessor, who accepts it (the
//! credential is issued, then whatever it completes) or returns it with comments.

use pathledger_store::{
    AccessRole, CredentialStatus, EvidenceSubmission, Recipient, StatusChange, SubmissionState,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{first_issuer, Actor, App, AppError, IssueOptions, Issued};

/// What an educator submits for a micro-credential.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitInput {
    /// Achievement (micro-credential) id.
    pub achievement: String,
    /// What was done and what it shows.
    pub narrative: String,
    /// A link to the artifact (lesson plan, video …).
    #[serde(default)]
    pub url: Option<String>,
    /// The assessor (user id) asked to review it.
    pub assessor: String,
    /// The organization whose record submits, for a person with records in several
    /// (default: their first record).
    #[serde(default)]
    pub org: Option<String>,
}

/// Longest narrative or comment, in characters.
pub const MAX_NARRATIVE: usize = 10_000;

/// The actor's own educator record (in `org`, else their first), or a refusal.
pub async fn own_educator(
    app: &App,
    actor: &Actor,
    org: Option<&str>,
) -> Result<pathledger_store::Educator, AppError> {
    let eid = match org.map(str::trim).filter(|o| !o.is_empty()) {
        Some(o) => actor.user.educator_in(o).ok_or_else(|| {
            AppError::invalid(
                "org",
                format!("you have no educator record in organization {o:?}"),
            )
        })?,
        None => actor
            .user
            .primary_educator()
            .ok_or_else(|| AppError::Forbidden {
                code: "not_an_educator",
                message: "Only an educator account can submit evidence.".into(),
            })?,
    };
    app.store().educator(eid).await.map_err(AppError::from)
}

pub async fn submit_evidence(
    app: &App,
    actor: &Actor,
    input: SubmitInput,
) -> Result<EvidenceSubmission, AppError> {
    let educator = own_educator(app, actor, input.org.as_deref()).await?;
    let defs = app.definitions(&educator.org_id).await?;
    let ach = defs.achievement(input.achievement.trim()).ok_or_else(|| {
        AppError::invalid(
            "achievement",
            format!("unknown micro-credential {:?}", input.achievement),
        )
    })?;
    if !defs.is_earnable(ach.id.as_str()) {
        return Err(AppError::invalid(
            "achievement",
            format!(
                "{} is awarded by completing its stack or reaching its role, not by evidence",
                ach.name
            ),
        ));
    }
    let narrative = input.narrative.trim();
    if narrative.is_empty() {
        return Err(AppError::invalid(
            "narrative",
            "describe what you did and what it shows",
        ));
    }
    if narrative.chars().count() > MAX_NARRATIVE {
        return Err(AppError::invalid(
            "narrative",
            format!("is longer than {MAX_NARRATIVE} characters"),
        ));
    }
    let url = match input
        .url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        None => None,
        Some(u) => {
            if !(u.starts_with("https://") || u.starts_with("http://"))
                || u.len() > 2048
                || u.contains(char::is_whitespace)
            {
                return Err(AppError::invalid(
                    "url",
                    "must be an http or https link without spaces",
                ));
            }
            Some(u.to_owned())
        }
    };
    let assessor = input.assessor.trim();
    if assessor.is_empty()
        || !app
            .store()
            .has_role(&assessor.into(), &educator.org_id, AccessRole::Assessor)
            .await
            .map_err(AppError::from)?
    {
        return Err(AppError::invalid(
            "assessor",
            "choose an assessor or mentor of your organization",
        ));
    }
    let (state, _) = app.educator_state(&educator.id).await?;
    if state.holds(ach.id.as_str()) {
        return Err(AppError::conflict(format!(
            "You already hold a valid {} credential.",
            ach.name
        )));
    }
    let open = app
        .store()
        .submissions_for_educator(&educator.id)
        .await
        .map_err(AppError::from)?;
    if open
        .iter()
        .any(|s| s.achievement_id == ach.id.as_str() && s.state == SubmissionState::Submitted)
    {
        return Err(AppError::conflict(format!(
            "Evidence for {} is already waiting for review.",
            ach.name
        )));
    }
    let doc = json!({"narrative": narrative, "url": url});
    let sub = app
        .store()
        .submit_evidence(
            &educator.org_id,
            &educator.id,
            ach.id.as_str(),
            &doc,
            Some(&assessor.into()),
        )
        .await
        .map_err(AppError::from)?;
    tracing::info!(submission = %sub.id, educator = %educator.id, achievement = %sub.achievement_id, "evidence submitted");
    Ok(sub)
}

/// May the actor see this submission? The educator, the assigned assessor, or an org admin.
pub async fn may_see_submission(
    app: &App,
    actor: &Actor,
    sub: &EvidenceSubmission,
) -> Result<(), AppError> {
    if actor.user.is_educator(sub.educator_id.as_str())
        || sub.assessor_user_id.as_deref() == Some(actor.user.id.as_str())
    {
        return Ok(());
    }
    actor.require(app, &sub.org_id, AccessRole::OrgAdmin).await
}

/// The outcome of an assessor's decision.
pub struct Decision {
    /// The decided submission.
    pub submission: EvidenceSubmission,
    /// The credential issued on acceptance.
    pub credential: Option<Issued>,
    /// Credentials the acceptance completed (a stack's certificate, a role's award).
    pub awarded: Vec<Issued>,
}

/// Accepts (issuing the credential, then whatever it completes) or returns a submission.
///
/// The credential is issued before the decision is recorded, under an idempotency key derived
/// from the submission: if recording fails, retrying the decision returns the same credential,
/// never a second one.
pub async fn decide(
    app: &App,
    actor: &Actor,
    sub_id: &str,
    accept: bool,
    comment: Option<String>,
) -> Result<Decision, AppError> {
    let sub = app
        .store()
        .submission(sub_id)
        .await
        .map_err(AppError::from)?;
    if sub.assessor_user_id.as_deref() != Some(actor.user.id.as_str()) {
        tracing::warn!(user = %actor.user.id, submission = %sub.id, "decision refused: not the assigned assessor");
        return Err(AppError::forbidden());
    }
    actor
        .require(app, &sub.org_id, AccessRole::Assessor)
        .await?;
    if sub.state != SubmissionState::Submitted {
        return Err(AppError::conflict("This submission was already decided."));
    }
    let comment = comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_NARRATIVE)
    {
        return Err(AppError::invalid(
            "comment",
            format!("is longer than {MAX_NARRATIVE} characters"),
        ));
    }
    if !accept && comment.is_none() {
        return Err(AppError::invalid(
            "comment",
            "say what the educator should add or change before resubmitting",
        ));
    }
    let mut credential = None;
    if accept {
        let issuer = first_issuer(app, &sub.org_id).await?;
        let narrative = sub
            .document
            .get("narrative")
            .and_then(Value::as_str)
            .unwrap_or("");
        let evidence = match sub.document.get("url").and_then(Value::as_str) {
            Some(u) => format!("{narrative}\n\nArtifact: {u}"),
            None => narrative.to_owned(),
        };
        let opts = IssueOptions {
            idempotency_key: Some(format!("evidence:{}", sub.id)),
            evidence: Some(evidence),
            ..IssueOptions::default()
        };
        credential = Some(
            app.issue(
                &issuer.id,
                &sub.achievement_id,
                Recipient::Educator(sub.educator_id.to_string()),
                opts,
            )
            .await?,
        );
    }
    let submission = match app
        .store()
        .decide_evidence(&sub.id, &actor.user.id, accept, comment.as_deref())
        .await
    {
        Ok(s) => s,
        Err(e) => {
            // A concurrent "return" won the race after this acceptance issued: the credential
            // must not stand for a returned submission.
            if accept {
                if let Ok(now) = app.store().submission(&sub.id).await {
                    if now.state == SubmissionState::Returned {
                        revoke_issued_for(app, &sub, actor).await?;
                    }
                }
            }
            return Err(AppError::from(e));
        }
    };
    if !accept {
        // An earlier acceptance may have issued and then failed to record its decision; a
        // returned submission must not leave its credential standing.
        revoke_issued_for(app, &sub, actor).await?;
    }
    let awarded = if accept {
        app.award_quietly(&sub.educator_id).await
    } else {
        Vec::new()
    };
    tracing::info!(submission = %sub.id, accepted = accept, by = %actor.user.id, "evidence decided");
    Ok(Decision {
        submission,
        credential,
        awarded,
    })
}

/// Revokes any credential an acceptance of `sub` issued (found by its idempotency key).
pub async fn revoke_issued_for(
    app: &App,
    sub: &EvidenceSubmission,
    actor: &Actor,
) -> Result<(), AppError> {
    let key = format!("evidence:{}", sub.id);
    for c in app
        .store()
        .credentials_for_educator(&sub.educator_id)
        .await?
    {
        if c.idempotency_key.as_deref() == Some(key.as_str()) && c.status.as_str() != "revoked" {
            tracing::warn!(submission = %sub.id, credential = %c.id, "submission was returned; revoking the credential an acceptance issued");
            let revoked = app
                .change_status(
                    &c.id,
                    StatusChange::Revoke,
                    Some("the evidence submission was returned"),
                    Some(&actor.user.id),
                )
                .await;
            if let Err(e) = revoked {
                // The racing decision may have revoked it first: that is the outcome wanted.
                if app.store().credential(&c.id).await?.status != CredentialStatus::Revoked {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}
