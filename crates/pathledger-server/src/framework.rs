//! The framework edited through forms (org admins): one achievement, stack or role at a time,
//! each save a new validated version with what changed said in words; and two stored versions
//! compared. The JSON editor (`work.rs`, `POST /admin/definitions`) stays for power users.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use pathledger_app::framework_edit::{changes, ItemErrors, SaveRefusal, Section};
use pathledger_store::AccessRole;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::App;
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::pages::format::{describe_change, describe_changes};
use crate::pages::framework_forms::{item_form_page, versions_page, ItemForm};
use crate::work::{error_page, page, sign_in};

/// The form pages and their posts (listed in [`crate::PAGE_ROUTES`]).
pub fn pages() -> Router<App> {
    Router::new()
        .route("/admin/framework/versions", get(versions))
        .route("/admin/framework/{section}/new", get(new_item))
        .route("/admin/framework/{section}", axum::routing::post(save_item))
        .route("/admin/framework/{section}/{id}", get(edit_item))
}

fn section(s: &str) -> Result<Section, ApiError> {
    match s {
        "achievements" => Ok(Section::Achievements),
        "stacks" => Ok(Section::Stacks),
        "roles" => Ok(Section::Roles),
        other => Err(ApiError::not_found(format!(
            "There is no {other:?} section: achievements, stacks or roles."
        ))),
    }
}

/// The org admin's organization, or the refusal page.
async fn admin_org(app: &App, caller: &Caller) -> Result<pathledger_store::OrgId, Response> {
    caller
        .org_with_role(app, &[AccessRole::OrgAdmin])
        .await
        .map_err(|e| error_page(caller, "Definitions", &e.into(), "/admin"))
}

fn form_page(caller: &Caller, status: StatusCode, f: &ItemForm<'_>) -> Response {
    let title = match f.original {
        Some(_) => format!("Edit {}", f.section.item()),
        None => format!("Add {}", f.section.item()),
    };
    (status, page(&title, caller, item_form_page(f))).into_response()
}

async fn new_item(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(s): Path<String>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let section = section(&s)?;
    let org = match admin_org(&app, &caller).await {
        Ok(o) => o,
        Err(r) => return Ok(r),
    };
    let defs = app.definitions(&org).await?;
    let item = match section {
        Section::Achievements => json!({"achievement_type": "MicroCredential"}),
        Section::Stacks => json!({"min_electives": 0}),
        Section::Roles => json!({"kind": "teaching", "direction": "depth"}),
    };
    Ok(form_page(
        &caller,
        StatusCode::OK,
        &ItemForm {
            section,
            defs: &defs,
            original: None,
            item: &item,
            errors: &ItemErrors::default(),
            form_token: caller.form_token.as_deref(),
        },
    ))
}

async fn edit_item(
    State(app): State<App>,
    caller: MaybeCaller,
    Path((s, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let section = section(&s)?;
    let org = match admin_org(&app, &caller).await {
        Ok(o) => o,
        Err(r) => return Ok(r),
    };
    let defs = app.definitions(&org).await?;
    let item = stored_item(&defs.to_value(), section, &id)
        .ok_or_else(|| ApiError::not_found(format!("{} {id} was not found.", section.item())))?;
    Ok(form_page(
        &caller,
        StatusCode::OK,
        &ItemForm {
            section,
            defs: &defs,
            original: Some(&id),
            item: &item,
            errors: &ItemErrors::default(),
            form_token: caller.form_token.as_deref(),
        },
    ))
}

fn stored_item(doc: &Value, section: Section, id: &str) -> Option<Value> {
    doc[section.key()]
        .as_array()?
        .iter()
        .find(|x| x["id"].as_str() == Some(id))
        .cloned()
}

/// The posted fields: the last value of `key`, trimmed.
fn one<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
}

/// Every value of `key` (a group of checkboxes), in order, once each.
fn all(pairs: &[(String, String)], key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (k, v) in pairs {
        let v = v.trim();
        if k == key && !v.is_empty() && !out.iter().any(|o| o == v) {
            out.push(v.to_owned());
        }
    }
    out
}

fn set_or_remove(o: &mut serde_json::Map<String, Value>, key: &str, v: Option<&str>) {
    match v.filter(|v| !v.is_empty()) {
        Some(v) => {
            o.insert(key.into(), json!(v));
        }
        None => {
            o.remove(key);
        }
    }
}

/// The item the form describes, on top of the stored one (so what the form does not show,
/// such as a role's requirements or a stack's incentives, is kept), with the errors of fields
/// that are not even numbers.
fn build_item(section: Section, base: Value, pairs: &[(String, String)]) -> (Value, ItemErrors) {
    let mut item = match base {
        Value::Object(o) => o,
        _ => serde_json::Map::new(),
    };
    let mut errors = ItemErrors::default();
    for key in ["id", "name"] {
        item.insert(key.into(), json!(one(pairs, key).unwrap_or_default()));
    }
    item.insert(
        "description".into(),
        json!(one(pairs, "description").unwrap_or_default()),
    );
    match section {
        Section::Achievements => {
            item.insert(
                "criteria".into(),
                json!(one(pairs, "criteria").unwrap_or_default()),
            );
            item.insert(
                "achievement_type".into(),
                json!(one(pairs, "achievement_type").unwrap_or("MicroCredential")),
            );
            item.insert("alignments".into(), json!(all(pairs, "alignments")));
            item.insert(
                "required_evidence".into(),
                json!(all(pairs, "required_evidence")),
            );
            match one(pairs, "validity").filter(|d| !d.is_empty()) {
                None => {
                    item.remove("validity");
                }
                Some(d) => {
                    let mut validity = item
                        .get("validity")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    match d.parse::<u32>() {
                        Ok(n) if n >= 1 => {
                            validity.insert("valid_for_days".into(), json!(n));
                        }
                        _ => {
                            validity.insert("valid_for_days".into(), json!(d));
                            errors.fields.push((
                                "validity".into(),
                                "enter a whole number of days, 1 or more (or leave it empty)"
                                    .into(),
                            ));
                        }
                    }
                    item.insert("validity".into(), Value::Object(validity));
                }
            }
        }
        Section::Stacks => {
            let parts = |key: &str| -> Vec<Value> {
                all(pairs, key)
                    .iter()
                    .filter_map(|v| {
                        let (k, id) = v.split_once(':')?;
                        ["achievement", "stack"]
                            .contains(&k)
                            .then(|| json!({ k: id }))
                    })
                    .collect()
            };
            item.insert("required".into(), json!(parts("required")));
            item.insert("electives".into(), json!(parts("electives")));
            let min = one(pairs, "min_electives").unwrap_or_default();
            match min.parse::<u32>() {
                Ok(n) => {
                    item.insert("min_electives".into(), json!(n));
                }
                Err(_) if min.is_empty() => {
                    item.insert("min_electives".into(), json!(0));
                }
                Err(_) => {
                    item.insert("min_electives".into(), json!(min));
                    errors.fields.push((
                        "min_electives".into(),
                        "enter a whole number, 0 or more".into(),
                    ));
                }
            }
            set_or_remove(&mut item, "awards", one(pairs, "awards"));
        }
        Section::Roles => {
            for key in ["kind", "direction"] {
                set_or_remove(&mut item, key, one(pairs, key));
            }
            set_or_remove(&mut item, "awards", one(pairs, "awards"));
            item.entry("transitions").or_insert_with(|| json!([]));
        }
    }
    (Value::Object(item), errors)
}

async fn save_item(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(s): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let section = section(&s)?;
    let org = match admin_org(&app, &caller).await {
        Ok(o) => o,
        Err(r) => return Ok(r),
    };
    let defs = app.definitions(&org).await?;
    let original = one(&pairs, "original")
        .filter(|o| !o.is_empty())
        .map(str::to_owned);
    let base = match &original {
        Some(id) => stored_item(&defs.to_value(), section, id).ok_or_else(|| {
            ApiError::not_found(format!("{} {id} was not found.", section.item()))
        })?,
        None => json!({}),
    };
    let (item, local) = build_item(section, base, &pairs);
    let refused = |errors: ItemErrors| {
        form_page(
            &caller,
            StatusCode::UNPROCESSABLE_ENTITY,
            &ItemForm {
                section,
                defs: &defs,
                original: original.as_deref(),
                item: &item,
                errors: &errors,
                form_token: caller.form_token.as_deref(),
            },
        )
    };
    if !local.fields.is_empty() {
        return Ok(refused(local));
    }
    match app
        .save_definition_item(&org, section, original.as_deref(), item.clone())
        .await
    {
        Ok(saved) => {
            tracing::info!(org = %org, by = %caller.user.id, version = saved.version, "definitions changed through a form");
            let msg = format!(
                "Saved version {}: {}.",
                saved.version,
                describe_changes(&saved.changes)
            );
            let mut resp = Redirect::to("/admin").into_response();
            crate::flash::set(&app, &caller, &msg, &mut resp);
            Ok(resp)
        }
        Err(SaveRefusal::Invalid(errors)) => Ok(refused(errors)),
        Err(SaveRefusal::Failed(e)) => Ok(error_page(
            &caller,
            "Definitions not saved",
            &e.into(),
            "/admin",
        )),
    }
}

#[derive(Deserialize)]
struct VersionsQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

async fn versions(
    State(app): State<App>,
    caller: MaybeCaller,
    Query(q): Query<VersionsQuery>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let org = match caller
        .org_with_role(&app, &[AccessRole::OrgAdmin, AccessRole::Issuer])
        .await
    {
        Ok(o) => o,
        Err(e) => return Ok(error_page(&caller, "Versions", &e.into(), "/admin")),
    };
    let list = app.definition_versions(&org).await?;
    let num = |s: &Option<String>| s.as_deref().and_then(|v| v.trim().parse::<i64>().ok());
    let (from, to) = (num(&q.from), num(&q.to));
    let mut error = None;
    let mut described = None;
    if let (Some(f), Some(t)) = (from, to) {
        match (
            app.definitions_version(&org, f).await,
            app.definitions_version(&org, t).await,
        ) {
            (Ok(a), Ok(b)) => {
                described = Some(
                    changes(&a, &b)
                        .iter()
                        .map(describe_change)
                        .collect::<Vec<_>>(),
                );
            }
            (Err(e), _) | (_, Err(e)) => error = Some(ApiError::from(e).detail),
        }
    }
    let body = versions_page(&list, from, to, described.as_deref(), error.as_deref());
    Ok(page("Compare versions", &caller, body).into_response())
}
