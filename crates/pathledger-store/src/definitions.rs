//! Versioned definitions (frameworks, achievements, stacks, roles, pathways) owned by
//! organizations.

use crate::crypto::now_ms;
use crate::error::StoreError;
use crate::model::{Definition, DefinitionKind};
use crate::rows::row_to_definition;
use crate::sql::args;
use crate::store::Store;
use crate::validate::check_text;

impl Store {
    /// Stores a new version of a definition (version = previous + 1, starting at 1).
    pub async fn put_definition(
        &self,
        org_id: &str,
        kind: DefinitionKind,
        id: &str,
        document: &serde_json::Value,
    ) -> Result<Definition, StoreError> {
        check_text("id", id, 2048)?;
        let text = serde_json::to_string(document)
            .map_err(|e| StoreError::invalid("document", e.to_string()))?;
        let now = now_ms();
        // A racing writer of the same id hits the primary key; retry with the next version.
        for _ in 0..5 {
            let mut tx = self.db().begin().await?;
            if tx
                .fetch_optional("SELECT id FROM organizations WHERE id = $1", args![org_id])
                .await?
                .is_none()
            {
                return Err(StoreError::not_found("organization", org_id));
            }
            let row = tx
                .fetch_optional(
                    "SELECT version FROM definitions WHERE org_id = $1 AND kind = $2 AND id = $3 ORDER BY version DESC LIMIT 1",
                    args![org_id, kind.as_str(), id],
                )
                .await?;
            let version = match &row {
                Some(r) => r.i64("version")? + 1,
                None => 1,
            };
            match tx
                .execute(
                    "INSERT INTO definitions (kind, id, version, org_id, document, created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                    args![kind.as_str(), id, version, org_id, text.as_str(), now],
                )
                .await
            {
                Ok(_) => {
                    tx.commit().await?;
                    return Ok(Definition {
                        kind,
                        id: id.to_owned(),
                        version,
                        org_id: org_id.to_owned(),
                        document: document.clone(),
                        created_ms: now,
                    });
                }
                Err(e) if e.is_unique_violation() || e.is_retryable() => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::conflict(format!(
            "definition {id} is being written concurrently"
        )))
    }

    /// An organization's definition: the given version, or the latest. Ids are scoped per
    /// organization: two organizations may each define `ach-x`.
    pub async fn definition(
        &self,
        org_id: &str,
        kind: DefinitionKind,
        id: &str,
        version: Option<i64>,
    ) -> Result<Definition, StoreError> {
        let row = match version {
            Some(v) => self.db().fetch_optional(
                "SELECT kind, id, version, org_id, document, created_ms FROM definitions WHERE org_id = $1 AND kind = $2 AND id = $3 AND version = $4",
                args![org_id, kind.as_str(), id, v],
            ).await?,
            None => self.db().fetch_optional(
                "SELECT kind, id, version, org_id, document, created_ms FROM definitions WHERE org_id = $1 AND kind = $2 AND id = $3 ORDER BY version DESC LIMIT 1",
                args![org_id, kind.as_str(), id],
            ).await?,
        }
        .ok_or_else(|| StoreError::not_found("definition", id))?;
        row_to_definition(kind, &row)
    }

    /// Latest versions of all definitions of a kind owned by `org_id` (or all orgs if `None`).
    pub async fn definitions(
        &self,
        kind: DefinitionKind,
        org_id: Option<&str>,
    ) -> Result<Vec<Definition>, StoreError> {
        let rows = self.db().fetch_all(
            "SELECT d.kind, d.id, d.version, d.org_id, d.document, d.created_ms FROM definitions d WHERE d.kind = $1 AND ($2 IS NULL OR d.org_id = $2) AND d.version = (SELECT MAX(version) FROM definitions m WHERE m.org_id = d.org_id AND m.kind = d.kind AND m.id = d.id) ORDER BY d.org_id, d.id",
            args![kind.as_str(), org_id],
        ).await?;
        rows.iter().map(|r| row_to_definition(kind, r)).collect()
    }

    /// Every stored version of one definition as (version, when stored), newest first.
    pub async fn definition_versions(
        &self,
        org_id: &str,
        kind: DefinitionKind,
        id: &str,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT version, created_ms FROM definitions WHERE org_id = $1 AND kind = $2 AND id = $3 ORDER BY version DESC",
                args![org_id, kind.as_str(), id],
            )
            .await?
            .iter()
            .map(|r| Ok((r.i64("version")?, r.i64("created_ms")?)))
            .collect()
    }
}
