//! The public pages of a competency, an achievement and a career role (its requirements in
//! sentences); the admin's forms for achievements, stacks and roles, and the comparison of two
//! versions of the definitions (`framework_forms.rs`).

use maud::{html, Markup};
use pathledger_core::{Achievement, CareerRole, Competency, Condition, Definitions};

use super::format::{achievement_name, describe_condition, kind, role_name};

pub fn competency_page(c: &Competency, framework: &str) -> Markup {
    html! {
        h1 { (c.name) }
        p { "Category: " (kind(&c.category)) }
        p { (c.description) }
        p.muted { "Framework: " (framework) }
    }
}

/// An achievement's public page: its image when this site hosts it (else its emblem, and a link
/// to an image elsewhere), description and criteria.
pub fn achievement_page(
    a: &Achievement,
    own_image: Option<&str>,
    elsewhere: Option<&str>,
) -> Markup {
    html! {
        div.achievement-head {
            (super::images::badge_image(own_image, &a.name, 96, true))
            h1 { (a.name) }
        }
        @if let Some(url) = elsewhere {
            p { a #image-elsewhere href=(url) rel="noopener" { "The badge image (on the issuer's site)" } }
        }
        p { (a.description) }
        h2 { "Criteria" }
        p { (a.criteria) }
    }
}

/// What a role is for, in words.
fn role_kind_words(r: &CareerRole) -> &'static str {
    use pathledger_core::RoleKind as K;
    match r.kind {
        K::OnRamp => "An on-ramp into teaching",
        K::Training => "A training role",
        K::Teaching => "A teaching role",
        K::Specialist => "A specialist role",
        K::Leadership => "A leadership role",
        K::Community => "A community educator role",
    }
}

/// A requirement as a sentence, capitalized.
fn sentence(defs: &Definitions, c: &Condition) -> String {
    // A bare name reads as the role it is often named after: say it is a credential.
    let s = match c {
        Condition::Credential(_) => format!("the credential “{}”", describe_condition(defs, c)),
        Condition::Stack(_) => format!("the certificate “{}”", describe_condition(defs, c)),
        _ => describe_condition(defs, c),
    };
    let mut chars = s.chars();
    match chars.next() {
        Some(f) => f.to_uppercase().chain(chars).collect::<String>() + ".",
        None => s,
    }
}

/// A requirement for a list item: one sentence, or (for "all of" several parts) one line per
/// part, so commas inside a part never blur where one ends.
fn requirement(defs: &Definitions, c: &Condition) -> Markup {
    html! {
        @match c {
            Condition::AllOf(parts) if parts.len() > 1 => {
                "All of these:"
                ul.parts { @for p in parts { li { (sentence(defs, p)) } } }
            }
            _ => (sentence(defs, c)),
        }
    }
}

/// Whether a condition asks for nothing (an empty `all_of`).
fn is_nothing(c: &Condition) -> bool {
    matches!(c, Condition::AllOf(v) if v.is_empty())
}

/// A career role's public page: what it is, how to get there (from each role that leads to it,
/// and directly), what it awards and where it leads, each requirement a sentence.
pub fn role_page(
    defs: &Definitions,
    org: &str,
    r: &CareerRole,
    award_image: Option<&str>,
) -> Markup {
    let from: Vec<(&CareerRole, &Condition)> = defs
        .roles()
        .iter()
        .flat_map(|o| {
            o.transitions
                .iter()
                .filter(|t| t.to == r.id)
                .map(move |t| (o, &t.requires))
        })
        .collect();
    html! {
        h1 { (r.name) }
        p.muted { (role_kind_words(r)) }
        @if !r.description.is_empty() { p { (r.description) } }
        h2 { "How to get here" }
        @if from.is_empty() && r.entry.is_none() {
            p { "No other role leads here yet." }
        }
        ul #requirements {
            @if let Some(e) = &r.entry {
                li data-from="" {
                    @if is_nothing(e) { "Anyone can start here." }
                    @else { strong { "To start here directly: " } (requirement(defs, e)) }
                }
            }
            @for (o, c) in &from {
                li data-from=(o.id.as_str()) {
                    strong { "From " a href={ "/orgs/" (org) "/roles/" (o.id.as_str()) } { (o.name) } ": " }
                    @if is_nothing(c) { "Nothing more is needed." } @else { (requirement(defs, c)) }
                }
            }
        }
        @if let Some(a) = &r.awards {
            p #awards {
                (super::images::badge_image(award_image, &achievement_name(defs, a.as_str()), 48, false))
                " "
                "Reaching this role awards the credential "
                a href={ "/orgs/" (org) "/achievements/" (a.as_str()) } { (achievement_name(defs, a.as_str())) }
                "."
            }
        }
        @if !r.transitions.is_empty() {
            h2 { "Where it leads" }
            ul #next-roles {
                @for t in &r.transitions {
                    li {
                        strong { a href={ "/orgs/" (org) "/roles/" (t.to.as_str()) } { (role_name(defs, t.to.as_str())) } ": " }
                        @if is_nothing(&t.requires) { "Nothing more is needed." } @else { (requirement(defs, &t.requires)) }
                    }
                }
            }
        }
        p { a href="/pathways" { "The whole pathway map" } " · " a href="/login" { "Sign in to see how far along you are" } }
    }
}
