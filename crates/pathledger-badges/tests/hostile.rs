//! Hostile input for the verifier and the status list parsers: arbitrary JSON where a credential,
//! a status entry or a status list credential is expected, forged status lists, and deeply nested
//! or oversized values. Every case ends in a report (never `valid`) or an error, never a panic.

mod common;

use common::*;
use pathledger_badges::*;
use pathledger_signing::{Cryptosuite, DidKeyResolver};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Arbitrary JSON values, a few levels deep.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "\\PC{0,20}".prop_map(Value::String),
        prop_oneof![
            Just("VerifiableCredential"),
            Just("OpenBadgeCredential"),
            Just("BitstringStatusListEntry"),
            Just("revocation"),
            Just("https://www.w3.org/ns/credentials/v2"),
            Just("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
            Just("2024-01-01T00:00:00Z"),
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("@context".to_owned()),
                    Just("type".to_owned()),
                    Just("issuer".to_owned()),
                    Just("credentialSubject".to_owned()),
                    Just("credentialStatus".to_owned()),
                    Just("proof".to_owned()),
                    Just("validFrom".to_owned()),
                    Just("statusListIndex".to_owned()),
                    Just("statusListCredential".to_owned()),
                    "[a-z]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

struct World {
    key: pathledger_signing::SigningKey,
    fetcher: StaticFetcher,
}

impl World {
    fn new() -> Self {
        let key = common::key(1);
        let mut fetcher = StaticFetcher::new();
        fetcher.insert(
            LIST_URL,
            signed_list(&key, LIST_URL, StatusPurpose::Revocation, &[9], None),
        );
        World { key, fetcher }
    }

    fn badge(&self, index: u64) -> Value {
        let entry = StatusEntry::new(LIST_URL, StatusPurpose::Revocation, index);
        let doc = open_badge_credential(&badge_input(&self.key, 1, Some(entry))).expect("badge");
        sign(&doc, &self.key, Cryptosuite::EddsaJcs2022)
    }

    fn verify_with(&self, fetcher: &StaticFetcher, doc: &Value) -> VerificationReport {
        let trusted = [self.key.public_key().did_key()];
        verifier(&DidKeyResolver, fetcher, &trusted).verify(doc)
    }
}

#[test]
fn forged_status_lists_are_not_accepted() {
    let w = World::new();
    let revoked = w.badge(9);
    assert_eq!(
        w.verify_with(&w.fetcher, &revoked).verdict,
        Verdict::Revoked
    );
    let clean = |forged: Value| {
        let mut f = StaticFetcher::new();
        f.insert(LIST_URL, forged);
        f
    };

    // A clean list published by someone else (signed with their own key).
    let other = common::key(2);
    let by_other = signed_list(&other, LIST_URL, StatusPurpose::Revocation, &[], None);
    // The same, but claiming our issuer while signed with the other key.
    let mut claims_ours = by_other.clone();
    claims_ours["issuer"] = json!(w.key.public_key().did_key());
    claims_ours.as_object_mut().expect("object").remove("proof");
    let claims_ours = sign(&claims_ours, &other, Cryptosuite::EddsaJcs2022);
    // Our genuine list with the revocation bit cleared after signing.
    let mut altered = w.fetcher.fetch_json(LIST_URL).expect("list");
    let empty = StatusList::new(131_072).expect("list").encode();
    altered["credentialSubject"]["encodedList"] = json!(empty);
    // Our genuine list, proof removed.
    let mut unsigned = w.fetcher.fetch_json(LIST_URL).expect("list");
    unsigned.as_object_mut().expect("object").remove("proof");

    for (name, forged) in [
        ("published by another issuer", by_other),
        ("signed with another key", claims_ours),
        ("bits altered after signing", altered),
        ("unsigned", unsigned),
    ] {
        let r = w.verify_with(&clean(forged), &revoked);
        assert_ne!(r.verdict, Verdict::Valid, "{name}");
        let status = r.check(CheckName::Status).expect("status check");
        assert_ne!(status.status, CheckStatus::Passed, "{name}: {status:?}");
        assert!(!status.message.is_empty(), "{name}: no reason");
    }
}

#[test]
fn deeply_nested_and_oversized_credentials_are_reports_not_panics() {
    let w = World::new();
    let mut deep = json!("leaf");
    for _ in 0..150 {
        deep = json!({"a": [deep]});
    }
    let mut doc = w.badge(1);
    doc["credentialSubject"]["extra"] = deep.clone();
    let r = w.verify_with(&w.fetcher, &doc);
    assert_ne!(r.verdict, Verdict::Valid);
    let mut clr = json!({"type": ["VerifiableCredential", "ClrCredential"],
                         "credentialSubject": {"verifiableCredential": []}});
    for _ in 0..50 {
        clr = json!({"type": ["VerifiableCredential", "ClrCredential"],
                     "credentialSubject": {"verifiableCredential": [clr]}});
    }
    assert_ne!(w.verify_with(&w.fetcher, &clr).verdict, Verdict::Valid);
    let mut big = w.badge(1);
    big["name"] = json!("x".repeat(2 * 1024 * 1024));
    assert_eq!(w.verify_with(&w.fetcher, &big).verdict, Verdict::Tampered);
    for entry in [
        json!({"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
               "statusListIndex": "99999999999999999999999", "statusListCredential": LIST_URL}),
        json!({"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
               "statusListIndex": "-1", "statusListCredential": LIST_URL}),
        json!({"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
               "statusListIndex": 1e300, "statusListCredential": LIST_URL}),
        json!({"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
               "statusListIndex": "131072", "statusListCredential": LIST_URL}),
        json!(deep),
    ] {
        if let Ok(e) = StatusEntry::parse(&entry) {
            // A parsable but out-of-range index must still not read a bit it does not have.
            let list = w.fetcher.fetch_json(LIST_URL).expect("list");
            let res = check_status(&e, &list, &DidKeyResolver, None, common::now());
            assert!(res.is_err(), "{entry}: {res:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_is_never_a_valid_credential(doc in arb_json()) {
        let w = World::new();
        let r = w.verify_with(&w.fetcher, &doc);
        prop_assert_ne!(r.verdict, Verdict::Valid);
        prop_assert!(!r.message.is_empty());
    }

    #[test]
    fn arbitrary_json_in_a_signed_credential_is_never_valid(
        field in prop_oneof![Just("credentialStatus"), Just("issuer"), Just("proof"),
                             Just("validFrom"), Just("credentialSubject"), Just("@context")],
        value in arb_json(),
    ) {
        let w = World::new();
        let mut doc = w.badge(1);
        if doc[field] != value {
            doc[field] = value;
            let r = w.verify_with(&w.fetcher, &doc);
            prop_assert_ne!(r.verdict, Verdict::Valid);
        }
    }

    #[test]
    fn status_parsers_never_panic(v in arb_json(), s in "\\PC{0,200}") {
        let _ = StatusEntry::parse(&v);
        let _ = StatusList::decode(&s);
        let _ = StatusList::decode(&format!("u{s}"));
        let _ = StatusPurpose::parse(&s);
        if let Ok(e) = StatusEntry::parse(&json!({"type": "BitstringStatusListEntry",
                "statusPurpose": "revocation", "statusListIndex": "3",
                "statusListCredential": LIST_URL})) {
            let _ = check_status(&e, &v, &DidKeyResolver, None, common::now());
        }
    }
}
