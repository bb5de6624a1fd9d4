//! Schemas of the OpenAPI document: what the handlers read and write, member by member.
//!
//! Most handlers build their JSON answers with `json!` (and several bodies are rules' input
//! types of `pathledger-app`, which does not depend on utoipa); the types here describe those
//! shapes for the document only and are never built. `tests/openapi.rs` checks the answers of
//! the running server against them.

#![allow(dead_code)]

use serde_json::Value;
use utoipa::ToSchema;

// ----- errors ------------------------------------------------------------------------------------

/// An RFC 9457 problem: every error of the API leaves in this shape, as
/// `application/problem+json`.
#[derive(ToSchema)]
#[schema(example = json!({"type": "https://pathledger.dev/problems/invalid_input", "title": "Unprocessable Entity", "status": 422, "code": "invalid_input", "detail": "must be an RFC 3339 date-time such as 2030-01-01T00:00:00Z", "field": "/valid_until"}))]
pub struct Problem {
    /// `https://pathledger.dev/problems/<code>`.
    #[schema(rename = "type")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// A stable, documented code (`invalid_input`, `not_found`, `unauthenticated`, `forbidden`,
    /// `conflict`, `malformed_json`, `unsupported_media_type`, `payload_too_large`, `throttled`, …).
    pub code: String,
    /// What went wrong, in words.
    pub detail: String,
    /// The offending input: a JSON pointer or path, a query parameter or a form field.
    pub field: Option<String>,
    /// Present (and true) when retrying the same request later may succeed (see `Retry-After`).
    pub retryable: Option<bool>,
}

// ----- operations --------------------------------------------------------------------------------

/// Liveness: the database answered.
#[derive(ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: String,
    /// The database kind: `sqlite` or `postgres`.
    #[schema(example = "sqlite")]
    pub backend: String,
}

// ----- credentials ---------------------------------------------------------------------------------

/// A Data Integrity cryptosuite we sign with.
#[derive(ToSchema)]
pub enum Cryptosuite {
    /// JSON canonicalization (fast; the default of our own issuance).
    #[serde(rename = "eddsa-jcs-2022")]
    EddsaJcs2022,
    /// RDF dataset canonicalization (the VC-API default).
    #[serde(rename = "eddsa-rdfc-2022")]
    EddsaRdfc2022,
}

/// How `POST /credentials/issue` names the issuer: `did:key` (test harnesses).
#[derive(ToSchema)]
pub enum IssuerMode {
    /// The did:key of the issuer's current key.
    #[serde(rename = "did:key")]
    DidKey,
}

/// A Verifiable Credential (VC Data Model 2.0 or 1.1; Open Badges 3.0, CLR 2.0), as JSON-LD.
/// Only the common members are listed; any other member is allowed.
#[derive(ToSchema)]
pub struct VerifiableCredential {
    /// JSON-LD contexts, the VC context first.
    #[schema(rename = "@context")]
    pub context: Option<Vec<Value>>,
    /// Identifier.
    pub id: Option<String>,
    /// Types; `VerifiableCredential` among them.
    #[schema(rename = "type")]
    pub kind: Option<Value>,
    /// The issuer: a URL or DID, or an object with `id`.
    pub issuer: Option<Value>,
    /// VC 2.0 validity start.
    #[schema(rename = "validFrom")]
    pub valid_from: Option<String>,
    /// VC 2.0 validity end.
    #[schema(rename = "validUntil")]
    pub valid_until: Option<String>,
    /// What the credential says about whom.
    #[schema(rename = "credentialSubject")]
    pub credential_subject: Option<Value>,
    /// Status entries (Bitstring Status List).
    #[schema(rename = "credentialStatus")]
    pub credential_status: Option<Value>,
    /// Data Integrity proof(s).
    pub proof: Option<Value>,
    /// Any other member.
    #[serde(flatten)]
    pub other: std::collections::HashMap<String, Value>,
}

/// A Verifiable Presentation: credentials a holder presents, with the holder's proof.
#[derive(ToSchema)]
pub struct VerifiablePresentation {
    /// JSON-LD contexts, the VC context first.
    #[schema(rename = "@context")]
    pub context: Option<Vec<Value>>,
    /// Types; `VerifiablePresentation` among them.
    #[schema(rename = "type")]
    pub kind: Option<Value>,
    /// The holder (a DID).
    pub holder: Option<String>,
    /// The credentials presented (at most 64).
    #[schema(rename = "verifiableCredential")]
    pub verifiable_credential: Option<Vec<VerifiableCredential>>,
    /// The holder's proof (purpose `authentication`): Data Integrity `eddsa-*` or
    /// `Ed25519Signature2020`.
    pub proof: Option<Value>,
    /// Any other member.
    #[serde(flatten)]
    pub other: std::collections::HashMap<String, Value>,
}

/// VC-API issue options.
#[derive(ToSchema)]
pub struct VcIssueOptions {
    /// `eddsa-rdfc-2022` (default here) or `eddsa-jcs-2022`; overrides the `cryptosuite` query
    /// parameter.
    pub cryptosuite: Option<Cryptosuite>,
}

/// `POST /credentials/issue`.
#[derive(ToSchema)]
pub struct VcIssueRequest {
    /// The credential to sign: unsigned, naming this organization's issuer (or none).
    pub credential: VerifiableCredential,
    /// Options.
    pub options: Option<VcIssueOptions>,
}

/// A signed credential.
#[derive(ToSchema)]
pub struct SignedCredential {
    /// The credential with its proof.
    #[schema(rename = "verifiableCredential")]
    pub verifiable_credential: VerifiableCredential,
}

/// A check a VC-API caller can ask for (aliases accepted: `expiration`, `expirationDate`,
/// `validUntil`, `validFrom` for validity; `credentialStatus` for status; `trust` for issuer;
/// `credentialSchema` for schema).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum VcCheck {
    /// The proof(s) verify and the signing key belongs to the issuer.
    Proof,
    /// `validFrom` / `validUntil` (VC 1.1: `issuanceDate` / `expirationDate`).
    Validity,
    /// Status lists: not revoked, not suspended.
    Status,
    /// The issuer is on this deployment's trust list.
    Issuer,
    /// The official JSON Schema for the credential's type.
    Schema,
}

/// VC-API verify options.
#[derive(ToSchema)]
pub struct VcVerifyOptions {
    /// The checks that decide `verified` (default `proof`, `validity`, `status`).
    #[schema(nullable = false)]
    pub checks: Option<Vec<VcCheck>>,
}

/// `POST /credentials/verify`.
#[derive(ToSchema)]
pub struct VcVerifyRequest {
    /// The credential to verify.
    #[schema(rename = "verifiableCredential")]
    pub verifiable_credential: VerifiableCredential,
    /// Options.
    pub options: Option<VcVerifyOptions>,
}

/// Presentation verify options.
#[derive(ToSchema)]
pub struct VpVerifyOptions {
    /// The checks each presented credential is judged on (default `proof`, `validity`,
    /// `status`).
    #[schema(nullable = false)]
    pub checks: Option<Vec<VcCheck>>,
    /// The challenge the holder's proof must carry (1 to 512 characters).
    #[schema(min_length = 1, max_length = 512)]
    pub challenge: Option<String>,
    /// The domain the holder's proof must name (1 to 512 characters).
    #[schema(min_length = 1, max_length = 512)]
    pub domain: Option<String>,
    /// Whether the holder must be the subject of every credential presented.
    #[schema(rename = "holderIsSubject")]
    pub holder_is_subject: Option<bool>,
}

/// `POST /presentations/verify`.
#[derive(ToSchema)]
pub struct VpVerifyRequest {
    /// The presentation (a JSON object).
    #[schema(rename = "verifiablePresentation")]
    pub verifiable_presentation: VerifiablePresentation,
    /// Options.
    pub options: Option<VpVerifyOptions>,
}

/// One problem in a VC-API result.
#[derive(ToSchema)]
pub struct VcProblem {
    /// Which check (`well_formed`, `proof`, `issuer`, `validity`, `status`, `schema`,
    /// `embedded_credential`; for presentations also `holder_proof`, `holder_binding`).
    pub check: String,
    /// A stable code (`REVOKED`, `ISSUER_NOT_TRUSTED`, `PROOF_VERIFICATION_ERROR`, …).
    pub code: String,
    /// Plain-language explanation.
    pub message: String,
}

/// A VC-API verification result of one credential: `verified` when every requested check
/// passed.
#[derive(ToSchema)]
pub struct VcResult {
    /// Every requested check passed.
    pub verified: bool,
    /// The requested checks that passed.
    pub checks: Vec<String>,
    /// Findings that do not fail the requested checks (e.g. an issuer outside the trust list).
    pub warnings: Vec<VcProblem>,
    /// Requested checks that failed or could not be made.
    pub errors: Vec<VcProblem>,
}

/// The answer of `POST /credentials/verify` (200 when verified, 422 otherwise).
#[derive(ToSchema)]
pub struct VcVerifyResult {
    /// Every requested check passed.
    pub verified: bool,
    /// The requested checks that passed.
    pub checks: Vec<String>,
    /// Findings that do not fail the requested checks.
    pub warnings: Vec<VcProblem>,
    /// Requested checks that failed or could not be made.
    pub errors: Vec<VcProblem>,
    /// The full verification report.
    pub report: VerificationReport,
}

/// The answer of `POST /presentations/verify` (200 when verified, 422 otherwise).
#[derive(ToSchema)]
pub struct VpVerifyResult {
    /// The presentation and every credential it carries verified.
    pub verified: bool,
    /// The presentation's checks that passed.
    pub checks: Vec<String>,
    /// Findings that fail nothing.
    pub warnings: Vec<VcProblem>,
    /// What failed, in the presentation itself.
    pub errors: Vec<VcProblem>,
    /// One result per presented credential, in order.
    #[schema(rename = "credentialResults")]
    pub credential_results: Vec<VcResult>,
    /// The full report on the presentation.
    #[schema(rename = "presentationResult")]
    pub presentation_result: PresentationReport,
}

/// The overall verdict of a verification report.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed.
    Valid,
    /// The signature does not match: altered or forged.
    Tampered,
    /// The issuer revoked it.
    Revoked,
    /// The issuer suspended it.
    Suspended,
    /// Past `validUntil`.
    Expired,
    /// Before `validFrom`.
    NotYetValid,
    /// Genuine signature, but the issuer is not trusted or does not own the key.
    UnknownIssuer,
    /// Not a well-formed credential.
    Malformed,
    /// Something needed could not be obtained (status list, did:web document, …).
    CouldNotCheck,
    /// A format or signature suite we do not check (e.g. `ecdsa-sd-2023`, a JWS algorithm other
    /// than EdDSA, ES256 or RS256): not known to be bad, just not checked here.
    UnsupportedFormat,
}

/// The six checks, in report order.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum CheckName {
    /// Structure: JSON object, VC context and type, issuer, subject, dates, status entries.
    WellFormed,
    /// Official JSON Schema for the credential type.
    Schema,
    /// Data Integrity proof(s).
    Proof,
    /// The issuer owns the signing key and is on the trust list.
    Issuer,
    /// `validFrom` / `validUntil` against now.
    Validity,
    /// Bitstring status list.
    Status,
}

/// Outcome of one check.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Passed.
    Passed,
    /// Failed.
    Failed,
    /// Not performed, or could not be completed (see the code).
    NotChecked,
}

/// One check's result.
#[derive(ToSchema)]
pub struct CheckResult {
    /// Which check.
    pub check: CheckName,
    /// Passed / failed / not checked.
    pub status: CheckStatus,
    /// Stable code: `ok` when passed, otherwise a reason such as `PROOF_VERIFICATION_ERROR`.
    pub code: String,
    /// Plain-language explanation.
    pub message: String,
}

/// Our verification report on one credential.
#[derive(ToSchema)]
pub struct VerificationReport {
    /// Overall verdict.
    pub verdict: Verdict,
    /// Plain-language summary.
    pub message: String,
    /// The checks in fixed order (one, `well_formed`, when the input is not a credential).
    pub checks: Vec<CheckResult>,
    /// A CLR's embedded credentials' reports, in document order (absent otherwise).
    #[schema(no_recursion)]
    pub credentials: Option<Vec<VerificationReport>>,
}

/// One presentation-level check.
#[derive(ToSchema)]
pub struct PresentationCheck {
    /// `well_formed`, `holder_proof` or `holder_binding`.
    pub check: String,
    /// Passed / failed / not checked.
    pub status: CheckStatus,
    /// `ok`, or a stable reason code.
    pub code: String,
    /// Plain-language explanation.
    pub message: String,
}

/// The report on a presentation.
#[derive(ToSchema)]
pub struct PresentationReport {
    /// Whether the presentation checks passed (not the credentials': see `credentials`).
    pub verified: bool,
    /// The holder the presentation names, if any.
    pub holder: Option<String>,
    /// Plain-language summary.
    pub message: String,
    /// The presentation's own checks, in order.
    pub checks: Vec<PresentationCheck>,
    /// Each presented credential's report, in document order.
    pub credentials: Vec<VerificationReport>,
}

/// `POST /api/v1/credentials`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// Achievement (micro-credential) id.
    #[schema(min_length = 1)]
    pub achievement: String,
    /// Email of the recipient, or an educator id with the `educator:` prefix.
    #[schema(min_length = 1)]
    pub recipient: String,
    /// `eddsa-jcs-2022` (default) or `eddsa-rdfc-2022`.
    pub suite: Option<Cryptosuite>,
    /// Retry key (else the `Idempotency-Key` header): the same key answers the first issuance.
    pub idempotency_key: Option<String>,
    /// Expiry, RFC 3339 (e.g. `2030-01-01T00:00:00Z`).
    pub valid_until: Option<String>,
    /// Evidence URL or narrative.
    pub evidence: Option<String>,
    /// Whether the credential gets a suspension status entry too (default false).
    #[serde(default)]
    pub suspendable: bool,
    /// The id of a credential this one renews.
    pub renews: Option<String>,
}

/// A credential issued because another completed a stack or reached a role.
#[derive(ToSchema)]
pub struct Awarded {
    /// Credential id.
    pub id: String,
    /// Its achievement id.
    pub achievement: String,
}

/// A micro-credential issued (201) or, for a repeated idempotency key, the first one (200).
#[derive(ToSchema)]
pub struct Issued {
    /// Credential id.
    pub id: String,
    /// Whether this answers an earlier request with the same idempotency key.
    pub replayed: bool,
    /// Transparency log index of the issuance.
    pub log_index: Option<u64>,
    /// Certificates and role awards this credential completed.
    pub awarded: Vec<Awarded>,
    /// The signed credential.
    #[schema(rename = "verifiableCredential")]
    pub verifiable_credential: VerifiableCredential,
}

/// An optional reason.
#[derive(ToSchema)]
pub struct ReasonInput {
    /// Why (kept in the audit trail).
    pub reason: Option<String>,
}

/// An educator's optional reason for a deletion request.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeletionInput {
    /// Why (cleared when the request is carried out).
    pub reason: Option<String>,
}

/// A required reason.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineInput {
    /// Why the request is declined.
    pub reason: String,
}

/// A credential's status after a change.
#[derive(ToSchema)]
pub struct StatusChanged {
    /// Credential id.
    pub id: String,
    /// `active`, `revoked` or `suspended`.
    pub status: String,
    /// Transparency log index of the change event.
    pub log_index: u64,
}

/// Where an educator stands on every role.
#[derive(ToSchema)]
pub struct Progress {
    /// Educator id.
    pub educator: String,
    /// What the educator holds (credentials, endorsements, facts).
    #[schema(value_type = Object)]
    pub state: Value,
    /// The evaluation against every role of the organization's pathways.
    #[schema(value_type = Object)]
    pub evaluation: Value,
}

/// The cheapest plan to a target role.
#[derive(ToSchema)]
pub struct Plan {
    /// Educator id.
    pub educator: String,
    /// The target role id.
    pub target: String,
    /// The steps, their costs and incentives.
    #[schema(value_type = Object)]
    pub plan: Value,
}

/// A signed tree head of the transparency log.
#[derive(ToSchema)]
pub struct SignedTreeHead {
    /// Number of leaves covered.
    pub tree_size: u64,
    /// Merkle tree hash of those leaves (hex).
    pub root_hash: String,
    /// Milliseconds since the Unix epoch when the head was signed.
    pub timestamp_ms: u64,
    /// Identifier of the signing key.
    pub key_id: String,
    /// Ed25519 signature (base64).
    pub signature: String,
}

/// The log's public key.
#[derive(ToSchema)]
pub struct LogKey {
    /// Key id (as in `key_id` of tree heads).
    pub id: String,
    /// Ed25519 public key, hex.
    pub public_key_hex: String,
    /// The log's origin (`<host>/log`), the name of its checkpoint signatures.
    pub origin: String,
    /// The C2SP verifier key of the checkpoints (`<origin>+<key id>+<base64 key>`).
    pub vkey: String,
}

/// `GET /api/v1/log/head`.
#[derive(ToSchema)]
pub struct LogHead {
    /// The newest signed head.
    pub tree_head: SignedTreeHead,
    /// The same head as a C2SP signed-note checkpoint, with any witness cosignatures.
    pub checkpoint: String,
    /// The key that signs heads.
    pub log_key: LogKey,
    /// Verifier keys of the witnesses whose cosignatures this deployment keeps.
    pub witnesses: Vec<String>,
}

/// One transparency log entry.
#[derive(ToSchema)]
pub struct LogEntry {
    /// 0-based index.
    pub index: u64,
    /// `issue`, `revoke`, `suspend`, `reinstate`, `key_created`, `key_rotation`, ….
    pub event: String,
    /// Credential concerned, if any.
    pub credential_id: Option<String>,
    /// Leaf data (canonical JSON; hashes and identifiers only).
    pub data: String,
    /// RFC 6962 leaf hash of `data` (32 bytes).
    pub leaf_hash: Vec<u8>,
    /// Append time (ms since the Unix epoch).
    pub created_ms: i64,
}

/// Everything needed to check offline that a credential's latest event is in the log.
#[derive(ToSchema)]
pub struct InclusionBundle {
    /// The log entry.
    pub entry: LogEntry,
    /// Audit path (bottom-up) to `tree_head`, each hash 32 bytes.
    pub proof: Vec<Vec<u8>>,
    /// The signed head the proof leads to.
    pub tree_head: SignedTreeHead,
}

/// A consistency proof between two tree sizes.
#[derive(ToSchema)]
pub struct Consistency {
    /// Older size.
    pub from: u64,
    /// Newer size.
    pub to: u64,
    /// The proof's hashes, hex.
    pub proof: Vec<String>,
}

/// A status list credential (`BitstringStatusListCredential`), signed.
#[derive(ToSchema)]
#[schema(value_type = Object)]
pub struct StatusListCredential(Value);

/// A DID document (did:web): the issuer's verification methods, current and retired.
#[derive(ToSchema)]
pub struct DidDocument {
    /// JSON-LD contexts.
    #[schema(rename = "@context")]
    pub context: Option<Value>,
    /// The DID.
    pub id: String,
    /// The keys.
    #[schema(rename = "verificationMethod")]
    pub verification_method: Option<Vec<Value>>,
    /// Keys that may sign credentials.
    #[schema(rename = "assertionMethod")]
    pub assertion_method: Option<Vec<Value>>,
    /// Any other member.
    #[serde(flatten)]
    pub other: std::collections::HashMap<String, Value>,
}

/// An issuer's Open Badges profile.
#[derive(ToSchema)]
pub struct IssuerProfile {
    /// JSON-LD contexts.
    #[schema(rename = "@context")]
    pub context: Vec<String>,
    /// The issuer's DID.
    pub id: String,
    /// `["Profile"]`.
    #[schema(rename = "type")]
    pub kind: Vec<String>,
    /// Name.
    pub name: String,
    /// This page's URL.
    pub url: String,
}

/// An issuer signing key (never private material).
#[derive(ToSchema)]
pub struct IssuerKey {
    /// Key id.
    pub id: String,
    /// Its verification method URL.
    #[schema(rename = "verificationMethod")]
    pub verification_method: String,
    /// Multibase Ed25519 public key.
    #[schema(rename = "publicKeyMultibase")]
    pub public_key_multibase: Option<String>,
    /// `current` or `retired`.
    pub state: String,
    /// Creation time (ms).
    pub created_ms: i64,
    /// Retirement time (ms).
    pub retired_ms: Option<i64>,
}

/// An issuer's keys.
#[derive(ToSchema)]
pub struct IssuerKeys {
    /// The issuer's DID.
    pub issuer: String,
    /// Current and retired keys.
    pub keys: Vec<IssuerKey>,
}

/// One problem an audit found.
#[derive(ToSchema)]
pub struct AuditProblem {
    /// First log entry affected, when one can be named.
    pub entry: Option<u64>,
    /// What is wrong.
    pub message: String,
}

/// The result of recomputing the log.
#[derive(ToSchema)]
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

/// `GET /api/v1/log/audit`.
#[derive(ToSchema)]
pub struct Audit {
    /// Nothing was wrong.
    pub ok: bool,
    /// The details.
    pub report: AuditReport,
}

// ----- wallet claims (VC-API exchange) -----------------------------------------------------------

/// A step of a claim exchange from the wallet: `{}` starts it; `verifiablePresentation` answers
/// its DID Authentication request.
#[derive(ToSchema)]
pub struct ExchangeRequest {
    /// The wallet's presentation: `holder` its did:key, signed (`Ed25519Signature2020` or
    /// `eddsa-rdfc-2022`/`eddsa-jcs-2022`) with purpose `authentication`, the request's
    /// `challenge` and `domain`.
    #[schema(rename = "verifiablePresentation")]
    pub verifiable_presentation: Option<VerifiablePresentation>,
}

/// One `DIDAuthentication` query.
#[derive(ToSchema)]
pub struct DidAuthQuery {
    /// `DIDAuthentication`.
    #[schema(rename = "type", example = "DIDAuthentication")]
    pub kind: String,
    /// `[{"method": "key"}]`: the holder is a did:key.
    #[schema(rename = "acceptedMethods")]
    pub accepted_methods: Vec<Value>,
    /// `Ed25519Signature2020` and `eddsa-rdfc-2022`.
    #[schema(rename = "acceptedCryptosuites")]
    pub accepted_cryptosuites: Vec<Value>,
}

/// The exchange's request: a DID Authentication with its challenge and domain.
#[derive(ToSchema)]
pub struct PresentationRequest {
    /// One `DIDAuthentication` query.
    pub query: Vec<DidAuthQuery>,
    /// Unguessable, bound to this exchange.
    pub challenge: String,
    /// This deployment's host.
    pub domain: String,
}

/// What the exchange answers: its request (to `{}`), or the wallet's credential (to a
/// verified presentation), as a VC-API exchange does.
#[derive(ToSchema)]
pub struct ExchangeAnswer {
    /// The request to answer (the first step).
    #[schema(rename = "verifiablePresentationRequest")]
    pub verifiable_presentation_request: Option<PresentationRequest>,
    /// The credential bound to the wallet's DID, in a presentation (the last step).
    #[schema(rename = "verifiablePresentation")]
    pub verifiable_presentation: Option<VerifiablePresentation>,
}

// ----- evidence and endorsements -----------------------------------------------------------------

/// What an educator submits for a micro-credential.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitInput {
    /// Achievement (micro-credential) id.
    pub achievement: String,
    /// What was done and what it shows (at most 10,000 characters).
    pub narrative: String,
    /// A link to the artifact (lesson plan, video …).
    pub url: Option<String>,
    /// A link to a video of the practice.
    pub video: Option<String>,
    /// The assessor (user id) asked to review it.
    pub assessor: String,
    /// The organization whose record submits, for a person with records in several (default:
    /// their first record).
    pub org: Option<String>,
}

/// An evidence submission.
#[derive(ToSchema)]
pub struct Submission {
    /// Submission id.
    pub id: String,
    /// Educator id.
    pub educator: String,
    /// Achievement id.
    pub achievement: String,
    /// The evidence as submitted.
    pub evidence: Value,
    /// The assessor's user id.
    pub assessor: String,
    /// `submitted`, `accepted` or `returned`.
    pub state: String,
    /// The assessor's comment.
    pub comment: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// Submission time (ms).
    pub submitted_ms: i64,
    /// Decision time (ms).
    pub decided_ms: Option<i64>,
}

/// The caller's own submissions and those assigned to them.
#[derive(ToSchema)]
pub struct EvidenceLists {
    /// Submitted by the caller's educator records.
    pub mine: Vec<Submission>,
    /// Assigned to the caller as assessor.
    pub assigned: Vec<Submission>,
}

/// Accept or return a submission.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Accept: the credential is issued.
    Accept,
    /// Return to the educator with the comment.
    Return,
}

/// An assessor's decision.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// `accept` or `return`.
    pub decision: DecisionKind,
    /// Comment for the educator.
    pub comment: Option<String>,
}

/// A credential and its id.
#[derive(ToSchema)]
pub struct IdentifiedCredential {
    /// Credential id.
    pub id: String,
    /// The signed credential.
    #[schema(rename = "verifiableCredential")]
    pub verifiable_credential: VerifiableCredential,
}

/// The outcome of a decision.
#[derive(ToSchema)]
pub struct Decision {
    /// The submission, decided.
    pub submission: Submission,
    /// The credential issued on acceptance.
    pub credential: Option<IdentifiedCredential>,
    /// Certificates and role awards the credential completed.
    pub awarded: Vec<Awarded>,
}

/// A mentor's endorsement of an educator for one competency.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndorseInput {
    /// Educator id.
    pub educator: String,
    /// Competency id (qualities or adaptive skills).
    pub competency: String,
    /// The career role the mentor endorses as (e.g. `role-master-mentor`): one they hold in the
    /// educator's organization (reached, or granted by an org admin). Optional when they hold
    /// exactly one.
    pub endorser_role: Option<String>,
    /// What the mentor saw.
    pub comment: String,
}

// ----- definitions and bulk issuance ----------------------------------------------------------------

/// An organization's definitions: framework, achievements, stacks and pathways (roles), as
/// `GET /api/v1/orgs/{org}/definitions` gives them.
#[derive(ToSchema)]
pub struct Definitions {
    /// The competency framework.
    pub framework: Option<Value>,
    /// Micro-credentials.
    pub achievements: Option<Vec<Value>>,
    /// Stacks (certificates).
    pub stacks: Option<Vec<Value>>,
    /// Career roles and what they require.
    pub roles: Option<Vec<Value>>,
    /// Any other member.
    #[serde(flatten)]
    pub other: std::collections::HashMap<String, Value>,
}

/// What a new definitions version holds.
#[derive(ToSchema)]
pub struct DefinitionsSummary {
    /// Framework name.
    pub framework: String,
    /// Number of competencies.
    pub competencies: u64,
    /// Number of achievements.
    pub achievements: u64,
    /// Number of stacks.
    pub stacks: u64,
    /// Number of roles.
    pub roles: u64,
}

/// One row of a bulk issuance.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRow {
    /// Achievement (micro-credential) id.
    pub achievement: String,
    /// An email address or `educator:<id>`.
    pub recipient: String,
    /// Expiry, RFC 3339.
    pub valid_until: Option<String>,
    /// Retry key.
    pub idempotency_key: Option<String>,
}

/// `POST /api/v1/credentials/bulk`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// `eddsa-jcs-2022` (default) or `eddsa-rdfc-2022`.
    pub suite: Option<Cryptosuite>,
    /// At most 1,000 rows.
    pub rows: Vec<BulkRow>,
}

/// One row's result.
#[derive(ToSchema)]
pub struct BulkRowResult {
    /// 0-based row index.
    pub row: u64,
    /// Issued.
    pub ok: bool,
    /// Credential id (issued rows).
    pub id: Option<String>,
    /// Whether the row's idempotency key answered an earlier issuance (issued rows).
    pub replayed: Option<bool>,
    /// Problem code (failed rows).
    pub code: Option<String>,
    /// The offending field (failed rows).
    pub field: Option<String>,
    /// What went wrong (failed rows).
    pub detail: Option<String>,
}

/// Invitations sent to recipients without an account.
#[derive(ToSchema)]
pub struct InvitationCounts {
    /// Sent.
    pub sent: u64,
    /// Could not be sent.
    pub failed: u64,
}

/// The result of a bulk issuance, one result per row.
#[derive(ToSchema)]
pub struct BulkResult {
    /// Rows issued.
    pub issued: u64,
    /// Rows refused.
    pub failed: u64,
    /// Invitations mailed.
    pub invitations: InvitationCounts,
    /// In row order.
    pub results: Vec<BulkRowResult>,
}

/// A Comprehensive Learner Record (CLR 2.0), signed.
#[derive(ToSchema)]
#[schema(value_type = Object)]
pub struct Clr(Value);

// ----- accounts ----------------------------------------------------------------------------------

/// One person to invite.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteInput {
    /// Their email address (the invitation is mailed there).
    pub email: String,
    /// Their name, if known.
    pub name: Option<String>,
    /// Access roles: `org_admin`, `issuer`, `assessor`, `verifier`, `educator`.
    pub roles: Vec<String>,
}

/// An invitation (never its link: that goes only to the invited address).
#[derive(ToSchema)]
pub struct Invitation {
    /// Invitation id.
    pub id: String,
    /// Organization id.
    pub org: String,
    /// Invited address.
    pub email: String,
    /// Name given.
    pub name: String,
    /// Access roles granted on acceptance.
    pub roles: Vec<String>,
    /// The educator record linked on acceptance.
    pub educator: Option<String>,
    /// Who invited.
    pub invited_by: Option<String>,
    /// `pending`, `accepted`, `revoked` or `expired`.
    pub state: String,
    /// Creation time (ms).
    pub created_ms: i64,
    /// Expiry (ms).
    pub expires_ms: i64,
    /// Acceptance time (ms).
    pub accepted_ms: Option<i64>,
    /// Withdrawal time (ms).
    pub revoked_ms: Option<i64>,
}

/// The organization's invitations, newest first (at most 500).
#[derive(ToSchema)]
pub struct InvitationList {
    /// Invitations.
    pub invitations: Vec<Invitation>,
}

/// An invited roster line.
#[derive(ToSchema)]
pub struct RosterInvited {
    /// Line number.
    pub line: u64,
    /// The invitation.
    pub invitation: Invitation,
}

/// A roster line naming a member already.
#[derive(ToSchema)]
pub struct RosterMember {
    /// Line number.
    pub line: u64,
    /// Address.
    pub email: String,
}

/// A roster line whose invitation failed.
#[derive(ToSchema)]
pub struct RosterFailed {
    /// Line number.
    pub line: u64,
    /// Address.
    pub email: String,
    /// Why.
    pub detail: String,
}

/// A roster line that could not be read.
#[derive(ToSchema)]
pub struct RosterError {
    /// Line number.
    pub line: u64,
    /// The 1-based column, when one field is at fault.
    pub column: Option<u64>,
    /// Field.
    pub field: Option<String>,
    /// What is wrong.
    pub detail: String,
}

/// A roster line skipped.
#[derive(ToSchema)]
pub struct RosterSkipped {
    /// Line number.
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// The answer to a roster, row by row.
#[derive(ToSchema)]
pub struct RosterResult {
    /// `csv` or `oneroster`.
    pub format: String,
    /// Invited.
    pub invited: Vec<RosterInvited>,
    /// Already members.
    pub already_members: Vec<RosterMember>,
    /// Invitations that failed.
    pub failed: Vec<RosterFailed>,
    /// Lines that could not be read.
    pub errors: Vec<RosterError>,
    /// Lines skipped.
    pub skipped: Vec<RosterSkipped>,
}

/// Whether an organization takes sign-ups.
#[derive(ToSchema)]
pub struct Enrollment {
    /// Sign-ups are open.
    pub open: bool,
    /// Where people sign up (`/join/{org}`).
    pub sign_up_url: String,
}

/// Open or close sign-ups.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentInput {
    /// Open.
    pub open: bool,
}

// ----- members -----------------------------------------------------------------------------------

/// A member of an organization.
#[derive(ToSchema)]
pub struct Member {
    /// User id.
    pub user: String,
    /// Sign-in email.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Access roles here.
    pub roles: Vec<String>,
    /// Not deactivated here.
    pub active: bool,
}

/// A member just deactivated.
#[derive(ToSchema)]
pub struct DeactivatedMember {
    /// User id.
    pub user: String,
    /// Sign-in email.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Access roles here (none now).
    pub roles: Vec<String>,
    /// Not deactivated here.
    pub active: bool,
    /// Nothing else tied them to the deployment: their sessions and tokens stopped working.
    pub account_deactivated: bool,
}

/// The organization's members.
#[derive(ToSchema)]
pub struct MemberList {
    /// Members.
    pub members: Vec<Member>,
}

/// A grant, revoke, deactivation or reactivation.
#[derive(ToSchema)]
pub struct MemberEvent {
    /// Event id.
    pub id: String,
    /// Organization id.
    pub org: String,
    /// The member.
    pub user: String,
    /// What happened.
    pub action: String,
    /// Roles concerned.
    pub roles: Vec<String>,
    /// Who did it.
    pub by: Option<String>,
    /// When (ms).
    pub at_ms: i64,
}

/// The organization's membership events.
#[derive(ToSchema)]
pub struct MemberEvents {
    /// Events.
    pub events: Vec<MemberEvent>,
}

/// The access roles a member is to hold, exactly.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesInput {
    /// Role names: `org_admin`, `issuer`, `assessor`, `verifier`, `educator` (at least one).
    pub roles: Vec<String>,
}

// ----- privacy -----------------------------------------------------------------------------------

/// A credential as the export lists it.
#[derive(ToSchema)]
pub struct ExportedCredential {
    /// Credential id.
    pub id: String,
    /// Organization id.
    pub org_id: String,
    /// Issuer id.
    pub issuer_id: String,
    /// Achievement id.
    pub achievement_id: String,
    /// Issue time (ms).
    pub issued_ms: i64,
    /// Expiry (ms).
    pub valid_until_ms: Option<i64>,
    /// `active`, `revoked` or `suspended`.
    pub status: String,
    /// Why revoked or suspended.
    pub status_reason: Option<String>,
    /// Transparency log index of the issuance.
    pub log_index: Option<u64>,
    /// The exact signed bytes, as issued (a JSON text).
    pub document: String,
}

/// Everything stored about an educator.
#[derive(ToSchema)]
pub struct EducatorExport {
    /// `pathledger-educator-export/1`.
    pub format: String,
    /// Export time (ms).
    pub exported_ms: i64,
    /// The record.
    #[schema(value_type = Object)]
    pub educator: Value,
    /// Its email identifiers.
    pub identifiers: Vec<String>,
    /// Facts.
    pub facts: Vec<Value>,
    /// Evidence submissions.
    pub evidence_submissions: Vec<Value>,
    /// Credentials.
    pub credentials: Vec<ExportedCredential>,
    /// Deletion requests.
    pub privacy_requests: Vec<DeletionRequest>,
}

/// An educator's request that their record be erased, and its decision.
#[derive(ToSchema)]
pub struct DeletionRequest {
    /// Identifier.
    pub id: String,
    /// The organization that owns the record.
    pub org_id: String,
    /// The educator record.
    pub educator_id: String,
    /// The user who asked.
    pub requested_by: String,
    /// When (ms).
    pub requested_ms: i64,
    /// The educator's reason (cleared when carried out).
    pub reason: Option<String>,
    /// `pending`, `done` or `declined`.
    pub state: String,
    /// The org admin who decided.
    pub decided_by: Option<String>,
    /// When (ms).
    pub decided_ms: Option<i64>,
    /// Why it was declined.
    pub decision_reason: Option<String>,
}

/// The organization's deletion requests, newest first.
#[derive(ToSchema)]
pub struct DeletionRequests {
    /// Requests.
    pub deletion_requests: Vec<DeletionRequest>,
}

/// A deletion carried out.
#[derive(ToSchema)]
pub struct CarriedOut {
    /// The request, now done (ids and times only).
    pub request: DeletionRequest,
    /// Credentials revoked before erasure.
    pub revoked: Vec<String>,
    /// Credential records erased.
    pub erased_credentials: u64,
}

// ----- tenancy -----------------------------------------------------------------------------------

/// The organization whose record (carrying the caller's email) to link.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// Organization id (not blank).
    #[schema(pattern = "\\S")]
    pub org: String,
}

/// An educator record linked to the caller's account.
#[derive(ToSchema)]
pub struct LinkedRecord {
    /// Educator id.
    pub id: String,
    /// Organization id.
    pub org: String,
}

/// The other organization's issuer to trust.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustInput {
    /// Issuer id.
    pub issuer: String,
}

/// One issuer an organization trusts.
#[derive(ToSchema)]
pub struct TrustedIssuer {
    /// The trusted issuer.
    pub issuer_id: String,
    /// Its name.
    pub issuer_name: String,
    /// Its organization.
    pub issuer_org_id: String,
    /// The user who granted the trust.
    pub granted_by: String,
    /// When (ms).
    pub created_ms: i64,
}

/// An organization's trusted issuers.
#[derive(ToSchema)]
pub struct TrustedIssuers {
    /// Organization id.
    pub org: String,
    /// Issuers.
    #[schema(rename = "trustedIssuers")]
    pub trusted_issuers: Vec<TrustedIssuer>,
}

// ----- tokens ------------------------------------------------------------------------------------

/// A token asked for by its owner.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenInput {
    /// What the token is for (shown in the list); not blank.
    #[schema(pattern = "\\S")]
    pub label: String,
    /// Days until it expires (1 to 3,650); none: it does not expire.
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
}

/// A token just created: the only time its secret is shown.
#[derive(ToSchema)]
pub struct CreatedToken {
    /// Token id.
    pub id: String,
    /// Label.
    pub label: String,
    /// Expiry (ms), if any.
    pub expires_ms: Option<i64>,
    /// The secret (`Authorization: Bearer …`); never retrievable again.
    pub secret: String,
}

/// An API token (never its secret).
#[derive(ToSchema)]
pub struct Token {
    /// Token id.
    pub id: String,
    /// Label.
    pub label: String,
    /// Creation time (ms).
    pub created_ms: i64,
    /// Expiry (ms), if any.
    pub expires_ms: Option<i64>,
    /// Revocation time (ms), if revoked.
    pub revoked_ms: Option<i64>,
    /// Revoked.
    pub revoked: bool,
}

/// The caller's tokens.
#[derive(ToSchema)]
pub struct TokenList {
    /// Tokens, newest first.
    pub tokens: Vec<Token>,
}

// ----- endorsers ---------------------------------------------------------------------------------

/// A grant asked for by an org admin.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    /// The endorser: a user id or their sign-in email (a member of the organization).
    pub user: String,
    /// Career role id.
    pub role: String,
}

/// An endorser grant.
#[derive(ToSchema)]
pub struct EndorserGrant {
    /// Grant id.
    pub id: String,
    /// Organization id.
    pub org: String,
    /// The endorser's user id.
    pub user: String,
    /// Career role id.
    pub role: String,
    /// Who granted it.
    pub granted_by: Option<String>,
    /// When (ms).
    pub granted_ms: i64,
    /// Who revoked it (revoked grants).
    pub revoked_by: Option<String>,
    /// When (ms; revoked grants).
    pub revoked_ms: Option<i64>,
    /// Transparency log index of the grant or revocation.
    pub log_index: Option<u64>,
}

/// The organization's active endorser grants.
#[derive(ToSchema)]
pub struct EndorserGrants {
    /// Grants.
    pub endorsers: Vec<EndorserGrant>,
}

// ----- the caller ----------------------------------------------------------------------------------

/// An organization, named.
#[derive(ToSchema)]
pub struct OrgRef {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
}

/// The caller's user.
#[derive(ToSchema)]
pub struct MeUser {
    /// Identifier.
    pub id: String,
    /// Sign-in email.
    pub email: String,
    /// Display name.
    pub display_name: String,
}

/// Access roles held in one organization.
#[derive(ToSchema)]
pub struct MeMembership {
    /// The organization.
    pub org: OrgRef,
    /// `org_admin`, `issuer`, `assessor`, `verifier`, `educator`.
    pub roles: Vec<String>,
}

/// A career role the caller endorses as.
#[derive(ToSchema)]
pub struct EndorserRole {
    /// Career role id.
    pub role: String,
    /// Its name.
    pub name: String,
    /// `reached` or `grant`.
    pub source: String,
    /// The grant, when `source` is `grant`.
    pub grant: Option<String>,
}

/// Career roles the caller endorses as in one organization.
#[derive(ToSchema)]
pub struct MeEndorser {
    /// The organization.
    pub org: OrgRef,
    /// The roles, reached or granted.
    pub roles: Vec<EndorserRole>,
}

/// One of the caller's educator records.
#[derive(ToSchema)]
pub struct MeEducator {
    /// Educator id.
    pub id: String,
    /// Its organization.
    pub org: OrgRef,
}

/// `GET /api/v1/me`.
#[derive(ToSchema)]
pub struct Me {
    /// The user.
    pub user: MeUser,
    /// Access roles, grouped by organization.
    pub memberships: Vec<MeMembership>,
    /// Career roles the caller endorses as, by organization.
    pub endorser_roles: Vec<MeEndorser>,
    /// Educator records.
    pub educators: Vec<MeEducator>,
}

/// Who sees an educator in communities of practice.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum Visibility {
    /// Nobody.
    Hidden,
    /// Members of the educator's organization (the default).
    Organization,
    /// Everyone.
    Public,
}

/// Who sees the educator in communities of practice.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunityInput {
    /// The choice.
    pub visibility: Visibility,
}

/// The educator's choice.
#[derive(ToSchema)]
pub struct Community {
    /// Educator id.
    pub educator: String,
    /// The choice.
    pub visibility: Visibility,
}

// ----- OpenID Connect ------------------------------------------------------------------------------

/// An organization's provider settings, as an org admin gives them.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcInput {
    /// The provider's issuer URL (https; its discovery document is fetched to check it).
    pub issuer_url: String,
    /// This deployment's client id at the provider.
    pub client_id: String,
    /// The client secret (stored sealed, never shown again).
    pub client_secret: String,
    /// What the sign-in button says after "Sign in with", e.g. "Riverside Google".
    pub label: String,
}

/// An organization's OpenID Connect sign-in (never the client secret).
#[derive(ToSchema)]
pub struct OidcSettings {
    /// Organization id.
    pub org: String,
    /// Whether a provider is configured.
    pub configured: bool,
    /// The provider's issuer URL.
    pub issuer_url: Option<String>,
    /// The client id.
    pub client_id: Option<String>,
    /// The sign-in button's label.
    pub label: Option<String>,
    /// What to register at the provider (`<public URL>/login/oidc/callback`).
    pub redirect_uri: String,
    /// Where members start signing in.
    pub sign_in_url: Option<String>,
    /// Creation time (ms).
    pub created_ms: Option<i64>,
    /// Last change (ms).
    pub updated_ms: Option<i64>,
}

// ----- wallets: OpenID for Verifiable Credential Issuance 1.0 ------------------------------------

/// The credential issuer metadata (OID4VCI 1.0 §12.2.4).
#[derive(ToSchema)]
pub struct CredentialIssuerMetadata {
    /// The credential issuer identifier: this deployment's public URL.
    pub credential_issuer: String,
    /// The credential endpoint.
    pub credential_endpoint: String,
    /// The nonce endpoint.
    pub nonce_endpoint: String,
    /// How wallets name the issuer.
    pub display: Vec<Value>,
    /// The configurations offered, by id (`OpenBadgeCredential`).
    pub credential_configurations_supported: std::collections::HashMap<String, Value>,
}

/// OAuth 2.0 authorization server metadata (RFC 8414).
#[derive(ToSchema)]
pub struct AuthorizationServerMetadata {
    /// The issuer identifier (the public URL).
    pub issuer: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// `urn:ietf:params:oauth:grant-type:pre-authorized_code`.
    pub grant_types_supported: Vec<String>,
    /// None: there is no authorization endpoint.
    pub response_types_supported: Vec<String>,
    /// `none`: wallets are anonymous.
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// Always true.
    #[schema(rename = "pre-authorized_grant_anonymous_access_supported")]
    pub anonymous: bool,
}

/// A credential offer (OID4VCI §4.1.1).
#[derive(ToSchema)]
pub struct CredentialOffer {
    /// The credential issuer identifier.
    pub credential_issuer: String,
    /// `["OpenBadgeCredential"]`.
    pub credential_configuration_ids: Vec<String>,
    /// The pre-authorized code grant: `pre-authorized_code` and `tx_code` (numeric, 6 digits).
    pub grants: Value,
}

/// The token request (OID4VCI §6.1), form-encoded.
#[derive(ToSchema)]
pub struct TokenRequest {
    /// `urn:ietf:params:oauth:grant-type:pre-authorized_code`.
    pub grant_type: String,
    /// The offer's pre-authorized code.
    #[schema(rename = "pre-authorized_code")]
    pub pre_authorized_code: String,
    /// The transaction code shown beside the QR code.
    pub tx_code: String,
}

/// The token response.
#[derive(ToSchema)]
pub struct TokenResponse {
    /// The bearer token for the credential endpoint.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds it works (300).
    pub expires_in: u64,
}

/// The nonce response (OID4VCI §7.2).
#[derive(ToSchema)]
pub struct NonceResponse {
    /// A nonce for the key proof, valid once for 5 minutes.
    pub c_nonce: String,
}

/// The credential request (OID4VCI §8.2).
#[derive(ToSchema)]
pub struct CredentialRequest {
    /// `OpenBadgeCredential`.
    pub credential_configuration_id: String,
    /// `{"jwt": ["<key proof JWT>"]}`.
    pub proofs: Option<Value>,
    /// Draft 15's single proof, `{"proof_type": "jwt", "jwt": "…"}`, also accepted.
    pub proof: Option<Value>,
}

/// The credential response (OID4VCI §8.3).
#[derive(ToSchema)]
pub struct CredentialResponse {
    /// One entry: `{"credential": <the signed OpenBadgeCredential>}`.
    pub credentials: Vec<Value>,
}

/// An OAuth error (RFC 6749 §5.2, RFC 6750 §3, OID4VCI §8.3.1): what wallets read, not
/// problem+json.
#[derive(ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_grant`, `unsupported_grant_type`, `invalid_token`,
    /// `invalid_credential_request`, `unknown_credential_configuration`,
    /// `unknown_credential_identifier`, `invalid_proof`, `invalid_nonce`,
    /// `invalid_encryption_parameters` or `credential_request_denied`.
    pub error: String,
    /// What went wrong, in words.
    pub error_description: String,
}

/// An image kept for an achievement or as an organization's logo.
#[derive(ToSchema)]
pub struct ImageSet {
    /// Its address: the stable URL where this site serves it, or the link given.
    pub url: String,
    /// Whether this site hosts it.
    pub hosted: bool,
    /// `image/png` or `image/svg+xml` (hosted images only).
    #[schema(rename = "mediaType")]
    pub media_type: Option<String>,
    /// Hex SHA-256 of its bytes, also its ETag (hosted images only).
    pub sha256: Option<String>,
}
