//! Loading, validating and indexing definitions (framework, achievements, stacks, roles).
//!
//! Input is JSON (text or `serde_json::Value`); nothing here reads files. Loading checks the
//! JSON Schemas first, then the semantic rules (references, cycles, satisfiability, duplicate
//! ids) and reports *every* problem with its JSON pointer. A `Definitions` value is therefore
//! always consistent, and carries precomputed indexes so evaluation is fast.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;
use serde_json::Value;

use crate::bitset::BitSet;
use crate::error::{ptr_escape, DefinitionError, DefinitionErrorKind as K, DefinitionErrors};
use crate::id::{AchievementId, CompetencyId, RoleId, StackId};
use crate::model::{
    Achievement, CareerRole, Category, Competency, Condition, Direction, Framework, Stack,
    StackItem,
};
use crate::schema::{self, SchemaKind};

/// The top-level sections of a definitions document, in order.
pub const SECTIONS: [&str; 4] = ["framework", "achievements", "stacks", "roles"];

/// Cap on reported errors, so hostile input cannot produce unbounded output.
const MAX_ERRORS: usize = 1000;

const DEFAULT_FRAMEWORK: &str = include_str!("../../../data/default/framework.json");
const DEFAULT_ACHIEVEMENTS: &str = include_str!("../../../data/default/achievements.json");
const DEFAULT_STACKS: &str = include_str!("../../../data/default/stacks.json");
const DEFAULT_ROLES: &str = include_str!("../../../data/default/roles.json");

/// The default data files, as embedded text: `(file name, JSON)`.
pub const DEFAULT_FILES: [(&str, &str); 4] = [
    ("framework.json", DEFAULT_FRAMEWORK),
    ("achievements.json", DEFAULT_ACHIEVEMENTS),
    ("stacks.json", DEFAULT_STACKS),
    ("roles.json", DEFAULT_ROLES),
];

/// How an achievement comes to be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// Earned directly (a micro-credential).
    Earnable,
    /// Awarded when a stack completes.
    Stack(usize),
    /// Awarded when a role is reached.
    CareerRole(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CItem {
    Ach(usize),
    Stack(usize),
}

#[derive(Debug, Clone)]
pub(crate) struct CStack {
    pub(crate) required: Vec<CItem>,
    pub(crate) electives: Vec<CItem>,
    pub(crate) min: usize,
    pub(crate) awards: Option<usize>,
}

/// A compiled condition: ids replaced by indexes.
#[derive(Debug, Clone)]
pub(crate) enum CNode {
    All(Vec<CNode>),
    Any(Vec<CNode>),
    AtLeast(usize, Vec<CNode>),
    Ach(usize),
    Stack(usize),
    Comps(Category, u32),
    Years(f64),
    Endorse {
        role: usize,
        count: u32,
        category: Option<Category>,
        competency: Option<usize>,
    },
    Rot {
        roles: Vec<usize>,
        count: u32,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct CTransition {
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) direction: Direction,
    pub(crate) requires: CNode,
    /// JSON pointer of the `requires` node.
    pub(crate) path: String,
    /// Index of the transition in its source role's list.
    pub(crate) index_in_role: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct CRole {
    pub(crate) entry: Option<CNode>,
    pub(crate) awards: Option<usize>,
    /// Indexes into `Index::transitions` of transitions leading to this role.
    pub(crate) incoming: Vec<usize>,
}

/// Precomputed indexes used by evaluation and planning.
#[derive(Debug, Clone)]
pub(crate) struct Index {
    pub(crate) ach_ix: HashMap<AchievementId, usize>,
    pub(crate) comp_ix: HashMap<CompetencyId, usize>,
    pub(crate) stack_ix: HashMap<StackId, usize>,
    pub(crate) role_ix: HashMap<RoleId, usize>,
    pub(crate) ach_source: Vec<Source>,
    /// Competencies evidenced by each achievement.
    pub(crate) ach_comps: Vec<BitSet>,
    pub(crate) comp_cat: Vec<Category>,
    pub(crate) cat_masks: [BitSet; 4],
    pub(crate) stacks: Vec<CStack>,
    /// Stacks in dependency order (components before the stacks that use them).
    pub(crate) stack_order: Vec<usize>,
    pub(crate) roles: Vec<CRole>,
    pub(crate) transitions: Vec<CTransition>,
}

/// A validated, indexed set of definitions.
#[derive(Debug, Clone)]
pub struct Definitions {
    framework: Framework,
    achievements: Vec<Achievement>,
    stacks: Vec<Stack>,
    roles: Vec<CareerRole>,
    pub(crate) ix: Index,
}

impl Definitions {
    /// Loads the default data embedded in the crate (`data/default/*.json`).
    pub fn default_data() -> Result<Definitions, DefinitionErrors> {
        Self::from_parts(&DEFAULT_FILES.map(|(_, text)| text))
    }

    /// Loads a combined definitions document `{"framework":…, "achievements":[…], "stacks":[…], "roles":[…]}`.
    pub fn from_json(json: &str) -> Result<Definitions, DefinitionErrors> {
        let value: Value = serde_json::from_str(json).map_err(|e| {
            DefinitionErrors(vec![DefinitionError::new("", K::Json(e.to_string()))])
        })?;
        Self::from_value(&value)
    }

    /// Loads several partial documents (e.g. one file per section) and merges their sections.
    /// Each part is a JSON object holding one or more sections; a section may appear only once.
    pub fn from_parts(parts: &[&str]) -> Result<Definitions, DefinitionErrors> {
        let mut merged = serde_json::Map::new();
        let mut errs = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            match serde_json::from_str::<Value>(part) {
                Ok(Value::Object(map)) => {
                    for (k, v) in map {
                        if k == "$schema" {
                            continue;
                        }
                        if merged.contains_key(&k) {
                            errs.push(DefinitionError::new(
                                format!("/{}", ptr_escape(&k)),
                                K::UnexpectedSection(format!("{k} (given again by part {i})")),
                            ));
                        } else {
                            merged.insert(k, v);
                        }
                    }
                }
                Ok(_) => errs.push(DefinitionError::new(
                    "",
                    K::Invalid(format!("part {i} is not a JSON object")),
                )),
                Err(e) => errs.push(DefinitionError::new("", K::Json(format!("part {i}: {e}")))),
            }
        }
        if !errs.is_empty() {
            return Err(DefinitionErrors(errs));
        }
        Self::from_value(&Value::Object(merged))
    }

    /// Loads a combined definitions document from a JSON value.
    pub fn from_value(value: &Value) -> Result<Definitions, DefinitionErrors> {
        let Some(obj) = value.as_object() else {
            return Err(DefinitionErrors(vec![DefinitionError::new(
                "",
                K::Invalid("definitions must be a JSON object".into()),
            )]));
        };
        let mut errs = Vec::new();
        for key in obj.keys() {
            if key != "$schema" && !SECTIONS.contains(&key.as_str()) {
                errs.push(DefinitionError::new(
                    format!("/{}", ptr_escape(key)),
                    K::UnexpectedSection(key.clone()),
                ));
            }
        }
        let kinds = [
            SchemaKind::Framework,
            SchemaKind::Achievements,
            SchemaKind::Stacks,
            SchemaKind::Roles,
        ];
        for (section, kind) in SECTIONS.iter().zip(kinds) {
            if obj.contains_key(*section) {
                errs.extend(schema::validate(kind, value));
            } else {
                errs.push(DefinitionError::new(
                    "",
                    K::MissingSection((*section).to_string()),
                ));
            }
        }
        if !errs.is_empty() {
            errs.truncate(MAX_ERRORS);
            return Err(DefinitionErrors(errs));
        }
        let framework = obj
            .get("framework")
            .map(|v| Framework::deserialize(v).map_err(|e| (String::from("/framework"), e)));
        let framework = match framework {
            Some(Ok(f)) => Some(f),
            Some(Err((p, e))) => {
                errs.push(DefinitionError::new(p, K::Invalid(e.to_string())));
                None
            }
            None => None,
        };
        let achievements: Vec<Achievement> =
            read_list(obj.get("achievements"), "achievements", &mut errs);
        let stacks: Vec<Stack> = read_list(obj.get("stacks"), "stacks", &mut errs);
        let roles: Vec<CareerRole> = read_list(obj.get("roles"), "roles", &mut errs);
        match framework {
            Some(framework) if errs.is_empty() => Self::new(framework, achievements, stacks, roles),
            _ => Err(DefinitionErrors(errs)),
        }
    }

    /// Builds definitions from typed values, checking every semantic rule.
    pub fn new(
        framework: Framework,
        achievements: Vec<Achievement>,
        stacks: Vec<Stack>,
        roles: Vec<CareerRole>,
    ) -> Result<Definitions, DefinitionErrors> {
        let mut errs = Vec::new();
        let refs = Refs::build(&framework, &achievements, &stacks, &roles, &mut errs);
        refs.check(&framework, &achievements, &stacks, &roles, &mut errs);
        if !errs.is_empty() {
            errs.truncate(MAX_ERRORS);
            return Err(DefinitionErrors(errs));
        }
        let ix = compile(&framework, &achievements, &stacks, &roles, &refs);
        Ok(Definitions {
            framework,
            achievements,
            stacks,
            roles,
            ix,
        })
    }

    /// The competency framework.
    pub fn framework(&self) -> &Framework {
        &self.framework
    }
    /// All achievements, in definition order.
    pub fn achievements(&self) -> &[Achievement] {
        &self.achievements
    }
    /// All stacks, in definition order.
    pub fn stacks(&self) -> &[Stack] {
        &self.stacks
    }
    /// All roles, in definition order.
    pub fn roles(&self) -> &[CareerRole] {
        &self.roles
    }
    /// An achievement by id.
    pub fn achievement(&self, id: &str) -> Option<&Achievement> {
        self.ix
            .ach_ix
            .get(id)
            .and_then(|&i| self.achievements.get(i))
    }
    /// A stack by id.
    pub fn stack(&self, id: &str) -> Option<&Stack> {
        self.ix.stack_ix.get(id).and_then(|&i| self.stacks.get(i))
    }
    /// A role by id.
    pub fn role(&self, id: &str) -> Option<&CareerRole> {
        self.ix.role_ix.get(id).and_then(|&i| self.roles.get(i))
    }
    /// A competency by id.
    pub fn competency(&self, id: &str) -> Option<&Competency> {
        self.ix
            .comp_ix
            .get(id)
            .and_then(|&i| self.framework.competencies.get(i))
    }

    /// True if the achievement is earned directly (not awarded by a stack or a role).
    pub fn is_earnable(&self, id: &str) -> bool {
        self.ix
            .ach_ix
            .get(id)
            .is_some_and(|&i| self.ix.ach_source.get(i) == Some(&Source::Earnable))
    }

    /// The whole definitions as one combined JSON document (the format `from_value` reads).
    pub fn to_value(&self) -> Value {
        serde_json::json!({
            "framework": self.framework,
            "achievements": self.achievements,
            "stacks": self.stacks,
            "roles": self.roles,
        })
    }
}

fn read_list<T: for<'de> Deserialize<'de>>(
    v: Option<&Value>,
    section: &str,
    errs: &mut Vec<DefinitionError>,
) -> Vec<T> {
    let mut out = Vec::new();
    if let Some(Value::Array(items)) = v {
        for (i, item) in items.iter().enumerate() {
            match T::deserialize(item) {
                Ok(t) => out.push(t),
                Err(e) => errs.push(DefinitionError::new(
                    format!("/{section}/{i}"),
                    K::Invalid(e.to_string()),
                )),
            }
        }
    } else {
        errs.push(DefinitionError::new(
            format!("/{section}"),
            K::Invalid("expected an array".into()),
        ));
    }
    out
}

/// Id → index maps (first occurrence wins) plus who awards each achievement.
struct Refs {
    comp: HashMap<CompetencyId, usize>,
    ach: HashMap<AchievementId, usize>,
    stack: HashMap<StackId, usize>,
    role: HashMap<RoleId, usize>,
    source: Vec<Source>,
}

impl Refs {
    fn build(
        fw: &Framework,
        achs: &[Achievement],
        stacks: &[Stack],
        roles: &[CareerRole],
        errs: &mut Vec<DefinitionError>,
    ) -> Refs {
        fn index<I: Clone + Eq + std::hash::Hash + std::fmt::Display>(
            ids: impl Iterator<Item = I>,
            kind: &'static str,
            path: impl Fn(usize) -> String,
            errs: &mut Vec<DefinitionError>,
        ) -> HashMap<I, usize> {
            let mut map = HashMap::new();
            for (i, id) in ids.enumerate() {
                if let std::collections::hash_map::Entry::Vacant(slot) = map.entry(id.clone()) {
                    slot.insert(i);
                } else {
                    errs.push(DefinitionError::new(
                        path(i),
                        K::DuplicateId {
                            kind,
                            id: id.to_string(),
                        },
                    ));
                }
            }
            map
        }
        let comp = index(
            fw.competencies.iter().map(|c| c.id.clone()),
            "competency",
            |i| format!("/framework/competencies/{i}/id"),
            errs,
        );
        let ach = index(
            achs.iter().map(|a| a.id.clone()),
            "achievement",
            |i| format!("/achievements/{i}/id"),
            errs,
        );
        let stack = index(
            stacks.iter().map(|s| s.id.clone()),
            "stack",
            |i| format!("/stacks/{i}/id"),
            errs,
        );
        let role = index(
            roles.iter().map(|r| r.id.clone()),
            "role",
            |i| format!("/roles/{i}/id"),
            errs,
        );
        let mut source = vec![Source::Earnable; achs.len()];
        let mut awarded_by: HashMap<usize, String> = HashMap::new();
        let mut award = |a: &AchievementId, src: Source, owner: String, path: String| {
            if let Some(&ai) = ach.get(a) {
                if let Some(first) = awarded_by.get(&ai) {
                    errs.push(DefinitionError::new(
                        path,
                        K::Rule(format!(
                            "achievement {:?} is already awarded by {first}",
                            a.as_str()
                        )),
                    ));
                } else {
                    awarded_by.insert(ai, owner);
                    if let Some(s) = source.get_mut(ai) {
                        *s = src;
                    }
                }
            } else {
                errs.push(DefinitionError::new(
                    path,
                    K::UnknownReference {
                        kind: "achievement",
                        id: a.to_string(),
                    },
                ));
            }
        };
        for (si, s) in stacks.iter().enumerate() {
            if let Some(a) = &s.awards {
                award(
                    a,
                    Source::Stack(si),
                    format!("stack {:?}", s.id.as_str()),
                    format!("/stacks/{si}/awards"),
                );
            }
        }
        for (ri, r) in roles.iter().enumerate() {
            if let Some(a) = &r.awards {
                award(
                    a,
                    Source::CareerRole(ri),
                    format!("role {:?}", r.id.as_str()),
                    format!("/roles/{ri}/awards"),
                );
            }
        }
        Refs {
            comp,
            ach,
            stack,
            role,
            source,
        }
    }

    fn unknown(&self, errs: &mut Vec<DefinitionError>, path: String, kind: &'static str, id: &str) {
        errs.push(DefinitionError::new(
            path,
            K::UnknownReference {
                kind,
                id: id.to_string(),
            },
        ));
    }

    fn check(
        &self,
        fw: &Framework,
        achs: &[Achievement],
        stacks: &[Stack],
        roles: &[CareerRole],
        errs: &mut Vec<DefinitionError>,
    ) {
        // Category policies.
        let mut seen_cat = BTreeSet::new();
        for (i, p) in fw.categories.iter().enumerate() {
            if !seen_cat.insert(p.category) {
                errs.push(DefinitionError::new(
                    format!("/framework/categories/{i}/category"),
                    K::DuplicateId {
                        kind: "category policy",
                        id: p.category.to_string(),
                    },
                ));
            }
            for (j, r) in p.attester_roles.iter().enumerate() {
                if !self.role.contains_key(r) {
                    self.unknown(
                        errs,
                        format!("/framework/categories/{i}/attester_roles/{j}"),
                        "role",
                        r.as_str(),
                    );
                }
            }
        }
        let used: BTreeSet<Category> = fw.competencies.iter().map(|c| c.category).collect();
        for c in used.difference(&seen_cat) {
            errs.push(DefinitionError::new(
                "/framework/categories",
                K::Rule(format!("no evidence policy for category {c}")),
            ));
        }
        // Competencies: parents, categories, roles, parent cycles.
        for (i, c) in fw.competencies.iter().enumerate() {
            if let Some(p) = &c.parent {
                match self.comp.get(p).and_then(|&pi| fw.competencies.get(pi)) {
                    None => self.unknown(
                        errs,
                        format!("/framework/competencies/{i}/parent"),
                        "competency",
                        p.as_str(),
                    ),
                    Some(parent) if parent.category != c.category => {
                        errs.push(DefinitionError::new(
                            format!("/framework/competencies/{i}/category"),
                            K::Rule(format!(
                                "category {} differs from parent {:?} ({})",
                                c.category,
                                parent.id.as_str(),
                                parent.category
                            )),
                        ))
                    }
                    Some(_) => {}
                }
            }
            for (j, r) in c.roles.iter().enumerate() {
                if !self.role.contains_key(r) {
                    self.unknown(
                        errs,
                        format!("/framework/competencies/{i}/roles/{j}"),
                        "role",
                        r.as_str(),
                    );
                }
            }
        }
        let parent_adj: Vec<Vec<usize>> = fw
            .competencies
            .iter()
            .map(|c| {
                c.parent
                    .as_ref()
                    .and_then(|p| self.comp.get(p).copied())
                    .into_iter()
                    .collect()
            })
            .collect();
        for scc in cycles(&parent_adj) {
            let first = scc[0];
            errs.push(DefinitionError::new(
                format!("/framework/competencies/{first}/parent"),
                K::Cycle {
                    kind: "competency parent",
                    members: cycle_names(&scc, |i| {
                        fw.competencies.get(i).map(|c| c.id.to_string())
                    }),
                },
            ));
        }
        // Achievements.
        for (i, a) in achs.iter().enumerate() {
            for (j, c) in a.alignments.iter().enumerate() {
                if !self.comp.contains_key(c) {
                    self.unknown(
                        errs,
                        format!("/achievements/{i}/alignments/{j}"),
                        "competency",
                        c.as_str(),
                    );
                }
            }
            if a.validity.as_ref().is_some_and(|v| v.valid_for_days == 0) {
                errs.push(DefinitionError::new(
                    format!("/achievements/{i}/validity/valid_for_days"),
                    K::Rule("validity period must be at least one day".into()),
                ));
            }
        }
        // Stacks.
        let mut stack_adj = vec![Vec::new(); stacks.len()];
        for (si, s) in stacks.iter().enumerate() {
            for (list, name) in [(&s.required, "required"), (&s.electives, "electives")] {
                for (j, item) in list.iter().enumerate() {
                    match item {
                        StackItem::Achievement(a) => match self.ach.get(a) {
                            None => self.unknown(
                                errs,
                                format!("/stacks/{si}/{name}/{j}/achievement"),
                                "achievement",
                                a.as_str(),
                            ),
                            Some(&ai) => {
                                if let Some(Source::Stack(o)) = self.source.get(ai) {
                                    stack_adj[si].push(*o);
                                }
                            }
                        },
                        StackItem::Stack(t) => match self.stack.get(t) {
                            None => self.unknown(
                                errs,
                                format!("/stacks/{si}/{name}/{j}/stack"),
                                "stack",
                                t.as_str(),
                            ),
                            Some(&ti) => stack_adj[si].push(ti),
                        },
                    }
                }
            }
            if s.min_electives as usize > s.electives.len() {
                errs.push(DefinitionError::new(
                    format!("/stacks/{si}/min_electives"),
                    K::Unsatisfiable(format!(
                        "needs {} electives but only {} are listed",
                        s.min_electives,
                        s.electives.len()
                    )),
                ));
            }
        }
        let stack_cycles = cycles(&stack_adj);
        for scc in &stack_cycles {
            errs.push(DefinitionError::new(
                format!("/stacks/{}", scc[0]),
                K::Cycle {
                    kind: "stack",
                    members: cycle_names(scc, |i| stacks.get(i).map(|s| s.id.to_string())),
                },
            ));
        }
        // Competencies that some achievement evidences, per category (for satisfiability).
        let mut evidencable = [0u32; 4];
        {
            let mut seen = BTreeSet::new();
            for a in achs {
                for c in &a.alignments {
                    if let Some(&ci) = self.comp.get(c) {
                        if seen.insert(ci) {
                            if let Some(comp) = fw.competencies.get(ci) {
                                evidencable[comp.category.index()] += 1;
                            }
                        }
                    }
                }
            }
        }
        // Roles and transitions.
        let mut incoming = vec![0usize; roles.len()];
        for (ri, r) in roles.iter().enumerate() {
            if let Some(e) = &r.entry {
                self.check_cond(e, &format!("/roles/{ri}/entry"), &evidencable, errs);
            }
            for (ti, t) in r.transitions.iter().enumerate() {
                match self.role.get(&t.to) {
                    None => self.unknown(
                        errs,
                        format!("/roles/{ri}/transitions/{ti}/to"),
                        "role",
                        t.to.as_str(),
                    ),
                    Some(&to) if to == ri => errs.push(DefinitionError::new(
                        format!("/roles/{ri}/transitions/{ti}/to"),
                        K::Rule("a role cannot transition to itself".into()),
                    )),
                    Some(&to) => {
                        if let Some(n) = incoming.get_mut(to) {
                            *n += 1;
                        }
                    }
                }
                self.check_cond(
                    &t.requires,
                    &format!("/roles/{ri}/transitions/{ti}/requires"),
                    &evidencable,
                    errs,
                );
            }
        }
        for (ri, r) in roles.iter().enumerate() {
            if r.entry.is_none() && incoming.get(ri) == Some(&0) {
                errs.push(DefinitionError::new(
                    format!("/roles/{ri}"),
                    K::Rule(format!(
                        "role {:?} cannot be reached: it has no entry condition and no transition leads to it",
                        r.id.as_str()
                    )),
                ));
            }
        }
        if stack_cycles.is_empty() {
            self.check_role_cycles(stacks, roles, errs);
        }
    }

    fn check_cond(
        &self,
        c: &Condition,
        path: &str,
        evidencable: &[u32; 4],
        errs: &mut Vec<DefinitionError>,
    ) {
        match c {
            Condition::AllOf(v) => {
                for (i, ch) in v.iter().enumerate() {
                    self.check_cond(ch, &format!("{path}/all_of/{i}"), evidencable, errs);
                }
            }
            Condition::AnyOf(v) => {
                if v.is_empty() {
                    errs.push(DefinitionError::new(
                        format!("{path}/any_of"),
                        K::Unsatisfiable("any_of has no options".into()),
                    ));
                }
                for (i, ch) in v.iter().enumerate() {
                    self.check_cond(ch, &format!("{path}/any_of/{i}"), evidencable, errs);
                }
            }
            Condition::AtLeast { n, of } => {
                if *n as usize > of.len() {
                    errs.push(DefinitionError::new(
                        format!("{path}/at_least/n"),
                        K::Unsatisfiable(format!("at_least needs {n} of {} options", of.len())),
                    ));
                }
                for (i, ch) in of.iter().enumerate() {
                    self.check_cond(ch, &format!("{path}/at_least/of/{i}"), evidencable, errs);
                }
            }
            Condition::Credential(a) => {
                if !self.ach.contains_key(a) {
                    self.unknown(
                        errs,
                        format!("{path}/credential"),
                        "achievement",
                        a.as_str(),
                    );
                }
            }
            Condition::Stack(s) => {
                if !self.stack.contains_key(s) {
                    self.unknown(errs, format!("{path}/stack"), "stack", s.as_str());
                }
            }
            Condition::CompetenciesInCategory { category, count } => {
                let avail = evidencable[category.index()];
                if *count > avail {
                    errs.push(DefinitionError::new(
                        format!("{path}/competencies_in_category/count"),
                        K::Unsatisfiable(format!(
                            "needs {count} {category} competencies but achievements evidence only {avail}"
                        )),
                    ));
                }
            }
            Condition::YearsExperience { min } => {
                if !min.is_finite() || *min < 0.0 {
                    errs.push(DefinitionError::new(
                        format!("{path}/years_experience/min"),
                        K::Rule("years of experience must be a finite number >= 0".into()),
                    ));
                }
            }
            Condition::Endorsements {
                role, competency, ..
            } => {
                if !self.role.contains_key(role) {
                    self.unknown(
                        errs,
                        format!("{path}/endorsements/role"),
                        "role",
                        role.as_str(),
                    );
                }
                if let Some(c) = competency {
                    if !self.comp.contains_key(c) {
                        self.unknown(
                            errs,
                            format!("{path}/endorsements/competency"),
                            "competency",
                            c.as_str(),
                        );
                    }
                }
            }
            Condition::Rotations { roles, count } => {
                for (i, r) in roles.iter().enumerate() {
                    if !self.role.contains_key(r) {
                        self.unknown(
                            errs,
                            format!("{path}/rotations/roles/{i}"),
                            "role",
                            r.as_str(),
                        );
                    }
                }
                let distinct: BTreeSet<&RoleId> = roles.iter().collect();
                if let Some(n) = count {
                    if *n as usize > distinct.len() {
                        errs.push(DefinitionError::new(
                            format!("{path}/rotations/count"),
                            K::Unsatisfiable(format!(
                                "needs {n} rotations but only {} distinct roles are listed",
                                distinct.len()
                            )),
                        ));
                    }
                }
            }
        }
    }

    /// A role depends on another when reaching it requires (directly or through stacks) an
    /// achievement that the other role awards. Such dependencies must not be circular.
    fn check_role_cycles(
        &self,
        stacks: &[Stack],
        roles: &[CareerRole],
        errs: &mut Vec<DefinitionError>,
    ) {
        // Roles each stack depends on, computed in dependency order (stacks are acyclic here).
        let stack_adj: Vec<Vec<usize>> = stacks
            .iter()
            .map(|s| {
                s.required
                    .iter()
                    .chain(&s.electives)
                    .filter_map(|it| match it {
                        StackItem::Stack(t) => self.stack.get(t).copied(),
                        StackItem::Achievement(a) => {
                            match self.ach.get(a).and_then(|&ai| self.source.get(ai)) {
                                Some(Source::Stack(o)) => Some(*o),
                                _ => None,
                            }
                        }
                    })
                    .collect()
            })
            .collect();
        let order = topo_order(&stack_adj);
        let mut stack_roles: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); stacks.len()];
        for &si in &order {
            let mut set = BTreeSet::new();
            if let Some(s) = stacks.get(si) {
                for it in s.required.iter().chain(&s.electives) {
                    match it {
                        StackItem::Stack(t) => {
                            if let Some(d) = self.stack.get(t).and_then(|&ti| stack_roles.get(ti)) {
                                set.extend(d.iter().copied());
                            }
                        }
                        StackItem::Achievement(a) => {
                            self.ach_role_deps(a, &stack_roles, &mut set);
                        }
                    }
                }
            }
            if let Some(slot) = stack_roles.get_mut(si) {
                *slot = set;
            }
        }
        let mut adj = vec![Vec::new(); roles.len()];
        // For reporting: first requirement path through which a role depends on another.
        let mut via: HashMap<(usize, usize), String> = HashMap::new();
        let mut add = |to: usize, cond: &Condition, path: String, adj: &mut Vec<Vec<usize>>| {
            let mut deps = BTreeSet::new();
            self.cond_role_deps(cond, &stack_roles, &mut deps);
            for d in deps {
                if let Some(list) = adj.get_mut(to) {
                    list.push(d);
                }
                via.entry((to, d)).or_insert_with(|| path.clone());
            }
        };
        for (ri, r) in roles.iter().enumerate() {
            if let Some(e) = &r.entry {
                add(ri, e, format!("/roles/{ri}/entry"), &mut adj);
            }
            for (ti, t) in r.transitions.iter().enumerate() {
                if let Some(&to) = self.role.get(&t.to) {
                    add(
                        to,
                        &t.requires,
                        format!("/roles/{ri}/transitions/{ti}/requires"),
                        &mut adj,
                    );
                }
            }
        }
        for scc in cycles(&adj) {
            let first = scc[0];
            let next = scc.get(1).copied().unwrap_or(first);
            let path = via
                .get(&(first, next))
                .cloned()
                .unwrap_or_else(|| format!("/roles/{first}"));
            errs.push(DefinitionError::new(
                path,
                K::Cycle {
                    kind: "role requirement",
                    members: cycle_names(&scc, |i| roles.get(i).map(|r| r.id.to_string())),
                },
            ));
        }
    }

    fn ach_role_deps(
        &self,
        a: &AchievementId,
        stack_roles: &[BTreeSet<usize>],
        out: &mut BTreeSet<usize>,
    ) {
        match self.ach.get(a).and_then(|&ai| self.source.get(ai)) {
            Some(Source::CareerRole(r)) => {
                out.insert(*r);
            }
            Some(Source::Stack(s)) => {
                if let Some(d) = stack_roles.get(*s) {
                    out.extend(d.iter().copied());
                }
            }
            _ => {}
        }
    }

    fn cond_role_deps(
        &self,
        c: &Condition,
        stack_roles: &[BTreeSet<usize>],
        out: &mut BTreeSet<usize>,
    ) {
        match c {
            Condition::AllOf(v) | Condition::AnyOf(v) | Condition::AtLeast { of: v, .. } => {
                for ch in v {
                    self.cond_role_deps(ch, stack_roles, out);
                }
            }
            Condition::Credential(a) => self.ach_role_deps(a, stack_roles, out),
            Condition::Stack(s) => {
                if let Some(d) = self.stack.get(s).and_then(|&si| stack_roles.get(si)) {
                    out.extend(d.iter().copied());
                }
            }
            _ => {}
        }
    }
}

/// Names the members of a cycle, closing it with the first member again.
fn cycle_names(scc: &[usize], name: impl Fn(usize) -> Option<String>) -> Vec<String> {
    let mut v: Vec<String> = scc.iter().filter_map(|&i| name(i)).collect();
    if let Some(first) = v.first().cloned() {
        v.push(first);
    }
    v
}

/// Strongly connected components that form cycles (size > 1, or a self-loop), each sorted,
/// listed by smallest member. Iterative Tarjan so deep inputs cannot overflow the stack.
pub(crate) fn cycles(adj: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = adj.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0usize;
    let mut out = Vec::new();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        // (node, next edge position)
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut pos)) = work.last_mut() {
            let edges = adj.get(v).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(&w) = edges.get(*pos) {
                *pos += 1;
                if w >= n {
                    continue;
                }
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    let self_loop = adj.get(v).is_some_and(|e| e.contains(&v));
                    if comp.len() > 1 || self_loop {
                        comp.sort_unstable();
                        out.push(comp);
                    }
                }
            }
        }
    }
    out.sort();
    out
}

/// Order in which every node comes after the nodes it points to (edges = "depends on").
/// Nodes on cycles are appended at the end in index order (callers reject cycles first).
pub(crate) fn topo_order(adj: &[Vec<usize>]) -> Vec<usize> {
    let n = adj.len();
    let mut state = vec![0u8; n]; // 0 new, 1 open, 2 done
    let mut order = Vec::with_capacity(n);
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut work = vec![(root, 0usize)];
        state[root] = 1;
        while let Some(&mut (v, ref mut pos)) = work.last_mut() {
            let edges = adj.get(v).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(&w) = edges.get(*pos) {
                *pos += 1;
                if w < n && state[w] == 0 {
                    state[w] = 1;
                    work.push((w, 0));
                }
            } else {
                state[v] = 2;
                order.push(v);
                work.pop();
            }
        }
    }
    order
}

fn compile(
    fw: &Framework,
    achs: &[Achievement],
    stacks: &[Stack],
    roles: &[CareerRole],
    refs: &Refs,
) -> Index {
    let ncomp = fw.competencies.len();
    let comp_cat: Vec<Category> = fw.competencies.iter().map(|c| c.category).collect();
    let mut cat_masks: [BitSet; 4] = std::array::from_fn(|_| BitSet::new(ncomp));
    for (i, c) in comp_cat.iter().enumerate() {
        cat_masks[c.index()].insert(i);
    }
    let ach_comps = achs
        .iter()
        .map(|a| {
            let mut b = BitSet::new(ncomp);
            for c in &a.alignments {
                if let Some(&ci) = refs.comp.get(c) {
                    b.insert(ci);
                }
            }
            b
        })
        .collect();
    let item = |it: &StackItem| match it {
        StackItem::Achievement(a) => refs.ach.get(a).map(|&i| CItem::Ach(i)),
        StackItem::Stack(s) => refs.stack.get(s).map(|&i| CItem::Stack(i)),
    };
    let cstacks: Vec<CStack> = stacks
        .iter()
        .map(|s| CStack {
            required: s.required.iter().filter_map(item).collect(),
            electives: s.electives.iter().filter_map(item).collect(),
            min: s.min_electives as usize,
            awards: s.awards.as_ref().and_then(|a| refs.ach.get(a).copied()),
        })
        .collect();
    let stack_adj: Vec<Vec<usize>> = cstacks
        .iter()
        .map(|s| {
            s.required
                .iter()
                .chain(&s.electives)
                .filter_map(|it| match it {
                    CItem::Stack(t) => Some(*t),
                    CItem::Ach(a) => match refs.source.get(*a) {
                        Some(Source::Stack(o)) => Some(*o),
                        _ => None,
                    },
                })
                .collect()
        })
        .collect();
    let stack_order = topo_order(&stack_adj);
    let mut croles: Vec<CRole> = roles
        .iter()
        .map(|r| CRole {
            entry: r.entry.as_ref().map(|c| compile_cond(c, refs)),
            awards: r.awards.as_ref().and_then(|a| refs.ach.get(a).copied()),
            incoming: Vec::new(),
        })
        .collect();
    let mut transitions = Vec::new();
    for (ri, r) in roles.iter().enumerate() {
        for (ti, t) in r.transitions.iter().enumerate() {
            let Some(&to) = refs.role.get(&t.to) else {
                continue;
            };
            let direction = t
                .direction
                .or_else(|| roles.get(to).map(|d| d.direction))
                .unwrap_or(Direction::Depth);
            if let Some(cr) = croles.get_mut(to) {
                cr.incoming.push(transitions.len());
            }
            transitions.push(CTransition {
                from: ri,
                to,
                direction,
                requires: compile_cond(&t.requires, refs),
                path: format!("/roles/{ri}/transitions/{ti}/requires"),
                index_in_role: ti,
            });
        }
    }
    Index {
        ach_ix: refs.ach.clone(),
        comp_ix: refs.comp.clone(),
        stack_ix: refs.stack.clone(),
        role_ix: refs.role.clone(),
        ach_source: refs.source.clone(),
        ach_comps,
        comp_cat,
        cat_masks,
        stacks: cstacks,
        stack_order,
        roles: croles,
        transitions,
    }
}

fn compile_cond(c: &Condition, refs: &Refs) -> CNode {
    let many = |v: &[Condition]| {
        v.iter()
            .map(|ch| compile_cond(ch, refs))
            .collect::<Vec<_>>()
    };
    match c {
        Condition::AllOf(v) => CNode::All(many(v)),
        Condition::AnyOf(v) => CNode::Any(many(v)),
        Condition::AtLeast { n, of } => CNode::AtLeast(*n as usize, many(of)),
        // Validation guarantees references resolve; usize::MAX is never held, so a stray
        // reference would simply never be met rather than panic.
        Condition::Credential(a) => CNode::Ach(refs.ach.get(a).copied().unwrap_or(usize::MAX)),
        Condition::Stack(s) => CNode::Stack(refs.stack.get(s).copied().unwrap_or(usize::MAX)),
        Condition::CompetenciesInCategory { category, count } => CNode::Comps(*category, *count),
        Condition::YearsExperience { min } => CNode::Years(*min),
        Condition::Endorsements {
            role,
            count,
            category,
            competency,
        } => CNode::Endorse {
            role: refs.role.get(role).copied().unwrap_or(usize::MAX),
            count: *count,
            category: *category,
            competency: competency.as_ref().and_then(|c| refs.comp.get(c).copied()),
        },
        Condition::Rotations { roles, count } => {
            let mut ix: Vec<usize> = roles
                .iter()
                .filter_map(|r| refs.role.get(r).copied())
                .collect();
            ix.sort_unstable();
            ix.dedup();
            let count = count.unwrap_or(ix.len() as u32);
            CNode::Rot { roles: ix, count }
        }
    }
}
