//! The org admin's image form (an achievement's image, the organization's logo): the current
//! image, an upload or a link, the refusal beside the field it names, the typed link kept.

use maud::{html, Markup};

/// One image form.
pub struct ImagePanel<'a> {
    pub title: &'a str,
    /// Where the form posts.
    pub action: &'a str,
    /// The page to go back to.
    pub back: &'a str,
    /// What the image shows (its alternative text).
    pub alt: &'a str,
    /// The current image when it is hosted here (pages load images from this site only).
    pub current_src: Option<&'a str>,
    /// The current image when it is a link elsewhere (shown as a link).
    pub current_link: Option<&'a str>,
    /// The link typed, kept after a refusal.
    pub typed_url: &'a str,
    /// The field refused and why.
    pub error: Option<(&'a str, &'a str)>,
    pub max_mb: usize,
    pub form_token: Option<&'a str>,
    /// The outcome of the last save.
    pub notice: Option<&'a str>,
}

fn error_for(p: &ImagePanel<'_>, field: &str) -> Markup {
    html! {
        @if let Some((f, m)) = p.error {
            @if f == field { p.field-error id={ "error-" (field) } role="alert" { (m) } }
        }
    }
}

pub fn image_page(p: &ImagePanel<'_>) -> Markup {
    let invalid = |field: &str| p.error.is_some_and(|(f, _)| f == field);
    html! {
        h1 { (p.title) }
        p { a href=(p.back) { "Back" } }
        @if let Some(n) = p.notice { p.card #notice role="status" { (n) } }
        @if p.error.is_some() {
            div.card.problems #form-errors role="alert" {
                p { strong { "Not saved. " } "Fix what is marked below." }
            }
        }
        section.card #current-image aria-labelledby="current-title" {
            h2 #current-title { "Now" }
            @match (p.current_src, p.current_link) {
                (Some(src), _) => {
                    img.preview src=(src) alt={ "Image of " (p.alt) } width="120" height="120";
                    p.muted { "Hosted on this site at " code.wrap { (src.split('?').next().unwrap_or(src)) } }
                }
                (None, Some(link)) => p { "A link to an image elsewhere (not loaded here): " a href=(link) rel="noopener" { (link) } }
                (None, None) => p { "No image yet: pages draw an emblem, and credentials carry none." }
            }
        }
        form.item-form method="post" action=(p.action) enctype="multipart/form-data" {
            (super::csrf_field(p.form_token))
            label for="image" { "Upload an image: PNG or SVG, at most " (p.max_mb) " MB" }
            p.hint.muted #image-hint { "SVG files may not contain scripts, event handlers, embedded HTML or references to other sites." }
            (error_for(p, "image"))
            input #image type="file" name="image" accept=".png,.svg,image/png,image/svg+xml"
                aria-invalid=[invalid("image").then_some("true")]
                aria-describedby=[Some(if invalid("image") { "image-hint error-image" } else { "image-hint" })];
            label for="image_url" { "…or give a link to an image (https)" }
            p.hint.muted #image_url-hint { "Kept as given; this site never fetches it, and its pages show it as a link." }
            (error_for(p, "image_url"))
            input #image_url type="url" name="image_url" size="50" value=(p.typed_url)
                aria-invalid=[invalid("image_url").then_some("true")]
                aria-describedby=[Some(if invalid("image_url") { "image_url-hint error-image_url" } else { "image_url-hint" })];
            p { button type="submit" { "Save the image" } " " a href=(p.back) { "Cancel" } }
        }
        @if p.current_src.is_some() || p.current_link.is_some() {
            form method="post" action=(p.action) enctype="multipart/form-data" {
                (super::csrf_field(p.form_token))
                input type="hidden" name="remove" value="1";
                p { button.secondary type="submit" { "Remove the image" } }
            }
        }
    }
}

/// An image URL a page may load: one on this site (the CSP allows images from self only); an
/// image elsewhere stays a link.
pub fn own_image<'a>(url: Option<&'a str>, public_url: &str) -> Option<&'a str> {
    url.filter(|u| {
        u.strip_prefix(public_url)
            .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// An emblem drawn for an achievement without an image we may show: a rosette with the
/// achievement's initials.
pub fn emblem(name: &str, size: u32) -> Markup {
    let initials = pathledger_badges::emblem::initials(name);
    html! {
        svg.emblem aria-hidden="true" viewBox="0 0 120 120" width=(size) height=(size) {
            path d="M38 78 L26 116 L46 106 L56 120 L60 84 Z" fill="#0b5cad" {}
            path d="M82 78 L94 116 L74 106 L64 120 L60 84 Z" fill="#0b5cad" {}
            circle cx="60" cy="50" r="44" fill="#0d2847" {}
            circle cx="60" cy="50" r="36" fill="none" stroke="#f5a623" stroke-width="3" {}
            text.initials x="60" y="61" text-anchor="middle" fill="#fff" { (initials) }
        }
    }
}

/// The achievement's image when this site hosts it (`own`), else its emblem. `alt` empty when
/// the text beside it already names the achievement.
pub fn badge_image(own: Option<&str>, name: &str, size: u32, alt: bool) -> Markup {
    html! {
        @match own {
            Some(src) => img.badge src=(src) alt=(if alt { format!("Badge image of {name}") } else { String::new() }) width=(size) height=(size);
            None => (emblem(name, size)),
        }
    }
}
