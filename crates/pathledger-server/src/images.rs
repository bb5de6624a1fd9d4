//! Images: achievements' images and organizations' logos served at stable public URLs (with
//! their type, an ETag, and for SVG the strict policy `headers.rs` gives it), the org admin's
//! forms and API to set them, and credentials baked into PNG and SVG for download.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use pathledger_app::evidence::Upload;
use pathledger_app::images::{
    hosted_path, ImageInput, ImageType, OrgImages, FIELD_FILE, FIELD_URL, MAX_IMAGE_BYTES,
};
use pathledger_store::{AccessRole, ImageLink, ImageRef, ImageSubject, OrgId};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::openapi::{schemas, Auth, Forbidden, Invalid, NotFound};
use crate::pages::images::{image_page, ImagePanel};
use crate::work::{error_page, page, sign_in};

/// The image, logo and baked-download pages and forms (listed in [`crate::PAGE_ROUTES`]).
pub fn pages() -> Router<App> {
    Router::new()
        .route(
            "/orgs/{org}/achievements/{id}/image",
            get(achievement_image),
        )
        .route("/orgs/{org}/logo", get(logo))
        .route("/credentials/{id}/baked.png", get(baked_png))
        .route("/credentials/{id}/baked.svg", get(baked_svg))
        .route(
            "/admin/framework/achievements/{id}/image",
            get(achievement_image_form).post(achievement_image_post),
        )
        .route("/admin/logo", get(logo_form).post(logo_post))
}

/// The JSON API twins of the forms.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(
            api_put_achievement_image,
            api_delete_achievement_image
        ))
        .routes(routes!(api_put_logo, api_delete_logo))
}

// ----- serving ------------------------------------------------------------------------------

/// A hosted image with its type, `nosniff` (the security layer) and an ETag (its digest):
/// `If-None-Match` with that tag answers 304. Cached briefly and revalidated, since the URL is
/// stable while the image may change (credentials name it with `?v=` its digest).
async fn serve_image(
    app: &App,
    headers: &HeaderMap,
    org: &str,
    subject: &ImageSubject,
) -> Result<Response, ApiError> {
    let Some(img) = app.hosted_image(org, subject).await? else {
        return Err(ApiError::not_found("There is no image hosted here."));
    };
    let etag = format!("\"{}\"", img.sha256);
    let cache = "public, max-age=300, must-revalidate";
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag),
                (header::CACHE_CONTROL, cache.to_owned()),
            ],
        )
            .into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, img.media_type),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache.to_owned()),
        ],
        img.bytes,
    )
        .into_response())
}

async fn achievement_image(
    State(app): State<App>,
    headers: HeaderMap,
    Path((org, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    serve_image(&app, &headers, &org, &ImageSubject::Achievement(id)).await
}

async fn logo(
    State(app): State<App>,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Result<Response, ApiError> {
    serve_image(&app, &headers, &org, &ImageSubject::Logo).await
}

async fn baked(app: &App, id: &str, kind: ImageType) -> Result<Response, ApiError> {
    let b = app.baked_credential(id, kind).await?;
    Ok((
        [
            (header::CONTENT_TYPE, kind.media_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", b.file_name),
            ),
            // The credential's status may change; the bytes baked in do not, but keep it fresh.
            (header::CACHE_CONTROL, "no-cache".to_owned()),
        ],
        b.bytes,
    )
        .into_response())
}

/// The credential baked into a PNG (public by id, as its page is).
async fn baked_png(State(app): State<App>, Path(id): Path<String>) -> Result<Response, ApiError> {
    baked(&app, &id, ImageType::Png).await
}

/// The credential baked into an SVG (public by id, as its page is).
async fn baked_svg(State(app): State<App>, Path(id): Path<String>) -> Result<Response, ApiError> {
    baked(&app, &id, ImageType::Svg).await
}

// ----- the forms ----------------------------------------------------------------------------

/// What the image form posted: a file, a link, or "remove".
struct Posted {
    file: Option<Upload>,
    url: String,
    remove: bool,
}

/// Reads the image form. The file is read up to one byte past the largest accepted (enough to
/// refuse it); the rest is drained so the fields after it are still read.
async fn read_image_form(app: &App, req: Request) -> Result<Posted, ApiError> {
    let mut mp = Multipart::from_request(req, app)
        .await
        .map_err(|e| ApiError::bad_request("bad_form", e.body_text()))?;
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request("bad_form", format!("The form could not be read: {e}"))
    };
    let mut out = Posted {
        file: None,
        url: String::new(),
        remove: false,
    };
    while let Some(mut field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == FIELD_FILE {
            let file_name = field.file_name().unwrap_or("").to_owned();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                let room = (MAX_IMAGE_BYTES + 1).saturating_sub(bytes.len());
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            if !(file_name.is_empty() && bytes.is_empty()) {
                out.file = Some(Upload {
                    name: file_name,
                    bytes,
                });
            }
            continue;
        }
        let text = field.text().await.map_err(bad)?;
        match name.as_str() {
            FIELD_URL => out.url = text.trim().to_owned(),
            "remove" => out.remove = !text.is_empty(),
            _ => {}
        }
    }
    Ok(out)
}

impl Posted {
    fn input(self) -> Result<ImageInput, ApiError> {
        if self.remove {
            return Ok(ImageInput::Remove);
        }
        match (self.file, self.url.is_empty()) {
            (Some(f), true) => Ok(ImageInput::Upload(f)),
            (None, false) => Ok(ImageInput::Url(self.url)),
            (Some(_), false) => Err(field_error(
                FIELD_URL,
                "Give either a file or a link, not both: clear the link to upload the file.",
            )),
            (None, true) => Err(field_error(
                FIELD_FILE,
                "Choose a PNG or SVG file to upload, or give a link to an image.",
            )),
        }
    }
}

fn field_error(field: &str, message: &str) -> ApiError {
    let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message);
    e.field = Some(field.to_owned());
    e
}

/// The org admin's organization for a form, or the refusal page.
async fn admin_org(app: &App, caller: &Caller, title: &str) -> Result<OrgId, Response> {
    caller
        .org_with_role(app, &[AccessRole::OrgAdmin])
        .await
        .map_err(|e| error_page(caller, title, &e.into(), "/admin"))
}

/// Where a page may show the current image from: our own URL (pages load images from this site
/// only) or a link to the image elsewhere.
fn current(images: &OrgImages, subject: &ImageSubject) -> (Option<String>, Option<String>) {
    let url = images.url(subject);
    if images.hosted(subject) {
        (url, None)
    } else {
        (None, url)
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_form(
    app: &App,
    caller: &Caller,
    org: &OrgId,
    subject: &ImageSubject,
    name: &str,
    status: StatusCode,
    typed_url: &str,
    error: Option<&ApiError>,
    notice: Option<&str>,
) -> Result<Response, ApiError> {
    let images = app.org_images(org).await?;
    let (src, link) = current(&images, subject);
    let (title, action, back) = match subject {
        ImageSubject::Logo => (
            format!("The logo of {name}"),
            "/admin/logo".to_owned(),
            "/admin".to_owned(),
        ),
        ImageSubject::Achievement(id) => (
            format!("The image of “{name}”"),
            format!("/admin/framework/achievements/{id}/image"),
            format!("/admin/framework/achievements/{id}"),
        ),
    };
    let body = image_page(&ImagePanel {
        title: &title,
        action: &action,
        back: &back,
        alt: name,
        current_src: src.as_deref(),
        current_link: link.as_deref(),
        typed_url,
        error: error.map(|e| (e.field.as_deref().unwrap_or(FIELD_FILE), e.detail.as_str())),
        max_mb: MAX_IMAGE_BYTES / (1024 * 1024),
        form_token: caller.form_token.as_deref(),
        notice,
    });
    let mut resp = (status, page(&title, caller, body)).into_response();
    if notice.is_some() {
        crate::flash::clear(app, &mut resp);
    }
    Ok(resp)
}

/// The achievement's name in the organization's definitions, or 404.
async fn achievement_name(app: &App, org: &OrgId, id: &str) -> Result<String, ApiError> {
    let defs = app.definitions(org).await?;
    defs.achievement(id)
        .map(|a| a.name.clone())
        .ok_or_else(|| ApiError::not_found(format!("Achievement {id} was not found.")))
}

async fn org_name(app: &App, org: &OrgId) -> Result<String, ApiError> {
    Ok(app
        .store()
        .organization(org)
        .await
        .map_err(ApiError::from_store)?
        .name)
}

async fn achievement_image_form(
    State(app): State<App>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let org = match admin_org(&app, &caller, "Achievement image").await {
        Ok(o) => o,
        Err(r) => return Ok(r),
    };
    let name = achievement_name(&app, &org, &id).await?;
    let notice = crate::flash::read(&headers, &caller);
    render_form(
        &app,
        &caller,
        &org,
        &ImageSubject::Achievement(id),
        &name,
        StatusCode::OK,
        "",
        None,
        notice.as_deref(),
    )
    .await
}

/// Saves the posted image; on a refusal, the same form again with the reason beside the field.
#[allow(clippy::too_many_arguments)]
async fn save_posted(
    app: &App,
    caller: &Caller,
    org: &OrgId,
    subject: ImageSubject,
    name: &str,
    req: Request,
    done: &str,
    what: &str,
) -> Result<Response, ApiError> {
    let posted = read_image_form(app, req).await?;
    let typed = posted.url.clone();
    let outcome = match posted.input() {
        Ok(input) => {
            let removing = matches!(input, ImageInput::Remove);
            app.set_image(caller, org, &subject, input)
                .await
                .map(|kept| (removing, kept))
                .map_err(ApiError::from)
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok((removing, _)) => {
            let msg = if removing {
                format!("{what} removed.")
            } else {
                format!("{what} saved: credentials issued from now on carry it.")
            };
            let mut resp = Redirect::to(done).into_response();
            crate::flash::set(app, caller, &msg, &mut resp);
            Ok(resp)
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            render_form(
                app,
                caller,
                org,
                &subject,
                name,
                e.status,
                &typed,
                Some(&e),
                None,
            )
            .await
        }
        Err(e) => Ok(error_page(caller, &format!("{what} not saved"), &e, done)),
    }
}

async fn achievement_image_post(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let org = match admin_org(&app, &caller, "Achievement image").await {
        Ok(o) => o,
        Err(r) => return Ok(r),
    };
    let name = match achievement_name(&app, &org, &id).await {
        Ok(n) => n,
        Err(e) => return Ok(error_page(&caller, "Image not saved", &e, "/admin")),
    };
    let done = format!("/admin/framework/achievements/{id}/image");
    save_posted(
        &app,
        &caller,
        &org,
        ImageSubject::Achievement(id),
        &name,
        req,
        &done,
        "The image",
    )
    .await
}

async fn logo_form(
    State(app): State<App>,
    caller: MaybeCaller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let org = match admin_org(&app, &caller, "Logo").await {
        Ok(o) => o,
        Err(r) => return Ok(r),
    };
    let name = org_name(&app, &org).await?;
    let notice = crate::flash::read(&headers, &caller);
    render_form(
        &app,
        &caller,
        &org,
        &ImageSubject::Logo,
        &name,
        StatusCode::OK,
        "",
        None,
        notice.as_deref(),
    )
    .await
}

async fn logo_post(
    State(app): State<App>,
    caller: MaybeCaller,
    req: Request,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(sign_in());
    };
    let org = match admin_org(&app, &caller, "Logo").await {
        Ok(o) => o,
        Err(r) => return Ok(r),
    };
    let name = org_name(&app, &org).await?;
    save_posted(
        &app,
        &caller,
        &org,
        ImageSubject::Logo,
        &name,
        req,
        "/admin/logo",
        "The logo",
    )
    .await
}

// ----- the API ------------------------------------------------------------------------------

/// The image a PUT carries: JSON `{"url": …}` for a link, else the image's bytes (their type
/// read from the content, whatever `Content-Type` says).
fn put_input(headers: &HeaderMap, body: &Bytes) -> Result<ImageInput, ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Link {
            url: String,
        }
        let l: Link = crate::extract::parse_json(body)?;
        return Ok(ImageInput::Url(l.url));
    }
    Ok(ImageInput::Upload(Upload {
        name: String::new(),
        bytes: body.to_vec(),
    }))
}

fn image_json(app: &App, org: &str, r: &ImageRef) -> serde_json::Value {
    match &r.link {
        ImageLink::Hosted { media_type, sha256 } => json!({
            "url": hosted_path(app.public_url(), org, &r.subject),
            "hosted": true,
            "mediaType": media_type,
            "sha256": sha256,
        }),
        ImageLink::Url(u) => json!({"url": u, "hosted": false}),
    }
}

#[utoipa::path(put, path = "/api/v1/orgs/{org}/achievements/{id}/image", tag = "definitions",
    summary = "Set an achievement's image",
    description = "Org admins. The body is the image (PNG or SVG, at most 1 MiB, its type read from the content; an SVG with scripts, event handlers, foreignObject or references outside itself is refused), or JSON `{\"url\": \"https://…\"}` for a link kept as given and never fetched. Credentials issued afterwards carry it as `achievement.image`.",
    params(("org" = String, Path, description = "Organization id"), ("id" = String, Path, description = "Achievement id")),
    request_body(content = Vec<u8>, content_type = "image/png", description = "A PNG or SVG image, or JSON {\"url\": …}"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The image kept", body = schemas::ImageSet),
        Auth, Forbidden, NotFound, Invalid,
    ))]
async fn api_put_achievement_image(
    State(app): State<App>,
    caller: Caller,
    Path((org, id)): Path<(OrgId, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let input = put_input(&headers, &body)?;
    let kept = app
        .set_image(&caller, &org, &ImageSubject::Achievement(id), input)
        .await?;
    Ok(Json(
        kept.map(|r| image_json(&app, &org, &r)).unwrap_or_default(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org}/achievements/{id}/image", tag = "definitions",
    summary = "Remove an achievement's image",
    description = "Org admins.",
    params(("org" = String, Path, description = "Organization id"), ("id" = String, Path, description = "Achievement id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed (or there was none)"),
        Auth, Forbidden, NotFound,
    ))]
async fn api_delete_achievement_image(
    State(app): State<App>,
    caller: Caller,
    Path((org, id)): Path<(OrgId, String)>,
) -> Result<StatusCode, ApiError> {
    app.set_image(
        &caller,
        &org,
        &ImageSubject::Achievement(id),
        ImageInput::Remove,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/orgs/{org}/logo", tag = "definitions",
    summary = "Set the organization's logo",
    description = "Org admins. As an achievement's image: PNG or SVG bytes, or JSON `{\"url\": \"https://…\"}`. Credentials issued afterwards carry it as `issuer.image`.",
    params(("org" = String, Path, description = "Organization id")),
    request_body(content = Vec<u8>, content_type = "image/png", description = "A PNG or SVG image, or JSON {\"url\": …}"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The logo kept", body = schemas::ImageSet),
        Auth, Forbidden, Invalid,
    ))]
async fn api_put_logo(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<OrgId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let input = put_input(&headers, &body)?;
    let kept = app
        .set_image(&caller, &org, &ImageSubject::Logo, input)
        .await?;
    Ok(Json(
        kept.map(|r| image_json(&app, &org, &r)).unwrap_or_default(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org}/logo", tag = "definitions",
    summary = "Remove the organization's logo",
    description = "Org admins.",
    params(("org" = String, Path, description = "Organization id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed (or there was none)"),
        Auth, Forbidden,
    ))]
async fn api_delete_logo(
    State(app): State<App>,
    caller: Caller,
    Path(org): Path<OrgId>,
) -> Result<StatusCode, ApiError> {
    app.set_image(&caller, &org, &ImageSubject::Logo, ImageInput::Remove)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
