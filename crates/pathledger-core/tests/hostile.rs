//! Hostile CASE packages and definition documents: random damage to the sample package, parent
//! cycles, absurd sizes and arbitrary JSON. Import either succeeds or lists errors with JSON
//! pointers; it never panics or loops.

use pathledger_core::case::{import_cfpackage, CaseImportOptions};
use pathledger_core::Definitions;
use proptest::prelude::*;
use serde_json::{json, Value};

fn sample() -> Value {
    serde_json::from_str(include_str!("data/case/sample-cfpackage.json")).expect("sample json")
}

/// JSON pointers of every value in `v` (containers included).
fn pointers(v: &Value, path: String, out: &mut Vec<String>) {
    out.push(path.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                pointers(
                    c,
                    format!("{path}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                pointers(c, format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "\\PC{0,30}".prop_map(Value::String),
        Just(json!([])),
        Just(json!({})),
        Just(json!("a1b2c3d4-0000-4000-8000-000000000011")),
        Just(json!("isChildOf")),
    ]
}

/// Imports and checks the contract: Ok, or errors that each name a path.
fn import_checked(pkg: &Value) -> Result<(), String> {
    match import_cfpackage(pkg, &CaseImportOptions::default()) {
        Ok(_) => Ok(()),
        Err(errs) => {
            if errs.errors().is_empty() {
                return Err("an error list without errors".into());
            }
            for e in errs.errors() {
                if !(e.path.is_empty() || e.path.starts_with('/')) {
                    return Err(format!("not a JSON pointer: {:?}", e.path));
                }
            }
            Ok(())
        }
    }
}

#[test]
fn sample_imports_and_obvious_garbage_is_refused_with_paths() {
    import_cfpackage(&sample(), &CaseImportOptions::default()).expect("sample imports");
    for bad in [
        json!(null),
        json!([]),
        json!("CFPackage"),
        json!({}),
        json!({"CFDocument": []}),
        json!({"CFDocument": {}, "CFItems": "x"}),
    ] {
        let errs =
            import_cfpackage(&bad, &CaseImportOptions::default()).expect_err(&bad.to_string());
        assert!(!errs.errors().is_empty());
        assert!(!errs.to_string().is_empty());
    }
}

#[test]
fn parent_cycles_and_self_parents_terminate() {
    let mut pkg = sample();
    let items: Vec<String> = pkg["CFItems"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["identifier"].as_str().expect("identifier").to_owned())
        .collect();
    // Every item is the child of the next, and the last of the first: one big cycle, plus a
    // self-parent. Whatever the result, import must end and report with paths.
    let mut assocs = Vec::new();
    for (n, a) in items.iter().enumerate() {
        let b = &items[(n + 1) % items.len()];
        assocs.push(json!({
            "identifier": format!("c0000000-0000-4000-8000-{n:012}"),
            "associationType": "isChildOf",
            "originNodeURI": {"identifier": a, "uri": format!("urn:x:{a}"), "title": "a"},
            "destinationNodeURI": {"identifier": b, "uri": format!("urn:x:{b}"), "title": "b"},
        }));
    }
    assocs.push(json!({
        "identifier": "c0000000-0000-4000-8000-999999999999",
        "associationType": "isChildOf",
        "originNodeURI": {"identifier": items[0], "uri": "urn:x", "title": "a"},
        "destinationNodeURI": {"identifier": items[0], "uri": "urn:x", "title": "a"},
    }));
    pkg["CFAssociations"] = Value::Array(assocs);
    import_checked(&pkg).expect("contract");
}

#[test]
fn huge_packages_and_deep_definitions_are_bounded() {
    // Many items with one long statement each: import or a clear error, no blow-up.
    let mut pkg = sample();
    let template = pkg["CFItems"][0].clone();
    let mut items = Vec::new();
    for n in 0..5_000 {
        let mut it = template.clone();
        it["identifier"] = json!(format!("d0000000-0000-4000-8000-{n:012}"));
        it["fullStatement"] = json!("s".repeat(200));
        items.push(it);
    }
    pkg["CFItems"] = Value::Array(items);
    import_checked(&pkg).expect("contract");

    // Definition documents: too deep for the parser, wrong shapes, and random text.
    for text in [
        "[".repeat(100_000),
        "{\"framework\":".repeat(10_000),
        "{\"framework\": 1e400}".to_owned(),
        "{\"framework\": \"\\ud800\"}".to_owned(),
        String::new(),
        "null".into(),
        "[]".into(),
    ] {
        let errs = Definitions::from_json(&text).expect_err(&text[..text.len().min(40)]);
        assert!(!errs.errors().is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn damaged_sample_packages_import_or_report_paths(
        picks in prop::collection::vec((any::<prop::sample::Index>(), arb_leaf()), 1..4),
        drop in any::<bool>(),
    ) {
        let mut pkg = sample();
        for (idx, value) in picks {
            let mut ps = Vec::new();
            pointers(&pkg, String::new(), &mut ps);
            let p = idx.get(&ps).clone();
            if p.is_empty() {
                continue;
            }
            if drop {
                let (parent, key) = p.rsplit_once('/').expect("pointer");
                match pkg.pointer_mut(parent) {
                    Some(Value::Object(m)) => { m.remove(&key.replace("~1", "/").replace("~0", "~")); }
                    Some(Value::Array(a)) => {
                        if let Ok(i) = key.parse::<usize>() {
                            if i < a.len() { a.remove(i); }
                        }
                    }
                    _ => {}
                }
            } else if let Some(slot) = pkg.pointer_mut(&p) {
                *slot = value;
            }
        }
        prop_assert!(import_checked(&pkg).is_ok(), "{:?}", import_checked(&pkg));
    }

    #[test]
    fn definitions_from_arbitrary_text_never_panic(s in "\\PC{0,400}") {
        let _ = Definitions::from_json(&s);
    }
}
