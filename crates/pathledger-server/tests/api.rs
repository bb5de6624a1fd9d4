//! End-to-end tests of the JSON API through the router: issue, verify, idempotent retries,
//! revocation, tampering, expiry, the VC-API endpoints, public documents and problem+json errors.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use serde_json::{json, Value};

async fn verify_verdict(env: &TestEnv, cred: &Value) -> String {
    let r = env
        .call(json_req(Method::POST, "/api/v1/verify", None, cred))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["verdict"]
        .as_str()
        .unwrap_or_else(|| panic!("no verdict in {}", r.text()))
        .to_owned()
}

/// Issue → verify → retry with the same key → revoke → verify again; tampering and expiry.
async fn core_flow(env: &TestEnv) {
    let health = env.call(get("/healthz")).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json()["status"], "ok");

    let issuer = env.token(ISSUER);
    let body = json!({"achievement": "mc-tools-1", "recipient": "new.teacher@example.org",
                      "idempotency_key": "core-flow-1"});
    let first = env
        .call(json_req(
            Method::POST,
            "/api/v1/credentials",
            Some(&issuer),
            &body,
        ))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let first = first.json();
    let id = first["id"].as_str().expect("id").to_owned();
    assert_eq!(first["replayed"], false);
    let cred = first["verifiableCredential"].clone();
    assert_eq!(cred["id"], id.as_str());
    assert_eq!(verify_verdict(env, &cred).await, "valid");

    // A retry with the same key answers with the first result and issues nothing new.
    let size = env.tree_size().await;
    let retry = env
        .call(json_req(
            Method::POST,
            "/api/v1/credentials",
            Some(&issuer),
            &body,
        ))
        .await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.text());
    let retry = retry.json();
    assert_eq!(retry["id"], id.as_str());
    assert_eq!(retry["replayed"], true);
    assert_eq!(retry["verifiableCredential"], cred);
    assert_eq!(env.tree_size().await, size);

    // The public JSON of the credential is the exact signed document.
    let public = env.call(get(&format!("/api/v1/credentials/{id}"))).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.json(), cred);

    // Tampering: same proof, different name.
    assert_eq!(
        verify_verdict(env, &tampered(cred.clone())).await,
        "tampered"
    );

    // Revoke, then the same credential verifies as revoked.
    let revoke = env
        .call(json_req(
            Method::POST,
            &format!("/api/v1/credentials/{id}/revoke"),
            Some(&issuer),
            &json!({"reason": "issued to the wrong person"}),
        ))
        .await;
    assert_eq!(revoke.status, StatusCode::OK, "{}", revoke.text());
    assert_eq!(revoke.json()["status"], "revoked");
    assert_eq!(verify_verdict(env, &cred).await, "revoked");
    assert_eq!(env.tree_size().await, size + 1);

    // The demo's expired sample.
    let_expire(env).await;
    let expired = env.credential_json(&env.sample("expired")).await;
    assert_eq!(verify_verdict(env, &expired).await, "expired");

    // VC-API verify: 200 verified for valid, 422 for revoked.
    let valid = env.credential_json(&env.sample("valid")).await;
    let ok = env
        .call(json_req(
            Method::POST,
            "/credentials/verify",
            None,
            &json!({"verifiableCredential": valid}),
        ))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(ok.json()["verified"], true);
    let bad = env
        .call(json_req(
            Method::POST,
            "/credentials/verify",
            None,
            &json!({"verifiableCredential": cred}),
        ))
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    let bad = bad.json();
    assert_eq!(bad["verified"], false);
    assert_eq!(bad["report"]["verdict"], "revoked");
    assert!(
        bad["errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x["check"] == "status")),
        "{bad}"
    );
}

#[tokio::test]
async fn core_api_flow_on_sqlite() {
    let env = sqlite_env().await;
    core_flow(&env).await;
}

#[tokio::test]
async fn core_api_flow_on_postgres() {
    let Some(env) = postgres_env().await else {
        return;
    };
    let health = env.call(get("/healthz")).await;
    assert_eq!(health.json()["backend"], "postgres", "{}", health.text());
    core_flow(&env).await;
}

/// Issuing the last part of a stack through the API awards the stack's certificate in the same
/// call, once; a retry of that issuance awards nothing new.
#[tokio::test]
async fn issuing_the_last_part_of_a_stack_awards_its_certificate() {
    let env = sqlite_env().await;
    let issuer = env.token(ISSUER);
    let issue = |ach: &str, key: &str| {
        json_req(
            Method::POST,
            "/api/v1/credentials",
            Some(&issuer),
            &json!({"achievement": ach, "recipient": "cohort.one@example.org", "idempotency_key": key}),
        )
    };
    for (ach, key) in [("mc-tools-1", "a1"), ("mc-learner-centered-1", "a2")] {
        let r = env.call(issue(ach, key)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(
            r.json()["awarded"],
            json!([]),
            "{ach} completes nothing yet"
        );
    }
    let last = env.call(issue("mc-tech-integration-1", "a3")).await;
    assert_eq!(last.status, StatusCode::CREATED, "{}", last.text());
    let awarded = last.json()["awarded"].clone();
    let awarded = awarded.as_array().expect("awarded list");
    assert_eq!(awarded.len(), 1, "{awarded:?}");
    assert_eq!(awarded[0]["achievement"], "cert-blended-foundations");
    let cert_id = awarded[0]["id"].as_str().expect("id").to_owned();
    let cert = env
        .call(get(&format!("/api/v1/credentials/{cert_id}")))
        .await;
    assert_eq!(cert.status, StatusCode::OK);
    assert_eq!(verify_verdict(&env, &cert.json()).await, "valid");

    let retry = env.call(issue("mc-tech-integration-1", "a3")).await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.text());
    assert_eq!(retry.json()["awarded"], json!([]));
    assert_eq!(
        env.count_held("cohort.one@example.org", "cert-blended-foundations")
            .await,
        1
    );
}

#[tokio::test]
async fn vc_api_issue_signs_a_plain_credential_as_given_with_did_key() {
    let env = sqlite_env().await;
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "name": "Alumni Credential",
        "validFrom": "2023-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"}
    });
    let r = env
        .call(json_req(
            Method::POST,
            "/credentials/issue?cryptosuite=eddsa-rdfc-2022&issuer=did:key",
            Some(&env.token(ISSUER)),
            &json!({"credential": credential}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let signed = r.json()["verifiableCredential"].clone();
    // Signed as given: every field we sent is unchanged; only issuer and proof were added.
    for (k, v) in credential.as_object().expect("object") {
        assert_eq!(&signed[k], v, "field {k} changed");
    }
    let issuer = signed["issuer"].as_str().expect("issuer string");
    assert!(issuer.starts_with("did:key:z6Mk"), "{issuer}");
    assert_eq!(signed["proof"]["cryptosuite"], "eddsa-rdfc-2022");
    assert!(signed["proof"]["verificationMethod"]
        .as_str()
        .is_some_and(|vm| vm.starts_with(issuer)));

    let v = env
        .call(json_req(
            Method::POST,
            "/credentials/verify",
            None,
            &json!({"verifiableCredential": signed}),
        ))
        .await;
    let report = v.json();
    assert!(
        report["checks"]
            .as_array()
            .is_some_and(|c| c.contains(&json!("proof"))),
        "proof check did not pass: {report}"
    );
    // A flipped subject breaks the proof.
    let mut forged = signed.clone();
    forged["credentialSubject"]["alumniOf"] = json!("Another School");
    let v = env
        .call(json_req(
            Method::POST,
            "/credentials/verify",
            None,
            &json!({"verifiableCredential": forged}),
        ))
        .await;
    assert_eq!(v.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v.json()["errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x["check"] == "proof")),
        "{}",
        v.text()
    );
}

#[tokio::test]
async fn errors_are_problem_json_with_code_and_field() {
    let env = sqlite_env().await;
    let issuer = env.token(ISSUER);
    let size = env.tree_size().await;

    let r = env
        .call(raw_json_req(
            Method::POST,
            "/api/v1/credentials",
            Some(&issuer),
            "{\"achievement\": \"mc-tools-1\", ",
        ))
        .await;
    let p = r.problem(StatusCode::BAD_REQUEST);
    assert_eq!(p["code"], "malformed_json");

    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/credentials",
            Some(&issuer),
            &json!({"achievement": "mc-tools-1", "recipient": "a@example.org", "colour": "blue"}),
        ))
        .await;
    let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p["field"].as_str().is_some_and(|f| f.contains("colour")),
        "unknown field not named: {p}"
    );

    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/credentials",
            Some(&issuer),
            &json!({"achievement": "mc-tools-1"}),
        ))
        .await;
    let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p["field"].as_str().is_some_and(|f| f.contains("recipient")),
        "missing field not named: {p}"
    );

    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/credentials",
            Some(&issuer),
            &json!({"achievement": 7, "recipient": "a@example.org"}),
        ))
        .await;
    let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p["field"]
            .as_str()
            .is_some_and(|f| f.contains("achievement")),
        "{p}"
    );

    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/credentials",
            Some(&issuer),
            &json!({"achievement": "mc-does-not-exist", "recipient": "a@example.org"}),
        ))
        .await;
    let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "achievement");

    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/credentials",
            Some(&issuer),
            &json!({"achievement": "mc-tools-1", "recipient": "not an email"}),
        ))
        .await;
    let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "/recipient");

    let body = json!({"achievement": "mc-tools-1", "recipient": "a@example.org"});
    let r = env
        .call(json_req(Method::POST, "/api/v1/credentials", None, &body))
        .await;
    assert_eq!(
        r.problem(StatusCode::UNAUTHORIZED)["code"],
        "unauthenticated"
    );
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/credentials",
            Some("pl_not-a-real-token"),
            &body,
        ))
        .await;
    assert_eq!(
        r.problem(StatusCode::UNAUTHORIZED)["code"],
        "unauthenticated"
    );

    let r = env
        .call(
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/credentials")
                .header(header::AUTHORIZATION, format!("Bearer {issuer}"))
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from(serde_json::to_vec(&body).expect("json")))
                .expect("request"),
        )
        .await;
    r.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let r = env.call(get("/no/such/page")).await;
    r.problem(StatusCode::NOT_FOUND);

    // None of the refused requests issued anything.
    assert_eq!(env.tree_size().await, size);
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_a_problem() {
    let env = sqlite_env().await;
    let big = vec![b' '; pathledger_server::MAX_BODY_BYTES + 1024];
    // A typed-JSON endpoint and a raw-bytes endpoint; with and without a declared length
    // (without one, the limit is enforced while reading).
    for uri in ["/credentials/verify", "/api/v1/verify"] {
        for declare_length in [false, true] {
            let mut req = raw_json_req(Method::POST, uri, None, big.clone());
            if declare_length {
                req.headers_mut()
                    .insert(header::CONTENT_LENGTH, big.len().into());
            }
            let r = env.call(req).await;
            let p = r.problem(StatusCode::PAYLOAD_TOO_LARGE);
            assert_eq!(p["code"], "payload_too_large", "{uri} {declare_length}");
        }
    }
}

#[tokio::test]
async fn public_documents_status_lists_dids_and_openapi() {
    let env = sqlite_env().await;
    let cred = env.credential_json(&env.sample("revoked")).await;
    let list_url = cred["credentialStatus"]["statusListCredential"]
        .as_str()
        .or_else(|| cred["credentialStatus"][0]["statusListCredential"].as_str())
        .expect("status list URL")
        .to_owned();
    let path = list_url
        .strip_prefix(PUBLIC_URL)
        .expect("status list served by this deployment");
    let r = env.call(get(path)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let list = r.json();
    assert!(
        list["type"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("BitstringStatusListCredential"))),
        "{list}"
    );
    assert_eq!(list["id"], list_url.as_str());
    assert_eq!(list["credentialSubject"]["type"], "BitstringStatusList");
    assert!(list["credentialSubject"]["encodedList"].is_string());
    assert!(list["proof"].is_object());

    let issuer_did = env.app.issuer_did(&env.seed.issuer_id);
    let r = env
        .call(get(&format!("/issuers/{}/did.json", env.seed.issuer_id)))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let did = r.json();
    assert_eq!(did["id"], issuer_did.as_str());
    let vm = cred["proof"]["verificationMethod"].as_str().expect("vm");
    assert!(
        did["verificationMethod"]
            .as_array()
            .is_some_and(|m| m.iter().any(|k| k["id"] == vm)),
        "signing key {vm} not in {did}"
    );

    // No host issuer is configured: the bare host has no DID (never an organization's issuer).
    env.call(get("/.well-known/did.json"))
        .await
        .problem(StatusCode::NOT_FOUND);

    let r = env.call(get("/issuers/no-such-issuer/did.json")).await;
    r.problem(StatusCode::NOT_FOUND);

    let r = env.call(get("/openapi.json")).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/credentials/verify"].is_object(), "{doc}");

    let r = env.call(get("/docs")).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("/openapi.json") && html.contains("/credentials/issue"));
}
