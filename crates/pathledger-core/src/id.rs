//! Newtype identifiers (parse, don't validate): once an id exists it is known to be well formed.
//!
//! Ids are cheap to clone (`Arc<str>`) because evaluation results repeat them a lot.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Maximum length of any identifier, in bytes.
pub const MAX_ID_LEN: usize = 200;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The string is empty.
    #[error("{kind} id is empty")]
    Empty {
        /// Which kind of id was expected.
        kind: &'static str,
    },
    /// The string is longer than [`MAX_ID_LEN`].
    #[error("{kind} id is longer than {MAX_ID_LEN} bytes")]
    TooLong {
        /// Which kind of id was expected.
        kind: &'static str,
    },
    /// The string holds a character outside `[A-Za-z0-9._:-]` or does not start alphanumeric.
    #[error("{kind} id {value:?} must start with a letter or digit and contain only letters, digits, '.', '_', ':' or '-'")]
    BadChar {
        /// Which kind of id was expected.
        kind: &'static str,
        /// The offending value (truncated to the limit).
        value: String,
    },
}

/// Checks the shared identifier grammar `^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$`
/// (the same pattern the JSON Schemas use).
pub fn check_id(s: &str, kind: &'static str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if s.len() > MAX_ID_LEN {
        return Err(IdError::TooLong { kind });
    }
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'));
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(IdError::BadChar {
            kind,
            value: s.chars().take(MAX_ID_LEN).collect(),
        })
    }
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Parses an identifier, rejecting anything outside the shared id grammar.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                check_id(s, $kind)?;
                Ok(Self(Arc::from(s)))
            }

            /// The identifier as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// Identifies a competency framework.
    FrameworkId,
    "framework"
);
id_type!(
    /// Identifies a competency (an item of a framework).
    CompetencyId,
    "competency"
);
id_type!(
    /// Identifies an achievement (micro-credential, certificate, role award).
    AchievementId,
    "achievement"
);
id_type!(
    /// Identifies a stack (a certificate earned from other credentials).
    StackId,
    "stack"
);
id_type!(
    /// Identifies a role of the career lattice.
    RoleId,
    "role"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ids_and_uuids() {
        assert!(RoleId::parse("role-integrator").is_ok());
        assert!(CompetencyId::parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301").is_ok());
        assert_eq!(
            AchievementId::parse("mc-data-practices-1").map(|a| a.to_string()),
            Ok("mc-data-practices-1".to_string())
        );
    }

    #[test]
    fn rejects_bad_ids() {
        assert!(matches!(RoleId::parse(""), Err(IdError::Empty { .. })));
        assert!(matches!(RoleId::parse("-x"), Err(IdError::BadChar { .. })));
        assert!(matches!(RoleId::parse("a b"), Err(IdError::BadChar { .. })));
        assert!(matches!(
            RoleId::parse(&"a".repeat(201)),
            Err(IdError::TooLong { .. })
        ));
        let bad: Result<RoleId, _> = serde_json::from_str("\"x/y\"");
        assert!(bad.is_err());
    }
}
