//! The OpenAPI 3.1 description of the API, served at `/openapi.json`, and a bundled docs page.

use axum::Json;
use serde_json::{json, Value};

fn op(summary: &str, tag: &str, secured: bool) -> Value {
    let mut o = json!({
        "summary": summary,
        "tags": [tag],
        "responses": {
            "200": {"description": "OK"},
            "4XX": {"description": "Problem", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        }
    });
    if secured {
        o["security"] = json!([{"bearer": []}]);
    }
    o
}

/// The OpenAPI document.
pub fn document() -> Value {
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "Pathledger API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Credential and career-pathway ledger for educators. Errors are RFC 9457 problem+json with a stable `code` and the offending `field`."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "API token (shown once at creation)"}},
            "schemas": {
                "Problem": {"type": "object", "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                    "code": {"type": "string"}, "detail": {"type": "string"}, "field": {"type": "string"}, "retryable": {"type": "boolean"}}},
                "VerificationReport": {"type": "object", "required": ["verdict", "message", "checks"], "properties": {
                    "verdict": {"enum": ["valid", "tampered", "revoked", "suspended", "expired", "not_yet_valid", "unknown_issuer", "malformed", "could_not_check", "unsupported_format"]},
                    "message": {"type": "string"},
                    "checks": {"type": "array", "items": {"type": "object", "properties": {
                        "check": {"enum": ["well_formed", "schema", "proof", "issuer", "validity", "status"]},
                        "status": {"enum": ["passed", "failed", "not_checked"]},
                        "code": {"type": "string"}, "message": {"type": "string"}}}}}}
            }
        },
        "paths": {
            "/healthz": {"get": op("Liveness and database check", "operations", false)},
            "/credentials/issue": {"post": op("VC-API: sign a VC 2.0 credential as the organization's issuer and record it on the ledger (status entry, log leaf; header Idempotency-Key; query: cryptosuite, issuer=did:key for test harnesses). A VC 1.1 credential is issued as VC 1.1 (Data Integrity context appended). A credential naming another issuer, carrying a proof, or breaking the data model (type without VerifiableCredential, a non-URL issuer, an empty or missing credentialSubject, an untyped credentialStatus/termsOfUse/evidence/refreshService/credentialSchema item, a credentialSchema without id, validFrom/validUntil not a dateTimeStamp or in the wrong order, relatedResource without id or digest, with a duplicate id or a digest that disagrees with the published one) is refused with 422 naming the member", "vc-api", true)},
            "/credentials/verify": {"post": op("VC-API: verify a credential {verifiableCredential, options?: {checks?: [proof|validity|status|issuer|schema]}} (default proof, validity, status); answers {verified, checks, warnings, errors, report}, 200 verified, 422 not. An issuer outside the trust list is a warning unless the issuer check is asked for", "vc-api", false)},
            "/presentations/verify": {"post": op("VC-API: verify a presentation {verifiablePresentation, options?: {challenge?, domain?, checks?, holderIsSubject?}}: the holder's proof (authentication; Data Integrity or Ed25519Signature2020), each credential on the checks; answers {verified, checks, warnings, errors, credentialResults, presentationResult}, 200 or 422", "vc-api", false)},
            "/api/v1/credentials": {"post": op("Issue a micro-credential: {achievement, recipient, suite?, idempotency_key?, valid_until?, evidence?}; answers {id, replayed, log_index, awarded: [{id, achievement}] (certificates and role awards this credential completed), verifiableCredential}", "issuance", true)},
            "/api/v1/credentials/{id}": {"get": op("The exact signed credential", "issuance", false)},
            "/api/v1/credentials/{id}/revoke": {"post": op("Revoke {reason?}", "status", true)},
            "/api/v1/credentials/{id}/suspend": {"post": op("Suspend {reason?}", "status", true)},
            "/api/v1/credentials/{id}/reinstate": {"post": op("Reinstate a suspended credential", "status", true)},
            "/api/v1/verify": {"post": op("Verification report for what a district is handed: OB 3.0 / VC 2.0 / VC 1.1 credential JSON (Data Integrity), an OB 3.0 VC-JWT (EdDSA, ES256, RS256), an Open Badges 2.0 signed (JWS) or hosted (link) assertion, a baked PNG or SVG badge (raw bytes), an EnvelopedVerifiableCredential, a link to or urn:uuid id of a credential issued here. Other issuers' documents are fetched only when the deployment fetches. A format we do not check is unsupported_format; input that is no credential at all is 400 not_a_credential", "verification", false)},
            "/api/v1/verify/batch": {"post": op("Reports for a JSON array of at most 1,000 credentials, in order, streamed as they are verified (a credential needing more canonicalization work than the request has left is could_not_check, WORK_BUDGET_SPENT)", "verification", false)},
            "/api/v1/educators/{id}/progress": {"get": op("Where the educator stands on every role", "pathways", true)},
            "/api/v1/educators/{id}/plan": {"get": op("Cheapest plan to ?target=<role id>", "pathways", true)},
            "/api/v1/log/head": {"get": op("A freshly signed tree head of the transparency log", "log", false)},
            "/api/v1/log/credentials/{id}/proof": {"get": op("Inclusion proofs of a credential's events", "log", false)},
            "/api/v1/log/consistency": {"get": op("Consistency proof ?from=&to=", "log", false)},
            "/api/v1/credentials/bulk": {"post": op("Bulk issue {suite?, rows: [{achievement, recipient, valid_until?, idempotency_key?}]} (at most 1,000 rows): one result per row; members who complete a stack or reach a role are awarded its credential", "issuance", true)},
            "/api/v1/evidence": {
                "get": op("The caller's own evidence submissions and those assigned to them", "evidence", true),
                "post": op("Submit evidence {achievement, narrative, url?, assessor} (educators)", "evidence", true)},
            "/api/v1/evidence/{id}": {"get": op("One submission (the educator, the assigned assessor, an org admin)", "evidence", true)},
            "/api/v1/evidence/{id}/decision": {"post": op("Decide {decision: accept|return, comment?}: acceptance issues the credential and awards what it completes", "evidence", true)},
            "/api/v1/endorsements": {"post": op("Mentor endorsement {educator, competency, endorser_role?, comment}: returns the signed EndorsementCredential. endorser_role must be a career role the caller holds in the educator's organization (reached, or granted by an org admin): 403 endorser_role_not_held / not_an_endorser otherwise; optional when they hold exactly one, 422 listing the choices when several", "evidence", true)},
            "/api/v1/orgs/{org}/endorsers": {
                "get": op("The organization's active endorser grants [{id, org, user, role, granted_by, granted_ms}] (org admins of that organization)", "endorsers", true),
                "post": op("Grant {user: user id or sign-in email of a member, role: career role id}: the user endorses as that role in this organization; logged (answer carries log_index). 201; 409 if already granted (org admins of that organization)", "endorsers", true)},
            "/api/v1/orgs/{org}/endorsers/{grant}": {"delete": op("Revoke an endorser grant; logged (org admins of that organization)", "endorsers", true)},
            "/api/v1/me": {"get": op("The caller (token or session): {user: {id, email, display_name}, memberships: [{org: {id, name}, roles: [access role]}], endorser_roles: [{org: {id, name}, roles: [{role, name, source: reached|grant, grant?}]}], educators: [{id, org: {id, name}}]}", "account", true)},
            "/api/v1/educators/{id}/community": {"put": op("The educator's own choice of who sees them in communities of practice {visibility: hidden|organization|public} (the educator only)", "account", true)},
            "/api/v1/orgs/{org}/definitions": {
                "get": op("Framework, achievements, stacks and pathways as JSON (?format=case for the framework as CASE 1.0)", "definitions", true),
                "put": op("Replace the definitions with a new validated version (org admins); errors list their paths", "definitions", true)},
            "/api/v1/me/educators": {"post": op("Link the caller's educator record in another organization {org} (the record carrying the caller's sign-in email) to their account; answers 201 {id, org}", "accounts", true)},
            "/api/v1/orgs/{org}/trusted-issuers": {
                "get": op("The other organizations' issuers whose credentials (on records the caller's educators linked) count toward this organization's pathways", "definitions", true),
                "post": op("Trust another organization's issuer {issuer} (org admins)", "definitions", true)},
            "/api/v1/orgs/{org}/trusted-issuers/{issuer}": {"delete": op("Withdraw trust in an issuer (org admins); answers 204", "definitions", true)},
            "/api/v1/educators/{id}/clr": {"get": op("The educator's valid credentials as a signed CLR 2.0 bundle", "pathways", true)},
            "/api/v1/issuers/{id}/keys": {"get": op("An issuer's public keys, current and retired", "keys", true)},
            "/api/v1/issuers/{id}/keys/rotate": {"post": op("Rotate an issuer's signing key (org admins); retired keys still verify", "keys", true)},
            "/api/v1/log/audit": {"get": op("Recompute the log from its leaves and check every signed head (org admins)", "log", true)},
            "/status/{list_id}": {"get": op("Bitstring status list credential", "public", false)},
            "/.well-known/did.json": {"get": op("did:web document of the host itself, when the deployment configures the issuer it speaks for (--host-issuer); 404 otherwise", "public", false)},
            "/issuers/{id}/did.json": {"get": op("did:web document of an issuer (current and retired keys)", "public", false)}
        }
    });
    // Added apart: one more member in the literal above passes `json!`'s recursion limit.
    if let Some(paths) = doc["paths"].as_object_mut() {
        paths.extend(privacy_paths());
        paths.extend(accounts_paths());
    }
    // Members and one's own tokens (a second literal: one is at serde_json's macro depth).
    let more = json!({
            "/api/v1/orgs/{org}/members": {"get": op("The organization's members [{user, email, display_name, roles, active}] (org admins of that organization)", "members", true)},
            "/api/v1/orgs/{org}/members/events": {"get": op("Every grant, revoke, deactivation and reactivation in the organization [{id, org, user, action, roles, by, at_ms}] (org admins of that organization)", "members", true)},
            "/api/v1/orgs/{org}/members/{user}/roles": {"put": op("Set a member's access roles exactly {roles: [org_admin|issuer|assessor|verifier|educator]}; at once, recorded; 409 removing one's own org_admin (org admins of that organization)", "members", true)},
            "/api/v1/orgs/{org}/members/{user}/deactivate": {"post": op("Deactivate a member in this organization: their roles here are removed; when nothing else ties them to the deployment their sessions and API tokens stop working at once (account_deactivated: true). 409 for oneself (org admins of that organization)", "members", true)},
            "/api/v1/orgs/{org}/members/{user}/reactivate": {"post": op("Reactivate a member deactivated here: their roles are restored; 409 when the operator deactivated the account (org admins of that organization)", "members", true)},
            "/api/v1/me/tokens": {
                "get": op("The caller's own API tokens [{id, label, created_ms, expires_ms, revoked_ms, revoked}]: never the secret", "account", true),
                "post": op("Create an API token {label, expires_in_days?}: 201 {id, label, expires_ms, secret}; the secret is shown this once and stored hashed", "account", true)},
            "/api/v1/me/tokens/{id}": {"delete": op("Revoke one of the caller's own tokens; another user's token is 404", "account", true)}
    });
    if let (Some(paths), Value::Object(more)) = (doc["paths"].as_object_mut(), more) {
        paths.extend(more);
    }
    // OpenID Connect sign-in per organization (a literal of its own, as above).
    let oidc = json!({
            "/api/v1/orgs/{org}/oidc": {
                "get": op("The organization's OpenID Connect sign-in {org, configured, issuer_url?, client_id?, label?, redirect_uri, sign_in_url?, created_ms?, updated_ms?}: never the client secret; redirect_uri is what to register at the provider (org admins of that organization)", "accounts", true),
                "put": op("Configure or replace it {issuer_url, client_id, client_secret, label}: the issuer must be https and its discovery document is fetched (422 naming issuer_url when it cannot be used); the secret is stored sealed (org admins of that organization)", "accounts", true),
                "delete": op("Remove it: 204; 404 when there is none (org admins of that organization)", "accounts", true)},
            "/login/oidc/{org}": {"get": op("Browser: start signing in at the organization's provider (binds the browser with a cookie; 303 to the provider's authorization endpoint, authorization code with PKCE S256)", "accounts", false)},
            "/login/oidc/callback": {"get": op("Browser: the provider's redirect {code, state, iss?, error?}: once, in the browser that started, within 10 minutes; the ID token's verified email must belong to an account of that organization and of no other (else open enrollment, else refused with a page); 303 to the landing page with a session", "accounts", false)}
    });
    if let (Some(paths), Value::Object(oidc)) = (doc["paths"].as_object_mut(), oidc) {
        paths.extend(oidc);
    }
    doc
}

/// The data subject's rights: export and deletion requests.
fn privacy_paths() -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert(
        "/api/v1/educators/{id}/export".into(),
        json!({"get": op("Everything stored about the educator as a JSON download {educator, identifiers, facts, evidence_submissions, credentials (exact signed documents), privacy_requests} (the educator themself, or an org admin of the record's organization)", "privacy", true)}),
    );
    m.insert(
        "/api/v1/educators/{id}/deletion-request".into(),
        json!({"post": op("The educator asks for their record to be erased {reason?}: 201 {id, state: pending}; 409 while one is pending (the educator only)", "privacy", true)}),
    );
    m.insert(
        "/api/v1/orgs/{org}/deletion-requests".into(),
        json!({"get": op("The organization's deletion requests, newest first (org admins of that organization)", "privacy", true)}),
    );
    m.insert(
        "/api/v1/orgs/{org}/deletion-requests/{id}/carry-out".into(),
        json!({"post": op("Carry out a pending request: the educator's credentials still valid are revoked (logged), then the record, identifiers, facts, submissions and credential records are erased; the request keeps only ids and times (org admins of that organization)", "privacy", true)}),
    );
    m.insert(
        "/api/v1/orgs/{org}/deletion-requests/{id}/decline".into(),
        json!({"post": op("Decline a pending request {reason} (org admins of that organization)", "privacy", true)}),
    );
    m
}

/// Invitations and open enrollment.
fn accounts_paths() -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert(
        "/api/v1/orgs/{org}/invitations".into(),
        json!({
            "get": op("The organization's invitations, newest first (at most 500) [{id, org, email, name, roles, educator, invited_by, state: pending|accepted|revoked|expired, created_ms, expires_ms, accepted_ms, revoked_ms}] (org admins of that organization)", "accounts", true),
            "post": op("Invite one person {email, name?, roles: [org_admin|issuer|assessor|verifier|educator]}: 201 with the invitation. The link is mailed to the address only, never returned; it works once, for 7 days; a pending invitation of the same address is replaced. Accepting creates the account (an existing account must be signed in to accept), grants the roles (recorded as the inviter's) and links the organization's educator record (org admins of that organization)", "accounts", true)
        }),
    );
    m.insert(
        "/api/v1/orgs/{org}/invitations/{id}".into(),
        json!({"delete": op("Withdraw a pending or expired invitation; 409 once accepted or withdrawn; another organization's invitation is 404 (org admins of that organization)", "accounts", true)}),
    );
    m.insert(
        "/api/v1/orgs/{org}/enrollment".into(),
        json!({
            "get": op("Whether the organization takes sign-ups {open, sign_up_url} (org admins of that organization)", "accounts", true),
            "put": op("Open or close sign-ups {open: bool}: people then join as educators at /join/{org} after confirming their email address by a single-use link (org admins of that organization)", "accounts", true)
        }),
    );
    m
}

/// `GET /openapi.json`.
pub async fn openapi_json() -> Json<Value> {
    Json(document())
}
