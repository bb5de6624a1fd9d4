//! Wallet downloads as files: a ZIP of the signed-in educator's OB 3.0 credentials (one `.json`
//! each, the exact signed bytes) plus their CLR 2.0 bundle, and one credential at a time.

use std::io::Write;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use pathledger_badges as badges;
use serde_json::Value;

use crate::app::App;
use crate::auth::MaybeCaller;
use crate::error::ApiError;
use crate::web::OrgQuery;
use pathledger_app::evidence::own_educator;

/// The download routes (listed in [`crate::PAGE_ROUTES`]).
pub fn pages() -> Router<App> {
    Router::new()
        .route("/dashboard/wallet.zip", get(wallet_zip))
        .route("/credentials/{id}/download", get(credential_download))
}

/// A name safe in a ZIP entry and a `Content-Disposition` filename: letters, digits, `-`, `_`.
pub fn file_stem(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    if t.is_empty() {
        "credential".into()
    } else {
        t
    }
}

/// The ZIP's entries: `credentials/NN-<achievement>.json` for each credential (its exact
/// stored bytes), then `clr.json`.
pub fn wallet_zip_bytes(
    credentials: &[(String, String)],
    clr: &Value,
) -> Result<Vec<u8>, zip::result::ZipError> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (i, (achievement, document)) in credentials.iter().enumerate() {
        w.start_file(
            format!("credentials/{:02}-{}.json", i + 1, file_stem(achievement)),
            opts,
        )?;
        w.write_all(document.as_bytes())?;
    }
    w.start_file("clr.json", opts)?;
    w.write_all(
        serde_json::to_string_pretty(clr)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    Ok(w.finish()?.into_inner())
}

async fn wallet_zip(
    State(app): State<App>,
    caller: MaybeCaller,
    Query(q): Query<OrgQuery>,
) -> Result<Response, ApiError> {
    let Some(caller) = caller.0 else {
        return Ok(Redirect::to("/login").into_response());
    };
    let e = own_educator(&app, &caller, q.org.as_deref()).await?;
    let (_, held) = app.educator_state(&e.id).await?;
    let valid: Vec<_> = held
        .iter()
        .filter(|(_, r)| r.verdict == badges::Verdict::Valid)
        .collect();
    let creds: Vec<Value> = valid
        .iter()
        .filter_map(|(c, _)| serde_json::from_str(&c.document).ok())
        .collect();
    let files: Vec<(String, String)> = valid
        .iter()
        .map(|(c, _)| (c.achievement_id.clone(), c.document.clone()))
        .collect();
    let clr = app.clr_for(&e, creds).await?;
    let bytes = wallet_zip_bytes(&files, &clr).map_err(|err| {
        tracing::error!(error = %err, "building the wallet ZIP failed");
        ApiError::internal()
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"pathledger-wallet.zip\"".to_owned(),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// One credential as a file: its exact signed bytes. Credentials are public by id, as their
/// page and its JSON are.
async fn credential_download(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rec = app
        .store()
        .credential(&id)
        .await
        .map_err(ApiError::from_store)?;
    let name = format!("{}.json", file_stem(&rec.achievement_id));
    Ok((
        [
            (header::CONTENT_TYPE, "application/vc+ld+json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        rec.document,
    )
        .into_response())
}
