//! The account lifecycle over HTTP: email-link sign-in, invitations (API, admin forms and the
//! page that accepts one), open enrollment and the first-run setup page. The rules are
//! `pathledger_app::accounts`; every way of signing in ends in [`crate::auth::start_session`].

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use pathledger_app::accounts::{self, InviteInput};
use pathledger_app::AppError;
use pathledger_store::{AccessRole, Invitation, OrgId};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::app::App;
use crate::auth::{browser_binding, presented_binding, start_session, Caller, MaybeCaller};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::{schemas, Auth, Conflict, Forbidden, Invalid, JsonBody, NotFound};
use crate::pages::{self, accounts as p};
use crate::work::form_outcome;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The JSON API routes of this module (each described by its `#[utoipa::path]`).
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(api_invitations, api_invite))
        .routes(routes!(api_revoke_invitation))
        .routes(routes!(api_invite_roster))
        .routes(routes!(api_enrollment, api_set_enrollment))
}

/// The HTML page and form routes of this module (listed in [`crate::PAGE_ROUTES`]).
pub fn pages() -> Router<App> {
    Router::new()
        .route("/login/email", post(email_link_request))
        .route(
            "/login/email/{secret}",
            get(email_link_page).post(email_link_use),
        )
        .route(
            "/invitations/{secret}",
            get(invitation_page).post(invitation_accept),
        )
        .route("/join", get(join_list))
        .route("/join/{org}", get(join_form).post(join_submit))
        .route("/setup", get(setup_form).post(setup_submit))
        .route("/admin/invitations/roster", post(admin_invite_roster))
        .route("/admin/invitations", post(admin_invite))
        .route("/admin/invitations/{id}/revoke", post(admin_revoke))
        .route("/admin/enrollment", post(admin_enrollment))
}

/// The one-time code that guards the first-run page, printed in the server's log when the
/// database holds no organization. Used (and then gone) by the first successful setup; one per
/// serving process.
#[derive(Debug, Clone, Default)]
pub struct SetupGate(Arc<Mutex<Option<String>>>);

impl SetupGate {
    /// A gate with `code` (none: the first-run page is closed).
    pub fn new(code: Option<String>) -> Self {
        Self(Arc::new(Mutex::new(code)))
    }
}

/// How many requests that mail someone (a sign-in link, a sign-up confirmation) one client
/// address may make, over and above the per-address limit of the app: a stranger cannot make
/// the deployment mail many addresses. Counted per serving process, like sign-in failures.
#[derive(Clone)]
pub struct MailThrottle(pub crate::throttle::SignInThrottle);

/// Requests that mail someone per client address: 30 per 15 minutes (a school behind one
/// address still signs its staff in).
pub const DEFAULT_MAIL_THROTTLE: usize = 30;

/// The default [`MailThrottle`] configuration.
pub fn default_mail_throttle() -> crate::throttle::ThrottleConfig {
    crate::throttle::ThrottleConfig {
        max_failures: DEFAULT_MAIL_THROTTLE,
        ..Default::default()
    }
}

/// Counts one request that mails someone against `client`; the 429 page when it is over.
fn mail_refused(t: &MailThrottle, client: crate::throttle::ClientKey) -> Option<Response> {
    if let Some(d) = t.0.locked_for(client) {
        tracing::warn!(client = %client, "mail request refused: too many from this address");
        let secs = crate::throttle::retry_after_secs(d);
        let body = maud::html! {
            h1 { "Too many requests" }
            p role="alert" #throttled {
                "Too many sign-in links or sign-ups were asked for from your address. Try again in "
                (secs.div_ceil(60)) " minutes."
            }
        };
        let mut resp = html_page(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            None,
            body,
            None,
        );
        if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Some(resp);
    }
    t.0.failed(client);
    None
}

/// A fresh setup code: 24 hex characters (96 random bits).
pub fn new_setup_code() -> std::io::Result<String> {
    let mut b = [0u8; 12];
    getrandom::getrandom(&mut b).map_err(std::io::Error::other)?;
    Ok(hex::encode(b))
}

fn html_page(
    status: StatusCode,
    title: &str,
    caller: Option<&Caller>,
    body: maud::Markup,
    set_cookie: Option<String>,
) -> Response {
    let html = crate::pages::layout_with_menu(
        title,
        caller.map(|c| c.user.display_name.as_str()),
        caller.and_then(|c| c.form_token.as_deref()),
        caller.map(|c| c.menu).unwrap_or_default(),
        body,
    );
    let mut resp = (status, Html(html.into_string())).into_response();
    if let Some(c) = set_cookie {
        if let Ok(v) = header::HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

fn link_refused_page(e: &ApiError, caller: Option<&Caller>) -> Response {
    let form_token = caller.and_then(|c| c.form_token.as_deref());
    html_page(
        e.status,
        "Sign in",
        caller,
        p::link_refused(&e.detail, form_token),
        None,
    )
}

// ----- email links ------------------------------------------------------------------------------

#[derive(Deserialize)]
struct EmailForm {
    email: String,
}

/// Asks for a sign-in link. Answers "check your email" whether or not the address has an
/// account; the browser gets its binding cookie here.
async fn email_link_request(
    State(app): State<App>,
    Extension(throttle): Extension<MailThrottle>,
    client: crate::throttle::ClientKey,
    caller: MaybeCaller,
    headers: HeaderMap,
    Form(f): Form<EmailForm>,
) -> Result<Response, ApiError> {
    if let Some(resp) = mail_refused(&throttle, client) {
        return Ok(resp);
    }
    let (binding, set_cookie) = browser_binding(&app, &headers)?;
    match accounts::request_sign_in_link(&app, &f.email, binding).await {
        Ok(()) => Ok(html_page(
            StatusCode::OK,
            "Check your email",
            None,
            p::link_sent(f.email.trim(), "has an account"),
            set_cookie,
        )),
        Err(AppError::Invalid { message, .. }) => {
            let body = maud::html! {
                h1 { "Sign in" }
                p.error role="alert" #email-error { "Email address: " (message) }
                (p::email_form(&f.email, caller.form_token()))
            };
            Ok(html_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Sign in",
                None,
                body,
                set_cookie,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn email_link_page(caller: MaybeCaller, Path(secret): Path<String>) -> Response {
    html_page(
        StatusCode::OK,
        "Sign in",
        caller.0.as_ref(),
        p::confirm_link(
            &format!("/login/email/{}", crate::web::urlencode_component(&secret)),
            caller.form_token(),
        ),
        None,
    )
}

async fn email_link_use(
    State(app): State<App>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Result<Response, ApiError> {
    let Some(binding) = presented_binding(&app, &headers) else {
        let e: ApiError = AppError::Link(pathledger_store::LinkRefusal::OtherBrowser).into();
        return Ok(link_refused_page(&e, caller.0.as_ref()));
    };
    match accounts::use_email_link(&app, &secret, binding).await {
        Ok(used) => start_session(&app, &used.user).await,
        Err(e @ AppError::Link(_)) => Ok(link_refused_page(&e.into(), caller.0.as_ref())),
        Err(e) => Err(e.into()),
    }
}

// ----- invitations: the invited person ---------------------------------------------------------

async fn invitation_page(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(secret): Path<String>,
) -> Result<Response, ApiError> {
    let view = match accounts::invitation_view(&app, &secret).await {
        Ok(v) => v,
        Err(e @ AppError::Link(_)) => return Ok(link_refused_page(&e.into(), caller.0.as_ref())),
        Err(e) => return Err(e.into()),
    };
    let caller = caller.0;
    let signed_in_as_invited = caller
        .as_ref()
        .is_some_and(|c| c.user.email == view.invitation.email);
    let body = p::invitation(
        &format!("/invitations/{}", crate::web::urlencode_component(&secret)),
        &view.org_name,
        &view.roles,
        &view.invitation.email,
        &view.invitation.display_name,
        caller.as_ref().and_then(|c| c.form_token.as_deref()),
        view.existing_account && !signed_in_as_invited,
    );
    Ok(html_page(
        StatusCode::OK,
        "Invitation",
        caller.as_ref(),
        body,
        None,
    ))
}

#[derive(Deserialize)]
struct AcceptForm {
    #[serde(default)]
    name: String,
}

async fn invitation_accept(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(secret): Path<String>,
    Form(f): Form<AcceptForm>,
) -> Result<Response, ApiError> {
    let actor = caller.0.as_ref().map(|c| &c.actor);
    match accounts::accept_invitation(&app, &secret, &f.name, actor).await {
        Ok(user) => start_session(&app, &user).await,
        Err(e @ AppError::Link(_)) => Ok(link_refused_page(&e.into(), caller.0.as_ref())),
        Err(e) => {
            let e: ApiError = e.into();
            let body = pages::refusal::refusal_page(
                "Invitation not accepted",
                &e.detail,
                e.field.as_deref(),
                &format!("/invitations/{}", crate::web::urlencode_component(&secret)),
            );
            Ok(html_page(
                e.status,
                "Invitation",
                caller.0.as_ref(),
                body,
                None,
            ))
        }
    }
}

// ----- invitations: the organization's admins ---------------------------------------------------

/// The organization's invitations as the admin page lists them.
pub(crate) async fn invitation_rows(
    app: &App,
    caller: &Caller,
    org: &OrgId,
) -> Result<Vec<p::InvitationRow>, ApiError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    Ok(accounts::invitations(app, caller, org)
        .await?
        .iter()
        .map(|i| p::InvitationRow {
            id: i.id.clone(),
            email: i.email.clone(),
            name: i.display_name.clone(),
            roles: i
                .roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            state: i.state(now),
            sent: crate::pages::format::date(i.created_ms),
        })
        .collect())
}

/// An invitation as the API shows it (never its link: that goes only to the invited address).
pub fn invitation_json(i: &Invitation) -> Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    json!({
        "id": i.id, "org": i.org_id, "email": i.email, "name": i.display_name,
        "roles": i.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "educator": i.educator_id, "invited_by": i.invited_by,
        "state": i.state(now), "created_ms": i.created_ms, "expires_ms": i.expires_ms,
        "accepted_ms": i.accepted_ms, "revoked_ms": i.revoked_ms,
    })
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/invitations", tag = "accounts",
    summary = "The organization's invitations, newest first (at most 500)",
    description = "Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The invitations", body = schemas::InvitationList),
        Auth, Forbidden,
    ))]
async fn api_invitations(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let list = accounts::invitations(&app, &caller, &OrgId::from(org)).await?;
    Ok(Json(
        json!({"invitations": list.iter().map(invitation_json).collect::<Vec<_>>()}),
    ))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org}/invitations", tag = "accounts",
    summary = "Invite one person",
    description = "The link is mailed to the address only, never returned; it works once, for 7 days; a pending invitation of the same address is replaced. Accepting creates the account (an existing account must be signed in to accept), grants the roles (recorded as the inviter's) and links the organization's educator record. Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id")),
    request_body = schemas::InviteInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The invitation", body = schemas::Invitation),
        JsonBody, Auth, Forbidden, Conflict,
    ))]
async fn api_invite(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<InviteInput>,
) -> Result<Response, ApiError> {
    let invited = accounts::invite(&app, &caller, &OrgId::from(org), &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(invitation_json(&invited.invitation)),
    )
        .into_response())
}

/// The answer to a roster, row by row.
fn roster_json(r: &accounts::RosterInvited) -> Value {
    json!({
        "format": r.format,
        "invited": r.invited.iter().map(|(line, i)| json!({"line": line, "invitation": invitation_json(i)})).collect::<Vec<_>>(),
        "already_members": r.members.iter().map(|(line, email)| json!({"line": line, "email": email})).collect::<Vec<_>>(),
        "failed": r.failed.iter().map(|(line, email, why)| json!({"line": line, "email": email, "detail": why})).collect::<Vec<_>>(),
        "errors": r.errors.iter().map(|e| json!({"line": e.line, "column": e.column, "field": e.field, "detail": e.message})).collect::<Vec<_>>(),
        "skipped": r.skipped.iter().map(|(line, why)| json!({"line": line, "reason": why})).collect::<Vec<_>>(),
    })
}

/// `POST /api/v1/orgs/{org}/invitations/roster`: the roster CSV is the body (API tokens; a
/// browser uses the admin page's upload).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/invitations/roster", tag = "accounts",
    summary = "Invite a roster (CSV or a OneRoster users.csv)",
    description = "The roster CSV is the body (at most 1,000 rows); one result per line. A browser uses the admin page's upload. Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id")),
    request_body(content = String, content_type = "text/csv", description = "CSV with a header row: `email`, `name`, `roles` (or OneRoster `users.csv` columns)"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Line by line", body = schemas::RosterResult),
        (status = 413, description = "The body is over 8 MiB (`payload_too_large`)", body = schemas::Problem, content_type = "application/problem+json"),
        Invalid, Auth, Forbidden,
    ))]
async fn api_invite_roster(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let r = accounts::invite_roster(&app, &caller, &OrgId::from(org), &body).await?;
    Ok(Json(roster_json(&r)))
}

async fn admin_invite_roster(
    State(app): State<App>,
    caller: MaybeCaller,
    multipart: axum::extract::Multipart,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(Redirect::to("/login").into_response());
    };
    let result: Result<accounts::RosterInvited, ApiError> = async {
        let org = caller.org_with_role(&app, &[AccessRole::OrgAdmin]).await?;
        let parts = crate::web::read_multipart(multipart).await?;
        let file = parts
            .into_iter()
            .find(|(name, _, _)| name == "roster")
            .map(|(_, _, text)| text)
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| ApiError::invalid("roster", "choose a roster file to upload"))?;
        Ok(accounts::invite_roster(&app, &caller, &org, file.as_bytes()).await?)
    }
    .await;
    match result {
        Ok(r) => Ok(html_page(
            StatusCode::OK,
            "Invitations",
            Some(&caller),
            p::roster_result(&r),
            None,
        )),
        Err(e) => Ok(crate::work::error_page(
            &caller,
            "Invitations not sent",
            &e,
            "/admin#invitations",
        )),
    }
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org}/invitations/{id}", tag = "accounts",
    summary = "Withdraw a pending or expired invitation",
    description = "409 once accepted or withdrawn; another organization's invitation is 404. Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id"), ("id" = String, Path, description = "Invitation id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The invitation, withdrawn", body = schemas::Invitation),
        Auth, Forbidden, NotFound, Conflict,
    ))]
async fn api_revoke_invitation(
    State(app): State<App>,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let inv = accounts::revoke_invitation(&app, &caller, &OrgId::from(org), &id).await?;
    Ok(Json(invitation_json(&inv)))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/enrollment", tag = "accounts",
    summary = "Whether the organization takes sign-ups",
    description = "Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Open or not", body = schemas::Enrollment),
        Auth, Forbidden,
    ))]
async fn api_enrollment(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let org = OrgId::from(org);
    caller.require(&app, &org, AccessRole::OrgAdmin).await?;
    let open = app
        .store()
        .open_enrollment(&org)
        .await
        .map_err(ApiError::from_store)?;
    Ok(Json(
        json!({"open": open, "sign_up_url": format!("{}/join/{org}", app.public_url())}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnrollmentInput {
    open: bool,
}

#[utoipa::path(put, path = "/api/v1/orgs/{org}/enrollment", tag = "accounts",
    summary = "Open or close sign-ups",
    description = "People then join as educators at `/join/{org}` after confirming their email address by a single-use link. Org admins of that organization.",
    params(("org" = String, Path, description = "Organization id")),
    request_body = schemas::EnrollmentInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Open or not", body = schemas::Enrollment),
        JsonBody, Auth, Forbidden,
    ))]
async fn api_set_enrollment(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<EnrollmentInput>,
) -> Result<Json<Value>, ApiError> {
    let org = OrgId::from(org);
    accounts::set_open_enrollment(&app, &caller, &org, input.open).await?;
    Ok(Json(
        json!({"open": input.open, "sign_up_url": format!("{}/join/{org}", app.public_url())}),
    ))
}

/// The admin page's invitation form: the address, a name, and the role checkboxes.
#[derive(Deserialize)]
struct InviteForm {
    email: String,
    #[serde(default)]
    name: String,
    #[serde(flatten)]
    roles: crate::members::RolesForm,
}

async fn admin_invite(
    State(app): State<App>,
    caller: MaybeCaller,
    Form(f): Form<InviteForm>,
) -> Response {
    let Some(caller) = caller.0 else {
        return Redirect::to("/login").into_response();
    };
    let result = async {
        let org = caller.org_with_role(&app, &[AccessRole::OrgAdmin]).await?;
        let input = InviteInput {
            email: f.email.clone(),
            name: Some(f.name.clone()),
            roles: f.roles.roles(),
        };
        let invited = accounts::invite(&app, &caller, &org, &input).await?;
        Ok(format!("Invitation sent to {}.", invited.invitation.email))
    }
    .await;
    form_outcome(&app, &caller, "/admin", "Invitation not sent", result)
}

#[derive(Deserialize)]
struct Empty {}

async fn admin_revoke(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Response {
    let Some(caller) = caller.0 else {
        return Redirect::to("/login").into_response();
    };
    let result = async {
        let org = caller.org_with_role(&app, &[AccessRole::OrgAdmin]).await?;
        let inv = accounts::revoke_invitation(&app, &caller, &org, &id).await?;
        Ok(format!("Invitation of {} withdrawn.", inv.email))
    }
    .await;
    form_outcome(&app, &caller, "/admin", "Invitation not withdrawn", result)
}

#[derive(Deserialize)]
struct EnrollmentForm {
    #[serde(default)]
    open: Option<String>,
}

async fn admin_enrollment(
    State(app): State<App>,
    caller: MaybeCaller,
    Form(f): Form<EnrollmentForm>,
) -> Response {
    let Some(caller) = caller.0 else {
        return Redirect::to("/login").into_response();
    };
    let open = f.open.is_some();
    let result = async {
        let org = caller.org_with_role(&app, &[AccessRole::OrgAdmin]).await?;
        accounts::set_open_enrollment(&app, &caller, &org, open).await?;
        Ok(if open {
            format!("Sign-ups are open at {}/join/{org}.", app.public_url())
        } else {
            "Sign-ups are closed.".to_owned()
        })
    }
    .await;
    form_outcome(&app, &caller, "/admin", "Sign-ups not changed", result)
}

// ----- open enrollment ---------------------------------------------------------------------------

async fn join_list(State(app): State<App>, caller: MaybeCaller) -> Result<Response, ApiError> {
    let orgs: Vec<(String, String)> = app
        .store()
        .organizations_open_for_enrollment()
        .await
        .map_err(ApiError::from_store)?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    Ok(html_page(
        StatusCode::OK,
        "Sign up",
        caller.0.as_ref(),
        p::join_list(&orgs),
        None,
    ))
}

/// The organization, if it takes sign-ups; else the answer to give.
async fn open_org(app: &App, org: &str) -> Result<Result<String, Response>, ApiError> {
    let org_id = OrgId::from(org.to_owned());
    let name = match app.store().organization(&org_id).await {
        Ok(o) => o.name,
        Err(pathledger_store::StoreError::NotFound { .. }) => {
            return Ok(Err(
                ApiError::not_found("No such organization.").into_response()
            ))
        }
        Err(e) => return Err(ApiError::from_store(e)),
    };
    if !app
        .store()
        .open_enrollment(&org_id)
        .await
        .map_err(ApiError::from_store)?
    {
        let body = maud::html! {
            h1 { "Join " (name) }
            p role="alert" { (name) " does not take sign-ups. Ask its administrator for an invitation." }
        };
        return Ok(Err(html_page(
            StatusCode::FORBIDDEN,
            "Sign up",
            None,
            body,
            None,
        )));
    }
    Ok(Ok(name))
}

async fn join_form(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(org): Path<String>,
) -> Result<Response, ApiError> {
    let name = match open_org(&app, &org).await? {
        Ok(n) => n,
        Err(resp) => return Ok(resp),
    };
    Ok(html_page(
        StatusCode::OK,
        "Sign up",
        caller.0.as_ref(),
        p::join_form(&org, &name, "", "", None),
        None,
    ))
}

#[derive(Deserialize)]
struct JoinForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

async fn join_submit(
    State(app): State<App>,
    Extension(throttle): Extension<MailThrottle>,
    client: crate::throttle::ClientKey,
    headers: HeaderMap,
    Path(org): Path<String>,
    Form(f): Form<JoinForm>,
) -> Result<Response, ApiError> {
    let org_name = match open_org(&app, &org).await? {
        Ok(n) => n,
        Err(resp) => return Ok(resp),
    };
    if let Some(resp) = mail_refused(&throttle, client) {
        return Ok(resp);
    }
    let (binding, set_cookie) = browser_binding(&app, &headers)?;
    let org_id = OrgId::from(org.clone());
    match accounts::request_enrollment(&app, &org_id, &f.email, &f.name, binding).await {
        Ok(()) => Ok(html_page(
            StatusCode::OK,
            "Check your email",
            None,
            p::link_sent(f.email.trim(), &format!("is yours, to join {org_name}")),
            set_cookie,
        )),
        Err(AppError::Invalid { field, message }) => Ok(html_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Sign up",
            None,
            p::join_form(&org, &org_name, &f.name, &f.email, Some((&field, &message))),
            set_cookie,
        )),
        Err(e) => Err(e.into()),
    }
}

// ----- first run ---------------------------------------------------------------------------------

/// The first-run page is open only while the database holds no organization and this process
/// has an unused setup code.
async fn setup_open(app: &App, gate: &SetupGate) -> Result<bool, ApiError> {
    if gate.0.lock().await.is_none() {
        return Ok(false);
    }
    Ok(app
        .store()
        .organizations()
        .await
        .map_err(ApiError::from_store)?
        .is_empty())
}

fn setup_closed() -> Response {
    ApiError::not_found("This deployment is set up already; sign in instead.").into_response()
}

async fn setup_form(
    State(app): State<App>,
    Extension(gate): Extension<SetupGate>,
) -> Result<Response, ApiError> {
    if !setup_open(&app, &gate).await? {
        return Ok(setup_closed());
    }
    Ok(html_page(
        StatusCode::OK,
        "Set up",
        None,
        p::setup_form(&p::SetupValues::default(), None),
        None,
    ))
}

async fn setup_submit(
    State(app): State<App>,
    Extension(gate): Extension<SetupGate>,
    Form(v): Form<p::SetupValues>,
) -> Result<Response, ApiError> {
    // One setup at a time: the lock is held until the organization exists or the attempt fails.
    let mut code = gate.0.lock().await;
    let Some(expected) = code.clone() else {
        return Ok(setup_closed());
    };
    if !app
        .store()
        .organizations()
        .await
        .map_err(ApiError::from_store)?
        .is_empty()
    {
        *code = None;
        return Ok(setup_closed());
    }
    let again = |field: &str, message: &str, status: StatusCode| {
        html_page(
            status,
            "Set up",
            None,
            p::setup_form(&v, Some((field, message))),
            None,
        )
    };
    // Compared as digests, so the comparison's time says nothing about the code.
    use sha2::Digest as _;
    if sha2::Sha256::digest(v.code.trim().as_bytes()) != sha2::Sha256::digest(expected.as_bytes()) {
        tracing::warn!("first-run setup refused: wrong setup code");
        return Ok(again(
            "code",
            "That is not the setup code printed in the server's log.",
            StatusCode::FORBIDDEN,
        ));
    }
    let made = match accounts::create_organization(&app, &v.name, &v.kind, &v.email, &v.admin_name)
        .await
    {
        Ok(m) => m,
        Err(AppError::Invalid { field, message }) => {
            return Ok(again(&field, &message, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => return Err(e.into()),
    };
    *code = None;
    drop(code);
    tracing::info!(org = %made.org.id, "first-run setup done; the setup code is used up");
    // The person holding the setup code is the operator: accept the administrator's invitation
    // here (its link also went to the administrator's address).
    let secret = made
        .invited
        .link
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let user = accounts::accept_invitation(&app, &secret, &v.admin_name, None).await?;
    start_session(&app, &user).await
}
