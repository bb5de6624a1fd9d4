//! Whether an email address a verifier typed belongs to a credential's holder: the subject's
//! `IdentityObject`s of type `emailAddress`, hashed (`sha256$…` of the address and the salt) or
//! plain. The answer is only yes, no or "the credential names no email": the address the
//! credential holds is never returned.

use serde_json::Value;

use crate::ob::identity_hash;

/// How a typed address compares with a credential's recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmailMatch {
    /// One of the subject's email identities is this address.
    Matches,
    /// The subject has email identities and none is this address.
    DoesNotMatch,
    /// The subject names its holder by an id or another kind of identifier, not an email.
    NoEmail,
}

/// Compares `candidates` (the typed address in the forms the issuer may have hashed: as typed,
/// normalized) with the email identities of `doc`'s subject (the first subject of a list).
pub fn email_matches(doc: &Value, candidates: &[&str]) -> EmailMatch {
    let subject = match doc.get("credentialSubject") {
        Some(Value::Array(a)) => a.first(),
        other => other,
    };
    let identities: Vec<&Value> = match subject.and_then(|s| s.get("identifier")) {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    };
    let mut any_email = false;
    for id in identities {
        if id.get("identityType").and_then(Value::as_str) != Some("emailAddress") {
            continue;
        }
        let Some(held) = id.get("identityHash").and_then(Value::as_str) else {
            continue;
        };
        any_email = true;
        let hashed = id.get("hashed").and_then(Value::as_bool).unwrap_or(false);
        let salt = id.get("salt").and_then(Value::as_str).unwrap_or("");
        let hit = candidates.iter().any(|c| {
            if hashed {
                // Hex digests compare without regard to case.
                identity_hash(c, salt).eq_ignore_ascii_case(held)
            } else {
                c.eq_ignore_ascii_case(held.trim())
            }
        });
        if hit {
            return EmailMatch::Matches;
        }
    }
    if any_email {
        EmailMatch::DoesNotMatch
    } else {
        EmailMatch::NoEmail
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hashed_plain_and_none() {
        let hashed = json!({"credentialSubject": {"identifier": [{
            "type": "IdentityObject", "hashed": true, "identityType": "emailAddress",
            "salt": "s4lt", "identityHash": identity_hash("jo@example.org", "s4lt"),
        }]}});
        assert_eq!(
            email_matches(&hashed, &["jo@example.org"]),
            EmailMatch::Matches
        );
        assert_eq!(
            email_matches(&hashed, &["JO@example.org", "jo@example.org"]),
            EmailMatch::Matches
        );
        assert_eq!(
            email_matches(&hashed, &["other@example.org"]),
            EmailMatch::DoesNotMatch
        );
        let plain = json!({"credentialSubject": [{"identifier": [{
            "type": "IdentityObject", "hashed": false, "identityType": "emailAddress",
            "identityHash": "jo@example.org",
        }]}]});
        assert_eq!(
            email_matches(&plain, &["Jo@Example.org"]),
            EmailMatch::Matches
        );
        assert_eq!(
            email_matches(&plain, &["x@example.org"]),
            EmailMatch::DoesNotMatch
        );
        let by_id = json!({"credentialSubject": {"id": "did:example:jo"}});
        assert_eq!(
            email_matches(&by_id, &["jo@example.org"]),
            EmailMatch::NoEmail
        );
    }
}
