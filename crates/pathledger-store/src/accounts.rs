//! Accounts for a real deployment: invitations (accepted once, creating the account), email
//! links for passwordless sign-in and open enrollment (single use, short expiry, bound to the
//! browser that asked) and organizations' open-enrollment setting. Secrets are stored as their
//! SHA-256 only; every acceptance is one transaction.

use crate::crypto::{new_id, now_ms, random_bytes, sha256};
use crate::educators::{educator_from, insert_educator};
use crate::error::StoreError;
use crate::members::record_event;
use crate::model::{AccessRole, NewEducator, OrgId, User, UserId};
use crate::rows::row_to_user;
use crate::sql::{args, Row, Tx};
use crate::store::Store;
use crate::validate::{check_text, normalize_email};

/// An org admin's invitation of one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// Identifier.
    pub id: String,
    /// The inviting organization.
    pub org_id: OrgId,
    /// Who is invited (lower-cased).
    pub email: String,
    /// The name the inviter gave (the person may change it when accepting).
    pub display_name: String,
    /// Access roles granted on acceptance.
    pub roles: Vec<AccessRole>,
    /// The organization's educator record this invitation is for, if known.
    pub educator_id: Option<String>,
    /// Who invited (`None`: the operator, e.g. `pathledger org create`).
    pub invited_by: Option<UserId>,
    /// When it was made.
    pub created_ms: i64,
    /// When it stops working.
    pub expires_ms: i64,
    /// When it was accepted.
    pub accepted_ms: Option<i64>,
    /// When it was withdrawn (or replaced by a newer invitation).
    pub revoked_ms: Option<i64>,
}

impl Invitation {
    /// `pending`, `accepted`, `revoked` or `expired` at `now_ms`.
    pub fn state(&self, now_ms: i64) -> &'static str {
        if self.accepted_ms.is_some() {
            "accepted"
        } else if self.revoked_ms.is_some() {
            "revoked"
        } else if self.expires_ms <= now_ms {
            "expired"
        } else {
            "pending"
        }
    }
}

/// What an invitation is made of.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    /// The inviting organization.
    pub org_id: OrgId,
    /// Who is invited.
    pub email: String,
    /// Their name, as the inviter knows it.
    pub display_name: String,
    /// Access roles granted on acceptance (at least one).
    pub roles: Vec<AccessRole>,
    /// The organization's educator record it is for, if known.
    pub educator_id: Option<String>,
    /// Who invites (`None`: the operator).
    pub invited_by: Option<UserId>,
    /// How long the link works, in milliseconds.
    pub ttl_ms: i64,
}

/// Why an invitation or an email link could not be used. Said to the person holding the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// No such link (mistyped, or never made).
    Unknown,
    /// Its time is up.
    Expired,
    /// It was used already (each link works once).
    Used,
    /// It was withdrawn (an invitation revoked or replaced by a newer one).
    Withdrawn,
    /// It was asked for in another browser (email links only).
    OtherBrowser,
    /// The account it is for is deactivated.
    Deactivated,
}

impl LinkRefusal {
    /// A plain sentence for the person holding the link.
    pub fn message(self) -> &'static str {
        match self {
            Self::Unknown => "This link is not valid. Check that it was copied whole, or ask for a new one.",
            Self::Expired => "This link has expired. Ask for a new one.",
            Self::Used => "This link was used already; each link works once. Ask for a new one if you need to sign in again.",
            Self::Withdrawn => "This invitation was withdrawn or replaced by a newer one. Ask the organization's administrator.",
            Self::OtherBrowser => "This link was asked for in another browser. Open it in the browser where you asked for it, or ask for a new link here.",
            Self::Deactivated => "This account is deactivated. Ask the organization's administrator.",
        }
    }

    /// A stable code for APIs and logs.
    pub fn code(self) -> &'static str {
        match self {
            Self::Unknown => "link_unknown",
            Self::Expired => "link_expired",
            Self::Used => "link_used",
            Self::Withdrawn => "link_withdrawn",
            Self::OtherBrowser => "link_other_browser",
            Self::Deactivated => "account_deactivated",
        }
    }
}

/// What a used email link was for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailLinkPurpose {
    /// Sign in as an existing user.
    SignIn,
    /// Join an organization with open enrollment after proving the address.
    Enroll,
}

impl EmailLinkPurpose {
    fn as_str(&self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::Enroll => "enroll",
        }
    }
}

/// An email link asked for.
#[derive(Debug, Clone)]
pub struct NewEmailLink {
    /// What it is for.
    pub purpose: EmailLinkPurpose,
    /// The address it is mailed to.
    pub email: String,
    /// The user signing in (sign-in links).
    pub user_id: Option<UserId>,
    /// The organization joined (enrollment links).
    pub org_id: Option<OrgId>,
    /// The name given when enrolling.
    pub display_name: Option<String>,
    /// SHA-256 of the asking browser's binding cookie.
    pub browser_hash: [u8; 32],
    /// How long it works, in milliseconds.
    pub ttl_ms: i64,
}

/// The result of using an email link: who is now signed in.
#[derive(Debug, Clone)]
pub struct UsedEmailLink {
    /// What it was for.
    pub purpose: EmailLinkPurpose,
    /// The user signed in (created by an enrollment link when new).
    pub user: User,
    /// The organization joined (enrollment).
    pub org_id: Option<OrgId>,
}

const INVITATION_COLUMNS: &str = "id, org_id, email, display_name, roles, educator_id, invited_by, created_ms, expires_ms, accepted_ms, revoked_ms";

fn row_to_invitation(r: &Row) -> Result<Invitation, StoreError> {
    let roles = r
        .text("roles")?
        .split_whitespace()
        .map(AccessRole::parse)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Invitation {
        id: r.text("id")?,
        org_id: r.text("org_id")?.into(),
        email: r.text("email")?,
        display_name: r.text("display_name")?,
        roles,
        educator_id: r.opt_text("educator_id")?,
        invited_by: r.opt_text("invited_by")?.map(Into::into),
        created_ms: r.i64("created_ms")?,
        expires_ms: r.i64("expires_ms")?,
        accepted_ms: r.opt_i64("accepted_ms")?,
        revoked_ms: r.opt_i64("revoked_ms")?,
    })
}

fn roles_text(roles: &[AccessRole]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A fresh link secret (URL-safe).
fn new_secret() -> Result<String, StoreError> {
    Ok(hex::encode(random_bytes::<32>()?))
}

impl Store {
    /// Creates an invitation and returns it with its secret (shown once, stored hashed). A
    /// pending invitation of the same person to the same organization is withdrawn in the same
    /// transaction: inviting again replaces it.
    pub async fn create_invitation(
        &self,
        new: NewInvitation,
    ) -> Result<(Invitation, String), StoreError> {
        let email = normalize_email("email", &new.email)?;
        if !new.display_name.trim().is_empty() {
            check_text("display_name", new.display_name.trim(), 512)?;
        }
        if new.roles.is_empty() {
            return Err(StoreError::invalid(
                "roles",
                "name at least one access role",
            ));
        }
        let mut roles = new.roles.clone();
        roles.sort_by_key(|r| r.as_str());
        roles.dedup();
        let now = now_ms();
        let secret = new_secret()?;
        let inv = Invitation {
            id: new_id("inv")?,
            org_id: new.org_id.clone(),
            email,
            display_name: new.display_name.trim().to_owned(),
            roles,
            educator_id: new.educator_id.clone(),
            invited_by: new.invited_by.clone(),
            created_ms: now,
            expires_ms: now.saturating_add(new.ttl_ms),
            accepted_ms: None,
            revoked_ms: None,
        };
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional(
                "SELECT id FROM organizations WHERE id = $1",
                args![&inv.org_id],
            )
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("organization", inv.org_id.clone()));
        }
        if let Some(e) = &inv.educator_id {
            if tx
                .fetch_optional(
                    "SELECT id FROM educators WHERE id = $1 AND org_id = $2",
                    args![e.as_str(), &inv.org_id],
                )
                .await?
                .is_none()
            {
                return Err(StoreError::not_found("educator", e.clone()));
            }
        }
        tx.execute(
            "UPDATE invitations SET revoked_ms = $1 WHERE org_id = $2 AND email = $3 AND accepted_ms IS NULL AND revoked_ms IS NULL",
            args![now, &inv.org_id, inv.email.as_str()],
        )
        .await?;
        tx.execute(
            "INSERT INTO invitations (id, org_id, email, display_name, roles, educator_id, token_hash, invited_by, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            args![
                inv.id.as_str(),
                &inv.org_id,
                inv.email.as_str(),
                inv.display_name.as_str(),
                roles_text(&inv.roles),
                inv.educator_id.as_deref(),
                sha256(secret.as_bytes()).to_vec(),
                inv.invited_by.as_ref().map(|u| u.as_str()),
                inv.created_ms,
                inv.expires_ms
            ],
        )
        .await?;
        tx.commit().await?;
        Ok((inv, secret))
    }

    /// The invitation a link secret belongs to, in whatever state it is.
    pub async fn invitation_by_secret(
        &self,
        secret: &str,
    ) -> Result<Option<Invitation>, StoreError> {
        self.db()
            .fetch_optional(
                &format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE token_hash = $1"),
                args![sha256(secret.as_bytes()).to_vec()],
            )
            .await?
            .as_ref()
            .map(row_to_invitation)
            .transpose()
    }

    /// An organization's invitations, newest first (at most `limit`).
    pub async fn invitations(
        &self,
        org_id: &OrgId,
        limit: i64,
    ) -> Result<Vec<Invitation>, StoreError> {
        self.db()
            .fetch_all(
                &format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE org_id = $1 ORDER BY created_ms DESC, id LIMIT $2"),
                args![org_id, limit],
            )
            .await?
            .iter()
            .map(row_to_invitation)
            .collect()
    }

    /// Withdraws a pending invitation of `org_id`. Another organization's invitation is "not
    /// found"; one no longer pending is a conflict naming its state.
    pub async fn revoke_invitation(
        &self,
        org_id: &OrgId,
        id: &str,
    ) -> Result<Invitation, StoreError> {
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        let inv = tx
            .fetch_optional(
                &format!(
                    "SELECT {INVITATION_COLUMNS} FROM invitations WHERE id = $1 AND org_id = $2"
                ),
                args![id, org_id],
            )
            .await?
            .as_ref()
            .map(row_to_invitation)
            .transpose()?
            .ok_or_else(|| StoreError::not_found("invitation", id))?;
        match inv.state(now) {
            "pending" | "expired" if inv.accepted_ms.is_none() && inv.revoked_ms.is_none() => {}
            state => {
                return Err(StoreError::conflict(format!(
                    "invitation {id} is {state} already"
                )))
            }
        }
        tx.execute(
            "UPDATE invitations SET revoked_ms = $1 WHERE id = $2",
            args![now, id],
        )
        .await?;
        tx.commit().await?;
        Ok(Invitation {
            revoked_ms: Some(now),
            ..inv
        })
    }

    /// Accepts an invitation in one transaction: marks it used (once), creates the account
    /// (or joins the existing one with that email), grants its roles (recorded as granted by
    /// the inviter) and, for an educator, links the organization's educator record with that
    /// email (creating it when there is none). Refusals name why the link does not work.
    pub async fn accept_invitation(
        &self,
        secret: &str,
        display_name: &str,
    ) -> Result<Result<(User, Invitation), LinkRefusal>, StoreError> {
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        let Some(inv) = tx
            .fetch_optional(
                &format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE token_hash = $1"),
                args![sha256(secret.as_bytes()).to_vec()],
            )
            .await?
            .as_ref()
            .map(row_to_invitation)
            .transpose()?
        else {
            return Ok(Err(LinkRefusal::Unknown));
        };
        let refusal = match inv.state(now) {
            "accepted" => Some(LinkRefusal::Used),
            "revoked" => Some(LinkRefusal::Withdrawn),
            "expired" => Some(LinkRefusal::Expired),
            _ => None,
        };
        if let Some(r) = refusal {
            return Ok(Err(r));
        }
        let name = match display_name.trim() {
            "" => inv.display_name.clone(),
            n => n.to_owned(),
        };
        let name = if name.is_empty() {
            inv.email.clone()
        } else {
            name
        };
        check_text("display_name", &name, 512)?;
        // Mark it used first: of two acceptances racing, the second changes no row.
        let n = tx
            .execute(
                "UPDATE invitations SET accepted_ms = $1 WHERE id = $2 AND accepted_ms IS NULL AND revoked_ms IS NULL",
                args![now, inv.id.as_str()],
            )
            .await?;
        if n == 0 {
            return Ok(Err(LinkRefusal::Used));
        }
        let user = match user_by_email_tx(&mut tx, &inv.email).await? {
            Some((_, Some(_))) => return Ok(Err(LinkRefusal::Deactivated)),
            Some((u, None)) => u,
            None => insert_user(&mut tx, &inv.email, &name, now).await?,
        };
        tx.execute(
            "UPDATE invitations SET accepted_user = $1 WHERE id = $2",
            args![&user.id, inv.id.as_str()],
        )
        .await?;
        let mut granted = Vec::new();
        for role in &inv.roles {
            let n = tx
                .execute(
                    "INSERT INTO memberships (user_id, org_id, role, created_ms) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    args![&user.id, &inv.org_id, role.as_str(), now],
                )
                .await?;
            if n > 0 {
                granted.push(*role);
            }
        }
        if !granted.is_empty() {
            record_event(
                &mut tx,
                Some(&inv.org_id),
                &user.id,
                "grant",
                &granted,
                inv.invited_by.as_ref(),
                now,
            )
            .await?;
        }
        if inv.roles.contains(&AccessRole::Educator) {
            ensure_educator_link(
                &mut tx,
                &user,
                &inv.org_id,
                inv.educator_id.as_deref(),
                &name,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        let user = self.user(user.id.as_str()).await?;
        Ok(Ok((user, inv)))
    }

    /// How many email links were asked for `email` since `since_ms` (per-address throttling,
    /// shared by every server on the database).
    pub async fn email_links_since(&self, email: &str, since_ms: i64) -> Result<i64, StoreError> {
        let email = normalize_email("email", email)?;
        self.db()
            .fetch_optional(
                "SELECT COUNT(*) AS n FROM email_links WHERE email = $1 AND created_ms > $2",
                args![email.as_str(), since_ms],
            )
            .await?
            .map(|r| r.i64("n"))
            .transpose()
            .map(|n| n.unwrap_or(0))
    }

    /// Stores an email link and returns its secret (shown once, in the mail).
    pub async fn create_email_link(&self, new: NewEmailLink) -> Result<String, StoreError> {
        let email = normalize_email("email", &new.email)?;
        if let Some(n) = &new.display_name {
            check_text("display_name", n, 512)?;
        }
        let secret = new_secret()?;
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        // Expired links are of no use; clear this address's on the way.
        tx.execute(
            "DELETE FROM email_links WHERE email = $1 AND expires_ms < $2",
            args![email.as_str(), now - 24 * 3600 * 1000],
        )
        .await?;
        tx.execute(
            "INSERT INTO email_links (token_hash, purpose, email, user_id, org_id, display_name, browser_hash, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            args![
                sha256(secret.as_bytes()).to_vec(),
                new.purpose.as_str(),
                email.as_str(),
                new.user_id.as_ref().map(|u| u.as_str()),
                new.org_id.as_ref().map(|o| o.as_str()),
                new.display_name.as_deref(),
                &new.browser_hash,
                now,
                now.saturating_add(new.ttl_ms)
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// Uses an email link from the browser whose binding hashes to `browser_hash`, in one
    /// transaction: once only, before it expires, from the browser that asked (a link opened
    /// elsewhere is refused and stays usable where it was asked for). An enrollment link
    /// creates the account if needed, grants the educator role and links (or creates) the
    /// organization's educator record with that email.
    pub async fn use_email_link(
        &self,
        secret: &str,
        browser_hash: &[u8; 32],
    ) -> Result<Result<UsedEmailLink, LinkRefusal>, StoreError> {
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        let r = match claim_once(
            &mut tx,
            SingleUse::EMAIL_LINK,
            "purpose, email, user_id, org_id, display_name",
            secret,
            browser_hash,
            now,
        )
        .await?
        {
            Ok(r) => r,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let email = r.text("email")?;
        let org_id: Option<OrgId> = r.opt_text("org_id")?.map(Into::into);
        let purpose = match r.text("purpose")?.as_str() {
            "enroll" => EmailLinkPurpose::Enroll,
            _ => EmailLinkPurpose::SignIn,
        };
        let user = match &purpose {
            EmailLinkPurpose::SignIn => {
                let uid = r.opt_text("user_id")?.unwrap_or_default();
                match user_by_email_tx(&mut tx, &email).await? {
                    Some((u, None)) if u.id.as_str() == uid => u,
                    Some((_, Some(_))) => return Ok(Err(LinkRefusal::Deactivated)),
                    _ => return Ok(Err(LinkRefusal::Unknown)),
                }
            }
            EmailLinkPurpose::Enroll => {
                let org = org_id
                    .clone()
                    .ok_or_else(|| StoreError::integrity("enrollment link without organization"))?;
                let name = r.opt_text("display_name")?.unwrap_or_else(|| email.clone());
                match enroll_in_tx(&mut tx, &org, &email, &name, now).await? {
                    Some(u) => u,
                    None => return Ok(Err(LinkRefusal::Deactivated)),
                }
            }
        };
        tx.commit().await?;
        let user = self.user(user.id.as_str()).await?;
        Ok(Ok(UsedEmailLink {
            purpose,
            user,
            org_id,
        }))
    }

    /// Enrolls a person whose `email` an identity provider verified as an educator of `org`
    /// (one transaction; see the email-link enrollment). `Ok(None)`: the account is deactivated.
    pub async fn enroll_verified_educator(
        &self,
        org: &OrgId,
        email: &str,
        name: &str,
    ) -> Result<Option<User>, StoreError> {
        let email = normalize_email("email", email)?;
        check_text("display_name", name, 512)?;
        let mut tx = self.db().begin().await?;
        let Some(user) = enroll_in_tx(&mut tx, org, &email, name, now_ms()).await? else {
            return Ok(None);
        };
        tx.commit().await?;
        Ok(Some(self.user(user.id.as_str()).await?))
    }

    /// Whether an organization lets people sign themselves up as educators.
    pub async fn open_enrollment(&self, org_id: &OrgId) -> Result<bool, StoreError> {
        self.db()
            .fetch_optional(
                "SELECT open_enrollment FROM organizations WHERE id = $1",
                args![org_id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("organization", org_id.clone()))?
            .bool("open_enrollment")
    }

    /// Opens or closes an organization's enrollment.
    pub async fn set_open_enrollment(&self, org_id: &OrgId, open: bool) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        let n = tx
            .execute(
                "UPDATE organizations SET open_enrollment = $1 WHERE id = $2",
                args![open, org_id],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::not_found("organization", org_id.clone()));
        }
        tx.commit().await
    }

    /// Organizations with open enrollment, by name.
    pub async fn organizations_open_for_enrollment(
        &self,
    ) -> Result<Vec<(OrgId, String)>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT id, name FROM organizations WHERE open_enrollment ORDER BY name, id",
                args![],
            )
            .await?
            .iter()
            .map(|r| Ok((r.text("id")?.into(), r.text("name")?)))
            .collect()
    }
}

/// A table of single-use secrets bound to a browser: sign-in and enrollment links, OIDC
/// sign-ins under way. Both are claimed by [`claim_once`].
pub(crate) struct SingleUse {
    table: &'static str,
    key: &'static str,
}

impl SingleUse {
    /// `email_links`, keyed by the link's hash.
    pub(crate) const EMAIL_LINK: SingleUse = SingleUse {
        table: "email_links",
        key: "token_hash",
    };
    /// `oidc_logins`, keyed by the state's hash.
    pub(crate) const OIDC_LOGIN: SingleUse = SingleUse {
        table: "oidc_logins",
        key: "state_hash",
    };
}

/// Claims the row of `secret` in `kind`'s table inside `tx`: it must exist, be unused, be
/// unexpired at `now` and be bound to the browser whose binding hashes to `browser_hash` (a
/// row claimed from another browser is left usable where it was asked for). Marks it used;
/// of two claims racing, the second changes no row and is refused as used. Returns the row
/// with `columns` (a list of column names of that table).
pub(crate) async fn claim_once(
    tx: &mut Tx,
    kind: SingleUse,
    columns: &str,
    secret: &str,
    browser_hash: &[u8; 32],
    now: i64,
) -> Result<Result<Row, LinkRefusal>, StoreError> {
    let SingleUse { table, key } = kind;
    let hash = sha256(secret.as_bytes()).to_vec();
    let Some(r) = tx
        .fetch_optional(
            &format!(
                "SELECT {columns}, browser_hash, expires_ms, used_ms FROM {table} WHERE {key} = $1"
            ),
            args![hash.clone()],
        )
        .await?
    else {
        return Ok(Err(LinkRefusal::Unknown));
    };
    if r.opt_i64("used_ms")?.is_some() {
        return Ok(Err(LinkRefusal::Used));
    }
    if r.i64("expires_ms")? <= now {
        return Ok(Err(LinkRefusal::Expired));
    }
    if r.hash("browser_hash")? != *browser_hash {
        return Ok(Err(LinkRefusal::OtherBrowser));
    }
    let n = tx
        .execute(
            &format!("UPDATE {table} SET used_ms = $1 WHERE {key} = $2 AND used_ms IS NULL"),
            args![now, hash],
        )
        .await?;
    if n == 0 {
        return Ok(Err(LinkRefusal::Used));
    }
    Ok(Ok(r))
}

/// Enrolls the person with a verified `email` as an educator of `org` inside `tx`: the
/// account (created when new), the educator role (recorded as their own doing) and the link to
/// the organization's educator record with that email (created when there is none). `None`
/// when the account is deactivated.
async fn enroll_in_tx(
    tx: &mut Tx,
    org: &OrgId,
    email: &str,
    name: &str,
    now: i64,
) -> Result<Option<User>, StoreError> {
    let user = match user_by_email_tx(tx, email).await? {
        Some((_, Some(_))) => return Ok(None),
        Some((u, None)) => u,
        None => insert_user(tx, email, name, now).await?,
    };
    let n = tx
        .execute(
            "INSERT INTO memberships (user_id, org_id, role, created_ms) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            args![&user.id, org, AccessRole::Educator.as_str(), now],
        )
        .await?;
    if n > 0 {
        record_event(
            tx,
            Some(org),
            &user.id,
            "grant",
            &[AccessRole::Educator],
            Some(&user.id),
            now,
        )
        .await?;
    }
    ensure_educator_link(tx, &user, org, None, name, now).await?;
    Ok(Some(user))
}

/// The user with `email` inside `tx`, with their deployment-wide deactivation time if any.
async fn user_by_email_tx(
    tx: &mut Tx,
    email: &str,
) -> Result<Option<(User, Option<i64>)>, StoreError> {
    let Some(r) = tx
        .fetch_optional(
            "SELECT id, email, display_name, created_ms, deactivated_ms FROM users WHERE email = $1",
            args![email],
        )
        .await?
    else {
        return Ok(None);
    };
    Ok(Some((row_to_user(&r)?, r.opt_i64("deactivated_ms")?)))
}

/// Inserts a new user inside `tx`.
async fn insert_user(tx: &mut Tx, email: &str, name: &str, now: i64) -> Result<User, StoreError> {
    let user = User {
        id: new_id("usr")?.into(),
        email: email.to_owned(),
        display_name: name.to_owned(),
        educators: Vec::new(),
        created_ms: now,
    };
    tx.execute(
        "INSERT INTO users (id, email, display_name, created_ms) VALUES ($1, $2, $3, $4)",
        args![&user.id, user.email.as_str(), name, now],
    )
    .await?;
    Ok(user)
}

/// Makes sure `user` is linked to an educator record of `org`: the one the invitation names,
/// else the organization's record with the user's email, else a new record. A user already
/// linked to a record of `org` keeps it.
async fn ensure_educator_link(
    tx: &mut Tx,
    user: &User,
    org: &OrgId,
    educator_id: Option<&str>,
    name: &str,
    now: i64,
) -> Result<(), StoreError> {
    if tx
        .fetch_optional(
            "SELECT educator_id FROM user_educators WHERE user_id = $1 AND org_id = $2",
            args![&user.id, org],
        )
        .await?
        .is_some()
    {
        return Ok(());
    }
    let found = match educator_id {
        Some(e) => Some(e.to_owned()),
        None => tx
            .fetch_optional(
                "SELECT educator_id FROM educator_identifiers WHERE org_id = $1 AND kind = 'email' AND value = $2",
                args![org, user.email.as_str()],
            )
            .await?
            .map(|r| r.text("educator_id"))
            .transpose()?,
    };
    let educator = match found {
        Some(e) => {
            if let Some(r) = tx
                .fetch_optional(
                    "SELECT user_id FROM user_educators WHERE educator_id = $1",
                    args![e.as_str()],
                )
                .await?
            {
                return Err(StoreError::conflict(format!(
                    "educator record {e} already belongs to another account ({})",
                    r.text("user_id")?
                )));
            }
            e
        }
        None => {
            let ed = educator_from(NewEducator {
                org_id: org.to_string(),
                display_name: name.to_owned(),
                emails: vec![user.email.clone()],
                ..Default::default()
            })?;
            insert_educator(tx, &ed).await?;
            ed.id.to_string()
        }
    };
    tx.execute(
        "INSERT INTO user_educators (user_id, educator_id, org_id, created_ms) VALUES ($1, $2, $3, $4)",
        args![&user.id, educator.as_str(), org, now],
    )
    .await?;
    Ok(())
}
