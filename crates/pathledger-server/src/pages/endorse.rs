//! Mentors endorse the qualities and adaptive skills they have observed.

use maud::{html, Markup};
use pathledger_app::endorsers::{EndorserRole, RoleSource};
use pathledger_core::{Category, Competency};
use serde_json::Value;

/// The endorsement form. `educators` are (id, name); `competencies` the endorsable ones; `held`
/// the career roles the signed-in user endorses as (none: the form is replaced by how to get one).
pub fn endorse_page(
    educators: &[(&str, &str)],
    competencies: &[&Competency],
    held: &[EndorserRole],
    form_token: Option<&str>,
) -> Markup {
    html! {
        h1 { "Endorse an educator" }
        p { "Mentors endorse qualities and adaptive skills they have observed. Some roles ask for endorsements from a master mentor or a teacher-leader." }
        @if held.is_empty() {
            p.card #no-endorser-role role="status" {
                "You hold no career role in this organization that an endorsement could count for. "
                "An endorsement counts for a role you have reached here, or one an organization admin "
                "has granted you on the Issuer admin page (Endorsers)."
            }
        } @else {
        form method="post" action="/endorse" {
            (super::csrf_field(form_token))
            label for="educator" { "Educator" }
            select #educator name="educator" required {
                @for (id, name) in educators { option value=(id) { (name) } }
            }
            label for="competency" { "Competency" }
            select #competency name="competency" required {
                @for c in competencies {
                    option value=(c.id.as_str()) {
                        (c.name) " ("
                        @if c.category == Category::Qualities { "quality" } @else { "adaptive skill" }
                        ")"
                    }
                }
            }
            label for="endorser_role" { "You endorse as" }
            select #endorser_role name="endorser_role" required {
                @for r in held {
                    option value=(r.role) {
                        (r.name)
                        @if r.source == RoleSource::Grant { " (granted)" } @else { " (reached)" }
                    }
                }
            }
            label for="comment" { "What you observed" }
            textarea.short #comment name="comment" required {}
            p { button type="submit" { "Endorse" } }
        }
        }
    }
}

/// The signed endorsement credential just issued.
pub fn endorsed_page(signed: &Value) -> Markup {
    let comment = signed
        .pointer("/credentialSubject/endorsementComment")
        .and_then(Value::as_str)
        .unwrap_or("");
    html! {
        h1 { "Endorsement recorded" }
        p.card #notice role="status" { (comment) }
        p { "It is signed as an Open Badges endorsement credential and counts toward the educator's pathway." }
        details {
            summary { "Technical details: the signed endorsement (JSON)" }
            pre tabindex="0" aria-label="The signed endorsement" { (serde_json::to_string_pretty(signed).unwrap_or_default()) }
        }
        p { a href="/endorse" { "Endorse another" } }
    }
}
