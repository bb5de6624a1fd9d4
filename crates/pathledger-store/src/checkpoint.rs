//! SQLite checkpoints on a connection of their own.
//!
//! In WAL mode every commit appends pages to the write-ahead log, and a checkpoint copies them
//! back into the database file. SQLite's automatic checkpoint runs inside the commit that crosses
//! its threshold, on the one writer connection, so during bulk issuance every other batch waited
//! for a checkpoint (a quarter of the writer's time). Here the writer's automatic checkpoint
//! is off and a task checkpoints after commits instead, beside the writer:
//!
//! - `PASSIVE` after the writer releases its connection (at most every [`SPACING`]): copies what
//!   is committed without taking any lock a writer or reader waits for.
//! - `RESTART` once the log holds more than [`RESTART_FRAMES`] frames: a passive checkpoint
//!   cannot start the log over while commits keep coming, so when it has grown this far the
//!   task briefly holds the write lock, finishes the copy and lets the next commit write from
//!   the start of the file again. The writer waits for it like for any other writer; behind a
//!   long reader, the task's 1 s busy timeout bounds that wait and the restart is tried later.
//!   `journal_size_limit` then trims the file.
//!
//! Durability is SQLite's own: a checkpoint syncs the log before copying and the database file
//! before marking the copy done, and a crash at any point leaves the log to replay.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::Connection as _;
use tokio::sync::Notify;

use crate::error::StoreError;

/// Least time between two checkpoints: under a stream of small commits they come in groups.
pub(crate) const SPACING: Duration = Duration::from_millis(50);

/// Log frames (pages) past which a checkpoint also starts the log over: 128 MiB with the 8 KiB
/// pages of a new database, 64 MiB with the 4 KiB pages of an older one. A restart at 2,048
/// frames measured the same within noise.
pub(crate) const RESTART_FRAMES: i64 = 16_384;

/// Shared between the store and its checkpoint task; dropping the last handle stops the task.
pub(crate) struct Checkpointer {
    wake: Arc<Notify>,
    stop: Arc<AtomicBool>,
    task: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Checkpointer {
    /// Opens the task's connection and starts it; `wake` is notified when the writer releases
    /// its connection (the write pool's `after_release`).
    pub(crate) async fn start(
        opts: &SqliteConnectOptions,
        wake: Arc<Notify>,
    ) -> Result<Checkpointer, StoreError> {
        // A short busy timeout bounds how long a RESTART waiting for a reader holds the writer
        // up: it gives up and is tried again after a later commit.
        let opts = opts.clone().busy_timeout(Duration::from_secs(1));
        let conn = SqliteConnection::connect_with(&opts).await?;
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(run(conn, wake.clone(), stop.clone()));
        Ok(Checkpointer {
            wake,
            stop,
            task: std::sync::Mutex::new(Some(task)),
        })
    }

    /// Stops the task after its current checkpoint and closes its connection.
    pub(crate) async fn close(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        let task = self
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(t) = task {
            let _ = t.await;
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }
}

async fn run(mut conn: SqliteConnection, wake: Arc<Notify>, stop: Arc<AtomicBool>) {
    loop {
        wake.notified().await;
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let started = tokio::time::Instant::now();
        match checkpoint(&mut conn, "PASSIVE").await {
            Ok((_, log, _)) if log > RESTART_FRAMES => match checkpoint(&mut conn, "RESTART").await
            {
                Ok((0, _, _)) => {}
                Ok(_) => tracing::debug!(
                    frames = log,
                    "the SQLite log could not start over yet (a reader or writer was busy)"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, frames = log, "restarting the SQLite log failed; retried after the next commit")
                }
            },
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "SQLite checkpoint failed; retried after the next commit")
            }
        }
        tokio::time::sleep_until(started + SPACING).await;
    }
    let _ = conn.close().await;
}

/// `PRAGMA wal_checkpoint(mode)`: (busy, frames in the log, frames copied).
async fn checkpoint(
    conn: &mut SqliteConnection,
    mode: &str,
) -> Result<(i64, i64, i64), StoreError> {
    let row: (i64, i64, i64) = sqlx::query_as(&format!("PRAGMA wal_checkpoint({mode})"))
        .fetch_one(&mut *conn)
        .await?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use crate::crypto::Kek;
    use crate::store::{Store, StoreConfig};
    use sqlx::Connection as _;

    /// Rows in the database file alone, ignoring the write-ahead log (`immutable=1` reads the
    /// file as it is on disk).
    async fn organizations_in_file(path: &std::path::Path) -> i64 {
        let url = format!("sqlite://{}?immutable=1", path.display());
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        // Before the first checkpoint the file may not hold the schema yet.
        let n: Option<(i64,)> = sqlx::query_as("SELECT count(*) FROM organizations")
            .fetch_one(&mut c)
            .await
            .ok();
        c.close().await.unwrap();
        n.map_or(0, |n| n.0)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commits_reach_the_database_file_without_the_writer_checkpointing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ckpt.db");
        let store = Store::open(StoreConfig::new(
            path.to_string_lossy().into_owned(),
            Kek::generate().unwrap(),
        ))
        .await
        .unwrap();
        let crate::sql::Db::Sqlite { write, .. } = store.db() else {
            panic!("a file path opens SQLite");
        };
        let (auto,): (i64,) = sqlx::query_as("PRAGMA wal_autocheckpoint")
            .fetch_one(write)
            .await
            .unwrap();
        assert_eq!(auto, 0, "the writer must leave checkpoints to the task");
        let (page,): (i64,) = sqlx::query_as("PRAGMA page_size")
            .fetch_one(write)
            .await
            .unwrap();
        assert_eq!(page, 8192, "a new database has 8 KiB pages");
        for i in 0..3 {
            store
                .create_organization(&format!("District {i}"), "district", None)
                .await
                .unwrap();
        }
        // Only the checkpoint task copies the log into the file; give it a few seconds.
        let mut seen = 0;
        for _ in 0..100 {
            seen = organizations_in_file(&path).await;
            if seen == 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(seen, 3, "committed rows never reached the database file");
        store.close().await;
        let wal = dir.path().join("ckpt.db-wal");
        assert!(
            !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
            "closing leaves a log behind"
        );
    }
}
