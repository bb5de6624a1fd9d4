//! Communities of practice: visible educators by role, a search for hiring and mentoring (with
//! near matches when nothing matches exactly), and the educator's own community profile form.

use maud::{html, Markup};
use pathledger_app::communities::{Found, Listed};
use pathledger_core::Definitions;
use pathledger_store::{CommunityProfile, CommunityVisibility};

/// One of the signed-in educator's records and the profile they set for it.
pub struct OwnProfile {
    pub educator_id: String,
    pub visibility: CommunityVisibility,
    pub profile: CommunityProfile,
    /// Years as typed, when a refused form comes back.
    pub typed_years: Option<String>,
    /// The refused field and why.
    pub error: Option<(String, String)>,
}

/// What the search asked and found.
#[derive(Default)]
pub struct SearchView<'a> {
    pub role: Option<&'a str>,
    pub credential: Option<&'a str>,
    pub words: Option<&'a str>,
    pub found: Option<&'a Found>,
}

/// School, years and how to reach them, when the educator shares them.
fn profile_cell(p: Option<&CommunityProfile>) -> Markup {
    html! {
        @match p {
            Some(p) => {
                @if let Some(s) = &p.school { span.profile-school { (s) } br; }
                @if let Some(y) = p.years {
                    span.profile-years { (y) " " (if y == 1 { "year" } else { "years" }) " of experience" } br;
                }
                @if let Some(c) = &p.contact { span.profile-contact { "Reach them: " (c) } }
            }
            None => span.muted { "Not shared" },
        }
    }
}

fn member_table(rows: &[Listed]) -> Markup {
    html! {
        table #members {
            thead { tr { th { "Educator" } th { "Roles reached" } th { "Public credentials" } th { "School, experience, contact" } } }
            tbody {
                @for m in rows {
                    tr data-educator=(m.educator_id) {
                        td data-label="Educator" { (m.name) }
                        td data-label="Roles reached" { (m.roles.join(", ")) }
                        td data-label="Public credentials" {
                            @for (i, (id, name)) in m.credentials.iter().enumerate() {
                                @if i > 0 { ", " }
                                a href={ "/credentials/" (id) } { (name) }
                            }
                        }
                        td data-label="School, experience, contact" { (profile_cell(m.profile.as_ref())) }
                    }
                }
            }
        }
    }
}

fn field_error(o: &OwnProfile, field: &str) -> Markup {
    html! {
        @if let Some((f, m)) = &o.error {
            @if f == field || (field == "school" && !["school", "years", "contact"].contains(&f.as_str())) {
                p.field-error id={ "error-" (field) } role="alert" { (m) }
            }
        }
    }
}

/// The educator's own profile form (one per record).
fn own_form(o: &OwnProfile, form_token: Option<&str>) -> Markup {
    let p = &o.profile;
    let years = o
        .typed_years
        .clone()
        .or_else(|| p.years.map(|y| y.to_string()))
        .unwrap_or_default();
    let seen_by = match o.visibility {
        CommunityVisibility::Public => "You are listed in communities for anyone.",
        CommunityVisibility::Organization => {
            "You are listed in communities for members of your organization."
        }
        _ => "You are not listed in communities (change this on your dashboard); nothing here is shown until you are.",
    };
    html! {
        section.card #own-profile aria-label="Your community profile" {
            h2 { "Your community profile" }
            p { (seen_by) " Your school, experience and contact are shown only if you tick “Show these”." }
            form method="post" action="/communities/profile" {
                (super::csrf_field(form_token))
                input type="hidden" name="educator" value=(o.educator_id);
                label for="school" { "School" }
                (field_error(o, "school"))
                input #school name="school" maxlength="200" value=(p.school.as_deref().unwrap_or(""));
                label for="years" { "Years of experience" }
                (field_error(o, "years"))
                input #years name="years" inputmode="numeric" size="4" value=(years);
                label for="contact" { "How to reach you (an email address, phone or link)" }
                (field_error(o, "contact"))
                input #contact name="contact" maxlength="200" value=(p.contact.as_deref().unwrap_or(""));
                p {
                    label.inline for="shared" {
                        input #shared type="checkbox" name="shared" value="yes" checked[p.shared];
                        " Show these to people who can see me in communities"
                    }
                }
                p { button type="submit" { "Save my profile" } }
            }
        }
    }
}

/// The communities page: the role communities, the search and its answer, and the signed-in
/// educator's own profile form.
pub fn communities_page(
    defs: &Definitions,
    s: &SearchView<'_>,
    own: &[OwnProfile],
    notice: Option<&str>,
    form_token: Option<&str>,
) -> Markup {
    html! {
        h1 { "Communities of practice" }
        @if let Some(n) = notice { p.card #notice role="status" { (n) } }
        p { "Find peers and mentors by role. Educators choose who sees them: members of their organization, or anyone. Each is listed with their currently valid credentials, and with their school, experience and contact when they chose to share them." }
        ul {
            @for r in defs.roles() {
                li { a href={ "/communities/" (r.id.as_str()) } { (r.name) } }
            }
        }
        h2 { "Search (for hiring and mentoring)" }
        form method="get" action="/communities" {
            label for="q" { "Name or specialty" }
            input #q type="search" name="q" value=(s.words.unwrap_or(""));
            label for="role" { "Role reached" }
            select #role name="role" {
                option value="" { "Any role" }
                @for r in defs.roles() {
                    option value=(r.id.as_str()) selected[s.role == Some(r.id.as_str())] { (r.name) }
                }
            }
            label for="credential" { "Holds the credential" }
            select #credential name="credential" {
                option value="" { "Any credential" }
                @for a in defs.achievements() {
                    option value=(a.id.as_str()) selected[s.credential == Some(a.id.as_str())] { (a.name) }
                }
            }
            p { button type="submit" { "Search" } }
        }
        @if let Some(found) = s.found {
            section.card #results {
                h2 { "Results" }
                @if found.near && !found.members.is_empty() {
                    p #near-matches {
                        "Nothing matches “" (s.words.unwrap_or("")) "” exactly. "
                        (found.members.len()) " near " (if found.members.len() == 1 { "match" } else { "matches" }) ":"
                    }
                } @else {
                    p #result-count {
                        (found.members.len()) " " (if found.members.len() == 1 { "educator" } else { "educators" }) " found."
                    }
                }
                @if !found.members.is_empty() { (member_table(&found.members)) }
            }
        }
        @for o in own { (own_form(o, form_token)) }
    }
}

/// One role's community.
pub fn community_page(role_name: &str, rows: &[Listed]) -> Markup {
    html! {
        h1 { (role_name) " community" }
        p { "Educators who hold this role and chose to be seen by you." }
        (member_table(rows))
    }
}
