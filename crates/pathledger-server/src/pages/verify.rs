//! The public verify page and verification reports: each check in plain words, one verdict.

use maud::{html, Markup};
use pathledger_badges::{PresentationReport, VerificationReport};

use super::format::{check_status, check_title, verdict_badge};

fn css_code(code: &str) -> &str {
    match code {
        "valid" | "tampered" | "revoked" | "suspended" | "expired" | "not_yet_valid"
        | "unknown_issuer" | "malformed" | "could_not_check" | "unsupported_format" => code,
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

/// Render a presentation's report: who presents, the presentation's own checks, then each
/// credential it carries with its own report.
pub fn render_presentation(report: &PresentationReport) -> Markup {
    let pill = if report.verified { "valid" } else { "tampered" };
    html! {
        section.card aria-live="polite" {
            h2 { "Presentation" }
            p { (verdict_pill(pill, true)) }
            p { (report.message) }
            @if let Some(h) = &report.holder {
                p { "Presented by " code.wrap { (h) } }
            }
            table {
                thead { tr { th { "Check" } th { "Result" } th { "What it means" } } }
                tbody {
                    @for c in &report.checks {
                        @let status = c.status.code();
                        @let (icon, word) = check_status(status);
                        tr {
                            th scope="row" { (presentation_check_title(c.check)) }
                            td class={ "check-" (status) } { span aria-hidden="true" { (icon) } " " (word) }
                            td { (c.message) }
                        }
                    }
                }
            }
        }
        @for (i, r) in report.credentials.iter().enumerate() {
            h2 { "Credential " (i + 1) " of " (report.credentials.len()) }
            (render_report(r))
        }
    }
}

fn presentation_check_title(check: &str) -> &'static str {
    match check {
        "well_formed" => "Well-formed presentation",
        "holder_proof" => "Holder's signature",
        "holder_binding" => "Holder is the subject",
        _ => "Check",
    }
}

/// What the verify page shows after a submission.
pub enum VerifyResult<'a> {
    /// A credential's report.
    Credential(&'a VerificationReport),
    /// A presentation's report.
    Presentation(&'a PresentationReport),
}

/// The verify form (paste or upload), optionally followed by a report.
pub fn verify_page(
    prefill: &str,
    result: Option<VerifyResult<'_>>,
    form_token: Option<&str>,
) -> Markup {
    html! {
        h1 { "Verify a credential" }
        p { "Paste an Open Badges credential (3.0, or 2.0), a signed token, a presentation of credentials or a link to one, or upload its file or badge image (PNG or SVG). Every check is shown in plain words." }
        @match result {
            Some(VerifyResult::Credential(r)) => (render_report(r)),
            Some(VerifyResult::Presentation(p)) => (render_presentation(p)),
            None => {}
        }
        form method="post" action="/verify" enctype="multipart/form-data" {
            (super::csrf_field(form_token))
            label for="credential" { "Credential, presentation, signed token or link" }
            textarea #credential name="credential" { (prefill) }
            label for="file" { "…or upload a credential file or badge image" }
            input #file type="file" name="file" accept=".json,.jsonld,.jwt,.jws,.png,.svg,application/json,application/ld+json,image/png,image/svg+xml";
            p { button type="submit" { "Verify" } }
        }
    }
}
