//! The JSON API: VC-API issue/verify, our issuance and status changes, public documents
//! (status lists, DID documents, issuer profiles), the transparency log and pathway progress.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pathledger_core::PlanOptions;
use pathledger_signing::Cryptosuite;
use pathledger_store::{AccessRole, OrgId, StatusChange};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use pathledger_app::bulk::{self, MAX_ROSTER_ROWS};
use pathledger_app::documents::{self, DocumentOptions};
use pathledger_app::vcapi;
use pathledger_app::{first_issuer, parse_recipient, parse_suite, App, IssueOptions};

/// API routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(crate::openapi::openapi_json))
        .route("/credentials/issue", post(vc_issue))
        .route("/credentials/verify", post(vc_verify))
        .route("/presentations/verify", post(vp_verify))
        .route("/api/v1/credentials", post(issue))
        .route("/api/v1/credentials/{id}", get(credential_json))
        .route("/api/v1/credentials/{id}/revoke", post(revoke))
        .route("/api/v1/credentials/{id}/suspend", post(suspend))
        .route("/api/v1/credentials/{id}/reinstate", post(reinstate))
        .route("/api/v1/verify", post(verify_report))
        .route("/api/v1/verify/batch", post(verify_batch))
        .route("/api/v1/educators/{id}/progress", get(progress))
        .route("/api/v1/educators/{id}/plan", get(plan))
        .route("/api/v1/log/head", get(log_head))
        .route("/api/v1/log/credentials/{id}/proof", get(log_proof))
        .route("/api/v1/log/consistency", get(log_consistency))
        .route("/status/{list_id}", get(status_list))
        .route("/.well-known/did.json", get(well_known_did))
        .route("/issuers/{id}/did.json", get(issuer_did))
}

async fn healthz(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    app.store().ping().await.map_err(ApiError::from_store)?;
    Ok(Json(
        json!({"status": "ok", "backend": format!("{:?}", app.store().backend()).to_lowercase()}),
    ))
}

#[derive(Deserialize)]
struct VcIssueQuery {
    cryptosuite: Option<String>,
    issuer: Option<String>,
}

#[derive(Deserialize)]
struct VcIssueBody {
    credential: Value,
    #[serde(default)]
    options: Option<Value>,
}

/// VC-API issue: the credential as given, signed by the organization's issuer and put on the
/// ledger like any credential we issue (record, status entry, log leaf, idempotency by the
/// `Idempotency-Key` header). `?issuer=did:key` (for test harnesses) signs as the did:key of the
/// issuer's current key instead of its did:web; a credential naming any other issuer is refused.
async fn vc_issue(
    State(app): State<App>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Query(q): Query<VcIssueQuery>,
    ApiJson(body): ApiJson<VcIssueBody>,
) -> Result<Response, ApiError> {
    let suite_opt = body
        .options
        .as_ref()
        .and_then(|o| o.get("cryptosuite"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or(q.cryptosuite);
    let as_did_key = match q.issuer.as_deref() {
        None => false,
        Some("did:key") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "issuer",
                format!(
                    "{other:?} is not an issuer mode; leave it out (our did:web) or use did:key"
                ),
            ))
        }
    };
    let opts = DocumentOptions {
        suite: parse_suite(suite_opt.as_deref(), Cryptosuite::EddsaRdfc2022)?,
        as_did_key,
        idempotency_key: idempotency_header(&headers),
    };
    let out = documents::issue_document(&app, &caller, body.credential, opts).await?;
    let status = if out.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(json!({"verifiableCredential": out.credential})),
    )
        .into_response())
}

/// The `Idempotency-Key` header, if the client sent one.
fn idempotency_header(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[derive(Deserialize)]
struct VcVerifyBody {
    #[serde(rename = "verifiableCredential")]
    verifiable_credential: Value,
    #[serde(default)]
    options: Option<Value>,
}

/// VC-API verify: 200 `{"verified": true, "checks": […], "warnings": […], "errors": []}` when
/// every requested check (`options.checks`, default proof, validity and status) passes, 422
/// with the failures otherwise. An issuer outside the trust list is a warning here unless the
/// `issuer` check is asked for; `report` is the full verification report.
async fn vc_verify(
    State(app): State<App>,
    ApiJson(body): ApiJson<VcVerifyBody>,
) -> Result<Response, ApiError> {
    let wanted = vcapi::parse_checks(body.options.as_ref(), "/options")?;
    let report = app.verify(&body.verifiable_credential).await;
    let result = vcapi::credential_result(&report, &wanted);
    let status = if result.verified {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut out = serde_json::to_value(&result).unwrap_or_else(|_| json!({}));
    out["report"] = report.to_json();
    Ok((status, Json(out)).into_response())
}

#[derive(Deserialize)]
struct VpVerifyBody {
    #[serde(rename = "verifiablePresentation")]
    verifiable_presentation: Value,
    #[serde(default)]
    options: Option<Value>,
}

/// VC-API presentation verify: the holder's proof (purpose `authentication`, with
/// `options.challenge` and `options.domain` when given; `eddsa-*` Data Integrity or
/// `Ed25519Signature2020`), each presented credential judged on `options.checks`, and with
/// `options.holderIsSubject` the holder matched to each credential's subject. 200 when all
/// pass, 422 otherwise.
async fn vp_verify(
    State(app): State<App>,
    ApiJson(body): ApiJson<VpVerifyBody>,
) -> Result<Response, ApiError> {
    let options = body.options.as_ref();
    let wanted = vcapi::parse_checks(options, "/options")?;
    let text = |name: &str| -> Result<Option<String>, ApiError> {
        match options.and_then(|o| o.get(name)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.is_empty() && s.len() <= 512 => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::invalid(
                format!("/options/{name}"),
                "must be a non-empty string of at most 512 characters",
            )),
        }
    };
    let challenge = text("challenge")?;
    let domain = text("domain")?;
    let holder_is_subject = match options.and_then(|o| o.get("holderIsSubject")) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(ApiError::invalid(
                "/options/holderIsSubject",
                "must be true or false",
            ))
        }
    };
    if !body.verifiable_presentation.is_object() {
        return Err(ApiError::invalid(
            "/verifiablePresentation",
            "must be a JSON object (a Verifiable Presentation)",
        ));
    }
    let report = app
        .verify_presentation(
            body.verifiable_presentation,
            challenge,
            domain,
            holder_is_subject,
        )
        .await;
    let result = vcapi::presentation_result(&report, &wanted);
    let status = if result.verified {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut out = serde_json::to_value(&result).unwrap_or_else(|_| json!({}));
    out["presentationResult"] = report.to_json();
    Ok((status, Json(out)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueBody {
    achievement: String,
    /// Email of the recipient, or an educator id with `educator:` prefix.
    recipient: String,
    #[serde(default)]
    suite: Option<String>,
    #[serde(default)]
    idempotency_key: Option<String>,
    #[serde(default)]
    valid_until: Option<String>,
    #[serde(default)]
    evidence: Option<String>,
    #[serde(default)]
    suspendable: bool,
    #[serde(default)]
    renews: Option<String>,
}

async fn issue(
    State(app): State<App>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<IssueBody>,
) -> Result<Response, ApiError> {
    let org = caller.org_with_role(&app, &[AccessRole::Issuer]).await?;
    let issuer = first_issuer(&app, &org).await?;
    let recipient = parse_recipient(&body.recipient)?;
    let valid_until = match body.valid_until.as_deref() {
        None => None,
        Some(s) => Some(pathledger_badges::dates::parse(s).ok_or_else(|| {
            ApiError::invalid(
                "/valid_until",
                "must be an RFC 3339 date-time such as 2030-01-01T00:00:00Z",
            )
        })?),
    };
    let idem = body
        .idempotency_key
        .or_else(|| idempotency_header(&headers));
    let opts = IssueOptions {
        suite: parse_suite(body.suite.as_deref(), Cryptosuite::EddsaJcs2022)?,
        valid_until,
        idempotency_key: idem,
        evidence: body.evidence,
        suspendable: body.suspendable,
        renews: body.renews,
        ..IssueOptions::default()
    };
    let out = app
        .issue(&issuer.id, &body.achievement, recipient, opts)
        .await?;
    // This credential may complete a stack or reach a role: issue what that earns, once.
    let awarded: Vec<Value> = app
        .award_after(&out)
        .await
        .iter()
        .map(|a| json!({"id": a.record.id, "achievement": a.record.achievement_id}))
        .collect();
    let status = if out.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(json!({"id": out.record.id, "replayed": out.replayed, "log_index": out.record.log_index, "awarded": awarded, "verifiableCredential": out.credential})),
    )
        .into_response())
}

async fn credential_json(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rec = app
        .store()
        .credential(&id)
        .await
        .map_err(ApiError::from_store)?;
    Ok((
        [(header::CONTENT_TYPE, "application/vc+ld+json")],
        rec.document,
    )
        .into_response())
}

#[derive(Deserialize, Default)]
struct ReasonBody {
    #[serde(default)]
    reason: Option<String>,
}

/// The credential `id`, if the caller is an issuer of its organization (status changes).
pub(crate) async fn credential_for_issuer(
    app: &App,
    caller: &Caller,
    id: &str,
) -> Result<pathledger_store::CredentialRecord, ApiError> {
    let rec = app
        .store()
        .credential(id)
        .await
        .map_err(ApiError::from_store)?;
    caller
        .require(app, &OrgId::from(&rec.org_id), AccessRole::Issuer)
        .await?;
    Ok(rec)
}

async fn change(
    app: App,
    caller: Caller,
    id: String,
    change: StatusChange,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    credential_for_issuer(&app, &caller, &id).await?;
    let reason = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        crate::extract::parse_json::<ReasonBody>(&body)?.reason
    };
    let out = app
        .change_status(&id, change, reason.as_deref(), Some(&caller.user.id))
        .await?;
    Ok(Json(
        json!({"id": out.credential.id, "status": out.credential.status.as_str(), "log_index": out.log_index}),
    ))
}

async fn revoke(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    change(app, caller, id, StatusChange::Revoke, body).await
}
async fn suspend(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    change(app, caller, id, StatusChange::Suspend, body).await
}
async fn reinstate(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    change(app, caller, id, StatusChange::Reinstate, body).await
}

/// Our verification report for one credential (always 200: the verdict is in the body).
async fn verify_report(
    State(app): State<App>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    // JSON, a signed token, a link, or a baked PNG or SVG badge.
    let doc = pathledger_badges::read_input(&body).map_err(|e| match e {
        pathledger_badges::InputError::Json { .. } => {
            ApiError::bad_request("malformed_json", format!("The body is not valid JSON: {e}"))
        }
        other => ApiError::bad_request(
            "not_a_credential",
            format!("The body is not a credential: {other}"),
        ),
    })?;
    Ok(Json(app.verify(&doc).await.to_json()))
}

/// Reports for many credentials: a JSON array in, an array of reports out (same order),
/// streamed as they are verified. At most [`MAX_ROSTER_ROWS`] credentials, counted before the
/// body is parsed.
async fn verify_batch(
    State(app): State<App>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    if crate::extract::array_items_exceed(&body, 0, MAX_ROSTER_ROWS) {
        return Err(bulk::too_many_rows("").into());
    }
    let doc = pathledger_signing::parse_strict(&body).map_err(|e| {
        ApiError::bad_request("malformed_json", format!("The body is not valid JSON: {e}"))
    })?;
    let Value::Array(docs) = doc else {
        return Err(ApiError::invalid("", "send a JSON array of credentials"));
    };
    Ok(crate::stream::json_reports(app, docs))
}

async fn educator_for(
    app: &App,
    caller: &Caller,
    id: &str,
) -> Result<pathledger_store::Educator, ApiError> {
    let e = app
        .store()
        .educator(id)
        .await
        .map_err(ApiError::from_store)?;
    caller.may_read_educator(app, &e.id, &e.org_id).await?;
    Ok(e)
}

async fn progress(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let e = educator_for(&app, &caller, &id).await?;
    let defs = app.definitions(&e.org_id).await?;
    let (state, _) = app.educator_state(&e.id).await?;
    let eval = defs.evaluate(&state);
    Ok(Json(
        json!({"educator": e.id, "state": state, "evaluation": eval}),
    ))
}

#[derive(Deserialize)]
struct PlanQuery {
    target: String,
}

async fn plan(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Json<Value>, ApiError> {
    let e = educator_for(&app, &caller, &id).await?;
    let defs = app.definitions(&e.org_id).await?;
    let (state, _) = app.educator_state(&e.id).await?;
    let plan = defs
        .plan(&state, &q.target, &PlanOptions::default())
        .map_err(|err| ApiError::invalid("target", err.to_string()))?;
    Ok(Json(
        json!({"educator": e.id, "target": q.target, "plan": plan}),
    ))
}

async fn log_head(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    let head = app
        .store()
        .sign_tree_head()
        .await
        .map_err(ApiError::from_store)?;
    let (key_id, key) = app.store().log_public_key();
    Ok(Json(
        json!({"tree_head": head, "log_key": {"id": key_id, "public_key_hex": hex::encode(key.as_bytes())}}),
    ))
}

async fn log_proof(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let bundles = app
        .store()
        .credential_inclusion(&id)
        .await
        .map_err(ApiError::from_store)?;
    Ok(Json(
        serde_json::to_value(bundles).map_err(|_| ApiError::internal())?,
    ))
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    from: u64,
    to: u64,
}

async fn log_consistency(
    State(app): State<App>,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<Value>, ApiError> {
    let proof = app
        .store()
        .consistency_proof(q.from, q.to)
        .await
        .map_err(ApiError::from_store)?;
    let hexes: Vec<String> = proof.iter().map(hex::encode).collect();
    Ok(Json(json!({"from": q.from, "to": q.to, "proof": hexes})))
}

async fn status_list(
    State(app): State<App>,
    Path(list_id): Path<String>,
) -> Result<Response, ApiError> {
    let doc = app.status_list_credential(&list_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vc+ld+json"),
            (header::CACHE_CONTROL, "max-age=60"),
        ],
        Json((*doc).clone()),
    )
        .into_response())
}

async fn issuer_did(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    app.key_ring()
        .did_documents
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("issuer {id} was not found.")))
}

/// The host-level did:web document lists every issuer's keys (the first issuer's as the DID subject).
/// The host's own did:web document, only when the deployment names the issuer it speaks for
/// (`AppConfig::host_issuer`); otherwise 404, never some organization's issuer.
async fn well_known_did(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    app.key_ring()
        .host_document
        .clone()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("This deployment has no host DID; each issuer's DID document is at /issuers/{id}/did.json."))
}
