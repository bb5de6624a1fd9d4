//! Why an application operation failed.

use pathledger_store::StoreError;

/// Why an application operation failed. The server turns each kind into its HTTP answer (one
/// `From` impl there); the command line prints it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// From the store (not found, conflict, invalid input, unavailable …).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A field of the request is invalid.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// JSON pointer or parameter name.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Something the request names does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// Something the request names does not exist, said in a whole sentence.
    #[error("{0}")]
    Missing(String),
    /// The actor may not do this. `code` is stable (`forbidden` unless more can be said).
    #[error("{message}")]
    Forbidden {
        /// Stable code.
        code: &'static str,
        /// What was refused, for the person asking.
        message: String,
    },
    /// The request conflicts with the current state (already decided, already held …).
    #[error("{0}")]
    Conflict(String),
    /// Definitions failed validation (each error carries its path).
    #[error("invalid definitions: {0}")]
    Definitions(String),
    /// Building or signing a document failed.
    #[error("could not build the credential: {0}")]
    Build(String),
    /// A sign-in, enrollment or invitation link that cannot be used (and why).
    #[error("{}", .0.message())]
    Link(pathledger_store::LinkRefusal),
    /// Too many requests of this kind (e.g. sign-in links for one address); retry later.
    #[error("{message}")]
    Throttled {
        /// What was refused and when to try again, for the person asking.
        message: String,
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// A service we depend on (e.g. an organization's OpenID provider) failed or refused; the
    /// sentence says which and what to do, without its internal details (those are logged).
    #[error("{0}")]
    Upstream(String),
    /// An invariant of ours failed (a poisoned lock, a result missing for a row); logged.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A field of the request is invalid.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The generic refusal: the actor lacks the access this needs.
    pub fn forbidden() -> Self {
        Self::Forbidden {
            code: "forbidden",
            message: "You do not have access to this resource.".into(),
        }
    }

    /// The request conflicts with the current state.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }

    /// An invariant of ours failed.
    pub fn internal(what: impl Into<String>) -> Self {
        Self::Internal(what.into())
    }

    /// The same error reported at another field (e.g. a bulk row's own path).
    pub fn at_field(self, field: impl Into<String>) -> Self {
        match self {
            Self::Invalid { message, .. } => Self::Invalid {
                field: field.into(),
                message,
            },
            other => other,
        }
    }
}

impl AppError {
    /// The sentence a person is shown for this error: what was wrong, never internal details
    /// (those are logged where the error is answered).
    pub fn detail(&self) -> String {
        use pathledger_store::StoreError as S;
        const INTERNAL: &str = "An internal error occurred; it has been logged.";
        match self {
            Self::Store(s) => match s {
                S::NotFound { entity, id } => format!("{entity} {id} was not found."),
                S::Conflict { message } | S::InvalidInput { message, .. } => message.clone(),
                S::Forbidden { .. } => "You do not have access to this resource.".into(),
                S::Unavailable { .. } => {
                    "The database is temporarily unavailable; retry the request.".into()
                }
                other if other.is_retryable() => {
                    "The database is temporarily unavailable; retry the request.".into()
                }
                _ => INTERNAL.into(),
            },
            Self::Invalid { message, .. } => message.clone(),
            Self::NotFound(what) => format!("{what} was not found."),
            Self::Missing(m)
            | Self::Conflict(m)
            | Self::Definitions(m)
            | Self::Build(m)
            | Self::Upstream(m) => m.clone(),
            Self::Forbidden { message, .. } | Self::Throttled { message, .. } => message.clone(),
            Self::Link(r) => r.message().into(),
            Self::Internal(_) => INTERNAL.into(),
        }
    }
}
