//! The progress and results page of a bulk issuance run: the rows that failed first (with a
//! CSV of them to fix and upload again), then the credentials issued.

use maud::{html, Markup};

/// One row of a finished run: line, recipient, achievement, and the credential id or why not.
pub type IssuedRow = (usize, String, String, Result<String, String>);

/// Where a run stands.
pub enum Run<'a> {
    /// Still issuing: `done` of `total` rows.
    Running { done: usize, total: usize },
    /// Stopped by an error (or by the server stopping while it ran).
    Failed(&'a str),
    /// Finished: every row's result, and the educator invitations mailed and failed.
    Finished {
        total: usize,
        rows: &'a [IssuedRow],
        invited: (usize, usize),
    },
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A cell's text, or a dash for a row that could not be read that far.
fn or_dash(s: &str) -> &str {
    if s.is_empty() {
        "—"
    } else {
        s
    }
}

pub fn bulk_issue_page(job: &str, run: Run<'_>) -> Markup {
    html! {
        h1 { "Bulk issue" }
        @match run {
            Run::Running { done, total } => {
                p #running { "Issuing… " (done) " of " (total) " rows handled." }
                progress #progress max=(total) value=(done) { (done) " of " (total) }
                p.muted { "This page refreshes itself. You can leave it: the run goes on, and this address shows its results later, even after a restart." }
            }
            Run::Failed(e) => {
                p #error role="alert" { "The run stopped: " (e) }
                p { "Rows issued before it stopped are kept; run the same file again with idempotency keys to finish." }
                p { a href="/admin" { "Back to admin" } }
            }
            Run::Finished { total, rows, invited: (sent, failed) } => {
                @let ok = rows.iter().filter(|r| r.3.is_ok()).count();
                @let bad = rows.len() - ok;
                progress #progress max=(total) value=(total) { "done" }
                p #summary role="status" { (ok) " issued, " (bad) " not issued." }
                @if sent > 0 || failed > 0 {
                    p #invitations {
                        (plural(sent, "new educator", "new educators")) " invited by email."
                        @if failed > 0 {
                            " " (failed) " invitations could not be sent (see the log); their credentials are issued, and an org admin can invite them again."
                        }
                    }
                }
                @if bad > 0 {
                    section #failures aria-labelledby="failures-title" {
                        h2 #failures-title { "Not issued: " (plural(bad, "row", "rows")) }
                        p {
                            a.button #failed-csv href={ "/admin/bulk/" (job) "/failed.csv" } download {
                                "Download the failed rows (CSV)"
                            }
                        }
                        p.muted { "The file keeps the achievement and recipient columns with each row's line and reason: fix the rows and upload it again." }
                        table #bulk-failures {
                            thead { tr { th { "Line" } th { "Recipient" } th { "Achievement" } th { "Why not" } } }
                            tbody {
                                @for (line, who, ach, r) in rows.iter() {
                                    @if let Err(e) = r {
                                        tr data-ok="false" data-line=(line) {
                                            td data-label="Line" { (line) } td data-label="Recipient" { (or_dash(who)) } td data-label="Achievement" { (or_dash(ach)) } td data-label="Why not" { "✖ " (e) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } @else {
                    p #all-issued { "✔ Every row was issued." }
                }
                @if ok > 0 {
                    h2 { "Issued: " (plural(ok, "credential", "credentials")) }
                    table #bulk-results {
                        thead { tr { th { "Line" } th { "Recipient" } th { "Achievement" } th { "Credential" } } }
                        tbody {
                            @for (line, who, ach, r) in rows.iter() {
                                @if let Ok(cid) = r {
                                    tr data-ok="true" data-line=(line) {
                                        td data-label="Line" { (line) } td data-label="Recipient" { (who) } td data-label="Achievement" { (ach) }
                                        td data-label="Credential" { "✔ " a href={ "/credentials/" (cid) } { "issued" } }
                                    }
                                }
                            }
                        }
                    }
                }
                p { a href="/admin" { "Back to admin" } }
            }
        }
    }
}

/// The failed rows as CSV: `achievement,recipient,line,reason` (the upload's own column names
/// first, so the fixed file can be uploaded again; extra columns are ignored then).
pub fn failed_rows_csv(rows: &[IssuedRow]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["achievement", "recipient", "line", "reason"]);
    for (line, who, ach, r) in rows {
        if let Err(e) = r {
            let _ = w.write_record([ach.as_str(), who.as_str(), &line.to_string(), e.as_str()]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
