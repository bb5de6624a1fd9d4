//! Two servers on one database: a status change made through one is seen by the other's
//! verifier within `LIST_VERSION_TTL` (each server trusts a list version it confirmed for that
//! long, sparing every verification a database round trip), and by its own at once.

mod common;

use common::*;
use pathledger_app::{App, AppConfig};
use pathledger_store::StatusChange;

async fn second_app(env: &TestEnv) -> Option<App> {
    let database_url = match (env.postgres_url(), env.sqlite_path()) {
        (Some(url), _) => url.to_owned(),
        (None, Some(path)) => format!("sqlite:{}", path.display()),
        _ => return None,
    };
    Some(
        App::open(AppConfig {
            database_url,
            kek: env.kek.clone(),
            public_url: PUBLIC_URL.into(),
            trusted_issuers: Vec::new(),
            fetch: Default::default(),
            host_issuer: None,
            mail: env.mail_config(),
        })
        .await
        .expect("second app"),
    )
}

async fn check(env: TestEnv) {
    let other = second_app(&env)
        .await
        .expect("a second app on the same database");
    let issued = issue_via_api(&env, "mc-tools-1", "shared.lists@example.org").await;
    let cred = issued["verifiableCredential"].clone();
    let id = issued["id"].as_str().unwrap().to_owned();
    assert_eq!(env.app.verify(&cred).await.verdict.code(), "valid");
    assert_eq!(other.verify(&cred).await.verdict.code(), "valid");

    // Revoked through the first: the first sees it at once.
    env.app
        .change_status(&id, StatusChange::Revoke, Some("test"), None)
        .await
        .expect("revoke");
    assert_eq!(env.app.verify(&cred).await.verdict.code(), "revoked");
    // The second within the time it trusts a confirmed list version.
    let deadline = std::time::Instant::now()
        + pathledger_app::LIST_VERSION_TTL
        + std::time::Duration::from_secs(5);
    loop {
        let v = other.verify(&cred).await.verdict.code();
        if v == "revoked" {
            break;
        }
        assert_eq!(v, "valid");
        assert!(
            std::time::Instant::now() < deadline,
            "the second server still says valid after {:?}",
            pathledger_app::LIST_VERSION_TTL
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // And the list it publishes says so too.
    assert_eq!(other.verify(&cred).await.verdict.code(), "revoked");
}

#[tokio::test]
async fn sqlite_servers_see_each_others_status_changes() {
    check(sqlite_env().await).await;
}

#[tokio::test]
async fn postgres_servers_see_each_others_status_changes() {
    if let Some(env) = postgres_env().await {
        check(env).await;
    }
}

/// Each server signs a head within its interval of any change to the shared log; two signing
/// at once never fork it, and the audit stays clean.
async fn heads_follow_changes(env: TestEnv) {
    let other = second_app(&env)
        .await
        .expect("a second app on the same database");
    let every = std::time::Duration::from_millis(50);
    let a = env.app.spawn_head_signer(every);
    let b = other.spawn_head_signer(every);
    for i in 0..3 {
        issue_via_api(&env, "mc-tools-1", &format!("heads{i}@example.org")).await;
        let size = env.app.store().log_size().await.unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let head = env.app.store().latest_tree_head().await.unwrap();
            if head.as_ref().is_some_and(|h| h.tree_size >= size) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no head covers size {size}: {head:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    a.abort();
    b.abort();
    let r = env.app.store().audit().await.unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
    assert!(r.heads_checked >= 3, "{r:?}");
}

#[tokio::test]
async fn sqlite_heads_follow_changes() {
    heads_follow_changes(sqlite_env().await).await;
}

#[tokio::test]
async fn postgres_heads_follow_changes() {
    if let Some(env) = postgres_env().await {
        heads_follow_changes(env).await;
    }
}
