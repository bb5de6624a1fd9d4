//! Round trips: documents we sign verify with both suites, and changing any single leaf breaks them.

use pathledger_signing::{
    jcs, sign_document, sign_document_to_string, verify_document, ChainResolver, Cryptosuite,
    DidKeyResolver, DidWebDocument, JcsProofTemplate, KeyStatus, ProofOptions, ProofOutcome,
    SigningKey, StaticResolver,
};
use serde_json::Value;

fn project_doc() -> Value {
    let text = include_str!("../../../tests/vectors/eddsa/project-ob-unsigned.json");
    serde_json::from_str(text).expect("vector parses")
}

/// JSON pointers of every leaf outside `@context`.
fn leaves(v: &Value, path: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if k == "@context" {
                    continue;
                }
                leaves(
                    child,
                    format!("{path}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                leaves(child, format!("{path}/{i}"), out);
            }
        }
        _ => out.push(path),
    }
}

fn mutate(v: &mut Value) {
    let changed = match &*v {
        Value::String(s) => Value::String(format!("{s}x")),
        Value::Number(n) => Value::from(n.as_f64().unwrap_or(0.0) + 1.0),
        Value::Bool(b) => Value::Bool(!*b),
        Value::Null => Value::Bool(true),
        other => other.clone(),
    };
    *v = changed;
}

#[test]
fn every_single_leaf_change_breaks_both_suites() {
    let key = SigningKey::from_seed([11; 32]);
    let vm = key.public_key().did_key_verification_method();
    let doc = project_doc();
    let mut paths = Vec::new();
    leaves(&doc, String::new(), &mut paths);
    assert!(paths.len() > 25, "only {} leaves", paths.len());
    for suite in [Cryptosuite::EddsaJcs2022, Cryptosuite::EddsaRdfc2022] {
        let signed =
            sign_document(&doc, &key, &ProofOptions::assertion(suite, vm.clone())).expect("signs");
        assert!(verify_document(&signed, &DidKeyResolver).is_verified());
        for p in &paths {
            let mut t = signed.clone();
            let Some(leaf) = t.pointer_mut(p) else {
                panic!("pointer {p} missing");
            };
            mutate(leaf);
            let outcome = verify_document(&t, &DidKeyResolver);
            // Most edits are a bad signature; an edit that makes an IRI relative or a
            // type undefined is caught earlier by safe mode, which is also a failure.
            assert!(
                matches!(
                    outcome,
                    ProofOutcome::Invalid { .. } | ProofOutcome::Malformed { .. }
                ),
                "{suite}: changing {p} still verifies: {outcome:?}"
            );
        }
    }
}

#[test]
fn proof_sets_accumulate_and_each_verifies() {
    let a = SigningKey::from_seed([1; 32]);
    let b = SigningKey::from_seed([2; 32]);
    let doc = project_doc();
    let once = sign_document(
        &doc,
        &a,
        &ProofOptions::assertion(
            Cryptosuite::EddsaRdfc2022,
            a.public_key().did_key_verification_method(),
        ),
    )
    .expect("signs");
    let jcs_b = ProofOptions::assertion(
        Cryptosuite::EddsaJcs2022,
        b.public_key().did_key_verification_method(),
    );
    let twice = sign_document(&once, &b, &jcs_b).expect("signs");
    assert_eq!(twice["proof"].as_array().map(Vec::len), Some(2));
    // Signing to text takes the same path for a document that already has a proof.
    let text = sign_document_to_string(&once, &b, &jcs_b).expect("signs");
    assert_eq!(serde_json::from_str::<Value>(&text).expect("JSON"), twice);
    match verify_document(&twice, &DidKeyResolver) {
        ProofOutcome::Verified(p) => {
            assert_eq!(p.len(), 2);
            assert_eq!(p[0].controller, a.public_key().did_key());
            assert_eq!(p[1].controller, b.public_key().did_key());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn key_rotation_old_credentials_still_verify() {
    let old = SigningKey::from_seed([21; 32]);
    let new = SigningKey::from_seed([22; 32]);
    let mut did = DidWebDocument::new("did:web:pathledger.example").expect("did");
    did.add_key("key-1", old.public_key(), KeyStatus::Current);
    let doc = project_doc();
    let before = sign_document(
        &doc,
        &old,
        &ProofOptions::assertion(
            Cryptosuite::EddsaJcs2022,
            did.current_verification_method().expect("has a key"),
        ),
    )
    .expect("signs");
    // Rotate: key-2 signs from now on, key-1 is retired but stays in the document.
    did.add_key("key-2", new.public_key(), KeyStatus::Current);
    let vm = did.current_verification_method().expect("has a key");
    assert_eq!(vm, "did:web:pathledger.example#key-2");
    let after = sign_document(
        &doc,
        &new,
        &ProofOptions::assertion(Cryptosuite::EddsaJcs2022, vm),
    )
    .expect("signs");
    let mut stat = StaticResolver::new();
    assert_eq!(stat.add_did_document(&did.to_json()).expect("valid doc"), 2);
    let resolver = ChainResolver::new().with(DidKeyResolver).with(stat);
    for signed in [&before, &after] {
        match verify_document(signed, &resolver) {
            ProofOutcome::Verified(p) => assert_eq!(p[0].controller, "did:web:pathledger.example"),
            other => panic!("{other:?}"),
        }
    }
    // A credential claiming key-2 but signed with the retired key-1 fails.
    let mut forged = before.clone();
    forged["proof"]["verificationMethod"] =
        Value::String("did:web:pathledger.example#key-2".into());
    assert!(matches!(
        verify_document(&forged, &resolver),
        ProofOutcome::Invalid { .. }
    ));
    // Without the issuer's DID document the key cannot be resolved: could not check.
    assert!(matches!(
        verify_document(&after, &DidKeyResolver),
        ProofOutcome::CouldNotCheck { .. }
    ));
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let key = SigningKey::from_seed([5; 32]);
    let opts = ProofOptions::assertion(Cryptosuite::EddsaJcs2022, "did:key:x");
    assert!(sign_document(&Value::Null, &key, &opts).is_err());
    assert!(sign_document_to_string(&Value::Null, &key, &opts).is_err());
    assert!(sign_document_to_string(&serde_json::json!([1]), &key, &opts).is_err());
    let bad_created = ProofOptions {
        created: Some("yesterday".into()),
        ..opts.clone()
    };
    assert!(sign_document(&project_doc(), &key, &bad_created).is_err());
    for doc in [
        Value::Null,
        serde_json::json!([]),
        serde_json::json!({"proof": 5}),
        serde_json::json!({"proof": []}),
        serde_json::json!({"proof": {"type": "DataIntegrityProof"}}),
        serde_json::json!({"proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
            "verificationMethod": "did:key:z6Mk", "proofPurpose": "assertionMethod", "proofValue": "zzz"}}),
    ] {
        let outcome = verify_document(&doc, &DidKeyResolver);
        assert!(!outcome.is_verified(), "{doc}: {outcome:?}");
        assert!(outcome.code().is_some());
    }
}

/// A bulk issuance signs from a document template and a proof template: for every copy the
/// result is byte for byte what signing the whole document gives, and it verifies.
#[test]
fn templated_signing_equals_signing_the_document() {
    let key = SigningKey::from_seed([12; 32]);
    let mut opts = ProofOptions::assertion(
        Cryptosuite::EddsaJcs2022,
        key.public_key().did_key_verification_method(),
    );
    opts.created = Some("2026-12-04T10:00:00Z".into());
    let doc = project_doc();
    let holes = ["/id", "/credentialSubject/id", "/validFrom"];
    let t = jcs::Template::new(&doc, &holes)
        .expect("canonicalizes")
        .expect("the vector has every hole");
    let proofs = JcsProofTemplate::new(doc.get("@context"), &opts).expect("proof template");
    for i in 0..20 {
        let values = [
            Value::String(format!("urn:uuid:00000000-0000-4000-8000-{i:012}")),
            Value::String(format!("did:example:holder-{i}\u{e9}\"quoted\"")),
            Value::String(format!("2026-01-{:02}T00:00:00Z", i + 1)),
        ];
        let mut canonical = Vec::new();
        t.fill(&values.iter().collect::<Vec<_>>(), &mut canonical)
            .expect("fills");
        let fast = proofs.sign(canonical, &key).expect("signs");
        let mut whole = doc.clone();
        for (h, v) in holes.iter().zip(values) {
            *whole.pointer_mut(h).unwrap() = v;
        }
        let slow = sign_document_to_string(&whole, &key, &opts).expect("signs");
        assert_eq!(fast, slow);
        let parsed: Value = serde_json::from_str(&fast).expect("JSON");
        assert!(
            matches!(
                verify_document(&parsed, &DidKeyResolver),
                ProofOutcome::Verified(_)
            ),
            "copy {i} does not verify"
        );
    }
    // Only eddsa-jcs-2022 is templated; a bad `created` is refused as when signing.
    let rdfc =
        ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, opts.verification_method.clone());
    assert!(JcsProofTemplate::new(doc.get("@context"), &rdfc).is_err());
    let mut bad = opts.clone();
    bad.created = Some("yesterday".into());
    assert!(JcsProofTemplate::new(doc.get("@context"), &bad).is_err());
    // Not an object: refused, not signed.
    assert!(proofs.sign(b"[1]".to_vec(), &key).is_err());
}
