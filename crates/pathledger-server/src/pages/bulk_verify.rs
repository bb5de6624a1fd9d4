//! The district bulk-verify page: a roster or a set of files in, one verdict per row out.

use maud::{html, Markup, PreEscaped};

use super::verify::verdict_pill;

/// One verified row of a roster or one uploaded file.
pub struct VerifiedRow {
    /// `line N` of the roster, or the file's name.
    pub label: String,
    /// The educator's name from the roster (empty for files).
    pub name: String,
    /// The credential's own name (empty if it could not be read).
    pub credential: String,
    /// The verdict code.
    pub verdict: String,
    /// The verdict's reason, in words.
    pub reason: String,
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
                thead { tr { th { "Row" } th { "Name" } th { "Credential" } th { "Verdict" } th { "Reason" } } }
                tbody { (PreEscaped(ROWS_HERE)) }
            }
            (PreEscaped(CSV_HERE))
        }
    }
}

/// One row of the results table.
pub fn result_row(r: &VerifiedRow) -> Markup {
    html! {
        tr data-verdict=(r.verdict) {
            td { (r.label) }
            td { (r.name) }
            td { (r.credential) }
            td { (verdict_pill(&r.verdict, false)) }
            td { (r.reason) }
        }
    }
}

/// The link that downloads the whole report as CSV (given base64-encoded).
pub fn csv_download(csv_b64: &str) -> Markup {
    html! {
        p {
            a.button download="verification-report.csv" href={ "data:text/csv;base64," (csv_b64) } { "Download as CSV" }
        }
    }
}
