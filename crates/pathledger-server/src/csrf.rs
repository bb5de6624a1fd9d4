//! Cross-site request forgery defence, as one layer in front of every route: a state-changing
//! request (POST, PUT, PATCH, DELETE) that a live session cookie would authenticate must come
//! from our own origin (`Origin`, else `Sec-Fetch-Site`; with neither, the token decides) *and*
//! carry the session's form token (the `_csrf` field of a form, urlencoded or multipart, or the
//! `X-CSRF-Token` header); cookie-authenticated API writes must also send a JSON body. Requests
//! with `Authorization: Bearer` carry no ambient credential and pass; so do anonymous ones, but
//! the sign-in forms themselves are origin-checked (login CSRF, [`is_sign_in_path`]).
//!
//! The form token is HMAC-SHA256 of the session secret (which only the HttpOnly cookie holds)
//! under a fixed domain-separation key: per session, unforgeable without the secret, revealing
//! nothing about it, and the same on every server of a deployment without a shared key.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::app::App;
use crate::auth::{bearer, session_cookie, session_cookie_name};
use crate::error::ApiError;

/// The hidden form field that carries the token.
pub const FORM_FIELD: &str = "_csrf";
/// The header that carries the token on cookie-authenticated API calls.
pub const HEADER: &str = "x-csrf-token";

const KEY: &[u8] = b"pathledger session form token v1";

fn mac(session_secret: &str) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(KEY).expect("HMAC takes any key length");
    m.update(session_secret.as_bytes());
    m
}

/// The form token of the session whose cookie value is `session_secret` (hex).
pub fn form_token(session_secret: &str) -> String {
    hex::encode(mac(session_secret).finalize().into_bytes())
}

/// Whether `presented` is the session's form token (compared in constant time).
pub fn token_matches(session_secret: &str, presented: &str) -> bool {
    match hex::decode(presented.trim()) {
        Ok(bytes) => mac(session_secret).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

/// `scheme://host[:port]` of a URL, lowercased, without a default port; `None` if it has no
/// scheme.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    let authority = authority.rsplit('@').next()?;
    if authority.is_empty() {
        return None;
    }
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => "",
    };
    let authority = if !default_port.is_empty() && authority.ends_with(default_port) {
        &authority[..authority.len() - default_port.len()]
    } else {
        authority
    };
    Some(format!("{scheme}://{authority}"))
}

/// What the layer needs: the application (to tell a live session from a stale cookie), our
/// origin and the session cookie's name.
#[derive(Clone)]
pub struct Guard {
    app: App,
    origin: String,
    cookie: &'static str,
}

impl Guard {
    pub fn new(app: &App) -> Self {
        Self {
            origin: origin_of(app.public_url()).unwrap_or_default(),
            cookie: session_cookie_name(app),
            app: app.clone(),
        }
    }
}

/// Where the request says it comes from.
enum Site {
    Same,
    Cross(String),
    Unknown,
}

fn request_site(headers: &HeaderMap, ours: &str) -> Site {
    if let Some(o) = headers.get(header::ORIGIN) {
        let o = o.to_str().unwrap_or("");
        return match origin_of(o) {
            Some(norm) if norm == ours => Site::Same,
            _ => Site::Cross(format!("Origin: {o}")),
        };
    }
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some("same-origin" | "none") => Site::Same,
        Some(other) => Site::Cross(format!("Sec-Fetch-Site: {other}")),
        None => Site::Unknown,
    }
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn is_json(headers: &HeaderMap) -> bool {
    let ct = content_type(headers);
    ct == "application/json" || (ct.starts_with("application/") && ct.ends_with("+json"))
}

/// The JSON API (and the VC-API's POSTs), as opposed to the pages' form endpoints.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/credentials/")
}

fn refuse(code: &'static str, detail: &str, field: Option<&str>) -> Response {
    let mut e = ApiError::new(StatusCode::FORBIDDEN, code, detail);
    if let Some(f) = field {
        e = e.with_field(f);
    }
    e.into_response()
}

/// Reads the whole body (the body limit layer outside bounds it).
async fn buffer(body: Body) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, crate::MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            let mut over = false;
            let mut source: Option<&dyn std::error::Error> = Some(&e);
            while let Some(s) = source {
                over |= s.is::<http_body_util::LengthLimitError>();
                source = s.source();
            }
            if over {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "The request body is too large (the limit is 8 MiB).",
                )
            } else {
                ApiError::bad_request("bad_form", "The form could not be read.")
            }
            .into_response()
        })
}

/// Takes the `_csrf` field out of a form body: removed from an urlencoded body (so handlers'
/// strict form types never see it), read from a multipart one (handlers look fields up by name).
/// Other bodies carry no form token.
async fn take_form_token(req: Request) -> Result<(Request, Option<String>), Response> {
    let ct = content_type(req.headers());
    if ct == "application/x-www-form-urlencoded" {
        let (parts, body) = req.into_parts();
        let bytes = buffer(body).await?;
        let mut token = None;
        let rest: Vec<&[u8]> = bytes
            .split(|b| *b == b'&')
            .filter(|pair| match pair.strip_prefix(b"_csrf=") {
                Some(v) => {
                    token = Some(String::from_utf8_lossy(v).into_owned());
                    false
                }
                None => true,
            })
            .collect();
        let body = if token.is_some() {
            Bytes::from(rest.join(&b'&'))
        } else {
            bytes
        };
        return Ok((Request::from_parts(parts, Body::from(body)), token));
    }
    if ct == "multipart/form-data" {
        let (parts, body) = req.into_parts();
        let bytes = buffer(body).await?;
        let mut probe = Request::new(Body::from(bytes.clone()));
        // The same body limit as the handler's own multipart extraction.
        *probe.extensions_mut() = parts.extensions.clone();
        if let Some(v) = parts.headers.get(header::CONTENT_TYPE) {
            probe.headers_mut().insert(header::CONTENT_TYPE, v.clone());
        }
        let mut token = None;
        if let Ok(mut mp) = Multipart::from_request(probe, &()).await {
            while let Ok(Some(field)) = mp.next_field().await {
                if field.name() == Some(FORM_FIELD) {
                    token = field.text().await.ok();
                    break;
                }
            }
        }
        return Ok((Request::from_parts(parts, Body::from(bytes)), token));
    }
    Ok((req, None))
}

/// The paths that sign a browser in (token, email link, invitation, enrollment, first run,
/// OpenID Connect): origin-checked even without a session, so another site cannot sign a
/// visitor's browser into an account of its choosing (login CSRF).
pub fn is_sign_in_path(path: &str) -> bool {
    path == "/login"
        || path.starts_with("/login/")
        || path.starts_with("/invitations/")
        || path == "/join"
        || path.starts_with("/join/")
        || path == "/setup"
}

/// Routes that never read a session or token: a wallet's VC-API claim exchange, whose
/// permission is the secret in its path. A cookie the wallet's browser happens to send lends
/// such a request nothing, so it is not checked (a wallet has no form token to send).
pub fn reads_no_session(path: &str) -> bool {
    path.starts_with("/workflows/claim/exchanges/")
}

/// The layer: see the module's documentation.
pub async fn guard(State(g): State<Guard>, req: Request, next: Next) -> Response {
    if matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) || bearer(req.headers()).is_some()
        || reads_no_session(req.uri().path())
    {
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    let secret = session_cookie(req.headers(), g.cookie);
    if secret.is_none() && !is_sign_in_path(&path) {
        return next.run(req).await;
    }
    if let Site::Cross(from) = request_site(req.headers(), &g.origin) {
        tracing::warn!(%path, %from, "refused a cross-origin state-changing request");
        return refuse(
            "cross_origin",
            "This request came from another site; sign-ins and changes are accepted only from this site's own pages.",
            None,
        );
    }
    let Some(secret) = secret else {
        // Signing in, without a session yet: the origin check above is the defence.
        return next.run(req).await;
    };
    let header_token = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let form = !is_api(&path);
    let (req, presented) = match header_token {
        Some(t) => (req, Some(t)),
        None => match take_form_token(req).await {
            Ok(x) => x,
            Err(resp) => return resp,
        },
    };
    if !presented.is_some_and(|t| token_matches(&secret, &t)) {
        // Only a live session is an ambient credential; a stale cookie makes an anonymous request.
        match g.app.store().session_user(&secret).await {
            Ok(None) => return next.run(req).await,
            Ok(Some(user)) => {
                tracing::warn!(%path, user = %user.id, "refused a session request without its form token");
                return if form {
                    refuse(
                        "csrf_token",
                        "This form is out of date or did not come from this site; reload the page and try again.",
                        Some(FORM_FIELD),
                    )
                } else {
                    refuse(
                        "csrf_token",
                        "A request authenticated by the session cookie must send the session's form token in the X-CSRF-Token header (or use an API token).",
                        Some("X-CSRF-Token"),
                    )
                };
            }
            Err(e) => return ApiError::from_store(e).into_response(),
        }
    }
    if !form && !is_json(req.headers()) {
        tracing::warn!(%path, "refused a cookie-authenticated API write without a JSON body");
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "json_required",
            "A request authenticated by the session cookie must send a JSON body (Content-Type: application/json).",
        )
        .with_field("Content-Type")
        .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_per_session_and_checked_exactly() {
        let a = form_token("aa11");
        assert_eq!(a.len(), 64);
        assert_ne!(a, form_token("aa12"));
        assert!(token_matches("aa11", &a));
        assert!(!token_matches("aa12", &a));
        assert!(!token_matches("aa11", &a[..62]));
        assert!(!token_matches("aa11", "not hex"));
        assert!(!token_matches("aa11", ""));
    }

    #[test]
    fn origins_are_normalized() {
        assert_eq!(
            origin_of("https://Ledger.Example:443/path").as_deref(),
            Some("https://ledger.example")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("null"), None);
        assert_eq!(origin_of("http://"), None);
    }
}
