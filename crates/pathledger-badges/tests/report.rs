//! Verification reports: round trips for every emitted type with both suites, single-leaf
//! tampering, tampered twins, and each verdict code.

mod common;

use common::{sign, SUITES};
use pathledger_badges::*;
use pathledger_signing::{
    Cryptosuite, DidKeyResolver, DidWebDocument, KeyStatus, SigningKey, StaticResolver,
};
use serde_json::{json, Value};
use time::macros::datetime;

const VECTOR: &str = include_str!("../../../tests/vectors/status/list-1-revocation-signed.json");

struct World {
    key: SigningKey,
    fetcher: StaticFetcher,
}

impl World {
    fn new() -> Self {
        let key = common::key(1);
        let mut fetcher = StaticFetcher::new();
        fetcher.insert(
            common::LIST_URL,
            common::signed_list(
                &key,
                common::LIST_URL,
                StatusPurpose::Revocation,
                &[666],
                None,
            ),
        );
        fetcher.insert(
            common::SUSPENSION_URL,
            common::signed_list(
                &key,
                common::SUSPENSION_URL,
                StatusPurpose::Suspension,
                &[777],
                None,
            ),
        );
        Self { key, fetcher }
    }

    fn trusted(&self) -> Vec<String> {
        vec![self.key.public_key().did_key()]
    }

    fn verify(&self, doc: &Value) -> VerificationReport {
        common::verifier(&DidKeyResolver, &self.fetcher, &self.trusted()).verify(doc)
    }

    fn badge(&self, n: u32, index: u64, suite: Cryptosuite) -> Value {
        let entry = StatusEntry::new(common::LIST_URL, StatusPurpose::Revocation, index);
        let doc =
            open_badge_credential(&common::badge_input(&self.key, n, Some(entry))).expect("b");
        sign(&doc, &self.key, suite)
    }

    fn certificate(&self, suite: Cryptosuite) -> Value {
        let mut input = common::badge_input(&self.key, 99, None);
        input.achievement.id = "https://example.org/achievements/assessment-certificate".into();
        input.achievement.name = "Assessment Literacy Certificate".into();
        input.achievement.achievement_type = Some("Certificate".into());
        input.name = "Assessment Literacy Certificate".into();
        sign(
            &open_badge_credential(&input).expect("cert"),
            &self.key,
            suite,
        )
    }

    fn endorsement(&self, suite: Cryptosuite) -> Value {
        let doc = endorsement_credential(&EndorsementInput {
            id: "urn:uuid:8f3b4c2e-0000-4000-8000-000000000001".into(),
            issuer: common::issuer(&self.key),
            name: "Mentor endorsement: Formative Assessment".into(),
            valid_from: datetime!(2024-02-01 0:00 UTC),
            valid_until: None,
            endorsed_id: "urn:uuid:2f1c9a52-6d0e-4f7e-9a43-000000000001".into(),
            endorsed_name: None,
            comment: Some("Observed three strong lessons.".into()),
            include_schema: true,
        })
        .expect("endorsement");
        sign(&doc, &self.key, suite)
    }

    fn clr(&self, suite: Cryptosuite, part_index: u64) -> Value {
        let part = self.badge(1, part_index, suite);
        let cert = self.certificate(suite);
        let doc = clr_credential(&ClrInput {
            id: "urn:uuid:0c1e0000-0000-4000-8000-000000000001".into(),
            issuer: common::issuer(&self.key),
            name: "Professional learning record".into(),
            description: Some("Credentials earned in the district.".into()),
            valid_from: datetime!(2024-03-01 0:00 UTC),
            valid_until: None,
            subject: SubjectIdentifier::Id("did:example:teacher-123".into()),
            credentials: vec![part, cert],
            associations: stack_associations(
                "https://example.org/achievements/assessment-certificate",
                &["https://example.org/achievements/formative-assessment".to_owned()],
            ),
            partial: Some(false),
            include_schema: true,
        })
        .expect("clr");
        sign(&doc, &self.key, suite)
    }

    fn list(&self, suite: Cryptosuite) -> Value {
        let doc = self.fetcher.fetch_json(common::LIST_URL).expect("list");
        let mut unsigned = doc;
        unsigned.as_object_mut().expect("o").remove("proof");
        sign(&unsigned, &self.key, suite)
    }
}

fn all_types(w: &World, suite: Cryptosuite) -> Vec<(&'static str, Value)> {
    vec![
        ("badge", w.badge(1, 5, suite)),
        ("endorsement", w.endorsement(suite)),
        ("clr", w.clr(suite, 5)),
        ("status list", w.list(suite)),
    ]
}

#[test]
fn every_type_signed_with_both_suites_is_valid_and_schema_checked() {
    let w = World::new();
    for suite in SUITES {
        for (name, doc) in all_types(&w, suite) {
            let r = w.verify(&doc);
            assert_eq!(r.verdict, Verdict::Valid, "{name} {suite}: {}", r.to_json());
            let proof = r.check(CheckName::Proof).expect("proof");
            assert!(proof.message.contains(suite.as_str()), "{}", proof.message);
            if name != "status list" {
                assert_eq!(
                    r.check(CheckName::Schema).expect("s").status,
                    CheckStatus::Passed,
                    "{name}"
                );
            }
            if name == "clr" {
                assert_eq!(r.credentials.len(), 2);
                assert!(r.credentials.iter().all(|c| c.verdict == Verdict::Valid));
                schema::validate(SchemaKind::ClrCredential, &doc).expect("clr schema");
            }
        }
    }
}

/// Every JSON pointer to a leaf (string, number, bool) of `v`.
fn leaves(v: &Value, path: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let k = k.replace('~', "~0").replace('/', "~1");
                leaves(x, format!("{path}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                leaves(x, format!("{path}/{i}"), out);
            }
        }
        Value::Null => {}
        _ => out.push(path),
    }
}

fn mutate(v: &mut Value) {
    *v = match v.take() {
        Value::String(s) => Value::String(format!("{s}x")),
        Value::Bool(b) => Value::Bool(!b),
        Value::Number(n) => json!(n.as_f64().unwrap_or(0.0) + 1.0),
        other => other,
    };
}

#[test]
fn changing_any_single_leaf_breaks_it() {
    let w = World::new();
    for suite in SUITES {
        for (name, doc) in all_types(&w, suite) {
            let mut paths = Vec::new();
            leaves(&doc, String::new(), &mut paths);
            assert!(paths.len() > 10, "{name}");
            for p in paths {
                let mut changed = doc.clone();
                mutate(changed.pointer_mut(&p).expect("pointer"));
                let r = w.verify(&changed);
                assert_ne!(
                    r.verdict,
                    Verdict::Valid,
                    "{name} {suite}: changing {p} went unnoticed"
                );
            }
        }
    }
}

#[test]
fn tampered_twins_map_to_tampered() {
    let w = World::new();
    for suite in SUITES {
        let good = w.badge(1, 5, suite);
        let other = w.badge(2, 6, suite);
        let mut changed_field = good.clone();
        changed_field["name"] = json!("Advanced Formative Assessment");
        let mut changed_date = good.clone();
        changed_date["validUntil"] = json!("2039-01-01T00:00:00Z");
        let mut swapped = good.clone();
        swapped["proof"]["proofValue"] = other["proof"]["proofValue"].clone();
        // Signed by key 2 while naming key 1's verification method.
        let mut wrong_key = sign(
            &open_badge_credential(&common::badge_input(&w.key, 1, None)).expect("b"),
            &common::key(2),
            suite,
        );
        wrong_key["proof"]["verificationMethod"] =
            json!(w.key.public_key().did_key_verification_method());
        for (twin, doc) in [
            ("changed field", changed_field),
            ("changed date", changed_date),
            ("swapped proofValue", swapped),
            ("wrong key", wrong_key),
        ] {
            let r = w.verify(&doc);
            assert_eq!(
                r.verdict,
                Verdict::Tampered,
                "{twin} {suite}: {}",
                r.to_json()
            );
            assert_eq!(
                r.check(CheckName::Proof).expect("p").status,
                CheckStatus::Failed
            );
            // A bad signature suppresses every other conclusion.
            for c in [CheckName::Issuer, CheckName::Validity, CheckName::Status] {
                assert_eq!(
                    r.check(c).expect("c").status,
                    CheckStatus::NotChecked,
                    "{twin}"
                );
            }
        }
    }
}

#[test]
fn each_verdict_code() {
    let w = World::new();
    let trusted = w.trusted();
    let good = w.badge(1, 5, Cryptosuite::EddsaJcs2022);

    let mut v = common::verifier(&DidKeyResolver, &w.fetcher, &trusted);
    v.now = Some(datetime!(2030-01-01 0:00 UTC));
    assert_eq!(v.verify(&good).verdict, Verdict::Expired);
    v.now = Some(datetime!(2023-06-01 0:00 UTC));
    assert_eq!(v.verify(&good).verdict, Verdict::NotYetValid);

    assert_eq!(
        w.verify(&w.badge(3, 666, Cryptosuite::EddsaJcs2022))
            .verdict,
        Verdict::Revoked
    );
    let suspended = {
        let entry = StatusEntry::new(common::SUSPENSION_URL, StatusPurpose::Suspension, 777);
        let doc = open_badge_credential(&common::badge_input(&w.key, 4, Some(entry))).expect("b");
        sign(&doc, &w.key, Cryptosuite::EddsaRdfc2022)
    };
    assert_eq!(w.verify(&suspended).verdict, Verdict::Suspended);

    // Unknown issuer: not on the trust list; the proof is still checked and reported.
    let r = common::verifier(&DidKeyResolver, &w.fetcher, &[]).verify(&good);
    assert_eq!(r.verdict, Verdict::UnknownIssuer);
    assert_eq!(
        r.check(CheckName::Proof).expect("p").status,
        CheckStatus::Passed
    );
    assert_eq!(
        r.check(CheckName::Issuer).expect("i").code,
        "ISSUER_NOT_TRUSTED"
    );
    // Open mode accepts any issuer that owns its key.
    let mut open = common::verifier(&DidKeyResolver, &w.fetcher, &[]);
    open.trust.accept_any = true;
    assert_eq!(open.verify(&good).verdict, Verdict::Valid);

    // Signed with someone else's (valid) key: the controller is not the issuer.
    let foreign = sign(
        &open_badge_credential(&common::badge_input(&w.key, 5, None)).expect("b"),
        &common::key(2),
        Cryptosuite::EddsaJcs2022,
    );
    let r = w.verify(&foreign);
    assert_eq!(r.verdict, Verdict::UnknownIssuer);
    assert_eq!(
        r.check(CheckName::Issuer).expect("i").code,
        "KEY_NOT_ISSUERS"
    );
    assert_eq!(
        r.check(CheckName::Proof).expect("p").status,
        CheckStatus::Passed
    );

    // Could not check: the status list host is unreachable.
    let r = common::verifier(&DidKeyResolver, &NoFetcher, &trusted).verify(&good);
    assert_eq!(r.verdict, Verdict::CouldNotCheck);
    let status = r.check(CheckName::Status).expect("s");
    assert_eq!(
        (status.status, status.code.as_str()),
        (CheckStatus::NotChecked, "STATUS_RETRIEVAL_ERROR")
    );
    assert!(r.message.contains("offline"), "{}", r.message);
}

#[test]
fn did_web_issuer_resolved_through_the_fetcher_or_could_not_check() {
    let key = common::key(3);
    let did = "did:web:district.example.org";
    let mut did_doc = DidWebDocument::new(did).expect("did");
    did_doc.add_key("key-1", key.public_key(), KeyStatus::Current);
    let vm = format!("{did}#key-1");
    let mut input = common::badge_input(&key, 7, None);
    input.issuer.id = did.into();
    let mut opts = pathledger_signing::ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm);
    opts.created = Some("2024-01-01T00:00:00Z".into());
    let doc =
        pathledger_signing::sign_document(&open_badge_credential(&input).expect("b"), &key, &opts)
            .expect("sign");

    let trusted = vec![did.to_owned()];
    let r = common::verifier(&DidKeyResolver, &NoFetcher, &trusted).verify(&doc);
    assert_eq!(r.verdict, Verdict::CouldNotCheck, "{}", r.to_json());
    assert_eq!(
        r.check(CheckName::Proof).expect("p").status,
        CheckStatus::NotChecked
    );

    let mut fetcher = StaticFetcher::new();
    fetcher.insert(
        "https://district.example.org/.well-known/did.json",
        did_doc.to_json(),
    );
    let r = common::verifier(&StaticResolver::new(), &fetcher, &trusted).verify(&doc);
    assert_eq!(r.verdict, Verdict::Valid, "{}", r.to_json());
}

#[test]
fn malformed_inputs() {
    let w = World::new();
    let good = w.badge(1, 5, Cryptosuite::EddsaJcs2022);
    let mut cases: Vec<(&str, Value)> =
        vec![("not an object", json!([1, 2])), ("string", json!("hello"))];
    let mut no_context = good.clone();
    no_context["@context"] = json!(["https://example.org/ctx"]);
    cases.push(("no VC context", no_context));
    let mut no_subject_id = good.clone();
    no_subject_id["credentialSubject"]
        .as_object_mut()
        .expect("o")
        .remove("identifier");
    cases.push(("subject without id/identifier", no_subject_id));
    let mut status_without_id = good.clone();
    status_without_id["credentialStatus"]
        .as_object_mut()
        .expect("o")
        .remove("id");
    cases.push(("credentialStatus without id", status_without_id));
    let mut unsigned = good.clone();
    unsigned.as_object_mut().expect("o").remove("proof");
    cases.push(("no proof", unsigned));
    for (name, doc) in cases {
        let r = w.verify(&doc);
        assert_eq!(r.verdict, Verdict::Malformed, "{name}: {}", r.to_json());
    }
    // A suite we do not implement is not malformed: it is a format we do not check.
    let mut unknown_suite = good.clone();
    unknown_suite["proof"]["cryptosuite"] = json!("ecdsa-rdfc-2019");
    let r = w.verify(&unknown_suite);
    assert_eq!(r.verdict, Verdict::UnsupportedFormat, "{}", r.to_json());
    assert_eq!(r.to_json()["checks"][2]["code"], "UNKNOWN_CRYPTOSUITE");
}

#[test]
fn report_json_shape_is_exact() {
    let w = World::new();
    let json = w
        .verify(&w.badge(1, 5, Cryptosuite::EddsaJcs2022))
        .to_json();
    let keys: Vec<&str> = json
        .as_object()
        .expect("o")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["verdict", "message", "checks"]);
    assert_eq!(json["verdict"], json!("valid"));
    let checks = json["checks"].as_array().expect("a");
    let names: Vec<&str> = checks
        .iter()
        .map(|c| c["check"].as_str().expect("s"))
        .collect();
    assert_eq!(
        names,
        [
            "well_formed",
            "schema",
            "proof",
            "issuer",
            "validity",
            "status"
        ]
    );
    for c in checks {
        let keys: Vec<&str> = c
            .as_object()
            .expect("o")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["check", "status", "code", "message"]);
        assert!(["passed", "failed", "not_checked"].contains(&c["status"].as_str().expect("s")));
        assert!(!c["message"].as_str().expect("m").is_empty());
    }
}

#[test]
fn clr_worst_inner_verdict_wins() {
    let w = World::new();
    for suite in SUITES {
        let clr = w.clr(suite, 666);
        let r = w.verify(&clr);
        assert_eq!(r.verdict, Verdict::Revoked, "{suite}: {}", r.to_json());
        assert_eq!(r.credentials[0].verdict, Verdict::Revoked);
        assert_eq!(r.credentials[1].verdict, Verdict::Valid);
        assert!(r.message.starts_with("Credential 1 of 2"), "{}", r.message);
        assert_eq!(r.to_json()["credentials"].as_array().map(Vec::len), Some(2));
    }
}

#[test]
fn verify_many_matches_single_verification() {
    let w = World::new();
    let docs: Vec<Value> = (0..12)
        .map(|i| {
            w.badge(
                i,
                if i % 3 == 0 { 666 } else { u64::from(i) },
                SUITES[(i % 2) as usize],
            )
        })
        .collect();
    let v = common::verifier(&DidKeyResolver, &w.fetcher, &w.trusted());
    let batch = v.verify_many(&docs);
    let single: Vec<VerificationReport> = docs.iter().map(|d| v.verify(d)).collect();
    assert_eq!(batch, single);
    assert_eq!(
        batch
            .iter()
            .filter(|r| r.verdict == Verdict::Revoked)
            .count(),
        4
    );
}

#[test]
fn standards_4_6_credential_is_revoked_by_the_4_11_list() {
    let v: Value = serde_json::from_str(VECTOR).expect("json");
    let key = common::w3c_key();
    let unsigned = v["credential46"].clone();
    let trusted = vec![key.public_key().did_key()];
    let mut fetcher = StaticFetcher::new();
    fetcher.insert("https://example.org/status/1", v["signed"].clone());
    for (suite, want) in [
        (
            Cryptosuite::EddsaJcs2022,
            &v["credential46ProofValues"]["jcs"],
        ),
        (
            Cryptosuite::EddsaRdfc2022,
            &v["credential46ProofValues"]["rdfc"],
        ),
    ] {
        let signed = sign(&unsigned, &key, suite);
        assert_eq!(&signed["proof"]["proofValue"], want, "{suite}");
        let r = common::verifier(&DidKeyResolver, &fetcher, &trusted).verify(&signed);
        assert_eq!(r.verdict, Verdict::Revoked, "{suite}: {}", r.to_json());
        // Unreachable list: could_not_check, never valid.
        let r = common::verifier(&DidKeyResolver, &NoFetcher, &trusted).verify(&signed);
        assert_eq!(r.verdict, Verdict::CouldNotCheck);
    }
}

/// The typed report on unreadable input has the JSON shape the API, the pages and the CLI have
/// always shown, and the wire names the pages read agree with the serialized ones.
#[test]
fn malformed_report_and_wire_names() {
    use pathledger_badges::{CheckName, CheckStatus, VerificationReport};
    let r = VerificationReport::malformed("This is not valid JSON: EOF.");
    assert_eq!(
        r.to_json(),
        serde_json::json!({"verdict": "malformed", "message": "This is not valid JSON: EOF.", "checks": [
            {"check": "well_formed", "status": "failed", "code": "PARSING_ERROR", "message": "This is not valid JSON: EOF."}]})
    );
    for c in [
        CheckName::WellFormed,
        CheckName::Schema,
        CheckName::Proof,
        CheckName::Issuer,
        CheckName::Validity,
        CheckName::Status,
    ] {
        assert_eq!(serde_json::to_value(c).unwrap(), c.code());
    }
    for s in [
        CheckStatus::Passed,
        CheckStatus::Failed,
        CheckStatus::NotChecked,
    ] {
        assert_eq!(serde_json::to_value(s).unwrap(), s.code());
    }
}
