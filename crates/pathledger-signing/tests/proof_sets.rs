//! Proof sets, proof chains (`previousProof`) and legacy `Ed25519Signature2020` proofs: walks
//! tests/vectors/w3c-vc-di-eddsa/cases.json (the W3C vectors, presentations signed by the
//! Learner Credential Wallet's libraries, and their negative twins).

use pathledger_signing::{
    jcs, rdfc, verify_document_expecting, DidKeyResolver, ProofExpectations, ProofOutcome,
    WorkBudget,
};
use serde_json::Value;
use std::path::PathBuf;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/w3c-vc-di-eddsa")
}

fn read_json(rel: &str) -> Value {
    let p = vectors_dir().join(rel);
    let text = std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
    jcs::parse_strict(&text).unwrap_or_else(|e| panic!("parsing {rel}: {e}"))
}

#[test]
fn proof_sets_chains_and_ed25519_signature_2020_give_expected_outcomes() {
    let m = read_json("cases.json");
    let cases = m["cases"].as_array().expect("cases");
    assert!(cases.len() >= 20, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in cases {
        let file = c["file"].as_str().expect("file");
        let doc = read_json(file);
        let expect = ProofExpectations {
            purpose: c["purpose"].as_str(),
            challenge: c["challenge"].as_str(),
            domain: c["domain"].as_str(),
        };
        let outcome =
            verify_document_expecting(&doc, &DidKeyResolver, &WorkBudget::unlimited(), &expect);
        let got = match &outcome {
            ProofOutcome::Verified(_) => "verified",
            ProofOutcome::Invalid { .. } => "invalid",
            ProofOutcome::Malformed { .. } => "malformed",
            ProofOutcome::CouldNotCheck { .. } => "could_not_check",
            _ => "other",
        };
        let want = c["expect"].as_str().expect("expect");
        let code_ok = c["code"]
            .as_str()
            .is_none_or(|code| outcome.code() == Some(code));
        if got != want || !code_ok {
            failures.push(format!(
                "{file} {expect:?}: expected {want} {:?}, got {outcome:?}",
                c["code"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_chain_proof_covers_the_document_with_its_previous_proofs() {
    // The W3C chain vector says what the chained proof signs: the unsigned credential with
    // `proof` = the two proofs it names. Our canonical form of that document must be the one
    // the chain's third proof signed, so the first chain verifies proof by proof.
    let chain = read_json("proof-set-chain/signedProofChain1.json");
    let temp = read_json("proof-set-chain/proofChainTempDoc1.json");
    let proofs = chain["proof"].as_array().expect("proof list");
    assert_eq!(proofs.len(), 3);
    assert_eq!(temp["proof"], Value::Array(proofs[..2].to_vec()));
    match verify_document_expecting(
        &chain,
        &DidKeyResolver,
        &WorkBudget::unlimited(),
        &ProofExpectations::default(),
    ) {
        ProofOutcome::Verified(v) => {
            assert_eq!(v.len(), 3);
            assert!(v.iter().all(|p| p.proof_type == "DataIntegrityProof"));
        }
        other => panic!("{other:?}"),
    }
    // The canonical forms differ: a proof chain is not a proof set.
    let mut unsigned = chain.as_object().unwrap().clone();
    unsigned.remove("proof");
    assert_ne!(
        rdfc::canonicalize(&Value::Object(unsigned)).unwrap(),
        rdfc::canonicalize(&temp).unwrap()
    );
}

#[test]
fn ed25519_signature_2020_reports_its_proof_type_and_holder_key() {
    let vp = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/ed25519-signature-2020/didAuth.json");
    let vp = jcs::parse_strict(&std::fs::read(vp).unwrap()).unwrap();
    let expect = ProofExpectations {
        purpose: Some("authentication"),
        challenge: Some("c0ae4f1e-pathledger"),
        domain: Some("verifier.example"),
    };
    match verify_document_expecting(&vp, &DidKeyResolver, &WorkBudget::unlimited(), &expect) {
        ProofOutcome::Verified(v) => {
            assert_eq!(v[0].proof_type, "Ed25519Signature2020");
            assert_eq!(v[0].controller, vp["holder"].as_str().unwrap());
        }
        other => panic!("{other:?}"),
    }
}
