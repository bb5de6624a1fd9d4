//! The caller's own account: `GET /api/v1/me` (who they are, their memberships, the career roles
//! they endorse as, their educator records) and the choices that are theirs alone (who sees them
//! in communities of practice), as API and as the dashboard's form.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Form, Json, Router};
use pathledger_app::me;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::App;
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::extract::ApiJson;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/me", get(api_me))
        .route("/api/v1/educators/{id}/community", put(api_community))
        .route("/dashboard/community", post(community_form))
}

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
