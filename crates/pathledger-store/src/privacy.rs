//! The data subject's rights: everything stored about an educator, and erasure.

use crate::error::StoreError;
use crate::model::EducatorExport;
use crate::sql::{args, list_placeholders, Val};
use crate::store::Store;

impl Store {
    /// Everything stored about an educator.
    pub async fn export_educator(&self, educator_id: &str) -> Result<EducatorExport, StoreError> {
        Ok(EducatorExport {
            educator: self.educator(educator_id).await?,
            facts: self.facts(educator_id).await?,
            submissions: self.submissions_for_educator(educator_id).await?,
            credentials: self.credentials_for_educator(educator_id).await?,
        })
    }

    /// Erases an educator on request: identifiers, facts, submissions, awards and stored
    /// credential documents go. The log keeps only hashes and identifiers, so it stays intact
    /// and audits still pass; status bits stay so revoked credentials stay revoked.
    pub async fn delete_educator(&self, educator_id: &str) -> Result<u64, StoreError> {
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM educators WHERE id = $1", args![educator_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("educator", educator_id));
        }
        let creds: Vec<String> = tx
            .fetch_all(
                "SELECT id FROM credentials WHERE educator_id = $1",
                args![educator_id],
            )
            .await?
            .iter()
            .map(|r| r.text("id"))
            .collect::<Result<_, _>>()?;
        for chunk in creds.chunks(500) {
            let sql = format!(
                "DELETE FROM credential_events WHERE credential_id IN ({})",
                list_placeholders(1, chunk.len())
            );
            tx.execute(&sql, chunk.iter().map(|c| Val::Text(c.clone())).collect())
                .await?;
        }
        tx.execute(
            "DELETE FROM credentials WHERE educator_id = $1",
            args![educator_id],
        )
        .await?;
        tx.execute(
            "DELETE FROM awards WHERE educator_id = $1",
            args![educator_id],
        )
        .await?;
        tx.execute(
            "DELETE FROM facts WHERE educator_id = $1",
            args![educator_id],
        )
        .await?;
        tx.execute(
            "DELETE FROM evidence_submissions WHERE educator_id = $1",
            args![educator_id],
        )
        .await?;
        tx.execute(
            "DELETE FROM educator_identifiers WHERE educator_id = $1",
            args![educator_id],
        )
        .await?;
        tx.execute(
            "DELETE FROM user_educators WHERE educator_id = $1",
            args![educator_id],
        )
        .await?;
        tx.execute("DELETE FROM educators WHERE id = $1", args![educator_id])
            .await?;
        tx.commit().await?;
        Ok(creds.len() as u64)
    }
}
