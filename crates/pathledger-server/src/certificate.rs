//! A credential's printable certificate: `/credentials/{id}/certificate` (the page, with its
//! print stylesheet `/assets/certificate.css`) and `/credentials/{id}/certificate.pdf`. Anyone
//! who may open the credential's public page may open these, and no one else. The holder's
//! name is the one the credential discloses, else shown only to those who may read it (the
//! holder, the issuing organization's verifiers, issuers and admins: `App::holder_name`).

use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::Semaphore;

use crate::app::sharing::percent_encode;
use crate::app::App;
use crate::auth::MaybeCaller;
use crate::error::ApiError;
use crate::pages::certificate::{certificate_page, Certificate};

/// The certificate's own stylesheet (screen and print), bundled into the binary.
pub const CERTIFICATE_CSS: &str = include_str!("../assets/certificate.css");

/// PDFs drawn at once; more requests wait (drawing one takes a few milliseconds of CPU).
const PDF_RENDERERS: usize = 2;
static RENDERING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(PDF_RENDERERS));

/// Page routes (listed in [`crate::PAGE_ROUTES`]).
pub fn pages() -> Router<App> {
    Router::new()
        .route("/assets/certificate.css", get(stylesheet))
        .route("/credentials/{id}/certificate", get(page))
        .route("/credentials/{id}/certificate.pdf", get(pdf))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        CERTIFICATE_CSS,
    )
        .into_response()
}

/// The certificate of credential `id`, checked now, as `caller` may see it: found exactly as
/// the public credential page finds it.
async fn certificate(app: &App, caller: &MaybeCaller, id: &str) -> Result<Certificate, ApiError> {
    let (_, doc) = crate::web::public_credential(app, id).await?;
    let report = app.verify(&doc).await;
    let holder = app
        .holder_name(caller.0.as_ref().map(|c| &c.actor), &doc)
        .await;
    Ok(Certificate::of(
        id,
        &doc,
        &report,
        holder,
        app.verify_url(id),
        app.public_url(),
        time::OffsetDateTime::now_utc(),
    ))
}

async fn page(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let c = certificate(&app, &caller, &id).await?;
    let enc = percent_encode(&id);
    let body = certificate_page(
        &c,
        &format!("/credentials/{enc}/certificate.pdf"),
        &format!("/credentials/{enc}"),
    );
    let title = format!("Certificate: {}", c.achievement);
    Ok(
        crate::web::page_with_stylesheet(&title, &caller, "/assets/certificate.css", body)
            .into_response(),
    )
}

async fn pdf(
    State(app): State<App>,
    caller: MaybeCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let c = certificate(&app, &caller, &id).await?;
    let name = file_name(&c.achievement, &id);
    let _slot = RENDERING
        .acquire()
        .await
        .map_err(|_| ApiError::internal())?;
    let bytes = tokio::task::spawn_blocking(move || crate::certificate_pdf::certificate_pdf(&c))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "drawing a certificate PDF failed");
            ApiError::internal()
        })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            // The status it states is the one checked now, the holder's name for this caller.
            (header::CACHE_CONTROL, "private, no-cache".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// `certificate-<achievement>-<end of the id>.pdf`, in lower-case ASCII letters, digits and
/// dashes (a header value any browser keeps as it is).
pub fn file_name(achievement: &str, id: &str) -> String {
    let slug = |s: &str, max: usize| {
        let mut out = String::new();
        for c in s.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
            if out.len() >= max {
                break;
            }
        }
        out.trim_end_matches('-').to_owned()
    };
    let id_part: String = {
        let s = slug(id, 200).replace('-', "");
        let start = s.len().saturating_sub(8);
        s[start..].to_owned()
    };
    let ach = slug(achievement, 60);
    match (ach.is_empty(), id_part.is_empty()) {
        (false, false) => format!("certificate-{ach}-{id_part}.pdf"),
        (false, true) => format!("certificate-{ach}.pdf"),
        (true, false) => format!("certificate-{id_part}.pdf"),
        (true, true) => "certificate.pdf".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names_are_plain_and_name_the_achievement() {
        assert_eq!(
            file_name(
                "Learning Platforms & Tools",
                "urn:uuid:0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
            ),
            "certificate-learning-platforms-tools-1a2b3c4d.pdf"
        );
        assert_eq!(file_name("Évaluation", "x"), "certificate-valuation-x.pdf");
        assert_eq!(file_name("王小明", "\"; evil"), "certificate-evil.pdf");
        assert_eq!(file_name("", ""), "certificate.pdf");
    }
}
