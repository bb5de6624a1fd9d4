//! The educator's evidence page: submit evidence for a micro-credential, follow submissions.

use maud::{html, Markup};
use pathledger_store::EvidenceSubmission;

use super::format::{date, state_code, state_word};

/// Everything the evidence page shows.
pub struct EvidencePage<'a> {
    /// The submission just sent, if the visitor came back from sending one.
    pub just_submitted: bool,
    /// Micro-credentials the educator may submit evidence for, as (id, name).
    pub achievements: Vec<(&'a str, &'a str)>,
    /// The micro-credential chosen before the page opened (from the dashboard's "submit
    /// evidence for this").
    pub preselect: Option<&'a str>,
    /// Assessors and mentors of the organization, as (user id, name).
    pub assessors: Vec<(&'a str, &'a str)>,
    /// The longest narrative accepted, in characters.
    pub max_narrative: usize,
    /// The largest file accepted, in MB.
    pub max_file_mb: usize,
    /// The educator's submissions, newest first, with the micro-credential's name.
    pub submissions: Vec<(&'a EvidenceSubmission, String)>,
    /// The session's form token.
    pub form_token: Option<&'a str>,
    /// A refused submission, shown again as it was typed, with why beside the field.
    pub draft: Option<Draft<'a>>,
}

/// What was typed into a refused form, and the refusal (`field`, `message`).
pub struct Draft<'a> {
    pub achievement: &'a str,
    pub narrative: &'a str,
    pub url: &'a str,
    pub video: &'a str,
    /// The name of the file that was attached (a browser cannot be given it back, so the form
    /// says which it was).
    pub file_name: Option<&'a str>,
    pub assessor: &'a str,
    pub field: Option<&'a str>,
    pub message: &'a str,
}

/// The refusal's message beside `field` when it is the one refused (or, for a refusal that
/// names no field of this form, beside the first).
fn field_error(p: &EvidencePage<'_>, field: &str) -> Markup {
    let known = [
        "achievement",
        "narrative",
        "url",
        "video",
        "file",
        "assessor",
    ];
    html! {
        @if let Some(d) = &p.draft {
            @let here = match d.field {
                Some(f) if known.contains(&f) => f == field,
                _ => field == "achievement",
            };
            @if here {
                p.field-error id={ "error-" (field) } role="alert" { (d.message) }
            }
        }
    }
}

pub fn evidence_page(p: &EvidencePage<'_>) -> Markup {
    html! {
        h1 { "Evidence" }
        @if p.just_submitted {
            p.card #notice role="status" { "Your evidence was submitted. Your assessor will accept it or return it with comments." }
        }
        p { "Submit evidence for a micro-credential. When your assessor accepts it, the credential is issued to you at once." }
        h2 { "Submit evidence" }
        @if p.assessors.is_empty() {
            p.card { "Your organization has no assessor or mentor yet, so evidence cannot be reviewed." }
        } @else {
            form method="post" action="/evidence" enctype="multipart/form-data" {
                (super::csrf_field(p.form_token))
                @let d = p.draft.as_ref();
                label for="achievement" { "Micro-credential" }
                (field_error(p, "achievement"))
                select #achievement name="achievement" required {
                    @for (id, name) in &p.achievements {
                        option value=(id) selected[d.map_or(p.preselect == Some(*id), |d| d.achievement == *id)] { (name) }
                    }
                }
                label for="narrative" { "What you did and what it shows" }
                (field_error(p, "narrative"))
                textarea #narrative name="narrative" required maxlength=(p.max_narrative) { (d.map_or("", |d| d.narrative)) }
                label for="url" { "Link to the artifact (optional)" }
                (field_error(p, "url"))
                input #url name="url" type="url" size="60" placeholder="https://" value=(d.map_or("", |d| d.url));
                label for="video" { "Link to a video of your practice (optional)" }
                (field_error(p, "video"))
                input #video name="video" type="url" size="60" placeholder="https://" value=(d.map_or("", |d| d.video));
                label for="file" { "Attach a file (optional): a PDF or an image, up to " (p.max_file_mb) " MB" }
                (field_error(p, "file"))
                @if let Some(name) = d.and_then(|d| d.file_name).filter(|n| !n.is_empty()) {
                    p.muted #file-was { "You had attached " strong { (name) } ". Choose a file again to attach one." }
                }
                input #file name="file" type="file" accept="application/pdf,image/png,image/jpeg,image/gif,image/webp";
                label for="assessor" { "Assessor or mentor" }
                (field_error(p, "assessor"))
                select #assessor name="assessor" required {
                    @for (id, name) in &p.assessors {
                        option value=(id) selected[d.is_some_and(|d| d.assessor == *id)] { (name) }
                    }
                }
                p { button type="submit" { "Submit evidence" } }
            }
        }
        h2 { "Your submissions" }
        table #submissions {
            thead { tr { th { "Micro-credential" } th { "Submitted" } th { "State" } th { "Attached" } th { "Assessor's comment" } } }
            tbody {
                @for (s, achievement) in &p.submissions {
                    tr data-submission=(s.id) data-state=(state_code(s.state)) {
                        td { (achievement) }
                        td { (date(s.created_ms)) }
                        td { (state_word(s.state)) }
                        td { (attachments(s)) }
                        td { (s.decision_comment.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
    }
}

/// The file, link and video link a submission carries, as links.
pub fn attachments(s: &EvidenceSubmission) -> Markup {
    let doc = &s.document;
    let text = |k: &str| {
        doc.get(k)
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let file = doc
        .get("file")
        .and_then(|f| f.get("name"))
        .and_then(|n| n.as_str());
    html! {
        @if let Some(name) = file {
            a href={ "/evidence/" (s.id) "/file" } { "File: " (name) } br;
        }
        @if let Some(u) = text("url") { a.wrap href=(u) { "Link" } br; }
        @if let Some(v) = text("video") { a.wrap href=(v) { "Video" } }
        @if file.is_none() && text("url").is_none() && text("video").is_none() { "—" }
    }
}
