//! Reading the mail the tests receive (outbox `.eml` files, a Maildir): the plain-text body
//! with its transfer encoding undone, and the links in it.

/// The body of a single-part message, decoded from quoted-printable when its header says so
/// (a long link is wrapped with soft line breaks otherwise).
pub fn mail_text(message: &str) -> String {
    let message = message.replace("\r\n", "\n");
    let (head, body) = message.split_once("\n\n").unwrap_or(("", &message));
    let qp = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("content-transfer-encoding:") && l.contains("quoted-printable")
    });
    if !qp {
        return body.to_owned();
    }
    let mut out = Vec::with_capacity(body.len());
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The recipients line of a message (`To:`), lower-cased.
pub fn mail_to(message: &str) -> String {
    message
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .find(|l| l.to_ascii_lowercase().starts_with("to:"))
        .map(|l| l.to_ascii_lowercase())
        .unwrap_or_default()
}

/// The first link in the decoded body of `message` that starts with `base` + `prefix`,
/// returned without `base` (a path to request).
pub fn link_in(message: &str, base: &str, prefix: &str) -> Option<String> {
    let text = mail_text(message);
    let start = text.find(&format!("{base}{prefix}"))?;
    text[start + base.len()..]
        .split_whitespace()
        .next()
        .map(str::to_owned)
}
