//! The server's end-to-end test setup: a seeded application on a fresh SQLite file or a fresh
//! PostgreSQL database, requests through the router, a real server on loopback, multipart
//! bodies, demo account lookup and the browser's whereabouts.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use pathledger_app::demo::{seed_demo, DemoAccount, DemoSeed};
use pathledger_app::{App, AppConfig};
use pathledger_server::router;

use crate::{postgres_url, Resp, ScratchDatabase};
use serde_json::Value;
use tower::ServiceExt;

/// A seeded application and whatever keeps its database alive.
pub struct TestEnv {
    pub app: App,
    pub seed: DemoSeed,
    /// The key-encryption key the application was opened with (to open it again).
    pub kek: pathledger_store::Kek,
    /// The test's folder (the SQLite file, the mail outbox), kept until the test ends.
    dir: tempfile::TempDir,
    /// The mail settings the application was opened with.
    mail: pathledger_app::mail::MailConfig,
    /// Drops the PostgreSQL database when the test ends.
    _pg: Option<ScratchDatabase>,
}

impl TestEnv {
    /// The folder the application's mail is written to (the embedded default mailer).
    pub fn outbox(&self) -> std::path::PathBuf {
        self.dir.path().join("outbox")
    }

    /// The application's mail settings, to open the application again as it was.
    pub fn mail_config(&self) -> pathledger_app::mail::MailConfig {
        self.mail.clone()
    }

    /// The messages in the outbox, oldest first, as raw `.eml` text.
    pub fn outbox_messages(&self) -> Vec<String> {
        let mut files: Vec<_> = match std::fs::read_dir(self.outbox()) {
            Ok(d) => d.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
            Err(_) => return Vec::new(),
        };
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .map(|p| std::fs::read_to_string(p).expect("read .eml"))
            .collect()
    }

    pub fn account(&self, email: &str) -> &DemoAccount {
        self.seed
            .accounts
            .iter()
            .find(|a| a.email == email)
            .unwrap_or_else(|| panic!("demo account {email} is missing"))
    }

    pub fn token(&self, email: &str) -> String {
        self.account(email).token.clone()
    }

    pub fn educator_id(&self, email: &str) -> String {
        self.account(email)
            .educator_id
            .clone()
            .unwrap_or_else(|| panic!("{email} is not an educator"))
    }

    /// How many credentials of `achievement` the educator with `email` holds (any status).
    pub async fn count_held(&self, email: &str, achievement: &str) -> usize {
        let records = self
            .app
            .store()
            .educators_with_email(email)
            .await
            .expect("lookup");
        assert!(!records.is_empty(), "no educator {email}");
        let mut n = 0;
        for edu in records {
            n += self
                .app
                .store()
                .credentials_for_educator(&edu.id)
                .await
                .expect("credentials")
                .iter()
                .filter(|c| c.achievement_id == achievement)
                .count();
        }
        n
    }

    pub fn sample(&self, state: &str) -> String {
        self.seed
            .samples
            .iter()
            .find(|(s, _)| s == state)
            .map(|(_, id)| id.clone())
            .unwrap_or_else(|| panic!("demo sample {state} is missing"))
    }

    /// Sends one request through a fresh router over this application.
    pub async fn call(&self, req: Request<Body>) -> Resp {
        call(&self.app, req).await
    }

    /// The stored signed credential.
    pub async fn credential_json(&self, id: &str) -> Value {
        let rec = self.app.store().credential(id).await.expect("credential");
        serde_json::from_str(&rec.document).expect("stored credential is JSON")
    }

    /// Current size of the transparency log (every issue and status change adds a leaf).
    pub async fn tree_size(&self) -> u64 {
        self.app
            .store()
            .sign_tree_head()
            .await
            .expect("tree head")
            .tree_size
    }
}

pub const ADMIN: &str = "admin@riverside.example";
pub const ISSUER: &str = "issuer@riverside.example";
pub const MENTOR: &str = "mentor@riverside.example";
pub const HR: &str = "hr@riverside.example";
pub const JORDAN: &str = "jordan.career-switcher@riverside.example";
pub const AVERY: &str = "avery.novice@riverside.example";
pub const HILLCREST_ADMIN: &str = "admin@hillcrest.example";
pub const CASEY: &str = "casey@hillcrest.example";

async fn open_seeded(
    database_url: String,
    public_url: String,
    mail: pathledger_app::mail::MailConfig,
) -> (App, DemoSeed, pathledger_store::Kek) {
    let kek = pathledger_store::Kek::generate().expect("kek");
    let app = App::open(AppConfig {
        database_url,
        kek: kek.clone(),
        public_url,
        trusted_issuers: Vec::new(),
        fetch: Default::default(),
        host_issuer: None,
        mail,
    })
    .await
    .expect("open app");
    let seed = seed_demo(&app)
        .await
        .expect("seed demo")
        .expect("a fresh database gets the demo");
    (app, seed, kek)
}

/// A seeded application on a fresh SQLite file; its mail goes to the outbox.
pub async fn sqlite_env_at(public_url: &str) -> TestEnv {
    sqlite_env_with_mail(public_url, None).await
}

/// A seeded application on a fresh SQLite file whose mail goes through `mail` (e.g. SMTP to an
/// [`crate::SmtpServer`]), or to the test's outbox when `None`.
pub async fn sqlite_env_with_mail(
    public_url: &str,
    mail: Option<pathledger_app::mail::MailConfig>,
) -> TestEnv {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("pathledger.db").display());
    let mail =
        mail.unwrap_or_else(|| pathledger_app::mail::MailConfig::outbox(dir.path().join("outbox")));
    let (app, seed, kek) = open_seeded(url, public_url.to_owned(), mail.clone()).await;
    TestEnv {
        app,
        seed,
        kek,
        dir,
        mail,
        _pg: None,
    }
}

/// SMTP mail settings for `smtp_url` (e.g. [`crate::SmtpServer::url`]) with the default sender.
pub fn smtp_mail(smtp_url: &str) -> pathledger_app::mail::MailConfig {
    pathledger_app::mail::MailConfig {
        mailer: pathledger_app::mail::Mailer::new(Some(smtp_url), std::path::Path::new("."))
            .expect("a usable SMTP URL"),
        from: pathledger_app::mail::DEFAULT_FROM.to_owned(),
    }
}

pub const PUBLIC_URL: &str = "http://pathledger.test";

pub async fn sqlite_env() -> TestEnv {
    sqlite_env_at(PUBLIC_URL).await
}

/// A seeded application on its own fresh PostgreSQL database, or `None` (with a message) when
/// `PATHLEDGER_TEST_POSTGRES_URL` is unset — unless `PATHLEDGER_REQUIRE_POSTGRES=1`.
pub async fn postgres_env() -> Option<TestEnv> {
    postgres_env_at(PUBLIC_URL).await
}

/// Like [`postgres_env`], with the given public URL (e.g. a real server's `http://127.0.0.1:port`).
pub async fn postgres_env_at(public_url: &str) -> Option<TestEnv> {
    let base = postgres_url("PostgreSQL test")?;
    let pg = ScratchDatabase::create(&base, "pl_test").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mail = pathledger_app::mail::MailConfig::outbox(dir.path().join("outbox"));
    let (app, seed, kek) = open_seeded(pg.url.clone(), public_url.to_owned(), mail.clone()).await;
    Some(TestEnv {
        app,
        seed,
        kek,
        dir,
        mail,
        _pg: Some(pg),
    })
}

pub async fn call(app: &App, req: Request<Body>) -> Resp {
    call_router(router(app.clone()), req).await
}

/// Sends one request through `router` (e.g. one built with a non-default `WebConfig`).
pub async fn call_router(router: axum::Router, req: Request<Body>) -> Resp {
    let resp = router.oneshot(req).await.expect("router is infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .expect("read body")
        .to_bytes()
        .to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

pub fn get(uri: &str) -> Request<Body> {
    Request::builder()
        .uri(uri)
        .body(Body::empty())
        .expect("request")
}

pub fn get_auth(uri: &str, token: &str) -> Request<Body> {
    Request::builder()
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request")
}

/// A JSON request, with a bearer token when given.
pub fn json_req(method: Method, uri: &str, token: Option<&str>, body: &Value) -> Request<Body> {
    raw_json_req(method, uri, token, serde_json::to_vec(body).expect("json"))
}

pub fn raw_json_req(
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(body.into()).expect("request")
}

/// A `multipart/form-data` body of (name, file name, content) parts and its content type.
pub fn multipart(parts: &[(&str, Option<&str>, &str)]) -> (String, Vec<u8>) {
    let boundary = format!("----pathledger-test-{}", uuid::Uuid::new_v4().simple());
    let mut body = String::new();
    for (name, file, content) in parts {
        body.push_str(&format!("--{boundary}\r\n"));
        match file {
            Some(f) => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )),
            None => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"
            )),
        }
        body.push_str(content);
        body.push_str("\r\n");
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

pub fn multipart_req(uri: &str, parts: &[(&str, Option<&str>, &str)]) -> Request<Body> {
    let (ct, body) = multipart(parts);
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .expect("request")
}

/// Issues `achievement` to `recipient` as the Riverside issuer through the API; returns the answer.
pub async fn issue_via_api(env: &TestEnv, achievement: &str, recipient: &str) -> Value {
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/credentials",
            Some(&env.token(ISSUER)),
            &serde_json::json!({"achievement": achievement, "recipient": recipient}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

/// The `data-verdict` values of the rows of a bulk-verify result table, in order.
pub fn row_verdicts(html: &str) -> Vec<String> {
    html.split("<tr data-verdict=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_owned))
        .collect()
}

/// Replaces the name of a credential, keeping its (now wrong) proof.
pub fn tampered(mut cred: Value) -> Value {
    cred["name"] = Value::String("A credential I did not earn".into());
    cred
}

/// The CSV field quoting of RFC 4180.
pub fn csv_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Waits until the demo's "expired" sample is past its `validUntil` (it is issued to expire
/// shortly after seeding).
pub async fn let_expire(env: &TestEnv) {
    let rec = env
        .app
        .store()
        .credential(&env.sample("expired"))
        .await
        .expect("expired sample");
    let until = rec
        .valid_until_ms
        .expect("the expired sample has a validUntil");
    let now = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    // validUntil is written at second precision at most; a little slack covers rounding.
    let wait = (until - now).max(0) + 50;
    tokio::time::sleep(std::time::Duration::from_millis(wait as u64)).await;
}

/// Signs in through the login form; returns the `Cookie` header value.
pub async fn login(env: &TestEnv, who: &str) -> String {
    let r = env
        .call(
            axum::http::Request::builder()
                .method(Method::POST)
                .uri("/login")
                .header(
                    axum::http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(axum::body::Body::from(format!("token={}", env.token(who))))
                .expect("request"),
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.status);
    let set = r
        .headers
        .get(axum::http::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("Set-Cookie");
    set.split(';').next().expect("cookie pair").to_owned()
}

/// The session's form token (CSRF) as a page shows it to the signed-in browser: the `_csrf`
/// field of the sign-out form on the home page.
pub async fn form_token(env: &TestEnv, cookie: &str) -> String {
    let r = env
        .call(
            Request::builder()
                .uri("/")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    form_token_in(&r.text()).unwrap_or_else(|| panic!("no _csrf field on the page: {}", r.text()))
}

/// The value of the first `_csrf` hidden field of a page, if it has one.
pub fn form_token_in(html: &str) -> Option<String> {
    html.split("name=\"_csrf\" value=\"")
        .nth(1)?
        .split('"')
        .next()
        .map(str::to_owned)
}

/// A signed-in browser: its `Cookie` header and the form token its pages carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub token: String,
}

/// Signs in through the login form and reads the session's form token from a page.
pub async fn sign_in(env: &TestEnv, who: &str) -> Session {
    let cookie = login(env, who).await;
    let token = form_token(env, &cookie).await;
    Session { cookie, token }
}

impl Session {
    /// A GET with the session cookie.
    pub fn get(&self, uri: &str) -> Request<Body> {
        Request::builder()
            .uri(uri)
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .expect("request")
    }

    /// An urlencoded form post as the page sends it (with its `_csrf` field).
    pub fn form(&self, uri: &str, body: &str) -> Request<Body> {
        let sep = if body.is_empty() { "" } else { "&" };
        Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("_csrf={}{sep}{body}", self.token)))
            .expect("request")
    }

    /// A multipart form post as the page sends it (its `_csrf` field first).
    pub fn multipart(&self, uri: &str, parts: &[(&str, Option<&str>, &str)]) -> Request<Body> {
        let mut all = vec![("_csrf", None, self.token.as_str())];
        all.extend_from_slice(parts);
        let mut req = multipart_req(uri, &all);
        req.headers_mut().insert(
            header::COOKIE,
            header::HeaderValue::from_str(&self.cookie).expect("cookie"),
        );
        req
    }

    /// A JSON API call with the session cookie and its token in `X-CSRF-Token`.
    pub fn json(&self, method: Method, uri: &str, body: &Value) -> Request<Body> {
        let mut req = json_req(method, uri, None, body);
        let h = req.headers_mut();
        h.insert(
            header::COOKIE,
            header::HeaderValue::from_str(&self.cookie).expect("cookie"),
        );
        h.insert(
            "x-csrf-token",
            header::HeaderValue::from_str(&self.token).expect("token"),
        );
        req
    }
}

impl TestEnv {
    /// The PostgreSQL URL of this environment's own database, if it runs on PostgreSQL.
    pub fn postgres_url(&self) -> Option<&str> {
        self._pg.as_ref().map(|p| p.url.as_str())
    }

    /// The SQLite file of this environment, if it runs on SQLite.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        self._pg
            .is_none()
            .then(|| self.dir.path().join("pathledger.db"))
    }
}

/// Starts a real server on 127.0.0.1 (port 0) over a freshly seeded application whose public
/// URL is the server's own address; `None` when PostgreSQL is asked for but not configured.
pub async fn start_server(
    postgres: bool,
) -> Option<(TestEnv, std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    let (listener, addr) = pathledger_server::bind(([127, 0, 0, 1], 0).into())
        .await
        .expect("bind 127.0.0.1:0");
    let public = format!("http://{addr}");
    let env = if postgres {
        postgres_env_at(&public).await?
    } else {
        sqlite_env_at(&public).await
    };
    let app = env.app.clone();
    let server = tokio::spawn(async move {
        pathledger_server::serve(listener, app)
            .await
            .expect("server runs");
    });
    Some((env, addr, server))
}

/// Debian's chromium, used by the browser tests (never a browser a tool downloads).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Whether the browser tests can run; with `PATHLEDGER_REQUIRE_BROWSER=1` a missing chromium
/// fails the test instead of skipping it.
pub fn chromium_available() -> bool {
    if std::path::Path::new(CHROMIUM).exists() {
        return true;
    }
    if std::env::var("PATHLEDGER_REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!("PATHLEDGER_REQUIRE_BROWSER=1 but {CHROMIUM} is not installed");
    }
    eprintln!("skipping browser test: {CHROMIUM} is not installed");
    false
}

/// `test-artifacts/` at the workspace root (screenshots), created if missing.
pub fn artifacts_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts");
    std::fs::create_dir_all(&dir).expect("create test-artifacts");
    dir
}
