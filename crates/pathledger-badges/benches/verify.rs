//! Verification throughput: full reports (single and batched on all cores) beside bare
//! eddsa-jcs-2022 proof verification and raw Ed25519 verification measured in the same run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use pathledger_badges::{
    open_badge_credential, AchievementInput, Criteria, IssuerProfile, OpenBadgeInput,
    StaticFetcher, SubjectIdentifier, TrustList, Verifier,
};
use pathledger_signing::{
    sign_document, verify_document, Cryptosuite, DidKeyResolver, ProofOptions, SigningKey,
};
use serde_json::Value;
use time::macros::datetime;

fn credential(key: &SigningKey, n: usize) -> Value {
    let pk = key.public_key();
    let input = OpenBadgeInput {
        id: format!("urn:uuid:00000000-0000-4000-8000-{n:012}"),
        issuer: IssuerProfile {
            id: pk.did_key(),
            name: "Bench District".into(),
            ..Default::default()
        },
        valid_from: datetime!(2024-01-01 0:00 UTC),
        valid_until: None,
        name: String::new(),
        description: None,
        recipient: SubjectIdentifier::Id(format!("did:example:teacher-{n}")),
        achievement: AchievementInput {
            id: "https://example.org/achievements/fa".into(),
            name: "Formative Assessment".into(),
            description: "Uses formative assessment.".into(),
            criteria: Criteria {
                id: None,
                narrative: Some("Two lesson cycles.".into()),
            },
            achievement_type: Some("MicroCredential".into()),
            ..Default::default()
        },
        evidence: vec![],
        status: None,
        include_schema: false,
        awarded_date: None,
        image: None,
    };
    let doc = open_badge_credential(&input).expect("build");
    let opts = ProofOptions::assertion(Cryptosuite::EddsaJcs2022, pk.did_key_verification_method());
    sign_document(&doc, key, &opts).expect("sign")
}

fn rate(iters: u32, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    f64::from(iters) / start.elapsed().as_secs_f64()
}

fn benches(c: &mut Criterion) {
    let key = SigningKey::from_seed([9; 32]);
    let docs: Vec<Value> = (0..256).map(|i| credential(&key, i)).collect();
    let fetcher = StaticFetcher::new();
    let resolver = DidKeyResolver;
    let verifier = Verifier {
        resolver: &resolver,
        fetcher: &fetcher,
        trust: TrustList::of([key.public_key().did_key()]),
        now: None,
        check_schema: true,
    };
    let ed = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let vk = ed.verifying_key();
    let msg = [7u8; 64];
    let sig = ed25519_dalek::Signer::sign(&ed, &msg);

    let mut g = c.benchmark_group("badges");
    g.bench_function("raw_ed25519_verify", |b| {
        b.iter(|| vk.verify_strict(black_box(&msg), &sig))
    });
    g.bench_function("eddsa_jcs_2022_verify", |b| {
        b.iter(|| verify_document(black_box(&docs[0]), &resolver))
    });
    g.bench_function("report_jcs_with_schema", |b| {
        b.iter(|| verifier.verify(black_box(&docs[0])))
    });
    g.finish();

    let raw = rate(2000, || {
        black_box(vk.verify_strict(&msg, &sig).is_ok());
    });
    let proof = rate(500, || {
        black_box(verify_document(&docs[0], &resolver).is_verified());
    });
    let report = rate(500, || {
        black_box(verifier.verify(&docs[0]));
    });
    let batch_start = Instant::now();
    let reports = verifier.verify_many(&docs);
    let batch = docs.len() as f64 / batch_start.elapsed().as_secs_f64();
    assert!(reports.iter().all(|r| r.verdict.code() == "valid"));
    println!("--- pathledger-badges verification ---");
    println!("raw Ed25519 verify:            {raw:>10.0}/s");
    println!(
        "eddsa-jcs-2022 verify:         {proof:>10.0}/s  ({:.2}x raw)",
        proof / raw
    );
    println!(
        "full report (1 core):          {report:>10.0}/s  ({:.2}x raw)",
        report / raw
    );
    println!(
        "verify_many ({} docs, {} threads): {batch:>10.0}/s  ({:.2}x raw)",
        docs.len(),
        rayon::current_num_threads(),
        batch / raw
    );
}

criterion_group!(name = group; config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(2)); targets = benches);
criterion_main!(group);
