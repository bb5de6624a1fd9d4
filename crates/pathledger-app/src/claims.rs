//! Claims of a credential into a wallet. The credential's holder makes a claim link (single
//! use, expiring after [`CLAIM_TTL`]); a wallet spends it by either protocol (the VC-API
//! exchange of the Learner Credential Wallet, or OpenID4VCI's pre-authorized code) and receives
//! a copy of the credential whose `credentialSubject.id` is the wallet's DID. The copy is issued
//! through the ledger like any issuance (its own id, status entry and log entry); revoking or
//! suspending the original does the same to its copies ([`App::change_status`]).

use std::time::Duration;

use pathledger_signing::Cryptosuite;
use pathledger_store::{
    ClaimSpend, CredentialStatus, Recipient, WalletClaimRecord, MAX_HOLDER_DID,
};
use serde_json::Value;

use crate::{Actor, App, AppError, IssueOptions, Issued};

/// How long a claim link works.
pub const CLAIM_TTL: Duration = Duration::from_secs(15 * 60);

/// The protocol a claim is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimProtocol {
    /// The VC-API exchange (Learner Credential Wallet).
    VcApi,
    /// OpenID for Verifiable Credential Issuance 1.0, pre-authorized code.
    Oid4vci,
}

impl ClaimProtocol {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimProtocol::VcApi => "vcapi",
            ClaimProtocol::Oid4vci => "oid4vci",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "vcapi" => Some(ClaimProtocol::VcApi),
            "oid4vci" => Some(ClaimProtocol::Oid4vci),
            _ => None,
        }
    }
}

/// Where a claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimStatus {
    /// It can still be spent.
    Open,
    /// Past its expiry, unspent.
    Expired,
    /// Spent by a wallet.
    Used,
}

/// A claim link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletClaim {
    /// Row id (not secret).
    pub id: String,
    /// The secret its link carries: only returned when the claim is made (empty otherwise).
    pub secret: String,
    /// Organization of the credential.
    pub org_id: String,
    /// The original credential.
    pub credential_id: String,
    /// Its holder.
    pub educator_id: String,
    /// The protocol.
    pub protocol: ClaimProtocol,
    /// When made.
    pub created_ms: i64,
    /// When it stops working.
    pub expires_ms: i64,
    /// Where it stands now.
    pub status: ClaimStatus,
    /// The wallet's DID, once spent.
    pub holder_did: Option<String>,
    /// The copy issued to that wallet, once issued.
    pub copy_id: Option<String>,
}

fn claim_of(rec: WalletClaimRecord, secret: String, now: i64) -> Result<WalletClaim, AppError> {
    let protocol = ClaimProtocol::parse(&rec.protocol).ok_or_else(|| {
        AppError::Internal(format!("claim {} has protocol {:?}", rec.id, rec.protocol))
    })?;
    let status = if rec.redeemed_ms.is_some() {
        ClaimStatus::Used
    } else if rec.expires_ms <= now {
        ClaimStatus::Expired
    } else {
        ClaimStatus::Open
    };
    Ok(WalletClaim {
        id: rec.id,
        secret,
        org_id: rec.org_id,
        credential_id: rec.credential_id,
        educator_id: rec.educator_id,
        protocol,
        created_ms: rec.created_ms,
        expires_ms: rec.expires_ms,
        status,
        holder_did: rec.holder_did,
        copy_id: rec.copy_id,
    })
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Why a credential cannot go into a wallet now, if it cannot.
fn not_claimable(rec: &pathledger_store::CredentialRecord, now: i64) -> Option<&'static str> {
    match rec.status {
        CredentialStatus::Revoked => {
            Some("This credential was revoked, so it cannot go into a wallet.")
        }
        CredentialStatus::Suspended => Some(
            "This credential is suspended, so it cannot go into a wallet until it is reinstated.",
        ),
        CredentialStatus::Active if rec.valid_until_ms.is_some_and(|u| u <= now) => {
            Some("This credential has expired, so it cannot go into a wallet.")
        }
        CredentialStatus::Active => None,
    }
}

/// The DID a wallet gave, checked: a `did:` URI without whitespace, of bounded length.
fn holder_did(did: &str) -> Result<&str, AppError> {
    let ok = did.len() <= MAX_HOLDER_DID
        && did.starts_with("did:")
        && did.split(':').count() >= 3
        && !did.contains('#')
        && did.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(did)
    } else {
        Err(AppError::invalid(
            "holder",
            "must be a DID (did:method:identifier, without a fragment)",
        ))
    }
}

impl App {
    /// Makes a claim link for `credential_id`, which must be the actor's own (an educator
    /// account holding it; anyone else is told it does not exist) and valid now.
    pub async fn create_wallet_claim(
        &self,
        actor: &Actor,
        credential_id: &str,
        protocol: ClaimProtocol,
    ) -> Result<WalletClaim, AppError> {
        let not_found = || AppError::NotFound("This credential".into());
        let rec = match self.store().credential(credential_id).await {
            Ok(r) => r,
            Err(pathledger_store::StoreError::NotFound { .. }) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        if !rec
            .educator_id
            .as_deref()
            .is_some_and(|e| actor.user.is_educator(e))
        {
            return Err(not_found());
        }
        let now = now_ms();
        if let Some(why) = not_claimable(&rec, now) {
            return Err(AppError::conflict(why));
        }
        let expires = now + CLAIM_TTL.as_millis() as i64;
        let (claim, secret) = self
            .store()
            .create_wallet_claim(&rec.id, protocol.as_str(), expires)
            .await?;
        tracing::info!(claim = %claim.id, credential = %rec.id, protocol = protocol.as_str(), "wallet claim made");
        claim_of(claim, secret, now)
    }

    /// The claim `secret` stands for, whatever its status (`NotFound` for an unknown secret).
    pub async fn wallet_claim(&self, secret: &str) -> Result<WalletClaim, AppError> {
        let rec = self
            .store()
            .wallet_claim_by_secret(secret)
            .await?
            .ok_or_else(|| AppError::NotFound("This claim link".into()))?;
        claim_of(rec, String::new(), now_ms())
    }

    /// The claims made of the actor's credential `credential_id`, newest first (at most 20).
    pub async fn wallet_claims_of(
        &self,
        actor: &Actor,
        credential_id: &str,
    ) -> Result<Vec<WalletClaim>, AppError> {
        let rec = self
            .store()
            .credential(credential_id)
            .await
            .map_err(|_| AppError::NotFound("This credential".into()))?;
        if !rec
            .educator_id
            .as_deref()
            .is_some_and(|e| actor.user.is_educator(e))
        {
            return Err(AppError::NotFound("This credential".into()));
        }
        let now = now_ms();
        self.store()
            .wallet_claims_of(credential_id, 20)
            .await?
            .into_iter()
            .map(|r| claim_of(r, String::new(), now))
            .collect()
    }

    /// Spends the claim `secret` stands for: issues a copy of its credential bound to
    /// `holder_did`. Single use: the same DID calling again gets the same copy back
    /// (`replayed`), another DID is refused (`Conflict`); an expired claim is
    /// `Invalid { field: "claim" }`; an unknown one `NotFound`.
    pub async fn redeem_wallet_claim(
        &self,
        secret: &str,
        holder_did_in: &str,
    ) -> Result<Issued, AppError> {
        let did = holder_did(holder_did_in)?;
        let claim = self.wallet_claim(secret).await?;
        let original = self.store().credential(&claim.credential_id).await?;
        let now = now_ms();
        if claim.status != ClaimStatus::Used || claim.holder_did.as_deref() != Some(did) {
            if let Some(why) = not_claimable(&original, now) {
                return Err(AppError::conflict(why));
            }
        }
        let rec = match self.store().spend_wallet_claim(secret, did, now).await? {
            ClaimSpend::Spent(r) | ClaimSpend::AlreadyYours(r) => r,
            ClaimSpend::Taken => {
                return Err(AppError::conflict(
                    "This claim link was already used by another wallet. Make a new one from your credential.",
                ))
            }
            ClaimSpend::Expired => {
                return Err(AppError::invalid(
                    "claim",
                    "this claim link has expired; make a new one from your credential",
                ))
            }
            ClaimSpend::Unknown => return Err(AppError::NotFound("This claim link".into())),
        };
        let doc: Value = serde_json::from_str(&original.document)
            .map_err(|e| AppError::Internal(format!("stored credential is not JSON: {e}")))?;
        let suite = match doc.pointer("/proof/cryptosuite").and_then(Value::as_str) {
            Some("eddsa-rdfc-2022") => Cryptosuite::EddsaRdfc2022,
            _ => Cryptosuite::EddsaJcs2022,
        };
        let evidence = doc
            .get("evidence")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(|e| e.get("narrative"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let educator_id = original
            .educator_id
            .clone()
            .ok_or_else(|| AppError::Internal("a claimed credential names no educator".into()))?;
        let opts = IssueOptions {
            suite,
            valid_until: original.valid_until_ms.map(crate::ms_to_datetime),
            idempotency_key: Some(format!("claim:{}", rec.id)),
            evidence,
            suspendable: original.suspension.is_some(),
            renews: None,
            invite_newcomers: false,
            holder_did: Some(did.to_owned()),
        };
        let issued = self
            .issue_inner(
                &original.issuer_id,
                &original.achievement_id,
                Recipient::Educator(educator_id),
                opts,
                None,
            )
            .await?;
        if rec.copy_id.as_deref() != Some(issued.record.id.as_str()) {
            self.store()
                .record_wallet_copy(&rec.id, &issued.record.id)
                .await?;
        }
        if !issued.replayed {
            tracing::info!(claim = %rec.id, original = %original.id, copy = %issued.record.id, "wallet claim spent");
        }
        Ok(issued)
    }
}
