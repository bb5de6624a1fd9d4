//! HTTP API and server-rendered pages.
//!
//! Handlers are thin: parse the request, call [`app::App`], render JSON or HTML. Every error
//! leaves as `application/problem+json` ([`error::ApiError`]).

pub mod account;
pub mod accounts;
pub mod api;
// The rules live in `pathledger-app`; reachable here as `crate::app` and `crate::demo` so the
// handlers and the end-to-end tests name them in one way.
pub use pathledger_app as app;
pub mod auth;
// Wallet claims by the VC-API exchange (the Learner Credential Wallet).
pub mod certificate;
pub mod certificate_pdf;
pub mod claim;
pub mod csrf;
pub use pathledger_app::demo;
pub mod communities;
pub mod endorsers;
pub mod error;
pub mod extract;
pub mod flash;
pub mod framework;
pub mod headers;
pub mod html_errors;
pub mod images;
pub mod issuer_admin;
pub mod members;
pub mod notices;
pub mod oid4vci;
pub mod oidc;
pub mod openapi;
pub mod pages;
pub mod privacy;
pub mod review;
pub mod stream;
pub mod tenancy;
pub mod throttle;
pub mod tokens;
pub mod web;
pub mod work;
// The educator's journey: progress pages (dashboard, map, role pages), evidence, wallet.
pub mod evidence;
pub mod progress;
pub mod wallet;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

pub use app::{App, AppConfig, AppError, BulkIssued, IssueOptions, Issued};
pub use error::ApiError;

/// Largest request body accepted (a bulk roster of credentials fits; a 10 MB+ body does not).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// How long one request may take before it is answered 503 (problem+json, retryable).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What the HTTP layer is configured with beyond the application's own configuration.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Sign-in throttling (failed sign-ins and API tokens per client address).
    pub sign_in_throttle: throttle::ThrottleConfig,
    /// The first-run page's one-time setup code (`None`: the page is closed). `pathledger serve`
    /// makes one, and prints it in its log, when the database holds no organization.
    pub setup_code: Option<String>,
    /// Requests that mail someone (sign-in links, sign-ups) per client address; `None`: at
    /// most 30 per 15 minutes ([`accounts::DEFAULT_MAIL_THROTTLE`]).
    pub mail_throttle: Option<throttle::ThrottleConfig>,
    /// Whether organizations' OpenID providers may be plain http (tests, development on
    /// loopback). Off by default: an issuer URL must be https.
    pub oidc_allow_http: bool,
}

/// The whole router: API, public documents and pages, with the default [`WebConfig`].
pub fn router(app: App) -> Router {
    router_with(app, WebConfig::default())
}

/// The whole router with `config`. Its sign-in throttle lives as long as the router (and its
/// clones): one per serving process.
pub fn router_with(app: App, config: WebConfig) -> Router {
    let https = auth::is_https(&app);
    let guard = csrf::Guard::new(&app);
    let throttle = throttle::SignInThrottle::new(config.sign_in_throttle);
    let (api, _) = api_routes().split_for_parts();
    harden(
        Router::new()
            .merge(api)
            .merge(page_routes())
            .fallback(|| async { ApiError::not_found("No such page or endpoint.") })
            // Inside `harden`, so the body limit bounds what the CSRF layer reads of a form.
            .layer(axum::middleware::from_fn_with_state(guard, csrf::guard))
            .layer(axum::Extension(throttle))
            .layer(axum::Extension(accounts::SetupGate::new(config.setup_code)))
            .layer(axum::Extension(accounts::MailThrottle(
                throttle::SignInThrottle::new(
                    config
                        .mail_throttle
                        .unwrap_or_else(accounts::default_mail_throttle),
                ),
            )))
            .layer(axum::Extension(oidc::OidcSettings {
                allow_http: config.oidc_allow_http,
            }))
            .with_state(app),
        REQUEST_TIMEOUT,
    )
    // Outermost: every answer, the refusals of the layers inside included, gets the headers.
    .layer(axum::middleware::map_response_with_state(
        https,
        headers::security_headers,
    ))
}

/// Every JSON API route, each with its `#[utoipa::path]` description: the router and the OpenAPI
/// document ([`openapi::document`]) are both made from this, so a route cannot be served
/// without being described.
pub fn api_routes() -> OpenApiRouter<App> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(api::routes())
        .merge(work::routes())
        .merge(tenancy::routes())
        .merge(account::routes())
        .merge(accounts::routes())
        .merge(endorsers::routes())
        .merge(privacy::routes())
        .merge(members::routes())
        .merge(tokens::routes())
        .merge(oidc::routes())
        .merge(claim::routes())
        .merge(oid4vci::routes())
        .merge(images::routes())
}

/// Every HTML page and form route (not in the OpenAPI document); each is listed in
/// [`PAGE_ROUTES`].
pub fn page_routes() -> Router<App> {
    Router::new()
        .merge(web::pages())
        .merge(certificate::pages())
        .merge(work::pages())
        .merge(account::pages())
        .merge(accounts::pages())
        .merge(endorsers::pages())
        .merge(privacy::pages())
        .merge(members::pages())
        .merge(notices::pages())
        .merge(framework::pages())
        .merge(evidence::pages())
        .merge(progress::pages())
        .merge(wallet::pages())
        .merge(communities::pages())
        .merge(claim::pages())
        .merge(oid4vci::pages())
        .merge(images::pages())
}

/// The routes of [`page_routes`] as (method, path): server-rendered HTML pages, the forms they
/// post, and the stylesheet. Everything else the server answers is in the OpenAPI document
/// (`tests/openapi.rs` checks both, against the source and the running router).
pub const PAGE_ROUTES: &[(&str, &str)] = &[
    // web.rs
    ("GET", "/"),
    ("GET", "/assets/style.css"),
    ("GET", "/docs"),
    ("GET", "/verify"),
    ("POST", "/verify"),
    ("GET", "/verify/bulk"),
    ("POST", "/verify/bulk"),
    ("GET", "/pathways"),
    ("GET", "/dashboard"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/log"),
    // Content-negotiated: JSON with `Accept: application/json`, else the HTML page.
    ("GET", "/credentials/{id}"),
    ("GET", "/orgs/{org}/competencies/{id}"),
    ("GET", "/orgs/{org}/achievements/{id}"),
    ("GET", "/orgs/{org}/roles/{id}"),
    // Permanent redirects of unscoped definition URLs to the one organization defining them.
    ("GET", "/competencies/{id}"),
    ("GET", "/achievements/{id}"),
    ("GET", "/communities"),
    ("GET", "/communities/{role}"),
    // communities.rs
    ("POST", "/communities/profile"),
    // work.rs
    ("GET", "/evidence"),
    ("POST", "/evidence"),
    ("GET", "/review"),
    ("POST", "/review/{id}"),
    ("GET", "/endorse"),
    ("POST", "/endorse"),
    ("GET", "/admin"),
    ("POST", "/admin/definitions"),
    ("POST", "/admin/bulk"),
    ("GET", "/admin/bulk/{job}"),
    ("POST", "/admin/credentials/{id}/status"),
    ("POST", "/admin/keys/rotate"),
    // issuer_admin.rs (routed in work.rs)
    ("GET", "/admin/credentials/{id}/status"),
    ("GET", "/admin/keys/rotate"),
    ("GET", "/admin/credentials"),
    ("GET", "/admin/bulk/{job}/failed.csv"),
    // account.rs
    ("POST", "/dashboard/community"),
    // accounts.rs
    ("POST", "/login/email"),
    ("GET", "/login/email/{secret}"),
    ("POST", "/login/email/{secret}"),
    ("GET", "/invitations/{secret}"),
    ("POST", "/invitations/{secret}"),
    ("GET", "/join"),
    ("GET", "/join/{org}"),
    ("POST", "/join/{org}"),
    ("GET", "/setup"),
    ("POST", "/setup"),
    ("POST", "/admin/invitations/roster"),
    ("POST", "/admin/invitations"),
    ("POST", "/admin/invitations/{id}/revoke"),
    ("POST", "/admin/enrollment"),
    // endorsers.rs
    ("POST", "/admin/endorsers"),
    ("POST", "/admin/endorsers/{grant}/revoke"),
    // privacy.rs
    ("POST", "/dashboard/deletion-request"),
    ("POST", "/admin/deletion-requests/{id}/carry-out"),
    // members.rs
    ("POST", "/admin/members/{user}/roles"),
    ("POST", "/admin/members/{user}/deactivate"),
    ("POST", "/admin/members/{user}/reactivate"),
    // notices.rs
    ("GET", "/notifications/{token}"),
    ("POST", "/notifications/{token}"),
    // framework.rs
    ("GET", "/admin/framework/versions"),
    ("GET", "/admin/framework/{section}/new"),
    ("POST", "/admin/framework/{section}"),
    ("GET", "/admin/framework/{section}/{id}"),
    // evidence.rs
    ("GET", "/evidence/{id}/file"),
    // progress.rs
    ("GET", "/pathways/{role}"),
    // wallet.rs
    ("GET", "/dashboard/wallet.zip"),
    ("GET", "/credentials/{id}/download"),
    // claim.rs
    ("GET", "/credentials/{id}/claim"),
    // Content-negotiated: the protocols as JSON for a wallet, else a page saying to use one.
    ("GET", "/workflows/claim/interactions/{exchange_id}"),
    // certificate.rs
    ("GET", "/assets/certificate.css"),
    ("GET", "/credentials/{id}/certificate"),
    ("GET", "/credentials/{id}/certificate.pdf"),
    // oid4vci.rs: the holder's wallet offer (the protocol's endpoints are in the OpenAPI)
    ("GET", "/credentials/{id}/claim/oid4vci"),
    // images.rs
    ("GET", "/orgs/{org}/achievements/{id}/image"),
    ("GET", "/orgs/{org}/logo"),
    ("GET", "/credentials/{id}/baked.png"),
    ("GET", "/credentials/{id}/baked.svg"),
    ("GET", "/admin/framework/achievements/{id}/image"),
    ("POST", "/admin/framework/achievements/{id}/image"),
    ("GET", "/admin/logo"),
    ("POST", "/admin/logo"),
];

/// The layers every deployment runs behind: body limit, request timeout (503), problem+json for
/// every refusal, request logs. Public so tests can put a deliberately slow route behind them.
pub fn harden(routes: Router, timeout: Duration) -> Router {
    routes
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        // Outermost but for tracing: sees the body limit's, the timeout's and every extractor's
        // plain-text refusal.
        .layer(axum::middleware::map_response(problem_for_plain_errors))
        // A browser's page load gets an HTML page instead of the problem+json.
        .layer(axum::middleware::from_fn(html_errors::html_for_browsers))
        .layer(TraceLayer::new_for_http())
}

/// Turns every error response that is not already problem+json (the body-limit layer's 413, the
/// timeout layer's 503, axum's form, path, query and multipart rejections, 405s) into
/// problem+json, so every error leaves in the one documented shape.
async fn problem_for_plain_errors(resp: axum::response::Response) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use http_body_util::BodyExt;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let ct = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default();
    // Only bodies the framework wrote (plain text or nothing) are rewritten; a handler's own JSON
    // answer (e.g. the VC-API's 422 verification result) or HTML page is left as it is.
    if !(ct.is_empty() || ct.starts_with(b"text/plain")) {
        return resp;
    }
    let retry_after = resp.headers().get(axum::http::header::RETRY_AFTER).cloned();
    // Rejection bodies are one short sentence; read at most a little of it.
    let body = http_body_util::Limited::new(resp.into_body(), 4096);
    let text = match body.collect().await {
        Ok(b) => String::from_utf8_lossy(&b.to_bytes()).trim().to_owned(),
        Err(_) => String::new(),
    };
    let (code, default): (&'static str, &str) = match status {
        StatusCode::BAD_REQUEST => ("bad_request", "The request could not be understood."),
        StatusCode::NOT_FOUND => ("not_found", "No such page or endpoint."),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "This method is not allowed on this path.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "The request body is too large (the limit is 8 MiB).",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "The request body has an unsupported content type.",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid_input", "The request is invalid."),
        StatusCode::SERVICE_UNAVAILABLE => (
            "unavailable",
            "The request took too long (over 30 seconds) and was stopped; retry later.",
        ),
        s if s.is_server_error() => (
            "internal",
            "An internal error occurred; it has been logged.",
        ),
        _ => ("error", "The request failed."),
    };
    let detail =
        if status == StatusCode::PAYLOAD_TOO_LARGE || status.is_server_error() || text.is_empty() {
            default.to_owned()
        } else {
            text
        };
    let mut err = ApiError::new(status, code, detail);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        err.retryable = true;
    }
    let mut out = err.into_response();
    if let Some(v) = retry_after {
        out.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    out
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
    serve_with(listener, app, WebConfig::default()).await
}

/// [`serve`] with `config`. Handlers see each connection's peer address (`ConnectInfo`), which
/// sign-in throttling counts by.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    app: App,
    config: WebConfig,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router_with(app, config).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
