//! The transparency log page: the newest signed head (with its C2SP checkpoint and witness
//! cosignatures) and an inclusion-proof lookup, in words and hex, with the raw forms folded
//! under "Technical details".

use maud::{html, Markup};
use pathledger_log::{Note, SignedTreeHead};
use pathledger_store::InclusionBundle;

use super::format::{date, proof_outcome};

/// The outcome of looking up a credential's inclusion proof.
pub enum Lookup<'a> {
    /// The proof, and whether it verifies against its signed head.
    Found(&'a InclusionBundle, bool),
    /// Why there is no proof (shown to the visitor).
    Failed(String),
}

/// The head as shown: the signed head, its checkpoint note, the log's verifier key and the
/// names of the witnesses that cosigned it.
pub struct HeadView<'a> {
    /// The newest signed head.
    pub head: &'a SignedTreeHead,
    /// Its checkpoint (signed note, with cosignatures).
    pub checkpoint: &'a Note,
    /// The log's verifier key.
    pub vkey: &'a str,
    /// Witnesses whose cosignatures verified.
    pub witnessed_by: Vec<String>,
}

fn event_words(event: &str) -> &str {
    match event {
        "issue" => "Issued",
        "revoke" => "Revoked",
        "suspend" => "Suspended",
        "reinstate" => "Reinstated",
        "erase" => "Erased",
        "key_created" => "Signing key created",
        "key_rotation" => "Signing key rotated",
        "endorser_grant" => "Endorser role granted",
        "endorser_revoke" => "Endorser role withdrawn",
        other => other,
    }
}

/// `credential` is the id asked for (kept in the form); `lookup` what was found for it.
pub fn log_page(view: &HeadView<'_>, credential: &str, lookup: Option<Lookup<'_>>) -> Markup {
    let head = view.head;
    html! {
        h1 { "Transparency log" }
        p { "Every issue, revocation, suspension, reinstatement, erasure, signing key and endorser role is a leaf of an RFC 6962 Merkle tree. Its signed heads let anyone hold us to what we issued." }
        div.card {
            p { "Tree size: " strong #tree-size { (head.tree_size) } }
            p { "Root hash: " code.hash #root-hash { (hex::encode(head.root_hash)) } }
            p { "Signed " (date(i64::try_from(head.timestamp_ms).unwrap_or(0))) }
            @if view.witnessed_by.is_empty() {
                p { "No witness has cosigned this head yet." }
            } @else {
                p #witnessed { "Cosigned by " (view.witnessed_by.join(", ")) }
            }
            details {
                summary { "Technical details" }
                p { "Checkpoint (C2SP signed note), also at " a href="/api/v1/log/checkpoint" { "/api/v1/log/checkpoint" } ":" }
                pre #checkpoint tabindex="0" { (view.checkpoint.to_string()) }
                p { "Log verifier key: " code.hash { (view.vkey) } }
                p { "Head signing key: " code.hash { (head.key_id) } }
            }
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
                        strong { (event_words(&b.entry.event)) } " " (date(b.entry.created_ms))
                        ", entry " (b.entry.index) " of the tree of size " (b.tree_head.tree_size) ": " (proof_outcome(ok))
                    }
                    p { "Leaf hash: " code.hash { (hex::encode(b.entry.leaf_hash)) } }
                    p { "Audit path (" (b.proof.len()) " hashes, leaf to root):" }
                    ol.hashes {
                        @for h in &b.proof { li { code.hash { (hex::encode(h)) } } }
                    }
                    p {
                        a href={ "/api/v1/log/credentials/" (b.entry.credential_id.as_deref().unwrap_or("")) "/bundle" } download {
                            "Download the inclusion proof"
                        }
                        " — check it anywhere with " code { "pathledger verify CREDENTIAL --proof FILE" } "."
                    }
                    details {
                        summary { "Technical details" }
                        p { "Leaf data (the exact bytes hashed):" }
                        pre tabindex="0" { (b.entry.data) }
                    }
                }
            }
            Some(Lookup::Failed(message)) => p role="alert" { (message) },
            None => {}
        }
    }
}
