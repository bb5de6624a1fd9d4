//! What a verifier learns beside a verification report: whether an email they typed belongs
//! to the credential's holder (yes or no, never the address the credential holds), and, for a
//! credential issued here, when and why its status last changed.

use pathledger_badges::{email_matches, EmailMatch};
use pathledger_core::Email;
use pathledger_store::CredentialStatus;
use serde_json::Value;

use crate::App;

/// A revocation or suspension of a credential issued here, as a verifier may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// `revoked` or `suspended`.
    pub status: &'static str,
    /// When (milliseconds since the epoch).
    pub at_ms: i64,
    /// The issuer's reason, when it gave one.
    pub reason: Option<String>,
}

/// Whether `typed` (an email address a verifier typed) is the holder's: compared as typed and
/// in its normal form, which is the form our issuer hashes.
pub fn holder_email(doc: &Value, typed: &str) -> EmailMatch {
    let typed = typed.trim();
    let normal = Email::parse(typed).map(Email::into_string).ok();
    let mut candidates = vec![typed];
    if let Some(n) = normal.as_deref().filter(|n| *n != typed) {
        candidates.push(n);
    }
    email_matches(doc, &candidates)
}

impl App {
    /// When `doc` is a credential issued here (exactly the stored document) that is revoked or
    /// suspended: when that happened and the reason given.
    pub async fn status_change_of(&self, doc: &Value) -> Option<StatusChange> {
        let id = doc.get("id").and_then(Value::as_str)?;
        let rec = self.store().credential(id).await.ok()?;
        let stored: Value = serde_json::from_str(&rec.document).ok()?;
        if &stored != doc {
            return None;
        }
        let (status, event) = match rec.status {
            CredentialStatus::Active => return None,
            CredentialStatus::Revoked => ("revoked", "revoke"),
            CredentialStatus::Suspended => ("suspended", "suspend"),
        };
        let events = self.store().credential_events(id).await.ok()?;
        let (_, _, reason, _, at_ms) = events.into_iter().rev().find(|e| e.1 == event)?;
        Some(StatusChange {
            status,
            at_ms,
            reason: reason.filter(|r| !r.trim().is_empty()),
        })
    }
}

impl App {
    /// The holder's name for `viewer`: the name the credential itself discloses, else, for a
    /// credential issued here, the educator's name when the viewer may read it (a verifier,
    /// org admin or issuer of the issuing organization, or the holder themself). Anyone else
    /// learns no more than the credential says.
    pub async fn holder_name(&self, viewer: Option<&crate::Actor>, doc: &Value) -> Option<String> {
        let subject = match doc.get("credentialSubject") {
            Some(Value::Array(a)) => a.first(),
            other => other,
        };
        if let Some(n) = subject
            .and_then(|s| s.get("name"))
            .and_then(Value::as_str)
            .filter(|n| !n.trim().is_empty())
        {
            return Some(n.to_owned());
        }
        let viewer = viewer?;
        let id = doc.get("id").and_then(Value::as_str)?;
        let rec = self.store().credential(id).await.ok()?;
        let stored: Value = serde_json::from_str(&rec.document).ok()?;
        if &stored != doc {
            return None;
        }
        let educator_id = rec.educator_id?;
        let org: pathledger_store::OrgId = rec.org_id.as_str().into();
        let allowed = viewer.user.is_educator(&educator_id)
            || viewer
                .require_any(
                    self,
                    &org,
                    &[
                        pathledger_store::AccessRole::Verifier,
                        pathledger_store::AccessRole::OrgAdmin,
                        pathledger_store::AccessRole::Issuer,
                    ],
                )
                .await
                .is_ok();
        if !allowed {
            return None;
        }
        self.store()
            .educator(&educator_id)
            .await
            .ok()
            .map(|e| e.display_name)
    }
}
