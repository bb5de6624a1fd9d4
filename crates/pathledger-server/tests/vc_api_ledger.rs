//! Every credential on the ledger: what `POST /credentials/issue` (VC-API) signs is recorded,
//! given a status entry and a log leaf like any credential we issue, replayed by idempotency
//! key, audited and revocable; a document naming another issuer is refused and nothing is
//! written. On SQLite and PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::*;
use serde_json::{json, Value};

fn plain_credential() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "AlumniCredential"],
        "name": "Alumni Credential",
        "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"}
    })
}

fn issue_req(uri: &str, token: &str, credential: &Value, key: Option<&str>) -> Request<Body> {
    let mut req = json_req(
        Method::POST,
        uri,
        Some(token),
        &json!({"credential": credential}),
    );
    if let Some(k) = key {
        req.headers_mut()
            .insert("idempotency-key", k.parse().expect("header value"));
    }
    req
}

async fn vc_verify(env: &TestEnv, vc: &Value) -> Value {
    env.call(json_req(Method::POST, "/api/v1/verify", None, vc))
        .await
        .json()
}

async fn ledger_records_vc_api_credentials(env: &TestEnv) {
    let token = env.token(ISSUER);
    let before = env.tree_size().await;
    let audit_before = env
        .app
        .store()
        .audit()
        .await
        .expect("audit")
        .entries_checked;

    // Issued with the deployment's issuer: recorded, logged, with a status entry.
    let r = env
        .call(issue_req(
            "/credentials/issue",
            &token,
            &plain_credential(),
            Some("vc-1"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let vc = r.json()["verifiableCredential"].clone();
    let id = vc["id"]
        .as_str()
        .expect("the ledger gives the credential an id")
        .to_owned();
    assert!(id.starts_with("urn:uuid:"), "{id}");
    assert!(
        vc["issuer"]
            .as_str()
            .is_some_and(|i| i.starts_with("did:web:")),
        "{vc}"
    );
    assert_eq!(
        vc["credentialStatus"]["statusPurpose"], "revocation",
        "{vc}"
    );
    assert_eq!(env.tree_size().await, before + 1);
    let audit = env.app.store().audit().await.expect("audit");
    assert!(audit.problems.is_empty(), "{:?}", audit.problems);
    assert_eq!(audit.entries_checked, audit_before + 1);

    // The stored record is what was returned, and the API serves it.
    let stored = env.credential_json(&id).await;
    assert_eq!(stored, vc);
    let served = env.call(get(&format!("/api/v1/credentials/{id}"))).await;
    assert_eq!(served.status, StatusCode::OK, "{}", served.text());
    assert_eq!(served.json(), vc);
    assert_eq!(vc_verify(env, &vc).await["verdict"], "valid");

    // A retry with the same key answers with the first credential, writing nothing.
    let again = env
        .call(issue_req(
            "/credentials/issue",
            &token,
            &plain_credential(),
            Some("vc-1"),
        ))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    assert_eq!(again.json()["verifiableCredential"], vc);
    assert_eq!(env.tree_size().await, before + 1);
    // The same key with another document is a conflict.
    let mut other = plain_credential();
    other["name"] = json!("Another");
    let clash = env
        .call(issue_req(
            "/credentials/issue",
            &token,
            &other,
            Some("vc-1"),
        ))
        .await;
    clash.problem(StatusCode::CONFLICT);

    // Revocable like any credential of ours.
    let rv = env
        .call(json_req(
            Method::POST,
            &format!("/api/v1/credentials/{id}/revoke"),
            Some(&token),
            &json!({"reason": "issued in error"}),
        ))
        .await;
    assert_eq!(rv.status, StatusCode::OK, "{}", rv.text());
    assert_eq!(vc_verify(env, &vc).await["verdict"], "revoked");

    // The test-harness mode signs as did:key, and is on the ledger too.
    let size = env.tree_size().await;
    let r = env
        .call(issue_req(
            "/credentials/issue?issuer=did:key",
            &token,
            &plain_credential(),
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let dk = r.json()["verifiableCredential"].clone();
    assert!(
        dk["issuer"]
            .as_str()
            .is_some_and(|i| i.starts_with("did:key:z6Mk")),
        "{dk}"
    );
    assert_eq!(env.tree_size().await, size + 1);
    let dk_id = dk["id"].as_str().expect("id");
    assert_eq!(env.credential_json(dk_id).await, dk);

    // A caller's own id is kept, once.
    let mut with_id = plain_credential();
    with_id["id"] = json!("urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33");
    let r = env
        .call(issue_req("/credentials/issue", &token, &with_id, None))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["verifiableCredential"]["id"], with_id["id"]);
    let size = env.tree_size().await;
    let r = env
        .call(issue_req("/credentials/issue", &token, &with_id, None))
        .await;
    r.problem(StatusCode::CONFLICT);
    assert_eq!(env.tree_size().await, size);
}

/// What the ledger never signs: another issuer's document, an untyped status entry, a proof,
/// a document that is no Verifiable Credential, an unknown issuer mode. Each is a 422 naming the field; nothing is
/// written.
async fn refusals_write_nothing(env: &TestEnv) {
    let token = env.token(ISSUER);
    let size = env.tree_size().await;
    let with = |k: &str, v: Value| {
        let mut c = plain_credential();
        c[k] = v;
        c
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/credentials/issue",
            with("issuer", json!("did:web:elsewhere.example")),
            "/credential/issuer",
        ),
        (
            "/credentials/issue",
            with(
                "issuer",
                json!({"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}),
            ),
            "/credential/issuer",
        ),
        (
            "/credentials/issue?issuer=did:key",
            with("issuer", json!("did:web:elsewhere.example")),
            "/credential/issuer",
        ),
        (
            "/credentials/issue",
            with(
                "credentialStatus",
                json!({"id": "https://example.org/status#1"}),
            ),
            "/credential/credentialStatus/type",
        ),
        (
            "/credentials/issue",
            with("proof", json!({"type": "DataIntegrityProof"})),
            "/credential/proof",
        ),
        (
            "/credentials/issue",
            with("@context", json!(["https://example.org/not-a-vc-context"])),
            "/credential/@context",
        ),
        (
            "/credentials/issue",
            with("id", json!("not a uri")),
            "/credential/id",
        ),
        (
            "/credentials/issue",
            with("validUntil", json!("next week")),
            "/credential/validUntil",
        ),
        (
            "/credentials/issue?issuer=did:web:elsewhere.example",
            plain_credential(),
            "issuer",
        ),
        // VC Data Model 2.0 rules: refused, naming the member, instead of signed as given.
        (
            "/credentials/issue",
            with("type", json!(["OpenBadgeCredential"])),
            "/credential/type",
        ),
        (
            "/credentials/issue",
            with("credentialSubject", json!({})),
            "/credential/credentialSubject",
        ),
        (
            "/credentials/issue",
            with("evidence", json!([{"name": "untyped"}])),
            "/credential/evidence/0/type",
        ),
        (
            "/credentials/issue",
            with("validFrom", json!("2026-01-01T00:00:00")),
            "/credential/validFrom",
        ),
        (
            "/credentials/issue?issuer=did:key",
            with("relatedResource", json!([{"id": "https://example.org/a"}])),
            "/credential/relatedResource/0",
        ),
        (
            "/credentials/issue",
            {
                let mut c = with("validFrom", json!("2030-01-01T00:00:00Z"));
                c["validUntil"] = json!("2029-01-01T00:00:00Z");
                c
            },
            "/credential/validUntil",
        ),
        (
            "/credentials/issue",
            with("credentialSchema", json!({"type": "JsonSchema"})),
            "/credential/credentialSchema/id",
        ),
        (
            "/credentials/issue",
            with(
                "relatedResource",
                json!([{"id": "https://www.w3.org/ns/credentials/v2", "digestMultibase": "uM4RgWQc3RUDtjJCSgTJtTfvpZ7SPEg_LNO0ESlovQC0"}]),
            ),
            "/credential/relatedResource/0/digestMultibase",
        ),
        (
            "/credentials/issue",
            with(
                "relatedResource",
                json!([{"id": "https://www.w3.org/ns/credentials/v2", "digestSRI": "sha384-_rCVIV7fTvnBRkWEx3GuREBVZ1oRIcGpbA64JKobFrP1rJ8HbAwtIaEvBz3cFMgx"}]),
            ),
            "/credential/relatedResource/0/digestSRI",
        ),
    ];
    for (uri, credential, field) in cases {
        let r = env.call(issue_req(uri, &token, &credential, None)).await;
        let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["field"], field, "{uri} {credential}: {p}");
    }
    assert_eq!(
        env.tree_size().await,
        size,
        "a refused request wrote to the log"
    );
}

/// A VC 1.1 document is issued as VC 1.1: the Data Integrity context and the status entry's
/// terms are appended (VC Data Integrity §2.4.1), an `issuanceDate` is given when missing, and it verifies. A
/// caller's typed status entry is kept beside the ledger's own.
async fn vc_1_1_and_callers_status_entries(env: &TestEnv) {
    let token = env.token(ISSUER);
    let v1 = json!({
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://www.w3.org/2018/credentials/examples/v1"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:abcdefgh"}
    });
    // (The examples/v1 context is not bundled: the proof cannot be made, and nothing is written.)
    let size = env.tree_size().await;
    let r = env
        .call(issue_req(
            "/credentials/issue?issuer=did:key",
            &token,
            &v1,
            None,
        ))
        .await;
    assert!(r.status.is_client_error(), "{}", r.text());
    assert_eq!(env.tree_size().await, size);

    let v1 = json!({
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:abcdefgh"}
    });
    for suite in ["eddsa-rdfc-2022", "eddsa-jcs-2022"] {
        let r = env
            .call(issue_req(
                &format!("/credentials/issue?issuer=did:key&cryptosuite={suite}"),
                &token,
                &v1,
                None,
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{suite}: {}", r.text());
        let vc = r.json()["verifiableCredential"].clone();
        let contexts = vc["@context"].as_array().expect("context list");
        assert_eq!(contexts.len(), 3, "{vc}");
        assert_eq!(contexts[0], "https://www.w3.org/2018/credentials/v1");
        assert_eq!(contexts[1], "https://w3id.org/security/data-integrity/v2");
        // The status entry's terms inline, so verifiers with only the standard contexts read it.
        assert!(contexts[2]["BitstringStatusListEntry"].is_object(), "{vc}");
        assert!(vc["issuanceDate"].is_string(), "{vc}");
        assert_eq!(vc["proof"]["cryptosuite"], suite);
        let v = env
            .call(json_req(
                Method::POST,
                "/credentials/verify",
                None,
                &json!({"verifiableCredential": vc}),
            ))
            .await;
        assert_eq!(v.status, StatusCode::OK, "{suite}: {}", v.text());
    }

    // The VC 2.0 context's published digests are accepted.
    let mut related = plain_credential();
    related["relatedResource"] = json!([{
        "id": "https://www.w3.org/ns/credentials/v2",
        "digestSRI": "sha384-NSOcNpmdIVUxIJGvGUoe22FjTWrXiaXlsZ8q6912LdnR3KraQO2n75Ica4wK4Qeg",
        "digestMultibase": "uJKGMkOmFbVJhEfKTduMC2XCyvRAYLjOVmZWwIH1wQ7k"
    }]);
    let r = env
        .call(issue_req("/credentials/issue", &token, &related, None))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    let mut with_status = plain_credential();
    with_status["credentialStatus"] = json!({
        "id": "https://status.example/lists/9#5",
        "type": "ExampleStatusEntry"
    });
    let r = env
        .call(issue_req("/credentials/issue", &token, &with_status, None))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let vc = r.json()["verifiableCredential"].clone();
    let entries = vc["credentialStatus"].as_array().expect("two entries");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["type"], "ExampleStatusEntry");
    assert_eq!(entries[1]["type"], "BitstringStatusListEntry");
}

#[tokio::test]
async fn vc_api_credentials_are_on_the_ledger_on_sqlite() {
    let env = sqlite_env().await;
    ledger_records_vc_api_credentials(&env).await;
    refusals_write_nothing(&env).await;
    vc_1_1_and_callers_status_entries(&env).await;
}

#[tokio::test]
async fn vc_api_credentials_are_on_the_ledger_on_postgres() {
    let Some(env) = postgres_env().await else {
        return;
    };
    ledger_records_vc_api_credentials(&env).await;
    refusals_write_nothing(&env).await;
    vc_1_1_and_callers_status_entries(&env).await;
}
