//! Members of an organization as its admins manage them: the list, access roles granted and
//! revoked, deactivation and reactivation, and the record of who did each. Deactivating a member
//! removes their roles in *this* organization only; the account (its sessions and API tokens)
//! is closed only when nothing else ties the person to the deployment, so one organization's
//! admin never locks a person out of another organization. Closing an account deployment-wide
//! is the operator's (`pathledger members deactivate`).

use pathledger_store::{AccessRole, Deactivation, Member, MembershipEvent, OrgId, UserId};
use serde::Deserialize;

use crate::{Actor, App, AppError};

/// The access roles a member is to hold, exactly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesInput {
    /// Role names: `org_admin`, `issuer`, `assessor`, `verifier`, `educator`.
    pub roles: Vec<String>,
}

/// Parses role names, naming the offending item (`roles/2`).
pub fn parse_roles(names: &[String]) -> Result<Vec<AccessRole>, AppError> {
    if names.is_empty() {
        return Err(AppError::invalid(
            "roles",
            "name at least one role; to remove every role, deactivate the member",
        ));
    }
    let mut out = Vec::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        let r = AccessRole::parse(n.trim()).map_err(|_| {
            AppError::invalid(
                format!("roles/{i}"),
                format!(
                    "unknown role {n:?}: one of org_admin, issuer, assessor, verifier, educator"
                ),
            )
        })?;
        if !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

/// The members of `org_id` (its org admins only).
pub async fn list(app: &App, actor: &Actor, org_id: &OrgId) -> Result<Vec<Member>, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    Ok(app.store().members(org_id).await?)
}

/// Every grant, revocation, deactivation and reactivation in `org_id` (its org admins only).
pub async fn events(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
) -> Result<Vec<MembershipEvent>, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    Ok(app.store().membership_events(org_id).await?)
}

/// Sets a member's roles in `org_id` to exactly `input.roles` (its org admins only). An admin
/// cannot take away their own org_admin role (someone else must), so an organization is never
/// left without the admin who last managed it by mistake.
pub async fn set_roles(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
    user: &str,
    input: &RolesInput,
) -> Result<Member, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    let roles = parse_roles(&input.roles)?;
    let user = UserId::from(user.to_owned());
    if user == actor.user.id && !roles.contains(&AccessRole::OrgAdmin) {
        let current = app.store().member(org_id, &user).await?;
        if current.roles.contains(&AccessRole::OrgAdmin) {
            return Err(AppError::conflict(
                "you cannot remove your own org_admin role; another admin of this organization can",
            ));
        }
    }
    let m = app
        .store()
        .set_member_roles(org_id, &user, &roles, Some(&actor.user.id))
        .await?;
    tracing::info!(org = %org_id, user = %user, by = %actor.user.id, roles = ?roles, "member roles set");
    Ok(m)
}

/// Deactivates a member of `org_id` (its org admins only; not themselves).
pub async fn deactivate(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
    user: &str,
) -> Result<Deactivation, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    let user = UserId::from(user.to_owned());
    if user == actor.user.id {
        return Err(AppError::conflict(
            "you cannot deactivate yourself; another admin of this organization can",
        ));
    }
    let d = app
        .store()
        .deactivate_member(org_id, &user, Some(&actor.user.id))
        .await?;
    tracing::info!(org = %org_id, user = %user, by = %actor.user.id, account = d.account_deactivated, "member deactivated");
    Ok(d)
}

/// Reactivates a member deactivated in `org_id` (its org admins only).
pub async fn reactivate(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
    user: &str,
) -> Result<Member, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    let user = UserId::from(user.to_owned());
    let m = app
        .store()
        .reactivate_member(org_id, &user, Some(&actor.user.id))
        .await?;
    tracing::info!(org = %org_id, user = %user, by = %actor.user.id, "member reactivated");
    Ok(m)
}
