//! Who is acting: a signed-in user (by session or API token), and the access checks every rule
//! makes with it. The server authenticates; the rules here decide.

use pathledger_store::{AccessRole, Educator, EducatorId, OrgId, User};

use crate::{App, AppError};

/// A signed-in user acting on the ledger. Their access roles are per organization and read
/// from the store when a rule asks, so a role granted or withdrawn counts at once.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The user.
    pub user: User,
}

impl Actor {
    /// The actor for `user`.
    pub fn new(user: User) -> Self {
        Self { user }
    }

    /// Refuses unless the actor holds `role` in `org_id` (or a containing organization).
    pub async fn require(
        &self,
        app: &App,
        org_id: &OrgId,
        role: AccessRole,
    ) -> Result<(), AppError> {
        if app.store().has_role(&self.user.id, org_id, role).await? {
            Ok(())
        } else {
            tracing::warn!(user = %self.user.id, org = %org_id, role = role.as_str(), "access refused");
            Err(AppError::forbidden())
        }
    }

    /// Refuses unless the actor holds any of `roles` in `org_id`; the first held is returned.
    pub async fn require_any(
        &self,
        app: &App,
        org_id: &OrgId,
        roles: &[AccessRole],
    ) -> Result<AccessRole, AppError> {
        for r in roles {
            if app.store().has_role(&self.user.id, org_id, *r).await? {
                return Ok(*r);
            }
        }
        tracing::warn!(user = %self.user.id, org = %org_id, "access refused");
        Err(AppError::forbidden())
    }

    /// The first organization where the actor holds any of `roles` (for actions that name no
    /// organization: the actor's own is meant). Refused, and logged, if there is none.
    pub async fn org_with_role(&self, app: &App, roles: &[AccessRole]) -> Result<OrgId, AppError> {
        app.store()
            .memberships(&self.user.id)
            .await?
            .into_iter()
            .find(|m| roles.contains(&m.role))
            .map(|m| m.org_id)
            .ok_or_else(|| {
                tracing::warn!(user = %self.user.id, ?roles, "access refused: no membership with a required role");
                AppError::forbidden()
            })
    }

    /// Whether the actor may read this educator's private records: the educator themself, or
    /// an org admin / issuer of the educator's organization. Assessors see only the submissions
    /// assigned to them (see [`crate::evidence`]), not the educator's whole record.
    pub async fn may_read_educator(
        &self,
        app: &App,
        educator_id: &EducatorId,
        org_id: &OrgId,
    ) -> Result<(), AppError> {
        if self.user.is_educator(educator_id.as_str()) {
            return Ok(());
        }
        self.require_any(app, org_id, &[AccessRole::OrgAdmin, AccessRole::Issuer])
            .await
            .map(|_| ())
    }

    /// The actor's own educator records (one per organization they are an educator in). Every
    /// rule that asks "which educator is this user" goes through here or [`Actor::educator_in`].
    pub async fn educators(&self, app: &App) -> Result<Vec<Educator>, AppError> {
        let mut out = Vec::with_capacity(self.user.educators.len());
        for link in &self.user.educators {
            match app.store().educator(&link.educator_id).await {
                Ok(e) => out.push(e),
                Err(pathledger_store::StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    /// The actor's educator record in `org_id`, if they have one there.
    pub async fn educator_in(
        &self,
        app: &App,
        org_id: &OrgId,
    ) -> Result<Option<Educator>, AppError> {
        match self.user.educator_in(org_id) {
            Some(id) => match app.store().educator(id).await {
                Ok(e) => Ok(Some(e)),
                Err(pathledger_store::StoreError::NotFound { .. }) => Ok(None),
                Err(e) => Err(e.into()),
            },
            None => Ok(None),
        }
    }

    /// Whether the actor belongs to `org_id`: holds any access role there or in an organization
    /// containing it, or has an educator record there. Members see what the organization keeps
    /// to itself (e.g. educators visible to their organization in communities of practice).
    pub async fn belongs_to(&self, app: &App, org_id: &OrgId) -> Result<bool, AppError> {
        let store = app.store();
        let memberships = store.memberships(&self.user.id).await?;
        let mut org = Some(org_id.clone());
        let mut hops = 0;
        while let Some(o) = org {
            if memberships.iter().any(|m| m.org_id == o) {
                return Ok(true);
            }
            hops += 1;
            if hops > 32 {
                break;
            }
            org = match store.organization(&o).await {
                Ok(found) => found.parent_id.map(Into::into),
                Err(pathledger_store::StoreError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            };
        }
        Ok(self.educator_in(app, org_id).await?.is_some())
    }
}
