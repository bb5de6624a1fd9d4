//! The issuer admin's forms for one achievement, stack or role (each field labelled, the
//! refusal beside the field it names, what was typed kept), and the comparison of two stored
//! versions of the definitions in words. The JSON editor on the admin page stays for the rest.

use maud::{html, Markup};
use pathledger_app::framework_edit::{ItemErrors, Section};
use pathledger_core::Definitions;
use serde_json::Value;

use super::format::{category_words, date, describe_condition, role_name};

const ACHIEVEMENT_TYPES: &[(&str, &str)] = &[
    ("MicroCredential", "Micro-credential"),
    ("Certificate", "Certificate"),
    ("Badge", "Badge"),
    ("Award", "Award"),
    ("Achievement", "Achievement"),
    ("Assessment", "Assessment"),
    ("Course", "Course"),
    ("Certification", "Certification"),
    ("CertificateOfCompletion", "Certificate of completion"),
    ("Competency", "Competency"),
    ("LearningProgram", "Learning program"),
    ("License", "License"),
    ("MasterCertificate", "Master certificate"),
    ("Membership", "Membership"),
    ("Fieldwork", "Fieldwork"),
    ("Assignment", "Assignment"),
    ("CoCurricular", "Co-curricular"),
    ("ApprenticeshipCertificate", "Apprenticeship certificate"),
    ("JourneymanCertificate", "Journeyman certificate"),
];

const EVIDENCE_KINDS: &[(&str, &str)] = &[
    ("assessment", "Assessment result"),
    ("course_completion", "Course completion"),
    ("work_sample", "Work sample"),
    ("mentor_attestation", "Mentor attestation"),
    ("reflection", "Reflection"),
    ("peer_attestation", "Peer attestation"),
];

const ROLE_KINDS: &[(&str, &str)] = &[
    ("on_ramp", "On-ramp"),
    ("training", "Training"),
    ("teaching", "Teaching"),
    ("specialist", "Specialist"),
    ("leadership", "Leadership"),
    ("community", "Community"),
];

const DIRECTIONS: &[(&str, &str)] = &[
    ("entry", "Entry"),
    ("depth", "Expert depth"),
    ("breadth", "Functional breadth"),
    ("leadership", "Team and organization leadership"),
];

/// The path segment of a section (`/admin/framework/achievements/…`).
pub fn section_path(s: Section) -> &'static str {
    s.key()
}

/// One item's form, new or being edited.
pub struct ItemForm<'a> {
    pub section: Section,
    pub defs: &'a Definitions,
    /// The id of the item being edited (`None`: a new one).
    pub original: Option<&'a str>,
    /// The values to show: the stored item, or what was typed.
    pub item: &'a Value,
    pub errors: &'a ItemErrors,
    pub form_token: Option<&'a str>,
}

fn errors_for(errors: &ItemErrors, field: &str) -> Markup {
    html! {
        @for (f, m) in &errors.fields {
            @if f == field { p.field-error id={ "error-" (field) } role="alert" { (capitalized(m)) } }
        }
    }
}

/// A message as a sentence: its first letter capitalized.
fn capitalized(m: &str) -> String {
    let mut c = m.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn has_error(errors: &ItemErrors, field: &str) -> bool {
    errors.fields.iter().any(|(f, _)| f == field)
}

fn text(item: &Value, key: &str) -> String {
    match &item[key] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// The ids that describe a field: its hint and its error, when it has them.
fn described_by(hint: Option<String>, error: Option<String>) -> Option<String> {
    match (hint, error) {
        (Some(h), Some(e)) => Some(format!("{h} {e}")),
        (h, e) => h.or(e),
    }
}

/// A labelled one-line text field with its error.
fn text_field(f: &ItemForm<'_>, key: &str, label: &str, hint: Option<&str>) -> Markup {
    let id = format!("field-{key}");
    let invalid = has_error(f.errors, key);
    html! {
        label for=(id) { (label) }
        @if let Some(h) = hint { p.hint.muted id={ (id) "-hint" } { (h) } }
        (errors_for(f.errors, key))
        input id=(id) name=(key) value=(text(f.item, key)) size="50"
            aria-invalid=[invalid.then_some("true")]
            aria-describedby=[described_by(hint.map(|_| format!("{id}-hint")), invalid.then(|| format!("error-{key}")))];
    }
}

fn text_area(f: &ItemForm<'_>, key: &str, label: &str) -> Markup {
    let id = format!("field-{key}");
    html! {
        label for=(id) { (label) }
        (errors_for(f.errors, key))
        textarea.short id=(id) name=(key) aria-invalid=[has_error(f.errors, key).then_some("true")]
            aria-describedby=[has_error(f.errors, key).then(|| format!("error-{key}"))] { (text(f.item, key)) }
    }
}

fn select(f: &ItemForm<'_>, key: &str, label: &str, options: &[(String, String)]) -> Markup {
    let id = format!("field-{key}");
    let current = text(f.item, key);
    html! {
        label for=(id) { (label) }
        (errors_for(f.errors, key))
        select id=(id) name=(key) {
            @for (v, l) in options {
                option value=(v) selected[*v == current] { (l) }
            }
        }
    }
}

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// A fieldset of checkboxes named `key`, checked when `checked(value)`.
fn checkboxes(
    f: &ItemForm<'_>,
    key: &str,
    legend: &str,
    options: &[(String, String)],
    checked: impl Fn(&str) -> bool,
) -> Markup {
    html! {
        fieldset.choices id={ "field-" (key) } {
            legend { (legend) }
            (errors_for(f.errors, key))
            @for (i, (v, l)) in options.iter().enumerate() {
                div.choice {
                    input type="checkbox" id={ "field-" (key) "-" (i) } name=(key) value=(v) checked[checked(v)];
                    label.inline for={ "field-" (key) "-" (i) } { (l) }
                }
            }
        }
    }
}

fn string_list(item: &Value, key: &str) -> Vec<String> {
    item[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// A stack part as the form's value: `achievement:ID` or `stack:ID`.
fn part_values(item: &Value, key: &str) -> Vec<String> {
    item[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| {
            let o = v.as_object()?;
            let (k, id) = o.iter().next()?;
            Some(format!("{k}:{}", id.as_str()?))
        })
        .collect()
}

fn achievement_fields(f: &ItemForm<'_>) -> Markup {
    let comps: Vec<(String, String)> = f
        .defs
        .framework()
        .competencies
        .iter()
        .map(|c| {
            (
                c.id.as_str().to_owned(),
                format!("{} ({})", c.name, category_words(c.category)),
            )
        })
        .collect();
    let aligned = string_list(f.item, "alignments");
    let evidence = string_list(f.item, "required_evidence");
    let days = match &f.item["validity"] {
        Value::Object(v) => match &v.get("valid_for_days") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        },
        _ => String::new(),
    };
    html! {
        (text_area(f, "description", "Description"))
        (text_area(f, "criteria", "Criteria: what the educator must do or show"))
        (select(f, "achievement_type", "Type", &owned(ACHIEVEMENT_TYPES)))
        (checkboxes(f, "alignments", "Competencies it aligns to", &comps, |v| aligned.iter().any(|a| a == v)))
        (checkboxes(f, "required_evidence", "Evidence it requires", &owned(EVIDENCE_KINDS), |v| evidence.iter().any(|a| a == v)))
        label for="field-validity" { "Valid for (days; empty: does not expire)" }
        (errors_for(f.errors, "validity"))
        input #field-validity name="validity" inputmode="numeric" size="8" value=(days)
            aria-invalid=[has_error(f.errors, "validity").then_some("true")];
    }
}

fn stack_fields(f: &ItemForm<'_>) -> Markup {
    let own = text(f.item, "id");
    let mut parts: Vec<(String, String)> = f
        .defs
        .achievements()
        .iter()
        .map(|a| (format!("achievement:{}", a.id.as_str()), a.name.clone()))
        .collect();
    parts.extend(
        f.defs
            .stacks()
            .iter()
            .filter(|s| s.id.as_str() != own && Some(s.id.as_str()) != f.original)
            .map(|s| {
                (
                    format!("stack:{}", s.id.as_str()),
                    format!("{} (stack)", s.name),
                )
            }),
    );
    let required = part_values(f.item, "required");
    let electives = part_values(f.item, "electives");
    let mut awards = vec![(String::new(), "Nothing".to_owned())];
    awards.extend(
        f.defs
            .achievements()
            .iter()
            .map(|a| (a.id.as_str().to_owned(), a.name.clone())),
    );
    html! {
        (text_area(f, "description", "Description"))
        (checkboxes(f, "required", "Required parts (all of them)", &parts, |v| required.iter().any(|a| a == v)))
        (checkboxes(f, "electives", "Electives", &parts, |v| electives.iter().any(|a| a == v)))
        label for="field-min_electives" { "How many electives are needed" }
        (errors_for(f.errors, "min_electives"))
        input #field-min_electives name="min_electives" inputmode="numeric" size="6" value=(text(f.item, "min_electives"))
            aria-invalid=[has_error(f.errors, "min_electives").then_some("true")];
        (select(f, "awards", "Completing it awards", &awards))
        @if f.item["incentives"].as_array().is_some_and(|a| !a.is_empty()) {
            p.muted { "Its incentives are kept as they are; change them in the JSON editor." }
        }
    }
}

fn role_fields(f: &ItemForm<'_>) -> Markup {
    let mut awards = vec![(String::new(), "Nothing".to_owned())];
    awards.extend(
        f.defs
            .achievements()
            .iter()
            .map(|a| (a.id.as_str().to_owned(), a.name.clone())),
    );
    let stored = f.original.and_then(|id| f.defs.role(id));
    html! {
        (text_area(f, "description", "Description"))
        (select(f, "kind", "Kind", &owned(ROLE_KINDS)))
        (select(f, "direction", "Direction of advancement", &owned(DIRECTIONS)))
        (select(f, "awards", "Reaching it awards", &awards))
        @if let Some(r) = stored {
            h2 { "Requirements" }
            p.muted { "Requirements are kept as they are; change them in the JSON editor." }
            ul {
                @if let Some(e) = &r.entry { li { "To start here: " (describe_condition(f.defs, e)) } }
                @for t in &r.transitions {
                    li { "To " (role_name(f.defs, t.to.as_str())) ": " (describe_condition(f.defs, &t.requires)) }
                }
            }
        }
    }
}

pub fn item_form_page(f: &ItemForm<'_>) -> Markup {
    let what = f.section.item();
    // The stored name, not the one being typed (which may be empty).
    let stored = f.original.and_then(|id| match f.section {
        Section::Achievements => f.defs.achievement(id).map(|a| a.name.as_str()),
        Section::Stacks => f.defs.stack(id).map(|s| s.name.as_str()),
        Section::Roles => f.defs.role(id).map(|r| r.name.as_str()),
    });
    let title = match f.original {
        Some(id) => format!("Edit the {what} “{}”", stored.unwrap_or(id)),
        None => format!(
            "Add {} {what}",
            if what == "achievement" { "an" } else { "a" }
        ),
    };
    html! {
        h1 { (title) }
        p { a href="/admin#framework" { "Back to issuer admin" } }
        @if let (Section::Achievements, Some(id)) = (f.section, f.original) {
            p #image-link { a href={ "/admin/framework/achievements/" (id) "/image" } { "Its image (upload a PNG or SVG, or give a link)" } }
        }
        @if !f.errors.fields.is_empty() || !f.errors.other.is_empty() {
            div.card.problems #form-errors role="alert" {
                p { strong { "Not saved. " } "Fix what is marked below; everything you typed is kept." }
                @if !f.errors.other.is_empty() {
                    ul { @for m in &f.errors.other { li { (capitalized(m)) } } }
                }
            }
        }
        form.item-form method="post" action={ "/admin/framework/" (section_path(f.section)) } {
            (super::csrf_field(f.form_token))
            input type="hidden" name="original" value=(f.original.unwrap_or(""));
            (text_field(f, "id", "Id", Some("Letters, digits and . _ : - only; credentials and links use it, so change it only if nothing was issued under it.")))
            (text_field(f, "name", "Name", None))
            @match f.section {
                Section::Achievements => (achievement_fields(f)),
                Section::Stacks => (stack_fields(f)),
                Section::Roles => (role_fields(f)),
            }
            p { button type="submit" { "Save a new version" } " " a href="/admin#framework" { "Cancel" } }
        }
    }
}

/// The stored versions and, when two are picked, what changed between them in words.
pub fn versions_page(
    versions: &[(i64, i64)],
    from: Option<i64>,
    to: Option<i64>,
    changes: Option<&[String]>,
    error: Option<&str>,
) -> Markup {
    let pick = |name: &str, label: &str, chosen: Option<i64>| {
        html! {
            label for={ "version-" (name) } { (label) }
            select id={ "version-" (name) } name=(name) {
                @for (v, ms) in versions {
                    option value=(v) selected[chosen == Some(*v)] { "Version " (v) ", saved " (date(*ms)) }
                }
            }
        }
    };
    let newest = versions.first().map(|v| v.0);
    let older = versions.get(1).map(|v| v.0).or(newest);
    html! {
        h1 { "Compare versions of the definitions" }
        p { a href="/admin#framework" { "Back to issuer admin" } }
        @if versions.len() < 2 {
            p { "There is only one version so far: save a change to compare." }
        }
        form method="get" action="/admin/framework/versions" {
            (pick("from", "Older version", from.or(older)))
            (pick("to", "Newer version", to.or(newest)))
            p { button type="submit" { "Compare" } }
        }
        @if let Some(e) = error { p.field-error role="alert" { (e) } }
        @if let (Some(f), Some(t), Some(list)) = (from, to, changes) {
            section.card #differences aria-labelledby="differences-title" {
                h2 #differences-title { "From version " (f) " to version " (t) }
                @if list.is_empty() { p { "Nothing changed." } }
                @else { ul { @for c in list { li { (c) } } } }
            }
        }
    }
}
