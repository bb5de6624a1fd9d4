//! The educator's evidence page and its form (a write-up, a link, a video link, a file), and the
//! attached files, served only to the educator and the organization's reviewers. The JSON API
//! twin is in `work.rs`; both submit through `pathledger_app::evidence::submit_evidence`.

use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use maud::Markup;
use pathledger_store::{AccessRole, SubmissionState};
use serde::Deserialize;

use crate::app::App;
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::pages;
use crate::pages::evidence::EvidencePage;
use pathledger_app::evidence::{
    evidence_file, own_educator, submit_evidence, SubmitInput, Upload, MAX_FILE_BYTES,
    MAX_NARRATIVE,
};

/// The evidence page, its form, and the files attached to submissions.
pub fn pages() -> Router<App> {
    Router::new()
        .route("/evidence", get(evidence_page).post(evidence_form))
        .route("/evidence/{id}/file", get(evidence_file_download))
}

fn page(title: &str, caller: &Caller, body: Markup) -> Html<String> {
    Html(
        pages::layout_with_menu(
            title,
            Some(&caller.user.display_name),
            caller.form_token.as_deref(),
            caller.menu,
            body,
        )
        .into_string(),
    )
}

fn sign_in() -> Response {
    Redirect::to("/login").into_response()
}

#[derive(Deserialize)]
struct Notice {
    done: Option<String>,
    org: Option<String>,
    /// The micro-credential to preselect (a dashboard's "submit evidence for this").
    achievement: Option<String>,
}

async fn evidence_page(
    State(app): State<App>,
    caller: MaybeCaller,
    Query(n): Query<Notice>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    render_evidence(
        &app,
        &caller,
        n.org.as_deref(),
        n.done.as_deref(),
        n.achievement.as_deref(),
        None,
    )
    .await
}

/// The evidence page; with `refused`, the refused submission filled in again (status of the
/// refusal, its message beside the field), so nothing typed is lost.
async fn render_evidence(
    app: &App,
    caller: &Caller,
    org: Option<&str>,
    done: Option<&str>,
    preselect: Option<&str>,
    refused: Option<(&SubmitInput, &ApiError)>,
) -> Result<Response, ApiError> {
    let educator = match own_educator(app, caller, org).await.map_err(ApiError::from) {
        Ok(e) => e,
        Err(e) => return Ok(crate::work::error_page(caller, "Evidence", &e, "/")),
    };
    let defs = app.definitions(&educator.org_id).await?;
    let (state, _) = app.educator_state(&educator.id).await?;
    let subs = app
        .store()
        .submissions_for_educator(&educator.id)
        .await
        .map_err(ApiError::from_store)?;
    let assessors = app
        .store()
        .users_with_role(&educator.org_id, AccessRole::Assessor)
        .await
        .map_err(ApiError::from_store)?;
    let waiting: Vec<&str> = subs
        .iter()
        .filter(|s| s.state == SubmissionState::Submitted)
        .map(|s| s.achievement_id.as_str())
        .collect();
    let achievements = defs
        .achievements()
        .iter()
        .filter(|a| {
            let id = a.id.as_str();
            !state.holds(id) && !waiting.contains(&id) && defs.is_earnable(id)
        })
        .map(|a| (a.id.as_str(), a.name.as_str()))
        .collect();
    let draft = refused.map(|(input, e)| pages::evidence::Draft {
        achievement: &input.achievement,
        narrative: &input.narrative,
        url: input.url.as_deref().unwrap_or(""),
        video: input.video.as_deref().unwrap_or(""),
        file_name: input.file.as_ref().map(|f| f.name.as_str()),
        assessor: &input.assessor,
        field: e.field.as_deref(),
        message: &e.detail,
    });
    let body = pages::evidence::evidence_page(&EvidencePage {
        just_submitted: done.is_some_and(|id| subs.iter().any(|s| s.id == id)),
        achievements,
        preselect,
        assessors: assessors
            .iter()
            .map(|u| (u.id.as_str(), u.display_name.as_str()))
            .collect(),
        max_narrative: MAX_NARRATIVE,
        max_file_mb: MAX_FILE_BYTES / (1024 * 1024),
        submissions: subs
            .iter()
            .rev()
            .map(|s| (s, pages::format::achievement_name(&defs, &s.achievement_id)))
            .collect(),
        form_token: caller.form_token.as_deref(),
        draft,
    });
    let status = refused.map_or(StatusCode::OK, |(_, e)| e.status);
    Ok((status, page("Evidence", caller, body)).into_response())
}

/// Reads the evidence form. A file is read up to one byte past the largest accepted, which is
/// enough to refuse it; the rest of it is drained so the fields after it are still read.
async fn read_form(mut mp: Multipart) -> Result<SubmitInput, ApiError> {
    let mut input = SubmitInput {
        achievement: String::new(),
        narrative: String::new(),
        url: None,
        video: None,
        assessor: String::new(),
        org: None,
        file: None,
    };
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("").to_owned();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                let room = (MAX_FILE_BYTES + 1).saturating_sub(bytes.len());
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            if !(file_name.is_empty() && bytes.is_empty()) {
                input.file = Some(Upload {
                    name: file_name,
                    bytes,
                });
            }
            continue;
        }
        let text = field.text().await.map_err(multipart_error)?;
        match name.as_str() {
            "achievement" => input.achievement = text,
            "narrative" => input.narrative = text,
            "url" => input.url = Some(text),
            "video" => input.video = Some(text),
            "assessor" => input.assessor = text,
            "org" => input.org = Some(text).filter(|o| !o.is_empty()),
            _ => {}
        }
    }
    Ok(input)
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::bad_request("bad_form", format!("The form could not be read: {e}"))
}

/// The form as the page sends it (multipart, for the file), or urlencoded (a form without a
/// file input, or a script).
async fn read_any_form(app: &App, req: Request) -> Result<SubmitInput, ApiError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        let mp = Multipart::from_request(req, app)
            .await
            .map_err(|e| ApiError::bad_request("bad_form", e.body_text()))?;
        read_form(mp).await
    } else {
        let Form(input) = Form::<SubmitInput>::from_request(req, app)
            .await
            .map_err(|e| ApiError::bad_request("bad_form", e.body_text()))?;
        Ok(input)
    }
}

async fn evidence_form(State(app): State<App>, caller: MaybeCaller, req: Request) -> Response {
    let Some(caller) = caller.0 else {
        return sign_in();
    };
    let input = match read_any_form(&app, req).await {
        Ok(i) => i,
        Err(e) => {
            return crate::work::error_page(&caller, "Evidence not submitted", &e, "/evidence")
        }
    };
    let typed = input.clone();
    match submit_evidence(&app, &caller, input)
        .await
        .map_err(ApiError::from)
    {
        Ok(sub) => Redirect::to(&format!("/evidence?done={}", sub.id)).into_response(),
        // The same form again, filled in, with the message beside the field.
        Err(e) => match render_evidence(
            &app,
            &caller,
            typed.org.as_deref(),
            None,
            None,
            Some((&typed, &e)),
        )
        .await
        {
            Ok(r) => r,
            Err(_) => crate::work::error_page(&caller, "Evidence not submitted", &e, "/evidence"),
        },
    }
}

/// The file attached to a submission, as a download with the type read from its content.
async fn evidence_file_download(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let f = evidence_file(&app, &caller, &id).await?;
    let disposition = format!("attachment; filename=\"{}\"", f.file_name);
    Ok((
        [
            (header::CONTENT_TYPE, f.media_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        f.bytes,
    )
        .into_response())
}
