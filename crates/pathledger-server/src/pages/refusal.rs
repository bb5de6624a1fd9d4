//! A refusal explained in words on a page, with a way back.

use maud::{html, Markup};

/// `detail` says what went wrong; `field`, which form field it was about; `back`, where to go.
pub fn refusal_page(title: &str, detail: &str, field: Option<&str>, back: &str) -> Markup {
    html! {
        h1 { (title) }
        p.card #error role="alert" {
            (detail)
            @if let Some(f) = field { " (field " code { (f) } ")" }
        }
        p { a href=(back) { "Back" } }
    }
}
