//! Who is calling: an API token (`Authorization: Bearer …`) or a browser session cookie, and
//! the checks every protected handler makes with it.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use pathledger_store::{Role, User};

use crate::app::App;
use crate::error::ApiError;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "pathledger_session";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user: User,
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
            Some(user) => Ok(Some(Caller { user })),
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
            return Ok(Some(Caller { user }));
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

impl Caller {
    /// Refuses unless the caller holds `role` in `org_id` (or a containing organization).
    pub async fn require(&self, app: &App, org_id: &str, role: Role) -> Result<(), ApiError> {
        if app
            .store()
            .has_role(&self.user.id, org_id, role)
            .await
            .map_err(ApiError::from_store)?
        {
            Ok(())
        } else {
            tracing::warn!(user = %self.user.id, org = %org_id, role = role.as_str(), "access refused");
            Err(ApiError::forbidden())
        }
    }

    /// Refuses unless the caller holds any of `roles` in `org_id`.
    pub async fn require_any(
        &self,
        app: &App,
        org_id: &str,
        roles: &[Role],
    ) -> Result<Role, ApiError> {
        for r in roles {
            if app
                .store()
                .has_role(&self.user.id, org_id, *r)
                .await
                .map_err(ApiError::from_store)?
            {
                return Ok(*r);
            }
        }
        tracing::warn!(user = %self.user.id, org = %org_id, "access refused");
        Err(ApiError::forbidden())
    }

    /// The first organization where the caller holds any of `roles` (for actions that name no
    /// organization: the caller's own is meant). Refused, and logged, if there is none.
    pub async fn org_with_role(&self, app: &App, roles: &[Role]) -> Result<String, ApiError> {
        app.store()
            .memberships(&self.user.id)
            .await
            .map_err(ApiError::from_store)?
            .into_iter()
            .find(|m| roles.contains(&m.role))
            .map(|m| m.org_id)
            .ok_or_else(|| {
                tracing::warn!(user = %self.user.id, ?roles, "access refused: no membership with a required role");
                ApiError::forbidden()
            })
    }

    /// Whether the caller may read this educator's private records: the educator themself, or
    /// an org admin / issuer of the educator's organization. Assessors see only the submissions
    /// assigned to them (see `work.rs`), not the educator's whole record.
    pub async fn may_read_educator(
        &self,
        app: &App,
        educator_id: &str,
        org_id: &str,
    ) -> Result<(), ApiError> {
        if self.user.educator_id.as_deref() == Some(educator_id) {
            return Ok(());
        }
        self.require_any(app, org_id, &[Role::OrgAdmin, Role::Issuer])
            .await
            .map(|_| ())
    }
}
