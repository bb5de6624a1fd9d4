//! Accounts for a real deployment, end to end through the router on SQLite and PostgreSQL:
//! email-link sign-in (single use, short expiry, bound to the browser that asked, throttled per
//! address, never revealing whether an address has an account), invitations (mailed only to
//! the invited address, accepted once, never signing anyone into an existing account), open
//! enrollment with a verified email, the first-run setup page, and each boundary tried from
//! the wrong side.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use serde_json::json;

/// The `name=value` pairs a response sets, joined as a `Cookie` header.
fn cookies_set(r: &Resp) -> Vec<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .collect()
}

fn form(uri: &str, cookie: Option<&str>, body: &str) -> Request<Body> {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body.to_owned())).expect("request")
}

fn get_with(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::builder().uri(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).expect("request")
}

fn enc(s: &str) -> String {
    s.replace('@', "%40").replace('+', "%2B").replace(' ', "+")
}

/// The messages in the outbox sent to `to`, oldest first.
fn mails_to(env: &TestEnv, to: &str) -> Vec<String> {
    env.outbox_messages()
        .into_iter()
        .filter(|m| mail_to(m).contains(&to.to_ascii_lowercase()))
        .collect()
}

/// The first link in a message that starts with `prefix` (after the public URL).
fn link_in(mail: &str, prefix: &str) -> String {
    pathledger_test_support::link_in(mail, PUBLIC_URL, prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in:\n{}", mail_text(mail)))
}

/// Runs `sql` directly on the environment's database (to move time forward for a row).
async fn exec_sql(env: &TestEnv, sql: &str) {
    use sqlx::Connection as _;
    match env.postgres_url() {
        Some(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
            sqlx::query(sql).execute(&mut c).await.expect("sql");
        }
        None => {
            let path = env.sqlite_path().expect("sqlite file");
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
                .await
                .expect("connect");
            sqlx::query(sql).execute(&mut c).await.expect("sql");
        }
    }
}

/// Asks for a sign-in link as a fresh browser; returns that browser's binding cookie.
async fn ask_link(env: &TestEnv, email: &str, browser: Option<&str>) -> (Resp, Option<String>) {
    let r = env
        .call(form(
            "/login/email",
            browser,
            &format!("email={}", enc(email)),
        ))
        .await;
    let cookie = cookies_set(&r)
        .into_iter()
        .find(|c| c.starts_with("pathledger_browser="))
        .or_else(|| browser.map(str::to_owned));
    (r, cookie)
}

async fn email_link_sign_in(env: TestEnv) {
    // Asking: the same answer for an address with and without an account; only one gets mail.
    let (r, browser) = ask_link(&env, JORDAN, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("Check your email"));
    let browser = browser.expect("the asking browser gets its binding cookie");
    let (nobody, _) = ask_link(&env, "nobody@nowhere.example", None).await;
    assert_eq!(nobody.status, StatusCode::OK);
    assert_eq!(
        r.text().replace(JORDAN, "X"),
        nobody.text().replace("nobody@nowhere.example", "X"),
        "the answer must not reveal whether the address has an account"
    );
    assert!(mails_to(&env, "nobody@nowhere.example").is_empty());
    let mails = mails_to(&env, JORDAN);
    assert_eq!(mails.len(), 1, "one sign-in mail");
    let link = link_in(&mails[0], "/login/email/");

    // Opening the link (a mail scanner would) uses nothing up: it shows a button.
    let page = env.call(get_with(&link, None)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Continue"));

    // Another browser (no binding cookie, or another one) is refused; the link stays usable.
    let other = env.call(form(&link, None, "")).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "{}", other.text());
    assert!(other.text().contains("another browser"), "{}", other.text());
    let (_, stranger) = ask_link(&env, "someone.else@nowhere.example", None).await;
    let other = env.call(form(&link, stranger.as_deref(), "")).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);

    // The asking browser signs in and lands on the educator's dashboard.
    let done = env.call(form(&link, Some(&browser), "")).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    assert_eq!(done.headers[header::LOCATION], "/dashboard");
    let session = cookies_set(&done)
        .into_iter()
        .find(|c| c.starts_with("pathledger_session="))
        .expect("session cookie");
    let me = env.call(get_with("/api/v1/me", Some(&session))).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text());
    assert_eq!(me.json()["user"]["email"], JORDAN);

    // Single use.
    let again = env.call(form(&link, Some(&browser), "")).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.text().contains("used already"), "{}", again.text());

    // A browser that is signed in already gets the link's page with its form token, so its
    // Continue gets the link's own answer, not a form-token refusal.
    let s = sign_in(&env, JORDAN).await;
    let page = env.call(s.get(&link)).await.text();
    assert_eq!(
        form_token_in(&page).as_deref(),
        Some(s.token.as_str()),
        "{page}"
    );
    let signed_in = env.call(s.form(&link, "")).await;
    assert_eq!(
        signed_in.status,
        StatusCode::FORBIDDEN,
        "{}",
        signed_in.text()
    );
    assert!(
        signed_in.text().contains("another browser"),
        "{}",
        signed_in.text()
    );

    // Expired: a link past its 15 minutes does not work, even in the right browser.
    let (_, b2) = ask_link(&env, HR, None).await;
    let hr_link = link_in(mails_to(&env, HR).last().expect("mail"), "/login/email/");
    exec_sql(&env, "UPDATE email_links SET expires_ms = 1").await;
    let late = env.call(form(&hr_link, b2.as_deref(), "")).await;
    assert_eq!(late.status, StatusCode::GONE);
    assert!(late.text().contains("expired"), "{}", late.text());

    // A district verifier lands on verify, an assessor on the review queue, an admin on admin.
    for (who, landing) in [(HR, "/verify"), (MENTOR, "/review"), (ADMIN, "/admin")] {
        let (_, b) = ask_link(&env, who, None).await;
        let l = link_in(mails_to(&env, who).last().expect("mail"), "/login/email/");
        let r = env.call(form(&l, b.as_deref(), "")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{who}: {}", r.text());
        assert_eq!(r.headers[header::LOCATION], landing, "{who}");
    }

    // Per-address throttle: at most 5 links per 15 minutes, counted in the database.
    let before = mails_to(&env, AVERY).len();
    for _ in 0..7 {
        let (r, _) = ask_link(&env, AVERY, Some(&browser)).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert_eq!(mails_to(&env, AVERY).len() - before, 5, "throttled at 5");

    // A malformed address is a clear error by field, not a mail.
    let bad = env
        .call(form("/login/email", None, "email=not-an-address"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("not an email address"));
}

#[tokio::test]
async fn email_link_sign_in_sqlite() {
    email_link_sign_in(sqlite_env().await).await;
}

#[tokio::test]
async fn email_link_sign_in_postgres() {
    if let Some(env) = postgres_env().await {
        email_link_sign_in(env).await;
    }
}

async fn invitations(env: TestEnv) {
    let org = env.seed.org_id.clone();
    let admin = env.token(ADMIN);
    let uri = format!("/api/v1/orgs/{org}/invitations");

    // Bad input names the field; an educator and another organization's admin are refused.
    let r = env
        .call(json_req(
            Method::POST,
            &uri,
            Some(&admin),
            &json!({"email": "nope", "roles": ["assessor"]}),
        ))
        .await;
    assert_eq!(
        r.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"],
        "email"
    );
    let r = env
        .call(json_req(
            Method::POST,
            &uri,
            Some(&admin),
            &json!({"email": "x@y.example", "roles": ["wizard"]}),
        ))
        .await;
    assert_eq!(
        r.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"],
        "roles/0"
    );
    for who in [JORDAN, HILLCREST_ADMIN, ISSUER] {
        let r = env
            .call(json_req(
                Method::POST,
                &uri,
                Some(&env.token(who)),
                &json!({"email": "x@y.example", "roles": ["educator"]}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        let r = env.call(get_auth(&uri, &env.token(who))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} lists");
    }
    assert!(mails_to(&env, "x@y.example").is_empty());

    // The admin invites a new mentor: the API never returns the link; the mail carries it.
    let r = env
        .call(json_req(Method::POST, &uri, Some(&admin), &json!({"email": "Dana.Mentor@Riverside.example", "name": "Dana", "roles": ["assessor"]})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let inv = r.json();
    assert_eq!(inv["state"], "pending");
    assert_eq!(inv["email"], "dana.mentor@riverside.example");
    let body = r.text();
    let mails = mails_to(&env, "dana.mentor@riverside.example");
    assert_eq!(mails.len(), 1);
    let link = link_in(&mails[0], "/invitations/");
    let secret = link.rsplit('/').next().expect("secret");
    assert!(
        !body.contains(secret),
        "the API must not hand the link to the admin"
    );

    // Another organization's admin cannot withdraw it, through either organization's path.
    let hill = env.token(HILLCREST_ADMIN);
    let id = inv["id"].as_str().expect("id");
    let r = env
        .call(json_req(
            Method::DELETE,
            &format!("{uri}/{id}"),
            Some(&hill),
            &json!({}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let hill_uri = format!("/api/v1/orgs/{}/invitations/{id}", env.seed.other_org_id);
    let r = env
        .call(json_req(Method::DELETE, &hill_uri, Some(&hill), &json!({})))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Accepting creates the account with the role, records the grant as the admin's, and
    // signs in on the assessor's page. Another site cannot post the acceptance (login CSRF).
    let page = env.call(get(&link)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Riverside"), "{}", page.text());
    let mut cross = form(&link, None, "name=Dana+M");
    cross.headers_mut().insert(
        header::ORIGIN,
        "https://evil.example".parse().expect("origin"),
    );
    assert_eq!(env.call(cross).await.status, StatusCode::FORBIDDEN);
    let done = env.call(form(&link, None, "name=Dana+M")).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    assert_eq!(done.headers[header::LOCATION], "/review");
    let user = env
        .app
        .store()
        .user_by_email("dana.mentor@riverside.example")
        .await
        .expect("account created");
    assert_eq!(user.display_name, "Dana M");
    let events = env
        .call(get_auth(
            &format!("/api/v1/orgs/{org}/members/events"),
            &admin,
        ))
        .await
        .json();
    let admin_id = env.account(ADMIN).user_id.clone();
    assert!(
        events["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["user"] == user.id.as_str()
                && e["action"] == "grant"
                && e["by"] == admin_id.as_str()),
        "{events}"
    );
    // Once only.
    let again = env.call(form(&link, None, "")).await;
    assert_eq!(again.status, StatusCode::GONE);
    let listed = env.call(get_auth(&uri, &admin)).await.json();
    assert_eq!(listed["invitations"][0]["state"], "accepted", "{listed}");

    // A withdrawn invitation does not work; inviting again replaces the pending one.
    for _ in 0..2 {
        let r = env
            .call(json_req(
                Method::POST,
                &uri,
                Some(&admin),
                &json!({"email": "lee@riverside.example", "roles": ["educator"]}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let lee = mails_to(&env, "lee@riverside.example");
    let (first, second) = (
        link_in(&lee[0], "/invitations/"),
        link_in(&lee[1], "/invitations/"),
    );
    assert_eq!(
        env.call(form(&first, None, "")).await.status,
        StatusCode::GONE
    );
    let second_id = env.call(get_auth(&uri, &admin)).await.json()["invitations"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = env
        .call(json_req(
            Method::DELETE,
            &format!("{uri}/{second_id}"),
            Some(&admin),
            &json!({}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = env.call(form(&second, None, "")).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.text().contains("withdrawn"));

    // An invitation never signs anyone into an existing account: Casey (of Hillcrest) must be
    // signed in as Casey to accept Riverside's invitation, which then links a Riverside record.
    let r = env
        .call(json_req(
            Method::POST,
            &uri,
            Some(&admin),
            &json!({"email": CASEY, "roles": ["educator"]}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let casey_link = link_in(mails_to(&env, CASEY).last().expect("mail"), "/invitations/");
    let anon = env.call(form(&casey_link, None, "")).await;
    assert_eq!(anon.status, StatusCode::FORBIDDEN, "{}", anon.text());
    assert!(anon.text().contains("Sign in as"), "{}", anon.text());
    let jordan = sign_in(&env, JORDAN).await;
    let wrong = env.call(jordan.form(&casey_link, "")).await;
    assert_eq!(
        wrong.status,
        StatusCode::FORBIDDEN,
        "someone else signed in"
    );
    let casey = sign_in(&env, CASEY).await;
    let ok = env.call(casey.form(&casey_link, "")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let casey_user = env.app.store().user_by_email(CASEY).await.expect("casey");
    assert!(
        casey_user.educator_in(&org).is_some(),
        "a Riverside record is linked"
    );
    assert!(
        casey_user.educator_in(&env.seed.other_org_id).is_some(),
        "Hillcrest's stays"
    );

    // The admin page lists invitations and invites by form.
    let s = sign_in(&env, ADMIN).await;
    let page = env.call(s.get("/admin")).await.text();
    assert!(
        page.contains("dana.mentor@riverside.example"),
        "invitation listed"
    );
    let r = env
        .call(s.form(
            "/admin/invitations",
            "email=pat%40riverside.example&name=Pat&verifier=on",
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(mails_to(&env, "pat@riverside.example").len(), 1);
}

#[tokio::test]
async fn invitations_sqlite() {
    invitations(sqlite_env().await).await;
}

#[tokio::test]
async fn invitations_postgres() {
    if let Some(env) = postgres_env().await {
        invitations(env).await;
    }
}

async fn open_enrollment(env: TestEnv) {
    let org = env.seed.other_org_id.clone();
    let join = format!("/join/{org}");
    // Closed by default: the page says so and nothing is sent.
    assert_eq!(env.call(get(&join)).await.status, StatusCode::FORBIDDEN);
    let r = env
        .call(form(&join, None, "name=Sam&email=sam%40example.org"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(mails_to(&env, "sam@example.org").is_empty());

    // Only that organization's admin opens it.
    let uri = format!("/api/v1/orgs/{org}/enrollment");
    for who in [ADMIN, CASEY] {
        let r = env
            .call(json_req(
                Method::PUT,
                &uri,
                Some(&env.token(who)),
                &json!({"open": true}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
    }
    let r = env
        .call(json_req(
            Method::PUT,
            &uri,
            Some(&env.token(HILLCREST_ADMIN)),
            &json!({"open": true}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(env.call(get("/join")).await.text().contains(&join));

    // A missing name comes back as the same form, filled in, with the message by the field.
    let r = env
        .call(form(&join, None, "name=&email=sam%40example.org"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let t = r.text();
    assert!(
        t.contains("name-error") && t.contains("sam@example.org"),
        "{t}"
    );

    // Sign-up mails a confirmation link bound to this browser; following it makes Sam an
    // educator of Hillcrest, signed in on the dashboard.
    let r = env
        .call(form(
            &join,
            None,
            "name=Sam+Switcher&email=sam%40example.org",
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let browser = cookies_set(&r)
        .into_iter()
        .find(|c| c.starts_with("pathledger_browser="))
        .expect("binding cookie");
    let link = link_in(
        mails_to(&env, "sam@example.org").last().expect("mail"),
        "/login/email/",
    );
    assert_eq!(
        env.call(form(&link, None, "")).await.status,
        StatusCode::FORBIDDEN
    );
    let done = env.call(form(&link, Some(&browser), "")).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    assert_eq!(done.headers[header::LOCATION], "/dashboard");
    let sam = env
        .app
        .store()
        .user_by_email("sam@example.org")
        .await
        .expect("account");
    assert_eq!(sam.display_name, "Sam Switcher");
    let edu = sam.educator_in(&org).expect("educator record in Hillcrest");
    assert_eq!(
        env.app
            .store()
            .educator(edu.as_str())
            .await
            .expect("record")
            .org_id
            .as_str(),
        org
    );
    assert!(
        sam.educator_in(&env.seed.org_id).is_none(),
        "nothing in Riverside"
    );
}

#[tokio::test]
async fn open_enrollment_sqlite() {
    open_enrollment(sqlite_env().await).await;
}

#[tokio::test]
async fn open_enrollment_postgres() {
    if let Some(env) = postgres_env().await {
        open_enrollment(env).await;
    }
}

/// The first-run page: only with the setup code from the log, only while the database holds
/// no organization, and only once.
#[tokio::test]
async fn first_run_setup_page() {
    let dir = tempfile::tempdir().expect("dir");
    let app = pathledger_server::App::open(pathledger_server::AppConfig {
        database_url: format!("sqlite:{}", dir.path().join("empty.db").display()),
        kek: pathledger_store::Kek::generate().expect("kek"),
        public_url: PUBLIC_URL.into(),
        trusted_issuers: Vec::new(),
        fetch: Default::default(),
        host_issuer: None,
        mail: pathledger_server::app::mail::MailConfig::outbox(dir.path().join("outbox")),
    })
    .await
    .expect("open");
    let call = call_router;
    let closed = pathledger_server::router(app.clone());
    assert_eq!(
        call(closed.clone(), get("/setup")).await.status,
        StatusCode::NOT_FOUND
    );

    let router = pathledger_server::router_with(
        app.clone(),
        pathledger_server::WebConfig {
            setup_code: Some("0123456789abcdef01234567".into()),
            ..Default::default()
        },
    );
    assert_eq!(
        call(router.clone(), get("/setup")).await.status,
        StatusCode::OK
    );
    let fields = "name=Lakeside+Teacher+Residency&kind=preparation_program&email=director%40lakeside.example&admin_name=Morgan";
    let wrong = call(
        router.clone(),
        form("/setup", None, &format!("code=nope&{fields}")),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(
        wrong.text().contains("Lakeside Teacher Residency"),
        "the form keeps what was typed"
    );
    assert!(app.store().organizations().await.expect("orgs").is_empty());

    let ok = call(
        router.clone(),
        form(
            "/setup",
            None,
            &format!("code=0123456789abcdef01234567&{fields}"),
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    assert_eq!(ok.headers[header::LOCATION], "/admin");
    let orgs = app.store().organizations().await.expect("orgs");
    assert_eq!(orgs.len(), 1);
    let admin = app
        .store()
        .user_by_email("director@lakeside.example")
        .await
        .expect("admin account");
    let issuers = app.store().issuers(&orgs[0].id).await.expect("issuers");
    assert_eq!(issuers.len(), 1, "an issuer with a key");
    assert!(app
        .store()
        .has_role(
            &admin.id,
            &orgs[0].id,
            pathledger_store::AccessRole::OrgAdmin
        )
        .await
        .expect("role"));
    // Used up: the page is gone and the code does nothing more.
    assert_eq!(
        call(router.clone(), get("/setup")).await.status,
        StatusCode::NOT_FOUND
    );
    let again = call(
        router,
        form(
            "/setup",
            None,
            &format!("code=0123456789abcdef01234567&{fields}"),
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(app.store().organizations().await.expect("orgs").len(), 1);
}

fn csv_req(uri: &str, token: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(body.to_owned()))
        .expect("request")
}

async fn roster_invitations(env: TestEnv) {
    let org = env.seed.org_id.clone();
    let uri = format!("/api/v1/orgs/{org}/invitations/roster");
    let roster = "email,name,roles\n\
                  kim@riverside.example,Kim Park,mentor\n\
                  not-an-address,Bad Row,educator\n\
                  lou@riverside.example,Lou,wizard\n\
                  ray@riverside.example,Ray,\n\
                  admin@riverside.example,The Admin,admin\n";
    // Only the organization's admins; nothing is mailed for the refused.
    for who in [ISSUER, JORDAN, HILLCREST_ADMIN] {
        let r = env.call(csv_req(&uri, &env.token(who), roster)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
    }
    assert!(mails_to(&env, "kim@riverside.example").is_empty());
    // A file that is no roster is refused whole, naming the field and where.
    let r = env
        .call(csv_req(&uri, &env.token(ADMIN), "name,phone\nKim,555\n"))
        .await;
    let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "roster", "{p}");
    assert!(
        p["detail"].as_str().unwrap_or_default().contains("line 1"),
        "{p}"
    );

    let r = env.call(csv_req(&uri, &env.token(ADMIN), roster)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    let invited: Vec<&str> = v["invited"]
        .as_array()
        .expect("invited")
        .iter()
        .map(|i| i["invitation"]["email"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        invited,
        ["kim@riverside.example", "ray@riverside.example"],
        "{v}"
    );
    assert_eq!(v["invited"][0]["invitation"]["roles"], json!(["assessor"]));
    assert_eq!(
        v["invited"][1]["invitation"]["roles"],
        json!(["educator"]),
        "no roles: educator"
    );
    let errors = v["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{v}");
    assert_eq!(
        (errors[0]["line"].as_u64(), errors[0]["column"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(
        (errors[1]["line"].as_u64(), errors[1]["column"].as_u64()),
        (Some(4), Some(3))
    );
    assert_eq!(v["already_members"][0]["line"], 6);
    assert_eq!(mails_to(&env, "kim@riverside.example").len(), 1);
    assert!(mails_to(&env, "lou@riverside.example").is_empty());

    // A OneRoster users.csv: teachers are invited as educators, administrators left out.
    let oneroster = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n\
        t-1001,,,true,school-1,teacher,jdoe,{LDAP:jdoe},Jane,Doe,,E1001,jane.doe@school.example,,,,,\n\
        a-1,,,true,school-1,administrator,boss,,Big,Boss,,,boss@school.example,,,,,\n";
    let s = sign_in(&env, ADMIN).await;
    let r = env
        .call(s.multipart(
            "/admin/invitations/roster",
            &[("roster", Some("users.csv"), oneroster)],
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let t = r.text();
    assert!(t.contains("1 invited") && t.contains("OneRoster"), "{t}");
    let jane = mails_to(&env, "jane.doe@school.example");
    assert_eq!(jane.len(), 1);
    assert!(
        mail_text(&jane[0]).contains("Jane Doe"),
        "{}",
        mail_text(&jane[0])
    );
    assert!(mails_to(&env, "boss@school.example").is_empty());
    // The upload form needs the session's form token like every form.
    let mut no_token = multipart_req(
        "/admin/invitations/roster",
        &[("roster", Some("users.csv"), oneroster)],
    );
    no_token
        .headers_mut()
        .insert(header::COOKIE, s.cookie.parse().expect("cookie"));
    assert_eq!(env.call(no_token).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn roster_invitations_sqlite() {
    roster_invitations(sqlite_env().await).await;
}

#[tokio::test]
async fn roster_invitations_postgres() {
    if let Some(env) = postgres_env().await {
        roster_invitations(env).await;
    }
}

/// Requests that mail someone are counted per client address too: past the limit the page is
/// 429 with `Retry-After` and nothing is mailed; another address is not affected.
#[tokio::test]
async fn mail_requests_are_throttled_per_client_address() {
    use pathledger_server::throttle::ThrottleConfig;
    let env = sqlite_env().await;
    let org = env.seed.other_org_id.clone();
    let r = env
        .call(json_req(
            Method::PUT,
            &format!("/api/v1/orgs/{org}/enrollment"),
            Some(&env.token(HILLCREST_ADMIN)),
            &json!({"open": true}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let router = pathledger_server::router_with(
        env.app.clone(),
        pathledger_server::WebConfig {
            mail_throttle: Some(ThrottleConfig {
                max_failures: 3,
                window: std::time::Duration::from_secs(60),
                max_tracked: 100,
            }),
            ..Default::default()
        },
    );
    let from = |mut req: Request<Body>, ip: [u8; 4]| {
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                ip, 40000,
            ))));
        req
    };
    let stranger = [203, 0, 113, 9];
    for who in [JORDAN, AVERY, HR] {
        let r = call_router(
            router.clone(),
            from(
                form("/login/email", None, &format!("email={}", enc(who))),
                stranger,
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{who}");
    }
    let r = call_router(
        router.clone(),
        from(
            form("/login/email", None, &format!("email={}", enc(MENTOR))),
            stranger,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    assert!(
        mails_to(&env, MENTOR).is_empty(),
        "nothing mailed past the limit"
    );
    let r = call_router(
        router.clone(),
        from(
            form(
                &format!("/join/{org}"),
                None,
                "name=Sam&email=sam%40example.org",
            ),
            stranger,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(mails_to(&env, "sam@example.org").is_empty());
    // Another address is not affected.
    let r = call_router(
        router,
        from(
            form("/login/email", None, &format!("email={}", enc(MENTOR))),
            [198, 51, 100, 4],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(mails_to(&env, MENTOR).len(), 1);
}
