//! W3C Bitstring Status List: the bit set, its `encodedList` form, status entries, list
//! credentials, random index allocation and checking one entry against a fetched list.

use std::io::{Read, Write};

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use pathledger_signing::{resolve_did_key, verify_document, KeyResolver, ProofOutcome, PublicKey};
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::dates;
use crate::text::clip;
use crate::vc::{issuer_id, VC_V2};

/// The smallest list the spec allows: 131,072 entries (16 KiB), so one index reveals little.
pub const MIN_BITS: u64 = 131_072;
/// Largest decoded list we accept (16 MiB, 134 million entries): a guard against gzip bombs.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// Bitstring Status List errors, each with the spec's error code ([`StatusError::code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusError {
    /// The list credential could not be fetched.
    #[error("the status list could not be retrieved: {0}")]
    Retrieval(String),
    /// The list credential is not trustworthy: bad proof, wrong type or purpose, outside its validity.
    #[error("the status list could not be verified: {0}")]
    Verification(String),
    /// The list is shorter than 131,072 entries or longer than we accept.
    #[error("the status list has the wrong length: {0}")]
    ListLength(String),
    /// The index lies outside the list.
    #[error("status index {index} is outside the list of {len} entries")]
    Range {
        /// Requested index.
        index: u64,
        /// Entries in the list.
        len: u64,
    },
    /// A malformed entry, encoding or value.
    #[error("malformed status value: {0}")]
    Malformed(String),
    /// Every index of the list is taken.
    #[error("the status list is full")]
    Full,
}

impl StatusError {
    /// The W3C error code (`STATUS_RETRIEVAL_ERROR`, `STATUS_VERIFICATION_ERROR`,
    /// `STATUS_LIST_LENGTH_ERROR`, `RANGE_ERROR`, `MALFORMED_VALUE_ERROR`; `STATUS_LIST_FULL` is ours).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Retrieval(_) => "STATUS_RETRIEVAL_ERROR",
            Self::Verification(_) => "STATUS_VERIFICATION_ERROR",
            Self::ListLength(_) => "STATUS_LIST_LENGTH_ERROR",
            Self::Range { .. } => "RANGE_ERROR",
            Self::Malformed(_) => "MALFORMED_VALUE_ERROR",
            Self::Full => "STATUS_LIST_FULL",
        }
    }
}

/// What a set bit means: the one status purpose type of the product (the store's lists, the
/// documents and the verifier all use it; our own lists are for revocation and suspension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StatusPurpose {
    /// Permanently cancelled.
    Revocation,
    /// Temporarily not valid; can be reinstated.
    Suspension,
    /// A status message (statusSize > 1).
    Message,
    /// The holder should refresh the credential.
    Refresh,
}

impl StatusPurpose {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revocation => "revocation",
            Self::Suspension => "suspension",
            Self::Message => "message",
            Self::Refresh => "refresh",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Result<Self, StatusError> {
        match s {
            "revocation" => Ok(Self::Revocation),
            "suspension" => Ok(Self::Suspension),
            "message" => Ok(Self::Message),
            "refresh" => Ok(Self::Refresh),
            other => Err(StatusError::Malformed(format!(
                "unknown statusPurpose `{}`",
                clip(other)
            ))),
        }
    }
}

/// A bit set in status-list order: index `i` is bit `7 - i % 8` of byte `i / 8` (MSB first).
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for StatusList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusList")
            .field("len", &self.len())
            .field("set", &self.count_set())
            .finish()
    }
}

impl StatusList {
    /// An all-clear list of `bits` entries (at least [`MIN_BITS`], a multiple of 8).
    pub fn new(bits: u64) -> Result<Self, StatusError> {
        if bits < MIN_BITS || bits % 8 != 0 || bits / 8 > MAX_BYTES as u64 {
            return Err(StatusError::ListLength(format!(
                "{bits} entries; need a multiple of 8 from {MIN_BITS} to {}",
                MAX_BYTES as u64 * 8
            )));
        }
        Ok(Self {
            bytes: vec![0; (bits / 8) as usize],
        })
    }

    /// Number of entries.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64 * 8
    }

    /// Always false: a list has at least [`MIN_BITS`] entries.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Number of set entries.
    pub fn count_set(&self) -> u64 {
        self.bytes.iter().map(|b| u64::from(b.count_ones())).sum()
    }

    fn locate(&self, index: u64) -> Result<(usize, u8), StatusError> {
        if index >= self.len() {
            return Err(StatusError::Range {
                index,
                len: self.len(),
            });
        }
        Ok(((index / 8) as usize, 0x80 >> (index % 8)))
    }

    /// Whether entry `index` is set.
    pub fn get(&self, index: u64) -> Result<bool, StatusError> {
        let (byte, mask) = self.locate(index)?;
        Ok(self.bytes[byte] & mask != 0)
    }

    /// Sets or clears entry `index`.
    pub fn set(&mut self, index: u64, value: bool) -> Result<(), StatusError> {
        let (byte, mask) = self.locate(index)?;
        if value {
            self.bytes[byte] |= mask;
        } else {
            self.bytes[byte] &= !mask;
        }
        Ok(())
    }

    /// The indexes that are set, ascending.
    pub fn set_indexes(&self) -> Vec<u64> {
        let mut out = Vec::new();
        for (i, b) in self.bytes.iter().enumerate() {
            if *b == 0 {
                continue;
            }
            for bit in 0..8u64 {
                if b & (0x80 >> bit) != 0 {
                    out.push(i as u64 * 8 + bit);
                }
            }
        }
        out
    }

    /// The raw bytes (MSB-first bit order).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `encodedList`: `u` + base64url without padding of the GZIP of the bytes.
    pub fn encode(&self) -> String {
        let mut gz = GzEncoder::new(Vec::new(), Compression::new(6));
        // Writing to a Vec cannot fail.
        let _ = gz.write_all(&self.bytes);
        let compressed = gz.finish().unwrap_or_default();
        format!("u{}", URL_SAFE_NO_PAD.encode(compressed))
    }

    /// Decodes an `encodedList`. Compares nothing byte-wise: gzip output differs between
    /// libraries, only the decompressed bits matter.
    pub fn decode(encoded: &str) -> Result<Self, StatusError> {
        let body = encoded.strip_prefix('u').ok_or_else(|| {
            StatusError::Malformed("encodedList must start with `u` (base64url multibase)".into())
        })?;
        // Some issuers pad; accept both forms on input.
        let compressed = URL_SAFE_NO_PAD
            .decode(body)
            .or_else(|_| URL_SAFE.decode(body))
            .map_err(|e| StatusError::Malformed(format!("encodedList is not base64url: {e}")))?;
        let mut bytes = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .take(MAX_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| StatusError::Malformed(format!("encodedList is not gzip: {e}")))?;
        if bytes.len() > MAX_BYTES {
            return Err(StatusError::ListLength(format!(
                "more than {MAX_BYTES} bytes"
            )));
        }
        if (bytes.len() as u64) * 8 < MIN_BITS {
            return Err(StatusError::ListLength(format!(
                "{} entries, fewer than the required {MIN_BITS}",
                bytes.len() as u64 * 8
            )));
        }
        Ok(Self { bytes })
    }
}

/// A credential's `credentialStatus` entry (`BitstringStatusListEntry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// The entry's `id` (OB requires one): `<list url>#<index>`.
    pub id: String,
    /// What a set bit means.
    pub purpose: StatusPurpose,
    /// Position in the list.
    pub index: u64,
    /// URL of the status list credential.
    pub list_credential: String,
    /// Bits per entry (only 1 is supported).
    pub status_size: u32,
}

impl StatusEntry {
    /// An entry for `index` in the list at `list_credential`.
    pub fn new(list_credential: &str, purpose: StatusPurpose, index: u64) -> Self {
        Self {
            id: format!("{list_credential}#{index}"),
            purpose,
            index,
            list_credential: list_credential.to_owned(),
            status_size: 1,
        }
    }

    /// The JSON form; `statusListIndex` is always a decimal string.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "type": "BitstringStatusListEntry",
            "statusPurpose": self.purpose.as_str(),
            "statusListIndex": self.index.to_string(),
            "statusListCredential": self.list_credential,
        })
    }

    /// Parses an entry. Accepts a numeric `statusListIndex` (some issuers write one) as well as the
    /// standard decimal string.
    pub fn parse(v: &Value) -> Result<Self, StatusError> {
        let obj = v
            .as_object()
            .ok_or_else(|| StatusError::Malformed("credentialStatus is not an object".into()))?;
        let str_field = |k: &str| -> Result<&str, StatusError> {
            obj.get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| StatusError::Malformed(format!("credentialStatus has no `{k}`")))
        };
        let ty_ok = match obj.get("type") {
            Some(Value::String(s)) => s == "BitstringStatusListEntry",
            Some(Value::Array(a)) => a.iter().any(|t| t == "BitstringStatusListEntry"),
            _ => false,
        };
        if !ty_ok {
            return Err(StatusError::Malformed(
                "credentialStatus is not a BitstringStatusListEntry".into(),
            ));
        }
        let id = str_field("id")?.to_owned();
        let purpose = StatusPurpose::parse(str_field("statusPurpose")?)?;
        let index = match obj.get("statusListIndex") {
            Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse::<u64>().map_err(|_| {
                    StatusError::Malformed(format!("statusListIndex `{}` is too large", clip(s)))
                })?
            }
            Some(Value::Number(n)) => n.as_u64().ok_or_else(|| {
                StatusError::Malformed("statusListIndex is not a non-negative integer".into())
            })?,
            _ => {
                return Err(StatusError::Malformed(
                    "statusListIndex must be a decimal string".into(),
                ))
            }
        };
        let list_credential = str_field("statusListCredential")?.to_owned();
        let status_size = match obj.get("statusSize") {
            None => 1,
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| StatusError::Malformed("statusSize is not an integer".into()))?,
        };
        if status_size != 1 {
            return Err(StatusError::Malformed(format!(
                "statusSize {status_size} is not supported (only 1)"
            )));
        }
        Ok(Self {
            id,
            purpose,
            index,
            list_credential,
            status_size,
        })
    }
}

/// Inputs for an unsigned `BitstringStatusListCredential` (the caller signs it).
#[derive(Debug, Clone)]
pub struct StatusListCredentialInput<'a> {
    /// The list credential URL (what entries put in `statusListCredential`).
    pub id: &'a str,
    /// Issuer id (DID or URL); the same issuer signs the credentials that point here.
    pub issuer: &'a str,
    /// Revocation or suspension.
    pub purpose: StatusPurpose,
    /// Start of validity.
    pub valid_from: OffsetDateTime,
    /// End of validity, if the list is re-published periodically.
    pub valid_until: Option<OffsetDateTime>,
    /// Cache lifetime hint in milliseconds.
    pub ttl_ms: Option<u64>,
    /// The bits.
    pub list: &'a StatusList,
}

/// Builds an unsigned status list credential (VC 2.0 context only; the terms are in it).
pub fn status_list_credential(input: &StatusListCredentialInput<'_>) -> Value {
    let mut subject = json!({
        "id": format!("{}#list", input.id),
        "type": "BitstringStatusList",
        "statusPurpose": input.purpose.as_str(),
    });
    if let Some(ttl) = input.ttl_ms {
        subject["ttl"] = json!(ttl);
    }
    subject["encodedList"] = json!(input.list.encode());
    let mut doc = json!({
        "@context": [VC_V2],
        "id": input.id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": input.issuer,
        "validFrom": dates::format(input.valid_from),
    });
    if let Some(until) = input.valid_until {
        doc["validUntil"] = json!(dates::format(until));
    }
    doc["credentialSubject"] = subject;
    doc
}

/// Picks a random free index below `capacity`. Random placement keeps an index from revealing
/// issue order. `is_used` answers for one index; after a few random probes the search falls back
/// to a scan from a random start, so a nearly full list still finds its last free slot.
pub fn allocate_index(capacity: u64, is_used: impl Fn(u64) -> bool) -> Result<u64, StatusError> {
    if capacity == 0 {
        return Err(StatusError::Full);
    }
    for _ in 0..32 {
        let candidate = random_u64()? % capacity;
        if !is_used(candidate) {
            return Ok(candidate);
        }
    }
    let start = random_u64()? % capacity;
    (0..capacity)
        .map(|k| (start + k) % capacity)
        .find(|i| !is_used(*i))
        .ok_or(StatusError::Full)
}

fn random_u64() -> Result<u64, StatusError> {
    let mut buf = [0u8; 8];
    getrandom::getrandom(&mut buf)
        .map_err(|e| StatusError::Malformed(format!("no randomness available: {e}")))?;
    Ok(u64::from_le_bytes(buf))
}

/// The result of a status lookup that could be completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCheck {
    /// The entry's purpose.
    pub purpose: StatusPurpose,
    /// The entry's index.
    pub index: u64,
    /// Whether the bit is set (revoked / suspended).
    pub set: bool,
}

/// Checks `entry` against a fetched status list credential: the list's proof must verify (keys
/// through `resolver`) with a key its issuer controls; if `expected_issuer` is given the list
/// must come from that issuer; type, purpose and validity window must match; then the bit is read.
pub fn check_status(
    entry: &StatusEntry,
    list_credential: &Value,
    resolver: &dyn KeyResolver,
    expected_issuer: Option<&str>,
    now: OffsetDateTime,
) -> Result<StatusCheck, StatusError> {
    if !list_credential_type_ok(list_credential) {
        return Err(StatusError::Verification(
            "the document is not a BitstringStatusListCredential".into(),
        ));
    }
    // The issuer is compared before the (costlier) signature check (a did:key issuer's list
    // may be published under another DID holding the same key: see [`CheckedList::read`]).
    if let (Some(expected), Some(issuer)) = (expected_issuer, issuer_id(list_credential)) {
        if issuer != expected && !expected.starts_with("did:key:") {
            return Err(wrong_issuer(issuer));
        }
    }
    CheckedList::check(list_credential, resolver)?.read(entry, expected_issuer, now)
}

fn list_credential_type_ok(list_credential: &Value) -> bool {
    match list_credential.get("type") {
        Some(Value::Array(a)) => a.iter().any(|t| t == "BitstringStatusListCredential"),
        Some(Value::String(s)) => s == "BitstringStatusListCredential",
        _ => false,
    }
}

fn wrong_issuer(issuer: &str) -> StatusError {
    StatusError::Verification(format!(
        "the status list is published by {}, not by the credential's issuer",
        clip(issuer)
    ))
}

/// A status list credential whose signature verified (with a key its issuer controls) and
/// whose bitstring is decoded: what reading any entry needs. Checking a list is the costly
/// part (a signature, a gzip inflate); a verifier that sees the same list version again (our
/// own lists, cached per version by the application) reads entries from one `CheckedList`.
#[derive(Debug)]
pub struct CheckedList {
    issuer: String,
    signers: Vec<PublicKey>,
    purposes: Vec<String>,
    valid_from: Option<OffsetDateTime>,
    valid_until: Option<OffsetDateTime>,
    list: StatusList,
}

impl CheckedList {
    /// Checks a status list credential: type, issuer, proof (keys through `resolver`, signed
    /// by its issuer), dates, subject type, and decodes its `encodedList`.
    pub fn check(list_credential: &Value, resolver: &dyn KeyResolver) -> Result<Self, StatusError> {
        let verr = |m: String| StatusError::Verification(m);
        if !list_credential_type_ok(list_credential) {
            return Err(verr(
                "the document is not a BitstringStatusListCredential".into(),
            ));
        }
        // The list's own `id` is not compared with the URL it was fetched from: published lists
        // (e.g. the 1EdTech validator fixture) differ, and the issuer and signature checks below
        // are what make the list trustworthy.
        let issuer = issuer_id(list_credential)
            .ok_or_else(|| verr("the status list has no issuer".into()))?;
        let signers = match verify_document(list_credential, resolver) {
            ProofOutcome::Verified(proofs) => {
                if let Some(p) = proofs.iter().find(|p| p.controller != issuer) {
                    return Err(verr(format!(
                        "the status list is signed with a key of {}, not of its issuer",
                        clip(&p.controller)
                    )));
                }
                proofs.iter().map(|p| p.public_key).collect()
            }
            ProofOutcome::CouldNotCheck { message, .. } => {
                return Err(StatusError::Retrieval(format!(
                    "the status list's signing key could not be obtained: {message}"
                )))
            }
            other => {
                return Err(verr(format!(
                    "the status list's signature does not verify ({})",
                    other.code().unwrap_or("unknown")
                )))
            }
        };
        let date =
            |field: &str| -> Result<Option<OffsetDateTime>, StatusError> {
                match list_credential.get(field) {
                    None => Ok(None),
                    Some(v) => v.as_str().and_then(dates::parse).map(Some).ok_or_else(|| {
                        verr(format!("the status list's {field} is not a date-time"))
                    }),
                }
            };
        let (valid_from, valid_until) = (date("validFrom")?, date("validUntil")?);
        let subject = list_credential
            .get("credentialSubject")
            .ok_or_else(|| verr("the status list has no credentialSubject".into()))?;
        let subject_type_ok = match subject.get("type") {
            Some(Value::String(s)) => s == "BitstringStatusList",
            Some(Value::Array(a)) => a.iter().any(|t| t == "BitstringStatusList"),
            _ => false,
        };
        if !subject_type_ok {
            return Err(verr(
                "the list's subject is not a BitstringStatusList".into(),
            ));
        }
        let purposes = match subject.get("statusPurpose") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let encoded = subject
            .get("encodedList")
            .and_then(Value::as_str)
            .ok_or_else(|| StatusError::Malformed("the status list has no encodedList".into()))?;
        Ok(Self {
            issuer: issuer.to_owned(),
            signers,
            purposes,
            valid_from,
            valid_until,
            list: StatusList::decode(encoded)?,
        })
    }

    /// The list's issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Reads `entry` from this list: the list must come from `expected_issuer` (when given),
    /// be within its validity window at `now`, and have the entry's purpose.
    pub fn read(
        &self,
        entry: &StatusEntry,
        expected_issuer: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<StatusCheck, StatusError> {
        let verr = |m: String| StatusError::Verification(m);
        if let Some(expected) = expected_issuer {
            // A credential issued as a did:key may point at a list its key's other identity
            // (the issuer's did:web) publishes: the same key signed both, so the same party
            // speaks for both.
            let same_key = || resolve_did_key(expected).is_ok_and(|k| self.signers.contains(&k));
            if self.issuer != expected && !same_key() {
                return Err(wrong_issuer(&self.issuer));
            }
        }
        if let Some(t) = self.valid_from.filter(|t| *t > now) {
            return Err(verr(format!(
                "the status list is not valid until {}",
                dates::human(t)
            )));
        }
        if let Some(t) = self.valid_until.filter(|t| *t < now) {
            return Err(verr(format!(
                "the status list expired on {}",
                dates::human(t)
            )));
        }
        if !self.purposes.iter().any(|p| p == entry.purpose.as_str()) {
            return Err(verr(format!(
                "the list's statusPurpose does not match the entry's `{}`",
                entry.purpose.as_str()
            )));
        }
        let position = entry
            .index
            .checked_mul(u64::from(entry.status_size))
            .ok_or(StatusError::Range {
                index: entry.index,
                len: self.list.len(),
            })?;
        Ok(StatusCheck {
            purpose: entry.purpose,
            index: entry.index,
            set: self.list.get(position)?,
        })
    }
}
