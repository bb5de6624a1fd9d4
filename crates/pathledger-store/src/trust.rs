//! Recognition: the issuers of other organizations whose credentials an organization counts
//! toward its own pathways (held on records its educators linked to their accounts).

use crate::crypto::now_ms;
use crate::error::{dup, StoreError};
use crate::sql::args;
use crate::store::Store;

/// One issuer an organization trusts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrustedIssuer {
    /// The trusted issuer.
    pub issuer_id: String,
    /// Its name.
    pub issuer_name: String,
    /// Its organization.
    pub issuer_org_id: String,
    /// The user who granted the trust.
    pub granted_by: String,
    /// When.
    pub created_ms: i64,
}

impl Store {
    /// Records that `org_id` counts credentials of `issuer_id` (another organization's issuer).
    pub async fn trust_issuer(
        &self,
        org_id: &str,
        issuer_id: &str,
        granted_by: &str,
    ) -> Result<TrustedIssuer, StoreError> {
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM organizations WHERE id = $1", args![org_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("organization", org_id));
        }
        let issuer = tx
            .fetch_optional(
                "SELECT org_id, name FROM issuers WHERE id = $1",
                args![issuer_id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("issuer", issuer_id))?;
        let issuer_org = issuer.text("org_id")?;
        if issuer_org == org_id {
            return Err(StoreError::invalid(
                "issuer",
                "an organization always counts its own issuers; trust is for other organizations' issuers",
            ));
        }
        tx.execute(
            "INSERT INTO org_trusted_issuers (org_id, issuer_id, granted_by, created_ms) VALUES ($1, $2, $3, $4)",
            args![org_id, issuer_id, granted_by, now],
        )
        .await
        .map_err(dup("trust in this issuer"))?;
        tx.commit().await?;
        Ok(TrustedIssuer {
            issuer_id: issuer_id.to_owned(),
            issuer_name: issuer.text("name")?,
            issuer_org_id: issuer_org,
            granted_by: granted_by.to_owned(),
            created_ms: now,
        })
    }

    /// Withdraws trust; its credentials stop counting at once.
    pub async fn distrust_issuer(&self, org_id: &str, issuer_id: &str) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        let n = tx
            .execute(
                "DELETE FROM org_trusted_issuers WHERE org_id = $1 AND issuer_id = $2",
                args![org_id, issuer_id],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::not_found("trusted issuer", issuer_id));
        }
        tx.commit().await
    }

    /// The issuers `org_id` trusts, by name.
    pub async fn trusted_issuers(&self, org_id: &str) -> Result<Vec<TrustedIssuer>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT t.issuer_id, i.name, i.org_id, t.granted_by, t.created_ms FROM org_trusted_issuers t JOIN issuers i ON i.id = t.issuer_id WHERE t.org_id = $1 ORDER BY i.name, t.issuer_id",
                args![org_id],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(TrustedIssuer {
                    issuer_id: r.text("issuer_id")?,
                    issuer_name: r.text("name")?,
                    issuer_org_id: r.text("org_id")?,
                    granted_by: r.text("granted_by")?,
                    created_ms: r.i64("created_ms")?,
                })
            })
            .collect()
    }
}
