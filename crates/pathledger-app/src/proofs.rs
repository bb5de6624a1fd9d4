//! Offline inclusion proofs: everything a district needs to check, without our database or
//! our server, that a credential's events are in the log behind a signed checkpoint
//! (`pathledger verify FILE --proof BUNDLE`; the credential page offers the bundle).

use serde_json::json;

use crate::*;

/// The bundle's format name.
pub const PROOF_FORMAT: &str = "pathledger-inclusion-proof/v1";

/// Most events of one credential a bundle carries (issue, suspensions, reinstatements, a
/// revocation, an erasure: far fewer in practice).
const MAX_EVENTS: usize = 64;

impl App {
    /// The inclusion bundle of `credential_id`: the log's origin and verifier key, the newest
    /// signed checkpoint (with cosignatures), and each of the credential's log entries (leaf
    /// data, leaf hash, audit path to that checkpoint). Hashes are lowercase hex.
    pub async fn inclusion_proof_bundle(&self, credential_id: &str) -> Result<Value, AppError> {
        let entries = self
            .store()
            .log_entries_for_credential(credential_id)
            .await?;
        if entries.is_empty() {
            return Err(AppError::NotFound(format!(
                "credential {}",
                credential_id.chars().take(200).collect::<String>()
            )));
        }
        let Some((head, note)) = self.checkpoint().await? else {
            return Err(AppError::invalid("credential", "the log is empty"));
        };
        let mut events = Vec::new();
        for e in entries
            .iter()
            .filter(|e| e.index < head.tree_size)
            .take(MAX_EVENTS)
        {
            let proof = self
                .store()
                .inclusion_proof(e.index, head.tree_size)
                .await?;
            events.push(json!({
                "index": e.index,
                "event": e.event,
                "data": e.data,
                "leaf_hash": hex::encode(e.leaf_hash),
                "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
            }));
        }
        Ok(json!({
            "format": PROOF_FORMAT,
            "credential_id": credential_id,
            "origin": self.log_origin(),
            "log_key": self.log_verifier()?.to_vkey(),
            "tree_size": head.tree_size,
            "root_hash": hex::encode(head.root_hash),
            "checkpoint": note.to_string(),
            "events": events,
        }))
    }
}
