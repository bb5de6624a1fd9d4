//! CLR 2.0 `ClrCredential`: bundles an educator's signed credentials with `Association`s between
//! their achievements (a stack's parts `isChildOf` the certificate it leads to).

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::ob::{self, BuildError, IssuerProfile, SubjectIdentifier, SCHEMA_VALIDATOR};
use crate::text::clip;
use crate::vc::is_uri;

/// CLR 2.0.1 context.
pub const CLR_CONTEXT: &str = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json";
/// JSON Schema for ClrCredential.
pub const CLR_SCHEMA: &str =
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json";

/// CLR association types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AssociationType {
    /// Same achievement.
    ExactMatchOf,
    /// Source is a part of target (a stack part of its certificate).
    IsChildOf,
    /// Source contains target.
    IsParentOf,
    /// Source is part of target.
    IsPartOf,
    /// Peers.
    IsPeerOf,
    /// Related.
    IsRelatedTo,
    /// Source must come before target.
    Precedes,
    /// Source is replaced by target.
    ReplacedBy,
}

impl AssociationType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExactMatchOf => "exactMatchOf",
            Self::IsChildOf => "isChildOf",
            Self::IsParentOf => "isParentOf",
            Self::IsPartOf => "isPartOf",
            Self::IsPeerOf => "isPeerOf",
            Self::IsRelatedTo => "isRelatedTo",
            Self::Precedes => "precedes",
            Self::ReplacedBy => "replacedBy",
        }
    }
}

/// One `Association` between two achievement ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Association {
    /// Relation.
    pub association_type: AssociationType,
    /// Source achievement id.
    pub source_id: String,
    /// Target achievement id.
    pub target_id: String,
}

/// The associations of a stack: every part `isChildOf` the certificate it awards.
pub fn stack_associations(certificate_id: &str, part_ids: &[String]) -> Vec<Association> {
    part_ids
        .iter()
        .map(|p| Association {
            association_type: AssociationType::IsChildOf,
            source_id: p.clone(),
            target_id: certificate_id.to_owned(),
        })
        .collect()
}

/// Everything a `ClrCredential` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ClrInput {
    /// Credential id.
    pub id: String,
    /// Issuer (usually the district).
    pub issuer: IssuerProfile,
    /// Name, e.g. "Professional learning record".
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Start of validity.
    pub valid_from: OffsetDateTime,
    /// End of validity.
    pub valid_until: Option<OffsetDateTime>,
    /// The educator.
    pub subject: SubjectIdentifier,
    /// Signed AchievementCredentials / OpenBadgeCredentials, embedded as received.
    pub credentials: Vec<Value>,
    /// Achievement relations (ids must be achievement ids of the embedded credentials).
    pub associations: Vec<Association>,
    /// Deliberately incomplete record.
    pub partial: Option<bool>,
    /// Whether to add `credentialSchema` (and the extensions context).
    pub include_schema: bool,
}

/// Builds an unsigned `ClrCredential`.
pub fn clr_credential(input: &ClrInput) -> Result<Value, BuildError> {
    if !is_uri(&input.id) {
        return Err(BuildError::NotAUri {
            field: "id",
            value: clip(&input.id),
        });
    }
    if input.name.trim().is_empty() {
        return Err(BuildError::Empty("name"));
    }
    if input.credentials.is_empty() {
        return Err(BuildError::Invalid(
            "a CLR must contain at least one credential".into(),
        ));
    }
    let mut known_achievements = Vec::new();
    for c in &input.credentials {
        if !c.is_object() {
            return Err(BuildError::Invalid(
                "every embedded credential must be a JSON object".into(),
            ));
        }
        if let Some(id) = c
            .pointer("/credentialSubject/achievement/id")
            .and_then(Value::as_str)
        {
            known_achievements.push(id);
        }
    }
    // CLR associations relate Achievement ids; an id no embedded credential awards is a mistake.
    for a in &input.associations {
        for id in [&a.source_id, &a.target_id] {
            if !known_achievements.contains(&id.as_str()) {
                return Err(BuildError::Invalid(format!(
                    "association names `{}`, which is not an achievement of an embedded credential",
                    clip(id)
                )));
            }
        }
    }
    let mut doc = Map::new();
    doc.insert(
        "@context".into(),
        ob::contexts(&[CLR_CONTEXT], input.include_schema),
    );
    doc.insert("id".into(), json!(input.id));
    doc.insert(
        "type".into(),
        json!(["VerifiableCredential", "ClrCredential"]),
    );
    doc.insert("issuer".into(), ob::profile_json(&input.issuer)?);
    doc.insert("name".into(), json!(input.name));
    if let Some(d) = &input.description {
        doc.insert("description".into(), json!(d));
    }
    ob::validity(&mut doc, input.valid_from, input.valid_until)?;
    if let Some(p) = input.partial {
        doc.insert("partial".into(), json!(p));
    }
    let mut subject = Map::new();
    match &input.subject {
        SubjectIdentifier::Id(id) => {
            if !is_uri(id) {
                return Err(BuildError::NotAUri {
                    field: "credentialSubject.id",
                    value: clip(id),
                });
            }
            subject.insert("id".into(), json!(id));
        }
        SubjectIdentifier::Hashed {
            identity,
            identity_type,
            salt,
        } => {
            subject.insert(
                "identifier".into(),
                json!([{
                    "type": "IdentityObject",
                    "hashed": true,
                    "identityHash": ob::identity_hash(identity, salt),
                    "identityType": identity_type,
                    "salt": salt,
                }]),
            );
        }
        SubjectIdentifier::Plain {
            identity,
            identity_type,
        } => {
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
    subject.insert("type".into(), json!(["ClrSubject"]));
    subject.insert(
        "verifiableCredential".into(),
        Value::Array(input.credentials.clone()),
    );
    if !input.associations.is_empty() {
        let list: Vec<Value> = input
            .associations
            .iter()
            .map(|a| {
                json!({
                    "type": "Association",
                    "associationType": a.association_type.as_str(),
                    "sourceId": a.source_id,
                    "targetId": a.target_id,
                })
            })
            .collect();
        subject.insert("association".into(), Value::Array(list));
    }
    doc.insert("credentialSubject".into(), Value::Object(subject));
    if input.include_schema {
        doc.insert(
            "credentialSchema".into(),
            json!([{"id": CLR_SCHEMA, "type": SCHEMA_VALIDATOR}]),
        );
    }
    Ok(Value::Object(doc))
}
