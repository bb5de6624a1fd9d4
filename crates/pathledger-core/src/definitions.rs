//! Loading, validating and indexing definitions (framework, achievements, stacks, roles).
//!
//! Input is JSON (text or `serde_json::Value`); nothing here reads files. Loading checks the
//! JSON Schemas first, then the semantic rules (references, cycles, satisfiability, duplicate
//! ids) and reports *every* problem with its JSON pointer. A `Definitions` value is therefore
//! always consistent, and carries precomputed indexes so evaluation is fast.

use serde::Deserialize;
use serde_json::Value;

use crate::compiled::{Index, Source};
use crate::error::{ptr_escape, DefinitionError, DefinitionErrorKind as K, DefinitionErrors};
use crate::model::{Achievement, CareerRole, Competency, Framework, Stack};
use crate::references::{compile, Refs};
use crate::schema::{self, SchemaKind};

/// The top-level sections of a definitions document, in order.
pub const SECTIONS: [&str; 4] = ["framework", "achievements", "stacks", "roles"];

/// Cap on reported errors, so hostile input cannot produce unbounded output.
const MAX_ERRORS: usize = 1000;

const DEFAULT_FRAMEWORK: &str = include_str!("../../../data/default/framework.json");
const DEFAULT_ACHIEVEMENTS: &str = include_str!("../../../data/default/achievements.json");
const DEFAULT_STACKS: &str = include_str!("../../../data/default/stacks.json");
const DEFAULT_ROLES: &str = include_str!("../../../data/default/roles.json");

/// The default data files, as embedded text: `(file name, JSON)`.
pub const DEFAULT_FILES: [(&str, &str); 4] = [
    ("framework.json", DEFAULT_FRAMEWORK),
    ("achievements.json", DEFAULT_ACHIEVEMENTS),
    ("stacks.json", DEFAULT_STACKS),
    ("roles.json", DEFAULT_ROLES),
];

/// A validated, indexed set of definitions.
#[derive(Debug, Clone)]
pub struct Definitions {
    framework: Framework,
    achievements: Vec<Achievement>,
    stacks: Vec<Stack>,
    roles: Vec<CareerRole>,
    pub(crate) ix: Index,
}

impl Definitions {
    /// Loads the default data embedded in the crate (`data/default/*.json`).
    pub fn default_data() -> Result<Definitions, DefinitionErrors> {
        Self::from_parts(&DEFAULT_FILES.map(|(_, text)| text))
    }

    /// Loads a combined definitions document `{"framework":…, "achievements":[…], "stacks":[…], "roles":[…]}`.
    pub fn from_json(json: &str) -> Result<Definitions, DefinitionErrors> {
        let value: Value = serde_json::from_str(json).map_err(|e| {
            DefinitionErrors(vec![DefinitionError::new("", K::Json(e.to_string()))])
        })?;
        Self::from_value(&value)
    }

    /// Loads several partial documents (e.g. one file per section) and merges their sections.
    /// Each part is a JSON object holding one or more sections; a section may appear only once.
    pub fn from_parts(parts: &[&str]) -> Result<Definitions, DefinitionErrors> {
        let mut merged = serde_json::Map::new();
        let mut errs = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            match serde_json::from_str::<Value>(part) {
                Ok(Value::Object(map)) => {
                    for (k, v) in map {
                        if k == "$schema" {
                            continue;
                        }
                        if merged.contains_key(&k) {
                            errs.push(DefinitionError::new(
                                format!("/{}", ptr_escape(&k)),
                                K::UnexpectedSection(format!("{k} (given again by part {i})")),
                            ));
                        } else {
                            merged.insert(k, v);
                        }
                    }
                }
                Ok(_) => errs.push(DefinitionError::new(
                    "",
                    K::Invalid(format!("part {i} is not a JSON object")),
                )),
                Err(e) => errs.push(DefinitionError::new("", K::Json(format!("part {i}: {e}")))),
            }
        }
        if !errs.is_empty() {
            return Err(DefinitionErrors(errs));
        }
        Self::from_value(&Value::Object(merged))
    }

    /// Loads a combined definitions document from a JSON value.
    pub fn from_value(value: &Value) -> Result<Definitions, DefinitionErrors> {
        let Some(obj) = value.as_object() else {
            return Err(DefinitionErrors(vec![DefinitionError::new(
                "",
                K::Invalid("definitions must be a JSON object".into()),
            )]));
        };
        let mut errs = Vec::new();
        for key in obj.keys() {
            if key != "$schema" && !SECTIONS.contains(&key.as_str()) {
                errs.push(DefinitionError::new(
                    format!("/{}", ptr_escape(key)),
                    K::UnexpectedSection(key.clone()),
                ));
            }
        }
        let kinds = [
            SchemaKind::Framework,
            SchemaKind::Achievements,
            SchemaKind::Stacks,
            SchemaKind::Roles,
        ];
        for (section, kind) in SECTIONS.iter().zip(kinds) {
            if obj.contains_key(*section) {
                errs.extend(schema::validate(kind, value));
            } else {
                errs.push(DefinitionError::new(
                    "",
                    K::MissingSection((*section).to_string()),
                ));
            }
        }
        if !errs.is_empty() {
            errs.truncate(MAX_ERRORS);
            return Err(DefinitionErrors(errs));
        }
        let framework = obj
            .get("framework")
            .map(|v| Framework::deserialize(v).map_err(|e| (String::from("/framework"), e)));
        let framework = match framework {
            Some(Ok(f)) => Some(f),
            Some(Err((p, e))) => {
                errs.push(DefinitionError::new(p, K::Invalid(e.to_string())));
                None
            }
            None => None,
        };
        let achievements: Vec<Achievement> =
            read_list(obj.get("achievements"), "achievements", &mut errs);
        let stacks: Vec<Stack> = read_list(obj.get("stacks"), "stacks", &mut errs);
        let roles: Vec<CareerRole> = read_list(obj.get("roles"), "roles", &mut errs);
        match framework {
            Some(framework) if errs.is_empty() => Self::new(framework, achievements, stacks, roles),
            _ => Err(DefinitionErrors(errs)),
        }
    }

    /// Builds definitions from typed values, checking every semantic rule.
    pub fn new(
        framework: Framework,
        achievements: Vec<Achievement>,
        stacks: Vec<Stack>,
        roles: Vec<CareerRole>,
    ) -> Result<Definitions, DefinitionErrors> {
        let mut errs = Vec::new();
        let refs = Refs::build(&framework, &achievements, &stacks, &roles, &mut errs);
        refs.check(&framework, &achievements, &stacks, &roles, &mut errs);
        if !errs.is_empty() {
            errs.truncate(MAX_ERRORS);
            return Err(DefinitionErrors(errs));
        }
        let ix = compile(&framework, &achievements, &stacks, &roles, &refs);
        Ok(Definitions {
            framework,
            achievements,
            stacks,
            roles,
            ix,
        })
    }

    /// The competency framework.
    pub fn framework(&self) -> &Framework {
        &self.framework
    }
    /// All achievements, in definition order.
    pub fn achievements(&self) -> &[Achievement] {
        &self.achievements
    }
    /// All stacks, in definition order.
    pub fn stacks(&self) -> &[Stack] {
        &self.stacks
    }
    /// All roles, in definition order.
    pub fn roles(&self) -> &[CareerRole] {
        &self.roles
    }
    /// An achievement by id.
    pub fn achievement(&self, id: &str) -> Option<&Achievement> {
        self.ix
            .ach_ix
            .get(id)
            .and_then(|&i| self.achievements.get(i))
    }
    /// A stack by id.
    pub fn stack(&self, id: &str) -> Option<&Stack> {
        self.ix.stack_ix.get(id).and_then(|&i| self.stacks.get(i))
    }
    /// A role by id.
    pub fn role(&self, id: &str) -> Option<&CareerRole> {
        self.ix.role_ix.get(id).and_then(|&i| self.roles.get(i))
    }
    /// A competency by id.
    pub fn competency(&self, id: &str) -> Option<&Competency> {
        self.ix
            .comp_ix
            .get(id)
            .and_then(|&i| self.framework.competencies.get(i))
    }

    /// True if the achievement is earned directly (not awarded by a stack or a role).
    pub fn is_earnable(&self, id: &str) -> bool {
        self.ix
            .ach_ix
            .get(id)
            .is_some_and(|&i| self.ix.ach_source.get(i) == Some(&Source::Earnable))
    }

    /// The whole definitions as one combined JSON document (the format `from_value` reads).
    pub fn to_value(&self) -> Value {
        serde_json::json!({
            "framework": self.framework,
            "achievements": self.achievements,
            "stacks": self.stacks,
            "roles": self.roles,
        })
    }
}

fn read_list<T: for<'de> Deserialize<'de>>(
    v: Option<&Value>,
    section: &str,
    errs: &mut Vec<DefinitionError>,
) -> Vec<T> {
    let mut out = Vec::new();
    if let Some(Value::Array(items)) = v {
        for (i, item) in items.iter().enumerate() {
            match T::deserialize(item) {
                Ok(t) => out.push(t),
                Err(e) => errs.push(DefinitionError::new(
                    format!("/{section}/{i}"),
                    K::Invalid(e.to_string()),
                )),
            }
        }
    } else {
        errs.push(DefinitionError::new(
            format!("/{section}"),
            K::Invalid("expected an array".into()),
        ));
    }
    out
}
