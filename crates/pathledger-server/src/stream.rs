//! Verification reports streamed as they are verified: the batch API's JSON array and the bulk
//! verify page. A roster is verified [`VERIFY_CHUNK`] rows at a time while the answer is being
//! sent, under one request's [`VerifyWork`](crate::app::VerifyWork): only the rows of the step
//! in hand are parsed and held, a slow reader pauses the work (nothing is verified before the
//! body is polled), and a client that goes away drops the stream, which cancels the work.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures::stream::{self, StreamExt};
use pathledger_badges::VerificationReport;
use serde_json::Value;

use crate::app::names::same_name;
use crate::app::{Actor, App, VERIFY_CHUNK};
use crate::pages::bulk_verify::{
    csv_download, result_row, NameCheck, Summary, VerifiedRow, CSV_HERE, ROWS_HERE,
};
use crate::pages::format::{date, day_text};
use crate::web::csv_cell;

/// `200 application/json`: the reports of `docs`, in order, as one JSON array.
pub fn json_reports(app: App, docs: Vec<Value>) -> Response {
    let work = app.verify_work();
    let rows = stream::unfold(
        (app, docs.into_iter(), work, true),
        |(app, mut docs, work, first)| async move {
            let chunk: Vec<Value> = docs.by_ref().take(VERIFY_CHUNK).collect();
            if chunk.is_empty() {
                return None;
            }
            let reports = app.verify_many_within(&chunk, &work).await;
            let mut out = Vec::with_capacity(reports.len() * 1024);
            for (i, r) in reports.iter().enumerate() {
                if !(first && i == 0) {
                    out.push(b',');
                }
                // A report always serializes (strings and enums only).
                let _ = serde_json::to_writer(&mut out, &r.to_json());
            }
            Some((
                Ok::<_, Infallible>(Bytes::from(out)),
                (app, docs, work, false),
            ))
        },
    );
    let body = stream::once(async { Ok(Bytes::from_static(b"[")) })
        .chain(rows)
        .chain(stream::once(async { Ok(Bytes::from_static(b"]")) }));
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(body),
    )
        .into_response()
}

/// Where a roster row's credential comes from (read when its step comes, not before).
pub enum Source {
    /// A roster cell: the credential JSON, a signed token, a link to a credential (ours or
    /// another site's, fetched within the request's bounds) or a credential id issued here.
    Reference(String),
    /// An uploaded credential file: JSON, a signed token, or a baked PNG or SVG badge.
    File(Vec<u8>),
    /// A roster line that could not be read, and why.
    Unreadable(String),
}

/// One row of a bulk verification: who, which line or file, and the credential's source.
pub struct Row {
    /// The educator's name from the roster (empty for files).
    pub name: String,
    /// `line N` of the roster, or the file's name.
    pub label: String,
    /// The credential.
    pub source: Source,
}

/// The bulk verify page for `rows`: `frame` is the whole page rendered with
/// `Outcome::Streaming`, whose markers are replaced by the rows as they are verified and by
/// the summary and CSV download once all are. `viewer` is who asks: the holder's name of a
/// credential issued here is shown only to those who may read it.
pub fn bulk_page(app: App, frame: String, rows: Vec<Row>, viewer: Option<Actor>) -> Response {
    let (head, rest) = frame.split_once(ROWS_HERE).unwrap_or((frame.as_str(), ""));
    let (middle, tail) = rest.split_once(CSV_HERE).unwrap_or((rest, ""));
    let (head, middle, tail) = (head.to_owned(), middle.to_owned(), tail.to_owned());
    let work = app.verify_work();
    let checked_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let state = Some(PageState {
        app,
        viewer,
        rows: rows.into_iter(),
        work,
        csv: String::from(CSV_HEADER),
        counts: Vec::new(),
        mismatches: 0,
        checked_ms,
        middle,
        tail,
    });
    let rows = stream::unfold(state, |state| async move {
        let mut st = state?;
        let chunk: Vec<Row> = st.rows.by_ref().take(VERIFY_CHUNK).collect();
        if chunk.is_empty() {
            let csv = base64::engine::general_purpose::STANDARD.encode(st.csv.as_bytes());
            let mut verdicts = std::mem::take(&mut st.counts);
            verdicts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let summary = Summary {
                verdicts,
                mismatches: st.mismatches,
                checked_at: date(st.checked_ms),
            };
            let end = format!(
                "{}{}{}",
                st.middle,
                csv_download(&summary, &csv).into_string(),
                st.tail
            );
            return Some((Ok::<_, Infallible>(Bytes::from(end)), None));
        }
        let html = st.step(chunk).await;
        Some((Ok(Bytes::from(html)), Some(st)))
    });
    let body = stream::once(async move { Ok(Bytes::from(head)) }).chain(rows);
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        Body::from_stream(body),
    )
        .into_response()
}

/// The CSV report's columns.
pub const CSV_HEADER: &str = "row,name on roster,holder,name check,issuer,achievement,issue date,expiry date,credential id,verdict,reason,checked at\n";

struct PageState {
    app: App,
    viewer: Option<Actor>,
    rows: std::vec::IntoIter<Row>,
    work: crate::app::VerifyWork,
    /// The CSV report so far (its rows are known only as they are verified; it is offered as
    /// one download after the table).
    csv: String,
    /// Rows per verdict code, in order of first appearance.
    counts: Vec<(String, usize)>,
    /// Rows whose holder's name is not the roster's.
    mismatches: usize,
    /// When the report was asked for.
    checked_ms: i64,
    middle: String,
    tail: String,
}

/// What a credential says about itself, for the report's columns.
struct Facts {
    achievement: String,
    issuer: String,
    issued: String,
    expires: String,
    id: String,
}

impl Facts {
    fn of(doc: Option<&Value>) -> Self {
        let Some(doc) = doc else {
            return Self {
                achievement: String::new(),
                issuer: String::new(),
                issued: String::new(),
                expires: String::new(),
                id: String::new(),
            };
        };
        let subject = match doc.get("credentialSubject") {
            Some(Value::Array(a)) => a.first(),
            other => other,
        };
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
        let date_of = |a: &str, b: &str| {
            doc.get(a)
                .or_else(|| doc.get(b))
                .and_then(Value::as_str)
                .map(day_text)
                .unwrap_or_default()
        };
        let mut achievement = text(subject.and_then(|s| s.pointer("/achievement/name")));
        if achievement.is_empty() {
            achievement = text(doc.get("name"));
        }
        Self {
            achievement,
            issuer: text(doc.pointer("/issuer/name")),
            issued: date_of("validFrom", "issuanceDate"),
            expires: date_of("validUntil", "expirationDate"),
            id: text(doc.get("id")),
        }
    }
}

impl PageState {
    /// Reads and verifies one step's rows; returns their table rows and adds them to the CSV.
    async fn step(&mut self, chunk: Vec<Row>) -> String {
        let mut docs = Vec::with_capacity(chunk.len());
        let mut read = Vec::with_capacity(chunk.len());
        for row in &chunk {
            let doc = match &row.source {
                Source::Reference(s) => resolve_credential_ref(&self.app, s).await,
                Source::File(bytes) => pathledger_badges::read_input(bytes)
                    .map_err(|e| format!("Not a credential: {e}.")),
                Source::Unreadable(why) => Err(why.clone()),
            };
            read.push(match doc {
                Ok(doc) => {
                    // A link to or the id of a credential issued here: its document.
                    let shown = if doc.is_object() {
                        Some(doc.clone())
                    } else {
                        self.app.own_credential_reference(&doc).await
                    };
                    let holder = match &shown {
                        Some(d) => self.app.holder_name(self.viewer.as_ref(), d).await,
                        None => None,
                    };
                    docs.push(doc);
                    Ok((shown, holder))
                }
                Err(e) => Err(e),
            });
        }
        let mut reports = self
            .app
            .verify_many_within(&docs, &self.work)
            .await
            .into_iter();
        let checked_at = date(self.checked_ms);
        let mut html = String::new();
        for (row, read) in chunk.into_iter().zip(read) {
            let (verdict, reason, facts, holder) = match read {
                Ok((shown, holder)) => {
                    let rep = reports
                        .next()
                        .unwrap_or_else(|| VerificationReport::malformed("not verified"));
                    (
                        rep.verdict.code().to_owned(),
                        rep.message,
                        Facts::of(shown.as_ref()),
                        holder,
                    )
                }
                Err(e) => ("malformed".to_owned(), e, Facts::of(None), None),
            };
            let name_check = match &holder {
                Some(h) if !row.name.trim().is_empty() => {
                    if same_name(&row.name, h) {
                        NameCheck::Matches
                    } else {
                        NameCheck::Mismatch
                    }
                }
                _ => NameCheck::NotCompared,
            };
            if name_check == NameCheck::Mismatch {
                self.mismatches += 1;
            }
            match self.counts.iter_mut().find(|(c, _)| *c == verdict) {
                Some((_, n)) => *n += 1,
                None => self.counts.push((verdict.clone(), 1)),
            }
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::new());
            let _ = w.write_record([
                csv_cell(&row.label),
                csv_cell(&row.name),
                csv_cell(holder.as_deref().unwrap_or("")),
                name_check.code().to_owned(),
                csv_cell(&facts.issuer),
                csv_cell(&facts.achievement),
                csv_cell(&facts.issued),
                csv_cell(&facts.expires),
                csv_cell(&facts.id),
                verdict.clone(),
                csv_cell(&reason),
                checked_at.clone(),
            ]);
            if let Ok(bytes) = w.into_inner() {
                self.csv.push_str(&String::from_utf8_lossy(&bytes));
            }
            let verified = VerifiedRow {
                label: row.label,
                name: row.name,
                holder,
                name_check,
                credential: facts.achievement,
                issuer: facts.issuer,
                issued: facts.issued,
                expires: facts.expires,
                id: facts.id,
                verdict,
                reason,
            };
            html.push_str(&result_row(&verified).into_string());
        }
        html
    }
}

/// A roster cell's credential: its JSON, or a token, link or id the verifier reads (a link or
/// id of a credential issued here is verified as the stored document; another site's link is
/// fetched within the request's bounds when this deployment fetches).
async fn resolve_credential_ref(_app: &App, s: &str) -> Result<Value, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("The credential cell is empty.".into());
    }
    pathledger_badges::read_input(s.as_bytes()).map_err(|e| format!("Not a credential: {e}."))
}
