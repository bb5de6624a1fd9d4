//! Verification reports for any OB 3.0 / VC 2.0 credential (ours or another issuer's): one result
//! per check in a fixed order (well_formed, schema, proof, issuer, validity, status) and one
//! overall verdict with a stable code and a plain-language message for a district HR reader.

use pathledger_signing::{verify_document_within, KeyResolver, ProofOutcome, WorkBudget};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::dates;
use crate::schema::{self, SchemaError, SchemaKind};
use crate::status::{check_status, StatusEntry, StatusError, StatusPurpose};
use crate::text::clip;
use crate::vc::{first_context, is_uri, VC_V2};

use crate::fetch::WebResolver;
pub use crate::fetch::{FetchError, Fetcher, NoFetcher, StaticFetcher};
pub use crate::trust::{Listing, TrustList};
pub use crate::vc::issuer_id;

/// VC 1.1 context (accepted on input).
pub const VC_V1: &str = "https://www.w3.org/2018/credentials/v1";

/// The overall result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
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
    /// A format or signature suite we do not check (e.g. `ecdsa-sd-2023`, a JWS algorithm
    /// other than EdDSA, ES256 or RS256): neither good nor bad, just not checked here.
    UnsupportedFormat,
}

impl Verdict {
    /// Every verdict, in order of increasing severity after `valid`.
    pub const ALL: [Verdict; 10] = [
        Self::Valid,
        Self::CouldNotCheck,
        Self::UnsupportedFormat,
        Self::UnknownIssuer,
        Self::NotYetValid,
        Self::Expired,
        Self::Suspended,
        Self::Revoked,
        Self::Malformed,
        Self::Tampered,
    ];

    /// The stable code (`valid`, `tampered`, …).
    pub fn code(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Tampered => "tampered",
            Self::Revoked => "revoked",
            Self::Suspended => "suspended",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::UnknownIssuer => "unknown_issuer",
            Self::Malformed => "malformed",
            Self::CouldNotCheck => "could_not_check",
            Self::UnsupportedFormat => "unsupported_format",
        }
    }

    /// How bad, for "worst wins" when combining a CLR with its inner credentials.
    fn severity(self) -> u8 {
        match self {
            Self::Valid => 0,
            Self::CouldNotCheck | Self::UnsupportedFormat => 1,
            Self::UnknownIssuer => 2,
            Self::NotYetValid => 3,
            Self::Expired => 4,
            Self::Suspended => 5,
            Self::Revoked => 6,
            Self::Malformed => 7,
            Self::Tampered => 8,
        }
    }
}

/// The six checks, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Passed.
    Passed,
    /// Failed.
    Failed,
    /// Not performed, or could not be completed (see the code).
    NotChecked,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// The verification report. Its JSON form is
/// `{"verdict": CODE, "message": TEXT, "checks": [{"check", "status", "code", "message"}]}`;
/// a CLR adds `"credentials": [report, …]` for its embedded credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerificationReport {
    /// Overall verdict.
    pub verdict: Verdict,
    /// Plain-language summary.
    pub message: String,
    /// The six checks in fixed order.
    pub checks: Vec<CheckResult>,
    /// Reports of credentials embedded in a CLR, in document order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<VerificationReport>,
}

impl VerificationReport {
    /// The JSON form shared by the CLI (`verify --json`) and the HTTP API.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The result of one check.
    pub fn check(&self, name: CheckName) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.check == name)
    }

    /// The report on input that is not a credential at all (not JSON, unreadable): verdict
    /// `malformed`, with its one check, `well_formed`, failed with `PARSING_ERROR` and `message`.
    pub fn malformed(message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            verdict: Verdict::Malformed,
            checks: vec![CheckResult {
                check: CheckName::WellFormed,
                status: CheckStatus::Failed,
                code: "PARSING_ERROR".into(),
                message: message.clone(),
            }],
            message,
            credentials: Vec::new(),
        }
    }
}

impl VerificationReport {
    /// The report on a credential that was not checked at all (`could_not_check`), e.g. because
    /// the request ended first: every check `not_checked` with `code` and `message`.
    pub fn not_checked(code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            verdict: Verdict::CouldNotCheck,
            checks: [
                CheckName::WellFormed,
                CheckName::Schema,
                CheckName::Proof,
                CheckName::Issuer,
                CheckName::Validity,
                CheckName::Status,
            ]
            .into_iter()
            .map(|check| CheckResult {
                check,
                status: CheckStatus::NotChecked,
                code: code.to_owned(),
                message: message.clone(),
            })
            .collect(),
            message,
            credentials: Vec::new(),
        }
    }
}

impl CheckName {
    /// The wire name (`well_formed`, `schema`, `proof`, `issuer`, `validity`, `status`).
    pub fn code(self) -> &'static str {
        match self {
            Self::WellFormed => "well_formed",
            Self::Schema => "schema",
            Self::Proof => "proof",
            Self::Issuer => "issuer",
            Self::Validity => "validity",
            Self::Status => "status",
        }
    }
}

impl CheckStatus {
    /// The wire name (`passed`, `failed`, `not_checked`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::NotChecked => "not_checked",
        }
    }
}

/// Verifies credentials. Holds borrowed key resolution and fetching, a trust list and a clock.
pub struct Verifier<'a> {
    /// Key resolution (did:key offline, known did:web issuers); unknown did:web goes through `fetcher`.
    pub resolver: &'a dyn KeyResolver,
    /// Status lists and did:web documents.
    pub fetcher: &'a dyn Fetcher,
    /// Trusted issuers.
    pub trust: TrustList,
    /// "Now" for validity checks; `None` uses the system clock.
    pub now: Option<OffsetDateTime>,
    /// Whether to run the JSON Schema check (on by default).
    pub check_schema: bool,
}

const MAX_DEPTH: u8 = 3;

pub(crate) struct Checks {
    pub(crate) list: Vec<CheckResult>,
}

impl Checks {
    pub(crate) fn new() -> Self {
        Self {
            list: Vec::with_capacity(6),
        }
    }

    pub(crate) fn push(
        &mut self,
        check: CheckName,
        status: CheckStatus,
        code: &str,
        message: impl Into<String>,
    ) {
        self.list.push(CheckResult {
            check,
            status,
            code: code.to_owned(),
            message: message.into(),
        });
    }

    pub(crate) fn skip(&mut self, check: CheckName, code: &str, message: &str) {
        self.push(check, CheckStatus::NotChecked, code, message);
    }
}

/// A verdict candidate raised by a check; the first in ledger order wins.
#[derive(Clone)]
pub(crate) struct Finding {
    pub(crate) verdict: Verdict,
    pub(crate) message: String,
}

/// How a check message names an issuer: by name, never by its DID or address (those stay in
/// the credential, which a page folds into its technical details).
pub(crate) fn issuer_display_name(name: Option<&str>) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => clip(n),
        None => "an issuer that gives no name".to_owned(),
    }
}

pub(crate) fn has_type(doc: &Value, t: &str) -> bool {
    match doc.get("type") {
        Some(Value::Array(a)) => a.iter().any(|x| x == t),
        Some(Value::String(s)) => s == t,
        _ => false,
    }
}

fn credential_label(doc: &Value) -> String {
    let name = doc
        .get("name")
        .and_then(Value::as_str)
        .or_else(|| {
            doc.pointer("/credentialSubject/achievement/name")
                .and_then(Value::as_str)
        })
        .unwrap_or("unnamed credential");
    format!("\u{201c}{}\u{201d}", clip(name))
}

/// Dates a credential carries, parsed during the well-formed check.
pub(crate) struct Window {
    pub(crate) from: Option<OffsetDateTime>,
    pub(crate) until: Option<OffsetDateTime>,
}

/// What the structure check extracts: validity window, Bitstring entries, other status types.
pub(crate) type Structure = (Window, Vec<StatusEntry>, Vec<String>);
/// A failed check: (code, message).
pub(crate) type Failure = (String, String);

/// Structure checks. Returns the validity window and the status entries on success.
pub(crate) fn well_formed(doc: &Value) -> Result<Structure, Failure> {
    let bad = |code: &str, m: &str| Err((code.to_owned(), m.to_owned()));
    let Some(obj) = doc.as_object() else {
        return bad(
            "PARSING_ERROR",
            "The file is not a credential (it is not a JSON object).",
        );
    };
    let first_context = first_context(obj);
    let v1 = first_context == Some(VC_V1);
    if !(v1 || first_context == Some(VC_V2)) {
        return bad(
            "NO_VC_CONTEXT",
            "The file does not declare itself as a W3C Verifiable Credential (its @context is missing or wrong).",
        );
    }
    if !has_type(doc, "VerifiableCredential") {
        return bad(
            "NO_VC_TYPE",
            "The file's type does not include VerifiableCredential.",
        );
    }
    if let Some(id) = obj.get("id") {
        if !id.as_str().is_some_and(is_uri) {
            return bad("INVALID_ID", "The credential's id is not a URL or URN.");
        }
    }
    match issuer_id(doc) {
        Some(i) if is_uri(i) => {}
        _ => return bad("NO_ISSUER", "The credential does not say who issued it."),
    }
    let subjects: Vec<&Value> = match obj.get("credentialSubject") {
        Some(Value::Array(a)) if !a.is_empty() => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => {
            return bad(
                "NO_SUBJECT",
                "The credential does not say who it was issued to.",
            )
        }
    };
    if has_type(doc, "OpenBadgeCredential") || has_type(doc, "AchievementCredential") {
        for s in &subjects {
            let has_id = s.get("id").and_then(Value::as_str).is_some_and(is_uri);
            let has_identifier = s
                .get("identifier")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty());
            if !has_id && !has_identifier {
                return bad(
                    "NO_SUBJECT_ID",
                    "The badge does not identify its recipient (no id or identifier).",
                );
            }
        }
    }
    let date = |key: &str| -> Result<Option<OffsetDateTime>, Failure> {
        match obj.get(key) {
            None => Ok(None),
            Some(v) => v.as_str().and_then(dates::parse).map(Some).ok_or_else(|| {
                (
                    "INVALID_DATE".to_owned(),
                    format!("The credential's {key} is not a valid date and time."),
                )
            }),
        }
    };
    let (from, until) = if v1 {
        let from = date("issuanceDate")?;
        if from.is_none() {
            return bad("NO_ISSUANCE_DATE", "The credential has no issuance date.");
        }
        (from, date("expirationDate")?)
    } else {
        (date("validFrom")?, date("validUntil")?)
    };
    if let (Some(f), Some(u)) = (from, until) {
        if u < f {
            return bad(
                "INVALID_VALIDITY_PERIOD",
                "The credential's validity period ends before it begins: it is never valid.",
            );
        }
    }
    let mut entries = Vec::new();
    let mut unsupported = Vec::new();
    let statuses: Vec<&Value> = match obj.get("credentialStatus") {
        None => Vec::new(),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
    };
    for s in statuses {
        if s.get("id").and_then(Value::as_str).is_none() {
            return bad(
                "MALFORMED_VALUE_ERROR",
                "The credential's status entry has no id (Open Badges requires one).",
            );
        }
        let ty_is_bitstring = match s.get("type") {
            Some(Value::String(t)) => t == "BitstringStatusListEntry",
            Some(Value::Array(a)) => a.iter().any(|t| t == "BitstringStatusListEntry"),
            _ => false,
        };
        if ty_is_bitstring {
            let e = StatusEntry::parse(s).map_err(|e| {
                (
                    e.code().to_owned(),
                    format!("The credential's status entry is malformed: {e}."),
                )
            })?;
            entries.push(e);
        } else {
            let t = s
                .get("type")
                .map(|t| clip(&t.to_string()))
                .unwrap_or_else(|| "(none)".into());
            unsupported.push(t);
        }
    }
    Ok((Window { from, until }, entries, unsupported))
}

/// The validity check (5) of a `noun` ("credential", "badge") valid from `from` until `until`,
/// `tolerance` allowed for clocks that disagree about the start.
pub(crate) fn validity_check(
    checks: &mut Checks,
    noun: &str,
    (from, until): (Option<OffsetDateTime>, Option<OffsetDateTime>),
    now: OffsetDateTime,
    tolerance: time::Duration,
) -> Option<Finding> {
    let (code, verdict, m) = match (from, until) {
        (Some(from), _) if from > now + tolerance => (
            "NOT_YET_VALID",
            Verdict::NotYetValid,
            format!("This {noun} only becomes valid on {}.", dates::human(from)),
        ),
        (_, Some(until)) if until < now => (
            "EXPIRED",
            Verdict::Expired,
            format!("This {noun} expired on {}.", dates::human(until)),
        ),
        (_, until) => {
            checks.push(
                CheckName::Validity,
                CheckStatus::Passed,
                "ok",
                match until {
                    Some(u) => format!(
                        "The {noun} is within its validity period (until {}).",
                        dates::human(u)
                    ),
                    None => format!("The {noun} is valid and has no expiry date."),
                },
            );
            return None;
        }
    };
    checks.push(CheckName::Validity, CheckStatus::Failed, code, m.clone());
    Some(Finding {
        verdict,
        message: m,
    })
}

/// The report on input that failed the well-formed check with `code`: nothing else checked.
pub(crate) fn malformed_report(
    mut checks: Checks,
    code: &str,
    message: &str,
) -> VerificationReport {
    checks.push(
        CheckName::WellFormed,
        CheckStatus::Failed,
        code,
        message.to_owned(),
    );
    let not_after_malformed = "Not checked because the file is not a well-formed credential.";
    for c in [
        CheckName::Schema,
        CheckName::Proof,
        CheckName::Issuer,
        CheckName::Validity,
        CheckName::Status,
    ] {
        checks.skip(c, "not_checked", not_after_malformed);
    }
    VerificationReport {
        verdict: Verdict::Malformed,
        message: format!("This is not a valid digital credential. {message}"),
        checks: checks.list,
        credentials: Vec::new(),
    }
}

impl Verifier<'_> {
    /// Key resolution for proofs: the base resolver, then did:web documents through the fetcher.
    pub(crate) fn web_resolver(&self) -> impl KeyResolver + '_ {
        WebResolver {
            base: self.resolver,
            fetcher: self.fetcher,
        }
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.now.unwrap_or_else(OffsetDateTime::now_utc)
    }

    /// Verifies one credential (CLRs include each embedded credential; worst verdict wins).
    pub fn verify(&self, doc: &Value) -> VerificationReport {
        self.verify_within(doc, &WorkBudget::unlimited())
    }

    /// [`verify`](Self::verify) as one of the credentials of a request whose canonicalization
    /// work is paid from `budget` (see [`WorkBudget`]). A credential whose proof needs more than
    /// is left is `could_not_check` (`WORK_BUDGET_SPENT`); once the budget is cancelled (the
    /// request ended) nothing more is checked.
    pub fn verify_within(&self, doc: &Value, budget: &WorkBudget) -> VerificationReport {
        if budget.is_cancelled() {
            return VerificationReport::not_checked(
                "REQUEST_ENDED",
                "Not checked: the request ended before this credential's turn.",
            );
        }
        self.verify_at_depth(doc, 0, budget)
    }

    /// Verifies many credentials in parallel on all cores; reports are in input order.
    pub fn verify_many(&self, docs: &[Value]) -> Vec<VerificationReport> {
        docs.par_iter().map(|d| self.verify(d)).collect()
    }

    pub(crate) fn verify_at_depth(
        &self,
        doc: &Value,
        depth: u8,
        budget: &WorkBudget,
    ) -> VerificationReport {
        // Tokens, links and Open Badges 2.0 assertions (see `formats`).
        if let Some(report) = self.verify_other_format(doc, depth, budget) {
            return report;
        }
        let mut checks = Checks::new();
        let (structure, schema_finding) = match self.structure_and_schema(doc, &mut checks) {
            Ok(x) => x,
            Err(report) => return report,
        };

        // 3. proof (fatal on failure)
        let resolver = WebResolver {
            base: self.resolver,
            fetcher: self.fetcher,
        };
        let controllers: Vec<String> = match verify_document_within(doc, &resolver, budget) {
            ProofOutcome::Verified(p) => {
                // The keys (DIDs) are not named here: people read this; the page shows
                // them folded away, the report's JSON keeps the credential for programs.
                let mut desc: Vec<String> = p
                    .iter()
                    .map(|v| {
                        if v.proof_type == "DataIntegrityProof" {
                            v.cryptosuite.as_str().to_owned()
                        } else {
                            v.proof_type.to_owned()
                        }
                    })
                    .collect();
                desc.dedup();
                checks.push(
                    CheckName::Proof,
                    CheckStatus::Passed,
                    "ok",
                    format!(
                        "The digital signature is genuine and the credential has not been changed since it was signed ({}).",
                        desc.join("; ")
                    ),
                );
                p.into_iter().map(|v| v.controller).collect()
            }
            other => {
                let (status, code, verdict, summary) = match &other {
                    ProofOutcome::Invalid { code, message } => (
                        CheckStatus::Failed,
                        *code,
                        Verdict::Tampered,
                        format!("This credential has been altered since it was issued, or its signature is not genuine. Do not rely on it. ({message})"),
                    ),
                    ProofOutcome::CouldNotCheck { code, message } => (
                        CheckStatus::NotChecked,
                        *code,
                        Verdict::CouldNotCheck,
                        format!("We could not check the signature right now: {message}. Try again later."),
                    ),
                    ProofOutcome::Malformed { code, message }
                        if *code == pathledger_signing::proof::codes::UNKNOWN_CRYPTOSUITE =>
                    (
                        CheckStatus::NotChecked,
                        *code,
                        Verdict::UnsupportedFormat,
                        format!("This credential is signed in a format we do not check yet ({message}). It is not known to be bad; ask the holder for another copy or check it with the issuer."),
                    ),
                    ProofOutcome::Malformed { code, message } => (
                        CheckStatus::Failed,
                        *code,
                        Verdict::Malformed,
                        format!("This credential's signature cannot be checked: {message}."),
                    ),
                    _ => (
                        CheckStatus::Failed,
                        "PROOF_VERIFICATION_ERROR",
                        Verdict::Tampered,
                        "The signature could not be verified.".to_owned(),
                    ),
                };
                return self.proof_failed(
                    doc,
                    checks,
                    (status, code, verdict, summary),
                    depth,
                    budget,
                );
            }
        };
        self.after_proof(
            doc,
            structure,
            checks,
            schema_finding,
            &controllers,
            depth,
            budget,
        )
    }

    /// The well-formed and schema checks (1 and 2). A credential that is not well formed
    /// gets its whole report here, as the error.
    pub(crate) fn structure_and_schema(
        &self,
        doc: &Value,
        checks: &mut Checks,
    ) -> Result<(Structure, Option<Finding>), VerificationReport> {
        match well_formed(doc) {
            Ok(structure) => {
                checks.push(
                    CheckName::WellFormed,
                    CheckStatus::Passed,
                    "ok",
                    "The file is a well-formed verifiable credential.",
                );
                Ok((structure, self.schema_check(doc, checks)))
            }
            Err((code, message)) => Err(malformed_report(
                std::mem::replace(checks, Checks::new()),
                &code,
                &message,
            )),
        }
    }

    /// The schema check (2). Its failure ranks last in ledger order, so it is only remembered.
    pub(crate) fn schema_check(&self, doc: &Value, checks: &mut Checks) -> Option<Finding> {
        let mut schema_finding = None;
        match (self.check_schema, SchemaKind::for_credential(doc)) {
            (false, _) => checks.skip(
                CheckName::Schema,
                "disabled",
                "Schema checking is turned off.",
            ),
            (true, None) => checks.skip(
                CheckName::Schema,
                "no_schema",
                "There is no official schema for this kind of credential.",
            ),
            // The Open Badges 3.0 and CLR 2.0 schemas describe the VC 2.0 form only.
            (true, Some(_)) if doc.as_object().and_then(first_context) == Some(VC_V1) => {
                checks.skip(
                    CheckName::Schema,
                    "no_schema",
                    "The official schemas describe the VC 2.0 form; this credential is in the VC 1.1 form, whose structure was checked above.",
                )
            }
            (true, Some(kind)) => match schema::validate(kind, doc) {
                Ok(()) => checks.push(
                    CheckName::Schema,
                    CheckStatus::Passed,
                    "ok",
                    "The credential matches the official Open Badges / CLR schema.",
                ),
                Err(SchemaError::Invalid(errors)) => {
                    let m = format!(
                        "The credential does not follow the official schema: {}.",
                        errors.join("; ")
                    );
                    checks.push(
                        CheckName::Schema,
                        CheckStatus::Failed,
                        "SCHEMA_ERROR",
                        m.clone(),
                    );
                    schema_finding = Some(Finding {
                        verdict: Verdict::Malformed,
                        message: format!("This credential is not correctly formed. {m}"),
                    });
                }
                Err(e) => checks.skip(CheckName::Schema, "schema_unavailable", &e.to_string()),
            },
        }

        schema_finding
    }

    /// The report on a credential whose proof failed: nothing else is checked (a CLR's inner
    /// credentials still are).
    pub(crate) fn proof_failed(
        &self,
        doc: &Value,
        mut checks: Checks,
        (status, code, verdict, summary): (CheckStatus, &str, Verdict, String),
        depth: u8,
        budget: &WorkBudget,
    ) -> VerificationReport {
        checks.push(CheckName::Proof, status, code, summary.clone());
        let why =
            "Not checked: without a valid signature nothing else in the credential can be trusted.";
        checks.skip(CheckName::Issuer, "not_checked", why);
        checks.skip(CheckName::Validity, "not_checked", why);
        checks.skip(CheckName::Status, "not_checked", why);
        let mut report = VerificationReport {
            verdict,
            message: summary,
            checks: checks.list,
            credentials: Vec::new(),
        };
        self.add_inner(doc, depth, budget, &mut report);
        report
    }

    /// Checks 4 to 6 (issuer, validity, status) once the proof held, signed by keys of
    /// `controllers`; then a CLR's inner credentials.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn after_proof(
        &self,
        doc: &Value,
        (window, entries, unsupported): Structure,
        mut checks: Checks,
        schema_finding: Option<Finding>,
        controllers: &[String],
        depth: u8,
        budget: &WorkBudget,
    ) -> VerificationReport {
        // 4. issuer
        let issuer = issuer_id(doc).unwrap_or_default().to_owned();
        // A registry's name for the issuer outranks the name the credential gives itself.
        let listing = self.trust.listed.get(&issuer);
        let issuer_name = issuer_display_name(
            listing
                .map(|l| l.name.as_str())
                .or_else(|| doc.pointer("/issuer/name").and_then(Value::as_str)),
        );
        let mut issuer_finding = None;
        // In a proof set or chain other parties may sign too (witnesses, endorsers); the
        // issuer must have signed at least one of the proofs.
        if !controllers.is_empty() && !controllers.contains(&issuer) {
            let m = format!(
                "The credential names {issuer_name} as its issuer, but it was signed with a key belonging to someone else."
            );
            checks.push(
                CheckName::Issuer,
                CheckStatus::Failed,
                "KEY_NOT_ISSUERS",
                m.clone(),
            );
            issuer_finding = Some(Finding {
                verdict: Verdict::UnknownIssuer,
                message: format!("The signature is genuine, but it does not belong to the organization named as issuer. {m}"),
            });
        } else if self.trust.issuers.contains(&issuer) {
            let m = match listing {
                Some(l) => format!("Issued by {issuer_name}, listed in {}.", clip(&l.registry)),
                None => format!("Issued by {issuer_name}, a trusted issuer."),
            };
            checks.push(CheckName::Issuer, CheckStatus::Passed, "ok", m);
        } else if self.trust.accept_any {
            checks.push(
                CheckName::Issuer,
                CheckStatus::Passed,
                "issuer_owns_key",
                format!(
                    "Issued by {issuer_name}, which owns the signing key (no trust list applied)."
                ),
            );
        } else {
            let m = format!("{issuer_name} is not on your list of trusted issuers.");
            checks.push(
                CheckName::Issuer,
                CheckStatus::Failed,
                "ISSUER_NOT_TRUSTED",
                m.clone(),
            );
            issuer_finding = Some(Finding {
                verdict: Verdict::UnknownIssuer,
                message: format!(
                    "The signature is genuine, but the issuer is not one you trust: {m}"
                ),
            });
        }

        // 5. validity
        let now = self.now();
        let validity_finding = validity_check(
            &mut checks,
            "credential",
            (window.from, window.until),
            now,
            time::Duration::ZERO,
        );

        // 6. status
        let status_finding = self.status_check(&entries, &unsupported, &issuer, now, &mut checks);

        // Verdict in ledger order: validity, status, issuer trust, schema.
        let finding = validity_finding
            .or(status_finding)
            .or(issuer_finding)
            .or(schema_finding);
        let (verdict, message) = match finding {
            Some(f) => (f.verdict, f.message),
            None => (
                Verdict::Valid,
                format!(
                    "This credential is genuine: it was issued by {issuer_name}, has not been changed, is currently valid and has not been revoked."
                ),
            ),
        };
        let mut report = VerificationReport {
            verdict,
            message,
            checks: checks.list,
            credentials: Vec::new(),
        };
        self.add_inner(doc, depth, budget, &mut report);
        report
    }

    pub(crate) fn status_check(
        &self,
        entries: &[StatusEntry],
        unsupported: &[String],
        issuer: &str,
        now: OffsetDateTime,
        checks: &mut Checks,
    ) -> Option<Finding> {
        if entries.is_empty() && unsupported.is_empty() {
            checks.skip(
                CheckName::Status,
                "no_status",
                "The issuer does not publish a revocation list for this credential.",
            );
            return None;
        }
        let resolver = WebResolver {
            base: self.resolver,
            fetcher: self.fetcher,
        };
        let mut set: Option<StatusPurpose> = None;
        let mut problem: Option<(String, String)> = None;
        if let Some(t) = unsupported.first() {
            problem = Some((
                "UNSUPPORTED_STATUS_TYPE".into(),
                format!("the credential uses a status method we cannot check ({t})"),
            ));
        }
        for e in entries {
            let result = match self.fetcher.checked_status_list(&e.list_credential) {
                Some(list) => list.read(e, Some(issuer), now),
                None => self
                    .fetcher
                    .fetch_json(&e.list_credential)
                    .map_err(|f| StatusError::Retrieval(f.to_string()))
                    .and_then(|list| check_status(e, &list, &resolver, Some(issuer), now)),
            };
            match result {
                Ok(c) if c.set => {
                    // Revocation outranks suspension.
                    if set != Some(StatusPurpose::Revocation) {
                        set = Some(c.purpose);
                    }
                }
                Ok(_) => {}
                Err(err) => {
                    if problem.is_none() {
                        problem = Some((err.code().to_owned(), err.to_string()));
                    }
                }
            }
        }
        match (set, problem) {
            (Some(StatusPurpose::Revocation), _) => {
                let m = "The issuer has revoked this credential. It is no longer valid.";
                checks.push(CheckName::Status, CheckStatus::Failed, "REVOKED", m);
                Some(Finding {
                    verdict: Verdict::Revoked,
                    message: m.into(),
                })
            }
            (Some(StatusPurpose::Suspension), _) => {
                let m =
                    "The issuer has suspended this credential. It is not valid while suspended.";
                checks.push(CheckName::Status, CheckStatus::Failed, "SUSPENDED", m);
                Some(Finding {
                    verdict: Verdict::Suspended,
                    message: m.into(),
                })
            }
            (Some(other), _) => {
                let m = format!("The issuer flagged this credential ({}).", other.as_str());
                checks.push(CheckName::Status, CheckStatus::Failed, "FLAGGED", m.clone());
                Some(Finding {
                    verdict: Verdict::CouldNotCheck,
                    message: m,
                })
            }
            (None, Some((code, reason))) => {
                let m =
                    format!("We could not check whether this credential was revoked: {reason}.");
                checks.push(CheckName::Status, CheckStatus::NotChecked, &code, m.clone());
                Some(Finding {
                    verdict: Verdict::CouldNotCheck,
                    message: format!("{m} Try again later or contact the issuer."),
                })
            }
            (None, None) => {
                checks.push(
                    CheckName::Status,
                    CheckStatus::Passed,
                    "ok",
                    "The issuer's status list shows this credential has not been revoked or suspended.",
                );
                None
            }
        }
    }

    /// For a CLR: verifies each embedded credential and lets the worst verdict win.
    fn add_inner(
        &self,
        doc: &Value,
        depth: u8,
        budget: &WorkBudget,
        report: &mut VerificationReport,
    ) {
        if !has_type(doc, "ClrCredential") || depth >= MAX_DEPTH {
            return;
        }
        let inner: Vec<&Value> = match doc.pointer("/credentialSubject/verifiableCredential") {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v @ Value::Object(_)) => vec![v],
            _ => Vec::new(),
        };
        let total = inner.len();
        for (i, c) in inner.into_iter().enumerate() {
            let r = self.verify_at_depth(c, depth + 1, budget);
            if r.verdict.severity() > report.verdict.severity() {
                report.verdict = r.verdict;
                report.message = format!(
                    "Credential {} of {total} in this record, {}: {}",
                    i + 1,
                    credential_label(c),
                    r.message
                );
            }
            report.credentials.push(r);
        }
    }
}
