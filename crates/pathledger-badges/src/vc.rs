//! The VC 2.0 data model's basics that the builders, status lists and the verifier share: the
//! base context, a document's issuer, and what counts as a URI.

use serde_json::Value;

/// Verifiable Credentials Data Model 2.0 context.
pub const VC_V2: &str = "https://www.w3.org/ns/credentials/v2";

/// The issuer id: `issuer` as a string or `issuer.id`.
pub fn issuer_id(doc: &Value) -> Option<&str> {
    match doc.get("issuer")? {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// Whether `s` has a URI scheme (`scheme:rest`), which is all JSON-LD needs to keep it an IRI.
pub fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    !rest.is_empty()
        && !s.chars().any(char::is_whitespace)
        && scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The first item of a document's `@context` when it is a string (a URL).
pub(crate) fn first_context(obj: &serde_json::Map<String, Value>) -> Option<&str> {
    match obj.get("@context") {
        Some(Value::Array(a)) => a.first().and_then(Value::as_str),
        Some(Value::String(s)) => Some(s.as_str()),
        _ => None,
    }
}
