//! OpenID Connect sign-in over HTTP: the org admins' settings API
//! (`/api/v1/orgs/{org}/oidc`), the start of a sign-in (`/login/oidc/{org}`, which binds the
//! browser and sends it to the provider) and the callback (`/login/oidc/callback`). The rules,
//! the calls to the provider and the trust rule are `pathledger_app::oidc`; a sign-in ends in
//! [`crate::auth::start_session`], a refusal on a page that says why.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use pathledger_app::oidc::{self, Callback, OidcInput};
use pathledger_app::AppError;
use pathledger_store::{OidcProvider, OrgId};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::App;
use crate::auth::{browser_binding, presented_binding, start_session, Caller};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::pages::{layout, oidc as p};

/// What the routes of this module are configured with (from [`crate::WebConfig`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct OidcSettings {
    /// Whether providers may be plain http (tests, development); https only otherwise.
    pub allow_http: bool,
}

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/login/oidc/callback", get(callback))
        .route("/login/oidc/{org}", get(start))
        .route(
            "/api/v1/orgs/{org}/oidc",
            get(api_get).put(api_put).delete(api_delete),
        )
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

async fn api_get(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let org = OrgId::from(org);
    let p = oidc::provider(&app, &caller, &org).await?;
    Ok(Json(settings_json(&app, &org, p.as_ref())))
}

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
