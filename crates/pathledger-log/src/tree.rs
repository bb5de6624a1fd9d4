//! Proof generation over stored perfect subtrees: which nodes an append completes, which nodes a
//! root / inclusion / consistency computation reads, and the computations themselves.
//!
//! Every subtree that appears in the RFC 9162 recursion starts at an offset aligned to a power of
//! two at least as large as the subtree, so its hash is the right fold of at most 64 perfect
//! subtrees. That is why storing only complete ("perfect") subtrees is enough, and why every
//! request touches O(log n) of them.

use std::cell::RefCell;

use crate::hash::{node_hash, split_point, Hash, EMPTY_ROOT};

/// The perfect subtree covering leaves `[index << level, (index + 1) << level)`. Level 0 is a leaf hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Height of the subtree: it covers `2^level` leaves.
    pub level: u32,
    /// Position among the subtrees of this level, counted from the left.
    pub index: u64,
}

impl NodeId {
    /// Builds a node id.
    pub const fn new(level: u32, index: u64) -> Self {
        Self { level, index }
    }

    /// First leaf covered by this node, or `None` if it lies beyond `u64`.
    pub fn first_leaf(&self) -> Option<u64> {
        if self.level >= 64 {
            return None;
        }
        self.index.checked_mul(1u64 << self.level)
    }
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "node(level {}, index {})", self.level, self.index)
    }
}

/// Why a tree computation could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// A stored node the computation needs was not supplied.
    #[error("missing stored {0}")]
    MissingNode(NodeId),
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// Requested leaf.
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// A consistency proof needs `0 < old_size <= new_size`.
    #[error("no consistency proof from size {old_size} to size {new_size}")]
    InvalidSizes {
        /// Earlier tree size.
        old_size: u64,
        /// Later tree size.
        new_size: u64,
    },
    /// The requested tree size is larger than the log.
    #[error("tree size {size} is beyond the log's {log_size} leaves")]
    BeyondLog {
        /// Requested size.
        size: u64,
        /// Current log size.
        log_size: u64,
    },
    /// The log cannot grow past `u64::MAX` leaves.
    #[error("the log is full")]
    Full,
}

type Getter<'a> = &'a dyn Fn(NodeId) -> Option<Hash>;

/// Reads stored nodes and folds them into subtree hashes.
struct Reader<'a> {
    get: Getter<'a>,
}

impl Reader<'_> {
    fn node(&self, id: NodeId) -> Result<Hash, LogError> {
        (self.get)(id).ok_or(LogError::MissingNode(id))
    }

    /// MTH of leaves `[start, end)`, where `start` is aligned to a power of two ≥ `end - start`
    /// (true for every subtree of the RFC recursion). The range splits into perfect subtrees of
    /// decreasing size; MTH is their right fold.
    fn range(&self, start: u64, end: u64) -> Result<Hash, LogError> {
        let mut chunks: [Option<NodeId>; 64] = [None; 64];
        let mut count = 0;
        let mut pos = start;
        let mut remaining = end - start;
        while remaining > 0 {
            let level = 63 - remaining.leading_zeros();
            chunks[count] = Some(NodeId::new(level, pos >> level));
            count += 1;
            pos += 1u64 << level;
            remaining -= 1u64 << level;
        }
        let mut acc: Option<Hash> = None;
        for id in chunks[..count].iter().rev().flatten() {
            let h = self.node(*id)?;
            acc = Some(match acc {
                None => h,
                Some(right) => node_hash(&h, &right),
            });
        }
        Ok(acc.unwrap_or(EMPTY_ROOT))
    }

    /// RFC 9162 §2.1.3.1 PATH(m, D[start:end]), bottom-up.
    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) -> Result<(), LogError> {
        let n = end - start;
        if n <= 1 {
            return Ok(());
        }
        let k = split_point(n);
        if m < k {
            self.path(m, start, start + k, out)?;
            out.push(self.range(start + k, end)?);
        } else {
            self.path(m - k, start + k, end, out)?;
            out.push(self.range(start, start + k)?);
        }
        Ok(())
    }

    /// RFC 9162 §2.1.4.1 SUBPROOF(m, D[start:end], b), bottom-up.
    fn subproof(
        &self,
        m: u64,
        start: u64,
        end: u64,
        whole: bool,
        out: &mut Vec<Hash>,
    ) -> Result<(), LogError> {
        let n = end - start;
        if m == n {
            if !whole {
                out.push(self.range(start, end)?);
            }
            return Ok(());
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, start + k, whole, out)?;
            out.push(self.range(start + k, end)?);
        } else {
            self.subproof(m - k, start + k, end, false, out)?;
            out.push(self.range(start, start + k)?);
        }
        Ok(())
    }
}

/// The nodes completed when leaf number `leaf_index` (0-based) is appended: the leaf itself at
/// level 0, then each parent whose right child was just completed, reading left siblings through
/// `sibling`. Store all returned nodes; they never change afterwards.
pub fn nodes_completed_by_append(
    leaf_index: u64,
    leaf: Hash,
    sibling: impl Fn(NodeId) -> Option<Hash>,
) -> Result<Vec<(NodeId, Hash)>, LogError> {
    if leaf_index == u64::MAX {
        return Err(LogError::Full);
    }
    let mut out = Vec::with_capacity(1 + leaf_index.trailing_ones() as usize);
    let mut id = NodeId::new(0, leaf_index);
    let mut hash = leaf;
    out.push((id, hash));
    // A node at an odd index is a right child: together with its left sibling it completes the parent.
    while id.index & 1 == 1 {
        let left_id = NodeId::new(id.level, id.index - 1);
        let left = sibling(left_id).ok_or(LogError::MissingNode(left_id))?;
        hash = node_hash(&left, &hash);
        id = NodeId::new(id.level + 1, id.index >> 1);
        out.push((id, hash));
    }
    Ok(out)
}

/// Runs `f` against a recording reader and returns the node ids it read, in reading order,
/// without duplicates. Keeping one code path for "what to fetch" and "compute" means they can
/// never disagree.
fn record(f: impl FnOnce(&Reader<'_>) -> Result<(), LogError>) -> Vec<NodeId> {
    let seen = RefCell::new(Vec::new());
    let get = |id: NodeId| {
        let mut seen = seen.borrow_mut();
        if !seen.contains(&id) {
            seen.push(id);
        }
        Some([0u8; 32])
    };
    // The recording getter never fails, so the only errors are argument errors, for which no
    // node is needed.
    if f(&Reader { get: &get }).is_err() {
        return Vec::new();
    }
    seen.into_inner()
}

/// Stored nodes needed by [`root_from_nodes`] for `size` (one per set bit of `size`).
pub fn nodes_for_root(size: u64) -> Vec<NodeId> {
    record(|r| r.range(0, size).map(|_| ()))
}

/// Stored nodes needed by [`inclusion_proof`] for leaf `index` in a tree of `size` (empty if `index >= size`).
pub fn nodes_for_inclusion(index: u64, size: u64) -> Vec<NodeId> {
    if index >= size {
        return Vec::new();
    }
    record(|r| r.path(index, 0, size, &mut Vec::new()))
}

/// Stored nodes needed by [`consistency_proof`] from `old_size` to `new_size` (empty if the sizes are invalid).
pub fn nodes_for_consistency(old_size: u64, new_size: u64) -> Vec<NodeId> {
    if old_size == 0 || old_size > new_size {
        return Vec::new();
    }
    record(|r| r.subproof(old_size, 0, new_size, true, &mut Vec::new()))
}

/// Root of the first `size` leaves, from stored perfect-subtree nodes.
pub fn root_from_nodes(
    size: u64,
    nodes: &dyn Fn(NodeId) -> Option<Hash>,
) -> Result<Hash, LogError> {
    Reader { get: nodes }.range(0, size)
}

/// Inclusion proof (audit path, bottom-up) for leaf `index` in the tree of the first `size` leaves.
pub fn inclusion_proof(
    index: u64,
    size: u64,
    nodes: &dyn Fn(NodeId) -> Option<Hash>,
) -> Result<Vec<Hash>, LogError> {
    if index >= size {
        return Err(LogError::IndexOutOfRange { index, size });
    }
    let mut out = Vec::with_capacity(64);
    Reader { get: nodes }.path(index, 0, size, &mut out)?;
    Ok(out)
}

/// Consistency proof (bottom-up) between tree sizes `old_size` and `new_size`, `0 < old_size <= new_size`.
pub fn consistency_proof(
    old_size: u64,
    new_size: u64,
    nodes: &dyn Fn(NodeId) -> Option<Hash>,
) -> Result<Vec<Hash>, LogError> {
    if old_size == 0 || old_size > new_size {
        return Err(LogError::InvalidSizes { old_size, new_size });
    }
    let mut out = Vec::with_capacity(64);
    Reader { get: nodes }.subproof(old_size, 0, new_size, true, &mut out)?;
    Ok(out)
}
