//! The store handle: its configuration, its shared state (the database, the key-encryption key,
//! the log key) and what every subject module reaches through it.

use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;

use crate::crypto::Kek;
use crate::error::StoreError;
use crate::model::status_list_url;
use crate::sql::{args, Backend, Db};

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

    /// Base URL of status list credentials (no trailing `/`).
    pub(crate) fn status_base_url(&self) -> &str {
        &self.inner.status_base_url
    }

    pub(crate) fn list_url(&self, list_id: &str) -> String {
        status_list_url(&self.inner.status_base_url, list_id)
    }
}
