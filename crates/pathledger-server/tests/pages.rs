//! Server-rendered pages through the router: verify (single and district bulk, with the CSV
//! export's formula neutralization), the pathway map, the educator dashboard and the log page.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use base64::Engine as _;
use common::*;

#[tokio::test]
async fn verify_page_shows_the_verdict_of_a_pasted_or_uploaded_credential() {
    let env = sqlite_env().await;
    let valid = env.credential_json(&env.sample("valid")).await.to_string();
    let r = env
        .call(multipart_req("/verify", &[("credential", None, &valid)]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("class=\"verdict verdict-valid big\""),
        "{html}"
    );
    assert!(html.contains("Signature"), "checks are listed in words");

    // An uploaded file wins over the (empty) text area.
    let revoked = env
        .credential_json(&env.sample("revoked"))
        .await
        .to_string();
    let r = env
        .call(multipart_req(
            "/verify",
            &[
                ("credential", None, ""),
                ("file", Some("badge.json"), &revoked),
            ],
        ))
        .await;
    assert!(
        r.text().contains("data-verdict=\"revoked\""),
        "{}",
        r.text()
    );

    // Not JSON: a malformed verdict, and the input is echoed escaped.
    let r = env
        .call(multipart_req(
            "/verify",
            &[("credential", None, "<script>alert(1)</script>")],
        ))
        .await;
    let html = r.text();
    assert!(html.contains("data-verdict=\"malformed\""), "{html}");
    assert!(!html.contains("<script>alert(1)"));

    // Open by link (as from a QR code).
    let r = env
        .call(get(&format!("/verify?id={}", env.sample("valid"))))
        .await;
    assert!(r.text().contains("data-verdict=\"valid\""));
}

#[tokio::test]
async fn bulk_verify_reports_each_row_and_exports_a_safe_csv() {
    let env = sqlite_env().await;
    let_expire(&env).await;
    let link = |id: &str| format!("{PUBLIC_URL}/credentials/{id}");
    let tampered_json = tampered(env.credential_json(&env.sample("valid")).await).to_string();
    let roster = format!(
        "name,credential\n\
         Jordan Rivera,{valid}\n\
         =cmd|' /C calc'!A0,{revoked}\n\
         Forged Person,{tampered}\n\
         Late Person,{expired}\n",
        valid = link(&env.sample("valid")),
        revoked = link(&env.sample("revoked")),
        tampered = csv_quote(&tampered_json),
        expired = link(&env.sample("expired")),
    );
    let r = env
        .call(multipart_req(
            "/verify/bulk",
            &[("roster", Some("roster.csv"), &roster)],
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert_eq!(
        row_verdicts(&html),
        ["valid", "revoked", "tampered", "expired"],
        "{html}"
    );
    assert!(html.contains("Results (4 rows)"));

    // The CSV download: a data: URI whose text neutralizes the formula cell.
    let marker = "href=\"data:text/csv;base64,";
    let start = html.find(marker).expect("CSV download link") + marker.len();
    let b64 = &html[start..start + html[start..].find('"').expect("end of link")];
    let csv = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64"),
    )
    .expect("utf-8");
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("CSV row")).collect();
    assert_eq!(rows.len(), 4, "{csv}");
    let verdicts: Vec<&str> = rows.iter().map(|r| &r[9]).collect();
    assert_eq!(verdicts, ["valid", "revoked", "tampered", "expired"]);
    assert!(
        rows[1][1].starts_with("'="),
        "formula not neutralized: {csv}"
    );
    assert!(
        !csv.lines()
            .any(|l| l.split(',').any(|c| c.starts_with('='))),
        "{csv}"
    );

    // A bad row never hides the others.
    let roster = format!(
        "name,credential\nA,not a link\nB,{}\nC,{{broken json\n",
        link(&env.sample("valid"))
    );
    let r = env
        .call(multipart_req(
            "/verify/bulk",
            &[("roster", Some("roster.csv"), &roster)],
        ))
        .await;
    assert_eq!(
        row_verdicts(&r.text()),
        ["malformed", "valid", "malformed"],
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn pathway_map_dashboard_and_log_pages() {
    let env = sqlite_env().await;

    let r = env.call(get("/pathways")).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("<svg"), "{html}");
    for role in [
        "role-career-switcher",
        "role-resident",
        "role-master-mentor",
    ] {
        assert!(
            html.contains(&format!("data-role=\"{role}\"")),
            "{role} missing"
        );
    }
    for class in [
        "edge-expert-depth",
        "edge-functional-breadth",
        "edge-leadership",
    ] {
        assert!(html.contains(class), "direction {class} missing");
    }

    // Anonymous dashboard: sent to sign in.
    let r = env.call(get("/dashboard")).await;
    assert!(r.status.is_redirection());

    let cookie = login(&env, JORDAN).await;
    let signed_in = |uri: &str| {
        Request::builder()
            .uri(uri)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .expect("request")
    };
    let r = env.call(signed_in("/dashboard")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    let jordan = env.educator_id(JORDAN);
    let held = env
        .app
        .store()
        .credentials_for_educator(&jordan)
        .await
        .expect("credentials");
    assert!(!held.is_empty());
    for c in &held {
        assert!(html.contains(&c.id), "credential {} not listed", c.id);
    }
    assert!(html.matches("data-achievement=").count() >= held.len());
    assert!(html.contains("role=\"progressbar\""), "{html}");
    assert!(html.contains("data-verdict=\"valid\""));
    // The dashboard's downloads are files.
    for what in ["progress", "clr"] {
        let link = format!("/api/v1/educators/{jordan}/{what}");
        assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
        let r = env.call(signed_in(&link)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let cd = r.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(cd.starts_with("attachment; filename=\"pathledger-"), "{cd}");
    }
    // Each credential shows its issue and expiry dates, as dates.
    let months = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let issued = html.matches("<td>Issued ").count();
    assert!(issued >= held.len(), "{html}");
    assert!(
        html.split("<td>Issued ")
            .skip(1)
            .all(|s| months
                .iter()
                .any(|m| s.split("</td>").next().unwrap_or("").contains(m))),
        "{html}"
    );
    assert!(html.contains("Does not expire") || html.contains("<td>Expires "));
    // Requirements read as sentences with names, never as their JSON.
    assert!(
        !html.contains("{&quot;") && !html.contains("{\"endorsements"),
        "{html}"
    );
    // (The plan aims at the next role up, Resident, by default; Novice Teacher's asks for an
    // endorsement.)
    let novice = env
        .call(signed_in("/dashboard?target=role-novice-teacher"))
        .await
        .text();
    assert!(novice.contains("1 endorsement from a"), "{novice}");
    // Jordan is partway: some role shows progress strictly between 0 and 100.
    assert!(
        html.split("aria-valuenow=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next()?.parse::<f64>().ok())
            .any(|p| p > 0.0 && p < 100.0),
        "no partial progress shown"
    );

    // The signed-in pathway map shows Jordan's position.
    let r = env.call(signed_in("/pathways")).await;
    assert!(r.text().contains("% there") || r.text().contains("reached"));

    // Transparency log: tree size and a verifying inclusion proof.
    let size = env.tree_size().await;
    let r = env.call(get("/log")).await;
    assert!(
        r.text()
            .contains(&format!("<strong id=\"tree-size\">{size}</strong>")),
        "{}",
        r.text()
    );
    let r = env
        .call(get(&format!("/log?credential={}", env.sample("valid"))))
        .await;
    let html = r.text();
    assert!(html.contains("✔ proof verifies"), "{html}");
    // Hashes as hex strings, the raw forms folded, and the offline proof offered.
    assert!(
        html.contains("<ol class=\"hashes\"><li><code class=\"hash\">"),
        "{html}"
    );
    assert!(!html.contains("\"leaf_hash\": ["), "{html}");
    assert!(html.contains("Download the inclusion proof"), "{html}");
    let r = env.call(get("/log")).await;
    let html = r.text();
    let note = html
        .split("<pre id=\"checkpoint\" tabindex=\"0\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .expect("the checkpoint on the page");
    assert!(note.contains(&format!("/log\n{size}\n")), "{note}");
    assert!(!html.contains(" ms by key"), "{html}");
    let r = env.call(get("/log?credential=urn:uuid:nope")).await;
    assert!(r.text().contains("role=\"alert\""));

    // The public credential page verifies on view.
    let r = env
        .call(get(&format!("/credentials/{}", env.sample("revoked"))))
        .await;
    assert!(r.text().contains("data-verdict=\"revoked\""));
}

#[tokio::test]
async fn browsers_get_error_pages_and_programs_get_problem_json() {
    let env = sqlite_env().await;
    const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let with_accept = |mut req: Request<Body>, accept: &str| {
        req.headers_mut()
            .insert(header::ACCEPT, accept.parse().expect("header"));
        req
    };
    let big = "x".repeat(9 * 1024 * 1024);
    type MakeRequest = Box<dyn Fn() -> Request<Body>>;
    let cases: Vec<(StatusCode, MakeRequest)> = vec![
        (
            StatusCode::NOT_FOUND,
            Box::new(|| get("/credentials/urn:uuid:00000000-0000-4000-8000-000000000000")),
        ),
        (StatusCode::NOT_FOUND, Box::new(|| get("/no/such/page"))),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Box::new(|| get("/api/v1/log/consistency?from=5&to=1")),
        ),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            Box::new(move || {
                Request::builder()
                    .method("POST")
                    .uri("/api/v1/verify")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(big.clone()))
                    .expect("request")
            }),
        ),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Box::new(|| {
                Request::builder()
                    .method("POST")
                    .uri("/credentials/verify")
                    .header(header::CONTENT_TYPE, "text/csv")
                    .body(Body::from("a,b"))
                    .expect("request")
            }),
        ),
    ];
    for (status, req) in &cases {
        let r = env.call(with_accept(req(), BROWSER)).await;
        assert_eq!(r.status, *status);
        let ct = r.headers[header::CONTENT_TYPE].to_str().unwrap().to_owned();
        assert!(ct.starts_with("text/html"), "{status}: {ct}");
        let html = r.text();
        assert!(
            html.contains("<main id=\"main\">") && html.contains("role=\"alert\""),
            "{html}"
        );
        assert!(
            !html.contains("\"type\":") && !html.contains("problem+json"),
            "{html}"
        );
        // A program (no Accept, or JSON first) still gets problem+json.
        for accept in [None, Some("application/json, text/html")] {
            let req = match accept {
                Some(a) => with_accept(req(), a),
                None => req(),
            };
            let r = env.call(req).await;
            assert_eq!(r.status, *status);
            let ct = r.headers[header::CONTENT_TYPE].to_str().unwrap();
            assert!(
                ct.starts_with("application/problem+json"),
                "{status} {accept:?}: {ct}"
            );
        }
    }
}

#[test]
fn verdict_and_check_icons_render_with_the_stock_fonts() {
    // fontconfig answers which installed fonts have a character; Debian's stock fonts must.
    let Ok(probe) = std::process::Command::new("fc-list")
        .arg(":charset=2714")
        .output()
    else {
        eprintln!("fc-list is not installed: skipping the icon font check");
        return;
    };
    assert!(!probe.stdout.is_empty(), "no font has ✔");
    let mut icons: Vec<&str> = Vec::new();
    for code in [
        "valid",
        "tampered",
        "revoked",
        "suspended",
        "expired",
        "not_yet_valid",
        "unknown_issuer",
        "malformed",
        "could_not_check",
        "unsupported_format",
        "other",
    ] {
        icons.push(pathledger_server::pages::format::verdict_badge(code).0);
    }
    for status in ["passed", "failed", "not_checked"] {
        icons.push(pathledger_server::pages::format::check_status(status).0);
    }
    for icon in icons {
        for c in icon.chars().filter(|c| !c.is_ascii()) {
            let out = std::process::Command::new("fc-list")
                .arg(format!(":charset={:x}", c as u32))
                .arg("family")
                .output()
                .expect("fc-list");
            assert!(
                !out.stdout.is_empty(),
                "no installed font has {c} (U+{:04X})",
                c as u32
            );
        }
    }
}

#[tokio::test]
async fn the_menu_shows_what_each_person_can_use() {
    let env = sqlite_env().await;
    let nav = |html: &str| -> Vec<String> {
        let nav = html
            .split("<nav aria-label=\"Main\">")
            .nth(1)
            .and_then(|s| s.split("</nav>").next())
            .expect("the main menu")
            .to_owned();
        nav.split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next().map(str::to_owned))
            .collect()
    };
    let public = [
        "/pathways",
        "/verify",
        "/verify/bulk",
        "/communities",
        "/log",
        "/docs",
    ];
    let anonymous = nav(&env.call(get("/verify")).await.text());
    assert_eq!(anonymous, public);
    for (who, own) in [
        (JORDAN, vec!["/dashboard", "/evidence"]),
        (MENTOR, vec!["/review"]),
        (HR, vec![]),
        (ADMIN, vec!["/admin"]),
    ] {
        let s = sign_in(&env, who).await;
        let links = nav(&env.call(s.get("/verify")).await.text());
        let expected: Vec<&str> = own.iter().copied().chain(public).collect();
        assert_eq!(links, expected, "{who}");
    }
}

#[test]
fn dates_read_as_dates() {
    use pathledger_server::pages::format::{date, day};
    // 2026-12-06T14:05:09Z
    let ms = 1_796_565_909_000;
    assert_eq!(date(ms), "6 December 2026, 14:05 UTC");
    assert_eq!(day(ms), "6 December 2026");
    assert_eq!(date(0), "1 January 1970, 00:00 UTC");
    assert_eq!(date(i64::MAX), "");
}

#[tokio::test]
async fn a_verification_result_begins_with_what_and_whose() {
    let env = sqlite_env().await;
    let id = env.sample("valid");
    let doc = env.credential_json(&id).await;
    let issuer = doc["issuer"]["name"]
        .as_str()
        .expect("issuer name")
        .to_owned();
    let achievement = doc["credentialSubject"]["achievement"]["name"]
        .as_str()
        .expect("achievement name")
        .to_owned();
    for path in [format!("/credentials/{id}"), format!("/verify?id={id}")] {
        let html = env.call(get(&path)).await.text();
        let summary = html
            .split("id=\"summary\"")
            .nth(1)
            .and_then(|s| s.split("</section>").next())
            .unwrap_or_else(|| panic!("{path}: no summary: {html}"));
        assert!(summary.contains(&achievement), "{summary}");
        // The issuer by name (after its logo, when it has one).
        let issuer_dd = summary
            .split("<dt>Issued by</dt>")
            .nth(1)
            .and_then(|s| s.split("</dd>").next())
            .unwrap_or_else(|| panic!("{path}: no issuer: {summary}"));
        assert!(issuer_dd.trim_end().ends_with(&issuer), "{issuer_dd}");
        // Dates as dates: "6 December 2026", never the raw timestamp.
        let issued = summary
            .split("<dt>Issued</dt><dd>")
            .nth(1)
            .and_then(|s| s.split("</dd>").next())
            .expect("issued");
        assert!(
            issued.split(' ').count() == 3 && !issued.contains('T'),
            "{issued}"
        );
        // The summary comes before the checks.
        assert!(
            html.find("id=\"summary\"") < html.find("<th scope=\"row\">"),
            "{path}"
        );
    }
}

#[test]
fn incentives_say_their_period() {
    use pathledger_core::{Incentive, IncentiveKind, Period};
    use pathledger_server::pages::format::describe_incentive;
    let money = |kind, amount, period| Incentive {
        kind,
        amount,
        currency: Some("USD".into()),
        period,
        description: String::new(),
    };
    assert_eq!(
        describe_incentive(&money(IncentiveKind::Stipend, 1500.0, Some(Period::Once))),
        "$1,500 stipend, once"
    );
    assert_eq!(
        describe_incentive(&money(
            IncentiveKind::SalaryCredit,
            5000.0,
            Some(Period::Year)
        )),
        "$5,000 salary increase a year"
    );
    assert_eq!(
        describe_incentive(&money(IncentiveKind::Stipend, 12.5, Some(Period::Month))),
        "$12.50 stipend a month"
    );
    let hours = Incentive {
        kind: IncentiveKind::Hours,
        amount: 30.0,
        currency: None,
        period: None,
        description: String::new(),
    };
    assert_eq!(describe_incentive(&hours), "30 professional learning hours");
}
