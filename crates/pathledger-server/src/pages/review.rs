//! The assessor's review page: open submissions to accept or return (who, what, since when),
//! and past decisions with their dates, each naming the educator and the credential it issued.

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
    /// The credential an acceptance issued, if it can be found.
    pub credential: Option<String>,
}

/// What the assessor just did, if they came back from a decision.
pub enum Decided {
    /// Accepted: the educator's id and name, the micro-credential's name, and the credential
    /// issued, if it can be found.
    Accepted {
        educator_id: String,
        educator: String,
        achievement: String,
        credential: Option<String>,
    },
    /// Returned to the educator (id and name).
    Returned {
        educator_id: String,
        educator: String,
    },
}

/// The link to one educator's submissions on this page.
fn educator_link(id: &str, name: &str) -> Markup {
    html! { a href={ "/review?educator=" (id) } { (name) } }
}

/// The review page; `educator` filters it to one educator's submissions (their id and name).
pub fn review_page(
    assigned: &[Assigned<'_>],
    decided: Option<Decided>,
    educator: Option<(&str, &str)>,
    form_token: Option<&str>,
) -> Markup {
    let shown: Vec<&Assigned<'_>> = assigned
        .iter()
        .filter(|a| educator.is_none_or(|(id, _)| a.submission.educator_id.as_str() == id))
        .collect();
    let open: Vec<_> = shown
        .iter()
        .filter(|a| a.submission.state == SubmissionState::Submitted)
        .collect();
    let done: Vec<_> = shown
        .iter()
        .filter(|a| a.submission.state != SubmissionState::Submitted)
        .collect();
    html! {
        @match educator {
            Some((_, name)) => {
                h1 { (name) "'s submissions" }
                p { a href="/review" { "All submissions assigned to you" } }
            }
            None => h1 { "Review evidence" },
        }
        @match decided {
            Some(Decided::Accepted { educator_id, educator, achievement, credential }) => p.card #notice role="status" {
                "You accepted " (educator) "'s evidence for " (achievement) ". "
                @if let Some(id) = credential {
                    "The credential was issued: "
                    a href={ "/credentials/" (id) } { (achievement) " for " (educator) } ". "
                }
                "See all of " (educator_link(&educator_id, &format!("{educator}'s submissions"))) "."
            },
            Some(Decided::Returned { educator_id, educator }) => p.card #notice role="status" {
                "Returned to " (educator_link(&educator_id, &educator)) " with your comments."
            },
            None => {}
        }
        p { "Submissions assigned to you. Accepting issues the credential to the educator." }
        h2 { "Waiting for you (" (open.len()) ")" }
        section #open {
            @for a in &open { (open_card(a, form_token)) }
            @if open.is_empty() {
                p.muted #nothing-open { "Nothing is waiting for your review." }
            }
        }
        h2 { "Decided" }
        @if done.is_empty() {
            p.muted #nothing-decided { "No decisions yet." }
        } @else {
            table #decided {
                thead { tr { th { "Educator" } th { "Micro-credential" } th { "Decision" } th { "Decided" } th { "Comment" } } }
                tbody {
                    @for a in &done {
                        @let s = a.submission;
                        tr data-submission=(s.id) data-state=(state_code(s.state)) {
                            td data-label="Educator" { (educator_link(s.educator_id.as_str(), &a.educator)) }
                            td data-label="Micro-credential" {
                                @match &a.credential {
                                    Some(id) => a href={ "/credentials/" (id) } { (a.achievement) },
                                    None => (a.achievement),
                                }
                            }
                            td data-label="Decision" { (state_word(s.state)) }
                            td data-label="Decided" {
                                @match s.decided_ms {
                                    Some(ms) => (date(ms)),
                                    None => "",
                                }
                            }
                            td data-label="Comment" { (s.decision_comment.as_deref().unwrap_or("")) }
                        }
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
            p.muted {
                "From " (educator_link(s.educator_id.as_str(), &a.educator))
                ", waiting since " (date(s.created_ms)) "."
            }
            p { strong { "Criteria: " } (a.criteria) }
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
