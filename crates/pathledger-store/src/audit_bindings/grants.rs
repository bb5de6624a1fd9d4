//! The audit's binding of endorser grants to the log: each `endorser_grants` row against its
//! logged `endorser_grant` and `endorser_revoke` leaves. A grant decides whose endorsements
//! count toward a career role, so a grant added or altered behind the log's back could move an
//! educator along a pathway.
//!
//! No code path deletes a grant row (revoking keeps it, with `revoked_ms` set; users, whose
//! deletion would cascade, are never deleted), so a logged grant whose row is gone is always
//! reported.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::error::StoreError;
use crate::model::AuditProblem;
use crate::sql::{args, Row};
use crate::store::Store;

/// One grant as the log records it.
struct LoggedGrant {
    entry: u64,
    org: String,
    user: String,
    role: String,
    by: Option<String>,
    granted_ms: i64,
    /// The revoking entry, who revoked, and when.
    revoked: Option<(u64, Option<String>, i64)>,
}

/// Endorser grants as the log records them: grant id → its grant and revocation.
#[derive(Default)]
pub(crate) struct LoggedGrants {
    grants: HashMap<String, LoggedGrant>,
}

impl LoggedGrants {
    pub(crate) fn read(&mut self, idx: u64, v: &Value) {
        let event = v.get("event").and_then(Value::as_str);
        if !matches!(event, Some("endorser_grant" | "endorser_revoke")) {
            return;
        }
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let (Some(id), Some(ms)) = (
            text("grant_id"),
            v.get("timestamp_ms").and_then(Value::as_i64),
        ) else {
            return;
        };
        if event == Some("endorser_revoke") {
            // A revocation of a grant the log never made leaves nothing to compare a row with:
            // such a row is reported as not in the log.
            if let Some(g) = self.grants.get_mut(&id) {
                g.revoked = Some((idx, text("by"), ms));
            }
            return;
        }
        if let (Some(org), Some(user), Some(role)) =
            (text("org_id"), text("user_id"), text("role_id"))
        {
            self.grants.insert(
                id,
                LoggedGrant {
                    entry: idx,
                    org,
                    user,
                    role,
                    by: text("by"),
                    granted_ms: ms,
                    revoked: None,
                },
            );
        }
    }
}

impl Store {
    /// Every endorser grant row against the log: a grant the log never recorded (someone made
    /// an endorser behind its back); one whose organization, user, role, granter or time was
    /// changed; one active that the log revoked, or revoked that the log never revoked (or by
    /// someone else, or at another time); a logged grant whose row is gone.
    pub(crate) async fn audit_endorser_grants(
        &self,
        logged: &LoggedGrants,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<(), StoreError> {
        let mut seen: HashSet<String> = Default::default();
        let mut after_id = String::new();
        loop {
            let rows = self
                .db()
                .fetch_all(
                    "SELECT id, org_id, user_id, role_id, granted_by, granted_ms, revoked_by, revoked_ms FROM endorser_grants WHERE id > $1 ORDER BY id LIMIT 5000",
                    args![after_id.as_str()],
                )
                .await?;
            let Some(last) = rows.last() else { break };
            after_id = last.text("id")?;
            for r in &rows {
                let id = r.text("id")?;
                check_grant(&id, r, logged.grants.get(&id), problems)?;
                seen.insert(id);
            }
        }
        let mut missing: Vec<(u64, &String)> = logged
            .grants
            .iter()
            .filter(|(id, _)| !seen.contains(*id))
            .map(|(id, g)| (g.entry, id))
            .collect();
        missing.sort();
        for (idx, id) in missing {
            problems.push(AuditProblem {
                entry: Some(idx),
                message: format!(
                    "endorser grant {id} (logged at entry {idx}) is missing from the endorser grants table: the row was deleted behind the log's back (revoking keeps the row)"
                ),
            });
        }
        Ok(())
    }
}

/// One grant row against its logged grant and revocation.
fn check_grant(
    id: &str,
    r: &Row,
    logged: Option<&LoggedGrant>,
    problems: &mut Vec<AuditProblem>,
) -> Result<(), StoreError> {
    let org = r.text("org_id")?;
    let user = r.text("user_id")?;
    let role = r.text("role_id")?;
    let Some(g) = logged else {
        problems.push(AuditProblem {
            entry: None,
            message: format!(
                "endorser grant {id} (user {user} as {role} in organization {org}) is not in the log: it was added behind the log's back, and endorsements counted through it must not be trusted"
            ),
        });
        return Ok(());
    };
    let idx = g.entry;
    let mut changed: Vec<String> = Vec::new();
    let mut compare = |what: &str, row: Option<&str>, log: Option<&str>| {
        if row != log {
            changed.push(format!(
                "{what} is {} but the log says {}",
                row.unwrap_or("none"),
                log.unwrap_or("none")
            ));
        }
    };
    compare("organization", Some(&org), Some(&g.org));
    compare("user", Some(&user), Some(&g.user));
    compare("role", Some(&role), Some(&g.role));
    compare(
        "granted by",
        r.opt_text("granted_by")?.as_deref(),
        g.by.as_deref(),
    );
    let granted_ms = r.i64("granted_ms")?;
    if granted_ms != g.granted_ms {
        changed.push(format!(
            "grant time is {granted_ms} but the log says {}",
            g.granted_ms
        ));
    }
    if !changed.is_empty() {
        problems.push(AuditProblem {
            entry: Some(idx),
            message: format!(
                "endorser grant {id} differs from the grant logged at entry {idx}: its {} (the row was edited)",
                changed.join("; its ")
            ),
        });
    }
    let revoked_ms = r.opt_i64("revoked_ms")?;
    match (&g.revoked, revoked_ms) {
        (None, None) => {}
        (Some((at, _, _)), None) => problems.push(AuditProblem {
            entry: Some(*at),
            message: format!(
                "endorser grant {id} (user {user} as {role}) is active, but the log revoked it at entry {at}: endorsements counted through it must not be trusted"
            ),
        }),
        (None, Some(_)) => problems.push(AuditProblem {
            entry: Some(idx),
            message: format!(
                "endorser grant {id} (user {user} as {role}) is marked revoked, but the log never revoked it (granted at entry {idx})"
            ),
        }),
        (Some((at, by, ms)), Some(row_ms)) => {
            let row_by = r.opt_text("revoked_by")?;
            if row_by != *by || row_ms != *ms {
                problems.push(AuditProblem {
                    entry: Some(*at),
                    message: format!(
                        "endorser grant {id}: who revoked it or when differs from its revocation logged at entry {at} (the row was edited)"
                    ),
                });
            }
        }
    }
    Ok(())
}
