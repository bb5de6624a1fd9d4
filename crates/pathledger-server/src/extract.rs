//! Request extractors whose failures become problem+json naming the offending field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body deserialized into `T`; on failure the problem names the JSON path of the bad field
/// and the line and column where parsing stopped.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let ct = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                ct == "application/json" || ct.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as application/json.",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    e.status(),
                    "payload_too_large",
                    "The request body is too large.",
                )
            } else {
                ApiError::bad_request("unreadable_body", "The request body could not be read.")
            }
        })?;
        // Strict first: a duplicate key would otherwise let serde_json keep the last value while
        // another reader of the same bytes sees the first (e.g. a second `name` beside a signed one).
        pathledger_signing::parse_strict(&bytes).map_err(|e| {
            ApiError::bad_request("malformed_json", format!("The body is not valid JSON: {e}"))
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parse `bytes` as `T`, reporting the failing field path, line and column.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.inner();
        let mut field = if path == "." { String::new() } else { path };
        // A missing field is reported at its parent's path; name the field itself.
        if let Some(name) = missing_field(&inner.to_string()) {
            field = if field.is_empty() {
                name.to_owned()
            } else {
                format!("{field}.{name}")
            };
        }
        // serde_json's message already ends with "at line L column C".
        let detail = inner.to_string();
        let e = if inner.is_syntax() || inner.is_eof() {
            ApiError::bad_request("malformed_json", detail)
        } else {
            ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                detail,
            )
        };
        if field.is_empty() {
            e
        } else {
            e.with_field(field)
        }
    })
}

/// The field name of serde's "missing field `name`" message.
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
}
