//! The transparency log page: the signed tree head and an inclusion-proof lookup.

use maud::{html, Markup};
use pathledger_log::SignedTreeHead;
use pathledger_store::InclusionBundle;

use super::format::proof_outcome;

/// The outcome of looking up a credential's inclusion proof.
pub enum Lookup<'a> {
    /// The proof, and whether it verifies against its signed head.
    Found(&'a InclusionBundle, bool),
    /// Why there is no proof (shown to the visitor).
    Failed(String),
}

/// `credential` is the id asked for (kept in the form); `lookup` what was found for it.
pub fn log_page(head: &SignedTreeHead, credential: &str, lookup: Option<Lookup<'_>>) -> Markup {
    html! {
        h1 { "Transparency log" }
        p { "Every issue, revocation, suspension, reinstatement and key rotation is a leaf of an RFC 6962 Merkle tree." }
        div.card {
            p { "Tree size: " strong #tree-size { (head.tree_size) } }
            p { "Root hash: " code #root-hash { (hex::encode(head.root_hash)) } }
            p { "Signed at " (head.timestamp_ms) " ms by key " code { (head.key_id) } }
        }
        h2 { "Proof lookup" }
        form method="get" action="/log" {
            label for="credential" { "Credential id" }
            input #credential name="credential" size="60" value=(credential);
            " "
            button type="submit" { "Look up" }
        }
        @match lookup {
            Some(Lookup::Found(b, ok)) => {
                div.card {
                    p {
                        strong { (b.entry.event) } " at log index " (b.entry.index)
                        ", included in the tree of size " (b.tree_head.tree_size) ": " (proof_outcome(ok))
                    }
                    pre { (serde_json::to_string_pretty(b).unwrap_or_default()) }
                }
            }
            Some(Lookup::Failed(message)) => p role="alert" { (message) },
            None => {}
        }
    }
}
