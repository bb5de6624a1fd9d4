//! The public verify page and the district bulk-verify page: each check in plain words, one verdict.

use serde_json::Value;

use super::esc;

/// Icon and label for a verdict code: distinct in color *and* shape, so color is never the only cue.
pub fn verdict_badge(code: &str) -> (&'static str, &'static str) {
    match code {
        "valid" => ("✔", "Valid"),
        "tampered" => ("✖", "Tampered or invalid signature"),
        "revoked" => ("⊘", "Revoked"),
        "suspended" => ("⏸", "Suspended"),
        "expired" => ("⌛", "Expired"),
        "not_yet_valid" => ("◷", "Not yet valid"),
        "unknown_issuer" => ("?", "Unknown issuer"),
        "malformed" => ("⚠", "Malformed"),
        "could_not_check" => ("…", "Could not check"),
        _ => ("•", "Unknown result"),
    }
}

fn css_code(code: &str) -> &str {
    match code {
        "valid" | "tampered" | "revoked" | "suspended" | "expired" | "not_yet_valid"
        | "unknown_issuer" | "malformed" | "could_not_check" => code,
        _ => "malformed",
    }
}

/// A verdict pill for tables and cards.
pub fn verdict_pill(code: &str, big: bool) -> String {
    let (icon, label) = verdict_badge(code);
    format!(
        "<span class=\"verdict verdict-{c}{b}\" data-verdict=\"{c}\"><span aria-hidden=\"true\">{icon}</span> {label}</span>",
        c = css_code(code),
        b = if big { " big" } else { "" },
    )
}

/// Render one verification report (the shared JSON shape) as HTML.
pub fn render_report(report: &Value) -> String {
    let verdict = report
        .get("verdict")
        .and_then(Value::as_str)
        .unwrap_or("malformed");
    let message = report.get("message").and_then(Value::as_str).unwrap_or("");
    let mut rows = String::new();
    if let Some(checks) = report.get("checks").and_then(Value::as_array) {
        for c in checks {
            let name = c.get("check").and_then(Value::as_str).unwrap_or("");
            let status = c
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("not_checked");
            let msg = c.get("message").and_then(Value::as_str).unwrap_or("");
            let (icon, word) = match status {
                "passed" => ("✔", "Passed"),
                "failed" => ("✖", "Failed"),
                _ => ("–", "Not checked"),
            };
            rows.push_str(&format!(
                "<tr><th scope=\"row\">{}</th><td class=\"check-{}\"><span aria-hidden=\"true\">{}</span> {}</td><td>{}</td></tr>",
                esc(check_title(name)),
                esc(status),
                icon,
                word,
                esc(msg)
            ));
        }
    }
    format!(
        "<section class=\"card\" aria-live=\"polite\"><p>{}</p><p>{}</p>\
<table><thead><tr><th>Check</th><th>Result</th><th>What it means</th></tr></thead><tbody>{}</tbody></table></section>",
        verdict_pill(verdict, true),
        esc(message),
        rows
    )
}

fn check_title(check: &str) -> &str {
    match check {
        "well_formed" => "Well-formed credential",
        "schema" => "Matches the Open Badges schema",
        "proof" => "Signature",
        "issuer" => "Issuer known and trusted",
        "validity" => "Validity dates",
        "status" => "Revocation and suspension status",
        other => other,
    }
}

/// The verify form (paste or upload), optionally followed by a report.
pub fn verify_page(prefill: &str, report: Option<&Value>) -> String {
    let result = report.map(render_report).unwrap_or_default();
    format!(
        "<h1>Verify a credential</h1>\
<p>Paste an Open Badges 3.0 credential, upload its file, or open a link to it. Every check is shown in plain words.</p>\
{result}\
<form method=\"post\" action=\"/verify\" enctype=\"multipart/form-data\">\
<label for=\"credential\">Credential JSON</label><textarea id=\"credential\" name=\"credential\">{prefill}</textarea>\
<label for=\"file\">…or upload a credential file</label><input id=\"file\" type=\"file\" name=\"file\" accept=\".json,application/json,application/ld+json\">\
<p><button type=\"submit\">Verify</button></p></form>",
        result = result,
        prefill = esc(prefill)
    )
}

/// A QR code of `url` as inline SVG (dark modules as one path), for phones at a hiring table:
/// scanning it opens the public verify page of the credential. `None` if the URL is too long.
pub fn qr_svg(url: &str) -> Option<String> {
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
    Some(format!(
        "<svg class=\"qr\" role=\"img\" aria-label=\"QR code linking to {label}\" data-qr-size=\"{n}\" viewBox=\"0 0 {dim} {dim}\" width=\"180\" height=\"180\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>",
        label = super::esc(url)
    ))
}
