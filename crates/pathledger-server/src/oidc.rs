//! OpenID Connect sign-in over HTTP: the org admins' settings API
//! (`/api/v1/orgs/{org}/oidc`), the start of a sign-in (`/login/oidc/{org}`, which binds the
//! browser and sends it to the provider) and the callback (`/login/oidc/callback`). The rules,
//! the calls to the provider and the trust rule are `pathledger_app::oidc`; a sign-in ends in
//! [`crate::auth::start_session`], a refusal on a page that says why.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use pathledger_app::oidc::{self, Callback, OidcInput};
use pathledger_app::AppError;
use pathledger_store::{OidcProvider, OrgId};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::App;
use crate::auth::{browser_binding, presented_binding, start_session, Caller};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::{schemas, Auth, Forbidden, JsonBody, NotFound};
use crate::pages::{layout, oidc as p};
use utoipa_axum::{router::OpenApiRouter, routes};

/// What the routes of this module are configured with (from [`crate::WebConfig`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct OidcSettings {
    /// Whether providers may be plain http (tests, development); https only otherwise.
    pub allow_http: bool,
}

/// Routes of this module (each described by its `#[utoipa::path]`).
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(callback))
        .routes(routes!(start))
        .routes(routes!(api_get, api_put, api_delete))
}

fn settings_json(app: &App, org: &OrgId, p: Option<&OidcProvider>) -> Value {
    let redirect_uri = oidc::redirect_uri(app);
    match p {
        None => json!({"org": org, "configured": false, "redirect_uri": redirect_uri}),
        Some(p) => json!({
            "org": p.org_id, "configured": true, "issuer_url": p.issuer_url,
            "client_id": p.client_id, "label": p.label, "redirect_uri": redirect_uri,
            "sign_in_url": format!("{}/login/oidc/{}", app.public_url(), crate::web::urlencode_component(p.org_id.as_str())),
            "created_ms": p.created_ms, "updated_ms": p.updated_ms,
        }),
    }
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/oidc", operation_id = "get_oidc", tag = "accounts",
    summary = "The organization's OpenID Connect sign-in",
    description = "Never the client secret; `redirect_uri` is what to register at the provider. Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings (`configured: false` when there are none)", body = schemas::OidcSettings),
        Auth, Forbidden,
    ))]
async fn api_get(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let org = OrgId::from(org);
    let p = oidc::provider(&app, &caller, &org).await?;
    Ok(Json(settings_json(&app, &org, p.as_ref())))
}

#[utoipa::path(put, path = "/api/v1/orgs/{org}/oidc", operation_id = "put_oidc", tag = "accounts",
    summary = "Configure or replace the organization's OpenID Connect sign-in",
    description = "The issuer must be https and its discovery document is fetched (422 naming `issuer_url` when it cannot be used); the secret is stored sealed. Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id")),
    request_body = schemas::OidcInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings", body = schemas::OidcSettings),
        (status = 502, description = "The provider could not be reached or answered badly (`upstream_failed`)", body = schemas::Problem, content_type = "application/problem+json"),
        JsonBody, Auth, Forbidden,
    ))]
async fn api_put(
    State(app): State<App>,
    Extension(settings): Extension<OidcSettings>,
    caller: Caller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<OidcInput>,
) -> Result<Json<Value>, ApiError> {
    let org = OrgId::from(org);
    let p = oidc::configure(&app, &caller, &org, &input, settings.allow_http).await?;
    Ok(Json(settings_json(&app, &org, Some(&p))))
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org}/oidc", operation_id = "delete_oidc", tag = "accounts",
    summary = "Remove the organization's OpenID Connect sign-in",
    description = "404 when there is none. Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        Auth, Forbidden, NotFound,
    ))]
async fn api_delete(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Response, ApiError> {
    let org = OrgId::from(org);
    if oidc::remove(&app, &caller, &org).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found(
            "This organization has no OpenID Connect sign-in.",
        ))
    }
}

/// A sign-in page answer: the refusal's status, a page that says why, and the binding cookie
/// when one was just given.
fn refused_page(e: AppError, set_cookie: Option<String>) -> Result<Response, ApiError> {
    let e: ApiError = match e {
        e @ (AppError::Link(_)
        | AppError::Forbidden { .. }
        | AppError::Upstream(_)
        | AppError::Invalid { .. }
        | AppError::Missing(_)) => e.into(),
        other => return Err(other.into()),
    };
    let html = layout("Sign in", None, None, p::refused(&e.detail));
    let mut resp = (e.status, Html(html.into_string())).into_response();
    if let Some(v) = set_cookie.and_then(|c| header::HeaderValue::from_str(&c).ok()) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// Starts a sign-in: binds this browser (cookie) and sends it to the provider (303).
#[utoipa::path(get, path = "/login/oidc/{org}", operation_id = "oidc_start", tag = "accounts",
    summary = "Browser: start signing in at the organization's provider",
    description = "Binds the browser with a cookie and sends it (303) to the provider's authorization endpoint (authorization code with PKCE S256). A refusal is an HTML page with the status.",
    params(("org" = String, Path, description = "Organization id")),
    responses(
        (status = 303, description = "To the provider", headers(("Location" = String, description = "The provider's authorization URL"), ("Set-Cookie" = String, description = "The browser binding, when the browser had none"))),
        (status = 404, description = "No such organization, or it has no OpenID Connect sign-in (HTML page)", body = String, content_type = "text/html"),
        (status = 422, description = "The provider's settings cannot be used (HTML page)", body = String, content_type = "text/html"),
        (status = 502, description = "The provider could not be reached (HTML page)", body = String, content_type = "text/html"),
    ))]
async fn start(
    State(app): State<App>,
    Extension(settings): Extension<OidcSettings>,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Result<Response, ApiError> {
    let (binding, set_cookie) = browser_binding(&app, &headers)?;
    match oidc::begin(&app, &OrgId::from(org), binding, settings.allow_http).await {
        Ok(url) => {
            let mut resp = Redirect::to(&url).into_response();
            if let Some(v) = set_cookie.and_then(|c| header::HeaderValue::from_str(&c).ok()) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(resp)
        }
        Err(e) => refused_page(e, set_cookie),
    }
}

/// What a provider sends back (other parameters, e.g. `session_state`, are ignored).
#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

/// Finishes a sign-in in the browser that started it, or says why not.
#[utoipa::path(get, path = "/login/oidc/callback", operation_id = "oidc_callback", tag = "accounts",
    summary = "Browser: the provider's redirect back",
    description = "Once, in the browser that started, within 10 minutes; the ID token's verified email must belong to an account of that organization and of no other (else open enrollment, else refused with a page); 303 to the landing page with a session. Refusals are HTML pages.",
    params(
        ("code" = Option<String>, Query, description = "Authorization code"),
        ("state" = Option<String>, Query, description = "The state sent to the provider"),
        ("iss" = Option<String>, Query, description = "The provider's issuer (RFC 9207)"),
        ("error" = Option<String>, Query, description = "The provider's error code"),
    ),
    responses(
        (status = 303, description = "Signed in: to the landing page", headers(("Location" = String, description = "The landing page"), ("Set-Cookie" = String, description = "The session cookie"))),
        (status = 403, description = "Another browser, a deactivated account, or an email the provider may not speak for (HTML page)", body = String, content_type = "text/html"),
        (status = 404, description = "Unknown sign-in state (HTML page)", body = String, content_type = "text/html"),
        (status = 410, description = "The sign-in expired or was used (HTML page)", body = String, content_type = "text/html"),
        (status = 422, description = "No code or state, or the provider sent an error (HTML page)", body = String, content_type = "text/html"),
        (status = 502, description = "The provider's token endpoint failed (HTML page)", body = String, content_type = "text/html"),
    ))]
async fn callback(
    State(app): State<App>,
    Extension(settings): Extension<OidcSettings>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, ApiError> {
    let cb = Callback {
        code: q.code,
        state: q.state,
        iss: q.iss,
        error: q.error,
    };
    let browser = presented_binding(&app, &headers);
    match oidc::finish(&app, &cb, browser, settings.allow_http).await {
        Ok(user) => start_session(&app, &user).await,
        Err(e) => refused_page(e, None),
    }
}
