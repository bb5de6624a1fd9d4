//! CASE 1.0 CFPackage import and export, with a round trip over the sample package.

use pathledger_core::case::{
    export_cfpackage, import_cfpackage, CaseExportOptions, CaseImportOptions,
};
use pathledger_core::{Category, Definitions};
use serde_json::Value;

fn sample() -> Value {
    serde_json::from_str(include_str!("data/case/sample-cfpackage.json")).expect("sample json")
}

/// The parts of a package that carry meaning, in a comparable form.
fn projection(pkg: &Value) -> Value {
    let items: Vec<Value> = pkg["CFItems"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            serde_json::json!([
                i["identifier"],
                i["uri"],
                i["fullStatement"],
                i["abbreviatedStatement"],
                i["humanCodingScheme"],
                i["CFItemType"]
            ])
        })
        .collect();
    let mut assocs: Vec<String> = pkg["CFAssociations"]
        .as_array()
        .expect("assocs")
        .iter()
        .filter(|a| a["associationType"] == "isChildOf")
        .map(|a| {
            format!(
                "{} -> {}",
                a["originNodeURI"]["identifier"], a["destinationNodeURI"]["identifier"]
            )
        })
        .collect();
    assocs.sort();
    let d = &pkg["CFDocument"];
    serde_json::json!({
        "doc": [d["identifier"], d["uri"], d["title"], d["creator"], d["version"], d["lastChangeDateTime"]],
        "items": items,
        "assocs": assocs,
    })
}

#[test]
fn import_sample_package() {
    let fw = import_cfpackage(&sample(), &CaseImportOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fw.name, "Blended Educator Sample (CASE)");
    assert_eq!(fw.competencies.len(), 7);
    let child = fw
        .competencies
        .iter()
        .find(|c| c.code.as_deref() == Some("T.1.1"))
        .expect("child");
    let parent = fw
        .competencies
        .iter()
        .find(|c| c.code.as_deref() == Some("T.1"))
        .expect("parent");
    assert_eq!(child.parent.as_ref(), Some(&parent.id));
    assert_eq!(child.category, Category::TechnicalSkills);
    assert!(fw
        .competencies
        .iter()
        .any(|c| c.category == Category::Mindset));
    assert_eq!(fw.categories.len(), 4, "default policies attached");
}

#[test]
fn cfpackage_round_trip() {
    let pkg = sample();
    let fw =
        import_cfpackage(&pkg, &CaseImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let out = export_cfpackage(
        &fw,
        &CaseExportOptions {
            base_uri: "https://case.example.org/ims/case/v1p0".into(),
        },
    );
    assert_eq!(projection(&out), projection(&pkg));
    let again =
        import_cfpackage(&out, &CaseImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, fw);
}

#[test]
fn default_framework_round_trip_preserves_structure() {
    let d = Definitions::default_data().unwrap_or_else(|e| panic!("{e}"));
    let fw = d.framework();
    let pkg = export_cfpackage(fw, &CaseExportOptions::default());
    assert_eq!(
        pkg["CFItems"].as_array().map(Vec::len),
        Some(fw.competencies.len())
    );
    let back =
        import_cfpackage(&pkg, &CaseImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.competencies.len(), fw.competencies.len());
    for (a, b) in fw.competencies.iter().zip(&back.competencies) {
        assert_eq!(
            (a.name.as_str(), a.code.as_deref(), a.category),
            (b.name.as_str(), b.code.as_deref(), b.category)
        );
        assert_eq!(a.parent.is_some(), b.parent.is_some(), "{}", a.id);
    }
    // Export is deterministic.
    assert_eq!(pkg, export_cfpackage(fw, &CaseExportOptions::default()));
}

#[test]
fn unmapped_type_inherits_parent_category_or_fails_with_path() {
    let mut pkg = sample();
    // Item 3 (T.1.1) gets an unmapped type: it inherits Technical Skills from its parent.
    pkg["CFItems"][3]["CFItemType"] = Value::from("Indicator");
    let fw =
        import_cfpackage(&pkg, &CaseImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let c = fw
        .competencies
        .iter()
        .find(|c| c.code.as_deref() == Some("T.1.1"))
        .expect("item");
    assert_eq!(c.category, Category::TechnicalSkills);
    // A top-level item with an unmapped type and no default fails, naming the item.
    pkg["CFItems"][0]["CFItemType"] = Value::from("Indicator");
    let e = import_cfpackage(&pkg, &CaseImportOptions::default()).expect_err("must fail");
    assert!(e.has_path("/CFItems/0/CFItemType"), "{e}");
    let opts = CaseImportOptions {
        default_category: Some(Category::Mindset),
        ..CaseImportOptions::default()
    };
    assert!(import_cfpackage(&pkg, &opts).is_ok());
}

#[test]
fn invalid_packages_report_paths() {
    let mut pkg = sample();
    if let Some(o) = pkg["CFItems"][1].as_object_mut() {
        o.remove("fullStatement");
    }
    pkg["CFAssociations"][0]["destinationNodeURI"]["identifier"] =
        Value::from("00000000-0000-0000-0000-000000000000");
    let e = import_cfpackage(&pkg, &CaseImportOptions::default()).expect_err("must fail");
    assert!(e.has_path("/CFItems/1"), "{e}");
    assert!(
        e.has_path("/CFAssociations/0/destinationNodeURI/identifier"),
        "{e}"
    );
    assert!(import_cfpackage(&Value::from(3), &CaseImportOptions::default()).is_err());
}
