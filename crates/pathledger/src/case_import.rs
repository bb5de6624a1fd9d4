//! Bringing a CASE framework back into an organization's definitions without breaking the
//! achievements and roles that point at its competencies.
//!
//! CASE export turns our slug ids into deterministic UUIDs and carries no role links, so a
//! framework exported by us and imported again would otherwise come back with new ids and
//! every achievement's alignment would dangle.

use std::collections::HashMap;

use pathledger_core::Framework;
use serde_json::Value;

/// The imported framework as JSON, with ids we exported mapped back to the ones `current`
/// uses, and role links kept for competencies CASE cannot describe them for.
pub fn merge(current: &Framework, imported: &Framework) -> serde_json::Result<Value> {
    // Our own export names each competency, in order, by the identifier it would get in CASE.
    let exported = pathledger_core::case::export_cfpackage(current, &Default::default());
    let mut back: HashMap<String, String> = HashMap::new();
    if let Some(items) = exported.get("CFItems").and_then(Value::as_array) {
        for (item, c) in items.iter().zip(&current.competencies) {
            if let Some(ident) = item.get("identifier").and_then(Value::as_str) {
                back.insert(ident.to_owned(), c.id.as_str().to_owned());
            }
        }
    }
    let doc_ident = exported
        .pointer("/CFDocument/identifier")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let roles: HashMap<&str, Value> = current
        .competencies
        .iter()
        .filter(|c| !c.roles.is_empty())
        .filter_map(|c| Some((c.id.as_str(), serde_json::to_value(&c.roles).ok()?)))
        .collect();

    let mut fw = serde_json::to_value(imported)?;
    if fw["id"].as_str() == Some(doc_ident) {
        fw["id"] = Value::String(current.id.as_str().to_owned());
    }
    let map = |v: &mut Value| {
        if let Some(old) = v.as_str().and_then(|s| back.get(s)) {
            *v = Value::String(old.clone());
        }
    };
    if let Some(list) = fw.get_mut("competencies").and_then(Value::as_array_mut) {
        for c in list {
            if let Some(id) = c.get_mut("id") {
                map(id);
            }
            if let Some(parent) = c.get_mut("parent") {
                map(parent);
            }
            let no_roles = c
                .get("roles")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty);
            let known = c
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| roles.get(id));
            if let (true, Some(r)) = (no_roles, known) {
                c["roles"] = r.clone();
            }
        }
    }
    Ok(fw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pathledger_core::Definitions;

    #[test]
    fn our_export_imports_back_unchanged() {
        let defs = Definitions::default_data().unwrap();
        let pkg = pathledger_core::case::export_cfpackage(defs.framework(), &Default::default());
        let imported = pathledger_core::case::import_cfpackage(&pkg, &Default::default()).unwrap();
        assert_ne!(imported.id, defs.framework().id, "CASE changes the ids");
        let merged = merge(defs.framework(), &imported).unwrap();
        assert_eq!(merged, serde_json::to_value(defs.framework()).unwrap());
        let mut bundle = defs.to_value();
        bundle["framework"] = merged;
        Definitions::from_value(&bundle).unwrap();
    }

    #[test]
    fn foreign_ids_are_kept() {
        let defs = Definitions::default_data().unwrap();
        let mut pkg =
            pathledger_core::case::export_cfpackage(defs.framework(), &Default::default());
        let ident = pkg["CFItems"][0]["identifier"].as_str().unwrap().to_owned();
        let other = "11111111-2222-4333-8444-555555555555";
        let text = serde_json::to_string(&pkg).unwrap().replace(&ident, other);
        pkg = serde_json::from_str(&text).unwrap();
        let imported = pathledger_core::case::import_cfpackage(&pkg, &Default::default()).unwrap();
        let merged = merge(defs.framework(), &imported).unwrap();
        let ids: Vec<&str> = merged["competencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["id"].as_str())
            .collect();
        assert!(ids.contains(&other), "{ids:?}");
        assert!(!ids.contains(&defs.framework().competencies[0].id.as_str()));
    }
}
