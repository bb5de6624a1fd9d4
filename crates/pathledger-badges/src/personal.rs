//! What makes an OpenBadgeCredential one person's — its id, its status entries and how it names
//! its recipient — so that the credentials of one achievement issued together can share the
//! rest: [`personalize`] turns a copy of one into another's, and [`CanonicalTemplate`] does the
//! same on the eddsa-jcs-2022 canonical text, signing without building the document at all.

use pathledger_signing::{jcs, JcsProofTemplate, ProofOptions, SigningKey};
use serde_json::{json, Map, Value};

use crate::ob::{recipient_fields, BuildError, SubjectIdentifier};
use crate::status::{StatusEntry, StatusPurpose};

/// A credential's place in a status list: the list credential's URL and the bit's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusSlot<'a> {
    /// `statusListCredential`.
    pub list_url: &'a str,
    /// `statusListIndex`.
    pub index: u64,
}

/// The parts of one person's credential that differ from another's of the same achievement.
#[derive(Debug, Clone)]
pub struct Personal<'a> {
    /// The credential's `id`.
    pub id: &'a str,
    /// Its revocation entry.
    pub revocation: StatusSlot<'a>,
    /// Its suspension entry, when it has one.
    pub suspension: Option<StatusSlot<'a>>,
    /// Whether it was issued suspendable: then `credentialStatus` is an array of its entries
    /// (valid VC 2.0, outside the OB 3.0 schema's single object), else the revocation entry.
    pub suspendable: bool,
    /// How the credential names its recipient.
    pub recipient: SubjectIdentifier,
    /// For a [`SubjectIdentifier::Hashed`] recipient whose hash was made elsewhere (the store
    /// salts and hashes the identity; the builder saw only a placeholder): the hash to put in.
    pub identity_hash: Option<&'a str>,
}

impl Personal<'_> {
    /// The `credentialStatus` value.
    pub fn status(&self) -> Value {
        let revocation = StatusEntry::new(
            self.revocation.list_url,
            StatusPurpose::Revocation,
            self.revocation.index,
        )
        .to_json();
        if !self.suspendable {
            return revocation;
        }
        let mut entries = vec![revocation];
        if let Some(s) = self.suspension {
            entries
                .push(StatusEntry::new(s.list_url, StatusPurpose::Suspension, s.index).to_json());
        }
        Value::Array(entries)
    }
}

/// Puts `hash` where a hashed recipient's `identityHash` goes (the first identity object).
pub fn put_identity_hash(doc: &mut Value, hash: &str) {
    if let Some(h) = doc.pointer_mut("/credentialSubject/identifier/0/identityHash") {
        *h = Value::String(hash.to_owned());
    }
}

/// Turns a copy of another person's credential of the same achievement (unsigned) into
/// `p`'s: id, status entries and recipient replaced, exactly as
/// [`crate::open_badge_credential`] would have built them.
pub fn personalize(doc: &mut Value, p: &Personal<'_>) -> Result<(), BuildError> {
    let map = doc.as_object_mut().ok_or(BuildError::Empty("credential"))?;
    map.insert("id".into(), Value::String(p.id.to_owned()));
    map.insert("credentialStatus".into(), p.status());
    let subject = map
        .get_mut("credentialSubject")
        .and_then(Value::as_object_mut)
        .ok_or(BuildError::Empty("credentialSubject"))?;
    subject.remove("id");
    subject.remove("identifier");
    recipient_fields(&p.recipient, subject)?;
    if let (SubjectIdentifier::Hashed { .. }, Some(h)) = (&p.recipient, p.identity_hash) {
        put_identity_hash(doc, h);
    }
    Ok(())
}

/// Why a templated credential could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The row's own parts could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// Canonicalizing or signing failed.
    #[error("{0}")]
    Sign(String),
}

/// A credential's JCS canonical text with holes at its `id`, its `credentialStatus` and its
/// subject's `id` or `identifier`, and the proof its copies get but for the signature: a copy is
/// its few values canonicalized into the text, hashed and signed (JCS orders members by name
/// alone, so the filled text is exactly the canonical form of the copy). Use one only after it
/// reproduced its own credential byte for byte.
pub struct CanonicalTemplate {
    text: jcs::Template,
    proof: JcsProofTemplate,
    /// `id` (a DID shown) or `identifier` (an identity object).
    subject_member: &'static str,
}

impl CanonicalTemplate {
    /// The template of `doc` (unsigned) for proofs made with `opts` (eddsa-jcs-2022), or `None`
    /// when its subject names the recipient in neither or both ways, or the holes cannot be
    /// placed.
    pub fn new(doc: &Value, opts: &ProofOptions) -> Option<Self> {
        let subject = doc.get("credentialSubject")?.as_object()?;
        let (subject_member, subject_hole) = match (
            subject.contains_key("id"),
            subject.contains_key("identifier"),
        ) {
            (true, false) => ("id", "/credentialSubject/id"),
            (false, true) => ("identifier", "/credentialSubject/identifier"),
            _ => return None,
        };
        let text = jcs::Template::new(doc, &["/id", "/credentialStatus", subject_hole]).ok()??;
        let proof = JcsProofTemplate::new(doc.get("@context"), opts).ok()?;
        Some(Self {
            text,
            proof,
            subject_member,
        })
    }

    /// `p`'s credential signed with `key` (the key the proof options named), or `None` when
    /// `p`'s recipient is named the other way than the template's: then sign the whole document.
    pub fn sign(
        &self,
        p: &Personal<'_>,
        key: &SigningKey,
    ) -> Option<Result<String, TemplateError>> {
        // The row's own values, made by the very code that personalizes a whole copy.
        let mut own = json!({ "credentialSubject": {} });
        if let Err(e) = personalize(&mut own, p) {
            return Some(Err(e.into()));
        }
        let map: &mut Map<String, Value> = own.as_object_mut()?;
        let subject = map
            .get_mut("credentialSubject")?
            .as_object_mut()?
            .remove(self.subject_member)?;
        let (id, status) = (map.get("id")?, map.get("credentialStatus")?);
        let mut text = Vec::new();
        if let Err(e) = self.text.fill(&[id, status, &subject], &mut text) {
            return Some(Err(TemplateError::Sign(e.to_string())));
        }
        Some(
            self.proof
                .sign(text, key)
                .map_err(|e| TemplateError::Sign(e.to_string())),
        )
    }
}
