//! The public verify page and verification reports: each check in plain words, one verdict.

use maud::{html, Markup};
use pathledger_app::holder::StatusChange;
use pathledger_badges::{EmailMatch, PresentationReport, VerificationReport};

use super::format::{
    check_status, check_title, day_text, email_match_code, email_match_sentence,
    status_change_sentence, verdict_badge,
};

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

/// What and whose, before the checks: the achievement, the holder (their name when the
/// issuer disclosed it), the issuer's name and the dates, read from the credential itself
/// (Open Badges 3.0, VC 1.1 dates too).
pub fn credential_summary(doc: &serde_json::Value) -> Markup {
    credential_summary_named(doc, None)
}

/// [`credential_summary`], with the holder's name when the viewer may know it though the
/// credential does not disclose it (the issuing organization's staff).
pub fn credential_summary_named(doc: &serde_json::Value, known_holder: Option<&str>) -> Markup {
    use serde_json::Value;
    let subject = match &doc["credentialSubject"] {
        Value::Array(a) => a.first().cloned().unwrap_or_default(),
        other => other.clone(),
    };
    let achievement = subject["achievement"]["name"]
        .as_str()
        .or(doc["name"].as_str())
        .unwrap_or("A credential");
    let holder = subject["name"].as_str().or(known_holder);
    let issuer = doc["issuer"]["name"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| "an issuer that gives no name".to_owned());
    let issued = doc["validFrom"]
        .as_str()
        .or(doc["issuanceDate"].as_str())
        .map(day_text);
    let expires = doc["validUntil"]
        .as_str()
        .or(doc["expirationDate"].as_str())
        .map(day_text);
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
                details {
                    summary { "Technical details: who presents" }
                    p { "Presented by " code.wrap { (h) } }
                }
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
    /// A credential's report, with what the page knows beside it.
    Credential(CredentialResult<'a>),
    /// A presentation's report.
    Presentation(&'a PresentationReport),
}

/// A credential's verification as the verify page shows it.
pub struct CredentialResult<'a> {
    /// The report.
    pub report: &'a VerificationReport,
    /// The credential, when it is a document (pasted, uploaded, or ours named by a link or id).
    pub doc: Option<&'a serde_json::Value>,
    /// When and why a credential of ours was revoked or suspended.
    pub status_change: Option<&'a StatusChange>,
    /// The holder's name, when the viewer may know it.
    pub holder: Option<&'a str>,
    /// What the holder's email form sends back to verify the same credential again.
    pub reference: String,
    /// The holder's email check, when one was asked.
    pub email: Option<EmailCheck<'a>>,
}

/// An email a verifier typed and how it compares with the holder's.
pub struct EmailCheck<'a> {
    /// As typed (shown back in its field).
    pub typed: &'a str,
    /// The comparison, or why the address was not compared (shown beside the field).
    pub outcome: Result<EmailMatch, String>,
}

/// "Revoked on 6 December 2026, 14:05 UTC. The issuer's reason: …"
fn status_change_note(c: &StatusChange) -> Markup {
    html! {
        p #status-change {
            strong { (status_change_sentence(c.status, c.at_ms)) }
            @if let Some(r) = &c.reason {
                " The issuer's reason: " (r)
            } @else {
                " The issuer gave no reason."
            }
        }
    }
}

/// The identifiers behind the names, folded away: the issuer's DID or address, the signing
/// keys and the credential's id.
pub fn technical_details(doc: &serde_json::Value) -> Markup {
    use serde_json::Value;
    let issuer = match doc.get("issuer") {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(o) => o.get("id").and_then(Value::as_str),
        None => None,
    };
    let keys: Vec<&str> = match doc.get("proof") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|p| p.get("verificationMethod").and_then(Value::as_str))
            .collect(),
        Some(p) => p
            .get("verificationMethod")
            .and_then(Value::as_str)
            .into_iter()
            .collect(),
        None => Vec::new(),
    };
    let id = doc.get("id").and_then(Value::as_str);
    html! {
        details #technical {
            summary { "Technical details: identifiers" }
            dl.summary {
                @if let Some(i) = issuer { dt { "Issuer's identifier" } dd { code.wrap { (i) } } }
                @for k in &keys { dt { "Signing key" } dd { code.wrap { (k) } } }
                @if let Some(i) = id { dt { "Credential id" } dd { code.wrap { (i) } } }
            }
        }
    }
}

/// The "check this email belongs to the holder" form and its answer. The answer never shows
/// the address the credential holds, only whether the typed one is it.
fn email_form(reference: &str, check: Option<&EmailCheck<'_>>, form_token: Option<&str>) -> Markup {
    let error = check.and_then(|c| c.outcome.as_ref().err());
    html! {
        section.card #holder-email aria-label="Check the holder's email" {
            h2 { "Check this email belongs to the holder" }
            p { "Type the email address the applicant gave you. We compare it with the credential's recipient without showing the address the credential holds." }
            form method="post" action="/verify" enctype="multipart/form-data" {
                (super::csrf_field(form_token))
                input type="hidden" name="credential" value=(reference);
                label for="email" { "Email address" }
                @if let Some(e) = error {
                    p.field-error #email-error { (e) }
                    input #email type="email" name="email" autocomplete="off" aria-invalid="true" aria-describedby="email-error" value=(check.map(|c| c.typed).unwrap_or(""));
                } @else {
                    input #email type="email" name="email" autocomplete="off" value=(check.map(|c| c.typed).unwrap_or(""));
                }
                p { button type="submit" { "Check the email" } }
            }
            @if let Some(EmailCheck { typed, outcome: Ok(m) }) = check {
                p #email-result role="status" data-match=(email_match_code(*m)) {
                    (email_match_sentence(*m, typed))
                }
            }
        }
    }
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
            Some(VerifyResult::Credential(c)) => {
                @if let Some(d) = c.doc { (credential_summary_named(d, c.holder)) }
                @if let Some(s) = c.status_change { (status_change_note(s)) }
                (render_report(c.report))
                @if let Some(d) = c.doc {
                    (email_form(&c.reference, c.email.as_ref(), form_token))
                    (technical_details(d))
                }
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
