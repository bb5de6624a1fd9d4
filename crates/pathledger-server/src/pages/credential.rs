//! A credential's public page: its verification report, a QR code of its verify link, the
//! document itself and a link to its transparency-log proof.

use maud::{html, Markup};
use serde_json::Value;

use super::verify::render_report;

/// A QR code of `url` as inline SVG (dark modules as one path), for phones at a hiring table:
/// scanning it opens the public verify page of the credential. `None` if the URL is too long.
pub fn qr_svg(url: &str) -> Option<Markup> {
    let qr = qrcodegen::QrCode::encode_text(url, qrcodegen::QrCodeEcc::Medium).ok()?;
    let n = qr.size();
    let border = 4;
    let mut path = String::new();
    for y in 0..n {
        for x in 0..n {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    let dim = n + 2 * border;
    // SVG children get explicit end tags (`{}`): the HTML parser does not treat them as void.
    Some(html! {
        svg class="qr" role="img" aria-label={ "QR code linking to " (url) } data-qr-size=(n)
            viewBox={ "0 0 " (dim) " " (dim) } width="180" height="180" shape-rendering="crispEdges" {
            rect width="100%" height="100%" fill="#fff" {}
            path d=(path) fill="#000" {}
        }
    })
}

/// What the public page reads from a credential: the achievement, its image, the issuer's
/// and holder's names and the dates (OB 3.0, and VC 1.1's date names).
pub struct Shown {
    pub achievement: String,
    pub description: Option<String>,
    pub image: Option<String>,
    pub issuer: Option<String>,
    /// The issuer's logo (`issuer.image`).
    pub logo: Option<String>,
    pub holder: Option<String>,
    pub issued: Option<time::OffsetDateTime>,
    pub expires: Option<time::OffsetDateTime>,
}

fn rfc3339(v: &Value) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(v.as_str()?, &time::format_description::well_known::Rfc3339).ok()
}

impl Shown {
    pub fn of(doc: &Value) -> Shown {
        let subject = match &doc["credentialSubject"] {
            Value::Array(a) => a.first().cloned().unwrap_or_default(),
            other => other.clone(),
        };
        let ach = &subject["achievement"];
        let text = |v: &Value| {
            v.as_str()
                .map(str::to_owned)
                .filter(|s| !s.trim().is_empty())
        };
        Shown {
            achievement: text(&ach["name"])
                .or_else(|| text(&doc["name"]))
                .unwrap_or_else(|| "A credential".to_owned()),
            description: text(&ach["description"]),
            image: text(&ach["image"]["id"]).or_else(|| text(&ach["image"])),
            issuer: text(&doc["issuer"]["name"]),
            logo: text(&doc["issuer"]["image"]["id"]).or_else(|| text(&doc["issuer"]["image"])),
            holder: text(&subject["name"]),
            issued: rfc3339(&doc["validFrom"]).or_else(|| rfc3339(&doc["issuanceDate"])),
            expires: rfc3339(&doc["validUntil"]).or_else(|| rfc3339(&doc["expirationDate"])),
        }
    }
}

fn day(t: &time::OffsetDateTime) -> String {
    format!("{} {} {}", t.day(), t.month(), t.year())
}

/// LinkedIn's "Add to profile" link for a certification
/// ([`pathledger_app::sharing::linkedin_add_url`], which the award notice uses too).
pub fn linkedin_add_url(s: &Shown, cert_url: &str, cert_id: &str) -> String {
    pathledger_app::sharing::linkedin_add_url(&pathledger_app::sharing::LinkedInCert {
        name: &s.achievement,
        organization: s.issuer.as_deref(),
        issued: s.issued,
        expires: s.expires,
        url: cert_url,
        id: cert_id,
    })
}

/// The credential page: `doc` is the credential, `report` its verification just now,
/// `share_url` this page's public address, `public_url` the deployment's; `viewer_is_holder`
/// when the signed-in viewer holds it (they are offered to add it to a wallet).
pub fn credential_page(
    id: &str,
    doc: &Value,
    report: &pathledger_badges::VerificationReport,
    verify_link: &str,
    share_url: &str,
    public_url: &str,
    viewer_is_holder: bool,
) -> Markup {
    let shown = Shown::of(doc);
    let verdict = report.verdict.code();
    let valid = verdict == "valid";
    let own_image = super::images::own_image(shown.image.as_deref(), public_url);
    let own_logo = super::images::own_image(shown.logo.as_deref(), public_url);
    html! {
        section.card.credential-hero #summary aria-label="What and whose" {
            div.hero-image {
                (super::images::badge_image(own_image, &shown.achievement, 96, true))
            }
            div.hero-text {
                h1 { (shown.achievement) }
                p #verdict { (super::verify::verdict_pill(verdict, true)) }
                dl.summary {
                    dt { "Awarded to" }
                    dd #holder {
                        @match &shown.holder {
                            Some(n) => (n),
                            None => "The holder (the issuer identifies them by a hashed email address, not by name)",
                        }
                    }
                    dt { "Issued by" }
                    dd #issuer {
                        @if let Some(src) = own_logo {
                            img.logo src=(src) alt="" width="24" height="24";
                            " "
                        }
                        (shown.issuer.as_deref().unwrap_or("An issuer that gives no name"))
                    }
                    dt { "Issued" }
                    dd { (shown.issued.as_ref().map(day).unwrap_or_else(|| "Not stated".into())) }
                    dt { "Expires" }
                    dd #expires { (shown.expires.as_ref().map(day).unwrap_or_else(|| "Does not expire".into())) }
                }
                @if let Some(d) = &shown.description { p.muted #description { (d) } }
                @if let (None, Some(url)) = (own_image, &shown.image) {
                    p { a href=(url) rel="noopener" { "The badge image (on the issuer's site)" } }
                }
            }
        }
        section #share aria-labelledby="share-title" {
            h2 #share-title { "Share" }
            @if valid {
                label for="share-link" { "Link to this credential" }
                input #share-link type="url" readonly value=(share_url) aria-describedby="share-hint";
                p.muted #share-hint { "Select the link and copy it into an application, an email or your résumé." }
                p {
                    a.button #linkedin href=(linkedin_add_url(&shown, share_url, id)) rel="noopener" {
                        "Add to LinkedIn profile"
                    }
                    @if viewer_is_holder {
                        " "
                        a.button #add-to-wallet href={ "/credentials/" (id) "/claim" } { "Add to a wallet" }
                    }
                }
                details {
                    summary { "If LinkedIn does not fill in the form: the values to type" }
                    dl.summary {
                        dt { "Name" } dd { (shown.achievement) }
                        dt { "Issuing organization" } dd { (shown.issuer.as_deref().unwrap_or("")) }
                        dt { "Issue date" } dd { (shown.issued.as_ref().map(|t| format!("{} {}", t.month(), t.year())).unwrap_or_default()) }
                        dt { "Expiration date" } dd { (shown.expires.as_ref().map(|t| format!("{} {}", t.month(), t.year())).unwrap_or_else(|| "This credential does not expire".into())) }
                        dt { "Credential ID" } dd { code.wrap { (id) } }
                        dt { "Credential URL" } dd { code.wrap { (share_url) } }
                    }
                }
            } @else {
                p #not-shareable { "This credential does not verify as valid now, so it is not offered for sharing. " (report.message) }
            }
            p {
                a.button #print-certificate href={ "/credentials/" (pathledger_app::sharing::percent_encode(id)) "/certificate" } {
                    "Print certificate"
                }
                " (a page to print, or a PDF)"
            }
            @if let Some(svg) = qr_svg(verify_link) {
                figure.card #qr {
                    (svg)
                    figcaption { "Scan to verify, or open " a href=(verify_link) { (verify_link) } }
                }
            }
        }
        section #downloads aria-labelledby="downloads-title" {
            h2 #downloads-title { "Download" }
            p { "The credential baked into a badge image (Open Badges 3.0): upload the image to a verifier or a backpack, and the credential comes with it." }
            ul.inline-links {
                li { a #baked-png href={ "/credentials/" (id) "/baked.png" } download { "Download as image (PNG)" } }
                li { a #baked-svg href={ "/credentials/" (id) "/baked.svg" } download { "Download as image (SVG)" } }
                li { a href={ "/credentials/" (id) "/download" } download { "Download the credential (JSON)" } }
            }
        }
        h2 { "How it was checked" }
        (render_report(report))
        details {
            summary { "Technical details: the signed credential (JSON)" }
            pre tabindex="0" aria-label="The signed credential" { (serde_json::to_string_pretty(doc).unwrap_or_default()) }
        }
        p {
            a href={ "/log?credential=" (id) } { "Transparency log proof" }
            " · "
            a href={ "/api/v1/log/credentials/" (id) "/bundle" } download {
                "Download the inclusion proof"
            }
            " (check it offline: "
            code { "pathledger verify CREDENTIAL --proof FILE" }
            ")"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn linkedin_link_carries_every_field_encoded() {
        let doc = json!({
            "name": "ignored when the achievement has one",
            "issuer": {"id": "did:web:x", "name": "Riverside Unified & Co"},
            "validFrom": "2026-02-06T10:00:00Z",
            "validUntil": "2028-11-30T00:00:00Z",
            "credentialSubject": {"achievement": {"name": "Data Practices 1"}}
        });
        let url = linkedin_add_url(
            &Shown::of(&doc),
            "https://ledger.example/credentials/urn:uuid:1",
            "urn:uuid:1",
        );
        let (base, query) = url.split_once('?').unwrap();
        assert_eq!(base, "https://www.linkedin.com/profile/add");
        let fields: Vec<(&str, &str)> = query
            .split('&')
            .map(|kv| kv.split_once('=').unwrap())
            .collect();
        assert_eq!(
            fields,
            vec![
                ("startTask", "CERTIFICATION_NAME"),
                ("name", "Data%20Practices%201"),
                ("organizationName", "Riverside%20Unified%20%26%20Co"),
                ("issueYear", "2026"),
                ("issueMonth", "2"),
                ("expirationYear", "2028"),
                ("expirationMonth", "11"),
                (
                    "certUrl",
                    "https%3A%2F%2Fledger.example%2Fcredentials%2Furn%3Auuid%3A1"
                ),
                ("certId", "urn%3Auuid%3A1"),
            ]
        );
        // No expiry: no expiration fields; VC 1.1 dates are read too.
        let doc = json!({
            "issuer": {"name": "R"},
            "issuanceDate": "2025-12-31T23:00:00Z",
            "credentialSubject": [{"achievement": {"name": "X"}}]
        });
        let url = linkedin_add_url(&Shown::of(&doc), "u", "i");
        assert!(
            url.contains("&issueYear=2025&issueMonth=12&certUrl"),
            "{url}"
        );
        assert!(!url.contains("expiration"), "{url}");
    }
}
