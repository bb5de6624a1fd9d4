//! Definitions compiled for evaluation: ids replaced by indexes, conditions by trees of
//! indexes, and the indexes evaluation and planning read.

use std::collections::HashMap;

use crate::bitset::BitSet;
use crate::id::{AchievementId, CompetencyId, RoleId, StackId};
use crate::model::{Category, Direction};

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
