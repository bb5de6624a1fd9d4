//! The notice choices page behind every notice's unsubscribe link: it opens without signing
//! in (the link's token is the permission), saves what is ticked, turns everything off at once,
//! and a token that stands for nobody changes nothing (404). A signed-in browser posting it
//! without its form token is refused like any other form (CSRF). SQLite and PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;

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
