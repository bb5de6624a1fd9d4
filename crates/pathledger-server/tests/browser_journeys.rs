//! Each user's pages in a real headless Chromium (Debian's `chromium`), at desktop width and at
//! a 390 px phone: no page is wider than its viewport, no JSON text shows outside a folded
//! "Technical details" section, and axe-core (WCAG 2.0/2.1 A and AA rules, pinned by
//! `tests/axe/package-lock.json`) reports no serious or critical violation. Every page is
//! saved as a screenshot under `test-artifacts/` (`journey-<page>-<width>.png`).

mod common;

use common::cdp::Browser;
use common::*;
use serde_json::json;

const PHONE: u32 = 390;

/// axe-core's browser build, from `npm ci --prefix tests/axe`.
fn axe_source() -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/axe/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(_) if std::env::var("PATHLEDGER_REQUIRE_BROWSER").as_deref() == Ok("1") => {
            panic!(
                "{} is missing: run `npm ci --prefix tests/axe`",
                path.display()
            )
        }
        Err(_) => {
            eprintln!("axe-core is not installed (npm ci --prefix tests/axe): skipping the accessibility checks");
            None
        }
    }
}

/// Elements reaching past the right edge of the viewport (the first few), for the message.
const OVERFLOWING: &str = "Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > VIEWPORT + 1).slice(-4).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '')).join(', ')";

/// JSON-looking text in the page outside `<details>` sections.
const JSON_OUTSIDE_DETAILS: &str = "(() => { const m = document.querySelector('main').cloneNode(true); m.querySelectorAll('details, script, style').forEach(d => d.remove()); const t = m.innerText; const hit = t.match(/[\\{\\[]\\s*\"[@\\w]+\"\\s*:/); return hit ? t.substr(Math.max(0, hit.index - 40), 120) : null; })()";

async fn check(
    b: &mut Browser,
    axe: Option<&str>,
    url: &str,
    name: &str,
    problems: &mut Vec<String>,
) {
    for (width, label) in [(None, "desktop"), (Some(PHONE), "phone")] {
        b.set_width(width).await;
        b.goto(url).await;
        inspect(b, axe, name, label, width, problems).await;
        b.screenshot(&format!("journey-{name}-{label}.png")).await;
    }
    b.set_width(None).await;
}

/// The checks on the page as it is now.
async fn inspect(
    b: &mut Browser,
    axe: Option<&str>,
    name: &str,
    label: &str,
    width: Option<u32>,
    problems: &mut Vec<String>,
) {
    let wide = b.scroll_width().await;
    // A phone's layout viewport grows to fit what overflows, so compare with the width set.
    let viewport = match width {
        Some(w) => u64::from(w),
        None => b.eval("innerWidth").await.as_u64().unwrap_or(0),
    };
    if wide > viewport {
        let culprits = b
            .eval(&OVERFLOWING.replace("VIEWPORT", &viewport.to_string()))
            .await;
        problems.push(format!(
            "{name} ({label}): {wide} px wide in a {viewport} px viewport; reaching past it: {culprits}"
        ));
    }
    if let Some(text) = b.eval(JSON_OUTSIDE_DETAILS).await.as_str() {
        problems.push(format!(
            "{name} ({label}): JSON outside technical details: {text}"
        ));
    }
    if let Some(src) = axe {
        let run = format!(
            "{src}\n;axe.run(document, {{ runOnly: {{ type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa'] }}, resultTypes: ['violations'] }}).then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')))"
        );
        match b.eval(&run).await {
            serde_json::Value::Array(v) => {
                for violation in v {
                    problems.push(format!(
                        "{name} ({label}): {}",
                        violation.as_str().unwrap_or("")
                    ));
                }
            }
            other => problems.push(format!("{name} ({label}): axe did not run: {other}")),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_journey_fits_a_phone_and_passes_axe() {
    if !chromium_available() {
        return;
    }
    let axe = axe_source();
    let (listener, addr) = pathledger_server::bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let base = format!("http://{addr}");
    let env = sqlite_env_at(&base).await;
    let server = tokio::spawn(pathledger_server::serve(listener, env.app.clone()));
    let mut b = Browser::launch().await;
    let mut problems = Vec::new();
    let valid = env.sample("valid");
    let revoked = env.sample("revoked");

    // Anyone: the home page, verifying, the map, the log, a public credential, an error.
    for (path, name) in [
        ("/".to_owned(), "home"),
        ("/verify".to_owned(), "verify"),
        (format!("/verify?id={valid}"), "verify-result"),
        (format!("/credentials/{valid}"), "credential"),
        (format!("/credentials/{revoked}"), "credential-revoked"),
        ("/pathways".to_owned(), "pathways"),
        (format!("/log?credential={valid}"), "log"),
        ("/communities".to_owned(), "communities"),
        ("/login".to_owned(), "sign-in"),
        ("/no/such/page".to_owned(), "not-found"),
    ] {
        check(
            &mut b,
            axe.as_deref(),
            &format!("{base}{path}"),
            name,
            &mut problems,
        )
        .await;
    }
    // Each signed-in user's own pages.
    for (who, landing, pages) in [
        (
            JORDAN,
            "/dashboard",
            vec![("/dashboard", "dashboard"), ("/evidence", "evidence")],
        ),
        (
            MENTOR,
            "/review",
            vec![("/review", "review"), ("/endorse", "endorse")],
        ),
        (HR, "/verify", vec![("/verify/bulk", "bulk-verify")]),
        (ADMIN, "/admin", vec![("/admin", "admin")]),
    ] {
        b.sign_in(&base, &env.token(who), landing).await;
        for (path, name) in pages {
            check(
                &mut b,
                axe.as_deref(),
                &format!("{base}{path}"),
                name,
                &mut problems,
            )
            .await;
        }
        b.sign_out().await;
    }
    // The checks can fail: a phone page made too wide (a canvas: our CSP refuses inline styles), JSON outside details and an image
    // without a text alternative are each reported.
    b.set_width(Some(PHONE)).await;
    b.goto(&format!("{base}/")).await;
    b.eval("document.querySelector('main').insertAdjacentHTML('beforeend', '<canvas width=\"900\" height=\"10\"></canvas><p>{\"role\": \"x\"}</p><img src=\"/assets/style.css\">'); true")
        .await;
    let mut planted = Vec::new();
    inspect(
        &mut b,
        axe.as_deref(),
        "planted",
        "phone",
        Some(PHONE),
        &mut planted,
    )
    .await;
    b.set_width(None).await;
    let expected = if axe.is_some() { 3 } else { 2 };
    assert_eq!(planted.len(), expected, "{planted:?}");
    assert!(
        planted[0].contains("px wide") && planted[1].contains("JSON"),
        "{planted:?}"
    );
    if axe.is_some() {
        assert!(planted[2].contains("image-alt"), "{planted:?}");
    }
    server.abort();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(json!(problems.len()), json!(0));
}
