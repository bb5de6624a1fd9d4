//! The notice choices page behind every notice's unsubscribe link: it opens without signing
//! in (the link's token is the permission), saves what is ticked, turns everything off at once,
//! and a token that stands for nobody changes nothing (404). A signed-in browser posting it
//! without its form token is refused like any other form (CSRF). SQLite and PostgreSQL.
//!
//! The review, evidence and award notices, delivered to a real SMTP server (aiosmtpd): each
//! once, with what it is about and the link to act on, the unsubscribe link opening the
//! choices page; a second trigger of the same event sends nothing, and a kind turned off is not
//! sent.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use serde_json::json;

fn form(uri: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html")
        .body(Body::from(body.to_owned()))
        .expect("request")
}

async fn turned_off(env: &TestEnv, email: &str) -> Vec<String> {
    env.app
        .store()
        .notifications_turned_off(email)
        .await
        .unwrap()
}

async fn run(env: TestEnv) {
    let token = env.app.store().notification_token(JORDAN).await.unwrap();
    let uri = format!("/notifications/{token}");

    let r = env.call(get(&uri)).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(
        html.contains("Your notices") && html.contains(JORDAN),
        "{html}"
    );
    assert_eq!(html.matches("type=\"checkbox\"").count(), 4, "{html}");
    assert_eq!(html.matches(" checked").count(), 4, "{html}");

    // Only awards and expiry reminders ticked.
    let r = env.call(form(&uri, "award=on&expiry=on")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("Saved: you get notices"), "{}", r.text());
    assert_eq!(turned_off(&env, JORDAN).await, ["evidence", "review"]);
    assert_eq!(
        env.call(get(&uri)).await.text().matches(" checked").count(),
        2
    );

    // Everything off at once, whatever is ticked.
    let r = env.call(form(&uri, "award=on&all_off=on")).await;
    assert!(r.text().contains("no notices"), "{}", r.text());
    assert_eq!(turned_off(&env, JORDAN).await.len(), 4);

    // A token that stands for nobody: 404, and nothing changes for anyone.
    for bad in ["0".repeat(64), "nope".into(), format!("{token}0")] {
        let r = env
            .call(form(&format!("/notifications/{bad}"), "award=on"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
        assert_eq!(
            env.call(get(&format!("/notifications/{bad}"))).await.status,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(turned_off(&env, JORDAN).await.len(), 4);

    // Signed in (any account), the form must carry the session's token like every form.
    let s = sign_in(&env, AVERY).await;
    let mut forged = form(&uri, "award=on");
    forged
        .headers_mut()
        .insert(header::COOKIE, s.cookie.parse().unwrap());
    assert_eq!(env.call(forged).await.status, StatusCode::FORBIDDEN);
    assert_eq!(turned_off(&env, JORDAN).await.len(), 4);
    let r = env.call(s.form(&uri, "review=on")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        turned_off(&env, JORDAN).await,
        ["award", "evidence", "expiry"]
    );
}

#[tokio::test]
async fn the_choices_page_saves_and_refuses_strangers() {
    run(sqlite_env().await).await;
    if let Some(env) = postgres_env().await {
        run(env).await;
    }
}

/// The messages to `addr` whose subject starts with `subject`, decoded.
fn mails(smtp: &pathledger_test_support::SmtpServer, addr: &str, subject: &str) -> Vec<String> {
    smtp.received_to(addr, 0)
        .into_iter()
        .filter(|m| {
            // Long header lines are folded: unfold the head before reading it.
            let m = m.replace("\r\n", "\n");
            let head = m.split("\n\n").next().unwrap_or("").replace("\n ", " ");
            head.lines()
                .any(|l| l.starts_with(&format!("Subject: {subject}")))
        })
        .map(|m| mail_text(&m))
        .collect()
}

async fn submit(env: &TestEnv, achievement: &str, narrative: &str) -> String {
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/evidence",
            Some(&env.token(JORDAN)),
            &json!({"achievement": achievement, "narrative": narrative,
                    "assessor": env.account(MENTOR).user_id}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().expect("id").to_owned()
}

async fn decide(env: &TestEnv, id: &str, body: serde_json::Value) -> Resp {
    env.call(json_req(
        Method::POST,
        &format!("/api/v1/evidence/{id}/decision"),
        Some(&env.token(MENTOR)),
        &body,
    ))
    .await
}

#[tokio::test]
async fn review_evidence_and_award_notices_go_once_to_the_right_people() {
    let Some(smtp) = pathledger_test_support::SmtpServer::start() else {
        return;
    };
    let env = sqlite_env_with_mail(PUBLIC_URL, Some(smtp_mail(&smtp.url()))).await;
    let settled = || env.app.notices_sent(std::time::Duration::from_secs(15));
    let jordan = env.account(JORDAN).name.clone();
    let mentor = env.account(MENTOR).name.clone();
    let ach = "mc-instructional-strategies-1";
    let ach_name = env
        .app
        .definitions(&env.seed.org_id)
        .await
        .unwrap()
        .achievement(ach)
        .unwrap()
        .name
        .clone();

    // Submitted: the assessor is asked to review, by name, with the review link.
    let first = submit(&env, ach, "Co-planned a unit with worked examples.").await;
    assert!(settled().await);
    let review = format!("Evidence from {jordan} waits for your review");
    let got = mails(&smtp, MENTOR, &review);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains(&format!("{jordan} submitted evidence for {ach_name}"))
            && got[0].contains(&format!("{PUBLIC_URL}/review")),
        "{}",
        got[0]
    );

    // Returned with a comment: the educator gets it, and the link to submit again.
    let r = decide(
        &env,
        &first,
        json!({"decision": "return", "comment": "Add one student's work sample."}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(settled().await);
    let returned = mails(
        &smtp,
        JORDAN,
        &format!("Your evidence for {ach_name} was returned"),
    );
    assert_eq!(returned.len(), 1, "{returned:?}");
    let m = &returned[0];
    assert!(
        m.contains(&format!("{mentor} returned your evidence for {ach_name}"))
            && m.contains("> Add one student's work sample.")
            && m.contains(&format!("{PUBLIC_URL}/evidence?achievement={ach}")),
        "{m}"
    );

    // Its unsubscribe link opens Jordan's choices, without signing in.
    let link = pathledger_test_support::link_in(
        &smtp.received_to(JORDAN, 1)[0],
        PUBLIC_URL,
        "/notifications/",
    )
    .expect("an unsubscribe link");
    let page = env.call(get(&link)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("Your notices") && page.text().contains(JORDAN),
        "{}",
        page.text()
    );

    // Resubmitted and accepted: the educator hears of the acceptance and of the award, once.
    let second = submit(
        &env,
        ach,
        "Co-planned a unit, with a student's work sample.",
    )
    .await;
    let r = decide(
        &env,
        &second,
        json!({"decision": "accept", "comment": "Clear and complete."}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let credential = r.json()["credential"]["verifiableCredential"]["id"]
        .as_str()
        .expect("credential")
        .to_owned();
    assert!(settled().await);
    assert_eq!(mails(&smtp, MENTOR, &review).len(), 2);
    let accepted = mails(
        &smtp,
        JORDAN,
        &format!("Your evidence for {ach_name} was accepted"),
    );
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert!(
        accepted[0].contains("> Clear and complete.")
            && accepted[0].contains(&format!("{PUBLIC_URL}/credentials/{credential}")),
        "{}",
        accepted[0]
    );
    let org = env
        .app
        .store()
        .organization(&env.seed.org_id)
        .await
        .unwrap()
        .name;
    let earned = mails(&smtp, JORDAN, &format!("You earned {ach_name} from {org}"));
    assert_eq!(earned.len(), 1, "{earned:?}");
    assert!(
        earned[0].contains(&format!("{PUBLIC_URL}/credentials/{credential}/claim")),
        "{}",
        earned[0]
    );

    // The same events again (a second server over the same database, or a retry): nothing.
    let sub = env.app.store().submission(&second).await.unwrap();
    assert_eq!(
        env.app.send_review_notice(&sub).await.unwrap(),
        pathledger_app::notify::NoticeOutcome::AlreadySent
    );
    assert_eq!(
        env.app
            .send_evidence_notice(
                &sub,
                pathledger_app::notify::EvidenceOutcome::Accepted,
                &mentor,
                None,
                Some(&credential),
            )
            .await
            .unwrap(),
        pathledger_app::notify::NoticeOutcome::AlreadySent
    );
    decide(&env, &second, json!({"decision": "accept"}))
        .await
        .problem(StatusCode::CONFLICT);
    assert!(settled().await);
    assert_eq!(mails(&smtp, MENTOR, &review).len(), 2);
    assert_eq!(
        mails(
            &smtp,
            JORDAN,
            &format!("Your evidence for {ach_name} was accepted")
        )
        .len(),
        1
    );

    // The assessor turns review notices off: the next submission asks nobody by mail.
    env.app
        .store()
        .set_notification_choice(MENTOR, "review", false)
        .await
        .unwrap();
    submit(
        &env,
        "mc-collaboration-1",
        "Led our grade-level PLC for a term.",
    )
    .await;
    assert!(settled().await);
    assert_eq!(mails(&smtp, MENTOR, &review).len(), 2);
}
