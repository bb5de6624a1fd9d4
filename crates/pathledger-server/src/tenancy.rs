//! Handlers for what keeps organizations apart: a person linking their records in several
//! organizations, and an organization's trusted issuers (rules: `app::tenancy`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use pathledger_store::OrgId;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::{tenancy, App};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::{schemas, Auth, Conflict, Forbidden, JsonBody, NotFound};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The JSON API routes of this module (each described by its `#[utoipa::path]`).
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(link_record))
        .routes(routes!(list_trusted, trust))
        .routes(routes!(distrust))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkInput {
    /// The organization whose record (carrying the caller's email) to link.
    org: String,
}

#[utoipa::path(post, path = "/api/v1/me/educators", tag = "definitions",
    summary = "Link the caller's educator record in another organization",
    description = "The record carrying the caller's sign-in email in that organization is linked to their account.",
    request_body = schemas::LinkInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The record linked", body = schemas::LinkedRecord),
        JsonBody, Auth, Forbidden, NotFound, Conflict,
    ))]
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

#[utoipa::path(get, path = "/api/v1/orgs/{org}/trusted-issuers", tag = "definitions",
    summary = "The other organizations' issuers this organization trusts",
    description = "Their credentials (on records the caller's educators linked) count toward this organization's pathways.",
    params(("org" = String, Path, description = "Organization id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The trusted issuers", body = schemas::TrustedIssuers),
        Auth, Forbidden,
    ))]
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

#[utoipa::path(post, path = "/api/v1/orgs/{org}/trusted-issuers", tag = "definitions",
    summary = "Trust another organization's issuer",
    description = "Org admins.",
    params(("org" = String, Path, description = "Organization id")),
    request_body = schemas::TrustInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The trust", body = schemas::TrustedIssuer),
        JsonBody, Auth, Forbidden, Conflict,
    ))]
async fn trust(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<OrgId>,
    ApiJson(input): ApiJson<TrustInput>,
) -> Result<Response, ApiError> {
    let t = tenancy::trust_issuer(&app, &caller, &org, &input.issuer).await?;
    Ok((StatusCode::CREATED, Json(json!(t))).into_response())
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org}/trusted-issuers/{issuer}", tag = "definitions",
    summary = "Withdraw trust in an issuer",
    description = "Org admins.",
    params(("org" = String, Path, description = "Organization id"), ("issuer" = String, Path, description = "Issuer id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Withdrawn"),
        Auth, Forbidden, NotFound,
    ))]
async fn distrust(
    State(app): State<App>,
    caller: Caller,
    Path((org, issuer)): Path<(OrgId, String)>,
) -> Result<StatusCode, ApiError> {
    tenancy::distrust_issuer(&app, &caller, &org, &issuer).await?;
    Ok(StatusCode::NO_CONTENT)
}
