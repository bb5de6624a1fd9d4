//! The educator's progress pages: the dashboard (where I am, my next step, what I reached since
//! my last visit), the pathway map and each role's page. All read one
//! `pathledger_app::progress::Standing`, so they show the same numbers.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use pathledger_app::progress::standing;
use pathledger_badges as badges;
use pathledger_core::PlanOptions;
use serde_json::Value;

use crate::app::App;
use crate::auth::MaybeCaller;
use crate::error::ApiError;
use crate::pages;
use crate::pages::dashboard::{Dashboard, EndorsementProof, EndorsementRow, HeldRow};
use crate::web::{page, page_org, OrgQuery};

/// The progress pages (listed in [`crate::PAGE_ROUTES`]).
pub fn pages() -> Router<App> {
    Router::new()
        .route("/pathways", get(pathway_map))
        .route("/pathways/{role}", get(role_page))
        .route("/dashboard", get(dashboard))
}

/// The signed-in person's evaluation in `org` (from their record there), if they have one.
async fn my_evaluation(
    app: &App,
    caller: &MaybeCaller,
    defs: &pathledger_core::Definitions,
    org: &str,
) -> Result<Option<pathledger_core::Evaluation>, ApiError> {
    match caller
        .0
        .as_ref()
        .and_then(|c| c.user.educator_in(org).cloned())
    {
        Some(eid) => Ok(Some(defs.evaluate(&app.educator_state(&eid).await?.0))),
        None => Ok(None),
    }
}

async fn pathway_map(
    State(app): State<App>,
    caller: MaybeCaller,
    Query(q): Query<OrgQuery>,
) -> Result<Html<String>, ApiError> {
    let org = page_org(&app, &caller, q.org.as_deref()).await?;
    let defs = app.definitions(&org).await?;
    let eval = my_evaluation(&app, &caller, &defs, &org).await?;
    let standing = eval.as_ref().map(|e| standing(&defs, e));
    Ok(page(
        "Pathway map",
        &caller,
        pages::pathways::pathway_page(&defs, &org, standing.as_ref()),
    ))
}

async fn role_page(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(role): Path<String>,
    Query(q): Query<OrgQuery>,
) -> Result<Html<String>, ApiError> {
    let org = page_org(&app, &caller, q.org.as_deref()).await?;
    let defs = app.definitions(&org).await?;
    let Some(r) = defs.role(&role) else {
        return Err(ApiError::not_found(format!(
            "There is no role {role:?} on this organization's map."
        )));
    };
    let eval = my_evaluation(&app, &caller, &defs, &org).await?;
    let standing = eval.as_ref().map(|e| standing(&defs, e));
    let title = r.name.clone();
    Ok(page(
        &title,
        &caller,
        pages::pathways::role_page(&pages::pathways::RolePage {
            defs: &defs,
            org: &org,
            role: &role,
            mine: standing.as_ref().zip(eval.as_ref()),
        }),
    ))
}

async fn dashboard(
    State(app): State<App>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Query(q): Query<OrgQuery>,
) -> Result<Response, ApiError> {
    let Some(c) = caller.0.as_ref() else {
        return Ok(Redirect::to("/login").into_response());
    };
    let mine = match q.org.as_deref() {
        Some(o) => c.user.educator_in(o),
        None => c.user.primary_educator(),
    };
    let Some(eid) = mine.cloned() else {
        return Ok(page("Dashboard", &caller, pages::dashboard::not_an_educator()).into_response());
    };
    let educator = app
        .store()
        .educator(&eid)
        .await
        .map_err(ApiError::from_store)?;
    let defs = app.definitions(&educator.org_id).await?;
    let (state, held) = app.educator_state(&eid).await?;
    let eval = defs.evaluate(&state);
    let standing = standing(&defs, &eval);
    // The day each credential that counts was issued: a role or certificate with an award
    // reads as reached that day.
    let mut issued: HashMap<String, i64> = HashMap::new();
    for (rec, rep) in &held {
        if rep.verdict == badges::Verdict::Valid {
            let e = issued
                .entry(rec.achievement_id.clone())
                .or_insert(rec.issued_ms);
            *e = (*e).min(rec.issued_ms);
        }
    }
    let announcements =
        pathledger_app::progress::take_announcements(&app, &eid, &eval, &issued).await?;
    let held: Vec<HeldRow> = held
        .iter()
        .map(|(rec, rep)| HeldRow {
            id: rec.id.clone(),
            achievement_id: rec.achievement_id.clone(),
            achievement: pages::format::achievement_name(&defs, &rec.achievement_id),
            image: serde_json::from_str::<serde_json::Value>(&rec.document)
                .ok()
                .and_then(|doc| {
                    let shown = pages::credential::Shown::of(&doc);
                    pages::images::own_image(shown.image.as_deref(), app.public_url())
                        .map(str::to_owned)
                }),
            verdict: rep.verdict.code(),
            message: rep.message.clone(),
            issued_ms: rec.issued_ms,
            valid_until_ms: rec.valid_until_ms,
        })
        .collect();
    // The plan's default target is the next role up (never a side role the educator is not
    // heading for), else the current role.
    let target = q
        .target
        .clone()
        .filter(|t| defs.role(t).is_some())
        .or_else(|| standing.next.clone())
        .or_else(|| standing.current.clone())
        .unwrap_or_default();
    let endorsement_facts: Vec<_> = app
        .store()
        .facts(&eid)
        .await
        .map_err(ApiError::from_store)?
        .into_iter()
        .filter(|f| f.kind == "endorsement")
        .collect();
    // Every endorsement credential is re-verified in one batch, like the held credentials.
    let signed_docs: Vec<Value> = endorsement_facts
        .iter()
        .filter_map(|f| f.document.get("credential").cloned())
        .collect();
    let mut signed_reports = app.verify_many(&signed_docs).await.into_iter();
    let endorsements = endorsement_facts
        .iter()
        .map(|f| {
            let competency = f
                .document
                .get("competency")
                .and_then(Value::as_str)
                .and_then(|c| defs.competency(c))
                .map(|c| c.name.clone())
                .unwrap_or_else(|| "general endorsement".into());
            let endorser_role = f
                .document
                .get("endorser_role")
                .and_then(Value::as_str)
                .and_then(|r| defs.role(r))
                .map(|r| r.name.clone())
                .unwrap_or_default();
            let proof = match f.document.get("credential") {
                Some(_) => signed_reports
                    .next()
                    .map(|r| EndorsementProof::Verdict(r.verdict.code()))
                    .unwrap_or(EndorsementProof::Unchecked),
                None => EndorsementProof::Unsigned,
            };
            let comment = f.document.get("comment").and_then(Value::as_str);
            EndorsementRow {
                competency,
                endorser_role,
                comment: comment.unwrap_or("").to_owned(),
                proof,
            }
        })
        .collect();
    let plan = defs
        .plan(&state, &target, &PlanOptions::default())
        .map_err(|e| e.to_string());
    let notice = crate::flash::read(&headers, c);
    let body = pages::dashboard::dashboard_page(&Dashboard {
        form_token: caller.form_token(),
        name: &educator.display_name,
        educator_id: &eid,
        org: educator.org_id.as_str(),
        standing: &standing,
        announcements,
        held,
        endorsements,
        defs: &defs,
        eval: &eval,
        target: &target,
        plan,
        community: educator.community_visibility,
        deletion_pending: crate::privacy::deletion_pending(&app, &educator.id).await?,
        notice: notice.as_deref(),
    });
    let mut resp = page("Dashboard", &caller, body).into_response();
    if notice.is_some() {
        crate::flash::clear(&app, &mut resp);
    }
    Ok(resp)
}
