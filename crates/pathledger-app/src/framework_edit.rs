//! Editing an organization's definitions one item at a time (the admin page's forms for an
//! achievement, a stack or a role), what changed between two versions, and the stored versions.
//! Every save is a whole new validated version, as the JSON editor's is.

use std::collections::BTreeMap;
use std::sync::Arc;

use pathledger_core::{DefinitionErrors, Definitions};
use pathledger_store::DefinitionKind;
use serde_json::Value;

use crate::definitions::bundle_id;
use crate::{App, AppError};

/// Which list of the definitions an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Achievements,
    Stacks,
    Roles,
}

impl Section {
    /// The key of the list in the definitions document.
    pub fn key(self) -> &'static str {
        match self {
            Section::Achievements => "achievements",
            Section::Stacks => "stacks",
            Section::Roles => "roles",
        }
    }

    /// One item of the list, in words.
    pub fn item(self) -> &'static str {
        match self {
            Section::Achievements => "achievement",
            Section::Stacks => "stack",
            Section::Roles => "role",
        }
    }
}

/// One change between two versions of the definitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `achievement`, `stack`, `role`, `competency` or `framework`.
    pub item: &'static str,
    /// The item's name (in the newer version when it is in both).
    pub name: String,
    /// Its name before, when it was renamed.
    pub old_name: Option<String>,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Removed,
    /// The fields that changed, in words (`criteria`, `required parts` …).
    Changed(Vec<&'static str>),
}

/// The fields of two JSON objects whose values differ, as `words` names them (fields not named
/// there are reported as `other details`).
fn changed_fields(old: &Value, new: &Value, words: &[(&str, &'static str)]) -> Vec<&'static str> {
    let empty = serde_json::Map::new();
    let (o, n) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    let mut out: Vec<&'static str> = Vec::new();
    let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        if k == "id" || o.get(k) == n.get(k) {
            continue;
        }
        let w = words
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, w)| *w)
            .unwrap_or("other details");
        if !out.contains(&w) {
            out.push(w);
        }
    }
    // In the order `words` lists them, so the sentence reads the same every time.
    out.sort_by_key(|w| words.iter().position(|(_, x)| x == w).unwrap_or(usize::MAX));
    out
}

const ACHIEVEMENT_WORDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("description", "description"),
    ("criteria", "criteria"),
    ("achievement_type", "type"),
    ("alignments", "competencies it aligns to"),
    ("required_evidence", "required evidence"),
    ("validity", "validity"),
];
const STACK_WORDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("description", "description"),
    ("required", "required parts"),
    ("electives", "electives"),
    ("min_electives", "number of electives needed"),
    ("awards", "credential it awards"),
    ("incentives", "incentives"),
];
const ROLE_WORDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("description", "description"),
    ("kind", "kind"),
    ("direction", "direction"),
    ("entry", "entry requirements"),
    ("awards", "credential it awards"),
    ("transitions", "next roles and their requirements"),
];
const COMPETENCY_WORDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("code", "code"),
    ("description", "description"),
    ("category", "category"),
    ("parent", "parent competency"),
    ("roles", "roles it belongs to"),
];
const FRAMEWORK_WORDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("version", "version"),
    ("description", "description"),
    ("creator", "creator"),
    ("last_changed", "last-changed date"),
    ("categories", "evidence policy of its categories"),
];

/// The changes of one list of items (each an object with `id` and `name`), by id, in the newer
/// version's order, removals last.
fn list_changes(
    item: &'static str,
    old: &Value,
    new: &Value,
    words: &[(&str, &'static str)],
    out: &mut Vec<Change>,
) {
    let by_id = |v: &Value| -> BTreeMap<String, Value> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| Some((x["id"].as_str()?.to_owned(), x.clone())))
            .collect()
    };
    let name = |v: &Value| v["name"].as_str().unwrap_or_default().to_owned();
    let olds = by_id(old);
    let news = by_id(new);
    for n in new.as_array().into_iter().flatten() {
        let Some(id) = n["id"].as_str() else { continue };
        match olds.get(id) {
            None => out.push(Change {
                item,
                name: name(n),
                old_name: None,
                kind: ChangeKind::Added,
            }),
            Some(o) => {
                let fields = changed_fields(o, n, words);
                if !fields.is_empty() {
                    out.push(Change {
                        item,
                        name: name(n),
                        old_name: (name(o) != name(n)).then(|| name(o)),
                        kind: ChangeKind::Changed(fields),
                    });
                }
            }
        }
    }
    for o in old.as_array().into_iter().flatten() {
        if o["id"].as_str().is_some_and(|id| !news.contains_key(id)) {
            out.push(Change {
                item,
                name: name(o),
                old_name: None,
                kind: ChangeKind::Removed,
            });
        }
    }
}

/// What changed from `old` to `new`: items added, removed, and which fields of each changed.
pub fn changes(old: &Definitions, new: &Definitions) -> Vec<Change> {
    let (o, n) = (old.to_value(), new.to_value());
    let mut out = Vec::new();
    let fw = changed_fields(
        &strip(&o["framework"], "competencies"),
        &strip(&n["framework"], "competencies"),
        FRAMEWORK_WORDS,
    );
    if !fw.is_empty() {
        out.push(Change {
            item: "framework",
            name: new.framework().name.clone(),
            old_name: (old.framework().name != new.framework().name)
                .then(|| old.framework().name.clone()),
            kind: ChangeKind::Changed(fw),
        });
    }
    list_changes(
        "competency",
        &o["framework"]["competencies"],
        &n["framework"]["competencies"],
        COMPETENCY_WORDS,
        &mut out,
    );
    list_changes(
        "achievement",
        &o["achievements"],
        &n["achievements"],
        ACHIEVEMENT_WORDS,
        &mut out,
    );
    list_changes("stack", &o["stacks"], &n["stacks"], STACK_WORDS, &mut out);
    list_changes("role", &o["roles"], &n["roles"], ROLE_WORDS, &mut out);
    out
}

fn strip(v: &Value, key: &str) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove(key);
    }
    v
}

/// Why a form's item was not saved: messages by the form's field (`name`, `criteria` …), and
/// those that belong to no field (another item that refers to this one, say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemErrors {
    pub fields: Vec<(String, String)>,
    pub other: Vec<String>,
}

/// A form's save: refused with messages by field, or failed for another reason.
#[derive(Debug)]
pub enum SaveRefusal {
    Invalid(ItemErrors),
    Failed(AppError),
}

impl From<AppError> for SaveRefusal {
    fn from(e: AppError) -> Self {
        SaveRefusal::Failed(e)
    }
}

/// A saved version: its number, the definitions, and what changed from the one before.
#[derive(Debug, Clone)]
pub struct Saved {
    pub version: i64,
    pub definitions: Arc<Definitions>,
    pub changes: Vec<Change>,
}

/// Whether `id` can name an item (the definitions' id pattern).
fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id.len() <= 200
        && chars.all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c))
}

/// A definition error as a sentence for a form (its path is the field it stands beside).
fn error_words(e: &pathledger_core::DefinitionError) -> String {
    e.kind.to_string()
}

/// Sorts the definitions' errors into the form's fields (those under the item at `index` in
/// `section`) and the rest.
fn sort_errors(e: &DefinitionErrors, section: Section, index: usize) -> ItemErrors {
    let prefix = format!("/{}/{index}", section.key());
    let mut out = ItemErrors::default();
    for err in e.errors() {
        match err.path.strip_prefix(&prefix) {
            Some("") => out.other.push(error_words(err)),
            Some(rest) if rest.starts_with('/') => {
                let field = rest[1..].split('/').next().unwrap_or_default().to_owned();
                out.fields.push((field, error_words(err)));
            }
            _ => out
                .other
                .push(format!("{}: {}", err.path, error_words(err))),
        }
    }
    out
}

impl App {
    /// Saves one item of `section` from a form as a new version of the definitions: replacing
    /// the item named `original` (its id may change), or adding it when `original` is `None`.
    /// The caller has checked that the actor is an org admin of `org`.
    pub async fn save_definition_item(
        &self,
        org: &str,
        section: Section,
        original: Option<&str>,
        item: Value,
    ) -> Result<Saved, SaveRefusal> {
        let current = self.definitions(org).await?;
        let mut doc = current.to_value();
        let id = item["id"].as_str().unwrap_or_default().to_owned();
        let mut pre = ItemErrors::default();
        if id.is_empty() {
            pre.fields.push(("id".into(), "give an id".into()));
        } else if !valid_id(&id) {
            pre.fields.push((
                "id".into(),
                "use letters, digits and . _ : - only, starting with a letter or digit".into(),
            ));
        }
        if item["name"].as_str().is_none_or(|n| n.trim().is_empty()) {
            pre.fields.push(("name".into(), "give a name".into()));
        }
        let list = doc[section.key()]
            .as_array_mut()
            .ok_or_else(|| AppError::internal("the definitions have no such list"))?;
        let taken = list
            .iter()
            .position(|x| x["id"].as_str() == Some(id.as_str()));
        let index = match original {
            Some(orig) => {
                let at = list
                    .iter()
                    .position(|x| x["id"].as_str() == Some(orig))
                    .ok_or_else(|| AppError::NotFound(format!("{} {orig}", section.item())))?;
                if taken.is_some_and(|t| t != at) {
                    pre.fields.push((
                        "id".into(),
                        format!("another {} has this id", section.item()),
                    ));
                }
                list[at] = item;
                at
            }
            None => {
                if taken.is_some() {
                    pre.fields.push((
                        "id".into(),
                        format!("another {} has this id", section.item()),
                    ));
                }
                list.push(item);
                list.len() - 1
            }
        };
        if !pre.fields.is_empty() {
            return Err(SaveRefusal::Invalid(pre));
        }
        // Renaming an id: what referred to the old one is reported by validation (beside no
        // field), never rewritten silently.
        if let Err(e) = Definitions::from_value(&doc) {
            return Err(SaveRefusal::Invalid(sort_errors(&e, section, index)));
        }
        Ok(self.save_definitions(org, &doc).await?)
    }

    /// Validates and stores `doc` as a new version, with what changed from the current one.
    pub async fn save_definitions(&self, org: &str, doc: &Value) -> Result<Saved, AppError> {
        let before = self.definitions(org).await.ok();
        let defs = self.put_definitions(org, doc).await?;
        let changes = before.map(|b| changes(&b, &defs)).unwrap_or_default();
        let version = self
            .store()
            .definition_versions(org, DefinitionKind::Pathway, &bundle_id(org))
            .await?
            .first()
            .map(|v| v.0)
            .unwrap_or(1);
        Ok(Saved {
            version,
            definitions: defs,
            changes,
        })
    }

    /// The stored versions of the organization's definitions as (version, when saved), newest
    /// first.
    pub async fn definition_versions(&self, org: &str) -> Result<Vec<(i64, i64)>, AppError> {
        Ok(self
            .store()
            .definition_versions(org, DefinitionKind::Pathway, &bundle_id(org))
            .await?)
    }

    /// One stored version of the organization's definitions.
    pub async fn definitions_version(
        &self,
        org: &str,
        version: i64,
    ) -> Result<Definitions, AppError> {
        let d = self
            .store()
            .definition(org, DefinitionKind::Pathway, &bundle_id(org), Some(version))
            .await
            .map_err(|e| match e {
                pathledger_store::StoreError::NotFound { .. } => AppError::invalid(
                    "version",
                    format!("there is no version {version} of these definitions"),
                ),
                other => other.into(),
            })?;
        Definitions::from_value(&d.document).map_err(crate::definitions::definition_errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs() -> Definitions {
        Definitions::default_data().expect("default data")
    }

    #[test]
    fn changes_name_what_was_added_removed_and_changed() {
        let old = defs();
        let mut v = old.to_value();
        let first = v["achievements"][0]["id"].as_str().unwrap().to_owned();
        v["achievements"][0]["criteria"] = "New criteria".into();
        v["achievements"][0]["name"] = "Renamed".into();
        let mut added = v["achievements"][0].clone();
        added["id"] = "mc-new".into();
        added["name"] = "Brand new".into();
        v["achievements"].as_array_mut().unwrap().push(added);
        let new = Definitions::from_value(&v).expect("valid");
        let c = changes(&old, &new);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].item, "achievement");
        assert_eq!(c[0].name, "Renamed");
        assert_eq!(
            c[0].old_name.as_deref(),
            old.achievement(&first).map(|a| a.name.as_str())
        );
        assert_eq!(c[0].kind, ChangeKind::Changed(vec!["name", "criteria"]));
        assert_eq!(c[1].kind, ChangeKind::Added);
        assert_eq!(c[1].name, "Brand new");
        // And back: the new one is removed.
        let back = changes(&new, &old);
        assert!(back
            .iter()
            .any(|c| c.kind == ChangeKind::Removed && c.name == "Brand new"));
        assert!(changes(&old, &old).is_empty());
    }

    #[test]
    fn errors_land_beside_their_field() {
        let mut v = defs().to_value();
        v["achievements"][1]["achievement_type"] = "Nonsense".into();
        let e = Definitions::from_value(&v).expect_err("invalid");
        let sorted = sort_errors(&e, Section::Achievements, 1);
        assert!(
            sorted.fields.iter().any(|(f, _)| f == "achievement_type"),
            "{sorted:?}"
        );
        assert!(valid_id("mc-x.1:2_b") && !valid_id("-x") && !valid_id("a b"));
    }
}
