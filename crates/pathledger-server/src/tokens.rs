//! The caller's own API tokens: `GET/POST /api/v1/me/tokens`, `DELETE /api/v1/me/tokens/{id}`.
//! The secret is in the creation answer only; lists never carry it or its hash. The rules are
//! `pathledger_app::tokens`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use pathledger_app::tokens::{self, NewTokenInput};
use pathledger_store::ApiTokenInfo;
use serde_json::{json, Value};

use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::{schemas, Auth, JsonBody, NotFound};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(api_list, api_create))
        .routes(routes!(api_revoke))
}

fn token_json(t: &ApiTokenInfo) -> Value {
    json!({
        "id": t.id, "label": t.label, "created_ms": t.created_ms,
        "expires_ms": t.expires_ms, "revoked_ms": t.revoked_ms,
        "revoked": t.revoked_ms.is_some(),
    })
}

#[utoipa::path(get, path = "/api/v1/me/tokens", operation_id = "list_tokens", tag = "account",
    summary = "The caller's own API tokens",
    description = "Never the secret.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The tokens", body = schemas::TokenList),
        Auth,
    ))]
async fn api_list(State(app): State<App>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let list = tokens::list(&app, &caller).await?;
    Ok(Json(
        json!({"tokens": list.iter().map(token_json).collect::<Vec<_>>()}),
    ))
}

#[utoipa::path(post, path = "/api/v1/me/tokens", operation_id = "create_token", tag = "account",
    summary = "Create an API token",
    description = "The secret is shown this once and stored hashed.",
    request_body = schemas::NewTokenInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The token and its secret", body = schemas::CreatedToken),
        JsonBody, Auth,
    ))]
async fn api_create(
    State(app): State<App>,
    caller: Caller,
    ApiJson(input): ApiJson<NewTokenInput>,
) -> Result<Response, ApiError> {
    let t = tokens::create(&app, &caller, &input).await?;
    Ok((StatusCode::CREATED, Json(json!(t))).into_response())
}

#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", operation_id = "revoke_token", tag = "account",
    summary = "Revoke one of the caller's own tokens",
    description = "Another user's token is 404.",
    params(("id" = String, Path, description = "Token id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The token, revoked", body = schemas::Token),
        Auth, NotFound,
    ))]
async fn api_revoke(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let t = tokens::revoke(&app, &caller, &id).await?;
    Ok(Json(token_json(&t)))
}
