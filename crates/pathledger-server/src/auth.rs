//! Who is calling: an API token (`Authorization: Bearer …`) or a browser session cookie, and
//! the checks every protected handler makes with it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use pathledger_app::Actor;

use crate::app::App;
use crate::error::ApiError;
use crate::throttle::{client_key, SignInThrottle};
use pathledger_store::AccessRole;

/// Name of the session cookie over plain http (development, tests).
pub const SESSION_COOKIE: &str = "pathledger_session";

/// Name of the session cookie when the public URL is https: the `__Host-` prefix makes browsers
/// accept it only with `Secure`, `Path=/` and no `Domain`, so a sibling host cannot plant one.
pub const SECURE_SESSION_COOKIE: &str = "__Host-pathledger_session";

/// Whether this deployment is served over https (its configured public URL says so).
pub fn is_https(app: &App) -> bool {
    app.public_url()
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

/// The session cookie's name for this deployment: only the `__Host-` name over https, only the
/// plain name over http.
pub fn session_cookie_name(app: &App) -> &'static str {
    if is_https(app) {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The `Set-Cookie` value that starts a session (`secret`) or ends it (`None`).
pub fn session_set_cookie(app: &App, secret: Option<&str>) -> String {
    let name = session_cookie_name(app);
    let secure = if is_https(app) { "; Secure" } else { "" };
    match secret {
        Some(s) => format!("{name}={s}; HttpOnly{secure}; SameSite=Lax; Path=/; Max-Age=28800"),
        None => format!("{name}=; HttpOnly{secure}; SameSite=Lax; Path=/; Max-Age=0"),
    }
}

/// An authenticated caller: the app's [`Actor`], reached through `Deref` (`caller.user`,
/// `caller.require(…)`), and passed to the app's rules as `&caller`.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    /// The session's form token, which every form the caller is shown carries (`_csrf`); `None`
    /// when the caller authenticated with an API token (no ambient credential, no forms).
    pub form_token: Option<String>,
    /// What the menu offers a session caller (empty for API tokens, which see no pages).
    pub menu: crate::pages::Menu,
}

impl std::ops::Deref for Caller {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.actor
    }
}

/// A caller who may be anonymous (public pages).
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

impl MaybeCaller {
    /// The form token of the signed-in caller's session, if any.
    pub fn form_token(&self) -> Option<&str> {
        self.0.as_ref().and_then(|c| c.form_token.as_deref())
    }
}

/// The bearer token of the `Authorization` header, if it has one.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The session secret from the cookie named `name`, if any.
pub fn session_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|c| c.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name && !v.is_empty()).then(|| v.to_owned())
        })
}

async fn authenticate(parts: &Parts, app: &App) -> Result<Option<Caller>, ApiError> {
    let store = app.store();
    if let Some(token) = bearer(&parts.headers) {
        // Failed tokens count against the client's address like failed sign-ins.
        let throttle = parts.extensions.get::<SignInThrottle>();
        let client = client_key(parts);
        if let Some(t) = throttle {
            t.check(client)?;
        }
        return match store
            .authenticate_token(&token)
            .await
            .map_err(ApiError::from_store)?
        {
            Some(user) => Ok(Some(Caller {
                actor: Actor::new(user),
                form_token: None,
                menu: Default::default(),
            })),
            None => {
                tracing::warn!(client = %client, "rejected an invalid or revoked API token");
                if let Some(t) = throttle {
                    t.failed(client);
                }
                Err(ApiError::unauthorized())
            }
        };
    }
    if let Some(secret) = session_cookie(&parts.headers, session_cookie_name(app)) {
        if let Some(user) = store
            .session_user(&secret)
            .await
            .map_err(ApiError::from_store)?
        {
            let roles = store
                .memberships(&user.id)
                .await
                .map_err(ApiError::from_store)?;
            let has = |r: AccessRole| roles.iter().any(|m| m.role == r);
            let menu = crate::pages::Menu {
                educator: !user.educators.is_empty(),
                assessor: has(AccessRole::Assessor),
                admin: has(AccessRole::OrgAdmin) || has(AccessRole::Issuer),
            };
            return Ok(Some(Caller {
                actor: Actor::new(user),
                form_token: Some(crate::csrf::form_token(&secret)),
                menu,
            }));
        }
    }
    Ok(None)
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        authenticate(parts, app)
            .await?
            .ok_or_else(ApiError::unauthorized)
    }
}

impl FromRequestParts<App> for MaybeCaller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        // A bad token on a public page is still an error: the client meant to authenticate.
        Ok(MaybeCaller(authenticate(parts, app).await?))
    }
}

/// Name of the cookie that binds a sign-in under way (email link, OpenID Connect) to the
/// browser that started it, over plain http.
pub const BROWSER_COOKIE: &str = "pathledger_browser";

/// Its name over https (`__Host-`: only this host, `Secure`, `Path=/`).
pub const SECURE_BROWSER_COOKIE: &str = "__Host-pathledger_browser";

/// The browser-binding cookie's name for this deployment.
pub fn browser_cookie_name(app: &App) -> &'static str {
    if is_https(app) {
        SECURE_BROWSER_COOKIE
    } else {
        BROWSER_COOKIE
    }
}

/// This browser's binding: the SHA-256 of its binding cookie, and the `Set-Cookie` that gives
/// it one when it has none yet (a fresh random value, kept for an hour). A sign-in started here
/// can be finished only where this cookie is presented.
pub fn browser_binding(
    app: &App,
    headers: &HeaderMap,
) -> Result<([u8; 32], Option<String>), ApiError> {
    let name = browser_cookie_name(app);
    if let Some(v) = session_cookie(headers, name).filter(|v| v.len() == 64) {
        return Ok((pathledger_store::sha256(v.as_bytes()), None));
    }
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|_| ApiError::internal())?;
    let value = hex::encode(bytes);
    let secure = if is_https(app) { "; Secure" } else { "" };
    let cookie = format!("{name}={value}; HttpOnly{secure}; SameSite=Lax; Path=/; Max-Age=3600");
    Ok((pathledger_store::sha256(value.as_bytes()), Some(cookie)))
}

/// The binding of a browser finishing a sign-in: `None` when it has no binding cookie.
pub fn presented_binding(app: &App, headers: &HeaderMap) -> Option<[u8; 32]> {
    session_cookie(headers, browser_cookie_name(app))
        .map(|v| pathledger_store::sha256(v.as_bytes()))
}

/// Signs `user` in: starts a session and sends the browser to the page for their role. Every
/// way of signing in (token, email link, invitation, enrollment, OpenID Connect) ends here.
pub async fn start_session(
    app: &App,
    user: &pathledger_store::User,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::{IntoResponse as _, Redirect};
    let secret = app
        .store()
        .create_session(&user.id, SESSION_TTL_MS)
        .await
        .map_err(ApiError::from_store)?;
    let landing = pathledger_app::accounts::landing_path(app, user).await?;
    let cookie = session_set_cookie(app, Some(&secret));
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(landing)).into_response())
}

/// How long a browser session lasts: 8 hours (the cookie's `Max-Age` agrees).
pub const SESSION_TTL_MS: i64 = 8 * 3600 * 1000;
