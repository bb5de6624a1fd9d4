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
/// A day from an XML Schema date-time (`2026-12-06T…`): `6 December 2026`, or the text as
/// given when it does not parse.
fn day_of(text: &str) -> String {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| format!("{} {} {}", t.day(), t.month(), t.year()))
        .unwrap_or_else(|_| text.to_owned())
}

/// What and whose, before the checks: the achievement, the holder (their name when the
/// issuer disclosed it), the issuer's name and the dates, read from the credential itself
/// (Open Badges 3.0, VC 1.1 dates too).
pub fn credential_summary(doc: &serde_json::Value) -> Markup {
    use serde_json::Value;
    let subject = match &doc["credentialSubject"] {
        Value::Array(a) => a.first().cloned().unwrap_or_default(),
        other => other.clone(),
    };
    let achievement = subject["achievement"]["name"]
        .as_str()
        .or(doc["name"].as_str())
        .unwrap_or("A credential");
    let holder = subject["name"].as_str();
    let issuer = doc["issuer"]["name"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| "an issuer that gives no name".to_owned());
    let issued = doc["validFrom"]
        .as_str()
        .or(doc["issuanceDate"].as_str())
        .map(day_of);
    let expires = doc["validUntil"]
        .as_str()
        .or(doc["expirationDate"].as_str())
        .map(day_of);
    html! {
        section.card #summary aria-label="What and whose" {
            h2 { (achievement) }
            dl.summary {
                dt { "Holder" }
                dd {
                    @match holder {
                        Some(n) => (n),
                        None => "Not named by the issuer (the credential identifies its holder by a hashed email address or an identifier)",
                    }
                }
                dt { "Issued by" } dd { (issuer) }
                @if let Some(d) = &issued { dt { "Issued" } dd { (d) } }
                dt { "Expires" }
                dd { @match &expires { Some(d) => (d), None => "Does not expire" } }
            }
        }
    }
}

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
    /// A credential's report, and the credential when it was a document.
    Credential(&'a VerificationReport, Option<&'a serde_json::Value>),
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
            Some(VerifyResult::Credential(r, doc)) => {
                @if let Some(d) = doc { (credential_summary(d)) }
                (render_report(r))
            }
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
