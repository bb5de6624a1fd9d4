//! Public record types the store reads and writes.

use serde::{Deserialize, Serialize};

use crate::crypto::SigningKeyHandle;
use crate::error::StoreError;

/// Declares a string id newtype: parsed nowhere (ids are opaque), but typed, so an organization
/// id cannot be passed where an educator or user id is expected. Reads as `&str` (`Deref`).
macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// The id as owned text.
            pub fn into_string(self) -> String {
                self.0
            }
        }
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
        impl From<&String> for $name {
            fn from(s: &String) -> Self {
                Self(s.clone())
            }
        }
        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.clone()
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }
    };
}

id_type!(
    /// An organization's id.
    OrgId
);
id_type!(
    /// An educator record's id (one record per organization).
    EducatorId
);
id_type!(
    /// A user account's id.
    UserId
);

/// An access role: what a user may do in an organization (granted per organization; not a
/// career role of the pathway lattice, which is `pathledger_core::CareerRole`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessRole {
    /// Manages the organization, its members and issuers.
    OrgAdmin,
    /// Issues, renews, revokes credentials.
    Issuer,
    /// Reviews evidence submissions assigned to them (mentor, coach).
    Assessor,
    /// District verifier (HR, hiring).
    Verifier,
    /// An educator holding credentials.
    Educator,
}

impl AccessRole {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessRole::OrgAdmin => "org_admin",
            AccessRole::Issuer => "issuer",
            AccessRole::Assessor => "assessor",
            AccessRole::Verifier => "verifier",
            AccessRole::Educator => "educator",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "org_admin" => AccessRole::OrgAdmin,
            "issuer" => AccessRole::Issuer,
            "assessor" => AccessRole::Assessor,
            "verifier" => AccessRole::Verifier,
            "educator" => AccessRole::Educator,
            other => {
                return Err(StoreError::invalid(
                    "role",
                    format!("unknown role {other:?}"),
                ))
            }
        })
    }
}

/// An organization; a district may contain schools (`parent_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// Identifier.
    pub id: OrgId,
    /// Containing organization, if any.
    pub parent_id: Option<String>,
    /// Display name.
    pub name: String,
    /// Free-form kind: `district`, `school`, `program`, `provider`, …
    pub kind: String,
    /// Creation time, ms since epoch.
    pub created_ms: i64,
}

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Identifier.
    pub id: UserId,
    /// Sign-in email (lower-cased).
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// The educator records this user is, at most one per organization, oldest link first.
    /// Records of different organizations are joined only by the person linking them.
    pub educators: Vec<EducatorLink>,
    /// Creation time.
    pub created_ms: i64,
}

/// One of a user's educator records and the organization it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EducatorLink {
    /// The educator record.
    pub educator_id: EducatorId,
    /// Its organization.
    pub org_id: OrgId,
}

impl User {
    /// The user's educator record in `org`, if any.
    pub fn educator_in(&self, org: &str) -> Option<&EducatorId> {
        self.educators
            .iter()
            .find(|l| l.org_id.as_str() == org)
            .map(|l| &l.educator_id)
    }

    /// Whether `educator_id` is one of this user's records.
    pub fn is_educator(&self, educator_id: &str) -> bool {
        self.educators
            .iter()
            .any(|l| l.educator_id.as_str() == educator_id)
    }

    /// The first record linked (the one a dashboard opens on).
    pub fn primary_educator(&self) -> Option<&EducatorId> {
        self.educators.first().map(|l| &l.educator_id)
    }
}

/// A (user, organization, role) grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// User.
    pub user_id: UserId,
    /// Organization.
    pub org_id: OrgId,
    /// Access role held there.
    pub role: AccessRole,
}

/// An API token as shown once at creation: the secret is not stored, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiToken {
    /// Token id (for listing and revoking).
    pub id: String,
    /// The secret to give the user; never retrievable again.
    pub secret: String,
}

/// An API token as listed to its owner: never the secret or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenInfo {
    /// Token id.
    pub id: String,
    /// The owner's label.
    pub label: String,
    /// Creation time, ms since epoch.
    pub created_ms: i64,
    /// Expiry, if any.
    pub expires_ms: Option<i64>,
    /// Revocation time, if revoked.
    pub revoked_ms: Option<i64>,
}

/// A member of an organization as its admins see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The user.
    pub user_id: UserId,
    /// Sign-in email.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Access roles held directly in the organization (those kept aside while deactivated).
    pub roles: Vec<AccessRole>,
    /// False when deactivated in this organization or deployment-wide.
    pub active: bool,
}

/// One change of a user's access: who did it, when, which roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipEvent {
    /// Identifier.
    pub id: String,
    /// The organization; `None` for a deployment-wide (operator) change.
    pub org_id: Option<OrgId>,
    /// Whose access changed.
    pub user_id: UserId,
    /// `grant`, `revoke`, `deactivate` or `reactivate`.
    pub action: String,
    /// The roles concerned.
    pub roles: Vec<AccessRole>,
    /// Who did it; `None` is the operator (command line) or the demo seed.
    pub by: Option<UserId>,
    /// When, ms since epoch.
    pub at_ms: i64,
}

/// What a member's deactivation in one organization did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deactivation {
    /// The member afterwards.
    pub member: Member,
    /// Whether the account was deactivated too (nothing else tied it to the deployment): its
    /// sessions were ended and its API tokens revoked.
    pub account_deactivated: bool,
}

/// An issuing body of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuer {
    /// Identifier.
    pub id: String,
    /// Owning organization.
    pub org_id: OrgId,
    /// Display name.
    pub name: String,
    /// Public URL, if any.
    pub url: Option<String>,
    /// Creation time.
    pub created_ms: i64,
}

/// Public information about an issuer key. The private part never leaves the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerKeyInfo {
    /// Key id.
    pub id: String,
    /// Owning issuer.
    pub issuer_id: String,
    /// Ed25519 public key.
    pub public_key: [u8; 32],
    /// True for the key new credentials are signed with; retired keys stay for verification.
    pub active: bool,
    /// Creation time.
    pub created_ms: i64,
    /// Retirement time.
    pub retired_ms: Option<i64>,
}

/// Kinds of versioned definition documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefinitionKind {
    /// Competency framework.
    Framework,
    /// Micro-credential (OB 3.0 Achievement).
    Achievement,
    /// Stack / certificate.
    Stack,
    /// Career role in the lattice (a definition; not an access role).
    Role,
    /// Pathway (graph of roles).
    Pathway,
}

impl DefinitionKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DefinitionKind::Framework => "framework",
            DefinitionKind::Achievement => "achievement",
            DefinitionKind::Stack => "stack",
            DefinitionKind::Role => "role",
            DefinitionKind::Pathway => "pathway",
        }
    }
}

/// One version of a definition document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    /// Kind.
    pub kind: DefinitionKind,
    /// Identifier (stable across versions).
    pub id: String,
    /// Version, 1-based, increasing.
    pub version: i64,
    /// Owning organization.
    pub org_id: String,
    /// The JSON document as given.
    pub document: serde_json::Value,
    /// When this version was stored.
    pub created_ms: i64,
}

/// An educator's identity record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Educator {
    /// Identifier.
    pub id: EducatorId,
    /// Home organization.
    pub org_id: OrgId,
    /// Display name.
    pub display_name: String,
    /// Emails (lower-cased); the first is the primary one used for the recipient hash.
    pub emails: Vec<String>,
    /// Optional DID.
    pub did: Option<String>,
    /// Salt of the hashed recipient identity (hex).
    pub salt: String,
    /// Show the email in credentials instead of the salted hash.
    pub show_email: bool,
    /// Show the DID in credentials.
    pub show_did: bool,
    /// Who sees this educator in communities of practice.
    pub community_visibility: CommunityVisibility,
    /// Creation time.
    pub created_ms: i64,
}

/// Fields for a new educator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEducator {
    /// Home organization.
    pub org_id: String,
    /// Display name.
    pub display_name: String,
    /// Emails (at least one email or a DID).
    pub emails: Vec<String>,
    /// Optional DID.
    pub did: Option<String>,
    /// Opt-in flags.
    pub show_email: bool,
    /// Opt-in flags.
    pub show_did: bool,
    /// Who sees the educator in communities of practice (within the organization by default).
    pub community_visibility: CommunityVisibility,
}

/// What an educator tells others in communities of practice, shown only while `shared` (their
/// opt-in, off by default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityProfile {
    /// Their school.
    pub school: Option<String>,
    /// Years of experience.
    pub years: Option<i64>,
    /// How to reach them (an email address, a phone number, a profile link).
    pub contact: Option<String>,
    /// Whether they chose to show these.
    pub shared: bool,
}

/// Who sees an educator in communities of practice: the educator's choice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommunityVisibility {
    /// Not listed.
    Hidden,
    /// Listed to members of the educator's own organization (the default).
    #[default]
    Organization,
    /// Listed to anyone, signed in or not (only when the educator opts in).
    Public,
}

impl CommunityVisibility {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hidden => "hidden",
            Self::Organization => "organization",
            Self::Public => "public",
        }
    }

    /// Parses a stored (or requested) name; errors are reported at `field`.
    pub fn parse(field: &str, s: &str) -> Result<Self, StoreError> {
        match s {
            "hidden" => Ok(Self::Hidden),
            "organization" => Ok(Self::Organization),
            "public" => Ok(Self::Public),
            other => Err(StoreError::invalid(
                field,
                format!("unknown visibility {other:?}; use hidden, organization or public"),
            )),
        }
    }
}

/// Where a deletion request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivacyRequestState {
    /// Waiting for an org admin.
    Pending,
    /// Carried out: the educator's record is erased.
    Done,
    /// Declined by an org admin (the reason says why).
    Declined,
}

impl PrivacyRequestState {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PrivacyRequestState::Pending => "pending",
            PrivacyRequestState::Done => "done",
            PrivacyRequestState::Declined => "declined",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(PrivacyRequestState::Pending),
            "done" => Some(PrivacyRequestState::Done),
            "declined" => Some(PrivacyRequestState::Declined),
            _ => None,
        }
    }
}

/// An educator's request that their record be erased, and its decision. Once carried out it
/// keeps only ids and times (the educator's reason goes with the record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivacyRequest {
    /// Identifier.
    pub id: String,
    /// The organization that owns the record.
    pub org_id: OrgId,
    /// The educator record to erase (kept as an id after erasure).
    pub educator_id: EducatorId,
    /// The user who asked.
    pub requested_by: UserId,
    /// When.
    pub requested_ms: i64,
    /// The educator's reason, if any (cleared when carried out).
    pub reason: Option<String>,
    /// Where it stands.
    pub state: PrivacyRequestState,
    /// The org admin who decided.
    pub decided_by: Option<UserId>,
    /// When.
    pub decided_ms: Option<i64>,
    /// Why it was declined.
    pub decision_reason: Option<String>,
}

/// An org admin's grant that a user endorses as a career role in the organization (revocable;
/// granting and revoking are logged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndorserGrant {
    /// Identifier.
    pub id: String,
    /// Organization the grant holds in.
    pub org_id: OrgId,
    /// The endorser.
    pub user_id: UserId,
    /// Career role id (`pathledger_core::CareerRole`).
    pub role_id: String,
    /// The org admin who granted it (`None`: the operator, e.g. the CLI or the demo seed).
    pub granted_by: Option<UserId>,
    /// When.
    pub granted_ms: i64,
    /// Who revoked it, if revoked.
    pub revoked_by: Option<UserId>,
    /// When it was revoked.
    pub revoked_ms: Option<i64>,
    /// Index of the log entry that recorded the grant (or, once revoked, the revocation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
}

/// A non-credential fact about an educator (years of experience, a residency rotation, an endorsement).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    /// Identifier.
    pub id: String,
    /// Educator.
    pub educator_id: EducatorId,
    /// `experience`, `rotation`, `endorsement`, …
    pub kind: String,
    /// Details as JSON.
    pub document: serde_json::Value,
    /// Who recorded it (user id).
    pub recorded_by: Option<UserId>,
    /// When.
    pub created_ms: i64,
}

/// State of an evidence submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionState {
    /// Waiting for the assessor.
    Submitted,
    /// Accepted by the assessor.
    Accepted,
    /// Returned with comments.
    Returned,
}

impl SubmissionState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SubmissionState::Submitted => "submitted",
            SubmissionState::Accepted => "accepted",
            SubmissionState::Returned => "returned",
        }
    }
    pub(crate) fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "submitted" => SubmissionState::Submitted,
            "accepted" => SubmissionState::Accepted,
            "returned" => SubmissionState::Returned,
            o => {
                return Err(StoreError::integrity(format!(
                    "unknown submission state {o}"
                )))
            }
        })
    }
}

/// Evidence submitted for a micro-credential, and the assessor's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceSubmission {
    /// Identifier.
    pub id: String,
    /// Organization reviewing it.
    pub org_id: OrgId,
    /// Educator.
    pub educator_id: EducatorId,
    /// Micro-credential applied for.
    pub achievement_id: String,
    /// Evidence as JSON.
    pub document: serde_json::Value,
    /// Assigned assessor (user id).
    pub assessor_user_id: Option<UserId>,
    /// State.
    pub state: SubmissionState,
    /// Assessor's comment.
    pub decision_comment: Option<String>,
    /// Who decided.
    pub decided_by: Option<UserId>,
    /// Submitted at.
    pub created_ms: i64,
    /// Decided at.
    pub decided_ms: Option<i64>,
}

/// Purpose of a status list: the one type, from the badges crate (documents, verifier and store
/// agree on it). Our own lists hold revocation and suspension bits.
pub use pathledger_badges::StatusPurpose;

/// Reads a stored purpose; anything else is an integrity error (we write only these names).
pub(crate) fn parse_purpose(s: &str) -> Result<StatusPurpose, StoreError> {
    StatusPurpose::parse(s)
        .map_err(|_| StoreError::integrity(format!("unknown status purpose {s}")))
}

/// A credential's entry in a status list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusAssignment {
    /// Purpose of the list.
    pub purpose: StatusPurpose,
    /// List id.
    pub list_id: String,
    /// Public URL of the list credential (`statusListCredential`).
    pub list_url: String,
    /// Bit index (`statusListIndex`, emit as a decimal string).
    pub index: u64,
}

/// The public URL of status list `list_id` under `status_base_url` (no trailing `/`).
pub(crate) fn status_list_url(status_base_url: &str, list_id: &str) -> String {
    format!("{status_base_url}/{list_id}")
}

/// A status list's bits, ready to be encoded and signed by the caller (bit i = bit 7 − i mod 8 of byte ⌊i/8⌋).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListBits {
    /// List id.
    pub list_id: String,
    /// Issuer owning the list.
    pub issuer_id: String,
    /// Purpose.
    pub purpose: StatusPurpose,
    /// Public URL.
    pub list_url: String,
    /// Increases on every change; re-sign when it moves.
    pub version: i64,
    /// Number of bits (≥ 131,072).
    pub capacity: u64,
    /// `capacity / 8` bytes, MSB first.
    pub bits: Vec<u8>,
}

impl StatusListBits {
    /// Whether bit `index` is set.
    pub fn is_set(&self, index: u64) -> bool {
        let Ok(byte) = usize::try_from(index / 8) else {
            return false;
        };
        self.bits
            .get(byte)
            .is_some_and(|b| b & (0x80 >> (index % 8)) != 0)
    }
}

/// Current status of an issued credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialStatus {
    /// Valid as far as status goes.
    Active,
    /// Permanently revoked.
    Revoked,
    /// Suspended (reversible).
    Suspended,
}

impl CredentialStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialStatus::Active => "active",
            CredentialStatus::Revoked => "revoked",
            CredentialStatus::Suspended => "suspended",
        }
    }
    pub(crate) fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "active" => Ok(CredentialStatus::Active),
            "revoked" => Ok(CredentialStatus::Revoked),
            "suspended" => Ok(CredentialStatus::Suspended),
            o => Err(StoreError::integrity(format!(
                "unknown credential status {o}"
            ))),
        }
    }
}

/// A status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusChange {
    /// Set the revocation bit (permanent).
    Revoke,
    /// Set the suspension bit.
    Suspend,
    /// Clear the suspension bit.
    Reinstate,
}

impl StatusChange {
    /// Log event name.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusChange::Revoke => "revoke",
            StatusChange::Suspend => "suspend",
            StatusChange::Reinstate => "reinstate",
        }
    }
}

/// An issued credential as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRecord {
    /// Credential id (`urn:uuid:…`).
    pub id: String,
    /// Issuing organization.
    pub org_id: String,
    /// Issuer.
    pub issuer_id: String,
    /// Key it was signed with.
    pub key_id: String,
    /// Achievement (micro-credential) id.
    pub achievement_id: String,
    /// Definition version it was issued under.
    pub achievement_version: i64,
    /// Educator, unless erased on request.
    pub educator_id: Option<String>,
    /// `sha256$…` recipient identity hash.
    pub recipient_hash: String,
    /// The exact signed bytes.
    pub document: String,
    /// SHA-256 of `document`.
    pub document_hash: [u8; 32],
    /// Issuance time.
    pub issued_ms: i64,
    /// Expiry, if any.
    pub valid_until_ms: Option<i64>,
    /// Status.
    pub status: CredentialStatus,
    /// Reason of the last status change.
    pub status_reason: Option<String>,
    /// Idempotency key given at issuance.
    pub idempotency_key: Option<String>,
    /// The credential this one renews.
    pub previous_id: Option<String>,
    /// Revocation list entry.
    pub revocation: StatusAssignment,
    /// Suspension list entry, if the credential can be suspended.
    pub suspension: Option<StatusAssignment>,
    /// Log index of the issue event.
    pub log_index: u64,
}

/// Who receives a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// An existing educator.
    Educator(String),
    /// An email; an educator record is created in the issuer's organization if none has it.
    Email(String),
}

/// A request to issue one credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueRequest {
    /// Issuer.
    pub issuer_id: String,
    /// Achievement (micro-credential) definition id.
    pub achievement_id: String,
    /// Definition version; `None` = latest.
    pub achievement_version: Option<i64>,
    /// Recipient.
    pub recipient: Recipient,
    /// Expiry.
    pub valid_until_ms: Option<i64>,
    /// Credential renewed by this one.
    pub previous_credential_id: Option<String>,
    /// Also allocate a suspension status entry.
    pub suspendable: bool,
    /// Pathway role whose reaching awards this credential (issued at most once per educator).
    pub award_role_id: Option<String>,
    /// Retry key: the same key in the same organization returns the first result.
    pub idempotency_key: Option<String>,
    /// Caller data passed to the builder (e.g. evidence, narrative); part of the payload compared for idempotency.
    pub extra: serde_json::Value,
}

impl IssueRequest {
    /// A request with defaults: latest version, no expiry, revocation only.
    pub fn new(issuer_id: &str, achievement_id: &str, recipient: Recipient) -> Self {
        Self {
            issuer_id: issuer_id.to_owned(),
            achievement_id: achievement_id.to_owned(),
            achievement_version: None,
            recipient,
            valid_until_ms: None,
            previous_credential_id: None,
            suspendable: false,
            award_role_id: None,
            idempotency_key: None,
            extra: serde_json::Value::Null,
        }
    }
}

/// The recipient as the credential should name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientIdentity {
    /// Educator record.
    pub educator_id: String,
    /// `sha256$` + hex(SHA-256(identity ‖ salt)) (OB 3.0 `IdentityObject.identityHash`).
    pub identity_hash: String,
    /// The salt (`IdentityObject.salt`).
    pub salt: String,
    /// `emailAddress` or `did` the hash is of.
    pub identity_type: &'static str,
    /// Email to show instead, if the educator opted in.
    pub shown_email: Option<String>,
    /// DID to use as subject id, if the educator opted in.
    pub shown_did: Option<String>,
}

/// Everything a credential builder needs. Built inside the issuance transaction.
pub struct IssueContext<'a> {
    /// New credential id (`urn:uuid:…`).
    pub credential_id: String,
    /// The request.
    pub request: &'a IssueRequest,
    /// Issuing organization.
    pub org_id: &'a str,
    /// Issuance time (ms), to use as `validFrom`.
    pub issued_ms: i64,
    /// Achievement definition version used.
    pub achievement_version: i64,
    /// Achievement definition document.
    pub achievement: &'a serde_json::Value,
    /// Recipient.
    pub recipient: &'a RecipientIdentity,
    /// Revocation status entry.
    pub revocation: &'a StatusAssignment,
    /// Suspension status entry, if requested.
    pub suspension: Option<&'a StatusAssignment>,
    /// The issuer's active key, for signing only.
    pub key: &'a SigningKeyHandle,
}

/// The `achievement_id` of a ledger record for a caller's own document (VC-API issuance): it
/// names no achievement definition, and no definition id can be empty.
pub const NO_ACHIEVEMENT: &str = "";

/// A request to put a caller's own document on the ledger (the VC-API issue route): no
/// achievement definition and no educator, but the same record, status entry, log leaf and
/// idempotency as any credential we issue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentRequest {
    /// Issuer.
    pub issuer_id: String,
    /// The id the document already has; `None` = the store makes a `urn:uuid:` id.
    pub credential_id: Option<String>,
    /// Who the document is about (its subject's id), hashed into the record's recipient hash.
    pub subject: Option<String>,
    /// Expiry.
    pub valid_until_ms: Option<i64>,
    /// Retry key: the same key in the same organization returns the first result.
    pub idempotency_key: Option<String>,
    /// What the caller sent (compared for idempotency; never stored).
    pub payload: serde_json::Value,
}

/// What a document builder gets inside the transaction.
pub struct DocumentContext<'a> {
    /// The credential id (the requested one, or a new `urn:uuid:`).
    pub credential_id: String,
    /// The request.
    pub request: &'a DocumentRequest,
    /// Issuing organization.
    pub org_id: &'a str,
    /// Issuance time (ms).
    pub issued_ms: i64,
    /// Revocation status entry.
    pub revocation: &'a StatusAssignment,
    /// The issuer's active key, for signing only.
    pub key: &'a SigningKeyHandle,
}

/// Result of an issuance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueOutcome {
    /// The stored credential.
    pub credential: CredentialRecord,
    /// True if this was a retry answered with the first result (or an award already made).
    pub replayed: bool,
    /// True if the recipient was an email no educator had and became an educator in the same
    /// transaction: they hold nothing issued before it, and have no recorded facts.
    pub new_educator: bool,
}

/// Result of a status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChangeOutcome {
    /// The credential after the change.
    pub credential: CredentialRecord,
    /// Log index of the change event.
    pub log_index: u64,
    /// The list whose bit changed, with its new version.
    pub list_id: String,
    /// New list version.
    pub list_version: i64,
}

/// One transparency log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// 0-based index.
    pub index: u64,
    /// `issue`, `revoke`, `suspend`, `reinstate`, `key_created`, `key_rotation`.
    pub event: String,
    /// Credential concerned, if any.
    pub credential_id: Option<String>,
    /// Leaf data (canonical JSON; hashes and identifiers only, no personal data).
    pub data: String,
    /// RFC 6962 leaf hash of `data`.
    pub leaf_hash: [u8; 32],
    /// Append time.
    pub created_ms: i64,
}

/// Everything needed to check offline that a credential's event is in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionBundle {
    /// The log entry.
    pub entry: LogEntry,
    /// Audit path (bottom-up) to `tree_head`.
    pub proof: Vec<[u8; 32]>,
    /// The signed head the proof leads to.
    pub tree_head: pathledger_log::SignedTreeHead,
}

/// One problem found by [`crate::Store::audit`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditProblem {
    /// First log entry affected, when one can be named.
    pub entry: Option<u64>,
    /// What is wrong.
    pub message: String,
}

/// Result of an audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditReport {
    /// Log size according to the head row.
    pub tree_size: u64,
    /// Entries read.
    pub entries_checked: u64,
    /// Signed heads checked.
    pub heads_checked: u64,
    /// Problems, in discovery order.
    pub problems: Vec<AuditProblem>,
    /// The first bad entry (lowest index named by a problem).
    pub first_bad_entry: Option<u64>,
}

impl AuditReport {
    /// True if nothing was wrong.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Everything the store holds about one educator (data-subject export).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EducatorExport {
    /// The record.
    pub educator: Educator,
    /// Facts.
    pub facts: Vec<Fact>,
    /// Evidence submissions.
    pub submissions: Vec<EvidenceSubmission>,
    /// Credentials (exact signed bytes included).
    pub credentials: Vec<CredentialRecord>,
}
