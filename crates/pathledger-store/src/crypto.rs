//! Key encryption at rest, signing-key handles, hashing and random identifiers.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::StoreError;

/// The key-encryption key (KEK) from configuration. Private keys are stored sealed with it
/// (ChaCha20-Poly1305, random nonce, the key's id as associated data so a sealed seed cannot be
/// moved to another key row).
#[derive(Clone)]
pub struct Kek([u8; 32]);

impl Kek {
    /// A KEK from 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A KEK from 64 hex characters (the form used in configuration files and environment).
    pub fn from_hex(s: &str) -> Result<Self, StoreError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s.trim(), &mut out)
            .map_err(|_| StoreError::invalid("kek", "expected 64 hex characters"))?;
        Ok(Self(out))
    }

    /// A fresh random KEK (for first-run set-up and tests).
    pub fn generate() -> Result<Self, StoreError> {
        Ok(Self(random_bytes()?))
    }

    /// Hex form, for writing a freshly generated KEK to configuration.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub(crate) fn seal(&self, key_id: &str, seed: &[u8; 32]) -> Result<Vec<u8>, StoreError> {
        self.seal_bytes(key_id, seed)
    }

    pub(crate) fn open(&self, key_id: &str, sealed: &[u8]) -> Result<SigningKey, StoreError> {
        let seed = self.open_bytes(key_id, sealed)?;
        let seed: [u8; 32] = seed
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::integrity(format!("sealed key {key_id} has a bad length")))?;
        Ok(SigningKey::from_bytes(&seed))
    }

    /// Seals any secret (e.g. an OpenID Connect client secret) with `aad` as associated data,
    /// so the sealed bytes open only for the row they were sealed for.
    pub(crate) fn seal_bytes(&self, aad: &str, secret: &[u8]) -> Result<Vec<u8>, StoreError> {
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.0));
        let nonce: [u8; 12] = random_bytes()?;
        let ct = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| StoreError::integrity("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens what [`Kek::seal_bytes`] sealed for `aad`.
    pub(crate) fn open_bytes(&self, aad: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        if sealed.len() < 12 {
            return Err(StoreError::integrity(format!(
                "sealed secret of {aad} is truncated"
            )));
        }
        let (nonce, ct) = sealed.split_at(12);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.0));
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| {
                StoreError::integrity(format!(
                    "cannot unseal the secret of {aad}: wrong key-encryption key or tampered row"
                ))
            })
    }
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(..)")
    }
}

/// A decrypted issuer key, lent to a credential builder for the duration of one call. It signs
/// but never hands out the seed, so private keys cannot leave the store through the API.
pub struct SigningKeyHandle {
    key_id: String,
    key: SigningKey,
    /// The same key as the signing crate's type, derived once per handle: deriving the public
    /// half costs about as much as a signature, so a builder must not do it per credential.
    suite_key: pathledger_signing::SigningKey,
}

impl SigningKeyHandle {
    /// A handle over a key the caller holds (builders' tests); the store lends handles over
    /// the keys it keeps.
    pub fn from_seed(key_id: String, seed: [u8; 32]) -> Self {
        Self::new(key_id, SigningKey::from_bytes(&seed))
    }

    pub(crate) fn new(key_id: String, key: SigningKey) -> Self {
        let suite_key = pathledger_signing::SigningKey::from_seed(key.to_bytes());
        Self {
            key_id,
            key,
            suite_key,
        }
    }

    /// The store's identifier of this key (stable across rotations of other keys).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The Ed25519 public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Signs `message` with Ed25519 (RFC 8032, deterministic).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// The key for the Data Integrity suites (eddsa-jcs-2022, eddsa-rdfc-2022) inside the builder
    /// closure; the handle only lives for that call, so never keep it. Prefer this over
    /// [`SigningKeyHandle::seed_bytes`]: it is ready to sign, with no per-call key derivation.
    pub fn suite_key(&self) -> &pathledger_signing::SigningKey {
        &self.suite_key
    }

    /// The seed, for a signing suite that needs its own key type (e.g. eddsa-jcs-2022) *inside*
    /// the builder closure. The handle only lives for that call; never store or return the seed.
    pub fn seed_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }
}

impl std::fmt::Debug for SigningKeyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyHandle")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// SHA-256.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// The commitment a status leaf carries to its event's reason: hex SHA-256 of the salt followed
/// by the reason's UTF-8 bytes (no reason is the empty one). The salt stays in the database, so
/// the public leaf reveals nothing a guess could confirm.
pub(crate) fn reason_commitment(salt: &[u8], reason: Option<&str>) -> String {
    let mut bytes = Vec::with_capacity(salt.len() + reason.map_or(0, str::len));
    bytes.extend_from_slice(salt);
    bytes.extend_from_slice(reason.unwrap_or_default().as_bytes());
    hex::encode(sha256(&bytes))
}

/// OB 3.0 hashed recipient identity: `sha256$` + hex(SHA-256(identity ‖ salt)).
pub fn recipient_identity_hash(identity: &str, salt: &str) -> String {
    let mut h = Sha256::new();
    h.update(identity.as_bytes());
    h.update(salt.as_bytes());
    format!("sha256${}", hex::encode(h.finalize()))
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut out = [0u8; N];
    getrandom::getrandom(&mut out).map_err(|e| StoreError::Unavailable {
        message: format!("no randomness: {e}"),
    })?;
    Ok(out)
}

/// A random identifier with a readable prefix, e.g. `org_3f9c…` (128 random bits).
pub(crate) fn new_id(prefix: &str) -> Result<String, StoreError> {
    let b: [u8; 16] = random_bytes()?;
    Ok(format!("{prefix}_{}", hex::encode(b)))
}

/// Like [`new_id`], but the first 48 bits are the time in milliseconds (80 random bits follow),
/// for rows inserted in bulk: index keys that grow with time go to the right-hand end of a
/// B-tree, so a batch of inserts dirties a few pages there, not a page in every part of the
/// index (which made each commit rewrite most of the index as the table grew).
pub(crate) fn new_sorted_id(prefix: &str) -> Result<String, StoreError> {
    let r: [u8; 10] = random_bytes()?;
    let mut b = [0u8; 16];
    b[..6].copy_from_slice(&now_ms().to_be_bytes()[2..]);
    b[6..].copy_from_slice(&r);
    Ok(format!("{prefix}_{}", hex::encode(b)))
}

/// A `urn:uuid:` credential identifier: UUID v7 (RFC 9562), time-ordered like
/// [`new_sorted_id`], with 74 random bits.
pub(crate) fn new_credential_id() -> Result<String, StoreError> {
    let r: [u8; 10] = random_bytes()?;
    let ms = u64::try_from(now_ms()).unwrap_or(0);
    Ok(format!(
        "urn:uuid:{}",
        uuid::Builder::from_unix_timestamp_millis(ms, &r).into_uuid()
    ))
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_key_is_the_handle_key() {
        let h = SigningKeyHandle::new("key_1".into(), SigningKey::from_bytes(&[5u8; 32]));
        assert_eq!(
            h.suite_key().public_key().to_bytes(),
            h.verifying_key().to_bytes()
        );
        // Ed25519 is deterministic: the same key gives the same signature.
        assert_eq!(h.suite_key().sign_raw(b"message"), h.sign(b"message"));
        let other = SigningKeyHandle::new("key_2".into(), SigningKey::from_bytes(&[6u8; 32]));
        assert_ne!(other.suite_key().sign_raw(b"message"), h.sign(b"message"));
    }

    #[test]
    fn sealed_bytes_open_only_for_their_row() {
        let kek = Kek::from_bytes([7u8; 32]);
        let sealed = kek.seal_bytes("org_a", b"client secret").unwrap();
        assert_eq!(kek.open_bytes("org_a", &sealed).unwrap(), b"client secret");
        assert!(
            kek.open_bytes("org_b", &sealed).is_err(),
            "moved to another row"
        );
        assert!(Kek::from_bytes([8u8; 32])
            .open_bytes("org_a", &sealed)
            .is_err());
        assert!(kek.open_bytes("org_a", &sealed[..5]).is_err());
    }

    #[test]
    fn bulk_ids_grow_with_time_and_stay_random() {
        let a = new_sorted_id("edu").unwrap();
        let c1 = new_credential_id().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(3));
        let b = new_sorted_id("edu").unwrap();
        let c2 = new_credential_id().unwrap();
        assert!(a < b, "{a} !< {b}");
        assert!(c1 < c2, "{c1} !< {c2}");
        assert_eq!(a.len(), "edu_".len() + 32);
        // Same millisecond: the random tails differ.
        let (x, y) = (new_sorted_id("e").unwrap(), new_sorted_id("e").unwrap());
        assert_ne!(x, y);
        let u = uuid::Uuid::parse_str(c1.strip_prefix("urn:uuid:").unwrap()).unwrap();
        assert_eq!(u.get_version_num(), 7);
        let (secs, _) = u.get_timestamp().unwrap().to_unix();
        let now = u64::try_from(now_ms()).unwrap() / 1000;
        assert!(now.abs_diff(secs) < 60, "timestamp {secs} vs now {now}");
    }
}
