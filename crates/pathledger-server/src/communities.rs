//! Communities of practice pages: the role communities, the search (names and specialties
//! with near matches, role reached, credential held), and an educator's own community profile
//! form (school, years, contact; shown only with their opt-in).

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use pathledger_app::communities::{self, ProfileInput, Search};
use serde::Deserialize;

use crate::app::App;
use crate::auth::MaybeCaller;
use crate::error::ApiError;
use crate::pages;
use crate::pages::communities::{OwnProfile, SearchView};
use crate::web::{page, page_org};

/// The profile form's route (the pages themselves are in [`crate::web::pages`]).
pub fn pages() -> Router<App> {
    Router::new().route("/communities/profile", post(profile_form))
}

#[derive(Deserialize)]
pub(crate) struct CommunityQuery {
    org: Option<String>,
    /// Search: visible educators who reached this role …
    role: Option<String>,
    /// … and/or hold a valid credential of this achievement …
    credential: Option<String>,
    /// … and/or whose name or specialties match these words.
    q: Option<String>,
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The signed-in educator's own records and profiles, for their form.
async fn own(app: &App, caller: &MaybeCaller) -> Result<Vec<OwnProfile>, ApiError> {
    let Some(c) = caller.0.as_ref() else {
        return Ok(Vec::new());
    };
    Ok(communities::own_profiles(app, &c.actor)
        .await?
        .into_iter()
        .map(|(e, profile)| OwnProfile {
            educator_id: e.id.to_string(),
            visibility: e.community_visibility,
            profile,
            typed_years: None,
            error: None,
        })
        .collect())
}

pub(crate) async fn communities(
    State(app): State<App>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Query(q): Query<CommunityQuery>,
) -> Result<Response, ApiError> {
    let org = page_org(&app, &caller, q.org.as_deref()).await?;
    let defs = app.definitions(&org).await?;
    let search = Search {
        role: given(&q.role),
        credential: given(&q.credential),
        words: given(&q.q),
    };
    if let Some(r) = search.role {
        if defs.role(r).is_none() {
            return Err(ApiError::invalid("role", format!("unknown role {r:?}")));
        }
    }
    if let Some(a) = search.credential {
        if defs.achievement(a).is_none() {
            return Err(ApiError::invalid(
                "credential",
                format!("unknown credential {a:?}"),
            ));
        }
    }
    let viewer = caller.0.as_ref().map(|c| &c.actor);
    let found = if search.role.is_some() || search.credential.is_some() || search.words.is_some() {
        Some(communities::search(&app, viewer, &org.as_str().into(), &defs, search).await?)
    } else {
        None
    };
    let notice = caller
        .0
        .as_ref()
        .and_then(|c| crate::flash::read(&headers, c));
    let own = own(&app, &caller).await?;
    let view = SearchView {
        role: search.role,
        credential: search.credential,
        words: search.words,
        found: found.as_ref(),
    };
    let mut resp = page(
        "Communities of practice",
        &caller,
        pages::communities::communities_page(
            &defs,
            &view,
            &own,
            notice.as_deref(),
            caller.form_token(),
        ),
    )
    .into_response();
    if notice.is_some() {
        crate::flash::clear(&app, &mut resp);
    }
    Ok(resp)
}

#[derive(Deserialize)]
pub(crate) struct OrgQuery {
    org: Option<String>,
}

pub(crate) async fn community(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(role): Path<String>,
    Query(q): Query<OrgQuery>,
) -> Result<Html<String>, ApiError> {
    let org = page_org(&app, &caller, q.org.as_deref()).await?;
    let defs = app.definitions(&org).await?;
    let role_def = defs
        .role(&role)
        .ok_or_else(|| ApiError::not_found(format!("role {role} was not found.")))?;
    let viewer = caller.0.as_ref().map(|c| &c.actor);
    let found = communities::search(
        &app,
        viewer,
        &org.as_str().into(),
        &defs,
        Search {
            role: Some(&role),
            ..Search::default()
        },
    )
    .await?;
    Ok(page(
        &role_def.name,
        &caller,
        pages::communities::community_page(&role_def.name, &found.members),
    ))
}

/// The educator's own profile form: saved, or the same form back, filled in, with the
/// message beside the field.
async fn profile_form(
    State(app): State<App>,
    caller: MaybeCaller,
    Form(input): Form<ProfileInput>,
) -> Result<Response, ApiError> {
    let Some(c) = caller.0.as_ref() else {
        return Ok(Redirect::to("/login").into_response());
    };
    match communities::set_profile(&app, &c.actor, &input).await {
        Ok(p) => {
            let mut resp = Redirect::to("/communities").into_response();
            let msg = if p.shared {
                "Your community profile is saved and shown to those who can see you here."
            } else {
                "Your community profile is saved. It is not shown to anyone until you tick \"Show these\"."
            };
            crate::flash::set(&app, c, msg, &mut resp);
            Ok(resp)
        }
        Err(e) => {
            let e = ApiError::from(e);
            if e.status == axum::http::StatusCode::FORBIDDEN {
                return Err(e);
            }
            let org = page_org(&app, &caller, None).await?;
            let defs = app.definitions(&org).await?;
            let mut own = own(&app, &caller).await?;
            // What was typed goes back into the form.
            for o in own.iter_mut().filter(|o| o.educator_id == input.educator) {
                o.profile = pathledger_store::CommunityProfile {
                    school: Some(input.school.clone()),
                    years: None,
                    contact: Some(input.contact.clone()),
                    shared: input.shared.is_some(),
                };
                o.typed_years = Some(input.years.clone());
                o.error = Some((e.field.clone().unwrap_or_default(), e.detail.clone()));
            }
            let view = SearchView::default();
            let body =
                pages::communities::communities_page(&defs, &view, &own, None, caller.form_token());
            Ok((e.status, page("Communities of practice", &caller, body)).into_response())
        }
    }
}
