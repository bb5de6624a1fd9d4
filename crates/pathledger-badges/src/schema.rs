//! JSON Schema validation against the official OB 3.0 and CLR 2.0 schemas, bundled in the binary
//! (`schemas/` at the repository root); nothing is downloaded at verify time.

use std::sync::OnceLock;

use jsonschema::{Draft, Validator};
use serde_json::Value;

/// The bundled schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SchemaKind {
    /// `ob_v3p0_achievementcredential_schema.json` (the one served at the official URL).
    AchievementCredential,
    /// The strict 2024 AchievementCredential schema (requires arrays for `type` and `proof`).
    AchievementCredentialStrict,
    /// `ob_v3p0_endorsementcredential_schema.json`.
    EndorsementCredential,
    /// The strict 2024 EndorsementCredential schema.
    EndorsementCredentialStrict,
    /// `ob_v3p0_profile_schema.json`.
    Profile,
    /// `clr_v2p0_clrcredential_schema.json`.
    ClrCredential,
}

impl SchemaKind {
    fn source(self) -> &'static str {
        match self {
            Self::AchievementCredential => {
                include_str!("../../../schemas/ob/v3p0/ob_v3p0_achievementcredential_schema.json")
            }
            Self::AchievementCredentialStrict => {
                include_str!("../../../schemas/ob/v3p0/formal-2024/achievementcredential.json")
            }
            Self::EndorsementCredential => {
                include_str!("../../../schemas/ob/v3p0/ob_v3p0_endorsementcredential_schema.json")
            }
            Self::EndorsementCredentialStrict => {
                include_str!("../../../schemas/ob/v3p0/formal-2024/endorsementcredential.json")
            }
            Self::Profile => include_str!("../../../schemas/ob/v3p0/ob_v3p0_profile_schema.json"),
            Self::ClrCredential => {
                include_str!("../../../schemas/clr/v2p0/clr_v2p0_clrcredential_schema.json")
            }
        }
    }

    fn slot(self) -> &'static OnceLock<Result<Validator, String>> {
        static SLOTS: [OnceLock<Result<Validator, String>>; 6] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        &SLOTS[self as usize]
    }

    /// The schema that applies to a credential, chosen by its `type`: ClrCredential,
    /// EndorsementCredential, then AchievementCredential / OpenBadgeCredential.
    pub fn for_credential(doc: &Value) -> Option<Self> {
        let has = |t: &str| match doc.get("type") {
            Some(Value::Array(a)) => a.iter().any(|x| x == t),
            Some(Value::String(s)) => s == t,
            _ => false,
        };
        if has("ClrCredential") {
            Some(Self::ClrCredential)
        } else if has("EndorsementCredential") {
            Some(Self::EndorsementCredential)
        } else if has("OpenBadgeCredential") || has("AchievementCredential") {
            Some(Self::AchievementCredential)
        } else {
            None
        }
    }
}

/// Why a document does not match its schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The bundled schema itself could not be compiled (a build problem, not the document's).
    #[error("schema unavailable: {0}")]
    Unavailable(String),
    /// The document violates the schema; each entry is `path: message`.
    #[error("does not match the schema: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

fn validator(kind: SchemaKind) -> Result<&'static Validator, SchemaError> {
    kind.slot()
        .get_or_init(|| {
            let schema: Value = serde_json::from_str(kind.source()).map_err(|e| e.to_string())?;
            jsonschema::options()
                .with_draft(Draft::Draft201909)
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| SchemaError::Unavailable(e.clone()))
}

/// Validates `doc` against one bundled schema; reports at most 10 violations.
pub fn validate(kind: SchemaKind, doc: &Value) -> Result<(), SchemaError> {
    let v = validator(kind)?;
    let errors: Vec<String> = v
        .iter_errors(doc)
        .take(10)
        .map(|e| {
            let path = e.instance_path.to_string();
            let path = if path.is_empty() {
                "/".to_owned()
            } else {
                path
            };
            crate::text::clip(&format!("{path}: {e}"))
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(SchemaError::Invalid(errors))
    }
}
