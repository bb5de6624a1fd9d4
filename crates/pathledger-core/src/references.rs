//! Resolving the references between definitions: ids to indexes (first occurrence wins),
//! unknown ids, duplicates, cycles and unsatisfiable conditions reported with their paths, then
//! the definitions compiled into the indexes evaluation uses.

use std::collections::{BTreeSet, HashMap};

use crate::bitset::BitSet;
use crate::compiled::{CItem, CNode, CRole, CStack, CTransition, Index, Source};
use crate::error::{DefinitionError, DefinitionErrorKind as K};
use crate::id::{AchievementId, CompetencyId, RoleId, StackId};
use crate::model::{
    Achievement, CareerRole, Category, Condition, Direction, Framework, Stack, StackItem,
};

/// Id → index maps (first occurrence wins) plus who awards each achievement.
pub(crate) struct Refs {
    comp: HashMap<CompetencyId, usize>,
    ach: HashMap<AchievementId, usize>,
    stack: HashMap<StackId, usize>,
    role: HashMap<RoleId, usize>,
    source: Vec<Source>,
}

impl Refs {
    pub(crate) fn build(
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

    pub(crate) fn check(
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

pub(crate) fn compile(
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
