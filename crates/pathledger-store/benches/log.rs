//! The stored log's append rate and audit time on SQLite and PostgreSQL, each printed beside the
//! bare primitive measured right before it in the same run: the in-memory `MemoryLog` append
//! (leaf hash + tree nodes, no storage) for appends, and the same in-memory recomputation of the
//! log for the audit (which does that and reads and checks every stored row besides).
//!
//! Appends go through issuance with a trivial document (the cheapest public path that appends a
//! real leaf: one credential row, one status allocation and one log entry each), in bulk
//! batches and one committed transaction at a time.
//!
//! Env: PATHLEDGER_TEST_POSTGRES_URL (PostgreSQL part), PATHLEDGER_BENCH_AUDIT_ENTRIES (the log
//! size audited, default 100000), PATHLEDGER_BENCH_SINGLE (single-transaction appends, default
//! 500).

use std::time::Instant;

use pathledger_log::{leaf_hash, MemoryLog};
use pathledger_store::scratch::AdminConnection;
use pathledger_store::*;
use serde_json::json;

/// A trivial document: this bench measures the log and the rows around it, not signing.
fn tiny(ctx: IssueContext<'_>) -> Result<String, std::convert::Infallible> {
    Ok(format!("{{\"id\":\"{}\"}}", ctx.credential_id))
}

async fn setup(store: &Store) -> Result<IssueRequest, StoreError> {
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
    Ok(IssueRequest::new(
        &issuer.id,
        ach,
        Recipient::Educator(ed.id.into_string()),
    ))
}

/// Real leaf data from the store (issue events), for the baselines to hash the same bytes.
async fn sample_leaves(store: &Store) -> Result<Vec<Vec<u8>>, StoreError> {
    let size = store.log_size().await?;
    let from = size.saturating_sub(1000);
    Ok(store
        .log_entries(from, 1000)
        .await?
        .into_iter()
        .map(|e| e.data.into_bytes())
        .collect())
}

/// In-memory appends per second (leaf hash and completed nodes) over `n` leaves of `sample`.
fn memory_append_rate(sample: &[Vec<u8>], n: usize) -> f64 {
    let mut log = MemoryLog::new();
    let t = Instant::now();
    for i in 0..n {
        if log.append(&sample[i % sample.len()]).is_err() {
            break;
        }
    }
    std::hint::black_box(log.root());
    n as f64 / t.elapsed().as_secs_f64()
}

/// Seconds to recompute a log of `n` leaves of `sample` in memory (what the audit does besides
/// reading and checking the stored rows).
fn memory_recompute_secs(sample: &[Vec<u8>], n: usize) -> f64 {
    let t = Instant::now();
    let mut log = MemoryLog::new();
    for i in 0..n {
        if log
            .append_leaf_hash(leaf_hash(&sample[i % sample.len()]))
            .is_err()
        {
            break;
        }
    }
    std::hint::black_box(log.root());
    t.elapsed().as_secs_f64()
}

fn raw_leaf_hash_rate(sample: &[Vec<u8>], n: usize) -> f64 {
    let t = Instant::now();
    for i in 0..n {
        std::hint::black_box(leaf_hash(&sample[i % sample.len()]));
    }
    n as f64 / t.elapsed().as_secs_f64()
}

async fn run_backend(
    name: &str,
    store: &Store,
    audit_entries: u64,
    single: usize,
) -> Result<(), StoreError> {
    let req = setup(store).await?;
    // Warm-up (statement caches, the first status list) and leaves to sample.
    for r in store.bulk_issue(vec![req.clone(); 1000], tiny).await {
        r?;
    }
    let sample = sample_leaves(store).await?;
    let mean_leaf = sample.iter().map(Vec::len).sum::<usize>() / sample.len().max(1);

    // One committed transaction per append: what a server does for each issuance or revocation.
    let base = memory_append_rate(&sample, 200_000);
    let before = store.log_size().await?;
    let t = Instant::now();
    for _ in 0..single {
        store.issue(req.clone(), tiny).await?;
    }
    let secs = t.elapsed().as_secs_f64();
    let grown = store.log_size().await? - before;
    let rate = grown as f64 / secs;
    println!(
        "{name} append, one transaction each: {rate:>9.0} entries/s = {:.5}x MemoryLog append ({base:.0}/s), {grown} entries",
        rate / base
    );

    // Bulk: batches of 500 per transaction, up to the audited size.
    let base = memory_append_rate(&sample, 200_000);
    let before = store.log_size().await?;
    let t = Instant::now();
    let mut size = before;
    while size < audit_entries {
        let n = (audit_entries - size).min(20_000) as usize;
        for r in store.bulk_issue(vec![req.clone(); n], tiny).await {
            r?;
        }
        size = store.log_size().await?;
    }
    let secs = t.elapsed().as_secs_f64();
    let rate = (size - before) as f64 / secs;
    println!(
        "{name} append, bulk batches:         {rate:>9.0} entries/s = {:.4}x MemoryLog append ({base:.0}/s), {} entries",
        rate / base,
        size - before
    );

    // The audit over the whole log, beside the same recomputation in memory.
    store.sign_tree_head().await?;
    let mem = memory_recompute_secs(&sample, size as usize);
    let t = Instant::now();
    let report = store.audit().await?;
    let secs = t.elapsed().as_secs_f64();
    if !report.is_ok() {
        return Err(StoreError::Integrity {
            message: format!(
                "the bench log failed its audit: {:?}",
                report.problems.first()
            ),
        });
    }
    let per_100k = secs * 100_000.0 / report.entries_checked as f64;
    let mem_per_100k = mem * 100_000.0 / size as f64;
    println!(
        "{name} audit of {} entries: {secs:.2} s = {per_100k:.2} s per 100,000 entries; in-memory recompute {mem_per_100k:.3} s per 100,000 ({:.1}x faster); mean leaf {mean_leaf} B",
        report.entries_checked,
        per_100k / mem_per_100k
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
    let audit_entries = env_u64("PATHLEDGER_BENCH_AUDIT_ENTRIES", 100_000);
    let single = env_u64("PATHLEDGER_BENCH_SINGLE", 500) as usize;
    // The bare primitive once up front, on a leaf of typical size (an issue event is ~300 B).
    let leaf = vec![b'x'; 300];
    println!(
        "raw SHA-256 leaf hash (300 B):      {:>9.0} /s",
        raw_leaf_hash_rate(std::slice::from_ref(&leaf), 500_000)
    );

    let dir = tempfile::tempdir().map_err(|e| StoreError::Unavailable {
        message: e.to_string(),
    })?;
    let path = dir.path().join("log.db").to_string_lossy().into_owned();
    let store = Store::open(StoreConfig::new(path, Kek::generate()?)).await?;
    run_backend("SQLite", &store, audit_entries, single).await?;
    store.close().await;

    if let Ok(base) = std::env::var("PATHLEDGER_TEST_POSTGRES_URL") {
        let base = base.trim().to_owned();
        let name = format!("pllogbench_{}", std::process::id());
        let mut c = AdminConnection::connect(&base).await?;
        c.create_database(&name).await?;
        let url = pathledger_test_support::postgres::with_database(&base, &name);
        let r = async {
            let store = Store::open(StoreConfig::new(url, Kek::generate()?)).await?;
            let r = run_backend("PostgreSQL", &store, audit_entries, single).await;
            store.close().await;
            r
        }
        .await;
        c.drop_database(&name).await?;
        r?;
    } else {
        println!("PostgreSQL part skipped: PATHLEDGER_TEST_POSTGRES_URL is not set");
    }
    Ok(())
}

fn main() {
    // `cargo test --benches` runs this binary with `--bench` absent: keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("log bench: run with `cargo bench -p pathledger-store --bench log`");
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
