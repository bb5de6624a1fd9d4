//! The claim page: how the holder puts a credential into a wallet app, with a fresh single-use
//! link (QR code and button) to the Learner Credential Wallet, and the wallets that already
//! took a copy.

use maud::{html, Markup};
use pathledger_app::{ClaimStatus, WalletClaim};

use super::credential::qr_svg;
use super::format::date;

/// What the claim page shows.
pub struct ClaimView<'a> {
    /// The original credential's id.
    pub credential_id: &'a str,
    /// Its achievement's name.
    pub achievement: &'a str,
    /// The Learner Credential Wallet deep link of the fresh claim.
    pub deep_link: &'a str,
    /// The same exchange as an Interaction URL (for wallets that take one).
    pub interaction_url: &'a str,
    /// LCW's older link form (`vc_request_url`).
    pub legacy_link: &'a str,
    /// When the fresh claim stops working.
    pub expires_ms: i64,
    /// The claims made of this credential before this one, newest first.
    pub earlier: &'a [WalletClaim],
}

fn status_words(c: &WalletClaim) -> &'static str {
    match c.status {
        ClaimStatus::Used => "Used: a wallet took its copy",
        ClaimStatus::Expired => "Expired unused",
        ClaimStatus::Open => "Still open",
    }
}

pub fn claim_page(v: &ClaimView<'_>) -> Markup {
    let used: Vec<&WalletClaim> = v
        .earlier
        .iter()
        .filter(|c| c.status == ClaimStatus::Used)
        .collect();
    html! {
        h1 { "Add “" (v.achievement) "” to a wallet" }
        p {
            "A wallet app on your phone keeps your credentials with you, whichever district you work in next. "
            "It receives its own copy of this credential, signed by the issuer and made out to the wallet, "
            "which you can show to employers without signing in here."
        }
        section.card #claim aria-labelledby="claim-title" {
            h2 #claim-title { "Learner Credential Wallet" }
            ol.steps {
                li { "Install the free " strong { "Learner Credential Wallet" } " app on your phone (App Store or Google Play), and open it once." }
                li { "On a computer: in the wallet, tap " strong { "Add credential" } ", then " strong { "Scan QR code" } ", and scan the code below." }
                li { "On the phone itself: tap " strong { "Open in Learner Credential Wallet" } "." }
                li { "The wallet asks you to accept the credential. It proves it holds its own key, and the copy is made out to it." }
            }
            div.claim-code {
                @if let Some(svg) = qr_svg(v.deep_link) {
                    figure #claim-qr { (svg) figcaption.muted { "Scan with the Learner Credential Wallet" } }
                }
                div {
                    p { a.button #open-lcw href=(v.deep_link) rel="noopener" { "Open in Learner Credential Wallet" } }
                    p #claim-expiry {
                        strong { "This link works once" } " and stops working at " (date(v.expires_ms)) " (15 minutes). "
                        "Show it only to your own wallet: whoever uses it first gets the copy."
                    }
                    p.muted { "Expired or used? Reload this page for a new link." }
                }
            }
            details {
                summary { "Other ways to connect this wallet" }
                p { "Wallets that read an interaction link (VC-API):" }
                p { code.wrap #interaction-url { (v.interaction_url) } }
                p { "Older versions of the Learner Credential Wallet:" }
                p { a #legacy-link href=(v.legacy_link) rel="noopener" { "Open with an older wallet" } }
            }
        }
        p {
            a.button #oid4vci href={ "/credentials/" (v.credential_id) "/claim/oid4vci" } { "Other wallets (OpenID4VCI)" }
        }
        section #claimed aria-labelledby="claimed-title" {
            h2 #claimed-title { "Wallets that have this credential" }
            @if used.is_empty() {
                p #no-wallets { "No wallet has taken a copy yet." }
            } @else {
                table #wallets {
                    thead { tr { th { "Claim link made" } th { "Status" } th { "Wallet (its DID)" } th { "Its copy" } } }
                    tbody {
                        @for c in &used {
                            tr data-status="used" {
                                td data-label="Made" { (date(c.created_ms)) }
                                td data-label="Status" { (status_words(c)) }
                                td data-label="Wallet" { code.wrap { (c.holder_did.as_deref().unwrap_or("")) } }
                                td data-label="Copy" {
                                    @match &c.copy_id {
                                        Some(id) => a href={ "/credentials/" (id) } { "The wallet's copy" },
                                        None => "Being issued",
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @let unused = v.earlier.len() - used.len();
            @if unused > 0 {
                p.muted #unused-links {
                    (unused) " earlier claim " (if unused == 1 { "link was" } else { "links were" })
                    " not used; each stops working 15 minutes after it was made."
                }
            }
            p.muted { "Revoking or suspending this credential does the same to every wallet's copy." }
        }
        p { a href={ "/credentials/" (v.credential_id) } { "Back to the credential" } " · " a href="/dashboard" { "My dashboard" } }
    }
}
