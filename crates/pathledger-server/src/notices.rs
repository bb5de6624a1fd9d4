//! The page behind every notice's unsubscribe link (`/notifications/{token}`): the person the
//! mail went to chooses which notices they get, without signing in (the link's token is the
//! permission; an unknown token is 404).

use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::get;
use axum::{Form, Router};
use pathledger_app::notify::NoticeKind;
use serde::Deserialize;

use crate::app::App;
use crate::auth::MaybeCaller;
use crate::error::ApiError;
use crate::pages;

/// The form routes of this module (listed in [`crate::PAGE_ROUTES`]).
pub fn pages() -> Router<App> {
    Router::new().route(
        "/notifications/{token}",
        get(choices_page).post(save_choices),
    )
}

async fn choices_page(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(token): Path<String>,
) -> Result<Html<String>, ApiError> {
    let choices = app.notice_choices(&token).await?;
    Ok(page(
        &caller,
        pages::notices::choices_page(&token, &choices, None, caller.form_token()),
    ))
}

/// The choices form: a checkbox per kind (present when ticked), or "turn every notice off".
#[derive(Deserialize, Default)]
struct ChoicesForm {
    award: Option<String>,
    evidence: Option<String>,
    review: Option<String>,
    expiry: Option<String>,
    all_off: Option<String>,
}

async fn save_choices(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(token): Path<String>,
    Form(form): Form<ChoicesForm>,
) -> Result<Html<String>, ApiError> {
    let on: Vec<NoticeKind> = if form.all_off.is_some() {
        Vec::new()
    } else {
        [
            (NoticeKind::Award, &form.award),
            (NoticeKind::Evidence, &form.evidence),
            (NoticeKind::Review, &form.review),
            (NoticeKind::Expiry, &form.expiry),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| k)
        .collect()
    };
    let choices = app.set_notice_choices(&token, &on).await?;
    Ok(page(
        &caller,
        pages::notices::choices_page(&token, &choices, Some(()), caller.form_token()),
    ))
}

fn page(caller: &MaybeCaller, body: maud::Markup) -> Html<String> {
    Html(
        pages::layout_with_menu(
            "Notices",
            caller.0.as_ref().map(|c| c.user.display_name.as_str()),
            caller.form_token(),
            caller.0.as_ref().map(|c| c.menu).unwrap_or_default(),
            body,
        )
        .into_string(),
    )
}
