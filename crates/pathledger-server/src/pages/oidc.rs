//! OpenID Connect sign-in on the pages: the sign-in page's buttons (one per organization with a
//! provider) and the page a refused sign-in ends on.

use maud::{html, Markup};
use pathledger_store::OrgId;

use crate::app::App;

/// The organizations people can sign in through, with their button labels (by label). A store
/// failure is logged and shows no buttons: the sign-in page still offers its other ways.
pub async fn sign_in_choices(app: &App) -> Vec<(OrgId, String)> {
    match pathledger_app::oidc::sign_in_choices(app).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "OIDC sign-in choices unavailable");
            Vec::new()
        }
    }
}

/// "Sign in with {label}" links, one per choice; nothing when there are none.
pub fn oidc_buttons(choices: &[(OrgId, String)]) -> Markup {
    html! {
        @if !choices.is_empty() {
            ul.oidc-sign-in aria-label="Sign in with your organization's account" {
                @for (org, label) in choices {
                    li {
                        a.button href={ "/login/oidc/" (crate::web::urlencode_component(org.as_str())) } {
                            "Sign in with " (label)
                        }
                    }
                }
            }
        }
    }
}

/// A sign-in through a provider that did not work, and what to do instead.
pub fn refused(message: &str) -> Markup {
    html! {
        h1 { "Sign-in not completed" }
        p role="alert" #oidc-refused { (message) }
        p { a href="/login" { "Back to sign in" } }
    }
}
