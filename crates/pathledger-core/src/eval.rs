//! Evaluation: where an educator stands against every role, stack and condition.
//!
//! The engine works on precomputed indexes and bitsets. It derives stacks completed (and the
//! certificates they award) from held credentials recursively, then reaches roles by a
//! fixpoint over the pathway graph (a role awards a credential that may in turn complete a
//! stack). Everything is monotone: more credentials or facts never lower any result.

use serde::Serialize;

use crate::bitset::BitSet;
use crate::compiled::{CItem, CNode, Source};
use crate::definitions::Definitions;
use crate::educator::EducatorState;
use crate::id::{AchievementId, CompetencyId, RoleId, StackId};
use crate::model::{Category, Condition, Direction, StackItem};

/// Largest f64 below 1: progress of anything not met is capped here so that `progress == 1.0`
/// exactly when met.
pub(crate) const BELOW_ONE: f64 = 1.0 - f64::EPSILON / 2.0;

fn cap(met: bool, p: f64) -> f64 {
    if met {
        1.0
    } else if p.is_nan() || p < 0.0 {
        0.0
    } else {
        p.min(BELOW_ONE)
    }
}

/// Status of one condition node, mirroring the requirement tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConditionStatus {
    /// Whether the node holds.
    pub met: bool,
    /// Progress in [0, 1]; 1 exactly when met.
    pub progress: f64,
    /// The node and its children.
    #[serde(flatten)]
    pub node: NodeStatus,
}

/// The kind-specific part of a [`ConditionStatus`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NodeStatus {
    /// All children must hold.
    AllOf {
        /// Children.
        children: Vec<ConditionStatus>,
    },
    /// One child must hold.
    AnyOf {
        /// Children.
        children: Vec<ConditionStatus>,
    },
    /// `n` children must hold.
    AtLeast {
        /// How many.
        n: u32,
        /// Children.
        children: Vec<ConditionStatus>,
    },
    /// An achievement held.
    Credential {
        /// The achievement.
        achievement: AchievementId,
    },
    /// A stack completed.
    Stack {
        /// The stack.
        stack: StackId,
    },
    /// Competencies evidenced in a category.
    CompetenciesInCategory {
        /// Category.
        category: Category,
        /// Needed.
        count: u32,
        /// Evidenced now.
        have: u32,
    },
    /// Years of experience.
    YearsExperience {
        /// Needed.
        min: f64,
        /// Now.
        have: f64,
    },
    /// Endorsements from holders of a role.
    Endorsements {
        /// Endorsers' role.
        role: RoleId,
        /// Needed.
        count: u32,
        /// Distinct matching endorsers now.
        have: u32,
    },
    /// Residency rotations.
    Rotations {
        /// Roles to rotate through.
        roles: Vec<RoleId>,
        /// Needed.
        count: u32,
        /// Listed roles already rotated through.
        completed: Vec<RoleId>,
    },
}

/// Status of one transition into a role.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransitionStatus {
    /// Source role.
    pub from: RoleId,
    /// Destination role.
    pub to: RoleId,
    /// Direction of advancement.
    pub direction: Direction,
    /// Whether the educator has reached the source role.
    pub from_met: bool,
    /// Whether the transition is complete (source reached and requirement met).
    pub met: bool,
    /// Progress: the requirement's progress, halved while the source role is not reached.
    pub progress: f64,
    /// JSON pointer of the requirement in the definitions.
    pub path: String,
    /// Requirement status tree.
    pub requires: ConditionStatus,
}

/// Gap toward a role in one competency category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryGap {
    /// The category.
    pub category: Category,
    /// Competencies of this category evidenced now.
    pub evidenced: u32,
    /// Competencies of this category the closest route asks for (0 if none).
    pub required: u32,
    /// Credentials aligned to this category still missing on the closest route.
    pub missing_credentials: Vec<AchievementId>,
    /// Competencies those credentials would evidence that are not evidenced yet.
    pub missing_competencies: Vec<CompetencyId>,
}

/// Where the educator stands against one role.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleStatus {
    /// The role.
    pub role: RoleId,
    /// Whether the role is reached (or proven by its verified award).
    pub met: bool,
    /// Progress in [0, 1]: the best route's progress; 1 exactly when met.
    pub progress: f64,
    /// True when the role is proven by holding its award credential.
    pub held_via_award: bool,
    /// Achievement awarded on reaching the role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awards: Option<AchievementId>,
    /// Entry condition status, if the role can be entered directly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<ConditionStatus>,
    /// Every transition leading to the role.
    pub transitions: Vec<TransitionStatus>,
    /// Gap by category on the closest route (empty when met).
    pub gaps: Vec<CategoryGap>,
}

/// Where the educator stands against one stack.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackStatus {
    /// The stack.
    pub stack: StackId,
    /// Whether complete.
    pub met: bool,
    /// Progress in [0, 1].
    pub progress: f64,
    /// Certificate it awards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awards: Option<AchievementId>,
    /// Required items not yet held.
    pub missing_required: Vec<StackItem>,
    /// Electives held.
    pub electives_held: u32,
    /// Electives needed.
    pub electives_needed: u32,
}

/// Count of evidenced competencies in a category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryCount {
    /// Category.
    pub category: Category,
    /// Evidenced.
    pub evidenced: u32,
    /// In the framework.
    pub total: u32,
}

/// The full evaluation of one educator (JSON-serializable for the server and store).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Every role, in definition order.
    pub roles: Vec<RoleStatus>,
    /// Every stack, in definition order.
    pub stacks: Vec<StackStatus>,
    /// Achievements held: verified plus derived (stack certificates, role awards).
    pub held: Vec<AchievementId>,
    /// Derived achievements not among the verified holdings: to be issued.
    pub to_issue: Vec<AchievementId>,
    /// Competencies evidenced by held achievements.
    pub evidenced: Vec<CompetencyId>,
    /// Evidenced competencies by category.
    pub by_category: Vec<CategoryCount>,
    /// Holdings whose achievement is not defined (ignored).
    pub unknown_holdings: Vec<String>,
}

impl Evaluation {
    /// Status of a role by id.
    pub fn role(&self, id: &str) -> Option<&RoleStatus> {
        self.roles.iter().find(|r| r.role.as_str() == id)
    }
    /// Status of a stack by id.
    pub fn stack(&self, id: &str) -> Option<&StackStatus> {
        self.stacks.iter().find(|s| s.stack.as_str() == id)
    }
    /// Ids of the roles reached.
    pub fn roles_met(&self) -> Vec<RoleId> {
        self.roles
            .iter()
            .filter(|r| r.met)
            .map(|r| r.role.clone())
            .collect()
    }
}

/// Non-credential facts, compiled against the definitions.
pub(crate) struct Facts<'a> {
    pub(crate) years: f64,
    /// (endorser, role index, category, competency index)
    pub(crate) endorsements: Vec<(&'a str, usize, Option<Category>, Option<usize>)>,
    pub(crate) rotations: BitSet,
    /// When true every non-credential leaf counts as met (used by planning).
    pub(crate) optimistic: bool,
}

/// Derived state: what is held, completed, reached and evidenced.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub(crate) held: BitSet,
    pub(crate) stack_met: Vec<bool>,
    pub(crate) stack_prog: Vec<f64>,
    pub(crate) reached: BitSet,
    /// Roles proven by their award being held before any derivation.
    pub(crate) comps: BitSet,
    pub(crate) cat_counts: [u32; 4],
}

impl Definitions {
    /// Evaluates an educator against every role and stack.
    pub fn evaluate(&self, state: &EducatorState) -> Evaluation {
        let (held0, unknown) = self.initial_held(state);
        let facts = self.facts(state, false);
        let ctx = self.compute(held0.clone(), &facts);
        self.report(&ctx, &facts, &held0, unknown)
    }

    /// Just [`Evaluation::to_issue`]: what the educator has earned but does not hold, without
    /// the per-role and per-stack report (the award check after each issuance needs only this).
    pub fn to_issue(&self, state: &EducatorState) -> Vec<AchievementId> {
        let (held0, _) = self.initial_held(state);
        let facts = self.facts(state, false);
        let ctx = self.compute(held0.clone(), &facts);
        let achs = self.achievements();
        ctx.held
            .iter()
            .filter(|&a| !held0.contains(a))
            .filter_map(|a| achs.get(a).map(|x| x.id.clone()))
            .collect()
    }

    /// Evaluates one role (None if the role is unknown).
    pub fn evaluate_role(&self, state: &EducatorState, role: &str) -> Option<RoleStatus> {
        let ri = *self.ix.role_ix.get(role)?;
        let (held0, _) = self.initial_held(state);
        let facts = self.facts(state, false);
        let ctx = self.compute(held0.clone(), &facts);
        Some(self.role_status(ri, &ctx, &facts, &held0))
    }

    pub(crate) fn initial_held(&self, state: &EducatorState) -> (BitSet, Vec<String>) {
        let mut held = BitSet::new(self.achievements().len());
        let mut unknown = Vec::new();
        for h in &state.holdings {
            match self.ix.ach_ix.get(h.achievement.as_str()) {
                Some(&i) => {
                    held.insert(i);
                }
                None => unknown.push(h.achievement.to_string()),
            }
        }
        (held, unknown)
    }

    pub(crate) fn facts<'a>(&self, state: &'a EducatorState, optimistic: bool) -> Facts<'a> {
        let mut rotations = BitSet::new(self.roles().len());
        for r in &state.rotations {
            if let Some(&i) = self.ix.role_ix.get(r.as_str()) {
                rotations.insert(i);
            }
        }
        let endorsements = state
            .endorsements
            .iter()
            .filter_map(|e| {
                let role = *self.ix.role_ix.get(e.endorser_role.as_str())?;
                let comp = e
                    .competency
                    .as_ref()
                    .and_then(|c| self.ix.comp_ix.get(c.as_str()).copied());
                Some((e.endorser.as_str(), role, e.category, comp))
            })
            .collect();
        let years = if state.years_experience.is_finite() {
            state.years_experience.max(0.0)
        } else {
            0.0
        };
        Facts {
            years,
            endorsements,
            rotations,
            optimistic,
        }
    }

    /// Derives stacks, role awards and reached roles from held achievements (fixpoint).
    pub(crate) fn compute(&self, mut held: BitSet, facts: &Facts<'_>) -> Ctx {
        let ns = self.ix.stacks.len();
        let ncomp = self.ix.comp_cat.len();
        let mut ctx = Ctx {
            held: BitSet::new(0),
            stack_met: vec![false; ns],
            stack_prog: vec![0.0; ns],
            reached: BitSet::new(self.ix.roles.len()),
            comps: BitSet::new(ncomp),
            cat_counts: [0; 4],
        };
        // Each outer round either adds a role award to `held` or ends; rounds are bounded.
        for _ in 0..=(2 * self.ix.roles.len() + 1) {
            self.derive_stacks(&mut held, &mut ctx);
            ctx.comps = BitSet::new(ncomp);
            for a in held.iter() {
                if let Some(c) = self.ix.ach_comps.get(a) {
                    ctx.comps.union_with(c);
                }
            }
            for (k, mask) in self.ix.cat_masks.iter().enumerate() {
                ctx.cat_counts[k] = ctx.comps.intersection_count(mask);
            }
            ctx.held = held.clone();
            let mut new_award = false;
            loop {
                let mut changed = false;
                for (ri, r) in self.ix.roles.iter().enumerate() {
                    if ctx.reached.contains(ri) {
                        continue;
                    }
                    let by_award = r.awards.is_some_and(|a| held.contains(a));
                    let by_entry = r.entry.as_ref().is_some_and(|e| self.met(e, &ctx, facts));
                    let by_transition = || {
                        r.incoming.iter().any(|&ti| {
                            self.ix.transitions.get(ti).is_some_and(|t| {
                                ctx.reached.contains(t.from) && self.met(&t.requires, &ctx, facts)
                            })
                        })
                    };
                    if by_award || by_entry || by_transition() {
                        ctx.reached.insert(ri);
                        changed = true;
                        if let Some(a) = r.awards {
                            if held.insert(a) {
                                new_award = true;
                            }
                        }
                    }
                }
                if !changed {
                    break;
                }
            }
            if !new_award {
                break;
            }
        }
        ctx.held = held;
        ctx
    }

    fn item_met(&self, it: &CItem, held: &BitSet, stack_met: &[bool]) -> bool {
        match *it {
            CItem::Ach(a) => held.contains(a),
            CItem::Stack(s) => stack_met.get(s).copied().unwrap_or(false),
        }
    }

    fn item_prog(&self, it: &CItem, held: &BitSet, stack_prog: &[f64]) -> f64 {
        match *it {
            CItem::Ach(a) => {
                if held.contains(a) {
                    1.0
                } else if let Some(Source::Stack(s)) = self.ix.ach_source.get(a) {
                    stack_prog.get(*s).copied().unwrap_or(0.0)
                } else {
                    0.0
                }
            }
            CItem::Stack(s) => stack_prog.get(s).copied().unwrap_or(0.0),
        }
    }

    fn derive_stacks(&self, held: &mut BitSet, ctx: &mut Ctx) {
        for &si in &self.ix.stack_order {
            let Some(s) = self.ix.stacks.get(si) else {
                continue;
            };
            let by_award = s.awards.is_some_and(|a| held.contains(a));
            let req_ok = s
                .required
                .iter()
                .all(|it| self.item_met(it, held, &ctx.stack_met));
            let el = s
                .electives
                .iter()
                .filter(|it| self.item_met(it, held, &ctx.stack_met))
                .count();
            let met = by_award || (req_ok && el >= s.min);
            let prog = if met {
                1.0
            } else {
                let req: f64 = s
                    .required
                    .iter()
                    .map(|it| self.item_prog(it, held, &ctx.stack_prog))
                    .sum();
                let mut els: Vec<f64> = s
                    .electives
                    .iter()
                    .map(|it| self.item_prog(it, held, &ctx.stack_prog))
                    .collect();
                els.sort_by(|a, b| b.total_cmp(a));
                let el_sum: f64 = els.iter().take(s.min).sum();
                let denom = (s.required.len() + s.min) as f64;
                if denom > 0.0 {
                    cap(false, (req + el_sum) / denom)
                } else {
                    0.0
                }
            };
            if let Some(m) = ctx.stack_met.get_mut(si) {
                *m = met;
            }
            if let Some(p) = ctx.stack_prog.get_mut(si) {
                *p = prog;
            }
            if met {
                if let Some(a) = s.awards {
                    held.insert(a);
                }
            }
        }
    }

    fn endorsers(
        &self,
        facts: &Facts<'_>,
        role: usize,
        category: Option<Category>,
        competency: Option<usize>,
    ) -> u32 {
        let mut who: Vec<&str> = facts
            .endorsements
            .iter()
            .filter(|(_, r, cat, comp)| {
                *r == role
                    && category.is_none_or(|c| {
                        *cat == Some(c)
                            || comp.is_some_and(|ci| self.ix.comp_cat.get(ci) == Some(&c))
                    })
                    && competency.is_none_or(|c| *comp == Some(c))
            })
            .map(|(e, ..)| *e)
            .collect();
        who.sort_unstable();
        who.dedup();
        who.len() as u32
    }

    pub(crate) fn met(&self, n: &CNode, ctx: &Ctx, facts: &Facts<'_>) -> bool {
        match n {
            CNode::All(v) => v.iter().all(|c| self.met(c, ctx, facts)),
            CNode::Any(v) => v.iter().any(|c| self.met(c, ctx, facts)),
            CNode::AtLeast(k, v) => {
                *k == 0
                    || v.iter()
                        .filter(|c| self.met(c, ctx, facts))
                        .take(*k)
                        .count()
                        >= *k
            }
            CNode::Ach(a) => ctx.held.contains(*a),
            CNode::Stack(s) => ctx.stack_met.get(*s).copied().unwrap_or(false),
            CNode::Comps(cat, count) => ctx.cat_counts[cat.index()] >= *count,
            CNode::Years(min) => facts.optimistic || facts.years >= *min,
            CNode::Endorse {
                role,
                count,
                category,
                competency,
            } => facts.optimistic || self.endorsers(facts, *role, *category, *competency) >= *count,
            CNode::Rot { roles, count } => {
                facts.optimistic
                    || roles
                        .iter()
                        .filter(|&&r| facts.rotations.contains(r))
                        .count() as u32
                        >= *count
            }
        }
    }

    /// Progress of a node in [0, 1] (1 exactly when met); monotone in held and facts.
    pub(crate) fn progress(&self, n: &CNode, ctx: &Ctx, facts: &Facts<'_>) -> f64 {
        let met = self.met(n, ctx, facts);
        if met {
            return 1.0;
        }
        let p = match n {
            CNode::All(v) => {
                if v.is_empty() {
                    1.0
                } else {
                    v.iter().map(|c| self.progress(c, ctx, facts)).sum::<f64>() / v.len() as f64
                }
            }
            CNode::Any(v) => v
                .iter()
                .map(|c| self.progress(c, ctx, facts))
                .fold(0.0, f64::max),
            CNode::AtLeast(k, v) => top_k_avg(v.iter().map(|c| self.progress(c, ctx, facts)), *k),
            CNode::Ach(a) => match self.ix.ach_source.get(*a) {
                Some(Source::Stack(s)) => ctx.stack_prog.get(*s).copied().unwrap_or(0.0),
                _ => 0.0,
            },
            CNode::Stack(s) => ctx.stack_prog.get(*s).copied().unwrap_or(0.0),
            CNode::Comps(cat, count) => ratio(ctx.cat_counts[cat.index()] as f64, *count as f64),
            CNode::Years(min) => ratio(facts.years, *min),
            CNode::Endorse {
                role,
                count,
                category,
                competency,
            } => ratio(
                self.endorsers(facts, *role, *category, *competency) as f64,
                *count as f64,
            ),
            CNode::Rot { roles, count } => ratio(
                roles
                    .iter()
                    .filter(|&&r| facts.rotations.contains(r))
                    .count() as f64,
                *count as f64,
            ),
        };
        cap(false, p)
    }

    /// Builds the status tree of a node, walking the compiled and the source condition together.
    fn status(&self, n: &CNode, c: &Condition, ctx: &Ctx, facts: &Facts<'_>) -> ConditionStatus {
        let children = |ns: &[CNode], cs: &[Condition]| -> Vec<ConditionStatus> {
            ns.iter()
                .zip(cs)
                .map(|(n, c)| self.status(n, c, ctx, facts))
                .collect()
        };
        let node = match (n, c) {
            (CNode::All(ns), Condition::AllOf(cs)) => NodeStatus::AllOf {
                children: children(ns, cs),
            },
            (CNode::Any(ns), Condition::AnyOf(cs)) => NodeStatus::AnyOf {
                children: children(ns, cs),
            },
            (CNode::AtLeast(_, ns), Condition::AtLeast { n, of }) => NodeStatus::AtLeast {
                n: *n,
                children: children(ns, of),
            },
            (_, Condition::Credential(a)) => NodeStatus::Credential {
                achievement: a.clone(),
            },
            (_, Condition::Stack(s)) => NodeStatus::Stack { stack: s.clone() },
            (_, Condition::CompetenciesInCategory { category, count }) => {
                NodeStatus::CompetenciesInCategory {
                    category: *category,
                    count: *count,
                    have: ctx.cat_counts[category.index()],
                }
            }
            (_, Condition::YearsExperience { min }) => NodeStatus::YearsExperience {
                min: *min,
                have: facts.years,
            },
            (
                CNode::Endorse {
                    role,
                    category,
                    competency,
                    ..
                },
                Condition::Endorsements {
                    role: rid, count, ..
                },
            ) => NodeStatus::Endorsements {
                role: rid.clone(),
                count: *count,
                have: self.endorsers(facts, *role, *category, *competency),
            },
            (_, Condition::Rotations { roles, count }) => {
                let completed: Vec<RoleId> = roles
                    .iter()
                    .filter(|r| {
                        self.ix
                            .role_ix
                            .get(r.as_str())
                            .is_some_and(|&i| facts.rotations.contains(i))
                    })
                    .cloned()
                    .collect();
                NodeStatus::Rotations {
                    roles: roles.clone(),
                    count: count.unwrap_or(roles.len() as u32),
                    completed,
                }
            }
            // Compiled and source trees always share their shape; this arm is unreachable in
            // practice and degrades to an empty all_of rather than panicking.
            _ => NodeStatus::AllOf {
                children: Vec::new(),
            },
        };
        let met = self.met(n, ctx, facts);
        ConditionStatus {
            met,
            progress: self.progress(n, ctx, facts),
            node,
        }
    }

    pub(crate) fn role_status(
        &self,
        ri: usize,
        ctx: &Ctx,
        facts: &Facts<'_>,
        held0: &BitSet,
    ) -> RoleStatus {
        let role = &self.roles()[ri.min(self.roles().len().saturating_sub(1))];
        let cr = &self.ix.roles[ri.min(self.ix.roles.len().saturating_sub(1))];
        let met = ctx.reached.contains(ri);
        let held_via_award = cr.awards.is_some_and(|a| held0.contains(a));
        let entry = match (&cr.entry, &role.entry) {
            (Some(n), Some(c)) => Some(self.status(n, c, ctx, facts)),
            _ => None,
        };
        let mut transitions = Vec::with_capacity(cr.incoming.len());
        for &ti in &cr.incoming {
            let Some(t) = self.ix.transitions.get(ti) else {
                continue;
            };
            let Some(src) = self
                .roles()
                .get(t.from)
                .and_then(|r| r.transitions.get(t.index_in_role))
            else {
                continue;
            };
            let requires = self.status(&t.requires, &src.requires, ctx, facts);
            let from_met = ctx.reached.contains(t.from);
            let tmet = from_met && requires.met;
            let progress = if tmet {
                1.0
            } else if from_met {
                requires.progress
            } else {
                requires.progress / 2.0
            };
            transitions.push(TransitionStatus {
                from: self.roles()[t.from].id.clone(),
                to: role.id.clone(),
                direction: t.direction,
                from_met,
                met: tmet,
                progress: cap(tmet, progress),
                path: t.path.clone(),
                requires,
            });
        }
        let best_entry = entry
            .as_ref()
            .map(|e| e.progress)
            .unwrap_or(f64::NEG_INFINITY);
        let best_tr = transitions
            .iter()
            .map(|t| t.progress)
            .fold(f64::NEG_INFINITY, f64::max);
        let progress = if met {
            1.0
        } else {
            cap(false, best_entry.max(best_tr).max(0.0))
        };
        let gaps = if met {
            Vec::new()
        } else {
            // Closest route: the entry or first transition with the highest progress.
            let route: Option<&ConditionStatus> = if best_entry >= best_tr {
                entry.as_ref()
            } else {
                transitions
                    .iter()
                    .find(|t| t.progress == best_tr)
                    .map(|t| &t.requires)
            };
            route.map(|r| self.gaps(r, ctx)).unwrap_or_default()
        };
        RoleStatus {
            role: role.id.clone(),
            met,
            progress,
            held_via_award,
            awards: role.awards.clone(),
            entry,
            transitions,
            gaps,
        }
    }

    fn missing_from_stack(&self, s: usize, ctx: &Ctx, out: &mut Vec<usize>, depth: usize) {
        if depth > 64 || ctx.stack_met.get(s).copied().unwrap_or(true) {
            return;
        }
        let Some(st) = self.ix.stacks.get(s) else {
            return;
        };
        let el_held = st
            .electives
            .iter()
            .filter(|it| self.item_met(it, &ctx.held, &ctx.stack_met))
            .count();
        let short = el_held < st.min;
        for it in st
            .required
            .iter()
            .chain(st.electives.iter().filter(|_| short))
        {
            if self.item_met(it, &ctx.held, &ctx.stack_met) {
                continue;
            }
            match *it {
                CItem::Ach(a) => self.missing_ach(a, ctx, out, depth + 1),
                CItem::Stack(t) => self.missing_from_stack(t, ctx, out, depth + 1),
            }
        }
    }

    fn missing_ach(&self, a: usize, ctx: &Ctx, out: &mut Vec<usize>, depth: usize) {
        match self.ix.ach_source.get(a) {
            Some(Source::Stack(s)) => self.missing_from_stack(*s, ctx, out, depth),
            _ => out.push(a),
        }
    }

    fn collect_missing(
        &self,
        st: &ConditionStatus,
        ctx: &Ctx,
        out: &mut Vec<usize>,
        need: &mut [u32; 4],
    ) {
        if st.met {
            return;
        }
        match &st.node {
            NodeStatus::AllOf { children }
            | NodeStatus::AnyOf { children }
            | NodeStatus::AtLeast { children, .. } => {
                for c in children {
                    self.collect_missing(c, ctx, out, need);
                }
            }
            NodeStatus::Credential { achievement } => {
                if let Some(&a) = self.ix.ach_ix.get(achievement.as_str()) {
                    self.missing_ach(a, ctx, out, 0);
                }
            }
            NodeStatus::Stack { stack } => {
                if let Some(&s) = self.ix.stack_ix.get(stack.as_str()) {
                    self.missing_from_stack(s, ctx, out, 0);
                }
            }
            NodeStatus::CompetenciesInCategory {
                category, count, ..
            } => {
                let slot = &mut need[category.index()];
                *slot = (*slot).max(*count);
            }
            _ => {}
        }
    }

    fn gaps(&self, route: &ConditionStatus, ctx: &Ctx) -> Vec<CategoryGap> {
        let mut missing = Vec::new();
        let mut need = [0u32; 4];
        self.collect_missing(route, ctx, &mut missing, &mut need);
        missing.sort_unstable();
        missing.dedup();
        Category::ALL
            .iter()
            .map(|&cat| {
                let mut creds = Vec::new();
                let mut comps = BitSet::new(self.ix.comp_cat.len());
                for &a in &missing {
                    let Some(ac) = self.ix.ach_comps.get(a) else {
                        continue;
                    };
                    let mut in_cat = false;
                    for ci in ac.iter() {
                        if self.ix.comp_cat.get(ci) == Some(&cat) {
                            in_cat = true;
                            if !ctx.comps.contains(ci) {
                                comps.insert(ci);
                            }
                        }
                    }
                    if in_cat {
                        creds.push(self.achievements()[a].id.clone());
                    }
                }
                CategoryGap {
                    category: cat,
                    evidenced: ctx.cat_counts[cat.index()],
                    required: need[cat.index()],
                    missing_credentials: creds,
                    missing_competencies: comps
                        .iter()
                        .filter_map(|ci| {
                            self.framework().competencies.get(ci).map(|c| c.id.clone())
                        })
                        .collect(),
                }
            })
            .collect()
    }

    pub(crate) fn report(
        &self,
        ctx: &Ctx,
        facts: &Facts<'_>,
        held0: &BitSet,
        unknown: Vec<String>,
    ) -> Evaluation {
        let roles = (0..self.roles().len())
            .map(|ri| self.role_status(ri, ctx, facts, held0))
            .collect();
        let stacks = self
            .stacks()
            .iter()
            .zip(&self.ix.stacks)
            .enumerate()
            .map(|(si, (s, cs))| {
                let missing_required = s
                    .required
                    .iter()
                    .zip(&cs.required)
                    .filter(|(_, it)| !self.item_met(it, &ctx.held, &ctx.stack_met))
                    .map(|(src, _)| src.clone())
                    .collect();
                let electives_held = cs
                    .electives
                    .iter()
                    .filter(|it| self.item_met(it, &ctx.held, &ctx.stack_met))
                    .count() as u32;
                StackStatus {
                    stack: s.id.clone(),
                    met: ctx.stack_met.get(si).copied().unwrap_or(false),
                    progress: ctx.stack_prog.get(si).copied().unwrap_or(0.0),
                    awards: s.awards.clone(),
                    missing_required,
                    electives_held,
                    electives_needed: s.min_electives,
                }
            })
            .collect();
        let achs = self.achievements();
        let held = ctx
            .held
            .iter()
            .filter_map(|a| achs.get(a).map(|x| x.id.clone()))
            .collect();
        let to_issue = ctx
            .held
            .iter()
            .filter(|&a| !held0.contains(a))
            .filter_map(|a| achs.get(a).map(|x| x.id.clone()))
            .collect();
        let comps = &self.framework().competencies;
        let evidenced = ctx
            .comps
            .iter()
            .filter_map(|c| comps.get(c).map(|x| x.id.clone()))
            .collect();
        let by_category = Category::ALL
            .iter()
            .map(|&c| CategoryCount {
                category: c,
                evidenced: ctx.cat_counts[c.index()],
                total: self.ix.cat_masks[c.index()].len() as u32,
            })
            .collect();
        Evaluation {
            roles,
            stacks,
            held,
            to_issue,
            evidenced,
            by_category,
            unknown_holdings: unknown,
        }
    }
}

fn ratio(have: f64, need: f64) -> f64 {
    if need <= 0.0 {
        1.0
    } else {
        (have / need).clamp(0.0, 1.0)
    }
}

fn top_k_avg(it: impl Iterator<Item = f64>, k: usize) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let mut v: Vec<f64> = it.collect();
    v.sort_by(|a, b| b.total_cmp(a));
    v.iter().take(k).sum::<f64>() / k as f64
}
