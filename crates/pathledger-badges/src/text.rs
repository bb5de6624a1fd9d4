//! Untrusted text placed in messages.

/// Shortens untrusted text placed in messages.
pub(crate) fn clip(s: &str) -> String {
    if s.chars().count() <= 120 {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(117).collect();
        out.push_str("...");
        out
    }
}
