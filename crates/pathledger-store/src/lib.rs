//! Durable storage on SQLite and PostgreSQL: issuance, revocation and the transparency log.
//!
//! One [`Store`] type serves both backends (chosen by the database URL). Every multi-row change
//! is one transaction; issuance allocates a status index, calls the caller's builder (which signs
//! with a [`SigningKeyHandle`] lent by the store), stores the exact signed bytes and appends the
//! log entry, all or nothing. The Merkle math lives in `pathledger-log`; this crate stores the
//! leaves, the perfect-subtree nodes and the signed tree heads.

mod accounts;
mod audit_bindings;
mod bulk_jobs;
mod checkpoint;
mod communities;
mod cosignatures;
mod credentials;
mod crypto;
mod definitions;
mod educators;
mod endorsers;
mod error;
mod evidence;
mod facts;
mod images;
mod issuance;
mod issuers;
mod log;
mod members;
mod milestones;
mod model;
mod notifications;
mod oid4vci;
mod oidc;
mod open;
mod orgs;
mod privacy;
mod rows;
pub mod scratch;
mod sql;
mod status;
mod store;
#[cfg(test)]
mod testutil;
mod trust;
mod users;
mod validate;
mod wallet_claims;

pub use accounts::{
    EmailLinkPurpose, Invitation, LinkRefusal, NewEmailLink, NewInvitation, UsedEmailLink,
};
pub use bulk_jobs::BulkJobRecord;
pub use credentials::{CredentialListing, CredentialPage};
pub use crypto::{recipient_identity_hash, sha256, Kek, SigningKeyHandle};
pub use error::StoreError;
pub use evidence::EvidenceFile;
pub use images::{HostedImage, ImageLink, ImageRef, ImageSubject, NewImage, MAX_IMAGE_BYTES};
pub use issuance::BULK_BATCH_SIZE;
pub use milestones::Milestone;
pub use model::*;
pub use oid4vci::{
    CreatedOid4vciOffer, GrantRefusal, NewOid4vciOffer, NonceRefusal, Oid4vciGrant, Oid4vciOffer,
    Oid4vciToken, MAX_TX_CODE_FAILURES, TX_CODE_LENGTH,
};
pub use oidc::{NewOidcLogin, NewOidcProvider, OidcLogin, OidcProvider};
pub use pathledger_log::{Hash, SignedTreeHead};
pub use sql::Backend;
pub use store::{Store, StoreConfig};
pub use trust::TrustedIssuer;
pub use wallet_claims::{ClaimSpend, WalletClaimRecord, MAX_HOLDER_DID};
