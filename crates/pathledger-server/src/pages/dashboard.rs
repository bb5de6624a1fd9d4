//! The educator dashboard: where I am and my next step first (current role, the next role up,
//! the certificate in progress with each missing part linked to its criteria and to its
//! evidence form), what was reached since the last visit, then the held credentials
//! re-verified (with downloads), endorsements, progress on every role and the plan.

use maud::{html, Markup};
use pathledger_app::progress::{Certificate, Part, Standing};
use pathledger_core::{Definitions, Evaluation, Plan};
use pathledger_store::Milestone;

use super::format::{achievement_name, and_list, day, parts_held, role_name, standing_words};
use super::pathways::{plan_section, progress_section, requirement_list, role_href};
use super::verify::verdict_pill;

/// One held credential and its verification just now.
pub struct HeldRow {
    pub id: String,
    pub achievement_id: String,
    pub achievement: String,
    /// The credential's achievement image when this site hosts it (pages load images from
    /// this site only).
    pub image: Option<String>,
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
    /// The educator's organization (links to its definitions and role pages).
    pub org: &'a str,
    /// Where the educator stands (the same numbers as the map).
    pub standing: &'a Standing,
    /// Roles and certificates reached since the last visit, announced once.
    pub announcements: Vec<Milestone>,
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
        @for m in &d.announcements {
            p.card.milestone role="status" data-milestone=(m.subject_id) {
                strong { (milestone_words(d.defs, m)) }
            }
        }
        (next_step(d))
        h2 { "Credentials" }
        p.muted { "Each credential was re-verified just now (signature, status, expiry)." }
        p.downloads {
            a.button #wallet-zip href={ "/dashboard/wallet.zip?org=" (crate::web::urlencode_component(d.org)) } { "Download all credentials (ZIP)" } " "
            a.button href={ "/api/v1/educators/" (eid) "/clr" } { "Download wallet (CLR 2.0)" } " "
            a.button href="/evidence" { "Submit evidence" }
        }
        table #credentials {
            thead { tr { th { "Credential" } th { "Issued" } th { "Expires" } th { "Verdict" } th { "Details" } } }
            tbody {
                @for c in &d.held {
                    tr data-achievement=(c.achievement_id) {
                        td {
                            div.with-badge {
                                (super::images::badge_image(c.image.as_deref(), &c.achievement, 40, false))
                                div {
                                    a href={ "/credentials/" (c.id) } { (c.achievement) }
                                    br;
                                    a.download href={ "/credentials/" (c.id) "/download" } aria-label={ "Download " (c.achievement) " (JSON file)" } { "Download" }
                                    @if c.verdict == "valid" {
                                        " · "
                                        a.claim href={ "/credentials/" (c.id) "/claim" } aria-label={ "Add " (c.achievement) " to a wallet" } { "Add to a wallet" }
                                    }
                                }
                            }
                        }
                        td { "Issued " (day(c.issued_ms)) }
                        td {
                            @match c.valid_until_ms {
                                Some(ms) => { "Expires " (day(ms)) },
                                None => "Does not expire",
                            }
                        }
                        td { (verdict_pill(c.verdict, false)) }
                        td {
                            (c.message)
                            @if let Some(todo) = what_to_do(c.verdict) { " " strong.todo { (todo) } }
                            @if c.verdict == "expired" && d.defs.is_earnable(&c.achievement_id) {
                                " " a href={ "/evidence?achievement=" (crate::web::urlencode_component(&c.achievement_id)) } { "Submit new evidence" }
                            }
                        }
                    }
                }
            }
        }
        p { a href={ "/api/v1/educators/" (eid) "/progress" } { "Download progress (JSON)" } }
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
        (progress_section(d.defs, d.org, d.eval, d.standing))
        h2 #plan-heading { "Plan to a target role" }
        form method="get" action="/dashboard" {
            label for="target" { "Target role" }
            select #target name="target" {
                @for r in d.defs.roles() {
                    option value=(r.id.as_str()) selected[r.id.as_str() == d.target] {
                        (r.name)
                        @if d.standing.next.as_deref() == Some(r.id.as_str()) { " (your next step)" }
                    }
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

/// "You reached Novice Teacher on 6 December 2026."
fn milestone_words(defs: &Definitions, m: &Milestone) -> String {
    match m.kind.as_str() {
        "role" => format!(
            "You reached {} on {}.",
            role_name(defs, &m.subject_id),
            day(m.reached_ms)
        ),
        _ => format!(
            "You completed the {} certificate on {}.",
            defs.stack(&m.subject_id)
                .map_or(m.subject_id.as_str(), |s| s.name.as_str()),
            day(m.reached_ms)
        ),
    }
}

/// Where I am and my next step: the current role, the next role up, the certificate in
/// progress with its parts held and missing.
fn next_step(d: &Dashboard<'_>) -> Markup {
    let s = d.standing;
    html! {
        section #next-step aria-labelledby="next-step-heading" {
            h2 #next-step-heading { "Where you are and your next step" }
            p #current-role {
                @match &s.current {
                    Some(c) => { "You are " strong { a href=(role_href(d.org, c)) { (role_name(d.defs, c)) } } "." }
                    None => "You have not reached a role on the map yet.",
                }
            }
            @match &s.next {
                Some(n) => p #next-role {
                    "Your next step: " strong { a href=(role_href(d.org, n)) { (role_name(d.defs, n)) } }
                    " (" (standing_words(s.role(n))) ")."
                },
                None => p #next-role { "You have reached the top of the map: no role is ahead of you." },
            }
            @if let Some(c) = &s.certificate {
                (certificate(d, c))
            } @else if let Some(t) = s.next.as_deref().and_then(|n| next_transition(d, n)) {
                div.card #next-requirements {
                    h3 { "What " (role_name(d.defs, t.to.as_str())) " asks for" }
                    (requirement_list(d.defs, &t.requires))
                }
            }
        }
    }
}

/// The way into `next` from the current role (else the closest way in).
fn next_transition<'a>(
    d: &'a Dashboard<'_>,
    next: &str,
) -> Option<&'a pathledger_core::TransitionStatus> {
    let r = d.eval.role(next)?;
    r.transitions
        .iter()
        .find(|t| d.standing.current.as_deref() == Some(t.from.as_str()))
        .or_else(|| {
            r.transitions
                .iter()
                .max_by(|a, b| a.progress.total_cmp(&b.progress))
        })
}

/// A part's name: a micro-credential's, or a certificate's.
fn part_name(defs: &Definitions, p: &Part) -> String {
    match p {
        Part::Achievement(a) => achievement_name(defs, a),
        Part::Stack(s) => defs
            .stack(s)
            .map_or(s.clone(), |s| format!("the {} certificate", s.name)),
    }
}

/// One missing part: its name linked to its criteria, and "submit evidence for this".
fn missing_part(d: &Dashboard<'_>, p: &Part) -> Markup {
    html! {
        @match p {
            Part::Achievement(a) => {
                a href={ "/orgs/" (crate::web::urlencode_component(d.org)) "/achievements/" (crate::web::urlencode_component(a)) } { (achievement_name(d.defs, a)) }
                " "
                a.button.small href={ "/evidence?achievement=" (crate::web::urlencode_component(a)) } aria-label={ "Submit evidence for " (achievement_name(d.defs, a)) } { "Submit evidence for this" }
            }
            Part::Stack(st) => {
                (part_name(d.defs, p))
                @if let Some(inner) = pathledger_app::progress::certificate(d.defs, d.eval, st) {
                    " (" (inner.have) " of " (inner.total) " parts; its missing parts: "
                    (and_list(&inner.missing.iter().chain(inner.elective_choices.iter()).map(|p| part_name(d.defs, p)).collect::<Vec<_>>()))
                    ")"
                }
            }
        }
    }
}

fn certificate(d: &Dashboard<'_>, c: &Certificate) -> Markup {
    let name = d
        .defs
        .stack(&c.stack)
        .map_or(c.stack.as_str(), |s| s.name.as_str());
    html! {
        div.card #certificate data-stack=(c.stack) data-have=(c.have) data-total=(c.total) {
            h3 { "Certificate in progress: " (parts_held(name, c.have, c.total)) }
            svg.progress role="progressbar" aria-valuemin="0" aria-valuemax=(c.total) aria-valuenow=(c.have) aria-label={ (name) " parts held" }
                viewBox={ "0 0 " (c.total.max(1)) " 1" } preserveAspectRatio="none" {
                rect width=(c.have) height="1" {}
            }
            @if !c.missing.is_empty() || c.electives_short > 0 {
                h4 { "Still missing" }
                ul #missing-parts {
                    @for p in &c.missing {
                        li data-part=(part_id(p)) { (missing_part(d, p)) }
                    }
                    @if c.electives_short > 0 {
                        li #electives {
                            (c.electives_short) " more of these electives:"
                            ul {
                                @for p in &c.elective_choices {
                                    li data-part=(part_id(p)) { (missing_part(d, p)) }
                                }
                            }
                        }
                    }
                }
            }
            @if !c.held.is_empty() {
                h4 { "Held" }
                ul #held-parts {
                    @for p in &c.held { li data-part=(part_id(p)) { "✔ " (part_name(d.defs, p)) } }
                }
            }
        }
    }
}

fn part_id(p: &Part) -> &str {
    match p {
        Part::Achievement(a) | Part::Stack(a) => a,
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
