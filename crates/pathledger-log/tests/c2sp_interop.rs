//! Our signed notes and checkpoints against an independent implementation of C2SP
//! signed-note and tlog-checkpoint (Cloudflare's `signed_note` and `tlog_tiles` crates): each
//! side verifies and parses what the other writes, byte for byte.

use base64::Engine as _;
use ed25519_dalek::SigningKey;
use pathledger_log::{cosign, Checkpoint, MemoryLog, Note, NoteVerifier};
use signed_note::{StandardSigner, StandardVerifier, VerifierList};

const ORIGIN: &str = "ledger.example.org/log";

fn tree(n: u8) -> MemoryLog {
    let mut log = MemoryLog::new();
    for i in 0..n {
        log.append(&[i, i.wrapping_mul(7)]).unwrap();
    }
    log
}

#[test]
fn their_verifier_reads_our_checkpoints_with_a_cosignature_beside() {
    let key = SigningKey::from_bytes(&[3u8; 32]);
    let witness = SigningKey::from_bytes(&[4u8; 32]);
    for size in [1u8, 2, 7, 8, 13] {
        let log = tree(size);
        let cp = Checkpoint::new(ORIGIN, u64::from(size), log.root());
        let mut note = Note::sign(&cp.text(), ORIGIN, &key).unwrap();
        note.add_signature(
            cosign(&cp.text(), 1_800_000_000, "witness.example/w", &witness).unwrap(),
        );
        let ours = NoteVerifier::ed25519(ORIGIN, key.verifying_key()).unwrap();
        // The same verifier key string on both sides.
        assert_eq!(
            ours.to_vkey(),
            signed_note::new_ed25519_verifier_key(ORIGIN, &key.verifying_key())
        );
        let theirs = StandardVerifier::new(&ours.to_vkey()).expect("their parser takes our vkey");
        let bytes = note.to_string().into_bytes();
        let parsed = signed_note::Note::from_bytes(&bytes).expect("their parser takes our note");
        let (verified, unknown) = parsed
            .verify(&VerifierList::new(vec![Box::new(theirs)]))
            .expect("their verifier accepts our signature");
        assert_eq!((verified.len(), unknown.len()), (1, 1));
        assert_eq!(
            parsed.to_bytes(),
            bytes,
            "their encoding of our note is ours"
        );
        let their_cp =
            tlog_tiles::Checkpoint::from_bytes(parsed.text()).expect("their checkpoint parser");
        assert_eq!(their_cp.origin(), ORIGIN);
        assert_eq!(their_cp.size(), u64::from(size));
        assert_eq!(their_cp.hash().0, log.root());
        assert_eq!(their_cp.to_bytes(), cp.text().into_bytes());
    }
}

#[test]
fn our_verifier_reads_their_signed_checkpoints() {
    let seed = [5u8; 32];
    let key = SigningKey::from_bytes(&seed);
    let mut raw = vec![0x01];
    raw.extend_from_slice(&seed);
    let vkey = signed_note::new_ed25519_verifier_key(ORIGIN, &key.verifying_key());
    let id = vkey.split('+').nth(1).unwrap();
    let skey = format!(
        "PRIVATE+KEY+{ORIGIN}+{id}+{}",
        base64::engine::general_purpose::STANDARD.encode(&raw)
    );
    let signer = StandardSigner::new(&skey).expect("their signer key");
    let log = tree(11);
    let their_cp = tlog_tiles::Checkpoint::new(ORIGIN, 11, tlog_tiles::Hash(log.root()), "")
        .expect("their checkpoint");
    let mut note = signed_note::Note::new(&their_cp.to_bytes(), &[]).unwrap();
    note.add_sigs(&[&signer]).unwrap();
    let text = String::from_utf8(note.to_bytes()).unwrap();
    let ours = Note::parse(&text).expect("our parser takes their note");
    let v = NoteVerifier::parse(&vkey).expect("our parser takes their vkey");
    assert_eq!(ours.verify(std::slice::from_ref(&v)).unwrap().len(), 1);
    let cp = Checkpoint::parse(&ours.text).unwrap();
    assert_eq!(
        (cp.origin.as_str(), cp.size, cp.root),
        (ORIGIN, 11, log.root())
    );
    assert_eq!(ours.to_string(), text);
    // A note they signed over other text does not verify with ours.
    let forged = text.replacen("\n11\n", "\n12\n", 1);
    assert!(Note::parse(&forged).unwrap().verify(&[v]).is_err());
}
