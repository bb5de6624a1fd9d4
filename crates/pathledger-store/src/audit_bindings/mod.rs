//! The audit's bindings of stored rows to the log (issue 20): each credential row against its
//! logged history (status, reason, status bits, presence, erasure) and each issuer key against
//! its logged creation or rotation; below, endorser grants (`grants`) and status change rows
//! and their reasons (`reasons`). Called by [`Store::audit`] after the tree itself is checked,
//! from what it collected in its one pass over the leaves.

mod grants;
mod reasons;

use std::collections::{HashMap, HashSet};

use serde_json::Value;

pub(crate) use grants::LoggedGrants;
pub(crate) use reasons::{LastReasons, LoggedStatusChanges};

use crate::error::StoreError;
use crate::model::AuditProblem;
use crate::sql::args;
use crate::store::Store;

/// Issuer keys as the log records them: key id → (entry, issuer, public key hex), and the keys
/// a rotation retired (key id → entry).
#[derive(Default)]
pub(crate) struct LoggedKeys {
    keys: HashMap<String, (u64, String, String)>,
    retired: HashMap<String, u64>,
}

impl LoggedKeys {
    pub(crate) fn read(&mut self, idx: u64, v: &Value) {
        if !matches!(
            v.get("event").and_then(|e| e.as_str()),
            Some("key_created" | "key_rotation")
        ) {
            return;
        }
        let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
        if let (Some(key), Some(issuer), Some(public)) =
            (text("key_id"), text("issuer_id"), text("public_key"))
        {
            self.keys.insert(key, (idx, issuer, public));
        }
        if let Some(old) = text("retired_key_id") {
            self.retired.insert(old, idx);
        }
    }
}

impl Store {
    /// Every issuer key row against the log: a key the log never recorded (added behind its
    /// back, so credentials it signs would verify) or recorded with another issuer or public
    /// key; a key active that the log retired, or retired that the log never retired; a
    /// logged key whose row is gone.
    pub(crate) async fn audit_issuer_keys(
        &self,
        logged: &LoggedKeys,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<(), StoreError> {
        let rows = self
            .db()
            .fetch_all(
                "SELECT id, issuer_id, public_key, active FROM issuer_keys ORDER BY id",
                args![],
            )
            .await?;
        let mut seen: HashSet<String> = Default::default();
        for r in &rows {
            let id = r.text("id")?;
            let issuer = r.text("issuer_id")?;
            let public = hex::encode(r.bytes("public_key")?);
            let active = r.bool("active")?;
            match logged.keys.get(&id) {
                None => problems.push(AuditProblem {
                    entry: None,
                    message: format!(
                        "issuer key {id} of {issuer} is not in the log: it was added behind the log's back, and credentials it signs must not be trusted"
                    ),
                }),
                Some((idx, li, lp)) if *li != issuer || *lp != public => problems.push(AuditProblem {
                    entry: Some(*idx),
                    message: format!(
                        "issuer key {id} differs from the key logged at entry {idx} (its issuer or public key was changed)"
                    ),
                }),
                Some((idx, _, _)) => {
                    let retired = logged.retired.get(&id);
                    if active && retired.is_some() {
                        problems.push(AuditProblem {
                            entry: retired.copied(),
                            message: format!(
                                "issuer key {id} is active, but the log retired it at entry {}",
                                retired.copied().unwrap_or(*idx)
                            ),
                        });
                    } else if !active && retired.is_none() {
                        problems.push(AuditProblem {
                            entry: Some(*idx),
                            message: format!(
                                "issuer key {id} is marked retired, but the log never retired it (logged at entry {idx})"
                            ),
                        });
                    }
                }
            }
            seen.insert(id);
        }
        let mut missing: Vec<(&u64, &String)> = logged
            .keys
            .iter()
            .filter(|(id, _)| !seen.contains(*id))
            .map(|(id, (idx, _, _))| (idx, id))
            .collect();
        missing.sort();
        for (idx, id) in missing {
            problems.push(AuditProblem {
                entry: Some(*idx),
                message: format!(
                    "issuer key {id} (logged at entry {idx}) is missing from the keys table"
                ),
            });
        }
        Ok(())
    }

    /// Every credential row against its logged history: a row needs a logged issue, its
    /// status must be what its last logged event made it (issue and reinstate: active; revoke;
    /// suspend), its reason that of its last status event row (whose reason the log binds),
    /// its status list bits must agree with that status, and a credential the log issued must
    /// still have its row unless the log records its erasure.
    pub(crate) async fn audit_credential_bindings(
        &self,
        last_events: &HashMap<String, (u64, String)>,
        last_reasons: &LastReasons,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<(), StoreError> {
        let mut set_bits: HashSet<(String, i64)> = Default::default();
        let mut after: (String, i64) = (String::new(), -1);
        loop {
            let rows = self
                .db()
                .fetch_all(
                    "SELECT list_id, idx FROM status_allocations WHERE bit = $1 AND (list_id > $2 OR (list_id = $2 AND idx > $3)) ORDER BY list_id, idx LIMIT 20000",
                    args![true, after.0.as_str(), after.1],
                )
                .await?;
            let Some(last) = rows.last() else { break };
            after = (last.text("list_id")?, last.i64("idx")?);
            for r in &rows {
                set_bits.insert((r.text("list_id")?, r.i64("idx")?));
            }
        }
        let mut seen: HashSet<String> = Default::default();
        let mut after_id = String::new();
        loop {
            let rows = self
                .db()
                .fetch_all(
                    "SELECT id, status, status_reason, revocation_list_id, revocation_index, suspension_list_id, suspension_index, log_index FROM credentials WHERE id > $1 ORDER BY id LIMIT 5000",
                    args![after_id.as_str()],
                )
                .await?;
            let Some(last) = rows.last() else { break };
            after_id = last.text("id")?;
            for r in &rows {
                let id = r.text("id")?;
                let status = r.text("status")?;
                let row_index = u64::try_from(r.i64("log_index")?).ok();
                let bit = |list: Option<String>, index: Option<i64>| {
                    list.zip(index)
                        .map(|(l, i)| (set_bits.contains(&(l.clone(), i)), l))
                };
                let revocation = bit(
                    r.opt_text("revocation_list_id")?,
                    r.opt_i64("revocation_index")?,
                );
                let suspension = bit(
                    r.opt_text("suspension_list_id")?,
                    r.opt_i64("suspension_index")?,
                );
                let (entry, last_event, expected) = match last_events.get(&id) {
                    None => {
                        problems.push(AuditProblem {
                            entry: row_index,
                            message: format!(
                                "credential {id} is in the credentials table but the log has no issue entry for it (a row added behind the log's back)"
                            ),
                        });
                        seen.insert(id);
                        continue;
                    }
                    Some((idx, ev)) if ev == "erase" => {
                        problems.push(AuditProblem {
                            entry: Some(*idx),
                            message: format!(
                                "credential {id} was erased on request (log entry {idx}) but its row is back in the credentials table"
                            ),
                        });
                        seen.insert(id);
                        continue;
                    }
                    Some((idx, ev)) => (
                        *idx,
                        ev.as_str(),
                        match ev.as_str() {
                            "revoke" => "revoked",
                            "suspend" => "suspended",
                            _ => "active",
                        },
                    ),
                };
                last_reasons.check(
                    &id,
                    r.opt_text("status_reason")?.as_deref(),
                    (entry, last_event),
                    problems,
                );
                if status != expected {
                    problems.push(AuditProblem {
                        entry: Some(entry),
                        message: format!(
                            "credential {id} is {status} in the credentials table, but its last logged status event (entry {entry}) left it {expected}: the row was edited"
                        ),
                    });
                }
                if let Some((set, list)) = revocation {
                    if set != (expected == "revoked") {
                        problems.push(AuditProblem {
                            entry: Some(entry),
                            message: format!(
                                "credential {id}: its revocation bit in status list {list} is {}, but the log says it is {expected}",
                                if set { "set" } else { "clear" }
                            ),
                        });
                    }
                }
                if let Some((set, list)) = suspension {
                    // A revoked credential may have been suspended first: its suspension bit
                    // can be either.
                    if expected != "revoked" && set != (expected == "suspended") {
                        problems.push(AuditProblem {
                            entry: Some(entry),
                            message: format!(
                                "credential {id}: its suspension bit in status list {list} is {}, but the log says it is {expected}",
                                if set { "set" } else { "clear" }
                            ),
                        });
                    }
                }
                seen.insert(id);
            }
        }
        let mut missing: Vec<(&u64, &String)> = last_events
            .iter()
            .filter(|(id, (_, ev))| ev != "erase" && !seen.contains(*id))
            .map(|(id, (idx, _))| (idx, id))
            .collect();
        missing.sort();
        for (idx, id) in missing {
            problems.push(AuditProblem {
                entry: Some(*idx),
                message: format!(
                    "credential {id} (last logged at entry {idx}) is missing from the credentials table and no erasure was logged: the row was deleted"
                ),
            });
        }
        Ok(())
    }
}
