//! Bitstring Status List vectors (tests/vectors/status) and properties.

mod common;

use pathledger_badges::*;
use pathledger_signing::DidKeyResolver;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::HashSet;

const LISTS: &str = include_str!("../../../tests/vectors/status/encoded-lists.json");
const BAD: &str = include_str!("../../../tests/vectors/status/bad-lists.json");
const FIXTURE: &str = include_str!("../../../tests/vectors/status/1edtech-fixture-entry.json");
const SIGNED_LIST: &str =
    include_str!("../../../tests/vectors/status/list-1-revocation-signed.json");

#[test]
fn encoded_vectors_decode_to_stated_bits() {
    let lists: Vec<Value> = serde_json::from_str(LISTS).expect("json");
    assert_eq!(lists.len(), 4);
    for v in lists {
        let list = StatusList::decode(v["encodedList"].as_str().expect("str")).expect("decode");
        assert_eq!(
            list.len(),
            v["bits"].as_u64().expect("bits"),
            "{}",
            v["name"]
        );
        let want: Vec<u64> = v["set"]
            .as_array()
            .expect("set")
            .iter()
            .map(|x| x.as_u64().expect("u64"))
            .collect();
        assert_eq!(list.set_indexes(), want, "{}", v["name"]);
        // Re-encoding may give other gzip bytes; the bits must survive.
        let again = StatusList::decode(&list.encode()).expect("re-decode");
        assert_eq!(again, list);
    }
}

#[test]
fn msb_first_byte_layout() {
    let mut list = StatusList::new(131_072).expect("new");
    for i in [0, 7, 8, 94_567] {
        list.set(i, true).expect("set");
    }
    let b = list.as_bytes();
    assert_eq!((b[0], b[1], b[11_820]), (0x81, 0x80, 0x01));
    let lists: Vec<Value> = serde_json::from_str(LISTS).expect("json");
    let reference = StatusList::decode(lists[1]["encodedList"].as_str().expect("s")).expect("d");
    assert_eq!(list, reference);
}

#[test]
fn bad_lists_and_lengths_rejected_with_codes() {
    let bad: Vec<Value> = serde_json::from_str(BAD).expect("json");
    for v in bad {
        let err = StatusList::decode(v["encodedList"].as_str().expect("s")).expect_err("bad");
        assert_eq!(
            err.code(),
            v["code"].as_str().expect("code"),
            "{}",
            v["name"]
        );
    }
    // 131,064 bits (one byte short) is a length error, on decode and on construction.
    let short = {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&[0u8; 16_383]).expect("gz");
        gz.finish().expect("gz")
    };
    use base64::Engine as _;
    let enc = format!(
        "u{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(short)
    );
    assert_eq!(
        StatusList::decode(&enc).expect_err("short").code(),
        "STATUS_LIST_LENGTH_ERROR"
    );
    assert_eq!(
        StatusList::new(131_064).expect_err("short").code(),
        "STATUS_LIST_LENGTH_ERROR"
    );
    let list = StatusList::new(131_072).expect("ok");
    assert_eq!(list.get(131_072).expect_err("range").code(), "RANGE_ERROR");
    assert_eq!(list.get(u64::MAX).expect_err("range").code(), "RANGE_ERROR");
}

#[test]
fn fixture_numeric_index_is_read_and_string_is_emitted() {
    let v: Value = serde_json::from_str(FIXTURE).expect("json");
    let entry = StatusEntry::parse(&v["credentialStatus"]).expect("parse");
    assert_eq!(entry.index, 23);
    let list = StatusList::decode(v["encodedList"].as_str().expect("s")).expect("decode");
    assert_eq!(
        list.get(entry.index).expect("get"),
        v["expectSet"].as_bool().expect("b")
    );
    assert!(!list.get(22).expect("get") && !list.get(24).expect("get"));
    assert_eq!(entry.to_json()["statusListIndex"], json!("23"));
}

#[test]
fn entry_parse_rejects_bad_entries() {
    let good = StatusEntry::new("https://x.org/s/1", StatusPurpose::Suspension, 5).to_json();
    assert!(StatusEntry::parse(&good).is_ok());
    for (field, value) in [
        ("statusListIndex", json!("-1")),
        ("statusListIndex", json!("1e3")),
        ("statusListIndex", json!(-4)),
        ("statusPurpose", json!("bogus")),
        ("type", json!("StatusList2021Entry")),
        ("statusSize", json!(2)),
    ] {
        let mut bad = good.clone();
        bad[field] = value;
        let err = StatusEntry::parse(&bad).expect_err(field);
        assert_eq!(err.code(), "MALFORMED_VALUE_ERROR");
    }
    let mut no_id = good.clone();
    no_id.as_object_mut().expect("o").remove("id");
    assert!(StatusEntry::parse(&no_id).is_err());
}

#[test]
fn signed_list_vector_reproduces_and_revokes_4_6() {
    let v: Value = serde_json::from_str(SIGNED_LIST).expect("json");
    let key = common::w3c_key();
    // Re-sign the unsigned list with the 4.1 key and options: proofValue must match STANDARDS 4.11.
    let unsigned = v["unsigned"].clone();
    let resigned = common::sign(
        &unsigned,
        &key,
        pathledger_signing::Cryptosuite::EddsaJcs2022,
    );
    assert_eq!(resigned["proof"]["proofValue"], v["expectedProofValue"]);
    assert_eq!(resigned, v["signed"]);

    let entry = StatusEntry::parse(&v["credential46Status"]).expect("entry");
    let issuer = key.public_key().did_key();
    let check = check_status(
        &entry,
        &v["signed"],
        &DidKeyResolver,
        Some(&issuer),
        common::now(),
    )
    .expect("check");
    assert!(check.set, "index 94567 is revoked");
    let clear = StatusEntry {
        index: 94_566,
        ..entry.clone()
    };
    assert!(
        !check_status(
            &clear,
            &v["signed"],
            &DidKeyResolver,
            Some(&issuer),
            common::now()
        )
        .expect("check")
        .set
    );

    // Tampered twins of the list: each must fail with STATUS_VERIFICATION_ERROR.
    let mut flipped = v["signed"].clone();
    flipped["credentialSubject"]["encodedList"] =
        json!(StatusList::new(131_072).expect("l").encode());
    let mut wrong_purpose = entry.clone();
    wrong_purpose.purpose = StatusPurpose::Suspension;
    let other_key = common::key(7);
    let mut resigned_other = unsigned.clone();
    resigned_other["issuer"] = json!(other_key.public_key().did_key());
    let resigned_other = common::sign(
        &resigned_other,
        &other_key,
        pathledger_signing::Cryptosuite::EddsaJcs2022,
    );
    for (name, list, e) in [
        ("tampered bits", &flipped, &entry),
        ("purpose mismatch", &v["signed"], &wrong_purpose),
        ("other issuer", &resigned_other, &entry),
    ] {
        let err =
            check_status(e, list, &DidKeyResolver, Some(&issuer), common::now()).expect_err(name);
        assert_eq!(err.code(), "STATUS_VERIFICATION_ERROR", "{name}");
    }
    // An expired list cannot vouch for anything.
    let expired = common::signed_list(
        &key,
        "https://example.org/status/1",
        StatusPurpose::Revocation,
        &[],
        Some(time::macros::datetime!(2025-01-01 0:00 UTC)),
    );
    let err = check_status(
        &entry,
        &expired,
        &DidKeyResolver,
        Some(&issuer),
        common::now(),
    )
    .expect_err("expired");
    assert_eq!(err.code(), "STATUS_VERIFICATION_ERROR");
}

#[test]
fn builder_list_has_the_same_bits_as_the_vector() {
    let v: Value = serde_json::from_str(SIGNED_LIST).expect("json");
    let ours = common::signed_list(
        &common::w3c_key(),
        "https://example.org/status/1",
        StatusPurpose::Revocation,
        &[0, 7, 8, 94_567],
        None,
    );
    let decode = |doc: &Value| {
        StatusList::decode(doc["credentialSubject"]["encodedList"].as_str().expect("s"))
            .expect("decode")
    };
    assert_eq!(decode(&ours), decode(&v["signed"]));
    assert_eq!(ours["type"], v["signed"]["type"]);
    assert_eq!(
        ours["credentialSubject"]["statusPurpose"],
        json!("revocation")
    );
}

#[test]
fn allocation_finds_free_slots_and_reports_full() {
    let mut used = HashSet::new();
    for _ in 0..200 {
        let i = allocate_index(256, |i| used.contains(&i)).expect("free slot");
        assert!(i < 256);
        assert!(used.insert(i), "index {i} handed out twice");
    }
    for i in 0..256 {
        used.insert(i);
    }
    assert_eq!(
        allocate_index(256, |i| used.contains(&i)),
        Err(StatusError::Full)
    );
    used.remove(&200);
    assert_eq!(allocate_index(256, |i| used.contains(&i)), Ok(200));
    assert_eq!(allocate_index(0, |_| false), Err(StatusError::Full));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn set_get_encode_decode(idx in prop::collection::btree_set(0u64..131_072, 0..40)) {
        let mut list = StatusList::new(131_072).expect("new");
        for i in &idx {
            list.set(*i, true).expect("set");
        }
        let back = StatusList::decode(&list.encode()).expect("decode");
        prop_assert_eq!(back.set_indexes(), idx.iter().copied().collect::<Vec<_>>());
        for i in &idx {
            prop_assert!(back.get(*i).expect("get"));
        }
        if let Some(first) = idx.iter().next() {
            list.set(*first, false).expect("clear");
            prop_assert!(!list.get(*first).expect("get"));
        }
    }

    #[test]
    fn decode_never_panics(s in "u[A-Za-z0-9_-]{0,64}") {
        let _ = StatusList::decode(&s);
    }
}
