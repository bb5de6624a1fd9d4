//! OpenID Connect sign-in end to end: our server on loopback, a real OpenID provider process
//! (`oidc-provider` under Node, `tests/oidc/provider.mjs`, installed by `npm ci --prefix
//! tests/oidc`) on loopback, and a cookie-keeping HTTP client as the browser going back and forth
//! between them. The provider's own authorization-code + PKCE flow, token endpoint and signed ID
//! tokens run; the browser logs in by posting the provider's development login form.
//! `PATHLEDGER_REQUIRE_OIDC=1` (set by `.ci/run`) turns a missing node or provider into a failure.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use pathledger_server::WebConfig;
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc")
}

/// `oidc-provider` on 127.0.0.1 with one client, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// `None` (with a message) when node or the provider's modules are missing and not required.
    fn start(client_id: &str, client_secret: &str, redirect_uri: &str) -> Option<Self> {
        let dir = provider_dir();
        let node = Command::new("node")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let modules = dir.join("node_modules/oidc-provider/package.json").exists();
        if !(node && modules) {
            let what = if node {
                "the provider's modules are not installed (npm ci --prefix tests/oidc)"
            } else {
                "node is not installed"
            };
            assert!(
                std::env::var("PATHLEDGER_REQUIRE_OIDC").as_deref() != Ok("1"),
                "PATHLEDGER_REQUIRE_OIDC=1 but {what}"
            );
            eprintln!("skipping OIDC test: {what}");
            return None;
        }
        let mut child = Command::new("node")
            .current_dir(&dir)
            .arg("provider.mjs")
            .args(["--port", "0", "--client-id", client_id])
            .args([
                "--client-secret",
                client_secret,
                "--redirect-uri",
                redirect_uri,
            ])
            // The provider exits when its standard input closes, so it never outlives the test.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node provider.mjs");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut out = BufReader::new(stdout);
            let mut line = String::new();
            let _ = out.read_line(&mut line);
            let _ = tx.send(line);
            // Keep reading: a closed pipe would fail the provider's next write.
            let _ = std::io::copy(&mut out, &mut std::io::sink());
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        let issuer = line.trim().to_owned();
        if !issuer.starts_with("http://127.0.0.1:") {
            let _ = child.kill();
            panic!("the OIDC provider did not start (said {line:?})");
        }
        Some(Self { child, issuer })
    }
}

/// A browser: keeps cookies, follows no redirect by itself (the test sees each hop).
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    set_cookies: Vec<String>,
    body: String,
}

async fn page(resp: reqwest::Response) -> Page {
    let status = resp.status();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let set_cookies = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let body = resp.text().await.unwrap_or_default();
    Page {
        status,
        location,
        set_cookies,
        body,
    }
}

async fn get(b: &reqwest::Client, url: &str) -> Page {
    page(b.get(url).send().await.expect("GET")).await
}

fn resolve(base: &str, location: &str) -> String {
    reqwest::Url::parse(base)
        .and_then(|u| u.join(location))
        .expect("redirect target")
        .to_string()
}

/// Starts a sign-in at `org`'s provider in browser `b` and logs in there as `login` (the
/// provider's account id: an email address), consenting when asked. Returns the callback URL
/// the provider sends the browser back to, not yet opened.
async fn authorize(b: &reqwest::Client, base: &str, org: &str, login: &str) -> String {
    let callback = format!("{base}/login/oidc/callback");
    let mut url = format!("{base}/login/oidc/{org}");
    for _ in 0..20 {
        let p = get(b, &url).await;
        if p.status.is_redirection() {
            let next = resolve(&url, p.location.as_deref().expect("Location"));
            if next.starts_with(&callback) {
                return next;
            }
            url = next;
            continue;
        }
        assert_eq!(p.status, StatusCode::OK, "{url}: {}", p.body);
        assert!(url.contains("/interaction/"), "unexpected page {url}");
        let form: Vec<(&str, &str)> = if p.body.contains("name=\"login\"") {
            vec![("prompt", "login"), ("login", login), ("password", "x")]
        } else {
            vec![("prompt", "consent")]
        };
        let r = page(b.post(&url).form(&form).send().await.expect("POST")).await;
        assert!(r.status.is_redirection(), "{url}: {} {}", r.status, r.body);
        url = resolve(&url, r.location.as_deref().expect("Location"));
        if url.starts_with(&callback) {
            return url;
        }
    }
    panic!("the provider never sent the browser back");
}

fn session_cookie(p: &Page) -> Option<&String> {
    p.set_cookies
        .iter()
        .find(|c| c.starts_with("pathledger_session=") && !c.starts_with("pathledger_session=;"))
}

/// Signs in as `login` in a fresh browser; the callback's answer and the browser.
async fn sign_in(base: &str, org: &str, login: &str) -> (Page, reqwest::Client) {
    let b = browser();
    let cb = authorize(&b, base, org, login).await;
    (get(&b, &cb).await, b)
}

fn api(
    c: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: &str,
) -> reqwest::RequestBuilder {
    c.request(method, url).bearer_auth(token)
}

async fn json_of(r: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = r.send().await.expect("API call");
    let status = resp.status();
    let v = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, v)
}

async fn scenario(postgres: bool) {
    let (listener, addr) = pathledger_server::bind(([127, 0, 0, 1], 0).into())
        .await
        .expect("bind");
    let base = format!("http://{addr}");
    let env = if postgres {
        match postgres_env_at(&base).await {
            Some(e) => e,
            None => return,
        }
    } else {
        sqlite_env_at(&base).await
    };
    let redirect_uri = format!("{base}/login/oidc/callback");
    let secret = "riverside-client-secret-0123456789";
    let Some(provider) = Provider::start("pathledger-riverside", secret, &redirect_uri) else {
        return;
    };
    let app = env.app.clone();
    let server = tokio::spawn(async move {
        let config = WebConfig {
            oidc_allow_http: true,
            ..WebConfig::default()
        };
        pathledger_server::serve_with(listener, app, config)
            .await
            .expect("server runs");
    });
    let riverside = env.seed.org_id.clone();
    let hillcrest = env.seed.other_org_id.clone();
    let settings = format!("{base}/api/v1/orgs/{riverside}/oidc");
    let c = reqwest::Client::new();
    let admin = env.token(ADMIN);
    let config = json!({
        "issuer_url": provider.issuer, "client_id": "pathledger-riverside",
        "client_secret": secret, "label": "Riverside Google",
    });

    // Nothing configured yet: the admin sees the redirect URI to register at the provider.
    let (s, v) = json_of(api(&c, reqwest::Method::GET, &settings, &admin)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["configured"], false);
    assert_eq!(v["redirect_uri"], redirect_uri.as_str());

    // (5) Only this organization's admins read or change the settings.
    for who in [HILLCREST_ADMIN, JORDAN] {
        let t = env.token(who);
        for m in [reqwest::Method::GET, reqwest::Method::DELETE] {
            let (s, v) = json_of(api(&c, m.clone(), &settings, &t)).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who} {m}: {v}");
        }
        let (s, v) = json_of(api(&c, reqwest::Method::PUT, &settings, &t).json(&config)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who} PUT: {v}");
    }
    let (s, _) = json_of(c.get(&settings)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Bad settings are refused at the field, before anything is stored.
    for (bad, field) in [
        (json!({"issuer_url": "ftp://idp.example"}), "issuer_url"),
        (
            json!({"issuer_url": format!("{}/no-such-issuer", provider.issuer)}),
            "issuer_url",
        ),
        (json!({"client_id": " "}), "client_id"),
        (json!({"client_secret": ""}), "client_secret"),
        (json!({"label": ""}), "label"),
    ] {
        let mut body = config.clone();
        for (k, v) in bad.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, v) = json_of(api(&c, reqwest::Method::PUT, &settings, &admin).json(&body)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert_eq!(v["field"], field, "{v}");
    }
    let (s, v) =
        json_of(api(&c, reqwest::Method::PUT, &settings, &admin).json(&json!({"issuer_url": "x"})))
            .await;
    assert!(s.is_client_error(), "{s} {v}");
    let (_, v) = json_of(api(&c, reqwest::Method::GET, &settings, &admin)).await;
    assert_eq!(v["configured"], false, "nothing stored: {v}");

    // Configured by its admin: the secret is never shown again.
    let (s, v) = json_of(api(&c, reqwest::Method::PUT, &settings, &admin).json(&config)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for v in [
        v,
        json_of(api(&c, reqwest::Method::GET, &settings, &admin))
            .await
            .1,
    ] {
        assert_eq!(v["configured"], true, "{v}");
        assert_eq!(v["issuer_url"], provider.issuer.as_str());
        assert_eq!(v["client_id"], "pathledger-riverside");
        assert_eq!(v["label"], "Riverside Google");
        assert_eq!(v["redirect_uri"], redirect_uri.as_str());
        assert!(!v.to_string().contains(secret), "secret shown: {v}");
    }
    // The sign-in page's buttons, on the sign-in page itself.
    let login = get(&browser(), &format!("{base}/login")).await;
    assert!(
        login.body.contains("Sign in with Riverside Google")
            && login
                .body
                .contains(&format!("href=\"/login/oidc/{riverside}\"")),
        "{}",
        login.body
    );
    let choices = pathledger_server::pages::oidc::sign_in_choices(&env.app).await;
    assert_eq!(
        choices,
        vec![(riverside.clone().into(), "Riverside Google".to_owned())]
    );
    let buttons = pathledger_server::pages::oidc::oidc_buttons(&choices).into_string();
    assert!(
        buttons.contains("Sign in with Riverside Google"),
        "{buttons}"
    );
    assert!(
        buttons.contains(&format!("href=\"/login/oidc/{riverside}\"")),
        "{buttons}"
    );

    // (1) A member signs in through the provider and lands on their page with a session.
    let (p, b) = sign_in(&base, &riverside, JORDAN).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/dashboard"));
    assert!(session_cookie(&p).is_some(), "{:?}", p.set_cookies);
    let me = b.get(format!("{base}/api/v1/me")).send().await.expect("me");
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.expect("json");
    assert_eq!(me["user"]["email"], JORDAN, "{me}");
    let dash = get(&b, &format!("{base}/dashboard")).await;
    assert_eq!(dash.status, StatusCode::OK);
    let (p, _) = sign_in(&base, &riverside, ADMIN).await;
    assert_eq!(p.location.as_deref(), Some("/admin"), "{}", p.body);

    // (3) A callback works once, and only in the browser that started the sign-in.
    let b = browser();
    let cb = authorize(&b, &base, &riverside, JORDAN).await;
    let first = get(&b, &cb).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let replay = get(&b, &cb).await;
    assert_eq!(replay.status, StatusCode::GONE, "{}", replay.body);
    assert!(replay.body.contains("used already"), "{}", replay.body);
    assert!(session_cookie(&replay).is_none());
    let cb = authorize(&b, &base, &riverside, JORDAN).await;
    let elsewhere = get(&browser(), &cb).await;
    assert_eq!(
        elsewhere.status,
        StatusCode::FORBIDDEN,
        "{}",
        elsewhere.body
    );
    assert!(
        elsewhere.body.contains("another browser"),
        "{}",
        elsewhere.body
    );
    assert!(session_cookie(&elsewhere).is_none());
    // Refused elsewhere, it still works where it was started.
    assert_eq!(get(&b, &cb).await.status, StatusCode::SEE_OTHER);
    let forged = get(&b, &format!("{redirect_uri}?code=x&state=forged")).await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND, "{}", forged.body);

    // (2) An unknown email is refused, then enrolled once the organization opens enrollment.
    let newcomer = "newcomer@riverside.example";
    let (p, _) = sign_in(&base, &riverside, newcomer).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    assert!(
        p.body.contains(&format!(
            "No account at Riverside Unified School District for {newcomer}; ask its administrator for an invitation."
        )),
        "{}",
        p.body
    );
    assert!(session_cookie(&p).is_none());
    assert!(env.app.store().user_by_email(newcomer).await.is_err());
    // Not verified by the provider: refused whatever the enrollment.
    let (p, _) = sign_in(&base, &riverside, &format!("unverified:{newcomer}")).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    assert!(p.body.contains("has not verified"), "{}", p.body);
    let (s, v) = json_of(
        api(
            &c,
            reqwest::Method::PUT,
            &format!("{base}/api/v1/orgs/{riverside}/enrollment"),
            &admin,
        )
        .json(&json!({"open": true})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (p, _) = sign_in(&base, &riverside, newcomer).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/dashboard"));
    let user = env
        .app
        .store()
        .user_by_email(newcomer)
        .await
        .expect("enrolled");
    assert_eq!(user.educators.len(), 1);
    assert_eq!(user.educators[0].org_id.as_str(), riverside);
    // An account that belongs to no organization is still someone's: even with enrollment
    // open, the provider neither signs into it nor enrolls it.
    let loner = "loner@riverside.example";
    let loner_user = env
        .app
        .store()
        .create_user(loner, "Loner", None)
        .await
        .expect("account without organization");
    let (p, _) = sign_in(&base, &riverside, loner).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    assert!(p.body.contains("does not belong to"), "{}", p.body);
    assert!(env
        .app
        .store()
        .memberships(&loner_user.id)
        .await
        .expect("memberships")
        .is_empty());

    // (4) An account that belongs to another organization is refused, and never enrolled.
    let (p, _) = sign_in(&base, &riverside, HILLCREST_ADMIN).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    assert!(
        p.body.contains("belongs to another organization"),
        "{}",
        p.body
    );
    let hadmin = env
        .app
        .store()
        .user_by_email(HILLCREST_ADMIN)
        .await
        .unwrap();
    assert!(hadmin
        .educators
        .iter()
        .all(|l| l.org_id.as_str() != riverside));
    env.app
        .store()
        .enroll_verified_educator(&hillcrest.clone().into(), JORDAN, "Jordan")
        .await
        .expect("enroll")
        .expect("active");
    let (p, _) = sign_in(&base, &riverside, JORDAN).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    assert!(
        p.body.contains(
            "This account also belongs to other organizations; sign in with an email link."
        ),
        "{}",
        p.body
    );
    assert!(session_cookie(&p).is_none());

    // Removed: no button, and starting a sign-in there says so.
    let r = api(&c, reqwest::Method::DELETE, &settings, &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(pathledger_server::pages::oidc::sign_in_choices(&env.app)
        .await
        .is_empty());
    let login = get(&browser(), &format!("{base}/login")).await;
    assert!(
        !login.body.contains("Sign in with Riverside"),
        "{}",
        login.body
    );
    let p = get(&browser(), &format!("{base}/login/oidc/{riverside}")).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND, "{}", p.body);
    assert!(p.body.contains("no OpenID Connect sign-in"), "{}", p.body);

    server.abort();
    drop(provider);
}

#[tokio::test]
async fn oidc_sign_in_through_a_real_provider_sqlite() {
    scenario(false).await;
}

#[tokio::test]
async fn oidc_sign_in_through_a_real_provider_postgres() {
    scenario(true).await;
}
