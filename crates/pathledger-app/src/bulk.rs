//! Bulk issuance: rows from JSON or a CSV roster, issued in store batches, and background jobs
//! whose progress and results are kept in the store for the admin page.

use pathledger_badges as badges;
use pathledger_signing::Cryptosuite;
use pathledger_store::{AccessRole, Recipient};
use serde::Deserialize;

use crate::{first_issuer, parse_suite, Actor, App, AppError, BulkIssued, IssueOptions};

/// One row of a bulk issuance request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkRow {
    /// Achievement (micro-credential) id.
    pub achievement: String,
    /// An email address or `educator:<id>`.
    pub recipient: String,
    /// Expiry, RFC 3339.
    #[serde(default)]
    pub valid_until: Option<String>,
    /// Retry key.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// Most rows one roster or batch may carry, on every endpoint that takes one: bulk issuance
/// (JSON rows, CSV upload), bulk verification (CSV roster and files), batch verification (JSON
/// array). Counted while parsing: the row after the last allowed one refuses the request. Larger
/// issuances are split into several requests, or run with `pathledger bulk-issue`.
pub const MAX_ROSTER_ROWS: usize = 1_000;

/// The refusal of a roster or batch with more than [`MAX_ROSTER_ROWS`] rows, at `field`.
pub fn too_many_rows(field: impl Into<String>) -> AppError {
    AppError::invalid(
        field,
        format!(
            "too many rows: at most {MAX_ROSTER_ROWS} rows per request; split the roster into several requests"
        ),
    )
}

/// A parsed row, or why it cannot be issued.
pub type ParsedRow = Result<(String, Recipient, IssueOptions), AppError>;

/// Turns request rows into issuance rows; a row that does not parse fails alone, naming its path.
pub fn to_issue_rows(suite: Cryptosuite, rows: Vec<BulkRow>) -> Vec<ParsedRow> {
    rows.into_iter()
        .enumerate()
        .map(|(i, r)| {
            let recipient = crate::parse_recipient(&r.recipient)
                .map_err(|e| e.at_field(format!("/rows/{i}/recipient")))?;
            let valid_until = match r.valid_until.as_deref().filter(|s| !s.trim().is_empty()) {
                None => None,
                Some(s) => Some(badges::dates::parse(s.trim()).ok_or_else(|| {
                    AppError::invalid(
                        format!("/rows/{i}/valid_until"),
                        "must be an RFC 3339 date-time such as 2030-01-01T00:00:00Z",
                    )
                })?),
            };
            Ok((
                r.achievement.trim().to_owned(),
                recipient,
                IssueOptions {
                    suite,
                    valid_until,
                    idempotency_key: r.idempotency_key,
                    ..IssueOptions::default()
                },
            ))
        })
        .collect()
}

/// Issues the rows of a JSON bulk request as the actor's organization's issuer. The answer has
/// one result per row, in order.
pub async fn issue_rows(
    app: &App,
    actor: &Actor,
    suite: Option<&str>,
    rows: Vec<BulkRow>,
) -> Result<Vec<Result<BulkIssued, AppError>>, AppError> {
    let org = actor.org_with_role(app, &[AccessRole::Issuer]).await?;
    if rows.len() > MAX_ROSTER_ROWS {
        return Err(too_many_rows("/rows"));
    }
    let issuer = first_issuer(app, &org).await?;
    let suite = bulk_suite(suite)?;
    issue_parsed(app, &issuer.id, to_issue_rows(suite, rows), None).await
}

/// The suite a bulk request asks for (eddsa-jcs-2022 when it names none), reported at `suite`.
fn bulk_suite(s: Option<&str>) -> Result<Cryptosuite, AppError> {
    parse_suite(
        s.map(str::trim).filter(|s| !s.is_empty()),
        Cryptosuite::EddsaJcs2022,
    )
    .map_err(|e| e.at_field("suite"))
}

/// Issues every valid row; the answer has one result per row, in order. `progress` (a job id)
/// records the rows handled after each chunk, which is also the running job's heartbeat.
async fn issue_parsed(
    app: &App,
    issuer_id: &str,
    parsed: Vec<ParsedRow>,
    progress: Option<&str>,
) -> Result<Vec<Result<BulkIssued, AppError>>, AppError> {
    let mut out: Vec<Option<Result<BulkIssued, AppError>>> = Vec::with_capacity(parsed.len());
    let mut good = Vec::new();
    let mut good_pos = Vec::new();
    for (i, p) in parsed.into_iter().enumerate() {
        match p {
            Ok(row) => {
                good.push(row);
                good_pos.push(i);
                out.push(None);
            }
            Err(e) => out.push(Some(Err(e))),
        }
    }
    let refused = out.len() - good_pos.len();
    // Chunks let the progress page move; each holds several store batches, so the store builds
    // one batch while it writes the one before.
    let mut pos = good_pos.into_iter();
    let mut rows = good.into_iter().peekable();
    let mut done = refused;
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows
            .by_ref()
            .take(4 * pathledger_store::BULK_BATCH_SIZE)
            .collect();
        let n = chunk.len();
        let results = app.bulk_issue(issuer_id, chunk).await?;
        for r in results {
            if let Some(p) = pos.next() {
                out[p] = Some(r);
            }
        }
        done += n;
        if let Some(job) = progress {
            // Progress is for the page only: a failed write must not stop the issuance.
            if let Err(e) = app.store().bulk_job_progress(job, done as u64).await {
                tracing::warn!(job, error = %e, "bulk job progress not recorded");
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(AppError::internal("a bulk row has no result"))))
        .collect())
}

/// One finished row of a job: its CSV line, recipient, achievement, and the credential id or
/// why not.
pub type JobRow = (usize, String, String, Result<String, String>);

/// A bulk issuance job, as its progress page shows it. Jobs are kept in the store, so the page
/// answers from any server of the deployment and after a restart.
#[derive(Debug, Clone, Default)]
pub struct BulkJob {
    /// The organization whose issuer runs it.
    pub org: pathledger_store::OrgId,
    /// Rows in the upload.
    pub total: usize,
    /// Rows handled so far.
    pub done: usize,
    /// Whether it has ended.
    pub finished: bool,
    /// Why it stopped early, if it did (also: the server stopped while it ran).
    pub error: Option<String>,
    /// Per line: (line, recipient, achievement, credential id or why not).
    pub rows: Vec<JobRow>,
    /// Educator invitations mailed to people the job made educators of.
    pub invitations_sent: usize,
    /// Educator invitations due but not made or mailed (the credentials stand).
    pub invitations_failed: usize,
}

impl BulkJob {
    /// The rows that were not issued, in line order.
    pub fn failures(&self) -> impl Iterator<Item = (&JobRow, &str)> {
        self.rows.iter().filter_map(|r| match &r.3 {
            Err(e) => Some((r, e.as_str())),
            Ok(_) => None,
        })
    }
}

/// A running job that has not moved for this long was interrupted (its server stopped): each
/// chunk of [`pathledger_store::BULK_BATCH_SIZE`] × 4 rows records progress, and takes seconds.
pub const STALLED_AFTER_MS: i64 = 5 * 60 * 1000;

/// What the page says of a job whose server stopped while it ran.
pub const INTERRUPTED: &str = "the server stopped while this job was running. The credentials issued before that are kept; upload the same file again with an idempotency_key column to finish without issuing any twice.";

/// The job as the page shows it, from its stored record at `now_ms`.
pub fn job_from_record(rec: &pathledger_store::BulkJobRecord, now_ms: i64) -> BulkJob {
    let stalled = !rec.finished && now_ms - rec.updated_ms > STALLED_AFTER_MS;
    let results = rec.results.as_ref();
    let rows = results
        .and_then(|r| r["rows"].as_array())
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    let text = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
                    let outcome = match r["credential"].as_str() {
                        Some(id) => Ok(id.to_owned()),
                        None => Err(text("error")),
                    };
                    (
                        usize::try_from(r["line"].as_u64().unwrap_or(0)).unwrap_or(0),
                        text("recipient"),
                        text("achievement"),
                        outcome,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let count = |k: &str| {
        results
            .and_then(|r| r[k].as_u64())
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0)
    };
    BulkJob {
        org: rec.org_id.clone().into(),
        total: usize::try_from(rec.total).unwrap_or(usize::MAX),
        done: usize::try_from(rec.done).unwrap_or(usize::MAX),
        finished: rec.finished || stalled,
        error: if stalled {
            Some(INTERRUPTED.to_owned())
        } else {
            rec.error.clone()
        },
        rows,
        invitations_sent: count("invitations_sent"),
        invitations_failed: count("invitations_failed"),
    }
}

/// A finished job's rows and invitation counts as stored.
fn results_json(rows: &[JobRow], sent: usize, failed: usize) -> serde_json::Value {
    serde_json::json!({
        "invitations_sent": sent,
        "invitations_failed": failed,
        "rows": rows.iter().map(|(line, who, ach, r)| match r {
            Ok(id) => serde_json::json!({"line": line, "recipient": who, "achievement": ach, "credential": id}),
            Err(e) => serde_json::json!({"line": line, "recipient": who, "achievement": ach, "error": e}),
        }).collect::<Vec<_>>(),
    })
}

/// Starts issuing a CSV roster in the background as the actor's organization's issuer; returns
/// the job's id. The CSV is parsed first: a bad header or too many rows refuses the whole upload.
pub async fn start_job(
    app: &App,
    actor: &Actor,
    suite: Option<&str>,
    csv: &str,
) -> Result<String, AppError> {
    let org = actor.org_with_role(app, &[AccessRole::Issuer]).await?;
    let issuer = first_issuer(app, &org).await?;
    let suite = bulk_suite(suite)?;
    let parsed = parse_bulk_csv(csv)?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    app.store()
        .create_bulk_job(&id, &org, parsed.len() as u64)
        .await?;
    let app2 = app.clone();
    let job_id = id.clone();
    tokio::spawn(async move {
        // Failed rows keep what was read of them (a row missing a column still has the other).
        let lines: Vec<(usize, String, String)> = parsed
            .iter()
            .map(|(l, r)| match r {
                Ok(b) => (*l, b.recipient.clone(), b.achievement.clone()),
                Err(_) => (*l, String::new(), String::new()),
            })
            .collect();
        let mut rows = Vec::with_capacity(parsed.len());
        let mut pre = Vec::with_capacity(parsed.len());
        for (_, r) in parsed {
            match r {
                Ok(b) => {
                    rows.push(b);
                    pre.push(None);
                }
                Err(e) => pre.push(Some(e)),
            }
        }
        let mut converted = to_issue_rows(suite, rows).into_iter();
        let all: Vec<_> = pre
            .into_iter()
            .map(|p| match p {
                Some(e) => Err(e),
                None => converted
                    .next()
                    .unwrap_or_else(|| Err(AppError::internal("a bulk row has no result"))),
            })
            .collect();
        let outcome = issue_parsed(&app2, &issuer.id, all, Some(&job_id)).await;
        let stored = match outcome {
            Ok(results) => {
                let (sent, failed) = invitation_counts(&results);
                let rows: Vec<JobRow> = lines
                    .into_iter()
                    .zip(results)
                    .map(|((l, who, ach), r)| {
                        (l, who, ach, r.map(|c| c.record.id).map_err(|e| e.detail()))
                    })
                    .collect();
                app2.store()
                    .finish_bulk_job(&job_id, None, Some(&results_json(&rows, sent, failed)))
                    .await
            }
            Err(e) => {
                app2.store()
                    .finish_bulk_job(&job_id, Some(&e.detail()), None)
                    .await
            }
        };
        if let Err(e) = stored {
            tracing::error!(job = %job_id, error = %e, "bulk job's results not recorded");
        }
    });
    Ok(id)
}

/// How many invitations the rows of a bulk issuance mailed, and how many failed.
pub fn invitation_counts(results: &[Result<BulkIssued, AppError>]) -> (usize, usize) {
    let invites = || {
        results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|b| &b.invite)
    };
    (
        invites().filter(|i| i.sent()).count(),
        invites().filter(|i| i.failed()).count(),
    )
}

/// A bulk job, for an issuer of the organization that runs it.
pub async fn job(app: &App, actor: &Actor, id: &str) -> Result<BulkJob, AppError> {
    let missing = || AppError::Missing("No bulk issuance has this id.".into());
    let rec = match app.store().bulk_job(id).await {
        Ok(r) => r,
        Err(pathledger_store::StoreError::NotFound { .. }) => return Err(missing()),
        Err(e) => return Err(e.into()),
    };
    actor
        .require(app, &rec.org_id.clone().into(), AccessRole::Issuer)
        .await?;
    Ok(job_from_record(&rec, crate::accounts::now_ms()))
}

/// One CSV line: its number and the row, or what is wrong with it.
type CsvRow = (usize, Result<BulkRow, AppError>);

/// Parses a bulk CSV: a header naming `achievement` and `recipient` (and optionally
/// `valid_until`, `idempotency_key`), one credential per row. Errors name the line.
pub fn parse_bulk_csv(text: &str) -> Result<Vec<CsvRow>, AppError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| AppError::invalid("rows", format!("the header row could not be read: {e}")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(ai), Some(ri)) = (col("achievement"), col("recipient")) else {
        return Err(AppError::invalid(
            "rows",
            "line 1: the header must name the columns achievement and recipient",
        ));
    };
    let vi = col("valid_until");
    let ki = col("idempotency_key");
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        if out.len() >= MAX_ROSTER_ROWS {
            return Err(too_many_rows("rows"));
        }
        out.push((
            line,
            match rec {
                Ok(r) => {
                    let get = |c: Option<usize>| {
                        c.and_then(|c| r.get(c))
                            .map(str::to_owned)
                            .filter(|s| !s.is_empty())
                    };
                    match (get(Some(ai)), get(Some(ri))) {
                        (Some(achievement), Some(recipient)) => Ok(BulkRow {
                            achievement,
                            recipient,
                            valid_until: get(vi),
                            idempotency_key: get(ki),
                        }),
                        _ => Err(AppError::invalid(
                            format!("line {line}"),
                            format!("line {line}: achievement and recipient are both required"),
                        )),
                    }
                }
                Err(e) => Err(AppError::invalid(
                    format!("line {line}"),
                    format!("line {line}: {e}"),
                )),
            },
        ));
    }
    if out.is_empty() {
        return Err(AppError::invalid(
            "rows",
            "the CSV has no rows under its header",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod job_tests {
    use super::*;

    fn record(finished: bool, updated_ms: i64) -> pathledger_store::BulkJobRecord {
        pathledger_store::BulkJobRecord {
            id: "j".into(),
            org_id: "org".into(),
            total: 3,
            done: 1,
            finished,
            error: None,
            results: finished.then(|| {
                results_json(
                    &[
                        (2, "a@x".into(), "mc".into(), Ok("urn:uuid:1".into())),
                        (3, String::new(), String::new(), Err("why".into())),
                    ],
                    1,
                    0,
                )
            }),
            created_ms: 0,
            updated_ms,
        }
    }

    #[test]
    fn a_stored_job_reads_back_and_a_stalled_one_says_so() {
        let now = 10 * STALLED_AFTER_MS;
        let done = job_from_record(&record(true, now), now);
        assert!(done.finished && done.error.is_none());
        assert_eq!(done.rows.len(), 2);
        assert_eq!(done.rows[0].3, Ok("urn:uuid:1".to_owned()));
        assert_eq!(done.failures().count(), 1);
        assert_eq!(done.invitations_sent, 1);
        let running = job_from_record(&record(false, now - 1000), now);
        assert!(!running.finished && running.error.is_none());
        assert_eq!(running.done, 1);
        let stalled = job_from_record(&record(false, now - STALLED_AFTER_MS - 1), now);
        assert!(stalled.finished);
        assert_eq!(stalled.error.as_deref(), Some(INTERRUPTED));
    }
}
