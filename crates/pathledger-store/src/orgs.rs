//! Organizations (a district and its schools) and the roles users hold in them.

use crate::crypto::{new_id, now_ms};
use crate::error::StoreError;
use crate::members::record_event;
use crate::model::{AccessRole, Membership, Organization, User};
use crate::model::{OrgId, UserId};
use crate::rows::{row_to_membership, row_to_org, row_to_user};
use crate::sql::args;
use crate::store::Store;
use crate::validate::check_text;

impl Store {
    /// Creates an organization (optionally inside `parent_id`, e.g. a school in a district).
    pub async fn create_organization(
        &self,
        name: &str,
        kind: &str,
        parent_id: Option<&str>,
    ) -> Result<Organization, StoreError> {
        check_text("name", name, 512)?;
        check_text("kind", kind, 64)?;
        let org = Organization {
            id: new_id("org")?.into(),
            parent_id: parent_id.map(str::to_owned),
            name: name.to_owned(),
            kind: kind.to_owned(),
            created_ms: now_ms(),
        };
        let mut tx = self.db().begin().await?;
        if let Some(p) = parent_id {
            if tx
                .fetch_optional("SELECT id FROM organizations WHERE id = $1", args![p])
                .await?
                .is_none()
            {
                return Err(StoreError::not_found("organization", p));
            }
        }
        tx.execute(
            "INSERT INTO organizations (id, parent_id, name, kind, created_ms) VALUES ($1, $2, $3, $4, $5)",
            args![org.id.as_str(), &org.parent_id, name, kind, org.created_ms],
        )
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    /// One organization.
    pub async fn organization(&self, id: &str) -> Result<Organization, StoreError> {
        let r = self
            .db()
            .fetch_optional(
                "SELECT id, parent_id, name, kind, created_ms FROM organizations WHERE id = $1",
                args![id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("organization", id))?;
        row_to_org(&r)
    }

    /// All organizations, oldest first.
    pub async fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT id, parent_id, name, kind, created_ms FROM organizations ORDER BY created_ms, id",
                args![],
            )
            .await?
            .iter()
            .map(row_to_org)
            .collect()
    }

    /// Grants a role in an organization (granting twice is a no-op), recorded as the operator's
    /// (`by` none): the command line and the demo seed. Org admins go through
    /// [`Store::set_member_roles`].
    pub async fn grant_role(
        &self,
        user_id: &UserId,
        org_id: &OrgId,
        role: AccessRole,
    ) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM users WHERE id = $1", args![user_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("user", user_id));
        }
        if tx
            .fetch_optional("SELECT id FROM organizations WHERE id = $1", args![org_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("organization", org_id));
        }
        let now = now_ms();
        let n = tx.execute(
            "INSERT INTO memberships (user_id, org_id, role, created_ms) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            args![user_id, org_id, role.as_str(), now],
        )
        .await?;
        if n > 0 {
            record_event(&mut tx, Some(org_id), user_id, "grant", &[role], None, now).await?;
        }
        tx.commit().await
    }

    /// Removes a role.
    pub async fn revoke_role(
        &self,
        user_id: &UserId,
        org_id: &OrgId,
        role: AccessRole,
    ) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        let n = tx
            .execute(
                "DELETE FROM memberships WHERE user_id = $1 AND org_id = $2 AND role = $3",
                args![user_id, org_id, role.as_str()],
            )
            .await?;
        if n > 0 {
            record_event(
                &mut tx,
                Some(org_id),
                user_id,
                "revoke",
                &[role],
                None,
                now_ms(),
            )
            .await?;
        }
        tx.commit().await
    }

    /// All roles of a user.
    pub async fn memberships(&self, user_id: &str) -> Result<Vec<Membership>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT user_id, org_id, role FROM memberships WHERE user_id = $1 ORDER BY org_id, role",
                args![user_id],
            )
            .await?
            .iter()
            .map(row_to_membership)
            .collect()
    }

    /// Users holding `role` directly in `org_id`, by name (e.g. the assessors a submission can go
    /// to). Their educator links are not read (`educators` is empty).
    pub async fn users_with_role(
        &self,
        org_id: &str,
        role: AccessRole,
    ) -> Result<Vec<User>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT u.id, u.email, u.display_name, u.created_ms FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.org_id = $1 AND m.role = $2 ORDER BY u.display_name, u.id",
                args![org_id, role.as_str()],
            )
            .await?
            .iter()
            .map(row_to_user)
            .collect()
    }

    /// Whether the user holds `role` in `org_id` or in an organization containing it (a
    /// district admin administers its schools).
    ///
    /// The ids are typed, so they cannot be passed the wrong way round:
    ///
    /// ```no_run
    /// # async fn f(store: &pathledger_store::Store, user: &pathledger_store::UserId, org: &pathledger_store::OrgId) {
    /// let _ = store.has_role(user, org, pathledger_store::AccessRole::Issuer).await;
    /// # }
    /// ```
    ///
    /// ```compile_fail
    /// # async fn f(store: &pathledger_store::Store, user: &pathledger_store::UserId, org: &pathledger_store::OrgId) {
    /// let _ = store.has_role(org, user, pathledger_store::AccessRole::Issuer).await;
    /// # }
    /// ```
    pub async fn has_role(
        &self,
        user_id: &UserId,
        org_id: &OrgId,
        role: AccessRole,
    ) -> Result<bool, StoreError> {
        let mut org = Some(org_id.to_string());
        let mut hops = 0;
        while let Some(o) = org {
            if self
                .db()
                .fetch_optional(
                    "SELECT 1 AS one FROM memberships WHERE user_id = $1 AND org_id = $2 AND role = $3",
                    args![user_id, o.as_str(), role.as_str()],
                )
                .await?
                .is_some()
            {
                return Ok(true);
            }
            hops += 1;
            if hops > 32 {
                break;
            }
            org = self
                .db()
                .fetch_optional(
                    "SELECT parent_id FROM organizations WHERE id = $1",
                    args![o.as_str()],
                )
                .await?
                .map(|r| r.opt_text("parent_id"))
                .transpose()?
                .flatten();
        }
        Ok(false)
    }
}
