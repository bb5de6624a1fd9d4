//! Planning: the cheapest plan (fewest credentials to earn) from an educator's state to a
//! target role, and what a credential unlocks next.
//!
//! # Search
//! Non-credential conditions (experience, endorsements, rotations) cannot be earned with
//! credentials, so the search treats them as satisfiable and lists the ones still missing as
//! remaining requirements. The search space is sets of *earnable* achievements (those not
//! awarded by a stack or a role).
//!
//! * **Branching.** For a state S that does not reach the target, `branch(S)` is a set of
//!   achievements such that every solution containing S contains one of them: descend the
//!   unmet requirement (all_of → its unmet child with the fewest options; any_of/at_least →
//!   the union over unmet children; a derived credential → what its stack or role needs; a
//!   role → the union over its entry and incoming transitions).
//! * **Exact search** (branch and bound over those sets, with memoized visited sets) is used
//!   when the space is small: the greedy plan has at most [`PlanOptions::exact_max_len`]
//!   credentials and the search finishes within [`PlanOptions::max_nodes`] expanded states. It
//!   returns a plan with the fewest credentials; among those, the one whose sorted ids are
//!   lexicographically smallest.
//! * **Heuristic** beyond that bound: greedy (take the branch option that most increases the
//!   target's optimistic progress, ties by id), then drop credentials that turn out redundant.
//!   It always returns a valid plan when one exists, but not necessarily the smallest;
//!   [`Plan::exact`] says which one was used.

use std::collections::{BTreeSet, HashSet};

use serde::Serialize;

use crate::bitset::BitSet;
use crate::compiled::{CItem, CNode, Source};
use crate::definitions::Definitions;
use crate::educator::{EducatorState, Endorsement};
use crate::eval::{Ctx, Facts};
use crate::id::{AchievementId, RoleId, StackId};
use crate::model::{Condition, Incentive};

/// Planning options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// Budget of expanded states for the exact search; beyond it the heuristic plan is used.
    pub max_nodes: usize,
    /// Exact search only when the heuristic plan has at most this many credentials.
    pub exact_max_len: usize,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            max_nodes: 100_000,
            exact_max_len: 48,
        }
    }
}

/// Why no plan could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The target role is not defined.
    #[error("unknown role {0:?}")]
    UnknownRole(String),
    /// The achievement is not defined.
    #[error("unknown achievement {0:?}")]
    UnknownAchievement(String),
    /// No set of credentials leads to the role.
    #[error("role {0:?} cannot be reached with any credentials")]
    Unreachable(String),
}

/// A non-credential condition that still has to be met along the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemainingRequirement {
    /// The role being entered when this is needed.
    pub role: RoleId,
    /// The role the transition starts from (None for an entry condition).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<RoleId>,
    /// JSON pointer of the condition in the definitions.
    pub path: String,
    /// The condition (years_experience, endorsements or rotations).
    pub condition: Condition,
}

/// An incentive of a stack completed along the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackIncentive {
    /// The stack.
    pub stack: StackId,
    /// The incentive.
    pub incentive: Incentive,
}

/// The cheapest plan to a target role.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Target role.
    pub target: RoleId,
    /// True when the target is already reached (nothing to do).
    pub already_met: bool,
    /// Credentials to earn, in a workable order.
    pub credentials: Vec<AchievementId>,
    /// Roles passed through, from a role reached now (or an entry role) to the target.
    pub roles: Vec<RoleId>,
    /// Non-credential conditions still missing along the way.
    pub remaining: Vec<RemainingRequirement>,
    /// Stacks completed along the way.
    pub stacks_completed: Vec<StackId>,
    /// Certificates and role awards obtained along the way.
    pub awarded: Vec<AchievementId>,
    /// Incentives of the stacks completed.
    pub incentives: Vec<StackIncentive>,
    /// True when the exact search proved this is the fewest credentials.
    pub exact: bool,
}

impl Plan {
    /// The state after following the plan: its credentials added as verified holdings, and
    /// facts added to meet each remaining requirement (experience raised, endorsements from
    /// placeholder endorsers, rotations completed).
    pub fn apply_to(&self, state: &EducatorState) -> EducatorState {
        let mut s = state.clone();
        for c in &self.credentials {
            s.add_credential(c.clone());
        }
        for (k, r) in self.remaining.iter().enumerate() {
            match &r.condition {
                Condition::YearsExperience { min } => {
                    // max() also replaces a NaN experience value.
                    s.years_experience = min.max(s.years_experience);
                }
                Condition::Endorsements {
                    role,
                    count,
                    category,
                    competency,
                } => {
                    for j in 0..*count {
                        s.endorsements.push(Endorsement {
                            endorser: format!("plan-endorser-{k}-{j}"),
                            endorser_role: role.clone(),
                            category: *category,
                            competency: competency.clone(),
                        });
                    }
                }
                Condition::Rotations { roles, .. } => {
                    for role in roles {
                        if !s.rotations.contains(role) {
                            s.rotations.push(role.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        s
    }
}

/// What one credential unlocks for an educator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unlocks {
    /// The credential.
    pub achievement: AchievementId,
    /// True if the educator already holds it (then nothing changes).
    pub already_held: bool,
    /// Stacks it completes.
    pub completes_stacks: Vec<StackId>,
    /// Stacks it brings closer without completing.
    pub advances_stacks: Vec<StackId>,
    /// Roles it makes reached.
    pub reaches_roles: Vec<RoleId>,
    /// Roles it brings closer without reaching.
    pub advances_roles: Vec<RoleId>,
    /// Certificates and role awards it triggers.
    pub awards: Vec<AchievementId>,
}

struct Search<'d, 'f> {
    defs: &'d Definitions,
    facts: &'f Facts<'f>,
    target: usize,
    earnable_order: Vec<usize>,
}

impl Search<'_, '_> {
    fn goal(&self, ctx: &Ctx) -> bool {
        ctx.reached.contains(self.target)
    }

    /// Branching set for a state (see module docs), sorted by achievement id.
    fn branch(&self, ctx: &Ctx) -> Vec<usize> {
        let mut n = Need {
            defs: self.defs,
            ctx,
            facts: self.facts,
            visiting: BitSet::new(self.defs.ix.roles.len()),
            stack_visiting: BitSet::new(self.defs.ix.stacks.len()),
            role_cache: vec![None; self.defs.ix.roles.len()],
            steps: 0,
        };
        let set = n.role(self.target);
        // Order by id for determinism.
        self.earnable_order
            .iter()
            .copied()
            .filter(|a| set.contains(a))
            .collect()
    }
}

/// Computes branching sets; an empty set means "impossible from here".
struct Need<'a, 'f> {
    defs: &'a Definitions,
    ctx: &'a Ctx,
    facts: &'a Facts<'f>,
    visiting: BitSet,
    stack_visiting: BitSet,
    role_cache: Vec<Option<BTreeSet<usize>>>,
    steps: usize,
}

const NEED_STEP_LIMIT: usize = 200_000;

impl Need<'_, '_> {
    fn met(&self, n: &CNode) -> bool {
        self.defs.met(n, self.ctx, self.facts)
    }

    fn all<'x>(&mut self, unmet: impl Iterator<Item = Child<'x>>) -> BTreeSet<usize> {
        let mut best: Option<BTreeSet<usize>> = None;
        for c in unmet {
            let s = self.child(c);
            if s.is_empty() {
                return s;
            }
            if best.as_ref().is_none_or(|b| s.len() < b.len()) {
                best = Some(s);
            }
        }
        best.unwrap_or_default()
    }

    fn child(&mut self, c: Child<'_>) -> BTreeSet<usize> {
        match c {
            Child::Node(n) => self.node(n),
            Child::Item(it) => self.item(it),
            Child::Electives(items) => {
                let mut out = BTreeSet::new();
                for it in items {
                    if !self.item_met(it) {
                        out.extend(self.item(it));
                    }
                }
                out
            }
        }
    }

    fn item_met(&self, it: &CItem) -> bool {
        match *it {
            CItem::Ach(a) => self.ctx.held.contains(a),
            CItem::Stack(s) => self.ctx.stack_met.get(s).copied().unwrap_or(false),
        }
    }

    fn item(&mut self, it: &CItem) -> BTreeSet<usize> {
        match *it {
            CItem::Ach(a) => self.ach(a),
            CItem::Stack(s) => self.stack(s),
        }
    }

    fn ach(&mut self, a: usize) -> BTreeSet<usize> {
        if self.ctx.held.contains(a) {
            return BTreeSet::new();
        }
        match self.defs.ix.ach_source.get(a) {
            Some(Source::Earnable) => BTreeSet::from([a]),
            Some(Source::Stack(s)) => self.stack(*s),
            Some(Source::CareerRole(r)) => self.role(*r),
            None => BTreeSet::new(),
        }
    }

    fn stack(&mut self, s: usize) -> BTreeSet<usize> {
        if self.stack_visiting.contains(s) {
            return BTreeSet::new();
        }
        let defs = self.defs;
        let Some(st) = defs.ix.stacks.get(s) else {
            return BTreeSet::new();
        };
        self.stack_visiting.insert(s);
        let el_held = st.electives.iter().filter(|it| self.item_met(it)).count();
        let ctx_held = &self.ctx.held;
        let ctx_sm = &self.ctx.stack_met;
        let unmet_req = st.required.iter().filter(|it| match **it {
            CItem::Ach(a) => !ctx_held.contains(a),
            CItem::Stack(x) => !ctx_sm.get(x).copied().unwrap_or(false),
        });
        let children: Vec<Child<'_>> = unmet_req
            .map(Child::Item)
            .chain((el_held < st.min).then_some(Child::Electives(&st.electives)))
            .collect();
        let out = self.all(children.into_iter());
        self.stack_visiting.remove(s);
        out
    }

    fn node(&mut self, n: &CNode) -> BTreeSet<usize> {
        self.steps += 1;
        if self.steps > NEED_STEP_LIMIT || self.met(n) {
            return BTreeSet::new();
        }
        match n {
            CNode::All(v) => {
                let unmet: Vec<&CNode> = v.iter().filter(|c| !self.met(c)).collect();
                self.all(unmet.into_iter().map(Child::Node))
            }
            CNode::Any(v) | CNode::AtLeast(_, v) => {
                let mut out = BTreeSet::new();
                for c in v {
                    if !self.met(c) {
                        out.extend(self.node(c));
                    }
                }
                out
            }
            CNode::Ach(a) => self.ach(*a),
            CNode::Stack(s) => self.stack(*s),
            CNode::Comps(cat, _) => {
                let mut out = BTreeSet::new();
                let defs = self.defs;
                for (a, comps) in defs.ix.ach_comps.iter().enumerate() {
                    if self.ctx.held.contains(a) {
                        continue;
                    }
                    let adds = comps.iter().any(|ci| {
                        defs.ix.comp_cat.get(ci) == Some(cat) && !self.ctx.comps.contains(ci)
                    });
                    if adds {
                        out.extend(self.ach(a));
                    }
                }
                out
            }
            // Non-credential leaves are met in optimistic mode; nothing to earn otherwise.
            CNode::Years(_) | CNode::Endorse { .. } | CNode::Rot { .. } => BTreeSet::new(),
        }
    }

    fn role(&mut self, r: usize) -> BTreeSet<usize> {
        if self.ctx.reached.contains(r) || self.visiting.contains(r) {
            return BTreeSet::new();
        }
        if let Some(Some(c)) = self.role_cache.get(r) {
            return c.clone();
        }
        let defs = self.defs;
        let Some(cr) = defs.ix.roles.get(r) else {
            return BTreeSet::new();
        };
        self.visiting.insert(r);
        let mut out = BTreeSet::new();
        if let Some(e) = &cr.entry {
            out.extend(self.node(e));
        }
        for &ti in &cr.incoming {
            let Some(t) = defs.ix.transitions.get(ti) else {
                continue;
            };
            let cond_met = self.met(&t.requires);
            let from_reached = self.ctx.reached.contains(t.from);
            let s = match (from_reached, cond_met) {
                (true, _) => self.node(&t.requires),
                (false, true) => self.role(t.from),
                (false, false) => {
                    let from = self.role(t.from);
                    if from.is_empty() {
                        from
                    } else {
                        let cond = self.node(&t.requires);
                        if cond.is_empty() || from.len() <= cond.len() {
                            if cond.is_empty() {
                                cond
                            } else {
                                from
                            }
                        } else {
                            cond
                        }
                    }
                }
            };
            out.extend(s);
        }
        self.visiting.remove(r);
        if let Some(slot) = self.role_cache.get_mut(r) {
            *slot = Some(out.clone());
        }
        out
    }
}

#[derive(Clone, Copy)]
enum Child<'a> {
    Node(&'a CNode),
    Item(&'a CItem),
    Electives(&'a [CItem]),
}

impl Definitions {
    fn role_progress(&self, ri: usize, ctx: &Ctx, facts: &Facts<'_>) -> f64 {
        if ctx.reached.contains(ri) {
            return 1.0;
        }
        let Some(cr) = self.ix.roles.get(ri) else {
            return 0.0;
        };
        let mut best = cr
            .entry
            .as_ref()
            .map(|e| self.progress(e, ctx, facts))
            .unwrap_or(0.0);
        for &ti in &cr.incoming {
            if let Some(t) = self.ix.transitions.get(ti) {
                let p = self.progress(&t.requires, ctx, facts);
                let p = if ctx.reached.contains(t.from) {
                    p
                } else {
                    p / 2.0
                };
                best = best.max(p);
            }
        }
        best
    }

    /// The cheapest plan from `state` to `target` (see the module docs for the search).
    pub fn plan(
        &self,
        state: &EducatorState,
        target: &str,
        opts: &PlanOptions,
    ) -> Result<Plan, PlanError> {
        let ti = *self
            .ix
            .role_ix
            .get(target)
            .ok_or_else(|| PlanError::UnknownRole(target.to_string()))?;
        let (held0, _) = self.initial_held(state);
        let real = self.facts(state, false);
        let opt = self.facts(state, true);
        let mut earnable_order: Vec<usize> = (0..self.achievements().len())
            .filter(|&a| self.ix.ach_source.get(a) == Some(&Source::Earnable))
            .collect();
        earnable_order.sort_by(|&a, &b| self.achievements()[a].id.cmp(&self.achievements()[b].id));
        let search = Search {
            defs: self,
            facts: &opt,
            target: ti,
            earnable_order,
        };
        let role_id = self.roles()[ti].id.clone();
        let now = self.compute(held0.clone(), &real);
        if now.reached.contains(ti) {
            return Ok(self.finish(state, ti, &held0, Vec::new(), true, &real, &opt));
        }
        let greedy = self
            .greedy(&search, &held0)
            .ok_or_else(|| PlanError::Unreachable(role_id.to_string()))?;
        let (set, exact) = if greedy.is_empty() {
            // Nothing to earn (only non-credential conditions remain): trivially optimal.
            (greedy, true)
        } else if greedy.len() <= opts.exact_max_len {
            let mut bb = BranchBound {
                search: &search,
                best: sorted_ids(self, &greedy),
                best_set: greedy.clone(),
                visited: HashSet::new(),
                nodes: 0,
                max_nodes: opts.max_nodes,
                aborted: false,
                path: Vec::new(),
            };
            bb.run(held0.clone(), 0);
            let exact = !bb.aborted;
            (bb.best_set, exact)
        } else {
            (greedy, false)
        };
        let ordered = self.order(&search, &held0, &set);
        Ok(self.finish(state, ti, &held0, ordered, exact, &real, &opt))
    }

    fn greedy(&self, search: &Search<'_, '_>, held0: &BitSet) -> Option<Vec<usize>> {
        let mut s = held0.clone();
        let mut seq = Vec::new();
        loop {
            let ctx = self.compute(s.clone(), search.facts);
            if search.goal(&ctx) {
                break;
            }
            let options = search.branch(&ctx);
            let mut best: Option<(f64, usize)> = None;
            for &b in &options {
                let mut t = s.clone();
                t.insert(b);
                let c = self.compute(t, search.facts);
                let p = self.role_progress(search.target, &c, search.facts);
                if best.is_none_or(|(bp, _)| p > bp) {
                    best = Some((p, b));
                }
            }
            let (_, b) = best?;
            s.insert(b);
            seq.push(b);
        }
        // Drop credentials that later ones made redundant.
        let mut i = seq.len();
        while i > 0 {
            i -= 1;
            let mut t = held0.clone();
            for (j, &a) in seq.iter().enumerate() {
                if j != i {
                    t.insert(a);
                }
            }
            if search.goal(&self.compute(t, search.facts)) {
                seq.remove(i);
            }
        }
        Some(seq)
    }

    /// Orders a solution set so each credential serves the next unmet requirement.
    fn order(&self, search: &Search<'_, '_>, held0: &BitSet, set: &[usize]) -> Vec<usize> {
        let mut remaining: Vec<usize> = set.to_vec();
        let mut s = held0.clone();
        let mut out = Vec::with_capacity(set.len());
        while !remaining.is_empty() {
            let ctx = self.compute(s.clone(), search.facts);
            let options = search.branch(&ctx);
            let pick = options
                .iter()
                .copied()
                .find(|a| remaining.contains(a))
                .or_else(|| {
                    search
                        .earnable_order
                        .iter()
                        .copied()
                        .find(|a| remaining.contains(a))
                })
                .or_else(|| remaining.first().copied());
            let Some(a) = pick else { break };
            remaining.retain(|&x| x != a);
            s.insert(a);
            out.push(a);
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        state: &EducatorState,
        target: usize,
        held0: &BitSet,
        creds: Vec<usize>,
        exact: bool,
        real: &Facts<'_>,
        opt: &Facts<'_>,
    ) -> Plan {
        let achs = self.achievements();
        let roles = self.roles();
        let mut held = held0.clone();
        for &a in &creds {
            held.insert(a);
        }
        let now = self.compute(held0.clone(), real);
        let after_real = self.compute(held.clone(), real);
        let after_opt = self.compute(held.clone(), opt);
        let mut prover = Prover {
            defs: self,
            start: &now,
            real: &after_real,
            opt: &after_opt,
            real_facts: real,
            opt_facts: opt,
            done: BitSet::new(roles.len()),
            out: Vec::new(),
        };
        let chain = prover.prove_role(target);
        let mut remaining = prover.out;
        let mut seen = HashSet::new();
        remaining.retain(|r| seen.insert(r.path.clone()));
        let mut plan = Plan {
            target: roles[target].id.clone(),
            already_met: now.reached.contains(target),
            credentials: creds.iter().map(|&a| achs[a].id.clone()).collect(),
            roles: chain.iter().map(|&r| roles[r].id.clone()).collect(),
            remaining,
            stacks_completed: Vec::new(),
            awarded: Vec::new(),
            incentives: Vec::new(),
            exact,
        };
        // What following the plan yields, with the remaining facts supplied.
        let after_state = plan.apply_to(state);
        let (h, _) = self.initial_held(&after_state);
        let f = self.facts(&after_state, false);
        let end = self.compute(h.clone(), &f);
        for (si, s) in self.stacks().iter().enumerate() {
            let was = now.stack_met.get(si).copied().unwrap_or(false);
            let is = end.stack_met.get(si).copied().unwrap_or(false);
            if is && !was {
                plan.stacks_completed.push(s.id.clone());
                for inc in &s.incentives {
                    plan.incentives.push(StackIncentive {
                        stack: s.id.clone(),
                        incentive: inc.clone(),
                    });
                }
            }
        }
        plan.awarded = end
            .held
            .iter()
            .filter(|&a| !h.contains(a) && !now.held.contains(a))
            .filter_map(|a| achs.get(a).map(|x| x.id.clone()))
            .collect();
        plan
    }

    /// What earning `achievement` would complete or advance for this educator.
    pub fn unlocks(&self, state: &EducatorState, achievement: &str) -> Result<Unlocks, PlanError> {
        let ai = *self
            .ix
            .ach_ix
            .get(achievement)
            .ok_or_else(|| PlanError::UnknownAchievement(achievement.to_string()))?;
        let (held0, _) = self.initial_held(state);
        let facts = self.facts(state, false);
        let before = self.compute(held0.clone(), &facts);
        let mut h = held0.clone();
        h.insert(ai);
        let after = self.compute(h, &facts);
        let mut u = Unlocks {
            achievement: self.achievements()[ai].id.clone(),
            already_held: before.held.contains(ai),
            completes_stacks: Vec::new(),
            advances_stacks: Vec::new(),
            reaches_roles: Vec::new(),
            advances_roles: Vec::new(),
            awards: Vec::new(),
        };
        for (si, s) in self.stacks().iter().enumerate() {
            let b = before.stack_met.get(si).copied().unwrap_or(false);
            let a = after.stack_met.get(si).copied().unwrap_or(false);
            if a && !b {
                u.completes_stacks.push(s.id.clone());
            } else if after.stack_prog.get(si) > before.stack_prog.get(si) {
                u.advances_stacks.push(s.id.clone());
            }
        }
        for (ri, r) in self.roles().iter().enumerate() {
            if after.reached.contains(ri) && !before.reached.contains(ri) {
                u.reaches_roles.push(r.id.clone());
            } else if self.role_progress(ri, &after, &facts)
                > self.role_progress(ri, &before, &facts)
            {
                u.advances_roles.push(r.id.clone());
            }
        }
        u.awards = after
            .held
            .iter()
            .filter(|&a| a != ai && !before.held.contains(a))
            .filter_map(|a| self.achievements().get(a).map(|x| x.id.clone()))
            .collect();
        Ok(u)
    }
}

fn sorted_ids(defs: &Definitions, set: &[usize]) -> Vec<AchievementId> {
    let mut v: Vec<AchievementId> = set
        .iter()
        .filter_map(|&a| defs.achievements().get(a).map(|x| x.id.clone()))
        .collect();
    v.sort();
    v
}

struct BranchBound<'s, 'd, 'f> {
    search: &'s Search<'d, 'f>,
    best: Vec<AchievementId>,
    best_set: Vec<usize>,
    visited: HashSet<BitSet>,
    nodes: usize,
    max_nodes: usize,
    aborted: bool,
    path: Vec<usize>,
}

impl BranchBound<'_, '_, '_> {
    fn run(&mut self, s: BitSet, depth: usize) {
        if self.aborted {
            return;
        }
        self.nodes += 1;
        if self.nodes > self.max_nodes {
            self.aborted = true;
            return;
        }
        let defs = self.search.defs;
        let ctx = defs.compute(s.clone(), self.search.facts);
        if self.search.goal(&ctx) {
            let ids = sorted_ids(defs, &self.path);
            if depth < self.best.len() || (depth == self.best.len() && ids < self.best) {
                self.best = ids;
                self.best_set = self.path.clone();
            }
            return;
        }
        if depth + 1 > self.best.len() {
            return;
        }
        for b in self.search.branch(&ctx) {
            let mut t = s.clone();
            t.insert(b);
            if self.visited.insert(t.clone()) {
                self.path.push(b);
                self.run(t, depth + 1);
                self.path.pop();
            }
        }
    }
}

/// Extracts the route to a role in the plan's end state and the non-credential conditions
/// still missing on it (recursing into roles whose awards the route needs).
struct Prover<'a, 'f> {
    defs: &'a Definitions,
    start: &'a Ctx,
    real: &'a Ctx,
    opt: &'a Ctx,
    real_facts: &'a Facts<'f>,
    opt_facts: &'a Facts<'f>,
    done: BitSet,
    out: Vec<RemainingRequirement>,
}

impl Prover<'_, '_> {
    /// Shortest chain (by transitions) from a role reached now, or an entry role, to `r`,
    /// using transitions that hold in the optimistic end state. Collects remaining needs.
    fn prove_role(&mut self, r: usize) -> Vec<usize> {
        let defs = self.defs;
        let n = defs.ix.roles.len();
        if self.start.reached.contains(r) || !self.done.insert(r) {
            return vec![r];
        }
        // Backward BFS from r.
        let mut via: Vec<Option<Option<usize>>> = vec![None; n]; // Some(None) = start here
        let mut queue = std::collections::VecDeque::from([r]);
        let mut seen = BitSet::new(n);
        seen.insert(r);
        let mut origin = None;
        while let Some(v) = queue.pop_front() {
            if self.start.reached.contains(v) {
                origin = Some(v);
                break;
            }
            let Some(cr) = defs.ix.roles.get(v) else {
                continue;
            };
            if cr
                .entry
                .as_ref()
                .is_some_and(|e| defs.met(e, self.opt, self.opt_facts))
            {
                if let Some(slot) = via.get_mut(v) {
                    *slot.get_or_insert(None) = None;
                }
                origin = Some(v);
                break;
            }
            for &ti in &cr.incoming {
                let Some(t) = defs.ix.transitions.get(ti) else {
                    continue;
                };
                if self.opt.reached.contains(t.from)
                    && defs.met(&t.requires, self.opt, self.opt_facts)
                    && seen.insert(t.from)
                {
                    if let Some(slot) = via.get_mut(t.from) {
                        *slot = Some(Some(ti));
                    }
                    queue.push_back(t.from);
                }
            }
        }
        let Some(origin) = origin else {
            return vec![r];
        };
        // Walk forward from origin to r.
        let mut chain = vec![origin];
        let mut steps: Vec<usize> = Vec::new();
        let mut v = origin;
        while v != r {
            let Some(Some(Some(ti))) = via.get(v).copied() else {
                break;
            };
            steps.push(ti);
            let Some(t) = defs.ix.transitions.get(ti) else {
                break;
            };
            v = t.to;
            chain.push(v);
            if chain.len() > n + 1 {
                break;
            }
        }
        if !self.start.reached.contains(origin) {
            if let Some(e) = defs.ix.roles.get(origin).and_then(|cr| cr.entry.as_ref()) {
                if let Some(src) = defs.roles().get(origin).and_then(|x| x.entry.as_ref()) {
                    let path = format!("/roles/{origin}/entry");
                    let rid = defs.roles()[origin].id.clone();
                    let mut out = Vec::new();
                    self.collect(e, src, &path, &rid, None, &mut out);
                    self.out.extend(out);
                }
            }
        }
        for ti in steps {
            let Some(t) = defs.ix.transitions.get(ti) else {
                continue;
            };
            let Some(src) = defs
                .roles()
                .get(t.from)
                .and_then(|x| x.transitions.get(t.index_in_role))
            else {
                continue;
            };
            let to = defs.roles()[t.to].id.clone();
            let from = defs.roles()[t.from].id.clone();
            let path = t.path.clone();
            let mut out = Vec::new();
            self.collect(
                &t.requires,
                &src.requires,
                &path,
                &to,
                Some(&from),
                &mut out,
            );
            self.out.extend(out);
        }
        chain
    }

    /// Needs of a node that holds optimistically; pushes missing non-credential leaves.
    fn collect(
        &mut self,
        n: &CNode,
        c: &Condition,
        path: &str,
        role: &RoleId,
        from: Option<&RoleId>,
        out: &mut Vec<RemainingRequirement>,
    ) {
        let defs = self.defs;
        if defs.met(n, self.real, self.real_facts) {
            return;
        }
        match (n, c) {
            (CNode::All(ns), Condition::AllOf(cs)) => {
                for (i, (n, c)) in ns.iter().zip(cs).enumerate() {
                    self.collect(n, c, &format!("{path}/all_of/{i}"), role, from, out);
                }
            }
            (CNode::Any(ns), Condition::AnyOf(cs)) => {
                self.choose(ns, cs, 1, &format!("{path}/any_of"), role, from, out);
            }
            (CNode::AtLeast(k, ns), Condition::AtLeast { of, .. }) => {
                self.choose(ns, of, *k, &format!("{path}/at_least/of"), role, from, out);
            }
            (CNode::Ach(a), _) => self.need_ach(*a, out),
            (CNode::Stack(s), _) => self.need_stack(*s, out, 0),
            (CNode::Comps(cat, _), _) => {
                // Competencies evidenced only through derived credentials still to be awarded.
                for a in self.opt.held.iter() {
                    if self.real.held.contains(a) {
                        continue;
                    }
                    let aligned = defs.ix.ach_comps.get(a).is_some_and(|cs| {
                        cs.iter().any(|ci| defs.ix.comp_cat.get(ci) == Some(cat))
                    });
                    if aligned {
                        self.need_ach(a, out);
                    }
                }
            }
            (CNode::Years(_) | CNode::Endorse { .. } | CNode::Rot { .. }, leaf) => {
                out.push(RemainingRequirement {
                    role: role.clone(),
                    from: from.cloned(),
                    path: format!("{path}/{}", leaf.key()),
                    condition: leaf.clone(),
                });
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn choose(
        &mut self,
        ns: &[CNode],
        cs: &[Condition],
        k: usize,
        path: &str,
        role: &RoleId,
        from: Option<&RoleId>,
        out: &mut Vec<RemainingRequirement>,
    ) {
        let defs = self.defs;
        // Cost of each child that holds optimistically: 0 if it already holds for real.
        let mut options: Vec<(usize, usize, Vec<RemainingRequirement>)> = Vec::new();
        for (i, (n, c)) in ns.iter().zip(cs).enumerate() {
            if defs.met(n, self.real, self.real_facts) {
                options.push((0, i, Vec::new()));
            } else if defs.met(n, self.opt, self.opt_facts) {
                let mut sub = Vec::new();
                let saved = self.done.clone();
                self.collect(n, c, &format!("{path}/{i}"), role, from, &mut sub);
                self.done = saved;
                options.push((sub.len().max(1), i, sub));
            }
        }
        options.sort_by_key(|(cost, i, _)| (*cost, *i));
        for (_, i, _) in options.iter().take(k) {
            if let (Some(n), Some(c)) = (ns.get(*i), cs.get(*i)) {
                self.collect(n, c, &format!("{path}/{i}"), role, from, out);
            }
        }
    }

    fn need_ach(&mut self, a: usize, out: &mut Vec<RemainingRequirement>) {
        if self.real.held.contains(a) {
            return;
        }
        match self.defs.ix.ach_source.get(a) {
            Some(Source::CareerRole(r)) => {
                let r = *r;
                let before = self.out.len();
                self.prove_role(r);
                let added: Vec<_> = self.out.drain(before..).collect();
                out.extend(added);
            }
            Some(Source::Stack(s)) => self.need_stack(*s, out, 0),
            _ => {}
        }
    }

    fn need_stack(&mut self, s: usize, out: &mut Vec<RemainingRequirement>, depth: usize) {
        if depth > 64 || self.real.stack_met.get(s).copied().unwrap_or(true) {
            return;
        }
        let defs = self.defs;
        let Some(st) = defs.ix.stacks.get(s) else {
            return;
        };
        for it in st.required.iter().chain(&st.electives) {
            match *it {
                CItem::Ach(a) => {
                    if self.opt.held.contains(a) {
                        self.need_ach(a, out);
                    }
                }
                CItem::Stack(t) => {
                    if self.opt.stack_met.get(t).copied().unwrap_or(false) {
                        self.need_stack(t, out, depth + 1);
                    }
                }
            }
        }
    }
}
