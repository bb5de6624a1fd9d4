//! Communities of practice: visible educators by role, and a search for hiring and mentoring.

use maud::{html, Markup};
use pathledger_core::Definitions;

/// One listed educator and their public, currently valid credentials as (id, name).
pub struct Member {
    pub name: String,
    pub credentials: Vec<(String, String)>,
}

fn member_table(rows: &[Member]) -> Markup {
    html! {
        table #members {
            thead { tr { th { "Educator" } th { "Public credentials" } } }
            tbody {
                @for m in rows {
                    tr {
                        td { (m.name) }
                        td {
                            @for (i, (id, name)) in m.credentials.iter().enumerate() {
                                @if i > 0 { ", " }
                                a href={ "/credentials/" (id) } { (name) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The communities page; `role` and `credential` are the search's filters, `results` its
/// answer when one was asked.
pub fn communities_page(
    defs: &Definitions,
    role: Option<&str>,
    credential: Option<&str>,
    results: Option<&[Member]>,
) -> Markup {
    html! {
        h1 { "Communities of practice" }
        p { "Find peers and mentors by role. Educators choose who sees them: members of their organization, or anyone. Each is listed with their currently valid credentials." }
        ul {
            @for r in defs.roles() {
                li { a href={ "/communities/" (r.id.as_str()) } { (r.name) } }
            }
        }
        h2 { "Search (for hiring and mentoring)" }
        form method="get" action="/communities" {
            label for="role" { "Role reached" }
            select #role name="role" {
                option value="" { "Any role" }
                @for r in defs.roles() {
                    option value=(r.id.as_str()) selected[role == Some(r.id.as_str())] { (r.name) }
                }
            }
            label for="credential" { "Holds the credential" }
            select #credential name="credential" {
                option value="" { "Any credential" }
                @for a in defs.achievements() {
                    option value=(a.id.as_str()) selected[credential == Some(a.id.as_str())] { (a.name) }
                }
            }
            p { button type="submit" { "Search" } }
        }
        @if let Some(rows) = results {
            section.card {
                h2 { "Results" }
                p #result-count { (rows.len()) " educator(s) found." }
                (member_table(rows))
            }
        }
    }
}

/// One role's community.
pub fn community_page(role_name: &str, rows: &[Member]) -> Markup {
    html! {
        h1 { (role_name) " community" }
        p { "Educators who hold this role and chose to be seen by you." }
        (member_table(rows))
    }
}
