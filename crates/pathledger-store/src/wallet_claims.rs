//! Claims of a credential into a wallet: single-use, expiring links a holder makes and a wallet
//! spends to receive a copy of the credential bound to its DID. Only the SHA-256 of a claim's
//! secret is kept; spending is one conditional `UPDATE`, so two wallets (or two servers) racing
//! for one claim cannot both win.

use crate::crypto::{new_id, now_ms, random_bytes, sha256};
use crate::error::StoreError;
use crate::sql::{args, Row};
use crate::store::Store;

/// Longest DID kept for a claim's holder.
pub const MAX_HOLDER_DID: usize = 2048;

/// A stored wallet claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletClaimRecord {
    /// Row id (not secret).
    pub id: String,
    /// Organization of the credential.
    pub org_id: String,
    /// The original credential.
    pub credential_id: String,
    /// Its holder.
    pub educator_id: String,
    /// `vcapi` or `oid4vci`.
    pub protocol: String,
    /// When made.
    pub created_ms: i64,
    /// When it stops working.
    pub expires_ms: i64,
    /// When a wallet spent it.
    pub redeemed_ms: Option<i64>,
    /// The DID of the wallet that spent it.
    pub holder_did: Option<String>,
    /// The copy issued to that wallet, once issued.
    pub copy_id: Option<String>,
}

/// What spending a claim did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimSpend {
    /// This call spent it (or a retry by the same DID before its copy was recorded).
    Spent(WalletClaimRecord),
    /// Spent earlier by the same DID, with its copy recorded.
    AlreadyYours(WalletClaimRecord),
    /// Spent by another DID.
    Taken,
    /// Past its expiry, unspent.
    Expired,
    /// No claim has this secret.
    Unknown,
}

fn secret_hash(secret: &str) -> String {
    hex::encode(sha256(secret.as_bytes()))
}

fn record(r: &Row) -> Result<WalletClaimRecord, StoreError> {
    Ok(WalletClaimRecord {
        id: r.text("id")?,
        org_id: r.text("org_id")?,
        credential_id: r.text("credential_id")?,
        educator_id: r.text("educator_id")?,
        protocol: r.text("protocol")?,
        created_ms: r.i64("created_ms")?,
        expires_ms: r.i64("expires_ms")?,
        redeemed_ms: r.opt_i64("redeemed_ms")?,
        holder_did: r.opt_text("holder_did")?,
        copy_id: r.opt_text("copy_id")?,
    })
}

const COLUMNS: &str = "id, org_id, credential_id, educator_id, protocol, created_ms, expires_ms, redeemed_ms, holder_did, copy_id";

impl Store {
    /// Records a claim of `credential_id` (an educator's credential) for `protocol`, working
    /// until `expires_ms`. Returns it with its secret (256 random bits, hex), which is not kept.
    pub async fn create_wallet_claim(
        &self,
        credential_id: &str,
        protocol: &str,
        expires_ms: i64,
    ) -> Result<(WalletClaimRecord, String), StoreError> {
        let secret = hex::encode(random_bytes::<32>()?);
        if !matches!(protocol, "vcapi" | "oid4vci") {
            return Err(StoreError::invalid(
                "protocol",
                format!("unknown claim protocol {protocol:?}"),
            ));
        }
        let cred = self.credential(credential_id).await?;
        let educator_id = cred.educator_id.ok_or_else(|| {
            StoreError::invalid("credential", "this credential names no educator")
        })?;
        let id = new_id("claim")?;
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        tx.execute(
            "INSERT INTO wallet_claims (id, secret_hash, org_id, credential_id, educator_id, protocol, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![
                id.as_str(),
                secret_hash(&secret),
                cred.org_id.as_str(),
                credential_id,
                educator_id.as_str(),
                protocol,
                now,
                expires_ms
            ],
        )
        .await?;
        tx.commit().await?;
        let rec = WalletClaimRecord {
            id,
            org_id: cred.org_id,
            credential_id: credential_id.to_owned(),
            educator_id,
            protocol: protocol.to_owned(),
            created_ms: now,
            expires_ms,
            redeemed_ms: None,
            holder_did: None,
            copy_id: None,
        };
        Ok((rec, secret))
    }

    /// The claim whose link carries `secret`, if any.
    pub async fn wallet_claim_by_secret(
        &self,
        secret: &str,
    ) -> Result<Option<WalletClaimRecord>, StoreError> {
        self.db()
            .fetch_optional(
                &format!("SELECT {COLUMNS} FROM wallet_claims WHERE secret_hash = $1"),
                args![secret_hash(secret)],
            )
            .await?
            .map(|r| record(&r))
            .transpose()
    }

    /// Spends the claim whose link carries `secret` for `holder_did`, at `now`: at most one DID
    /// ever spends a claim. The same DID may call again (a wallet's retry).
    pub async fn spend_wallet_claim(
        &self,
        secret: &str,
        holder_did: &str,
        now: i64,
    ) -> Result<ClaimSpend, StoreError> {
        if holder_did.is_empty() || holder_did.len() > MAX_HOLDER_DID {
            return Err(StoreError::invalid(
                "holder",
                format!("a holder DID is 1 to {MAX_HOLDER_DID} bytes"),
            ));
        }
        let hash = secret_hash(secret);
        let mut tx = self.db().begin().await?;
        let n = tx
            .execute(
                "UPDATE wallet_claims SET redeemed_ms = $1, holder_did = $2 WHERE secret_hash = $3 AND redeemed_ms IS NULL AND expires_ms > $1",
                args![now, holder_did, hash.as_str()],
            )
            .await?;
        let row = tx
            .fetch_optional(
                &format!("SELECT {COLUMNS} FROM wallet_claims WHERE secret_hash = $1"),
                args![hash],
            )
            .await?;
        tx.commit().await?;
        let Some(row) = row else {
            return Ok(ClaimSpend::Unknown);
        };
        let rec = record(&row)?;
        Ok(if n == 1 {
            ClaimSpend::Spent(rec)
        } else if rec.holder_did.as_deref() == Some(holder_did) {
            if rec.copy_id.is_some() {
                ClaimSpend::AlreadyYours(rec)
            } else {
                ClaimSpend::Spent(rec)
            }
        } else if rec.redeemed_ms.is_some() {
            ClaimSpend::Taken
        } else {
            ClaimSpend::Expired
        })
    }

    /// Records the copy issued for a spent claim.
    pub async fn record_wallet_copy(
        &self,
        claim_id: &str,
        copy_id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        tx.execute(
            "UPDATE wallet_claims SET copy_id = $1 WHERE id = $2 AND redeemed_ms IS NOT NULL",
            args![copy_id, claim_id],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The wallet copies issued of `credential_id` (ids of the copies).
    pub async fn wallet_copies_of(&self, credential_id: &str) -> Result<Vec<String>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT copy_id FROM wallet_claims WHERE credential_id = $1 AND copy_id IS NOT NULL ORDER BY created_ms, id",
                args![credential_id],
            )
            .await?
            .iter()
            .map(|r| r.text("copy_id"))
            .collect()
    }

    /// The claims made of `credential_id`, newest first (at most `limit`).
    pub async fn wallet_claims_of(
        &self,
        credential_id: &str,
        limit: i64,
    ) -> Result<Vec<WalletClaimRecord>, StoreError> {
        self.db()
            .fetch_all(
                &format!("SELECT {COLUMNS} FROM wallet_claims WHERE credential_id = $1 ORDER BY created_ms DESC, id DESC LIMIT $2"),
                args![credential_id, limit],
            )
            .await?
            .iter()
            .map(record)
            .collect()
    }
}

impl Store {
    /// Moves a claim's expiry into the past (tests of expiry, without waiting for it).
    #[doc(hidden)]
    pub async fn expire_wallet_claim_for_tests(&self, claim_id: &str) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        tx.execute(
            "UPDATE wallet_claims SET expires_ms = $1 WHERE id = $2",
            args![now_ms() - 1, claim_id],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
