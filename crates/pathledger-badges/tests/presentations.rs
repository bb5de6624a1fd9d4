//! Verifiable Presentations through the badges verifier: the holder's proof with challenge and
//! domain (the Learner Credential Wallet's `Ed25519Signature2020` presentations), the credentials
//! carried, the holder against their subjects, and the bound on how many one may carry.

use pathledger_badges::{
    CheckName, CheckStatus, NoFetcher, PresentationOptions, TrustList, Verdict, Verifier,
    MAX_PRESENTED_CREDENTIALS,
};
use pathledger_signing::{jcs, DidKeyResolver, WorkBudget};
use serde_json::{json, Value};
use std::path::PathBuf;

fn vector(rel: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors")
        .join(rel);
    jcs::parse_strict(&std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .expect("parses")
}

fn verifier() -> Verifier<'static> {
    Verifier {
        resolver: &DidKeyResolver,
        fetcher: &NoFetcher,
        trust: TrustList {
            accept_any: true,
            ..TrustList::default()
        },
        now: None,
        check_schema: true,
    }
}

const GOOD: PresentationOptions<'static> = PresentationOptions {
    challenge: Some("c0ae4f1e-pathledger"),
    domain: Some("verifier.example"),
    holder_is_subject: false,
};

fn check<'a>(
    r: &'a pathledger_badges::PresentationReport,
    name: &str,
) -> &'a pathledger_badges::PresentationCheck {
    r.checks
        .iter()
        .find(|c| c.check == name)
        .unwrap_or_else(|| panic!("no {name} in {r:?}"))
}

#[test]
fn a_wallet_presentation_verifies_with_its_challenge_and_domain() {
    let v = verifier();
    let vp = vector("ed25519-signature-2020/withCredential.json");
    let r = v.verify_presentation_within(&vp, &GOOD, &WorkBudget::unlimited());
    assert!(r.verified, "{r:?}");
    assert_eq!(r.holder.as_deref(), vp["holder"].as_str());
    assert_eq!(check(&r, "holder_proof").status, CheckStatus::Passed);
    assert_eq!(r.credentials.len(), 1);
    // The credential it carries is verified on its own: its proof is genuine, but the W3C test
    // credential names an https issuer while a did:key signed it.
    let inner = &r.credentials[0];
    assert_eq!(
        inner.check(CheckName::Proof).map(|c| c.status),
        Some(CheckStatus::Passed)
    );
    assert_eq!(inner.verdict, Verdict::UnknownIssuer, "{inner:?}");
    assert_eq!(
        inner.check(CheckName::Issuer).map(|c| c.code.as_str()),
        Some("KEY_NOT_ISSUERS")
    );

    let other = PresentationOptions {
        challenge: Some("another"),
        ..GOOD
    };
    let r = v.verify_presentation_within(&vp, &other, &WorkBudget::unlimited());
    assert!(!r.verified);
    assert_eq!(check(&r, "holder_proof").code, "INVALID_CHALLENGE_ERROR");

    let bound = PresentationOptions {
        holder_is_subject: true,
        ..GOOD
    };
    let r = v.verify_presentation_within(&vp, &bound, &WorkBudget::unlimited());
    assert!(!r.verified);
    assert_eq!(check(&r, "holder_binding").code, "HOLDER_NOT_SUBJECT");
}

#[test]
fn structure_and_bounds_are_checked_before_any_proof() {
    let v = verifier();
    let b = WorkBudget::unlimited();
    let base = vector("ed25519-signature-2020/didAuth.json");
    let cases = [
        (json!([]), "PARSING_ERROR"),
        (
            json!({"@context": ["https://example.org/x"], "type": ["VerifiablePresentation"]}),
            "NO_VC_CONTEXT",
        ),
        (
            json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["Something"]}),
            "NO_VP_TYPE",
        ),
        (
            json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "VerifiablePresentation", "holder": 5}),
            "INVALID_HOLDER",
        ),
        (
            json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "VerifiablePresentation", "verifiableCredential": "x"}),
            "INVALID_CREDENTIALS",
        ),
    ];
    for (vp, code) in cases {
        let r = v.verify_presentation_within(&vp, &GOOD, &b);
        assert!(!r.verified, "{vp}");
        assert_eq!(check(&r, "well_formed").code, code, "{vp}");
    }
    let mut many = base.clone();
    many["verifiableCredential"] = Value::Array(vec![json!({}); MAX_PRESENTED_CREDENTIALS + 1]);
    let r = v.verify_presentation_within(&many, &GOOD, &b);
    assert_eq!(check(&r, "well_formed").code, "TOO_MANY_CREDENTIALS");
    assert!(
        r.credentials.is_empty(),
        "nothing is verified past the bound"
    );
    // Exactly the bound is verified (each empty object is a malformed credential).
    many["verifiableCredential"] = Value::Array(vec![json!({}); MAX_PRESENTED_CREDENTIALS]);
    let r = v.verify_presentation_within(&many, &PresentationOptions::default(), &b);
    assert_eq!(r.credentials.len(), MAX_PRESENTED_CREDENTIALS);
    assert!(r
        .credentials
        .iter()
        .all(|c| c.verdict == Verdict::Malformed));
}

#[test]
fn an_unsigned_presentation_is_shown_but_never_answers_a_challenge() {
    let v = verifier();
    let mut vp = vector("ed25519-signature-2020/withCredential.json");
    vp.as_object_mut().unwrap().remove("proof");
    let r = v.verify_presentation_within(
        &vp,
        &PresentationOptions::default(),
        &WorkBudget::unlimited(),
    );
    assert!(r.verified, "{r:?}");
    assert_eq!(check(&r, "holder_proof").status, CheckStatus::NotChecked);
    let r = v.verify_presentation_within(&vp, &GOOD, &WorkBudget::unlimited());
    assert!(!r.verified);
    assert_eq!(check(&r, "holder_proof").code, "NO_PROOF");
}
