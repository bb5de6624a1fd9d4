//! The progress and results page of a bulk issuance run.

use maud::{html, Markup};

/// One row of a finished run: line, recipient, achievement, and the credential id or why not.
pub type IssuedRow = (usize, String, String, Result<String, String>);

/// Where a run stands.
pub enum Run<'a> {
    /// Still issuing: `done` of `total` rows.
    Running { done: usize, total: usize },
    /// Stopped by an error.
    Failed(&'a str),
    /// Finished: every row's result, and the educator invitations mailed and failed.
    Finished {
        total: usize,
        rows: &'a [IssuedRow],
        invited: (usize, usize),
    },
}

pub fn bulk_issue_page(run: Run<'_>) -> Markup {
    html! {
        h1 { "Bulk issue" }
        @match run {
            Run::Running { done, total } => {
                p { "Issuing… " (done) " of " (total) "." }
                progress #progress max=(total) value=(done) { (done) " of " (total) }
                p.muted { "This page refreshes itself." }
            }
            Run::Failed(e) => {
                p #error role="alert" { "The run stopped: " (e) }
                p { "Rows issued before it stopped are kept; run the same file again with idempotency keys to finish." }
            }
            Run::Finished { total, rows, invited: (sent, failed) } => {
                @let ok = rows.iter().filter(|r| r.3.is_ok()).count();
                progress #progress max=(total) value=(total) { "done" }
                p #summary { (ok) " issued, " (rows.len() - ok) " not issued." }
                @if sent > 0 || failed > 0 {
                    p #invitations {
                        (sent) " new educators invited by email."
                        @if failed > 0 {
                            " " (failed) " invitations could not be sent (see the log); their credentials are issued, and an org admin can invite them again."
                        }
                    }
                }
                table #bulk-results {
                    thead { tr { th { "Line" } th { "Recipient" } th { "Achievement" } th { "Result" } } }
                    tbody {
                        @for (line, who, ach, r) in rows {
                            @match r {
                                Ok(cid) => tr data-ok="true" {
                                    td { (line) } td { (who) } td { (ach) }
                                    td { "✔ " a href={ "/credentials/" (cid) } { "issued" } }
                                },
                                Err(e) => tr data-ok="false" {
                                    td { (line) } td { (who) } td { (ach) } td { "✖ " (e) }
                                },
                            }
                        }
                    }
                }
                p { a href="/admin" { "Back to admin" } }
            }
        }
    }
}
