//! Database faults seen through the HTTP API: PostgreSQL backends terminated mid-run and a
//! read-only SQLite database. Requests must fail cleanly (503 problem+json, `retryable`) or
//! succeed, succeed again after the fault, and leave no partial record behind.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{header, Method, StatusCode};
use common::*;
use pathledger_badges::Verdict;
use serde_json::{json, Value};

/// Asserts a clean, retryable failure: 503 problem+json with `retryable: true` and Retry-After.
fn assert_retryable(r: &Resp, what: &str) {
    let p = r.problem(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(p["retryable"], true, "{what}: {p}");
    assert!(
        r.headers.contains_key(header::RETRY_AFTER),
        "{what}: no Retry-After"
    );
}

/// Terminates every other backend connected to the environment's own database.
async fn terminate_backends(url: &str) -> i64 {
    use sqlx::Connection as _;
    let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
    let n: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut c)
    .await
    .expect("terminate backends");
    let _ = c.close().await;
    n
}

fn issue_req(env: &TestEnv, key: &str) -> axum::http::Request<axum::body::Body> {
    json_req(
        Method::POST,
        "/api/v1/credentials",
        Some(&env.token(ISSUER)),
        &json!({"achievement": "mc-tools-1", "recipient": format!("{key}@example.org"),
                "idempotency_key": key}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backends_terminated_mid_run() {
    let Some(env) = postgres_env().await else {
        return;
    };
    let url = env.postgres_url().expect("postgres url").to_owned();
    let env = std::sync::Arc::new(env);
    let size_before = env.tree_size().await;

    // Four clients issue while the database kills all their connections, five times.
    const CLIENTS: usize = 4;
    const EACH: usize = 15;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let env = env.clone();
            tokio::spawn(async move {
                let mut failed = Vec::new();
                for i in 0..EACH {
                    let key = format!("fault-{c}-{i}");
                    let r = env.call(issue_req(&env, &key)).await;
                    match r.status {
                        StatusCode::CREATED => {}
                        StatusCode::SERVICE_UNAVAILABLE => {
                            assert_retryable(&r, &key);
                            failed.push(key);
                        }
                        other => panic!("{key}: unexpected {other}: {}", r.text()),
                    }
                }
                failed
            })
        })
        .collect();
    let mut terminated = 0;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(40)).await;
        terminated += terminate_backends(&url).await;
    }
    let mut failed = Vec::new();
    for c in clients {
        failed.extend(c.await.expect("client"));
    }
    assert!(terminated > 0, "no backend was terminated");
    eprintln!(
        "terminated {terminated} backends; {} of {} requests failed retryably",
        failed.len(),
        CLIENTS * EACH
    );

    // After the fault, a retry with the same idempotency key succeeds: 201, or 200 when the
    // first attempt had committed before its connection died (a replay, nothing new issued).
    for key in &failed {
        let mut ok = false;
        for _ in 0..10 {
            let r = env.call(issue_req(&env, key)).await;
            match r.status {
                StatusCode::CREATED | StatusCode::OK => {
                    ok = true;
                    break;
                }
                StatusCode::SERVICE_UNAVAILABLE => {
                    assert_retryable(&r, key);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => panic!("{key} retry: unexpected {other}: {}", r.text()),
            }
        }
        assert!(ok, "{key}: still failing after the fault");
    }
    let health = env.call(get("/healthz")).await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.text());

    // No partial records: one credential per idempotency key, one issue leaf per credential.
    let store = env.app.store();
    let org = env.account(ISSUER).org_id.clone();
    let creds = store
        .credentials_for_org(&org, 100_000, 0)
        .await
        .expect("credentials");
    let mut per_key: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for c in &creds {
        if let Some(k) = c
            .idempotency_key
            .as_deref()
            .filter(|k| k.starts_with("fault-"))
        {
            per_key.entry(k.to_owned()).or_default().push(&c.id);
        }
    }
    assert_eq!(per_key.len(), CLIENTS * EACH, "missing credentials");
    for (k, ids) in &per_key {
        assert_eq!(ids.len(), 1, "{k} issued {} times", ids.len());
    }
    assert_eq!(
        env.tree_size().await,
        size_before + (CLIENTS * EACH) as u64,
        "log leaves and issued credentials disagree"
    );
    let audit = store.audit().await.expect("audit");
    assert!(audit.is_ok(), "{:?}", audit.problems);
    let docs: Vec<Value> = creds
        .iter()
        .filter(|c| per_key.contains_key(c.idempotency_key.as_deref().unwrap_or("")))
        .map(|c| serde_json::from_str(&c.document).expect("json"))
        .collect();
    for rep in env.app.verify_many(&docs).await {
        assert_eq!(rep.verdict, Verdict::Valid, "{:?}", rep.to_json());
    }
}

/// A server pointed at a database it may not write (a read-only mount, wrong permissions —
/// opened here with SQLite's `mode=ro`, since file modes do not bind a root test runner):
/// it refuses to start or refuses writes with a clear problem; the data stays intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_read_only_database() {
    let env = sqlite_env().await;
    issue_via_api(&env, "mc-tools-1", "before.read-only@example.org").await;
    let size = env.tree_size().await;
    let path = env.sqlite_path().expect("sqlite path");
    let ro = pathledger_server::App::open(pathledger_server::AppConfig {
        database_url: format!("sqlite:{}?mode=ro", path.display()),
        kek: env.kek.clone(),
        public_url: PUBLIC_URL.into(),
        trusted_issuers: Vec::new(),
        fetch: Default::default(),
        host_issuer: None,
        mail: env.mail_config(),
    })
    .await;
    match ro {
        Err(e) => {
            let msg = e.to_string().to_lowercase();
            assert!(
                msg.contains("read") || msg.contains("readonly"),
                "unclear start-up error: {msg}"
            );
        }
        Ok(ro) => {
            // Reads work; writes are refused with a problem, never a 500 or a half record.
            let r = call(&ro, get("/healthz")).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            let r = call(&ro, issue_req(&env, "read-only-1")).await;
            assert!(
                r.status.is_client_error() || r.status == StatusCode::SERVICE_UNAVAILABLE,
                "{} {}",
                r.status,
                r.text()
            );
            r.problem(r.status);
            ro.store().close().await;
        }
    }
    // The writable server still has everything and keeps working.
    assert_eq!(env.tree_size().await, size);
    let audit = env.app.store().audit().await.expect("audit");
    assert!(audit.is_ok(), "{:?}", audit.problems);
    issue_via_api(&env, "mc-tools-1", "after.read-only@example.org").await;
    assert_eq!(env.tree_size().await, size + 1);
}
