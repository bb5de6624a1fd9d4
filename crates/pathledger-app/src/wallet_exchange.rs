//! The VC-API exchange that spends a wallet claim, as the Learner Credential Wallet runs it: the
//! wallet starts the exchange, we ask for a DID Authentication (a presentation signed by the
//! wallet's DID over our challenge and domain), and its answer spends the claim
//! ([`App::redeem_wallet_claim`]): the wallet gets a copy of the credential bound to its DID.
//!
//! The exchange id is the claim's secret (256 random bits), so the exchange URL is the claim
//! link itself. The challenge is derived from it with a keyed hash: unguessable without the
//! secret, bound to this exchange, and the same on every server of a deployment without a
//! stored row or another secret.

use hmac::{Hmac, Mac};
use pathledger_badges::{CheckStatus, PresentationReport};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::claims::{ClaimProtocol, ClaimStatus, WalletClaim};
use crate::{App, AppError, Issued};

/// The path under the public URL where claim exchanges live (`…/exchanges/{exchangeId}`).
pub const EXCHANGES_PATH: &str = "/workflows/claim/exchanges";

/// The longest exchange id we look up (a claim secret is 43 base64url characters).
pub const MAX_EXCHANGE_ID: usize = 128;

const CHALLENGE_LABEL: &[u8] = b"pathledger vc-api claim exchange challenge v1";

/// The challenge of the exchange whose id is `secret`: HMAC-SHA256 of a fixed label under the
/// claim secret, base64url without padding.
pub fn exchange_challenge(secret: &str) -> String {
    use base64::Engine as _;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(CHALLENGE_LABEL);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The domain a wallet's proof must name: the host (with its port, if any) of `public_url`.
pub fn exchange_domain(public_url: &str) -> String {
    let rest = public_url.split_once("://").map_or(public_url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority
        .rsplit('@')
        .next()
        .unwrap_or(authority)
        .to_ascii_lowercase()
}

/// The origin of `public_url` (`scheme://host[:port]`), the deep link's `credentialRequestOrigin`.
pub fn public_origin(public_url: &str) -> String {
    match public_url.split_once("://") {
        Some((scheme, _)) => format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            exchange_domain(public_url)
        ),
        None => public_url.to_owned(),
    }
}

/// The DID Authentication request of an exchange (VC-API `verifiablePresentationRequest`).
pub fn did_auth_request(challenge: &str, domain: &str) -> Value {
    json!({
        "query": [{
            "type": "DIDAuthentication",
            "acceptedMethods": [{"method": "key"}],
            "acceptedCryptosuites": [
                {"cryptosuite": "Ed25519Signature2020"},
                {"cryptosuite": "eddsa-rdfc-2022"}
            ]
        }],
        "challenge": challenge,
        "domain": domain,
    })
}

/// Where in the wallet's answer a refusal points, from the holder-proof check's code.
fn proof_field(code: &str) -> &'static str {
    match code {
        "INVALID_CHALLENGE_ERROR" => "/verifiablePresentation/proof/challenge",
        "INVALID_DOMAIN_ERROR" => "/verifiablePresentation/proof/domain",
        "KEY_NOT_HOLDERS" | "INVALID_HOLDER" => "/verifiablePresentation/holder",
        "NO_VC_CONTEXT" => "/verifiablePresentation/@context",
        "NO_VP_TYPE" => "/verifiablePresentation/type",
        _ => "/verifiablePresentation/proof",
    }
}

/// The first presentation check that did not pass, as a refusal naming its field.
fn refusal(report: &PresentationReport) -> AppError {
    match report
        .checks
        .iter()
        .find(|c| c.status != CheckStatus::Passed)
    {
        Some(c) => AppError::invalid(proof_field(&c.code), format!("{} ({})", c.message, c.code)),
        None => AppError::invalid("/verifiablePresentation", report.message.clone()),
    }
}

impl App {
    /// The URL of the exchange whose id is `secret`.
    pub fn exchange_url(&self, secret: &str) -> String {
        format!("{}{EXCHANGES_PATH}/{secret}", self.public_url())
    }

    /// The claim behind the exchange `exchange_id`, if it is a VC-API claim that can still be
    /// answered: unknown ids (and OpenID4VCI claims) are `NotFound`, an unspent claim past its
    /// expiry is `Invalid { field: "claim" }`. A spent claim is returned: its own wallet may
    /// retry and get the same credential back.
    pub async fn claim_exchange(&self, exchange_id: &str) -> Result<WalletClaim, AppError> {
        let unknown = || AppError::NotFound("This exchange".into());
        if exchange_id.is_empty() || exchange_id.len() > MAX_EXCHANGE_ID {
            return Err(unknown());
        }
        let claim = match self.wallet_claim(exchange_id).await {
            Ok(c) => c,
            Err(AppError::NotFound(_)) => return Err(unknown()),
            Err(e) => return Err(e),
        };
        if claim.protocol != ClaimProtocol::VcApi {
            return Err(unknown());
        }
        if claim.status == ClaimStatus::Expired {
            return Err(AppError::invalid(
                "claim",
                "this claim link has expired; make a new one from your credential",
            ));
        }
        Ok(claim)
    }

    /// The first step of the exchange: the DID Authentication request its wallet must answer.
    pub async fn start_claim_exchange(&self, exchange_id: &str) -> Result<Value, AppError> {
        self.claim_exchange(exchange_id).await?;
        Ok(did_auth_request(
            &exchange_challenge(exchange_id),
            &exchange_domain(self.public_url()),
        ))
    }

    /// The wallet's answer: `vp` must be signed by its holder (a did:key) with purpose
    /// `authentication`, this exchange's challenge and our domain (`Ed25519Signature2020` or a
    /// Data Integrity `eddsa-*` proof); then the claim is spent for that DID. A refused
    /// presentation leaves the claim as it was. With `legacy`, the proof need not name a domain
    /// (LCW's older link sends none), the challenge still binds it.
    pub async fn answer_claim_exchange(
        &self,
        exchange_id: &str,
        vp: Value,
        legacy: bool,
    ) -> Result<Issued, AppError> {
        self.claim_exchange(exchange_id).await?;
        if !vp.is_object() {
            return Err(AppError::invalid(
                "/verifiablePresentation",
                "must be a JSON object (a Verifiable Presentation)",
            ));
        }
        let holder = match vp.get("holder") {
            Some(Value::String(h)) => h.clone(),
            Some(Value::Object(h)) => h
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            _ => String::new(),
        };
        if !holder.starts_with("did:") {
            return Err(AppError::invalid(
                "/verifiablePresentation/holder",
                "the presentation must name its holder: the wallet's DID",
            ));
        }
        if !holder.starts_with("did:key:") {
            return Err(AppError::invalid(
                "/verifiablePresentation/holder",
                "this exchange accepts a did:key holder (acceptedMethods: key)",
            ));
        }
        if vp.get("proof").is_none() {
            return Err(AppError::invalid(
                "/verifiablePresentation/proof",
                "the presentation must be signed by its holder, answering this exchange's challenge",
            ));
        }
        let challenge = exchange_challenge(exchange_id);
        let domain = (!legacy).then(|| exchange_domain(self.public_url()));
        let report = self
            .verify_presentation(vp, Some(challenge), domain, false)
            .await;
        let proof_passed = report
            .checks
            .iter()
            .any(|c| c.check == "holder_proof" && c.status == CheckStatus::Passed);
        if !(report.verified && proof_passed) || report.holder.as_deref() != Some(&holder) {
            tracing::warn!(holder = %holder, "a wallet's answer to a claim exchange was refused");
            return Err(refusal(&report));
        }
        self.redeem_wallet_claim(exchange_id, &holder).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_are_bound_to_their_exchange() {
        let a = exchange_challenge("secret-a");
        assert_eq!(a.len(), 43);
        assert_eq!(a, exchange_challenge("secret-a"));
        assert_ne!(a, exchange_challenge("secret-b"));
        assert!(!a.contains("secret"));
    }

    #[test]
    fn the_domain_is_the_public_host() {
        assert_eq!(exchange_domain("https://Ledger.Example"), "ledger.example");
        assert_eq!(
            exchange_domain("http://127.0.0.1:8080/base"),
            "127.0.0.1:8080"
        );
        assert_eq!(
            public_origin("https://ledger.example/x"),
            "https://ledger.example"
        );
    }
}
