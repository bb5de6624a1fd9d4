//! The work people do inside an organization, as pages and as JSON API: evidence submission and
//! assessor review (acceptance issues the credential and whatever it completes), mentor
//! endorsements, and issuer administration (definitions, bulk issuance with progress, status
//! changes, keys). Every page form has an API twin sharing one function, so both enforce the
//! same rules.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use maud::Markup;
use pathledger_badges as badges;
use pathledger_store::{AccessRole, EvidenceSubmission, OrgId, StatusChange};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::{App, BulkIssued};
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::{schemas, Auth, Conflict, Forbidden, JsonBody, NotFound, RawJsonBody};
use crate::pages;
use crate::pages::admin::{AdminPage, EndorserRow, KeyRow};
use crate::pages::format::state_code;
use pathledger_app::bulk::{self, BulkRow};
use pathledger_app::endorsements::{endorse, EndorseInput};
use pathledger_app::evidence::{decide, may_see_submission, submit_evidence, SubmitInput};
use pathledger_app::first_issuer;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The JSON API routes of this module (each described by its `#[utoipa::path]`).
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(api_evidence_list, api_evidence_submit))
        .routes(routes!(api_evidence_get))
        .routes(routes!(api_evidence_decide))
        .routes(routes!(api_endorse))
        .routes(routes!(api_definitions_get, api_definitions_put))
        .routes(routes!(api_bulk_issue))
        .routes(routes!(api_clr))
        .routes(routes!(api_keys))
        .routes(routes!(api_rotate_key))
        .routes(routes!(api_audit))
}

/// The HTML page and form routes of this module (listed in [`crate::PAGE_ROUTES`]).
pub fn pages() -> Router<App> {
    Router::new()
        .route("/review", get(crate::review::review_page))
        .route("/review/{id}", post(crate::review::review_form))
        .route(
            "/endorse",
            get(crate::review::endorse_page).post(crate::review::endorse_form),
        )
        .route("/admin", get(admin_page))
        .route("/admin/definitions", post(admin_definitions))
        .route("/admin/bulk", post(crate::issuer_admin::admin_bulk_start))
        .route(
            "/admin/bulk/{job}",
            get(crate::issuer_admin::admin_bulk_status),
        )
        .route(
            "/admin/credentials/{id}/status",
            get(crate::issuer_admin::status_confirm).post(admin_status),
        )
        .route(
            "/admin/keys/rotate",
            get(crate::issuer_admin::rotate_confirm).post(admin_rotate_key),
        )
        .route(
            "/admin/credentials",
            get(crate::issuer_admin::credential_list),
        )
        .route(
            "/admin/bulk/{job}/failed.csv",
            get(crate::issuer_admin::failed_rows),
        )
}

// ----- keys and audit ------------------------------------------------------------------------

fn key_json(app: &App, k: &pathledger_store::IssuerKeyInfo) -> Value {
    let public = pathledger_signing::PublicKey::from_bytes(k.public_key)
        .map(|p| Value::String(p.to_multibase()))
        .unwrap_or(Value::Null);
    json!({
        "id": k.id,
        "verificationMethod": app.key_vm(&k.issuer_id, &k.id),
        "publicKeyMultibase": public,
        "state": if k.retired_ms.is_some() { "retired" } else { "current" },
        "created_ms": k.created_ms,
        "retired_ms": k.retired_ms,
    })
}

/// An issuer's keys, current and retired (never private material): its org admins and issuers.
#[utoipa::path(get, path = "/api/v1/issuers/{id}/keys", tag = "keys",
    summary = "An issuer's public keys, current and retired",
    description = "Never private material. Org admins and issuers of the issuer's organization.",
    params(("id" = String, Path, description = "Issuer id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The keys", body = schemas::IssuerKeys),
        Auth, Forbidden, NotFound,
    ))]
async fn api_keys(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let issuer = app.store().issuer(&id).await?;
    caller
        .require_any(
            &app,
            &issuer.org_id,
            &[AccessRole::OrgAdmin, AccessRole::Issuer],
        )
        .await?;
    let keys = app.store().issuer_keys(&issuer.id).await?;
    Ok(Json(json!({
        "issuer": app.issuer_did(&issuer.id),
        "keys": keys.iter().map(|k| key_json(&app, k)).collect::<Vec<_>>(),
    })))
}

/// Rotates an issuer's signing key (org admins): the new key signs from now on, retired keys
/// stay in the DID document so what they signed still verifies. Logged in the transparency log.
#[utoipa::path(post, path = "/api/v1/issuers/{id}/keys/rotate", tag = "keys",
    summary = "Rotate an issuer's signing key",
    description = "The new key signs from now on; retired keys stay in the DID document so what they signed still verifies. Logged. Org admins of the issuer's organization.",
    params(("id" = String, Path, description = "Issuer id")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new key", body = schemas::IssuerKey),
        Auth, Forbidden, NotFound,
    ))]
async fn api_rotate_key(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let issuer = app.store().issuer(&id).await?;
    caller
        .require(&app, &issuer.org_id, AccessRole::OrgAdmin)
        .await?;
    let k = app.rotate_issuer_key(&issuer.id).await?;
    tracing::info!(issuer = %issuer.id, by = %caller.user.id, "key rotation requested");
    Ok((StatusCode::CREATED, Json(key_json(&app, &k))).into_response())
}

/// Recomputes the transparency log from its stored leaves and checks every signed head (an
/// O(log size) read, so only org admins may start one; the CLI `audit` does the same).
#[utoipa::path(get, path = "/api/v1/log/audit", tag = "log",
    summary = "Recompute the log from its leaves and check every signed head",
    description = "An O(log size) read: org admins only (the CLI `audit` does the same).",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The audit", body = schemas::Audit),
        Auth, Forbidden,
    ))]
async fn api_audit(State(app): State<App>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.org_with_role(&app, &[AccessRole::OrgAdmin]).await?;
    let report = app.store().audit().await?;
    Ok(Json(json!({"ok": report.is_ok(), "report": report})))
}

pub(crate) fn page(title: &str, caller: &Caller, body: Markup) -> Html<String> {
    Html(
        crate::pages::layout_with_menu(
            title,
            Some(&caller.user.display_name),
            caller.form_token.as_deref(),
            caller.menu,
            body,
        )
        .into_string(),
    )
}

/// A page that explains a refusal in words, with the problem's status code.
pub(crate) fn error_page(caller: &Caller, title: &str, e: &ApiError, back: &str) -> Response {
    let body = pages::refusal::refusal_page(title, &e.detail, e.field.as_deref(), back);
    (e.status, page(title, caller, body)).into_response()
}

pub(crate) fn sign_in() -> Response {
    Redirect::to("/login").into_response()
}

// ----- evidence: the shared rules ------------------------------------------------------------

fn submission_json(s: &EvidenceSubmission) -> Value {
    json!({
        "id": s.id, "educator": s.educator_id, "achievement": s.achievement_id,
        "evidence": s.document, "assessor": s.assessor_user_id, "state": state_code(s.state),
        "comment": s.decision_comment, "decided_by": s.decided_by,
        "submitted_ms": s.created_ms, "decided_ms": s.decided_ms,
    })
}

// ----- evidence: API ---------------------------------------------------------------------------

#[utoipa::path(post, path = "/api/v1/evidence", tag = "evidence",
    summary = "Submit evidence for a micro-credential",
    description = "Educators submit evidence to a chosen assessor of their organization.",
    request_body = schemas::SubmitInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The submission", body = schemas::Submission),
        JsonBody, Auth, Forbidden, NotFound, Conflict,
    ))]
async fn api_evidence_submit(
    State(app): State<App>,
    caller: Caller,
    ApiJson(input): ApiJson<SubmitInput>,
) -> Result<Response, ApiError> {
    let sub = submit_evidence(&app, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(submission_json(&sub))).into_response())
}

/// The caller's own submissions and the ones assigned to them.
#[utoipa::path(get, path = "/api/v1/evidence", tag = "evidence",
    summary = "The caller's own evidence submissions and those assigned to them",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Both lists", body = schemas::EvidenceLists),
        Auth,
    ))]
async fn api_evidence_list(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let store = app.store();
    let mut mine = Vec::new();
    for link in &caller.user.educators {
        mine.extend(
            store
                .submissions_for_educator(&link.educator_id)
                .await
                .map_err(ApiError::from_store)?,
        );
    }
    let assigned = store
        .submissions_for_assessor(&caller.user.id)
        .await
        .map_err(ApiError::from_store)?;
    Ok(Json(json!({
        "mine": mine.iter().map(submission_json).collect::<Vec<_>>(),
        "assigned": assigned.iter().map(submission_json).collect::<Vec<_>>(),
    })))
}

#[utoipa::path(get, path = "/api/v1/evidence/{id}", tag = "evidence",
    summary = "One submission",
    description = "The educator, the assigned assessor, an org admin.",
    params(("id" = String, Path, description = "Submission id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submission", body = schemas::Submission),
        Auth, Forbidden, NotFound,
    ))]
async fn api_evidence_get(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let sub = app
        .store()
        .submission(&id)
        .await
        .map_err(ApiError::from_store)?;
    may_see_submission(&app, &caller, &sub).await?;
    Ok(Json(submission_json(&sub)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    /// `accept` or `return`.
    decision: String,
    #[serde(default)]
    comment: Option<String>,
}

pub(crate) fn parse_decision(s: &str) -> Result<bool, ApiError> {
    match s {
        "accept" => Ok(true),
        "return" => Ok(false),
        other => Err(ApiError::invalid(
            "decision",
            format!("must be \"accept\" or \"return\", not {other:?}"),
        )),
    }
}

#[utoipa::path(post, path = "/api/v1/evidence/{id}/decision", tag = "evidence",
    summary = "Accept or return a submission",
    description = "The assigned assessor decides: acceptance issues the credential at once and awards what it completes; a return carries the comment.",
    params(("id" = String, Path, description = "Submission id")),
    request_body = schemas::DecisionInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The decision", body = schemas::Decision),
        JsonBody, Auth, Forbidden, NotFound, Conflict,
    ))]
async fn api_evidence_decide(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<Value>, ApiError> {
    let accept = parse_decision(&body.decision)?;
    let d = decide(&app, &caller, &id, accept, body.comment).await?;
    Ok(Json(json!({
        "submission": submission_json(&d.submission),
        "credential": d.credential.as_ref().map(|c| json!({"id": c.record.id, "verifiableCredential": c.credential})),
        "awarded": d.awarded.iter().map(|c| json!({"id": c.record.id, "achievement": c.record.achievement_id})).collect::<Vec<_>>(),
    })))
}

// ----- endorsements ----------------------------------------------------------------------------

#[utoipa::path(post, path = "/api/v1/endorsements", tag = "evidence",
    summary = "Mentor endorsement of an educator for a competency",
    description = "Returns the signed EndorsementCredential. `endorser_role` must be a career role the caller holds in the educator's organization (reached, or granted by an org admin): 403 `endorser_role_not_held` / `not_an_endorser` otherwise; optional when they hold exactly one, 422 listing the choices when several.",
    request_body = schemas::EndorseInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The endorsement credential", body = schemas::SignedCredential),
        JsonBody, Auth, Forbidden, NotFound, Conflict,
    ))]
async fn api_endorse(
    State(app): State<App>,
    caller: Caller,
    ApiJson(input): ApiJson<EndorseInput>,
) -> Result<Response, ApiError> {
    let signed = endorse(&app, &caller, input).await?.signed;
    Ok((
        StatusCode::CREATED,
        Json(json!({"verifiableCredential": signed})),
    )
        .into_response())
}

// ----- issuer admin --------------------------------------------------------------------------

#[utoipa::path(get, path = "/api/v1/orgs/{org}/definitions", tag = "definitions",
    summary = "Framework, achievements, stacks and pathways as JSON",
    description = "As a download (`Content-Disposition`). `?format=case` gives the framework as CASE 1.0. Org admins and issuers.",
    params(
        ("org" = String, Path, description = "Organization id"),
        ("format" = Option<String>, Query, description = "`json` (default) or `case`"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The definitions (or the CASE package)", body = schemas::Definitions),
        (status = 422, description = "An unknown `format` (`invalid_input`)", body = schemas::Problem, content_type = "application/problem+json"),
        Auth, Forbidden, NotFound,
    ))]
async fn api_definitions_get(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<OrgId>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    caller
        .require_any(&app, &org, &[AccessRole::OrgAdmin, AccessRole::Issuer])
        .await?;
    let defs = app.definitions(&org).await?;
    let doc = match q.format.as_deref() {
        None | Some("json") => defs.to_value(),
        Some("case") => {
            pathledger_core::case::export_cfpackage(defs.framework(), &Default::default())
        }
        Some(other) => {
            return Err(ApiError::invalid(
                "format",
                format!("use json or case, not {other:?}"),
            ))
        }
    };
    let file = if q.format.as_deref() == Some("case") {
        "framework-case.json"
    } else {
        "definitions.json"
    };
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        )],
        Json(doc),
    )
        .into_response())
}

#[derive(Deserialize)]
struct FormatQuery {
    format: Option<String>,
}

#[utoipa::path(put, path = "/api/v1/orgs/{org}/definitions", tag = "definitions",
    summary = "Replace the definitions with a new validated version",
    description = "Org admins. Errors list their paths. The content type is not looked at.",
    params(("org" = String, Path, description = "Organization id")),
    request_body(content = schemas::Definitions, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What the new version holds", body = schemas::DefinitionsSummary),
        RawJsonBody, Auth, Forbidden, NotFound,
    ))]
async fn api_definitions_put(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<OrgId>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(&app, &org, AccessRole::OrgAdmin).await?;
    let doc = pathledger_signing::parse_strict(&body).map_err(|e| {
        ApiError::bad_request("malformed_json", format!("The body is not valid JSON: {e}"))
    })?;
    let defs = app.put_definitions(&org, &doc).await?;
    tracing::info!(org = %org, by = %caller.user.id, "definitions replaced");
    Ok(Json(summary_json(&defs)))
}

fn summary_json(defs: &pathledger_core::Definitions) -> Value {
    json!({
        "framework": defs.framework().name,
        "competencies": defs.framework().competencies.len(),
        "achievements": defs.achievements().len(),
        "stacks": defs.stacks().len(),
        "roles": defs.roles().len(),
    })
}

fn row_result_json(i: usize, r: &Result<BulkIssued, ApiError>) -> Value {
    match r {
        Ok(c) => json!({"row": i, "ok": true, "id": c.record.id, "replayed": c.replayed}),
        Err(e) => {
            json!({"row": i, "ok": false, "code": e.code, "field": e.field, "detail": e.detail})
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkBody {
    #[serde(default)]
    suite: Option<String>,
    rows: Vec<BulkRow>,
}

/// Issues up to [`bulk::MAX_ROSTER_ROWS`] rows, counted before the body is parsed.
#[utoipa::path(post, path = "/api/v1/credentials/bulk", tag = "issuance",
    summary = "Bulk issue (at most 1,000 rows)",
    description = "One result per row; members who complete a stack or reach a role are awarded its credential; recipients without an account are invited. More rows are refused before the body is parsed. Issuers.",
    request_body = schemas::BulkRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Per-row results", body = schemas::BulkResult),
        JsonBody, Auth, Forbidden, NotFound,
    ))]
async fn api_bulk_issue(
    State(app): State<App>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    if crate::extract::array_items_exceed(&bytes, 1, bulk::MAX_ROSTER_ROWS) {
        return Err(bulk::too_many_rows("/rows").into());
    }
    let ApiJson(body) = ApiJson::<BulkBody>::from_bytes(&headers, &bytes)?;
    let results = bulk::issue_rows(&app, &caller, body.suite.as_deref(), body.rows).await?;
    let (invited, invitations_failed) = bulk::invitation_counts(&results);
    let results: Vec<Result<BulkIssued, ApiError>> = results
        .into_iter()
        .map(|r| r.map_err(ApiError::from))
        .collect();
    let issued = results.iter().filter(|r| r.is_ok()).count();
    Ok(Json(json!({
        "issued": issued,
        "failed": results.len() - issued,
        "invitations": {"sent": invited, "failed": invitations_failed},
        "results": results.iter().enumerate().map(|(i, r)| row_result_json(i, r)).collect::<Vec<_>>(),
    })))
}

#[utoipa::path(get, path = "/api/v1/educators/{id}/clr", tag = "pathways",
    summary = "The educator's valid credentials as a signed CLR 2.0 bundle",
    params(("id" = String, Path, description = "Educator id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The CLR, as a file (`Content-Disposition: attachment`)", body = schemas::Clr),
        Auth, Forbidden, NotFound,
    ))]
async fn api_clr(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let e = app
        .store()
        .educator(&id)
        .await
        .map_err(ApiError::from_store)?;
    caller.may_read_educator(&app, &e.id, &e.org_id).await?;
    let (_, held) = app.educator_state(&e.id).await?;
    let creds: Vec<Value> = held
        .iter()
        .filter(|(_, r)| r.verdict == badges::Verdict::Valid)
        .filter_map(|(c, _)| serde_json::from_str(&c.document).ok())
        .collect();
    let clr = app.clr_for(&e, creds).await?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"pathledger-wallet-clr.json\"",
        )],
        Json(clr),
    )
        .into_response())
}

async fn admin_page(
    State(app): State<App>,
    caller: MaybeCaller,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let org = match caller
        .org_with_role(&app, &[AccessRole::OrgAdmin, AccessRole::Issuer])
        .await
    {
        Ok(o) => o,
        Err(e) => return Ok(error_page(&caller, "Issuer admin", &e.into(), "/")),
    };
    let store = app.store();
    let is_admin = store
        .has_role(&caller.user.id, &org, AccessRole::OrgAdmin)
        .await
        .map_err(ApiError::from_store)?;
    let defs = app.definitions(&org).await?;
    let credentials = store
        .search_credentials(&org, None, &[], 10, 0)
        .await
        .map_err(ApiError::from_store)?
        .rows;
    let mut keys = Vec::new();
    for i in store.issuers(&org).await.map_err(ApiError::from_store)? {
        for k in store
            .issuer_keys(&i.id)
            .await
            .map_err(ApiError::from_store)?
        {
            keys.push(KeyRow {
                issuer: i.name.clone(),
                key_id: k.id,
                retired: k.retired_ms.is_some(),
            });
        }
    }
    let (endorsers, deletion_requests, members, invitations) = if is_admin {
        (
            endorser_rows(&app, &org).await?,
            crate::privacy::deletion_rows(&app, &caller, &org).await?,
            store.members(&org).await.map_err(ApiError::from_store)?,
            crate::accounts::invitation_rows(&app, &caller, &org).await?,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new(), Vec::new())
    };
    let open_enrollment = store
        .open_enrollment(&org)
        .await
        .map_err(ApiError::from_store)?;
    let notice = crate::flash::read(&headers, &caller);
    let body = pages::admin::admin_page(&AdminPage {
        org: &org,
        is_admin,
        notice: notice.as_deref(),
        defs: &defs,
        defs_json: serde_json::to_string_pretty(&defs.to_value()).unwrap_or_default(),
        credentials: &credentials,
        keys,
        form_token: caller.form_token.as_deref(),
        endorsers,
        deletion_requests,
        members,
        invitations,
        open_enrollment,
        sign_up_url: format!("{}/join/{org}", app.public_url()),
    });
    let mut resp = page("Issuer admin", &caller, body).into_response();
    if notice.is_some() {
        crate::flash::clear(&app, &mut resp);
    }
    Ok(resp)
}

/// The organization's endorser grants as the admin page lists them (names, not only ids).
async fn endorser_rows(app: &App, org: &OrgId) -> Result<Vec<EndorserRow>, ApiError> {
    let store = app.store();
    let mut rows = Vec::new();
    for g in store.endorser_grants(org).await? {
        let user = store.user(&g.user_id).await?;
        rows.push(EndorserRow {
            grant: g.id,
            user: format!("{} <{}>", user.display_name, user.email),
            role: g.role_id,
        });
    }
    Ok(rows)
}

/// The answer to a form post: back to `back` with the message as a one-time notice
/// ([`crate::flash`], never in the URL), or a page explaining the refusal (with a link back
/// there). Every page form that redirects on success answers through here.
pub(crate) fn form_outcome(
    app: &App,
    caller: &Caller,
    back: &str,
    failure: &str,
    result: Result<String, ApiError>,
) -> Response {
    match result {
        Ok(msg) => {
            let mut resp = Redirect::to(back).into_response();
            crate::flash::set(app, caller, &msg, &mut resp);
            resp
        }
        Err(e) => error_page(caller, failure, &e, back),
    }
}

#[derive(Deserialize)]
struct StatusForm {
    action: String,
    #[serde(default)]
    reason: Option<String>,
}

async fn admin_status(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> Response {
    let Some(caller) = caller.0 else {
        return sign_in();
    };
    let result: Result<String, ApiError> = async {
        crate::api::credential_for_issuer(&app, &caller, &id).await?;
        let change = match f.action.as_str() {
            "revoke" => StatusChange::Revoke,
            "suspend" => StatusChange::Suspend,
            "reinstate" => StatusChange::Reinstate,
            other => {
                return Err(ApiError::invalid(
                    "action",
                    format!("unknown action {other:?}"),
                ))
            }
        };
        let reason = f.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
        if change != StatusChange::Reinstate && reason.is_none() {
            return Err(ApiError::invalid(
                "reason",
                "give a reason; it is kept in the audit trail",
            ));
        }
        let out = app
            .change_status(&id, change, reason, Some(&caller.user.id))
            .await?;
        Ok(format!(
            "Credential {} is now {}.",
            out.credential.id,
            out.credential.status.as_str()
        ))
    }
    .await;
    match result {
        Err(e) if e.field.as_deref() == Some("reason") => {
            crate::issuer_admin::status_confirmation(
                &app,
                &caller,
                &id,
                &f.action,
                f.reason.as_deref(),
                Some(&e),
            )
            .await
        }
        result => form_outcome(&app, &caller, "/admin", "Status not changed", result),
    }
}

async fn admin_rotate_key(State(app): State<App>, caller: MaybeCaller) -> Response {
    let Some(caller) = caller.0 else {
        return sign_in();
    };
    let result: Result<String, ApiError> = async {
        let org = caller.org_with_role(&app, &[AccessRole::OrgAdmin]).await?;
        let issuer = first_issuer(&app, &org).await?;
        let k = app.rotate_issuer_key(&issuer.id).await?;
        tracing::info!(issuer = %issuer.id, by = %caller.user.id, "key rotation requested");
        Ok(format!(
            "Key {} now signs for {}; earlier keys still verify what they signed.",
            k.id, issuer.name
        ))
    }
    .await;
    form_outcome(&app, &caller, "/admin", "Key not rotated", result)
}

/// A multipart form's fields as (name, text).
pub(crate) async fn multipart_fields(mp: Multipart) -> Result<Vec<(String, String)>, ApiError> {
    Ok(crate::web::read_multipart(mp)
        .await?
        .into_iter()
        .map(|(name, _, text)| (name, text))
        .collect())
}

async fn admin_definitions(State(app): State<App>, caller: MaybeCaller, mp: Multipart) -> Response {
    let Some(caller) = caller.0 else {
        return sign_in();
    };
    let result: Result<String, ApiError> = async {
        let org = caller.org_with_role(&app, &[AccessRole::OrgAdmin]).await?;
        let fields = multipart_fields(mp).await?;
        let (field, text) = fields
            .iter()
            .find(|(n, t)| n == "file" && !t.trim().is_empty())
            .or_else(|| fields.iter().find(|(n, _)| n == "definitions"))
            .ok_or_else(|| ApiError::invalid("definitions", "upload a file or paste the definitions"))?;
        let doc = pathledger_signing::parse_strict(text.as_bytes())
            .map_err(|e| ApiError::invalid(field.clone(), format!("is not valid JSON: {e}")))?;
        let saved = app.save_definitions(&org, &doc).await?;
        tracing::info!(org = %org, by = %caller.user.id, "definitions replaced from the admin page");
        Ok(format!(
            "Saved version {}: {}.",
            saved.version,
            crate::pages::format::describe_changes(&saved.changes)
        ))
    }
    .await;
    form_outcome(&app, &caller, "/admin", "Definitions not saved", result)
}
