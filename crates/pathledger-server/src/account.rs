//! The caller's own account: `GET /api/v1/me` (who they are, their memberships, the career roles
//! they endorse as, their educator records) and the choices that are theirs alone (who sees them
//! in communities of practice), as API and as the dashboard's form.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use pathledger_app::me;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::App;
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::{schemas, Auth, Forbidden, JsonBody, NotFound};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The JSON API routes of this module (each described by its `#[utoipa::path]`).
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(api_me))
        .routes(routes!(api_community))
}

/// The form routes of this module (listed in [`crate::PAGE_ROUTES`]).
pub fn pages() -> Router<App> {
    Router::new().route("/dashboard/community", post(community_form))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    summary = "The caller: user, memberships, endorser roles, educator records",
    description = "Token or session.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = schemas::Me),
        Auth,
    ))]
async fn api_me(State(app): State<App>, caller: Caller) -> Result<Json<me::Me>, ApiError> {
    Ok(Json(me::me(&app, &caller).await?))
}

/// Who sees the educator in communities of practice.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommunityInput {
    /// `hidden`, `organization` or `public`.
    visibility: String,
}

#[utoipa::path(put, path = "/api/v1/educators/{id}/community", tag = "account",
    summary = "Who sees the educator in communities of practice",
    description = "The educator's own choice (the educator only).",
    params(("id" = String, Path, description = "Educator id")),
    request_body = schemas::CommunityInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The choice", body = schemas::Community),
        JsonBody, Auth, Forbidden, NotFound,
    ))]
async fn api_community(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CommunityInput>,
) -> Result<Json<Value>, ApiError> {
    let v = me::set_community_visibility(&app, &caller, &id, &input.visibility).await?;
    Ok(Json(json!({"educator": id, "visibility": v.as_str()})))
}

#[derive(Deserialize)]
struct CommunityForm {
    educator: String,
    visibility: String,
}

async fn community_form(
    State(app): State<App>,
    caller: MaybeCaller,
    Form(f): Form<CommunityForm>,
) -> Response {
    let Some(caller) = caller.0 else {
        return Redirect::to("/login").into_response();
    };
    match me::set_community_visibility(&app, &caller, &f.educator, &f.visibility).await {
        Ok(_) => Redirect::to("/dashboard").into_response(),
        Err(e) => crate::work::error_page(
            &caller,
            "Community visibility not changed",
            &ApiError::from(e),
            "/dashboard",
        ),
    }
}
