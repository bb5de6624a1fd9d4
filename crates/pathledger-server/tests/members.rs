//! Members and API tokens, tried from the wrong side, on SQLite and PostgreSQL: deactivation
//! cuts the member's sessions and tokens at once; another organization's admin and non-admins
//! cannot list, change, deactivate or reactivate (403); deactivation in one organization leaves
//! the person's access in another; role changes count at once and every change is recorded with
//! who did it; a user's tokens are listed without their secret, revoking someone else's token is
//! 404 and a revoked token is 401.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use pathledger_store::{AccessRole, OrgId, UserId};
use serde_json::{json, Value};

const ADMIN: &str = "admin@riverside.example";
const ISSUER: &str = "issuer@riverside.example";
const HR: &str = "hr@riverside.example";
const OTHER_ADMIN: &str = "admin@hillcrest.example";

async fn uid(env: &TestEnv, email: &str) -> String {
    env.app
        .store()
        .user_by_email(email)
        .await
        .expect("user")
        .id
        .to_string()
}

async fn as_token(env: &TestEnv, token: &str, method: Method, uri: &str, body: &Value) -> Resp {
    env.call(json_req(method, uri, Some(token), body)).await
}

/// `GET /api/v1/me` with a bearer token.
async fn me_status(env: &TestEnv, token: &str) -> StatusCode {
    env.call(get_auth("/api/v1/me", token)).await.status
}

fn find<'a>(list: &'a Value, key: &str, user: &str) -> &'a Value {
    list[key]
        .as_array()
        .expect("list")
        .iter()
        .find(|m| m["user"] == user)
        .unwrap_or_else(|| panic!("{user} not in {list}"))
}

async fn deactivation_cuts_sessions_and_tokens(env: &TestEnv) {
    let org = env.seed.org_id.clone();
    let admin = env.token(ADMIN);
    let issuer = env.token(ISSUER);
    let issuer_id = uid(env, ISSUER).await;
    let admin_id = uid(env, ADMIN).await;

    // Signed in three ways before: the seed's token, a browser session, a token of their own.
    let session = sign_in(env, ISSUER).await;
    let own = as_token(
        env,
        &issuer,
        Method::POST,
        "/api/v1/me/tokens",
        &json!({"label": "ci"}),
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.text());
    let own = own.json()["secret"].as_str().expect("secret").to_owned();
    assert_eq!(me_status(env, &issuer).await, StatusCode::OK);
    assert_eq!(me_status(env, &own).await, StatusCode::OK);
    assert_eq!(
        env.call(session.get("/api/v1/me")).await.status,
        StatusCode::OK
    );

    let r = as_token(
        env,
        &admin,
        Method::POST,
        &format!("/api/v1/orgs/{org}/members/{issuer_id}/deactivate"),
        &json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = r.json();
    assert_eq!(d["active"], false);
    assert_eq!(d["account_deactivated"], true);

    // At once: every way in is refused with 401.
    env.call(get_auth("/api/v1/me", &issuer))
        .await
        .problem(StatusCode::UNAUTHORIZED);
    env.call(get_auth("/api/v1/me", &own))
        .await
        .problem(StatusCode::UNAUTHORIZED);
    env.call(session.get("/api/v1/me"))
        .await
        .problem(StatusCode::UNAUTHORIZED);
    // The page session is gone too: the dashboard sends them to sign in.
    let page = env.call(session.get("/dashboard")).await;
    assert_ne!(
        page.status,
        StatusCode::OK,
        "a deactivated session still sees its pages"
    );

    let list = env
        .call(get_auth(&format!("/api/v1/orgs/{org}/members"), &admin))
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let m = find(&list.json(), "members", &issuer_id).clone();
    assert_eq!(m["active"], false);
    assert_eq!(m["roles"], json!(["issuer"]));

    // Deactivating twice is a conflict; reactivation restores the roles but not the old secrets.
    as_token(
        env,
        &admin,
        Method::POST,
        &format!("/api/v1/orgs/{org}/members/{issuer_id}/deactivate"),
        &json!({}),
    )
    .await
    .problem(StatusCode::CONFLICT);
    let r = as_token(
        env,
        &admin,
        Method::POST,
        &format!("/api/v1/orgs/{org}/members/{issuer_id}/reactivate"),
        &json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["active"], true);
    assert_eq!(r.json()["roles"], json!(["issuer"]));
    assert!(!env
        .app
        .store()
        .user_deactivated(&UserId::from(issuer_id.clone()))
        .await
        .unwrap());
    assert_eq!(me_status(env, &issuer).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(env, &own).await, StatusCode::UNAUTHORIZED);
    // A fresh token works again.
    let fresh = env
        .app
        .store()
        .create_api_token(&issuer_id, "after", None)
        .await
        .unwrap();
    assert_eq!(me_status(env, &fresh.secret).await, StatusCode::OK);

    // Who did what, and when.
    let ev = env
        .call(get_auth(
            &format!("/api/v1/orgs/{org}/members/events"),
            &admin,
        ))
        .await
        .json();
    let mine: Vec<&Value> = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["user"] == issuer_id.as_str() && e["by"] == admin_id.as_str())
        .collect();
    let actions: Vec<&str> = mine.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["deactivate", "reactivate"], "{ev}");
    assert!(mine.iter().all(|e| e["roles"] == json!(["issuer"])
        && e["org"] == org.as_str()
        && e["at_ms"].as_i64().unwrap() > 0));
}

#[tokio::test]
async fn deactivation_cuts_sessions_and_tokens_at_once() {
    deactivation_cuts_sessions_and_tokens(&sqlite_env().await).await;
}

#[tokio::test]
async fn deactivation_cuts_sessions_and_tokens_at_once_on_postgres() {
    let Some(env) = postgres_env().await else {
        return;
    };
    deactivation_cuts_sessions_and_tokens(&env).await;
}

async fn wrong_side_is_refused(env: &TestEnv) {
    let org = env.seed.org_id.clone();
    let hr_id = uid(env, HR).await;
    let admin = env.token(ADMIN);
    let before = env
        .call(get_auth(&format!("/api/v1/orgs/{org}/members"), &admin))
        .await
        .json();
    for who in [OTHER_ADMIN, ISSUER, HR] {
        let t = env.token(who);
        let calls = [
            (
                Method::GET,
                format!("/api/v1/orgs/{org}/members"),
                json!(null),
            ),
            (
                Method::GET,
                format!("/api/v1/orgs/{org}/members/events"),
                json!(null),
            ),
            (
                Method::PUT,
                format!("/api/v1/orgs/{org}/members/{hr_id}/roles"),
                json!({"roles": ["org_admin", "verifier"]}),
            ),
            (
                Method::POST,
                format!("/api/v1/orgs/{org}/members/{hr_id}/deactivate"),
                json!({}),
            ),
            (
                Method::POST,
                format!("/api/v1/orgs/{org}/members/{hr_id}/reactivate"),
                json!({}),
            ),
        ];
        for (m, uri, body) in calls {
            let r = if m == Method::GET {
                env.call(get_auth(&uri, &t)).await
            } else {
                as_token(env, &t, m.clone(), &uri, &body).await
            };
            let p = r.problem(StatusCode::FORBIDDEN);
            assert!(p["status"] == 403, "{who} {m} {uri}: {p}");
        }
        // Without credentials: 401.
        env.call(get(&format!("/api/v1/orgs/{org}/members")))
            .await
            .problem(StatusCode::UNAUTHORIZED);
    }
    // Nothing changed: the same members, and HR still signs in.
    let after = env
        .call(get_auth(&format!("/api/v1/orgs/{org}/members"), &admin))
        .await
        .json();
    assert_eq!(before, after);
    assert_eq!(me_status(env, &env.token(HR)).await, StatusCode::OK);

    // Our admin, through our organization, cannot reach another organization's member: 404.
    let other_id = uid(env, OTHER_ADMIN).await;
    as_token(
        env,
        &admin,
        Method::POST,
        &format!("/api/v1/orgs/{org}/members/{other_id}/deactivate"),
        &json!({}),
    )
    .await
    .problem(StatusCode::NOT_FOUND);
    as_token(
        env,
        &admin,
        Method::PUT,
        &format!("/api/v1/orgs/{org}/members/{other_id}/roles"),
        &json!({"roles": ["issuer"]}),
    )
    .await
    .problem(StatusCode::NOT_FOUND);
    assert_eq!(
        me_status(env, &env.token(OTHER_ADMIN)).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn other_organizations_and_non_admins_are_refused() {
    wrong_side_is_refused(&sqlite_env().await).await;
}

#[tokio::test]
async fn other_organizations_and_non_admins_are_refused_on_postgres() {
    let Some(env) = postgres_env().await else {
        return;
    };
    wrong_side_is_refused(&env).await;
}

async fn one_org_cannot_lock_out_another(env: &TestEnv) {
    let ours = env.seed.org_id.clone();
    let theirs = env.seed.other_org_id.clone();
    let hr_id = uid(env, HR).await;
    // HR also verifies for the other organization.
    env.app
        .store()
        .grant_role(
            &UserId::from(hr_id.clone()),
            &OrgId::from(theirs.clone()),
            AccessRole::Verifier,
        )
        .await
        .unwrap();
    let r = as_token(
        env,
        &env.token(OTHER_ADMIN),
        Method::POST,
        &format!("/api/v1/orgs/{theirs}/members/{hr_id}/deactivate"),
        &json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["account_deactivated"], false);
    // Still signed in, still a verifier of our organization.
    assert_eq!(me_status(env, &env.token(HR)).await, StatusCode::OK);
    let ours_list = env
        .call(get_auth(
            &format!("/api/v1/orgs/{ours}/members"),
            &env.token(ADMIN),
        ))
        .await
        .json();
    let m = find(&ours_list, "members", &hr_id);
    assert_eq!(m["active"], true);
    assert_eq!(m["roles"], json!(["verifier"]));
    // Their list shows HR deactivated there.
    let theirs_list = env
        .call(get_auth(
            &format!("/api/v1/orgs/{theirs}/members"),
            &env.token(OTHER_ADMIN),
        ))
        .await
        .json();
    assert_eq!(find(&theirs_list, "members", &hr_id)["active"], false);
}

#[tokio::test]
async fn deactivation_in_one_organization_leaves_the_others() {
    one_org_cannot_lock_out_another(&sqlite_env().await).await;
}

#[tokio::test]
async fn deactivation_in_one_organization_leaves_the_others_on_postgres() {
    let Some(env) = postgres_env().await else {
        return;
    };
    one_org_cannot_lock_out_another(&env).await;
}

async fn roles_change_at_once(env: &TestEnv) {
    let org = env.seed.org_id.clone();
    let hr = env.token(HR);
    let hr_id = uid(env, HR).await;
    let admin_id = uid(env, ADMIN).await;
    let members = format!("/api/v1/orgs/{org}/members");
    let roles = format!("/api/v1/orgs/{org}/members/{hr_id}/roles");
    env.call(get_auth(&members, &hr))
        .await
        .problem(StatusCode::FORBIDDEN);

    // Through the admin's browser session (form token in X-CSRF-Token).
    let admin = sign_in(env, ADMIN).await;
    let r = env
        .call(admin.json(
            Method::PUT,
            &roles,
            &json!({"roles": ["verifier", "org_admin"]}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        env.call(get_auth(&members, &hr)).await.status,
        StatusCode::OK
    );

    let r = env
        .call(admin.json(Method::PUT, &roles, &json!({"roles": ["verifier"]})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    env.call(get_auth(&members, &hr))
        .await
        .problem(StatusCode::FORBIDDEN);

    // Bad input names the field; no role at all is deactivation, not a role change.
    let p = env
        .call(admin.json(
            Method::PUT,
            &roles,
            &json!({"roles": ["verifier", "overlord"]}),
        ))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "roles/1", "{p}");
    let p = env
        .call(admin.json(Method::PUT, &roles, &json!({"roles": []})))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "roles", "{p}");

    // An admin cannot take away their own org_admin role, nor deactivate themself.
    env.call(admin.json(
        Method::PUT,
        &format!("/api/v1/orgs/{org}/members/{admin_id}/roles"),
        &json!({"roles": ["issuer"]}),
    ))
    .await
    .problem(StatusCode::CONFLICT);
    env.call(admin.json(
        Method::POST,
        &format!("/api/v1/orgs/{org}/members/{admin_id}/deactivate"),
        &json!({}),
    ))
    .await
    .problem(StatusCode::CONFLICT);
    assert_eq!(
        env.call(get_auth(&members, &env.token(ADMIN))).await.status,
        StatusCode::OK
    );

    // Recorded: granted then revoked, by the admin.
    let ev = env
        .call(get_auth(
            &format!("/api/v1/orgs/{org}/members/events"),
            &env.token(ADMIN),
        ))
        .await
        .json();
    let hr_events: Vec<(String, Value)> = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["user"] == hr_id.as_str() && e["by"] == admin_id.as_str())
        .map(|e| (e["action"].as_str().unwrap().to_owned(), e["roles"].clone()))
        .collect();
    assert_eq!(
        hr_events,
        [
            ("grant".to_owned(), json!(["org_admin"])),
            ("revoke".to_owned(), json!(["org_admin"]))
        ],
        "{ev}"
    );
}

#[tokio::test]
async fn role_changes_count_at_once_and_are_recorded() {
    roles_change_at_once(&sqlite_env().await).await;
}

#[tokio::test]
async fn role_changes_count_at_once_and_are_recorded_on_postgres() {
    let Some(env) = postgres_env().await else {
        return;
    };
    roles_change_at_once(&env).await;
}

async fn own_tokens(env: &TestEnv) {
    let issuer = env.token(ISSUER);
    let hr = env.token(HR);
    let r = as_token(
        env,
        &issuer,
        Method::POST,
        "/api/v1/me/tokens",
        &json!({"label": "grade book sync", "expires_in_days": 30}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let created = r.json();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(created["expires_ms"].as_i64().unwrap() > 0);
    assert_eq!(me_status(env, &secret).await, StatusCode::OK);

    // Listed without the secret or its hash.
    let list = env.call(get_auth("/api/v1/me/tokens", &issuer)).await;
    assert_eq!(list.status, StatusCode::OK);
    let text = list.text();
    assert!(!text.contains(&secret) && !text.contains(&secret[4..]));
    let hash = hex::encode(pathledger_store::sha256(secret.as_bytes()));
    assert!(!text.contains(&hash) && !text.contains("hash") && !text.contains("secret"));
    let listed = list.json();
    let t = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .expect("listed");
    assert_eq!(t["label"], "grade book sync");
    assert_eq!(t["revoked"], false);
    // Someone else's list does not have it, and their revoking it is 404 (as a missing one).
    let hr_list = env.call(get_auth("/api/v1/me/tokens", &hr)).await.text();
    assert!(!hr_list.contains(&id));
    let other = env
        .call(json_req(
            Method::DELETE,
            &format!("/api/v1/me/tokens/{id}"),
            Some(&hr),
            &json!({}),
        ))
        .await
        .problem(StatusCode::NOT_FOUND);
    let missing = env
        .call(json_req(
            Method::DELETE,
            "/api/v1/me/tokens/tok_missing",
            Some(&hr),
            &json!({}),
        ))
        .await
        .problem(StatusCode::NOT_FOUND);
    assert_eq!(other["code"], missing["code"]);
    assert_eq!(me_status(env, &secret).await, StatusCode::OK);

    // Bad input names the field.
    for (body, field) in [
        (json!({"label": "  "}), "label"),
        (
            json!({"label": "x", "expires_in_days": 0}),
            "expires_in_days",
        ),
        (
            json!({"label": "x", "expires_in_days": 100000}),
            "expires_in_days",
        ),
    ] {
        let p = as_token(env, &issuer, Method::POST, "/api/v1/me/tokens", &body)
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["field"], field, "{p}");
    }

    // The owner revokes it: 401 at once, listed as revoked.
    let r = env
        .call(json_req(
            Method::DELETE,
            &format!("/api/v1/me/tokens/{id}"),
            Some(&issuer),
            &json!({}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["revoked"], true);
    env.call(get_auth("/api/v1/me", &secret))
        .await
        .problem(StatusCode::UNAUTHORIZED);
    let listed = env
        .call(get_auth("/api/v1/me/tokens", &issuer))
        .await
        .json();
    assert!(listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == id.as_str() && t["revoked"] == true));
}

#[tokio::test]
async fn tokens_are_their_owners_alone() {
    own_tokens(&sqlite_env().await).await;
}

#[tokio::test]
async fn tokens_are_their_owners_alone_on_postgres() {
    let Some(env) = postgres_env().await else {
        return;
    };
    own_tokens(&env).await;
}

/// The admin page's Members section: listed to org admins only, every form carries the form
/// token, the forms change roles and deactivate, and another organization's admin posting the
/// same form for our member reaches nobody.
#[tokio::test]
async fn the_admin_page_manages_members() {
    let env = sqlite_env().await;
    let issuer_id = uid(&env, ISSUER).await;
    let hr_id = uid(&env, HR).await;
    let admin = sign_in(&env, ADMIN).await;
    let page = env.call(admin.get("/admin")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("id=\"members\"") && html.contains(&issuer_id));
    let forms = html.matches("action=\"/admin/members/").count();
    assert!(forms > 0);
    let with_token = html
        .split("action=\"/admin/members/")
        .skip(1)
        .filter(|f| f.split("</form>").next().unwrap().contains(&admin.token))
        .count();
    assert_eq!(forms, with_token, "a members form without the form token");

    // A non-admin's admin page has no Members section.
    let issuer = sign_in(&env, ISSUER).await;
    let theirs = env.call(issuer.get("/admin")).await.text();
    assert!(!theirs.contains("id=\"members\""));

    // Another organization's admin posting our member's form: refused, nothing changes.
    let other = sign_in(&env, OTHER_ADMIN).await;
    let r = env
        .call(other.form(&format!("/admin/members/{hr_id}/deactivate"), ""))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert_eq!(me_status(&env, &env.token(HR)).await, StatusCode::OK);

    // Our admin: roles, then deactivation; the member's token stops at once.
    let r = env
        .call(admin.form(
            &format!("/admin/members/{hr_id}/roles"),
            "verifier=on&assessor=on",
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let m = env
        .app
        .store()
        .member(
            &OrgId::from(env.seed.org_id.clone()),
            &UserId::from(hr_id.clone()),
        )
        .await
        .unwrap();
    assert_eq!(m.roles, [AccessRole::Assessor, AccessRole::Verifier]);
    let r = env
        .call(admin.form(&format!("/admin/members/{issuer_id}/deactivate"), ""))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        me_status(&env, &env.token(ISSUER)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        env.call(issuer.get("/api/v1/me")).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Without the form token: refused.
    let r = env
        .call(
            axum::http::Request::builder()
                .method(Method::POST)
                .uri(format!("/admin/members/{issuer_id}/reactivate"))
                .header("cookie", &admin.cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(""))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
