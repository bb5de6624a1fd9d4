//! OpenID for Verifiable Credential Issuance 1.0 on the wire (pre-authorized code flow): the
//! issuer's and authorization server's metadata, the offer by reference, the token, nonce and
//! credential endpoints, and the holder's offer page (QR code, deep link, transaction code).
//! The rules are `pathledger_app::oid4vci`. The token and credential endpoints answer errors in
//! OAuth's JSON (`error`, `error_description`; RFC 6749 §5.2, RFC 6750 §3, OID4VCI §8.3.1),
//! not problem+json: that is what wallets read.

use axum::body::Body;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http_body_util::BodyExt;
use pathledger_app::oid4vci::{self as rules, ProtocolError};
use pathledger_app::AppError;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::App;
use crate::auth::{bearer, MaybeCaller};
use crate::error::ApiError;
use crate::openapi::{schemas, NotFound};

/// Largest token request body read (a form of three short fields).
pub const MAX_TOKEN_BODY: usize = 8 * 1024;
/// Largest credential request body read (one key proof).
pub const MAX_CREDENTIAL_BODY: usize = 64 * 1024;

/// The protocol's JSON routes (in the OpenAPI document).
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(issuer_metadata))
        .routes(routes!(authorization_server_metadata))
        .routes(routes!(offer))
        .routes(routes!(token))
        .routes(routes!(nonce))
        .routes(routes!(credential))
}

/// The holder's offer page (listed in [`crate::PAGE_ROUTES`]).
pub fn pages() -> Router<App> {
    Router::new().route("/credentials/{id}/claim/oid4vci", get(offer_page))
}

/// JSON with `Cache-Control: no-store` (tokens, nonces, offers carry secrets).
fn no_store(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(body),
    )
        .into_response()
}

/// A protocol error on the wire: 401 with `WWW-Authenticate` for a bad access token (RFC 6750
/// §3), otherwise 400; `{"error", "error_description"}` as `application/json`, not cached.
fn protocol_error(e: ProtocolError) -> Response {
    let status = if e.is_token_error() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut resp = no_store(
        status,
        json!({"error": e.error, "error_description": e.description}),
    );
    if e.is_token_error() {
        // The description is our own text; quotes and backslashes are kept out of the header.
        let text: String = e
            .description
            .chars()
            .filter(|c| *c != '"' && *c != '\\' && (' '..='~').contains(c))
            .collect();
        if let Ok(v) = HeaderValue::from_str(&format!(
            "Bearer error=\"invalid_token\", error_description=\"{text}\""
        )) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
    }
    resp
}

/// An application failure (database down, an invariant broken) keeps its problem+json answer;
/// it is not the wallet's fault, so it has no OAuth code.
fn app_failure(e: AppError) -> Response {
    ApiError::from(e).into_response()
}

#[utoipa::path(get, path = "/.well-known/openid-credential-issuer", tag = "wallets",
    summary = "OpenID4VCI credential issuer metadata",
    description = "OID4VCI 1.0 §12.2: the credential issuer identifier is the deployment's public URL, which is also its own authorization server. One configuration, `OpenBadgeCredential` (`ldp_vc`), bound to a did:key or did:jwk by a `jwt` key proof signed with EdDSA.",
    responses((status = 200, description = "The metadata", body = schemas::CredentialIssuerMetadata)))]
async fn issuer_metadata(State(app): State<App>) -> Json<Value> {
    Json(rules::issuer_metadata(app.public_url()))
}

#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "wallets",
    summary = "OAuth 2.0 authorization server metadata (RFC 8414)",
    description = "The token endpoint and the pre-authorized code grant, open to anonymous wallets.",
    responses((status = 200, description = "The metadata", body = schemas::AuthorizationServerMetadata)))]
async fn authorization_server_metadata(State(app): State<App>) -> Json<Value> {
    Json(rules::authorization_server_metadata(app.public_url()))
}

#[utoipa::path(get, path = "/oid4vci/offers/{offer}", tag = "wallets",
    summary = "A credential offer, by reference",
    description = "What a wallet fetches from the `credential_offer_uri` of the holder's QR code (OID4VCI §4.1.3): the issuer, the configuration and the pre-authorized code, which needs the transaction code shown beside the QR code. 404 once the code was used, expired or killed by 5 wrong transaction codes.",
    params(("offer" = String, Path, description = "The offer id (256 random bits, hex)")),
    responses(
        (status = 200, description = "The credential offer", body = schemas::CredentialOffer),
        NotFound,
    ))]
async fn offer(State(app): State<App>, Path(offer): Path<String>) -> Result<Response, ApiError> {
    match app.oid4vci_offer_document(&offer).await? {
        Some(doc) => Ok(no_store(StatusCode::OK, doc)),
        None => Err(ApiError::not_found(
            "This credential offer does not exist, was used or has expired; make a new one from your credential.",
        )),
    }
}

/// The token request's form (OID4VCI §6.1).
#[derive(Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    #[serde(rename = "pre-authorized_code")]
    pre_authorized_code: Option<String>,
    tx_code: Option<String>,
}

/// The body of `req`, read up to `limit` bytes; `None` when longer.
async fn bounded_body(req: Request, limit: usize) -> Option<axum::body::Bytes> {
    http_body_util::Limited::new(req.into_body(), limit)
        .collect()
        .await
        .ok()
        .map(|b| b.to_bytes())
}

#[utoipa::path(post, path = "/oid4vci/token", tag = "wallets",
    summary = "Token endpoint: pre-authorized code and transaction code for an access token",
    description = "OID4VCI §6: `grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code`, `pre-authorized_code` and `tx_code`, form-encoded. A code is exchanged once; after 5 wrong transaction codes it no longer works. Errors are OAuth's JSON (`invalid_request`, `invalid_grant`, `unsupported_grant_type`).",
    request_body(content = schemas::TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The access token (`Cache-Control: no-store`)", body = schemas::TokenResponse),
        (status = 400, description = "An OAuth error", body = schemas::OAuthError),
    ))]
async fn token(State(app): State<App>, req: Request) -> Response {
    let form_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return protocol_error(ProtocolError::invalid_request(
            "the token request must be application/x-www-form-urlencoded",
        ));
    }
    let Some(bytes) = bounded_body(req, MAX_TOKEN_BODY).await else {
        return protocol_error(ProtocolError::invalid_request(format!(
            "the token request is longer than {MAX_TOKEN_BODY} bytes"
        )));
    };
    let req = axum::http::Request::builder()
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .method("POST")
        .body(Body::from(bytes))
        .expect("a request from its parts");
    let form = match axum::Form::<TokenForm>::from_request(req, &()).await {
        Ok(axum::Form(f)) => f,
        Err(e) => {
            return protocol_error(ProtocolError::invalid_request(format!(
                "the token request could not be read: {}",
                e.body_text()
            )))
        }
    };
    match app
        .oid4vci_token(
            form.grant_type.as_deref(),
            form.pre_authorized_code.as_deref(),
            form.tx_code.as_deref(),
        )
        .await
    {
        Ok(Ok(t)) => no_store(
            StatusCode::OK,
            json!({"access_token": t.access_token, "token_type": "Bearer", "expires_in": t.expires_in}),
        ),
        Ok(Err(e)) => protocol_error(e),
        Err(e) => app_failure(e),
    }
}

#[utoipa::path(post, path = "/oid4vci/nonce", tag = "wallets",
    summary = "Nonce endpoint: a fresh c_nonce",
    description = "OID4VCI §7. Valid for 5 minutes, once, at any server sharing the database.",
    responses((status = 200, description = "The nonce (`Cache-Control: no-store`)", body = schemas::NonceResponse)))]
async fn nonce(State(app): State<App>) -> Response {
    match app.oid4vci_nonce().await {
        Ok(n) => no_store(StatusCode::OK, json!({"c_nonce": n})),
        Err(e) => app_failure(e),
    }
}

#[utoipa::path(post, path = "/oid4vci/credential", tag = "wallets",
    summary = "Credential endpoint: the holder-bound Open Badge",
    description = "OID4VCI §8 with the access token as `Authorization: Bearer`: `credential_configuration_id` `OpenBadgeCredential` and one `jwt` key proof (`proofs.jwt`, or draft 15's `proof`) over a c_nonce, for the issuer. Issues, through the ledger, a copy of the offered credential whose `credentialSubject.id` is the proof key's DID. A bad token is 401 with `WWW-Authenticate`; other errors are 400 `invalid_credential_request`, `unknown_credential_configuration`, `unknown_credential_identifier`, `invalid_proof`, `invalid_nonce`, `invalid_encryption_parameters` or `credential_request_denied`.",
    request_body(content = schemas::CredentialRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The credential (`Cache-Control: no-store`)", body = schemas::CredentialResponse),
        (status = 400, description = "A credential request error", body = schemas::OAuthError),
        (status = 401, description = "No valid access token (`invalid_token`)", body = schemas::OAuthError),
    ))]
async fn credential(State(app): State<App>, req: Request) -> Response {
    let token = bearer(req.headers());
    let Some(bytes) = bounded_body(req, MAX_CREDENTIAL_BODY).await else {
        return protocol_error(ProtocolError::invalid_credential_request(format!(
            "the credential request is longer than {MAX_CREDENTIAL_BODY} bytes"
        )));
    };
    // The token is checked before the body is judged (RFC 6750: an unauthenticated request
    // learns nothing more); an unreadable body is then an empty request.
    let body: Value = pathledger_signing::parse_strict(&bytes).unwrap_or(Value::Null);
    match app.oid4vci_credential(token.as_deref(), &body).await {
        Ok(Ok(answer)) => no_store(StatusCode::OK, answer),
        Ok(Err(e)) => protocol_error(e),
        Err(e) => app_failure(e),
    }
}

/// The holder's page: a new claim and its offer, as a QR code and a link, with the transaction
/// code. Anyone but the credential's holder (another educator, an admin, a signed-out visitor)
/// gets the same 404 as for a credential that does not exist.
async fn offer_page(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::from(AppError::NotFound("This credential".into()));
    let Some(c) = caller.0.as_ref() else {
        return Err(not_found());
    };
    let offer = match app.create_oid4vci_offer(c, &id).await {
        Ok(o) => o,
        Err(AppError::NotFound(_) | AppError::Forbidden { .. }) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let rec = app
        .store()
        .credential(&offer.claim.credential_id)
        .await
        .map_err(ApiError::from_store)?;
    let doc: Value = serde_json::from_str(&rec.document).map_err(|_| ApiError::internal())?;
    let name = crate::pages::credential::Shown::of(&doc).achievement;
    let body = crate::pages::oid4vci::offer_page(&name, &id, &offer);
    let mut resp = Html(
        crate::pages::layout_with_menu(
            "Add to your wallet",
            Some(c.user.display_name.as_str()),
            c.form_token.as_deref(),
            c.menu,
            body,
        )
        .into_string(),
    )
    .into_response();
    // The page carries a live secret: never cached, never sent on as a referrer.
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_errors_carry_www_authenticate_without_quotes() {
        let r = protocol_error(ProtocolError::invalid_token("bad \"token\""));
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.headers()[header::WWW_AUTHENTICATE],
            "Bearer error=\"invalid_token\", error_description=\"bad token\""
        );
        let r = protocol_error(ProtocolError::invalid_grant("x"));
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        assert!(r.headers().get(header::WWW_AUTHENTICATE).is_none());
    }
}
