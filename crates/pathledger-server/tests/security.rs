//! Security boundaries beyond `access.rs`: cross-organization and cross-educator attempts on the
//! routes it does not cover, a verifier's attempts to issue or change status by token and by
//! session, bad tokens, forged status lists, credentials signed with a key the claimed issuer
//! does not own, and the SSRF guard (a did:web or status list URL on loopback or a private
//! address is never contacted). Every refusal is a 401/403 problem+json, and refusals of
//! authenticated callers are logged (captured with a small `tracing` subscriber).

mod common;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use pathledger_badges::{CheckName, CheckStatus, StaticFetcher, StatusList, Verdict, Verifier};
use pathledger_signing::{sign_document, Cryptosuite, ProofOptions, SigningKey};
use pathledger_store::CredentialStatus;
use serde_json::{json, Value};

/// Collects `tracing` events (level and fields) while installed as the thread's default.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<String>>>);

impl Logs {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().expect("logs"))
    }
}

impl tracing::Subscriber for Logs {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Fields(String);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                self.0.push_str(&format!(" {}={v:?}", f.name()));
            }
        }
        let mut fields = Fields(event.metadata().level().to_string());
        event.record(&mut fields);
        self.0.lock().expect("logs").push(fields.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Asserts a refusal with `status` and that a WARN event was logged for it.
fn refused_and_logged(r: &Resp, status: StatusCode, logs: &Logs, what: &str) {
    r.problem(status);
    let events = logs.take();
    assert!(
        events.iter().any(|e| e.starts_with("WARN")),
        "{what}: refusal not logged; events: {events:?}"
    );
}

#[tokio::test]
async fn cross_organization_reads_and_changes_are_refused_and_logged() {
    let logs = Logs::default();
    let _guard = tracing::subscriber::set_default(logs.clone());
    let env = sqlite_env().await;
    let casey = env.educator_id(CASEY);
    let theirs = env
        .app
        .store()
        .credentials_for_educator(&casey)
        .await
        .expect("credentials")
        .into_iter()
        .next()
        .expect("Casey holds a credential");
    let size = env.tree_size().await;
    logs.take();

    // Riverside's admin and issuer on Hillcrest's educator and credential (access.rs covers
    // the opposite direction and revocation).
    for who in [ADMIN, ISSUER, MENTOR] {
        for uri in [
            format!("/api/v1/educators/{casey}/progress"),
            format!("/api/v1/educators/{casey}/plan?target=role-novice-teacher"),
        ] {
            let r = env.call(get_auth(&uri, &env.token(who))).await;
            refused_and_logged(&r, StatusCode::FORBIDDEN, &logs, &format!("{who} {uri}"));
        }
        for action in ["suspend", "revoke"] {
            let r = env
                .call(json_req(
                    Method::POST,
                    &format!("/api/v1/credentials/{}/{action}", theirs.id),
                    Some(&env.token(who)),
                    &json!({"reason": "not ours"}),
                ))
                .await;
            refused_and_logged(&r, StatusCode::FORBIDDEN, &logs, &format!("{who} {action}"));
        }
    }
    let rec = env.app.store().credential(&theirs.id).await.expect("cred");
    assert_eq!(rec.status, CredentialStatus::Active);
    assert_eq!(env.tree_size().await, size);
}

#[tokio::test]
async fn an_educator_cannot_touch_another_educators_records() {
    let logs = Logs::default();
    let _guard = tracing::subscriber::set_default(logs.clone());
    let env = sqlite_env().await;
    let avery = env.educator_id(AVERY);
    let casey = env.educator_id(CASEY);
    let averys = env
        .app
        .store()
        .credentials_for_educator(&avery)
        .await
        .expect("credentials");
    let size = env.tree_size().await;
    logs.take();
    for action in ["revoke", "suspend", "reinstate"] {
        for c in &averys {
            let r = env
                .call(json_req(
                    Method::POST,
                    &format!("/api/v1/credentials/{}/{action}", c.id),
                    Some(&env.token(JORDAN)),
                    &json!({}),
                ))
                .await;
            refused_and_logged(
                &r,
                StatusCode::FORBIDDEN,
                &logs,
                &format!("Jordan {action}"),
            );
        }
    }
    // Another organization's educator, with a token and with a session cookie.
    let r = env
        .call(get_auth(
            &format!("/api/v1/educators/{casey}/progress"),
            &env.token(JORDAN),
        ))
        .await;
    refused_and_logged(&r, StatusCode::FORBIDDEN, &logs, "Jordan on Casey");
    let cookie = login(&env, JORDAN).await;
    let r = env
        .call(
            Request::builder()
                .uri(format!("/api/v1/educators/{avery}/progress"))
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    refused_and_logged(
        &r,
        StatusCode::FORBIDDEN,
        &logs,
        "Jordan's session on Avery",
    );
    assert_eq!(env.tree_size().await, size);
    for c in &averys {
        let now = env.app.store().credential(&c.id).await.expect("cred");
        assert_eq!(now.status, c.status);
    }
}

#[tokio::test]
async fn a_verifier_cannot_issue_or_change_status_by_token_or_session() {
    let env = sqlite_env().await;
    let id = env.sample("valid");
    let issuer = env.token(ISSUER);
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/credentials",
            Some(&issuer),
            &json!({"achievement": "mc-tools-1", "recipient": "s@example.org", "suspendable": true}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let suspendable = r.json()["id"].as_str().expect("id").to_owned();
    let r = env
        .call(json_req(
            Method::POST,
            &format!("/api/v1/credentials/{suspendable}/suspend"),
            Some(&issuer),
            &json!({}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let size = env.tree_size().await;
    let session = sign_in(&env, HR).await;
    let issue = json!({"achievement": "mc-tools-1", "recipient": "x@example.org"});
    let vc = json!({"credential": {"@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"], "credentialSubject": {"id": "did:example:x"}}});
    let attempts: Vec<(String, Value)> = vec![
        ("/api/v1/credentials".into(), issue.clone()),
        ("/credentials/issue".into(), vc.clone()),
        ("/credentials/issue?issuer=did:key".into(), vc.clone()),
        (format!("/api/v1/credentials/{id}/suspend"), json!({})),
        (
            format!("/api/v1/credentials/{suspendable}/reinstate"),
            json!({}),
        ),
    ];
    for (uri, body) in &attempts {
        // By API token.
        let r = env
            .call(json_req(Method::POST, uri, Some(&env.token(HR)), body))
            .await;
        r.problem(StatusCode::FORBIDDEN);
        // By the verifier's browser session (no API token; the session's form token, so the
        // refusal is the role's, not the CSRF layer's).
        let r = env.call(session.json(Method::POST, uri, body)).await;
        assert!(
            matches!(r.status, StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED),
            "{uri} by session: {} {}",
            r.status,
            r.text()
        );
        r.problem(r.status);
    }
    assert_eq!(env.tree_size().await, size, "a verifier changed the log");
    let rec = env
        .app
        .store()
        .credential(&suspendable)
        .await
        .expect("cred");
    assert_eq!(rec.status, CredentialStatus::Suspended);
}

#[tokio::test]
async fn bad_tokens_are_401_problems_and_logged() {
    let logs = Logs::default();
    let _guard = tracing::subscriber::set_default(logs.clone());
    let env = sqlite_env().await;
    let good = env.token(ISSUER);
    let body = json!({"achievement": "mc-tools-1", "recipient": "x@example.org"});
    for token in [
        "not-a-token".to_owned(),
        format!("{good}x"),
        good[..good.len() - 1].to_owned(),
        good.to_uppercase(),
        "tok en".to_owned(),
        "a".repeat(10_000),
    ] {
        logs.take();
        let r = env
            .call(json_req(
                Method::POST,
                "/api/v1/credentials",
                Some(&token),
                &body,
            ))
            .await;
        refused_and_logged(&r, StatusCode::UNAUTHORIZED, &logs, "bad token");
    }
    // A forged session cookie is no session: 401 on the API.
    let r = env
        .call(
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/credentials")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::COOKIE, "pathledger_session=forged; session=forged")
                .body(Body::from(body.to_string()))
                .expect("request"),
        )
        .await;
    r.problem(StatusCode::UNAUTHORIZED);
}

/// The status list credential the server publishes for `cred`'s revocation entry.
async fn published_list(env: &TestEnv, cred: &Value) -> (String, Value) {
    let entry = match &cred["credentialStatus"] {
        Value::Array(a) => a[0].clone(),
        v => v.clone(),
    };
    let url = entry["statusListCredential"]
        .as_str()
        .expect("statusListCredential")
        .to_owned();
    let path = url.strip_prefix(PUBLIC_URL).expect("our own list");
    let r = env.call(get(path)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    (url, r.json())
}

fn verify_with_list(
    env: &TestEnv,
    url: &str,
    list: Value,
    cred: &Value,
) -> pathledger_badges::VerificationReport {
    let resolver = env.app.resolver();
    let mut fetcher = StaticFetcher::new();
    fetcher.insert(url, list);
    Verifier {
        resolver: &resolver,
        fetcher: &fetcher,
        trust: env.app.trust_list(),
        now: None,
        check_schema: true,
    }
    .verify(cred)
}

#[tokio::test]
async fn forged_status_lists_are_not_accepted() {
    let env = sqlite_env().await;
    let revoked = env.credential_json(&env.sample("revoked")).await;
    let (url, genuine) = published_list(&env, &revoked).await;
    // The control: the genuine published list says revoked.
    assert_eq!(
        verify_with_list(&env, &url, genuine.clone(), &revoked).verdict,
        Verdict::Revoked
    );

    // 1. The genuine list with every bit cleared after signing.
    let mut altered = genuine.clone();
    let bits = altered["credentialSubject"]["encodedList"]
        .as_str()
        .map(|s| StatusList::decode(s).expect("list").len())
        .expect("encodedList");
    altered["credentialSubject"]["encodedList"] =
        json!(StatusList::new(bits).expect("list").encode());
    // 2. A clean list claiming our issuer, signed with an attacker's key.
    let attacker = SigningKey::from_seed([66; 32]);
    let mut foreign = altered.clone();
    foreign.as_object_mut().expect("object").remove("proof");
    let foreign = sign_document(
        &foreign,
        &attacker,
        &ProofOptions::assertion(
            Cryptosuite::EddsaJcs2022,
            attacker.public_key().did_key_verification_method(),
        ),
    )
    .expect("sign");
    // 3. A clean list from the attacker as issuer.
    let mut own = foreign.clone();
    own.as_object_mut().expect("object").remove("proof");
    own["issuer"] = json!(attacker.public_key().did_key());
    let own = sign_document(
        &own,
        &attacker,
        &ProofOptions::assertion(
            Cryptosuite::EddsaJcs2022,
            attacker.public_key().did_key_verification_method(),
        ),
    )
    .expect("sign");
    for (name, list) in [
        ("bits cleared after signing", altered),
        ("signed with a key not the issuer's", foreign),
        ("published by another issuer", own),
    ] {
        let r = verify_with_list(&env, &url, list, &revoked);
        assert!(
            !matches!(r.verdict, Verdict::Valid),
            "{name}: a forged list made a revoked credential valid"
        );
        let s = r.check(CheckName::Status).expect("status check");
        assert_ne!(s.status, CheckStatus::Passed, "{name}: {s:?}");
        assert!(!s.message.is_empty(), "{name}");
    }

    // Through the API, the server uses its own list, whatever the credential carries.
    let r = env
        .call(json_req(Method::POST, "/api/v1/verify", None, &revoked))
        .await;
    assert_eq!(r.json()["verdict"], "revoked");
}

#[tokio::test]
async fn a_key_the_claimed_issuer_does_not_own_is_refused() {
    let env = sqlite_env().await;
    let valid = env.credential_json(&env.sample("valid")).await;
    let our_vm = valid["proof"]["verificationMethod"]
        .as_str()
        .expect("vm")
        .to_owned();
    let attacker = SigningKey::from_seed([99; 32]);
    let mut unsigned = valid.clone();
    unsigned.as_object_mut().expect("object").remove("proof");
    unsigned["name"] = json!("Forged Leadership Certificate");
    let sign_as = |vm: &str| {
        sign_document(
            &unsigned,
            &attacker,
            &ProofOptions::assertion(Cryptosuite::EddsaJcs2022, vm.to_owned()),
        )
        .expect("sign")
    };
    // The attacker's own did:key, while `issuer` still names our did:web issuer.
    let own_key = sign_as(&attacker.public_key().did_key_verification_method());
    // Our verification method id, but the attacker's signature.
    let our_id = sign_as(&our_vm);
    for (name, cred, allowed) in [
        (
            "attacker did:key",
            own_key,
            &["unknown_issuer", "tampered"][..],
        ),
        ("our key id, attacker signature", our_id, &["tampered"][..]),
    ] {
        let r = env
            .call(json_req(Method::POST, "/api/v1/verify", None, &cred))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let rep = r.json();
        let verdict = rep["verdict"].as_str().expect("verdict");
        assert!(allowed.contains(&verdict), "{name}: {rep}");
        assert!(!rep["message"].as_str().unwrap_or("").is_empty(), "{name}");
        let vc = env
            .call(json_req(
                Method::POST,
                "/credentials/verify",
                None,
                &json!({"verifiableCredential": cred}),
            ))
            .await;
        assert_eq!(vc.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert_eq!(vc.json()["verified"], false);
    }
}

#[tokio::test]
async fn private_and_loopback_urls_are_never_fetched() {
    let env = sqlite_env().await;
    // A listener that must see no connection at all.
    let trap = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    trap.set_nonblocking(true).expect("nonblocking");
    let port = trap.local_addr().expect("addr").port();
    let attacker = SigningKey::from_seed([5; 32]);
    let valid = env.credential_json(&env.sample("valid")).await;

    let hosts = [
        format!("127.0.0.1%3A{port}"),
        "10.0.0.1".to_owned(),
        "169.254.169.254".to_owned(),
        "localhost%3A1".to_owned(),
    ];
    for host in &hosts {
        let did = format!("did:web:{host}");
        let plain = host.replace("%3A", ":");
        let mut doc = valid.clone();
        doc.as_object_mut().expect("object").remove("proof");
        doc["issuer"]["id"] = json!(did);
        doc["credentialStatus"] = json!({
            "id": format!("http://{plain}/status/1#5"),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "5",
            "statusListCredential": format!("http://{plain}/status/1"),
        });
        let cred = sign_document(
            &doc,
            &attacker,
            &ProofOptions::assertion(Cryptosuite::EddsaJcs2022, format!("{did}#key-1")),
        )
        .expect("sign");
        let r = env
            .call(json_req(Method::POST, "/api/v1/verify", None, &cred))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let rep = r.json();
        let verdict = rep["verdict"].as_str().expect("verdict");
        assert!(
            ["could_not_check", "unknown_issuer"].contains(&verdict),
            "{did}: {rep}"
        );
        assert!(!rep["message"].as_str().unwrap_or("").is_empty(), "{rep}");
    }
    // The bulk page does not follow links to other sites either.
    let roster = format!(
        "name,credential\nA,http://127.0.0.1:{port}/credentials/urn:uuid:1\nB,http://10.0.0.1/credentials/x\n"
    );
    let r = env
        .call(multipart_req(
            "/verify/bulk",
            &[("roster", Some("roster.csv"), &roster)],
        ))
        .await;
    assert_eq!(row_verdicts(&r.text()), ["malformed", "malformed"]);
    let r = env
        .call(get(&format!(
            "/verify?id=http://127.0.0.1:{port}/credentials/urn:uuid:1"
        )))
        .await;
    assert!(!r.status.is_server_error(), "{}", r.status);

    match trap.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!("the verifier connected to the trap from {from}"),
        Err(e) => panic!("accept: {e}"),
    }
}
