//! Mentors endorse the qualities and adaptive skills they have observed.

use maud::{html, Markup};
use pathledger_app::endorsements::Endorsed;
use pathledger_app::endorsers::{EndorserRole, RoleSource};
use pathledger_core::{Category, Competency};
use serde_json::Value;

use super::format::endorsed_sentence;

/// What a refused endorsement form sent, and why it was refused (`field` names the input).
pub struct Draft<'a> {
    pub educator: &'a str,
    pub competency: &'a str,
    pub endorser_role: &'a str,
    pub comment: &'a str,
    pub field: Option<&'a str>,
    pub message: &'a str,
}

/// The refusal's message beside `field` when it is the one refused (or, for one that names no
/// field of this form, beside the first).
fn field_error(draft: Option<&Draft<'_>>, field: &str) -> Markup {
    let known = ["educator", "competency", "endorser_role", "comment"];
    html! {
        @if let Some(d) = draft {
            @let here = match d.field {
                Some(f) if known.contains(&f) => f == field,
                _ => field == "educator",
            };
            @if here {
                p.field-error id={ "error-" (field) } role="alert" { (d.message) }
            }
        }
    }
}

/// The endorsement form. `educators` are (id, name); `competencies` the endorsable ones; `held`
/// the career roles the signed-in user endorses as (none: the form is replaced by how to get one);
/// `draft` a refused form's input, shown back.
pub fn endorse_page(
    educators: &[(&str, &str)],
    competencies: &[&Competency],
    held: &[EndorserRole],
    draft: Option<&Draft<'_>>,
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
            (field_error(draft, "educator"))
            select #educator name="educator" required {
                @for (id, name) in educators {
                    option value=(id) selected[draft.is_some_and(|d| d.educator == *id)] { (name) }
                }
            }
            label for="competency" { "Competency" }
            (field_error(draft, "competency"))
            select #competency name="competency" required {
                @for c in competencies {
                    option value=(c.id.as_str()) selected[draft.is_some_and(|d| d.competency == c.id.as_str())] {
                        (c.name) " ("
                        @if c.category == Category::Qualities { "quality" } @else { "adaptive skill" }
                        ")"
                    }
                }
            }
            label for="endorser_role" { "You endorse as" }
            (field_error(draft, "endorser_role"))
            select #endorser_role name="endorser_role" required {
                @for r in held {
                    option value=(r.role) selected[draft.is_some_and(|d| d.endorser_role == r.role.as_str())] {
                        (r.name)
                        @if r.source == RoleSource::Grant { " (granted)" } @else { " (reached)" }
                    }
                }
            }
            label for="comment" { "What you observed" }
            (field_error(draft, "comment"))
            textarea.short #comment name="comment" required { (draft.map_or("", |d| d.comment)) }
            p { button type="submit" { "Endorse" } }
        }
        }
    }
}

/// The endorsement just recorded: a sentence, and the signed credential folded away.
pub fn endorsed_page(done: &Endorsed) -> Markup {
    let comment = done
        .signed
        .pointer("/credentialSubject/endorsementComment")
        .and_then(Value::as_str)
        .unwrap_or("");
    html! {
        h1 { "Endorsement recorded" }
        p.card #notice role="status" {
            (endorsed_sentence(&done.educator, &done.competency, &done.endorser_role, done.at_ms))
        }
        p { "It is signed as an Open Badges endorsement credential whose subject is " (done.educator) ", and it counts toward their pathway." }
        @if !comment.is_empty() {
            h2 { "What the endorsement says" }
            blockquote #comment-text { (comment) }
        }
        details {
            summary { "Technical details: the signed endorsement (JSON)" }
            pre tabindex="0" aria-label="The signed endorsement" { (serde_json::to_string_pretty(&done.signed).unwrap_or_default()) }
        }
        p { a href="/endorse" { "Endorse another" } " · " a href="/review" { "Back to your review queue" } }
    }
}
