//! Pages in a real headless browser (Debian's `chromium`) against a real server on a socket:
//! the pathway map, a career switcher's dashboard, public credential pages and a district bulk
//! verify with four different verdicts. Screenshots are saved under `test-artifacts/`.
//!
//! Chromium's command line can neither sign in (no POST, no cookies) nor submit a form, so pages
//! that need either are rendered by the same server through its router, saved to a file with a
//! `<base>` pointing at the live server (so styles load), and opened from `file://`.

mod common;

use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;

/// Runs headless chromium with `extra` arguments on `url`; returns its standard output.
async fn chromium(profile: &Path, extra: &[String], url: &str) -> String {
    let mut cmd = tokio::process::Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,2000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(url)
    .stdin(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(90), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("chromium timed out on {url}"))
        .expect("run chromium");
    assert!(out.status.success(), "chromium failed on {url}: {:?}", out);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn dump_dom(profile: &Path, url: &str) -> String {
    let dom = chromium(profile, &["--dump-dom".into()], url).await;
    assert!(dom.contains("<main"), "no page rendered for {url}: {dom}");
    dom
}

async fn screenshot(profile: &Path, url: &str, name: &str) {
    let file = artifacts_dir().join(name);
    let _ = std::fs::remove_file(&file);
    chromium(profile, &[format!("--screenshot={}", file.display())], url).await;
    let png = std::fs::read(&file).unwrap_or_else(|e| panic!("no screenshot {name}: {e}"));
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "screenshot {name} is not a rendered PNG ({} bytes)",
        png.len()
    );
}

/// Saves server-rendered HTML as a file whose relative links resolve against the live server.
fn save_page(dir: &Path, name: &str, html: &str, base: &str) -> String {
    let html = html.replacen("<head>", &format!("<head><base href=\"{base}/\">"), 1);
    let path = dir.join(name);
    std::fs::write(&path, html).expect("write page");
    format!("file://{}", path.display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_in_headless_chromium() {
    if !chromium_available() {
        return;
    }
    let (listener, addr) = pathledger_server::bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let base = format!("http://{addr}");
    let env = sqlite_env_at(&base).await;
    let server = tokio::spawn(pathledger_server::serve(listener, env.app.clone()));
    let tmp = tempfile::tempdir().expect("temp dir");
    let profile = tmp.path().join("profile");

    // The pathway map, straight from the server.
    let url = format!("{base}/pathways?org={}", env.seed.org_id);
    let dom = dump_dom(&profile, &url).await;
    assert!(dom.contains("<svg"), "{dom}");
    for role in [
        "role-career-switcher",
        "role-resident",
        "role-novice-teacher",
        "role-master-mentor",
        "role-organization-leader",
    ] {
        assert!(dom.contains(&format!("data-role=\"{role}\"")), "{role}");
    }
    screenshot(&profile, &url, "pathway-map.png").await;

    // Public credential pages verify on view.
    for (sample, verdict) in [("valid", "valid"), ("revoked", "revoked")] {
        let url = format!("{base}/credentials/{}", env.sample(sample));
        let dom = dump_dom(&profile, &url).await;
        assert!(
            dom.contains(&format!("class=\"verdict verdict-{verdict} big\"")),
            "{sample}: {dom}"
        );
        screenshot(&profile, &url, &format!("credential-{sample}.png")).await;
    }

    // The career switcher's dashboard: progress toward every role, the on-ramp included.
    let cookie = login(&env, JORDAN).await;
    let r = env
        .call(
            Request::builder()
                .uri("/dashboard")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let url = save_page(tmp.path(), "dashboard.html", &r.text(), &base);
    let dom = dump_dom(&profile, &url).await;
    assert!(dom.contains("Jordan Rivera"));
    let bars = dom.matches("role=\"progressbar\"").count();
    assert!(bars >= 5, "only {bars} progress bars");
    let held = env
        .app
        .store()
        .credentials_for_educator(&env.educator_id(JORDAN))
        .await
        .expect("credentials");
    assert_eq!(
        dom.matches("<tr data-achievement=").count(),
        held.len(),
        "every held credential is listed"
    );
    screenshot(&profile, &url, "dashboard-career-switcher.png").await;

    // District bulk verify: one valid, one revoked, one tampered and one expired credential.
    let_expire(&env).await;
    let link = |id: &str| format!("{base}/credentials/{id}");
    let forged = tampered(env.credential_json(&env.sample("valid")).await).to_string();
    let roster = format!(
        "name,credential\nJordan Rivera,{}\nRevoked Person,{}\nForged Person,{}\nLate Person,{}\n",
        link(&env.sample("valid")),
        link(&env.sample("revoked")),
        csv_quote(&forged),
        link(&env.sample("expired")),
    );
    let r = env
        .call(multipart_req(
            "/verify/bulk",
            &[("roster", Some("roster.csv"), &roster)],
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let url = save_page(tmp.path(), "bulk.html", &r.text(), &base);
    let dom = dump_dom(&profile, &url).await;
    let verdicts = row_verdicts(&dom);
    assert_eq!(
        verdicts,
        ["valid", "revoked", "tampered", "expired"],
        "{dom}"
    );
    for label in [
        "Valid",
        "Revoked",
        "Tampered or invalid signature",
        "Expired",
    ] {
        assert!(dom.contains(label), "{label} not shown");
    }
    screenshot(&profile, &url, "bulk-verify.png").await;

    server.abort();
}
