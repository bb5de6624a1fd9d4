//! Web page routes: server-rendered HTML, forms that work without JavaScript.

use axum::extract::{Extension, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::Markup;
use pathledger_badges::VerificationReport;
use serde::Deserialize;
use serde_json::Value;

use crate::app::bulk::{self, MAX_ROSTER_ROWS};
use crate::app::{App, AppError};
use crate::auth::{session_cookie, session_cookie_name, session_set_cookie, MaybeCaller};
use crate::error::ApiError;
use crate::pages::bulk_verify::{bulk_verify_page, Outcome};
use crate::pages::log::Lookup;
use crate::pages::{self, layout};
use crate::stream;
use crate::throttle::{retry_after_secs, ClientKey, SignInThrottle};

/// Page routes (listed in [`crate::PAGE_ROUTES`]).
pub fn pages() -> Router<App> {
    Router::new()
        .route("/", get(home))
        .route("/assets/style.css", get(style))
        .route("/docs", get(docs))
        .route("/verify", get(verify_form).post(verify_submit))
        .route("/verify/bulk", get(bulk_form).post(bulk_submit))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/log", get(log_page))
        .route("/credentials/{id}", get(credential_page))
        .route("/orgs/{org}/competencies/{id}", get(competency))
        .route("/orgs/{org}/achievements/{id}", get(achievement))
        .route("/orgs/{org}/roles/{id}", get(role))
        .route("/competencies/{id}", get(legacy_competency))
        .route("/achievements/{id}", get(legacy_achievement))
        .route("/communities", get(crate::communities::communities))
        .route("/communities/{role}", get(crate::communities::community))
}

pub(crate) fn page(title: &str, caller: &MaybeCaller, body: Markup) -> Html<String> {
    Html(
        crate::pages::layout_with_menu(
            title,
            caller.0.as_ref().map(|c| c.user.display_name.as_str()),
            caller.form_token(),
            caller.0.as_ref().map(|c| c.menu).unwrap_or_default(),
            body,
        )
        .into_string(),
    )
}

/// [`page`] with the page's own stylesheet after the site's.
pub(crate) fn page_with_stylesheet(
    title: &str,
    caller: &MaybeCaller,
    stylesheet: &str,
    body: Markup,
) -> Html<String> {
    Html(
        crate::pages::layout_with_stylesheet(
            title,
            caller.0.as_ref().map(|c| c.user.display_name.as_str()),
            caller.form_token(),
            caller.0.as_ref().map(|c| c.menu).unwrap_or_default(),
            Some(stylesheet),
            body,
        )
        .into_string(),
    )
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        pages::STYLE_CSS,
    )
        .into_response()
}

async fn home(State(app): State<App>, caller: MaybeCaller) -> Html<String> {
    // The roles of the first organization that defines some (the deployment's main one).
    let mut roles = Vec::new();
    if let Ok(orgs) = app.store().organizations().await {
        for org in orgs {
            let Ok(defs) = app.definitions(&org.id).await else {
                continue;
            };
            if defs.roles().is_empty() {
                continue;
            }
            roles = defs
                .roles()
                .iter()
                .map(|r| pages::home::RoleLink {
                    org: org.id.to_string(),
                    org_name: org.name.clone(),
                    id: r.id.as_str().to_owned(),
                    name: r.name.clone(),
                    description: r.description.clone(),
                })
                .collect();
            break;
        }
    }
    page(
        "Home",
        &caller,
        pages::home::home_page(&roles, caller.0.is_some()),
    )
}

async fn role(
    State(app): State<App>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path((org, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found(format!("role {id} was not found."));
    let defs = org_definitions(&app, &org, not_found).await?;
    let r = defs.role(&id).ok_or_else(not_found)?;
    if wants_json(&headers) {
        return Ok(axum::Json(serde_json::to_value(r).unwrap_or(Value::Null)).into_response());
    }
    let images = app.org_images(&org).await?;
    let award_image = r.awards.as_ref().and_then(|a| {
        let subject = pathledger_store::ImageSubject::Achievement(a.as_str().to_owned());
        images
            .hosted(&subject)
            .then(|| images.url(&subject))
            .flatten()
    });
    let body = pages::definitions::role_page(&defs, &org, r, award_image.as_deref());
    Ok(page(&r.name, &caller, body).into_response())
}

async fn docs(caller: MaybeCaller) -> Html<String> {
    page(
        "API",
        &caller,
        pages::docs::docs_page(&crate::openapi::document()),
    )
}

#[derive(Deserialize)]
struct VerifyQuery {
    /// Open by link: a credential id of ours (`/verify?id=urn:uuid:…`), as in a QR code.
    id: Option<String>,
}

async fn verify_form(
    State(app): State<App>,
    caller: MaybeCaller,
    Query(q): Query<VerifyQuery>,
) -> Result<Html<String>, ApiError> {
    if let Some(id) = q.id {
        let rec = app
            .store()
            .credential(&id)
            .await
            .map_err(ApiError::from_store)?;
        let doc: Value = serde_json::from_str(&rec.document).map_err(|_| ApiError::internal())?;
        let report = app.verify(&doc).await;
        let body =
            credential_result_page(&app, &caller, &id, &report, Some(&doc), id.clone(), None).await;
        return Ok(page("Verify", &caller, body));
    }
    Ok(page(
        "Verify",
        &caller,
        pages::verify::verify_page("", None, caller.form_token()),
    ))
}

/// The verify page with a credential's report: what and whose, when and why it was revoked
/// or suspended (ours), the holder's email check when `email` was typed, the checks.
async fn credential_result_page(
    app: &App,
    caller: &MaybeCaller,
    prefill: &str,
    report: &VerificationReport,
    doc: Option<&Value>,
    reference: String,
    email: Option<&str>,
) -> Markup {
    let status_change = match (doc, report.verdict) {
        (Some(d), pathledger_badges::Verdict::Revoked | pathledger_badges::Verdict::Suspended) => {
            app.status_change_of(d).await
        }
        _ => None,
    };
    let email = match (email.map(str::trim).filter(|e| !e.is_empty()), doc) {
        (Some(typed), Some(d)) => Some(pages::verify::EmailCheck {
            typed,
            outcome: match pathledger_core::Email::parse(typed) {
                Ok(_) => Ok(pathledger_app::holder::holder_email(d, typed)),
                Err(_) => Err("This is not an email address: check it and try again.".to_owned()),
            },
        }),
        _ => None,
    };
    let viewer = caller.0.as_ref().map(|c| &c.actor);
    let holder = match doc {
        Some(d) => app.holder_name(viewer, d).await,
        None => None,
    };
    pages::verify::verify_page(
        prefill,
        Some(pages::verify::VerifyResult::Credential(
            pages::verify::CredentialResult {
                report,
                doc,
                status_change: status_change.as_ref(),
                holder: holder.as_deref(),
                reference,
                email,
            },
        )),
        caller.form_token(),
    )
}

/// Reads every text field and file of a multipart form as (name, file name, text).
pub(crate) async fn read_multipart(
    mp: Multipart,
) -> Result<Vec<(String, Option<String>, String)>, ApiError> {
    read_multipart_bytes(mp)
        .await?
        .into_iter()
        .map(|(name, file, bytes)| match String::from_utf8(bytes) {
            Ok(text) => Ok((name, file, text)),
            Err(_) => Err(ApiError::invalid(name, "is not UTF-8 text")),
        })
        .collect()
}

/// Reads every field and file of a multipart form as (name, file name, bytes): badge images
/// are binary.
pub(crate) async fn read_multipart_bytes(
    mut mp: Multipart,
) -> Result<Vec<(String, Option<String>, Vec<u8>)>, ApiError> {
    let mut out = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(form_error)? {
        let name = field.name().unwrap_or("").to_owned();
        let file = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(form_error)?;
        out.push((name, file, bytes.to_vec()));
    }
    Ok(out)
}

async fn verify_submit(
    State(app): State<App>,
    caller: MaybeCaller,
    mp: Multipart,
) -> Result<Html<String>, ApiError> {
    let fields = read_multipart_bytes(mp).await?;
    let input = fields
        .iter()
        .find(|(n, _, b)| n == "file" && !b.trim_ascii().is_empty())
        .or_else(|| fields.iter().find(|(n, _, _)| n == "credential"))
        .map(|(_, _, b)| b.clone())
        .unwrap_or_default();
    let email = fields
        .iter()
        .find(|(n, _, _)| n == "email")
        .and_then(|(_, _, b)| String::from_utf8(b.clone()).ok());
    // What goes back into the text box: the text that was sent (not an image's bytes).
    let text = String::from_utf8(input.clone())
        .ok()
        .filter(|t| !t.starts_with('<'))
        .unwrap_or_default();
    let doc = match pathledger_badges::read_input(&input) {
        Err(e) => {
            let report = VerificationReport::malformed(format!("This is not a credential: {e}."));
            let body =
                credential_result_page(&app, &caller, &text, &report, None, String::new(), None)
                    .await;
            return Ok(page("Verify", &caller, body));
        }
        Ok(doc) => doc,
    };
    // A presentation pasted here answers no challenge of ours: its holder's proof is checked
    // if present, and each credential it carries is verified.
    if pathledger_badges::is_presentation(&doc) {
        let p = app.verify_presentation(doc, None, None, false).await;
        return Ok(page(
            "Verify",
            &caller,
            pages::verify::verify_page(
                &text,
                Some(pages::verify::VerifyResult::Presentation(&p)),
                caller.form_token(),
            ),
        ));
    }
    let report = app.verify(&doc).await;
    // A link to or the id of a credential issued here shows that credential's what and whose.
    let shown = if doc.is_object() {
        Some(doc.clone())
    } else {
        app.own_credential_reference(&doc).await
    };
    // The email form sends back what was verified: the text, or an uploaded file's credential.
    let reference = if text.trim().is_empty() {
        serde_json::to_string(&doc).unwrap_or_default()
    } else {
        text.clone()
    };
    let body = credential_result_page(
        &app,
        &caller,
        &text,
        &report,
        shown.as_ref(),
        reference,
        email.as_deref(),
    )
    .await;
    Ok(page("Verify", &caller, body))
}

async fn bulk_form(caller: MaybeCaller) -> Html<String> {
    page(
        "Bulk verify",
        &caller,
        bulk_verify_page(Outcome::Form, caller.form_token()),
    )
}

/// Neutralizes spreadsheet formulas in exported cells (`=cmd…` becomes `'=cmd…`).
pub fn csv_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// Verifies a roster (CSV with `name,credential` columns) and/or credential files, at most
/// [`MAX_ROSTER_ROWS`] rows together (counted while reading; the next row refuses the upload),
/// answering a page whose rows are streamed as they are verified.
async fn bulk_submit(
    State(app): State<App>,
    caller: MaybeCaller,
    mp: Multipart,
) -> Result<Response, ApiError> {
    let fields = read_multipart_bytes(mp).await?;
    let mut rows: Vec<stream::Row> = Vec::new();
    for (name, file, bytes) in fields {
        if bytes.trim_ascii().is_empty() {
            continue;
        }
        if name == "roster" {
            let text = String::from_utf8(bytes)
                .map_err(|_| ApiError::invalid("roster", "is not UTF-8 text"))?;
            read_roster(&text, &mut rows)?;
        } else if name == "files" {
            if rows.len() >= MAX_ROSTER_ROWS {
                return Err(bulk::too_many_rows("files").into());
            }
            rows.push(stream::Row {
                name: String::new(),
                label: file.unwrap_or_else(|| "file".into()),
                source: stream::Source::File(bytes),
            });
        }
    }
    if rows.is_empty() {
        return Ok(page(
            "Bulk verify",
            &caller,
            bulk_verify_page(Outcome::Nothing, caller.form_token()),
        )
        .into_response());
    }
    let frame = page(
        "Bulk verify",
        &caller,
        bulk_verify_page(Outcome::Streaming(rows.len()), caller.form_token()),
    );
    let viewer = caller.0.as_ref().map(|c| c.actor.clone());
    Ok(stream::bulk_page(app, frame.0, rows, viewer))
}

/// Adds a CSV roster's rows to `rows`, refusing it at its header or at the row past the cap.
fn read_roster(text: &str, rows: &mut Vec<stream::Row>) -> Result<(), ApiError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = rdr.headers().cloned().unwrap_or_default();
    let col = |want: &[&str]| {
        headers
            .iter()
            .position(|h| want.contains(&h.trim().to_ascii_lowercase().as_str()))
    };
    let (Some(ni), Some(ci)) = (
        col(&["name", "educator"]),
        col(&["credential", "link", "url", "json"]),
    ) else {
        return Err(ApiError::invalid(
            "roster",
            "the CSV needs a header row with columns name,credential",
        ));
    };
    for (i, rec) in rdr.records().enumerate() {
        if rows.len() >= MAX_ROSTER_ROWS {
            return Err(bulk::too_many_rows("roster").into());
        }
        let label = format!("line {}", i + 2);
        rows.push(match rec {
            Ok(r) => stream::Row {
                name: r.get(ni).unwrap_or("").to_owned(),
                label,
                source: stream::Source::Reference(r.get(ci).unwrap_or("").to_owned()),
            },
            Err(e) => stream::Row {
                name: String::new(),
                label,
                source: stream::Source::Unreadable(format!("Unreadable CSV row: {e}.")),
            },
        });
    }
    Ok(())
}

#[derive(Deserialize)]
pub(crate) struct OrgQuery {
    pub(crate) org: Option<String>,
    pub(crate) target: Option<String>,
}

/// The organization a page is about: the query's, the signed-in educator's, or the first one.
pub(crate) async fn page_org(
    app: &App,
    caller: &MaybeCaller,
    q: Option<&str>,
) -> Result<String, ApiError> {
    if let Some(o) = q {
        return Ok(o.to_owned());
    }
    if let Some(link) = caller.0.as_ref().and_then(|c| c.user.educators.first()) {
        return Ok(link.org_id.to_string());
    }
    let orgs = app
        .store()
        .organizations()
        .await
        .map_err(ApiError::from_store)?;
    orgs.into_iter()
        .find(|o| o.parent_id.is_none())
        .map(|o| o.id.into_string())
        .ok_or_else(|| ApiError::not_found("No organization is set up yet."))
}

async fn login_form(State(app): State<App>, caller: MaybeCaller) -> Html<String> {
    let choices = pages::oidc::sign_in_choices(&app).await;
    page(
        "Sign in",
        &caller,
        pages::login::login_page(caller.form_token(), pages::oidc::oidc_buttons(&choices)),
    )
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

/// The sign-in page's answer to a locked-out address: 429 with `Retry-After`, as a page.
fn sign_in_throttled(retry_after: std::time::Duration) -> Response {
    let secs = retry_after_secs(retry_after);
    let body = layout("Sign in", None, None, pages::login::login_throttled(secs));
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, secs.to_string())],
        Html(body.into_string()),
    )
        .into_response()
}

/// Signs in with an API token. Failures count against the client's address
/// ([`crate::throttle`]); a locked-out address is answered 429 whatever it sends.
async fn login_submit(
    State(app): State<App>,
    Extension(throttle): Extension<SignInThrottle>,
    client: ClientKey,
    axum::Form(f): axum::Form<LoginForm>,
) -> Result<Response, ApiError> {
    if let Some(d) = throttle.locked_for(client) {
        tracing::warn!(client = %client, "sign-in refused: too many failures from this address");
        return Ok(sign_in_throttled(d));
    }
    let Some(user) = app
        .store()
        .authenticate_token(f.token.trim())
        .await
        .map_err(ApiError::from_store)?
    else {
        tracing::warn!(client = %client, "failed sign-in");
        throttle.failed(client);
        let body = layout("Sign in", None, None, pages::login::login_refused());
        return Ok((StatusCode::UNAUTHORIZED, Html(body.into_string())).into_response());
    };
    crate::auth::start_session(&app, &user).await
}

async fn logout(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Some(secret) = session_cookie(&headers, session_cookie_name(&app)) {
        let _ = app.store().delete_session(&secret).await;
    }
    let cookie = session_set_cookie(&app, None);
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

#[derive(Deserialize)]
struct LogQuery {
    credential: Option<String>,
}

async fn log_page(
    State(app): State<App>,
    caller: MaybeCaller,
    Query(q): Query<LogQuery>,
) -> Result<Html<String>, ApiError> {
    let (head, checkpoint) = match app.checkpoint().await? {
        Some(found) => found,
        None => {
            let head = app
                .store()
                .sign_tree_head()
                .await
                .map_err(ApiError::from_store)?;
            let note = app.checkpoint_of(&head).await?;
            (head, note)
        }
    };
    let vkey = app.log_verifier()?.to_vkey();
    let witnesses = app.witnesses();
    let witnessed_by = checkpoint
        .verify(&witnesses)
        .map(|signed| signed.iter().map(|(w, _)| w.name().to_owned()).collect())
        .unwrap_or_default();
    let view = pages::log::HeadView {
        head: &head,
        checkpoint: &checkpoint,
        vkey: &vkey,
        witnessed_by,
    };
    let asked = q.credential.as_deref().unwrap_or("");
    let mut found = None;
    if let Some(id) = q.credential.as_deref().filter(|s| !s.trim().is_empty()) {
        found = Some(app.store().credential_inclusion(id.trim()).await.map(|b| {
            let ok = pathledger_log::verify_inclusion(
                b.entry.index,
                b.tree_head.tree_size,
                &b.entry.leaf_hash,
                &b.proof,
                &b.tree_head.root_hash,
            )
            .is_ok();
            (b, ok)
        }));
    }
    let lookup = found.as_ref().map(|r| match r {
        Ok((b, ok)) => Lookup::Found(b, *ok),
        Err(e) => Lookup::Failed(e.to_string()),
    });
    Ok(page(
        "Transparency log",
        &caller,
        pages::log::log_page(&view, asked, lookup),
    ))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("json") && !a.contains("text/html"))
}

async fn credential_page(
    State(app): State<App>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (rec, doc) = public_credential(&app, &id).await?;
    if wants_json(&headers) {
        return Ok((
            [(header::CONTENT_TYPE, "application/vc+ld+json")],
            rec.document,
        )
            .into_response());
    }
    let report = app.verify(&doc).await;
    // The verify link of this credential, also as a QR code (the verify page opens it by id).
    let verify_link = format!(
        "{}/verify?id={}",
        app.public_url(),
        urlencode_component(&id)
    );
    let share_url = format!("{}/credentials/{id}", app.public_url());
    let viewer_is_holder = caller.0.as_ref().is_some_and(|c| {
        rec.educator_id
            .as_deref()
            .is_some_and(|e| c.user.is_educator(e))
    });
    let body = pages::credential::credential_page(
        &id,
        &doc,
        &report,
        &verify_link,
        &share_url,
        app.public_url(),
        viewer_is_holder,
    );
    let title = pages::credential::Shown::of(&doc).achievement;
    Ok(page(&title, &caller, body).into_response())
}

/// A credential of ours as its public page (and its certificate) may show it: the record and
/// the parsed document; not found for an unknown or erased id.
pub(crate) async fn public_credential(
    app: &App,
    id: &str,
) -> Result<(pathledger_store::CredentialRecord, Value), ApiError> {
    let rec = app
        .store()
        .credential(id)
        .await
        .map_err(ApiError::from_store)?;
    let doc: Value = serde_json::from_str(&rec.document).map_err(|_| ApiError::internal())?;
    Ok((rec, doc))
}

/// The definitions of the first organization that defines something `has` accepts.
/// The organizations whose definitions have `has` (for the unscoped legacy URLs).
async fn orgs_defining(
    app: &App,
    has: impl Fn(&pathledger_core::Definitions) -> bool,
) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for org in app
        .store()
        .organizations()
        .await
        .map_err(ApiError::from_store)?
    {
        if let Ok(defs) = app.definitions(&org.id).await {
            if has(&defs) {
                out.push(org.id.into_string());
            }
        }
    }
    Ok(out)
}

/// An unscoped definition URL (credentials issued before definition ids were scoped per
/// organization name `/achievements/{id}`): a permanent redirect to the one organization
/// defining it, or 404 when none does or several do (the id alone does not say which).
async fn legacy_definition(
    app: &App,
    what: &str,
    id: &str,
    has: impl Fn(&pathledger_core::Definitions) -> bool,
    url: impl Fn(&str) -> String,
) -> Result<Response, ApiError> {
    match orgs_defining(app, has).await?.as_slice() {
        [org] => Ok(Redirect::permanent(&url(org)).into_response()),
        [] => Err(ApiError::not_found(format!("{what} {id} was not found."))),
        several => Err(ApiError::not_found(format!(
            "{what} {id} is defined by {} organizations; use /orgs/{{org}}/{what}s/{id}.",
            several.len()
        ))),
    }
}

async fn legacy_competency(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    legacy_definition(
        &app,
        "competency",
        &id,
        |d| d.competency(&id).is_some(),
        |org| format!("/orgs/{org}/competencies/{id}"),
    )
    .await
}

async fn legacy_achievement(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    legacy_definition(
        &app,
        "achievement",
        &id,
        |d| d.achievement(&id).is_some(),
        |org| format!("/orgs/{org}/achievements/{id}"),
    )
    .await
}

/// An organization's definitions for a public page, or 404 naming what was asked.
async fn org_definitions(
    app: &App,
    org: &str,
    not_found: impl Fn() -> ApiError,
) -> Result<std::sync::Arc<pathledger_core::Definitions>, ApiError> {
    match app.definitions(org).await {
        Ok(d) => Ok(d),
        Err(AppError::NotFound(_)) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

async fn competency(
    State(app): State<App>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path((org, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found(format!("competency {id} was not found."));
    let defs = org_definitions(&app, &org, not_found).await?;
    let c = defs.competency(&id).ok_or_else(not_found)?;
    if wants_json(&headers) {
        return Ok(axum::Json(serde_json::to_value(c).unwrap_or(Value::Null)).into_response());
    }
    let body = pages::definitions::competency_page(c, &defs.framework().name);
    Ok(page(&c.name, &caller, body).into_response())
}

async fn achievement(
    State(app): State<App>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path((org, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found(format!("achievement {id} was not found."));
    let defs = org_definitions(&app, &org, not_found).await?;
    let a = defs.achievement(&id).ok_or_else(not_found)?;
    let images = app.org_images(&org).await?;
    let subject = pathledger_store::ImageSubject::Achievement(id.clone());
    let url = images.url(&subject);
    if wants_json(&headers) {
        let mut v = serde_json::to_value(a).unwrap_or(Value::Null);
        if let (Some(u), Value::Object(o)) = (&url, &mut v) {
            o.insert(
                "image".into(),
                serde_json::json!({"id": u, "type": "Image"}),
            );
        }
        return Ok(axum::Json(v).into_response());
    }
    let (own, elsewhere) = if images.hosted(&subject) {
        (url.as_deref(), None)
    } else {
        (None, url.as_deref())
    };
    Ok(page(
        &a.name,
        &caller,
        pages::definitions::achievement_page(a, own, elsewhere),
    )
    .into_response())
}

/// A multipart failure: the body limit's refusal stays a 413 (a chunked upload has no
/// Content-Length for the limit layer to check up front); anything else is a bad form.
fn form_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    let mut over_limit = e.status() == StatusCode::PAYLOAD_TOO_LARGE;
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        over_limit |= s.is::<http_body_util::LengthLimitError>();
        source = s.source();
    }
    if over_limit {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The upload is too large (the limit is 8 MiB).",
        )
    } else {
        ApiError::bad_request("bad_form", format!("The form could not be read: {e}"))
    }
}

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters pass through).
pub(crate) fn urlencode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
