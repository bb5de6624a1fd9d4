//! The assessor's review page: open submissions to accept or return, and past decisions.

use maud::{html, Markup};
use pathledger_store::{EvidenceSubmission, SubmissionState};
use serde_json::Value;

use super::format::{date, state_code, state_word};

/// One submission assigned to the assessor, with names for people.
pub struct Assigned<'a> {
    pub submission: &'a EvidenceSubmission,
    /// The educator's name.
    pub educator: String,
    /// The micro-credential's name.
    pub achievement: String,
    /// The micro-credential's criteria.
    pub criteria: String,
}

/// What the assessor just did, if they came back from a decision.
pub enum Decided {
    /// Accepted; the credential issued, if it can be found.
    Accepted(Option<String>),
    Returned,
}

pub fn review_page(
    assigned: &[Assigned<'_>],
    decided: Option<Decided>,
    form_token: Option<&str>,
) -> Markup {
    let open: Vec<_> = assigned
        .iter()
        .filter(|a| a.submission.state == SubmissionState::Submitted)
        .collect();
    html! {
        h1 { "Review evidence" }
        @match decided {
            Some(Decided::Accepted(cred)) => p.card #notice role="status" {
                "Accepted. "
                @if let Some(id) = cred {
                    "The credential was issued: " a href={ "/credentials/" (id) } { (id) } "."
                }
            },
            Some(Decided::Returned) => p.card #notice role="status" { "Returned to the educator with your comments." },
            None => {}
        }
        p { "Submissions assigned to you. Accepting issues the credential to the educator." }
        h2 { "Waiting for you" }
        section #open {
            @for a in &open { (open_card(a, form_token)) }
            @if open.is_empty() {
                p.muted #nothing-open { "Nothing is waiting for your review." }
            }
        }
        h2 { "Decided" }
        table #decided {
            thead { tr { th { "Educator" } th { "Micro-credential" } th { "Decision" } th { "Comment" } } }
            tbody {
                @for a in assigned.iter().filter(|a| a.submission.state != SubmissionState::Submitted) {
                    @let s = a.submission;
                    tr data-submission=(s.id) data-state=(state_code(s.state)) {
                        td { (a.educator) }
                        td { (a.achievement) }
                        td { (state_word(s.state)) }
                        td { (s.decision_comment.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
        p { a href="/endorse" { "Endorse an educator" } }
    }
}

fn open_card(a: &Assigned<'_>, form_token: Option<&str>) -> Markup {
    let s = a.submission;
    let id = &s.id;
    let narrative = s
        .document
        .get("narrative")
        .and_then(Value::as_str)
        .unwrap_or("");
    let comment_id = format!("comment-{id}");
    html! {
        article.card data-submission=(id) {
            h3 { (a.educator) ": " (a.achievement) }
            p.muted { "Submitted " (date(s.created_ms)) ". Criteria: " (a.criteria) }
            blockquote { (narrative) }
            @if let Some(u) = s.document.get("url").and_then(Value::as_str) {
                p { "Artifact: " a href=(u) rel="noopener noreferrer nofollow" { (u) } }
            }
            @if let Some(v) = s.document.get("video").and_then(Value::as_str) {
                p { "Video: " a href=(v) rel="noopener noreferrer nofollow" { (v) } }
            }
            @if let Some(f) = s.document.get("file").and_then(|f| f.get("name")).and_then(Value::as_str) {
                p { "File: " a href={ "/evidence/" (id) "/file" } { (f) } }
            }
            form method="post" action={ "/review/" (id) } {
                (super::csrf_field(form_token))
                label for=(comment_id) { "Comment for the educator" }
                textarea.short id=(comment_id) name="comment" {}
                p {
                    button type="submit" name="decision" value="accept" { "Accept and issue the credential" }
                    " "
                    button.secondary type="submit" name="decision" value="return" { "Return with comments" }
                }
            }
        }
    }
}
