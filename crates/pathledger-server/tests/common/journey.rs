//! The journey checks every browser test applies to a page: no page wider than its viewport
//! (desktop and a 390 px phone), no JSON text outside a folded `<details>` section, and no
//! serious or critical axe-core violation (WCAG 2.0/2.1 A and AA rules, axe-core pinned by
//! `tests/axe/package-lock.json`). `check` loads a page at both widths, inspects it and saves
//! `test-artifacts/journey-<name>-<desktop|phone>.png`; `inspect` checks the page as it is now
//! (after a form was submitted, say).

use super::cdp::Browser;
use pathledger_test_support::server::{sqlite_env_at, TestEnv};

/// The demo deployment (SQLite) served on a free loopback port, for a browser to open: its
/// base URL, the environment, and the serving task (abort it at the end).
pub async fn serve_demo() -> (
    String,
    TestEnv,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let (listener, addr) = pathledger_server::bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let base = format!("http://{addr}");
    let env = sqlite_env_at(&base).await;
    let server = tokio::spawn(pathledger_server::serve(listener, env.app.clone()));
    (base, env, server)
}

pub const PHONE: u32 = 390;

/// axe-core's browser build, from `npm ci --prefix tests/axe`.
pub fn axe_source() -> Option<String> {
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
pub const OVERFLOWING: &str = "Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > VIEWPORT + 1).slice(-4).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '')).join(', ')";

/// JSON-looking text in the page outside `<details>` sections.
pub const JSON_OUTSIDE_DETAILS: &str = "(() => { const m = document.querySelector('main').cloneNode(true); m.querySelectorAll('details, script, style').forEach(d => d.remove()); const t = m.innerText; const hit = t.match(/[\\{\\[]\\s*\"[@\\w]+\"\\s*:/); return hit ? t.substr(Math.max(0, hit.index - 40), 120) : null; })()";

pub async fn check(
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
pub async fn inspect(
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
