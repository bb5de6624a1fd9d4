//! Server-rendered HTML pages: small, accessible, no JavaScript required.
//!
//! Every page is a `maud` template, one module per feature: text and attribute values are
//! escaped by default, and raw HTML is asked for by name (`PreEscaped`), so each exception is
//! visible. Handlers in `web.rs` and `work.rs` gather plain data and call these functions; what
//! people read (dates, names, verdicts) is worded in [`format`].

pub mod accounts;
pub mod admin;
pub mod bulk_issue;
pub mod bulk_verify;
pub mod certificate;
pub mod claim;
pub mod communities;
pub mod credential;
pub mod dashboard;
pub mod definitions;
pub mod docs;
pub mod endorse;
pub mod evidence;
pub mod format;
pub mod framework_forms;
pub mod home;
pub mod images;
pub mod log;
pub mod login;
pub mod members;
pub mod notices;
pub mod oid4vci;
pub mod oidc;
pub mod pathways;
pub mod privacy;
pub mod refusal;
pub mod review;
pub mod verify;

use maud::{html, Markup, DOCTYPE};

pub const STYLE_CSS: &str = include_str!("../../assets/style.css");

/// The hidden field that carries the session's form token (CSRF defence, [`crate::csrf`]) in
/// every form that posts; nothing when nobody is signed in (such forms need no token).
pub fn csrf_field(form_token: Option<&str>) -> Markup {
    html! {
        @if let Some(t) = form_token {
            input type="hidden" name="_csrf" value=(t);
        }
    }
}

/// What the signed-in person can use, for the menu: only those links are shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Menu {
    /// Has an educator record (dashboard, evidence).
    pub educator: bool,
    /// Reviews evidence (the review queue).
    pub assessor: bool,
    /// Administers or issues for an organization (issuer admin).
    pub admin: bool,
}

/// The page frame shared by every page. `form_token` is the signed-in session's (for the
/// sign-out form). Without a menu only the public links show (a signed-in caller's pages pass
/// theirs through [`layout_with_menu`]).
pub fn layout(
    title: &str,
    signed_in_as: Option<&str>,
    form_token: Option<&str>,
    body: Markup,
) -> Markup {
    layout_with_menu(title, signed_in_as, form_token, Menu::default(), body)
}

/// [`layout`] with the links `menu` allows.
pub fn layout_with_menu(
    title: &str,
    signed_in_as: Option<&str>,
    form_token: Option<&str>,
    menu: Menu,
    body: Markup,
) -> Markup {
    layout_with_stylesheet(title, signed_in_as, form_token, menu, None, body)
}

/// [`layout_with_menu`] plus a page's own stylesheet after the site's (e.g. the certificate's
/// print layout), a path of ours: the CSP allows no other.
pub fn layout_with_stylesheet(
    title: &str,
    signed_in_as: Option<&str>,
    form_token: Option<&str>,
    menu: Menu,
    stylesheet: Option<&str>,
    body: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Pathledger" }
                link rel="stylesheet" href="/assets/style.css";
                @if let Some(href) = stylesheet {
                    link rel="stylesheet" href=(href);
                }
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    a.brand href="/" { "Pathledger" }
                    nav aria-label="Main" {
                        @if menu.educator {
                            a href="/dashboard" { "My dashboard" } " · "
                            a href="/evidence" { "Evidence" } " · "
                        }
                        @if menu.assessor { a href="/review" { "Review" } " · " }
                        @if menu.admin { a href="/admin" { "Issuer admin" } " · " }
                        a href="/pathways" { "Pathway map" } " · "
                        a href="/verify" { "Verify" } " · "
                        a href="/verify/bulk" { "Bulk verify" } " · "
                        a href="/communities" { "Communities" } " · "
                        a href="/log" { "Transparency log" } " · "
                        a href="/docs" { "API" }
                    }
                    span.account {
                        @if let Some(name) = signed_in_as {
                            span { "Signed in as " (name) } " "
                            form.inline method="post" action="/logout" {
                                (csrf_field(form_token))
                                button type="submit" { "Sign out" }
                            }
                        } @else {
                            a href="/login" { "Sign in" }
                        }
                    }
                }
                main #main { (body) }
            }
        }
    }
}
