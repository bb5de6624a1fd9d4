//! Data-driven tests: each file under tests/data/educators/ holds an educator and the
//! expected evaluation, plans and unlocks, written as data.

use std::collections::BTreeSet;

use pathledger_core::{Definitions, EducatorState, PlanOptions};
use serde_json::Value;

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn set(v: &Value) -> BTreeSet<String> {
    strs(v).into_iter().collect()
}

fn ids<T: ToString>(v: &[T]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

fn in_range(what: &str, got: f64, range: &Value) {
    let lo = range[0].as_f64().expect("range low");
    let hi = range[1].as_f64().expect("range high");
    assert!(
        got >= lo - 1e-9 && got <= hi + 1e-9,
        "{what}: progress {got} not in [{lo}, {hi}]"
    );
}

fn check_file(defs: &Definitions, name: &str, doc: &Value) {
    let state =
        EducatorState::from_value(&doc["educator"]).unwrap_or_else(|e| panic!("{name}: {e}"));
    let exp = &doc["expect"];
    let ev = defs.evaluate(&state);
    let met: BTreeSet<String> = ev.roles_met().iter().map(ToString::to_string).collect();
    assert_eq!(met, set(&exp["roles_met"]), "{name}: roles met");
    for r in strs(&exp["roles_not_met"]) {
        assert!(!met.contains(&r), "{name}: {r} should not be met");
    }
    if exp.get("stacks_met").is_some() {
        let got: BTreeSet<String> = ev
            .stacks
            .iter()
            .filter(|s| s.met)
            .map(|s| s.stack.to_string())
            .collect();
        assert_eq!(got, set(&exp["stacks_met"]), "{name}: stacks met");
    }
    if let Some(m) = exp["role_progress"].as_object() {
        for (role, range) in m {
            let st = ev
                .role(role)
                .unwrap_or_else(|| panic!("{name}: no role {role}"));
            in_range(&format!("{name} {role}"), st.progress, range);
        }
    }
    if let Some(m) = exp["stack_progress"].as_object() {
        for (stack, range) in m {
            let st = ev
                .stack(stack)
                .unwrap_or_else(|| panic!("{name}: no stack {stack}"));
            in_range(&format!("{name} {stack}"), st.progress, range);
        }
    }
    assert_eq!(
        ids(&defs.to_issue(&state)),
        ids(&ev.to_issue),
        "{name}: to_issue alone"
    );
    if exp.get("to_issue").is_some() {
        assert_eq!(
            ids(&ev.to_issue),
            strs(&exp["to_issue"]),
            "{name}: to_issue"
        );
    }
    for p in exp["plans"].as_array().into_iter().flatten() {
        let target = p["target"].as_str().expect("target");
        let plan = defs
            .plan(&state, target, &PlanOptions::default())
            .unwrap_or_else(|e| panic!("{name} -> {target}: {e}"));
        let what = format!("{name} -> {target}");
        assert!(plan.exact, "{what}: default data must be planned exactly");
        if p.get("credentials").is_some() {
            if p["ordered"].as_bool() == Some(true) {
                assert_eq!(
                    ids(&plan.credentials),
                    strs(&p["credentials"]),
                    "{what}: credentials"
                );
            } else {
                let got: BTreeSet<String> = ids(&plan.credentials).into_iter().collect();
                assert_eq!(got, set(&p["credentials"]), "{what}: credentials");
            }
        }
        if let Some(n) = p["credential_count"].as_u64() {
            assert_eq!(plan.credentials.len() as u64, n, "{what}: credential count");
        }
        if p.get("roles").is_some() {
            assert_eq!(ids(&plan.roles), strs(&p["roles"]), "{what}: roles");
        }
        if p.get("remaining_paths").is_some() {
            let got: Vec<String> = plan.remaining.iter().map(|r| r.path.clone()).collect();
            assert_eq!(got, strs(&p["remaining_paths"]), "{what}: remaining");
        }
        if p.get("stacks_completed").is_some() {
            assert_eq!(
                ids(&plan.stacks_completed),
                strs(&p["stacks_completed"]),
                "{what}: stacks"
            );
        }
        if p.get("incentive_stacks").is_some() {
            let got: Vec<String> = plan
                .incentives
                .iter()
                .map(|i| i.stack.to_string())
                .collect();
            assert_eq!(got, strs(&p["incentive_stacks"]), "{what}: incentives");
        }
        if p.get("awarded").is_some() {
            assert_eq!(ids(&plan.awarded), strs(&p["awarded"]), "{what}: awarded");
        }
        // Following the plan (credentials + listed facts) reaches the target.
        let after = plan.apply_to(&state);
        assert!(
            defs.evaluate(&after).role(target).is_some_and(|r| r.met),
            "{what}: applying the plan does not reach the target"
        );
    }
    for u in exp["unlocks"].as_array().into_iter().flatten() {
        let a = u["achievement"].as_str().expect("achievement");
        let got = defs
            .unlocks(&state, a)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let what = format!("{name} unlocks {a}");
        assert_eq!(
            ids(&got.advances_stacks)
                .into_iter()
                .collect::<BTreeSet<_>>(),
            set(&u["advances_stacks"]),
            "{what}"
        );
        assert_eq!(
            ids(&got.completes_stacks)
                .into_iter()
                .collect::<BTreeSet<_>>(),
            set(&u["completes_stacks"]),
            "{what}"
        );
        assert_eq!(
            ids(&got.reaches_roles).into_iter().collect::<BTreeSet<_>>(),
            set(&u["reaches_roles"]),
            "{what}"
        );
    }
}

#[test]
fn example_educators() {
    let defs = Definitions::default_data().unwrap_or_else(|e| panic!("{e}"));
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/educators");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("educators dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "expected the three example educators");
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let doc: Value = serde_json::from_str(&text).expect("json");
        check_file(&defs, &f.display().to_string(), &doc);
    }
}

#[test]
fn evaluation_serializes_with_status_trees() {
    let defs = Definitions::default_data().unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/educators/novice-one-endorsement-short.json"
    ))
    .expect("read");
    let doc: Value = serde_json::from_str(&text).expect("json");
    let state = EducatorState::from_value(&doc["educator"]).expect("state");
    let v = serde_json::to_value(defs.evaluate(&state)).expect("serialize");
    let integrator = v["roles"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["role"] == "role-integrator-specialist"))
        .expect("role");
    let t = &integrator["transitions"][0];
    assert_eq!(t["from"], "role-novice-teacher");
    assert_eq!(t["requires"]["type"], "all_of");
    assert_eq!(t["requires"]["children"][0]["type"], "stack");
    assert_eq!(t["requires"]["children"][0]["met"], true);
    assert_eq!(t["requires"]["children"][1]["type"], "endorsements");
    assert_eq!(t["requires"]["children"][1]["have"], 1);
    assert_eq!(t["requires"]["children"][1]["count"], 2);
    // Gap report: all four categories, nothing missing in credentials for this route.
    let gaps = integrator["gaps"].as_array().expect("gaps");
    assert_eq!(gaps.len(), 4);
    assert!(gaps.iter().all(|g| g["missing_credentials"]
        .as_array()
        .is_some_and(Vec::is_empty)));
}

#[test]
fn gap_report_lists_missing_credentials_by_category() {
    let defs = Definitions::default_data().unwrap_or_else(|e| panic!("{e}"));
    let state = EducatorState::default();
    let ev = defs.evaluate(&state);
    let guide = ev.role("role-guide-specialist").expect("role");
    // The closest route into Guide is from novice; the guide stack's components are missing.
    let tech = guide
        .gaps
        .iter()
        .find(|g| g.category == pathledger_core::Category::TechnicalSkills)
        .expect("tech");
    let got = ids(&tech.missing_credentials);
    assert!(
        got.contains(&"mc-instructional-strategies-2".to_string()),
        "{got:?}"
    );
    assert!(
        got.contains(&"mc-student-management-2".to_string()),
        "{got:?}"
    );
    let q = guide
        .gaps
        .iter()
        .find(|g| g.category == pathledger_core::Category::Qualities)
        .expect("q");
    assert!(ids(&q.missing_credentials).contains(&"mc-awareness-1".to_string()));
    assert!(ids(&q.missing_competencies).contains(&"comp-awareness".to_string()));
}
