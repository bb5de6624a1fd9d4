//! Errors reported when loading definitions: every problem found, each with the JSON pointer
//! of the offending item.

use std::fmt;

/// What is wrong at a given path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DefinitionErrorKind {
    /// The text is not JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// The document does not match its JSON Schema.
    #[error("schema: {0}")]
    Schema(String),
    /// The value cannot be read as the expected type.
    #[error("invalid value: {0}")]
    Invalid(String),
    /// A required top-level section is missing.
    #[error("missing section {0:?}")]
    MissingSection(String),
    /// A top-level key that is not a known section, or a section given twice.
    #[error("unexpected section {0:?}")]
    UnexpectedSection(String),
    /// Two items share an id.
    #[error("duplicate {kind} id {id:?}")]
    DuplicateId {
        /// Kind of item.
        kind: &'static str,
        /// The id.
        id: String,
    },
    /// A reference to an item that does not exist.
    #[error("unknown {kind} {id:?}")]
    UnknownReference {
        /// Kind of item referenced.
        kind: &'static str,
        /// The id referenced.
        id: String,
    },
    /// Items depend on each other in a circle.
    #[error("{kind} cycle: {}", .members.join(" -> "))]
    Cycle {
        /// What kind of cycle (stack, role requirement, competency parent).
        kind: &'static str,
        /// The ids on the cycle, first repeated at the end.
        members: Vec<String>,
    },
    /// A condition or stack that can never be met.
    #[error("unsatisfiable: {0}")]
    Unsatisfiable(String),
    /// Another semantic rule is broken.
    #[error("{0}")]
    Rule(String),
}

/// One problem, with the JSON pointer of the offending item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    /// JSON pointer (RFC 6901) into the definitions document; `""` is the whole document.
    pub path: String,
    /// What is wrong.
    pub kind: DefinitionErrorKind,
}

impl DefinitionError {
    pub(crate) fn new(path: impl Into<String>, kind: DefinitionErrorKind) -> Self {
        Self {
            path: path.into(),
            kind,
        }
    }
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.kind)
    }
}

impl std::error::Error for DefinitionError {}

/// All problems found in a definitions document (never empty when returned as an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionErrors(pub Vec<DefinitionError>);

impl DefinitionErrors {
    /// The individual errors.
    pub fn errors(&self) -> &[DefinitionError] {
        &self.0
    }

    /// True if some error is at exactly `path`.
    pub fn has_path(&self, path: &str) -> bool {
        self.0.iter().any(|e| e.path == path)
    }
}

impl fmt::Display for DefinitionErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} definition error(s)", self.0.len())?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DefinitionErrors {}

/// Escapes one JSON pointer segment (RFC 6901).
pub(crate) fn ptr_escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}
