//! The privacy parts of two pages: the educator's "Your data" section on the dashboard (download
//! everything, ask for deletion) and the org admin's pending deletion requests on /admin.

use maud::{html, Markup};

use super::format::date;

/// A pending deletion request as the admin page lists it.
pub struct DeletionRow {
    pub id: String,
    /// The educator's name and id.
    pub educator: String,
    pub requested_ms: i64,
    pub reason: Option<String>,
}

/// The dashboard's "Your data" section.
pub fn your_data(eid: &str, deletion_pending: bool, form_token: Option<&str>) -> Markup {
    html! {
        h2 #your-data { "Your data" }
        p {
            a href={ "/api/v1/educators/" (eid) "/export" } download { "Download all your data (JSON)" }
            " — your record, facts, evidence, the exact signed credentials and your requests."
        }
        @if deletion_pending {
            p.notice { "You asked for this record to be deleted. An admin of your organization will carry it out." }
        } @else {
            form #deletion-request method="post" action="/dashboard/deletion-request" {
                (super::csrf_field(form_token))
                input type="hidden" name="educator" value=(eid);
                label for="deletion-reason" { "Why (optional)" }
                input #deletion-reason name="reason" maxlength="2000";
                p.muted {
                    "Your credentials will be revoked and your record erased. The public log keeps only "
                    "hashes and ids, never your name or email."
                }
                button type="submit" { "Ask for deletion" }
            }
        }
    }
}

/// The admin page's pending deletion requests, each with a "Carry out" form.
pub fn deletion_requests(rows: &[DeletionRow], form_token: Option<&str>) -> Markup {
    html! {
        h2 #deletion-requests { "Deletion requests" }
        @if rows.is_empty() {
            p.muted { "No pending deletion requests." }
        } @else {
            table {
                thead { tr { th { "Educator" } th { "Asked" } th { "Reason" } th { "" } } }
                tbody {
                    @for r in rows {
                        tr data-request=(r.id) {
                            td { (r.educator) }
                            td { (date(r.requested_ms)) }
                            td { (r.reason.as_deref().unwrap_or("")) }
                            td {
                                form.status-action method="post" action={ "/admin/deletion-requests/" (r.id) "/carry-out" } {
                                    (super::csrf_field(form_token))
                                    button type="submit" { "Carry out" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
