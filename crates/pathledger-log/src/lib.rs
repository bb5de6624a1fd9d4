//! RFC 6962 / RFC 9162 Merkle transparency log: tree hashes, inclusion and consistency proofs, signed tree heads,
//! and their C2SP forms (signed-note checkpoints, witness cosignatures, the witness's checks).
//!
//! The crate is pure: it never performs I/O. Proof generation works over *stored perfect subtrees*
//! ([`NodeId`]): a store keeps every complete subtree hash written by [`nodes_completed_by_append`],
//! asks [`nodes_for_inclusion`] / [`nodes_for_consistency`] / [`nodes_for_root`] which O(log n) of
//! them a request needs, fetches them in one query, and hands them to [`inclusion_proof`] /
//! [`consistency_proof`] / [`root_from_nodes`]. [`MemoryLog`] is the in-memory implementation of the
//! same scheme, used by tests, audits and benchmarks.

mod hash;
mod memory;
mod note;
mod sth;
mod tree;
mod verify;
mod witness;

pub use hash::{leaf_hash, node_hash, root_of, Hash, EMPTY_ROOT};
pub use memory::MemoryLog;
pub use note::{
    cosign, key_id, Checkpoint, Note, NoteError, NoteSignature, NoteVerifier, MAX_NOTE_BYTES,
    MAX_NOTE_SIGNATURES, TYPE_COSIGNATURE, TYPE_ED25519,
};
pub use sth::{SignedTreeHead, SthError, MAX_KEY_ID_LEN};
pub use tree::{
    consistency_proof, inclusion_proof, nodes_completed_by_append, nodes_for_consistency,
    nodes_for_inclusion, nodes_for_root, root_from_nodes, LogError, NodeId,
};
pub use verify::{verify_consistency, verify_inclusion, ProofError};
pub use witness::{check_checkpoint, WitnessError};
