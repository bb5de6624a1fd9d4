//! Server-rendered HTML pages: small, accessible, no JavaScript required.

pub mod format;
pub mod pathways;
pub mod verify;

/// Escape text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

pub const STYLE_CSS: &str = include_str!("../../assets/style.css");

/// The page frame shared by every page.
pub fn layout(title: &str, signed_in_as: Option<&str>, body: &str) -> String {
    let who = match signed_in_as {
        Some(name) => format!(
            "<span>Signed in as {}</span> <form method=\"post\" action=\"/logout\" style=\"display:inline\"><button type=\"submit\">Sign out</button></form>",
            esc(name)
        ),
        None => "<a href=\"/login\">Sign in</a>".to_string(),
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title} · Pathledger</title><link rel=\"stylesheet\" href=\"/assets/style.css\"></head><body>\
<a class=\"skip\" href=\"#main\">Skip to content</a>\
<header class=\"site\"><a class=\"brand\" href=\"/\">Pathledger</a><nav aria-label=\"Main\">\
<a href=\"/pathways\">Pathway map</a> · <a href=\"/dashboard\">My dashboard</a> · <a href=\"/evidence\">Evidence</a> · <a href=\"/review\">Review</a> · <a href=\"/verify\">Verify</a> · \
<a href=\"/verify/bulk\">Bulk verify</a> · <a href=\"/communities\">Communities</a> · <a href=\"/log\">Transparency log</a> · \
<a href=\"/admin\">Issuer admin</a> · <a href=\"/docs\">API</a></nav><span style=\"margin-left:auto\">{who}</span></header>\
<main id=\"main\">{body}</main></body></html>",
        title = esc(title),
        who = who,
        body = body
    )
}
