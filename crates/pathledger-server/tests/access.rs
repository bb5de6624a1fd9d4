//! Access-control boundaries: roles within an organization and between organizations. Each
//! refused attempt must answer 403 problem+json and leave no trace in the store or the log.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use pathledger_store::CredentialStatus;
use serde_json::json;

#[tokio::test]
async fn only_issuers_of_the_organization_may_issue() {
    let env = sqlite_env().await;
    let size = env.tree_size().await;
    let body = json!({"achievement": "mc-tools-1", "recipient": "someone@example.org"});
    for who in [HR, MENTOR, JORDAN] {
        let r = env
            .call(json_req(
                Method::POST,
                "/api/v1/credentials",
                Some(&env.token(who)),
                &body,
            ))
            .await;
        assert_eq!(
            r.problem(StatusCode::FORBIDDEN)["code"],
            "forbidden",
            "{who}"
        );
        let r = env
            .call(json_req(
                Method::POST,
                "/credentials/issue",
                Some(&env.token(who)),
                &json!({"credential": {"@context": ["https://www.w3.org/ns/credentials/v2"],
                        "type": ["VerifiableCredential"], "credentialSubject": {"id": "did:example:x"}}}),
            ))
            .await;
        r.problem(StatusCode::FORBIDDEN);
    }
    assert_eq!(env.tree_size().await, size, "a refused issuance was logged");
    // The control: the issuer may.
    issue_via_api(&env, "mc-tools-1", "someone@example.org").await;
    assert_eq!(env.tree_size().await, size + 1);
}

#[tokio::test]
async fn another_organization_cannot_change_our_credentials() {
    let env = sqlite_env().await;
    let id = env.sample("valid");
    let size = env.tree_size().await;
    for (who, action) in [
        (HILLCREST_ADMIN, "revoke"),
        (HILLCREST_ADMIN, "suspend"),
        (HR, "revoke"),
        (JORDAN, "revoke"),
    ] {
        let r = env
            .call(json_req(
                Method::POST,
                &format!("/api/v1/credentials/{id}/{action}"),
                Some(&env.token(who)),
                &json!({"reason": "not mine to change"}),
            ))
            .await;
        r.problem(StatusCode::FORBIDDEN);
        let rec = env.app.store().credential(&id).await.expect("credential");
        assert_eq!(rec.status, CredentialStatus::Active, "{who} {action}");
        assert_eq!(rec.status_reason, None);
    }
    assert_eq!(env.tree_size().await, size);
    let cred = env.credential_json(&id).await;
    assert_eq!(
        env.app.verify(&cred).await.verdict,
        pathledger_badges::Verdict::Valid
    );

    // Hillcrest's own admin may revoke Hillcrest's credential (the boundary is the organization).
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
    let r = env
        .call(json_req(
            Method::POST,
            &format!("/api/v1/credentials/{}/revoke", theirs.id),
            Some(&env.token(HILLCREST_ADMIN)),
            &json!({}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // …but a Riverside issuer may not.
    let other = env
        .call(json_req(
            Method::POST,
            &format!("/api/v1/credentials/{}/reinstate", theirs.id),
            Some(&env.token(ISSUER)),
            &json!({}),
        ))
        .await;
    other.problem(StatusCode::FORBIDDEN);
    let rec = env
        .app
        .store()
        .credential(&theirs.id)
        .await
        .expect("credential");
    assert_eq!(rec.status, CredentialStatus::Revoked);
}

#[tokio::test]
async fn educator_records_are_private_to_the_educator_and_their_organization() {
    let env = sqlite_env().await;
    let jordan = env.educator_id(JORDAN);
    let avery = env.educator_id(AVERY);

    // Jordan reads their own progress.
    let own = env
        .call(get_auth(
            &format!("/api/v1/educators/{jordan}/progress"),
            &env.token(JORDAN),
        ))
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text());
    let own = own.json();
    assert_eq!(own["educator"], jordan.as_str());
    assert!(own["evaluation"].is_object());

    // …but not Avery's, and neither progress nor plan of anyone else.
    for uri in [
        format!("/api/v1/educators/{avery}/progress"),
        format!("/api/v1/educators/{avery}/plan?target=role-novice-teacher"),
    ] {
        let r = env.call(get_auth(&uri, &env.token(JORDAN))).await;
        r.problem(StatusCode::FORBIDDEN);
    }

    // Another organization's admin sees nothing of ours.
    let r = env
        .call(get_auth(
            &format!("/api/v1/educators/{jordan}/progress"),
            &env.token(HILLCREST_ADMIN),
        ))
        .await;
    r.problem(StatusCode::FORBIDDEN);

    // Our own admin may (the control that shows the route works for permitted callers).
    let r = env
        .call(get_auth(
            &format!("/api/v1/educators/{jordan}/progress"),
            &env.token(ADMIN),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // Without a token: 401, not 403.
    let r = env
        .call(get(&format!("/api/v1/educators/{jordan}/progress")))
        .await;
    r.problem(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_signed_in_educator_sees_only_their_own_dashboard() {
    let env = sqlite_env().await;
    let cookie = login(&env, JORDAN).await;
    let r = env
        .call(
            axum::http::Request::builder()
                .uri("/dashboard")
                .header(axum::http::header::COOKIE, &cookie)
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("Jordan Rivera"), "{html}");
    assert!(!html.contains("Avery Thompson"));
    // Jordan's own credential ids appear; Avery's do not.
    let avery = env.educator_id(AVERY);
    for c in env
        .app
        .store()
        .credentials_for_educator(&avery)
        .await
        .expect("credentials")
    {
        assert!(!html.contains(&c.id), "Avery's credential shown to Jordan");
    }
}
