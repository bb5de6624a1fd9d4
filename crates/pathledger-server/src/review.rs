//! The assessor's and mentor's pages: the review queue and its decisions, and the endorsement
//! form (their API twins stay in [`crate::work`]).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use pathledger_app::endorsements::{endorse, EndorseInput};
use pathledger_app::evidence::decide;
use pathledger_core::Category;
use pathledger_store::{AccessRole, SubmissionState};
use serde::Deserialize;

use crate::app::App;
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::pages;
use crate::pages::review::{Assigned, Decided};
use crate::work::{error_page, page, parse_decision, sign_in};

#[derive(Deserialize)]
pub(crate) struct ReviewQuery {
    /// The submission just decided.
    done: Option<String>,
    /// Only this educator's submissions.
    educator: Option<String>,
}

pub(crate) async fn review_page(
    State(app): State<App>,
    caller: MaybeCaller,
    Query(q): Query<ReviewQuery>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let store = app.store();
    let subs = store
        .submissions_for_assessor(&caller.user.id)
        .await
        .map_err(ApiError::from_store)?;
    let mut assigned = Vec::with_capacity(subs.len());
    for s in subs.iter().rev() {
        let defs = app.definitions(&s.org_id).await?;
        let educator = store
            .educator(&s.educator_id)
            .await
            .map(|e| e.display_name)
            .unwrap_or_default();
        // The credential an acceptance issued carries the submission's idempotency key.
        let credential = if s.state == SubmissionState::Accepted {
            let key = format!("evidence:{}", s.id);
            store
                .credentials_for_educator(&s.educator_id)
                .await
                .map_err(ApiError::from_store)?
                .into_iter()
                .find(|c| c.idempotency_key.as_deref() == Some(key.as_str()))
                .map(|c| c.id)
        } else {
            None
        };
        assigned.push(Assigned {
            submission: s,
            educator,
            achievement: pages::format::achievement_name(&defs, &s.achievement_id),
            criteria: defs
                .achievement(&s.achievement_id)
                .map(|a| a.criteria.clone())
                .unwrap_or_default(),
            credential,
        });
    }
    let decided = q.done.and_then(|id| {
        let a = assigned.iter().find(|a| a.submission.id == id)?;
        Some(match a.submission.state {
            SubmissionState::Accepted => Decided::Accepted {
                educator_id: a.submission.educator_id.to_string(),
                educator: a.educator.clone(),
                achievement: a.achievement.clone(),
                credential: a.credential.clone(),
            },
            _ => Decided::Returned {
                educator_id: a.submission.educator_id.to_string(),
                educator: a.educator.clone(),
            },
        })
    });
    // Only educators with a submission assigned to this assessor can be named here.
    let educator = q.educator.as_deref().and_then(|id| {
        assigned
            .iter()
            .find(|a| a.submission.educator_id.as_str() == id)
            .map(|a| (id, a.educator.as_str()))
    });
    let body =
        pages::review::review_page(&assigned, decided, educator, caller.form_token.as_deref());
    Ok(page("Review evidence", &caller, body).into_response())
}

#[derive(Deserialize)]
pub(crate) struct DecisionForm {
    decision: String,
    #[serde(default)]
    comment: Option<String>,
}

pub(crate) async fn review_form(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let Some(caller) = caller.0 else {
        return sign_in();
    };
    let result = match parse_decision(&f.decision) {
        Ok(accept) => decide(&app, &caller, &id, accept, f.comment)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(d) => Redirect::to(&format!("/review?done={}", d.submission.id)).into_response(),
        Err(e) => error_page(&caller, "Decision not recorded", &e, "/review"),
    }
}

// ----- endorsements ----------------------------------------------------------------------------

pub(crate) async fn endorse_page(
    State(app): State<App>,
    caller: MaybeCaller,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    endorse_form_page(&app, &caller, None).await
}

/// The endorsement form, empty or (`draft`) filled in with what was sent and the refusal
/// beside its field.
async fn endorse_form_page(
    app: &App,
    caller: &Caller,
    draft: Option<(&pages::endorse::Draft<'_>, StatusCode)>,
) -> Result<Response, ApiError> {
    let org = match caller
        .org_with_role(app, &[AccessRole::Assessor, AccessRole::OrgAdmin])
        .await
    {
        Ok(o) => o,
        Err(e) => return Ok(error_page(caller, "Endorse", &e.into(), "/")),
    };
    let defs = app.definitions(&org).await?;
    let educators = app
        .store()
        .educators_in_org(&org)
        .await
        .map_err(ApiError::from_store)?;
    let educators: Vec<(&str, &str)> = educators
        .iter()
        .filter(|(id, _)| !caller.user.is_educator(id))
        .map(|(id, name)| (id.as_str(), name.as_str()))
        .collect();
    let competencies: Vec<_> = defs
        .framework()
        .competencies
        .iter()
        .filter(|c| matches!(c.category, Category::Qualities | Category::AdaptiveSkills))
        .collect();
    let held = pathledger_app::endorsers::endorser_roles(app, caller, &org).await?;
    let body = pages::endorse::endorse_page(
        &educators,
        &competencies,
        &held,
        draft.map(|(d, _)| d),
        caller.form_token.as_deref(),
    );
    let status = draft.map_or(StatusCode::OK, |(_, s)| s);
    Ok((status, page("Endorse", caller, body)).into_response())
}

pub(crate) async fn endorse_form(
    State(app): State<App>,
    caller: MaybeCaller,
    Form(input): Form<EndorseInput>,
) -> Response {
    let Some(caller) = caller.0 else {
        return sign_in();
    };
    let typed = (
        input.educator.clone(),
        input.competency.clone(),
        input.endorser_role.clone().unwrap_or_default(),
        input.comment.clone(),
    );
    match endorse(&app, &caller, input).await.map_err(ApiError::from) {
        Ok(done) => page("Endorsed", &caller, pages::endorse::endorsed_page(&done)).into_response(),
        // A refusal of who may endorse has no form to come back to.
        Err(e) if e.status == StatusCode::FORBIDDEN => {
            error_page(&caller, "Endorsement not recorded", &e, "/endorse")
        }
        Err(e) => {
            let draft = pages::endorse::Draft {
                educator: &typed.0,
                competency: &typed.1,
                endorser_role: &typed.2,
                comment: &typed.3,
                field: e.field.as_deref(),
                message: &e.detail,
            };
            match endorse_form_page(&app, &caller, Some((&draft, e.status))).await {
                Ok(r) => r,
                Err(_) => error_page(&caller, "Endorsement not recorded", &e, "/endorse"),
            }
        }
    }
}
