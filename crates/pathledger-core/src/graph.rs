//! Role graph data for drawing the pathway map: roles as nodes, transitions as edges with
//! their direction of advancement, and a layout level (distance from an entry role).

use std::collections::VecDeque;

use serde::Serialize;

use crate::definitions::Definitions;
use crate::id::{AchievementId, RoleId};
use crate::model::{Condition, Direction, RoleKind};

/// A role on the map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleNode {
    /// Career role id.
    pub id: RoleId,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: RoleKind,
    /// Direction by which it is reached.
    pub direction: Direction,
    /// True if it can be entered directly.
    pub entry: bool,
    /// Achievement awarded on reaching it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awards: Option<AchievementId>,
    /// Fewest transitions from an entry role (None if no entry role leads to it).
    pub level: Option<u32>,
}

/// A transition on the map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleEdge {
    /// Source role.
    pub from: RoleId,
    /// Destination role.
    pub to: RoleId,
    /// Direction of advancement.
    pub direction: Direction,
    /// JSON pointer of the requirement in the definitions.
    pub path: String,
    /// The requirement.
    pub requires: Condition,
}

/// Nodes and edges of the pathway map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleGraph {
    /// Roles in definition order.
    pub nodes: Vec<RoleNode>,
    /// Transitions in definition order.
    pub edges: Vec<RoleEdge>,
}

impl Definitions {
    /// The pathway map.
    pub fn role_graph(&self) -> RoleGraph {
        let roles = self.roles();
        let mut level: Vec<Option<u32>> = vec![None; roles.len()];
        let mut queue = VecDeque::new();
        for (i, r) in roles.iter().enumerate() {
            if r.entry.is_some() {
                level[i] = Some(0);
                queue.push_back(i);
            }
        }
        while let Some(v) = queue.pop_front() {
            let next = level[v].map_or(0, |l| l + 1);
            for t in self.ix.transitions.iter().filter(|t| t.from == v) {
                if let Some(slot) = level.get_mut(t.to) {
                    if slot.is_none() {
                        *slot = Some(next);
                        queue.push_back(t.to);
                    }
                }
            }
        }
        let nodes = roles
            .iter()
            .zip(&level)
            .map(|(r, l)| RoleNode {
                id: r.id.clone(),
                name: r.name.clone(),
                kind: r.kind,
                direction: r.direction,
                entry: r.entry.is_some(),
                awards: r.awards.clone(),
                level: *l,
            })
            .collect();
        let edges = self
            .ix
            .transitions
            .iter()
            .filter_map(|t| {
                let from = roles.get(t.from)?;
                let to = roles.get(t.to)?;
                let src = from.transitions.get(t.index_in_role)?;
                Some(RoleEdge {
                    from: from.id.clone(),
                    to: to.id.clone(),
                    direction: t.direction,
                    path: t.path.clone(),
                    requires: src.requires.clone(),
                })
            })
            .collect();
        RoleGraph { nodes, edges }
    }
}
