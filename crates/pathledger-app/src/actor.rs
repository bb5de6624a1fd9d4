//! Who is acting: a signed-in user (by session or API token), and the access checks every rule
//! makes with it. The server authenticates; the rules here decide.

use pathledger_store::{AccessRole, EducatorId, OrgId, User};

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
}
