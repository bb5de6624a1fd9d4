//! Request extractors whose failures become problem+json naming the offending field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap};
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
        require_json(req.headers())?;
        let headers = req.headers().clone();
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
        Self::from_bytes(&headers, &bytes)
    }
}

impl<T: DeserializeOwned> ApiJson<T> {
    /// The extractor's checks on a body already read (for handlers that look at the bytes
    /// first, e.g. to count a roster's rows): JSON content type, strict JSON, then `T`.
    pub fn from_bytes(headers: &HeaderMap, bytes: &[u8]) -> Result<Self, ApiError> {
        require_json(headers)?;
        // Strict first: a duplicate key would otherwise let serde_json keep the last value while
        // another reader of the same bytes sees the first (e.g. a second `name` beside a signed one).
        let value = pathledger_signing::parse_strict(bytes).map_err(|e| {
            ApiError::bad_request("malformed_json", format!("The body is not valid JSON: {e}"))
        })?;
        // The body is parsed once: `T` is taken from the parsed value. Only when that fails is
        // it read again from the bytes, for an error that names the line and column.
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(t) => Ok(ApiJson(t)),
            Err(_) => parse_json(bytes).map(ApiJson),
        }
    }
}

/// Refuses (415) a body that is not declared as JSON.
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let is_json = headers
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
    Ok(())
}

/// Whether the arrays that open at nesting level `level` of a JSON text (0: the text is the
/// array; 1: an array member of the top-level object) hold more than `limit` items together.
/// A scan of the bytes that allocates nothing and stops at the item after the limit, so an
/// oversized roster is refused before it is parsed. The text is not validated (the parser does
/// that next); on malformed text the count is only approximate.
pub fn array_items_exceed(bytes: &[u8], level: usize, limit: usize) -> bool {
    let mut depth = 0usize; // containers open around the current byte
    let mut in_target = false; // inside an array that opened at `level`
    let mut in_string = false;
    let mut escaped = false;
    let mut items = 0usize; // items of target arrays closed so far, plus commas of the open one
    let mut nonempty = false; // the open target array has a first item
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        if in_target && depth == level + 1 && !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b']') {
            if b == b',' {
                items += 1;
            } else if !nonempty {
                nonempty = true;
                items += 1;
            }
            if items > limit {
                return true;
            }
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                if depth == level && b == b'[' {
                    in_target = true;
                    nonempty = false;
                }
                depth += 1;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == level {
                    in_target = false;
                }
            }
            _ => {}
        }
    }
    false
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

#[cfg(test)]
mod tests {
    use super::array_items_exceed;

    #[test]
    fn counts_items_at_the_given_level_only() {
        let batch = br#"[{"a":[1,2,3]}, "x,y]", [4,5], 6]"#;
        assert!(!array_items_exceed(batch, 0, 4));
        assert!(array_items_exceed(batch, 0, 3));
        assert!(!array_items_exceed(b"[]", 0, 0));
        assert!(array_items_exceed(b"[ 0 ]", 0, 0));
        let bulk = br#"{"suite":"a[,,]","rows":[{"r":"\"],"},{"r":[1,2,3,4]}]}"#;
        assert!(!array_items_exceed(bulk, 1, 2));
        assert!(array_items_exceed(bulk, 1, 1));
    }

    #[test]
    fn stops_at_the_item_after_the_limit() {
        // Unterminated and far longer than the limit: answered without reading it all.
        let mut body = b"[".to_vec();
        body.extend(std::iter::repeat_n(b"0,".as_slice(), 100_000).flatten());
        assert!(array_items_exceed(&body, 0, 1_000));
        assert!(!array_items_exceed(&body, 0, 100_001));
    }
}
