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

/// The credential page: `doc` is the credential, `report` its verification just now.
pub fn credential_page(
    id: &str,
    doc: &Value,
    report: &pathledger_badges::VerificationReport,
    verify_link: &str,
) -> Markup {
    let name = doc
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("Credential");
    html! {
        h1 { (name) }
        (super::verify::credential_summary(doc))
        (render_report(report))
        @if let Some(svg) = qr_svg(verify_link) {
            figure.card #qr {
                (svg)
                figcaption { "Scan to verify, or share " a href=(verify_link) { (verify_link) } }
            }
        }
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
