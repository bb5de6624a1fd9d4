//! Bulk issuance end to end (build, sign, allocate status, store, log) on SQLite and PostgreSQL,
//! printed beside the bare build+sign rate of the same run; and proof generation time on a
//! large SQLite log.
//!
//! Env: PATHLEDGER_TEST_POSTGRES_URL (PostgreSQL part), PATHLEDGER_BENCH_ROWS (default 20000),
//! PATHLEDGER_BENCH_LOG_SIZE (leaves for the proof benchmark, default 1000000; 0 skips it).

use std::time::Instant;

use ed25519_dalek::{Signer as _, SigningKey};
use pathledger_store::scratch::AdminConnection;
use pathledger_store::*;
use serde_json::json;

fn build(ctx: IssueContext<'_>) -> Result<String, serde_json::Error> {
    let unsigned = json!({
        "id": ctx.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": ctx.request.issuer_id,
        "validFrom": ctx.issued_ms,
        "credentialSubject": {"identifier": {"identityHash": ctx.recipient.identity_hash},
            "achievement": {"id": ctx.request.achievement_id}},
        "credentialStatus": {"statusListIndex": ctx.revocation.index.to_string(),
            "statusListCredential": ctx.revocation.list_url},
    });
    let bytes = serde_json::to_vec(&unsigned)?;
    let sig = ctx.key.sign(&bytes);
    let mut doc = unsigned;
    doc["proof"] = json!({"proofValue": hex::encode(sig)});
    Ok(doc.to_string())
}

/// The same document built and signed with no store around it.
fn bare(key: &SigningKey, i: u64) -> String {
    let unsigned = json!({
        "id": format!("urn:uuid:00000000-0000-4000-8000-{i:012}"),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": "iss_0123456789abcdef0123456789abcdef",
        "validFrom": 1_700_000_000_000i64,
        "credentialSubject": {"identifier": {"identityHash": "sha256$c7ef86405ba71b85acd8e2e95166c4b111448089f2e1599f42fe1bba46e865c5"},
            "achievement": {"id": "https://example.org/achievements/a"}},
        "credentialStatus": {"statusListIndex": (i * 7919 % 131072).to_string(),
            "statusListCredential": "http://127.0.0.1:8080/status/sl_0123456789abcdef0123456789abcdef"},
    });
    let bytes = serde_json::to_vec(&unsigned).unwrap_or_default();
    let sig = key.sign(&bytes).to_bytes();
    let mut doc = unsigned;
    doc["proof"] = json!({"proofValue": hex::encode(sig)});
    doc.to_string()
}

async fn setup(store: &Store) -> Result<(String, String, String), StoreError> {
    let org = store
        .create_organization("Bench District", "district", None)
        .await?;
    let issuer = store.create_issuer(&org.id, "Bench Issuer", None).await?;
    store.generate_issuer_key(&issuer.id).await?;
    let ach = "https://example.org/achievements/a";
    store
        .put_definition(
            &org.id,
            DefinitionKind::Achievement,
            ach,
            &json!({"name": "A"}),
        )
        .await?;
    let ed = store
        .create_educator(NewEducator {
            org_id: org.id.to_string(),
            display_name: "Bench".into(),
            emails: vec!["bench@example.org".into()],
            ..Default::default()
        })
        .await?;
    Ok((issuer.id, ach.to_owned(), ed.id.into_string()))
}

async fn bulk_rate(store: &Store, rows: usize) -> Result<f64, StoreError> {
    let (issuer, ach, ed) = setup(store).await?;
    let req = IssueRequest::new(&issuer, &ach, Recipient::Educator(ed));
    // Warm-up (statement caches, first list).
    for r in store.bulk_issue(vec![req.clone(); 200], build).await {
        r?;
    }
    let t = Instant::now();
    let res = store.bulk_issue(vec![req; rows], build).await;
    let secs = t.elapsed().as_secs_f64();
    let ok = res.iter().filter(|r| r.is_ok()).count();
    if ok != rows {
        if let Some(Err(e)) = res.into_iter().find(|r| r.is_err()) {
            return Err(e);
        }
    }
    Ok(rows as f64 / secs)
}

fn bare_rate(n: u64) -> f64 {
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let t = Instant::now();
    let mut total = 0usize;
    for i in 0..n {
        total += bare(&key, i).len();
    }
    std::hint::black_box(total);
    n as f64 / t.elapsed().as_secs_f64()
}

fn raw_sign_rate(n: u64) -> f64 {
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let msg = [0x42u8; 600];
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(key.sign(&msg));
    }
    n as f64 / t.elapsed().as_secs_f64()
}

async fn proofs(log_size: u64) -> Result<(), StoreError> {
    let dir = tempfile::tempdir().map_err(|e| StoreError::Unavailable {
        message: e.to_string(),
    })?;
    let path = dir.path().join("proofs.db").to_string_lossy().into_owned();
    let store = Store::open(StoreConfig::new(path, Kek::generate()?)).await?;
    let (issuer, ach, ed) = setup(&store).await?;
    let req = IssueRequest::new(&issuer, &ach, Recipient::Educator(ed));
    let t = Instant::now();
    // A trivial builder: this part only grows the log.
    let tiny = |ctx: IssueContext<'_>| -> Result<String, std::convert::Infallible> {
        Ok(format!("{{\"id\":\"{}\"}}", ctx.credential_id))
    };
    let mut size = store.log_size().await?;
    while size < log_size {
        let n = (log_size - size).min(20_000) as usize;
        for r in store.bulk_issue(vec![req.clone(); n], tiny).await {
            r?;
        }
        size = store.log_size().await?;
    }
    println!(
        "proof log: grew to {size} leaves in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let n = 2000;
    let t = Instant::now();
    for _ in 0..n {
        let i = next() % size;
        std::hint::black_box(store.inclusion_proof(i, size).await?);
    }
    let incl = t.elapsed().as_secs_f64() / n as f64;
    let t = Instant::now();
    for _ in 0..n {
        let m = 1 + next() % (size - 1);
        std::hint::black_box(store.consistency_proof(m, size).await?);
    }
    let cons = t.elapsed().as_secs_f64() / n as f64;
    println!(
        "proofs on a {size}-leaf SQLite log: inclusion {:.1} µs, consistency {:.1} µs (mean of {n}, one indexed query each)",
        incl * 1e6,
        cons * 1e6
    );
    Ok(())
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run() -> Result<(), StoreError> {
    let rows = env_u64("PATHLEDGER_BENCH_ROWS", 20_000) as usize;
    let sign = raw_sign_rate(20_000);
    let bare = bare_rate(20_000);
    println!("raw Ed25519 sign (600 B):           {sign:>9.0} /s");
    println!("bare build+sign (closure, no store): {bare:>9.0} /s");

    let dir = tempfile::tempdir().map_err(|e| StoreError::Unavailable {
        message: e.to_string(),
    })?;
    let path = dir.path().join("bench.db").to_string_lossy().into_owned();
    let store = Store::open(StoreConfig::new(path, Kek::generate()?)).await?;
    let r = bulk_rate(&store, rows).await?;
    println!(
        "SQLite bulk issue end to end:        {r:>9.0} /s  = {:.2}x bare build+sign (goal 0.5x), {:.2}x raw sign",
        r / bare,
        r / sign
    );
    store.close().await;

    if let Ok(base) = std::env::var("PATHLEDGER_TEST_POSTGRES_URL") {
        let name = format!("plbench_{}", std::process::id());
        let mut c = AdminConnection::connect(&base).await?;
        c.create_database(&name).await?;
        let url = match base.rfind('/') {
            Some(i) if i > "postgres://".len() => format!("{}/{}", &base[..i], name),
            _ => format!("{}/{}", base.trim_end_matches('/'), name),
        };
        let store = Store::open(StoreConfig::new(url, Kek::generate()?)).await?;
        let r = bulk_rate(&store, rows).await;
        store.close().await;
        c.drop_database(&name).await?;
        let r = r?;
        println!(
            "PostgreSQL bulk issue end to end:    {r:>9.0} /s  = {:.2}x bare build+sign (goal 0.3x), {:.2}x raw sign",
            r / bare,
            r / sign
        );
    } else {
        println!("PostgreSQL part skipped: PATHLEDGER_TEST_POSTGRES_URL is not set");
    }

    let log_size = env_u64("PATHLEDGER_BENCH_LOG_SIZE", 1_000_000);
    if log_size > 1 {
        proofs(log_size).await?;
    }
    Ok(())
}

fn main() {
    // `cargo test --benches` runs this binary with `--bench` absent: keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("issuance bench: run with `cargo bench -p pathledger-store`");
        return;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(run()) {
        eprintln!("benchmark failed: {e}");
        std::process::exit(1);
    }
}
