//! The audit's binding of status change rows and their reasons to the log: the
//! `credential_events` rows must be the logged `revoke`/`suspend`/`reinstate` leaves one for
//! one, in order, and each reason must match the salted commitment its leaf carries (leaves
//! since migration 0010). A credential's current reason in the credentials table must be its
//! last event's.
//!
//! Erasure on request deletes a credential's event rows (reason and salt with them) and logs an
//! `erase`: the status leaves of an erased credential need no rows.

use std::collections::HashMap;

use serde_json::Value;

use crate::crypto::reason_commitment;
use crate::error::StoreError;
use crate::model::AuditProblem;
use crate::sql::{args, Row};
use crate::store::Store;

/// One status change as the log records it.
struct StatusLeaf {
    entry: u64,
    credential_id: String,
    event: String,
    commitment: Option<String>,
}

/// Status change leaves in log order.
#[derive(Default)]
pub(crate) struct LoggedStatusChanges {
    changes: Vec<StatusLeaf>,
}

impl LoggedStatusChanges {
    pub(crate) fn read(&mut self, idx: u64, v: &Value) {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let Some(event @ ("revoke" | "suspend" | "reinstate")) =
            v.get("event").and_then(Value::as_str)
        else {
            return;
        };
        if let Some(credential_id) = text("credential_id") {
            self.changes.push(StatusLeaf {
                entry: idx,
                credential_id,
                event: event.to_owned(),
                commitment: text("reason_commitment"),
            });
        }
    }
}

/// Each credential's last status event row: its log entry and reason.
#[derive(Default)]
pub(crate) struct LastReasons(HashMap<String, (u64, Option<String>)>);

impl LastReasons {
    /// A credential row's `status_reason` against its last logged event (entry and name): none
    /// after its issue, its last event row's after a status change (if that row is missing, it
    /// is reported already).
    pub(crate) fn check(
        &self,
        id: &str,
        status_reason: Option<&str>,
        (last_entry, last_event): (u64, &str),
        problems: &mut Vec<AuditProblem>,
    ) {
        match self.0.get(id) {
            Some((entry, reason)) if *entry == last_entry && reason.as_deref() != status_reason => {
                problems.push(AuditProblem {
                    entry: Some(last_entry),
                    message: format!(
                        "credential {id}: its status reason in the credentials table is not the reason recorded with its last status change (entry {last_entry}): the row was edited"
                    ),
                });
            }
            _ if last_event == "issue" && status_reason.is_some() => problems.push(AuditProblem {
                entry: Some(last_entry),
                message: format!(
                    "credential {id} has a status reason in the credentials table, but the log records no status change since its issue (entry {last_entry}): the row was edited"
                ),
            }),
            _ => {}
        }
    }
}

impl Store {
    /// Every `credential_events` row against the status leaves, merged in log order: a row
    /// with no status leaf at its entry (added or renumbered behind the log's back), a row
    /// naming another credential or event than its leaf, a logged change whose row is gone
    /// (unless the credential was erased), a reason or salt that no longer matches the leaf's
    /// commitment, a salt removed from an event whose leaf commits to its reason, and a salt
    /// added to an event logged without a commitment. Returns each credential's last event row,
    /// for its current reason to be checked against.
    pub(crate) async fn audit_status_events(
        &self,
        logged: &LoggedStatusChanges,
        last_events: &HashMap<String, (u64, String)>,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<LastReasons, StoreError> {
        let erased = |c: &str| matches!(last_events.get(c), Some((_, e)) if e == "erase");
        let missing = |l: &StatusLeaf, problems: &mut Vec<AuditProblem>| {
            if !erased(&l.credential_id) {
                problems.push(AuditProblem {
                    entry: Some(l.entry),
                    message: format!(
                        "the {} of credential {} (log entry {}) has no row in credential_events and the credential was not erased: the row, with its reason, was deleted behind the log's back",
                        l.event, l.credential_id, l.entry
                    ),
                });
            }
        };
        let mut leaves = logged.changes.iter().peekable();
        let mut last = LastReasons::default();
        let mut after: i64 = -1;
        loop {
            let rows = self
                .db()
                .fetch_all(
                    "SELECT log_index, credential_id, event, reason, reason_salt FROM credential_events WHERE log_index > $1 ORDER BY log_index LIMIT 5000",
                    args![after],
                )
                .await?;
            let Some(tail) = rows.last() else { break };
            after = tail.i64("log_index")?;
            for r in &rows {
                let entry = u64::try_from(r.i64("log_index")?).ok();
                while let Some(l) = leaves.next_if(|l| Some(l.entry) < entry) {
                    missing(l, problems);
                }
                let credential_id = r.text("credential_id")?;
                let event = r.text("event")?;
                let Some(l) = leaves.next_if(|l| Some(l.entry) == entry) else {
                    problems.push(AuditProblem {
                        entry,
                        message: format!(
                            "credential_events has a {event} of credential {credential_id} at log entry {} that the log does not record: the row was added or renumbered behind the log's back",
                            r.i64("log_index")?
                        ),
                    });
                    continue;
                };
                if credential_id != l.credential_id || event != l.event {
                    problems.push(AuditProblem {
                        entry: Some(l.entry),
                        message: format!(
                            "credential_events says {event} of credential {credential_id} at log entry {}, but the log records {} of credential {} there: the row was edited",
                            l.entry, l.event, l.credential_id
                        ),
                    });
                    continue;
                }
                check_reason(l, r, erased(&l.credential_id), problems)?;
                last.0
                    .insert(credential_id, (l.entry, r.opt_text("reason")?));
            }
        }
        for l in leaves {
            missing(l, problems);
        }
        Ok(last)
    }
}

/// One event row's reason and salt against its leaf's commitment.
fn check_reason(
    l: &StatusLeaf,
    r: &Row,
    erased: bool,
    problems: &mut Vec<AuditProblem>,
) -> Result<(), StoreError> {
    let (entry, event, id) = (l.entry, &l.event, &l.credential_id);
    let reason = r.opt_text("reason")?;
    match (&l.commitment, r.opt_bytes("reason_salt")?) {
        (Some(c), Some(salt)) if reason_commitment(&salt, reason.as_deref()) != *c => {
            problems.push(AuditProblem {
                entry: Some(entry),
                message: format!(
                    "the reason recorded for the {event} of credential {id} (log entry {entry}) does not match the commitment in the log: the reason or its salt was edited"
                ),
            })
        }
        // Erasure may clear an event's reason and salt.
        (Some(_), None) if !erased => problems.push(AuditProblem {
            entry: Some(entry),
            message: format!(
                "the {event} of credential {id} (log entry {entry}) has lost its reason's salt, so its reason can no longer be checked against the log: the salt was removed behind the log's back"
            ),
        }),
        (None, Some(_)) => problems.push(AuditProblem {
            entry: Some(entry),
            message: format!(
                "the {event} of credential {id} (log entry {entry}) has a reason salt, but the log committed to no reason for it: the salt was added behind the log's back"
            ),
        }),
        // A matching commitment, or an event logged before reasons were committed to
        // (migration 0010): nothing to report.
        _ => {}
    }
    Ok(())
}
