//! Open Badges 3.0 and CLR 2.0 documents, Bitstring status lists and verification reports.
//!
//! Builders ([`ob::open_badge_credential`], [`ob::endorsement_credential`],
//! [`clr::clr_credential`], [`status::status_list_credential`]) return unsigned JSON that the
//! caller signs with `pathledger_signing::sign_document`. [`verify::Verifier`] checks any OB 3.0 /
//! VC 2.0 credential and explains the result in plain language.

pub mod clr;
pub mod dates;
pub mod emblem;
pub mod fetch;
pub mod formats;
pub mod holder;
pub mod input;
pub mod jose;
pub mod ob;
pub mod personal;
pub mod presentation;
pub mod schema;
pub mod status;
mod text;
pub mod trust;
mod vc;
pub mod verify;

pub use clr::{clr_credential, stack_associations, Association, AssociationType, ClrInput};
pub use emblem::{emblem_png, emblem_svg};
pub use holder::{email_matches, EmailMatch};
pub use input::{bake_png, bake_svg, read_input, InputError, MAX_INPUT_BYTES};
pub use ob::{
    endorsement_credential, identity_hash, open_badge_credential, recipient_fields,
    AchievementInput, Alignment, BuildError, Criteria, EndorsementInput, EvidenceInput, Image,
    IssuerProfile, OpenBadgeInput, SubjectIdentifier,
};
pub use personal::{
    personalize, put_identity_hash, CanonicalTemplate, Personal, StatusSlot, TemplateError,
};
pub use presentation::{
    is_presentation, PresentationCheck, PresentationOptions, PresentationReport,
    MAX_PRESENTED_CREDENTIALS,
};
pub use schema::{SchemaError, SchemaKind};
pub use status::{
    allocate_index, check_status, status_list_credential, CheckedList, StatusCheck, StatusEntry,
    StatusError, StatusList, StatusListCredentialInput, StatusPurpose,
};
pub use vc::is_uri;
pub use verify::{
    CheckName, CheckResult, CheckStatus, FetchError, Fetcher, Listing, NoFetcher, StaticFetcher,
    TrustList, Verdict, VerificationReport, Verifier,
};
