//! C2SP checkpoints: signing, verifying (log signature and a witness cosignature) and the
//! witness's whole check (parse, signature, consistency proof over a 1,000,000-leaf log),
//! each printed beside bare Ed25519 signing or verifying measured in the same run.

use std::hint::black_box;
use std::time::Instant;

use ed25519_dalek::{Signer as _, SigningKey};
use pathledger_log::{check_checkpoint, cosign, Checkpoint, MemoryLog, Note, NoteVerifier};

const ORIGIN: &str = "ledger.example.org/log";

/// Operations per second of `f`, over at least half a second.
fn rate(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < 0.5 {
        for _ in 0..64 {
            f();
        }
        n += 64;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let key = SigningKey::from_bytes(&[1u8; 32]);
    let witness = SigningKey::from_bytes(&[2u8; 32]);
    let log_v = NoteVerifier::ed25519(ORIGIN, key.verifying_key()).expect("vkey");
    let w_v = NoteVerifier::cosigner("witness.example/w", witness.verifying_key()).expect("vkey");
    let mut log = MemoryLog::new();
    for i in 0..1_000_000u64 {
        log.append(&i.to_be_bytes()).expect("append");
    }
    let (old, new) = (654_321u64, 1_000_000u64);
    let cp = Checkpoint::new(ORIGIN, new, log.root());
    let text = cp.text();
    let mut note = Note::sign(&text, ORIGIN, &key).expect("sign");
    note.add_signature(
        cosign(&text, 1_800_000_000, "witness.example/w", &witness).expect("cosign"),
    );
    let served = note.to_string();
    let proof = log.consistency_proof(old, new).expect("proof");
    let old_root = log.root_at(old).expect("root");
    let keys = [log_v.clone(), w_v];

    let raw_sign = rate(|| {
        black_box(key.sign(black_box(text.as_bytes())));
    });
    let sig = key.sign(text.as_bytes());
    let raw_verify = rate(|| {
        black_box(
            key.verifying_key()
                .verify_strict(black_box(text.as_bytes()), &sig),
        )
        .ok();
    });
    let sign = rate(|| {
        black_box(Note::sign(black_box(&text), ORIGIN, &key).expect("sign"));
    });
    let verify = rate(|| {
        let n = Note::parse(black_box(&served)).expect("parse");
        black_box(n.verify(&keys).expect("verify"));
    });
    let witness_check = rate(|| {
        let n = Note::parse(black_box(&served)).expect("parse");
        black_box(check_checkpoint(&log_v, &n, Some((old, old_root)), &proof).expect("check"));
    });
    println!("ed25519_sign            {raw_sign:>10.0} /s");
    println!(
        "checkpoint_sign         {sign:>10.0} /s  ({:.2} of ed25519_sign)",
        sign / raw_sign
    );
    println!("ed25519_verify          {raw_verify:>10.0} /s");
    println!(
        "checkpoint_verify_2sigs {verify:>10.0} /s  ({:.2} of ed25519_verify / 2)",
        verify * 2.0 / raw_verify
    );
    println!(
        "witness_check           {witness_check:>10.0} /s  ({:.2} of ed25519_verify)",
        witness_check / raw_verify
    );
}
