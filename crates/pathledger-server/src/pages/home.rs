//! The home page: what Pathledger is, then one section per audience (earn, verify, hire,
//! issue), each with its next step, and the career roles anyone can read about.

use maud::{html, Markup};

/// A career role's public page, for the home page's list.
pub struct RoleLink {
    pub org: String,
    pub org_name: String,
    pub id: String,
    pub name: String,
    pub description: String,
}

pub fn home_page(roles: &[RoleLink], signed_in: bool) -> Markup {
    html! {
        h1 { "Pathledger" }
        p.lead { "Career pathways for educators, built from credentials anyone can check: stackable micro-credentials issued as signed Open Badges 3.0, recorded in a public, tamper-evident log." }
        div.grid.audiences {
            section.card.audience #earn aria-labelledby="earn-title" {
                h2 #earn-title { "Earn" }
                p { "Switching careers into teaching, or growing as an educator? Earn micro-credentials one at a time, watch them stack into certificates, and see exactly what the next role asks of you." }
                p.next {
                    a href="/pathways" { "See the roles and how to reach them" }
                    @if !signed_in { " · " a href="/join" { "Join your organization" } }
                    @else { " · " a href="/dashboard" { "Your dashboard" } }
                }
            }
            section.card.audience #verify aria-labelledby="verify-title" {
                h2 #verify-title { "Verify" }
                p { "A district checking a candidate's credential gets one clear answer: valid, revoked, expired, tampered, or an issuer we do not know. One credential, or a whole roster at once." }
                p.next { a href="/verify" { "Verify a credential" } " · " a href="/verify/bulk" { "Verify a roster" } }
            }
            section.card.audience #hire aria-labelledby="hire-title" {
                h2 #hire-title { "Hire" }
                p { "Looking for a guide, an integrator or a master mentor? Find educators who chose to be visible, by the role they reached or the credential they hold, and check what they show you." }
                p.next { a href="/communities" { "Find educators by role" } }
            }
            section.card.audience #issue aria-labelledby="issue-title" {
                h2 #issue-title { "Issue" }
                p { "Districts, preparation programs and training providers define their competencies, micro-credentials, stacks and roles, then issue, renew and revoke credentials that verify anywhere." }
                p.next {
                    @if signed_in { a href="/admin" { "Issuer admin" } }
                    @else { a href="/login" { "Sign in to issue" } }
                    " · " a href="/docs" { "The API" }
                    " · " a href="/log" { "The transparency log" }
                }
            }
        }
        @if !roles.is_empty() {
            h2 #roles-title { "Career roles" }
            p { "Each role says what it takes to get there, in plain words." }
            ul.role-list aria-labelledby="roles-title" {
                @for r in roles {
                    li {
                        a href={ "/orgs/" (r.org) "/roles/" (r.id) } { (r.name) }
                        @if !r.description.is_empty() { span.muted { " — " (r.description) } }
                        @if roles.iter().any(|o| o.org != r.org) { span.muted { " (" (r.org_name) ")" } }
                    }
                }
            }
        }
    }
}
