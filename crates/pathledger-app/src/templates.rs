//! Shared unsigned credentials of one bulk call, and their canonical text (eddsa-jcs-2022):
//! the cache keyed by what the store resolved for each row. What a row's own parts are, and how
//! they go into a copy or into canonical text, is document knowledge in the badges crate
//! ([`badges::personal`]).

use std::collections::HashMap;
use std::sync::Arc;

use pathledger_badges as badges;
use pathledger_store::IssueContext;
use serde_json::Value;

use crate::*;

/// How a credential names its recipient, from what the store resolved.
pub(crate) fn recipient_of(ctx: &IssueContext<'_>) -> badges::SubjectIdentifier {
    match (&ctx.recipient.shown_did, &ctx.recipient.shown_email) {
        (Some(did), _) => badges::SubjectIdentifier::Id(did.clone()),
        (None, Some(email)) => badges::SubjectIdentifier::Plain {
            identity: email.clone(),
            identity_type: "emailAddress".into(),
        },
        // The store computed the salted hash; the builder's own hash of this placeholder is
        // replaced (`Personal::identity_hash`), so the email itself never reaches the document.
        (None, None) => badges::SubjectIdentifier::Hashed {
            identity: "hashed-by-store".into(),
            identity_type: ctx.recipient.identity_type.to_owned(),
            salt: ctx.recipient.salt.clone(),
        },
    }
}

/// The parts of `ctx`'s credential that are its own: id, status entries, recipient.
pub(crate) fn personal_of<'a>(
    ctx: &'a IssueContext<'_>,
    opts: &IssueOptions,
) -> badges::Personal<'a> {
    badges::Personal {
        id: &ctx.credential_id,
        revocation: badges::StatusSlot {
            list_url: &ctx.revocation.list_url,
            index: ctx.revocation.index,
        },
        suspension: ctx.suspension.map(|s| badges::StatusSlot {
            list_url: &s.list_url,
            index: s.index,
        }),
        suspendable: opts.suspendable,
        recipient: recipient_of(ctx),
        identity_hash: Some(&ctx.recipient.identity_hash),
    }
}

/// What the unsigned credentials of one bulk call share beyond the call's own settings: rows
/// with equal keys differ only in id, recipient and status entries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct TemplateKey {
    pub(crate) achievement_id: String,
    pub(crate) achievement_version: i64,
    pub(crate) issued_ms: i64,
    pub(crate) valid_until_ms: Option<i64>,
    /// 0 hashed, 1 email shown, 2 DID shown; and the hashed identity's type.
    pub(crate) recipient: (u8, &'static str),
    /// The achievement's image URL (hosted ones carry their digest), so a changed image is
    /// never filled from a template built with the old one.
    pub(crate) image: Option<String>,
}

impl TemplateKey {
    pub(crate) fn of(ctx: &IssueContext<'_>, images: &crate::images::OrgImages) -> Self {
        let kind = match (&ctx.recipient.shown_did, &ctx.recipient.shown_email) {
            (Some(_), _) => 2,
            (None, Some(_)) => 1,
            (None, None) => 0,
        };
        Self {
            achievement_id: ctx.request.achievement_id.clone(),
            achievement_version: ctx.achievement_version,
            issued_ms: ctx.issued_ms,
            valid_until_ms: ctx.request.valid_until_ms,
            recipient: (kind, ctx.recipient.identity_type),
            image: images.url(&pathledger_store::ImageSubject::Achievement(
                ctx.request.achievement_id.clone(),
            )),
        }
    }
}

/// Unsigned credentials by [`TemplateKey`], for one bulk call (whose issuer, definitions and
/// options are fixed).
#[derive(Default)]
pub(crate) struct Templates {
    pub(crate) docs: std::sync::Mutex<HashMap<TemplateKey, Arc<Template>>>,
    /// Rows built from a template.
    pub(crate) hits: std::sync::atomic::AtomicUsize,
    /// Of those, rows signed from the template's canonical text.
    pub(crate) canonical: std::sync::atomic::AtomicUsize,
}

/// The unsigned credential of the first row of a [`TemplateKey`], and its canonical text when
/// the call signs with eddsa-jcs-2022.
pub(crate) struct Template {
    pub(crate) doc: Value,
    pub(crate) canonical: Option<CanonicalTemplate>,
}

/// A template's canonical text, for the key its proof names (a row signed with another key
/// signs its whole document). Made only when it gives back the first row's credential byte for
/// byte (see [`App::canonical_template`]).
pub(crate) struct CanonicalTemplate {
    pub(crate) text: badges::CanonicalTemplate,
    pub(crate) key_id: String,
}

impl CanonicalTemplate {
    /// The signed credential of `ctx`, or `None` when this template does not fit the row
    /// (another key, another kind of recipient): the caller then signs the whole document.
    pub(crate) fn sign(
        &self,
        ctx: &IssueContext<'_>,
        opts: &IssueOptions,
    ) -> Option<Result<String, AppError>> {
        if ctx.key.key_id() != self.key_id {
            return None;
        }
        self.text
            .sign(&personal_of(ctx, opts), ctx.key.suite_key())
            .map(|r| r.map_err(|e| AppError::Build(e.to_string())))
    }
}
