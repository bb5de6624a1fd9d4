//! VC-API verification: `options.checks`, issuer trust as a warning (not a failure) on the
//! VC-API endpoints, proof sets and chains, and `POST /presentations/verify` with the holder's
//! proof (Data Integrity, and the Learner Credential Wallet's `Ed25519Signature2020`), its
//! challenge and domain, and the holder against the credentials' subjects.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use pathledger_signing::{sign_document, Cryptosuite, ProofOptions, SigningKey};
use serde_json::{json, Value};
use std::path::PathBuf;

fn vector(rel: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors")
        .join(rel);
    let text = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    pathledger_signing::parse_strict(&text).expect("vector parses")
}

async fn verify(env: &TestEnv, vc: &Value, options: Option<Value>) -> Resp {
    let mut body = json!({"verifiableCredential": vc});
    if let Some(o) = options {
        body["options"] = o;
    }
    env.call(json_req(Method::POST, "/credentials/verify", None, &body))
        .await
}

async fn verify_vp(env: &TestEnv, vp: &Value, options: Value) -> Resp {
    env.call(json_req(
        Method::POST,
        "/presentations/verify",
        None,
        &json!({"verifiablePresentation": vp, "options": options}),
    ))
    .await
}

fn has(list: &Value, key: &str, value: &str) -> bool {
    list.as_array()
        .is_some_and(|a| a.iter().any(|x| x[key] == value))
}

async fn issue_did_key(env: &TestEnv, subject: &str) -> Value {
    let token = env.token(ISSUER);
    let r = env
        .call(json_req(
            Method::POST,
            "/credentials/issue?issuer=did:key",
            Some(&token),
            &json!({"credential": {
                "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
                "type": ["VerifiableCredential", "AlumniCredential"],
                "credentialSubject": {"id": subject, "alumniOf": "The School of Examples"}
            }}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["verifiableCredential"].clone()
}

#[tokio::test]
async fn our_did_key_credentials_verify_and_trust_is_a_warning_unless_asked() {
    let env = sqlite_env().await;
    let vc = issue_did_key(&env, "did:example:abcdefgh").await;

    // Default checks: proof, validity, status. The did:key issuer is not on the trust list:
    // a warning, not a failure.
    let r = verify(&env, &vc, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.json();
    assert_eq!(body["verified"], true);
    assert_eq!(body["checks"], json!(["proof", "validity", "status"]));
    assert!(
        has(&body["warnings"], "code", "ISSUER_NOT_TRUSTED"),
        "{body}"
    );
    assert_eq!(body["errors"], json!([]));
    // The full report keeps the stricter verdict the pages show.
    assert_eq!(body["report"]["verdict"], "unknown_issuer");

    // Asking for the issuer check makes trust count.
    let r = verify(&env, &vc, Some(json!({"checks": ["proof", "issuer"]}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let body = r.json();
    assert_eq!(body["verified"], false);
    assert!(has(&body["errors"], "check", "issuer"), "{body}");
    assert_eq!(body["checks"], json!(["proof"]));

    // A tampered copy fails the proof whatever else is asked.
    let mut forged = vc.clone();
    forged["credentialSubject"]["alumniOf"] = json!("Another School");
    let r = verify(
        &env,
        &forged,
        Some(json!({"checks": ["validity", "proof"]})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has(&r.json()["errors"], "check", "proof"), "{}", r.text());

    // Another did:key cannot borrow our status list: the list is published by the key that
    // issued the credential, not by a stranger who copied its status entry.
    let stranger = SigningKey::from_seed([77; 32]);
    let mut copied = vc.clone();
    copied.as_object_mut().unwrap().remove("proof");
    copied["issuer"] = json!(stranger.public_key().did_key());
    let copied = sign_document(
        &copied,
        &stranger,
        &ProofOptions::assertion(
            Cryptosuite::EddsaRdfc2022,
            stranger.public_key().did_key_verification_method(),
        ),
    )
    .expect("signs");
    let r = verify(&env, &copied, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(has(&r.json()["errors"], "check", "status"), "{}", r.text());

    // Revoked through the ledger: the status check fails (our status list, served locally).
    let token = env.token(ISSUER);
    let id = vc["id"].as_str().expect("id");
    let rv = env
        .call(json_req(
            Method::POST,
            &format!("/api/v1/credentials/{id}/revoke"),
            Some(&token),
            &json!({"reason": "test"}),
        ))
        .await;
    assert_eq!(rv.status, StatusCode::OK, "{}", rv.text());
    let r = verify(&env, &vc, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.json();
    assert!(has(&body["errors"], "code", "REVOKED"), "{body}");
    // Without the status check, the revoked credential's proof still checks out, with a warning.
    let r = verify(&env, &vc, Some(json!({"checks": ["proof"]}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        has(&r.json()["warnings"], "code", "REVOKED"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn unknown_checks_are_refused_with_the_field() {
    let env = sqlite_env().await;
    let vc = vector("w3c-vc-di-eddsa/signedDataInt.json");
    let r = verify(&env, &vc, Some(json!({"checks": ["proof", "horoscope"]}))).await;
    let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.to_string().contains("/options/checks/1"), "{p}");
    let r = verify(&env, &vc, Some(json!({"checks": "proof"}))).await;
    r.problem(StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn proof_sets_and_chains_verify_every_proof() {
    let env = sqlite_env().await;
    for file in [
        "w3c-vc-di-eddsa/proof-set-chain/signedProofSet1.json",
        "w3c-vc-di-eddsa/proof-set-chain/signedProofSet2.json",
        "w3c-vc-di-eddsa/proof-set-chain/signedProofChain1.json",
        "w3c-vc-di-eddsa/proof-set-chain/signedProofChain2.json",
        "w3c-vc-di-eddsa/Ed25519Signature2020/signedEdSig.json",
    ] {
        // Every proof verifies; the W3C vectors name an https issuer while did:keys signed
        // them, so the only error is that the keys are not the issuer's.
        let r = verify(&env, &vector(file), None).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{file}: {}",
            r.text()
        );
        let body = r.json();
        let errors = body["errors"].as_array().expect("errors");
        assert!(!errors.is_empty(), "{file}");
        assert!(
            errors.iter().all(|e| e["code"] == "KEY_NOT_ISSUERS"),
            "{file}: {body}"
        );
        assert_eq!(
            body["report"]["checks"][2]["status"], "passed",
            "{file}: {body}"
        );
    }
    for file in [
        "w3c-vc-di-eddsa/twins/chain-missing-previous.json",
        "w3c-vc-di-eddsa/twins/chain-other-previous.json",
        "w3c-vc-di-eddsa/twins/chain-unlinked.json",
        "w3c-vc-di-eddsa/twins/set-one-bad.json",
        "w3c-vc-di-eddsa/twins/ed2020-changed-field.json",
    ] {
        let r = verify(&env, &vector(file), None).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{file}: {}",
            r.text()
        );
        assert!(
            has(&r.json()["errors"], "check", "proof"),
            "{file}: {}",
            r.text()
        );
    }
}

#[tokio::test]
async fn presentations_from_the_wallet_libraries_verify_with_challenge_and_domain() {
    let env = sqlite_env().await;
    let vp = vector("ed25519-signature-2020/didAuth.json");
    let good = json!({"challenge": "c0ae4f1e-pathledger", "domain": "verifier.example"});
    let r = verify_vp(&env, &vp, good.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.json();
    assert_eq!(body["verified"], true);
    assert!(body["checks"]
        .as_array()
        .unwrap()
        .contains(&json!("holder_proof")));
    assert_eq!(body["presentationResult"]["holder"], vp["holder"]);
    let v1 = vector("ed25519-signature-2020/didAuthV1.json");
    assert_eq!(
        verify_vp(&env, &v1, good.clone()).await.status,
        StatusCode::OK
    );

    // Another verifier's challenge or domain: a replayed presentation is refused.
    for (opts, code) in [
        (
            json!({"challenge": "another", "domain": "verifier.example"}),
            "INVALID_CHALLENGE_ERROR",
        ),
        (
            json!({"challenge": "c0ae4f1e-pathledger", "domain": "attacker.example"}),
            "INVALID_DOMAIN_ERROR",
        ),
    ] {
        let r = verify_vp(&env, &vp, opts).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert!(has(&r.json()["errors"], "code", code), "{}", r.text());
    }
    // A changed holder breaks the holder's proof.
    let mut other = vp.clone();
    other["holder"] = json!("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2");
    let r = verify_vp(&env, &other, good.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Unsigned, when a challenge is expected: refused.
    let mut unsigned = vp.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let r = verify_vp(&env, &unsigned, good.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has(&r.json()["errors"], "code", "NO_PROOF"), "{}", r.text());

    // The credential it carries is verified too (its proof is genuine; the W3C test credential
    // names an https issuer while a did:key signed it), and its subject is not the holder.
    let with_vc = vector("ed25519-signature-2020/withCredential.json");
    let r = verify_vp(&env, &with_vc, good.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let body = r.json();
    assert_eq!(body["presentationResult"]["verified"], true, "{body}");
    assert_eq!(body["errors"], json!([]), "{body}");
    assert_eq!(body["credentialResults"][0]["verified"], false);
    assert!(
        has(
            &body["credentialResults"][0]["errors"],
            "code",
            "KEY_NOT_ISSUERS"
        ),
        "{body}"
    );
    let mut holder_bound = good.clone();
    holder_bound["holderIsSubject"] = json!(true);
    let r = verify_vp(&env, &with_vc, holder_bound).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        has(&r.json()["errors"], "code", "HOLDER_NOT_SUBJECT"),
        "{}",
        r.text()
    );

    // Bad options name their field.
    let r = verify_vp(&env, &vp, json!({"challenge": 5})).await;
    assert!(r
        .problem(StatusCode::UNPROCESSABLE_ENTITY)
        .to_string()
        .contains("/options/challenge"));
}

#[tokio::test]
async fn a_holder_presents_credentials_issued_to_them() {
    let env = sqlite_env().await;
    let holder_key = SigningKey::from_seed([42; 32]);
    let holder = holder_key.public_key().did_key();
    let vc = issue_did_key(&env, &holder).await;
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [vc],
    });
    let signed = sign_with_challenge(&vp, &holder_key, "ch-1", "district.example");
    let r = verify_vp(
        &env,
        &signed,
        json!({"challenge": "ch-1", "domain": "district.example", "holderIsSubject": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.json();
    assert!(
        body["checks"]
            .as_array()
            .unwrap()
            .contains(&json!("holder_binding")),
        "{body}"
    );
    assert_eq!(body["credentialResults"][0]["verified"], true);

    // The same presentation by a holder who is not the subject: the binding fails.
    let stranger = SigningKey::from_seed([43; 32]);
    let mut theirs = vp.clone();
    theirs["holder"] = json!(stranger.public_key().did_key());
    let theirs = sign_with_challenge(&theirs, &stranger, "ch-1", "district.example");
    let r = verify_vp(
        &env,
        &theirs,
        json!({"challenge": "ch-1", "domain": "district.example", "holderIsSubject": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        has(&r.json()["errors"], "code", "HOLDER_NOT_SUBJECT"),
        "{}",
        r.text()
    );
}

/// Signs `vp` with an eddsa-rdfc-2022 authentication proof carrying `challenge` and `domain`
/// (hashed with the rest of the proof options, as Data Integrity does).
fn sign_with_challenge(vp: &Value, key: &SigningKey, challenge: &str, domain: &str) -> Value {
    let mut opts = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        key.public_key().did_key_verification_method(),
    );
    opts.proof_purpose = "authentication".into();
    opts.challenge = Some(challenge.into());
    opts.domain = Some(domain.into());
    sign_document(vp, key, &opts).expect("signs")
}

#[tokio::test]
async fn the_verify_page_takes_presentations() {
    let env = sqlite_env().await;
    let vp = vector("ed25519-signature-2020/withCredential.json").to_string();
    let r = env
        .call(multipart_req("/verify", &[("credential", None, &vp)]))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let page = r.text();
    assert!(
        page.contains("Holder&#39;s signature") || page.contains("Holder's signature"),
        "{page}"
    );
    assert!(
        page.contains("The holder signed this presentation"),
        "{page}"
    );
    assert!(page.contains("Credential 1 of 1"), "{page}");
    // A tampered holder: the page says the holder's signature does not verify.
    let mut bad = vector("ed25519-signature-2020/withCredential.json");
    bad["holder"] = json!("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2");
    let r = env
        .call(multipart_req(
            "/verify",
            &[("credential", None, &bad.to_string())],
        ))
        .await;
    assert!(r.text().contains("does not verify"), "{}", r.text());
}
