//! Organizations keep their own records. A person with records in several organizations joins
//! them by linking each to their account (by an email the record carries, which is their
//! sign-in email); an organization counts another organization's credentials only from issuers
//! its admin chose to trust (recognition).

use pathledger_store::{AccessRole, EducatorLink, OrgId, StoreError, TrustedIssuer};

use crate::{Actor, App, AppError};

/// Links the caller's educator record in `org` (the one carrying their sign-in email) to their
/// account, so it shows on their dashboard and, where organizations trust each other's issuers,
/// its credentials count there too.
pub async fn link_own_record(
    app: &App,
    actor: &Actor,
    org: &str,
) -> Result<EducatorLink, AppError> {
    let org = org.trim();
    if org.is_empty() {
        return Err(AppError::invalid(
            "org",
            "name the organization of the record",
        ));
    }
    let store = app.store();
    let educator = store
        .educator_by_email(org, &actor.user.email)
        .await?
        .ok_or_else(|| {
            AppError::Missing(format!(
                "Organization {org:?} has no educator record with your email ({}).",
                actor.user.email
            ))
        })?;
    let link = store.link_educator(&actor.user.id, &educator.id).await?;
    tracing::info!(user = %actor.user.id, educator = %educator.id, org = %org, "linked an educator record");
    // What this record's organization recognizes from the person's other records may now be
    // earned.
    app.award_quietly(&educator.id).await;
    Ok(link)
}

/// The issuers `org` trusts (its members may read them).
pub async fn trusted_issuers(
    app: &App,
    actor: &Actor,
    org: &OrgId,
) -> Result<Vec<TrustedIssuer>, AppError> {
    actor
        .require_any(
            app,
            org,
            &[
                AccessRole::OrgAdmin,
                AccessRole::Issuer,
                AccessRole::Assessor,
                AccessRole::Verifier,
            ],
        )
        .await?;
    Ok(app.store().trusted_issuers(org).await?)
}

/// Trusts another organization's issuer (org admins of `org` only): its credentials held on
/// records linked to `org`'s educators count toward `org`'s pathways from now on.
pub async fn trust_issuer(
    app: &App,
    actor: &Actor,
    org: &OrgId,
    issuer_id: &str,
) -> Result<TrustedIssuer, AppError> {
    actor.require(app, org, AccessRole::OrgAdmin).await?;
    let issuer_id = issuer_id.trim();
    if issuer_id.is_empty() {
        return Err(AppError::invalid("issuer", "name the issuer to trust"));
    }
    let t = app
        .store()
        .trust_issuer(org, issuer_id, &actor.user.id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => {
                AppError::invalid("issuer", format!("no issuer {issuer_id:?}"))
            }
            other => other.into(),
        })?;
    tracing::info!(org = %org, issuer = %issuer_id, by = %actor.user.id, "trusted another organization's issuer");
    Ok(t)
}

/// Withdraws trust (org admins of `org` only); the issuer's credentials stop counting at once
/// (awards already issued stay issued and can be revoked by the organization).
pub async fn distrust_issuer(
    app: &App,
    actor: &Actor,
    org: &OrgId,
    issuer_id: &str,
) -> Result<(), AppError> {
    actor.require(app, org, AccessRole::OrgAdmin).await?;
    app.store().distrust_issuer(org, issuer_id.trim()).await?;
    tracing::info!(org = %org, issuer = %issuer_id, by = %actor.user.id, "withdrew trust in an issuer");
    Ok(())
}
