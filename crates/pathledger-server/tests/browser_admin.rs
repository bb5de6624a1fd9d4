//! The issuer admin's and the anonymous visitor's journeys in a real headless Chromium, each at
//! desktop width and on a 390 px phone, with the journey checks (nothing wider than the screen,
//! no JSON outside technical details, no serious or critical axe-core violation) on every page
//! reached: the admin searches and pages the credential list, revokes with confirmation,
//! rotates the key with confirmation, edits an achievement by form (an error, then success),
//! compares two versions, runs a bulk issue with failures and downloads the failed rows; a
//! visitor reads the home page, a role page and a public credential page with its LinkedIn
//! link. Screenshots: `test-artifacts/admin-*.png` and `journey-admin-*.png`.

mod common;

use axum::http::Method;
use common::cdp::Browser;
use common::journey::*;
use common::*;
use serde_json::{json, Value};

const WIDTHS: [(Option<u32>, &str); 2] = [(None, "desktop"), (Some(PHONE), "phone")];

/// Issues rows through the bulk API as the admin; the new credential ids.
async fn issue_rows(env: &TestEnv, rows: Value) -> Vec<String> {
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/credentials/bulk",
            Some(&env.token(ADMIN)),
            &json!({ "rows": rows }),
        ))
        .await;
    assert_eq!(r.status, axum::http::StatusCode::OK, "{}", r.text());
    r.json()["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|x| x["id"].as_str().expect("issued").to_owned())
        .collect()
}

async fn text_of(b: &mut Browser, selector: &str) -> String {
    b.eval(&format!(
        "(document.querySelector({}) || {{innerText: ''}}).innerText",
        json!(selector)
    ))
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuer_admin_and_visitor_journeys() {
    if !chromium_available() {
        return;
    }
    let axe = axe_source();
    let (base, env, server) = serve_demo().await;
    let mut problems = Vec::new();
    // Enough credentials for two pages, two to revoke, one that expires.
    let rows: Vec<Value> = (0..30)
        .map(|i| json!({"achievement": "mc-tools-1", "recipient": format!("paging.{i}@riverside.example")}))
        .collect();
    issue_rows(&env, json!(rows)).await;
    issue_rows(
        &env,
        json!([
            {"achievement": "mc-tools-1", "recipient": "revoke.desktop@riverside.example"},
            {"achievement": "mc-tools-1", "recipient": "revoke.phone@riverside.example"},
        ]),
    )
    .await;
    let expiring = issue_rows(
        &env,
        json!([{"achievement": "mc-tools-1", "recipient": "expiring@riverside.example", "valid_until": "2031-05-01T00:00:00Z"}]),
    )
    .await
    .remove(0);

    let mut b = Browser::launch().await;
    b.sign_in(&base, &env.token(ADMIN), "/admin").await;

    // 1. The credential list: search, then the next page.
    for (width, label) in WIDTHS {
        b.set_width(width).await;
        b.goto(&format!("{base}/admin/credentials")).await;
        b.type_into("#credential-search", "paging").await;
        b.click("form.search button[type=submit]").await;
        b.wait_for("document.querySelector('#list-summary').innerText.includes('matching')")
            .await;
        assert!(text_of(&mut b, "#list-summary")
            .await
            .contains("1–25 of 30 matching"));
        let rows = b
            .eval("Array.from(document.querySelectorAll('#credentials tbody tr')).map(r => r.innerText)")
            .await;
        let rows = rows.as_array().expect("rows");
        assert_eq!(rows.len(), 25);
        assert!(
            rows.iter().all(|r| {
                let t = r.as_str().unwrap_or_default();
                t.contains("paging.")
                    && t.contains("urn:uuid:")
                    && t.contains("UTC")
                    && t.contains("Active")
            }),
            "{rows:?}"
        );
        inspect(
            &mut b,
            axe.as_deref(),
            "admin-credentials",
            label,
            width,
            &mut problems,
        )
        .await;
        b.screenshot(&format!("journey-admin-credentials-{label}.png"))
            .await;
        b.click("a[rel=next]").await;
        b.wait_for("document.querySelector('#list-summary').innerText.includes('26–30 of 30')")
            .await;
        assert_eq!(
            b.eval("document.querySelectorAll('#credentials tbody tr').length")
                .await,
            json!(5)
        );
        inspect(
            &mut b,
            axe.as_deref(),
            "admin-credentials-page-2",
            label,
            width,
            &mut problems,
        )
        .await;
    }

    // 2. Revoking asks first, then says what happened.
    for (width, label) in WIDTHS {
        b.set_width(width).await;
        let who = format!("revoke.{label}@riverside.example");
        b.goto(&format!("{base}/admin/credentials?q={who}")).await;
        b.click("a[data-action=revoke]").await;
        b.wait_for("document.querySelector('h1') && document.querySelector('h1').innerText === 'Revoke this credential?'")
            .await;
        let what = text_of(&mut b, "#confirm-what").await;
        assert!(what.contains(&who) && what.contains("urn:uuid:"), "{what}");
        assert!(text_of(&mut b, "#consequence")
            .await
            .contains("cannot be undone"));
        inspect(
            &mut b,
            axe.as_deref(),
            "admin-revoke-confirm",
            label,
            width,
            &mut problems,
        )
        .await;
        b.screenshot(&format!("journey-admin-revoke-confirm-{label}.png"))
            .await;
        b.type_into("#reason", "Issued to the wrong person").await;
        b.click("form[action$='/status'] button[type=submit]").await;
        b.wait_for("document.querySelector('#notice')").await;
        assert!(text_of(&mut b, "#notice").await.contains("is now revoked"));
        b.goto(&format!("{base}/admin/credentials?q={who}")).await;
        assert_eq!(
            b.eval("document.querySelector('#credentials tbody tr').dataset.status")
                .await,
            json!("revoked")
        );
    }

    // 3. Rotating the key asks first.
    for (width, label) in WIDTHS {
        b.set_width(width).await;
        b.goto(&format!("{base}/admin")).await;
        b.click("#rotate-key").await;
        b.wait_for("location.pathname === '/admin/keys/rotate'")
            .await;
        assert!(text_of(&mut b, "#consequence")
            .await
            .contains("keep verifying"));
        inspect(
            &mut b,
            axe.as_deref(),
            "admin-rotate-confirm",
            label,
            width,
            &mut problems,
        )
        .await;
        b.screenshot(&format!("journey-admin-rotate-confirm-{label}.png"))
            .await;
        b.click("form[action='/admin/keys/rotate'] button[type=submit]")
            .await;
        b.wait_for("document.querySelector('#notice')").await;
        assert!(text_of(&mut b, "#notice").await.contains("now signs"));
    }

    // 4. An achievement edited by form: an empty name is refused beside the field with what
    // was typed kept; then saved, and the notice says what changed.
    let defs = env.app.definitions(&env.seed.org_id).await.expect("defs");
    let ach = defs.achievements()[0].clone();
    let versions_before = env.app.definition_versions(&env.seed.org_id).await.unwrap()[0].0;
    for (width, label) in WIDTHS {
        b.set_width(width).await;
        b.goto(&format!("{base}/admin")).await;
        b.click(&format!(
            "a[href='/admin/framework/achievements/{}']",
            ach.id.as_str()
        ))
        .await;
        b.wait_for("document.querySelector('#field-name')").await;
        let criteria = format!("Plan and run a unit with data checkpoints ({label}).");
        b.eval("document.querySelector('#field-name').value = ''; true")
            .await;
        b.type_into("#field-criteria", &criteria).await;
        b.click("form.item-form button[type=submit]").await;
        b.wait_for("document.querySelector('#error-name')").await;
        assert_eq!(
            b.eval("document.querySelector('#field-criteria').value")
                .await,
            json!(criteria),
            "what was typed is kept"
        );
        assert!(text_of(&mut b, "#form-errors").await.contains("Not saved"));
        inspect(
            &mut b,
            axe.as_deref(),
            "admin-achievement-error",
            label,
            width,
            &mut problems,
        )
        .await;
        b.screenshot(&format!("journey-admin-achievement-error-{label}.png"))
            .await;
        b.type_into("#field-name", &ach.name).await;
        b.click("form.item-form button[type=submit]").await;
        b.wait_for("document.querySelector('#notice')").await;
        let notice = text_of(&mut b, "#notice").await;
        assert!(
            notice.contains(&format!("criteria of achievement “{}”", ach.name)),
            "{notice}"
        );
        inspect(
            &mut b,
            axe.as_deref(),
            "admin-achievement-saved",
            label,
            width,
            &mut problems,
        )
        .await;
        b.screenshot(&format!("journey-admin-achievement-saved-{label}.png"))
            .await;
    }

    // 5. Two versions compared, in words.
    let newest = env.app.definition_versions(&env.seed.org_id).await.unwrap()[0].0;
    let compare = format!("{base}/admin/framework/versions?from={versions_before}&to={newest}");
    check(
        &mut b,
        axe.as_deref(),
        &compare,
        "admin-versions",
        &mut problems,
    )
    .await;
    assert!(text_of(&mut b, "#differences").await.contains(&format!(
        "Changed the criteria of achievement “{}”",
        ach.name
    )));

    // 6. A bulk issue with failures: they come first, and their CSV downloads.
    for (width, label) in WIDTHS {
        b.set_width(width).await;
        b.goto(&format!("{base}/admin")).await;
        let csv = format!("achievement,recipient\nmc-tools-1,bulk.{label}@riverside.example\nmc-nope,bulk.fail.{label}@riverside.example\nmc-tools-1,\n");
        // The upload goes through the admin page's own form, the file chosen as a person would.
        let file = std::env::temp_dir().join(format!(
            "pathledger-bulk-{label}-{}.csv",
            std::process::id()
        ));
        std::fs::write(&file, &csv).expect("write the CSV");
        let doc = b
            .call("DOM.getDocument", json!({}))
            .await
            .expect("document");
        let node = b
            .call(
                "DOM.querySelector",
                json!({"nodeId": doc["root"]["nodeId"], "selector": "#rows"}),
            )
            .await
            .expect("the file field");
        b.call(
            "DOM.setFileInputFiles",
            json!({"nodeId": node["nodeId"], "files": [file.display().to_string()]}),
        )
        .await
        .expect("choose the file");
        b.click("form[action='/admin/bulk'] button[type=submit]")
            .await;
        b.wait_for("location.pathname.startsWith('/admin/bulk/')")
            .await;
        b.wait_for("document.querySelector('#summary')").await;
        assert!(text_of(&mut b, "#summary")
            .await
            .contains("1 issued, 2 not issued."));
        assert_eq!(
            b.eval("!!(document.querySelector('#failures').compareDocumentPosition(document.querySelector('#bulk-results')) & Node.DOCUMENT_POSITION_FOLLOWING)").await,
            json!(true),
            "failures lead"
        );
        // The CSV link downloads (our CSP lets no page script fetch it): fetched here with the
        // browser's own session cookie.
        let href = b
            .eval("document.querySelector('#failed-csv').getAttribute('href')")
            .await;
        assert_eq!(
            b.eval("document.querySelector('#failed-csv').hasAttribute('download')")
                .await,
            json!(true)
        );
        let cookies = b
            .call("Network.getCookies", json!({"urls": [base.clone()]}))
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
            .uri(href.as_str().expect("a link"))
            .header(axum::http::header::COOKIE, cookie)
            .body(axum::body::Body::empty())
            .expect("request");
        let failed = env.call(req).await.text();
        assert!(
            failed.starts_with("achievement,recipient,line,reason\n"),
            "{failed}"
        );
        assert!(
            failed.contains(&format!("mc-nope,bulk.fail.{label}@riverside.example,3,")),
            "{failed}"
        );
        assert_eq!(failed.lines().count(), 3, "{failed}");
        inspect(
            &mut b,
            axe.as_deref(),
            "admin-bulk-results",
            label,
            width,
            &mut problems,
        )
        .await;
        b.screenshot(&format!("journey-admin-bulk-results-{label}.png"))
            .await;
    }
    b.set_width(None).await;
    b.sign_out().await;

    // 7. A visitor: the home page, a role page, a credential to share.
    let org = env.seed.org_id.clone();
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/"),
        "admin-visitor-home",
        &mut problems,
    )
    .await;
    for section in ["earn", "verify", "hire", "issue"] {
        let text = text_of(&mut b, &format!("#{section}")).await;
        assert!(!text.is_empty(), "{section}");
        assert!(
            b.eval(&format!("!!document.querySelector('#{section} p.next a')"))
                .await
                == json!(true),
            "{section} has its next link"
        );
    }
    b.click(&format!("a[href='/orgs/{org}/roles/role-novice-teacher']"))
        .await;
    b.wait_for("location.pathname.endsWith('/roles/role-novice-teacher')")
        .await;
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/orgs/{org}/roles/role-novice-teacher"),
        "admin-visitor-role",
        &mut problems,
    )
    .await;
    let reqs = text_of(&mut b, "#requirements").await;
    assert!(
        reqs.contains("From Resident") && reqs.contains("1 endorsement from a Master Mentor"),
        "{reqs}"
    );

    let url = format!("{base}/credentials/{expiring}");
    check(
        &mut b,
        axe.as_deref(),
        &url,
        "admin-visitor-credential",
        &mut problems,
    )
    .await;
    let link = b
        .eval("Object.fromEntries(new URL(document.querySelector('#linkedin').href).searchParams)")
        .await;
    let ach_name = defs.achievement("mc-tools-1").unwrap().name.clone();
    assert_eq!(link["startTask"], "CERTIFICATION_NAME");
    assert_eq!(link["name"], json!(ach_name));
    assert!(
        link["organizationName"]
            .as_str()
            .is_some_and(|o| o.contains("Riverside")),
        "{link}"
    );
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(link["issueYear"], json!(now.year().to_string()));
    assert_eq!(link["issueMonth"], json!(u8::from(now.month()).to_string()));
    assert_eq!(link["expirationYear"], "2031");
    assert_eq!(link["expirationMonth"], "5");
    assert_eq!(link["certUrl"], json!(url));
    assert_eq!(link["certId"], json!(expiring));
    assert_eq!(
        b.eval("document.querySelector('#share-link').value").await,
        json!(url)
    );
    assert_eq!(
        b.eval("document.querySelector('#share-link').readOnly")
            .await,
        json!(true)
    );
    assert!(text_of(&mut b, "#expires").await.contains("1 May 2031"));
    assert!(text_of(&mut b, "#summary").await.contains("Riverside"));
    assert_eq!(
        b.eval("document.querySelector('#verdict [data-verdict]').dataset.verdict")
            .await,
        json!("valid")
    );
    assert_eq!(
        b.eval("!!document.querySelector('#qr svg.qr')").await,
        json!(true)
    );
    let revoked = env.sample("revoked");
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/credentials/{revoked}"),
        "admin-visitor-credential-revoked",
        &mut problems,
    )
    .await;
    assert_eq!(
        b.eval("!!document.querySelector('#linkedin')").await,
        json!(false)
    );

    server.abort();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
