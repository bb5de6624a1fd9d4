//! Building rows: the caller's builder signs each prepared row, on all cores for a batch worth
//! splitting, and the document is hashed on the thread that built it. A panicking builder fails
//! only its own row.

use super::prepare::Prepared;
use crate::crypto::{sha256, SigningKeyHandle};
use crate::model::IssueContext;

pub(super) type BoxErr = Box<dyn std::error::Error + Send + Sync + 'static>;

pub(super) type Builder = dyn Fn(IssueContext<'_>) -> Result<String, BoxErr> + Send + Sync;

/// A built row: the signed document and its SHA-256, hashed on the thread that built it.
pub(super) struct Signed {
    pub(super) doc: String,
    pub(super) hash: [u8; 32],
    /// A second copy, for the SQL arguments (the record keeps `doc`), made on the building
    /// thread so the transaction's thread does not copy it.
    pub(super) for_sql: String,
}

/// What building one row gives: its document, or the builder's error for that row only.
pub(super) type BuiltRow = Result<Signed, BoxErr>;

/// Builds one row and hashes its document; a panicking builder fails only its own row.
pub(super) fn build_one(
    p: &Prepared,
    org_id: &str,
    now: i64,
    key: &SigningKeyHandle,
    build: &(dyn Fn(IssueContext<'_>) -> Result<String, BoxErr> + Sync),
) -> BuiltRow {
    let Some(revocation) = p.revocation.as_ref() else {
        return Err("no status index allocated".into());
    };
    let call = || {
        build(IssueContext {
            credential_id: p.credential_id.clone(),
            request: &p.req,
            org_id,
            issued_ms: now,
            achievement_version: p.achievement_version,
            achievement: &p.achievement,
            recipient: &p.recipient,
            revocation,
            suspension: p.suspension.as_ref(),
            key,
        })
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call))
        .unwrap_or_else(|_| Err("builder panicked".into()))
        .map(|doc| Signed {
            hash: sha256(doc.as_bytes()),
            for_sql: doc.clone(),
            doc,
        })
}

/// Builds every row, on all cores for a batch worth splitting.
pub(super) fn build_all(
    prepared: &[&Prepared],
    org_id: &str,
    now: i64,
    key: &SigningKeyHandle,
    build: &(dyn Fn(IssueContext<'_>) -> Result<String, BoxErr> + Sync),
) -> Vec<BuiltRow> {
    let one = |p: &&Prepared| build_one(p, org_id, now, key, build);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if prepared.len() < 32 || threads < 2 {
        return prepared.iter().map(one).collect();
    }
    let chunk = prepared.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = prepared
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(one).collect::<Vec<_>>()))
            .collect();
        let mut out = Vec::with_capacity(prepared.len());
        for (h, c) in handles.into_iter().zip(prepared.chunks(chunk)) {
            match h.join() {
                Ok(v) => out.extend(v),
                // `build_one` catches builder panics; this is only a last resort.
                Err(_) => out.extend(
                    c.iter()
                        .map(|_| Err::<Signed, BoxErr>("builder panicked".into())),
                ),
            }
        }
        out
    })
}
