//! Signing in: by an emailed link (people), or with an access token (the demo, machines).

use maud::{html, Markup};

/// The sign-in form; `form_token` when a session is already signed in.
pub fn login_page(form_token: Option<&str>, providers: Markup) -> Markup {
    html! {
        h1 { "Sign in" }
        (providers)
        section aria-labelledby="by-email" {
            h2 #by-email { "With your email" }
            p { "We email you a link that signs you in, in this browser." }
            (super::accounts::email_form("", form_token))
        }
        section aria-labelledby="by-token" {
            h2 #by-token { "With an access token" }
            form method="post" action="/login" {
                (super::csrf_field(form_token))
                label for="token" { "Access token" }
                input #token name="token" type="password" autocomplete="current-password" required size="60";
                p { button type="submit" { "Sign in" } }
            }
            p.muted { "The demo prints a token for each demo user when the server starts." }
        }
        p { "New here? " a href="/join" { "Sign up" } " with an organization that takes sign-ups, or ask your organization's administrator for an invitation." }
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

/// The answer while the visitor's address is locked out after too many failed sign-ins.
pub fn login_throttled(retry_after_secs: u64) -> Markup {
    let minutes = retry_after_secs.div_ceil(60);
    html! {
        h1 { "Sign in" }
        p role="alert" #throttled {
            "Too many failed sign-ins from your address. Try again in "
            (minutes) @if minutes == 1 { " minute." } @else { " minutes." }
        }
    }
}
