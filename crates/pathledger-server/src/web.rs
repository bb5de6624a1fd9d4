//! Web page routes: server-rendered HTML, forms that work without JavaScript.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use pathledger_core::PlanOptions;
use serde::Deserialize;
use serde_json::Value;

use crate::app::App;
use crate::auth::{MaybeCaller, SESSION_COOKIE};
use crate::error::ApiError;
use crate::pages::{self, esc, layout, pathways, verify};

/// Page routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(home))
        .route("/assets/style.css", get(style))
        .route("/docs", get(docs))
        .route("/verify", get(verify_form).post(verify_submit))
        .route("/verify/bulk", get(bulk_form).post(bulk_submit))
        .route("/pathways", get(pathway_map))
        .route("/dashboard", get(dashboard))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/log", get(log_page))
        .route("/credentials/{id}", get(credential_page))
        .route("/competencies/{id}", get(competency))
        .route("/achievements/{id}", get(achievement))
        .route("/issuers/{id}", get(issuer_profile))
        .route("/communities", get(communities))
        .route("/communities/{role}", get(community))
}

fn page(title: &str, caller: &MaybeCaller, body: &str) -> Html<String> {
    Html(layout(
        title,
        caller.0.as_ref().map(|c| c.user.display_name.as_str()),
        body,
    ))
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

async fn home(caller: MaybeCaller) -> Html<String> {
    page(
        "Home",
        &caller,
        "<h1>Pathledger</h1><p>Competency frameworks, stackable micro-credentials and career pathways for educators, \
issued as signed Open Badges 3.0 credentials and recorded in a tamper-evident transparency log.</p>\
<div class=\"grid\"><a class=\"card\" href=\"/pathways\"><strong>Pathway map</strong><br>See every role and how to reach it.</a>\
<a class=\"card\" href=\"/dashboard\"><strong>My dashboard</strong><br>Your credentials, progress and plan.</a>\
<a class=\"card\" href=\"/verify\"><strong>Verify a credential</strong><br>Paste, upload or open a link.</a>\
<a class=\"card\" href=\"/verify/bulk\"><strong>District bulk verify</strong><br>A whole roster at once.</a></div>",
    )
}

async fn docs(caller: MaybeCaller) -> Html<String> {
    let doc = crate::openapi::document();
    let mut rows = String::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, ops) in paths {
            if let Some(ops) = ops.as_object() {
                for (method, op) in ops {
                    rows.push_str(&format!(
                        "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                        esc(&method.to_uppercase()),
                        esc(path),
                        esc(op.get("summary").and_then(Value::as_str).unwrap_or("")),
                        if op.get("security").is_some() { "token" } else { "public" }
                    ));
                }
            }
        }
    }
    page(
        "API",
        &caller,
        &format!("<h1>API</h1><p>The machine-readable description is at <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3.1). Errors are <code>application/problem+json</code>.</p><table><thead><tr><th>Method</th><th>Path</th><th>What it does</th><th>Access</th></tr></thead><tbody>{rows}</tbody></table>"),
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
        let report = app.verify(&doc).await.to_json();
        return Ok(page(
            "Verify",
            &caller,
            &verify::verify_page(&rec.document, Some(&report)),
        ));
    }
    Ok(page("Verify", &caller, &verify::verify_page("", None)))
}

/// Reads every text field and file of a multipart form as (name, file name, text).
pub(crate) async fn read_multipart(
    mut mp: Multipart,
) -> Result<Vec<(String, Option<String>, String)>, ApiError> {
    let mut out = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(form_error)? {
        let name = field.name().unwrap_or("").to_owned();
        let file = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(form_error)?;
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| ApiError::invalid(name.clone(), "is not UTF-8 text"))?;
        out.push((name, file, text));
    }
    Ok(out)
}

async fn verify_submit(
    State(app): State<App>,
    caller: MaybeCaller,
    mp: Multipart,
) -> Result<Html<String>, ApiError> {
    let fields = read_multipart(mp).await?;
    let text = fields
        .iter()
        .find(|(n, _, t)| n == "file" && !t.trim().is_empty())
        .or_else(|| fields.iter().find(|(n, _, _)| n == "credential"))
        .map(|(_, _, t)| t.clone())
        .unwrap_or_default();
    let report = match pathledger_signing::parse_strict(text.as_bytes()) {
        Ok(doc) => app.verify(&doc).await.to_json(),
        Err(e) => malformed_report(&format!("This is not valid JSON: {e}.")),
    };
    Ok(page(
        "Verify",
        &caller,
        &verify::verify_page(&text, Some(&report)),
    ))
}

fn malformed_report(message: &str) -> Value {
    serde_json::json!({"verdict": "malformed", "message": message, "checks": [
        {"check": "well_formed", "status": "failed", "code": "PARSING_ERROR", "message": message}]})
}

async fn bulk_form(caller: MaybeCaller) -> Html<String> {
    page("Bulk verify", &caller, &bulk_page(None))
}

fn bulk_page(result: Option<&str>) -> String {
    format!(
        "<h1>District bulk verify</h1><p>Upload a CSV roster with columns <code>name,credential</code> (a link to a credential issued here, or the credential JSON), \
or several credential JSON files. Every row gets its own verdict; a problem in one row never hides the others.</p>{}\
<form method=\"post\" action=\"/verify/bulk\" enctype=\"multipart/form-data\">\
<label for=\"roster\">CSV roster</label><input id=\"roster\" type=\"file\" name=\"roster\" accept=\".csv,text/csv\">\
<label for=\"files\">…or credential files</label><input id=\"files\" type=\"file\" name=\"files\" multiple accept=\".json,application/json\">\
<p><button type=\"submit\">Verify all</button></p></form>",
        result.unwrap_or("")
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

/// One roster row: who, which credential, and the parsed credential or why it could not be read.
struct Row {
    name: String,
    label: String,
    doc: Result<Value, String>,
}

async fn resolve_credential_ref(app: &App, s: &str) -> Result<Value, String> {
    let s = s.trim();
    if s.starts_with('{') {
        return pathledger_signing::parse_strict(s.as_bytes())
            .map_err(|e| format!("The credential is not valid JSON: {e}."));
    }
    // A link: only credentials issued here are looked up; nothing else is fetched (no outbound requests).
    let id = s
        .rsplit("/credentials/")
        .next()
        .filter(|_| s.contains("/credentials/"))
        .map(|id| id.split(['?', '#']).next().unwrap_or(id))
        .or_else(|| s.starts_with("urn:uuid:").then_some(s));
    let Some(id) = id else {
        return Err("Not a credential link or credential JSON.".into());
    };
    match app.store().credential(id).await {
        Ok(rec) => serde_json::from_str(&rec.document)
            .map_err(|_| "The stored credential could not be read.".to_string()),
        Err(_) => Err(
            "No credential with this link was found here; links to other sites are not fetched."
                .into(),
        ),
    }
}

async fn bulk_submit(
    State(app): State<App>,
    caller: MaybeCaller,
    mp: Multipart,
) -> Result<Html<String>, ApiError> {
    let fields = read_multipart(mp).await?;
    let mut rows: Vec<Row> = Vec::new();
    for (name, file, text) in &fields {
        if text.trim().is_empty() {
            continue;
        }
        if name == "roster" {
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
                let line = i + 2;
                match rec {
                    Ok(r) => {
                        let name = r.get(ni).unwrap_or("").to_owned();
                        let cref = r.get(ci).unwrap_or("").to_owned();
                        let doc = resolve_credential_ref(&app, &cref).await;
                        rows.push(Row {
                            name,
                            label: format!("line {line}"),
                            doc,
                        });
                    }
                    Err(e) => rows.push(Row {
                        name: String::new(),
                        label: format!("line {line}"),
                        doc: Err(format!("Unreadable CSV row: {e}.")),
                    }),
                }
            }
        } else if name == "files" {
            rows.push(Row {
                name: String::new(),
                label: file.clone().unwrap_or_else(|| "file".into()),
                doc: pathledger_signing::parse_strict(text.as_bytes())
                    .map_err(|e| format!("Not valid JSON: {e}.")),
            });
        }
    }
    if rows.is_empty() {
        return Ok(page(
            "Bulk verify",
            &caller,
            &bulk_page(Some(
                "<p class=\"card\">Nothing to verify: upload a roster or credential files.</p>",
            )),
        ));
    }
    let docs: Vec<Value> = rows
        .iter()
        .filter_map(|r| r.doc.as_ref().ok().cloned())
        .collect();
    let mut reports = app.verify_many(&docs).await.into_iter();
    let mut table = String::new();
    let mut csv_out = String::from("row,name,credential,verdict,reason\n");
    for r in &rows {
        let (verdict, reason, cred_name) = match &r.doc {
            Ok(doc) => {
                let rep = reports
                    .next()
                    .map(|x| x.to_json())
                    .unwrap_or_else(|| malformed_report("not verified"));
                let cred_name = doc
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let name_from_doc = cred_name.clone();
                (
                    rep["verdict"].as_str().unwrap_or("malformed").to_owned(),
                    rep["message"].as_str().unwrap_or("").to_owned(),
                    name_from_doc,
                )
            }
            Err(e) => ("malformed".to_owned(), e.clone(), String::new()),
        };
        table.push_str(&format!(
            "<tr data-verdict=\"{v}\"><td>{label}</td><td>{name}</td><td>{cred}</td><td>{pill}</td><td>{reason}</td></tr>",
            v = esc(&verdict),
            label = esc(&r.label),
            name = esc(&r.name),
            cred = esc(&cred_name),
            pill = verify::verdict_pill(&verdict, false),
            reason = esc(&reason)
        ));
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        let _ = w.write_record([
            csv_cell(&r.label),
            csv_cell(&r.name),
            csv_cell(&cred_name),
            verdict.clone(),
            csv_cell(&reason),
        ]);
        if let Ok(bytes) = w.into_inner() {
            csv_out.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(csv_out.as_bytes());
    let result = format!(
        "<section class=\"card\"><h2>Results ({n} rows)</h2><p><a class=\"button\" download=\"verification-report.csv\" href=\"data:text/csv;base64,{b64}\">Download as CSV</a></p>\
<table id=\"bulk-results\"><thead><tr><th>Row</th><th>Name</th><th>Credential</th><th>Verdict</th><th>Reason</th></tr></thead><tbody>{table}</tbody></table></section>",
        n = rows.len()
    );
    Ok(page("Bulk verify", &caller, &bulk_page(Some(&result))))
}

#[derive(Deserialize)]
struct OrgQuery {
    org: Option<String>,
    target: Option<String>,
}

/// The organization a page is about: the query's, the signed-in educator's, or the first one.
async fn page_org(app: &App, caller: &MaybeCaller, q: Option<&str>) -> Result<String, ApiError> {
    if let Some(o) = q {
        return Ok(o.to_owned());
    }
    if let Some(eid) = caller.0.as_ref().and_then(|c| c.user.educator_id.clone()) {
        if let Ok(e) = app.store().educator(&eid).await {
            return Ok(e.org_id);
        }
    }
    let orgs = app
        .store()
        .organizations()
        .await
        .map_err(ApiError::from_store)?;
    orgs.into_iter()
        .find(|o| o.parent_id.is_none())
        .map(|o| o.id)
        .ok_or_else(|| ApiError::not_found("No organization is set up yet."))
}

async fn pathway_map(
    State(app): State<App>,
    caller: MaybeCaller,
    Query(q): Query<OrgQuery>,
) -> Result<Html<String>, ApiError> {
    let org = page_org(&app, &caller, q.org.as_deref()).await?;
    let defs = app.definitions(&org).await?;
    let eval = match caller.0.as_ref().and_then(|c| c.user.educator_id.clone()) {
        Some(eid) => Some(defs.evaluate(&app.educator_state(&eid).await?.0)),
        None => None,
    };
    let intro = if eval.is_some() {
        "<p>Filled boxes are roles you have reached; the others show how far along you are.</p>"
    } else {
        "<p><a href=\"/login\">Sign in</a> to see where you stand.</p>"
    };
    let body = format!(
        "<h1>Pathway map</h1><p>Educators advance in three directions: expert depth (solid), functional breadth (dashed) and team and organization leadership (dotted).</p>{intro}<figure>{}</figure>",
        pathways::pathway_svg(&defs, eval.as_ref())
    );
    Ok(page("Pathway map", &caller, &body))
}

async fn dashboard(
    State(app): State<App>,
    caller: MaybeCaller,
    Query(q): Query<OrgQuery>,
) -> Result<Response, ApiError> {
    let Some(c) = caller.0.as_ref() else {
        return Ok(Redirect::to("/login").into_response());
    };
    let Some(eid) = c.user.educator_id.clone() else {
        return Ok(page(
            "Dashboard",
            &caller,
            "<h1>Dashboard</h1><p>This account is not an educator account.</p>",
        )
        .into_response());
    };
    let educator = app
        .store()
        .educator(&eid)
        .await
        .map_err(ApiError::from_store)?;
    let defs = app.definitions(&educator.org_id).await?;
    let (state, held) = app.educator_state(&eid).await?;
    let eval = defs.evaluate(&state);
    let mut creds = String::new();
    for (rec, rep) in &held {
        let name = defs
            .achievement(&rec.achievement_id)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| rec.achievement_id.clone());
        creds.push_str(&format!(
            "<tr data-achievement=\"{aid}\"><td><a href=\"/credentials/{id}\">{name}</a></td><td>{pill}</td><td>{msg}</td></tr>",
            aid = esc(&rec.achievement_id),
            id = esc(&rec.id),
            name = esc(&name),
            pill = verify::verdict_pill(rep.verdict.code(), false),
            msg = esc(&rep.message)
        ));
    }
    let target = q.target.clone().unwrap_or_else(|| {
        eval.roles
            .iter()
            .find(|r| !r.met)
            .map(|r| r.role.as_str().to_owned())
            .unwrap_or_default()
    });
    let mut options = String::new();
    for r in defs.roles() {
        options.push_str(&format!(
            "<option value=\"{id}\"{sel}>{name}</option>",
            id = esc(r.id.as_str()),
            sel = if r.id.as_str() == target {
                " selected"
            } else {
                ""
            },
            name = esc(&r.name)
        ));
    }
    let endorsement_facts: Vec<_> = app
        .store()
        .facts(&eid)
        .await
        .map_err(ApiError::from_store)?
        .into_iter()
        .filter(|f| f.kind == "endorsement")
        .collect();
    // Every endorsement credential is re-verified in one batch, like the held credentials.
    let signed_docs: Vec<Value> = endorsement_facts
        .iter()
        .filter_map(|f| f.document.get("credential").cloned())
        .collect();
    let mut signed_reports = app.verify_many(&signed_docs).await.into_iter();
    let mut endorsements = String::new();
    for f in &endorsement_facts {
        let what = f
            .document
            .get("competency")
            .and_then(Value::as_str)
            .and_then(|c| defs.competency(c))
            .map(|c| c.name.clone())
            .unwrap_or_else(|| "general endorsement".into());
        let role = f
            .document
            .get("endorser_role")
            .and_then(Value::as_str)
            .and_then(|r| defs.role(r))
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let signed = match f.document.get("credential") {
            Some(_) => signed_reports
                .next()
                .map(|r| verify::verdict_pill(r.verdict.code(), false))
                .unwrap_or_default(),
            None => "<span class=\"muted\">recorded without a credential</span>".to_owned(),
        };
        endorsements.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&what),
            esc(&role),
            esc(f
                .document
                .get("comment")
                .and_then(Value::as_str)
                .unwrap_or("")),
            signed
        ));
    }
    let plan_html = match defs.plan(&state, &target, &PlanOptions::default()) {
        Ok(p) => pathways::plan_section(&defs, &p),
        Err(e) => format!("<p>{}</p>", esc(&e.to_string())),
    };
    let body = format!(
        "<h1>{name}'s dashboard</h1>\
<h2>Credentials</h2><p class=\"muted\">Each credential was re-verified just now (signature, status, expiry).</p>\
<table id=\"credentials\"><thead><tr><th>Credential</th><th>Verdict</th><th>Details</th></tr></thead><tbody>{creds}</tbody></table>\
<p><a class=\"button\" href=\"/api/v1/educators/{eid}/progress\">Download progress (JSON)</a> <a class=\"button\" href=\"/api/v1/educators/{eid}/clr\">Download wallet (CLR 2.0)</a> <a class=\"button\" href=\"/evidence\">Submit evidence</a></p>\
<h2>Endorsements</h2><table id=\"endorsements\"><thead><tr><th>Competency</th><th>Endorser's role</th><th>Comment</th><th>Credential</th></tr></thead><tbody>{endorsements}</tbody></table>\
{progress}\
<h2>Plan to a target role</h2><form method=\"get\" action=\"/dashboard\"><label for=\"target\">Target role</label><select id=\"target\" name=\"target\">{options}</select> <button type=\"submit\">Show plan</button></form>\
<section id=\"plan\">{plan_html}</section>",
        name = esc(&educator.display_name),
        eid = esc(&eid),
        progress = pathways::progress_section(&defs, &eval),
    );
    Ok(page("Dashboard", &caller, &body).into_response())
}

async fn login_form(caller: MaybeCaller) -> Html<String> {
    page(
        "Sign in",
        &caller,
        "<h1>Sign in</h1><form method=\"post\" action=\"/login\"><label for=\"token\">Access token</label>\
<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required size=\"60\">\
<p><button type=\"submit\">Sign in</button></p></form><p class=\"muted\">The demo prints a token for each demo user when the server starts.</p>",
    )
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn login_submit(
    State(app): State<App>,
    axum::Form(f): axum::Form<LoginForm>,
) -> Result<Response, ApiError> {
    let Some(user) = app
        .store()
        .authenticate_token(f.token.trim())
        .await
        .map_err(ApiError::from_store)?
    else {
        tracing::warn!("failed sign-in");
        return Ok((StatusCode::UNAUTHORIZED, Html(layout("Sign in", None, "<h1>Sign in</h1><p role=\"alert\">That token is not valid.</p><p><a href=\"/login\">Try again</a></p>"))).into_response());
    };
    let secret = app
        .store()
        .create_session(&user.id, 8 * 3600 * 1000)
        .await
        .map_err(ApiError::from_store)?;
    let cookie =
        format!("{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Lax; Path=/; Max-Age=28800");
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/dashboard")).into_response())
}

async fn logout(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Some(c) = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()) {
        for part in c.split(';') {
            if let Some((k, v)) = part.trim().split_once('=') {
                if k == SESSION_COOKIE {
                    let _ = app.store().delete_session(v).await;
                }
            }
        }
    }
    let cookie = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0");
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
    let head = app
        .store()
        .sign_tree_head()
        .await
        .map_err(ApiError::from_store)?;
    let mut proof_html = String::new();
    if let Some(id) = q.credential.as_deref().filter(|s| !s.trim().is_empty()) {
        match app.store().credential_inclusion(id.trim()).await {
            Ok(b) => {
                let ok = pathledger_log::verify_inclusion(
                    b.entry.index,
                    b.tree_head.tree_size,
                    &b.entry.leaf_hash,
                    &b.proof,
                    &b.tree_head.root_hash,
                )
                .is_ok();
                proof_html.push_str(&format!(
                        "<div class=\"card\"><p><strong>{ev}</strong> at log index {i}, included in the tree of size {n}: {ok}</p><pre>{json}</pre></div>",
                        ev = esc(&b.entry.event),
                        i = b.entry.index,
                        n = b.tree_head.tree_size,
                        ok = if ok { "✔ proof verifies" } else { "✖ proof does not verify" },
                        json = esc(&serde_json::to_string_pretty(&b).unwrap_or_default())
                    ));
            }
            Err(e) => proof_html = format!("<p role=\"alert\">{}</p>", esc(&e.to_string())),
        }
    }
    let body = format!(
        "<h1>Transparency log</h1><p>Every issue, revocation, suspension, reinstatement and key rotation is a leaf of an RFC 6962 Merkle tree.</p>\
<div class=\"card\"><p>Tree size: <strong id=\"tree-size\">{size}</strong></p><p>Root hash: <code id=\"root-hash\">{root}</code></p><p>Signed at {ts} ms by key <code>{kid}</code></p></div>\
<h2>Proof lookup</h2><form method=\"get\" action=\"/log\"><label for=\"credential\">Credential id</label><input id=\"credential\" name=\"credential\" size=\"60\" value=\"{cid}\"> <button type=\"submit\">Look up</button></form>{proof_html}",
        size = head.tree_size,
        root = hex::encode(head.root_hash),
        ts = head.timestamp_ms,
        kid = esc(&head.key_id),
        cid = esc(q.credential.as_deref().unwrap_or("")),
    );
    Ok(page("Transparency log", &caller, &body))
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
    let rec = app
        .store()
        .credential(&id)
        .await
        .map_err(ApiError::from_store)?;
    if wants_json(&headers) {
        return Ok((
            [(header::CONTENT_TYPE, "application/vc+ld+json")],
            rec.document,
        )
            .into_response());
    }
    let doc: Value = serde_json::from_str(&rec.document).map_err(|_| ApiError::internal())?;
    let report = app.verify(&doc).await.to_json();
    // The verify link of this credential, also as a QR code (the verify page opens it by id).
    let verify_link = format!(
        "{}/verify?id={}",
        app.public_url(),
        urlencode_component(&id)
    );
    let qr = verify::qr_svg(&verify_link)
        .map(|svg| {
            format!(
                "<figure class=\"card\" id=\"qr\">{svg}<figcaption>Scan to verify, or share <a href=\"{l}\">{l}</a></figcaption></figure>",
                l = esc(&verify_link)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>{}</h1>{}{qr}<h2>The credential</h2><pre>{}</pre><p><a href=\"/log?credential={}\">Transparency log proof</a></p>",
        esc(doc.get("name").and_then(Value::as_str).unwrap_or("Credential")),
        verify::render_report(&report),
        esc(&serde_json::to_string_pretty(&doc).unwrap_or_default()),
        esc(&id)
    );
    Ok(page("Credential", &caller, &body).into_response())
}

/// The definitions of the first organization that defines something `has` accepts.
async fn definitions_with(
    app: &App,
    has: impl Fn(&pathledger_core::Definitions) -> bool,
) -> Result<Option<std::sync::Arc<pathledger_core::Definitions>>, ApiError> {
    for org in app
        .store()
        .organizations()
        .await
        .map_err(ApiError::from_store)?
    {
        if let Ok(defs) = app.definitions(&org.id).await {
            if has(&defs) {
                return Ok(Some(defs));
            }
        }
    }
    Ok(None)
}

async fn competency(
    State(app): State<App>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found(format!("competency {id} was not found."));
    let defs = definitions_with(&app, |d| d.competency(&id).is_some())
        .await?
        .ok_or_else(not_found)?;
    let c = defs.competency(&id).ok_or_else(not_found)?;
    if wants_json(&headers) {
        return Ok(axum::Json(serde_json::to_value(c).unwrap_or(Value::Null)).into_response());
    }
    let body = format!(
        "<h1>{}</h1><p>Category: {:?}</p><p>{}</p><p class=\"muted\">Framework: {}</p>",
        esc(&c.name),
        c.category,
        esc(&c.description),
        esc(&defs.framework().name)
    );
    Ok(page(&c.name, &caller, &body).into_response())
}

async fn achievement(
    State(app): State<App>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found(format!("achievement {id} was not found."));
    let defs = definitions_with(&app, |d| d.achievement(&id).is_some())
        .await?
        .ok_or_else(not_found)?;
    let a = defs.achievement(&id).ok_or_else(not_found)?;
    if wants_json(&headers) {
        return Ok(axum::Json(serde_json::to_value(a).unwrap_or(Value::Null)).into_response());
    }
    let body = format!(
        "<h1>{}</h1><p>{}</p><h2>Criteria</h2><p>{}</p>",
        esc(&a.name),
        esc(&a.description),
        esc(&a.criteria)
    );
    Ok(page(&a.name, &caller, &body).into_response())
}

async fn issuer_profile(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let issuer = app
        .store()
        .issuer(&id)
        .await
        .map_err(ApiError::from_store)?;
    let profile = serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": app.issuer_did(&issuer.id),
        "type": ["Profile"],
        "name": issuer.name,
        "url": format!("{}/issuers/{}", app.public_url(), issuer.id),
    });
    Ok(axum::Json(profile).into_response())
}

#[derive(Deserialize)]
struct CommunityQuery {
    org: Option<String>,
    /// Search: opted-in educators who reached this role …
    role: Option<String>,
    /// … and/or hold a valid credential of this achievement.
    credential: Option<String>,
}

/// Opted-in educators of `org` with their evaluation and valid credentials, filtered by role
/// and/or achievement (either may be empty).
async fn community_members(
    app: &App,
    defs: &pathledger_core::Definitions,
    role: Option<&str>,
    credential: Option<&str>,
) -> Result<Vec<(String, String)>, ApiError> {
    let mut rows = Vec::new();
    for eid in app
        .store()
        .community_educators()
        .await
        .map_err(ApiError::from_store)?
    {
        let Ok(e) = app.store().educator(&eid).await else {
            continue;
        };
        let Ok((state, held)) = app.educator_state(&eid).await else {
            continue;
        };
        if let Some(role) = role {
            if !defs.evaluate(&state).role(role).is_some_and(|r| r.met) {
                continue;
            }
        }
        let valid: Vec<&pathledger_store::CredentialRecord> = held
            .iter()
            .filter(|(_, r)| r.verdict == pathledger_badges::Verdict::Valid)
            .map(|(c, _)| c)
            .collect();
        if let Some(ach) = credential {
            if !valid.iter().any(|c| c.achievement_id == ach) {
                continue;
            }
        }
        let creds: Vec<String> = valid
            .iter()
            .map(|c| {
                format!(
                    "<a href=\"/credentials/{}\">{}</a>",
                    esc(&c.id),
                    esc(defs
                        .achievement(&c.achievement_id)
                        .map(|a| a.name.as_str())
                        .unwrap_or(&c.achievement_id))
                )
            })
            .collect();
        rows.push((e.display_name, creds.join(", ")));
    }
    Ok(rows)
}

fn member_table(rows: &[(String, String)]) -> String {
    let body: String = rows
        .iter()
        .map(|(name, creds)| format!("<tr><td>{}</td><td>{creds}</td></tr>", esc(name)))
        .collect();
    format!("<table id=\"members\"><thead><tr><th>Educator</th><th>Public credentials</th></tr></thead><tbody>{body}</tbody></table>")
}

async fn communities(
    State(app): State<App>,
    caller: MaybeCaller,
    Query(q): Query<CommunityQuery>,
) -> Result<Html<String>, ApiError> {
    let org = page_org(&app, &caller, q.org.as_deref()).await?;
    let defs = app.definitions(&org).await?;
    let items: String = defs
        .roles()
        .iter()
        .map(|r| {
            format!(
                "<li><a href=\"/communities/{}\">{}</a></li>",
                esc(r.id.as_str()),
                esc(&r.name)
            )
        })
        .collect();
    let role = q.role.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let cred = q
        .credential
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(r) = role {
        if defs.role(r).is_none() {
            return Err(ApiError::invalid("role", format!("unknown role {r:?}")));
        }
    }
    if let Some(a) = cred {
        if defs.achievement(a).is_none() {
            return Err(ApiError::invalid(
                "credential",
                format!("unknown credential {a:?}"),
            ));
        }
    }
    let option = |id: &str, name: &str, sel: Option<&str>| {
        format!(
            "<option value=\"{}\"{}>{}</option>",
            esc(id),
            if sel == Some(id) { " selected" } else { "" },
            esc(name)
        )
    };
    let role_opts: String = defs
        .roles()
        .iter()
        .map(|r| option(r.id.as_str(), &r.name, role))
        .collect();
    let cred_opts: String = defs
        .achievements()
        .iter()
        .map(|a| option(a.id.as_str(), &a.name, cred))
        .collect();
    let results = if role.is_some() || cred.is_some() {
        let rows = community_members(&app, &defs, role, cred).await?;
        format!(
            "<section class=\"card\"><h2>Results</h2><p id=\"result-count\">{} educator(s) found.</p>{}</section>",
            rows.len(),
            member_table(&rows)
        )
    } else {
        String::new()
    };
    Ok(page(
        "Communities of practice",
        &caller,
        &format!(
            "<h1>Communities of practice</h1><p>Find peers and mentors by role. Only educators who opted in are listed, with their public, currently valid credentials.</p><ul>{items}</ul>\
<h2>Search (for hiring and mentoring)</h2><form method=\"get\" action=\"/communities\">\
<label for=\"role\">Role reached</label><select id=\"role\" name=\"role\"><option value=\"\">Any role</option>{role_opts}</select>\
<label for=\"credential\">Holds the credential</label><select id=\"credential\" name=\"credential\"><option value=\"\">Any credential</option>{cred_opts}</select>\
<p><button type=\"submit\">Search</button></p></form>{results}"
        ),
    ))
}

async fn community(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(role): Path<String>,
    Query(q): Query<OrgQuery>,
) -> Result<Html<String>, ApiError> {
    let org = page_org(&app, &caller, q.org.as_deref()).await?;
    let defs = app.definitions(&org).await?;
    let role_def = defs
        .role(&role)
        .ok_or_else(|| ApiError::not_found(format!("role {role} was not found.")))?;
    let rows = community_members(&app, &defs, Some(&role), None).await?;
    Ok(page(
        &role_def.name,
        &caller,
        &format!(
            "<h1>{} community</h1><p>Educators who opted in and hold this role.</p>{}",
            esc(&role_def.name),
            member_table(&rows)
        ),
    ))
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
