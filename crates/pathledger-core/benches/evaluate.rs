//! Benchmark: evaluate every role for 10,000 synthetic educators (~30 credentials each)
//! against the default data, next to the bare primitive a verifier must run anyway:
//! SHA-256 over each educator's credentials once (~30 × 3 KB). Prints both per-educator
//! costs and the ratio; the goal is evaluation cheaper than hashing.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use pathledger_core::{Definitions, EducatorState, Endorsement};
use sha2::{Digest, Sha256};

const EDUCATORS: usize = 10_000;
const CREDS_PER_EDUCATOR: usize = 30;
const CREDENTIAL_BYTES: usize = 3 * 1024;
const POOL: usize = 512;

/// Small deterministic PRNG (xorshift64*), so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

struct Fixture {
    defs: Definitions,
    educators: Vec<EducatorState>,
    /// Per educator, indexes into `pool` of its credentials' bytes.
    cred_docs: Vec<Vec<usize>>,
    pool: Vec<Vec<u8>>,
}

fn fixture() -> Fixture {
    let defs = match Definitions::default_data() {
        Ok(d) => d,
        Err(e) => panic!("default data: {e}"),
    };
    let achs: Vec<_> = defs.achievements().iter().map(|a| a.id.clone()).collect();
    let roles: Vec<_> = defs.roles().iter().map(|r| r.id.clone()).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // A pool of ~3 KB credential-like documents (JSON text with a proof-sized tail).
    let pool: Vec<Vec<u8>> = (0..POOL)
        .map(|i| {
            let mut s = format!(
                "{{\"@context\":[\"https://www.w3.org/ns/credentials/v2\",\"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json\"],\"id\":\"urn:uuid:{i:08x}\",\"type\":[\"VerifiableCredential\",\"OpenBadgeCredential\"],\"credentialSubject\":{{\"achievement\":{{\"id\":\"{}\"}}}},\"proof\":\"",
                achs[i % achs.len()]
            );
            while s.len() < CREDENTIAL_BYTES - 2 {
                s.push(char::from(b'a' + (rng.below(26) as u8)));
            }
            s.push_str("\"}");
            s.into_bytes()
        })
        .collect();
    let mut educators = Vec::with_capacity(EDUCATORS);
    let mut cred_docs = Vec::with_capacity(EDUCATORS);
    for e in 0..EDUCATORS {
        let mut s = EducatorState::default();
        // ~30 distinct credentials drawn from every achievement (micro-credentials,
        // certificates, role awards) for realistic mixes of complete and partial stacks.
        let mut order: Vec<usize> = (0..achs.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for &a in order.iter().take(CREDS_PER_EDUCATOR.min(achs.len())) {
            s.add_credential(achs[a].clone());
        }
        s.years_experience = rng.below(15) as f64;
        for k in 0..rng.below(4) {
            s.endorsements.push(Endorsement {
                endorser: format!("did:example:{e}-{k}"),
                endorser_role: roles[rng.below(roles.len())].clone(),
                category: None,
                competency: None,
            });
        }
        for r in &roles {
            if rng.below(3) == 0 {
                s.rotations.push(r.clone());
            }
        }
        educators.push(s);
        cred_docs.push((0..CREDS_PER_EDUCATOR).map(|_| rng.below(POOL)).collect());
    }
    Fixture {
        defs,
        educators,
        cred_docs,
        pool,
    }
}

fn evaluate_all(f: &Fixture) -> usize {
    let mut met = 0;
    for s in &f.educators {
        let ev = f.defs.evaluate(black_box(s));
        met += ev.roles.iter().filter(|r| r.met).count();
    }
    met
}

fn hash_all(f: &Fixture) -> u8 {
    let mut acc = 0u8;
    for docs in &f.cred_docs {
        for &d in docs {
            let digest = Sha256::digest(black_box(&f.pool[d]));
            acc ^= digest[0];
        }
    }
    acc
}

/// Best of `rounds` wall-clock timings of `f`.
fn best_of<T>(rounds: usize, mut f: impl FnMut() -> T) -> Duration {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let f = fixture();
    let roles = f.defs.roles().len();
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    {
        let mut g = c.benchmark_group("pathway");
        g.throughput(Throughput::Elements(EDUCATORS as u64));
        g.bench_function("evaluate_all_roles_10k_educators", |b| {
            b.iter(|| evaluate_all(&f))
        });
        g.bench_function("sha256_30x3KB_10k_educators", |b| b.iter(|| hash_all(&f)));
        g.finish();
    }
    c.final_summary();

    // Same-run comparison, printed as per-educator costs and a ratio.
    let eval = best_of(3, || evaluate_all(&f));
    let hash = best_of(3, || hash_all(&f));
    let per_eval = eval.as_secs_f64() * 1e6 / EDUCATORS as f64;
    let per_hash = hash.as_secs_f64() * 1e6 / EDUCATORS as f64;
    let bytes = (CREDS_PER_EDUCATOR * CREDENTIAL_BYTES) as f64;
    println!();
    println!(
        "educators: {EDUCATORS}, credentials each: {CREDS_PER_EDUCATOR}, roles evaluated: {roles}"
    );
    println!(
        "evaluate every role : {per_eval:8.2} µs / educator  ({:.0} educators/s)",
        1e6 / per_eval
    );
    println!(
        "sha-256 ~{:.0} KB    : {per_hash:8.2} µs / educator  ({:.0} MB/s)",
        bytes / 1024.0,
        bytes / per_hash
    );
    println!(
        "ratio evaluation / hashing = {:.3} ({})",
        per_eval / per_hash,
        if per_eval < per_hash {
            "evaluation is cheaper: goal met"
        } else {
            "evaluation is MORE expensive: goal missed"
        }
    );
}
