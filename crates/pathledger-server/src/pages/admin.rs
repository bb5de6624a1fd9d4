//! The issuer admin page: definitions, bulk issuance, recent credentials and their status,
//! signing keys, endorser grants, members (`members.rs`).

use maud::{html, Markup};
use pathledger_core::Definitions;
use pathledger_store::{CredentialRecord, Member};

use super::format::{achievement_name, key_state, kind};

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
    pub credentials: &'a [CredentialRecord],
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
        h2 { "Framework, micro-credentials, stacks and pathways" }
        p {
            (defs.framework().name) ": " (defs.framework().competencies.len()) " competencies, "
            (defs.achievements().len()) " achievements, " (defs.stacks().len()) " stacks, "
            (defs.roles().len()) " roles. "
            a href={ "/api/v1/orgs/" (org) "/definitions" } { "Download JSON" }
            " · "
            a href={ "/api/v1/orgs/" (org) "/definitions?format=case" } { "Download the framework as CASE" }
        }
        details {
            summary { "Micro-credentials and certificates" }
            table {
                thead { tr { th { "Id" } th { "Name" } th { "Type" } th { "Aligned to" } } }
                tbody {
                    @for a in defs.achievements() {
                        @let aligned: Vec<&str> = a.alignments.iter().filter_map(|c| defs.competency(c.as_str()).map(|c| c.name.as_str())).collect();
                        tr {
                            td { code { (a.id.as_str()) } }
                            td { a href={ "/orgs/" (org) "/achievements/" (a.id.as_str()) } { (a.name) } }
                            td { (kind(&a.achievement_type)) }
                            td { (aligned.join(", ")) }
                        }
                    }
                }
            }
        }
        details {
            summary { "Stacks" }
            table {
                thead { tr { th { "Id" } th { "Name" } th { "Parts" } th { "Awards" } } }
                tbody {
                    @for s in defs.stacks() {
                        tr {
                            td { code { (s.id.as_str()) } }
                            td { (s.name) }
                            td { (s.required.len()) " required, " (s.min_electives) " of " (s.electives.len()) " electives" }
                            td { (s.awards.as_ref().map(|a| a.as_str()).unwrap_or("—")) }
                        }
                    }
                }
            }
        }
        details {
            summary { "Roles" }
            table {
                thead { tr { th { "Id" } th { "Name" } th { "Transitions" } } }
                tbody {
                    @for r in defs.roles() {
                        tr {
                            td { code { (r.id.as_str()) } }
                            td { (r.name) }
                            td { (r.transitions.len()) }
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
        h2 { "Recent credentials" }
        table #credentials {
            thead { tr { th { "Credential" } th { "Achievement" } th { "Status" } th { "Actions" } } }
            tbody {
                @for c in p.credentials {
                    @let status = c.status.as_str();
                    tr data-credential=(c.id) data-status=(status) {
                        td { a href={ "/credentials/" (c.id) } { (c.id.get(9..17).unwrap_or(&c.id)) } }
                        td { (achievement_name(defs, &c.achievement_id)) }
                        td { (status) }
                        td {
                            @if status == "active" {
                                (status_form(p.form_token, &c.id, "revoke", "Revoke"))
                                @if c.suspension.is_some() { (status_form(p.form_token, &c.id, "suspend", "Suspend")) }
                            } @else if status == "suspended" {
                                (status_form(p.form_token, &c.id, "reinstate", "Reinstate"))
                                (status_form(p.form_token, &c.id, "revoke", "Revoke"))
                            }
                        }
                    }
                }
            }
        }
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
            form method="post" action="/admin/keys/rotate" {
                (super::csrf_field(p.form_token))
                button type="submit" { "Rotate the signing key" }
            }
            (endorsers(p))
            (super::privacy::deletion_requests(&p.deletion_requests, p.form_token))
            (super::members::members_section(&p.members, p.form_token))
            (super::accounts::invitations_section(&p.invitations, p.open_enrollment, &p.sign_up_url, p.form_token))
        }
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

/// One status action on one credential (a reason is asked for all but reinstatement).
fn status_form(form_token: Option<&str>, id: &str, action: &str, label: &str) -> Markup {
    html! {
        form.status-action method="post" action={ "/admin/credentials/" (id) "/status" } {
            (super::csrf_field(form_token))
            input type="hidden" name="action" value=(action);
            @if action != "reinstate" {
                input name="reason" aria-label={ "Reason to " (label) } placeholder="Reason" required size="18";
                " "
            }
            button type="submit" { (label) }
        }
    }
}
