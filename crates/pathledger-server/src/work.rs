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
use pathledger_badges as badges;
use pathledger_core::Category;
use pathledger_store::{EvidenceSubmission, Role, StatusChange, SubmissionState};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::{App, BulkIssued};
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::pages::{esc, layout};
use pathledger_app::bulk::{self, BulkRow};
use pathledger_app::endorsements::{endorse, EndorseInput};
use pathledger_app::evidence::{
    decide, may_see_submission, own_educator, submit_evidence, SubmitInput, MAX_NARRATIVE,
};
use pathledger_app::first_issuer;

/// Routes of this module.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/evidence", get(evidence_page).post(evidence_form))
        .route("/review", get(review_page))
        .route("/review/{id}", post(review_form))
        .route("/endorse", get(endorse_page).post(endorse_form))
        .route("/admin", get(admin_page))
        .route("/admin/definitions", post(admin_definitions))
        .route("/admin/bulk", post(admin_bulk_start))
        .route("/admin/bulk/{job}", get(admin_bulk_status))
        .route("/admin/credentials/{id}/status", post(admin_status))
        .route("/admin/keys/rotate", post(admin_rotate_key))
        .route(
            "/api/v1/evidence",
            get(api_evidence_list).post(api_evidence_submit),
        )
        .route("/api/v1/evidence/{id}", get(api_evidence_get))
        .route("/api/v1/evidence/{id}/decision", post(api_evidence_decide))
        .route("/api/v1/endorsements", post(api_endorse))
        .route(
            "/api/v1/orgs/{org}/definitions",
            get(api_definitions_get).put(api_definitions_put),
        )
        .route("/api/v1/credentials/bulk", post(api_bulk_issue))
        .route("/api/v1/educators/{id}/clr", get(api_clr))
        .route("/api/v1/issuers/{id}/keys", get(api_keys))
        .route("/api/v1/issuers/{id}/keys/rotate", post(api_rotate_key))
        .route("/api/v1/log/audit", get(api_audit))
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
async fn api_keys(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let issuer = app.store().issuer(&id).await?;
    caller
        .require_any(&app, &issuer.org_id, &[Role::OrgAdmin, Role::Issuer])
        .await?;
    let keys = app.store().issuer_keys(&issuer.id).await?;
    Ok(Json(json!({
        "issuer": app.issuer_did(&issuer.id),
        "keys": keys.iter().map(|k| key_json(&app, k)).collect::<Vec<_>>(),
    })))
}

/// Rotates an issuer's signing key (org admins): the new key signs from now on, retired keys
/// stay in the DID document so what they signed still verifies. Logged in the transparency log.
async fn api_rotate_key(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let issuer = app.store().issuer(&id).await?;
    caller.require(&app, &issuer.org_id, Role::OrgAdmin).await?;
    let k = app.rotate_issuer_key(&issuer.id).await?;
    tracing::info!(issuer = %issuer.id, by = %caller.user.id, "key rotation requested");
    Ok((StatusCode::CREATED, Json(key_json(&app, &k))).into_response())
}

/// Recomputes the transparency log from its stored leaves and checks every signed head (an
/// O(log size) read, so only org admins may start one; the CLI `audit` does the same).
async fn api_audit(State(app): State<App>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.org_with_role(&app, &[Role::OrgAdmin]).await?;
    let report = app.store().audit().await?;
    Ok(Json(json!({"ok": report.is_ok(), "report": report})))
}

fn page(title: &str, caller: &Caller, body: &str) -> Html<String> {
    // Transitional: these bodies are still built with `esc`, until they move to templates.
    let body = maud::PreEscaped(body.to_owned());
    Html(layout(title, Some(&caller.user.display_name), body).into_string())
}

/// A page that explains a refusal in words, with the problem's status code.
fn error_page(caller: &Caller, title: &str, e: &ApiError, back: &str) -> Response {
    let field = e
        .field
        .as_deref()
        .map(|f| format!(" (field <code>{}</code>)", esc(f)))
        .unwrap_or_default();
    (
        e.status,
        page(
            title,
            caller,
            &format!(
                "<h1>{t}</h1><p role=\"alert\" class=\"card\" id=\"error\">{d}{field}</p><p><a href=\"{b}\">Back</a></p>",
                t = esc(title),
                d = esc(&e.detail),
                b = esc(back)
            ),
        ),
    )
        .into_response()
}

fn sign_in() -> Response {
    Redirect::to("/login").into_response()
}

fn date(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .map(|s| s.replace('T', " ").trim_end_matches('Z').to_owned() + " UTC")
        .unwrap_or_default()
}

fn state_word(s: SubmissionState) -> &'static str {
    match s {
        SubmissionState::Submitted => "Waiting for review",
        SubmissionState::Accepted => "Accepted",
        SubmissionState::Returned => "Returned with comments",
    }
}

fn state_code(s: SubmissionState) -> &'static str {
    match s {
        SubmissionState::Submitted => "submitted",
        SubmissionState::Accepted => "accepted",
        SubmissionState::Returned => "returned",
    }
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

async fn api_evidence_submit(
    State(app): State<App>,
    caller: Caller,
    ApiJson(input): ApiJson<SubmitInput>,
) -> Result<Response, ApiError> {
    let sub = submit_evidence(&app, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(submission_json(&sub))).into_response())
}

/// The caller's own submissions and the ones assigned to them.
async fn api_evidence_list(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let store = app.store();
    let mine = match caller.user.educator_id.as_deref() {
        Some(e) => store
            .submissions_for_educator(e)
            .await
            .map_err(ApiError::from_store)?,
        None => Vec::new(),
    };
    let assigned = store
        .submissions_for_assessor(&caller.user.id)
        .await
        .map_err(ApiError::from_store)?;
    Ok(Json(json!({
        "mine": mine.iter().map(submission_json).collect::<Vec<_>>(),
        "assigned": assigned.iter().map(submission_json).collect::<Vec<_>>(),
    })))
}

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

fn parse_decision(s: &str) -> Result<bool, ApiError> {
    match s {
        "accept" => Ok(true),
        "return" => Ok(false),
        other => Err(ApiError::invalid(
            "decision",
            format!("must be \"accept\" or \"return\", not {other:?}"),
        )),
    }
}

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

// ----- evidence: pages -----------------------------------------------------------------------

#[derive(Deserialize)]
struct Notice {
    done: Option<String>,
}

async fn evidence_page(
    State(app): State<App>,
    caller: MaybeCaller,
    Query(n): Query<Notice>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let educator = match own_educator(&app, &caller).await.map_err(ApiError::from) {
        Ok(e) => e,
        Err(e) => return Ok(error_page(&caller, "Evidence", &e, "/")),
    };
    let defs = app.definitions(&educator.org_id).await?;
    let (state, _) = app.educator_state(&educator.id).await?;
    let subs = app
        .store()
        .submissions_for_educator(&educator.id)
        .await
        .map_err(ApiError::from_store)?;
    let assessors = app
        .store()
        .users_with_role(&educator.org_id, Role::Assessor)
        .await
        .map_err(ApiError::from_store)?;
    let name_of = |id: &str| {
        defs.achievement(id)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    let mut rows = String::new();
    for s in subs.iter().rev() {
        rows.push_str(&format!(
            "<tr data-submission=\"{id}\" data-state=\"{code}\"><td>{ach}</td><td>{when}</td><td>{state}</td><td>{comment}</td></tr>",
            id = esc(&s.id),
            code = state_code(s.state),
            ach = esc(&name_of(&s.achievement_id)),
            when = esc(&date(s.created_ms)),
            state = state_word(s.state),
            comment = esc(s.decision_comment.as_deref().unwrap_or("")),
        ));
    }
    let waiting: Vec<&str> = subs
        .iter()
        .filter(|s| s.state == SubmissionState::Submitted)
        .map(|s| s.achievement_id.as_str())
        .collect();
    let mut options = String::new();
    for a in defs.achievements() {
        let held = state.holds(a.id.as_str());
        if held || waiting.contains(&a.id.as_str()) || !defs.is_earnable(a.id.as_str()) {
            continue;
        }
        options.push_str(&format!(
            "<option value=\"{}\">{}</option>",
            esc(a.id.as_str()),
            esc(&a.name)
        ));
    }
    let assessor_opts: String = assessors
        .iter()
        .map(|u| {
            format!(
                "<option value=\"{}\">{}</option>",
                esc(&u.id),
                esc(&u.display_name)
            )
        })
        .collect();
    let notice = match n.done {
        Some(id) if subs.iter().any(|s| s.id == id) => "<p class=\"card\" role=\"status\" id=\"notice\">Your evidence was submitted. Your assessor will accept it or return it with comments.</p>".to_owned(),
        _ => String::new(),
    };
    let form = if assessors.is_empty() {
        "<p class=\"card\">Your organization has no assessor or mentor yet, so evidence cannot be reviewed.</p>".to_owned()
    } else {
        format!(
            "<form method=\"post\" action=\"/evidence\">\
<label for=\"achievement\">Micro-credential</label><select id=\"achievement\" name=\"achievement\" required>{options}</select>\
<label for=\"narrative\">What you did and what it shows</label><textarea id=\"narrative\" name=\"narrative\" required maxlength=\"{MAX_NARRATIVE}\"></textarea>\
<label for=\"url\">Link to the artifact (optional)</label><input id=\"url\" name=\"url\" type=\"url\" size=\"60\" placeholder=\"https://\">\
<label for=\"assessor\">Assessor or mentor</label><select id=\"assessor\" name=\"assessor\" required>{assessor_opts}</select>\
<p><button type=\"submit\">Submit evidence</button></p></form>"
        )
    };
    let body = format!(
        "<h1>Evidence</h1>{notice}<p>Submit evidence for a micro-credential. When your assessor accepts it, the credential is issued to you at once.</p>\
<h2>Submit evidence</h2>{form}\
<h2>Your submissions</h2><table id=\"submissions\"><thead><tr><th>Micro-credential</th><th>Submitted</th><th>State</th><th>Assessor's comment</th></tr></thead><tbody>{rows}</tbody></table>"
    );
    Ok(page("Evidence", &caller, &body).into_response())
}

async fn evidence_form(
    State(app): State<App>,
    caller: MaybeCaller,
    Form(input): Form<SubmitInput>,
) -> Response {
    let Some(caller) = caller.0 else {
        return sign_in();
    };
    match submit_evidence(&app, &caller, input)
        .await
        .map_err(ApiError::from)
    {
        Ok(sub) => Redirect::to(&format!("/evidence?done={}", sub.id)).into_response(),
        Err(e) => error_page(&caller, "Evidence not submitted", &e, "/evidence"),
    }
}

async fn review_page(
    State(app): State<App>,
    caller: MaybeCaller,
    Query(n): Query<Notice>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let store = app.store();
    let subs = store
        .submissions_for_assessor(&caller.user.id)
        .await
        .map_err(ApiError::from_store)?;
    let mut open = String::new();
    let mut decided = String::new();
    for s in subs.iter().rev() {
        let defs = app.definitions(&s.org_id).await?;
        let ach = defs
            .achievement(&s.achievement_id)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| s.achievement_id.clone());
        let who = store
            .educator(&s.educator_id)
            .await
            .map(|e| e.display_name)
            .unwrap_or_default();
        if s.state == SubmissionState::Submitted {
            let criteria = defs
                .achievement(&s.achievement_id)
                .map(|a| a.criteria.clone())
                .unwrap_or_default();
            let link = s
                .document
                .get("url")
                .and_then(Value::as_str)
                .map(|u| {
                    format!(
                        "<p>Artifact: <a href=\"{u}\" rel=\"noopener noreferrer nofollow\">{u}</a></p>",
                        u = esc(u)
                    )
                })
                .unwrap_or_default();
            open.push_str(&format!(
                "<article class=\"card\" data-submission=\"{id}\"><h3>{who}: {ach}</h3><p class=\"muted\">Submitted {when}. Criteria: {criteria}</p>\
<blockquote>{narrative}</blockquote>{link}\
<form method=\"post\" action=\"/review/{id}\"><label for=\"comment-{id}\">Comment for the educator</label><textarea id=\"comment-{id}\" name=\"comment\" style=\"min-height:5rem\"></textarea>\
<p><button type=\"submit\" name=\"decision\" value=\"accept\">Accept and issue the credential</button> \
<button type=\"submit\" name=\"decision\" value=\"return\" style=\"background:#57606a\">Return with comments</button></p></form></article>",
                id = esc(&s.id),
                who = esc(&who),
                ach = esc(&ach),
                when = esc(&date(s.created_ms)),
                criteria = esc(&criteria),
                narrative = esc(s.document.get("narrative").and_then(Value::as_str).unwrap_or("")),
            ));
        } else {
            decided.push_str(&format!(
                "<tr data-submission=\"{}\" data-state=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&s.id),
                state_code(s.state),
                esc(&who),
                esc(&ach),
                state_word(s.state),
                esc(s.decision_comment.as_deref().unwrap_or(""))
            ));
        }
    }
    let notice = match n.done.and_then(|id| subs.iter().find(|s| s.id == id).cloned()) {
        Some(s) if s.state == SubmissionState::Accepted => {
            let cred = store
                .credentials_for_educator(&s.educator_id)
                .await
                .map_err(ApiError::from_store)?
                .into_iter()
                .find(|c| c.achievement_id == s.achievement_id);
            format!(
                "<p class=\"card\" role=\"status\" id=\"notice\">Accepted. {}</p>",
                cred.map(|c| format!(
                    "The credential was issued: <a href=\"/credentials/{id}\">{id}</a>.",
                    id = esc(&c.id)
                ))
                .unwrap_or_default()
            )
        }
        Some(_) => "<p class=\"card\" role=\"status\" id=\"notice\">Returned to the educator with your comments.</p>".to_owned(),
        None => String::new(),
    };
    if open.is_empty() {
        open =
            "<p class=\"muted\" id=\"nothing-open\">Nothing is waiting for your review.</p>".into();
    }
    let body = format!(
        "<h1>Review evidence</h1>{notice}<p>Submissions assigned to you. Accepting issues the credential to the educator.</p>\
<h2>Waiting for you</h2><section id=\"open\">{open}</section>\
<h2>Decided</h2><table id=\"decided\"><thead><tr><th>Educator</th><th>Micro-credential</th><th>Decision</th><th>Comment</th></tr></thead><tbody>{decided}</tbody></table>\
<p><a href=\"/endorse\">Endorse an educator</a></p>"
    );
    Ok(page("Review evidence", &caller, &body).into_response())
}

#[derive(Deserialize)]
struct DecisionForm {
    decision: String,
    #[serde(default)]
    comment: Option<String>,
}

async fn review_form(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let Some(caller) = caller.0 else {
        return sign_in();
    };
    let result = match parse_decision(&f.decision) {
        Ok(accept) => decide(&app, &caller, &id, accept, f.comment)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(d) => Redirect::to(&format!("/review?done={}", d.submission.id)).into_response(),
        Err(e) => error_page(&caller, "Decision not recorded", &e, "/review"),
    }
}

// ----- endorsements ----------------------------------------------------------------------------

async fn api_endorse(
    State(app): State<App>,
    caller: Caller,
    ApiJson(input): ApiJson<EndorseInput>,
) -> Result<Response, ApiError> {
    let signed = endorse(&app, &caller, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"verifiableCredential": signed})),
    )
        .into_response())
}

async fn endorse_page(State(app): State<App>, caller: MaybeCaller) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let org = match caller
        .org_with_role(&app, &[Role::Assessor, Role::OrgAdmin])
        .await
    {
        Ok(o) => o,
        Err(e) => return Ok(error_page(&caller, "Endorse", &e.into(), "/")),
    };
    let defs = app.definitions(&org).await?;
    let educators = app
        .store()
        .educators_in_org(&org)
        .await
        .map_err(ApiError::from_store)?;
    let ed_opts: String = educators
        .iter()
        .filter(|(id, _)| caller.user.educator_id.as_deref() != Some(id.as_str()))
        .map(|(id, name)| format!("<option value=\"{}\">{}</option>", esc(id), esc(name)))
        .collect();
    let comp_opts: String = defs
        .framework()
        .competencies
        .iter()
        .filter(|c| matches!(c.category, Category::Qualities | Category::AdaptiveSkills))
        .map(|c| {
            format!(
                "<option value=\"{}\">{} ({})</option>",
                esc(c.id.as_str()),
                esc(&c.name),
                if c.category == Category::Qualities {
                    "quality"
                } else {
                    "adaptive skill"
                }
            )
        })
        .collect();
    let role_opts: String = defs
        .roles()
        .iter()
        .map(|r| {
            format!(
                "<option value=\"{}\">{}</option>",
                esc(r.id.as_str()),
                esc(&r.name)
            )
        })
        .collect();
    let body = format!(
        "<h1>Endorse an educator</h1><p>Mentors endorse qualities and adaptive skills they have observed. Some roles ask for endorsements from a master mentor or a teacher-leader.</p>\
<form method=\"post\" action=\"/endorse\">\
<label for=\"educator\">Educator</label><select id=\"educator\" name=\"educator\" required>{ed_opts}</select>\
<label for=\"competency\">Competency</label><select id=\"competency\" name=\"competency\" required>{comp_opts}</select>\
<label for=\"endorser_role\">You endorse as</label><select id=\"endorser_role\" name=\"endorser_role\" required>{role_opts}</select>\
<label for=\"comment\">What you observed</label><textarea id=\"comment\" name=\"comment\" required style=\"min-height:5rem\"></textarea>\
<p><button type=\"submit\">Endorse</button></p></form>"
    );
    Ok(page("Endorse", &caller, &body).into_response())
}

async fn endorse_form(
    State(app): State<App>,
    caller: MaybeCaller,
    Form(input): Form<EndorseInput>,
) -> Response {
    let Some(caller) = caller.0 else {
        return sign_in();
    };
    match endorse(&app, &caller, input).await.map_err(ApiError::from) {
        Ok(signed) => page(
            "Endorsed",
            &caller,
            &format!(
                "<h1>Endorsement recorded</h1><p class=\"card\" role=\"status\" id=\"notice\">{}</p><p>The signed endorsement credential:</p><pre>{}</pre><p><a href=\"/endorse\">Endorse another</a></p>",
                esc(signed.pointer("/credentialSubject/endorsementComment").and_then(Value::as_str).unwrap_or("")),
                esc(&serde_json::to_string_pretty(&signed).unwrap_or_default())
            ),
        )
        .into_response(),
        Err(e) => error_page(&caller, "Endorsement not recorded", &e, "/endorse"),
    }
}

// ----- issuer admin --------------------------------------------------------------------------

async fn api_definitions_get(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    caller
        .require_any(&app, &org, &[Role::OrgAdmin, Role::Issuer])
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

async fn api_definitions_put(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(&app, &org, Role::OrgAdmin).await?;
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

async fn api_bulk_issue(
    State(app): State<App>,
    caller: Caller,
    ApiJson(body): ApiJson<BulkBody>,
) -> Result<Json<Value>, ApiError> {
    let results: Vec<Result<BulkIssued, ApiError>> =
        bulk::issue_rows(&app, &caller, body.suite.as_deref(), body.rows)
            .await?
            .into_iter()
            .map(|r| r.map_err(ApiError::from))
            .collect();
    let issued = results.iter().filter(|r| r.is_ok()).count();
    Ok(Json(json!({
        "issued": issued,
        "failed": results.len() - issued,
        "results": results.iter().enumerate().map(|(i, r)| row_result_json(i, r)).collect::<Vec<_>>(),
    })))
}

async fn api_clr(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(app.clr_for(&e, creds).await?))
}

#[derive(Deserialize)]
struct AdminQuery {
    notice: Option<String>,
}

async fn admin_page(
    State(app): State<App>,
    caller: MaybeCaller,
    Query(q): Query<AdminQuery>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let org = match caller
        .org_with_role(&app, &[Role::OrgAdmin, Role::Issuer])
        .await
    {
        Ok(o) => o,
        Err(e) => return Ok(error_page(&caller, "Issuer admin", &e.into(), "/")),
    };
    let store = app.store();
    let is_admin = store
        .has_role(&caller.user.id, &org, Role::OrgAdmin)
        .await
        .map_err(ApiError::from_store)?;
    let defs = app.definitions(&org).await?;
    let mut ach_rows = String::new();
    for a in defs.achievements() {
        let aligned: Vec<String> = a
            .alignments
            .iter()
            .filter_map(|c| defs.competency(c.as_str()).map(|c| esc(&c.name)))
            .collect();
        ach_rows.push_str(&format!(
            "<tr><td><code>{}</code></td><td><a href=\"/achievements/{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
            esc(a.id.as_str()),
            esc(a.id.as_str()),
            esc(&a.name),
            esc(&format!("{:?}", a.achievement_type)),
            aligned.join(", ")
        ));
    }
    let stack_rows: String = defs
        .stacks()
        .iter()
        .map(|s| {
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{} required, {} of {} electives</td><td>{}</td></tr>",
                esc(s.id.as_str()),
                esc(&s.name),
                s.required.len(),
                s.min_electives,
                s.electives.len(),
                esc(s.awards.as_ref().map(|a| a.as_str()).unwrap_or("—"))
            )
        })
        .collect();
    let role_rows: String = defs
        .roles()
        .iter()
        .map(|r| {
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(r.id.as_str()),
                esc(&r.name),
                r.transitions.len()
            )
        })
        .collect();
    let mut cred_rows = String::new();
    for c in store
        .credentials_for_org(&org, 50, 0)
        .await
        .map_err(ApiError::from_store)?
    {
        let status = c.status.as_str();
        let mut actions = String::new();
        if status == "active" {
            actions.push_str(&status_form(&c.id, "revoke", "Revoke"));
            if c.suspension.is_some() {
                actions.push_str(&status_form(&c.id, "suspend", "Suspend"));
            }
        } else if status == "suspended" {
            actions.push_str(&status_form(&c.id, "reinstate", "Reinstate"));
            actions.push_str(&status_form(&c.id, "revoke", "Revoke"));
        }
        cred_rows.push_str(&format!(
            "<tr data-credential=\"{id}\" data-status=\"{status}\"><td><a href=\"/credentials/{id}\">{short}</a></td><td>{ach}</td><td>{status}</td><td>{actions}</td></tr>",
            id = esc(&c.id),
            short = esc(c.id.get(9..17).unwrap_or(&c.id)),
            ach = esc(defs.achievement(&c.achievement_id).map(|a| a.name.as_str()).unwrap_or(&c.achievement_id)),
        ));
    }
    let keys: String = {
        let mut out = String::new();
        for i in store.issuers(&org).await.map_err(ApiError::from_store)? {
            for k in store
                .issuer_keys(&i.id)
                .await
                .map_err(ApiError::from_store)?
            {
                out.push_str(&format!(
                    "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                    esc(&i.name),
                    esc(&k.id),
                    if k.retired_ms.is_some() {
                        "retired (still verifies what it signed)"
                    } else {
                        "current"
                    }
                ));
            }
        }
        out
    };
    let notice = q
        .notice
        .map(|n| {
            format!(
                "<p class=\"card\" role=\"status\" id=\"notice\">{}</p>",
                esc(&n)
            )
        })
        .unwrap_or_default();
    let defs_json = serde_json::to_string_pretty(&defs.to_value()).unwrap_or_default();
    let edit = if is_admin {
        format!(
            "<h3>Import or edit</h3><form method=\"post\" action=\"/admin/definitions\" enctype=\"multipart/form-data\">\
<label for=\"definitions-file\">Upload a definitions JSON file</label><input id=\"definitions-file\" type=\"file\" name=\"file\" accept=\".json,application/json\">\
<label for=\"definitions\">…or edit them here</label><textarea id=\"definitions\" name=\"definitions\">{}</textarea>\
<p><button type=\"submit\">Validate and save a new version</button></p></form>",
            esc(&defs_json)
        )
    } else {
        "<p class=\"muted\">Only an organization admin can change definitions.</p>".to_owned()
    };
    let rotate = if is_admin {
        "<form method=\"post\" action=\"/admin/keys/rotate\"><button type=\"submit\">Rotate the signing key</button></form>"
    } else {
        ""
    };
    let body = format!(
        "<h1>Issuer admin</h1>{notice}\
<h2>Framework, micro-credentials, stacks and pathways</h2><p>{fw}: {nc} competencies, {na} achievements, {ns} stacks, {nr} roles. \
<a href=\"/api/v1/orgs/{org}/definitions\">Download JSON</a> · <a href=\"/api/v1/orgs/{org}/definitions?format=case\">Download the framework as CASE</a></p>\
<details><summary>Micro-credentials and certificates</summary><table><thead><tr><th>Id</th><th>Name</th><th>Type</th><th>Aligned to</th></tr></thead><tbody>{ach_rows}</tbody></table></details>\
<details><summary>Stacks</summary><table><thead><tr><th>Id</th><th>Name</th><th>Parts</th><th>Awards</th></tr></thead><tbody>{stack_rows}</tbody></table></details>\
<details><summary>Roles</summary><table><thead><tr><th>Id</th><th>Name</th><th>Transitions</th></tr></thead><tbody>{role_rows}</tbody></table></details>\
{edit}\
<h2>Bulk issue</h2><form method=\"post\" action=\"/admin/bulk\" enctype=\"multipart/form-data\">\
<label for=\"rows\">CSV with columns <code>achievement,recipient</code> (and optionally <code>valid_until</code>); recipient is an email or <code>educator:&lt;id&gt;</code></label><input id=\"rows\" type=\"file\" name=\"rows\" accept=\".csv,text/csv\" required>\
<label for=\"suite\">Proof suite</label><select id=\"suite\" name=\"suite\"><option>eddsa-jcs-2022</option><option>eddsa-rdfc-2022</option></select>\
<p><button type=\"submit\">Issue all</button></p></form>\
<h2>Recent credentials</h2><table id=\"credentials\"><thead><tr><th>Credential</th><th>Achievement</th><th>Status</th><th>Actions</th></tr></thead><tbody>{cred_rows}</tbody></table>\
<h2>Signing keys</h2><table><thead><tr><th>Issuer</th><th>Key</th><th>State</th></tr></thead><tbody>{keys}</tbody></table>{rotate}",
        fw = esc(&defs.framework().name),
        nc = defs.framework().competencies.len(),
        na = defs.achievements().len(),
        ns = defs.stacks().len(),
        nr = defs.roles().len(),
        org = esc(&org),
    );
    Ok(page("Issuer admin", &caller, &body).into_response())
}

/// Back to the admin page with a notice, or a page explaining the refusal.
fn admin_outcome(caller: &Caller, failure: &str, result: Result<String, ApiError>) -> Response {
    match result {
        Ok(msg) => Redirect::to(&format!(
            "/admin?notice={}",
            crate::web::urlencode_component(&msg)
        ))
        .into_response(),
        Err(e) => error_page(caller, failure, &e, "/admin"),
    }
}

fn status_form(id: &str, action: &str, label: &str) -> String {
    let reason = if action == "reinstate" {
        String::new()
    } else {
        format!(
            "<input name=\"reason\" aria-label=\"Reason to {label}\" placeholder=\"Reason\" required size=\"18\"> "
        )
    };
    format!(
        "<form method=\"post\" action=\"/admin/credentials/{id}/status\" style=\"display:inline-block;margin:.1rem\"><input type=\"hidden\" name=\"action\" value=\"{action}\">{reason}<button type=\"submit\">{label}</button></form>",
        id = esc(id),
    )
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
    admin_outcome(&caller, "Status not changed", result)
}

async fn admin_rotate_key(State(app): State<App>, caller: MaybeCaller) -> Response {
    let Some(caller) = caller.0 else {
        return sign_in();
    };
    let result: Result<String, ApiError> = async {
        let org = caller.org_with_role(&app, &[Role::OrgAdmin]).await?;
        let issuer = first_issuer(&app, &org).await?;
        let k = app.rotate_issuer_key(&issuer.id).await?;
        tracing::info!(issuer = %issuer.id, by = %caller.user.id, "key rotation requested");
        Ok(format!(
            "Key {} now signs for {}; earlier keys still verify what they signed.",
            k.id, issuer.name
        ))
    }
    .await;
    admin_outcome(&caller, "Key not rotated", result)
}

/// A multipart form's fields as (name, text).
async fn multipart_fields(mp: Multipart) -> Result<Vec<(String, String)>, ApiError> {
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
        let org = caller.org_with_role(&app, &[Role::OrgAdmin]).await?;
        let fields = multipart_fields(mp).await?;
        let (field, text) = fields
            .iter()
            .find(|(n, t)| n == "file" && !t.trim().is_empty())
            .or_else(|| fields.iter().find(|(n, _)| n == "definitions"))
            .ok_or_else(|| ApiError::invalid("definitions", "upload a file or paste the definitions"))?;
        let doc = pathledger_signing::parse_strict(text.as_bytes())
            .map_err(|e| ApiError::invalid(field.clone(), format!("is not valid JSON: {e}")))?;
        let defs = app.put_definitions(&org, &doc).await?;
        tracing::info!(org = %org, by = %caller.user.id, "definitions replaced from the admin page");
        Ok(format!(
            "Saved a new version: {} achievements, {} stacks, {} roles.",
            defs.achievements().len(),
            defs.stacks().len(),
            defs.roles().len()
        ))
    }
    .await;
    admin_outcome(&caller, "Definitions not saved", result)
}

async fn admin_bulk_start(State(app): State<App>, caller: MaybeCaller, mp: Multipart) -> Response {
    let Some(caller) = caller.0 else {
        return sign_in();
    };
    let result: Result<String, ApiError> = async {
        let fields = multipart_fields(mp).await?;
        let field = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.as_str())
        };
        Ok(bulk::start_job(&app, &caller, field("suite"), field("rows").unwrap_or("")).await?)
    }
    .await;
    match result {
        Ok(id) => Redirect::to(&format!("/admin/bulk/{id}")).into_response(),
        Err(e) => error_page(&caller, "Bulk issue not started", &e, "/admin"),
    }
}

async fn admin_bulk_status(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let j = bulk::job(&app, &caller, &id).await?;
    let (body, refresh) = {
        if !j.finished {
            (
                format!(
                    "<h1>Bulk issue</h1><p>Issuing… {done} of {total}.</p><progress id=\"progress\" max=\"{total}\" value=\"{done}\">{done} of {total}</progress><p class=\"muted\">This page refreshes itself.</p>",
                    done = j.done,
                    total = j.total
                ),
                true,
            )
        } else if let Some(e) = &j.error {
            (
                format!("<h1>Bulk issue</h1><p role=\"alert\" id=\"error\">The run stopped: {}</p><p>Rows issued before it stopped are kept; run the same file again with idempotency keys to finish.</p>", esc(e)),
                false,
            )
        } else {
            let ok = j.rows.iter().filter(|r| r.3.is_ok()).count();
            let rows: String = j
                .rows
                .iter()
                .map(|(line, who, ach, r)| match r {
                    Ok(cid) => format!(
                        "<tr data-ok=\"true\"><td>{line}</td><td>{}</td><td>{}</td><td>✔ <a href=\"/credentials/{c}\">issued</a></td></tr>",
                        esc(who),
                        esc(ach),
                        c = esc(cid)
                    ),
                    Err(e) => format!(
                        "<tr data-ok=\"false\"><td>{line}</td><td>{}</td><td>{}</td><td>✖ {}</td></tr>",
                        esc(who),
                        esc(ach),
                        esc(e)
                    ),
                })
                .collect();
            (
                format!(
                    "<h1>Bulk issue</h1><progress id=\"progress\" max=\"{t}\" value=\"{t}\">done</progress><p id=\"summary\">{ok} issued, {bad} not issued.</p>\
<table id=\"bulk-results\"><thead><tr><th>Line</th><th>Recipient</th><th>Achievement</th><th>Result</th></tr></thead><tbody>{rows}</tbody></table><p><a href=\"/admin\">Back to admin</a></p>",
                    t = j.total,
                    bad = j.rows.len() - ok
                ),
                false,
            )
        }
    };
    let mut resp = page("Bulk issue", &caller, &body).into_response();
    if refresh {
        resp.headers_mut()
            .insert(header::REFRESH, header::HeaderValue::from_static("1"));
    }
    Ok(resp)
}
