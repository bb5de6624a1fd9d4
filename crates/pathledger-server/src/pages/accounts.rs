//! Pages of the account lifecycle: sign-in by email link, invitations, open enrollment and the
//! first-run setup.

use maud::{html, Markup};

use super::csrf_field;

/// The email-link form (its own section of the sign-in page); `form_token` when a session is
/// already signed in (its posts must carry it).
pub fn email_form(email: &str, form_token: Option<&str>) -> Markup {
    html! {
        form method="post" action="/login/email" {
            (csrf_field(form_token))
            label for="email" { "Email address" }
            input #email name="email" type="email" autocomplete="email" required size="40" value=(email);
            p { button type="submit" { "Email me a sign-in link" } }
        }
    }
}

/// "Check your email", after asking for a sign-in or enrollment link.
pub fn link_sent(email: &str, what: &str) -> Markup {
    html! {
        h1 { "Check your email" }
        p role="status" #link-sent {
            "If " strong { (email) } " " (what) ", a link is on its way. "
            "It works once, for 15 minutes, in this browser."
        }
        p.muted { "At most 5 links are sent to one address every 15 minutes. Nothing arrived? Check the spam folder, then ask again." }
        p { a href="/login" { "Back to sign in" } }
    }
}

/// The page an emailed link opens: one button, so that a mail scanner following the link
/// does not use it up. `form_token` when a session is already signed in.
pub fn confirm_link(action: &str, form_token: Option<&str>) -> Markup {
    html! {
        h1 { "Sign in to Pathledger" }
        form method="post" action=(action) {
            (csrf_field(form_token))
            p { "Continue to sign in in this browser." }
            p { button type="submit" #continue { "Continue" } }
        }
    }
}

/// A link that cannot be used, and what to do instead. `form_token` when a session is already
/// signed in.
pub fn link_refused(message: &str, form_token: Option<&str>) -> Markup {
    html! {
        h1 { "This link does not work" }
        p role="alert" #link-refused { (message) }
        h2 { "Ask for a new sign-in link" }
        (email_form("", form_token))
    }
}

/// The invitation before it is accepted.
pub fn invitation(
    action: &str,
    org_name: &str,
    roles: &str,
    email: &str,
    name: &str,
    form_token: Option<&str>,
    sign_in_first: bool,
) -> Markup {
    html! {
        h1 { "Join " (org_name) }
        p { "You are invited to join " strong { (org_name) } " on Pathledger as " (roles) "." }
        p { "The invitation is for " strong { (email) } "." }
        @if sign_in_first {
            p role="alert" #sign-in-first {
                "An account for " (email) " exists already. Sign in as " (email)
                " first, then open this invitation again."
            }
            (email_form(email, form_token))
        } @else {
            form method="post" action=(action) {
                (csrf_field(form_token))
                label for="name" { "Your name" }
                input #name name="name" type="text" autocomplete="name" maxlength="200" value=(name);
                p { button type="submit" #accept { "Accept and sign in" } }
            }
        }
    }
}

/// Organizations that take sign-ups.
pub fn join_list(orgs: &[(String, String)]) -> Markup {
    html! {
        h1 { "Sign up" }
        @if orgs.is_empty() {
            p { "No organization here takes sign-ups. Ask an organization's administrator for an invitation." }
        } @else {
            p { "These organizations let educators and career switchers sign themselves up:" }
            ul {
                @for (id, name) in orgs {
                    li { a href={ "/join/" (id) } { (name) } }
                }
            }
        }
    }
}

/// The sign-up form of one organization (`error`: a message beside the field it names).
pub fn join_form(
    org_id: &str,
    org_name: &str,
    name: &str,
    email: &str,
    error: Option<(&str, &str)>,
) -> Markup {
    let err = |field: &str| {
        error
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.to_owned())
    };
    html! {
        h1 { "Join " (org_name) }
        p { "Sign up as an educator. We email you a link to confirm your address." }
        form method="post" action={ "/join/" (org_id) } {
            label for="name" { "Your name" }
            input #name name="name" type="text" autocomplete="name" required maxlength="200" value=(name)
                aria-describedby=[err("name").map(|_| "name-error")];
            @if let Some(m) = err("name") { p.error #name-error role="alert" { (m) } }
            label for="email" { "Email address" }
            input #email name="email" type="email" autocomplete="email" required value=(email)
                aria-describedby=[err("email").map(|_| "email-error")];
            @if let Some(m) = err("email") { p.error #email-error role="alert" { (m) } }
            p { button type="submit" { "Sign up" } }
        }
    }
}

/// The first-run page (no organization yet).
pub fn setup_form(values: &SetupValues, error: Option<(&str, &str)>) -> Markup {
    let err = |field: &str| {
        error
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.to_owned())
    };
    html! {
        h1 { "Set up Pathledger" }
        p { "This deployment has no organization yet. Create the first one and its administrator account. "
            "The setup code is printed in the server's log." }
        @if let Some((f, m)) = error.filter(|(f, _)| !["code", "name", "email"].contains(f)) {
            p.error role="alert" { (f) ": " (m) }
        }
        form method="post" action="/setup" {
            label for="code" { "Setup code" }
            input #code name="code" type="password" required autocomplete="off";
            @if let Some(m) = err("code") { p.error role="alert" { (m) } }
            label for="name" { "Organization name" }
            input #name name="name" type="text" required maxlength="200" value=(values.name);
            @if let Some(m) = err("name") { p.error role="alert" { (m) } }
            label for="kind" { "Kind" }
            select #kind name="kind" {
                @for k in ["district", "preparation_program", "school", "charter_network"] {
                    option value=(k) selected[values.kind == k] { (k.replace('_', " ")) }
                }
            }
            label for="email" { "Your email address" }
            input #email name="email" type="email" required value=(values.email);
            @if let Some(m) = err("email") { p.error role="alert" { (m) } }
            label for="admin_name" { "Your name" }
            input #admin_name name="admin_name" type="text" maxlength="200" value=(values.admin_name);
            p { button type="submit" { "Create the organization" } }
        }
    }
}

/// What the first-run form was filled in with (kept when it comes back with an error).
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct SetupValues {
    /// The setup code from the server's log.
    #[serde(default)]
    pub code: String,
    /// Organization name.
    #[serde(default)]
    pub name: String,
    /// Organization kind.
    #[serde(default)]
    pub kind: String,
    /// The first administrator's email.
    #[serde(default)]
    pub email: String,
    /// Their name.
    #[serde(default)]
    pub admin_name: String,
}

/// One invitation as the admin page lists it.
#[derive(Debug, Clone)]
pub struct InvitationRow {
    /// Id.
    pub id: String,
    /// Who.
    pub email: String,
    /// Their name, if given.
    pub name: String,
    /// Roles, as words.
    pub roles: String,
    /// pending, accepted, revoked or expired.
    pub state: &'static str,
    /// When it was sent.
    pub sent: String,
}

/// The admin page's "Invitations" section: invite one person, upload a roster, see and
/// withdraw invitations, and open or close sign-ups.
pub fn invitations_section(
    rows: &[InvitationRow],
    open_enrollment: bool,
    sign_up_url: &str,
    form_token: Option<&str>,
) -> Markup {
    html! {
        h2 #invitations { "Invitations" }
        p { "Invite people by email. The invitation link goes only to their address; it works once, for 7 days." }
        form #invite-form method="post" action="/admin/invitations" {
            (csrf_field(form_token))
            label for="invite-email" { "Email address" }
            input #invite-email name="email" type="email" required;
            label for="invite-name" { "Name (optional)" }
            input #invite-name name="name" type="text" maxlength="200";
            fieldset {
                legend { "Access roles" }
                @for (role, label) in super::members::ROLES {
                    @let id = format!("invite-role-{}", role.as_str());
                    input type="checkbox" id=(id) name=(role.as_str()) value="on" checked[role == pathledger_store::AccessRole::Educator];
                    label for=(id) { (label) }
                    " "
                }
            }
            p { button type="submit" { "Send invitation" } }
        }
        form #roster-form method="post" action="/admin/invitations/roster" enctype="multipart/form-data" {
            (csrf_field(form_token))
            label for="roster" { "Invite from a roster (CSV with email, name, roles columns; or a OneRoster 1.1 users.csv)" }
            input #roster name="roster" type="file" accept=".csv,text/csv" required;
            p { button type="submit" { "Send invitations" } }
        }
        @if !rows.is_empty() {
            table #invitation-list {
                thead { tr { th { "Invited" } th { "Roles" } th { "Sent" } th { "State" } th { "Actions" } } }
                tbody {
                    @for r in rows {
                        tr data-invitation=(r.id) {
                            td { @if !r.name.is_empty() { (r.name) " " } code { (r.email) } }
                            td { (r.roles) }
                            td { (r.sent) }
                            td { (r.state) }
                            td {
                                @if r.state == "pending" || r.state == "expired" {
                                    form.status-action method="post" action={ "/admin/invitations/" (r.id) "/revoke" } {
                                        (csrf_field(form_token))
                                        button type="submit" { "Withdraw" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h3 { "Sign-ups" }
        form #enrollment-form method="post" action="/admin/enrollment" {
            (csrf_field(form_token))
            input #open-enrollment type="checkbox" name="open" value="on" checked[open_enrollment];
            label for="open-enrollment" { "Let educators and career switchers sign themselves up (their email is verified)" }
            " "
            button type="submit" { "Save" }
        }
        @if open_enrollment {
            p { "Sign-up page: " a href=(sign_up_url) { (sign_up_url) } }
        }
    }
}

/// What an uploaded roster did, row by row.
pub fn roster_result(r: &pathledger_app::accounts::RosterInvited) -> Markup {
    html! {
        h1 { "Invitations from the roster" }
        p role="status" #roster-summary {
            (r.invited.len()) " invited"
            @if !r.members.is_empty() { ", " (r.members.len()) " already members" }
            @if !r.errors.is_empty() { ", " (r.errors.len()) " rows with errors (nothing sent for them)" }
            @if !r.failed.is_empty() { ", " (r.failed.len()) " not sent" }
            @if !r.skipped.is_empty() { ", " (r.skipped.len()) " rows left out" }
            "."
            @if r.format == "oneroster" { " (read as a OneRoster 1.1 users.csv)" }
        }
        @if !r.errors.is_empty() {
            h2 { "Rows with errors" }
            ul #roster-errors {
                @for e in &r.errors {
                    li { "Line " (e.line) @if let Some(c) = e.column { ", column " (c) } " (" (e.field) "): " (e.message) }
                }
            }
        }
        @if !r.failed.is_empty() {
            h2 { "Not sent" }
            ul { @for (line, email, why) in &r.failed { li { "Line " (line) ", " (email) ": " (why) } } }
        }
        @if !r.invited.is_empty() {
            h2 { "Invited" }
            ul #roster-invited { @for (line, i) in &r.invited { li { "Line " (line) ": " (i.email) } } }
        }
        @if !r.members.is_empty() {
            h2 { "Already members" }
            ul { @for (line, email) in &r.members { li { "Line " (line) ": " (email) } } }
        }
        @if !r.skipped.is_empty() {
            h2 { "Left out" }
            ul { @for (line, why) in &r.skipped { li { "Line " (line) ": " (why) } } }
        }
        p { a href="/admin#invitations" { "Back to the admin page" } }
    }
}
