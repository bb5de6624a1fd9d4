//! The JSON API: VC-API issue/verify, our issuance and status changes, public documents
//! (status lists, DID documents, issuer profiles), the transparency log and pathway progress.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use pathledger_core::PlanOptions;
use pathledger_signing::Cryptosuite;
use pathledger_store::{AccessRole, OrgId, StatusChange};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::{schemas, Auth, Conflict, Forbidden, JsonBody, NotFound, RawJsonBody};
use pathledger_app::bulk::{self, MAX_ROSTER_ROWS};
use pathledger_app::documents::{self, DocumentOptions};
use pathledger_app::vcapi;
use pathledger_app::{first_issuer, parse_recipient, parse_suite, App, IssueOptions};
use utoipa_axum::{router::OpenApiRouter, routes};

/// API routes (each described by its `#[utoipa::path]`).
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(crate::openapi::openapi_json))
        .routes(routes!(vc_issue))
        .routes(routes!(vc_verify))
        .routes(routes!(vp_verify))
        .routes(routes!(issue))
        .routes(routes!(credential_json))
        .routes(routes!(revoke))
        .routes(routes!(suspend))
        .routes(routes!(reinstate))
        .routes(routes!(verify_report))
        .routes(routes!(verify_batch))
        .routes(routes!(progress))
        .routes(routes!(plan))
        .routes(routes!(log_head))
        .routes(routes!(log_proof))
        .routes(routes!(log_proof_bundle))
        .routes(routes!(log_checkpoint))
        .routes(routes!(log_cosignatures))
        .routes(routes!(log_consistency))
        .routes(routes!(status_list))
        .routes(routes!(well_known_did))
        .routes(routes!(issuer_did))
        .routes(routes!(issuer_profile))
}

#[utoipa::path(get, path = "/healthz", tag = "operations",
    summary = "Liveness and database check",
    responses(
        (status = 200, description = "The server and its database answer", body = schemas::Health),
        (status = 503, description = "The database is unavailable (`unavailable`, `retryable`, `Retry-After`)", body = schemas::Problem, content_type = "application/problem+json"),
    ))]
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
#[utoipa::path(post, path = "/credentials/issue", tag = "vc-api",
    summary = "VC-API: sign a credential as the organization's issuer and record it on the ledger",
    description = "Signs a VC 2.0 credential as the organization's issuer and records it on the ledger like every credential we issue (status entry, log leaf, revocable; header `Idempotency-Key`). A VC 1.1 credential is issued as VC 1.1 (Data Integrity context appended). `?issuer=did:key` (for test harnesses) signs as the did:key of the issuer's current key instead of its did:web. A credential naming another issuer, carrying a proof, or breaking the data model (type without VerifiableCredential, a non-URL issuer, an empty or missing credentialSubject, an untyped credentialStatus/termsOfUse/evidence/refreshService/credentialSchema item, a credentialSchema without id, validFrom/validUntil not a dateTimeStamp or in the wrong order, relatedResource without id or digest, with a duplicate id or a digest that disagrees with the published one) is refused with 422 naming the member. Callers need the issuer role.",
    params(
        ("cryptosuite" = Option<schemas::Cryptosuite>, Query, description = "`eddsa-rdfc-2022` (default) or `eddsa-jcs-2022`; `options.cryptosuite` wins"),
        ("issuer" = Option<schemas::IssuerMode>, Query, description = "`did:key`: sign as the did:key of the issuer's current key (test harnesses); leave it out for our did:web"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry key: a repeated key answers the first issuance (200)"),
    ),
    request_body = schemas::VcIssueRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Signed and recorded", body = schemas::SignedCredential),
        (status = 200, description = "The credential first issued with this idempotency key", body = schemas::SignedCredential),
        JsonBody, Auth, Forbidden, NotFound, Conflict,
    ))]
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
#[utoipa::path(post, path = "/credentials/verify", tag = "vc-api",
    summary = "VC-API: verify a credential",
    description = "Verifies `verifiableCredential` on `options.checks` (default proof, validity, status). An issuer outside the trust list is a warning unless the `issuer` check is asked for; `report` is the full verification report. 200 when verified, 422 with the same shape when not.",
    request_body = schemas::VcVerifyRequest,
    responses(
        (status = 200, description = "Every requested check passed", body = schemas::VcVerifyResult),
        (status = 422, description = "Not verified (`application/json`: the result with its errors), or invalid options (`application/problem+json`)", content(
            (schemas::VcVerifyResult = "application/json"),
            (schemas::Problem = "application/problem+json"),
        )),
        (status = 400, description = "The body is not valid JSON (`malformed_json`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 8 MiB (`payload_too_large`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared `application/json`", body = schemas::Problem, content_type = "application/problem+json"),
    ))]
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
#[utoipa::path(post, path = "/presentations/verify", tag = "vc-api",
    summary = "VC-API: verify a presentation",
    description = "Verifies the holder's proof (purpose `authentication`, with `options.challenge` and `options.domain` when given; `eddsa-*` Data Integrity or `Ed25519Signature2020`), each presented credential on `options.checks`, and with `options.holderIsSubject` that the holder is each credential's subject. 200 when all pass, 422 with the same shape otherwise.",
    request_body = schemas::VpVerifyRequest,
    responses(
        (status = 200, description = "The presentation and every credential verified", body = schemas::VpVerifyResult),
        (status = 422, description = "Not verified (`application/json`: the result), or invalid options or a presentation that is not an object (`application/problem+json`)", content(
            (schemas::VpVerifyResult = "application/json"),
            (schemas::Problem = "application/problem+json"),
        )),
        (status = 400, description = "The body is not valid JSON (`malformed_json`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 8 MiB (`payload_too_large`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared `application/json`", body = schemas::Problem, content_type = "application/problem+json"),
    ))]
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

#[utoipa::path(post, path = "/api/v1/credentials", tag = "issuance",
    summary = "Issue a micro-credential",
    description = "Issues the achievement to the recipient as the caller's organization's issuer (issuer role). The answer lists in `awarded` the certificates and role awards this credential completed (issued at once). A repeated idempotency key (member or `Idempotency-Key` header) answers the first issuance with 200.",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key, when the body has no `idempotency_key`")),
    request_body = schemas::IssueRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Issued", body = schemas::Issued),
        (status = 200, description = "The credential first issued with this idempotency key", body = schemas::Issued),
        JsonBody, Auth, Forbidden, NotFound, Conflict,
    ))]
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

#[utoipa::path(get, path = "/api/v1/credentials/{id}", tag = "issuance",
    summary = "The exact signed credential",
    params(("id" = String, Path, description = "Credential id")),
    responses(
        (status = 200, description = "The credential as stored, byte for byte", body = schemas::VerifiableCredential, content_type = "application/vc+ld+json"),
        (status = 422, description = "A blank id (`invalid_input`, field `credential_id`)", body = schemas::Problem, content_type = "application/problem+json"),
        NotFound,
    ))]
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

#[utoipa::path(post, path = "/api/v1/credentials/{id}/revoke", tag = "status",
    summary = "Revoke a credential",
    description = "Revokes it for good. Issuers of the credential's organization. The body is optional (nothing, `{}` or `{\"reason\": …}`); the change is logged.",
    params(("id" = String, Path, description = "Credential id")),
    request_body(content = schemas::ReasonInput, content_type = "application/json", description = "Optional: the body may be empty"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The credential's new status", body = schemas::StatusChanged),
        RawJsonBody, Auth, Forbidden, NotFound, Conflict,
    ))]
async fn revoke(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    change(app, caller, id, StatusChange::Revoke, body).await
}
#[utoipa::path(post, path = "/api/v1/credentials/{id}/suspend", tag = "status",
    summary = "Suspend a credential",
    description = "Suspends a suspendable credential until it is reinstated. Issuers of the credential's organization. The body is optional (nothing, `{}` or `{\"reason\": …}`); the change is logged.",
    params(("id" = String, Path, description = "Credential id")),
    request_body(content = schemas::ReasonInput, content_type = "application/json", description = "Optional: the body may be empty"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The credential's new status", body = schemas::StatusChanged),
        RawJsonBody, Auth, Forbidden, NotFound, Conflict,
    ))]
async fn suspend(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    change(app, caller, id, StatusChange::Suspend, body).await
}
#[utoipa::path(post, path = "/api/v1/credentials/{id}/reinstate", tag = "status",
    summary = "Reinstate a suspended credential",
    description = "Lifts a suspension. Issuers of the credential's organization. The body is optional (nothing, `{}` or `{\"reason\": …}`); the change is logged.",
    params(("id" = String, Path, description = "Credential id")),
    request_body(content = schemas::ReasonInput, content_type = "application/json", description = "Optional: the body may be empty"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The credential's new status", body = schemas::StatusChanged),
        RawJsonBody, Auth, Forbidden, NotFound, Conflict,
    ))]
async fn reinstate(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    change(app, caller, id, StatusChange::Reinstate, body).await
}

/// Our verification report for one credential (always 200: the verdict is in the body).
#[utoipa::path(post, path = "/api/v1/verify", tag = "verification",
    summary = "Verification report for anything a district is handed",
    description = "The body is read by what it is, not by its content type: OB 3.0 / VC 2.0 / VC 1.1 credential JSON (Data Integrity), an `EnvelopedVerifiableCredential`, an OB 3.0 VC-JWT (EdDSA, ES256, RS256), an Open Badges 2.0 signed assertion (JWS) or hosted one (its link), a baked PNG or SVG badge (the image's bytes), a link to or `urn:uuid` id of a credential issued here. Other issuers' documents are fetched only when this deployment fetches. Always 200 once read: the verdict is in the body (a format or suite we do not check is `unsupported_format`; JSON that is not a credential is `malformed`).",
    request_body(description = "The credential: JSON, a compact JWS, a link or id as text, or a badge image", content(
        (serde_json::Value = "application/json"),
        (String = "text/plain"),
        (String = "application/jwt"),
        (Vec<u8> = "image/png"),
        (String = "image/svg+xml"),
    )),
    responses(
        (status = 200, description = "The report", body = schemas::VerificationReport),
        (status = 400, description = "The body is not valid JSON (`malformed_json`), or is neither a credential, a token, a link nor a badge image (`not_a_credential`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 8 MiB (`payload_too_large`)", body = schemas::Problem, content_type = "application/problem+json"),
    ))]
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
#[utoipa::path(post, path = "/api/v1/verify/batch", tag = "verification",
    summary = "Reports for a JSON array of at most 1,000 credentials",
    description = "One report per credential, in order, streamed as they are verified (a credential needing more canonicalization work than the request has left is `could_not_check`, `WORK_BUDGET_SPENT`). More than 1,000 items are refused before the body is parsed.",
    request_body(content = Vec<serde_json::Value>, content_type = "application/json", description = "Credentials (see the `VerifiableCredential` schema); any JSON item is taken and judged"),
    responses(
        (status = 200, description = "The reports, in order", body = Vec<schemas::VerificationReport>),
        (status = 400, description = "The body is not valid JSON (`malformed_json`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 8 MiB (`payload_too_large`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an array, or more than 1,000 items (`invalid_input`)", body = schemas::Problem, content_type = "application/problem+json"),
    ))]
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

#[utoipa::path(get, path = "/api/v1/educators/{id}/progress", tag = "pathways",
    summary = "Where the educator stands on every role",
    description = "The educator themself, or staff of the record's organization who may read it.",
    params(("id" = String, Path, description = "Educator id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "State and evaluation, as a file (`Content-Disposition: attachment`)", body = schemas::Progress),
        Auth, Forbidden, NotFound,
    ))]
async fn progress(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let e = educator_for(&app, &caller, &id).await?;
    let defs = app.definitions(&e.org_id).await?;
    let (state, _) = app.educator_state(&e.id).await?;
    let eval = defs.evaluate(&state);
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"pathledger-progress.json\"",
        )],
        Json(json!({"educator": e.id, "state": state, "evaluation": eval})),
    )
        .into_response())
}

#[derive(Deserialize)]
struct PlanQuery {
    target: String,
}

#[utoipa::path(get, path = "/api/v1/educators/{id}/plan", tag = "pathways",
    summary = "Cheapest plan to a target role",
    params(
        ("id" = String, Path, description = "Educator id"),
        ("target" = String, Query, description = "Target role id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The plan", body = schemas::Plan),
        (status = 400, description = "`target` is missing (`bad_request`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`target` is not a role this plan can reach (`invalid_input`)", body = schemas::Problem, content_type = "application/problem+json"),
        Auth, Forbidden, NotFound,
    ))]
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

#[utoipa::path(get, path = "/api/v1/log/head", tag = "log",
    summary = "The newest signed tree head of the transparency log",
    description = "Signs a head first when the log has grown past the newest one. `checkpoint` is the same head as a C2SP signed-note checkpoint (tlog-checkpoint v1), with any witness cosignatures; `log_key.vkey` verifies it.",
    responses((status = 200, description = "The head, its checkpoint and the log's key", body = schemas::LogHead)))]
async fn log_head(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    let (head, note) = newest_checkpoint(&app).await?;
    let (key_id, key) = app.store().log_public_key();
    let witnesses: Vec<String> = app.witnesses().iter().map(|w| w.to_vkey()).collect();
    Ok(Json(json!({
        "tree_head": head,
        "checkpoint": note.to_string(),
        "log_key": {
            "id": key_id,
            "public_key_hex": hex::encode(key.as_bytes()),
            "origin": app.log_origin(),
            "vkey": app.log_verifier()?.to_vkey(),
        },
        "witnesses": witnesses,
    })))
}

/// The newest signed head and its checkpoint (an empty log signs its size-0 head).
async fn newest_checkpoint(
    app: &App,
) -> Result<(pathledger_log::SignedTreeHead, pathledger_log::Note), ApiError> {
    if let Some(found) = app.checkpoint().await? {
        return Ok(found);
    }
    let head = app
        .store()
        .sign_tree_head()
        .await
        .map_err(ApiError::from_store)?;
    let note = app.checkpoint_of(&head).await?;
    Ok((head, note))
}

const NOTE_TYPE: &str = "text/plain; charset=utf-8";

#[utoipa::path(get, path = "/api/v1/log/checkpoint", tag = "log",
    summary = "The newest checkpoint as a C2SP signed note",
    description = "Origin, tree size and base64 root hash, signed by the log key (named by the origin) and cosigned by any witnesses that have checked it. Existing transparency tooling reads it.",
    responses((status = 200, description = "The signed note", body = String, content_type = "text/plain")))]
async fn log_checkpoint(State(app): State<App>) -> Result<Response, ApiError> {
    let (_, note) = newest_checkpoint(&app).await?;
    Ok((
        [
            (header::CONTENT_TYPE, NOTE_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        note.to_string(),
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/log/cosignatures", tag = "log",
    summary = "Hand in a witness's cosignature of one of our checkpoints",
    description = "The body is the checkpoint (as served) with the witness's cosignature line (C2SP tlog-cosignature v1) appended. Only witnesses the deployment configures (`serve --witness VKEY`) are kept, and only after their signature verifies over a checkpoint this log signed. Answers the checkpoint with every cosignature held for it.",
    request_body(content = String, content_type = "text/plain", description = "The cosigned checkpoint note (at most 64 KiB)"),
    responses(
        (status = 200, description = "The checkpoint with the cosignatures held for it", body = String, content_type = "text/plain"),
        (status = 413, description = "The note is larger than 64 KiB (`payload_too_large`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not one of our checkpoints, or no verifying cosignature by a configured witness (`invalid_input`)", body = schemas::Problem, content_type = "application/problem+json"),
    ))]
async fn log_cosignatures(
    State(app): State<App>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    if body.len() > pathledger_log::MAX_NOTE_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "a checkpoint note is at most {} bytes",
                pathledger_log::MAX_NOTE_BYTES
            ),
        ));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::invalid("checkpoint", "the note is not UTF-8 text"))?;
    let note = app.add_cosignatures(text).await?;
    Ok(([(header::CONTENT_TYPE, NOTE_TYPE)], note.to_string()).into_response())
}

#[utoipa::path(get, path = "/api/v1/log/credentials/{id}/bundle", tag = "log",
    summary = "Offline inclusion proof of a credential (a file to keep)",
    description = "Every log event of the credential with its audit path to the newest signed checkpoint, the checkpoint itself (C2SP signed note, with any witness cosignatures) and the log's verifier key: `pathledger verify CREDENTIAL --proof BUNDLE` checks it without our database or server.",
    params(("id" = String, Path, description = "Credential id")),
    responses(
        (status = 200, description = "The bundle (`pathledger-inclusion-proof/v1`), as an attachment", body = Object),
        NotFound,
    ))]
async fn log_proof_bundle(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let bundle = app.inclusion_proof_bundle(&id).await?;
    let body = serde_json::to_vec_pretty(&bundle).map_err(|_| ApiError::internal())?;
    let file: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}.inclusion-proof.json\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/log/credentials/{id}/proof", tag = "log",
    summary = "Inclusion proof of a credential's latest event",
    params(("id" = String, Path, description = "Credential id")),
    responses(
        (status = 200, description = "Entry, audit path and the signed head it leads to", body = schemas::InclusionBundle),
        NotFound,
    ))]
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

#[utoipa::path(get, path = "/api/v1/log/consistency", tag = "log",
    summary = "Consistency proof between two tree sizes",
    params(
        ("from" = u64, Query, description = "Older tree size"),
        ("to" = u64, Query, description = "Newer tree size (at most the current size)"),
    ),
    responses(
        (status = 200, description = "The proof", body = schemas::Consistency),
        (status = 400, description = "`from` or `to` missing or not a number (`bad_request`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Sizes out of order or beyond the log (`invalid_input`)", body = schemas::Problem, content_type = "application/problem+json"),
    ))]
async fn log_consistency(
    State(app): State<App>,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<Value>, ApiError> {
    // A size beyond the log is refused here: the store would otherwise look up nodes that
    // cannot exist (a 500 for huge sizes) or, for `from == to`, answer an empty proof.
    let size = app.store().log_size().await?;
    if q.to > size {
        return Err(ApiError::invalid(
            "to",
            format!("tree size {} is beyond the log's {size} leaves", q.to),
        ));
    }
    let proof = app
        .store()
        .consistency_proof(q.from, q.to)
        .await
        .map_err(ApiError::from_store)?;
    let hexes: Vec<String> = proof.iter().map(hex::encode).collect();
    Ok(Json(json!({"from": q.from, "to": q.to, "proof": hexes})))
}

#[utoipa::path(get, path = "/status/{list_id}", tag = "public",
    summary = "Bitstring status list credential",
    params(("list_id" = String, Path, description = "Status list id")),
    responses(
        (status = 200, description = "The signed list (cached 60 s)", body = schemas::StatusListCredential, content_type = "application/vc+ld+json"),
        NotFound,
    ))]
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

#[utoipa::path(get, path = "/issuers/{id}/did.json", tag = "public",
    summary = "did:web document of an issuer (current and retired keys)",
    params(("id" = String, Path, description = "Issuer id")),
    responses(
        (status = 200, description = "The DID document", body = schemas::DidDocument),
        NotFound,
    ))]
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
#[utoipa::path(get, path = "/.well-known/did.json", tag = "public",
    summary = "did:web document of the host itself",
    description = "Only when the deployment names the issuer it speaks for (`--host-issuer`); 404 otherwise (each issuer's document is at `/issuers/{id}/did.json`).",
    responses(
        (status = 200, description = "The DID document", body = schemas::DidDocument),
        NotFound,
    ))]
async fn well_known_did(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    app.key_ring()
        .host_document
        .clone()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("This deployment has no host DID; each issuer's DID document is at /issuers/{id}/did.json."))
}

#[utoipa::path(get, path = "/issuers/{id}", tag = "public",
    summary = "An issuer's Open Badges profile",
    params(("id" = String, Path, description = "Issuer id")),
    responses(
        (status = 200, description = "The profile", body = schemas::IssuerProfile),
        NotFound,
    ))]
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
