//! HTTP API and server-rendered pages.
//!
//! Handlers are thin: parse the request, call [`app::App`], render JSON or HTML. Every error
//! leaves as `application/problem+json` ([`error::ApiError`]).

pub mod api;
pub mod app;
pub mod auth;
pub mod demo;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod pages;
pub mod web;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use app::{App, AppConfig, AppError, IssueOptions, Issued};
pub use error::ApiError;

/// Largest request body accepted (a bulk roster of credentials fits; a 10 MB+ body does not).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The whole router: API, public documents and pages.
pub fn router(app: App) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(web::routes())
        .fallback(|| async { ApiError::not_found("No such page or endpoint.") })
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // Outside the body limit: its refusal (and axum's for raw-body handlers) is plain text.
        .layer(axum::middleware::map_response(problem_for_plain_413))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}

/// Turns a plain-text 413 (from the body-limit layer or a raw-body extractor) into problem+json,
/// so every error leaves in the one documented shape.
async fn problem_for_plain_413(resp: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    let is_problem = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if resp.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE && !is_problem {
        return ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The request body is too large (the limit is 8 MiB).",
        )
        .into_response();
    }
    resp
}

/// Binds `addr` (port 0 picks a free port); the caller learns the real address before the
/// application (whose public URL depends on it) is opened.
pub async fn bind(addr: SocketAddr) -> std::io::Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Serves `app` on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, app: App) -> std::io::Result<()> {
    axum::serve(listener, router(app)).await
}
