//! Durable storage on SQLite and PostgreSQL: issuance, revocation and the transparency log.
//!
//! One [`Store`] type serves both backends (chosen by the database URL). Every multi-row change
//! is one transaction; issuance allocates a status index, calls the caller's builder (which signs
//! with a [`SigningKeyHandle`] lent by the store), stores the exact signed bytes and appends the
//! log entry, all or nothing. The Merkle math lives in `pathledger-log`; this crate stores the
//! leaves, the perfect-subtree nodes and the signed tree heads.

mod admin;
mod checkpoint;
mod crypto;
mod error;
mod issue;
mod log;
mod model;
mod sql;
mod status;

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use crypto::{recipient_identity_hash, sha256, Kek, SigningKeyHandle};
pub use error::StoreError;
pub use issue::BULK_BATCH_SIZE;
pub use model::*;
pub use pathledger_log::{Hash, SignedTreeHead};
pub use sql::Backend;

use crate::sql::{args, Db};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static PG_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Store configuration, read once by the program.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `sqlite:path/to/file.db` (or a plain file path) or `postgres://…`.
    pub database_url: String,
    /// Key-encryption key for private keys at rest.
    pub kek: Kek,
    /// Base URL of status list credentials; a list's URL is `{status_base_url}/{list_id}`.
    pub status_base_url: String,
    /// Maximum pooled connections (PostgreSQL, and SQLite readers).
    pub max_connections: u32,
    /// How long to wait for a locked SQLite database or a pooled connection.
    pub busy_timeout: Duration,
}

impl StoreConfig {
    /// A configuration with defaults for everything but the URL and the KEK.
    pub fn new(database_url: impl Into<String>, kek: Kek) -> Self {
        Self {
            database_url: database_url.into(),
            kek,
            status_base_url: "http://127.0.0.1:8080/status".into(),
            max_connections: 8,
            busy_timeout: Duration::from_secs(10),
        }
    }
}

pub(crate) struct Inner {
    pub(crate) db: Db,
    pub(crate) kek: Kek,
    pub(crate) status_base_url: String,
    pub(crate) log_key_id: String,
    pub(crate) log_key: SigningKey,
}

/// The store: cheap to clone, safe to share between tasks.
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.db.backend())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating on first run) the database, applies migrations and loads the log key.
    pub async fn open(config: StoreConfig) -> Result<Store, StoreError> {
        let url = config.database_url.trim();
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // No JIT: our statements are short index lookups and inserts, but the planner's row
            // estimates for the keyed lookups (`unnest` of an array), and for the multi-row
            // inserts before they became COPY, cross `jit_above_cost`, and compiling them with
            // LLVM took more server CPU than running them (over half of it during bulk issuance).
            let opts = PgConnectOptions::from_str(url)?.options([("jit", "off")]);
            let pool = PgPoolOptions::new()
                .max_connections(config.max_connections.max(1))
                .acquire_timeout(config.busy_timeout)
                .connect_with(opts)
                .await?;
            // sqlx takes a PostgreSQL advisory lock while migrating, so servers starting together are safe.
            PG_MIGRATIONS.run(&pool).await?;
            Db::Pg(pool)
        } else {
            let opts = if url.starts_with("sqlite:") {
                SqliteConnectOptions::from_str(url)?
            } else {
                SqliteConnectOptions::new().filename(url)
            }
            .create_if_missing(true)
            // 8 KiB pages for a new database (an existing one keeps its size: WAL mode cannot
            // change it): two stored credentials of about 3.3 KB share a leaf page instead of
            // one each, and a commit writes half as many log frames (two `pwrite` calls each).
            // Bulk issuance ran about 10 % faster.
            .page_size(8192)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: an acknowledged commit survives power loss too, not only a process crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Statement journals (a multi-row INSERT inside a transaction writes one) and
            // temporary indexes stay in memory instead of a file under /var/tmp.
            .pragma("temp_store", "memory")
            .busy_timeout(config.busy_timeout);
            // Checkpoints run beside the writer (see `checkpoint`), woken when it releases its
            // connection.
            let wake = Arc::new(tokio::sync::Notify::new());
            let released = wake.clone();
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .after_release(move |_, _| {
                    released.notify_one();
                    Box::pin(async { Ok(true) })
                })
                .acquire_timeout(config.busy_timeout.max(Duration::from_secs(60)))
                // A COMMIT that fails after SQLite has rolled back by itself (disk full, I/O
                // error) leaves sqlx counting an open transaction, and every later BEGIN on the
                // one write connection would fail; such a connection is replaced, not reused.
                .before_acquire(|conn, _| {
                    use sqlx::Connection as _;
                    let healthy = !conn.is_in_transaction();
                    Box::pin(async move { Ok(healthy) })
                })
                // A page cache big enough for a whole bulk batch (16 MiB; a batch of 500
                // credentials dirties about 2.5 MiB): with the default 2 MiB, SQLite spilled
                // dirty pages to the WAL mid-transaction. Not more: filling 64 MiB cost 16,000
                // page faults on the writer thread, and bulk issuance ran 15 % faster with 16.
                .connect_with(
                    opts.clone()
                        .pragma("cache_size", "-16384")
                        .pragma("wal_autocheckpoint", "0")
                        .pragma("journal_size_limit", "67108864"),
                )
                .await?;
            SQLITE_MIGRATIONS.run(&write).await?;
            let checkpoints = Arc::new(checkpoint::Checkpointer::start(&opts, wake).await?);
            let read = SqlitePoolOptions::new()
                .max_connections(config.max_connections.max(1))
                .acquire_timeout(config.busy_timeout)
                .connect_with(opts.read_only(true))
                .await?;
            Db::Sqlite {
                write,
                read,
                checkpoints,
            }
        };
        let (log_key_id, log_key) = log::ensure_log_key(&db, &config.kek).await?;
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                kek: config.kek,
                status_base_url: config.status_base_url.trim_end_matches('/').to_owned(),
                log_key_id,
                log_key,
            }),
        })
    }

    /// Which backend this store uses.
    pub fn backend(&self) -> Backend {
        self.inner.db.backend()
    }

    /// Closes all connections (waits for running queries).
    pub async fn close(&self) {
        self.inner.db.close().await;
    }

    /// Cheap liveness check for `/healthz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.inner
            .db
            .fetch_optional("SELECT size FROM log_head WHERE id = 1", args![])
            .await?;
        Ok(())
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    pub(crate) fn list_url(&self, list_id: &str) -> String {
        format!("{}/{}", self.inner.status_base_url, list_id)
    }
}

/// Rejects empty or oversized text fields at the edge, naming the field.
pub(crate) fn check_text(field: &str, value: &str, max: usize) -> Result<(), StoreError> {
    if value.trim().is_empty() {
        return Err(StoreError::invalid(field, "must not be empty"));
    }
    if value.len() > max {
        return Err(StoreError::invalid(
            field,
            format!("longer than {max} bytes"),
        ));
    }
    if value.contains('\0') {
        return Err(StoreError::invalid(field, "contains a NUL character"));
    }
    Ok(())
}

/// Unit tests' PostgreSQL: the `PATHLEDGER_TEST_POSTGRES_URL`, or `None` after a message (a
/// failure when `PATHLEDGER_REQUIRE_POSTGRES=1`, as in CI).
#[cfg(test)]
pub(crate) fn test_postgres_url() -> Option<String> {
    let Ok(url) = std::env::var("PATHLEDGER_TEST_POSTGRES_URL") else {
        assert_ne!(
            std::env::var("PATHLEDGER_REQUIRE_POSTGRES").as_deref(),
            Ok("1"),
            "PATHLEDGER_REQUIRE_POSTGRES=1 but PATHLEDGER_TEST_POSTGRES_URL is not set"
        );
        eprintln!("skipping: PATHLEDGER_TEST_POSTGRES_URL is not set");
        return None;
    };
    Some(url)
}
