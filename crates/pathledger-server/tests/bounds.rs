//! Work a stranger cannot blow up: every roster or batch endpoint refuses the row after
//! `MAX_ROSTER_ROWS` (counted while reading, never materializing the rest), a batch of
//! credentials built to make RDFC canonicalization expensive spends at most one request's budget
//! and reports the rest as over budget, verification takes turns with page requests, and
//! verification whose request has gone stops.
//!
//! The expensive credentials are blank-node cliques: every blank node of the subject links to
//! every other, so all have the same first-degree hash and RDFC-1.0 falls back to the hash
//! N-degree quads algorithm until its per-canonicalization limit stops it. Canonicalization
//! comes before the signature check, so they need no valid signature.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use pathledger_server::app::bulk::MAX_ROSTER_ROWS;
use pathledger_server::app::{VerifyWork, REQUEST_WORK_BUDGET};
use pathledger_signing::rdfc::{HNDQ_CALL_LIMIT, HNDQ_FIRST_TRY};
use serde_json::{json, Value};

/// Blank nodes in each clique: enough that canonicalization runs into its limit.
const CLIQUE: usize = 7;

/// The link between clique members: an absolute IRI, so no context has to define it.
const KNOWS: &str = "https://schema.org/knows";

/// An eddsa-rdfc-2022 "credential" whose subject links to a clique of `CLIQUE` blank nodes.
fn clique_credential(i: usize) -> Value {
    let key = pathledger_signing::SigningKey::from_seed([7; 32]).public_key();
    let nodes: Vec<Value> = (0..CLIQUE)
        .map(|a| {
            let others: Vec<Value> = (0..CLIQUE)
                .filter(|b| *b != a)
                .map(|b| json!({"id": format!("_:n{b}")}))
                .collect();
            json!({"id": format!("_:n{a}"), KNOWS: others})
        })
        .collect();
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": key.did_key(),
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": format!("urn:example:subject:{i}"), KNOWS: nodes},
        "proof": {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "verificationMethod": key.did_key_verification_method(),
            "proofPurpose": "assertionMethod",
            "created": "2024-01-01T00:00:00Z",
            // 64 zero bytes: well-formed, never reached (canonicalization fails first).
            "proofValue": format!("z{}", "1".repeat(64)),
        },
    })
}

fn with_cookie(mut req: Request<Body>, cookie: &str) -> Request<Body> {
    req.headers_mut().insert(
        header::COOKIE,
        header::HeaderValue::from_str(cookie).expect("cookie"),
    );
    req
}

fn assert_names_the_cap(p: &Value, field: &str, what: &str) {
    assert_eq!(p["field"], field, "{what}: {p}");
    let detail = p["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains(&MAX_ROSTER_ROWS.to_string()),
        "{what}: the refusal names the cap: {p}"
    );
}

#[tokio::test]
async fn every_roster_endpoint_refuses_the_row_past_the_cap() {
    let env = sqlite_env().await;
    let size = env.tree_size().await;
    let over = MAX_ROSTER_ROWS + 1;

    // Bulk verify page: a roster of cap + 1 rows, and the reported attack, two million rows
    // in 8 MB (read up to the row past the cap, never rendered).
    for rows in [over, 2_000_000] {
        let mut roster = String::with_capacity(16 + rows * 4);
        roster.push_str("name,credential\n");
        for _ in 0..rows {
            roster.push_str("a,b\n");
        }
        let r = env
            .call(multipart_req(
                "/verify/bulk",
                &[("roster", Some("roster.csv"), &roster)],
            ))
            .await;
        let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_names_the_cap(&p, "roster", &format!("{rows}-row roster"));
    }
    // … and as many credential files.
    let files: Vec<(&str, Option<&str>, &str)> =
        (0..over).map(|_| ("files", Some("c.json"), "{}")).collect();
    let r = env.call(multipart_req("/verify/bulk", &files)).await;
    assert_names_the_cap(
        &r.problem(StatusCode::UNPROCESSABLE_ENTITY),
        "files",
        "files",
    );

    // Batch verification: cap + 1 items, and two million (counted before parsing).
    for n in [over, 2_000_000] {
        let body = format!("[{}0]", "0,".repeat(n - 1));
        let r = env
            .call(raw_json_req(
                Method::POST,
                "/api/v1/verify/batch",
                None,
                body,
            ))
            .await;
        assert_names_the_cap(
            &r.problem(StatusCode::UNPROCESSABLE_ENTITY),
            "",
            &format!("batch of {n}"),
        );
    }
    // Exactly the cap is answered, one report per item.
    let body = format!("[{}0]", "0,".repeat(MAX_ROSTER_ROWS - 1));
    let r = env
        .call(raw_json_req(
            Method::POST,
            "/api/v1/verify/batch",
            None,
            body,
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json().as_array().map(Vec::len), Some(MAX_ROSTER_ROWS));

    // Bulk issuance by API: refused before any row is issued.
    let rows: Vec<Value> = (0..over)
        .map(|i| json!({"achievement": "mc-tools-1", "recipient": format!("cap{i}@riverside.example")}))
        .collect();
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/credentials/bulk",
            Some(&env.token(ISSUER)),
            &json!({"rows": rows}),
        ))
        .await;
    assert_names_the_cap(
        &r.problem(StatusCode::UNPROCESSABLE_ENTITY),
        "/rows",
        "API bulk issue",
    );

    // Bulk issuance page: the CSV upload is refused, the page says why and names the cap.
    let session = sign_in(&env, ISSUER).await;
    let mut csv = String::from("achievement,recipient\n");
    for i in 0..over {
        csv.push_str(&format!("mc-tools-1,page{i}@riverside.example\n"));
    }
    let r = env
        .call(session.multipart("/admin/bulk", &[("rows", Some("rows.csv"), &csv)]))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(
        r.text().contains(&MAX_ROSTER_ROWS.to_string()),
        "{}",
        r.text()
    );

    assert_eq!(
        env.tree_size().await,
        size,
        "a refused roster issued something"
    );
}

#[tokio::test]
async fn one_clique_is_stopped_by_the_per_document_limit() {
    let env = sqlite_env().await;
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/verify",
            None,
            &clique_credential(0),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let report = r.json();
    assert_eq!(report["verdict"], "malformed", "{report}");
    assert_eq!(
        report["checks"][2]["code"], "CANONICALIZATION_ERROR",
        "{report}"
    );
}

#[tokio::test]
async fn a_batch_of_cliques_spends_one_request_budget_and_reports_the_rest() {
    let env = sqlite_env().await;
    let n = 40;
    let mut batch: Vec<Value> = (0..n).map(clique_credential).collect();
    // Credentials we issue need no hash N-degree quads work: still verified after the budget.
    batch.push(env.credential_json(&env.sample("valid")).await);
    let before = env.app.verification_work_spent();
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/verify/batch",
            None,
            &Value::Array(batch),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let reports = r.json();
    let reports = reports.as_array().expect("an array of reports");
    assert_eq!(reports.len(), n + 1);
    let proof_code = |r: &Value| r["checks"][2]["code"].as_str().unwrap_or("").to_owned();
    let at_limit = reports[..n]
        .iter()
        .filter(|r| r["verdict"] == "malformed" && proof_code(r) == "CANONICALIZATION_ERROR")
        .count();
    let over_budget: Vec<&Value> = reports[..n]
        .iter()
        .filter(|r| r["verdict"] == "could_not_check" && proof_code(r) == "WORK_BUDGET_SPENT")
        .collect();
    assert_eq!(at_limit + over_budget.len(), n, "{reports:?}");
    assert!(
        at_limit <= REQUEST_WORK_BUDGET / HNDQ_CALL_LIMIT,
        "at most the budget's worth of cliques canonicalized to the limit: {at_limit}"
    );
    assert!(
        over_budget[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("work budget")),
        "{}",
        over_budget[0]
    );
    assert_eq!(reports[n]["verdict"], "valid", "{}", reports[n]);
    let spent = env.app.verification_work_spent() - before;
    assert!(
        spent <= REQUEST_WORK_BUDGET as u64,
        "the batch spent {spent} calls, over the request budget {REQUEST_WORK_BUDGET}"
    );
}

/// Several verifications with budgets far beyond a request's keep every verification slot busy;
/// a signed-in dashboard (which re-verifies the educator's credentials) still answers while
/// they run, because verification takes turns in steps. Once they are dropped, their work
/// stops within the document each slot had in hand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_answer_during_long_verifications_and_dropped_work_stops() {
    let env = sqlite_env().await;
    let cookie = login(&env, JORDAN).await;
    let slots = env.app.verify_slots();
    let cliques: Arc<Vec<Value>> = Arc::new((0..400).map(clique_credential).collect());
    let finished = Arc::new(AtomicBool::new(false));
    let runs: Vec<_> = (0..2 * slots)
        .map(|_| {
            let (app, docs, finished) = (env.app.clone(), cliques.clone(), finished.clone());
            tokio::spawn(async move {
                let work = VerifyWork::new(usize::MAX);
                app.verify_many_within(&docs, &work).await;
                finished.store(true, Ordering::SeqCst);
            })
        })
        .collect();
    let start = env.app.verification_work_spent();
    for _ in 0..1000 {
        if env.app.verification_work_spent() > start {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        env.app.verification_work_spent() > start,
        "the long verifications never spent any work"
    );

    let r = env
        .call(with_cookie(
            Request::builder()
                .uri("/dashboard")
                .body(Body::empty())
                .expect("request"),
            &cookie,
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = env.call(get("/healthz")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !finished.load(Ordering::SeqCst),
        "the pages should have answered while the long verifications still ran"
    );

    // The requests go away: their work is cancelled.
    for run in &runs {
        run.abort();
    }
    for run in runs {
        let _ = run.await;
    }
    let at_drop = env.app.verification_work_spent();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let settled = env.app.verification_work_spent();
    // At most the clique each slot had in hand is finished (its document and proof
    // configuration, each a first try and a whole limit).
    let one_document = 2 * (HNDQ_FIRST_TRY + HNDQ_CALL_LIMIT) as u64;
    assert!(
        settled - at_drop <= slots as u64 * one_document,
        "work went on after the requests were dropped: {at_drop} then {settled}"
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        env.app.verification_work_spent(),
        settled,
        "work still going on after the requests were dropped"
    );
    assert!(!finished.load(Ordering::SeqCst));

    // The slots are free again: an ordinary verification answers.
    let valid = env.credential_json(&env.sample("valid")).await;
    assert_eq!(env.app.verify(&valid).await.verdict.code(), "valid");
}
