//! Validation of definitions: each kind of error is reported with the exact JSON pointer of
//! the offending item, all errors at once, and nothing panics.

use pathledger_core::{DefinitionErrors, Definitions};
use serde_json::{json, Value};

fn base() -> Value {
    Definitions::default_data()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_value()
}

fn set(doc: &mut Value, ptr: &str, v: Value) {
    *doc.pointer_mut(ptr).unwrap_or_else(|| panic!("no {ptr}")) = v;
}

fn push(doc: &mut Value, ptr: &str, v: Value) {
    doc.pointer_mut(ptr)
        .and_then(Value::as_array_mut)
        .unwrap_or_else(|| panic!("no array {ptr}"))
        .push(v);
}

fn errors(doc: &Value) -> DefinitionErrors {
    match Definitions::from_value(doc) {
        Ok(_) => panic!("definitions should be rejected"),
        Err(e) => e,
    }
}

fn expect(doc: &Value, path: &str, needle: &str) {
    let e = errors(doc);
    assert!(
        e.errors()
            .iter()
            .any(|x| x.path == path && x.to_string().contains(needle)),
        "expected error at {path} containing {needle:?}, got:\n{e}"
    );
}

fn role_index(doc: &Value, id: &str) -> usize {
    doc["roles"]
        .as_array()
        .and_then(|a| a.iter().position(|r| r["id"] == id))
        .expect("role")
}

#[test]
fn default_data_round_trips_through_json() {
    let d = Definitions::default_data().unwrap_or_else(|e| panic!("{e}"));
    let again = Definitions::from_value(&d.to_value()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.to_value(), d.to_value());
    assert_eq!(d.roles().len(), 11);
    assert!(d.role("role-integrator-specialist").is_some());
    assert!(d.achievement("mc-data-practices-1").is_some());
}

#[test]
fn unknown_credential_in_requirement() {
    let mut doc = base();
    let ri = role_index(&doc, "role-novice-teacher");
    set(
        &mut doc,
        &format!("/roles/{ri}/transitions/1/requires/all_of/0"),
        json!({"credential": "x"}),
    );
    expect(
        &doc,
        &format!("/roles/{ri}/transitions/1/requires/all_of/0/credential"),
        "unknown achievement \"x\"",
    );
    let e = errors(&doc);
    assert_eq!(
        e.errors()[0].to_string(),
        format!(
            "/roles/{ri}/transitions/1/requires/all_of/0/credential: unknown achievement \"x\""
        )
    );
}

#[test]
fn unknown_references_everywhere_reported_together() {
    let mut doc = base();
    set(&mut doc, "/achievements/0/alignments/0", json!("comp-nope"));
    set(
        &mut doc,
        "/stacks/0/required/0",
        json!({"achievement": "mc-nope"}),
    );
    set(
        &mut doc,
        "/stacks/1/required/0",
        json!({"stack": "stack-nope"}),
    );
    set(
        &mut doc,
        "/framework/competencies/10/parent",
        json!("comp-nope"),
    );
    set(&mut doc, "/roles/0/transitions/0/to", json!("role-nope"));
    set(
        &mut doc,
        "/roles/2/transitions/0/requires/all_of/0/rotations/roles/1",
        json!("role-nope"),
    );
    set(
        &mut doc,
        "/roles/2/transitions/0/requires/all_of/1/endorsements/role",
        json!("role-nope"),
    );
    let e = errors(&doc);
    for p in [
        "/achievements/0/alignments/0",
        "/stacks/0/required/0/achievement",
        "/stacks/1/required/0/stack",
        "/framework/competencies/10/parent",
        "/roles/0/transitions/0/to",
        "/roles/2/transitions/0/requires/all_of/0/rotations/roles/1",
        "/roles/2/transitions/0/requires/all_of/1/endorsements/role",
    ] {
        assert!(e.has_path(p), "missing {p} in\n{e}");
    }
}

#[test]
fn duplicate_ids() {
    let mut doc = base();
    let a0 = doc["achievements"][0].clone();
    push(&mut doc, "/achievements", a0);
    let n = doc["achievements"].as_array().map_or(0, Vec::len) - 1;
    expect(
        &doc,
        &format!("/achievements/{n}/id"),
        "duplicate achievement id",
    );
    let mut doc = base();
    let r0 = doc["roles"][0].clone();
    push(&mut doc, "/roles", r0);
    expect(&doc, "/roles/11/id", "duplicate role id");
}

#[test]
fn stack_cycle() {
    let mut doc = base();
    // blended foundations (stack 0) now needs the on-ramp (stack 1), which needs it back.
    push(
        &mut doc,
        "/stacks/0/required",
        json!({"stack": "stack-career-switcher-on-ramp"}),
    );
    expect(&doc, "/stacks/0", "stack cycle: stack-blended-foundations -> stack-career-switcher-on-ramp -> stack-blended-foundations");
}

#[test]
fn stack_cycle_through_awarded_certificate() {
    let mut doc = base();
    push(
        &mut doc,
        "/stacks/0/required",
        json!({"achievement": "cert-blended-foundations"}),
    );
    expect(&doc, "/stacks/0", "stack cycle");
}

#[test]
fn role_requirement_cycle() {
    let mut doc = base();
    // Entering Integrator requires the Integrator role's own award.
    let ri = role_index(&doc, "role-novice-teacher");
    push(
        &mut doc,
        &format!("/roles/{ri}/transitions/1/requires/all_of"),
        json!({"credential": "award-integrator-specialist"}),
    );
    expect(
        &doc,
        &format!("/roles/{ri}/transitions/1/requires"),
        "role requirement cycle",
    );
}

#[test]
fn unsatisfiable_conditions() {
    let mut doc = base();
    set(&mut doc, "/stacks/0/min_electives", json!(5));
    expect(
        &doc,
        "/stacks/0/min_electives",
        "needs 5 electives but only 2 are listed",
    );

    let mut doc = base();
    set(
        &mut doc,
        "/roles/0/transitions/0/requires",
        json!({"at_least": {"n": 3, "of": [{"stack": "stack-blended-foundations"}]}}),
    );
    expect(
        &doc,
        "/roles/0/transitions/0/requires/at_least/n",
        "at_least needs 3 of 1 options",
    );

    let mut doc = base();
    set(
        &mut doc,
        "/roles/0/transitions/0/requires",
        json!({"any_of": []}),
    );
    expect(
        &doc,
        "/roles/0/transitions/0/requires/any_of",
        "any_of has no options",
    );

    let mut doc = base();
    set(
        &mut doc,
        "/roles/2/transitions/0/requires/all_of/2/competencies_in_category/count",
        json!(40),
    );
    expect(
        &doc,
        "/roles/2/transitions/0/requires/all_of/2/competencies_in_category/count",
        "unsatisfiable",
    );

    let mut doc = base();
    set(
        &mut doc,
        "/roles/2/transitions/0/requires/all_of/0/rotations/count",
        json!(4),
    );
    expect(
        &doc,
        "/roles/2/transitions/0/requires/all_of/0/rotations/count",
        "only 3 distinct roles",
    );
}

#[test]
fn unreachable_role_and_self_transition() {
    let mut doc = base();
    push(
        &mut doc,
        "/roles",
        json!({"id": "role-island", "name": "Island", "kind": "teaching", "direction": "depth"}),
    );
    expect(&doc, "/roles/11", "cannot be reached");
    let mut doc = base();
    set(
        &mut doc,
        "/roles/0/transitions/0/to",
        json!("role-career-switcher"),
    );
    expect(&doc, "/roles/0/transitions/0/to", "itself");
}

#[test]
fn schema_errors_have_paths() {
    let mut doc = base();
    set(
        &mut doc,
        "/roles/3/transitions/1/requires/all_of/0",
        json!({"credentail": "mc-x"}),
    );
    set(
        &mut doc,
        "/achievements/2/achievement_type",
        json!("Diploma-ish"),
    );
    set(
        &mut doc,
        "/framework/competencies/0/category",
        json!("vibes"),
    );
    let e = errors(&doc);
    for p in [
        "/roles/3/transitions/1/requires/all_of/0",
        "/achievements/2/achievement_type",
        "/framework/competencies/0/category",
    ] {
        assert!(e.has_path(p), "missing {p} in\n{e}");
    }
}

#[test]
fn missing_and_unexpected_sections() {
    let mut doc = base();
    if let Some(o) = doc.as_object_mut() {
        o.remove("stacks");
        o.insert("extras".into(), json!([]));
    }
    let e = errors(&doc);
    assert!(
        e.errors()
            .iter()
            .any(|x| x.path.is_empty() && x.to_string().contains("missing section \"stacks\"")),
        "{e}"
    );
    assert!(e.has_path("/extras"), "{e}");
    assert!(Definitions::from_json("{not json").is_err());
    assert!(Definitions::from_json("[]").is_err());
}

#[test]
fn bad_ids_are_rejected_at_the_edge() {
    let mut doc = base();
    set(&mut doc, "/roles/0/id", json!("role with spaces"));
    let e = errors(&doc);
    assert!(e.has_path("/roles/0/id"), "{e}");
}

#[test]
fn parts_merge_and_duplicate_sections() {
    let files = pathledger_core::DEFAULT_FILES.map(|(_, t)| t);
    assert!(Definitions::from_parts(&files).is_ok());
    let e = match Definitions::from_parts(&[files[0], files[0], files[1], files[2], files[3]]) {
        Ok(_) => panic!("duplicate section accepted"),
        Err(e) => e,
    };
    assert!(e.has_path("/framework"), "{e}");
}
