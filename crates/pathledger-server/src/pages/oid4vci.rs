//! The holder's page for claiming a credential into a wallet app by OpenID for Verifiable
//! Credential Issuance: the offer as a QR code and a link, the transaction code to type into
//! the wallet, and when the offer stops working.

use maud::{html, Markup};
use pathledger_app::oid4vci::WalletOffer;

use super::credential::qr_svg;
use super::format;
use crate::web::urlencode_component;

/// The page body for `offer` of the credential `id` named `name`.
pub fn offer_page(name: &str, id: &str, offer: &WalletOffer) -> Markup {
    let tries = pathledger_store::MAX_TX_CODE_FAILURES;
    html! {
        h1 { "Add “" (name) "” to your wallet" }
        p {
            "Scan the QR code with a wallet app that supports OpenID for Verifiable Credential "
            "Issuance. The wallet receives a copy of this credential made out to the wallet, "
            "signed and recorded in the ledger like the original."
        }
        section.card #offer aria-labelledby="offer-title" {
            h2 #offer-title { "Scan with your wallet" }
            @if let Some(svg) = qr_svg(&offer.deep_link) {
                figure #offer-qr { (svg) }
            }
            p {
                a.button #offer-link href=(offer.deep_link) { "Open in a wallet app on this device" }
            }
            h2 #tx-title { "Then type this code into the wallet" }
            p.tx-code #tx-code aria-labelledby="tx-title" { (offer.tx_code) }
            p.muted #offer-terms {
                "This offer works once, for one wallet, and until "
                (format::date(offer.claim.expires_ms))
                " (15 minutes). After " (tries) " wrong codes it stops working. "
                "To start again, reload this page: it makes a new offer."
            }
        }
        details {
            summary { "For wallet developers: the offer URL" }
            p { code.wrap #offer-uri { (offer.offer_uri) } }
        }
        p {
            a href={ "/credentials/" (urlencode_component(id)) } { "Back to the credential" }
        }
    }
}
