//! OpenID for Verifiable Credential Issuance state (pre-authorized code flow): one offer per
//! wallet claim (offer id, pre-authorized code, transaction code, failed attempts, the access
//! token it was exchanged for) and the c_nonces (MACed with a key kept here, spent once).
//! Secrets are kept as SHA-256; the pre-authorized code, which the offer document and the
//! credential request need back, is also sealed with the key-encryption key.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::crypto::{now_ms, random_bytes, sha256};
use crate::error::StoreError;
use crate::sql::{args, Row, Tx};
use crate::store::Store;

/// Failed transaction codes after which an offer is dead (OID4VCI errata §13.6.3).
pub const MAX_TX_CODE_FAILURES: i64 = 5;

/// A new offer of a wallet claim.
#[derive(Clone)]
pub struct NewOid4vciOffer {
    /// The wallet claim offered (`wallet_claims.id`).
    pub claim_id: String,
    /// The pre-authorized code: the claim's secret.
    pub code: String,
    /// When the offer (and its claim) expires.
    pub expires_ms: i64,
}

impl std::fmt::Debug for NewOid4vciOffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewOid4vciOffer")
            .field("claim_id", &self.claim_id)
            .field("expires_ms", &self.expires_ms)
            .finish_non_exhaustive()
    }
}

/// A recorded offer: the id its URL carries and the transaction code to show the holder
/// (both given once).
#[derive(Clone)]
pub struct CreatedOid4vciOffer {
    /// The offer id (256 random bits, hex).
    pub offer_id: String,
    /// The transaction code: [`TX_CODE_LENGTH`] random digits.
    pub tx_code: String,
}

impl std::fmt::Debug for CreatedOid4vciOffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedOid4vciOffer")
            .finish_non_exhaustive()
    }
}

/// Digits in a transaction code.
pub const TX_CODE_LENGTH: usize = 6;

/// A uniformly random code of [`TX_CODE_LENGTH`] digits.
fn random_tx_code() -> Result<String, StoreError> {
    const SPACE: u32 = 1_000_000;
    // Rejection sampling: the largest multiple of SPACE below 2^32 keeps every code equally likely.
    let limit = u32::MAX - (u32::MAX % SPACE);
    loop {
        let n = u32::from_be_bytes(random_bytes::<4>()?);
        if n < limit {
            return Ok(format!("{:06}", n % SPACE));
        }
    }
}

/// An offer as its document needs it: the pre-authorized code, unsealed.
#[derive(Clone, PartialEq, Eq)]
pub struct Oid4vciOffer {
    /// The wallet claim.
    pub claim_id: String,
    /// The pre-authorized code.
    pub code: String,
    /// When it expires.
    pub expires_ms: i64,
    /// Whether the code was already exchanged for a token.
    pub used: bool,
    /// Whether too many wrong transaction codes killed it.
    pub dead: bool,
}

impl std::fmt::Debug for Oid4vciOffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oid4vciOffer")
            .field("claim_id", &self.claim_id)
            .field("expires_ms", &self.expires_ms)
            .field("used", &self.used)
            .field("dead", &self.dead)
            .finish_non_exhaustive()
    }
}

/// Why a pre-authorized code was not exchanged for an access token (all `invalid_grant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantRefusal {
    /// No offer has this code.
    Unknown,
    /// The offer expired.
    Expired,
    /// The code was already exchanged (single use).
    Used,
    /// Too many wrong transaction codes were tried; the offer is dead.
    Dead,
    /// The transaction code is wrong; `remaining` attempts are left.
    WrongTxCode { remaining: i64 },
}

/// The access token a code was exchanged for.
#[derive(Clone)]
pub struct Oid4vciToken {
    /// The bearer token (given once; kept as its SHA-256).
    pub access_token: String,
    /// The claim it redeems.
    pub claim_id: String,
    /// When it stops working.
    pub expires_ms: i64,
}

impl std::fmt::Debug for Oid4vciToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oid4vciToken")
            .field("claim_id", &self.claim_id)
            .field("expires_ms", &self.expires_ms)
            .finish_non_exhaustive()
    }
}

/// What a presented access token grants: the claim and its secret.
#[derive(Clone)]
pub struct Oid4vciGrant {
    /// The claim.
    pub claim_id: String,
    /// The claim's secret (the pre-authorized code), for redeeming it.
    pub code: String,
}

impl std::fmt::Debug for Oid4vciGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oid4vciGrant")
            .field("claim_id", &self.claim_id)
            .finish_non_exhaustive()
    }
}

/// Why a c_nonce is refused (all `invalid_nonce`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceRefusal {
    /// Not a nonce of this deployment (bad form or MAC).
    Unknown,
    /// Past its expiry.
    Expired,
    /// Already spent.
    Used,
}

/// The associated data a code is sealed with: it opens only for its claim.
fn code_aad(claim_id: &str) -> String {
    format!("oid4vci:{claim_id}")
}

/// What the transaction code is kept as: bound to the (secret) code, so the stored value alone
/// does not give the 6 digits away.
fn tx_code_hash(code: &str, tx_code: &str) -> [u8; 32] {
    sha256(format!("oid4vci-tx-code\n{code}\n{tx_code}").as_bytes())
}

/// Constant-time equality of two hashes.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A nonce: 8 bytes of expiry (ms, big-endian), 16 random bytes, 16 bytes of MAC; hex.
const NONCE_BYTES: usize = 40;

fn nonce_mac(key: &[u8], body: &[u8]) -> [u8; 16] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"oid4vci-c-nonce\n");
    mac.update(body);
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
}

impl Store {
    /// Records the offer of a wallet claim with a fresh transaction code; returns the offer id
    /// (for the `credential_offer_uri`) and that code.
    pub async fn create_oid4vci_offer(
        &self,
        new: NewOid4vciOffer,
    ) -> Result<CreatedOid4vciOffer, StoreError> {
        let offer_id = hex::encode(random_bytes::<32>()?);
        let tx_code = random_tx_code()?;
        let sealed = self
            .inner
            .kek
            .seal_bytes(&code_aad(&new.claim_id), new.code.as_bytes())?;
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        // Offers (and their tokens) a day past expiry can only be refused: cleared on the way.
        tx.execute(
            "DELETE FROM oid4vci_offers WHERE expires_ms < $1 AND (token_expires_ms IS NULL OR token_expires_ms < $1)",
            args![now - 24 * 3600 * 1000],
        )
        .await?;
        tx.execute(
            "INSERT INTO oid4vci_offers (claim_id, offer_hash, code_hash, sealed_code, tx_code_hash, tx_failures, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, 0, $6, $7)",
            args![
                new.claim_id.as_str(),
                &sha256(offer_id.as_bytes()),
                &sha256(new.code.as_bytes()),
                sealed,
                &tx_code_hash(&new.code, &tx_code),
                now,
                new.expires_ms
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(CreatedOid4vciOffer { offer_id, tx_code })
    }

    /// The offer whose id is `offer_id`, with its code unsealed; `None` when unknown.
    pub async fn oid4vci_offer(&self, offer_id: &str) -> Result<Option<Oid4vciOffer>, StoreError> {
        let Some(r) = self
            .db()
            .fetch_optional(
                "SELECT claim_id, sealed_code, expires_ms, code_used_ms, tx_failures FROM oid4vci_offers WHERE offer_hash = $1",
                args![&sha256(offer_id.as_bytes())],
            )
            .await?
        else {
            return Ok(None);
        };
        let claim_id = r.text("claim_id")?;
        Ok(Some(Oid4vciOffer {
            code: self.open_code(&claim_id, &r)?,
            expires_ms: r.i64("expires_ms")?,
            used: r.opt_i64("code_used_ms")?.is_some(),
            dead: r.i64("tx_failures")? >= MAX_TX_CODE_FAILURES,
            claim_id,
        }))
    }

    fn open_code(&self, claim_id: &str, r: &Row) -> Result<String, StoreError> {
        let code = self
            .inner
            .kek
            .open_bytes(&code_aad(claim_id), &r.bytes("sealed_code")?)?;
        String::from_utf8(code).map_err(|_| StoreError::integrity("sealed code is not UTF-8"))
    }

    /// The token request: exchanges the pre-authorized `code` and its `tx_code` for an access
    /// token living `token_ttl_ms`, once. Each attempt reserves one of the offer's
    /// [`MAX_TX_CODE_FAILURES`] under the row's lock before the code is compared, so
    /// concurrent guesses cannot exceed the limit; a right code gives its attempt back.
    pub async fn exchange_oid4vci_code(
        &self,
        code: &str,
        tx_code: &str,
        token_ttl_ms: i64,
    ) -> Result<Result<Oid4vciToken, GrantRefusal>, StoreError> {
        let now = now_ms();
        let code_hash = sha256(code.as_bytes());
        let mut tx = self.db().begin().await?;
        let reserved = tx
            .execute(
                "UPDATE oid4vci_offers SET tx_failures = tx_failures + 1 WHERE code_hash = $1 AND code_used_ms IS NULL AND tx_failures < $2 AND expires_ms > $3",
                args![&code_hash, MAX_TX_CODE_FAILURES, now],
            )
            .await?;
        let r = tx
            .fetch_optional(
                "SELECT claim_id, tx_code_hash, tx_failures, expires_ms, code_used_ms FROM oid4vci_offers WHERE code_hash = $1",
                args![&code_hash],
            )
            .await?;
        let Some(r) = r else {
            return Ok(Err(GrantRefusal::Unknown));
        };
        if reserved == 0 {
            // Nothing changed: say why.
            let refusal = if r.opt_i64("code_used_ms")?.is_some() {
                GrantRefusal::Used
            } else if r.i64("tx_failures")? >= MAX_TX_CODE_FAILURES {
                GrantRefusal::Dead
            } else {
                GrantRefusal::Expired
            };
            return Ok(Err(refusal));
        }
        let failures = r.i64("tx_failures")?;
        if !same(&r.hash("tx_code_hash")?, &tx_code_hash(code, tx_code)) {
            tx.commit().await?;
            let remaining = MAX_TX_CODE_FAILURES - failures;
            return Ok(Err(if remaining <= 0 {
                GrantRefusal::Dead
            } else {
                GrantRefusal::WrongTxCode { remaining }
            }));
        }
        let access_token = hex::encode(random_bytes::<32>()?);
        let claim_id = r.text("claim_id")?;
        let expires_ms = now.saturating_add(token_ttl_ms);
        tx.execute(
            "UPDATE oid4vci_offers SET tx_failures = tx_failures - 1, code_used_ms = $1, token_hash = $2, token_expires_ms = $3 WHERE claim_id = $4",
            args![now, &sha256(access_token.as_bytes()), expires_ms, claim_id.as_str()],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(Oid4vciToken {
            access_token,
            claim_id,
            expires_ms,
        }))
    }

    /// What a bearer `access_token` grants; `None` when unknown or expired.
    pub async fn oid4vci_grant(
        &self,
        access_token: &str,
    ) -> Result<Option<Oid4vciGrant>, StoreError> {
        let Some(r) = self
            .db()
            .fetch_optional(
                "SELECT claim_id, sealed_code, token_expires_ms FROM oid4vci_offers WHERE token_hash = $1",
                args![&sha256(access_token.as_bytes())],
            )
            .await?
        else {
            return Ok(None);
        };
        if r.opt_i64("token_expires_ms")?.unwrap_or(0) <= now_ms() {
            return Ok(None);
        }
        let claim_id = r.text("claim_id")?;
        Ok(Some(Oid4vciGrant {
            code: self.open_code(&claim_id, &r)?,
            claim_id,
        }))
    }

    /// The deployment's nonce key, made by the first server that asks.
    async fn nonce_key(&self) -> Result<Vec<u8>, StoreError> {
        const SELECT: &str = "SELECT mac_key FROM oid4vci_nonce_key WHERE id = 1";
        if let Some(r) = self.db().fetch_optional(SELECT, args![]).await? {
            return r.bytes("mac_key");
        }
        let mut tx = self.db().begin().await?;
        tx.execute(
            "INSERT INTO oid4vci_nonce_key (id, mac_key, created_ms) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
            args![&random_bytes::<32>()?, now_ms()],
        )
        .await?;
        let r = tx.fetch_one(SELECT, args![]).await?;
        tx.commit().await?;
        r.bytes("mac_key")
    }

    /// A fresh c_nonce valid for `ttl_ms`. Nothing is written: any server sharing the database
    /// checks it with the shared key, so strangers asking for nonces cost no rows.
    pub async fn mint_oid4vci_nonce(&self, ttl_ms: i64) -> Result<String, StoreError> {
        let key = self.nonce_key().await?;
        let mut body = Vec::with_capacity(NONCE_BYTES);
        body.extend_from_slice(&now_ms().saturating_add(ttl_ms).to_be_bytes());
        body.extend_from_slice(&random_bytes::<16>()?);
        let mac = nonce_mac(&key, &body);
        body.extend_from_slice(&mac);
        Ok(hex::encode(body))
    }

    /// Spends a c_nonce: it must be ours, unexpired and not spent before (spent nonces are kept
    /// until they expire; expired ones are cleared on the way).
    pub async fn spend_oid4vci_nonce(
        &self,
        nonce: &str,
    ) -> Result<Result<(), NonceRefusal>, StoreError> {
        let Ok(bytes) = hex::decode(nonce) else {
            return Ok(Err(NonceRefusal::Unknown));
        };
        if bytes.len() != NONCE_BYTES {
            return Ok(Err(NonceRefusal::Unknown));
        }
        let key = self.nonce_key().await?;
        if !same(&nonce_mac(&key, &bytes[..24]), &bytes[24..]) {
            return Ok(Err(NonceRefusal::Unknown));
        }
        let mut expiry = [0u8; 8];
        expiry.copy_from_slice(&bytes[..8]);
        let expires_ms = i64::from_be_bytes(expiry);
        let now = now_ms();
        if expires_ms <= now {
            return Ok(Err(NonceRefusal::Expired));
        }
        let mut tx = self.db().begin().await?;
        clear_spent(&mut tx, now).await?;
        let n = tx
            .execute(
                "INSERT INTO oid4vci_spent_nonces (nonce_hash, expires_ms) VALUES ($1, $2) ON CONFLICT (nonce_hash) DO NOTHING",
                args![&sha256(&bytes), expires_ms],
            )
            .await?;
        tx.commit().await?;
        Ok(if n == 1 {
            Ok(())
        } else {
            Err(NonceRefusal::Used)
        })
    }
}

async fn clear_spent(tx: &mut Tx, now: i64) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM oid4vci_spent_nonces WHERE expires_ms <= $1",
        args![now],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::sqlite_store;

    #[tokio::test]
    async fn codes_are_sealed_and_tx_codes_bound_to_them() {
        let (_dir, store) = sqlite_store().await;
        let code = "a-claim-secret-of-many-characters";
        let created = store
            .create_oid4vci_offer(NewOid4vciOffer {
                claim_id: "claim_1".into(),
                code: code.into(),
                expires_ms: now_ms() + 60_000,
            })
            .await
            .unwrap();
        let tx = created.tx_code.as_str();
        assert!(tx.len() == TX_CODE_LENGTH && tx.bytes().all(|b| b.is_ascii_digit()));
        let row = store
            .db()
            .fetch_optional(
                "SELECT sealed_code, tx_code_hash FROM oid4vci_offers",
                args![],
            )
            .await
            .unwrap()
            .unwrap();
        let sealed = row.bytes("sealed_code").unwrap();
        assert!(!sealed.windows(code.len()).any(|w| w == code.as_bytes()));
        // The six digits alone do not give the stored value.
        let stored = row.hash("tx_code_hash").unwrap();
        assert_ne!(stored, sha256(tx.as_bytes()));
        assert_eq!(stored, tx_code_hash(code, tx));
    }

    #[test]
    fn tx_codes_use_every_digit() {
        let codes: Vec<String> = (0..200).map(|_| random_tx_code().unwrap()).collect();
        for d in b'0'..=b'9' {
            assert!(
                codes.iter().any(|c| c.as_bytes()[0] == d),
                "first digit {d}"
            );
        }
    }
}
