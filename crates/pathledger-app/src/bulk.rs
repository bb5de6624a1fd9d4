//! Bulk issuance: rows from JSON or a CSV roster, issued in store batches, and background jobs
//! whose progress the admin page watches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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

/// Issues every valid row; the answer has one result per row, in order.
async fn issue_parsed(
    app: &App,
    issuer_id: &str,
    parsed: Vec<ParsedRow>,
    progress: Option<&Arc<Mutex<BulkJob>>>,
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
    // Chunks let the progress page move; each holds several store batches, so the store builds
    // one batch while it writes the one before.
    let mut pos = good_pos.into_iter();
    let mut rows = good.into_iter().peekable();
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
        if let Some(job) = progress {
            if let Ok(mut j) = job.lock() {
                j.done += n;
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(AppError::internal("a bulk row has no result"))))
        .collect())
}

/// A bulk issuance running in the background, watched from its progress page. Jobs live in the
/// memory of the process that runs them (a page refresh on another server behind a load
/// balancer will not find it; the credentials themselves are in the shared database either way).
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
    /// Why it stopped early, if it did.
    pub error: Option<String>,
    /// Per line: (line, recipient, achievement, credential id or why not).
    pub rows: Vec<(usize, String, String, Result<String, String>)>,
    /// Educator invitations mailed to people the job made educators of.
    pub invitations_sent: usize,
    /// Educator invitations due but not made or mailed (the credentials stand).
    pub invitations_failed: usize,
}

/// The bulk jobs of this process, by id.
#[derive(Default)]
pub(crate) struct Jobs {
    jobs: Mutex<HashMap<String, Arc<Mutex<BulkJob>>>>,
}

/// Most finished jobs kept for their result pages.
const KEPT_JOBS: usize = 500;

impl Jobs {
    fn insert(&self, id: String, job: Arc<Mutex<BulkJob>>) {
        if let Ok(mut m) = self.jobs.lock() {
            if m.len() > KEPT_JOBS {
                m.retain(|_, j| j.lock().map(|j| !j.finished).unwrap_or(false));
            }
            m.insert(id, job);
        }
    }

    fn get(&self, id: &str) -> Option<Arc<Mutex<BulkJob>>> {
        self.jobs.lock().ok().and_then(|m| m.get(id).cloned())
    }
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
    let job = Arc::new(Mutex::new(BulkJob {
        org,
        total: parsed.len(),
        ..BulkJob::default()
    }));
    app.jobs().insert(id.clone(), job.clone());
    let app2 = app.clone();
    tokio::spawn(async move {
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
        let outcome = issue_parsed(&app2, &issuer.id, all, Some(&job)).await;
        if let Ok(mut j) = job.lock() {
            match outcome {
                Ok(results) => {
                    let (sent, failed) = invitation_counts(&results);
                    j.invitations_sent = sent;
                    j.invitations_failed = failed;
                    j.rows = lines
                        .into_iter()
                        .zip(results)
                        .map(|((l, who, ach), r)| {
                            (l, who, ach, r.map(|c| c.record.id).map_err(|e| e.detail()))
                        })
                        .collect();
                }
                Err(e) => j.error = Some(e.detail()),
            }
            j.done = j.total;
            j.finished = true;
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

/// A snapshot of a bulk job, for an issuer of the organization that runs it.
pub async fn job(app: &App, actor: &Actor, id: &str) -> Result<BulkJob, AppError> {
    let job = app.jobs().get(id).ok_or_else(|| {
        AppError::Missing("No bulk issuance with this id runs on this server.".into())
    })?;
    let org = job
        .lock()
        .map(|j| j.org.clone())
        .map_err(|_| AppError::internal("a bulk job's lock is poisoned"))?;
    actor.require(app, &org, AccessRole::Issuer).await?;
    let snapshot = job
        .lock()
        .map(|j| j.clone())
        .map_err(|_| AppError::internal("a bulk job's lock is poisoned"))?;
    Ok(snapshot)
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
