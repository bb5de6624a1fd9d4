//! Tenant isolation, tried from the wrong side: another organization's issuer cannot reach this
//! organization's educators (by id or by email, single or bulk), so it cannot add to their
//! credentials, their progress or their awards; definition ids are per organization; a person's
//! records in two organizations are joined only when that person links them, and credentials
//! count across organizations only from issuers the counting organization trusts. Each test runs
//! on SQLite and on PostgreSQL.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{json, Value};

const MORGAN: &str = "morgan.specialist@riverside.example";

async fn on_both<F, Fut>(test: F)
where
    F: Fn(TestEnv) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    test(sqlite_env().await).await;
    if let Some(env) = postgres_env().await {
        test(env).await;
    }
}

/// The organization of a demo account.
fn org_of(env: &TestEnv, email: &str) -> String {
    env.account(email).org_id.clone()
}

/// Every earnable micro-credential id of the default catalogue.
async fn earnable(env: &TestEnv, org: &str) -> Vec<String> {
    let defs = env.app.definitions(org).await.expect("definitions");
    defs.achievements()
        .iter()
        .filter(|a| defs.is_earnable(a.id.as_str()))
        .map(|a| a.id.as_str().to_owned())
        .collect()
}

async fn progress(env: &TestEnv, educator: &str, token: &str) -> Value {
    let r = env
        .call(get_auth(
            &format!("/api/v1/educators/{educator}/progress"),
            token,
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn held_ids(env: &TestEnv, educator: &str) -> Vec<String> {
    let mut v: Vec<String> = env
        .app
        .store()
        .credentials_for_educator(educator)
        .await
        .expect("credentials")
        .into_iter()
        .map(|c| c.id)
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn another_organization_cannot_issue_to_or_award_our_educators() {
    on_both(|env| async move {
        let morgan = env.educator_id(MORGAN);
        let riverside = org_of(&env, ADMIN);
        let hillcrest_token = env.token(HILLCREST_ADMIN);
        let before_creds = held_ids(&env, &morgan).await;
        let before_progress = progress(&env, &morgan, &env.token(ADMIN)).await;

        // By educator id, single: the record is not Hillcrest's to name.
        let size = env.tree_size().await;
        let r = env
            .call(json_req(
                Method::POST,
                "/api/v1/credentials",
                Some(&hillcrest_token),
                &json!({"achievement": "mc-tools-1", "recipient": format!("educator:{morgan}")}),
            ))
            .await;
        r.problem(StatusCode::NOT_FOUND);
        assert_eq!(env.tree_size().await, size, "nothing was logged");

        // By educator id, bulk: the row is refused, nothing issued.
        let r = env
            .call(json_req(
                Method::POST,
                "/api/v1/credentials/bulk",
                Some(&hillcrest_token),
                &json!({"rows": [{"achievement": "mc-tools-1", "recipient": format!("educator:{morgan}")}]}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["issued"], 0, "{}", r.text());
        assert_eq!(env.tree_size().await, size, "nothing was logged");

        // By email, everything Hillcrest can issue, single and bulk: each lands on Hillcrest's
        // own record of that address, never on Riverside's.
        let all = earnable(&env, &org_of(&env, HILLCREST_ADMIN)).await;
        let (first, rest) = all.split_first().expect("earnable achievements");
        let r = env
            .call(json_req(
                Method::POST,
                "/api/v1/credentials",
                Some(&hillcrest_token),
                &json!({"achievement": first, "recipient": MORGAN}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let rows: Vec<Value> = rest
            .iter()
            .map(|a| json!({"achievement": a, "recipient": MORGAN}))
            .collect();
        let r = env
            .call(json_req(
                Method::POST,
                "/api/v1/credentials/bulk",
                Some(&hillcrest_token),
                &json!({"rows": rows}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["issued"], rest.len(), "{}", r.text());

        assert_eq!(
            held_ids(&env, &morgan).await,
            before_creds,
            "Riverside's record of Morgan gained nothing"
        );
        assert_eq!(
            progress(&env, &morgan, &env.token(ADMIN)).await,
            before_progress,
            "Riverside's progress of Morgan did not move"
        );
        let records = env
            .app
            .store()
            .educators_with_email(MORGAN)
            .await
            .expect("records");
        assert_eq!(records.len(), 2, "one record per organization");
        let theirs = records
            .iter()
            .find(|e| e.org_id.as_str() != riverside)
            .expect("Hillcrest's record");
        assert_eq!(theirs.org_id.as_str(), org_of(&env, HILLCREST_ADMIN));
        // Hillcrest's awards are Hillcrest's, on Hillcrest's record: a Riverside admin cannot
        // read it, a Hillcrest admin can.
        env.call(get_auth(
            &format!("/api/v1/educators/{}/progress", theirs.id),
            &env.token(ADMIN),
        ))
        .await
        .problem(StatusCode::FORBIDDEN);
        progress(&env, &theirs.id, &hillcrest_token).await;
        // And the log still audits.
        let audit = env.app.store().audit().await.expect("audit");
        assert!(audit.problems.is_empty(), "{audit:?}");
    })
    .await;
}

/// Moves every credential of educator record `from` onto record `to`, as a database insider or
/// the recipient lookup before tenant isolation could.
async fn move_credentials(env: &TestEnv, from: &str, to: &str) {
    use sqlx::Connection as _;
    let sql = "UPDATE credentials SET educator_id = $1 WHERE educator_id = $2";
    let n = if let Some(url) = env.postgres_url() {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query(sql)
            .bind(to)
            .bind(from)
            .execute(&mut c)
            .await
            .expect("update")
            .rows_affected()
    } else {
        let path = env.sqlite_path().expect("sqlite path");
        let url = format!("sqlite://{}", path.display());
        let mut c = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("connect");
        sqlx::query(sql)
            .bind(to)
            .bind(from)
            .execute(&mut c)
            .await
            .expect("update")
            .rows_affected()
    };
    assert!(n > 0, "nothing moved");
}

#[tokio::test]
async fn another_organizations_credential_on_our_record_does_not_count() {
    // Credentials another organization wrote onto our record before isolation (no API path can
    // do it any more) count neither toward our pathways nor our awards.
    on_both(|env| async move {
        let jordan = env.educator_id(JORDAN);
        let riverside = org_of(&env, ADMIN);
        // The demo's short-lived sample must not count.
        let_expire(&env).await;
        let pending = env.app.award_earned(&jordan).await.expect("award");
        assert!(pending.is_empty(), "the demo awarded everything earned");
        let before = progress(&env, &jordan, &env.token(ADMIN)).await;
        let (state, _) = env.app.educator_state(&jordan).await.expect("state");
        let missing: Vec<Value> = earnable(&env, &riverside)
            .await
            .into_iter()
            .filter(|a| !state.holds(a))
            .map(|a| json!({"achievement": a, "recipient": JORDAN}))
            .collect();
        assert!(!missing.is_empty());
        // Hillcrest issues everything Jordan lacks to Hillcrest's own record of Jordan…
        let r = env
            .call(json_req(
                Method::POST,
                "/api/v1/credentials/bulk",
                Some(&env.token(HILLCREST_ADMIN)),
                &json!({"rows": missing}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let theirs = env
            .app
            .store()
            .educators_with_email(JORDAN)
            .await
            .expect("records")
            .into_iter()
            .find(|e| e.org_id.as_str() != riverside)
            .expect("Hillcrest's record of Jordan");
        // …and the rows are moved onto Riverside's record.
        move_credentials(&env, &theirs.id, &jordan).await;
        let size = env.tree_size().await;
        let awarded: Vec<String> = env
            .app
            .award_earned(&jordan)
            .await
            .expect("award")
            .into_iter()
            .map(|i| i.record.achievement_id)
            .collect();
        assert!(awarded.is_empty(), "nothing awarded: {awarded:?}");
        assert_eq!(env.tree_size().await, size);
        let after = progress(&env, &jordan, &env.token(ADMIN)).await;
        assert_eq!(
            after, before,
            "foreign credentials on the record are not counted"
        );
    })
    .await;
}

#[tokio::test]
async fn definitions_are_scoped_per_organization() {
    on_both(|env| async move {
        let riverside = org_of(&env, ADMIN);
        let hillcrest = org_of(&env, HILLCREST_ADMIN);
        // Hillcrest renames mc-tools-1 in its own framework (refused with 403 before).
        let r = env
            .call(get_auth(
                &format!("/api/v1/orgs/{hillcrest}/definitions"),
                &env.token(HILLCREST_ADMIN),
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let mut bundle = r.json();
        let achievements = bundle["achievements"].as_array_mut().expect("achievements");
        let tools = achievements
            .iter_mut()
            .find(|a| a["id"] == "mc-tools-1")
            .expect("mc-tools-1");
        tools["name"] = json!("Hillcrest Digital Tools");
        let r = env
            .call(json_req(
                Method::PUT,
                &format!("/api/v1/orgs/{hillcrest}/definitions"),
                Some(&env.token(HILLCREST_ADMIN)),
                &bundle,
            ))
            .await;
        assert!(r.status.is_success(), "{} {}", r.status, r.text());

        // Each organization's public page shows its own definition.
        let page = |org: String| {
            let env = &env;
            async move {
                let r = env
                    .call(
                        axum::http::Request::builder()
                            .uri(format!("/orgs/{org}/achievements/mc-tools-1"))
                            .header("accept", "application/json")
                            .body(axum::body::Body::empty())
                            .expect("request"),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.text());
                r.json()["name"].as_str().unwrap_or_default().to_owned()
            }
        };
        assert_eq!(page(hillcrest.clone()).await, "Hillcrest Digital Tools");
        assert_ne!(page(riverside.clone()).await, "Hillcrest Digital Tools");

        // A credential names its organization's achievement page, and carries its name.
        let issued = issue_via_api(&env, "mc-tools-1", "new.person@riverside.example").await;
        let doc = &issued["verifiableCredential"];
        let ach = &doc["credentialSubject"]["achievement"];
        assert_eq!(
            ach["id"],
            format!("{PUBLIC_URL}/orgs/{riverside}/achievements/mc-tools-1")
        );
        assert_ne!(ach["name"], "Hillcrest Digital Tools");

        // The unscoped legacy URL is ambiguous now (both define it): 404, never a guess.
        env.call(get("/achievements/mc-tools-1"))
            .await
            .problem(StatusCode::NOT_FOUND);
        // Riverside's admin cannot write Hillcrest's framework.
        env.call(json_req(
            Method::PUT,
            &format!("/api/v1/orgs/{hillcrest}/definitions"),
            Some(&env.token(ADMIN)),
            &bundle,
        ))
        .await
        .problem(StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn records_join_only_when_the_person_links_them_and_count_only_from_trusted_issuers() {
    on_both(|env| async move {
        let riverside = org_of(&env, ADMIN);
        let hillcrest = org_of(&env, HILLCREST_ADMIN);
        let jordan_token = env.token(JORDAN);
        let jordan = env.educator_id(JORDAN);

        // Hillcrest issues Jordan (by email) something Jordan lacks at Riverside.
        let (state, _) = env.app.educator_state(&jordan).await.expect("state");
        let lacking = earnable(&env, &riverside)
            .await
            .into_iter()
            .find(|a| !state.holds(a) && a.starts_with("mc-"))
            .expect("something Jordan lacks");
        let r = env
            .call(json_req(
                Method::POST,
                "/api/v1/credentials",
                Some(&env.token(HILLCREST_ADMIN)),
                &json!({"achievement": lacking, "recipient": JORDAN}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let holds = |env: &TestEnv, id: String, ach: String| {
            let app = env.app.clone();
            async move { app.educator_state(&id).await.expect("state").0.holds(&ach) }
        };
        assert!(!holds(&env, jordan.clone(), lacking.clone()).await);

        // Nobody else can link Jordan's Hillcrest record: Avery has no record with that email.
        env.call(json_req(
            Method::POST,
            "/api/v1/me/educators",
            Some(&env.token(AVERY)),
            &json!({"org": hillcrest}),
        ))
        .await
        .problem(StatusCode::NOT_FOUND);

        // Jordan links it.
        let r = env
            .call(json_req(
                Method::POST,
                "/api/v1/me/educators",
                Some(&jordan_token),
                &json!({"org": hillcrest}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(r.json()["org"], json!(hillcrest));
        // Twice is a conflict.
        env.call(json_req(
            Method::POST,
            "/api/v1/me/educators",
            Some(&jordan_token),
            &json!({"org": hillcrest}),
        ))
        .await
        .problem(StatusCode::CONFLICT);
        // Linked but not trusted: still not counted at Riverside.
        assert!(!holds(&env, jordan.clone(), lacking.clone()).await);

        // Only Riverside's admin may trust Hillcrest's issuer for Riverside.
        let hillcrest_issuer = env
            .app
            .store()
            .issuers(&hillcrest)
            .await
            .expect("issuers")
            .remove(0)
            .id;
        for who in [ISSUER, HILLCREST_ADMIN, JORDAN] {
            env.call(json_req(
                Method::POST,
                &format!("/api/v1/orgs/{riverside}/trusted-issuers"),
                Some(&env.token(who)),
                &json!({"issuer": hillcrest_issuer}),
            ))
            .await
            .problem(StatusCode::FORBIDDEN);
        }
        let r = env
            .call(json_req(
                Method::POST,
                &format!("/api/v1/orgs/{riverside}/trusted-issuers"),
                Some(&env.token(ADMIN)),
                &json!({"issuer": hillcrest_issuer}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert!(
            holds(&env, jordan.clone(), lacking.clone()).await,
            "trusted now"
        );
        let r = env
            .call(get_auth(
                &format!("/api/v1/orgs/{riverside}/trusted-issuers"),
                &env.token(HR),
            ))
            .await;
        assert_eq!(
            r.json()["trustedIssuers"][0]["issuer_id"],
            json!(hillcrest_issuer)
        );
        // An organization's own issuer is not "trusted", it is its own.
        let own = env
            .app
            .store()
            .issuers(&riverside)
            .await
            .expect("issuers")
            .remove(0)
            .id;
        let p = env
            .call(json_req(
                Method::POST,
                &format!("/api/v1/orgs/{riverside}/trusted-issuers"),
                Some(&env.token(ADMIN)),
                &json!({"issuer": own}),
            ))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["field"], "issuer");

        // Withdrawn: it stops counting at once.
        let r = env
            .call(
                axum::http::Request::builder()
                    .method(Method::DELETE)
                    .uri(format!(
                        "/api/v1/orgs/{riverside}/trusted-issuers/{hillcrest_issuer}"
                    ))
                    .header("authorization", format!("Bearer {}", env.token(ADMIN)))
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        assert!(!holds(&env, jordan.clone(), lacking.clone()).await);
    })
    .await;
}
