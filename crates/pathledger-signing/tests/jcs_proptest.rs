//! Property tests: our JCS against the independent `serde_jcs` crate, plus never-panic checks.
//!
//! serde_jcs 0.2 agrees with us on every value tried here, including integers beyond 2^53
//! (both print the nearest double, e.g. `18446744073709552000`), -0 and non-BMP key order;
//! no known difference needs excluding.

use pathledger_signing::jcs;
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_@:]{0,8}",
        any::<String>(),
        // Characters that stress UTF-16 ordering and escaping.
        proptest::collection::vec(
            prop_oneof![
                Just('\u{0}'),
                Just('\u{1f}'),
                Just('"'),
                Just('\\'),
                Just('\u{7f}'),
                Just('\u{e000}'),
                Just('\u{fb33}'),
                Just('\u{ffff}'),
                Just('\u{10000}'),
                Just('\u{1f600}'),
                Just('a'),
            ],
            0..6
        )
        .prop_map(|v| v.into_iter().collect()),
    ]
}

fn arb_number() -> impl Strategy<Value = Value> {
    const EXACT: i64 = 1 << 53;
    prop_oneof![
        (-EXACT..=EXACT).prop_map(|i| Value::Number(i.into())),
        any::<i64>().prop_map(|i| Value::Number(i.into())),
        any::<u64>().prop_map(|u| Value::Number(u.into())),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or(Value::Null)),
        (-1e6f64..1e6).prop_map(|f| Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number(),
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((arb_string(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn matches_serde_jcs(v in arb_json()) {
        let ours = jcs::canonicalize(&v).expect("finite JSON canonicalizes");
        let theirs = serde_jcs::to_string(&v).expect("serde_jcs");
        prop_assert_eq!(ours, theirs);
    }

    #[test]
    fn canonical_form_is_a_fixed_point(v in arb_json()) {
        let once = jcs::canonicalize(&v).expect("canonicalizes");
        let parsed = jcs::parse_strict(once.as_bytes()).expect("canonical output parses");
        prop_assert_eq!(jcs::canonicalize(&parsed).expect("again"), once);
    }

    #[test]
    fn doubles_round_trip(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        let s = jcs::format_f64(f).expect("finite");
        let back: f64 = s.parse().expect("ECMAScript output is a valid float literal");
        prop_assert!(back == f || (back == 0.0 && f == 0.0), "{} -> {} -> {}", f, s, back);
    }

    #[test]
    fn strict_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = jcs::parse_strict(&bytes);
    }

    #[test]
    fn large_integers_print_as_doubles(u in (1u64 << 53)..u64::MAX) {
        let ours = jcs::canonicalize(&Value::Number(u.into())).expect("ok");
        prop_assert_eq!(ours, jcs::format_f64(u as f64).expect("finite"));
    }
}

/// A random object with values at `/h0`, `/h1` and `/n/h2` (the holes), and random members
/// around them.
fn arb_templated() -> impl Strategy<Value = Value> {
    (
        proptest::collection::vec((arb_string(), arb_json()), 0..6),
        proptest::collection::vec((arb_string(), arb_json()), 0..4),
        arb_json(),
    )
        .prop_map(|(top, nested, v)| {
            let mut n: Map<String, Value> = nested.into_iter().collect();
            n.insert("h2".into(), v.clone());
            let mut m: Map<String, Value> = top.into_iter().collect();
            m.insert("h0".into(), v.clone());
            m.insert("h1".into(), v);
            m.insert("n".into(), Value::Object(n));
            Value::Object(m)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A template filled with any values is exactly the canonical form of the document holding
    /// those values, whatever the members around the holes and their order.
    #[test]
    fn template_fill_is_the_canonical_form(
        doc in arb_templated(),
        a in arb_json(),
        b in arb_json(),
        c in arb_json(),
    ) {
        let holes = ["/h1", "/n/h2", "/h0"];
        let t = jcs::Template::new(&doc, &holes).unwrap().expect("every hole exists");
        prop_assert_eq!(t.holes(), 3);
        let mut filled = Vec::new();
        t.fill(&[&a, &b, &c], &mut filled).unwrap();
        let mut want = doc.clone();
        *want.pointer_mut("/h1").unwrap() = a;
        *want.pointer_mut("/n/h2").unwrap() = b;
        *want.pointer_mut("/h0").unwrap() = c;
        prop_assert_eq!(String::from_utf8(filled).unwrap(), jcs::canonicalize(&want).unwrap());
    }
}

#[test]
fn template_refuses_holes_it_cannot_place() {
    let doc = serde_json::json!({"a": {"b": 1}, "c": "x"});
    // A pointer to nothing, the same place twice, and a place inside another hole.
    assert!(jcs::Template::new(&doc, &["/missing"]).unwrap().is_none());
    assert!(jcs::Template::new(&doc, &["/c", "/c"]).unwrap().is_none());
    assert!(jcs::Template::new(&doc, &["/a", "/a/b"]).unwrap().is_none());
    // A document that already holds the marker text is not templated.
    let tricky = serde_json::json!({"a": 1, "b": "\u{E000}pathledger-jcs-hole-0\u{E000}"});
    assert!(jcs::Template::new(&tricky, &["/a"]).unwrap().is_none());
    // The wrong number of values is an error, not a guess.
    let t = jcs::Template::new(&doc, &["/c"]).unwrap().unwrap();
    let mut out = Vec::new();
    assert!(t.fill(&[], &mut out).is_err());
    t.fill(&[&Value::from(7)], &mut out).unwrap();
    assert_eq!(out, br#"{"a":{"b":1},"c":7}"#);
}
