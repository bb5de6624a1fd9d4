//! The deployment's trust registry: which other issuers it trusts, and by what name, read from
//! files the operator names (`pathledger serve --trust-file`, `--trust-registry`).
//!
//! Two formats:
//! - A trust file: a JSON array of `{"id": "did:web:…" | "https://…", "name": "…", "url": "…"?}`,
//!   or an object `{"name": "<the list's name>", "issuers": [that array]}`.
//! - The DCC community issuer registry (legacy format):
//!   `{"meta": {…}, "registry": {"did:web:…": {"name": "…", "location": "…", "url": "…"}}}`.
//!
//! Errors name the file, the line and the column.

use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer};
use serde::Deserialize;

/// An issuer the deployment trusts besides its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedIssuer {
    /// Its id (a DID or URL), compared exactly with a credential's issuer.
    pub id: String,
    /// Its name in the list that names it, if any.
    pub name: Option<String>,
    /// Its home page, if given.
    pub url: Option<String>,
    /// The list that names it (the list's name, else its file name), if any.
    pub listed_in: Option<String>,
}

impl TrustedIssuer {
    /// Trusted by id alone, named by no list.
    pub fn id(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: None,
            url: None,
            listed_in: None,
        }
    }
}

/// A trust file or registry that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    /// The file.
    pub file: String,
    /// 1-based line, 0 when the file could not be read at all.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}: line {}, column {}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for RegistryError {}

impl RegistryError {
    /// Names the whole path (parsing named the file by its name alone, as the report does).
    fn in_file(self, path: &Path) -> Self {
        Self {
            file: path.display().to_string(),
            ..self
        }
    }
}

/// Largest list file read (the DCC community registry is a few hundred KiB at most).
pub const MAX_REGISTRY_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a trust file (see the [module docs](self)).
pub fn load_trust_file(path: &Path) -> Result<Vec<TrustedIssuer>, RegistryError> {
    let text = read(path)?;
    parse_trust_file(&text, &file_label(path)).map_err(|e| e.in_file(path))
}

/// Reads a DCC issuer registry file (legacy format).
pub fn load_dcc_registry(path: &Path) -> Result<Vec<TrustedIssuer>, RegistryError> {
    let text = read(path)?;
    parse_dcc_registry(&text, &file_label(path)).map_err(|e| e.in_file(path))
}

/// Parses a trust file's text; `file` names it in errors and in the report (when the file
/// gives the list no name).
pub fn parse_trust_file(text: &str, file: &str) -> Result<Vec<TrustedIssuer>, RegistryError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NamedList {
        name: Name,
        issuers: Vec<Entry>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        id: IssuerId,
        name: Name,
        #[serde(default)]
        url: Option<HomePage>,
    }
    // The shape is chosen by the first character, so errors keep serde_json's positions
    // (an untagged enum would lose them).
    let (list_name, entries) = if text.trim_start().starts_with('[') {
        let entries: Vec<Entry> = serde_json::from_str(text).map_err(|e| at(file, &e))?;
        (file.to_owned(), entries)
    } else {
        let named: NamedList = serde_json::from_str(text).map_err(|e| at(file, &e))?;
        (named.name.0, named.issuers)
    };
    let mut out: Vec<TrustedIssuer> = Vec::with_capacity(entries.len());
    for e in entries {
        if out.iter().any(|o| o.id == e.id.0) {
            return Err(RegistryError {
                file: file.to_owned(),
                line: 0,
                column: 0,
                message: format!("{} is listed twice", e.id.0),
            });
        }
        out.push(TrustedIssuer {
            id: e.id.0,
            name: Some(e.name.0),
            url: e.url.map(|u| u.0),
            listed_in: Some(list_name.clone()),
        });
    }
    Ok(out)
}

/// Parses a DCC issuer registry (legacy format); `file` names it in errors and in the report.
pub fn parse_dcc_registry(text: &str, file: &str) -> Result<Vec<TrustedIssuer>, RegistryError> {
    #[derive(Deserialize)]
    struct Registry {
        // `meta` (created, updated) and any other member are not needed.
        registry: std::collections::BTreeMap<IssuerId, Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        name: Name,
        #[serde(default)]
        url: Option<HomePage>,
        #[serde(default)]
        location: Option<String>,
    }
    let reg: Registry = serde_json::from_str(text).map_err(|e| at(file, &e))?;
    Ok(reg
        .registry
        .into_iter()
        .map(|(id, e)| TrustedIssuer {
            id: id.0,
            name: Some(match e.location.as_deref().map(str::trim) {
                Some(l) if !l.is_empty() => format!("{}, {}", e.name.0, clipped(l)),
                _ => e.name.0,
            }),
            url: e.url.map(|u| u.0),
            listed_in: Some(file.to_owned()),
        })
        .collect())
}

fn read(path: &Path) -> Result<String, RegistryError> {
    let fail = |message: String| RegistryError {
        file: path.display().to_string(),
        line: 0,
        column: 0,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if meta.len() > MAX_REGISTRY_BYTES {
        return Err(fail(format!(
            "larger than {} MiB",
            MAX_REGISTRY_BYTES / 1024 / 1024
        )));
    }
    std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))
}

fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn at(file: &str, e: &serde_json::Error) -> RegistryError {
    // serde_json appends " at line L column C" to its message; the fields carry them.
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    RegistryError {
        file: file.to_owned(),
        line: e.line(),
        column: e.column(),
        message,
    }
}

fn clipped(s: &str) -> String {
    s.chars().take(200).collect()
}

/// An issuer id: a DID (`did:method:…`) or an http(s) URL, without spaces.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct IssuerId(String);

impl<'de> Deserialize<'de> for IssuerId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let did = s
            .strip_prefix("did:")
            .and_then(|r| r.split_once(':'))
            .is_some_and(|(m, rest)| {
                !m.is_empty()
                    && m.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                    && !rest.is_empty()
            });
        let url = s.starts_with("https://") || s.starts_with("http://");
        if (did || url) && !s.chars().any(char::is_whitespace) && s.len() <= 2048 {
            Ok(IssuerId(s))
        } else {
            Err(de::Error::custom(format!(
                "issuer id {:?} is not a DID or an http(s) URL",
                clipped(&s)
            )))
        }
    }
}

/// A name: not empty, at most 200 characters.
struct Name(String);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let t = s.trim();
        if t.is_empty() {
            return Err(de::Error::custom("name is empty"));
        }
        if t.chars().count() > 200 {
            return Err(de::Error::custom("name is longer than 200 characters"));
        }
        Ok(Name(t.to_owned()))
    }
}

/// A home page: an http(s) URL.
struct HomePage(String);

impl<'de> Deserialize<'de> for HomePage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if (s.starts_with("https://") || s.starts_with("http://"))
            && !s.chars().any(char::is_whitespace)
        {
            Ok(HomePage(s))
        } else {
            Err(de::Error::custom(format!(
                "url {:?} is not an http(s) URL",
                clipped(&s)
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trust_file_lists_issuers_by_name() {
        let text = r#"[
  {"id": "did:web:credentials.myschool.ca", "name": "My School", "url": "https://myschool.ca"},
  {"id": "https://district.example/issuer", "name": " District 9 "}
]"#;
        let list = parse_trust_file(text, "trusted.json").unwrap();
        assert_eq!(
            list,
            vec![
                TrustedIssuer {
                    id: "did:web:credentials.myschool.ca".into(),
                    name: Some("My School".into()),
                    url: Some("https://myschool.ca".into()),
                    listed_in: Some("trusted.json".into()),
                },
                TrustedIssuer {
                    id: "https://district.example/issuer".into(),
                    name: Some("District 9".into()),
                    url: None,
                    listed_in: Some("trusted.json".into()),
                },
            ]
        );
        let named = parse_trust_file(
            r#"{"name": "State teacher registry", "issuers": [{"id": "did:key:z6Mk", "name": "A"}]}"#,
            "state.json",
        )
        .unwrap();
        assert_eq!(
            named[0].listed_in.as_deref(),
            Some("State teacher registry")
        );
    }

    #[test]
    fn the_dcc_legacy_registry_is_imported() {
        // The example of the community registry's README (STANDARDS-2.md §4), plus an entry
        // without a location as some live entries have.
        let text = r#"{"meta":{"created":"2022-10-27T17:57:31+00:00","updated":"2023-01-01T00:00:00+00:00"},
"registry":{
  "did:web:credentials.myschool.ca":{"name":"My School","location":"Ancaster, ON, Canada","url":"https://some.domain.ca"},
  "did:key:z6MkpLDL3RoAoMRTwTgo3rs39ZwssxaPKtGfNjjNd5VDsXYz":{"name":"Another College","url":"https://another.example"}
}}"#;
        let list = parse_dcc_registry(text, "community-registry.json").unwrap();
        assert_eq!(list.len(), 2);
        let school = list
            .iter()
            .find(|t| t.id == "did:web:credentials.myschool.ca")
            .unwrap();
        assert_eq!(
            school.name.as_deref(),
            Some("My School, Ancaster, ON, Canada")
        );
        assert_eq!(school.url.as_deref(), Some("https://some.domain.ca"));
        assert_eq!(school.listed_in.as_deref(), Some("community-registry.json"));
        let college = list.iter().find(|t| t.id.starts_with("did:key:")).unwrap();
        assert_eq!(college.name.as_deref(), Some("Another College"));
    }

    #[test]
    fn bad_files_are_refused_naming_file_line_and_column() {
        // Broken JSON.
        let e = parse_trust_file(
            "[\n  {\"id\": \"did:web:a\", \"name\": \"A\"},\n  {\"id\": }\n]",
            "t.json",
        )
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("t.json", 3));
        assert!(e.to_string().starts_with("t.json: line 3, column"), "{e}");
        // An id that is no DID or URL.
        let e = parse_trust_file("[\n{\"id\": \"my school\", \"name\": \"A\"}\n]", "t.json")
            .unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("not a DID"), "{e}");
        // A missing name, an unknown member, an empty name.
        let e = parse_trust_file(r#"[{"id": "did:web:a"}]"#, "t.json").unwrap_err();
        assert!(e.message.contains("missing field `name`"), "{e}");
        let e = parse_trust_file(r#"[{"id": "did:web:a", "name": "A", "nmae": 1}]"#, "t.json")
            .unwrap_err();
        assert!(e.message.contains("unknown field `nmae`"), "{e}");
        let e = parse_trust_file(r#"[{"id": "did:web:a", "name": "  "}]"#, "t.json").unwrap_err();
        assert!(e.message.contains("name is empty"), "{e}");
        // Listed twice.
        let e = parse_trust_file(
            r#"[{"id": "did:web:a", "name": "A"}, {"id": "did:web:a", "name": "B"}]"#,
            "t.json",
        )
        .unwrap_err();
        assert!(e.message.contains("listed twice"), "{e}");
        // A DCC registry with a bad key and one without `registry`.
        let e = parse_dcc_registry(
            "{\"meta\": {},\n \"registry\": {\n  \"not-a-did\": {\"name\": \"X\"}}}",
            "reg.json",
        )
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("reg.json", 3));
        assert!(e.message.contains("not a DID"), "{e}");
        let e = parse_dcc_registry(r#"{"meta": {}}"#, "reg.json").unwrap_err();
        assert!(e.message.contains("missing field `registry`"), "{e}");
        // A trust file given where a registry is expected (and the reverse) is refused.
        assert!(parse_dcc_registry(r#"[{"id": "did:web:a", "name": "A"}]"#, "r.json").is_err());
        assert!(parse_trust_file(r#"{"meta": {}, "registry": {}}"#, "t.json").is_err());
        // A file that is not there.
        let e = load_trust_file(Path::new("/nonexistent/trust.json")).unwrap_err();
        assert!(
            e.to_string().starts_with("/nonexistent/trust.json: "),
            "{e}"
        );
    }
}
