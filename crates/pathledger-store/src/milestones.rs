//! Milestones an educator has been told about (roles and certificates reached), so that each
//! is announced once, on the next visit after it was reached.

use crate::crypto::now_ms;
use crate::error::StoreError;
use crate::sql::args;
use crate::store::Store;
use crate::validate::check_text;

/// Something an educator reached: a role or a certificate (stack).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    /// `role`, `stack`, or `start` (the first visit, when what was reached before is recorded
    /// without being announced).
    pub kind: String,
    /// The role or stack id.
    pub subject_id: String,
    /// When it was reached (or first seen reached), in milliseconds since the epoch.
    pub reached_ms: i64,
}

impl Store {
    /// The milestones recorded for an educator, oldest first.
    pub async fn milestones(&self, educator_id: &str) -> Result<Vec<Milestone>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT kind, subject_id, reached_ms FROM milestones WHERE educator_id = $1 ORDER BY reached_ms, kind, subject_id",
                args![educator_id],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(Milestone {
                    kind: r.text("kind")?,
                    subject_id: r.text("subject_id")?,
                    reached_ms: r.i64("reached_ms")?,
                })
            })
            .collect()
    }

    /// Records milestones (`kind`, `subject_id`, `reached_ms`; a `reached_ms` of 0 means now)
    /// in one transaction and returns the ones that were new: a milestone already recorded (by
    /// an earlier visit, or a visit at the same moment on another server) is not returned again,
    /// so each is announced once.
    pub async fn record_milestones(
        &self,
        educator_id: &str,
        items: &[(&str, &str, i64)],
    ) -> Result<Vec<Milestone>, StoreError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        let mut new = Vec::new();
        for &(kind, subject, reached) in items {
            if !matches!(kind, "role" | "stack" | "start") {
                return Err(StoreError::invalid(
                    "kind",
                    format!("a milestone is a role or a stack, not {kind:?}"),
                ));
            }
            check_text("subject_id", subject, 2048)?;
            let reached = if reached > 0 { reached } else { now };
            let n = tx
                .execute(
                    "INSERT INTO milestones (educator_id, kind, subject_id, reached_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (educator_id, kind, subject_id) DO NOTHING",
                    args![educator_id, kind, subject, reached],
                )
                .await?;
            if n == 1 {
                new.push(Milestone {
                    kind: kind.to_owned(),
                    subject_id: subject.to_owned(),
                    reached_ms: reached,
                });
            }
        }
        tx.commit().await?;
        Ok(new)
    }
}
