//! Members of an organization: their access roles as its admins change them, deactivation (in
//! one organization, or of the whole account) and the record of every change
//! (`membership_events`: who, when, which roles). The caller decides who may (the app).

use crate::crypto::{new_id, now_ms};
use crate::error::StoreError;
use crate::model::{AccessRole, Deactivation, Member, MembershipEvent, OrgId, UserId};
use crate::sql::{args, Row, Tx};
use crate::store::Store;

/// Roles as stored in `roles` columns: their names, space-separated.
fn roles_text(roles: &[AccessRole]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_roles(s: &str) -> Result<Vec<AccessRole>, StoreError> {
    s.split_whitespace().map(AccessRole::parse).collect()
}

/// Appends one entry to `membership_events` inside `tx`.
pub(crate) async fn record_event(
    tx: &mut Tx,
    org_id: Option<&OrgId>,
    user_id: &UserId,
    action: &str,
    roles: &[AccessRole],
    by: Option<&UserId>,
    at: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO membership_events (id, org_id, user_id, action, roles, by_user, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![new_id("mev")?, org_id, user_id, action, roles_text(roles), by, at],
    )
    .await?;
    Ok(())
}

/// The member `user_id` of `org_id` as read inside `tx`: a user holding a role directly in the
/// organization, or deactivated there (their roles kept aside). `None` otherwise.
async fn member_in(
    tx: &mut Tx,
    org_id: &OrgId,
    user_id: &UserId,
) -> Result<Option<(Member, bool)>, StoreError> {
    let Some(u) = tx
        .fetch_optional(
            "SELECT u.id, u.email, u.display_name, u.deactivated_ms, d.roles AS kept FROM users u LEFT JOIN member_deactivations d ON d.user_id = u.id AND d.org_id = $1 WHERE u.id = $2",
            args![org_id, user_id],
        )
        .await?
    else {
        return Ok(None);
    };
    let held: Vec<AccessRole> = tx
        .fetch_all(
            "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2 ORDER BY role",
            args![org_id, user_id],
        )
        .await?
        .iter()
        .map(|r| AccessRole::parse(&r.text("role")?))
        .collect::<Result<_, _>>()?;
    let kept = u.opt_text("kept")?;
    if held.is_empty() && kept.is_none() {
        return Ok(None);
    }
    let deactivated_here = kept.is_some();
    let m = member_from(&u, held, kept.as_deref())?;
    Ok(Some((m, deactivated_here)))
}

fn member_from(u: &Row, held: Vec<AccessRole>, kept: Option<&str>) -> Result<Member, StoreError> {
    let mut roles = held;
    if let Some(k) = kept {
        for r in parse_roles(k)? {
            if !roles.contains(&r) {
                roles.push(r);
            }
        }
    }
    Ok(Member {
        user_id: u.text("id")?.into(),
        email: u.text("email")?,
        display_name: u.text("display_name")?,
        roles,
        active: kept.is_none() && u.opt_i64("deactivated_ms")?.is_none(),
    })
}

/// Ends every way the account is signed in: deletes its sessions and revokes its API tokens.
async fn cut_access(tx: &mut Tx, user_id: &UserId, now: i64) -> Result<(), StoreError> {
    tx.execute("DELETE FROM sessions WHERE user_id = $1", args![user_id])
        .await?;
    tx.execute(
        "UPDATE api_tokens SET revoked_ms = $1 WHERE user_id = $2 AND revoked_ms IS NULL",
        args![now, user_id],
    )
    .await?;
    Ok(())
}

fn not_member(user_id: &UserId) -> StoreError {
    StoreError::not_found("member", user_id.as_str())
}

impl Store {
    /// The members of `org_id` (roles held directly there, or deactivated there), by name.
    pub async fn members(&self, org_id: &OrgId) -> Result<Vec<Member>, StoreError> {
        let mut tx = self.db().begin_read().await?;
        let users = tx
            .fetch_all(
                "SELECT u.id, u.email, u.display_name, u.deactivated_ms, d.roles AS kept FROM users u LEFT JOIN member_deactivations d ON d.user_id = u.id AND d.org_id = $1 WHERE d.org_id IS NOT NULL OR u.id IN (SELECT user_id FROM memberships WHERE org_id = $1) ORDER BY u.display_name, u.id",
                args![org_id],
            )
            .await?;
        let roles = tx
            .fetch_all(
                "SELECT user_id, role FROM memberships WHERE org_id = $1 ORDER BY role",
                args![org_id],
            )
            .await?;
        let mut out = Vec::with_capacity(users.len());
        for u in &users {
            let id = u.text("id")?;
            let mut held = Vec::new();
            for r in &roles {
                if r.text("user_id")? == id {
                    held.push(AccessRole::parse(&r.text("role")?)?);
                }
            }
            out.push(member_from(u, held, u.opt_text("kept")?.as_deref())?);
        }
        Ok(out)
    }

    /// One member of `org_id`; "not found" for anyone else (whether they have an account is
    /// not revealed).
    pub async fn member(&self, org_id: &OrgId, user_id: &UserId) -> Result<Member, StoreError> {
        let mut tx = self.db().begin_read().await?;
        Ok(member_in(&mut tx, org_id, user_id)
            .await?
            .ok_or_else(|| not_member(user_id))?
            .0)
    }

    /// Sets the member's access roles in `org_id` to exactly `roles`, recording what was granted
    /// and what was revoked, `by` whom. A member deactivated there must be reactivated first;
    /// removing every role is deactivation, not a role change.
    pub async fn set_member_roles(
        &self,
        org_id: &OrgId,
        user_id: &UserId,
        roles: &[AccessRole],
        by: Option<&UserId>,
    ) -> Result<Member, StoreError> {
        if roles.is_empty() {
            return Err(StoreError::invalid(
                "roles",
                "name at least one role; to remove every role, deactivate the member",
            ));
        }
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        let (m, deactivated_here) = member_in(&mut tx, org_id, user_id)
            .await?
            .ok_or_else(|| not_member(user_id))?;
        if deactivated_here {
            return Err(StoreError::conflict(format!(
                "member {user_id} is deactivated in this organization: reactivate them first"
            )));
        }
        let mut granted = Vec::new();
        for r in roles {
            if !m.roles.contains(r) && !granted.contains(r) {
                tx.execute(
                    "INSERT INTO memberships (user_id, org_id, role, created_ms) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    args![user_id, org_id, r.as_str(), now],
                )
                .await?;
                granted.push(*r);
            }
        }
        let revoked: Vec<AccessRole> = m
            .roles
            .iter()
            .copied()
            .filter(|r| !roles.contains(r))
            .collect();
        for r in &revoked {
            tx.execute(
                "DELETE FROM memberships WHERE user_id = $1 AND org_id = $2 AND role = $3",
                args![user_id, org_id, r.as_str()],
            )
            .await?;
        }
        if !granted.is_empty() {
            record_event(&mut tx, Some(org_id), user_id, "grant", &granted, by, now).await?;
        }
        if !revoked.is_empty() {
            record_event(&mut tx, Some(org_id), user_id, "revoke", &revoked, by, now).await?;
        }
        let m = member_in(&mut tx, org_id, user_id)
            .await?
            .ok_or_else(|| not_member(user_id))?
            .0;
        tx.commit().await?;
        Ok(m)
    }

    /// Deactivates a member in `org_id`: their roles there are removed (kept aside for
    /// reactivation). If nothing else ties the person to the deployment (no role and no educator
    /// record in another organization) the account is deactivated too: its sessions end and
    /// its API tokens are revoked in the same transaction. Another organization's access is
    /// never touched.
    pub async fn deactivate_member(
        &self,
        org_id: &OrgId,
        user_id: &UserId,
        by: Option<&UserId>,
    ) -> Result<Deactivation, StoreError> {
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        let (m, deactivated_here) = member_in(&mut tx, org_id, user_id)
            .await?
            .ok_or_else(|| not_member(user_id))?;
        if deactivated_here {
            return Err(StoreError::conflict(format!(
                "member {user_id} is already deactivated in this organization"
            )));
        }
        tx.execute(
            "DELETE FROM memberships WHERE user_id = $1 AND org_id = $2",
            args![user_id, org_id],
        )
        .await?;
        tx.execute(
            "INSERT INTO member_deactivations (org_id, user_id, roles, by_user, at_ms) VALUES ($1, $2, $3, $4, $5)",
            args![org_id, user_id, roles_text(&m.roles), by, now],
        )
        .await?;
        record_event(
            &mut tx,
            Some(org_id),
            user_id,
            "deactivate",
            &m.roles,
            by,
            now,
        )
        .await?;
        let elsewhere = tx
            .fetch_optional(
                "SELECT 1 AS one FROM memberships WHERE user_id = $1 UNION ALL SELECT 1 AS one FROM user_educators WHERE user_id = $1 AND org_id <> $2",
                args![user_id, org_id],
            )
            .await?
            .is_some();
        if !elsewhere {
            tx.execute(
                "UPDATE users SET deactivated_ms = $1, deactivated_org = $2 WHERE id = $3 AND deactivated_ms IS NULL",
                args![now, org_id, user_id],
            )
            .await?;
            cut_access(&mut tx, user_id, now).await?;
        }
        let member = member_in(&mut tx, org_id, user_id)
            .await?
            .ok_or_else(|| not_member(user_id))?
            .0;
        tx.commit().await?;
        Ok(Deactivation {
            member,
            account_deactivated: !elsewhere,
        })
    }

    /// Reactivates a member deactivated in `org_id`: their roles there are restored, and the
    /// account too if an organization's deactivation had closed it. An account the operator
    /// deactivated deployment-wide is a conflict (only the operator reopens it). Sessions and
    /// tokens ended at deactivation stay ended.
    pub async fn reactivate_member(
        &self,
        org_id: &OrgId,
        user_id: &UserId,
        by: Option<&UserId>,
    ) -> Result<Member, StoreError> {
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        let Some(kept) = tx
            .fetch_optional(
                "SELECT d.roles, u.deactivated_ms, u.deactivated_org FROM member_deactivations d JOIN users u ON u.id = d.user_id WHERE d.org_id = $1 AND d.user_id = $2",
                args![org_id, user_id],
            )
            .await?
        else {
            return Err(match member_in(&mut tx, org_id, user_id).await? {
                Some(_) => StoreError::conflict(format!(
                    "member {user_id} is not deactivated in this organization"
                )),
                None => not_member(user_id),
            });
        };
        if kept.opt_i64("deactivated_ms")?.is_some() && kept.opt_text("deactivated_org")?.is_none()
        {
            return Err(StoreError::conflict(format!(
                "the account of {user_id} was deactivated deployment-wide by the operator; only the operator can reactivate it"
            )));
        }
        let roles = parse_roles(&kept.text("roles")?)?;
        for r in &roles {
            tx.execute(
                "INSERT INTO memberships (user_id, org_id, role, created_ms) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                args![user_id, org_id, r.as_str(), now],
            )
            .await?;
        }
        tx.execute(
            "DELETE FROM member_deactivations WHERE org_id = $1 AND user_id = $2",
            args![org_id, user_id],
        )
        .await?;
        tx.execute(
            "UPDATE users SET deactivated_ms = NULL, deactivated_org = NULL WHERE id = $1 AND deactivated_org IS NOT NULL",
            args![user_id],
        )
        .await?;
        record_event(
            &mut tx,
            Some(org_id),
            user_id,
            "reactivate",
            &roles,
            by,
            now,
        )
        .await?;
        let m = member_in(&mut tx, org_id, user_id)
            .await?
            .ok_or_else(|| not_member(user_id))?
            .0;
        tx.commit().await?;
        Ok(m)
    }

    /// Deactivates an account deployment-wide (the operator): its sessions end and its API tokens
    /// are revoked at once; its roles stay recorded but no longer sign anyone in.
    pub async fn deactivate_user(
        &self,
        user_id: &UserId,
        by: Option<&UserId>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        let n = tx
            .execute(
                "UPDATE users SET deactivated_ms = $1, deactivated_org = NULL WHERE id = $2",
                args![now, user_id],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::not_found("user", user_id.as_str()));
        }
        cut_access(&mut tx, user_id, now).await?;
        record_event(&mut tx, None, user_id, "deactivate", &[], by, now).await?;
        tx.commit().await
    }

    /// Reopens an account deactivated deployment-wide or by an organization (the operator). Roles
    /// an organization's admin removed stay with that organization's admin to restore.
    pub async fn reactivate_user(
        &self,
        user_id: &UserId,
        by: Option<&UserId>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        let n = tx
            .execute(
                "UPDATE users SET deactivated_ms = NULL, deactivated_org = NULL WHERE id = $1 AND deactivated_ms IS NOT NULL",
                args![user_id],
            )
            .await?;
        if n == 0 {
            return Err(
                match tx
                    .fetch_optional("SELECT id FROM users WHERE id = $1", args![user_id])
                    .await?
                {
                    Some(_) => StoreError::conflict(format!("user {user_id} is not deactivated")),
                    None => StoreError::not_found("user", user_id.as_str()),
                },
            );
        }
        record_event(&mut tx, None, user_id, "reactivate", &[], by, now).await?;
        tx.commit().await
    }

    /// Whether the account is deactivated (deployment-wide or because its last organization
    /// deactivated it).
    pub async fn user_deactivated(&self, user_id: &UserId) -> Result<bool, StoreError> {
        let r = self
            .db()
            .fetch_optional(
                "SELECT deactivated_ms FROM users WHERE id = $1",
                args![user_id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("user", user_id.as_str()))?;
        Ok(r.opt_i64("deactivated_ms")?.is_some())
    }

    /// The membership changes recorded in `org_id`, oldest first.
    pub async fn membership_events(
        &self,
        org_id: &OrgId,
    ) -> Result<Vec<MembershipEvent>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT id, org_id, user_id, action, roles, by_user, at_ms FROM membership_events WHERE org_id = $1 ORDER BY at_ms, id",
                args![org_id],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(MembershipEvent {
                    id: r.text("id")?,
                    org_id: r.opt_text("org_id")?.map(Into::into),
                    user_id: r.text("user_id")?.into(),
                    action: r.text("action")?,
                    roles: parse_roles(&r.text("roles")?)?,
                    by: r.opt_text("by_user")?.map(Into::into),
                    at_ms: r.i64("at_ms")?,
                })
            })
            .collect()
    }
}
