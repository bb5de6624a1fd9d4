//! Who is calling: an API token (`Authorization: Bearer …`) or a browser session cookie, and
//! the checks every protected handler makes with it.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use pathledger_app::Actor;

use crate::app::App;
use crate::error::ApiError;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "pathledger_session";

/// An authenticated caller: the app's [`Actor`], reached through `Deref` (`caller.user`,
/// `caller.require(…)`), and passed to the app's rules as `&caller`.
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

impl std::ops::Deref for Caller {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.0
    }
}

/// A caller who may be anonymous (public pages).
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

fn bearer(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The session secret from the cookie header, if any.
pub fn session_cookie(parts: &Parts) -> Option<String> {
    let cookies = parts.headers.get(header::COOKIE)?.to_str().ok()?;
    cookies.split(';').find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == SESSION_COOKIE).then(|| v.to_owned())
    })
}

async fn authenticate(parts: &Parts, app: &App) -> Result<Option<Caller>, ApiError> {
    let store = app.store();
    if let Some(token) = bearer(parts) {
        return match store
            .authenticate_token(&token)
            .await
            .map_err(ApiError::from_store)?
        {
            Some(user) => Ok(Some(Caller(Actor::new(user)))),
            None => {
                tracing::warn!("rejected an invalid or revoked API token");
                Err(ApiError::unauthorized())
            }
        };
    }
    if let Some(secret) = session_cookie(parts) {
        if let Some(user) = store
            .session_user(&secret)
            .await
            .map_err(ApiError::from_store)?
        {
            return Ok(Some(Caller(Actor::new(user))));
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
