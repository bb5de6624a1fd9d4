//! Ed25519 keys with Multikey encoding, did:key derivation and DID documents (did:key, did:web).
//!
//! Multikey public keys are `z` + base58btc(0xed 0x01 ‖ key) (`z6Mk…`); secret keys are
//! `z` + base58btc(0x80 0x26 ‖ seed) (`z3u2…`). A legacy 64-byte secret form (seed ‖ public key,
//! written `zrv…`) circulates in 1EdTech examples: we import it and never emit it.

use ed25519_dalek::{Signer, Verifier};
use serde_json::{json, Value};
use std::fmt;

const PUB_PREFIX: [u8; 2] = [0xed, 0x01];
const SECRET_PREFIX: [u8; 2] = [0x80, 0x26];

/// Why a key could not be read or made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not `z` + base58btc.
    #[error("not a base58btc multibase string (must start with 'z'): {0}")]
    NotMultibase(String),
    /// The multicodec prefix is not the expected Ed25519 one.
    #[error("unsupported multicodec prefix {0}; expected Ed25519")]
    WrongPrefix(String),
    /// The decoded key has the wrong number of bytes.
    #[error("wrong key length: {0} bytes")]
    WrongLength(usize),
    /// The bytes are not a valid Ed25519 public key (not a curve point).
    #[error("not a valid Ed25519 public key")]
    InvalidPoint,
    /// A legacy 64-byte secret key whose public half does not match its seed.
    #[error("legacy secret key: embedded public key does not match the seed")]
    MismatchedLegacyKey,
    /// The operating system could not supply randomness.
    #[error("operating system randomness unavailable: {0}")]
    Randomness(String),
    /// Not a DID or DID URL we can read.
    #[error("not a usable DID: {0}")]
    BadDid(String),
}

fn decode_multibase(s: &str) -> Result<Vec<u8>, KeyError> {
    let body = s
        .strip_prefix('z')
        .ok_or_else(|| KeyError::NotMultibase(shorten(s)))?;
    bs58::decode(body)
        .into_vec()
        .map_err(|_| KeyError::NotMultibase(shorten(s)))
}

fn encode_multibase(prefix: [u8; 2], key: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(2 + key.len());
    bytes.extend_from_slice(&prefix);
    bytes.extend_from_slice(key);
    let mut out = String::with_capacity(50);
    out.push('z');
    out.push_str(&bs58::encode(bytes).into_string());
    out
}

fn shorten(s: &str) -> String {
    s.chars().take(64).collect()
}

/// An Ed25519 private key (the 32-byte seed).
#[derive(Clone)]
pub struct SigningKey {
    inner: ed25519_dalek::SigningKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print secret material.
        write!(f, "SigningKey({})", self.public_key().to_multibase())
    }
}

impl SigningKey {
    /// Makes a new key from operating-system randomness.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| KeyError::Randomness(e.to_string()))?;
        Ok(Self::from_seed(seed))
    }

    /// Builds the key from its 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            inner: ed25519_dalek::SigningKey::from_bytes(&seed),
        }
    }

    /// Reads a secret Multikey (`z3u2…`, 0x8026 ‖ seed) or the legacy `zrv…` form (0x8026 ‖ seed ‖ public key).
    pub fn from_multibase(s: &str) -> Result<Self, KeyError> {
        let bytes = decode_multibase(s)?;
        if bytes.len() < 2 || bytes[..2] != SECRET_PREFIX {
            return Err(KeyError::WrongPrefix(hex::encode(
                bytes.get(..2).unwrap_or(&bytes),
            )));
        }
        let body = &bytes[2..];
        match body.len() {
            32 => {
                let mut seed = [0u8; 32];
                seed.copy_from_slice(body);
                Ok(Self::from_seed(seed))
            }
            64 => {
                let mut seed = [0u8; 32];
                seed.copy_from_slice(&body[..32]);
                let key = Self::from_seed(seed);
                if key.public_key().to_bytes()[..] != body[32..] {
                    return Err(KeyError::MismatchedLegacyKey);
                }
                Ok(key)
            }
            n => Err(KeyError::WrongLength(n)),
        }
    }

    /// The standard secret Multikey form, `z3u2…` (never the legacy 64-byte form).
    pub fn to_multibase(&self) -> String {
        encode_multibase(SECRET_PREFIX, &self.seed_bytes())
    }

    /// The 32-byte seed.
    pub fn seed_bytes(&self) -> [u8; 32] {
        self.inner.to_bytes()
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            inner: self.inner.verifying_key(),
        }
    }

    /// Pure Ed25519 (RFC 8032) signature over `msg`.
    pub fn sign_raw(&self, msg: &[u8]) -> [u8; 64] {
        self.inner.sign(msg).to_bytes()
    }
}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    inner: ed25519_dalek::VerifyingKey,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_multibase())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_multibase())
    }
}

impl PublicKey {
    /// Reads a public Multikey `z6Mk…`; any prefix other than 0xed01 or length other than 32 is refused.
    pub fn from_multibase(s: &str) -> Result<Self, KeyError> {
        let bytes = decode_multibase(s)?;
        if bytes.len() < 2 || bytes[..2] != PUB_PREFIX {
            return Err(KeyError::WrongPrefix(hex::encode(
                bytes.get(..2).unwrap_or(&bytes),
            )));
        }
        let body = &bytes[2..];
        let arr: [u8; 32] = body
            .try_into()
            .map_err(|_| KeyError::WrongLength(body.len()))?;
        Self::from_bytes(arr)
    }

    /// `z6Mk…`.
    pub fn to_multibase(&self) -> String {
        encode_multibase(PUB_PREFIX, self.inner.as_bytes())
    }

    /// Builds the key from 32 raw bytes; refuses bytes that are not a curve point.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, KeyError> {
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map(|inner| Self { inner })
            .map_err(|_| KeyError::InvalidPoint)
    }

    /// The 32 raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.inner.to_bytes()
    }

    /// `did:key:z6Mk…`.
    pub fn did_key(&self) -> String {
        format!("did:key:{}", self.to_multibase())
    }

    /// `did:key:z6Mk…#z6Mk…`, the verification method id for this key.
    pub fn did_key_verification_method(&self) -> String {
        let mb = self.to_multibase();
        format!("did:key:{mb}#{mb}")
    }

    /// Verifies a pure Ed25519 signature.
    pub fn verify_raw(&self, msg: &[u8], sig: &[u8; 64]) -> bool {
        let sig = ed25519_dalek::Signature::from_bytes(sig);
        self.inner.verify(msg, &sig).is_ok()
    }
}

/// Parses `did:key:z6Mk…` or `did:key:z6Mk…#z6Mk…` into its key; the fragment, when present,
/// must name the same key.
pub fn resolve_did_key(did_or_vm: &str) -> Result<PublicKey, KeyError> {
    let rest = did_or_vm
        .strip_prefix("did:key:")
        .ok_or_else(|| KeyError::BadDid(shorten(did_or_vm)))?;
    let (mb, fragment) = match rest.split_once('#') {
        Some((m, f)) => (m, Some(f)),
        None => (rest, None),
    };
    if let Some(f) = fragment {
        if f != mb {
            return Err(KeyError::BadDid(format!(
                "fragment does not match the key in {}",
                shorten(did_or_vm)
            )));
        }
    }
    PublicKey::from_multibase(mb)
}

/// The DID document of `did:key:<mb>` (resolved offline).
pub fn did_key_document(key: &PublicKey) -> Value {
    let did = key.did_key();
    let vm = key.did_key_verification_method();
    json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [{
            "id": vm,
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.to_multibase(),
        }],
        "assertionMethod": [vm],
        "authentication": [vm],
        "capabilityInvocation": [vm],
        "capabilityDelegation": [vm],
    })
}

/// Whether a did:web key may still sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Signs new credentials.
    Current,
    /// No longer signs, but stays in the document so what it signed keeps verifying.
    Retired,
}

/// One key of a did:web issuer.
#[derive(Debug, Clone)]
pub struct DidWebKey {
    /// Fragment naming the key, e.g. `key-2` (the id becomes `<did>#key-2`).
    pub fragment: String,
    /// The public key.
    pub public_key: PublicKey,
    /// Current or retired.
    pub status: KeyStatus,
}

/// Builds the `did.json` of one of our own did:web issuers, with key rotation.
#[derive(Debug, Clone)]
pub struct DidWebDocument {
    /// `did:web:example.org` or `did:web:example.org:issuers:district`.
    pub did: String,
    /// All keys, current and retired.
    pub keys: Vec<DidWebKey>,
}

impl DidWebDocument {
    /// A document for `did` with no keys yet.
    pub fn new(did: impl Into<String>) -> Result<Self, KeyError> {
        let did = did.into();
        did_web_url(&did)?;
        Ok(Self {
            did,
            keys: Vec::new(),
        })
    }

    /// Adds a key. Adding a current key retires every earlier current key (rotation).
    pub fn add_key(
        &mut self,
        fragment: impl Into<String>,
        public_key: PublicKey,
        status: KeyStatus,
    ) {
        if status == KeyStatus::Current {
            for k in &mut self.keys {
                k.status = KeyStatus::Retired;
            }
        }
        self.keys.push(DidWebKey {
            fragment: fragment.into(),
            public_key,
            status,
        });
    }

    /// The verification method id of a key: `<did>#<fragment>`.
    pub fn verification_method_id(&self, key: &DidWebKey) -> String {
        format!("{}#{}", self.did, key.fragment)
    }

    /// The verification method id of the key that signs now, if any.
    pub fn current_verification_method(&self) -> Option<String> {
        self.keys
            .iter()
            .rev()
            .find(|k| k.status == KeyStatus::Current)
            .map(|k| self.verification_method_id(k))
    }

    /// The DID document. Every key, retired or not, is listed under `assertionMethod`, so
    /// credentials signed before a rotation still verify; only current keys authenticate.
    pub fn to_json(&self) -> Value {
        let vms: Vec<Value> = self
            .keys
            .iter()
            .map(|k| {
                json!({
                    "id": self.verification_method_id(k),
                    "type": "Multikey",
                    "controller": self.did,
                    "publicKeyMultibase": k.public_key.to_multibase(),
                })
            })
            .collect();
        let all: Vec<String> = self
            .keys
            .iter()
            .map(|k| self.verification_method_id(k))
            .collect();
        let current: Vec<String> = self
            .keys
            .iter()
            .filter(|k| k.status == KeyStatus::Current)
            .map(|k| self.verification_method_id(k))
            .collect();
        json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": self.did,
            "verificationMethod": vms,
            "assertionMethod": all,
            "authentication": current,
        })
    }
}

/// The HTTPS URL a did:web resolves to (`did:web:example.org` → `https://example.org/.well-known/did.json`,
/// `did:web:example.org:a:b` → `https://example.org/a/b/did.json`).
pub fn did_web_url(did: &str) -> Result<String, KeyError> {
    let did = did.split('#').next().unwrap_or(did);
    let rest = did
        .strip_prefix("did:web:")
        .ok_or_else(|| KeyError::BadDid(shorten(did)))?;
    let mut parts = rest.split(':');
    let host = parts.next().unwrap_or("");
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '%'))
    {
        return Err(KeyError::BadDid(shorten(did)));
    }
    let host = host.replace("%3A", ":").replace("%3a", ":");
    let path: Vec<&str> = parts.collect();
    if path.iter().any(|p| p.is_empty() || *p == "." || *p == "..") {
        return Err(KeyError::BadDid(shorten(did)));
    }
    if path.is_empty() {
        Ok(format!("https://{host}/.well-known/did.json"))
    } else {
        Ok(format!("https://{host}/{}/did.json", path.join("/")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(hex_str: &str) -> [u8; 32] {
        hex::decode(hex_str).unwrap().try_into().unwrap()
    }

    #[test]
    fn rfc8032_t1_t2() {
        let t1 = SigningKey::from_seed(seed(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        ));
        assert_eq!(
            hex::encode(t1.public_key().to_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let sig = t1.sign_raw(b"");
        assert_eq!(hex::encode(sig), "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
        assert!(t1.public_key().verify_raw(b"", &sig));
        assert!(!t1.public_key().verify_raw(b"x", &sig));

        let t2 = SigningKey::from_seed(seed(
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        ));
        assert_eq!(
            hex::encode(t2.public_key().to_bytes()),
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
        );
        let sig = t2.sign_raw(&[0x72]);
        assert_eq!(hex::encode(sig), "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
    }

    #[test]
    fn w3c_key_pair() {
        let sk =
            SigningKey::from_multibase("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq").unwrap();
        assert_eq!(
            hex::encode(sk.seed_bytes()),
            "c96ef9ea10c5e414c471723aff9de72c35fa5b70fae97e8832ecac7d2e2b8ed6"
        );
        let pk = sk.public_key();
        assert_eq!(
            pk.to_multibase(),
            "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        );
        assert_eq!(
            hex::encode(pk.to_bytes()),
            "b00d8d938e7f773d51565aad36a623f5344f7f5d1960f9cf3e8e12620ea2810f"
        );
        assert_eq!(
            sk.to_multibase(),
            "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
        );
        assert_eq!(
            pk.did_key_verification_method(),
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        );
    }

    #[test]
    fn onedtech_key_secret_multibase() {
        let sk = SigningKey::from_seed(seed(
            "6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4",
        ));
        assert_eq!(
            sk.public_key().to_multibase(),
            "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
        );
        assert_eq!(
            sk.to_multibase(),
            "z3u2XqMnz4u2o6Wu7kJhQyzVd5Qw9d3ffREwtjHsHdyEkM3R"
        );
    }

    #[test]
    fn did_key_vectors() {
        let cases = [
            (
                0u8,
                "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
            ),
            (
                1,
                "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG",
            ),
            (
                2,
                "did:key:z6MknGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf",
            ),
            (
                3,
                "did:key:z6MkvqoYXQfDDJRv8L4wKzxYeuKyVZBfi9Qo6Ro8MiLH3kDQ",
            ),
            (
                5,
                "did:key:z6MkwYMhwTvsq376YBAcJHy3vyRWzBgn5vKfVqqDCgm7XVKU",
            ),
        ];
        for (last, did) in cases {
            let mut s = [0u8; 32];
            s[31] = last;
            let pk = SigningKey::from_seed(s).public_key();
            assert_eq!(pk.did_key(), did);
            assert_eq!(resolve_did_key(did).unwrap(), pk);
        }
        let zero = SigningKey::from_seed([0; 32]);
        assert_eq!(
            hex::encode(zero.public_key().to_bytes()),
            "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
        );
        assert_eq!(
            zero.to_multibase(),
            "z3u2RDonZ81AFKiw8QCPKcsyg8Yy2MmYQNxfBn51SS2QmMiw"
        );
    }

    #[test]
    fn legacy_secret_import_only() {
        let sk = SigningKey::from_seed([7; 32]);
        let mut legacy = vec![0x80, 0x26];
        legacy.extend_from_slice(&sk.seed_bytes());
        legacy.extend_from_slice(&sk.public_key().to_bytes());
        let text = format!("z{}", bs58::encode(&legacy).into_string());
        assert!(text.starts_with("zr"), "{text}");
        let back = SigningKey::from_multibase(&text).unwrap();
        assert_eq!(back.seed_bytes(), sk.seed_bytes());
        assert!(back.to_multibase().starts_with("z3u2"));
        // A legacy key whose public half is wrong is refused.
        legacy[40] ^= 1;
        let bad = format!("z{}", bs58::encode(&legacy).into_string());
        assert_eq!(
            SigningKey::from_multibase(&bad).unwrap_err(),
            KeyError::MismatchedLegacyKey
        );
    }

    #[test]
    fn public_multikey_rejections() {
        let pk = SigningKey::from_seed([9; 32]).public_key();
        let mb = pk.to_multibase();
        assert_eq!(PublicKey::from_multibase(&mb).unwrap(), pk);
        // Wrong prefix (secp256k1 0xe701).
        let mut bytes = vec![0xe7, 0x01];
        bytes.extend_from_slice(&pk.to_bytes());
        let wrong = format!("z{}", bs58::encode(&bytes).into_string());
        assert!(matches!(
            PublicKey::from_multibase(&wrong),
            Err(KeyError::WrongPrefix(_))
        ));
        // Wrong length.
        let mut short = vec![0xed, 0x01];
        short.extend_from_slice(&pk.to_bytes()[..31]);
        let short = format!("z{}", bs58::encode(&short).into_string());
        assert_eq!(
            PublicKey::from_multibase(&short),
            Err(KeyError::WrongLength(31))
        );
        // Not base58btc.
        assert!(PublicKey::from_multibase(&mb[1..]).is_err());
        assert!(PublicKey::from_multibase("z0OIl").is_err());
        // A secret key is not a public key.
        let secret = SigningKey::from_seed([9; 32]).to_multibase();
        assert!(PublicKey::from_multibase(&secret).is_err());
    }

    #[test]
    fn generate_is_random() {
        let a = SigningKey::generate().unwrap();
        let b = SigningKey::generate().unwrap();
        assert_ne!(a.seed_bytes(), b.seed_bytes());
        let sig = a.sign_raw(b"m");
        assert!(a.public_key().verify_raw(b"m", &sig));
        assert!(!b.public_key().verify_raw(b"m", &sig));
    }

    #[test]
    fn did_key_doc_shape() {
        let pk = SigningKey::from_seed([1; 32]).public_key();
        let doc = did_key_document(&pk);
        let vm = pk.did_key_verification_method();
        assert_eq!(doc["id"], pk.did_key());
        assert_eq!(doc["verificationMethod"][0]["id"], vm);
        assert_eq!(doc["verificationMethod"][0]["type"], "Multikey");
        for rel in [
            "assertionMethod",
            "authentication",
            "capabilityInvocation",
            "capabilityDelegation",
        ] {
            assert_eq!(doc[rel][0], vm);
        }
        assert!(resolve_did_key(&format!("{}#other", pk.did_key())).is_err());
    }

    #[test]
    fn did_web_rotation_and_url() {
        let old = SigningKey::from_seed([1; 32]).public_key();
        let new = SigningKey::from_seed([2; 32]).public_key();
        let mut d = DidWebDocument::new("did:web:example.org").unwrap();
        d.add_key("key-1", old, KeyStatus::Current);
        d.add_key("key-2", new, KeyStatus::Current);
        assert_eq!(
            d.current_verification_method().unwrap(),
            "did:web:example.org#key-2"
        );
        let doc = d.to_json();
        assert_eq!(doc["assertionMethod"].as_array().unwrap().len(), 2);
        assert_eq!(doc["authentication"], json!(["did:web:example.org#key-2"]));
        assert_eq!(
            did_web_url("did:web:example.org").unwrap(),
            "https://example.org/.well-known/did.json"
        );
        assert_eq!(
            did_web_url("did:web:example.org:issuers:a#key-1").unwrap(),
            "https://example.org/issuers/a/did.json"
        );
        assert_eq!(
            did_web_url("did:web:localhost%3A8443").unwrap(),
            "https://localhost:8443/.well-known/did.json"
        );
        assert!(did_web_url("did:web:").is_err());
        assert!(did_web_url("did:web:a.org:..").is_err());
        assert!(did_web_url("did:key:z6Mk").is_err());
    }
}
