//! Endorser grants, as JSON API and as the admin page's forms: an org admin grants a user a
//! career role to endorse as in that organization, lists and revokes grants. The rules (who may,
//! which roles, which users) are `pathledger_app::endorsers`, shared by both.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use pathledger_app::endorsers::{self, GrantInput};
use pathledger_store::{AccessRole, EndorserGrant, OrgId};
use serde_json::{json, Value};

use crate::app::App;
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::{schemas, Auth, Conflict, Forbidden, JsonBody, NotFound};
use crate::work::form_outcome;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The JSON API routes of this module (each described by its `#[utoipa::path]`).
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(api_list, api_grant))
        .routes(routes!(api_revoke))
}

/// The form routes of this module (listed in [`crate::PAGE_ROUTES`]).
pub fn pages() -> Router<App> {
    Router::new()
        .route("/admin/endorsers", post(admin_grant))
        .route("/admin/endorsers/{grant}/revoke", post(admin_revoke))
}

fn grant_json(g: &EndorserGrant) -> Value {
    let mut v = json!({
        "id": g.id, "org": g.org_id, "user": g.user_id, "role": g.role_id,
        "granted_by": g.granted_by, "granted_ms": g.granted_ms,
    });
    if let Some(ms) = g.revoked_ms {
        v["revoked_by"] = json!(g.revoked_by);
        v["revoked_ms"] = json!(ms);
    }
    if let Some(i) = g.log_index {
        v["log_index"] = json!(i);
    }
    v
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/endorsers", operation_id = "list_endorsers", tag = "endorsers",
    summary = "The organization's active endorser grants",
    description = "Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The grants", body = schemas::EndorserGrants),
        Auth, Forbidden,
    ))]
async fn api_list(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let grants = endorsers::list(&app, &caller, &OrgId::from(org)).await?;
    Ok(Json(
        json!({"endorsers": grants.iter().map(grant_json).collect::<Vec<_>>()}),
    ))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org}/endorsers", operation_id = "grant_endorser", tag = "endorsers",
    summary = "Grant a member a career role to endorse as",
    description = "The user (a member: user id or sign-in email) endorses as that role in this organization; logged (the answer carries `log_index`). 409 if already granted. Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id")),
    request_body = schemas::GrantInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The grant", body = schemas::EndorserGrant),
        JsonBody, Auth, Forbidden, NotFound, Conflict,
    ))]
async fn api_grant(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<GrantInput>,
) -> Result<Response, ApiError> {
    let g = endorsers::grant(&app, &caller, &OrgId::from(org), input).await?;
    Ok((StatusCode::CREATED, Json(grant_json(&g))).into_response())
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org}/endorsers/{grant}", operation_id = "revoke_endorser", tag = "endorsers",
    summary = "Revoke an endorser grant",
    description = "Logged. Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id"), ("grant" = String, Path, description = "Grant id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The grant, revoked", body = schemas::EndorserGrant),
        Auth, Forbidden, NotFound, Conflict,
    ))]
async fn api_revoke(
    State(app): State<App>,
    caller: Caller,
    Path((org, grant)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let g = endorsers::revoke(&app, &caller, &OrgId::from(org), &grant).await?;
    Ok(Json(grant_json(&g)))
}

async fn admin_grant(
    State(app): State<App>,
    caller: MaybeCaller,
    Form(input): Form<GrantInput>,
) -> Response {
    let Some(caller) = caller.0 else {
        return Redirect::to("/login").into_response();
    };
    let result = async {
        let org = caller.org_with_role(&app, &[AccessRole::OrgAdmin]).await?;
        let g = endorsers::grant(&app, &caller, &org, input).await?;
        Ok(format!(
            "Granted: user {} endorses as {} (grant {}, logged).",
            g.user_id, g.role_id, g.id
        ))
    }
    .await;
    form_outcome(&app, &caller, "/admin", "Endorser role not granted", result)
}

async fn admin_revoke(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(grant): Path<String>,
) -> Response {
    let Some(caller) = caller.0 else {
        return Redirect::to("/login").into_response();
    };
    let result = async {
        let org = caller.org_with_role(&app, &[AccessRole::OrgAdmin]).await?;
        let g = endorsers::revoke(&app, &caller, &org, &grant).await?;
        Ok(format!(
            "Revoked: user {} no longer endorses as {} (grant {}, logged).",
            g.user_id, g.role_id, g.id
        ))
    }
    .await;
    form_outcome(&app, &caller, "/admin", "Endorser role not revoked", result)
}
