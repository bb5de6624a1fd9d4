//! Canonicalization (JCS, RDFC-1.0), Ed25519 keys, did:key and Data Integrity proofs.
//!
//! JSON in, JSON out: documents are `serde_json::Value`s exactly as received, proofs are
//! `DataIntegrityProof`s with `eddsa-jcs-2022` or `eddsa-rdfc-2022`, keys are Multikeys, and
//! nothing here touches the network (JSON-LD contexts are bundled, did:key resolves offline).

pub mod budget;
pub mod jcs;
pub mod keys;
pub mod proof;
pub mod rdfc;
pub mod resolver;

pub use budget::WorkBudget;
pub use jcs::{parse_strict, JcsError, ParseError};
pub use keys::{
    did_key_document, did_web_url, resolve_did_key, DidWebDocument, DidWebKey, KeyError, KeyStatus,
    PublicKey, SigningKey,
};
pub use proof::{
    codes, is_date_time_stamp, sign_document, sign_document_to_string, verify_batch,
    verify_document, verify_document_expecting, verify_document_within, Cryptosuite,
    JcsProofTemplate, ProofExpectations, ProofOptions, ProofOutcome, SignError, UnknownCryptosuite,
    VerifiedProof,
};
pub use rdfc::RdfcError;
pub use resolver::{
    ChainResolver, DidKeyResolver, KeyResolver, ResolveError, ResolvedKey, StaticResolver,
};
