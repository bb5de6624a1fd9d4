//! The store's error type: each variant maps to one kind of answer a caller (e.g. HTTP) gives.

/// Why a store operation failed. Nothing is half-written when one of these is returned: the
/// operation's transaction was rolled back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The named record does not exist (HTTP 404).
    #[error("{entity} {id} not found")]
    NotFound {
        /// Kind of record, e.g. `"credential"`.
        entity: &'static str,
        /// The identifier that was looked up.
        id: String,
    },
    /// The request clashes with existing state, e.g. an idempotency key reused with another
    /// payload, a duplicate identifier, or revoking a revoked credential (HTTP 409).
    #[error("conflict: {message}")]
    Conflict {
        /// What clashed.
        message: String,
    },
    /// A field of the request is invalid (HTTP 400/422).
    #[error("invalid {field}: {message}")]
    InvalidInput {
        /// The offending field.
        field: String,
        /// Why it is invalid.
        message: String,
    },
    /// The caller is not allowed to do this (HTTP 403).
    #[error("forbidden: {message}")]
    Forbidden {
        /// What was refused.
        message: String,
    },
    /// The database could not be reached, the transaction hit a transient failure, or the
    /// database cannot be written now (read-only, disk full); retrying the same request (with
    /// the same idempotency key) is safe (HTTP 503).
    #[error("storage unavailable (retry): {message}")]
    Unavailable {
        /// Driver message.
        message: String,
    },
    /// The caller's credential builder failed; nothing was stored.
    #[error("credential builder failed: {0}")]
    Build(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// Stored data is inconsistent (tampering, corruption, or a wrong key-encryption key).
    #[error("integrity failure: {message}")]
    Integrity {
        /// What was found.
        message: String,
    },
    /// Applying migrations failed at start-up.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// Any other database error (HTTP 500).
    #[error("database error: {message}")]
    Database {
        /// Driver message.
        message: String,
    },
}

impl StoreError {
    /// True if retrying the same request may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }

    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        StoreError::InvalidInput {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn not_found(entity: &'static str, id: impl Into<String>) -> Self {
        StoreError::NotFound {
            entity,
            id: id.into(),
        }
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        StoreError::Conflict {
            message: message.into(),
        }
    }

    pub(crate) fn integrity(message: impl Into<String>) -> Self {
        StoreError::Integrity {
            message: message.into(),
        }
    }

    /// True for a unique-constraint violation (used to turn races into conflicts or replays).
    pub(crate) fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Conflict { message } if message.starts_with(UNIQUE_PREFIX))
    }
}

const UNIQUE_PREFIX: &str = "duplicate:";

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::Database {
                message: "row not found".into(),
            },
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable {
                message: e.to_string(),
            },
            sqlx::Error::Database(db) => {
                if db.is_unique_violation() {
                    return StoreError::Conflict {
                        message: format!("{UNIQUE_PREFIX} {}", db.message()),
                    };
                }
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                // PostgreSQL: serialization failure, deadlock, admin shutdown, connection
                // failures. SQLite: BUSY (5), LOCKED (6), and the database not writable now:
                // READONLY (8), IOERR (10, e.g. a file-size limit), FULL (13); extended codes too.
                let transient = matches!(
                    code.as_str(),
                    "40001" | "40P01" | "57P01" | "57P02" | "57P03" | "08000" | "08003" | "08006"
                ) || code
                    .parse::<i32>()
                    .is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 8 | 10 | 13));
                if transient {
                    StoreError::Unavailable {
                        message: db.message().to_owned(),
                    }
                } else {
                    StoreError::Database {
                        message: db.message().to_owned(),
                    }
                }
            }
            _ => StoreError::Database {
                message: e.to_string(),
            },
        }
    }
}

/// Maps a unique violation to a conflict that names what was duplicated.
pub(crate) fn dup(what: &str) -> impl Fn(StoreError) -> StoreError + '_ {
    move |e| {
        if e.is_unique_violation() {
            StoreError::conflict(format!("{what} already exists"))
        } else {
            e
        }
    }
}
