//! The data subject's rights over HTTP: an educator downloads everything stored about them and
//! asks for deletion (API and dashboard form); org admins list the requests and carry them out
//! or decline them (API and the admin page's form). The rules are `pathledger_app::privacy`.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use pathledger_app::privacy;
use pathledger_store::{AccessRole, EducatorId, OrgId, PrivacyRequestState};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::App;
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::{schemas, Auth, Conflict, Forbidden, JsonBody, NotFound, RawJsonBody};
use crate::pages::privacy::DeletionRow;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The JSON API routes of this module (each described by its `#[utoipa::path]`).
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(api_export))
        .routes(routes!(api_request_deletion))
        .routes(routes!(api_list))
        .routes(routes!(api_carry_out))
        .routes(routes!(api_decline))
}

/// The form routes of this module (listed in [`crate::PAGE_ROUTES`]).
pub fn pages() -> Router<App> {
    Router::new()
        .route("/dashboard/deletion-request", post(form_request_deletion))
        .route(
            "/admin/deletion-requests/{id}/carry-out",
            post(form_carry_out),
        )
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReasonInput {
    #[serde(default)]
    reason: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/educators/{id}/export", tag = "privacy",
    summary = "Everything stored about the educator, as a JSON download",
    description = "The record, identifiers, facts, evidence submissions, credentials (exact signed documents) and privacy requests. The educator themself, or an org admin of the record's organization.",
    params(("id" = String, Path, description = "Educator id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The export (`Content-Disposition: attachment`)", body = schemas::EducatorExport),
        Auth, Forbidden, NotFound,
    ))]
async fn api_export(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let data = privacy::export(&app, &caller, &EducatorId::from(id.clone())).await?;
    let safe: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"pathledger-data-{safe}.json\""),
        )],
        Json(data),
    )
        .into_response())
}

/// The body is optional: `{}`, `{"reason": "…"}` or nothing at all.
#[utoipa::path(post, path = "/api/v1/educators/{id}/deletion-request", tag = "privacy",
    summary = "The educator asks for their record to be erased",
    description = "201 with the request (state `pending`); 409 while one is pending. The educator only. The body is optional: nothing, `{}` or `{\"reason\": …}`.",
    params(("id" = String, Path, description = "Educator id")),
    request_body(content = schemas::DeletionInput, content_type = "application/json", description = "Optional: the body may be empty"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The request", body = schemas::DeletionRequest),
        RawJsonBody, Auth, Forbidden, NotFound, Conflict,
    ))]
async fn api_request_deletion(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let input = if body.iter().all(u8::is_ascii_whitespace) {
        ReasonInput::default()
    } else {
        crate::extract::parse_json::<ReasonInput>(&body)?
    };
    let req = privacy::request_deletion(
        &app,
        &caller,
        &EducatorId::from(id),
        input.reason.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!(req))).into_response())
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/deletion-requests", operation_id = "list_deletion_requests", tag = "privacy",
    summary = "The organization's deletion requests, newest first",
    description = "Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The requests", body = schemas::DeletionRequests),
        Auth, Forbidden,
    ))]
async fn api_list(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let reqs = privacy::list(&app, &caller, &OrgId::from(org)).await?;
    Ok(Json(json!({ "deletion_requests": reqs })))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org}/deletion-requests/{id}/carry-out", tag = "privacy",
    summary = "Carry out a pending deletion request",
    description = "The educator's credentials still valid are revoked (logged), then the record, identifiers, facts, submissions and credential records are erased; the request keeps only ids and times. Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id"), ("id" = String, Path, description = "Deletion request id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What was done", body = schemas::CarriedOut),
        Auth, Forbidden, NotFound, Conflict,
    ))]
async fn api_carry_out(
    State(app): State<App>,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let done = privacy::carry_out(&app, &caller, &OrgId::from(org), &id).await?;
    Ok(Json(json!(done)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclineInput {
    #[serde(default)]
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/orgs/{org}/deletion-requests/{id}/decline", tag = "privacy",
    summary = "Decline a pending deletion request",
    description = "Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id"), ("id" = String, Path, description = "Deletion request id")),
    request_body = schemas::DeclineInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The request, declined", body = schemas::DeletionRequest),
        JsonBody, Auth, Forbidden, NotFound, Conflict,
    ))]
async fn api_decline(
    State(app): State<App>,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
    ApiJson(input): ApiJson<DeclineInput>,
) -> Result<Json<Value>, ApiError> {
    let req = privacy::decline(&app, &caller, &OrgId::from(org), &id, &input.reason).await?;
    Ok(Json(json!(req)))
}

/// Whether the educator has a pending deletion request (the dashboard shows it instead of the
/// form).
pub(crate) async fn deletion_pending(app: &App, educator: &EducatorId) -> Result<bool, ApiError> {
    Ok(app
        .store()
        .privacy_requests_for_educator(educator)
        .await
        .map_err(ApiError::from_store)?
        .iter()
        .any(|r| r.state == PrivacyRequestState::Pending))
}

/// The organization's pending deletion requests as the admin page lists them.
pub(crate) async fn deletion_rows(
    app: &App,
    caller: &Caller,
    org: &OrgId,
) -> Result<Vec<DeletionRow>, ApiError> {
    let mut rows = Vec::new();
    for r in privacy::list(app, caller, org).await? {
        if r.state != PrivacyRequestState::Pending {
            continue;
        }
        let name = match app.store().educator(r.educator_id.as_str()).await {
            Ok(e) => e.display_name,
            Err(_) => String::new(),
        };
        rows.push(DeletionRow {
            educator: format!("{name} ({})", r.educator_id),
            id: r.id,
            requested_ms: r.requested_ms,
            reason: r.reason,
        });
    }
    Ok(rows)
}

#[derive(Deserialize)]
struct DeletionForm {
    educator: String,
    #[serde(default)]
    reason: Option<String>,
}

async fn form_request_deletion(
    State(app): State<App>,
    caller: MaybeCaller,
    Form(input): Form<DeletionForm>,
) -> Response {
    let Some(caller) = caller.0 else {
        return Redirect::to("/login").into_response();
    };
    let result = async {
        privacy::request_deletion(
            &app,
            &caller,
            &EducatorId::from(input.educator),
            input.reason.as_deref(),
        )
        .await?;
        Ok("Deletion asked for: an admin of your organization will carry it out.".to_owned())
    }
    .await;
    crate::work::form_outcome(
        &app,
        &caller,
        "/dashboard",
        "Deletion not asked for",
        result,
    )
}

async fn form_carry_out(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(id): Path<String>,
) -> Response {
    let Some(caller) = caller.0 else {
        return Redirect::to("/login").into_response();
    };
    let result = async {
        let org = caller.org_with_role(&app, &[AccessRole::OrgAdmin]).await?;
        let done = privacy::carry_out(&app, &caller, &org, &id).await?;
        Ok(format!(
            "Carried out: educator {} erased, {} credential(s) revoked first (request {}).",
            done.request.educator_id,
            done.revoked.len(),
            done.request.id
        ))
    }
    .await;
    crate::work::form_outcome(&app, &caller, "/admin", "Deletion not carried out", result)
}
