//! Facts recorded about educators (experience, rotations, endorsements …).

use crate::crypto::{new_id, now_ms};
use crate::error::StoreError;
use crate::model::{EducatorId, Fact, UserId};
use crate::rows::row_to_fact;
use crate::sql::{args, keyed_sql, Keys};
use crate::store::Store;
use crate::validate::check_text;

impl Store {
    /// Records a fact (experience, rotation, endorsement …).
    pub async fn add_fact(
        &self,
        educator_id: &EducatorId,
        kind: &str,
        document: &serde_json::Value,
        recorded_by: Option<&UserId>,
    ) -> Result<Fact, StoreError> {
        check_text("kind", kind, 64)?;
        let fact = Fact {
            id: new_id("fact")?,
            educator_id: educator_id.to_owned(),
            kind: kind.to_owned(),
            document: document.clone(),
            recorded_by: recorded_by.cloned(),
            created_ms: now_ms(),
        };
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM educators WHERE id = $1", args![educator_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("educator", educator_id));
        }
        tx.execute(
            "INSERT INTO facts (id, educator_id, kind, document, recorded_by, created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
            args![fact.id.as_str(), educator_id, kind, document.to_string(), recorded_by, fact.created_ms],
        )
        .await?;
        tx.commit().await?;
        Ok(fact)
    }

    /// An educator's facts, oldest first.
    pub async fn facts(&self, educator_id: &str) -> Result<Vec<Fact>, StoreError> {
        self.facts_for_educators(&[educator_id.to_owned()]).await
    }

    /// The facts of many educators (in chunks), oldest first.
    pub async fn facts_for_educators(
        &self,
        educator_ids: &[String],
    ) -> Result<Vec<Fact>, StoreError> {
        let mut out = Vec::new();
        for chunk in educator_ids.chunks(500) {
            let (sql, a) = keyed_sql(
                self.db().backend(),
                "id, educator_id, kind, document, recorded_by, created_ms",
                "facts",
                "",
                "educator_id",
                Keys::Text(chunk),
                "created_ms, id",
                Vec::new(),
            );
            for r in self.db().fetch_all(&sql, a).await? {
                out.push(row_to_fact(&r)?);
            }
        }
        Ok(out)
    }
}
