//! The security headers, as one layer on every response: a Content-Security-Policy that allows
//! only this site's own styles and nothing else (no scripts at all, no inline styles, no framing,
//! forms post only here), `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`, and
//! `Strict-Transport-Security` when the public URL is https.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::Response;

/// The pages' policy: they use no script, and their only stylesheet is `/assets/style.css`
/// (inline SVG presentation attributes are not styles, so `style-src` needs no `unsafe-inline`).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The policy of an SVG image served by itself (opened in a tab, it is a document): nothing
/// loads, nothing runs, only its own inline styles apply.
pub const SVG_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'";

/// HSTS for an https deployment: one year, this host only (a district's other hosts may not be
/// https yet).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// Adds the headers; `https` is whether the public URL is https.
pub async fn security_headers(State(https): State<bool>, mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // Every response, not only HTML: a JSON or SVG answer opened in a tab gets the same rules.
    let svg = h
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"image/svg+xml"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if svg {
            SVG_CONTENT_SECURITY_POLICY
        } else {
            CONTENT_SECURITY_POLICY
        }),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    resp
}
