//! Signing/verification throughput next to the bare primitives, measured in the same run.
//!
//! Prints raw ed25519-dalek sign/verify rates beside eddsa-jcs-2022 and eddsa-rdfc-2022
//! sign/verify on a ~3 KB Open Badges 3.0 credential, our JCS beside `serde_jcs`, and batch
//! verification on all cores, each with its ratio and the goal from issue 4. Criterion then
//! records the same operations.

use criterion::{black_box, Criterion};
use pathledger_signing::{
    jcs, sign_document, verify_batch, verify_document, Cryptosuite, DidKeyResolver, ProofOptions,
    SigningKey,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn credential() -> Value {
    let text = include_str!("../../../tests/vectors/eddsa/project-ob-unsigned.json");
    let mut doc: Value = serde_json::from_str(text).expect("bundled vector parses");
    // Grow the §1.4 example to a realistic ~3 KB: more alignments and evidence.
    let achievement = &mut doc["credentialSubject"]["achievement"];
    if let Some(alignments) = achievement["alignment"].as_array_mut() {
        for i in 0..3 {
            alignments.push(json!({
                "type": ["Alignment"],
                "targetName": format!("Provides timely, specific feedback to learners (indicator {i})"),
                "targetUrl": format!("https://example.org/case/uri/8e0c2a6e-1b6b-4c1e-9a0e-2f7d3c4b5a6{i}"),
                "targetType": "CFItem",
                "targetCode": format!("T.3.{}", i + 3),
                "targetFramework": "Example Teaching Standards"
            }));
        }
    }
    if let Some(evidence) = doc["evidence"].as_array_mut() {
        for i in 0..2 {
            evidence.push(json!({
                "id": format!("https://example.org/evidence/12{i}"),
                "type": ["Evidence"],
                "name": format!("Coach observation {i}"),
                "description": "Observed lesson with formative checks and adjusted grouping."
            }));
        }
    }
    doc
}

/// Runs `f` repeatedly for about `budget` and returns operations per second.
fn rate(budget: Duration, mut f: impl FnMut()) -> f64 {
    // Warm-up (also fills the context cache).
    for _ in 0..3 {
        f();
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        f();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn report() {
    let budget = Duration::from_millis(1500);
    let key = SigningKey::from_seed([7; 32]);
    let vm = key.public_key().did_key_verification_method();
    let doc = credential();
    let size = jcs::canonicalize(&doc).map(|s| s.len()).unwrap_or(0);
    let msg = [0x42u8; 64];
    let sig = key.sign_raw(&msg);
    let pk = key.public_key();

    let raw_sign = rate(budget, || {
        black_box(key.sign_raw(black_box(&msg)));
    });
    let raw_verify = rate(budget, || {
        black_box(pk.verify_raw(black_box(&msg), &sig));
    });

    let mut lines = Vec::new();
    lines.push(format!("credential: {size} bytes (JCS)"));
    lines.push(format!("raw ed25519 sign      {raw_sign:>10.0}/s"));
    lines.push(format!("raw ed25519 verify    {raw_verify:>10.0}/s"));
    for (suite, sign_goal, verify_goal) in [
        (Cryptosuite::EddsaJcs2022, Some(0.5), 0.5),
        (Cryptosuite::EddsaRdfc2022, None, 0.1),
    ] {
        let opts = ProofOptions {
            cryptosuite: suite,
            verification_method: vm.clone(),
            created: Some("2024-01-01T00:00:00Z".into()),
            proof_purpose: "assertionMethod".into(),
            challenge: None,
            domain: None,
        };
        let signed = match sign_document(&doc, &key, &opts) {
            Ok(s) => s,
            Err(e) => {
                lines.push(format!("{suite}: signing failed: {e}"));
                continue;
            }
        };
        assert!(verify_document(&signed, &DidKeyResolver).is_verified());
        let s = rate(budget, || {
            black_box(sign_document(black_box(&doc), &key, &opts).ok());
        });
        let v = rate(budget, || {
            black_box(verify_document(black_box(&signed), &DidKeyResolver));
        });
        let goal = |g: Option<f64>| g.map_or("(no goal)".to_string(), |g| format!("(goal ≥ {g}×)"));
        lines.push(format!(
            "{suite} sign   {s:>10.0}/s  = {:.3}× raw sign   {}",
            s / raw_sign,
            goal(sign_goal)
        ));
        lines.push(format!(
            "{suite} verify {v:>10.0}/s  = {:.3}× raw verify {}",
            v / raw_verify,
            goal(Some(verify_goal))
        ));
        let batch: Vec<Value> = std::iter::repeat_n(signed.clone(), 64).collect();
        let b = rate(budget, || {
            black_box(verify_batch(black_box(&batch), &DidKeyResolver));
        }) * batch.len() as f64;
        lines.push(format!(
            "{suite} verify_batch {b:>10.0}/s on {} threads = {:.2}× single-thread verify",
            rayon::current_num_threads(),
            b / v
        ));
    }
    let ours = rate(budget, || {
        black_box(jcs::canonicalize(black_box(&doc)).ok());
    });
    let theirs = rate(budget, || {
        black_box(serde_jcs::to_string(black_box(&doc)).ok());
    });
    lines.push(format!(
        "JCS ours {ours:>10.0}/s  serde_jcs {theirs:>10.0}/s  = {:.2}× (goal ≥ 3×)",
        ours / theirs
    ));
    println!("\n== pathledger-signing rates (same run) ==");
    for l in lines {
        println!("{l}");
    }
    println!();
}

fn criterion_benches(c: &mut Criterion) {
    let key = SigningKey::from_seed([7; 32]);
    let vm = key.public_key().did_key_verification_method();
    let doc = credential();
    let msg = [0x42u8; 64];
    let sig = key.sign_raw(&msg);
    let pk = key.public_key();
    c.bench_function("raw_ed25519_sign", |b| {
        b.iter(|| key.sign_raw(black_box(&msg)))
    });
    c.bench_function("raw_ed25519_verify", |b| {
        b.iter(|| pk.verify_raw(black_box(&msg), &sig))
    });
    for suite in [Cryptosuite::EddsaJcs2022, Cryptosuite::EddsaRdfc2022] {
        let opts = ProofOptions::assertion(suite, vm.clone());
        let Ok(signed) = sign_document(&doc, &key, &opts) else {
            continue;
        };
        c.bench_function(&format!("{suite}_sign"), |b| {
            b.iter(|| sign_document(black_box(&doc), &key, &opts).ok())
        });
        c.bench_function(&format!("{suite}_verify"), |b| {
            b.iter(|| verify_document(black_box(&signed), &DidKeyResolver))
        });
    }
    c.bench_function("jcs_ours", |b| {
        b.iter(|| jcs::canonicalize(black_box(&doc)).ok())
    });
    c.bench_function("jcs_serde_jcs", |b| {
        b.iter(|| serde_jcs::to_string(black_box(&doc)).ok())
    });
}

fn main() {
    report();
    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    criterion_benches(&mut c);
    c.final_summary();
}
