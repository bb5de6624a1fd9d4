//! The one API error type: every failure leaves as RFC 9457 `application/problem+json`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A problem the client can act on. `code` is stable and documented; `field` names the offending
/// input (a JSON pointer or a form field) when there is one. Internal details are logged, never sent.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {code}: {detail}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub field: Option<String>,
    /// Whether retrying the same request later may succeed (e.g. a dropped database connection).
    pub retryable: bool,
    /// Seconds for the `Retry-After` header when retrying later may succeed (default 1).
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    retryable: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            field: None,
            retryable: false,
            retry_after: None,
        }
    }
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", detail).with_field(field)
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Sign in or send a valid API token.",
        )
    }
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "You do not have access to this resource.",
        )
    }
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", detail)
    }
    pub fn unavailable(detail: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail);
        e.retryable = true;
        e
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "An internal error occurred; it has been logged.",
        )
    }
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = Problem {
            kind: format!("https://pathledger.dev/problems/{}", self.code),
            title,
            status: self.status.as_u16(),
            code: self.code,
            detail: &self.detail,
            field: self.field.as_deref(),
            retryable: self.retryable,
        };
        let json = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
        let mut resp = (self.status, json).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if self.retryable {
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(self.retry_after.unwrap_or(1)),
            );
        }
        resp
    }
}

impl ApiError {
    /// Maps a store error to its HTTP answer; internal details are logged, not sent.
    pub fn from_store(e: pathledger_store::StoreError) -> Self {
        use pathledger_store::StoreError as S;
        match e {
            S::NotFound { entity, id } => Self::not_found(format!("{entity} {id} was not found.")),
            S::Conflict { message } => Self::conflict(message),
            S::InvalidInput { field, message } => Self::invalid(field, message),
            S::Forbidden { .. } => Self::forbidden(),
            S::Unavailable { message } => {
                tracing::warn!(%message, "storage unavailable");
                Self::unavailable("The database is temporarily unavailable; retry the request.")
            }
            other => {
                if other.is_retryable() {
                    tracing::warn!(error = %other, "retryable storage error");
                    return Self::unavailable(
                        "The database is temporarily unavailable; retry the request.",
                    );
                }
                tracing::error!(error = %other, "storage error");
                Self::internal()
            }
        }
    }
}

impl From<pathledger_store::StoreError> for ApiError {
    fn from(e: pathledger_store::StoreError) -> Self {
        ApiError::from_store(e)
    }
}

/// The one mapping from the rules' errors to HTTP answers.
impl From<pathledger_app::AppError> for ApiError {
    fn from(e: pathledger_app::AppError) -> Self {
        use pathledger_app::AppError as A;
        match e {
            A::Store(s) => Self::from_store(s),
            A::Invalid { field, message } => Self::invalid(field, message),
            A::NotFound(_) | A::Missing(_) => Self::not_found(e.detail()),
            A::Forbidden { code, message } => Self::new(StatusCode::FORBIDDEN, code, message),
            A::Conflict(message) => Self::conflict(message),
            A::Definitions(msg) => Self::invalid("definitions", msg),
            A::Build(msg) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "build_failed", msg),
            A::Link(r) => {
                use pathledger_store::LinkRefusal as L;
                let status = match r {
                    L::Unknown => StatusCode::NOT_FOUND,
                    L::Expired | L::Used | L::Withdrawn => StatusCode::GONE,
                    L::OtherBrowser | L::Deactivated => StatusCode::FORBIDDEN,
                };
                Self::new(status, r.code(), r.message())
            }
            A::Throttled {
                message,
                retry_after_secs,
            } => {
                let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "throttled", message);
                e.retryable = true;
                e.retry_after = Some(retry_after_secs);
                e
            }
            A::Upstream(message) => Self::new(StatusCode::BAD_GATEWAY, "upstream_failed", message),
            A::Internal(what) => {
                tracing::error!(%what, "internal error");
                Self::internal()
            }
            other => {
                tracing::error!(error = %other, "unmapped application error");
                Self::internal()
            }
        }
    }
}
