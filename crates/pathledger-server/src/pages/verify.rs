//! The public verify page and verification reports: each check in plain words, one verdict.

use maud::{html, Markup};
use pathledger_badges::VerificationReport;

use super::format::{check_status, check_title, verdict_badge};

fn css_code(code: &str) -> &str {
    match code {
        "valid" | "tampered" | "revoked" | "suspended" | "expired" | "not_yet_valid"
        | "unknown_issuer" | "malformed" | "could_not_check" => code,
        _ => "malformed",
    }
}

/// A verdict pill for tables and cards.
pub fn verdict_pill(code: &str, big: bool) -> Markup {
    let (icon, label) = verdict_badge(code);
    let c = css_code(code);
    let class = format!("verdict verdict-{c}{}", if big { " big" } else { "" });
    html! {
        span class=(class) data-verdict=(c) { span aria-hidden="true" { (icon) } " " (label) }
    }
}

/// Render one verification report as HTML.
pub fn render_report(report: &VerificationReport) -> Markup {
    html! {
        section.card aria-live="polite" {
            p { (verdict_pill(report.verdict.code(), true)) }
            p { (report.message) }
            table {
                thead { tr { th { "Check" } th { "Result" } th { "What it means" } } }
                tbody {
                    @for c in &report.checks {
                        @let status = c.status.code();
                        @let (icon, word) = check_status(status);
                        tr {
                            th scope="row" { (check_title(c.check.code())) }
                            td class={ "check-" (status) } { span aria-hidden="true" { (icon) } " " (word) }
                            td { (c.message) }
                        }
                    }
                }
            }
        }
    }
}

/// The verify form (paste or upload), optionally followed by a report.
pub fn verify_page(
    prefill: &str,
    report: Option<&VerificationReport>,
    form_token: Option<&str>,
) -> Markup {
    html! {
        h1 { "Verify a credential" }
        p { "Paste an Open Badges 3.0 credential, upload its file, or open a link to it. Every check is shown in plain words." }
        @if let Some(r) = report { (render_report(r)) }
        form method="post" action="/verify" enctype="multipart/form-data" {
            (super::csrf_field(form_token))
            label for="credential" { "Credential JSON" }
            textarea #credential name="credential" { (prefill) }
            label for="file" { "…or upload a credential file" }
            input #file type="file" name="file" accept=".json,application/json,application/ld+json";
            p { button type="submit" { "Verify" } }
        }
    }
}
