//! Security boundaries beyond `access.rs`: cross-organization and cross-educator attempts on the
//! routes it does not cover, a verifier's attempts to issue or change status by token and by
//! session, bad tokens, forged status lists, credentials signed with a key the claimed issuer
//! does not own, and the SSRF guard (a did:web or status list URL on loopback or a private
//! address is never contacted). Every refusal is a 401/403 problem+json, and refusals of
//! authenticated callers are logged (captured with a small `tracing` subscriber).

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use pathledger_badges::{CheckName, CheckStatus, StaticFetcher, StatusList, Verdict, Verifier};
use pathledger_signing::{sign_document, Cryptosuite, ProofOptions, SigningKey};
use pathledger_store::CredentialStatus;
use serde_json::{json, Value};

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
        resolver: &*resolver,
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
    // The bulk page does not follow links to private addresses either: they are
    // could_not_check (this deployment does not fetch, and would refuse them if it did).
    let roster = format!(
        "name,credential\nA,http://127.0.0.1:{port}/credentials/urn:uuid:1\nB,http://10.0.0.1/credentials/x\n"
    );
    let r = env
        .call(multipart_req(
            "/verify/bulk",
            &[("roster", Some("roster.csv"), &roster)],
        ))
        .await;
    assert_eq!(
        row_verdicts(&r.text()),
        ["could_not_check", "could_not_check"],
        "{}",
        r.text()
    );
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

// ----- endorser roles, communities, the host DID, /api/v1/me ----------------------------------

fn with_session(mut req: Request<Body>, cookie: &str) -> Request<Body> {
    req.headers_mut().insert(
        header::COOKIE,
        header::HeaderValue::from_str(cookie).expect("cookie"),
    );
    req
}

/// A Riverside assessor with no endorser grant and no educator record (a token to act with).
async fn plain_assessor(env: &TestEnv) -> (String, String) {
    let store = env.app.store();
    let user = store
        .create_user("coach@riverside.example", "Coach Without Grant", None)
        .await
        .expect("user");
    store
        .grant_role(
            &user.id,
            &env.seed.org_id.as_str().into(),
            pathledger_store::AccessRole::Assessor,
        )
        .await
        .expect("role");
    let token = store
        .create_api_token(&user.id, "test", None)
        .await
        .expect("token");
    (user.id.to_string(), token.secret)
}

/// The endorser's role comes from what they verifiably are, never from the request: an assessor
/// without a grant endorsing "as a master mentor" is refused and the educator's progress does
/// not move; an admin of another organization cannot grant; with a grant (logged) it counts;
/// after revocation (logged) it is refused again.
async fn endorser_role_is_earned_or_granted(env: &TestEnv) {
    let avery = env.educator_id(AVERY);
    let org = env.seed.org_id.clone();
    let defs = env.app.definitions(&org).await.expect("defs");
    let qualities: Vec<String> = defs
        .framework()
        .competencies
        .iter()
        .filter(|c| c.category == pathledger_core::Category::Qualities)
        .map(|c| c.id.as_str().to_owned())
        .collect();
    let (coach_id, coach) = plain_assessor(env).await;
    let endorse = |competency: &str, role: Option<&str>| {
        let mut body = json!({"educator": avery, "competency": competency,
                              "comment": "Coaches peers through station rotation."});
        if let Some(r) = role {
            body["endorser_role"] = json!(r);
        }
        json_req(Method::POST, "/api/v1/endorsements", Some(&coach), &body)
    };
    let integrator = |state: &pathledger_core::EducatorState| {
        defs.evaluate(state)
            .role("role-integrator-specialist")
            .is_some_and(|r| r.met)
    };
    let (before, _) = env.app.educator_state(&avery).await.expect("state");
    assert!(!integrator(&before), "the demo lacks one endorsement");

    // No grant, no reached role: refused, whichever way it is asked, and nothing changes.
    let p = env
        .call(endorse(&qualities[0], Some("role-master-mentor")))
        .await
        .problem(StatusCode::FORBIDDEN);
    assert_eq!(p["code"], "endorser_role_not_held", "{p}");
    assert!(p["detail"].as_str().unwrap_or("").contains("endorser_role"));
    let p = env
        .call(endorse(&qualities[0], None))
        .await
        .problem(StatusCode::FORBIDDEN);
    assert_eq!(p["code"], "not_an_endorser", "{p}");
    let (after, _) = env.app.educator_state(&avery).await.expect("state");
    assert_eq!(after.endorsements.len(), before.endorsements.len());
    assert!(!integrator(&after));
    assert_eq!(
        env.count_held(AVERY, "award-integrator-specialist").await,
        0
    );

    // Granting is for org admins of that organization only.
    let grants = format!("/api/v1/orgs/{org}/endorsers");
    let grant = json!({"user": "coach@riverside.example", "role": "role-master-mentor"});
    for who in [HILLCREST_ADMIN, ISSUER, MENTOR, AVERY] {
        env.call(json_req(
            Method::POST,
            &grants,
            Some(&env.token(who)),
            &grant,
        ))
        .await
        .problem(StatusCode::FORBIDDEN);
    }
    env.call(get_auth(&grants, &env.token(HILLCREST_ADMIN)))
        .await
        .problem(StatusCode::FORBIDDEN);
    // Bad input names its field; another organization's user is not found among members.
    let r = env
        .call(json_req(
            Method::POST,
            &grants,
            Some(&env.token(ADMIN)),
            &json!({"user": "coach@riverside.example", "role": "role-nope"}),
        ))
        .await;
    assert_eq!(r.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"], "role");
    let r = env
        .call(json_req(
            Method::POST,
            &grants,
            Some(&env.token(ADMIN)),
            &json!({"user": HILLCREST_ADMIN, "role": "role-master-mentor"}),
        ))
        .await;
    assert_eq!(r.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"], "user");
    assert!(env
        .app
        .store()
        .endorser_grants(&org.as_str().into())
        .await
        .expect("grants")
        .iter()
        .all(|g| g.user_id.as_str() != coach_id));

    let size = env.tree_size().await;
    let r = env
        .call(json_req(
            Method::POST,
            &grants,
            Some(&env.token(ADMIN)),
            &grant,
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let g = r.json();
    assert_eq!(g["user"], coach_id.as_str());
    assert_eq!(g["role"], "role-master-mentor");
    let grant_id = g["id"].as_str().expect("grant id").to_owned();
    // The grant is in the transparency log, and the log still audits.
    assert_eq!(env.tree_size().await, size + 1);
    let entry = env
        .app
        .store()
        .log_entry(g["log_index"].as_u64().expect("log index"))
        .await
        .expect("entry");
    assert_eq!(entry.event, "endorser_grant");
    let leaf: Value = serde_json::from_str(&entry.data).expect("leaf");
    assert_eq!(leaf["grant_id"], grant_id.as_str());
    assert_eq!(leaf["user_id"], coach_id.as_str());
    assert_eq!(leaf["org_id"], org.as_str());
    assert_eq!(leaf["role_id"], "role-master-mentor");
    assert_eq!(leaf["by"], env.account(ADMIN).user_id.as_str());
    let listed = env.call(get_auth(&grants, &env.token(ADMIN))).await.json();
    assert!(listed["endorsers"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["id"] == grant_id.as_str())));
    env.call(json_req(
        Method::POST,
        &grants,
        Some(&env.token(ADMIN)),
        &grant,
    ))
    .await
    .problem(StatusCode::CONFLICT);

    // With the grant it counts, and the one role held is used when none is named.
    let r = env.call(endorse(&qualities[0], None)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let (after, _) = env.app.educator_state(&avery).await.expect("state");
    assert_eq!(after.endorsements.len(), before.endorsements.len() + 1);
    assert_eq!(
        after.endorsements.last().map(|e| e.endorser_role.as_str()),
        Some("role-master-mentor")
    );
    assert!(integrator(&after));
    // A role the coach does not hold is still refused.
    env.call(endorse(&qualities[1], Some("role-teacher-leader")))
        .await
        .problem(StatusCode::FORBIDDEN);

    // Another organization's admin cannot revoke it; Riverside's admin can, and it is logged.
    let one = format!("{grants}/{grant_id}");
    let hillcrest_grants = format!(
        "/api/v1/orgs/{}/endorsers/{grant_id}",
        env.seed.other_org_id
    );
    env.call(json_req(
        Method::DELETE,
        &one,
        Some(&env.token(HILLCREST_ADMIN)),
        &json!({}),
    ))
    .await
    .problem(StatusCode::FORBIDDEN);
    env.call(json_req(
        Method::DELETE,
        &hillcrest_grants,
        Some(&env.token(HILLCREST_ADMIN)),
        &json!({}),
    ))
    .await
    .problem(StatusCode::NOT_FOUND);
    let size = env.tree_size().await;
    let r = env
        .call(json_req(
            Method::DELETE,
            &one,
            Some(&env.token(ADMIN)),
            &json!({}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(env.tree_size().await, size + 1);
    let entry = env
        .app
        .store()
        .log_entry(r.json()["log_index"].as_u64().expect("log index"))
        .await
        .expect("entry");
    assert_eq!(entry.event, "endorser_revoke");
    let p = env
        .call(endorse(&qualities[1], Some("role-master-mentor")))
        .await
        .problem(StatusCode::FORBIDDEN);
    assert_eq!(p["code"], "endorser_role_not_held");
    let (last, _) = env.app.educator_state(&avery).await.expect("state");
    assert_eq!(last.endorsements.len(), after.endorsements.len());
    assert!(env.app.store().audit().await.expect("audit").is_ok());
}

#[tokio::test]
async fn endorser_roles_are_earned_or_granted_never_declared() {
    endorser_role_is_earned_or_granted(&sqlite_env().await).await;
}

#[tokio::test]
async fn endorser_roles_are_earned_or_granted_never_declared_on_postgres() {
    let Some(env) = postgres_env().await else {
        return;
    };
    endorser_role_is_earned_or_granted(&env).await;
}

/// The /endorse page offers only roles the signed-in user holds, or says they hold none.
#[tokio::test]
async fn the_endorse_page_offers_only_held_roles() {
    let env = sqlite_env().await;
    let html = env
        .call(with_session(get("/endorse"), &login(&env, MENTOR).await))
        .await
        .text();
    let select = html
        .split("id=\"endorser_role\"")
        .nth(1)
        .expect("role select");
    let select = select.split("</select>").next().unwrap_or("");
    assert!(select.contains("role-master-mentor"), "{select}");
    assert_eq!(select.matches("<option").count(), 1, "{select}");
    let html = env
        .call(with_session(get("/endorse"), &login(&env, ADMIN).await))
        .await
        .text();
    assert!(html.contains("id=\"no-endorser-role\""), "{html}");
    assert!(!html.contains("name=\"endorser_role\""));
}

/// Communities list an organization's educators by their choice: org-visible ones to members of
/// that organization only, public ones to anyone; another organization's staff and anonymous
/// visitors never see org-only educators. The choice is the educator's own.
async fn community_visibility(env: &TestEnv) {
    let search = "/communities?role=&credential=mc-goal-setting-1";
    let members = |html: &str| {
        html.split("id=\"members\"")
            .nth(1)
            .map(str::to_owned)
            .unwrap_or_default()
    };
    // Avery: visible within Riverside; Morgan: public.
    let anon = members(&env.call(get(search)).await.text());
    assert!(anon.contains("Morgan Lee"), "{anon}");
    assert!(!anon.contains("Avery Thompson"), "{anon}");
    let hillcrest = login(env, HILLCREST_ADMIN).await;
    let other = env
        .call(with_session(
            get(&format!("{search}&org={}", env.seed.org_id)),
            &hillcrest,
        ))
        .await
        .text();
    let other = members(&other);
    assert!(
        other.contains("Morgan Lee") && !other.contains("Avery Thompson"),
        "{other}"
    );
    let hr = members(
        &env.call(with_session(get(search), &login(env, HR).await))
            .await
            .text(),
    );
    assert!(
        hr.contains("Morgan Lee") && hr.contains("Avery Thompson"),
        "{hr}"
    );
    // Riverside's search never lists Hillcrest's educators, and Hillcrest's org-only ones are
    // not shown to Riverside's staff or to visitors.
    let casey_search = format!(
        "/communities?credential=mc-collaboration-1&org={}",
        env.seed.other_org_id
    );
    for html in [
        env.call(get(&casey_search)).await.text(),
        env.call(with_session(get(&casey_search), &login(env, HR).await))
            .await
            .text(),
    ] {
        assert!(!html.contains("Casey Nguyen"));
    }
    let html = env
        .call(with_session(get(&casey_search), &hillcrest))
        .await
        .text();
    assert!(html.contains("Casey Nguyen"), "{html}");

    // Only Avery chooses for Avery; a bad value names its field; going public shows them to all.
    let avery = env.educator_id(AVERY);
    let uri = format!("/api/v1/educators/{avery}/community");
    for who in [ADMIN, JORDAN, HILLCREST_ADMIN] {
        env.call(json_req(
            Method::PUT,
            &uri,
            Some(&env.token(who)),
            &json!({"visibility": "public"}),
        ))
        .await
        .problem(StatusCode::FORBIDDEN);
    }
    let r = env
        .call(json_req(
            Method::PUT,
            &uri,
            Some(&env.token(AVERY)),
            &json!({"visibility": "everyone"}),
        ))
        .await;
    assert_eq!(
        r.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"],
        "visibility"
    );
    let r = env
        .call(json_req(
            Method::PUT,
            &uri,
            Some(&env.token(AVERY)),
            &json!({"visibility": "public"}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(members(&env.call(get(search)).await.text()).contains("Avery Thompson"));
    let r = env
        .call(json_req(
            Method::PUT,
            &uri,
            Some(&env.token(AVERY)),
            &json!({"visibility": "hidden"}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let hr = members(
        &env.call(with_session(get(search), &login(env, HR).await))
            .await
            .text(),
    );
    assert!(!hr.contains("Avery Thompson"), "{hr}");
}

#[tokio::test]
async fn communities_show_educators_only_as_they_chose() {
    community_visibility(&sqlite_env().await).await;
}

#[tokio::test]
async fn communities_show_educators_only_as_they_chose_on_postgres() {
    let Some(env) = postgres_env().await else {
        return;
    };
    community_visibility(&env).await;
}

/// did:web at the bare host is never another organization's issuer: without a configured host
/// issuer it is 404 problem+json; with one it is that issuer's keys under the host's own DID.
#[tokio::test]
async fn the_host_did_is_never_an_organizations_issuer() {
    let env = sqlite_env().await;
    let r = env.call(get("/.well-known/did.json")).await;
    r.problem(StatusCode::NOT_FOUND);

    let db = env.sqlite_path().expect("sqlite file");
    let app = pathledger_server::App::open(pathledger_server::AppConfig {
        database_url: format!("sqlite:{}", db.display()),
        kek: env.kek.clone(),
        public_url: "https://ledger.example".into(),
        trusted_issuers: Vec::new(),
        fetch: Default::default(),
        host_issuer: Some(env.seed.issuer_id.clone()),
        mail: env.mail_config(),
    })
    .await
    .expect("reopen");
    let r = call(&app, get("/.well-known/did.json")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let doc = r.json();
    assert_eq!(doc["id"], "did:web:ledger.example");
    let keys = env
        .app
        .store()
        .issuer_keys(&env.seed.issuer_id)
        .await
        .expect("keys");
    let ids: Vec<String> = doc["verificationMethod"]
        .as_array()
        .expect("methods")
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ids.len(), keys.len(), "{doc}");
    assert!(keys
        .iter()
        .all(|k| ids.iter().any(|i| i.ends_with(&format!("#{}", k.id)))));
}

/// `GET /api/v1/me` answers the caller's own user, memberships, endorser roles and educator
/// records, by token or session, and nothing about anyone else; 401 without credentials.
#[tokio::test]
async fn me_lists_only_the_callers_own_account() {
    let env = sqlite_env().await;
    env.call(get("/api/v1/me"))
        .await
        .problem(StatusCode::UNAUTHORIZED);

    let me = env.call(get_auth("/api/v1/me", &env.token(MENTOR))).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text());
    let me = me.json();
    let mentor = env.account(MENTOR);
    assert_eq!(me["user"]["id"], mentor.user_id.as_str());
    assert_eq!(me["user"]["email"], MENTOR);
    assert_eq!(me["user"]["display_name"], mentor.name.as_str());
    assert_eq!(
        me["memberships"],
        json!([{"org": {"id": env.seed.org_id, "name": "Riverside Unified School District"},
                "roles": ["assessor"]}])
    );
    assert_eq!(me["educators"], json!([]));
    let roles = &me["endorser_roles"][0];
    assert_eq!(roles["org"]["id"], env.seed.org_id.as_str());
    assert_eq!(roles["roles"][0]["role"], "role-master-mentor");
    assert_eq!(roles["roles"][0]["source"], "grant");
    assert_eq!(me["endorser_roles"].as_array().map(Vec::len), Some(1));

    // An educator, by session: their one educator record; roles they reached count as theirs.
    let cookie = login(&env, AVERY).await;
    let me = env
        .call(with_session(get("/api/v1/me"), &cookie))
        .await
        .json();
    assert_eq!(me["user"]["email"], AVERY);
    assert_eq!(
        me["educators"],
        json!([{"id": env.educator_id(AVERY), "org": {"id": env.seed.org_id, "name": "Riverside Unified School District"}}])
    );
    assert_eq!(me["memberships"][0]["roles"], json!(["educator"]));
    let reached = me["endorser_roles"][0]["roles"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        reached
            .iter()
            .any(|r| r["role"] == "role-novice-teacher" && r["source"] == "reached"),
        "{me}"
    );
    // Nothing of anyone else's: no other user, organization or educator appears.
    let text = serde_json::to_string(&me).expect("json");
    for other in [MENTOR, ADMIN, CASEY, "Hillcrest", "Morgan", "Jordan"] {
        assert!(!text.contains(other), "{other} in {text}");
    }
    for a in &env.seed.accounts {
        if a.email != AVERY {
            assert!(!text.contains(&a.user_id), "{} in {text}", a.email);
            if let Some(e) = &a.educator_id {
                assert!(!text.contains(e.as_str()), "{} in {text}", a.email);
            }
        }
    }
}
