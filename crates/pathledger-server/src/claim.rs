//! Wallet claims by the VC-API exchange of the Learner Credential Wallet: the holder's claim page
//! (`/credentials/{id}/claim`: a fresh single-use claim as the wallet's deep link, QR code and
//! button), the same exchange as an Interaction URL, and the exchange itself
//! (`POST /workflows/claim/exchanges/{exchange_id}`: `{}` → the DID Authentication request; the
//! wallet's signed presentation → its copy of the credential). The rules are
//! `pathledger_app::wallet_exchange`; this is their HTTP.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use pathledger_app::wallet_exchange::{exchange_challenge, exchange_domain, public_origin};
use pathledger_app::{AppError, ClaimProtocol};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;
use crate::auth::MaybeCaller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::schemas;
use crate::pages;
use crate::web::{page, urlencode_component};

/// The largest body an exchange step reads: a DID Authentication presentation is about 1 KB.
pub const EXCHANGE_BODY_LIMIT: usize = 64 * 1024;

/// The exchange routes (in the OpenAPI document).
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(exchange))
        .routes(routes!(legacy_exchange))
        .layer(DefaultBodyLimit::max(EXCHANGE_BODY_LIMIT))
}

/// The claim page and the Interaction URL (listed in [`crate::PAGE_ROUTES`]).
pub fn pages() -> Router<App> {
    Router::new()
        .route("/credentials/{id}/claim", get(claim_page))
        .route(
            "/workflows/claim/interactions/{exchange_id}",
            get(interaction),
        )
}

/// The Learner Credential Wallet's deep link to the exchange (`request=` message).
pub fn lcw_deep_link(app: &App, secret: &str) -> String {
    let request = json!({
        "credentialRequestOrigin": public_origin(app.public_url()),
        "protocols": {"vcapi": app.exchange_url(secret)},
    });
    format!(
        "https://lcw.app/request?request={}",
        urlencode_component(&request.to_string())
    )
}

/// The exchange as an Interaction URL (VCALM: `iuv=1`; `GET` with `Accept: application/json`
/// names the protocols).
pub fn interaction_url(app: &App, secret: &str) -> String {
    format!(
        "{}/workflows/claim/interactions/{secret}?iuv=1",
        app.public_url()
    )
}

/// LCW's older link: the wallet POSTs its bare signed presentation to `vc_request_url`.
pub fn lcw_legacy_link(app: &App, secret: &str) -> String {
    format!(
        "https://lcw.app/request.html?issuer={}&auth_type=bearer&challenge={}&vc_request_url={}",
        urlencode_component(&exchange_domain(app.public_url())),
        exchange_challenge(secret),
        urlencode_component(&format!("{}/vc-request", app.exchange_url(secret)))
    )
}

async fn claim_page(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(who) = caller.0.as_ref() else {
        return Ok(Redirect::to("/login").into_response());
    };
    // Someone else's credential is "not found", exactly as a missing one.
    let claim = app
        .create_wallet_claim(&who.actor, &id, ClaimProtocol::VcApi)
        .await?;
    let earlier: Vec<_> = app
        .wallet_claims_of(&who.actor, &id)
        .await?
        .into_iter()
        .filter(|c| c.id != claim.id)
        .collect();
    let rec = app.store().credential(&id).await?;
    let doc: Value = serde_json::from_str(&rec.document).map_err(|_| ApiError::internal())?;
    let achievement = pages::credential::Shown::of(&doc).achievement;
    let body = pages::claim::claim_page(&pages::claim::ClaimView {
        credential_id: &id,
        achievement: &achievement,
        deep_link: &lcw_deep_link(&app, &claim.secret),
        interaction_url: &interaction_url(&app, &claim.secret),
        legacy_link: &lcw_legacy_link(&app, &claim.secret),
        expires_ms: claim.expires_ms,
        earlier: &earlier,
    });
    let mut resp = page(&format!("Add {achievement} to a wallet"), &caller, body).into_response();
    // The page carries a live claim secret: never stored by a cache.
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    Ok(resp)
}

/// An exchange's refusals: unknown 404, expired 410, used by another wallet 409, a
/// presentation that does not verify 422 naming the field.
/// The presentation a wallet receives its credential in (both exchange flows).
fn presentation_of(credential: Value) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [credential],
    })
}

fn exchange_error(e: AppError) -> ApiError {
    match e {
        AppError::Invalid { field, message } if field == "claim" => {
            ApiError::new(StatusCode::GONE, "exchange_expired", message)
        }
        AppError::NotFound(_) => ApiError::not_found(
            "No such exchange: the claim link is unknown. Make a new one from your credential.",
        ),
        other => other.into(),
    }
}

/// A wallet opening the Interaction URL: with `Accept: application/json` the protocols it can
/// use; a browser gets a page saying to open it in a wallet.
async fn interaction(
    State(app): State<App>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(exchange_id): Path<String>,
) -> Result<Response, ApiError> {
    app.claim_exchange(&exchange_id)
        .await
        .map_err(exchange_error)?;
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("json") && !a.contains("text/html"));
    if wants_json {
        return Ok((
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({"protocols": {"vcapi": app.exchange_url(&exchange_id)}})),
        )
            .into_response());
    }
    let body = maud::html! {
        h1 { "Open this link in your wallet" }
        p { "This is a link for a wallet app, not for a browser. Open the Learner Credential Wallet, tap "
            strong { "Add credential" } ", then " strong { "Scan QR code" } ", and scan the code on the claim page." }
        p { a.button href=(lcw_deep_link(&app, &exchange_id)) rel="noopener" { "Open in Learner Credential Wallet" } }
    };
    let mut resp = page("Open in your wallet", &caller, body).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

/// The exchange answered to a wallet (`Cache-Control: no-store`: it carries the credential).
fn exchange_answer(v: Value) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(v)).into_response()
}

/// A claim exchange (VC-API "participate in an exchange"): `{}` starts it and is answered with
/// a DID Authentication request; `{"verifiablePresentation": …}`, the wallet's presentation
/// signed by its did:key over the request's challenge and domain, spends the claim and is
/// answered with the credential made out to that DID. The exchange id is the claim link's
/// secret; no session is read.
#[utoipa::path(post, path = "/workflows/claim/exchanges/{exchange_id}", tag = "wallets",
    summary = "VC-API exchange: claim a credential into a wallet",
    description = "The exchange of a claim link (the Learner Credential Wallet's flow). `{}` → `verifiablePresentationRequest`: one `DIDAuthentication` query (`acceptedMethods` key; `Ed25519Signature2020` or `eddsa-rdfc-2022`), a `challenge` bound to this exchange and this host's `domain`. `{\"verifiablePresentation\": …}` signed by its `holder` (a did:key; purpose `authentication`, that challenge and domain) → `verifiablePresentation` carrying the credential whose subject is the holder. Single use: the same wallet may retry and gets the same credential; another wallet is refused. A refused presentation leaves the claim unused. No authentication: the exchange id is the secret.",
    params(("exchange_id" = String, Path, description = "The exchange id (the claim link's secret)")),
    request_body = schemas::ExchangeRequest,
    responses(
        (status = 200, description = "The request to answer, or the wallet's credential", body = schemas::ExchangeAnswer),
        (status = 404, description = "No such exchange (`not_found`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another wallet used this claim, or the credential is no longer valid (`conflict`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 410, description = "The claim link expired unused (`exchange_expired`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The presentation does not verify or is not the wallet's: no holder, not a did:key, no proof, wrong challenge or domain, bad signature (`invalid_input`, `field` names the member)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 400, description = "The body is not valid JSON (`malformed_json`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 64 KiB (`payload_too_large`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared `application/json`", body = schemas::Problem, content_type = "application/problem+json"),
    ))]
async fn exchange(
    State(app): State<App>,
    Path(exchange_id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let Value::Object(members) = body else {
        return Err(ApiError::invalid(
            "/",
            "send {} to start the exchange, or {\"verifiablePresentation\": …} to answer it",
        ));
    };
    if members.is_empty() {
        let request = app
            .start_claim_exchange(&exchange_id)
            .await
            .map_err(exchange_error)?;
        return Ok(exchange_answer(
            json!({"verifiablePresentationRequest": request}),
        ));
    }
    let Some(vp) = members.get("verifiablePresentation") else {
        return Err(ApiError::invalid(
            "/verifiablePresentation",
            "send {} to start the exchange, or {\"verifiablePresentation\": …} to answer it",
        ));
    };
    let issued = app
        .answer_claim_exchange(&exchange_id, vp.clone(), false)
        .await
        .map_err(exchange_error)?;
    Ok(exchange_answer(
        json!({"verifiablePresentation": presentation_of(issued.credential)}),
    ))
}

/// LCW's older flow: the wallet POSTs its bare signed presentation (the link's challenge, no
/// domain) to the link's `vc_request_url`, and gets the credential in a presentation.
#[utoipa::path(post, path = "/workflows/claim/exchanges/{exchange_id}/vc-request", tag = "wallets",
    summary = "Claim a credential into an older Learner Credential Wallet",
    description = "LCW's older link (`vc_request_url`, `auth_type=bearer`): the body is the wallet's bare presentation signed by its did:key with purpose `authentication` and the link's `challenge` (a `domain`, if any, is not required). Answered with a presentation carrying the credential whose subject is the holder. Same single use as the exchange.",
    params(("exchange_id" = String, Path, description = "The exchange id (the claim link's secret)")),
    request_body = schemas::VerifiablePresentation,
    responses(
        (status = 200, description = "The wallet's credential, in a presentation", body = schemas::VerifiablePresentation),
        (status = 404, description = "No such exchange (`not_found`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another wallet used this claim, or the credential is no longer valid (`conflict`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 410, description = "The claim link expired unused (`exchange_expired`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The presentation does not verify or is not the wallet's (`invalid_input`, `field` names the member)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 400, description = "The body is not valid JSON (`malformed_json`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 64 KiB (`payload_too_large`)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared `application/json`", body = schemas::Problem, content_type = "application/problem+json"),
    ))]
async fn legacy_exchange(
    State(app): State<App>,
    Path(exchange_id): Path<String>,
    ApiJson(vp): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let issued = app
        .answer_claim_exchange(&exchange_id, vp, true)
        .await
        .map_err(|e| match e {
            // The presentation is the whole body here.
            AppError::Invalid { field, message }
                if field.starts_with("/verifiablePresentation") =>
            {
                let at = &field["/verifiablePresentation".len()..];
                AppError::invalid(if at.is_empty() { "/" } else { at }, message)
            }
            other => other,
        })
        .map_err(exchange_error)?;
    Ok(exchange_answer(presentation_of(issued.credential)))
}
