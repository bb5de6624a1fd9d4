//! The assessor's, the district verifier's and the communities' rules through the router:
//! every link the product hands out verifies, holder names in a roster only for the issuing
//! organization's staff, a profile in communities only with the educator's consent and only
//! set by that educator, the check messages naming issuers without their DIDs.

mod common;

use axum::http::StatusCode;
use common::*;

const MORGAN: &str = "morgan.specialist@riverside.example";

fn verdict_of(html: &str) -> String {
    html.split("class=\"verdict verdict-")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn every_link_we_hand_out_verifies_and_other_sites_are_never_malformed() {
    let env = sqlite_env().await;
    let valid = env.sample("valid");
    let revoked = env.sample("revoked");
    let cases = [
        (format!("{PUBLIC_URL}/credentials/{valid}"), "valid"),
        (format!("{PUBLIC_URL}/verify?id={valid}"), "valid"),
        (
            format!("{PUBLIC_URL}/verify?id={}", valid.replace(':', "%3A")),
            "valid",
        ),
        (format!(" {valid} "), "valid"),
        (format!("{PUBLIC_URL}/credentials/{revoked}"), "revoked"),
        (
            "https://elsewhere.example/badges/42".to_owned(),
            "could_not_check",
        ),
        (
            "urn:uuid:00000000-0000-4000-8000-000000000000".to_owned(),
            "could_not_check",
        ),
    ];
    for (link, verdict) in &cases {
        let r = env
            .call(multipart_req("/verify", &[("credential", None, link)]))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{link}");
        let html = r.text();
        assert_eq!(verdict_of(&html), *verdict, "{link}");
        if *verdict != "could_not_check" {
            // What and whose, from the stored credential the link names.
            assert!(html.contains("id=\"summary\""), "{link}");
        }
    }
    // The same links in a roster.
    let mut roster = String::from("name,credential\n");
    for (link, _) in &cases {
        roster.push_str(&format!("Someone,{}\n", link.trim()));
    }
    let r = env
        .call(multipart_req(
            "/verify/bulk",
            &[("roster", Some("roster.csv"), &roster)],
        ))
        .await;
    let want: Vec<&str> = cases.iter().map(|(_, v)| *v).collect();
    assert_eq!(row_verdicts(&r.text()), want, "{}", r.text());
}

#[tokio::test]
async fn check_messages_name_the_issuer_and_keep_dids_in_technical_details() {
    let env = sqlite_env().await;
    for sample in ["valid", "revoked"] {
        let doc = env.credential_json(&env.sample(sample)).await;
        let report = env.app.verify(&doc).await;
        assert!(!report.message.contains("did:"), "{}", report.message);
        for c in &report.checks {
            assert!(
                !c.message.contains("did:"),
                "{}: {}",
                c.check.code(),
                c.message
            );
        }
        assert!(
            report
                .checks
                .iter()
                .any(|c| c.message.contains("Riverside Educator Credentials")),
            "{report:#?}"
        );
        // The machine fields are unchanged.
        assert_eq!(report.to_json()["checks"][2]["check"], "proof");
    }
    let r = env
        .call(get(&format!("/verify?id={}", env.sample("valid"))))
        .await;
    let html = r.text();
    let (shown, folded) = html
        .split_once("<details id=\"technical\"")
        .expect("details");
    assert!(!shown.contains("did:web:"), "a DID in front of people");
    assert!(
        folded.contains("did:"),
        "the DID is in the technical details"
    );
}

#[tokio::test]
async fn revoked_results_say_when_and_why_and_the_holder_email_is_checked_without_leaking() {
    let env = sqlite_env().await;
    let r = env
        .call(get(&format!("/verify?id={}", env.sample("revoked"))))
        .await;
    let html = r.text();
    assert!(html.contains("id=\"status-change\""), "{html}");
    assert!(html.contains("Revoked on ") && html.contains("Issued in error (demo)"));
    // The valid one has no status change.
    let valid = env.sample("valid");
    let r = env.call(get(&format!("/verify?id={valid}"))).await;
    assert!(!r.text().contains("id=\"status-change\""));

    let rec = env.app.store().credential(&valid).await.unwrap();
    let holder = env
        .app
        .store()
        .educator(rec.educator_id.as_deref().unwrap())
        .await
        .unwrap();
    let email = &holder.emails[0];
    for (typed, answer) in [
        (email.to_uppercase(), "matches"),
        (format!("  {email} "), "matches"),
        ("someone.else@example.org".to_owned(), "does_not_match"),
    ] {
        let r = env
            .call(multipart_req(
                "/verify",
                &[("credential", None, &valid), ("email", None, &typed)],
            ))
            .await;
        let html = r.text();
        assert!(
            html.contains(&format!("data-match=\"{answer}\"")),
            "{typed}: {html}"
        );
        if answer != "matches" {
            assert!(
                !html.contains(email.as_str()),
                "the holder's address leaked"
            );
        }
    }
    let r = env
        .call(multipart_req(
            "/verify",
            &[("credential", None, &valid), ("email", None, "no at sign")],
        ))
        .await;
    let html = r.text();
    assert!(html.contains("id=\"email-error\""), "{html}");
    assert!(html.contains("value=\"no at sign\""), "{html}");
}

#[tokio::test]
async fn roster_holder_names_only_for_the_issuing_organization() {
    let env = sqlite_env().await;
    let valid = env.sample("valid");
    let rec = env.app.store().credential(&valid).await.unwrap();
    let name = env
        .app
        .store()
        .educator(rec.educator_id.as_deref().unwrap())
        .await
        .unwrap()
        .display_name;
    let roster = format!("name,credential\nSomeone Else,{valid}\n{name},{valid}\n");
    let parts = [("roster", Some("roster.csv"), roster.as_str())];

    let hr = sign_in(&env, HR).await;
    let html = env.call(hr.multipart("/verify/bulk", &parts)).await.text();
    assert!(html.contains("data-name-check=\"MISMATCH\""), "{html}");
    assert!(html.contains("data-name-check=\"matches\""), "{html}");
    assert!(
        html.contains("id=\"mismatch-count\" data-count=\"1\""),
        "{html}"
    );

    // The verify page names the holder to the issuing organization's staff too.
    let summary = |html: String| {
        html.split("id=\"summary\"")
            .nth(1)
            .and_then(|s| s.split("</section>").next())
            .unwrap_or("")
            .to_owned()
    };
    let page = env
        .call(hr.get(&format!("/verify?id={valid}")))
        .await
        .text();
    assert!(summary(page).contains(&name));

    // Another organization's admin and a visitor learn no more than the credential says.
    let other = sign_in(&env, HILLCREST_ADMIN).await;
    for page in [
        env.call(other.get(&format!("/verify?id={valid}")))
            .await
            .text(),
        env.call(get(&format!("/verify?id={valid}"))).await.text(),
    ] {
        let s = summary(page);
        assert!(
            !s.contains(&name) && s.contains("Not named by the issuer"),
            "{s}"
        );
    }
    for html in [
        env.call(other.multipart("/verify/bulk", &parts))
            .await
            .text(),
        env.call(multipart_req("/verify/bulk", &parts)).await.text(),
    ] {
        assert!(!html.contains("MISMATCH"), "{html}");
        assert_eq!(html.matches("data-name-check=\"not compared\"").count(), 2);
        let table = html.split("id=\"bulk-results\"").nth(1).unwrap_or("");
        let cells = table.matches(&format!(">{name}<")).count();
        // The roster's own name column, once; never the holder column.
        assert_eq!(cells, 1, "{table}");
    }
}

#[tokio::test]
async fn community_profiles_show_only_with_consent_and_only_their_educator_sets_them() {
    let env = sqlite_env().await;
    let morgan_id = env.educator_id(MORGAN);
    let search = || get("/communities?q=Morgan");
    let html = env.call(search()).await.text();
    assert!(
        html.contains("Morgan Lee") && html.contains("Not shared"),
        "{html}"
    );

    // Saved without the opt-in: nothing is shown.
    let morgan = sign_in(&env, MORGAN).await;
    let body = format!(
        "educator={morgan_id}&school=Lakeview+Middle+School&years=6&contact=morgan%40lakeview.example"
    );
    let r = env.call(morgan.form("/communities/profile", &body)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = env.call(search()).await.text();
    assert!(
        !html.contains("Lakeview") && html.contains("Not shared"),
        "{html}"
    );

    // Nobody else sets it: another educator, a visitor without a session.
    let jordan = sign_in(&env, JORDAN).await;
    let r = env
        .call(jordan.form("/communities/profile", &format!("{body}&shared=yes")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = env
        .call(
            axum::http::Request::builder()
                .method("POST")
                .uri("/communities/profile")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(format!("{body}&shared=yes")))
                .unwrap(),
        )
        .await;
    assert!(!r.status.is_success(), "{}", r.status);
    assert!(!env.call(search()).await.text().contains("Lakeview"));

    // A bad field: the same form back, filled in, the message beside the field.
    let r = env
        .call(morgan.form(
            "/communities/profile",
            &format!("educator={morgan_id}&school=Lakeview&years=lots"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains("id=\"error-years\"") && html.contains("value=\"lots\""),
        "{html}"
    );

    // With the opt-in: school, years and contact.
    let r = env
        .call(morgan.form("/communities/profile", &format!("{body}&shared=yes")))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let html = env.call(search()).await.text();
    assert!(
        html.contains("Lakeview Middle School")
            && html.contains("6 years of experience")
            && html.contains("morgan@lakeview.example"),
        "{html}"
    );

    // Avery, visible to their organization only, stays hidden from another organization even
    // with a shared profile.
    let avery_id = env.educator_id(AVERY);
    let avery = sign_in(&env, AVERY).await;
    let r = env
        .call(avery.form(
            "/communities/profile",
            &format!("educator={avery_id}&school=Riverside+Elementary&shared=yes"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let other = sign_in(&env, HILLCREST_ADMIN).await;
    let html = env
        .call(other.get(&format!(
            "/communities?q=Avery&org={}",
            env.app.store().educator(&avery_id).await.unwrap().org_id
        )))
        .await
        .text();
    assert!(!html.contains("Riverside Elementary"), "{html}");
    let hr = sign_in(&env, HR).await;
    let html = env.call(hr.get("/communities?q=avery")).await.text();
    assert!(html.contains("Riverside Elementary"), "{html}");
}

#[tokio::test]
async fn review_links_only_educators_assigned_to_the_assessor() {
    let env = sqlite_env().await;
    let mentor = sign_in(&env, MENTOR).await;
    // No submission of Casey's (another organization) is assigned: no name is shown.
    let r = env
        .call(mentor.get(&format!("/review?educator={}", env.educator_id(CASEY))))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(!html.contains("Casey"), "{html}");
    assert!(html.contains("<h1>Review evidence</h1>"), "{html}");
}

#[tokio::test]
async fn a_refused_endorsement_comes_back_filled_in() {
    let env = sqlite_env().await;
    let mentor = sign_in(&env, MENTOR).await;
    let avery = env.educator_id(AVERY);
    let r = env
        .call(mentor.form(
            "/endorse",
            &format!(
                "educator={avery}&competency=comp-collaboration&endorser_role=role-master-mentor&comment=+++"
            ),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("id=\"error-comment\""), "{html}");
    assert!(
        html.contains(&format!("value=\"{avery}\" selected")),
        "the educator stays chosen: {html}"
    );
    // Recorded once; the second time the same form comes back with why.
    let body = format!(
        "educator={avery}&competency=comp-collaboration&endorser_role=role-master-mentor&comment=Listens+first."
    );
    let r = env.call(mentor.form("/endorse", &body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r
        .text()
        .contains("You endorsed Avery Thompson for Collaboration, as Master Mentor, on "));
    let r = env.call(mentor.form("/endorse", &body)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let html = r.text();
    assert!(
        html.contains("already endorsed") && html.contains("Listens first."),
        "{html}"
    );
}
