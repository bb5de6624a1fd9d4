//! One-time notices after a form post ("Revoked …", "Key rotated"): the server's own message,
//! carried to the next page in a short-lived cookie bound to the session, never in the URL. A
//! `?notice=` link anyone could craft (and mail to an admin) used to put its text on our pages.
//!
//! The cookie holds the message and HMAC-SHA256 of it under the session's form token, so it is
//! shown only to the session it was set for, and is the same on every server of a deployment.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::app::App;
use crate::auth::{is_https, Caller};

const COOKIE: &str = "pathledger_notice";
/// Longest notice kept (characters); longer ones are cut.
const MAX_CHARS: usize = 600;

fn tag(form_token: &str, message: &str) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(form_token.as_bytes())
        .expect("HMAC takes any key length");
    m.update(b"pathledger notice v1\n");
    m.update(message.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

fn cookie(app: &App, value: &str, max_age: u32) -> String {
    let secure = if is_https(app) { "; Secure" } else { "" };
    format!("{COOKIE}={value}; HttpOnly{secure}; SameSite=Lax; Path=/; Max-Age={max_age}")
}

/// Adds the notice cookie for `caller`'s next page to `resp` (nothing for API-token callers,
/// who have no pages).
pub fn set(app: &App, caller: &Caller, message: &str, resp: &mut Response) {
    let Some(token) = caller.form_token.as_deref() else {
        return;
    };
    let message: String = message.chars().take(MAX_CHARS).collect();
    let value = format!(
        "{}.{}",
        B64.encode(message.as_bytes()),
        tag(token, &message)
    );
    if let Ok(v) = HeaderValue::from_str(&cookie(app, &value, 120)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The notice set for `caller`'s session, if the request carries one that verifies.
pub fn read(headers: &HeaderMap, caller: &Caller) -> Option<String> {
    let token = caller.form_token.as_deref()?;
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))?;
    let (b64, presented) = value.split_once('.')?;
    let message = String::from_utf8(B64.decode(b64).ok()?).ok()?;
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(token.as_bytes()).ok()?;
    m.update(b"pathledger notice v1\n");
    m.update(message.as_bytes());
    m.verify_slice(&hex::decode(presented).ok()?).ok()?;
    Some(message)
}

/// Clears the notice cookie on `resp` (after the page showed it).
pub fn clear(app: &App, resp: &mut Response) {
    if let Ok(v) = HeaderValue::from_str(&cookie(app, "", 0)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}
