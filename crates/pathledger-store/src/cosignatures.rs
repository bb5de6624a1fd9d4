//! The log's heads as C2SP checkpoints (signed notes with the active log key, named by the
//! log's origin) and the witness cosignatures the deployment accepts for them.

use pathledger_log::{Checkpoint, Note, NoteSignature, NoteVerifier, SignedTreeHead};

use crate::crypto::now_ms;
use crate::error::StoreError;
use crate::sql::args;
use crate::store::Store;

fn to_i64(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::invalid("tree_size", "too large"))
}

impl Store {
    /// The verifier key of the log's active key for `origin` (a scheme-less URL such as
    /// `ledger.example.org/log`), the form C2SP tools take (`<name>+<id>+<key>`).
    pub fn log_note_verifier(&self, origin: &str) -> Result<NoteVerifier, StoreError> {
        NoteVerifier::ed25519(origin, self.inner.log_key.verifying_key())
            .map_err(|e| StoreError::invalid("origin", e.to_string()))
    }

    /// The checkpoint of the stored signed `head`, signed by the active log key (Ed25519 is
    /// deterministic, so every server of a deployment gives the same bytes), with the witness
    /// cosignatures stored for its size.
    pub async fn checkpoint(
        &self,
        origin: &str,
        head: &SignedTreeHead,
    ) -> Result<Note, StoreError> {
        let cp = Checkpoint::new(origin, head.tree_size, head.root_hash);
        let mut note = Note::sign(&cp.text(), origin, &self.inner.log_key)
            .map_err(|e| StoreError::invalid("origin", e.to_string()))?;
        let rows = self
            .db()
            .fetch_all(
                "SELECT witness, key_id, signature FROM log_cosignatures WHERE tree_size = $1 ORDER BY created_ms, witness",
                args![to_i64(head.tree_size)?],
            )
            .await?;
        for r in rows {
            let id = r.bytes("key_id")?;
            let key_id: [u8; 4] = id
                .as_slice()
                .try_into()
                .map_err(|_| StoreError::integrity("stored cosignature key id is not 4 bytes"))?;
            note.add_signature(NoteSignature {
                name: r.text("witness")?,
                key_id,
                signature: r.bytes("signature")?,
            });
        }
        Ok(note)
    }

    /// Keeps the cosignatures on `note` by the configured `witnesses`, after checking that the
    /// note is one of this log's stored checkpoints (origin, size and root) and that each of
    /// those cosignatures verifies. Returns the tree size and how many were new. Signatures by
    /// other keys are ignored; a note with none by a configured witness is refused.
    pub async fn add_cosignatures(
        &self,
        origin: &str,
        note: &Note,
        witnesses: &[NoteVerifier],
    ) -> Result<(u64, usize), StoreError> {
        let cp = Checkpoint::parse(&note.text)
            .map_err(|e| StoreError::invalid("checkpoint", e.to_string()))?;
        if cp.origin != origin {
            return Err(StoreError::invalid(
                "checkpoint",
                format!("origin `{}` is not this log's `{origin}`", cp.origin),
            ));
        }
        match self.tree_head_at(cp.size).await? {
            Some(h) if h.root_hash == cp.root => {}
            Some(_) => {
                return Err(StoreError::invalid(
                    "checkpoint",
                    format!(
                        "the root hash is not this log's root at tree size {}",
                        cp.size
                    ),
                ))
            }
            None => {
                return Err(StoreError::invalid(
                    "checkpoint",
                    format!("this log has no signed head of tree size {}", cp.size),
                ))
            }
        }
        let cosigners: Vec<NoteVerifier> = witnesses
            .iter()
            .filter(|w| w.is_cosigner())
            .cloned()
            .collect();
        let signed = note.verify(&cosigners).map_err(|e| {
            StoreError::invalid("cosignature", format!("{e} (configured witnesses)"))
        })?;
        let mut added = 0;
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        for (w, _) in signed {
            let Some(sig) = note
                .signatures
                .iter()
                .find(|s| s.name == w.name() && s.key_id == w.key_id())
            else {
                continue;
            };
            let n = tx
                .execute(
                    "INSERT INTO log_cosignatures (tree_size, witness, key_id, signature, created_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tree_size, witness, key_id) DO NOTHING",
                    args![
                        to_i64(cp.size)?,
                        w.name(),
                        w.key_id().to_vec(),
                        sig.signature.clone(),
                        now
                    ],
                )
                .await?;
            added += usize::try_from(n).unwrap_or(0);
        }
        tx.commit().await?;
        Ok((cp.size, added))
    }
}
