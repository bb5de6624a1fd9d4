//! The district bulk-verify page: a roster or a set of files in, one verdict per row out.

use maud::{html, Markup, PreEscaped};

use super::verify::verdict_pill;

/// One verified row of a roster or one uploaded file.
pub struct VerifiedRow {
    /// `line N` of the roster, or the file's name.
    pub label: String,
    /// The educator's name from the roster (empty for files).
    pub name: String,
    /// The holder's name, when the credential or (for a credential issued here and a viewer
    /// who may read it) the issuer discloses it.
    pub holder: Option<String>,
    /// How the roster's name compares with the holder's.
    pub name_check: NameCheck,
    /// The achievement's name (empty if the credential could not be read).
    pub credential: String,
    /// The issuer's name.
    pub issuer: String,
    /// The issue date (`6 December 2026`), if known.
    pub issued: String,
    /// The expiry date, if it has one.
    pub expires: String,
    /// The credential's id, if known.
    pub id: String,
    /// The verdict code.
    pub verdict: String,
    /// The verdict's reason, in words.
    pub reason: String,
}

/// How a roster's name compares with the credential's holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameCheck {
    /// The same name (case, accents, punctuation and word order aside).
    Matches,
    /// Different names: flagged.
    Mismatch,
    /// The holder's name is not disclosed, or the roster gives none: nothing to compare.
    NotCompared,
}

impl NameCheck {
    /// The CSV's word.
    pub fn code(self) -> &'static str {
        match self {
            Self::Matches => "matches",
            Self::Mismatch => "MISMATCH",
            Self::NotCompared => "not compared",
        }
    }
}

/// What the page shows under its introduction.
pub enum Outcome {
    /// Just the form.
    Form,
    /// The form was sent without anything to verify.
    Nothing,
    /// The frame of a results table of this many rows, streamed into it: the page is split at
    /// [`ROWS_HERE`] (where the rows go, as [`result_row`] renders them) and [`CSV_HERE`]
    /// (where [`csv_download`] goes, once every row is known).
    Streaming(usize),
}

/// Where a streamed page's rows go (an HTML comment, split off before sending).
pub const ROWS_HERE: &str = "<!--pathledger:rows-->";
/// Where a streamed page's CSV download goes.
pub const CSV_HERE: &str = "<!--pathledger:csv-->";

pub fn bulk_verify_page(outcome: Outcome, form_token: Option<&str>) -> Markup {
    html! {
        h1 { "District bulk verify" }
        p {
            "Upload a CSV roster with columns " code { "name,credential" }
            " (a link to a credential, a credential id issued here, the credential JSON or a signed token), or several credential files and badge images (PNG or SVG). Every row gets its own verdict; a problem in one row never hides the others."
        }
        @match outcome {
            Outcome::Form => {}
            Outcome::Nothing => p.card { "Nothing to verify: upload a roster or credential files." },
            Outcome::Streaming(n) => (results_frame(n)),
        }
        form method="post" action="/verify/bulk" enctype="multipart/form-data" {
            (super::csrf_field(form_token))
            label for="roster" { "CSV roster" }
            input #roster type="file" name="roster" accept=".csv,text/csv";
            label for="files" { "…or credential files and badge images" }
            input #files type="file" name="files" multiple accept=".json,.jsonld,.jwt,.jws,.png,.svg,application/json,image/png,image/svg+xml";
            p { button type="submit" { "Verify all" } }
        }
    }
}

fn results_frame(rows: usize) -> Markup {
    html! {
        section.card {
            h2 { "Results (" (rows) " rows)" }
            table #bulk-results {
                thead { tr {
                    th { "Row" } th { "Name on the roster" } th { "Holder" } th { "Credential" }
                    th { "Dates" } th { "Verdict" } th { "Reason" }
                } }
                tbody { (PreEscaped(ROWS_HERE)) }
            }
            (PreEscaped(CSV_HERE))
        }
    }
}

/// One row of the results table (on a phone each cell is labelled).
pub fn result_row(r: &VerifiedRow) -> Markup {
    html! {
        tr data-verdict=(r.verdict) data-name-check=(r.name_check.code()) {
            td data-label="Row" { (r.label) }
            td data-label="Name on the roster" { (r.name) }
            td data-label="Holder" {
                @match &r.holder {
                    Some(h) => (h),
                    None => span.muted { "Not disclosed" },
                }
                @if r.name_check == NameCheck::Mismatch {
                    br;
                    strong.mismatch { span aria-hidden="true" { "✖ " } "Not the name on the roster" }
                }
            }
            td data-label="Credential" {
                (r.credential)
                @if !r.issuer.is_empty() { br; span.muted { "from " (r.issuer) } }
            }
            td data-label="Dates" {
                @if !r.issued.is_empty() { "Issued " (r.issued) }
                @if !r.expires.is_empty() { br; "Expires " (r.expires) }
            }
            td data-label="Verdict" { (verdict_pill(&r.verdict, false)) }
            td data-label="Reason" { (r.reason) }
        }
    }
}

/// The counts under the table: rows per verdict, names that do not match the roster.
pub struct Summary {
    /// (verdict code, rows), most frequent first.
    pub verdicts: Vec<(String, usize)>,
    /// Rows whose holder is not the name on the roster.
    pub mismatches: usize,
    /// When the report was made (`6 December 2026, 14:05 UTC`).
    pub checked_at: String,
}

/// The summary and the link that downloads the whole report as CSV (given base64-encoded).
pub fn csv_download(summary: &Summary, csv_b64: &str) -> Markup {
    html! {
        section #summary aria-label="Summary" {
            h3 { "Summary" }
            ul #verdict-counts {
                @for (code, n) in &summary.verdicts {
                    li data-verdict=(code) data-count=(n) {
                        (verdict_pill(code, false)) " " (n) " " (if *n == 1 { "row" } else { "rows" })
                    }
                }
                li #mismatch-count data-count=(summary.mismatches) {
                    (summary.mismatches) " "
                    (if summary.mismatches == 1 { "holder whose name is not the roster's" } else { "holders whose names are not the roster's" })
                }
            }
            p.muted { "Checked " (summary.checked_at) "." }
        }
        p {
            a.button download="verification-report.csv" href={ "data:text/csv;base64," (csv_b64) } { "Download as CSV" }
        }
    }
}
