//! The caller's own API tokens: `GET/POST /api/v1/me/tokens`, `DELETE /api/v1/me/tokens/{id}`.
//! The secret is in the creation answer only; lists never carry it or its hash. The rules are
//! `pathledger_app::tokens`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use pathledger_app::tokens::{self, NewTokenInput};
use pathledger_store::ApiTokenInfo;
use serde_json::{json, Value};

use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/me/tokens", get(api_list).post(api_create))
        .route("/api/v1/me/tokens/{id}", delete(api_revoke))
}

fn token_json(t: &ApiTokenInfo) -> Value {
    json!({
        "id": t.id, "label": t.label, "created_ms": t.created_ms,
        "expires_ms": t.expires_ms, "revoked_ms": t.revoked_ms,
        "revoked": t.revoked_ms.is_some(),
    })
}

async fn api_list(State(app): State<App>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let list = tokens::list(&app, &caller).await?;
    Ok(Json(
        json!({"tokens": list.iter().map(token_json).collect::<Vec<_>>()}),
    ))
}

async fn api_create(
    State(app): State<App>,
    caller: Caller,
    ApiJson(input): ApiJson<NewTokenInput>,
) -> Result<Response, ApiError> {
    let t = tokens::create(&app, &caller, &input).await?;
    Ok((StatusCode::CREATED, Json(json!(t))).into_response())
}

async fn api_revoke(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let t = tokens::revoke(&app, &caller, &id).await?;
    Ok(Json(token_json(&t)))
}
