//! A credential's printable certificate: what and whose, the dates, the id, the status when
//! checked, and the verify link as text and QR code. `assets/certificate.css` prints it on one
//! landscape page (A4 or Letter) without the site's navigation; the PDF draws the same facts.

use maud::{html, Markup};
use serde_json::Value;
use time::OffsetDateTime;

use super::credential::{qr_svg, Shown};
use super::format;

/// What a certificate shows, read from the credential and its verification just now.
pub struct Certificate {
    /// The credential's id.
    pub id: String,
    /// The achievement's name.
    pub achievement: String,
    /// The achievement's description, if any.
    pub description: Option<String>,
    /// The holder's name, when the viewer may know it (`App::holder_name`).
    pub holder: Option<String>,
    /// The issuer's name, if the credential gives one.
    pub issuer: Option<String>,
    /// The issuer's logo, only when it is served by this deployment (the CSP allows no other).
    pub logo: Option<String>,
    /// When it was issued.
    pub issued: Option<OffsetDateTime>,
    /// When it expires.
    pub expires: Option<OffsetDateTime>,
    /// The public verify page of this credential (also the QR code's content).
    pub verify_url: String,
    /// The verdict code of the verification just now (`valid`, `revoked` …).
    pub verdict: String,
    /// Why, in a sentence, when it is not valid.
    pub verdict_message: String,
    /// When it was checked.
    pub checked: OffsetDateTime,
}

impl Certificate {
    /// The certificate of `doc` (credential `id`), verified as `report` says, at `checked`;
    /// `holder` is the holder's name as the viewer may know it.
    pub fn of(
        id: &str,
        doc: &Value,
        report: &pathledger_badges::VerificationReport,
        holder: Option<String>,
        verify_url: String,
        public_url: &str,
        checked: OffsetDateTime,
    ) -> Certificate {
        let shown = Shown::of(doc);
        let text = |v: &Value| {
            v.as_str()
                .map(str::to_owned)
                .filter(|s| !s.trim().is_empty())
        };
        let issuer_image =
            text(&doc["issuer"]["image"]["id"]).or_else(|| text(&doc["issuer"]["image"]));
        Certificate {
            id: id.to_owned(),
            achievement: shown.achievement,
            description: shown.description,
            holder,
            issuer: shown.issuer,
            logo: issuer_image.filter(|u| u.starts_with(&format!("{public_url}/"))),
            issued: shown.issued,
            expires: shown.expires,
            verify_url,
            verdict: report.verdict.code().to_owned(),
            verdict_message: report.message.clone(),
            checked,
        }
    }

    /// Whether it verified as valid when checked.
    pub fn valid(&self) -> bool {
        self.verdict == "valid"
    }

    /// The issuer's name as the certificate words it.
    pub fn issuer_name(&self) -> &str {
        self.issuer
            .as_deref()
            .unwrap_or("An issuer that gives no name")
    }

    /// The holder as the certificate words them.
    pub fn holder_name(&self) -> &str {
        self.holder
            .as_deref()
            .unwrap_or("The holder of this credential")
    }

    /// The issue date as people read it.
    pub fn issued_day(&self) -> String {
        self.issued
            .as_ref()
            .map(day)
            .unwrap_or_else(|| "Not stated".into())
    }

    /// The expiry date as people read it.
    pub fn expires_day(&self) -> String {
        self.expires
            .as_ref()
            .map(day)
            .unwrap_or_else(|| "Does not expire".into())
    }

    /// The status line: the verdict and the day it was checked.
    pub fn status_line(&self) -> String {
        format!(
            "{} when checked on {}",
            format::verdict_badge(&self.verdict).1,
            day(&self.checked)
        )
    }
}

fn day(t: &OffsetDateTime) -> String {
    format::day((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// The certificate page: the certificate, then (on screen only) the PDF download and the way
/// back to the credential.
pub fn certificate_page(c: &Certificate, pdf_href: &str, credential_href: &str) -> Markup {
    html! {
        nav.certificate-actions.no-print aria-label="Certificate" {
            a.button #download-pdf href=(pdf_href) download { "Download PDF" }
            " "
            a href=(credential_href) { "Back to the credential" }
            p.muted { "To print it, use your browser's Print command: the certificate fits one landscape page." }
        }
        article.certificate #certificate aria-labelledby="certificate-title" {
            div.certificate-frame {
                @if !c.valid() {
                    p.certificate-warning #not-valid role="status" {
                        strong { "Not valid: " }
                        (format::verdict_badge(&c.verdict).1) ". " (c.verdict_message)
                    }
                }
                header.certificate-head {
                    @if let Some(src) = &c.logo {
                        img.certificate-logo src=(src) alt={ (c.issuer_name()) " logo" };
                    }
                    p.certificate-issuer #cert-issuer { (c.issuer_name()) }
                    p.certificate-kicker { "Certificate of achievement" }
                }
                div.certificate-body {
                    p.certificate-lead { "This certifies that" }
                    p.certificate-holder #cert-holder { (c.holder_name()) }
                    p.certificate-lead { "has earned" }
                    h1.certificate-title #certificate-title { (c.achievement) }
                    @if let Some(d) = &c.description {
                        p.certificate-description { (d) }
                    }
                }
                div.certificate-foot {
                    dl.certificate-facts {
                        dt { "Issued by" } dd { (c.issuer_name()) }
                        dt { "Issued" } dd #cert-issued { (c.issued_day()) }
                        dt { "Expires" } dd #cert-expires { (c.expires_day()) }
                        dt { "Credential ID" } dd #cert-id { code.wrap { (c.id) } }
                        dt { "Status" } dd #cert-status { (c.status_line()) }
                        dt { "Verify at" } dd #cert-verify { a #verify-link href=(c.verify_url) { (c.verify_url) } }
                    }
                    figure.certificate-qr #cert-qr {
                        @if let Some(svg) = qr_svg(&c.verify_url) { (svg) }
                        figcaption { "Scan to verify" }
                    }
                }
            }
        }
    }
}
