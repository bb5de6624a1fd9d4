//! The educator dashboard: held credentials re-verified, endorsements, progress on every role
//! and the plan to a target role.

use maud::{html, Markup};
use pathledger_core::{Definitions, Evaluation, Plan};

use super::pathways::{plan_section, progress_section};
use super::verify::verdict_pill;

/// One held credential and its verification just now.
pub struct HeldRow {
    pub id: String,
    pub achievement_id: String,
    pub achievement: String,
    pub verdict: &'static str,
    pub message: String,
    /// When it was issued (milliseconds since the epoch).
    pub issued_ms: i64,
    /// When it stops being valid, if ever.
    pub valid_until_ms: Option<i64>,
}

/// What the holder can do about a credential that no longer counts.
fn what_to_do(verdict: &str) -> Option<&'static str> {
    match verdict {
        "expired" => Some("Renew it: submit new evidence for this micro-credential."),
        "revoked" => Some("The issuer withdrew it. Contact your organization's issuer if you think this is a mistake."),
        "suspended" => Some("The issuer paused it. Contact your organization's issuer to find out why and when it may be reinstated."),
        _ => None,
    }
}

/// Whether an endorsement came as a signed credential, and its verdict.
pub enum EndorsementProof {
    /// Recorded without a credential.
    Unsigned,
    /// The endorsement credential's verdict code.
    Verdict(&'static str),
    /// Signed, but no report came back.
    Unchecked,
}

/// One endorsement received.
pub struct EndorsementRow {
    pub competency: String,
    pub endorser_role: String,
    pub comment: String,
    pub proof: EndorsementProof,
}

/// Everything the dashboard shows.
pub struct Dashboard<'a> {
    /// The session's form token.
    pub form_token: Option<&'a str>,
    pub name: &'a str,
    pub educator_id: &'a str,
    pub held: Vec<HeldRow>,
    pub endorsements: Vec<EndorsementRow>,
    pub defs: &'a Definitions,
    pub eval: &'a Evaluation,
    /// The role the plan leads to (selected in the form).
    pub target: &'a str,
    /// The plan, or why there is none.
    pub plan: Result<Plan, String>,
    /// Who sees this educator in communities of practice (their choice, changed here).
    pub community: pathledger_store::CommunityVisibility,
    /// Whether the educator has asked for deletion and it is still pending.
    pub deletion_pending: bool,
    /// A one-time notice from the form just posted.
    pub notice: Option<&'a str>,
}

pub fn dashboard_page(d: &Dashboard<'_>) -> Markup {
    let eid = d.educator_id;
    html! {
        h1 { (d.name) "'s dashboard" }
        @if let Some(n) = d.notice { p.card #notice role="status" { (n) } }
        h2 { "Credentials" }
        p.muted { "Each credential was re-verified just now (signature, status, expiry)." }
        table #credentials {
            thead { tr { th { "Credential" } th { "Issued" } th { "Expires" } th { "Verdict" } th { "Details" } } }
            tbody {
                @for c in &d.held {
                    tr data-achievement=(c.achievement_id) {
                        td { a href={ "/credentials/" (c.id) } { (c.achievement) } }
                        td { "Issued " (super::format::day(c.issued_ms)) }
                        td {
                            @match c.valid_until_ms {
                                Some(ms) => { "Expires " (super::format::day(ms)) },
                                None => "Does not expire",
                            }
                        }
                        td { (verdict_pill(c.verdict, false)) }
                        td {
                            (c.message)
                            @if let Some(todo) = what_to_do(c.verdict) { " " strong.todo { (todo) } }
                        }
                    }
                }
            }
        }
        p {
            a.button href={ "/api/v1/educators/" (eid) "/progress" } { "Download progress (JSON)" } " "
            a.button href={ "/api/v1/educators/" (eid) "/clr" } { "Download wallet (CLR 2.0)" } " "
            a.button href="/evidence" { "Submit evidence" }
        }
        h2 { "Endorsements" }
        table #endorsements {
            thead { tr { th { "Competency" } th { "Endorser's role" } th { "Comment" } th { "Credential" } } }
            tbody {
                @for e in &d.endorsements {
                    tr {
                        td { (e.competency) }
                        td { (e.endorser_role) }
                        td { (e.comment) }
                        td {
                            @match e.proof {
                                EndorsementProof::Unsigned => span.muted { "recorded without a credential" },
                                EndorsementProof::Verdict(v) => (verdict_pill(v, false)),
                                EndorsementProof::Unchecked => {}
                            }
                        }
                    }
                }
            }
        }
        (progress_section(d.defs, d.eval))
        h2 { "Plan to a target role" }
        form method="get" action="/dashboard" {
            label for="target" { "Target role" }
            select #target name="target" {
                @for r in d.defs.roles() {
                    option value=(r.id.as_str()) selected[r.id.as_str() == d.target] { (r.name) }
                }
            }
            " "
            button type="submit" { "Show plan" }
        }
        section #plan {
            @match &d.plan {
                Ok(p) => (plan_section(d.defs, p)),
                Err(e) => p { (e) },
            }
        }
        (community_form(eid, d.community, d.form_token))
        (super::privacy::your_data(eid, d.deletion_pending, d.form_token))
    }
}

/// The educator's choice of who sees them in communities of practice.
fn community_form(
    eid: &str,
    current: pathledger_store::CommunityVisibility,
    form_token: Option<&str>,
) -> Markup {
    use pathledger_store::CommunityVisibility as V;
    let choices = [
        (V::Hidden, "Nobody: do not list me"),
        (V::Organization, "Members of my organization"),
        (
            V::Public,
            "Anyone, including visitors who are not signed in",
        ),
    ];
    html! {
        h2 { "Communities of practice" }
        form #community method="post" action="/dashboard/community" {
            (super::csrf_field(form_token))
            input type="hidden" name="educator" value=(eid);
            label for="visibility" { "Who sees me and my valid credentials in communities of practice" }
            select #visibility name="visibility" {
                @for (v, label) in choices {
                    option value=(v.as_str()) selected[v == current] { (label) }
                }
            }
            " "
            button type="submit" { "Save" }
        }
    }
}

/// The dashboard of a signed-in account that is not an educator's.
pub fn not_an_educator() -> Markup {
    html! {
        h1 { "Dashboard" }
        p { "This account is not an educator account." }
    }
}
