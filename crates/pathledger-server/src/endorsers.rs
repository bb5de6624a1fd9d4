//! Endorser grants, as JSON API and as the admin page's forms: an org admin grants a user a
//! career role to endorse as in that organization, lists and revokes grants. The rules (who may,
//! which roles, which users) are `pathledger_app::endorsers`, shared by both.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::{Form, Json, Router};
use pathledger_app::endorsers::{self, GrantInput};
use pathledger_store::{AccessRole, EndorserGrant, OrgId};
use serde_json::{json, Value};

use crate::app::App;
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::work::form_outcome;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/orgs/{org}/endorsers",
            get(api_list).post(api_grant),
        )
        .route("/api/v1/orgs/{org}/endorsers/{grant}", delete(api_revoke))
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

async fn api_grant(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<GrantInput>,
) -> Result<Response, ApiError> {
    let g = endorsers::grant(&app, &caller, &OrgId::from(org), input).await?;
    Ok((StatusCode::CREATED, Json(grant_json(&g))).into_response())
}

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
    form_outcome(&caller, "/admin", "Endorser role not granted", result)
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
    form_outcome(&caller, "/admin", "Endorser role not revoked", result)
}
