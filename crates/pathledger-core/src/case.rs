//! CASE 1.0 (1EdTech Competencies and Academic Standards Exchange): import a competency
//! framework from a `CFPackage` and export one back.
//!
//! # Mapping
//! * `CFDocument` ↔ [`Framework`]: `identifier` → `id`, `title` → `name`, `version`,
//!   `description`, `creator`, `lastChangeDateTime` → `last_changed`.
//! * Each `CFItem` ↔ one [`Competency`]: `identifier` → `id`, `abbreviatedStatement` (else
//!   `fullStatement`) → `name`, `fullStatement` → `description` (when an abbreviated statement
//!   exists), `humanCodingScheme` → `code`.
//! * `isChildOf` associations (origin = child, destination = parent) give `parent`; an item
//!   whose parent is the CFDocument is top-level. Only the first `isChildOf` of an item is used;
//!   other association types are ignored.
//! * **Category**: the item's `CFItemType` is looked up (case-insensitively) in
//!   [`CaseImportOptions::item_types`] (by default "Mindset", "Qualities"/"Quality",
//!   "Adaptive Skills"/"Adaptive Skill", "Technical Skills"/"Technical Skill" and the snake_case
//!   names). An item whose type is absent or unmapped inherits its parent's category, else
//!   [`CaseImportOptions::default_category`]; with neither, the import fails naming the item.
//! * CASE carries no evidence policies: the imported framework gets
//!   [`CaseImportOptions::policies`] (by default those of the default framework).
//! * Export writes `CFItemType` = the category label, and ids that are not UUIDs are turned
//!   into deterministic UUIDs (version 8, from a hash of the id), so export is reproducible.

use serde_json::{json, Map, Value};

use crate::error::{DefinitionError, DefinitionErrorKind as K, DefinitionErrors};
use crate::id::{CompetencyId, FrameworkId};
use crate::model::{Category, CategoryPolicy, Competency, Framework};

/// Options for [`import_cfpackage`].
#[derive(Debug, Clone, PartialEq)]
pub struct CaseImportOptions {
    /// `CFItemType` (compared case-insensitively, trimmed) → category.
    pub item_types: Vec<(String, Category)>,
    /// Category for items with no mapped type and no categorized parent.
    pub default_category: Option<Category>,
    /// Evidence policies given to the imported framework.
    pub policies: Vec<CategoryPolicy>,
}

impl Default for CaseImportOptions {
    fn default() -> Self {
        let mut item_types = Vec::new();
        for c in Category::ALL {
            item_types.push((c.label().to_string(), c));
            item_types.push((c.as_str().to_string(), c));
        }
        item_types.push(("Quality".into(), Category::Qualities));
        item_types.push(("Adaptive Skill".into(), Category::AdaptiveSkills));
        item_types.push(("Technical Skill".into(), Category::TechnicalSkills));
        Self {
            item_types,
            default_category: None,
            policies: default_policies(),
        }
    }
}

/// Evidence policies of the default framework.
pub fn default_policies() -> Vec<CategoryPolicy> {
    #[derive(serde::Deserialize)]
    struct File {
        framework: Framework,
    }
    serde_json::from_str::<File>(crate::definitions::DEFAULT_FILES[0].1)
        .map(|f| f.framework.categories)
        .unwrap_or_default()
}

/// Options for [`export_cfpackage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseExportOptions {
    /// Base of the CASE API, e.g. `https://case.example.org/ims/case/v1p0`; URIs are
    /// `{base}/CFDocuments/{id}`, `{base}/CFItems/{id}`, `{base}/CFAssociations/{id}`.
    pub base_uri: String,
}

impl Default for CaseExportOptions {
    fn default() -> Self {
        Self {
            base_uri: "https://pathledger.example/ims/case/v1p0".into(),
        }
    }
}

fn err(path: impl Into<String>, kind: K) -> DefinitionError {
    DefinitionError::new(path, kind)
}

fn req_str<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    path: &str,
    errs: &mut Vec<DefinitionError>,
) -> Option<&'v str> {
    match obj.get(key) {
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            errs.push(err(
                format!("{path}/{key}"),
                K::Invalid("expected a string".into()),
            ));
            None
        }
        None => {
            errs.push(err(
                path,
                K::Invalid(format!("missing required property {key:?}")),
            ));
            None
        }
    }
}

fn opt_str<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    obj.get(key).and_then(Value::as_str)
}

fn node_identifier<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    path: &str,
    errs: &mut Vec<DefinitionError>,
) -> Option<&'v str> {
    match obj.get(key) {
        Some(Value::Object(o)) => req_str(o, "identifier", &format!("{path}/{key}"), errs),
        Some(_) => {
            errs.push(err(
                format!("{path}/{key}"),
                K::Invalid("expected a LinkURI object".into()),
            ));
            None
        }
        None => {
            errs.push(err(
                path,
                K::Invalid(format!("missing required property {key:?}")),
            ));
            None
        }
    }
}

/// Imports a competency framework from a CASE 1.0 `CFPackage`, reporting every problem with
/// its JSON pointer in the package.
pub fn import_cfpackage(
    pkg: &Value,
    opts: &CaseImportOptions,
) -> Result<Framework, DefinitionErrors> {
    let mut errs = Vec::new();
    let Some(root) = pkg.as_object() else {
        return Err(DefinitionErrors(vec![err(
            "",
            K::Invalid("a CFPackage must be a JSON object".into()),
        )]));
    };
    let Some(doc) = root.get("CFDocument").and_then(Value::as_object) else {
        return Err(DefinitionErrors(vec![err(
            "/CFDocument",
            K::Invalid("missing or invalid CFDocument object".into()),
        )]));
    };
    let doc_id = req_str(doc, "identifier", "/CFDocument", &mut errs);
    req_str(doc, "uri", "/CFDocument", &mut errs);
    let creator = req_str(doc, "creator", "/CFDocument", &mut errs);
    let title = req_str(doc, "title", "/CFDocument", &mut errs);
    let last = req_str(doc, "lastChangeDateTime", "/CFDocument", &mut errs);
    let fw_id = doc_id.and_then(|d| match FrameworkId::parse(d) {
        Ok(id) => Some(id),
        Err(e) => {
            errs.push(err("/CFDocument/identifier", K::Invalid(e.to_string())));
            None
        }
    });
    let empty = Vec::new();
    let items = match root.get("CFItems") {
        Some(Value::Array(a)) => a,
        None => &empty,
        Some(_) => {
            errs.push(err("/CFItems", K::Invalid("expected an array".into())));
            &empty
        }
    };
    let assocs = match root.get("CFAssociations") {
        Some(Value::Array(a)) => a,
        None => &empty,
        Some(_) => {
            errs.push(err(
                "/CFAssociations",
                K::Invalid("expected an array".into()),
            ));
            &empty
        }
    };
    struct Item {
        id: CompetencyId,
        name: String,
        description: String,
        code: Option<String>,
        item_type: Option<Category>,
        parent: Option<usize>,
    }
    let mut parsed: Vec<Option<Item>> = Vec::with_capacity(items.len());
    let mut by_ident: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, it) in items.iter().enumerate() {
        let path = format!("/CFItems/{i}");
        let Some(o) = it.as_object() else {
            errs.push(err(path, K::Invalid("expected a CFItem object".into())));
            parsed.push(None);
            continue;
        };
        let ident = req_str(o, "identifier", &path, &mut errs);
        req_str(o, "uri", &path, &mut errs);
        let full = req_str(o, "fullStatement", &path, &mut errs);
        req_str(o, "lastChangeDateTime", &path, &mut errs);
        let item_type = opt_str(o, "CFItemType").and_then(|t| {
            let t = t.trim();
            opts.item_types
                .iter()
                .find(|(name, _)| name.trim().eq_ignore_ascii_case(t))
                .map(|(_, c)| *c)
        });
        let (Some(ident), Some(full)) = (ident, full) else {
            parsed.push(None);
            continue;
        };
        let id = match CompetencyId::parse(ident) {
            Ok(id) => id,
            Err(e) => {
                errs.push(err(format!("{path}/identifier"), K::Invalid(e.to_string())));
                parsed.push(None);
                continue;
            }
        };
        if by_ident.insert(ident.to_string(), i).is_some() {
            errs.push(err(
                format!("{path}/identifier"),
                K::DuplicateId {
                    kind: "CFItem",
                    id: ident.to_string(),
                },
            ));
        }
        let abbrev = opt_str(o, "abbreviatedStatement").filter(|s| !s.is_empty());
        parsed.push(Some(Item {
            id,
            name: abbrev.unwrap_or(full).to_string(),
            description: if abbrev.is_some() {
                full.to_string()
            } else {
                String::new()
            },
            code: opt_str(o, "humanCodingScheme").map(str::to_string),
            item_type,
            parent: None,
        }));
    }
    for (i, a) in assocs.iter().enumerate() {
        let path = format!("/CFAssociations/{i}");
        let Some(o) = a.as_object() else {
            errs.push(err(
                path,
                K::Invalid("expected a CFAssociation object".into()),
            ));
            continue;
        };
        req_str(o, "identifier", &path, &mut errs);
        req_str(o, "uri", &path, &mut errs);
        req_str(o, "lastChangeDateTime", &path, &mut errs);
        let ty = req_str(o, "associationType", &path, &mut errs);
        let origin = node_identifier(o, "originNodeURI", &path, &mut errs);
        let dest = node_identifier(o, "destinationNodeURI", &path, &mut errs);
        if ty != Some("isChildOf") {
            continue;
        }
        let (Some(origin), Some(dest)) = (origin, dest) else {
            continue;
        };
        let Some(&child) = by_ident.get(origin) else {
            errs.push(err(
                format!("{path}/originNodeURI/identifier"),
                K::UnknownReference {
                    kind: "CFItem",
                    id: origin.to_string(),
                },
            ));
            continue;
        };
        let parent = if Some(dest) == doc_id {
            None
        } else if let Some(&p) = by_ident.get(dest) {
            Some(p)
        } else {
            errs.push(err(
                format!("{path}/destinationNodeURI/identifier"),
                K::UnknownReference {
                    kind: "CFItem or CFDocument",
                    id: dest.to_string(),
                },
            ));
            continue;
        };
        if let Some(Some(item)) = parsed.get_mut(child) {
            // First isChildOf wins: a competency has one parent.
            if item.parent.is_none() {
                item.parent = parent;
            }
        }
    }
    // Resolve categories: own type, else nearest categorized ancestor, else default.
    let n = parsed.len();
    let mut cats: Vec<Option<Category>> = vec![None; n];
    for (i, cat_slot) in cats.iter_mut().enumerate() {
        let mut cur = Some(i);
        let mut steps = 0;
        let mut found = None;
        while let Some(c) = cur {
            steps += 1;
            if steps > n + 1 {
                errs.push(err(
                    format!("/CFItems/{i}"),
                    K::Cycle {
                        kind: "isChildOf",
                        members: vec![],
                    },
                ));
                break;
            }
            let Some(Some(item)) = parsed.get(c) else {
                break;
            };
            if let Some(t) = item.item_type {
                found = Some(t);
                break;
            }
            cur = item.parent;
        }
        *cat_slot = found.or(opts.default_category);
        if parsed.get(i).is_some_and(Option::is_some) && cat_slot.is_none() {
            errs.push(err(
                format!("/CFItems/{i}/CFItemType"),
                K::Rule(
                    "no category: CFItemType is not mapped and no ancestor has a mapped type"
                        .into(),
                ),
            ));
        }
    }
    let mut competencies = Vec::new();
    for (i, item) in parsed.iter().enumerate() {
        let (Some(item), Some(category)) = (item, cats[i]) else {
            continue;
        };
        let parent = item
            .parent
            .and_then(|p| parsed.get(p))
            .and_then(|p| p.as_ref());
        if let (Some(p), Some(pc)) = (
            parent,
            item.parent.and_then(|p| cats.get(p).copied().flatten()),
        ) {
            if pc != category {
                errs.push(err(
                    format!("/CFItems/{i}/CFItemType"),
                    K::Rule(format!(
                        "category {category} differs from parent {:?} ({pc})",
                        p.id.as_str()
                    )),
                ));
            }
        }
        competencies.push(Competency {
            id: item.id.clone(),
            code: item.code.clone(),
            name: item.name.clone(),
            description: item.description.clone(),
            category,
            parent: parent.map(|p| p.id.clone()),
            roles: Vec::new(),
        });
    }
    if !errs.is_empty() {
        return Err(DefinitionErrors(errs));
    }
    match (fw_id, title) {
        (Some(id), Some(title)) => Ok(Framework {
            id,
            name: title.to_string(),
            version: opt_str(doc, "version").map(str::to_string),
            description: opt_str(doc, "description").unwrap_or_default().to_string(),
            creator: creator.map(str::to_string),
            last_changed: last.map(str::to_string),
            categories: opts.policies.clone(),
            competencies,
        }),
        _ => Err(DefinitionErrors(vec![err(
            "/CFDocument",
            K::Invalid("incomplete CFDocument".into()),
        )])),
    }
}

/// True if `s` is a UUID in canonical text form.
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// A deterministic RFC 9562 version-8 UUID from a name (two FNV-1a 64-bit hashes).
pub fn deterministic_uuid(name: &str) -> String {
    fn fnv(seed: u64, s: &str) -> u64 {
        let mut h = seed;
        for b in s.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    }
    let hi = fnv(0xcbf2_9ce4_8422_2325, name);
    let lo = fnv(0x8422_2325_cbf2_9ce4, name);
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_8000; // version 8
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000; // variant 10
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

fn case_ident(id: &str, kind: &str) -> String {
    if is_uuid(id) {
        id.to_string()
    } else {
        deterministic_uuid(&format!("{kind}:{id}"))
    }
}

/// Exports a framework as a CASE 1.0 `CFPackage`.
pub fn export_cfpackage(fw: &Framework, opts: &CaseExportOptions) -> Value {
    let base = opts.base_uri.trim_end_matches('/');
    let doc_ident = case_ident(fw.id.as_str(), "framework");
    let last = fw
        .last_changed
        .clone()
        .unwrap_or_else(|| "1970-01-01T00:00:00+00:00".into());
    let doc_link = json!({
        "title": fw.name,
        "identifier": doc_ident,
        "uri": format!("{base}/CFDocuments/{doc_ident}"),
    });
    let mut doc = json!({
        "identifier": doc_ident,
        "uri": format!("{base}/CFDocuments/{doc_ident}"),
        "creator": fw.creator.clone().unwrap_or_else(|| "Pathledger".into()),
        "title": fw.name,
        "lastChangeDateTime": last,
        "CFPackageURI": {
            "title": fw.name,
            "identifier": doc_ident,
            "uri": format!("{base}/CFPackages/{doc_ident}"),
        },
    });
    if let Some(obj) = doc.as_object_mut() {
        if let Some(v) = &fw.version {
            obj.insert("version".into(), json!(v));
        }
        if !fw.description.is_empty() {
            obj.insert("description".into(), json!(fw.description));
        }
    }
    let idents: std::collections::HashMap<&str, String> = fw
        .competencies
        .iter()
        .map(|c| (c.id.as_str(), case_ident(c.id.as_str(), "competency")))
        .collect();
    let ident_of = |id: &str| {
        idents
            .get(id)
            .cloned()
            .unwrap_or_else(|| case_ident(id, "competency"))
    };
    let mut items = Vec::new();
    let mut assocs = Vec::new();
    let mut sibling_seq: std::collections::HashMap<Option<&str>, u64> =
        std::collections::HashMap::new();
    for c in &fw.competencies {
        let ident = ident_of(c.id.as_str());
        let (full, abbrev) = if c.description.is_empty() {
            (c.name.clone(), None)
        } else {
            (c.description.clone(), Some(c.name.clone()))
        };
        let mut item = json!({
            "identifier": ident,
            "uri": format!("{base}/CFItems/{ident}"),
            "CFDocumentURI": doc_link,
            "fullStatement": full,
            "CFItemType": c.category.label(),
            "lastChangeDateTime": last,
        });
        if let Some(obj) = item.as_object_mut() {
            if let Some(a) = abbrev {
                obj.insert("abbreviatedStatement".into(), json!(a));
            }
            if let Some(code) = &c.code {
                obj.insert("humanCodingScheme".into(), json!(code));
            }
        }
        items.push(item);
        let (dest_ident, dest_title, dest_kind) = match &c.parent {
            Some(p) => {
                let title = fw
                    .competencies
                    .iter()
                    .find(|x| &x.id == p)
                    .map(|x| {
                        if x.description.is_empty() {
                            x.name.clone()
                        } else {
                            x.description.clone()
                        }
                    })
                    .unwrap_or_default();
                (ident_of(p.as_str()), title, "CFItems")
            }
            None => (doc_ident.clone(), fw.name.clone(), "CFDocuments"),
        };
        let seq = sibling_seq
            .entry(c.parent.as_ref().map(|p| p.as_str()))
            .or_insert(0);
        *seq += 1;
        let a_ident = deterministic_uuid(&format!("isChildOf:{ident}:{dest_ident}"));
        assocs.push(json!({
            "identifier": a_ident,
            "uri": format!("{base}/CFAssociations/{a_ident}"),
            "CFDocumentURI": doc_link,
            "associationType": "isChildOf",
            "sequenceNumber": *seq,
            "originNodeURI": {
                "title": full,
                "identifier": ident,
                "uri": format!("{base}/CFItems/{ident}"),
            },
            "destinationNodeURI": {
                "title": dest_title,
                "identifier": dest_ident,
                "uri": format!("{base}/{dest_kind}/{dest_ident}"),
            },
            "lastChangeDateTime": last,
        }));
    }
    json!({
        "CFDocument": doc,
        "CFItems": items,
        "CFAssociations": assocs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_helpers() {
        let u = deterministic_uuid("competency:comp-grit");
        assert!(is_uuid(&u), "{u}");
        assert_eq!(u, deterministic_uuid("competency:comp-grit"));
        assert_ne!(u, deterministic_uuid("competency:comp-urgency"));
        assert_eq!(&u[14..15], "8");
        assert!(!is_uuid("comp-grit"));
    }
}
