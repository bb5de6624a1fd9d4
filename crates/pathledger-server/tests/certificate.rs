//! The printable certificate of a credential, its page and its PDF: the page has the
//! credential's values, the QR code and the verify link; the holder's name only for those who
//! may read it; a credential the public page would not show is not found; the PDF is read back
//! by an independent reader (poppler's `pdftotext`), its QR code decoded from a rendering
//! (`pdftoppm`, then zbar's `zbarimg`), non-ASCII names kept (Latin-1) or accent-folded, other
//! scripts replaced by a sentence. In Chromium: the page at 1280 and 390 px passes the journey
//! checks, and printed (A4 and Letter, landscape) it is one page without the site's
//! navigation. Screenshots: `test-artifacts/journey-certificate-*.png`.
//!
//! `.ci/run` installs poppler-utils and zbar-tools; without them (and without
//! `PATHLEDGER_REQUIRE_PDF_TOOLS=1`) the PDF checks say so and are skipped.

mod common;

use std::process::Command;

use axum::http::{header, Method, StatusCode};
use common::*;
use serde_json::{json, Value};

/// Whether `tool` (a poppler or zbar program) is installed; with
/// `PATHLEDGER_REQUIRE_PDF_TOOLS=1` a missing one fails the test instead.
fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("-h").output().is_ok();
    if !found {
        assert!(
            std::env::var("PATHLEDGER_REQUIRE_PDF_TOOLS").as_deref() != Ok("1"),
            "{tool} is required (apt-get install poppler-utils zbar-tools)"
        );
        eprintln!("skipping the {tool} checks: {tool} is not installed (apt-get install poppler-utils zbar-tools)");
    }
    found
}

/// The text `pdftotext` reads from `pdf`.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("c.pdf");
    std::fs::write(&file, pdf).expect("write pdf");
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

/// The number of pages poppler's `pdfinfo` counts in `pdf`.
fn pdf_pages(pdf: &[u8]) -> u32 {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("p.pdf");
    std::fs::write(&file, pdf).expect("write pdf");
    let out = Command::new("pdfinfo")
        .arg(&file)
        .output()
        .expect("run pdfinfo");
    let info = String::from_utf8_lossy(&out.stdout).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("pdfinfo: {info}"))
}

/// The QR codes zbar finds in a 150 dpi rendering of the PDF's first page.
fn pdf_qr_codes(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("q.pdf");
    std::fs::write(&file, pdf).expect("write pdf");
    let png = dir.path().join("q");
    let ok = Command::new("pdftoppm")
        .args(["-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&file)
        .arg(&png)
        .status()
        .expect("run pdftoppm");
    assert!(ok.success(), "pdftoppm failed");
    let out = Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(png.with_extension("png"))
        .output()
        .expect("run zbarimg");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A credential with a holder name and an achievement in accented Latin letters, issued on the
/// ledger through the VC-API (our own issuance discloses no name).
async fn named_credential(env: &TestEnv, holder: &str, achievement: &str, key: &str) -> String {
    let mut req = json_req(
        Method::POST,
        "/credentials/issue",
        Some(&env.token(ISSUER)),
        &json!({"credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential", "ExampleAchievementCredential"],
            "name": achievement,
            "validFrom": "2026-01-15T09:00:00Z",
            "validUntil": "2031-06-30T00:00:00Z",
            "credentialSubject": {
                "id": "did:example:holder",
                "name": holder,
                "achievement": {"name": achievement, "description": "Listening practice across a term."}
            }
        }}),
    );
    req.headers_mut()
        .insert("idempotency-key", key.parse().expect("header value"));
    let r = env.call(req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["verifiableCredential"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

fn enc(s: &str) -> String {
    pathledger_app::sharing::percent_encode(s)
}

async fn run(env: TestEnv) {
    let valid = env.sample("valid");
    let rec = env.app.store().credential(&valid).await.expect("record");
    let holder = env
        .seed
        .accounts
        .iter()
        .find(|a| a.educator_id == rec.educator_id)
        .expect("the sample's holder");
    let doc = env.credential_json(&valid).await;
    let achievement = doc["credentialSubject"]["achievement"]["name"]
        .as_str()
        .expect("achievement name")
        .to_owned();
    let issuer = doc["issuer"]["name"].as_str().expect("issuer").to_owned();
    let verify_url = env.app.verify_url(&valid);
    let uri = format!("/credentials/{valid}/certificate");

    // The public credential page links to it.
    let page = env.call(get(&format!("/credentials/{valid}"))).await.text();
    assert!(
        page.contains(&format!(
            "href=\"/credentials/{}/certificate\"",
            enc(&valid)
        )),
        "{page}"
    );

    // Anyone: the credential's values, the QR code and the verify link; not the holder's name.
    let r = env.call(get(&uri)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    for want in [
        achievement.as_str(),
        issuer.as_str(),
        valid.as_str(),
        "The holder of this credential",
        "Valid when checked on",
        "href=\"/assets/certificate.css\"",
        "data-qr-size=",
    ] {
        assert!(html.contains(want), "{want} missing: {html}");
    }
    let escaped_verify = verify_url.replace('&', "&amp;");
    assert!(
        html.contains(&format!("href=\"{escaped_verify}\""))
            && html.contains(&format!(
                "aria-label=\"QR code linking to {escaped_verify}\""
            )),
        "{html}"
    );
    let issued = time::OffsetDateTime::parse(
        doc["validFrom"].as_str().expect("validFrom"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("date");
    let day = |t: time::OffsetDateTime| format!("{} {} {}", t.day(), t.month(), t.year());
    let issued_day = day(issued);
    let expires_day = doc["validUntil"].as_str().map_or_else(
        || "Does not expire".to_owned(),
        |u| {
            day(
                time::OffsetDateTime::parse(u, &time::format_description::well_known::Rfc3339)
                    .expect("date"),
            )
        },
    );
    assert!(html.contains(&issued_day), "{issued_day}: {html}");
    assert!(!html.contains(&holder.name), "{html}");

    // The holder, and the issuing organization's staff, see the name; another educator and
    // another organization's admin do not.
    for (who, sees) in [
        (holder.email.as_str(), true),
        (ADMIN, true),
        (HR, true),
        (AVERY, holder.email == AVERY),
        (HILLCREST_ADMIN, false),
    ] {
        let html = env.call(get_auth(&uri, &env.token(who))).await.text();
        assert_eq!(html.contains(&holder.name), sees, "{who}: {html}");
    }

    // The stylesheet is ours, with its print rules.
    let css = env.call(get("/assets/certificate.css")).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.text().contains("@media print") && css.text().contains("size: landscape"));

    // A credential the public page would not show: not found, page and PDF alike.
    let ghost = "urn:uuid:00000000-0000-4000-8000-000000000000";
    for path in [
        format!("/credentials/{ghost}"),
        format!("/credentials/{ghost}/certificate"),
        format!("/credentials/{ghost}/certificate.pdf"),
        format!("/credentials/{}/certificate.pdf", enc("../../etc/passwd")),
    ] {
        let r = env.call(get(&path)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text());
        assert!(!r.body.starts_with(b"%PDF-"), "{path}");
    }

    // The PDF: a download with a sensible name, read back by poppler.
    let r = env.call(get(&format!("{uri}.pdf"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.body.starts_with(b"%PDF-"), "not a PDF");
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
    let disposition = r.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"certificate-")
            && disposition.ends_with(".pdf\""),
        "{disposition}"
    );
    let anonymous_pdf = r.body.clone();
    let mine = env
        .call(get_auth(&format!("{uri}.pdf"), &env.token(&holder.email)))
        .await
        .body;
    if have("pdftotext") {
        let text = pdf_text(&anonymous_pdf);
        for want in [
            achievement.as_str(),
            issuer.as_str(),
            valid.as_str(),
            verify_url.as_str(),
            issued_day.as_str(),
            expires_day.as_str(),
            "The holder of this credential",
        ] {
            assert!(text.contains(want), "{want} missing from the PDF: {text}");
        }
        assert!(!text.contains(&holder.name), "{text}");
        assert!(pdf_text(&mine).contains(&holder.name));
        assert_eq!(pdf_pages(&anonymous_pdf), 1);
    }
    if have("pdftoppm") && have("zbarimg") {
        assert_eq!(pdf_qr_codes(&anonymous_pdf), vec![verify_url.clone()]);
    }

    // Names in other letters: Latin-1 kept, other Latin letters without their accents, other
    // scripts replaced by a sentence in the PDF (the page shows them all).
    let named = named_credential(&env, "José Ñúñez", "Zoë's Écoute Active", "cert-1").await;
    let r = env
        .call(get(&format!("/credentials/{named}/certificate")))
        .await;
    let html = r.text();
    assert!(
        html.contains("José Ñúñez") && html.contains("Zoë"),
        "{html}"
    );
    assert!(
        html.contains("15 January 2026") && html.contains("30 June 2031"),
        "{html}"
    );
    let polish = named_credential(&env, "Łukasz Dvořák", "Data Practices 1", "cert-2").await;
    let cyrillic = named_credential(&env, "Дмитрий Петров", "Data Practices 1", "cert-3").await;
    if have("pdftotext") {
        let pdf = |id: String| {
            let env = &env;
            async move {
                let r = env
                    .call(get(&format!("/credentials/{id}/certificate.pdf")))
                    .await;
                assert_eq!(r.status, StatusCode::OK);
                pdf_text(&r.body)
            }
        };
        let text = pdf(named.clone()).await;
        for want in [
            "José Ñúñez",
            "Zoë's Écoute Active",
            "15 January 2026",
            "30 June 2031",
            env.app.verify_url(&named).as_str(),
        ] {
            assert!(text.contains(want), "{want} missing: {text}");
        }
        let text = pdf(polish).await;
        // Latin-1 keeps "á"; "Ł" and "ř" lose their marks.
        assert!(text.contains("Lukasz Dvorák"), "{text}");
        let text = pdf(cyrillic.clone()).await;
        assert!(
            text.contains("The holder named on the certificate page")
                && text.contains("a script this PDF's standard fonts cannot show")
                && !text.contains("???"),
            "{text}"
        );
    }
    let html = env
        .call(get(&format!("/credentials/{cyrillic}/certificate")))
        .await
        .text();
    assert!(html.contains("Дмитрий Петров"), "{html}");

    // A revoked credential's certificate says so, on the page and in the PDF.
    let revoked = env.sample("revoked");
    let html = env
        .call(get(&format!("/credentials/{revoked}/certificate")))
        .await
        .text();
    assert!(
        html.contains("id=\"not-valid\"") && html.contains("Revoked"),
        "{html}"
    );
    if have("pdftotext") {
        let r = env
            .call(get(&format!("/credentials/{revoked}/certificate.pdf")))
            .await;
        let text = pdf_text(&r.body);
        assert!(text.contains("NOT VALID: Revoked"), "{text}");
    }
}

#[tokio::test]
async fn the_certificate_page_and_pdf_show_the_credential_to_those_who_may_see_it() {
    run(sqlite_env().await).await;
    if let Some(env) = postgres_env().await {
        run(env).await;
    }
}

/// The page in Chromium: the journey checks at 1280 and 390 px, the print media emulated, and
/// printed to PDF on A4 and on Letter (landscape): one page each, without the site's navigation.
#[tokio::test]
async fn the_certificate_prints_on_one_landscape_page() {
    use common::cdp::Browser;
    use common::journey::*;
    if !chromium_available() {
        return;
    }
    let (base, env, server) = serve_demo().await;
    let valid = env.sample("valid");
    let url = format!("{base}/credentials/{valid}/certificate");
    let axe = axe_source();
    let mut b = Browser::launch().await;
    let mut problems = Vec::new();
    check(&mut b, axe.as_deref(), &url, "certificate", &mut problems).await;
    assert!(problems.is_empty(), "{problems:#?}");

    b.goto(&url).await;
    b.call("Emulation.setEmulatedMedia", json!({"media": "print"}))
        .await
        .expect("emulate print");
    let hidden: Value = b
        .eval("getComputedStyle(document.querySelector('header.site')).display === 'none' && getComputedStyle(document.querySelector('.certificate-actions')).display === 'none'")
        .await;
    assert_eq!(hidden, json!(true), "navigation printed");
    b.screenshot("journey-certificate-print.png").await;
    b.call("Emulation.setEmulatedMedia", json!({"media": ""}))
        .await
        .expect("screen again");

    for (paper, width, height) in [("A4", 11.69, 8.27), ("Letter", 11.0, 8.5)] {
        let r = b
            .call(
                "Page.printToPDF",
                json!({"landscape": false, "paperWidth": width, "paperHeight": height,
                       "preferCSSPageSize": false, "printBackground": true,
                       "marginTop": 0, "marginBottom": 0, "marginLeft": 0, "marginRight": 0}),
            )
            .await
            .expect("print to PDF");
        let pdf = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            r["data"].as_str().expect("data"),
        )
        .expect("base64");
        assert!(pdf.starts_with(b"%PDF-"));
        std::fs::write(
            artifacts_dir().join(format!("certificate-printed-{paper}.pdf")),
            &pdf,
        )
        .expect("keep the printed PDF");
        if have("pdfinfo") {
            assert_eq!(pdf_pages(&pdf), 1, "{paper}: more than one page");
            let text = pdf_text(&pdf);
            assert!(
                !text.contains("Pathway map") && !text.contains("Download PDF"),
                "{paper}: navigation printed: {text}"
            );
            assert!(
                text.contains(&env.app.verify_url(&valid)),
                "{paper}: {text}"
            );
        }
    }
    server.abort();
}
