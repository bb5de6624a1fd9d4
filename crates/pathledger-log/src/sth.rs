//! Signed tree heads: a tree size and root, a timestamp and an Ed25519 signature over a fixed byte layout.

use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::hash::Hash;

/// Longest accepted key identifier, in bytes.
pub const MAX_KEY_ID_LEN: usize = 1024;

/// Why a tree head could not be signed or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SthError {
    /// The key identifier is empty or longer than [`MAX_KEY_ID_LEN`].
    #[error("key id must be 1..={MAX_KEY_ID_LEN} bytes")]
    BadKeyId,
    /// The signature does not match the head and key.
    #[error("tree head signature does not verify")]
    BadSignature,
}

/// A signed tree head (STH). Serialized as JSON with `root_hash` in lowercase hex and `signature`
/// in standard base64:
/// `{"tree_size":8,"root_hash":"5dc9…","timestamp_ms":1700000000000,"key_id":"…","signature":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTreeHead {
    /// Number of leaves covered.
    pub tree_size: u64,
    /// Merkle tree hash of those leaves.
    #[serde(with = "hex_hash")]
    pub root_hash: Hash,
    /// Milliseconds since the Unix epoch when the head was signed.
    pub timestamp_ms: u64,
    /// Identifier of the signing key (e.g. a verification method URL).
    pub key_id: String,
    /// Ed25519 signature over [`SignedTreeHead::signing_input`].
    #[serde(with = "b64_sig")]
    pub signature: [u8; 64],
}

impl SignedTreeHead {
    /// The exact bytes that are signed. The first 50 bytes are the RFC 6962 §3.5 `TreeHeadSignature`
    /// (v1, tree_hash), then the key id, so a head cannot be re-attributed to another key:
    ///
    /// ```text
    /// 0x00 (version v1) ‖ 0x01 (signature_type tree_hash) ‖ timestamp_ms: u64 big-endian
    /// ‖ tree_size: u64 big-endian ‖ root_hash: 32 bytes ‖ len(key_id): u32 big-endian ‖ key_id UTF-8
    /// ```
    pub fn signing_input(&self) -> Vec<u8> {
        signing_input(
            self.tree_size,
            &self.root_hash,
            self.timestamp_ms,
            &self.key_id,
        )
    }

    /// Signs a tree head with `key`.
    pub fn sign(
        tree_size: u64,
        root_hash: Hash,
        timestamp_ms: u64,
        key_id: &str,
        key: &SigningKey,
    ) -> Result<Self, SthError> {
        if key_id.is_empty() || key_id.len() > MAX_KEY_ID_LEN {
            return Err(SthError::BadKeyId);
        }
        let signature = key
            .sign(&signing_input(tree_size, &root_hash, timestamp_ms, key_id))
            .to_bytes();
        Ok(Self {
            tree_size,
            root_hash,
            timestamp_ms,
            key_id: key_id.to_owned(),
            signature,
        })
    }

    /// Verifies the signature with `key` (strict Ed25519: no malleable or small-order forms).
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), SthError> {
        if self.key_id.is_empty() || self.key_id.len() > MAX_KEY_ID_LEN {
            return Err(SthError::BadKeyId);
        }
        let sig = Signature::from_bytes(&self.signature);
        key.verify_strict(&self.signing_input(), &sig)
            .map_err(|_| SthError::BadSignature)
    }
}

fn signing_input(tree_size: u64, root: &Hash, timestamp_ms: u64, key_id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(54 + key_id.len());
    out.push(0x00);
    out.push(0x01);
    out.extend_from_slice(&timestamp_ms.to_be_bytes());
    out.extend_from_slice(&tree_size.to_be_bytes());
    out.extend_from_slice(root);
    // Lengths above u32::MAX cannot be signed (sign rejects them); saturate rather than panic.
    let len = u32::try_from(key_id.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(key_id.as_bytes());
    out
}

mod hex_hash {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(&s, &mut out).map_err(D::Error::custom)?;
        Ok(out)
    }
}

mod b64_sig {
    use super::B64;
    use base64::Engine as _;
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(sig: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(sig))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
        let s = String::deserialize(d)?;
        let bytes = B64.decode(s.as_bytes()).map_err(D::Error::custom)?;
        <[u8; 64]>::try_from(bytes.as_slice())
            .map_err(|_| D::Error::custom("signature must be 64 bytes"))
    }
}
