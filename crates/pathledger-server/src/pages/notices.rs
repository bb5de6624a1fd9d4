//! The notice choices page (the unsubscribe link of every notice).

use maud::{html, Markup};
use pathledger_app::notify::NoticeChoices;

use super::csrf_field;

/// The choices of `choices.email`, as a form posting back to the same link; `saved` adds the
/// sentence saying what is now on.
pub fn choices_page(
    token: &str,
    choices: &NoticeChoices,
    saved: Option<()>,
    form_token: Option<&str>,
) -> Markup {
    let on: Vec<&str> = choices
        .kinds
        .iter()
        .filter(|(_, on)| *on)
        .map(|(k, _)| k.describe())
        .collect();
    html! {
        h1 { "Your notices" }
        p { "Notices by mail to " strong { (choices.email) } "." }
        @if saved.is_some() {
            p.card #notice role="status" {
                @if on.is_empty() {
                    "Saved: you get no notices by mail now. You can turn them on again here at any time."
                } @else {
                    "Saved: you get notices " (on.join("; ").to_lowercase()) "."
                }
            }
        }
        form method="post" action=(format!("/notifications/{token}")) {
            (csrf_field(form_token))
            fieldset {
                legend { "Send me a message" }
                @for (kind, enabled) in &choices.kinds {
                    p {
                        label {
                            input type="checkbox" name=(kind.as_str()) value="on" checked[*enabled];
                            " " (kind.describe())
                        }
                    }
                }
            }
            p {
                button type="submit" { "Save my choices" }
                " "
                button type="submit" name="all_off" value="on" { "Turn every notice off" }
            }
        }
    }
}
