//! The account lifecycle of a real deployment: bootstrapping an organization, invitations,
//! passwordless email links, open enrollment, and where a person lands once signed in.
//!
//! Trust rules:
//! - An invitation link goes only to the invited address (by mail; the operator's command line
//!   also prints the one it makes). The API never returns it, so an admin cannot accept an
//!   invitation in someone else's name.
//! - Accepting an invitation for an address that already has an account needs that account to
//!   be signed in: an invitation never signs anyone into an existing account.
//! - Sign-in and enrollment links are single use, expire after [`EMAIL_LINK_TTL_MS`] and work
//!   only in the browser that asked for them. At most [`LINKS_PER_ADDRESS`] are mailed to one
//!   address per [`LINK_WINDOW_MS`], counted in the database (so across servers). Asking never
//!   reveals whether an address has an account.

use pathledger_core::Definitions;
use pathledger_store::{
    AccessRole, EmailLinkPurpose, Invitation, LinkRefusal, NewEmailLink, NewInvitation, OrgId,
    Organization, UsedEmailLink, User,
};
use serde::Deserialize;

use crate::mail::{Delivered, Mail};
use crate::members::parse_roles;
use crate::{Actor, App, AppError};

/// How long an invitation link works: 7 days.
pub const INVITATION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// How long a sign-in or enrollment link works: 15 minutes.
pub const EMAIL_LINK_TTL_MS: i64 = 15 * 60 * 1000;
/// Email links mailed to one address per window, at most.
pub const LINKS_PER_ADDRESS: i64 = 5;
/// The window [`LINKS_PER_ADDRESS`] counts over: 15 minutes.
pub const LINK_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Invitations listed at most.
pub const MAX_LISTED_INVITATIONS: i64 = 500;

/// Where a signed-in person starts: admins and issuers on the admin page, assessors on their
/// review queue, district verifiers on verify, everyone else on their dashboard.
pub async fn landing_path(app: &App, user: &User) -> Result<&'static str, AppError> {
    let ms = app.store().memberships(&user.id).await?;
    let has = |r: AccessRole| ms.iter().any(|m| m.role == r);
    Ok(if has(AccessRole::OrgAdmin) || has(AccessRole::Issuer) {
        "/admin"
    } else if has(AccessRole::Assessor) {
        "/review"
    } else if has(AccessRole::Verifier) {
        "/verify"
    } else {
        "/dashboard"
    })
}

/// The HTTP-free answer to a link that cannot be used.
impl From<LinkRefusal> for AppError {
    fn from(r: LinkRefusal) -> Self {
        AppError::Link(r)
    }
}

/// One person to invite.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteInput {
    /// Their email address (the invitation is mailed there).
    pub email: String,
    /// Their name, if known.
    #[serde(default)]
    pub name: Option<String>,
    /// Access roles: `org_admin`, `issuer`, `assessor`, `verifier`, `educator`.
    pub roles: Vec<String>,
}

/// An invitation made and mailed.
#[derive(Debug, Clone)]
pub struct Invited {
    /// The invitation.
    pub invitation: Invitation,
    /// Where the mail went.
    pub delivered: Delivered,
    /// The link (for the operator's command line only; never sent back over the API).
    pub link: String,
}

fn invitation_link(app: &App, secret: &str) -> String {
    format!("{}/invitations/{secret}", app.public_url())
}

fn roles_sentence(roles: &[AccessRole]) -> String {
    let names: Vec<&str> = roles
        .iter()
        .map(|r| match r {
            AccessRole::OrgAdmin => "administrator",
            AccessRole::Issuer => "issuer",
            AccessRole::Assessor => "assessor (mentor)",
            AccessRole::Verifier => "district verifier",
            AccessRole::Educator => "educator",
        })
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Makes an invitation and mails it. `by`: the inviting admin (`None`: the operator).
pub async fn send_invitation(
    app: &App,
    org: &Organization,
    email: &str,
    name: &str,
    roles: Vec<AccessRole>,
    educator_id: Option<String>,
    by: Option<&Actor>,
) -> Result<Invited, AppError> {
    let (invitation, secret) = app
        .store()
        .create_invitation(NewInvitation {
            org_id: org.id.clone(),
            email: email.to_owned(),
            display_name: name.to_owned(),
            roles,
            educator_id,
            invited_by: by.map(|a| a.user.id.clone()),
            ttl_ms: INVITATION_TTL_MS,
        })
        .await?;
    let link = invitation_link(app, &secret);
    let inviter = match by {
        Some(a) => format!("{} ({})", a.user.display_name, a.user.email),
        None => "The administrator of this Pathledger deployment".to_owned(),
    };
    let greeting = if invitation.display_name.is_empty() {
        "Hello,".to_owned()
    } else {
        format!("Hello {},", invitation.display_name)
    };
    let text = format!(
        "{greeting}\n\n{inviter} invites you to join {org} on Pathledger as {roles}.\n\n\
         Accept the invitation and sign in:\n{link}\n\n\
         The link works once and expires in 7 days. If you did not expect this invitation, \
         ignore this message.\n",
        org = org.name,
        roles = roles_sentence(&invitation.roles),
    );
    let delivered = app
        .send_mail(&Mail {
            to: invitation.email.clone(),
            subject: format!("You are invited to {} on Pathledger", org.name),
            text,
        })
        .await?;
    tracing::info!(org = %org.id, invitation = %invitation.id, by = ?by.map(|a| a.user.id.to_string()), "invitation sent");
    Ok(Invited {
        invitation,
        delivered,
        link,
    })
}

/// An org admin invites one person.
pub async fn invite(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
    input: &InviteInput,
) -> Result<Invited, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    let org = app.store().organization(org_id).await?;
    let roles = parse_roles(&input.roles)?;
    let name = input.name.as_deref().unwrap_or("").trim().to_owned();
    send_invitation(
        app,
        &org,
        input.email.trim(),
        &name,
        roles,
        None,
        Some(actor),
    )
    .await
}

/// An organization's invitations, newest first (its admins only).
pub async fn invitations(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
) -> Result<Vec<Invitation>, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    Ok(app
        .store()
        .invitations(org_id, MAX_LISTED_INVITATIONS)
        .await?)
}

/// An org admin withdraws a pending invitation.
pub async fn revoke_invitation(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
    id: &str,
) -> Result<Invitation, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    let inv = app.store().revoke_invitation(org_id, id).await?;
    tracing::info!(org = %org_id, invitation = %id, by = %actor.user.id, "invitation withdrawn");
    Ok(inv)
}

/// What the holder of an invitation link is shown before accepting.
#[derive(Debug, Clone)]
pub struct InvitationView {
    /// The invitation.
    pub invitation: Invitation,
    /// The inviting organization's name.
    pub org_name: String,
    /// The roles, as words.
    pub roles: String,
    /// Whether an account with the invited address exists (then it must be signed in).
    pub existing_account: bool,
}

/// The invitation behind a link, if it can still be accepted.
pub async fn invitation_view(app: &App, secret: &str) -> Result<InvitationView, AppError> {
    let store = app.store();
    let inv = store
        .invitation_by_secret(secret)
        .await?
        .ok_or(LinkRefusal::Unknown)?;
    match inv.state(now_ms()) {
        "accepted" => return Err(LinkRefusal::Used.into()),
        "revoked" => return Err(LinkRefusal::Withdrawn.into()),
        "expired" => return Err(LinkRefusal::Expired.into()),
        _ => {}
    }
    let org_name = store.organization(&inv.org_id).await?.name;
    let existing_account = match store.user_by_email(&inv.email).await {
        Ok(_) => true,
        Err(pathledger_store::StoreError::NotFound { .. }) => false,
        Err(e) => return Err(e.into()),
    };
    Ok(InvitationView {
        roles: roles_sentence(&inv.roles),
        invitation: inv,
        org_name,
        existing_account,
    })
}

/// Accepts an invitation. When the invited address already has an account, `signed_in` must be
/// that account (an invitation never signs anyone into an existing account); otherwise the
/// account is created with `display_name`. Returns the user to sign in.
pub async fn accept_invitation(
    app: &App,
    secret: &str,
    display_name: &str,
    signed_in: Option<&Actor>,
) -> Result<User, AppError> {
    let view = invitation_view(app, secret).await?;
    if view.existing_account {
        let email = &view.invitation.email;
        match signed_in {
            Some(a) if a.user.email == *email => {}
            _ => {
                return Err(AppError::Forbidden {
                    code: "sign_in_first",
                    message: format!(
                        "An account for {email} exists already. Sign in as {email} first, then open this invitation again."
                    ),
                })
            }
        }
    }
    let (user, inv) = app
        .store()
        .accept_invitation(secret, display_name)
        .await??;
    tracing::info!(org = %inv.org_id, invitation = %inv.id, user = %user.id, "invitation accepted");
    if inv.roles.contains(&AccessRole::Educator) {
        if let Some(edu) = user.educator_in(&inv.org_id) {
            // Credentials issued to the address before the account existed count at once.
            let edu = edu.as_str().to_owned();
            app.award_earned(&edu).await?;
        }
    }
    Ok(user)
}

/// Mails a sign-in link to `email` if it has an active account, bound to the asking browser
/// (`browser_hash`). Answers the same whether or not the account exists, and sends nothing
/// past [`LINKS_PER_ADDRESS`] per [`LINK_WINDOW_MS`].
pub async fn request_sign_in_link(
    app: &App,
    email: &str,
    browser_hash: [u8; 32],
) -> Result<(), AppError> {
    let email = checked_email(email)?;
    let store = app.store();
    let user = match store.user_by_email(&email).await {
        Ok(u) => u,
        Err(pathledger_store::StoreError::NotFound { .. }) => {
            tracing::info!("sign-in link asked for an address with no account; nothing sent");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    if store.user_deactivated(&user.id).await? {
        tracing::warn!(user = %user.id, "sign-in link asked for a deactivated account; nothing sent");
        return Ok(());
    }
    if !within_link_budget(app, &email).await? {
        return Ok(());
    }
    let secret = store
        .create_email_link(NewEmailLink {
            purpose: EmailLinkPurpose::SignIn,
            email: email.clone(),
            user_id: Some(user.id.clone()),
            org_id: None,
            display_name: None,
            browser_hash,
            ttl_ms: EMAIL_LINK_TTL_MS,
        })
        .await?;
    let link = format!("{}/login/email/{secret}", app.public_url());
    app.send_mail(&Mail {
        to: email,
        subject: "Your Pathledger sign-in link".into(),
        text: format!(
            "Hello {},\n\nSign in to Pathledger with this link:\n{link}\n\n\
             It works once, for 15 minutes, in the browser where you asked for it. If you did \
             not ask to sign in, ignore this message; nobody can use the link without that browser.\n",
            user.display_name
        ),
    })
    .await?;
    tracing::info!(user = %user.id, "sign-in link sent");
    Ok(())
}

/// Mails an enrollment link to `email` for an organization with open enrollment, bound to the
/// asking browser. Following it proves the address and makes the person an educator there.
pub async fn request_enrollment(
    app: &App,
    org_id: &OrgId,
    email: &str,
    name: &str,
    browser_hash: [u8; 32],
) -> Result<(), AppError> {
    let store = app.store();
    let org = store.organization(org_id).await?;
    if !store.open_enrollment(org_id).await? {
        return Err(AppError::Forbidden {
            code: "enrollment_closed",
            message: format!(
                "{} does not take sign-ups; ask its administrator for an invitation.",
                org.name
            ),
        });
    }
    let email = checked_email(email)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "give your name"));
    }
    if name.chars().count() > 200 {
        return Err(AppError::invalid("name", "at most 200 characters"));
    }
    if !within_link_budget(app, &email).await? {
        return Ok(());
    }
    let secret = store
        .create_email_link(NewEmailLink {
            purpose: EmailLinkPurpose::Enroll,
            email: email.clone(),
            user_id: None,
            org_id: Some(org_id.clone()),
            display_name: Some(name.to_owned()),
            browser_hash,
            ttl_ms: EMAIL_LINK_TTL_MS,
        })
        .await?;
    let link = format!("{}/login/email/{secret}", app.public_url());
    app.send_mail(&Mail {
        to: email,
        subject: format!("Confirm your email to join {}", org.name),
        text: format!(
            "Hello {name},\n\nConfirm your email address to join {} on Pathledger:\n{link}\n\n\
             The link works once, for 15 minutes, in the browser where you signed up. If you did \
             not sign up, ignore this message.\n",
            org.name
        ),
    })
    .await?;
    tracing::info!(org = %org_id, "enrollment link sent");
    Ok(())
}

/// Uses a sign-in or enrollment link from the browser whose binding hashes to `browser_hash`.
pub async fn use_email_link(
    app: &App,
    secret: &str,
    browser_hash: [u8; 32],
) -> Result<UsedEmailLink, AppError> {
    let used = app.store().use_email_link(secret, &browser_hash).await??;
    if used.purpose == EmailLinkPurpose::Enroll {
        if let Some(org) = &used.org_id {
            tracing::info!(org = %org, user = %used.user.id, "enrolled by verified email");
            if let Some(edu) = used.user.educator_in(org) {
                let edu = edu.as_str().to_owned();
                app.award_earned(&edu).await?;
            }
        }
    } else {
        tracing::info!(user = %used.user.id, "signed in by email link");
    }
    Ok(used)
}

/// An org admin opens or closes the organization to sign-ups.
pub async fn set_open_enrollment(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
    open: bool,
) -> Result<(), AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    app.store().set_open_enrollment(org_id, open).await?;
    tracing::info!(org = %org_id, open, by = %actor.user.id, "open enrollment changed");
    Ok(())
}

/// A new organization with its issuer, key, the default framework and pathways, and an
/// invitation of its first administrator (admin and issuer roles).
#[derive(Debug, Clone)]
pub struct Bootstrapped {
    /// The organization.
    pub org: Organization,
    /// Its issuer's id.
    pub issuer_id: String,
    /// The first administrator's invitation.
    pub invited: Invited,
}

/// Creates an organization ready to issue and invites its first administrator: what
/// `pathledger org create` and the first-run page do.
pub async fn create_organization(
    app: &App,
    name: &str,
    kind: &str,
    admin_email: &str,
    admin_name: &str,
) -> Result<Bootstrapped, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "give the organization a name"));
    }
    let kind = match kind.trim() {
        "" => "district",
        k => k,
    };
    let admin_email = checked_email(admin_email)?;
    let defs = Definitions::default_data().map_err(|e| AppError::Definitions(e.to_string()))?;
    let store = app.store();
    let org = store.create_organization(name, kind, None).await?;
    let issuer = store.create_issuer(&org.id, name, None).await?;
    store.generate_issuer_key(&issuer.id).await?;
    app.reload_keys().await?;
    app.put_definitions(&org.id, &defs.to_value()).await?;
    let invited = send_invitation(
        app,
        &org,
        &admin_email,
        admin_name.trim(),
        vec![AccessRole::OrgAdmin, AccessRole::Issuer],
        None,
        None,
    )
    .await?;
    tracing::info!(org = %org.id, issuer = %issuer.id, "organization created");
    Ok(Bootstrapped {
        org,
        issuer_id: issuer.id,
        invited,
    })
}

fn checked_email(email: &str) -> Result<String, AppError> {
    email_address(email).ok_or_else(|| AppError::invalid("email", "not an email address"))
}

/// `email` trimmed and lowercased, if it is a plausible address to mail an invitation to.
pub(crate) fn email_address(email: &str) -> Option<String> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !e.contains(char::is_whitespace)
        && !e.contains(['<', '>', ',', ';', '"']);
    ok.then_some(e)
}

/// Whether another link may be mailed to `email` now (logged when not).
async fn within_link_budget(app: &App, email: &str) -> Result<bool, AppError> {
    let recent = app
        .store()
        .email_links_since(email, now_ms() - LINK_WINDOW_MS)
        .await?;
    if recent >= LINKS_PER_ADDRESS {
        tracing::warn!(
            recent,
            "email link refused: too many for this address; nothing sent"
        );
        return Ok(false);
    }
    Ok(true)
}

pub(crate) fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

/// What inviting from a roster did, row by row.
#[derive(Debug, Clone, Default)]
pub struct RosterInvited {
    /// `simple` or `oneroster`.
    pub format: &'static str,
    /// Rows invited: (line, the invitation).
    pub invited: Vec<(usize, Invitation)>,
    /// Rows not invited because the person already holds those roles here: (line, email).
    pub members: Vec<(usize, String)>,
    /// Rows whose mail or invitation failed: (line, email, why).
    pub failed: Vec<(usize, String, String)>,
    /// Rows with an error in them (line, column, field, message): nothing was sent for them.
    pub errors: Vec<crate::roster::RosterError>,
    /// OneRoster rows left out on purpose: (line, why).
    pub skipped: Vec<(usize, String)>,
}

/// An org admin invites everyone on a roster (a simple `email,name,roles` CSV or a OneRoster
/// 1.1 `users.csv`; rows without roles are educators). A file that cannot be read as a roster is
/// refused whole (`field: roster`, naming line and column); otherwise each good row is invited
/// and each bad row is reported by line and column, with nothing sent for it.
pub async fn invite_roster(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
    bytes: &[u8],
) -> Result<RosterInvited, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    let store = app.store();
    let org = store.organization(org_id).await?;
    let roster = crate::roster::parse_roster(bytes, &[AccessRole::Educator])
        .map_err(|e| AppError::invalid("roster", e.to_string()))?;
    let mut out = RosterInvited {
        format: match roster.format {
            crate::roster::RosterFormat::Simple => "simple",
            crate::roster::RosterFormat::OneRoster => "oneroster",
        },
        errors: roster.errors,
        skipped: roster.skipped,
        ..Default::default()
    };
    let members = store.members(org_id).await?;
    for row in roster.rows {
        if let Some(m) = members.iter().find(|m| m.email == row.email) {
            if m.active && row.roles.iter().all(|r| m.roles.contains(r)) {
                out.members.push((row.line, row.email));
                continue;
            }
        }
        match send_invitation(
            app,
            &org,
            &row.email,
            &row.name,
            row.roles,
            None,
            Some(actor),
        )
        .await
        {
            Ok(inv) => out.invited.push((row.line, inv.invitation)),
            Err(e) => {
                tracing::warn!(org = %org_id, line = row.line, error = %e, "roster invitation failed");
                out.failed.push((row.line, row.email, e.detail()));
            }
        }
    }
    tracing::info!(org = %org_id, by = %actor.user.id, invited = out.invited.len(), errors = out.errors.len(), "roster invited");
    Ok(out)
}
