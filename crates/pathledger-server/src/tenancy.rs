//! Handlers for what keeps organizations apart: a person linking their records in several
//! organizations, and an organization's trusted issuers (rules: `app::tenancy`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use pathledger_store::OrgId;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::{tenancy, App};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/me/educators", post(link_record))
        .route(
            "/api/v1/orgs/{org}/trusted-issuers",
            get(list_trusted).post(trust),
        )
        .route(
            "/api/v1/orgs/{org}/trusted-issuers/{issuer}",
            delete(distrust),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkInput {
    /// The organization whose record (carrying the caller's email) to link.
    org: String,
}

async fn link_record(
    State(app): State<App>,
    caller: Caller,
    ApiJson(input): ApiJson<LinkInput>,
) -> Result<Response, ApiError> {
    let link = tenancy::link_own_record(&app, &caller, &input.org).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": link.educator_id, "org": link.org_id})),
    )
        .into_response())
}

async fn list_trusted(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<OrgId>,
) -> Result<Json<Value>, ApiError> {
    let list = tenancy::trusted_issuers(&app, &caller, &org).await?;
    Ok(Json(json!({"org": org, "trustedIssuers": list})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustInput {
    /// The other organization's issuer id.
    issuer: String,
}

async fn trust(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<OrgId>,
    ApiJson(input): ApiJson<TrustInput>,
) -> Result<Response, ApiError> {
    let t = tenancy::trust_issuer(&app, &caller, &org, &input.issuer).await?;
    Ok((StatusCode::CREATED, Json(json!(t))).into_response())
}

async fn distrust(
    State(app): State<App>,
    caller: Caller,
    Path((org, issuer)): Path<(OrgId, String)>,
) -> Result<StatusCode, ApiError> {
    tenancy::distrust_issuer(&app, &caller, &org, &issuer).await?;
    Ok(StatusCode::NO_CONTENT)
}
