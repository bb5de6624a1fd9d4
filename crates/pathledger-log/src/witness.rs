//! What a witness checks before it cosigns a log's checkpoint (C2SP tlog-witness semantics):
//! the log's own signature, the origin, no rollback below the last size it cosigned, and a
//! consistency proof from that size, so two different trees for one origin are never both
//! cosigned (a fork).

use crate::hash::Hash;
use crate::note::{Checkpoint, Note, NoteError, NoteVerifier};
use crate::verify::{verify_consistency, ProofError};

/// Why a witness refuses a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessError {
    /// The note or its checkpoint text is malformed, or the log's signature is missing or bad.
    #[error("the checkpoint is not signed by the log: {0}")]
    Unsigned(#[from] NoteError),
    /// The checkpoint names another log.
    #[error("the checkpoint is for origin `{got}`, not `{expected}`")]
    WrongOrigin {
        /// The origin the witness follows.
        expected: String,
        /// The origin on the checkpoint.
        got: String,
    },
    /// The tree is smaller than one the witness already cosigned.
    #[error(
        "rollback: the log offers tree size {offered}, but it already showed tree size {seen}"
    )]
    Rollback {
        /// The size last cosigned.
        seen: u64,
        /// The size offered now.
        offered: u64,
    },
    /// The tree is not an extension of the one the witness cosigned.
    #[error("fork: the tree of size {offered} does not extend the tree of size {seen} cosigned before ({reason})")]
    Fork {
        /// The size last cosigned.
        seen: u64,
        /// The size offered now.
        offered: u64,
        /// What failed.
        reason: String,
    },
}

/// Checks `note` (a checkpoint signed by `log`, whose name is the origin) against the last
/// checkpoint the witness cosigned (`last`: size and root, `None` for a new log), with
/// `proof` the consistency proof from that size. Returns the parsed checkpoint to cosign.
pub fn check_checkpoint(
    log: &NoteVerifier,
    note: &Note,
    last: Option<(u64, Hash)>,
    proof: &[Hash],
) -> Result<Checkpoint, WitnessError> {
    note.verify(std::slice::from_ref(log))?;
    let cp = Checkpoint::parse(&note.text)?;
    if cp.origin != log.name() {
        return Err(WitnessError::WrongOrigin {
            expected: log.name().to_owned(),
            got: cp.origin,
        });
    }
    let Some((seen, seen_root)) = last else {
        return Ok(cp);
    };
    if cp.size < seen {
        return Err(WitnessError::Rollback {
            seen,
            offered: cp.size,
        });
    }
    if seen == 0 {
        return Ok(cp);
    }
    if cp.size == seen {
        if cp.root != seen_root {
            return Err(WitnessError::Fork {
                seen,
                offered: cp.size,
                reason: "same size, different root".into(),
            });
        }
        return Ok(cp);
    }
    verify_consistency(seen, cp.size, proof, &seen_root, &cp.root).map_err(|e: ProofError| {
        WitnessError::Fork {
            seen,
            offered: cp.size,
            reason: format!("consistency proof: {e}"),
        }
    })?;
    Ok(cp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryLog;
    use ed25519_dalek::SigningKey;

    fn signed(log: &MemoryLog, size: u64, key: &SigningKey) -> Note {
        let cp = Checkpoint::new("log.example/a", size, log.root_at(size).unwrap());
        Note::sign(&cp.text(), "log.example/a", key).unwrap()
    }

    #[test]
    fn extensions_pass_and_rollbacks_and_forks_are_refused() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let v = NoteVerifier::ed25519("log.example/a", key.verifying_key()).unwrap();
        let mut log = MemoryLog::new();
        for i in 0..10u8 {
            log.append(&[i]).unwrap();
        }
        let first = check_checkpoint(&v, &signed(&log, 4, &key), None, &[]).unwrap();
        let proof = log.consistency_proof(4, 10).unwrap();
        let later =
            check_checkpoint(&v, &signed(&log, 10, &key), Some((4, first.root)), &proof).unwrap();
        assert_eq!(later.size, 10);
        // The same head again is fine.
        check_checkpoint(&v, &signed(&log, 10, &key), Some((10, later.root)), &[]).unwrap();
        // Rollback.
        assert!(matches!(
            check_checkpoint(&v, &signed(&log, 4, &key), Some((10, later.root)), &[]),
            Err(WitnessError::Rollback {
                seen: 10,
                offered: 4
            })
        ));
        // Fork: another history of the same and of a larger size.
        let mut other = MemoryLog::new();
        for i in 0..12u8 {
            other.append(&[i ^ u8::from(i == 2)]).unwrap();
        }
        assert!(matches!(
            check_checkpoint(&v, &signed(&other, 10, &key), Some((10, later.root)), &[]),
            Err(WitnessError::Fork { .. })
        ));
        let proof = other.consistency_proof(10, 12).unwrap();
        assert!(matches!(
            check_checkpoint(
                &v,
                &signed(&other, 12, &key),
                Some((10, later.root)),
                &proof
            ),
            Err(WitnessError::Fork { .. })
        ));
        // Another key, or another origin.
        let stranger = SigningKey::from_bytes(&[8u8; 32]);
        assert!(matches!(
            check_checkpoint(&v, &signed(&log, 10, &stranger), None, &[]),
            Err(WitnessError::Unsigned(_))
        ));
        let cp = Checkpoint::new("log.example/b", 10, later.root);
        let note = Note::sign(&cp.text(), "log.example/a", &key).unwrap();
        assert!(matches!(
            check_checkpoint(&v, &note, None, &[]),
            Err(WitnessError::WrongOrigin { .. })
        ));
    }
}
