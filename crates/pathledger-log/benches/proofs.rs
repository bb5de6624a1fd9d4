//! Proof generation on a 1,000,000-leaf in-memory log, printed beside the raw SHA-256 rate.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use pathledger_log::{leaf_hash, node_hash, verify_inclusion, MemoryLog};

const LEAVES: u64 = 1_000_000;

fn build() -> MemoryLog {
    let mut log = MemoryLog::new();
    for i in 0..LEAVES {
        log.append(&i.to_be_bytes()).expect("append");
    }
    log
}

/// Mean time of `f` over `iters` runs.
fn time_per(iters: u32, mut f: impl FnMut(u32)) -> Duration {
    let start = Instant::now();
    for i in 0..iters {
        f(i);
    }
    start.elapsed() / iters
}

fn benches(c: &mut Criterion) {
    let t = Instant::now();
    let log = build();
    let build_time = t.elapsed();
    let size = log.size();
    let root = log.root();

    // Pseudo-random but deterministic indexes spread over the whole log.
    let pick = |i: u32| (u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15)) % size;

    let mut g = c.benchmark_group("log_1m");
    g.bench_function("inclusion_proof", |b| {
        let mut i = 0u32;
        b.iter(|| {
            i = i.wrapping_add(1);
            black_box(log.inclusion_proof(pick(i), size).expect("proof"))
        })
    });
    g.bench_function("consistency_proof", |b| {
        let mut i = 0u32;
        b.iter(|| {
            i = i.wrapping_add(1);
            black_box(log.consistency_proof(pick(i).max(1), size).expect("proof"))
        })
    });
    g.bench_function("verify_inclusion", |b| {
        let proof = log.inclusion_proof(123_457, size).expect("proof");
        let leaf = log.leaf(123_457).expect("leaf");
        b.iter(|| verify_inclusion(123_457, size, black_box(&leaf), &proof, &root))
    });
    g.bench_function("raw_node_hash", |b| {
        let (l, r) = ([1u8; 32], [2u8; 32]);
        b.iter(|| node_hash(black_box(&l), black_box(&r)))
    });
    g.finish();

    // Plain-timer summary so the ratio is printed in one place.
    let n = 20_000;
    let incl = time_per(n, |i| {
        black_box(log.inclusion_proof(pick(i), size).ok());
    });
    let cons = time_per(n, |i| {
        black_box(log.consistency_proof(pick(i).max(1), size).ok());
    });
    let sha = time_per(1_000_000, |i| {
        black_box(node_hash(&[i as u8; 32], &[7u8; 32]));
    });
    let leaf = time_per(1_000_000, |i| {
        black_box(leaf_hash(&i.to_be_bytes()));
    });
    println!("--- pathledger-log, {LEAVES} leaves (built in {build_time:?}) ---");
    println!(
        "inclusion proof:   {:>8.2} us/proof  ({:.0} proofs/s)",
        incl.as_secs_f64() * 1e6,
        1.0 / incl.as_secs_f64()
    );
    println!(
        "consistency proof: {:>8.2} us/proof  ({:.0} proofs/s)",
        cons.as_secs_f64() * 1e6,
        1.0 / cons.as_secs_f64()
    );
    println!(
        "raw SHA-256 node hash: {:.3} us ({:.0}/s); leaf hash {:.3} us",
        sha.as_secs_f64() * 1e6,
        1.0 / sha.as_secs_f64(),
        leaf.as_secs_f64() * 1e6
    );
    println!(
        "ratio: one inclusion proof costs {:.1} node hashes; one consistency proof {:.1}",
        incl.as_secs_f64() / sha.as_secs_f64(),
        cons.as_secs_f64() / sha.as_secs_f64()
    );
}

criterion_group!(name = group; config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(2)); targets = benches);
criterion_main!(group);
