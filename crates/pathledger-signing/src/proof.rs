//! Data Integrity `DataIntegrityProof` with the eddsa-jcs-2022 and eddsa-rdfc-2022 cryptosuites.
//!
//! Signing and verification both work on the JSON value as received: the proof is split off,
//! the rest canonicalized (JCS or RDFC-1.0), and hashData = SHA-256(canonical proof
//! configuration) ‖ SHA-256(canonical document) is signed with pure Ed25519.

use crate::budget::WorkBudget;
use crate::jcs;
use crate::keys::SigningKey;
use crate::rdfc::{self, RdfcError};
use crate::resolver::{KeyResolver, ResolveError};
use rayon::prelude::*;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// The two supported cryptosuites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Cryptosuite {
    /// JCS (RFC 8785) canonicalization.
    #[serde(rename = "eddsa-jcs-2022")]
    EddsaJcs2022,
    /// RDF Dataset Canonicalization (RDFC-1.0) of the JSON-LD.
    #[serde(rename = "eddsa-rdfc-2022")]
    EddsaRdfc2022,
}

impl Cryptosuite {
    /// The spec name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EddsaJcs2022 => "eddsa-jcs-2022",
            Self::EddsaRdfc2022 => "eddsa-rdfc-2022",
        }
    }
}

impl fmt::Display for Cryptosuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A cryptosuite name we do not implement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown cryptosuite `{0}`")]
pub struct UnknownCryptosuite(pub String);

impl FromStr for Cryptosuite {
    type Err = UnknownCryptosuite;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "eddsa-jcs-2022" => Ok(Self::EddsaJcs2022),
            "eddsa-rdfc-2022" => Ok(Self::EddsaRdfc2022),
            other => Err(UnknownCryptosuite(other.chars().take(100).collect())),
        }
    }
}

/// What goes into a new proof besides the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofOptions {
    /// Which suite.
    pub cryptosuite: Cryptosuite,
    /// The key URL, e.g. `did:key:z6Mk…#z6Mk…` or `did:web:example.org#key-2`.
    pub verification_method: String,
    /// `created` (XML Schema dateTimeStamp), if any.
    pub created: Option<String>,
    /// Usually `assertionMethod` (`authentication` for a holder's presentation).
    pub proof_purpose: String,
    /// The verifier's challenge (a holder's proof), if any.
    pub challenge: Option<String>,
    /// The domain the proof is made for (a holder's proof), if any.
    pub domain: Option<String>,
}

impl ProofOptions {
    /// Options for an assertion proof with no `created`.
    pub fn assertion(cryptosuite: Cryptosuite, verification_method: impl Into<String>) -> Self {
        Self {
            cryptosuite,
            verification_method: verification_method.into(),
            created: None,
            proof_purpose: "assertionMethod".into(),
            challenge: None,
            domain: None,
        }
    }
}

/// Why a proof could not be made (`PROOF_GENERATION_ERROR`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The document is not a JSON object.
    #[error("PROOF_GENERATION_ERROR: the document must be a JSON object")]
    NotAnObject,
    /// `created` is not a dateTimeStamp.
    #[error("PROOF_GENERATION_ERROR: `created` is not an XML Schema dateTimeStamp: {0}")]
    InvalidCreated(String),
    /// Empty verification method or purpose.
    #[error("PROOF_GENERATION_ERROR: {0}")]
    InvalidOptions(String),
    /// The existing `proof` member is neither an object nor an array of objects.
    #[error("PROOF_GENERATION_ERROR: existing `proof` is malformed")]
    MalformedExistingProof,
    /// JCS failed (non-finite number).
    #[error("PROOF_GENERATION_ERROR: {0}")]
    Jcs(#[from] jcs::JcsError),
    /// RDFC failed (safe-mode data loss, unknown context, …).
    #[error("{0}")]
    Rdfc(#[from] RdfcError),
}

/// One proof that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    /// Its proof type: `DataIntegrityProof`, or the legacy `Ed25519Signature2020`.
    pub proof_type: &'static str,
    /// Its suite. An `Ed25519Signature2020` proof reports `eddsa-rdfc-2022`, whose
    /// canonicalization (RDFC-1.0 = URDNA2015), hashing and Ed25519 signature it shares.
    pub cryptosuite: Cryptosuite,
    /// The key URL it names.
    pub verification_method: String,
    /// The key's controller as resolved (compare with the issuer).
    pub controller: String,
    /// The key that signed.
    pub public_key: crate::keys::PublicKey,
}

/// Stable error codes carried by [`ProofOutcome`].
pub mod codes {
    /// Bad signature, tampered document, wrong key, or a proof value that is not 64 bytes.
    pub const PROOF_VERIFICATION_ERROR: &str = "PROOF_VERIFICATION_ERROR";
    /// Not a JSON object, or a proof missing required members.
    pub const PARSING_ERROR: &str = "PARSING_ERROR";
    /// The document has no `proof`.
    pub const NO_PROOF: &str = "NO_PROOF";
    /// A proof type or cryptosuite we do not implement.
    pub const UNKNOWN_CRYPTOSUITE: &str = "UNKNOWN_CRYPTOSUITE";
    /// Safe-mode JSON-LD would drop data (rdfc).
    pub const DATA_LOSS_DETECTION_ERROR: &str = "DATA_LOSS_DETECTION_ERROR";
    /// The JSON-LD is invalid or could not be canonicalized (rdfc).
    pub const CANONICALIZATION_ERROR: &str = "CANONICALIZATION_ERROR";
    /// A context that is not bundled (we never fetch contexts).
    pub const CONTEXT_UNAVAILABLE: &str = "CONTEXT_UNAVAILABLE";
    /// The verification method could not be resolved to a key.
    pub const KEY_RESOLUTION_ERROR: &str = "KEY_RESOLUTION_ERROR";
    /// The request's canonicalization work budget was spent on earlier documents (rdfc).
    pub const WORK_BUDGET_SPENT: &str = "WORK_BUDGET_SPENT";
    /// A proof's `domain` does not include the one the verifier expects.
    pub const INVALID_DOMAIN_ERROR: &str = "INVALID_DOMAIN_ERROR";
    /// A proof's `challenge` is not the one the verifier expects.
    pub const INVALID_CHALLENGE_ERROR: &str = "INVALID_CHALLENGE_ERROR";
}

/// What the verifier expects of every proof (Data Integrity "Verify Proof" options). The
/// default expects nothing beyond a well-formed, genuine proof.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProofExpectations<'a> {
    /// The `proofPurpose` every proof must have (`authentication` for a holder's proof).
    pub purpose: Option<&'a str>,
    /// The `challenge` every proof must carry.
    pub challenge: Option<&'a str>,
    /// A `domain` every proof must carry (its `domain` is a string or a list including it).
    pub domain: Option<&'a str>,
}

/// The result of checking every proof on a document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofOutcome {
    /// Every proof verified (in document order).
    Verified(Vec<VerifiedProof>),
    /// Tampered or badly signed.
    Invalid {
        /// A [`codes`] value.
        code: &'static str,
        /// Plain-language reason.
        message: String,
    },
    /// Not checkable as given: no proof, unknown suite, data loss, parse errors.
    Malformed {
        /// A [`codes`] value.
        code: &'static str,
        /// Plain-language reason.
        message: String,
    },
    /// Could not check now (e.g. the key could not be resolved).
    CouldNotCheck {
        /// A [`codes`] value.
        code: &'static str,
        /// Plain-language reason.
        message: String,
    },
}

impl ProofOutcome {
    /// Whether every proof verified.
    pub fn is_verified(&self) -> bool {
        matches!(self, Self::Verified(_))
    }

    /// The error code, if not verified.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::Verified(_) => None,
            Self::Invalid { code, .. }
            | Self::Malformed { code, .. }
            | Self::CouldNotCheck { code, .. } => Some(code),
        }
    }

    fn severity(&self) -> u8 {
        match self {
            Self::Invalid { .. } => 3,
            Self::Malformed { .. } => 2,
            Self::CouldNotCheck { .. } => 1,
            Self::Verified(_) => 0,
        }
    }
}

fn invalid(message: impl Into<String>) -> ProofOutcome {
    ProofOutcome::Invalid {
        code: codes::PROOF_VERIFICATION_ERROR,
        message: message.into(),
    }
}

fn malformed(code: &'static str, message: impl Into<String>) -> ProofOutcome {
    ProofOutcome::Malformed {
        code,
        message: message.into(),
    }
}

fn rdfc_outcome(e: RdfcError) -> ProofOutcome {
    match e {
        RdfcError::DataLoss(m) => malformed(
            codes::DATA_LOSS_DETECTION_ERROR,
            format!("the credential uses data its contexts do not define: {m}"),
        ),
        RdfcError::ContextUnavailable(u) => ProofOutcome::CouldNotCheck {
            code: codes::CONTEXT_UNAVAILABLE,
            message: format!(
                "the credential needs the JSON-LD context {u}, which is not available offline"
            ),
        },
        RdfcError::WorkBudgetSpent => ProofOutcome::CouldNotCheck {
            code: codes::WORK_BUDGET_SPENT,
            message: "this request's canonicalization work budget was spent on the credentials before this one; verify it in a request of its own".into(),
        },
        other => malformed(codes::CANONICALIZATION_ERROR, other.to_string()),
    }
}

/// Whether `s` is an XML Schema dateTimeStamp (`YYYY-MM-DDThh:mm:ss[.f+](Z|±hh:mm)`).
pub fn is_date_time_stamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || b[10] != b'T'
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let num =
        |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok()).unwrap_or(99);
    if !(1..=12).contains(&num(5..7))
        || !(1..=31).contains(&num(8..10))
        || num(11..13) > 24
        || num(14..16) > 59
        || num(17..19) > 60
    {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z'] => true,
        [sign, h1, h2, b':', m1, m2] if (*sign == b'+' || *sign == b'-') => {
            [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// hashData for a proof configuration and a document given as an object whose `proof`
/// member (if any) is ignored.
/// The hash a proof signs, and the canonical form of the document (JSON for eddsa-jcs-2022,
/// N-Quads for eddsa-rdfc-2022).
fn hash_data(
    suite: Cryptosuite,
    proof_config: &Value,
    document: &Map<String, Value>,
    budget: &WorkBudget,
) -> Result<([u8; 64], Vec<u8>), SignError> {
    let (proof_canon, doc_canon) = match suite {
        Cryptosuite::EddsaJcs2022 => (
            jcs::canonicalize_bytes(proof_config)?,
            jcs::canonicalize_object_excluding(document, "proof")?,
        ),
        Cryptosuite::EddsaRdfc2022 => (
            rdfc::canonicalize_within(proof_config, budget)?.into_bytes(),
            rdfc::canonicalize_excluding_within(document, "proof", budget)?.into_bytes(),
        ),
    };
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&Sha256::digest(&proof_canon));
    out[32..].copy_from_slice(&Sha256::digest(&doc_canon));
    Ok((out, doc_canon))
}

fn encode_proof_value(sig: &[u8; 64]) -> String {
    format!("z{}", bs58::encode(sig).into_string())
}

/// Signs `doc` and returns it with the new proof added. An existing `proof` becomes a proof
/// set (the new proof covers the document without any existing proofs, as proof sets do).
pub fn sign_document(
    doc: &Value,
    key: &SigningKey,
    opts: &ProofOptions,
) -> Result<Value, SignError> {
    let map = doc.as_object().ok_or(SignError::NotAnObject)?;
    let (proof, _) = new_proof(map, key, opts)?;
    let mut out = map.clone();
    // Take the old proof in place (not `remove`, which would reorder the members).
    let new_proof = match out.get_mut("proof").map(std::mem::take) {
        None | Some(Value::Null) => Value::Object(proof),
        Some(Value::Object(p)) => Value::Array(vec![Value::Object(p), Value::Object(proof)]),
        Some(Value::Array(mut set)) if set.iter().all(Value::is_object) => {
            set.push(Value::Object(proof));
            Value::Array(set)
        }
        Some(_) => return Err(SignError::MalformedExistingProof),
    };
    out.insert("proof".into(), new_proof);
    Ok(Value::Object(out))
}

/// [`sign_document`], serialized. For eddsa-jcs-2022 and a document without a proof this is
/// the canonical form that was hashed with the proof appended as its last member: the same
/// credential (equal as JSON) without copying the document or serializing it a second time.
/// Otherwise it is `sign_document`'s result as compact JSON.
pub fn sign_document_to_string(
    doc: &Value,
    key: &SigningKey,
    opts: &ProofOptions,
) -> Result<String, SignError> {
    let map = doc.as_object().ok_or(SignError::NotAnObject)?;
    if opts.cryptosuite != Cryptosuite::EddsaJcs2022 || map.contains_key("proof") {
        let signed = sign_document(doc, key, opts)?;
        return serde_json::to_string(&signed)
            .map_err(|e| SignError::InvalidOptions(format!("cannot serialize: {e}")));
    }
    let (proof, out) = new_proof(map, key, opts)?;
    with_proof(out, |out| {
        jcs::canonicalize_into(&Value::Object(proof), out)
    })
}

/// The canonical text of an object (`{…}`, no `proof` member) with a `proof` member appended as
/// its last, written by `proof`.
fn with_proof(
    mut canonical: Vec<u8>,
    proof: impl FnOnce(&mut Vec<u8>) -> Result<(), jcs::JcsError>,
) -> Result<String, SignError> {
    if canonical.first() != Some(&b'{') || canonical.pop() != Some(b'}') {
        return Err(SignError::NotAnObject);
    }
    if canonical.len() > 1 {
        canonical.push(b',');
    }
    canonical.extend_from_slice(b"\"proof\":");
    proof(&mut canonical)?;
    canonical.push(b'}');
    // Built from `str` data and ASCII only.
    String::from_utf8(canonical).map_err(|_| SignError::NotAnObject)
}

/// The proof for `map` under `opts`, and the canonical form of `map` it signs.
fn new_proof(
    map: &Map<String, Value>,
    key: &SigningKey,
    opts: &ProofOptions,
) -> Result<(Map<String, Value>, Vec<u8>), SignError> {
    let (mut proof, config) = proof_parts(map.get("@context"), opts)?;
    let (hash, canonical) = hash_data(
        opts.cryptosuite,
        &Value::Object(config),
        map,
        &WorkBudget::unlimited(),
    )?;
    let sig = key.sign_raw(&hash);
    proof.insert("proofValue".into(), Value::String(encode_proof_value(&sig)));
    Ok((proof, canonical))
}

type JsonObject = Map<String, Value>;

/// For a document whose `@context` is `context`: the new proof's members but `proofValue`
/// (eddsa-jcs-2022 keeps the `@context` in the proof, rdfc does not), and the proof
/// configuration that is hashed.
fn proof_parts(
    context: Option<&Value>,
    opts: &ProofOptions,
) -> Result<(JsonObject, JsonObject), SignError> {
    if opts.verification_method.trim().is_empty() {
        return Err(SignError::InvalidOptions("empty verificationMethod".into()));
    }
    if opts.proof_purpose.trim().is_empty() {
        return Err(SignError::InvalidOptions("empty proofPurpose".into()));
    }
    if let Some(c) = &opts.created {
        if !is_date_time_stamp(c) {
            return Err(SignError::InvalidCreated(c.clone()));
        }
    }
    let mut proof = Map::new();
    proof.insert("type".into(), Value::String("DataIntegrityProof".into()));
    proof.insert(
        "cryptosuite".into(),
        Value::String(opts.cryptosuite.as_str().into()),
    );
    if let Some(c) = &opts.created {
        proof.insert("created".into(), Value::String(c.clone()));
    }
    proof.insert(
        "verificationMethod".into(),
        Value::String(opts.verification_method.clone()),
    );
    proof.insert(
        "proofPurpose".into(),
        Value::String(opts.proof_purpose.clone()),
    );
    if let Some(c) = &opts.challenge {
        proof.insert("challenge".into(), Value::String(c.clone()));
    }
    if let Some(d) = &opts.domain {
        proof.insert("domain".into(), Value::String(d.clone()));
    }
    let mut config = proof.clone();
    if let Some(ctx) = context {
        config.insert("@context".into(), ctx.clone());
        if opts.cryptosuite == Cryptosuite::EddsaJcs2022 {
            let mut with_ctx = Map::new();
            with_ctx.insert("@context".into(), ctx.clone());
            with_ctx.extend(proof);
            proof = with_ctx;
        }
    }
    Ok((proof, config))
}

/// eddsa-jcs-2022 proofs for many documents that share their `@context` and proof options (the
/// credentials of a bulk issuance): the proof configuration is canonicalized and hashed once,
/// and the proof's canonical text is ready but for its `proofValue`. With the documents'
/// canonical forms from a [`jcs::Template`], nothing is canonicalized per document but the
/// values that differ.
#[derive(Debug, Clone)]
pub struct JcsProofTemplate {
    config_hash: [u8; 32],
    proof: jcs::Template,
}

impl JcsProofTemplate {
    /// Proofs under `opts` (an eddsa-jcs-2022 suite) for documents whose `@context` is
    /// `context`.
    pub fn new(context: Option<&Value>, opts: &ProofOptions) -> Result<Self, SignError> {
        if opts.cryptosuite != Cryptosuite::EddsaJcs2022 {
            return Err(SignError::InvalidOptions(format!(
                "a JCS proof template signs eddsa-jcs-2022 only, not {}",
                opts.cryptosuite
            )));
        }
        let (mut proof, config) = proof_parts(context, opts)?;
        let config_hash = Sha256::digest(jcs::canonicalize_bytes(&Value::Object(config))?).into();
        proof.insert("proofValue".into(), Value::Null);
        let proof = jcs::Template::new(&Value::Object(proof), &["/proofValue"])?
            .ok_or_else(|| SignError::InvalidOptions("no place for proofValue".into()))?;
        Ok(Self { config_hash, proof })
    }

    /// Signs the document whose canonical form is `canonical` (a JSON object with no `proof`
    /// member and the `@context` this template was made for) and returns what
    /// [`sign_document_to_string`] returns for that document: the same bytes.
    pub fn sign(&self, canonical: Vec<u8>, key: &SigningKey) -> Result<String, SignError> {
        if canonical.first() != Some(&b'{') || canonical.last() != Some(&b'}') {
            return Err(SignError::NotAnObject);
        }
        let mut hash = [0u8; 64];
        hash[..32].copy_from_slice(&self.config_hash);
        hash[32..].copy_from_slice(&Sha256::digest(&canonical));
        let value = Value::String(encode_proof_value(&key.sign_raw(&hash)));
        with_proof(canonical, |out| self.proof.fill(&[&value], out))
    }
}

/// Verifies every proof on `doc` (as received). All must verify; a proof in an unknown suite
/// is a failure. With several failures the most severe is reported (invalid, then malformed,
/// then could-not-check).
pub fn verify_document(doc: &Value, resolver: &dyn KeyResolver) -> ProofOutcome {
    verify_document_within(doc, resolver, &WorkBudget::unlimited())
}

/// [`verify_document`], paying any RDFC hash N-degree quads work from `budget` (shared by every
/// document of one request). Once it is spent, a document that needs such work is
/// [`ProofOutcome::CouldNotCheck`] with [`codes::WORK_BUDGET_SPENT`].
pub fn verify_document_within(
    doc: &Value,
    resolver: &dyn KeyResolver,
    budget: &WorkBudget,
) -> ProofOutcome {
    verify_document_expecting(doc, resolver, budget, &ProofExpectations::default())
}

/// [`verify_document_within`] with what every proof must carry (purpose, challenge, domain).
///
/// Proof sets and chains (VC Data Integrity §4.5): every proof must verify. A proof without
/// `previousProof` covers the document without any proof; a proof naming previous proofs (by
/// their `id`) covers the document with `proof` set to exactly those proofs (one object when
/// `previousProof` is a string, a list when it is a list), and a name that matches no proof is
/// a verification failure.
pub fn verify_document_expecting(
    doc: &Value,
    resolver: &dyn KeyResolver,
    budget: &WorkBudget,
    expect: &ProofExpectations<'_>,
) -> ProofOutcome {
    let Some(map) = doc.as_object() else {
        return malformed(codes::PARSING_ERROR, "the credential is not a JSON object");
    };
    let proofs: Vec<&Value> = match map.get("proof") {
        None | Some(Value::Null) => {
            return malformed(
                codes::NO_PROOF,
                "the credential has no proof (it is not signed)",
            )
        }
        Some(Value::Array(a)) if a.is_empty() => {
            return malformed(codes::NO_PROOF, "the credential has an empty proof set")
        }
        Some(Value::Array(a)) => a.iter().collect(),
        Some(p) => vec![p],
    };
    let mut verified = Vec::with_capacity(proofs.len());
    let mut worst: Option<ProofOutcome> = None;
    for proof in &proofs {
        let outcome = match chained_document(map, proof, &proofs) {
            Ok(None) => verify_one(
                Unsecured::WithoutProof(map),
                proof,
                resolver,
                budget,
                expect,
            ),
            Ok(Some(with_previous)) => verify_one(
                Unsecured::AsIs(&with_previous),
                proof,
                resolver,
                budget,
                expect,
            ),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(v) => verified.push(v),
            Err(outcome) => {
                if worst
                    .as_ref()
                    .is_none_or(|w| outcome.severity() > w.severity())
                {
                    worst = Some(outcome);
                }
            }
        }
    }
    worst.unwrap_or(ProofOutcome::Verified(verified))
}

/// For a proof with `previousProof`: the document it covers (the document with `proof` set to
/// the proofs it names). `None` for a proof that names none.
fn chained_document(
    map: &Map<String, Value>,
    proof: &Value,
    all: &[&Value],
) -> Result<Option<Value>, ProofOutcome> {
    let find = |id: &str| -> Result<Value, ProofOutcome> {
        all.iter()
            .find(|p| p.get("id").and_then(Value::as_str) == Some(id))
            .map(|p| (*p).clone())
            .ok_or_else(|| {
                invalid(format!(
                    "a proof names a previous proof `{}` that is not in the proof set",
                    clip(id)
                ))
            })
    };
    let previous = match proof.get("previousProof") {
        None => return Ok(None),
        Some(Value::String(id)) => find(id)?,
        Some(Value::Array(ids)) => Value::Array(
            ids.iter()
                .map(|id| {
                    id.as_str().map(find).unwrap_or_else(|| {
                        Err(malformed(
                            codes::PARSING_ERROR,
                            "`previousProof` must be a proof id or a list of proof ids",
                        ))
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => {
            return Err(malformed(
                codes::PARSING_ERROR,
                "`previousProof` must be a proof id or a list of proof ids",
            ))
        }
    };
    let mut doc = map.clone();
    doc.insert("proof".into(), previous);
    Ok(Some(Value::Object(doc)))
}

/// The document a proof covers: the received one without its `proof` member, or (for a proof
/// in a chain) a document to canonicalize whole.
#[derive(Clone, Copy)]
enum Unsecured<'a> {
    WithoutProof(&'a Map<String, Value>),
    AsIs(&'a Value),
}

impl Unsecured<'_> {
    fn context(&self) -> Option<&Value> {
        match self {
            Self::WithoutProof(m) => m.get("@context"),
            Self::AsIs(v) => v.get("@context"),
        }
    }
}

/// The legacy proof type the Learner Credential Wallet signs presentations with: the same
/// canonicalization (URDNA2015, which RDFC-1.0 is), hashes and Ed25519 signature as
/// eddsa-rdfc-2022, with the document's `@context` in the hashed proof options.
const ED25519_SIGNATURE_2020: &str = "Ed25519Signature2020";

fn verify_one(
    unsecured: Unsecured<'_>,
    proof: &Value,
    resolver: &dyn KeyResolver,
    budget: &WorkBudget,
    expect: &ProofExpectations<'_>,
) -> Result<VerifiedProof, ProofOutcome> {
    let p = proof
        .as_object()
        .ok_or_else(|| malformed(codes::PARSING_ERROR, "a proof is not a JSON object"))?;
    let get_str = |name: &str| p.get(name).and_then(Value::as_str);
    let (proof_type, suite) = match get_str("type") {
        Some("DataIntegrityProof") => match get_str("cryptosuite") {
            Some(s) => (
                "DataIntegrityProof",
                s.parse().map_err(|e: UnknownCryptosuite| {
                    malformed(codes::UNKNOWN_CRYPTOSUITE, e.to_string())
                })?,
            ),
            None => {
                return Err(malformed(
                    codes::PARSING_ERROR,
                    "a proof has no `cryptosuite`",
                ))
            }
        },
        Some(ED25519_SIGNATURE_2020) => (ED25519_SIGNATURE_2020, Cryptosuite::EddsaRdfc2022),
        Some(other) => {
            return Err(malformed(
                codes::UNKNOWN_CRYPTOSUITE,
                format!("proof type `{}` is not supported", clip(other)),
            ))
        }
        None => return Err(malformed(codes::PARSING_ERROR, "a proof has no `type`")),
    };
    let vm = get_str("verificationMethod")
        .ok_or_else(|| malformed(codes::PARSING_ERROR, "a proof has no `verificationMethod`"))?;
    let Some(purpose) = get_str("proofPurpose") else {
        return Err(malformed(
            codes::PARSING_ERROR,
            "a proof has no `proofPurpose`",
        ));
    };
    check_expectations(p, purpose, expect)?;
    if let Some(c) = p.get("created") {
        if !c.as_str().is_some_and(is_date_time_stamp) {
            return Err(malformed(
                codes::PARSING_ERROR,
                "the proof's `created` is not a valid date-time",
            ));
        }
    }
    let proof_value = get_str("proofValue")
        .ok_or_else(|| malformed(codes::PARSING_ERROR, "a proof has no `proofValue`"))?;
    let sig = decode_proof_value(proof_value).ok_or_else(|| {
        invalid("the signature value is not a base58btc-encoded 64-byte Ed25519 signature")
    })?;

    let doc_ctx = unsecured.context();
    if let Some(proof_ctx) = p.get("@context") {
        if !context_is_prefix(proof_ctx, doc_ctx) {
            return Err(invalid(
                "the proof's @context does not match the start of the credential's @context",
            ));
        }
    }
    let to_outcome = |e: SignError| match e {
        SignError::Rdfc(r) => rdfc_outcome(r),
        other => malformed(codes::PARSING_ERROR, other.to_string()),
    };
    // The proof configuration is the proof without its value: for JCS canonicalized in place
    // (no copy); for RDFC (and Ed25519Signature2020) with the document's context.
    let proof_canon = match suite {
        Cryptosuite::EddsaJcs2022 => {
            jcs::canonicalize_object_excluding(p, "proofValue").map_err(|e| to_outcome(e.into()))?
        }
        Cryptosuite::EddsaRdfc2022 => {
            let mut config = p.clone();
            config.remove("proofValue");
            match doc_ctx {
                Some(ctx) => {
                    config.insert("@context".into(), ctx.clone());
                }
                None => {
                    config.remove("@context");
                }
            }
            rdfc::canonicalize_within(&Value::Object(config), budget)
                .map_err(|e| to_outcome(e.into()))?
                .into_bytes()
        }
    };
    let doc_canon = match (suite, unsecured) {
        (Cryptosuite::EddsaJcs2022, Unsecured::WithoutProof(map)) => {
            jcs::canonicalize_object_excluding(map, "proof").map_err(|e| to_outcome(e.into()))?
        }
        (Cryptosuite::EddsaJcs2022, Unsecured::AsIs(doc)) => {
            jcs::canonicalize_bytes(doc).map_err(|e| to_outcome(e.into()))?
        }
        (Cryptosuite::EddsaRdfc2022, Unsecured::WithoutProof(map)) => {
            rdfc::canonicalize_excluding_within(map, "proof", budget)
                .map_err(|e| to_outcome(e.into()))?
                .into_bytes()
        }
        (Cryptosuite::EddsaRdfc2022, Unsecured::AsIs(doc)) => {
            rdfc::canonicalize_within(doc, budget)
                .map_err(|e| to_outcome(e.into()))?
                .into_bytes()
        }
    };
    let mut hash = [0u8; 64];
    hash[..32].copy_from_slice(&Sha256::digest(&proof_canon));
    hash[32..].copy_from_slice(&Sha256::digest(&doc_canon));

    let resolved = resolver
        .resolve(vm)
        .map_err(|e| ProofOutcome::CouldNotCheck {
            code: codes::KEY_RESOLUTION_ERROR,
            message: match e {
                ResolveError::NotFound(m) => format!("the signing key could not be found: {m}"),
                ResolveError::Unsupported(m) => {
                    format!("the signing key's method cannot be resolved here: {m}")
                }
                ResolveError::Unavailable(m) => {
                    format!("the signing key could not be fetched right now: {m}")
                }
            },
        })?;
    if !resolved.public_key.verify_raw(&hash, &sig) {
        return Err(invalid(
            "the signature does not match: the credential was changed after signing or signed with a different key",
        ));
    }
    Ok(VerifiedProof {
        proof_type,
        cryptosuite: suite,
        verification_method: vm.to_string(),
        controller: resolved.controller,
        public_key: resolved.public_key,
    })
}

/// The proof's purpose, challenge and domain against what the verifier expects.
fn check_expectations(
    p: &Map<String, Value>,
    purpose: &str,
    expect: &ProofExpectations<'_>,
) -> Result<(), ProofOutcome> {
    if let Some(want) = expect.purpose {
        if purpose != want {
            return Err(invalid(format!(
                "the proof's purpose is `{}`, not `{want}`",
                clip(purpose)
            )));
        }
    }
    if let Some(want) = expect.challenge {
        if p.get("challenge").and_then(Value::as_str) != Some(want) {
            return Err(ProofOutcome::Invalid {
                code: codes::INVALID_CHALLENGE_ERROR,
                message: "the proof does not carry the challenge this verification expects (it may be replayed from another exchange)".into(),
            });
        }
    }
    if let Some(want) = expect.domain {
        let ok = match p.get("domain") {
            Some(Value::String(d)) => d == want,
            Some(Value::Array(ds)) => ds.iter().any(|d| d == want),
            _ => false,
        };
        if !ok {
            return Err(ProofOutcome::Invalid {
                code: codes::INVALID_DOMAIN_ERROR,
                message: format!("the proof was not made for the domain `{}`", clip(want)),
            });
        }
    }
    Ok(())
}

fn clip(s: &str) -> String {
    s.chars().take(100).collect()
}

fn decode_proof_value(s: &str) -> Option<[u8; 64]> {
    let body = s.strip_prefix('z')?;
    // 64 bytes encode to at most 88 base58 characters; refuse oversized input before decoding.
    if body.len() > 90 {
        return None;
    }
    let bytes = bs58::decode(body).into_vec().ok()?;
    bytes.try_into().ok()
}

fn context_is_prefix(proof_ctx: &Value, doc_ctx: Option<&Value>) -> bool {
    let as_list = |v: &Value| -> Vec<Value> {
        match v {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        }
    };
    let Some(doc_ctx) = doc_ctx else {
        return false;
    };
    let p = as_list(proof_ctx);
    let d = as_list(doc_ctx);
    p.len() <= d.len() && p.iter().zip(d.iter()).all(|(a, b)| a == b)
}

/// Verifies many documents on all cores.
pub fn verify_batch(docs: &[Value], resolver: &dyn KeyResolver) -> Vec<ProofOutcome> {
    docs.par_iter()
        .map(|d| verify_document(d, resolver))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_names_round_trip() {
        for s in [Cryptosuite::EddsaJcs2022, Cryptosuite::EddsaRdfc2022] {
            assert_eq!(s.to_string().parse::<Cryptosuite>().unwrap(), s);
            let j = serde_json::to_value(s).unwrap();
            assert_eq!(j, Value::String(s.to_string()));
            assert_eq!(serde_json::from_value::<Cryptosuite>(j).unwrap(), s);
        }
        assert!("ecdsa-rdfc-2019".parse::<Cryptosuite>().is_err());
    }

    #[test]
    fn date_time_stamps() {
        for ok in [
            "2023-02-24T23:36:38Z",
            "2024-01-01T00:00:00.123Z",
            "2024-01-01T00:00:00+05:30",
        ] {
            assert!(is_date_time_stamp(ok), "{ok}");
        }
        for bad in [
            "2023-02-24",
            "2023-02-24T23:36:38",
            "2023-13-24T23:36:38Z",
            "2023-02-24T23:36:38.Z",
            "x",
        ] {
            assert!(!is_date_time_stamp(bad), "{bad}");
        }
    }

    #[test]
    fn proof_value_decoding() {
        let sig = [7u8; 64];
        assert_eq!(decode_proof_value(&encode_proof_value(&sig)), Some(sig));
        assert_eq!(decode_proof_value("z111"), None);
        assert_eq!(decode_proof_value("abc"), None);
        assert_eq!(decode_proof_value(&format!("z{}", "2".repeat(500))), None);
    }
}
