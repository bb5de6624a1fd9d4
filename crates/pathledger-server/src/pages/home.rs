//! The home page: what Pathledger is and where to start.

use maud::{html, Markup};

pub fn home_page() -> Markup {
    html! {
        h1 { "Pathledger" }
        p { "Competency frameworks, stackable micro-credentials and career pathways for educators, issued as signed Open Badges 3.0 credentials and recorded in a tamper-evident transparency log." }
        div.grid {
            a.card href="/pathways" { strong { "Pathway map" } br; "See every role and how to reach it." }
            a.card href="/dashboard" { strong { "My dashboard" } br; "Your credentials, progress and plan." }
            a.card href="/verify" { strong { "Verify a credential" } br; "Paste, upload or open a link." }
            a.card href="/verify/bulk" { strong { "District bulk verify" } br; "A whole roster at once." }
        }
    }
}
