//! An in-memory log built from the same node functions a database store uses (tests, audits, benchmarks).

use crate::hash::{leaf_hash, Hash};
use crate::tree::{
    consistency_proof, inclusion_proof, nodes_completed_by_append, root_from_nodes, LogError,
    NodeId,
};

/// An append-only Merkle log holding every perfect subtree hash, level by level.
#[derive(Debug, Clone, Default)]
pub struct MemoryLog {
    /// `levels[l][i]` is the hash of `NodeId { level: l, index: i }`; level 0 holds the leaf hashes.
    levels: Vec<Vec<Hash>>,
}

impl MemoryLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The stored hash of a perfect subtree, if it is complete.
    pub fn node(&self, id: NodeId) -> Option<Hash> {
        let level = self.levels.get(id.level as usize)?;
        level.get(usize::try_from(id.index).ok()?).copied()
    }

    /// Leaf hash number `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.node(NodeId::new(0, index))
    }

    /// Appends raw entry data (hashed with [`leaf_hash`]); returns its leaf index.
    pub fn append(&mut self, data: &[u8]) -> Result<u64, LogError> {
        self.append_leaf_hash(leaf_hash(data))
    }

    /// Appends an already computed leaf hash; returns its leaf index.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> Result<u64, LogError> {
        let index = self.size();
        let nodes = nodes_completed_by_append(index, leaf, |id| self.node(id))?;
        for (id, hash) in nodes {
            let level = id.level as usize;
            if self.levels.len() <= level {
                self.levels.resize_with(level + 1, Vec::new);
            }
            // Nodes complete left to right, so each new node is the next one of its level.
            self.levels[level].push(hash);
        }
        Ok(index)
    }

    /// Current root.
    pub fn root(&self) -> Hash {
        // Every node of the current size is stored, so this cannot fail; fall back defensively.
        self.root_at(self.size()).unwrap_or(crate::hash::EMPTY_ROOT)
    }

    /// Root of the first `size` leaves (`size <= self.size()`).
    pub fn root_at(&self, size: u64) -> Result<Hash, LogError> {
        self.check_size(size)?;
        root_from_nodes(size, &|id| self.node(id))
    }

    /// Inclusion proof for leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LogError> {
        self.check_size(size)?;
        inclusion_proof(index, size, &|id| self.node(id))
    }

    /// Consistency proof between sizes `old_size` and `new_size`.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, LogError> {
        self.check_size(new_size)?;
        consistency_proof(old_size, new_size, &|id| self.node(id))
    }

    fn check_size(&self, size: u64) -> Result<(), LogError> {
        if size > self.size() {
            return Err(LogError::BeyondLog {
                size,
                log_size: self.size(),
            });
        }
        Ok(())
    }
}
