//! Web security boundaries: cross-site request forgery (origin check and per-session form
//! token on every state-changing request a session cookie authenticates; cookie API writes need
//! a JSON body; bearer calls are exempt), the security headers and the pages they allow (no
//! script, no inline style), the `__Host-`/`Secure` session cookie of an https deployment, and
//! sign-in throttling per client address (429 with `Retry-After`, logged, and over when the
//! window ends).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use pathledger_server::throttle::ThrottleConfig;
use pathledger_server::{router_with, WebConfig};
use pathledger_store::CredentialStatus;
use serde_json::json;
use tower::ServiceExt;

fn with_header(mut req: Request<Body>, name: &'static str, value: &str) -> Request<Body> {
    req.headers_mut().insert(
        name,
        header::HeaderValue::from_str(value).expect("header value"),
    );
    req
}

async fn status_of(env: &TestEnv, id: &str) -> CredentialStatus {
    env.app
        .store()
        .credential(id)
        .await
        .expect("credential")
        .status
}

async fn key_count(env: &TestEnv) -> usize {
    let issuers = env
        .app
        .store()
        .issuers(&env.seed.org_id)
        .await
        .expect("issuers");
    env.app
        .store()
        .issuer_keys(&issuers[0].id)
        .await
        .expect("keys")
        .len()
}

#[tokio::test]
async fn a_cross_origin_form_post_with_a_session_is_refused_and_changes_nothing() {
    let env = sqlite_env().await;
    let logs = Logs::default();
    let _guard = tracing::subscriber::set_default(logs.clone());
    let admin = sign_in(&env, ADMIN).await;
    let valid = env.sample("valid");
    let keys = key_count(&env).await;
    // Another site's page posting in the admin's browser: the browser sends the cookie (a
    // top-level POST under SameSite=Lax within two minutes of sign-in, or an older browser) and
    // the attacker may even have learnt the token; the origin alone refuses it.
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let r = env
            .call(with_header(
                admin.form(
                    &format!("/admin/credentials/{valid}/status"),
                    "action=revoke&reason=forged",
                ),
                name,
                value,
            ))
            .await;
        let p = r.problem(StatusCode::FORBIDDEN);
        assert_eq!(p["code"], "cross_origin", "{name}: {value}: {p}");
        let r = env
            .call(with_header(
                admin.form("/admin/keys/rotate", ""),
                name,
                value,
            ))
            .await;
        r.problem(StatusCode::FORBIDDEN);
        assert!(
            logs.take().iter().any(|e| e.starts_with("WARN")),
            "refusal logged"
        );
    }
    assert_eq!(status_of(&env, &valid).await, CredentialStatus::Active);
    assert_eq!(key_count(&env).await, keys, "no key was rotated");
}

#[tokio::test]
async fn a_same_origin_session_post_needs_the_sessions_form_token() {
    let env = sqlite_env().await;
    let admin = sign_in(&env, ADMIN).await;
    let other = sign_in(&env, ADMIN).await;
    assert_ne!(admin.token, other.token, "tokens are per session");
    let valid = env.sample("valid");
    let uri = format!("/admin/credentials/{valid}/status");
    let plain = |body: String| {
        Request::builder()
            .method(Method::POST)
            .uri(&uri)
            .header(header::COOKIE, &admin.cookie)
            .header(header::ORIGIN, PUBLIC_URL)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request")
    };
    // No token, an empty one, another session's, a truncated one: 403 naming the field.
    for body in [
        "action=revoke&reason=x".to_owned(),
        "_csrf=&action=revoke&reason=x".to_owned(),
        format!("_csrf={}&action=revoke&reason=x", other.token),
        format!("action=revoke&reason=x&_csrf={}", &admin.token[..40]),
    ] {
        let p = env
            .call(plain(body.clone()))
            .await
            .problem(StatusCode::FORBIDDEN);
        assert_eq!(p["code"], "csrf_token", "{body}: {p}");
        assert_eq!(p["field"], "_csrf", "{body}: {p}");
    }
    assert_eq!(status_of(&env, &valid).await, CredentialStatus::Active);
    // Multipart forms too (the token is a field of the form).
    let defs_before = env
        .app
        .definitions(&env.seed.org_id)
        .await
        .expect("defs")
        .to_value();
    let mut no_token = multipart_req("/admin/definitions", &[("definitions", None, "{}")]);
    no_token.headers_mut().insert(
        header::COOKIE,
        header::HeaderValue::from_str(&admin.cookie).expect("cookie"),
    );
    env.call(no_token).await.problem(StatusCode::FORBIDDEN);
    // With the token (last, as a page could put it) the form is handled: a bad paste is the
    // page's own 422, not a CSRF refusal.
    let r = env
        .call(with_header(
            admin.multipart("/admin/definitions", &[("definitions", None, "{}")]),
            "origin",
            PUBLIC_URL,
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(
        env.app
            .definitions(&env.seed.org_id)
            .await
            .expect("defs")
            .to_value(),
        defs_before
    );
    // The token anywhere in the form, same origin: the change is made.
    let r = env
        .call(plain(format!(
            "action=revoke&_csrf={}&reason=Issued+in+error",
            admin.token
        )))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(status_of(&env, &valid).await, CredentialStatus::Revoked);
    // Browsers that send only Sec-Fetch-Site (same-origin) are accepted with the token.
    let keys = key_count(&env).await;
    let r = env
        .call(with_header(
            admin.form("/admin/keys/rotate", ""),
            "sec-fetch-site",
            "same-origin",
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(key_count(&env).await, keys + 1);
    // Signing out is a form like the others.
    let r = env
        .call(
            Request::builder()
                .method(Method::POST)
                .uri("/logout")
                .header(header::COOKIE, &admin.cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    r.problem(StatusCode::FORBIDDEN);
    let r = env.call(admin.form("/logout", "")).await;
    assert!(r.status.is_redirection(), "{}", r.text());
}

#[tokio::test]
async fn cookie_authenticated_api_writes_need_the_token_and_a_json_body() {
    let env = sqlite_env().await;
    let admin = sign_in(&env, ADMIN).await;
    let valid = env.sample("valid");
    let revoke = format!("/api/v1/credentials/{valid}/revoke");
    // What a cross-site `<form enctype="text/plain">` or `fetch(…, {mode: "no-cors"})` sends.
    let text_plain = |token: Option<&str>| {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(&revoke)
            .header(header::COOKIE, &admin.cookie)
            .header(header::CONTENT_TYPE, "text/plain");
        if let Some(t) = token {
            b = b.header("x-csrf-token", t);
        }
        b.body(Body::empty()).expect("request")
    };
    let p = env
        .call(text_plain(None))
        .await
        .problem(StatusCode::FORBIDDEN);
    assert_eq!(p["field"], "X-CSRF-Token", "{p}");
    let p = env
        .call(text_plain(Some(admin.token.as_str())))
        .await
        .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(p["code"], "json_required", "{p}");
    // A key rotation the same way.
    let issuer = env.app.store().issuers(&env.seed.org_id).await.expect("i")[0]
        .id
        .clone();
    let keys = key_count(&env).await;
    let r = env
        .call(
            Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v1/issuers/{issuer}/keys/rotate"))
                .header(header::COOKIE, &admin.cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    r.problem(StatusCode::FORBIDDEN);
    assert_eq!(key_count(&env).await, keys);
    assert_eq!(status_of(&env, &valid).await, CredentialStatus::Active);
    // The page's own script-free client would send JSON with the header: accepted.
    let r = env
        .call(admin.json(Method::POST, &revoke, &json!({"reason": "error"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(status_of(&env, &valid).await, CredentialStatus::Revoked);
}

#[tokio::test]
async fn bearer_token_calls_need_no_form_token() {
    let env = sqlite_env().await;
    let valid = env.sample("valid");
    // No cookie, no form token, a foreign Origin (a script elsewhere holding the token): the
    // bearer token is no ambient credential, so no CSRF check applies.
    let r = env
        .call(with_header(
            json_req(
                Method::POST,
                &format!("/api/v1/credentials/{valid}/revoke"),
                Some(&env.token(ISSUER)),
                &json!({"reason": "scripted"}),
            ),
            "origin",
            "https://tools.example",
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(status_of(&env, &valid).await, CredentialStatus::Revoked);
    // A bearer token wins over a cookie that is also sent (the API authenticates by the token).
    let admin = sign_in(&env, ADMIN).await;
    let fresh = issue_via_api(&env, "mc-tools-1", "bearer.test@riverside.example").await;
    let fresh = fresh["verifiableCredential"]["id"].as_str().expect("id");
    let mut req = json_req(
        Method::POST,
        &format!("/api/v1/credentials/{fresh}/revoke"),
        Some(&env.token(ISSUER)),
        &json!({}),
    );
    req.headers_mut().insert(
        header::COOKIE,
        header::HeaderValue::from_str(&admin.cookie).expect("cookie"),
    );
    let r = env.call(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(status_of(&env, fresh).await, CredentialStatus::Revoked);
}

#[tokio::test]
async fn the_sign_in_form_is_origin_checked_and_public_forms_need_no_token() {
    let env = sqlite_env().await;
    let login_req = |extra: Option<(&'static str, &str)>| {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some((k, v)) = extra {
            b = b.header(k, v);
        }
        b.body(Body::from(format!("token={}", env.token(HR))))
            .expect("request")
    };
    // Login CSRF: another site signing the visitor in as someone else.
    for (k, v) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = env.call(login_req(Some((k, v)))).await;
        r.problem(StatusCode::FORBIDDEN);
        assert!(r.headers.get(header::SET_COOKIE).is_none());
    }
    for extra in [
        None,
        Some(("origin", PUBLIC_URL)),
        Some(("sec-fetch-site", "same-origin")),
    ] {
        let r = env.call(login_req(extra)).await;
        assert!(r.status.is_redirection(), "{extra:?}: {}", r.text());
    }
    // The public verify forms: anonymous (or a stale cookie) needs no token.
    let cred = env.credential_json(&env.sample("valid")).await.to_string();
    for cookie in [None, Some("pathledger_session=expired-or-forged")] {
        let mut req = multipart_req("/verify", &[("credential", None, &cred)]);
        if let Some(c) = cookie {
            req.headers_mut()
                .insert(header::COOKIE, header::HeaderValue::from_static(c));
        }
        let r = env.call(req).await;
        assert_eq!(r.status, StatusCode::OK, "{cookie:?}: {}", r.text());
        assert!(r.text().contains("data-verdict=\"valid\""));
    }
    // Signed in, the verify forms carry the token and work with it.
    let hr = sign_in(&env, HR).await;
    let page = env.call(hr.get("/verify")).await.text();
    assert_eq!(form_token_in(&page).as_deref(), Some(hr.token.as_str()));
    let r = env
        .call(hr.multipart("/verify", &[("credential", None, &cred)]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = env
        .call(hr.multipart("/verify/bulk", &[("files", Some("a.json"), &cred)]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

/// The CSP's directives as (name, sources).
fn csp_directives(csp: &str) -> Vec<(String, Vec<String>)> {
    csp.split(';')
        .filter_map(|d| {
            let mut words = d.split_whitespace();
            let name = words.next()?.to_ascii_lowercase();
            Some((name, words.map(str::to_owned).collect()))
        })
        .collect()
}

fn assert_secure_html(r: &Resp, page: &str, https: bool) {
    assert_eq!(r.status, StatusCode::OK, "{page}: {}", r.text());
    assert!(r.content_type().starts_with("text/html"), "{page}");
    let h = |name: &str| {
        r.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{page}: no {name} header"))
            .to_owned()
    };
    let csp = csp_directives(&h("content-security-policy"));
    let directive = |name: &str| csp.iter().find(|(n, _)| n == name).map(|(_, s)| s.clone());
    let default = directive("default-src").expect("default-src");
    // Scripts fall back to default-src: neither may allow inline code, and no style may be inline.
    for name in ["script-src", "default-src", "style-src", "script-src-elem"] {
        if let Some(sources) = directive(name) {
            for bad in ["'unsafe-inline'", "'unsafe-eval'", "*", "data:"] {
                assert!(
                    !sources.iter().any(|s| s == bad),
                    "{page}: {name} allows {bad}"
                );
            }
        }
    }
    assert!(
        directive("script-src").is_some() || default == ["'none'"] || default == ["'self'"],
        "{page}: scripts are restricted"
    );
    assert_eq!(
        directive("frame-ancestors").as_deref(),
        Some(&["'none'".to_owned()][..]),
        "{page}"
    );
    assert_eq!(h("x-content-type-options"), "nosniff", "{page}");
    assert!(
        [
            "same-origin",
            "strict-origin-when-cross-origin",
            "no-referrer"
        ]
        .contains(&h("referrer-policy").as_str()),
        "{page}"
    );
    assert_eq!(
        r.headers.contains_key(header::STRICT_TRANSPORT_SECURITY),
        https,
        "{page}: HSTS exactly when https"
    );
    // The policy is only true if the page needs nothing it forbids.
    let html = r.text();
    assert!(!html.contains("<script"), "{page} has a script");
    assert!(!html.contains(" style="), "{page} has an inline style");
    assert!(!html.contains("<style"), "{page} has a style element");
    for handler in [
        " onclick=",
        " onload=",
        " onsubmit=",
        " onerror=",
        " onchange=",
    ] {
        assert!(
            !html.contains(handler),
            "{page} has an event handler attribute"
        );
    }
}

#[tokio::test]
async fn every_page_carries_the_security_headers_and_needs_nothing_they_forbid() {
    let env = sqlite_env().await;
    let valid = env.sample("valid");
    let anonymous = [
        "/",
        "/docs",
        "/verify",
        "/verify/bulk",
        "/pathways",
        "/login",
        "/log",
        "/communities?role=role-integrator-specialist",
    ];
    for page in anonymous {
        assert_secure_html(&env.call(get(page)).await, page, false);
    }
    let credential = format!("/credentials/{valid}");
    assert_secure_html(&env.call(get(&credential)).await, &credential, false);
    let jordan = sign_in(&env, JORDAN).await;
    for page in ["/dashboard", "/pathways", "/evidence", "/verify"] {
        let r = env.call(jordan.get(page)).await;
        assert_secure_html(&r, page, false);
        assert!(
            r.text().contains("role=\"progressbar\"") || page != "/dashboard",
            "{page}: progress bars are drawn without inline styles"
        );
    }
    let admin = sign_in(&env, ADMIN).await;
    for page in ["/admin", "/endorse", "/review"] {
        let r = env.call(admin.get(page)).await;
        assert_secure_html(&r, page, false);
        // Every form that posts carries the session's token.
        let html = r.text();
        let posts = html.matches("method=\"post\"").count();
        let tokens = html
            .matches(&format!("name=\"_csrf\" value=\"{}\"", admin.token))
            .count();
        assert!(posts >= 1, "{page}");
        assert_eq!(posts, tokens, "{page}: a form without the token");
    }
    // Refusals and JSON answers are not sniffed either.
    let r = env.call(get("/nope")).await;
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn an_https_deployment_uses_a_secure_host_cookie_and_hsts() {
    let env = sqlite_env_at("https://ledger.example").await;
    let r = env
        .call(
            Request::builder()
                .method(Method::POST)
                .uri("/login")
                .header(header::ORIGIN, "https://ledger.example")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("token={}", env.token(ADMIN))))
                .expect("request"),
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.text());
    assert!(r.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
    let set = r.headers[header::SET_COOKIE]
        .to_str()
        .expect("cookie")
        .to_owned();
    let attrs: Vec<&str> = set.split(';').map(str::trim).collect();
    assert!(attrs[0].starts_with("__Host-pathledger_session="), "{set}");
    for want in ["Secure", "HttpOnly", "Path=/", "SameSite=Lax"] {
        assert!(attrs.contains(&want), "{want} missing: {set}");
    }
    assert!(
        !attrs
            .iter()
            .any(|a| a.to_ascii_lowercase().starts_with("domain")),
        "{set}"
    );
    let cookie = attrs[0].to_owned();
    let secret = cookie.split_once('=').expect("pair").1.to_owned();
    // The __Host- cookie signs in; the same secret under the plain name does not (only http
    // deployments accept that name).
    let r = env
        .call(
            Request::builder()
                .uri("/dashboard")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_secure_html(&r, "/dashboard over https", true);
    let token = form_token_in(&r.text()).expect("token");
    let r = env
        .call(
            Request::builder()
                .uri("/dashboard")
                .header(header::COOKIE, format!("pathledger_session={secret}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert!(
        r.status.is_redirection(),
        "plain cookie name accepted over https"
    );
    // The origin check knows the scheme: http://ledger.example is another origin.
    let valid = env.sample("valid");
    let session = Session { cookie, token };
    let r = env
        .call(with_header(
            session.form(
                &format!("/admin/credentials/{valid}/status"),
                "action=revoke&reason=x",
            ),
            "origin",
            "http://ledger.example",
        ))
        .await;
    r.problem(StatusCode::FORBIDDEN);
    let r = env
        .call(with_header(
            session.form(
                &format!("/admin/credentials/{valid}/status"),
                "action=revoke&reason=x",
            ),
            "origin",
            "https://ledger.example",
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    // Signing out clears the __Host- cookie with the same attributes.
    let r = env.call(session.form("/logout", "")).await;
    let cleared = r.headers[header::SET_COOKIE].to_str().expect("cookie");
    assert!(
        cleared.starts_with("__Host-pathledger_session=;") && cleared.contains("Secure"),
        "{cleared}"
    );
}

/// A request from `ip` through one shared router (its throttle lives as long as the router).
async fn from_addr(router: &axum::Router, ip: [u8; 4], mut req: Request<Body>) -> Resp {
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 40_000))));
    let resp = router.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body")
        .to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

fn login_with(token: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("token={token}")))
        .expect("request")
}

fn retry_after(r: &Resp) -> u64 {
    r.headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {:?}", r.headers))
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_throttled_per_address_and_the_lockout_ends() {
    let env = sqlite_env().await;
    let logs = Logs::default();
    let _guard = tracing::subscriber::set_default(logs.clone());
    let window = Duration::from_millis(1500);
    let router = router_with(
        env.app.clone(),
        WebConfig {
            sign_in_throttle: ThrottleConfig {
                max_failures: 3,
                window,
                max_tracked: 1000,
            },
            ..Default::default()
        },
    );
    let attacker = [203, 0, 113, 7];
    let bad = "plt_0000000000000000000000000000000000000000000000000000000000000000";
    for _ in 0..3 {
        let r = from_addr(&router, attacker, login_with(bad)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    }
    // Locked out: even a good token from this address waits (the form answers a page, as its
    // refusals always have).
    let r = from_addr(&router, attacker, login_with(&env.token(ADMIN))).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert!(r.content_type().starts_with("text/html"));
    assert!(r.text().contains("Too many failed sign-ins"));
    let wait = retry_after(&r);
    assert!(
        (1..=2).contains(&wait),
        "Retry-After {wait} within the window"
    );
    assert!(r.headers.get(header::SET_COOKIE).is_none());
    let events = logs.take();
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("WARN") && e.contains("203.0.113.7")),
        "the lockout is logged with the address: {events:?}"
    );
    // The API refuses the address too, as problem+json.
    let r = from_addr(
        &router,
        attacker,
        get_auth("/api/v1/evidence", &env.token(JORDAN)),
    )
    .await;
    r.problem(StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&r) >= 1);
    // Another address signs in at once.
    let r = from_addr(&router, [198, 51, 100, 1], login_with(&env.token(ADMIN))).await;
    assert!(r.status.is_redirection(), "{}", r.text());
    // Nobody is locked out for ever: after the window the right token works again.
    tokio::time::sleep(window + Duration::from_millis(100)).await;
    let r = from_addr(&router, attacker, login_with(&env.token(ADMIN))).await;
    assert!(r.status.is_redirection(), "{}", r.text());
}

#[tokio::test]
async fn failed_api_tokens_are_throttled_per_address() {
    let env = sqlite_env().await;
    let router = router_with(
        env.app.clone(),
        WebConfig {
            sign_in_throttle: ThrottleConfig {
                max_failures: 4,
                window: Duration::from_secs(60),
                max_tracked: 1000,
            },
            ..Default::default()
        },
    );
    let attacker = [192, 0, 2, 9];
    for i in 0..4 {
        let r = from_addr(
            &router,
            attacker,
            get_auth("/api/v1/evidence", &format!("plt_guess{i}")),
        )
        .await;
        r.problem(StatusCode::UNAUTHORIZED);
    }
    let r = from_addr(
        &router,
        attacker,
        get_auth("/api/v1/evidence", "plt_guess5"),
    )
    .await;
    let p = r.problem(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(p["code"], "too_many_attempts");
    assert!((50..=60).contains(&retry_after(&r)), "{:?}", r.headers);
    // The sign-in form shares the count; other addresses are unaffected.
    let r = from_addr(&router, attacker, login_with(&env.token(HR))).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let r = from_addr(
        &router,
        [192, 0, 2, 10],
        get_auth("/api/v1/evidence", &env.token(JORDAN)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

#[tokio::test]
async fn notices_come_from_the_server_never_from_the_url() {
    let env = sqlite_env().await;
    let admin = sign_in(&env, ADMIN).await;
    let other = sign_in(&env, ADMIN).await;
    // A crafted link puts nothing on the page.
    let crafted = "Your+account+is+locked.+Call+555-0100";
    let html = env
        .call(admin.get(&format!("/admin?notice={crafted}")))
        .await
        .text();
    assert!(!html.contains("id=\"notice\""), "{html}");
    assert!(!html.contains("Call 555-0100"), "{html}");
    // A form post redirects to the bare page and carries its message in a session-bound cookie.
    let r = env.call(admin.form("/admin/keys/rotate", "")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/admin");
    let set = r.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        set.starts_with("pathledger_notice=") && set.contains("HttpOnly"),
        "{set}"
    );
    let notice = set.split(';').next().unwrap().to_owned();
    let with_notice = |s: &Session| {
        let mut req = s.get("/admin");
        let cookie = format!("{}; {notice}", s.cookie);
        req.headers_mut()
            .insert(header::COOKIE, cookie.parse().unwrap());
        req
    };
    let r = env.call(with_notice(&admin)).await;
    let html = r.text();
    assert!(html.contains("id=\"notice\""), "{html}");
    assert!(
        r.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("pathledger_notice=; "),
        "shown once, then cleared"
    );
    // Another session (another browser) cannot replay it, and a changed message fails its MAC.
    assert!(!env
        .call(with_notice(&other))
        .await
        .text()
        .contains("id=\"notice\""));
    let (value, mac) = notice.split_once('.').unwrap();
    let forged = format!("{}x.{mac}", value);
    let mut req = admin.get("/admin");
    req.headers_mut().insert(
        header::COOKIE,
        format!("{}; {forged}", admin.cookie).parse().unwrap(),
    );
    assert!(!env.call(req).await.text().contains("id=\"notice\""));
}
