//! Signing in with an access token.

use maud::{html, Markup};

pub fn login_page() -> Markup {
    html! {
        h1 { "Sign in" }
        form method="post" action="/login" {
            label for="token" { "Access token" }
            input #token name="token" type="password" autocomplete="current-password" required size="60";
            p { button type="submit" { "Sign in" } }
        }
        p.muted { "The demo prints a token for each demo user when the server starts." }
    }
}

/// The answer to a token that is not valid.
pub fn login_refused() -> Markup {
    html! {
        h1 { "Sign in" }
        p role="alert" { "That token is not valid." }
        p { a href="/login" { "Try again" } }
    }
}
