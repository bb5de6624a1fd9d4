//! Bulk issuance jobs: their progress and results, kept so the progress page outlives the
//! process that ran the job (a restart, another server of the deployment).

use crate::crypto::now_ms;
use crate::error::StoreError;
use crate::rows::parse_json;
use crate::sql::{args, Row};
use crate::store::Store;
use crate::validate::check_text;

/// A bulk issuance job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkJobRecord {
    /// Identifier (random, hex).
    pub id: String,
    /// The organization whose issuer runs it.
    pub org_id: String,
    /// Rows in the upload.
    pub total: u64,
    /// Rows handled so far.
    pub done: u64,
    /// Whether it has ended (with results or an error).
    pub finished: bool,
    /// Why it stopped early, if it did.
    pub error: Option<String>,
    /// The finished job's per-row results (the application's JSON).
    pub results: Option<serde_json::Value>,
    /// When it started.
    pub created_ms: i64,
    /// Its last progress (a heartbeat while it runs).
    pub updated_ms: i64,
}

const COLS: &str = "id, org_id, total, done, finished, error, results, created_ms, updated_ms";

fn row_to_job(r: &Row) -> Result<BulkJobRecord, StoreError> {
    Ok(BulkJobRecord {
        id: r.text("id")?,
        org_id: r.text("org_id")?,
        total: r.u64("total")?,
        done: r.u64("done")?,
        finished: r.bool("finished")?,
        error: r.opt_text("error")?,
        results: r
            .opt_text("results")?
            .as_deref()
            .map(parse_json)
            .transpose()?,
        created_ms: r.i64("created_ms")?,
        updated_ms: r.i64("updated_ms")?,
    })
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Store {
    /// Records a new, unfinished job of `total` rows.
    pub async fn create_bulk_job(
        &self,
        id: &str,
        org_id: &str,
        total: u64,
    ) -> Result<BulkJobRecord, StoreError> {
        check_text("id", id, 128)?;
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        tx.execute(
            "INSERT INTO bulk_jobs (id, org_id, total, done, finished, error, results, created_ms, updated_ms) VALUES ($1, $2, $3, 0, FALSE, NULL, NULL, $4, $4)",
            args![id, org_id, count(total), now],
        )
        .await?;
        tx.commit().await?;
        self.bulk_job(id).await
    }

    /// Records that `done` rows are handled (and that the job is alive).
    pub async fn bulk_job_progress(&self, id: &str, done: u64) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        tx.execute(
            "UPDATE bulk_jobs SET done = $2, updated_ms = $3 WHERE id = $1 AND NOT finished",
            args![id, count(done), now_ms()],
        )
        .await?;
        tx.commit().await
    }

    /// Ends a job: with its results, or with the error that stopped it.
    pub async fn finish_bulk_job(
        &self,
        id: &str,
        error: Option<&str>,
        results: Option<&serde_json::Value>,
    ) -> Result<(), StoreError> {
        let results = results.map(serde_json::Value::to_string);
        let mut tx = self.db().begin().await?;
        tx.execute(
            "UPDATE bulk_jobs SET done = total, finished = TRUE, error = $2, results = $3, updated_ms = $4 WHERE id = $1",
            args![id, error, results, now_ms()],
        )
        .await?;
        tx.commit().await
    }

    /// One job.
    pub async fn bulk_job(&self, id: &str) -> Result<BulkJobRecord, StoreError> {
        check_text("id", id, 128)?;
        let row = self
            .db()
            .fetch_optional(
                &format!("SELECT {COLS} FROM bulk_jobs WHERE id = $1"),
                args![id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("bulk job", id))?;
        row_to_job(&row)
    }
}
