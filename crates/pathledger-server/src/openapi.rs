//! The OpenAPI 3.1 description of the API, served at `/openapi.json` and shown by the docs page.
//!
//! It is generated from the code: every JSON route is a handler with `#[utoipa::path]`,
//! registered through `utoipa_axum`'s `OpenApiRouter` (see [`crate::api_routes`]), so a route
//! cannot be served without being described. HTML pages are registered apart
//! ([`crate::page_routes`], listed in [`crate::PAGE_ROUTES`]).

pub mod schemas;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Json;
use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi};

/// The document's fixed parts: info, the `bearer` security scheme, the tags and the schemas
/// no operation names directly. The paths come from the router.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pathledger API",
        description = "Credential and career-pathway ledger for educators. Errors are RFC 9457 \
            `application/problem+json` (schema `Problem`) with a stable `code` and the offending \
            `field`. Scripts authenticate with `Authorization: Bearer <token>` (API tokens: \
            `POST /api/v1/me/tokens`); a call authenticated by a browser session cookie instead \
            must also send the session's form token in `X-CSRF-Token` and a JSON body. Failed \
            tokens from one address are answered 429 with `Retry-After` for a while. Any request \
            may also be answered 503 (`retryable`, `Retry-After`) when the database is \
            unavailable or the request took over 30 seconds, and 413 when its body is over 8 MiB."
    ),
    components(schemas(schemas::Problem, schemas::Cryptosuite, schemas::IssuerMode)),
    modifiers(&BearerScheme),
    tags(
        (name = "operations", description = "Liveness and this document"),
        (name = "vc-api", description = "W3C VC-API: issue, verify credentials and presentations"),
        (name = "issuance", description = "Issuing micro-credentials"),
        (name = "status", description = "Revocation and suspension"),
        (name = "verification", description = "Verification reports"),
        (name = "pathways", description = "Educators' progress and plans"),
        (name = "log", description = "The transparency log"),
        (name = "evidence", description = "Evidence, review and endorsements"),
        (name = "endorsers", description = "Endorser grants"),
        (name = "definitions", description = "Frameworks, achievements, stacks, roles; trusted issuers"),
        (name = "keys", description = "Issuer signing keys"),
        (name = "account", description = "The caller's own account and tokens"),
        (name = "accounts", description = "Invitations, enrollment, OpenID Connect sign-in"),
        (name = "members", description = "Organization members"),
        (name = "privacy", description = "Data subjects' export and deletion"),
        (name = "wallets", description = "Claiming a credential into a wallet (VC-API exchange)"),
        (name = "public", description = "Public documents: status lists, DID documents, issuer profiles"),
        (name = "wallets", description = "OpenID for Verifiable Credential Issuance 1.0: metadata, offers, token, nonce, credential"),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` security scheme.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "API token (`POST /api/v1/me/tokens`; the secret is shown once at creation)",
                    ))
                    .build(),
            ),
        );
    }
}

/// A problem+json response with `description`.
fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

/// Declares unit types whose `IntoResponses` is a set of problem+json responses, for
/// `responses(...)` of `#[utoipa::path]`.
macro_rules! problems {
    ($($(#[$m:meta])* $name:ident { $($status:literal => $desc:literal),+ $(,)? })*) => {$(
        $(#[$m])*
        pub struct $name;
        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                BTreeMap::from([$(($status.to_string(), problem($desc))),+])
            }
        }
    )*};
}

problems! {
    /// Routes that take an API token (or a session): 401 without one, 429 after too many bad
    /// tokens from one address.
    Auth {
        "401" => "No valid API token or session (`unauthenticated`).",
        "429" => "Too many failed tokens or sign-ins from this address (`throttled`, `Retry-After`).",
    }
    /// Routes that read an optional token: a bad one is still refused.
    OptionalAuth {
        "401" => "The API token sent is not valid (`unauthenticated`); send none for the public answer.",
        "429" => "Too many failed tokens from this address (`throttled`, `Retry-After`).",
    }
    /// The caller lacks the access role.
    Forbidden {
        "403" => "The caller does not hold the access role this needs in that organization (`forbidden`, or a more specific code).",
    }
    /// Something named does not exist.
    NotFound {
        "404" => "Not found (`not_found`).",
    }
    /// The state forbids it.
    Conflict {
        "409" => "Conflicts with the current state (`conflict`).",
    }
    /// Invalid input.
    Invalid {
        "422" => "Invalid input (`invalid_input`); `field` names it.",
    }
    /// Malformed input.
    BadRequest {
        "400" => "Malformed request: JSON that does not parse (`malformed_json`) or a bad query string (`bad_request`).",
    }
    /// A JSON body, through the strict JSON reader: 400, 413, 415, 422.
    JsonBody {
        "400" => "The body is not valid JSON (`malformed_json`, with line and column).",
        "413" => "The body is over 8 MiB (`payload_too_large`).",
        "415" => "The body is not declared `application/json` (`unsupported_media_type`).",
        "422" => "A member is missing, of the wrong type or invalid (`invalid_input`); `field` names it.",
    }
    /// A body read as bytes and parsed without looking at its content type: 400, 413, 422.
    RawJsonBody {
        "400" => "The body is not valid JSON (`malformed_json`).",
        "413" => "The body is over 8 MiB (`payload_too_large`).",
        "422" => "A member is missing, of the wrong type or invalid (`invalid_input`); `field` names it.",
    }
}

/// Operations whose JSON body may be left out entirely (`#[utoipa::path]` can only make a body
/// optional by making it nullable, and `null` is refused).
const OPTIONAL_BODIES: [&str; 4] = [
    "/api/v1/credentials/{id}/revoke",
    "/api/v1/credentials/{id}/suspend",
    "/api/v1/credentials/{id}/reinstate",
    "/api/v1/educators/{id}/deletion-request",
];

/// The document, built once from the router.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = crate::api_routes().into_openapi();
        for path in OPTIONAL_BODIES {
            let body = doc
                .paths
                .paths
                .get_mut(path)
                .and_then(|item| item.post.as_mut())
                .and_then(|op| op.request_body.as_mut());
            if let Some(body) = body {
                body.required = Some(utoipa::openapi::Required::False);
            }
        }
        doc
    })
}

/// The document as JSON.
pub fn document() -> Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::to_value(openapi()).unwrap_or(Value::Null))
        .clone()
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    summary = "This OpenAPI 3.1 document",
    responses((status = 200, description = "The OpenAPI document", body = Object))
)]
pub async fn openapi_json() -> Json<Value> {
    Json(document())
}
