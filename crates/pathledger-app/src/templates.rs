//! Shared unsigned credentials of one bulk call, and their canonical text (eddsa-jcs-2022).

use std::collections::HashMap;
use std::sync::Arc;

use pathledger_badges as badges;
use pathledger_signing::{jcs, JcsProofTemplate};
use pathledger_store::IssueContext;
use serde_json::{json, Value};

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
        // replaced (`put_identity_hash`), so the email itself never reaches the document.
        (None, None) => badges::SubjectIdentifier::Hashed {
            identity: "hashed-by-store".into(),
            identity_type: ctx.recipient.identity_type.to_owned(),
            salt: ctx.recipient.salt.clone(),
        },
    }
}

/// Puts the store's salted hash where the builder hashed the placeholder identity.
pub(crate) fn put_identity_hash(doc: &mut Value, ctx: &IssueContext<'_>) {
    if let Some(ident) = doc.pointer_mut("/credentialSubject/identifier/0/identityHash") {
        *ident = Value::String(ctx.recipient.identity_hash.clone());
    }
}

/// The status entries of a suspendable credential: revocation, and suspension when allocated.
pub(crate) fn suspendable_status(ctx: &IssueContext<'_>) -> Value {
    let mut entries = vec![badges::StatusEntry::new(
        &ctx.revocation.list_url,
        badges::StatusPurpose::Revocation,
        ctx.revocation.index,
    )
    .to_json()];
    if let Some(s) = ctx.suspension {
        entries.push(
            badges::StatusEntry::new(&s.list_url, badges::StatusPurpose::Suspension, s.index)
                .to_json(),
        );
    }
    Value::Array(entries)
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
}

impl TemplateKey {
    pub(crate) fn of(ctx: &IssueContext<'_>) -> Self {
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

/// A template credential's canonical text with holes where [`personalize`] puts a row's own
/// values, and the proof its rows get but for the signature: a row is its few values
/// canonicalized into the text, hashed and signed. Made only when it gives back the first
/// row's credential byte for byte (see [`App::canonical_template`]).
pub(crate) struct CanonicalTemplate {
    /// Holes, in this order: `id`, `credentialStatus`, the subject's `subject_member`.
    pub(crate) text: jcs::Template,
    pub(crate) proof: JcsProofTemplate,
    /// The key the proof names; a row signed with another key signs its whole document.
    pub(crate) key_id: String,
    /// `id` (a DID shown) or `identifier` (an identity object).
    pub(crate) subject_member: &'static str,
}

impl CanonicalTemplate {
    /// The signed credential of `ctx`, or `None` when this template does not fit the row (another
    /// key, another kind of recipient): the caller then signs the whole document.
    pub(crate) fn sign(
        &self,
        ctx: &IssueContext<'_>,
        opts: &IssueOptions,
    ) -> Option<Result<String, AppError>> {
        if ctx.key.key_id() != self.key_id {
            return None;
        }
        // The row's own values, made by the very code that personalizes a whole copy.
        let mut own = json!({ "credentialSubject": {} });
        if let Err(e) = personalize(&mut own, ctx, opts) {
            return Some(Err(e));
        }
        let map = own.as_object_mut()?;
        let subject = map
            .get_mut("credentialSubject")?
            .as_object_mut()?
            .remove(self.subject_member)?;
        let (id, status) = (map.get("id")?, map.get("credentialStatus")?);
        let mut text = Vec::new();
        if let Err(e) = self.text.fill(&[id, status, &subject], &mut text) {
            return Some(Err(AppError::Build(e.to_string())));
        }
        Some(
            self.proof
                .sign(text, ctx.key.suite_key())
                .map_err(|e| AppError::Build(e.to_string())),
        )
    }
}

/// Turns a copy of another row's unsigned credential (same [`TemplateKey`]) into `ctx`'s: the
/// id, the recipient and the status entries are replaced, built as
/// [`App::unsigned_credential`] builds them.
pub(crate) fn personalize(
    doc: &mut Value,
    ctx: &IssueContext<'_>,
    opts: &IssueOptions,
) -> Result<(), AppError> {
    let bad = || AppError::Build("credential template is not an object".into());
    let map = doc.as_object_mut().ok_or_else(bad)?;
    map.insert("id".into(), Value::String(ctx.credential_id.clone()));
    map.insert(
        "credentialStatus".into(),
        if opts.suspendable {
            suspendable_status(ctx)
        } else {
            badges::StatusEntry::new(
                &ctx.revocation.list_url,
                badges::StatusPurpose::Revocation,
                ctx.revocation.index,
            )
            .to_json()
        },
    );
    let subject = map
        .get_mut("credentialSubject")
        .and_then(Value::as_object_mut)
        .ok_or_else(bad)?;
    subject.remove("id");
    subject.remove("identifier");
    let recipient = recipient_of(ctx);
    badges::recipient_fields(&recipient, subject).map_err(|e| AppError::Build(e.to_string()))?;
    if let badges::SubjectIdentifier::Hashed { .. } = recipient {
        put_identity_hash(doc, ctx);
    }
    Ok(())
}
