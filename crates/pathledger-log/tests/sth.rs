//! Signed tree heads: sign/verify, fixed signing layout, JSON round trip, tamper detection.

use ed25519_dalek::SigningKey;
use pathledger_log::{leaf_hash, SignedTreeHead, SthError};

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

#[test]
fn sign_verify_and_layout() {
    let root = leaf_hash(b"root");
    let sth = SignedTreeHead::sign(
        8,
        root,
        1_700_000_000_000,
        "did:web:example.org#log-1",
        &key(1),
    )
    .expect("sign");
    assert_eq!(sth.verify(&key(1).verifying_key()), Ok(()));
    assert_eq!(
        sth.verify(&key(2).verifying_key()),
        Err(SthError::BadSignature)
    );

    let input = sth.signing_input();
    assert_eq!(&input[..2], &[0, 1]);
    assert_eq!(&input[2..10], &1_700_000_000_000u64.to_be_bytes());
    assert_eq!(&input[10..18], &8u64.to_be_bytes());
    assert_eq!(&input[18..50], &root);
    assert_eq!(&input[50..54], &25u32.to_be_bytes());
    assert_eq!(&input[54..], b"did:web:example.org#log-1");

    for tamper in 0..4 {
        let mut t = sth.clone();
        match tamper {
            0 => t.tree_size += 1,
            1 => t.root_hash[5] ^= 1,
            2 => t.timestamp_ms -= 1,
            _ => t.key_id.push('x'),
        }
        assert_eq!(
            t.verify(&key(1).verifying_key()),
            Err(SthError::BadSignature),
            "tamper {tamper}"
        );
    }
}

#[test]
fn json_round_trip() {
    let sth = SignedTreeHead::sign(3, leaf_hash(b"x"), 5, "k1", &key(3)).expect("sign");
    let json = serde_json::to_value(&sth).expect("ser");
    assert_eq!(json["root_hash"], hex::encode(sth.root_hash));
    assert_eq!(json["tree_size"], 3);
    let back: SignedTreeHead = serde_json::from_value(json.clone()).expect("de");
    assert_eq!(back, sth);
    assert_eq!(back.verify(&key(3).verifying_key()), Ok(()));

    let mut bad = json;
    bad["root_hash"] = "zz".into();
    assert!(serde_json::from_value::<SignedTreeHead>(bad.clone()).is_err());
    bad["root_hash"] = hex::encode(sth.root_hash).into();
    bad["signature"] = "AAAA".into();
    assert!(serde_json::from_value::<SignedTreeHead>(bad).is_err());
}

#[test]
fn key_id_limits() {
    assert_eq!(
        SignedTreeHead::sign(1, [0; 32], 0, "", &key(1)),
        Err(SthError::BadKeyId)
    );
    let long = "k".repeat(pathledger_log::MAX_KEY_ID_LEN + 1);
    assert_eq!(
        SignedTreeHead::sign(1, [0; 32], 0, &long, &key(1)),
        Err(SthError::BadKeyId)
    );
}
