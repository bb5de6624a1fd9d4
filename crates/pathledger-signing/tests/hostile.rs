//! Hostile input for every parser of this crate that sees outside data: strict JSON (deep
//! nesting, huge numbers, duplicate keys, lone surrogates), multibase keys, did:key and did:web
//! identifiers, DID documents, and proofs of the wrong length or shape. Each gets an error (or a
//! not-verified outcome with a code), never a panic.

use pathledger_signing::{
    did_web_url, parse_strict, resolve_did_key, sign_document, verify_document, Cryptosuite,
    DidKeyResolver, ProofOptions, ProofOutcome, PublicKey, SigningKey, StaticResolver,
};
use proptest::prelude::*;
use serde_json::{json, Value};

fn signed() -> (Value, SigningKey) {
    let key = SigningKey::from_seed([7; 32]);
    let vm = key.public_key().did_key_verification_method();
    let doc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": key.public_key().did_key(),
        "credentialSubject": {"id": "did:example:subject", "name": "Ada"},
    });
    let signed = sign_document(
        &doc,
        &key,
        &ProofOptions::assertion(Cryptosuite::EddsaJcs2022, vm),
    )
    .expect("sign");
    (signed, key)
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for open in ["[", "{\"a\":"] {
        let text = open.repeat(100_000);
        let e = parse_strict(text.as_bytes()).expect_err("100k levels accepted");
        assert!(!e.to_string().is_empty());
    }
    // Just past the limit fails, just under it parses.
    let deep = format!("{}{}", "[".repeat(101), "]".repeat(101));
    assert!(parse_strict(deep.as_bytes()).is_err());
    let ok = format!("{}{}", "[".repeat(50), "]".repeat(50));
    assert!(parse_strict(ok.as_bytes()).is_ok());
}

#[test]
fn huge_numbers_duplicate_keys_and_lone_surrogates_are_refused() {
    for bad in [
        &b"1e400"[..],
        b"-1e400",
        b"{\"a\": 1e999999}",
        b"{\"a\": 1, \"a\": 2}",
        b"{\"a\": {\"b\": 1, \"b\": 1}}",
        b"\"\\ud800\"",
        b"\"\\udc00\"",
        b"{\"name\": \"x\\ud800y\"}",
        b"\"\xff\xfe\"",
        b"[1,]",
        b"{} {}",
        b"",
    ] {
        let e = parse_strict(bad).expect_err(&String::from_utf8_lossy(bad));
        assert!(e.line >= 1, "{e}");
    }
    // A huge integer that is still a double is accepted as a finite number.
    let v = parse_strict(b"123456789012345678901234567890").expect("big integer");
    assert!(v.as_f64().is_some_and(f64::is_finite));
}

#[test]
fn proofs_of_the_wrong_length_or_shape_are_not_verified() {
    let (doc, _) = signed();
    assert!(verify_document(&doc, &DidKeyResolver).is_verified());
    let good = doc["proof"]["proofValue"]
        .as_str()
        .expect("proofValue")
        .to_owned();
    let raw = bs58_decode(&good[1..]);
    assert_eq!(raw.len(), 64);
    let mut bad_values = vec![
        String::new(),
        "z".into(),
        "u".into(),
        good[1..].to_owned(),            // no multibase prefix
        format!("z{}", &good[1..40]),    // truncated
        format!("{good}{}", &good[1..]), // doubled
        format!("z{}0OIl", &good[1..]),  // not base58
        "z".to_string() + &"1".repeat(500),
    ];
    for n in [0, 1, 32, 63, 65, 128] {
        bad_values.push(format!("z{}", bs58_encode(&vec![0x5a; n])));
    }
    for v in bad_values {
        let mut d = doc.clone();
        d["proof"]["proofValue"] = Value::String(v.clone());
        let out = verify_document(&d, &DidKeyResolver);
        assert!(!out.is_verified(), "{v:?} verified");
        assert!(out.code().is_some(), "{v:?}: no code");
    }
    for (field, value) in [
        ("proofValue", json!(42)),
        ("proofValue", Value::Null),
        ("cryptosuite", json!("eddsa-none-1900")),
        ("type", json!(["DataIntegrityProof", "DataIntegrityProof"])),
        ("verificationMethod", json!("did:key:zNotAKey#zNotAKey")),
        ("verificationMethod", json!(7)),
        ("proofPurpose", json!({"a": 1})),
        ("created", json!("yesterday")),
    ] {
        let mut d = doc.clone();
        d["proof"][field] = value.clone();
        let out = verify_document(&d, &DidKeyResolver);
        assert!(!out.is_verified(), "{field}={value} verified");
    }
    for proof in [
        json!(null),
        json!("proof"),
        json!([]),
        json!([1, 2]),
        json!({}),
    ] {
        let mut d = doc.clone();
        d["proof"] = proof.clone();
        let out = verify_document(&d, &DidKeyResolver);
        assert!(
            matches!(
                out,
                ProofOutcome::Malformed { .. } | ProofOutcome::Invalid { .. }
            ),
            "{proof}: {out:?}"
        );
    }
}

#[test]
fn did_documents_with_bad_keys_are_errors() {
    let (_, key) = signed();
    let did = "did:web:example.org";
    let good_mb = key.public_key().to_multibase();
    for mb in [
        "",
        "z",
        "zzzz",
        "u6Mk",
        &good_mb[..good_mb.len() - 3],
        "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doX0",
    ] {
        let doc = json!({
            "id": did,
            "verificationMethod": [{"id": "#k", "type": "Multikey", "controller": did,
                                     "publicKeyMultibase": mb}],
            "assertionMethod": ["#k"],
        });
        assert!(
            StaticResolver::new().add_did_document(&doc).is_err(),
            "{mb:?} accepted"
        );
    }
    for doc in [
        json!(null),
        json!([]),
        json!({}),
        json!({"id": 5}),
        json!({"id": did, "assertionMethod": "#k"}),
        json!({"id": did, "assertionMethod": [{"id": "#k"}], "verificationMethod": {"id": "#k"}}),
    ] {
        // Either an error or zero keys: nothing usable comes out of a broken document.
        let n = StaticResolver::new().add_did_document(&doc).unwrap_or(0);
        assert_eq!(n, 0, "{doc}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn parse_strict_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_strict(&bytes);
    }

    #[test]
    fn parse_strict_never_panics_on_json_like_text(s in "[\\[\\]{}\":,0-9eE+.\\-a-z\\\\ ]{0,300}") {
        if let Ok(v) = parse_strict(s.as_bytes()) {
            // Whatever is accepted is ordinary JSON that serde_json agrees with.
            let again: Value = serde_json::from_str(&s).expect("serde_json agrees");
            prop_assert_eq!(v, again);
        }
    }

    #[test]
    fn multibase_keys_and_dids_never_panic(s in "\\PC{0,120}") {
        let _ = PublicKey::from_multibase(&s);
        let _ = SigningKey::from_multibase(&s);
        let _ = resolve_did_key(&s);
        let _ = resolve_did_key(&format!("did:key:{s}"));
        let _ = did_web_url(&s);
        let _ = did_web_url(&format!("did:web:{s}"));
    }

    #[test]
    fn base58_of_any_length_is_never_a_key_unless_it_is_one(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let mb = format!("z{}", bs58_encode(&bytes));
        if PublicKey::from_multibase(&mb).is_ok() {
            // Only the Ed25519 multicodec prefix with exactly 32 key bytes is a public key.
            prop_assert_eq!(bytes.len(), 34);
            prop_assert_eq!(&bytes[..2], &[0xed, 0x01]);
        }
    }

    #[test]
    fn random_proof_values_never_verify(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let (mut doc, _) = signed();
        doc["proof"]["proofValue"] = Value::String(format!("z{}", bs58_encode(&bytes)));
        prop_assert!(!verify_document(&doc, &DidKeyResolver).is_verified());
    }
}

fn bs58_encode(bytes: &[u8]) -> String {
    bs58::encode(bytes).into_string()
}

fn bs58_decode(s: &str) -> Vec<u8> {
    bs58::decode(s).into_vec().expect("base58")
}
