//! Email addresses, normalized in one place: every part of the product that compares, stores or
//! hashes an email goes through [`Email::parse`].

use std::fmt;

/// Longest email address accepted, in bytes (RFC 3696's limit on a forward path).
pub const MAX_EMAIL_LEN: usize = 320;

/// An email address: trimmed and lowercased once, with a non-empty local part, an `@`, a
/// domain with a dot, and no whitespace or control characters anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

/// Why a text is not an email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailError {
    /// Nothing but whitespace.
    #[error("must not be empty")]
    Empty,
    /// Over [`MAX_EMAIL_LEN`] bytes.
    #[error("longer than {MAX_EMAIL_LEN} bytes")]
    TooLong,
    /// Not of the form `local@domain.tld`, or with whitespace or control characters inside.
    #[error("{0:?} is not an email address")]
    Malformed(String),
}

impl Email {
    /// Trims and lowercases `s` and checks its shape.
    pub fn parse(s: &str) -> Result<Self, EmailError> {
        let e = s.trim().to_lowercase();
        if e.is_empty() {
            return Err(EmailError::Empty);
        }
        if e.len() > MAX_EMAIL_LEN {
            return Err(EmailError::TooLong);
        }
        let well_formed = match e.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            }
            None => false,
        };
        if !well_formed || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Malformed(e));
        }
        Ok(Self(e))
    }

    /// The normalized address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normalized address, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_normal_form() {
        for raw in [
            "Ana@Example.org",
            " ana@example.org",
            "ana@example.org\n",
            "\tANA@EXAMPLE.ORG ",
        ] {
            assert_eq!(
                Email::parse(raw).unwrap().as_str(),
                "ana@example.org",
                "{raw:?}"
            );
        }
    }

    #[test]
    fn whitespace_and_control_characters_inside_are_refused_whatever_their_kind() {
        for raw in [
            "ana maria@example.org",
            "ana\tmaria@example.org",
            "ana@exa\u{a0}mple.org",
            "ana@example.org\u{0}x",
            "ana\u{2003}@example.org",
        ] {
            assert!(
                matches!(Email::parse(raw), Err(EmailError::Malformed(_))),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn shape_is_checked() {
        for raw in [
            "ana",
            "@example.org",
            "ana@example",
            "ana@.org",
            "ana@example.",
            "a@b@c.org",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?}");
        }
        assert_eq!(Email::parse("  "), Err(EmailError::Empty));
        let long = format!("{}@example.org", "a".repeat(MAX_EMAIL_LEN));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }
}
