//! Endorser grants: an org admin's explicit, revocable statement that a user endorses as a
//! career role in the organization. Granting and revoking are each appended to the log.

use crate::crypto::{new_id, now_ms};
use crate::error::{dup, StoreError};
use crate::log::{LeafData, LogAppender};
use crate::model::{EndorserGrant, OrgId, UserId};
use crate::rows::{row_to_grant, GRANT_COLS};
use crate::sql::args;
use crate::store::Store;
use crate::validate::check_text;

impl Store {
    /// Grants `user_id` the career role `role_id` as an endorser in `org_id` and logs it. Granting
    /// a role the user already holds by grant is a conflict. The caller checks that the role
    /// exists in the organization's definitions and that the user belongs to the organization.
    pub async fn grant_endorser(
        &self,
        org_id: &OrgId,
        user_id: &UserId,
        role_id: &str,
        granted_by: Option<&UserId>,
    ) -> Result<EndorserGrant, StoreError> {
        check_text("role", role_id, 256)?;
        let now = now_ms();
        let mut grant = EndorserGrant {
            id: new_id("egr")?,
            org_id: org_id.clone(),
            user_id: user_id.clone(),
            role_id: role_id.to_owned(),
            granted_by: granted_by.cloned(),
            granted_ms: now,
            revoked_by: None,
            revoked_ms: None,
            log_index: None,
        };
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
        tx.execute(
            "INSERT INTO endorser_grants (id, org_id, user_id, role_id, granted_by, granted_ms) VALUES ($1, $2, $3, $4, $5, $6)",
            args![grant.id.as_str(), org_id, user_id, role_id, granted_by, now],
        )
        .await
        .map_err(dup("an endorser grant of this role to this user"))?;
        let mut log = LogAppender::lock(&mut tx).await?;
        let mut leaf = LeafData::new("endorser_grant", now);
        leaf.grant_id = Some(&grant.id);
        leaf.org_id = Some(org_id.as_str());
        leaf.user_id = Some(user_id.as_str());
        leaf.role_id = Some(role_id);
        leaf.by = granted_by.map(UserId::as_str);
        grant.log_index = Some(log.append("endorser_grant", None, leaf.to_bytes()?, now)?);
        log.flush(&mut tx).await?;
        tx.commit().await?;
        Ok(grant)
    }

    /// Revokes an active grant of `org_id` and logs it; a grant of another organization, or one
    /// already revoked, is not found.
    pub async fn revoke_endorser(
        &self,
        org_id: &OrgId,
        grant_id: &str,
        revoked_by: Option<&UserId>,
    ) -> Result<EndorserGrant, StoreError> {
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        let row = tx
            .fetch_optional(
                &format!("SELECT {GRANT_COLS} FROM endorser_grants WHERE id = $1 AND org_id = $2 AND revoked_ms IS NULL"),
                args![grant_id, org_id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("endorser grant", grant_id))?;
        let mut grant = row_to_grant(&row)?;
        tx.execute(
            "UPDATE endorser_grants SET revoked_by = $1, revoked_ms = $2 WHERE id = $3",
            args![revoked_by, now, grant_id],
        )
        .await?;
        let mut log = LogAppender::lock(&mut tx).await?;
        let mut leaf = LeafData::new("endorser_revoke", now);
        leaf.grant_id = Some(&grant.id);
        leaf.org_id = Some(grant.org_id.as_str());
        leaf.user_id = Some(grant.user_id.as_str());
        leaf.role_id = Some(&grant.role_id);
        leaf.by = revoked_by.map(UserId::as_str);
        let index = log.append("endorser_revoke", None, leaf.to_bytes()?, now)?;
        log.flush(&mut tx).await?;
        tx.commit().await?;
        grant.revoked_by = revoked_by.cloned();
        grant.revoked_ms = Some(now);
        grant.log_index = Some(index);
        Ok(grant)
    }

    /// The active grants of an organization, oldest first.
    pub async fn endorser_grants(&self, org_id: &OrgId) -> Result<Vec<EndorserGrant>, StoreError> {
        self.db()
            .fetch_all(
                &format!("SELECT {GRANT_COLS} FROM endorser_grants WHERE org_id = $1 AND revoked_ms IS NULL ORDER BY granted_ms, id"),
                args![org_id],
            )
            .await?
            .iter()
            .map(row_to_grant)
            .collect()
    }

    /// A user's active grants in every organization, oldest first.
    pub async fn endorser_grants_of_user(
        &self,
        user_id: &UserId,
    ) -> Result<Vec<EndorserGrant>, StoreError> {
        self.db()
            .fetch_all(
                &format!("SELECT {GRANT_COLS} FROM endorser_grants WHERE user_id = $1 AND revoked_ms IS NULL ORDER BY granted_ms, id"),
                args![user_id],
            )
            .await?
            .iter()
            .map(row_to_grant)
            .collect()
    }
}
