//! Opening a store: connecting to SQLite or PostgreSQL with the settings each needs, applying
//! migrations, starting SQLite's checkpointer and loading the log key.

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::checkpoint;
use crate::error::StoreError;
use crate::log;
use crate::sql::Db;
use crate::store::{Inner, Store, StoreConfig};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static PG_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

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
}

#[cfg(test)]
mod tests {
    use crate::testutil::{drop_pg, pg_store};

    /// Every pooled PostgreSQL connection runs without JIT (see `Store::open`).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_connections_do_not_jit() {
        let Some((store, base, name)) = pg_store().await else {
            return;
        };
        let mut conns = Vec::new();
        for _ in 0..3 {
            conns.push(store.db().begin_read().await.unwrap());
        }
        for tx in &mut conns {
            let r = tx
                .fetch_one("SELECT current_setting('jit') AS jit", Vec::new())
                .await
                .unwrap();
            assert_eq!(r.text("jit").unwrap(), "off");
        }
        drop(conns);
        drop_pg(store, base, name).await;
    }
}
