//! An educator's state as the engine sees it: *verified* holdings (achievements whose
//! credentials currently verify — the caller checks signatures, status and expiry) and
//! non-credential facts (years of experience, endorsements, residency rotations).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{DefinitionError, DefinitionErrorKind, DefinitionErrors};
use crate::id::{AchievementId, CompetencyId, RoleId};
use crate::model::Category;
use crate::schema::{self, SchemaKind};

/// One verified holding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holding {
    /// The achievement the verified credential is for.
    pub achievement: AchievementId,
    /// Issuance date (ISO 8601), informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_on: Option<String>,
    /// Expiry date (ISO 8601), informational (expired credentials must not be passed in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
}

/// An endorsement by a holder of some role, optionally about a competency or category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endorsement {
    /// Who endorses (any stable identifier, e.g. a DID); endorsements are counted per endorser.
    pub endorser: String,
    /// The role the endorser holds.
    pub endorser_role: RoleId,
    /// The category endorsed, if specific.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// The competency endorsed, if specific.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub competency: Option<CompetencyId>,
}

/// Everything the engine knows about one educator.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EducatorState {
    /// Optional identifier (not used by the engine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Optional display name (not used by the engine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Verified holdings.
    #[serde(default)]
    pub holdings: Vec<Holding>,
    /// Years of teaching experience.
    #[serde(default)]
    pub years_experience: f64,
    /// Endorsements received.
    #[serde(default)]
    pub endorsements: Vec<Endorsement>,
    /// Roles through which a residency rotation was completed.
    #[serde(default)]
    pub rotations: Vec<RoleId>,
}

impl EducatorState {
    /// Parses and schema-checks an educator document (`schemas/definitions/educator.schema.json`).
    pub fn from_json(json: &str) -> Result<EducatorState, DefinitionErrors> {
        let v: Value = serde_json::from_str(json).map_err(|e| {
            DefinitionErrors(vec![DefinitionError::new(
                "",
                DefinitionErrorKind::Json(e.to_string()),
            )])
        })?;
        Self::from_value(&v)
    }

    /// Schema-checks and reads an educator document from a JSON value.
    pub fn from_value(v: &Value) -> Result<EducatorState, DefinitionErrors> {
        let errs = schema::validate(SchemaKind::Educator, v);
        if !errs.is_empty() {
            return Err(DefinitionErrors(errs));
        }
        EducatorState::deserialize(v).map_err(|e| {
            DefinitionErrors(vec![DefinitionError::new(
                "",
                DefinitionErrorKind::Invalid(e.to_string()),
            )])
        })
    }

    /// True if a verified holding for `achievement` is present.
    pub fn holds(&self, achievement: &str) -> bool {
        self.holdings
            .iter()
            .any(|h| h.achievement.as_str() == achievement)
    }

    /// Adds a verified holding (no-op if already held).
    pub fn add_credential(&mut self, achievement: AchievementId) {
        if !self.holds(achievement.as_str()) {
            self.holdings.push(Holding {
                achievement,
                issued_on: None,
                expires_on: None,
            });
        }
    }
}
