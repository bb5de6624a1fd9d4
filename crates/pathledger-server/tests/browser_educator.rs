//! The career switcher's journey in a real headless Chromium, at 1280 px and at a 390 px phone:
//! the dashboard leads with where Jordan is and the next step, a missing part opens the
//! evidence form with it chosen, a refused upload keeps the write-up, a PDF is accepted and
//! served back, the map's roles link to their pages and no name is cut off, reaching Resident
//! is announced once, and the wallet links answer with files. Every page also passes the
//! journey checks (`common::journey`): no sideways scrolling, no JSON outside details, no
//! serious or critical axe-core violation. Screenshots: `test-artifacts/journey-educator-*`.

mod common;

use common::cdp::Browser;
use common::journey::*;
use common::*;
use serde_json::{json, Value};

const WIDTHS: [(Option<u32>, &str); 2] = [(None, "desktop"), (Some(PHONE), "phone")];

/// Sets a file on the evidence form's file input (as choosing one would), from text.
fn attach(name: &str, content: &str) -> String {
    format!(
        "(() => {{ const dt = new DataTransfer(); dt.items.add(new File([{}], {}, {{ type: 'application/octet-stream' }})); document.querySelector('#file').files = dt.files; return document.querySelector('#file').files.length; }})()",
        json!(content),
        json!(name)
    )
}

/// Follows the link `selector` of the page with the browser's own cookies (our CSP lets no
/// page script fetch, so the test asks the same server with the same session): what the
/// browser would save.
async fn follow(b: &mut Browser, env: &TestEnv, selector: &str) -> Resp {
    let href = b
        .eval(&format!(
            "document.querySelector({}).getAttribute('href')",
            json!(selector)
        ))
        .await;
    let href = href
        .as_str()
        .unwrap_or_else(|| panic!("no link {selector}"))
        .to_owned();
    let cookies = b
        .call("Network.getAllCookies", json!({}))
        .await
        .expect("cookies");
    let cookie = cookies["cookies"]
        .as_array()
        .expect("cookies")
        .iter()
        .map(|c| {
            format!(
                "{}={}",
                c["name"].as_str().unwrap_or(""),
                c["value"].as_str().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let req = axum::http::Request::builder()
        .uri(href)
        .header(axum::http::header::COOKIE, cookie)
        .body(axum::body::Body::empty())
        .expect("request");
    env.call(req).await
}

/// Reloads the page and waits until the new one has loaded.
async fn reload(b: &mut Browser) {
    b.eval("window.__before_reload = true; location.reload(); true")
        .await;
    b.wait_for("!window.__before_reload").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_career_switchers_journey_at_both_widths() {
    if !chromium_available() {
        return;
    }
    let axe = axe_source();
    let (base, env, server) = serve_demo().await;
    // Jordan's demo Student Management sample expires a moment after the seed.
    let_expire(&env).await;
    let mut b = Browser::launch().await;
    let mut problems = Vec::new();

    b.sign_in(&base, &env.token(JORDAN), "/dashboard").await;

    // 1. The dashboard leads with where Jordan is and the next step.
    for (width, label) in WIDTHS {
        b.set_width(width).await;
        b.goto(&format!("{base}/dashboard")).await;
        let step = b
            .eval("document.querySelector('#next-step').innerText")
            .await;
        let step = step.as_str().unwrap_or("");
        assert!(step.contains("You are Career Switcher."), "{label}: {step}");
        assert!(step.contains("Your next step: Resident"), "{label}: {step}");
        assert!(
            step.contains("Career-Switcher On-Ramp: 3 of 6 parts"),
            "{label}: {step}"
        );
        // It comes first: above the credentials, and on screen without scrolling.
        assert_eq!(
            b.eval("document.querySelector('#next-step').getBoundingClientRect().top < Math.min(innerHeight, document.querySelector('#credentials').getBoundingClientRect().top)").await,
            json!(true),
            "{label}"
        );
        assert_eq!(
            b.eval("document.querySelector('#target').value").await,
            json!("role-resident"),
            "{label}: the plan aims at the next role up"
        );
    }
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/dashboard"),
        "educator-dashboard",
        &mut problems,
    )
    .await;

    // 2. A missing part opens the evidence form with that micro-credential chosen.
    for (width, label) in WIDTHS {
        b.set_width(width).await;
        b.goto(&format!("{base}/dashboard")).await;
        let part = b
            .eval("document.querySelector('#missing-parts li[data-part]').dataset.part")
            .await;
        let part = part.as_str().expect("a missing part").to_owned();
        let criteria = b
            .eval("document.querySelector('#missing-parts li[data-part] a').getAttribute('href')")
            .await;
        assert!(
            criteria
                .as_str()
                .is_some_and(|h| h.ends_with(&format!("/achievements/{part}"))),
            "{label}: {criteria}"
        );
        b.click("#missing-parts li[data-part] a.button").await;
        b.wait_for("location.pathname === '/evidence'").await;
        assert_eq!(
            b.eval("document.querySelector('#achievement').value").await,
            json!(part),
            "{label}"
        );
    }
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/evidence?achievement=mc-student-management-1"),
        "educator-evidence-chosen",
        &mut problems,
    )
    .await;

    // 3. A refused upload keeps the write-up, with the message beside the file field; then a
    // PDF is accepted and served back.
    let write_up = "For six weeks I ran a calm-down corner and kept a behaviour log; the log and the class charter are attached. ".repeat(6);
    for (width, label) in WIDTHS {
        b.set_width(width).await;
        b.goto(&format!(
            "{base}/evidence?achievement=mc-student-management-1"
        ))
        .await;
        b.type_into("#narrative", &write_up).await;
        b.type_into("#video", "https://video.example/calm-corner")
            .await;
        assert_eq!(
            b.eval(&attach("charter.pdf", "<html>not a pdf</html>"))
                .await,
            json!(1)
        );
        b.click("form[action=\"/evidence\"] button[type=submit]")
            .await;
        b.wait_for("document.querySelector('#error-file')").await;
        assert_eq!(
            b.eval("document.querySelector('#narrative').value").await,
            json!(write_up),
            "{label}: the write-up is kept"
        );
        assert_eq!(
            b.eval("document.querySelector('#video').value").await,
            json!("https://video.example/calm-corner")
        );
        let msg = b
            .eval("document.querySelector('#error-file').innerText")
            .await;
        assert!(
            msg.as_str()
                .is_some_and(|m| m.contains("not a PDF or an image")),
            "{label}: {msg}"
        );
        // Beside the field: the message sits just above the file input.
        assert_eq!(
            b.eval("document.querySelector('#error-file').compareDocumentPosition(document.querySelector('#file')) & Node.DOCUMENT_POSITION_FOLLOWING").await,
            json!(4)
        );
        inspect(
            &mut b,
            axe.as_deref(),
            "educator-upload-refused",
            label,
            width,
            &mut problems,
        )
        .await;
        b.screenshot(&format!("journey-educator-upload-refused-{label}.png"))
            .await;
    }
    b.set_width(None).await;
    assert_eq!(
        b.eval(&attach("charter.pdf", "%PDF-1.4\n% charter\n"))
            .await,
        json!(1)
    );
    b.click("form[action=\"/evidence\"] button[type=submit]")
        .await;
    b.wait_for("document.querySelector('#notice')").await;
    let file = follow(&mut b, &env, "#submissions a[href$='/file']").await;
    assert_eq!(file.status, axum::http::StatusCode::OK);
    assert_eq!(file.content_type(), "application/pdf");
    assert_eq!(
        file.headers[axum::http::header::CONTENT_DISPOSITION],
        "attachment; filename=\"charter.pdf\""
    );
    assert!(file.body.starts_with(b"%PDF-"));
    for (width, label) in WIDTHS {
        b.set_width(width).await;
        b.goto(&format!("{base}/evidence")).await;
        assert_eq!(
            b.eval("document.querySelector('#submissions a[href$=\"/file\"]').innerText")
                .await,
            json!("File: charter.pdf"),
            "{label}"
        );
    }
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/evidence"),
        "educator-evidence-submitted",
        &mut problems,
    )
    .await;

    // 4. The map: each role a link to its page, names whole and readable, a text alternative.
    for (width, label) in WIDTHS {
        b.set_width(width).await;
        b.goto(&format!("{base}/pathways")).await;
        let roles = b
            .eval("document.querySelectorAll('svg a.role').length")
            .await;
        assert!(roles.as_u64().is_some_and(|n| n >= 10), "{label}: {roles}");
        assert_eq!(
            b.eval("document.querySelectorAll('ol.role-list > li a.role-name').length")
                .await,
            roles,
            "{label}: the list names every role on the map"
        );
        // No name cut off: every line of text stays inside its box, and the lines make the
        // whole name.
        let cut = b
            .eval("Array.from(document.querySelectorAll('svg a.role')).filter(a => { const r = a.querySelector('rect').getBBox(); const lines = Array.from(a.querySelectorAll('text.role-name')); const whole = lines.map(t => t.textContent).join(' ') === a.getAttribute('aria-label').split(':')[0]; return !whole || lines.concat(Array.from(a.querySelectorAll('text.role-sub'))).some(t => { const b = t.getBBox(); return b.x + b.width > r.x + r.width - 2; }); }).map(a => a.dataset.role)")
            .await;
        assert_eq!(cut, json!([]), "{label}");
        let size = b
            .eval("parseFloat(getComputedStyle(document.querySelector('svg text.role-name')).fontSize) * document.querySelector('svg').getBoundingClientRect().width / document.querySelector('svg').viewBox.baseVal.width")
            .await;
        assert!(
            size.as_f64().is_some_and(|s| s >= 14.0),
            "{label}: role names render at {size} px"
        );
        assert_eq!(
            b.eval("document.querySelector('li[data-role=\"role-career-switcher\"] .standing').innerText").await,
            json!("✔ reached")
        );
        b.click("ol.role-list li[data-role=\"role-resident\"] a.role-name")
            .await;
        b.wait_for("location.pathname === '/pathways/role-resident'")
            .await;
        let mine = b
            .eval("document.querySelector('#my-standing').innerText")
            .await;
        assert!(
            mine.as_str().is_some_and(|m| m.contains("% of the way")),
            "{label}: {mine}"
        );
        assert!(b
            .eval("document.querySelector('main').innerText")
            .await
            .as_str()
            .is_some_and(|t| t.contains("✘ to do: the Career-Switcher On-Ramp certificate")));
    }
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/pathways"),
        "educator-pathways",
        &mut problems,
    )
    .await;
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/pathways/role-resident"),
        "educator-role",
        &mut problems,
    )
    .await;
    b.sign_out().await;
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/pathways/role-novice-teacher"),
        "visitor-role",
        &mut problems,
    )
    .await;
    b.sign_in(&base, &env.token(JORDAN), "/dashboard").await;

    // 5. Reaching Resident is announced on the next visit, once.
    for ach in ["mc-instructional-strategies-1", "mc-collaboration-1"] {
        issue_via_api(&env, ach, JORDAN).await;
    }
    // Student Management was submitted above; the mentor accepts it.
    let sub = env
        .app
        .store()
        .submissions_for_educator(&env.educator_id(JORDAN))
        .await
        .expect("submissions")
        .into_iter()
        .find(|s| s.achievement_id == "mc-student-management-1")
        .expect("the submission");
    let r = env
        .call(json_req(
            axum::http::Method::POST,
            &format!("/api/v1/evidence/{}/decision", sub.id),
            Some(&env.token(MENTOR)),
            &json!({"decision": "accept"}),
        ))
        .await;
    assert_eq!(r.status, axum::http::StatusCode::OK, "{}", r.text());
    b.set_width(None).await;
    b.goto(&format!("{base}/dashboard")).await;
    let said = b
        .eval("Array.from(document.querySelectorAll('.milestone')).map(m => m.innerText)")
        .await;
    let said: Vec<String> = serde_json::from_value(said).unwrap_or_default();
    assert!(
        said.iter()
            .any(|m| m.starts_with("You reached Resident on ")),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|m| m.starts_with("You completed the Career-Switcher On-Ramp certificate on ")),
        "{said:?}"
    );
    // The same page at both widths (no reload: it is said once).
    for (width, label) in WIDTHS {
        b.set_width(width).await;
        inspect(
            &mut b,
            axe.as_deref(),
            "educator-announced",
            label,
            width,
            &mut problems,
        )
        .await;
        b.screenshot(&format!("journey-educator-announced-{label}.png"))
            .await;
    }
    for (width, label) in WIDTHS {
        b.set_width(width).await;
        reload(&mut b).await;
        assert_eq!(
            b.eval("document.querySelectorAll('.milestone').length")
                .await,
            json!(0),
            "{label}: said once"
        );
        assert!(b
            .eval("document.querySelector('#current-role').innerText")
            .await
            .as_str()
            .is_some_and(|t| t.contains("You are Resident.")));
    }

    // 6. The wallet links answer with files.
    for (width, label) in WIDTHS {
        b.set_width(width).await;
        b.goto(&format!("{base}/dashboard")).await;
        let zip = follow(&mut b, &env, "#wallet-zip").await;
        assert_eq!(zip.status, axum::http::StatusCode::OK, "{label}");
        assert_eq!(zip.content_type(), "application/zip");
        assert_eq!(
            zip.headers[axum::http::header::CONTENT_DISPOSITION],
            "attachment; filename=\"pathledger-wallet.zip\""
        );
        assert!(zip.body.starts_with(b"PK\x03\x04"), "{label}: a ZIP file");
        let one = follow(&mut b, &env, "#credentials a.download").await;
        assert_eq!(one.status, axum::http::StatusCode::OK, "{label}");
        let disposition = one.headers[axum::http::header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap_or("");
        assert!(
            disposition.starts_with("attachment; filename=") && disposition.ends_with(".json\""),
            "{label}: {disposition}"
        );
        let doc: Value = one.json();
        assert!(doc["type"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("OpenBadgeCredential"))));
    }
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/dashboard"),
        "educator-dashboard-resident",
        &mut problems,
    )
    .await;

    server.abort();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
