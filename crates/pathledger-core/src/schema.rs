//! JSON Schemas (draft 2020-12) for every definition format we accept, embedded from
//! `schemas/definitions/`, and validation reporting each error with its JSON pointer.

use std::sync::OnceLock;

use serde_json::Value;

use crate::error::{DefinitionError, DefinitionErrorKind};

/// Which definition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SchemaKind {
    /// `{"framework": {...}}`
    Framework,
    /// `{"achievements": [...]}`
    Achievements,
    /// `{"stacks": [...]}`
    Stacks,
    /// `{"roles": [...]}`
    Roles,
    /// An educator's verified holdings and facts.
    Educator,
}

impl SchemaKind {
    /// All kinds.
    pub const ALL: [SchemaKind; 5] = [
        SchemaKind::Framework,
        SchemaKind::Achievements,
        SchemaKind::Stacks,
        SchemaKind::Roles,
        SchemaKind::Educator,
    ];

    /// File name under `schemas/definitions/`.
    pub fn file_name(self) -> &'static str {
        match self {
            SchemaKind::Framework => "framework.schema.json",
            SchemaKind::Achievements => "achievements.schema.json",
            SchemaKind::Stacks => "stacks.schema.json",
            SchemaKind::Roles => "roles.schema.json",
            SchemaKind::Educator => "educator.schema.json",
        }
    }

    /// The schema text.
    pub fn text(self) -> &'static str {
        match self {
            SchemaKind::Framework => {
                include_str!("../../../schemas/definitions/framework.schema.json")
            }
            SchemaKind::Achievements => {
                include_str!("../../../schemas/definitions/achievements.schema.json")
            }
            SchemaKind::Stacks => include_str!("../../../schemas/definitions/stacks.schema.json"),
            SchemaKind::Roles => include_str!("../../../schemas/definitions/roles.schema.json"),
            SchemaKind::Educator => {
                include_str!("../../../schemas/definitions/educator.schema.json")
            }
        }
    }

    fn slot(self) -> usize {
        match self {
            SchemaKind::Framework => 0,
            SchemaKind::Achievements => 1,
            SchemaKind::Stacks => 2,
            SchemaKind::Roles => 3,
            SchemaKind::Educator => 4,
        }
    }
}

type Compiled = Result<jsonschema::Validator, String>;

fn validator(kind: SchemaKind) -> &'static Compiled {
    static CELLS: [OnceLock<Compiled>; 5] = [const { OnceLock::new() }; 5];
    CELLS[kind.slot()].get_or_init(|| {
        let schema: Value = serde_json::from_str(kind.text()).map_err(|e| e.to_string())?;
        jsonschema::validator_for(&schema).map_err(|e| e.to_string())
    })
}

/// Validates `doc` against the schema of `kind`, returning every error with its JSON pointer
/// (empty when valid).
pub fn validate(kind: SchemaKind, doc: &Value) -> Vec<DefinitionError> {
    match validator(kind) {
        Ok(v) => v
            .iter_errors(doc)
            .take(1000)
            .map(|e| {
                DefinitionError::new(
                    e.instance_path.to_string(),
                    DefinitionErrorKind::Schema(e.to_string()),
                )
            })
            .collect(),
        Err(msg) => vec![DefinitionError::new(
            "",
            DefinitionErrorKind::Schema(format!(
                "built-in schema {} does not compile: {msg}",
                kind.file_name()
            )),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_schemas_compile() {
        for k in SchemaKind::ALL {
            assert!(validator(k).is_ok(), "{}", k.file_name());
        }
    }

    #[test]
    fn reports_path_of_schema_error() {
        let doc = serde_json::json!({"achievements": [{"id": "mc-x", "name": "X", "achievement_type": "Nope"}]});
        let errs = validate(SchemaKind::Achievements, &doc);
        assert!(
            errs.iter()
                .any(|e| e.path == "/achievements/0/achievement_type"),
            "{errs:?}"
        );
    }
}
