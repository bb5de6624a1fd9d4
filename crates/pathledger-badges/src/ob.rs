//! Open Badges 3.0 builders: `OpenBadgeCredential` (with competency alignments, evidence, status,
//! schema and hashed recipients) and `EndorsementCredential`. Output is an unsigned JSON document
//! the caller signs with `pathledger_signing::sign_document`.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::dates;
use crate::status::StatusEntry;
use crate::text::clip;
use crate::vc::is_uri;

pub use crate::vc::VC_V2;

/// Open Badges 3.0.3 context (3.0 and 3.0.1 cannot follow VC 2.0; 3.0.2 lacks `awardedDate`).
pub const OB_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
/// Defines `1EdTechJsonSchemaValidator2019`; required whenever `credentialSchema` is present.
pub const OB_EXTENSIONS: &str = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json";
/// JSON Schema for AchievementCredential / OpenBadgeCredential.
pub const OB_ACHIEVEMENT_SCHEMA: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json";
/// JSON Schema for EndorsementCredential.
pub const OB_ENDORSEMENT_SCHEMA: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json";
/// Schema type name for `credentialSchema`.
pub const SCHEMA_VALIDATOR: &str = "1EdTechJsonSchemaValidator2019";

/// The OB 3.0 base `achievementType` values (others must be `ext:`-prefixed).
pub const ACHIEVEMENT_TYPES: &[&str] = &[
    "Achievement",
    "ApprenticeshipCertificate",
    "Assessment",
    "Assignment",
    "AssociateDegree",
    "Award",
    "Badge",
    "BachelorDegree",
    "Certificate",
    "CertificateOfCompletion",
    "Certification",
    "CommunityService",
    "Competency",
    "Course",
    "CoCurricular",
    "Degree",
    "Diploma",
    "DoctoralDegree",
    "Fieldwork",
    "GeneralEducationDevelopment",
    "JourneymanCertificate",
    "LearningProgram",
    "License",
    "Membership",
    "ProfessionalDoctorate",
    "QualityAssuranceCredential",
    "MasterCertificate",
    "MasterDegree",
    "MicroCredential",
    "ResearchDoctorate",
    "SecondarySchoolDiploma",
];

/// The OB 3.0 base `alignment.targetType` values (others must be `ext:`-prefixed).
pub const ALIGNMENT_TARGET_TYPES: &[&str] = &[
    "ceasn:Competency",
    "ceterms:Credential",
    "CFItem",
    "CFRubric",
    "CFRubricCriterion",
    "CFRubricCriterionLevel",
    "CTDL",
];

/// Why a document could not be built from the given inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A required text field is empty.
    #[error("`{0}` must not be empty")]
    Empty(&'static str),
    /// A field that must be a URI (with a scheme) is not.
    #[error("`{field}` must be a URI, got `{value}`")]
    NotAUri {
        /// Field name.
        field: &'static str,
        /// The offending value (shortened).
        value: String,
    },
    /// A vocabulary value that is neither a base value nor `ext:`-prefixed.
    #[error("`{field}` value `{value}` is not a known value or an `ext:` extension")]
    UnknownVocabulary {
        /// Field name.
        field: &'static str,
        /// The offending value (shortened).
        value: String,
    },
    /// `validUntil` is before `validFrom`.
    #[error("validUntil is before validFrom")]
    ValidityOrder,
    /// A criteria object with neither `id` nor `narrative`.
    #[error("criteria needs an id or a narrative")]
    EmptyCriteria,
    /// A CLR without credentials, or an input credential that is not an object.
    #[error("{0}")]
    Invalid(String),
}

/// Issuer `Profile`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IssuerProfile {
    /// DID or URL of the issuer (the controller of its signing key).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Homepage.
    pub url: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Logo.
    pub image: Option<Image>,
}

/// An `Image` (URL or `data:` URI).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Image {
    /// URL or data URI.
    pub id: String,
    /// Alternative text.
    pub caption: Option<String>,
}

/// An `Alignment` to a competency.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Alignment {
    /// The competency's name.
    pub target_name: String,
    /// Our public page for the competency.
    pub target_url: String,
    /// `CFItem` for CASE items (default when `None`), or another base / `ext:` value.
    pub target_type: Option<String>,
    /// Human code, e.g. `T.3.2`.
    pub target_code: Option<String>,
    /// Framework name.
    pub target_framework: Option<String>,
    /// Description.
    pub target_description: Option<String>,
}

/// Achievement `Criteria`: a URL, a Markdown narrative, or both.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Criteria {
    /// URL describing the criteria.
    pub id: Option<String>,
    /// Markdown narrative.
    pub narrative: Option<String>,
}

/// The `Achievement` a credential awards.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AchievementInput {
    /// Achievement URI (stable across issues).
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// How it is earned.
    pub criteria: Criteria,
    /// `MicroCredential`, `Certificate`, … or `ext:…`.
    pub achievement_type: Option<String>,
    /// Competencies evidenced.
    pub alignments: Vec<Alignment>,
    /// Badge image.
    pub image: Option<Image>,
    /// Short code.
    pub human_code: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Definition version the credential was issued under.
    pub version: Option<String>,
}

/// How the credential names its recipient (`credentialSubject.id` or an `IdentityObject`); the
/// request-side `pathledger_store::Recipient` says whom to issue to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubjectIdentifier {
    /// A DID or URI the educator chose to show.
    Id(String),
    /// An `IdentityObject` with a salted SHA-256 hash (the private default).
    Hashed {
        /// The identifier itself, e.g. an email address (never emitted).
        identity: String,
        /// `emailAddress`, `sourcedId`, … .
        identity_type: String,
        /// The salt (emitted, so the holder can prove the match).
        salt: String,
    },
    /// An `IdentityObject` carrying the identifier in clear (the educator chose to show it).
    Plain {
        /// The identifier.
        identity: String,
        /// `emailAddress`, … .
        identity_type: String,
    },
}

/// One `Evidence` item.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EvidenceInput {
    /// URL of the evidence.
    pub id: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Markdown narrative.
    pub narrative: Option<String>,
}

/// Everything an `OpenBadgeCredential` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenBadgeInput {
    /// Credential id, e.g. `urn:uuid:…`.
    pub id: String,
    /// Issuer profile.
    pub issuer: IssuerProfile,
    /// Start of validity.
    pub valid_from: OffsetDateTime,
    /// End of validity.
    pub valid_until: Option<OffsetDateTime>,
    /// Credential name (defaults to the achievement's name when empty).
    pub name: String,
    /// Credential description.
    pub description: Option<String>,
    /// How the subject is named.
    pub recipient: SubjectIdentifier,
    /// The achievement.
    pub achievement: AchievementInput,
    /// Evidence.
    pub evidence: Vec<EvidenceInput>,
    /// Status list entry.
    pub status: Option<StatusEntry>,
    /// Whether to add `credentialSchema` (and the extensions context it needs).
    pub include_schema: bool,
    /// When the achievement was awarded.
    pub awarded_date: Option<OffsetDateTime>,
    /// Credential image.
    pub image: Option<Image>,
}

/// Inputs for an `EndorsementCredential` (e.g. a mentor endorsing an educator's achievement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndorsementInput {
    /// Credential id.
    pub id: String,
    /// The endorser as issuer.
    pub issuer: IssuerProfile,
    /// Name, e.g. "Mentor endorsement: Formative Assessment".
    pub name: String,
    /// Start of validity.
    pub valid_from: OffsetDateTime,
    /// End of validity.
    pub valid_until: Option<OffsetDateTime>,
    /// Id of what is endorsed (a credential, achievement, profile or person).
    pub endorsed_id: String,
    /// The name of what is endorsed, e.g. the educator's (the subject's `name`).
    pub endorsed_name: Option<String>,
    /// The endorser's comment (Markdown).
    pub comment: Option<String>,
    /// Whether to add `credentialSchema` (and the extensions context).
    pub include_schema: bool,
}

/// `"sha256$"` + hex(SHA-256(identity ‖ salt)), the OB `IdentityObject.identityHash`.
pub fn identity_hash(identity: &str, salt: &str) -> String {
    let mut h = Sha256::new();
    h.update(identity.as_bytes());
    h.update(salt.as_bytes());
    format!("sha256${}", hex::encode(h.finalize()))
}

/// A fresh random salt (16 bytes, hex) for [`SubjectIdentifier::Hashed`].
pub fn random_salt() -> Result<String, BuildError> {
    let mut buf = [0u8; 16];
    getrandom::getrandom(&mut buf)
        .map_err(|e| BuildError::Invalid(format!("no randomness available: {e}")))?;
    Ok(hex::encode(buf))
}

fn uri(field: &'static str, value: &str) -> Result<(), BuildError> {
    if is_uri(value) {
        Ok(())
    } else {
        Err(BuildError::NotAUri {
            field,
            value: clip(value),
        })
    }
}

fn non_empty(field: &'static str, value: &str) -> Result<(), BuildError> {
    if value.trim().is_empty() {
        Err(BuildError::Empty(field))
    } else {
        Ok(())
    }
}

fn vocabulary(field: &'static str, value: &str, base: &[&str]) -> Result<(), BuildError> {
    let ext_ok = value.strip_prefix("ext:").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    });
    if base.contains(&value) || ext_ok {
        Ok(())
    } else {
        Err(BuildError::UnknownVocabulary {
            field,
            value: clip(value),
        })
    }
}

fn put_opt(map: &mut Map<String, Value>, key: &str, v: &Option<String>) {
    if let Some(v) = v {
        map.insert(key.to_owned(), Value::String(v.clone()));
    }
}

pub(crate) fn image_json(img: &Image) -> Result<Value, BuildError> {
    uri("image.id", &img.id)?;
    let mut m = Map::new();
    m.insert("id".into(), json!(img.id));
    m.insert("type".into(), json!("Image"));
    put_opt(&mut m, "caption", &img.caption);
    Ok(Value::Object(m))
}

/// The issuer `Profile` object.
pub fn profile_json(p: &IssuerProfile) -> Result<Value, BuildError> {
    uri("issuer.id", &p.id)?;
    non_empty("issuer.name", &p.name)?;
    let mut m = Map::new();
    m.insert("id".into(), json!(p.id));
    m.insert("type".into(), json!(["Profile"]));
    m.insert("name".into(), json!(p.name));
    if let Some(url) = &p.url {
        uri("issuer.url", url)?;
        m.insert("url".into(), json!(url));
    }
    put_opt(&mut m, "email", &p.email);
    put_opt(&mut m, "description", &p.description);
    if let Some(img) = &p.image {
        m.insert("image".into(), image_json(img)?);
    }
    Ok(Value::Object(m))
}

/// The `Achievement` object.
pub fn achievement_json(a: &AchievementInput) -> Result<Value, BuildError> {
    uri("achievement.id", &a.id)?;
    non_empty("achievement.name", &a.name)?;
    non_empty("achievement.description", &a.description)?;
    let mut m = Map::new();
    m.insert("id".into(), json!(a.id));
    m.insert("type".into(), json!(["Achievement"]));
    if let Some(t) = &a.achievement_type {
        vocabulary("achievementType", t, ACHIEVEMENT_TYPES)?;
        m.insert("achievementType".into(), json!(t));
    }
    m.insert("name".into(), json!(a.name));
    m.insert("description".into(), json!(a.description));
    let mut criteria = Map::new();
    if let Some(id) = &a.criteria.id {
        uri("criteria.id", id)?;
        criteria.insert("id".into(), json!(id));
    }
    if let Some(n) = &a.criteria.narrative {
        non_empty("criteria.narrative", n)?;
        criteria.insert("narrative".into(), json!(n));
    }
    if criteria.is_empty() {
        return Err(BuildError::EmptyCriteria);
    }
    m.insert("criteria".into(), Value::Object(criteria));
    if let Some(img) = &a.image {
        m.insert("image".into(), image_json(img)?);
    }
    put_opt(&mut m, "humanCode", &a.human_code);
    if !a.tags.is_empty() {
        m.insert("tag".into(), json!(a.tags));
    }
    put_opt(&mut m, "version", &a.version);
    if !a.alignments.is_empty() {
        let mut list = Vec::with_capacity(a.alignments.len());
        for al in &a.alignments {
            non_empty("alignment.targetName", &al.target_name)?;
            uri("alignment.targetUrl", &al.target_url)?;
            let target_type = al.target_type.clone().unwrap_or_else(|| "CFItem".into());
            vocabulary("alignment.targetType", &target_type, ALIGNMENT_TARGET_TYPES)?;
            let mut am = Map::new();
            am.insert("type".into(), json!(["Alignment"]));
            am.insert("targetName".into(), json!(al.target_name));
            am.insert("targetUrl".into(), json!(al.target_url));
            am.insert("targetType".into(), json!(target_type));
            put_opt(&mut am, "targetCode", &al.target_code);
            put_opt(&mut am, "targetFramework", &al.target_framework);
            put_opt(&mut am, "targetDescription", &al.target_description);
            list.push(Value::Object(am));
        }
        m.insert("alignment".into(), Value::Array(list));
    }
    Ok(Value::Object(m))
}

/// Puts `r` into an `AchievementSubject` as [`open_badge_credential`] does: `id` for a DID or
/// URI, else an `identifier` list with one `IdentityObject`.
pub fn recipient_fields(
    r: &SubjectIdentifier,
    subject: &mut Map<String, Value>,
) -> Result<(), BuildError> {
    match r {
        SubjectIdentifier::Id(id) => {
            uri("credentialSubject.id", id)?;
            subject.insert("id".into(), json!(id));
        }
        SubjectIdentifier::Hashed {
            identity,
            identity_type,
            salt,
        } => {
            non_empty("identity", identity)?;
            non_empty("identityType", identity_type)?;
            subject.insert(
                "identifier".into(),
                json!([{
                    "type": "IdentityObject",
                    "hashed": true,
                    "identityHash": identity_hash(identity, salt),
                    "identityType": identity_type,
                    "salt": salt,
                }]),
            );
        }
        SubjectIdentifier::Plain {
            identity,
            identity_type,
        } => {
            non_empty("identity", identity)?;
            non_empty("identityType", identity_type)?;
            subject.insert(
                "identifier".into(),
                json!([{
                    "type": "IdentityObject",
                    "hashed": false,
                    "identityHash": identity,
                    "identityType": identity_type,
                }]),
            );
        }
    }
    Ok(())
}

pub(crate) fn contexts(extra: &[&str], include_schema: bool) -> Value {
    let mut c = vec![VC_V2];
    c.extend_from_slice(extra);
    c.push(OB_CONTEXT);
    if include_schema {
        c.push(OB_EXTENSIONS);
    }
    json!(c)
}

pub(crate) fn validity(
    doc: &mut Map<String, Value>,
    from: OffsetDateTime,
    until: Option<OffsetDateTime>,
) -> Result<(), BuildError> {
    doc.insert("validFrom".into(), json!(dates::format(from)));
    if let Some(until) = until {
        if until < from {
            return Err(BuildError::ValidityOrder);
        }
        doc.insert("validUntil".into(), json!(dates::format(until)));
    }
    Ok(())
}

/// Builds an unsigned `OpenBadgeCredential`.
pub fn open_badge_credential(input: &OpenBadgeInput) -> Result<Value, BuildError> {
    uri("id", &input.id)?;
    let mut doc = Map::new();
    doc.insert("@context".into(), contexts(&[], input.include_schema));
    doc.insert("id".into(), json!(input.id));
    doc.insert(
        "type".into(),
        json!(["VerifiableCredential", "OpenBadgeCredential"]),
    );
    doc.insert("issuer".into(), profile_json(&input.issuer)?);
    validity(&mut doc, input.valid_from, input.valid_until)?;
    let name = if input.name.trim().is_empty() {
        input.achievement.name.clone()
    } else {
        input.name.clone()
    };
    non_empty("name", &name)?;
    doc.insert("name".into(), json!(name));
    put_opt(&mut doc, "description", &input.description);
    if let Some(img) = &input.image {
        doc.insert("image".into(), image_json(img)?);
    }
    if let Some(t) = input.awarded_date {
        doc.insert("awardedDate".into(), json!(dates::format(t)));
    }
    let mut subject = Map::new();
    recipient_fields(&input.recipient, &mut subject)?;
    subject.insert("type".into(), json!(["AchievementSubject"]));
    subject.insert("achievement".into(), achievement_json(&input.achievement)?);
    doc.insert("credentialSubject".into(), Value::Object(subject));
    if !input.evidence.is_empty() {
        let mut list = Vec::new();
        for e in &input.evidence {
            let mut m = Map::new();
            if let Some(id) = &e.id {
                uri("evidence.id", id)?;
                m.insert("id".into(), json!(id));
            }
            m.insert("type".into(), json!(["Evidence"]));
            put_opt(&mut m, "name", &e.name);
            put_opt(&mut m, "description", &e.description);
            put_opt(&mut m, "narrative", &e.narrative);
            list.push(Value::Object(m));
        }
        doc.insert("evidence".into(), Value::Array(list));
    }
    if let Some(s) = &input.status {
        uri("credentialStatus.id", &s.id)?;
        uri("credentialStatus.statusListCredential", &s.list_credential)?;
        doc.insert("credentialStatus".into(), s.to_json());
    }
    if input.include_schema {
        doc.insert(
            "credentialSchema".into(),
            json!([{"id": OB_ACHIEVEMENT_SCHEMA, "type": SCHEMA_VALIDATOR}]),
        );
    }
    Ok(Value::Object(doc))
}

/// Builds an unsigned `EndorsementCredential`.
pub fn endorsement_credential(input: &EndorsementInput) -> Result<Value, BuildError> {
    uri("id", &input.id)?;
    uri("credentialSubject.id", &input.endorsed_id)?;
    non_empty("name", &input.name)?;
    let mut doc = Map::new();
    doc.insert("@context".into(), contexts(&[], input.include_schema));
    doc.insert("id".into(), json!(input.id));
    doc.insert(
        "type".into(),
        json!(["VerifiableCredential", "EndorsementCredential"]),
    );
    doc.insert("name".into(), json!(input.name));
    doc.insert("issuer".into(), profile_json(&input.issuer)?);
    validity(&mut doc, input.valid_from, input.valid_until)?;
    let mut subject = Map::new();
    subject.insert("id".into(), json!(input.endorsed_id));
    subject.insert("type".into(), json!(["EndorsementSubject"]));
    put_opt(&mut subject, "name", &input.endorsed_name);
    put_opt(&mut subject, "endorsementComment", &input.comment);
    doc.insert("credentialSubject".into(), Value::Object(subject));
    if input.include_schema {
        doc.insert(
            "credentialSchema".into(),
            json!([{"id": OB_ENDORSEMENT_SCHEMA, "type": SCHEMA_VALIDATOR}]),
        );
    }
    Ok(Value::Object(doc))
}
