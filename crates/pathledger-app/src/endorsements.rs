//! Mentor endorsements: facts the pathway engine counts, each documented by a signed
//! `EndorsementCredential`.

use pathledger_badges as badges;
use pathledger_core::Category;
use pathledger_store::AccessRole;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::endorsers::endorsing_role;
use crate::evidence::MAX_NARRATIVE;
use crate::{first_issuer, Actor, App, AppError};

/// A mentor's endorsement of an educator for one competency.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndorseInput {
    /// Educator id.
    pub educator: String,
    /// Competency id (qualities or adaptive skills).
    pub competency: String,
    /// The career role the mentor endorses as (e.g. role-master-mentor): one they hold in the
    /// educator's organization (reached, or granted by an org admin). Optional when they hold
    /// exactly one.
    #[serde(default)]
    pub endorser_role: Option<String>,
    /// What the mentor saw.
    pub comment: String,
}

/// A recorded endorsement: the signed credential and the names a confirmation reads.
#[derive(Debug, Clone)]
pub struct Endorsed {
    /// The signed `EndorsementCredential`.
    pub signed: Value,
    /// The educator endorsed (id and name).
    pub educator_id: String,
    /// The educator's name.
    pub educator: String,
    /// The competency's name.
    pub competency: String,
    /// The career role the mentor endorsed as (its name).
    pub endorser_role: String,
    /// When (milliseconds since the epoch).
    pub at_ms: i64,
}

/// Records a mentor endorsement (it counts toward roles that require endorsements) and returns
/// the signed `EndorsementCredential` that documents it, whose subject is the educator.
pub async fn endorse(app: &App, actor: &Actor, input: EndorseInput) -> Result<Endorsed, AppError> {
    let store = app.store();
    let educator = store
        .educator(input.educator.trim())
        .await
        .map_err(AppError::from)?;
    actor
        .require_any(
            app,
            &educator.org_id,
            &[AccessRole::Assessor, AccessRole::OrgAdmin],
        )
        .await?;
    if actor.user.is_educator(educator.id.as_str()) {
        return Err(AppError::invalid("educator", "you cannot endorse yourself"));
    }
    let defs = app.definitions(&educator.org_id).await?;
    let comp = defs.competency(input.competency.trim()).ok_or_else(|| {
        AppError::invalid(
            "competency",
            format!("unknown competency {:?}", input.competency),
        )
    })?;
    if !matches!(
        comp.category,
        Category::Qualities | Category::AdaptiveSkills
    ) {
        return Err(AppError::invalid(
            "competency",
            "mentors endorse qualities and adaptive skills; technical skills and mindset are shown by micro-credentials",
        ));
    }
    // What the endorser verifiably is in this organization, never what the request says.
    let role = endorsing_role(app, actor, &educator.org_id, input.endorser_role.as_deref()).await?;
    let comment = input.comment.trim();
    if comment.is_empty() || comment.chars().count() > MAX_NARRATIVE {
        return Err(AppError::invalid(
            "comment",
            format!("say what you observed (1 to {MAX_NARRATIVE} characters)"),
        ));
    }
    let already = store
        .facts(&educator.id)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .any(|f| {
            f.kind == "endorsement"
                && f.recorded_by.as_deref() == Some(actor.user.id.as_str())
                && f.document.get("competency").and_then(Value::as_str) == Some(comp.id.as_str())
        });
    if already {
        return Err(AppError::conflict(
            "You have already endorsed this educator for this competency.",
        ));
    }
    let issuer = first_issuer(app, &educator.org_id).await?;
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let input_doc = badges::EndorsementInput {
        id: format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        issuer: app.issuer_profile(&issuer),
        name: format!("Mentor endorsement: {}", comp.name),
        valid_from: now,
        valid_until: None,
        // The subject is the educator (an identifier of their record here, and their name);
        // the competency is in the credential's name and comment.
        endorsed_id: format!("urn:pathledger:educator:{}", educator.id),
        endorsed_name: Some(educator.display_name.clone()),
        comment: Some(format!(
            "{} ({}) endorses {} for {}: {}",
            actor.user.display_name, role.name, educator.display_name, comp.name, comment
        )),
        include_schema: true,
    };
    let doc = badges::endorsement_credential(&input_doc)
        .map_err(|e| AppError::invalid("endorsement", e.to_string()))?;
    let signed = app.sign_as_issuer(&issuer.id, &doc).await?;
    let fact = json!({
        "endorser": format!("user:{}", actor.user.id),
        "endorser_role": role.role.as_str(),
        "category": comp.category,
        "competency": comp.id.as_str(),
        "comment": comment,
        "credential": signed,
    });
    store
        .add_fact(&educator.id, "endorsement", &fact, Some(&actor.user.id))
        .await
        .map_err(AppError::from)?;
    tracing::info!(educator = %educator.id, competency = %comp.id.as_str(), by = %actor.user.id, "endorsement recorded");
    // An endorsement may be what a role was waiting for.
    app.award_quietly(&educator.id).await;
    Ok(Endorsed {
        signed,
        educator_id: educator.id.to_string(),
        educator: educator.display_name,
        competency: comp.name.clone(),
        endorser_role: role.name.clone(),
        at_ms: now.unix_timestamp() * 1000,
    })
}
