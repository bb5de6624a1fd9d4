//! Where an educator stands, in one summary both the dashboard and the pathway map read: each
//! role reached, passed (a step every way to a reached role goes through) or open with its
//! progress, the current role, the next role up, and the certificate in progress with its parts
//! held and missing. One source of the numbers, so the pages cannot contradict each other.

use std::collections::{HashMap, HashSet};

use pathledger_core::{Definitions, Evaluation, StackItem};

/// An educator's standing on one role.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RoleStanding {
    /// Reached (its requirements met, or its award held).
    Reached,
    /// Not reached itself, but behind a role that is: every way into a reached role goes
    /// through it (a specialist has passed Novice Teacher even without its award).
    Passed,
    /// Still ahead, `progress` of the way there (in [0, 1)).
    Open { progress: f64 },
}

impl RoleStanding {
    /// Reached or passed: nothing left to do for it.
    pub fn done(self) -> bool {
        !matches!(self, RoleStanding::Open { .. })
    }
    /// Whole percent of the way (100 when reached or passed).
    pub fn percent(self) -> u32 {
        match self {
            RoleStanding::Open { progress } => {
                // Never 100 while open: 99.6% reads as 99.
                ((progress.clamp(0.0, 1.0) * 100.0).floor() as u32).min(99)
            }
            _ => 100,
        }
    }
}

/// One part of a certificate (a stack): a micro-credential or a certificate it includes.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// A micro-credential (achievement id).
    Achievement(String),
    /// A certificate (stack id) it includes.
    Stack(String),
}

impl Part {
    fn from_item(item: &StackItem) -> Part {
        match item {
            StackItem::Achievement(a) => Part::Achievement(a.as_str().to_owned()),
            StackItem::Stack(s) => Part::Stack(s.as_str().to_owned()),
        }
    }
}

/// A certificate in progress: its parts held and missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Certificate {
    /// The stack id.
    pub stack: String,
    /// Parts counted as held: required parts held plus electives held (up to the number needed).
    pub have: u32,
    /// Parts it takes: every required part plus the electives needed.
    pub total: u32,
    /// Required parts held, and electives held.
    pub held: Vec<Part>,
    /// Required parts still missing.
    pub missing: Vec<Part>,
    /// How many more electives are needed, and the electives not held to choose from.
    pub electives_short: u32,
    pub elective_choices: Vec<Part>,
}

/// The educator's standing on the whole map.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    /// Every role, in definition order, with its standing.
    pub roles: Vec<(String, RoleStanding)>,
    /// The furthest role reached (None when none is).
    pub current: Option<String>,
    /// The next role up: a role one transition on from a reached role, not reached or passed,
    /// the closest of them (None at the top of the map).
    pub next: Option<String>,
    /// The certificate the next role asks for (at the top of the map, the closest one started),
    /// if any.
    pub certificate: Option<Certificate>,
}

impl Standing {
    /// The standing on a role (Open at 0 for an unknown id).
    pub fn role(&self, id: &str) -> RoleStanding {
        self.roles
            .iter()
            .find(|(r, _)| r == id)
            .map(|(_, s)| *s)
            .unwrap_or(RoleStanding::Open { progress: 0.0 })
    }
}

/// The standing of an educator evaluated as `eval` against `defs`.
pub fn standing(defs: &Definitions, eval: &Evaluation) -> Standing {
    let graph = defs.role_graph();
    let ids: Vec<&str> = graph.nodes.iter().map(|n| n.id.as_str()).collect();
    let mut out_edges: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in &graph.edges {
        out_edges
            .entry(e.from.as_str())
            .or_default()
            .push(e.to.as_str());
    }
    let entries: Vec<&str> = graph
        .nodes
        .iter()
        .filter(|n| n.entry)
        .map(|n| n.id.as_str())
        .collect();
    let met: HashSet<&str> = eval
        .roles
        .iter()
        .filter(|r| r.met)
        .map(|r| r.role.as_str())
        .collect();
    // Roles reachable from the entry roles without passing through `skip`.
    let reachable_without = |skip: &str| -> HashSet<&str> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut todo: Vec<&str> = entries.iter().copied().filter(|e| *e != skip).collect();
        while let Some(r) = todo.pop() {
            if seen.insert(r) {
                for &to in out_edges.get(r).into_iter().flatten() {
                    if to != skip && !seen.contains(to) {
                        todo.push(to);
                    }
                }
            }
        }
        seen
    };
    let roles: Vec<(String, RoleStanding)> = ids
        .iter()
        .map(|&id| {
            let st = eval.role(id);
            let standing = if st.is_some_and(|s| s.met) {
                RoleStanding::Reached
            } else {
                // Passed: some reached role cannot be reached from the entries without it.
                let without = reachable_without(id);
                if met.iter().any(|m| *m != id && !without.contains(m)) {
                    RoleStanding::Passed
                } else {
                    RoleStanding::Open {
                        progress: st.map_or(0.0, |s| s.progress),
                    }
                }
            };
            (id.to_owned(), standing)
        })
        .collect();
    let standing_of = |id: &str| {
        roles
            .iter()
            .find(|(r, _)| r == id)
            .map(|(_, s)| *s)
            .unwrap_or(RoleStanding::Open { progress: 0.0 })
    };
    let level: HashMap<&str, u32> = graph
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), n.level.unwrap_or(0)))
        .collect();
    // The furthest reached role: the highest level; among equals, the one defined first.
    let current = ids
        .iter()
        .filter(|id| met.contains(**id))
        .fold(None::<&str>, |best, &id| match best {
            Some(b) if level[b] >= level[id] => Some(b),
            _ => Some(id),
        });
    // The next role up: one step from the current role (else from any reached role), still
    // open; the closest first, then definition order.
    let open_after = |from: &[&str]| -> Option<&str> {
        let mut best: Option<(&str, f64)> = None;
        for &id in &ids {
            let RoleStanding::Open { progress } = standing_of(id) else {
                continue;
            };
            let one_step = from
                .iter()
                .any(|f| out_edges.get(f).is_some_and(|v| v.contains(&id)));
            if one_step && best.is_none_or(|(_, p)| progress > p) {
                best = Some((id, progress));
            }
        }
        best.map(|(id, _)| id)
    };
    let reached: Vec<&str> = ids.iter().copied().filter(|id| met.contains(id)).collect();
    let next = current
        .and_then(|c| open_after(&[c]))
        .or_else(|| open_after(&reached));
    // The certificate the next step asks for; with no next step, the closest one started. A
    // next step that asks for no certificate shows its own requirements instead of an
    // unrelated one.
    let certificate = match next {
        Some(n) => stack_for_role(eval, current, n),
        None => closest_started_stack(eval),
    }
    .and_then(|s| certificate(defs, eval, &s));
    Standing {
        roles,
        current: current.map(str::to_owned),
        next: next.map(str::to_owned),
        certificate,
    }
}

/// The first unfinished stack the transition from `from` into `to` (else any transition into
/// `to`, else its entry) names, depth first.
fn stack_for_role(eval: &Evaluation, from: Option<&str>, to: &str) -> Option<String> {
    let status = eval.role(to)?;
    let mut trees: Vec<&pathledger_core::ConditionStatus> = status
        .transitions
        .iter()
        .filter(|t| Some(t.from.as_str()) == from)
        .map(|t| &t.requires)
        .collect();
    trees.extend(status.transitions.iter().map(|t| &t.requires));
    trees.extend(status.entry.iter());
    trees.into_iter().find_map(first_open_stack)
}

fn first_open_stack(c: &pathledger_core::ConditionStatus) -> Option<String> {
    use pathledger_core::NodeStatus;
    if c.met {
        return None;
    }
    match &c.node {
        NodeStatus::Stack { stack } => Some(stack.as_str().to_owned()),
        NodeStatus::AllOf { children }
        | NodeStatus::AnyOf { children }
        | NodeStatus::AtLeast { children, .. } => children.iter().find_map(first_open_stack),
        _ => None,
    }
}

fn closest_started_stack(eval: &Evaluation) -> Option<String> {
    eval.stacks
        .iter()
        .filter(|s| !s.met && s.progress > 0.0)
        .max_by(|a, b| a.progress.total_cmp(&b.progress))
        .map(|s| s.stack.as_str().to_owned())
}

/// Whether a part counts as held in this evaluation.
pub fn part_held(eval: &Evaluation, part: &Part) -> bool {
    match part {
        Part::Achievement(a) => eval.held.iter().any(|h| h.as_str() == a),
        Part::Stack(s) => eval.stack(s).is_some_and(|s| s.met),
    }
}

/// The parts of stack `id` held and missing.
pub fn certificate(defs: &Definitions, eval: &Evaluation, id: &str) -> Option<Certificate> {
    let stack = defs.stack(id)?;
    let required: Vec<Part> = stack.required.iter().map(Part::from_item).collect();
    let electives: Vec<Part> = stack.electives.iter().map(Part::from_item).collect();
    let (req_held, missing): (Vec<Part>, Vec<Part>) =
        required.into_iter().partition(|p| part_held(eval, p));
    let (el_held, el_open): (Vec<Part>, Vec<Part>) =
        electives.into_iter().partition(|p| part_held(eval, p));
    let needed = stack
        .min_electives
        .min((el_held.len() + el_open.len()) as u32);
    let el_counted = (el_held.len() as u32).min(needed);
    let short = needed - el_counted;
    let have = req_held.len() as u32 + el_counted;
    let mut held = req_held;
    held.extend(el_held);
    Some(Certificate {
        stack: id.to_owned(),
        have,
        total: stack.required.len() as u32 + needed,
        held,
        missing,
        electives_short: short,
        elective_choices: if short > 0 { el_open } else { Vec::new() },
    })
}

/// What to announce to an educator on this visit: the roles reached and certificates completed
/// since the last visit, each once (recorded in the store, so a restart or another server does
/// not announce it again). The first visit records what was already reached without announcing
/// it. `issued` gives the issue date (ms) of each achievement held, so a role or certificate
/// with an award reads as reached on the day its credential was issued.
pub async fn take_announcements(
    app: &crate::App,
    educator_id: &str,
    eval: &Evaluation,
    issued: &HashMap<String, i64>,
) -> Result<Vec<pathledger_store::Milestone>, crate::AppError> {
    let store = app.store();
    let known = store.milestones(educator_id).await?;
    let first_visit = !known.iter().any(|m| m.kind == "start");
    let date_of = |award: Option<&pathledger_core::AchievementId>| {
        award
            .and_then(|a| issued.get(a.as_str()).copied())
            .unwrap_or(0)
    };
    let mut reached: Vec<(&str, &str, i64)> = Vec::new();
    if first_visit {
        reached.push(("start", "first-visit", 0));
    }
    for r in eval.roles.iter().filter(|r| r.met) {
        reached.push(("role", r.role.as_str(), date_of(r.awards.as_ref())));
    }
    for s in eval.stacks.iter().filter(|s| s.met) {
        reached.push(("stack", s.stack.as_str(), date_of(s.awards.as_ref())));
    }
    reached.retain(|(k, s, _)| !known.iter().any(|m| m.kind == *k && m.subject_id == *s));
    let new = store.record_milestones(educator_id, &reached).await?;
    if first_visit {
        return Ok(Vec::new());
    }
    Ok(new.into_iter().filter(|m| m.kind != "start").collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pathledger_core::EducatorState;

    fn holding(defs: &Definitions, ids: &[&str]) -> (Evaluation, Standing) {
        let mut state = EducatorState::default();
        for id in ids {
            crate::awards::add_holding(&mut state, id);
        }
        let eval = defs.evaluate(&state);
        let s = standing(defs, &eval);
        (eval, s)
    }

    #[test]
    fn a_specialist_has_passed_the_roles_behind_them() {
        let defs = Definitions::default_data().expect("default data");
        let (_, s) = holding(&defs, &["award-integrator-specialist"]);
        assert_eq!(s.role("role-integrator-specialist"), RoleStanding::Reached);
        assert_eq!(s.role("role-novice-teacher"), RoleStanding::Passed);
        assert_eq!(s.role("role-resident"), RoleStanding::Passed);
        // Another way in is not "passed": a community educator is a side entry, and the other
        // specialists are other branches.
        assert!(matches!(
            s.role("role-community-educator"),
            RoleStanding::Open { .. }
        ));
        assert!(matches!(
            s.role("role-rd-specialist"),
            RoleStanding::Open { .. }
        ));
        assert_eq!(s.current.as_deref(), Some("role-integrator-specialist"));
        let next = s.next.as_deref().expect("a next role");
        assert!(
            ["role-experienced-generalist", "role-teacher-leader"].contains(&next),
            "{next}"
        );
        assert_eq!(RoleStanding::Passed.percent(), 100);
        assert_eq!(RoleStanding::Open { progress: 0.999 }.percent(), 99);
    }

    #[test]
    fn a_career_switcher_heads_for_resident_through_the_on_ramp() {
        let defs = Definitions::default_data().expect("default data");
        let (_, s) = holding(
            &defs,
            &[
                "mc-learner-centered-1",
                "mc-tech-integration-1",
                "mc-tools-1",
                "mc-every-student-1",
                "mc-growth-orientation-1",
            ],
        );
        assert_eq!(s.current.as_deref(), Some("role-career-switcher"));
        assert_eq!(s.next.as_deref(), Some("role-resident"));
        let c = s.certificate.expect("the on-ramp");
        assert_eq!(c.stack, "stack-career-switcher-on-ramp");
        assert_eq!((c.have, c.total), (3, 6));
        assert_eq!(
            c.missing,
            [
                Part::Achievement("mc-student-management-1".into()),
                Part::Achievement("mc-instructional-strategies-1".into())
            ]
        );
        assert_eq!(c.electives_short, 1);
        assert!(!c
            .elective_choices
            .contains(&Part::Achievement("mc-growth-orientation-1".into())));
        assert!(c
            .held
            .contains(&Part::Stack("stack-blended-foundations".into())));
    }
}
