//! Evidence for a micro-credential: an educator submits it to an assessor, who accepts it (the
//! credential is issued, then whatever it completes) or returns it with comments.

use pathledger_store::{
    AccessRole, CredentialStatus, EvidenceSubmission, Recipient, StatusChange, SubmissionState,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::notify::EvidenceOutcome;
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
    /// A link to a video of the practice (a recording of a lesson, say).
    #[serde(default)]
    pub video: Option<String>,
    /// The assessor (user id) asked to review it.
    pub assessor: String,
    /// The organization whose record submits, for a person with records in several
    /// (default: their first record).
    #[serde(default)]
    pub org: Option<String>,
    /// A file uploaded with the form (a PDF or an image); not part of the JSON API.
    #[serde(skip)]
    pub file: Option<Upload>,
}

/// A file as uploaded: the name the browser gave it and its bytes (at most
/// [`MAX_FILE_BYTES`] + 1 of them: a reader stops there, which is enough to refuse it).
#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The largest evidence file accepted, in bytes (5 MiB).
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// The media type of an evidence file, read from its first bytes (never from its name): PDF,
/// PNG, JPEG, GIF or WebP; None for anything else.
pub fn sniff_media_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The file extension that goes with a sniffed media type.
pub fn extension_for(media_type: &str) -> &'static str {
    match media_type {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        _ => "bin",
    }
}

/// An upload checked: not empty, not too big, a PDF or an image by its content. The stored
/// name keeps only the base name's safe characters, with the extension of the real type.
pub fn check_upload(u: &Upload) -> Result<pathledger_store::EvidenceFile, AppError> {
    if u.bytes.is_empty() {
        return Err(AppError::invalid("file", "This file is empty."));
    }
    if u.bytes.len() > MAX_FILE_BYTES {
        return Err(AppError::invalid(
            "file",
            format!(
                "This file is larger than {} MB: attach a smaller file, or give a link instead.",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        ));
    }
    let media_type = sniff_media_type(&u.bytes).ok_or_else(|| {
        AppError::invalid(
            "file",
            "This file is not a PDF or an image (PNG, JPEG, GIF or WebP): attach one of those, or give a link.",
        )
    })?;
    let base = u.name.rsplit(['/', '\\']).next().unwrap_or("");
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let mut safe: String = stem
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .take(80)
        .collect();
    safe = safe.trim().to_owned();
    if safe.is_empty() {
        safe = "evidence".into();
    }
    Ok(pathledger_store::EvidenceFile {
        media_type: media_type.to_owned(),
        file_name: format!("{safe}.{}", extension_for(media_type)),
        bytes: u.bytes.clone(),
    })
}

/// An optional http(s) link field, trimmed; refused when it is not one.
fn link(field: &str, value: Option<&str>) -> Result<Option<String>, AppError> {
    match value.map(str::trim).filter(|u| !u.is_empty()) {
        None => Ok(None),
        Some(u) => {
            if !(u.starts_with("https://") || u.starts_with("http://"))
                || u.len() > 2048
                || u.contains(char::is_whitespace)
            {
                return Err(AppError::invalid(
                    field,
                    "must be an http or https link without spaces",
                ));
            }
            Ok(Some(u.to_owned()))
        }
    }
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
    let url = link("url", input.url.as_deref())?;
    let video = link("video", input.video.as_deref())?;
    let file = input.file.as_ref().map(check_upload).transpose()?;
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
    let mut doc = json!({"narrative": narrative, "url": url});
    if let Some(v) = video {
        doc["video"] = json!(v);
    }
    if let Some(f) = &file {
        doc["file"] =
            json!({"name": f.file_name, "media_type": f.media_type, "size": f.bytes.len()});
    }
    let sub = app
        .store()
        .submit_evidence_with_file(
            &educator.org_id,
            &educator.id,
            ach.id.as_str(),
            &doc,
            Some(&assessor.into()),
            file.as_ref(),
        )
        .await
        .map_err(AppError::from)?;
    tracing::info!(submission = %sub.id, educator = %educator.id, achievement = %sub.achievement_id, "evidence submitted");
    app.announce_review(sub.clone());
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

/// The file attached to a submission, for the educator and the organization's reviewers (its
/// assessors and mentors, and its admins) only. Anyone else is told it does not exist, as for
/// a submission they may not see.
pub async fn evidence_file(
    app: &App,
    actor: &Actor,
    sub_id: &str,
) -> Result<pathledger_store::EvidenceFile, AppError> {
    let sub = app
        .store()
        .submission(sub_id)
        .await
        .map_err(AppError::from)?;
    let allowed = may_see_submission(app, actor, &sub).await.is_ok()
        || actor
            .require(app, &sub.org_id, AccessRole::Assessor)
            .await
            .is_ok();
    let file = if allowed {
        app.store()
            .evidence_file(&sub.id)
            .await
            .map_err(AppError::from)?
    } else {
        None
    };
    file.ok_or_else(|| {
        AppError::from(pathledger_store::StoreError::NotFound {
            entity: "evidence file",
            id: sub_id.to_owned(),
        })
    })
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
        // The award is announced once the decision is recorded (below): a concurrent return
        // that wins revokes this credential, which is then no news.
        let opts = IssueOptions {
            idempotency_key: Some(format!("evidence:{}", sub.id)),
            evidence: Some(evidence),
            mail_people: false,
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
    // Even when this retry replayed the credential: the first try recorded no decision, so it
    // announced nothing (the notice's claim keeps it to one).
    if let Some(c) = &credential {
        app.announce_awards(vec![c.record.clone()]);
    }
    let outcome = if accept {
        EvidenceOutcome::Accepted
    } else {
        EvidenceOutcome::Returned
    };
    app.announce_evidence_decision(
        submission.clone(),
        outcome,
        actor.user.display_name.clone(),
        comment,
        credential.as_ref().map(|c| c.record.id.clone()),
    );
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
