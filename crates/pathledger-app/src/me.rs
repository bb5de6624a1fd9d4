//! The signed-in caller's own account, as API clients and scripts see it: who they are, where
//! they hold which access roles, the career roles they endorse as, and their educator records;
//! and the choices that are theirs alone (who sees them in communities of practice).

use std::collections::BTreeMap;

use pathledger_store::{CommunityVisibility, OrgId};
use serde::Serialize;

use crate::endorsers::{endorser_roles, EndorserRole};
use crate::{Actor, App, AppError};

/// An organization as named in [`Me`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgRef {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
}

/// The caller's user.
#[derive(Debug, Clone, Serialize)]
pub struct MeUser {
    /// Identifier.
    pub id: String,
    /// Sign-in email.
    pub email: String,
    /// Display name.
    pub display_name: String,
}

/// Access roles held in one organization.
#[derive(Debug, Clone, Serialize)]
pub struct MeMembership {
    /// The organization.
    pub org: OrgRef,
    /// Access roles there (`org_admin`, `issuer`, `assessor`, `verifier`, `educator`).
    pub roles: Vec<&'static str>,
}

/// Career roles the caller endorses as in one organization.
#[derive(Debug, Clone, Serialize)]
pub struct MeEndorser {
    /// The organization.
    pub org: OrgRef,
    /// The roles, reached or granted.
    pub roles: Vec<EndorserRole>,
}

/// One of the caller's educator records.
#[derive(Debug, Clone, Serialize)]
pub struct MeEducator {
    /// Educator id.
    pub id: String,
    /// Its organization.
    pub org: OrgRef,
}

/// `GET /api/v1/me`.
#[derive(Debug, Clone, Serialize)]
pub struct Me {
    /// The user.
    pub user: MeUser,
    /// Access roles, grouped by organization.
    pub memberships: Vec<MeMembership>,
    /// Career roles the caller endorses as, by organization (only organizations where they hold one).
    pub endorser_roles: Vec<MeEndorser>,
    /// Educator records.
    pub educators: Vec<MeEducator>,
}

/// The caller's own account; nothing about anyone else.
pub async fn me(app: &App, actor: &Actor) -> Result<Me, AppError> {
    let store = app.store();
    let mut names: BTreeMap<OrgId, OrgRef> = BTreeMap::new();
    let mut by_org: BTreeMap<OrgId, Vec<&'static str>> = BTreeMap::new();
    for m in store.memberships(&actor.user.id).await? {
        by_org.entry(m.org_id).or_default().push(m.role.as_str());
    }
    let mut memberships = Vec::new();
    for (org, roles) in &by_org {
        memberships.push(MeMembership {
            org: org_ref(app, &mut names, org).await?,
            roles: roles.clone(),
        });
    }
    let mut educators = Vec::new();
    let mut orgs: Vec<OrgId> = by_org.keys().cloned().collect();
    for e in actor.educators(app).await? {
        educators.push(MeEducator {
            id: e.id.to_string(),
            org: org_ref(app, &mut names, &e.org_id).await?,
        });
        orgs.push(e.org_id);
    }
    for g in store.endorser_grants_of_user(&actor.user.id).await? {
        orgs.push(g.org_id);
    }
    orgs.sort();
    orgs.dedup();
    let mut endorsers = Vec::new();
    for org in &orgs {
        let roles = endorser_roles(app, actor, org).await?;
        if !roles.is_empty() {
            endorsers.push(MeEndorser {
                org: org_ref(app, &mut names, org).await?,
                roles,
            });
        }
    }
    Ok(Me {
        user: MeUser {
            id: actor.user.id.to_string(),
            email: actor.user.email.clone(),
            display_name: actor.user.display_name.clone(),
        },
        memberships,
        endorser_roles: endorsers,
        educators,
    })
}

/// An organization's id and name, read once per call.
async fn org_ref(
    app: &App,
    names: &mut BTreeMap<OrgId, OrgRef>,
    id: &OrgId,
) -> Result<OrgRef, AppError> {
    if let Some(r) = names.get(id) {
        return Ok(r.clone());
    }
    let o = app.store().organization(id).await?;
    let r = OrgRef {
        id: o.id.to_string(),
        name: o.name,
    };
    names.insert(id.clone(), r.clone());
    Ok(r)
}

/// Sets who sees the educator in communities of practice (`hidden`, `organization` or
/// `public`): the educator's own choice, so only the educator themself may make it.
pub async fn set_community_visibility(
    app: &App,
    actor: &Actor,
    educator_id: &str,
    visibility: &str,
) -> Result<CommunityVisibility, AppError> {
    let visibility = CommunityVisibility::parse("visibility", visibility.trim())?;
    let own = actor
        .educators(app)
        .await?
        .into_iter()
        .find(|e| e.id.as_str() == educator_id);
    let Some(e) = own else {
        tracing::warn!(user = %actor.user.id, educator = %educator_id, "community visibility refused: not the educator");
        return Err(AppError::forbidden());
    };
    app.store()
        .set_educator_preferences(&e.id, e.show_email, e.show_did, visibility)
        .await?;
    tracing::info!(educator = %e.id, visibility = visibility.as_str(), "community visibility set");
    Ok(visibility)
}

/// The educators of `org_id` that `viewer` may see in communities of practice: public ones for
/// anyone; for members of the organization, also those visible within it.
pub async fn community_educators(
    app: &App,
    viewer: Option<&Actor>,
    org_id: &OrgId,
) -> Result<Vec<String>, AppError> {
    let member = match viewer {
        Some(a) => a.belongs_to(app, org_id).await?,
        None => false,
    };
    Ok(app.store().community_educators(org_id, member).await?)
}
