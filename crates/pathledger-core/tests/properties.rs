//! Property tests: no panics on arbitrary input, monotone progress, plans that work,
//! deterministic evaluation.

use std::sync::OnceLock;

use pathledger_core::case::{import_cfpackage, CaseImportOptions};
use pathledger_core::{
    AchievementId, Definitions, EducatorState, Endorsement, PlanOptions, RoleId,
};
use proptest::prelude::*;
use serde_json::Value;

fn defs() -> &'static Definitions {
    static D: OnceLock<Definitions> = OnceLock::new();
    D.get_or_init(|| Definitions::default_data().unwrap_or_else(|e| panic!("{e}")))
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-z_ -]{0,12}".prop_map(Value::from),
        prop::sample::select(vec![
            "role-resident",
            "mc-tools-1",
            "stack-mentoring",
            "all_of",
            "credential",
            "framework",
            "roles",
            "CFItems"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "framework",
                    "achievements",
                    "stacks",
                    "roles",
                    "id",
                    "name",
                    "to",
                    "requires",
                    "all_of",
                    "any_of",
                    "at_least",
                    "n",
                    "of",
                    "credential",
                    "stack",
                    "holdings",
                    "achievement",
                    "CFDocument",
                    "CFItems",
                    "CFAssociations",
                    "identifier",
                    "x"
                ])
                .prop_map(str::to_string),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer in a document (objects and arrays included).
fn pointers(v: &Value, prefix: String, out: &mut Vec<String>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                pointers(
                    c,
                    format!("{prefix}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                pointers(c, format!("{prefix}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn all_pointers() -> &'static (Value, Vec<String>) {
    static P: OnceLock<(Value, Vec<String>)> = OnceLock::new();
    P.get_or_init(|| {
        let doc = defs().to_value();
        let mut out = Vec::new();
        pointers(&doc, String::new(), &mut out);
        (doc, out)
    })
}

fn ach_ids() -> Vec<AchievementId> {
    defs().achievements().iter().map(|a| a.id.clone()).collect()
}

fn role_ids() -> Vec<RoleId> {
    defs().roles().iter().map(|r| r.id.clone()).collect()
}

/// A random educator: a subset of all achievements (including certificates and awards),
/// some experience, endorsements and rotations.
fn arb_state() -> impl Strategy<Value = EducatorState> {
    let na = defs().achievements().len();
    let nr = defs().roles().len();
    (
        prop::collection::vec(any::<bool>(), na),
        0u32..12,
        prop::collection::vec((0usize..4, 0..nr), 0..5),
        prop::collection::vec(any::<bool>(), nr),
    )
        .prop_map(|(mask, years, endorse, rot)| {
            let achs = ach_ids();
            let roles = role_ids();
            let mut s = EducatorState::default();
            for (i, m) in mask.iter().enumerate() {
                // Keep holdings sparse-ish: about a third.
                if *m && i % 3 != 0 {
                    s.add_credential(achs[i].clone());
                }
            }
            s.years_experience = f64::from(years);
            for (who, r) in endorse {
                s.endorsements.push(Endorsement {
                    endorser: format!("e{who}"),
                    endorser_role: roles[r].clone(),
                    category: None,
                    competency: None,
                });
            }
            for (i, m) in rot.iter().enumerate() {
                if *m {
                    s.rotations.push(roles[i].clone());
                }
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_panics(v in arb_json()) {
        let _ = Definitions::from_value(&v);
        let _ = EducatorState::from_value(&v);
        let _ = import_cfpackage(&v, &CaseImportOptions::default());
        let _ = Definitions::from_json(&v.to_string());
    }

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,200}") {
        let _ = Definitions::from_json(&s);
        let _ = EducatorState::from_json(&s);
        let _ = Definitions::from_parts(&[&s, &s]);
    }

    #[test]
    fn mutated_definitions_never_panic(picks in prop::collection::vec((any::<prop::sample::Index>(), arb_json()), 1..4)) {
        let (base, ptrs) = all_pointers();
        let mut doc = base.clone();
        for (idx, val) in picks {
            let p = idx.get(ptrs);
            if let Some(slot) = doc.pointer_mut(p) {
                *slot = val;
            }
        }
        if let Ok(d) = Definitions::from_value(&doc) {
            // Whatever loads must evaluate and plan without panicking.
            let e = d.evaluate(&EducatorState::default());
            prop_assert_eq!(e.roles.len(), d.roles().len());
            if let Some(r) = d.roles().last() {
                let _ = d.plan(&EducatorState::default(), r.id.as_str(), &PlanOptions { max_nodes: 2_000, exact_max_len: 48 });
            }
        }
    }

    #[test]
    fn adding_a_credential_never_lowers_progress(state in arb_state(), extra in any::<prop::sample::Index>()) {
        let d = defs();
        let before = d.evaluate(&state);
        let mut more = state.clone();
        more.add_credential(extra.get(&ach_ids()).clone());
        let after = d.evaluate(&more);
        for (b, a) in before.roles.iter().zip(&after.roles) {
            prop_assert!(a.progress >= b.progress, "{}: {} -> {}", b.role, b.progress, a.progress);
            prop_assert!(a.met || !b.met, "{} was met and no longer is", b.role);
            prop_assert!((0.0..=1.0).contains(&a.progress));
            prop_assert_eq!(a.met, a.progress == 1.0);
        }
        for (b, a) in before.stacks.iter().zip(&after.stacks) {
            prop_assert!(a.progress >= b.progress, "{}: {} -> {}", b.stack, b.progress, a.progress);
        }
    }

    #[test]
    fn to_issue_alone_matches_the_full_evaluation(state in arb_state()) {
        let d = defs();
        let full = d.evaluate(&state).to_issue;
        prop_assert_eq!(d.to_issue(&state), full);
    }

    #[test]
    fn evaluation_is_deterministic(state in arb_state()) {
        let d = defs();
        let a = serde_json::to_string(&d.evaluate(&state)).expect("ser");
        let b = serde_json::to_string(&d.evaluate(&state)).expect("ser");
        prop_assert_eq!(&a, &b);
        let mut reversed = state.clone();
        reversed.holdings.reverse();
        reversed.endorsements.reverse();
        reversed.rotations.reverse();
        let c = serde_json::to_string(&d.evaluate(&reversed)).expect("ser");
        prop_assert_eq!(&a, &c);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn applying_a_plan_meets_the_target(state in arb_state(), target in any::<prop::sample::Index>()) {
        let d = defs();
        let target = target.get(&role_ids()).clone();
        let plan = d.plan(&state, target.as_str(), &PlanOptions::default()).expect("every default role is reachable");
        prop_assert!(plan.exact);
        for c in &plan.credentials {
            prop_assert!(d.is_earnable(c.as_str()), "{} is not earnable", c);
            prop_assert!(!state.holds(c.as_str()), "{} already held", c);
        }
        let after = plan.apply_to(&state);
        let ev = d.evaluate(&after);
        prop_assert!(ev.role(target.as_str()).is_some_and(|r| r.met), "plan to {} does not meet it: {:?}", target, plan);
        // The same plan twice: deterministic.
        let again = d.plan(&state, target.as_str(), &PlanOptions::default()).expect("plan");
        prop_assert_eq!(&plan, &again);
        // The heuristic also produces a working plan, never shorter than the exact one.
        let h = d.plan(&state, target.as_str(), &PlanOptions { max_nodes: 0, exact_max_len: 0 }).expect("heuristic");
        prop_assert!(!h.exact || h.credentials.is_empty());
        prop_assert!(h.credentials.len() >= plan.credentials.len());
        prop_assert!(d.evaluate(&h.apply_to(&state)).role(target.as_str()).is_some_and(|r| r.met));
    }
}

#[test]
fn exact_plan_is_minimal_by_brute_force_for_a_short_plan() {
    // From the specialist example, teacher-leader needs two more credentials; no single
    // earnable credential suffices (checked exhaustively).
    let d = defs();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/educators/specialist-one-stack-away.json"
    ))
    .expect("read");
    let doc: Value = serde_json::from_str(&text).expect("json");
    let state = EducatorState::from_value(&doc["educator"]).expect("state");
    let plan = d
        .plan(&state, "role-teacher-leader", &PlanOptions::default())
        .expect("plan");
    assert_eq!(plan.credentials.len(), 2);
    for a in d
        .achievements()
        .iter()
        .filter(|a| d.is_earnable(a.id.as_str()))
    {
        let mut s = state.clone();
        s.add_credential(a.id.clone());
        assert!(
            !d.evaluate(&s)
                .role("role-teacher-leader")
                .is_some_and(|r| r.met),
            "{} alone suffices",
            a.id
        );
    }
}

#[test]
fn unknown_targets_and_achievements_are_errors() {
    let d = defs();
    assert!(d
        .plan(
            &EducatorState::default(),
            "role-nope",
            &PlanOptions::default()
        )
        .is_err());
    assert!(d.unlocks(&EducatorState::default(), "mc-nope").is_err());
    let mut s = EducatorState::default();
    s.add_credential(AchievementId::parse("not-defined").expect("id"));
    assert_eq!(
        d.evaluate(&s).unknown_holdings,
        vec!["not-defined".to_string()]
    );
}

#[test]
fn role_graph_has_every_role_and_transition() {
    let d = defs();
    let g = d.role_graph();
    assert_eq!(g.nodes.len(), d.roles().len());
    let n_tr: usize = d.roles().iter().map(|r| r.transitions.len()).sum();
    assert_eq!(g.edges.len(), n_tr);
    let leader = g
        .nodes
        .iter()
        .find(|n| n.id.as_str() == "role-organization-leader")
        .expect("node");
    assert!(leader.level.is_some_and(|l| l >= 4), "{leader:?}");
    assert!(g
        .edges
        .iter()
        .any(|e| e.from.as_str() == "role-novice-teacher"
            && e.to.as_str() == "role-integrator-specialist"
            && e.direction == pathledger_core::Direction::Depth));
    let v = serde_json::to_value(&g).expect("ser");
    assert!(v["edges"][0]["requires"].is_object());
}
