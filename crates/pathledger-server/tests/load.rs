//! Sustained load over a real socket: concurrent clients issue and verify against one server
//! (SQLite and PostgreSQL) for a fixed number of requests. Zero errors are allowed; afterwards
//! every issued credential is stored byte for byte and still verifies, the transparency log holds
//! exactly one issue leaf per credential and passes its audit, and no status index is shared.

mod common;

use std::collections::{BTreeMap, HashSet};

use axum::http::StatusCode;
use common::*;
use pathledger_badges::Verdict;
use serde_json::{json, Value};

const CLIENTS: usize = 8;
const PER_CLIENT: usize = 25;

/// What one client saw: the credentials it was given and every error it met.
struct ClientRun {
    issued: Vec<(String, Value)>,
    errors: Vec<String>,
}

/// One client: `PER_CLIENT` rounds of issue-then-verify on its own keep-alive connection.
async fn client(addr: std::net::SocketAddr, token: String, c: usize) -> ClientRun {
    let mut http = HttpClient::new(addr);
    let mut run = ClientRun {
        issued: Vec::new(),
        errors: Vec::new(),
    };
    for i in 0..PER_CLIENT {
        let body = json!({
            "achievement": "mc-tools-1",
            "recipient": format!("load-{c}-{i}@example.org"),
            "idempotency_key": format!("load-{c}-{i}"),
        });
        let bytes = serde_json::to_vec(&body).expect("json");
        let r = match http
            .send("POST", "/api/v1/credentials", Some(&token), Some(&bytes))
            .await
        {
            Ok(r) => r,
            Err(e) => {
                run.errors.push(format!("client {c} issue {i}: {e}"));
                continue;
            }
        };
        if r.status != StatusCode::CREATED {
            run.errors
                .push(format!("client {c} issue {i}: {} {}", r.status, r.text()));
            continue;
        }
        let answer = r.json();
        let id = answer["id"].as_str().unwrap_or_default().to_owned();
        let cred = answer["verifiableCredential"].clone();

        let bytes = serde_json::to_vec(&cred).expect("json");
        match http
            .send("POST", "/api/v1/verify", None, Some(&bytes))
            .await
        {
            Ok(r) if r.status == StatusCode::OK && r.json()["verdict"] == "valid" => {}
            Ok(r) => run
                .errors
                .push(format!("client {c} verify {i}: {} {}", r.status, r.text())),
            Err(e) => run.errors.push(format!("client {c} verify {i}: {e}")),
        }
        run.issued.push((id, cred));
    }
    run
}

async fn sustained_load(env: &TestEnv, addr: std::net::SocketAddr) {
    let store = env.app.store();
    let size_before = env.tree_size().await;
    let token = env.token(ISSUER);
    let org = env.account(ISSUER).org_id.clone();

    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| tokio::spawn(client(addr, token.clone(), c)))
        .collect();
    let mut issued = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        let run = t.await.expect("client task");
        issued.extend(run.issued);
        errors.extend(run.errors);
    }
    assert!(errors.is_empty(), "{} errors: {errors:#?}", errors.len());
    assert_eq!(issued.len(), CLIENTS * PER_CLIENT);

    // Every credential is stored exactly as it was handed out, once.
    let ids: HashSet<&str> = issued.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids.len(),
        issued.len(),
        "a credential id was handed out twice"
    );
    for (id, cred) in &issued {
        let rec = store
            .credential(id)
            .await
            .expect("issued credential stored");
        let stored: Value = serde_json::from_str(&rec.document).expect("stored JSON");
        assert_eq!(
            &stored, cred,
            "{id}: stored document differs from the answer"
        );
        assert_eq!(rec.org_id, org);
    }
    // …and all of them still verify, afterwards, in one batch.
    let docs: Vec<Value> = issued.iter().map(|(_, c)| c.clone()).collect();
    for (rep, (id, _)) in env.app.verify_many(&docs).await.iter().zip(&issued) {
        assert_eq!(rep.verdict, Verdict::Valid, "{id}: {:?}", rep.to_json());
    }

    // The log grew by exactly one issue leaf per credential, and its audit passes.
    assert_eq!(
        env.tree_size().await,
        size_before + (CLIENTS * PER_CLIENT) as u64
    );
    let size = store.log_size().await.expect("log size");
    let mut issue_leaves: BTreeMap<String, usize> = BTreeMap::new();
    let mut from = 0;
    while from < size {
        let page = store.log_entries(from, 500).await.expect("log entries");
        assert!(!page.is_empty(), "log entries end before the log size");
        for e in &page {
            if e.event == "issue" {
                if let Some(id) = &e.credential_id {
                    *issue_leaves.entry(id.clone()).or_default() += 1;
                }
            }
        }
        from += page.len() as u64;
    }
    for (id, _) in &issued {
        assert_eq!(issue_leaves.get(id), Some(&1), "{id}: issue leaves");
    }
    let audit = store.audit().await.expect("audit");
    assert!(audit.is_ok(), "{:?}", audit.problems);

    // No two credentials share a status list bit.
    let all = store
        .credentials_for_org(&org, 100_000, 0)
        .await
        .expect("org credentials");
    assert!(all.len() >= issued.len());
    let mut bits = HashSet::new();
    for rec in &all {
        for a in std::iter::once(&rec.revocation).chain(rec.suspension.as_ref()) {
            assert!(
                bits.insert((a.list_id.clone(), a.index)),
                "status bit {}#{} assigned twice",
                a.list_id,
                a.index
            );
        }
    }
    // The organization's credentials and its issue leaves agree (no orphan on either side).
    let org_issue_leaves = all
        .iter()
        .filter(|r| issue_leaves.contains_key(&r.id))
        .count();
    assert_eq!(org_issue_leaves, all.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sustained_load_on_sqlite() {
    let (env, addr, server) = start_server(false).await.expect("sqlite server");
    sustained_load(&env, addr).await;
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sustained_load_on_postgres() {
    let Some((env, addr, server)) = start_server(true).await else {
        return;
    };
    sustained_load(&env, addr).await;
    server.abort();
}
