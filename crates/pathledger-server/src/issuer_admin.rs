//! The issuer admin's credential list (search and pages), the confirmation steps before a
//! status change or a key rotation, and bulk issuance from the page: its start, its progress
//! and results page, and its failed rows as CSV. The actions themselves
//! stay in `work.rs` (their forms post there, as the API twins do).

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use pathledger_app::bulk;
use pathledger_app::first_issuer;
use pathledger_store::AccessRole;
use serde::Deserialize;

use crate::app::App;
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::pages::admin::{
    credential_list_page, key_rotation_confirmation_page, status_confirmation_page, CredentialList,
    StatusConfirmation,
};
use crate::pages::bulk_issue::{bulk_issue_page, Run};
use crate::pages::format::achievement_name;
use crate::work::{error_page, multipart_fields, page, sign_in};

/// Credentials per page of the list (the page size is fixed: bounded and stable).
pub const PER_PAGE: u64 = 25;

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    page: Option<String>,
}

/// `GET /admin/credentials`: the organization's credentials, newest first, searched by
/// recipient (name or email), achievement (id or name) or credential id.
pub(crate) async fn credential_list(
    State(app): State<App>,
    caller: MaybeCaller,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let org = match caller
        .org_with_role(&app, &[AccessRole::OrgAdmin, AccessRole::Issuer])
        .await
    {
        Ok(o) => o,
        Err(e) => return Ok(error_page(&caller, "Credentials", &e.into(), "/")),
    };
    let text = q.q.as_deref().map(str::trim).unwrap_or_default();
    let text: String = text.chars().take(200).collect();
    // A page number that is not one (or is out of range) shows the first or last page.
    let wanted = q
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000);
    let defs = app.definitions(&org).await?;
    let needle = text.to_lowercase();
    let by_name: Vec<String> = if needle.is_empty() {
        Vec::new()
    } else {
        defs.achievements()
            .iter()
            .filter(|a| a.name.to_lowercase().contains(&needle))
            .map(|a| a.id.as_str().to_owned())
            .collect()
    };
    let search = (!text.is_empty()).then_some(text.as_str());
    let store = app.store();
    let mut page_no = wanted;
    let mut found = store
        .search_credentials(
            &org,
            search,
            &by_name,
            PER_PAGE as u32,
            (page_no - 1) * PER_PAGE,
        )
        .await
        .map_err(ApiError::from_store)?;
    let last = found.total.div_ceil(PER_PAGE).max(1);
    if page_no > last {
        page_no = last;
        found = store
            .search_credentials(
                &org,
                search,
                &by_name,
                PER_PAGE as u32,
                (page_no - 1) * PER_PAGE,
            )
            .await
            .map_err(ApiError::from_store)?;
    }
    let body = credential_list_page(&CredentialList {
        defs: &defs,
        rows: &found.rows,
        q: &text,
        page: page_no,
        per_page: PER_PAGE,
        total: found.total,
    });
    Ok(page("Credentials", &caller, body).into_response())
}

#[derive(Deserialize)]
pub(crate) struct ActionQuery {
    #[serde(default)]
    action: Option<String>,
}

/// `GET /admin/credentials/{id}/status?action=…`: the confirmation step of a status change.
pub(crate) async fn status_confirm(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(id): Path<String>,
    Query(q): Query<ActionQuery>,
) -> Response {
    let Some(caller) = caller.0 else {
        return sign_in();
    };
    let action = q.action.unwrap_or_else(|| "revoke".into());
    status_confirmation(&app, &caller, &id, &action, None, None).await
}

/// The confirmation page of `action` on credential `id` (again, with `error` beside the
/// reason and what was typed kept, when a confirmed change was refused for its reason).
pub(crate) async fn status_confirmation(
    app: &App,
    caller: &Caller,
    id: &str,
    action: &str,
    reason: Option<&str>,
    error: Option<&ApiError>,
) -> Response {
    let result: Result<_, ApiError> = async {
        if !["revoke", "suspend", "reinstate"].contains(&action) {
            return Err(ApiError::invalid(
                "action",
                format!("unknown action {action:?}: revoke, suspend or reinstate"),
            ));
        }
        let rec = crate::api::credential_for_issuer(app, caller, id).await?;
        let defs = app.definitions(&rec.org_id).await?;
        let holder = match &rec.educator_id {
            Some(e) => match app.store().educator(e).await {
                Ok(ed) => match ed.emails.first() {
                    Some(mail) if !mail.eq_ignore_ascii_case(&ed.display_name) => {
                        format!("{} ({mail})", ed.display_name)
                    }
                    _ => ed.display_name,
                },
                Err(_) => "An educator record that no longer exists".to_owned(),
            },
            None if rec.achievement_id.is_empty() => {
                "No educator record (a document signed through the VC-API)".to_owned()
            }
            None => "Erased on request".to_owned(),
        };
        let achievement = if rec.achievement_id.is_empty() {
            "A document signed through the VC-API".to_owned()
        } else {
            achievement_name(&defs, &rec.achievement_id)
        };
        Ok((rec, holder, achievement))
    }
    .await;
    let (rec, holder, achievement) = match result {
        Ok(x) => x,
        Err(e) => return error_page(caller, "Status not changed", &e, "/admin/credentials"),
    };
    let body = status_confirmation_page(&StatusConfirmation {
        id: &rec.id,
        action,
        achievement,
        holder,
        issued_ms: rec.issued_ms,
        form_token: caller.form_token.as_deref(),
        reason: reason.unwrap_or_default(),
        error: error.map(|e| e.detail.as_str()),
    });
    let status = error.map_or(StatusCode::OK, |e| e.status);
    (status, page("Confirm the status change", caller, body)).into_response()
}

/// `GET /admin/keys/rotate`: the confirmation step of a key rotation (org admins).
pub(crate) async fn rotate_confirm(State(app): State<App>, caller: MaybeCaller) -> Response {
    let Some(caller) = caller.0 else {
        return sign_in();
    };
    let result: Result<_, ApiError> = async {
        let org = caller.org_with_role(&app, &[AccessRole::OrgAdmin]).await?;
        let issuer = first_issuer(&app, &org).await?;
        let current = app
            .store()
            .issuer_keys(&issuer.id)
            .await
            .map_err(ApiError::from_store)?
            .into_iter()
            .find(|k| k.active)
            .map(|k| k.id);
        Ok((issuer.name, current))
    }
    .await;
    match result {
        Ok((issuer, current)) => page(
            "Rotate the signing key",
            &caller,
            key_rotation_confirmation_page(
                &issuer,
                current.as_deref(),
                caller.form_token.as_deref(),
            ),
        )
        .into_response(),
        Err(e) => error_page(&caller, "Key not rotated", &e, "/admin"),
    }
}

/// `GET /admin/bulk/{job}/failed.csv`: a finished run's failed rows with their reasons.
pub(crate) async fn failed_rows(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(job): Path<String>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let j = bulk::job(&app, &caller, &job).await?;
    let csv = crate::pages::bulk_issue::failed_rows_csv(&j.rows);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"bulk-{job}-failed.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}

/// `POST /admin/bulk`: starts a bulk issuance from the page's CSV upload; its progress page next.
pub(crate) async fn admin_bulk_start(
    State(app): State<App>,
    caller: MaybeCaller,
    mp: Multipart,
) -> Response {
    let Some(caller) = caller.0 else {
        return sign_in();
    };
    let result: Result<String, ApiError> = async {
        let fields = multipart_fields(mp).await?;
        let field = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.as_str())
        };
        Ok(bulk::start_job(&app, &caller, field("suite"), field("rows").unwrap_or("")).await?)
    }
    .await;
    match result {
        Ok(id) => Redirect::to(&format!("/admin/bulk/{id}")).into_response(),
        Err(e) => error_page(&caller, "Bulk issue not started", &e, "/admin"),
    }
}

pub(crate) async fn admin_bulk_status(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let mut j = bulk::job(&app, &caller, &id).await?;
    // Achievements by name where the definitions know them.
    if let Ok(defs) = app.definitions(&j.org).await {
        for row in &mut j.rows {
            if let Some(a) = defs.achievement(&row.2) {
                row.2 = a.name.clone();
            }
        }
    }
    let run = if !j.finished {
        Run::Running {
            done: j.done,
            total: j.total,
        }
    } else if let Some(e) = &j.error {
        Run::Failed(e)
    } else {
        Run::Finished {
            total: j.total,
            rows: &j.rows,
            invited: (j.invitations_sent, j.invitations_failed),
        }
    };
    let refresh = matches!(run, Run::Running { .. });
    let mut resp = page("Bulk issue", &caller, bulk_issue_page(&id, run)).into_response();
    if refresh {
        resp.headers_mut()
            .insert(header::REFRESH, header::HeaderValue::from_static("1"));
    }
    Ok(resp)
}
