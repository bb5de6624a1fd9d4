//! Who may endorse as which career role. The role an endorsement counts for comes from what the
//! endorser verifiably is in the educator's organization, never from the request: a role their
//! own educator record there has reached (the pathway evaluation over the ledger's rows), or an
//! explicit, revocable grant by an org admin of that organization (stored and logged).

use pathledger_store::{AccessRole, EndorserGrant, OrgId, UserId};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, AppError};

/// How a user holds a career role as an endorser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleSource {
    /// Their educator record in the organization has reached the role.
    Reached,
    /// An org admin granted it.
    Grant,
}

/// A career role a user may endorse as, in one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndorserRole {
    /// Career role id.
    pub role: String,
    /// Its name.
    pub name: String,
    /// Why the user holds it.
    pub source: RoleSource,
    /// The grant, when `source` is `grant`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant: Option<String>,
}

/// The career roles `actor` endorses as in `org_id`, in the order of the organization's role
/// definitions (a role both reached and granted is listed once, as reached).
pub async fn endorser_roles(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
) -> Result<Vec<EndorserRole>, AppError> {
    let defs = app.definitions(org_id).await?;
    let mut reached = Vec::new();
    if let Some(edu) = actor.educator_in(app, org_id).await? {
        let id = edu.id.to_string();
        let state = app
            .award_states(org_id, std::slice::from_ref(&id))
            .await?
            .remove(&id)
            .unwrap_or_default();
        reached = defs.evaluate(&state).roles_met();
    }
    let grants: Vec<EndorserGrant> = app
        .store()
        .endorser_grants_of_user(&actor.user.id)
        .await?
        .into_iter()
        .filter(|g| &g.org_id == org_id)
        .collect();
    let mut out = Vec::new();
    for r in defs.roles() {
        let id = r.id.as_str();
        let (source, grant) = if reached.iter().any(|x| x.as_str() == id) {
            (RoleSource::Reached, None)
        } else if let Some(g) = grants.iter().find(|g| g.role_id == id) {
            (RoleSource::Grant, Some(g.id.clone()))
        } else {
            continue;
        };
        out.push(EndorserRole {
            role: id.to_owned(),
            name: r.name.clone(),
            source,
            grant,
        });
    }
    Ok(out)
}

/// The role an endorsement by `actor` in `org_id` counts for: the one asked for, if the actor
/// holds it; else the only one they hold. Refused when they hold none, or hold several and did
/// not choose.
pub async fn endorsing_role(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
    asked: Option<&str>,
) -> Result<EndorserRole, AppError> {
    let defs = app.definitions(org_id).await?;
    let held = endorser_roles(app, actor, org_id).await?;
    let how = "An org admin of this organization can grant you an endorser role (Issuer admin → Endorsers).";
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(r) => {
            let role = defs
                .role(r)
                .ok_or_else(|| AppError::invalid("endorser_role", format!("unknown role {r:?}")))?;
            held.into_iter().find(|h| h.role == r).ok_or_else(|| {
                tracing::warn!(user = %actor.user.id, org = %org_id, role = r, "endorsement refused: endorser role not held");
                AppError::Forbidden {
                    code: "endorser_role_not_held",
                    message: format!(
                        "endorser_role: you do not hold the role {} in this organization, so you cannot endorse as one. {how}",
                        role.name
                    ),
                }
            })
        }
        None => match held.len() {
            0 => {
                tracing::warn!(user = %actor.user.id, org = %org_id, "endorsement refused: no endorser role");
                Err(AppError::Forbidden {
                    code: "not_an_endorser",
                    message: format!(
                        "endorser_role: you hold no career role in this organization that an endorsement could count for. {how}"
                    ),
                })
            }
            1 => Ok(held.into_iter().next().expect("one role")),
            _ => Err(AppError::invalid(
                "endorser_role",
                format!(
                    "you hold several roles; choose the one you endorse as: {}",
                    held.iter()
                        .map(|h| format!("{} ({})", h.name, h.role))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        },
    }
}

/// A grant asked for by an org admin.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    /// The endorser: a user id or their sign-in email.
    pub user: String,
    /// Career role id.
    pub role: String,
}

/// Grants an endorser role (org admins of `org_id` only). The user must belong to the
/// organization; whether an unknown email has an account elsewhere is not revealed.
pub async fn grant(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
    input: GrantInput,
) -> Result<EndorserGrant, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    let user = member_named(app, org_id, &input.user).await?;
    let g = record_grant(app, org_id, &user, &input.role, Some(&actor.user.id)).await?;
    tracing::info!(org = %org_id, user = %user, role = %g.role_id, by = %actor.user.id, grant = %g.id, "endorser role granted");
    Ok(g)
}

/// Records a grant without an access check: for the operator (the command line) and the demo
/// seed. The role must be one of the organization's career roles.
pub async fn record_grant(
    app: &App,
    org_id: &OrgId,
    user: &UserId,
    role: &str,
    by: Option<&UserId>,
) -> Result<EndorserGrant, AppError> {
    let role = role.trim();
    let defs = app.definitions(org_id).await?;
    if defs.role(role).is_none() {
        return Err(AppError::invalid("role", format!("unknown role {role:?}")));
    }
    Ok(app.store().grant_endorser(org_id, user, role, by).await?)
}

/// Revokes a grant of `org_id` (org admins of `org_id` only).
pub async fn revoke(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
    grant_id: &str,
) -> Result<EndorserGrant, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    let g = app
        .store()
        .revoke_endorser(org_id, grant_id, Some(&actor.user.id))
        .await?;
    tracing::info!(org = %org_id, grant = %g.id, by = %actor.user.id, "endorser role revoked");
    Ok(g)
}

/// The active grants of `org_id` (org admins of `org_id` only).
pub async fn list(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
) -> Result<Vec<EndorserGrant>, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    Ok(app.store().endorser_grants(org_id).await?)
}

/// A user who belongs to `org_id`, named by id or sign-in email (refused at `user` otherwise).
pub async fn member_named(app: &App, org_id: &OrgId, who: &str) -> Result<UserId, AppError> {
    let who = who.trim();
    let none = || {
        AppError::invalid(
            "user",
            format!("no member of this organization has the id or email {who:?}"),
        )
    };
    let store = app.store();
    let found = if who.contains('@') {
        store.user_by_email(who).await
    } else {
        store.user(who).await
    };
    let user = match found {
        Ok(u) => u,
        Err(pathledger_store::StoreError::NotFound { .. })
        | Err(pathledger_store::StoreError::InvalidInput { .. }) => return Err(none()),
        Err(e) => return Err(e.into()),
    };
    if Actor::new(user.clone()).belongs_to(app, org_id).await? {
        Ok(user.id)
    } else {
        Err(none())
    }
}
