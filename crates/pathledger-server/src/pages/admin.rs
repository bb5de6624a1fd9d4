//! The issuer admin page: definitions, bulk issuance, recent credentials and their status,
//! signing keys, endorser grants, members (`members.rs`).

use maud::{html, Markup};
use pathledger_core::Definitions;
use pathledger_store::{CredentialListing, Member};

use super::format::{achievement_name, credential_status_word, date, key_state, kind};

/// One signing key of one of the organization's issuers.
pub struct KeyRow {
    pub issuer: String,
    pub key_id: String,
    pub retired: bool,
}

/// One active endorser grant: the user endorses as `role` in this organization.
pub struct EndorserRow {
    pub grant: String,
    /// Name and email.
    pub user: String,
    pub role: String,
}

/// Everything the admin page shows.
pub struct AdminPage<'a> {
    pub org: &'a str,
    /// Whether the visitor is an organization admin (may edit definitions and rotate keys).
    pub is_admin: bool,
    /// The outcome of the last action, from the redirect back here.
    pub notice: Option<&'a str>,
    pub defs: &'a Definitions,
    /// The definitions as pretty JSON, for the editor.
    pub defs_json: String,
    /// The newest credentials, with their holders.
    pub credentials: &'a [CredentialListing],
    pub keys: Vec<KeyRow>,
    /// The session's form token.
    pub form_token: Option<&'a str>,
    /// Active endorser grants (listed to org admins only).
    pub endorsers: Vec<EndorserRow>,
    /// Pending deletion requests (org admins only).
    pub deletion_requests: Vec<super::privacy::DeletionRow>,
    /// The organization's members (listed to org admins only).
    pub members: Vec<Member>,
    /// Its invitations, newest first (org admins only).
    pub invitations: Vec<super::accounts::InvitationRow>,
    /// Whether it takes sign-ups, and where.
    pub open_enrollment: bool,
    /// Its sign-up page.
    pub sign_up_url: String,
}

pub fn admin_page(p: &AdminPage<'_>) -> Markup {
    let defs = p.defs;
    let org = p.org;
    html! {
        h1 { "Issuer admin" }
        @if let Some(n) = p.notice { p.card #notice role="status" { (n) } }
        h2 #framework { "Framework, micro-credentials, stacks and pathways" }
        p {
            (defs.framework().name) ": " (defs.framework().competencies.len()) " competencies, "
            (defs.achievements().len()) " achievements, " (defs.stacks().len()) " stacks, "
            (defs.roles().len()) " roles. "
            a href={ "/api/v1/orgs/" (org) "/definitions" } { "Download JSON" }
            " · "
            a href={ "/api/v1/orgs/" (org) "/definitions?format=case" } { "Download the framework as CASE" }
            " · "
            a href="/admin/framework/versions" { "Compare versions" }
        }
        @if p.is_admin {
            p #add-items {
                a href="/admin/framework/achievements/new" { "Add an achievement" } " · "
                a href="/admin/framework/stacks/new" { "Add a stack" } " · "
                a href="/admin/framework/roles/new" { "Add a role" } " · "
                a #logo-link href="/admin/logo" { "The organization's logo" }
            }
        }
        details {
            summary { "Micro-credentials and certificates" }
            table {
                thead { tr { th { "Id" } th { "Name" } th { "Type" } th { "Aligned to" } @if p.is_admin { th { "Edit" } } } }
                tbody {
                    @for a in defs.achievements() {
                        @let aligned: Vec<&str> = a.alignments.iter().filter_map(|c| defs.competency(c.as_str()).map(|c| c.name.as_str())).collect();
                        tr {
                            td { code { (a.id.as_str()) } }
                            td { a href={ "/orgs/" (org) "/achievements/" (a.id.as_str()) } { (a.name) } }
                            td { (kind(&a.achievement_type)) }
                            td { (aligned.join(", ")) }
                            @if p.is_admin { td { (edit_link("achievements", a.id.as_str(), &a.name)) } }
                        }
                    }
                }
            }
        }
        details {
            summary { "Stacks" }
            table {
                thead { tr { th { "Id" } th { "Name" } th { "Parts" } th { "Awards" } @if p.is_admin { th { "Edit" } } } }
                tbody {
                    @for s in defs.stacks() {
                        tr {
                            td { code { (s.id.as_str()) } }
                            td { (s.name) }
                            td { (s.required.len()) " required, " (s.min_electives) " of " (s.electives.len()) " electives" }
                            td { (s.awards.as_ref().map(|a| achievement_name(defs, a.as_str())).unwrap_or_else(|| "—".into())) }
                            @if p.is_admin { td { (edit_link("stacks", s.id.as_str(), &s.name)) } }
                        }
                    }
                }
            }
        }
        details {
            summary { "Roles" }
            table {
                thead { tr { th { "Id" } th { "Name" } th { "Transitions" } @if p.is_admin { th { "Edit" } } } }
                tbody {
                    @for r in defs.roles() {
                        tr {
                            td { code { (r.id.as_str()) } }
                            td { (r.name) }
                            td { (r.transitions.len()) }
                            @if p.is_admin { td { (edit_link("roles", r.id.as_str(), &r.name)) } }
                        }
                    }
                }
            }
        }
        @if p.is_admin {
            h3 { "Import or edit" }
            form method="post" action="/admin/definitions" enctype="multipart/form-data" {
                (super::csrf_field(p.form_token))
                label for="definitions-file" { "Upload a definitions JSON file" }
                input #definitions-file type="file" name="file" accept=".json,application/json";
                details {
                    summary { "…or edit them as JSON (for power users)" }
                    label for="definitions" { "Definitions (JSON)" }
                    textarea #definitions name="definitions" { (p.defs_json) }
                }
                p { button type="submit" { "Validate and save a new version" } }
            }
        } @else {
            p.muted { "Only an organization admin can change definitions." }
        }
        h2 { "Bulk issue" }
        form method="post" action="/admin/bulk" enctype="multipart/form-data" {
            (super::csrf_field(p.form_token))
            label for="rows" {
                "CSV with columns " code { "achievement,recipient" } " (and optionally "
                code { "valid_until" } "); recipient is an email or " code { "educator:<id>" }
            }
            input #rows type="file" name="rows" accept=".csv,text/csv" required;
            label for="suite" { "Proof suite" }
            select #suite name="suite" {
                option { "eddsa-jcs-2022" }
                option { "eddsa-rdfc-2022" }
            }
            p { button type="submit" { "Issue all" } }
        }
        h2 #recent { "Recent credentials" }
        (credential_search(""))
        (credential_table(defs, p.credentials))
        p { a href="/admin/credentials" { "All credentials: search and pages" } }
        h2 { "Signing keys" }
        table {
            thead { tr { th { "Issuer" } th { "Key" } th { "State" } } }
            tbody {
                @for k in &p.keys {
                    tr { td { (k.issuer) } td { code { (k.key_id) } } td { (key_state(k.retired)) } }
                }
            }
        }
        @if p.is_admin {
            p { a.button #rotate-key href="/admin/keys/rotate" { "Rotate the signing key…" } }
            (endorsers(p))
            (super::privacy::deletion_requests(&p.deletion_requests, p.form_token))
            (super::members::members_section(&p.members, p.form_token))
            (super::accounts::invitations_section(&p.invitations, p.open_enrollment, &p.sign_up_url, p.form_token))
        }
    }
}

/// The link to one item's form.
fn edit_link(section: &str, id: &str, name: &str) -> Markup {
    html! {
        a href={ "/admin/framework/" (section) "/" (id) } aria-label={ "Edit " (name) } { "Edit" }
    }
}

/// Who endorses as which career role, by an admin's grant (a role an educator reaches counts
/// without one). Granting and revoking are logged.
fn endorsers(p: &AdminPage<'_>) -> Markup {
    html! {
        h2 #endorsers { "Endorsers" }
        p {
            "An endorsement counts for the role its endorser holds in this organization: one their "
            "own educator record has reached, or one granted here (for example to a master mentor "
            "whose record is elsewhere). Grants and revocations are recorded in the transparency log."
        }
        table #endorser-grants {
            thead { tr { th { "User" } th { "Endorses as" } th { "Actions" } } }
            tbody {
                @for g in &p.endorsers {
                    tr data-grant=(g.grant) {
                        td { (g.user) }
                        td { (p.defs.role(&g.role).map(|r| r.name.as_str()).unwrap_or(&g.role)) " " code { (g.role) } }
                        td {
                            form.status-action method="post" action={ "/admin/endorsers/" (g.grant) "/revoke" } {
                                (super::csrf_field(p.form_token))
                                button type="submit" { "Revoke" }
                            }
                        }
                    }
                }
            }
        }
        form method="post" action="/admin/endorsers" {
            (super::csrf_field(p.form_token))
            label for="endorser-user" { "User (sign-in email or user id; a member of this organization)" }
            input #endorser-user name="user" required;
            label for="endorser-role" { "Endorses as" }
            select #endorser-role name="role" required {
                @for r in p.defs.roles() { option value=(r.id.as_str()) { (r.name) } }
            }
            p { button type="submit" { "Grant" } }
        }
    }
}

/// The search form of the credential list (it works without JavaScript: a GET form).
pub fn credential_search(q: &str) -> Markup {
    html! {
        form.search method="get" action="/admin/credentials" role="search" {
            label for="credential-search" { "Search by recipient, achievement or credential id" }
            input #credential-search type="search" name="q" value=(q) size="40";
            " "
            button type="submit" { "Search" }
        }
    }
}

/// The holder of a listed credential, as people read it: name and email, or why there is none.
fn holder(c: &CredentialListing) -> Markup {
    html! {
        @match (&c.holder_name, &c.holder_email) {
            (Some(n), Some(e)) if !n.eq_ignore_ascii_case(e) => { (n) br; span.muted { (e) } }
            (_, Some(e)) => (e),
            (Some(n), None) => (n),
            (None, None) => {
                @if c.record.educator_id.is_none() && c.record.achievement_id.is_empty() {
                    span.muted { "No educator record (issued through the VC-API)" }
                } @else {
                    span.muted { "Erased on request" }
                }
            }
        }
    }
}

/// The credentials table: recipient, full id, achievement, issued date, status, and the status
/// actions, each of which opens a confirmation page first.
pub fn credential_table(defs: &Definitions, rows: &[CredentialListing]) -> Markup {
    html! {
        table #credentials {
            thead { tr { th { "Recipient" } th { "Credential id" } th { "Achievement" } th { "Issued" } th { "Status" } th { "Actions" } } }
            tbody {
                @for c in rows {
                    @let r = &c.record;
                    @let status = r.status.as_str();
                    tr data-credential=(r.id) data-status=(status) {
                        td.holder data-label="Recipient" { (holder(c)) }
                        td data-label="Id" { a href={ "/credentials/" (r.id) } { code.wrap { (r.id) } } }
                        td data-label="Achievement" {
                            @if r.achievement_id.is_empty() { "A document signed through the VC-API" }
                            @else { (achievement_name(defs, &r.achievement_id)) }
                        }
                        td data-label="Issued" { (date(r.issued_ms)) }
                        td data-label="Status" { (credential_status_word(status)) }
                        td {
                            @if status == "active" {
                                (action_link(&r.id, "revoke", "Revoke…"))
                                @if r.suspension.is_some() { " " (action_link(&r.id, "suspend", "Suspend…")) }
                            } @else if status == "suspended" {
                                (action_link(&r.id, "reinstate", "Reinstate…"))
                                " " (action_link(&r.id, "revoke", "Revoke…"))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn action_link(id: &str, action: &str, label: &str) -> Markup {
    html! {
        a.action href={ "/admin/credentials/" (id) "/status?action=" (action) } data-action=(action) { (label) }
    }
}

/// Everything the full credential list shows.
pub struct CredentialList<'a> {
    pub defs: &'a Definitions,
    pub rows: &'a [CredentialListing],
    /// What was searched for.
    pub q: &'a str,
    /// 1-based page number and page size.
    pub page: u64,
    pub per_page: u64,
    /// Matches in all.
    pub total: u64,
}

/// A link to another page of the list, keeping the search.
fn page_href(q: &str, page: u64) -> String {
    let mut s = format!("/admin/credentials?page={page}");
    if !q.is_empty() {
        s.push_str("&q=");
        s.push_str(&crate::web::urlencode_component(q));
    }
    s
}

/// The issuer's credentials, searched and paged (newest first).
pub fn credential_list_page(p: &CredentialList<'_>) -> Markup {
    let first = (p.page - 1) * p.per_page + 1;
    let last = (first + p.rows.len() as u64).saturating_sub(1);
    let pages = p.total.div_ceil(p.per_page).max(1);
    html! {
        h1 { "Credentials" }
        p { a href="/admin" { "Back to issuer admin" } }
        (credential_search(p.q))
        p #list-summary role="status" {
            @if p.total == 0 {
                @if p.q.is_empty() { "No credentials issued yet." }
                @else { "No credential matches “" (p.q) "”." }
            } @else {
                "Showing " (first) "–" (last) " of " (p.total)
                @if !p.q.is_empty() { " matching “" (p.q) "”" }
                " (newest first)."
            }
        }
        @if !p.rows.is_empty() { (credential_table(p.defs, p.rows)) }
        @if pages > 1 {
            nav.pager aria-label="Pages" {
                @if p.page > 1 { a rel="prev" href=(page_href(p.q, p.page - 1)) { "← Newer" } " " }
                span { "Page " (p.page) " of " (pages) }
                @if p.page < pages { " " a rel="next" href=(page_href(p.q, p.page + 1)) { "Older →" } }
            }
        }
    }
}

/// What a status change will do, for its confirmation page.
pub struct StatusConfirmation<'a> {
    pub id: &'a str,
    pub action: &'a str,
    pub achievement: String,
    /// The holder in words.
    pub holder: String,
    pub issued_ms: i64,
    pub form_token: Option<&'a str>,
    /// A reason typed before (kept when the page comes back with an error).
    pub reason: &'a str,
    /// Why the last attempt was refused.
    pub error: Option<&'a str>,
}

/// The confirmation step of a revocation, suspension or reinstatement: names the credential
/// and what will happen, asks for the reason, and posts only when confirmed.
pub fn status_confirmation_page(c: &StatusConfirmation<'_>) -> Markup {
    let (title, button, consequence) = match c.action {
        "revoke" => (
            "Revoke this credential?",
            "Revoke the credential",
            "Revoking cannot be undone. Anyone who verifies it from now on will see it as revoked. The revocation is recorded in the transparency log; its reason stays in the audit trail.",
        ),
        "suspend" => (
            "Suspend this credential?",
            "Suspend the credential",
            "While suspended it verifies as suspended. You can reinstate it later; both changes are recorded in the transparency log.",
        ),
        _ => (
            "Reinstate this credential?",
            "Reinstate the credential",
            "It will verify as valid again; the change is recorded in the transparency log.",
        ),
    };
    html! {
        h1 { (title) }
        section.card #confirm-what {
            dl.summary {
                dt { "Achievement" } dd { (c.achievement) }
                dt { "Recipient" } dd { (c.holder) }
                dt { "Issued" } dd { (date(c.issued_ms)) }
                dt { "Credential id" } dd { code.wrap { (c.id) } }
            }
        }
        p #consequence { (consequence) }
        form method="post" action={ "/admin/credentials/" (c.id) "/status" } {
            (super::csrf_field(c.form_token))
            input type="hidden" name="action" value=(c.action);
            @if c.action != "reinstate" {
                label for="reason" { "Reason (kept in the audit trail; the holder may be told)" }
                @if let Some(e) = c.error { p.field-error #error-reason role="alert" { (e) } }
                input #reason name="reason" required size="40" value=(c.reason);
            }
            p {
                button type="submit" { (button) }
                " "
                a href="/admin/credentials" { "Cancel" }
            }
        }
    }
}

/// The confirmation step of a key rotation: which issuer, which key signs now, what changes.
pub fn key_rotation_confirmation_page(
    issuer: &str,
    current_key: Option<&str>,
    form_token: Option<&str>,
) -> Markup {
    html! {
        h1 { "Rotate the signing key?" }
        p #consequence {
            "A new key will sign every credential " (issuer) " issues from now on. "
            @if let Some(k) = current_key { "The current key (" code { (k) } ") is retired: " }
            "credentials it signed keep verifying, because retired keys stay in the issuer's DID document. "
            "The rotation is recorded in the transparency log, and every server of this deployment uses the new key within a second."
        }
        form method="post" action="/admin/keys/rotate" {
            (super::csrf_field(form_token))
            p {
                button type="submit" { "Rotate the key" }
                " "
                a href="/admin" { "Cancel" }
            }
        }
    }
}
