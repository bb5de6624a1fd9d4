//! The VC-API verification answers (`POST /credentials/verify`, `POST /presentations/verify`):
//! which checks the caller asked for (`options.checks`, by default proof, validity and status),
//! and a result that is `verified` when exactly those pass. Issuer trust is this deployment's
//! policy, not the credential's truth: on these endpoints an issuer outside the trust list is a
//! warning unless the caller asks for the `issuer` check. (Pages and bulk verification keep
//! the stricter "unknown issuer" verdict a district needs.)

use pathledger_badges::{CheckName, CheckStatus, PresentationReport, Verdict, VerificationReport};
use serde::Serialize;
use serde_json::Value;

use crate::AppError;

/// A check a VC-API caller can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
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

impl VcCheck {
    /// The name in `options.checks` and in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proof => "proof",
            Self::Validity => "validity",
            Self::Status => "status",
            Self::Issuer => "issuer",
            Self::Schema => "schema",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "proof" => Self::Proof,
            "validity" | "expiration" | "expirationDate" | "validUntil" | "validFrom" => {
                Self::Validity
            }
            "status" | "credentialStatus" => Self::Status,
            "issuer" | "trust" => Self::Issuer,
            "schema" | "credentialSchema" => Self::Schema,
            _ => return None,
        })
    }
}

/// The checks made when the caller names none.
pub const DEFAULT_CHECKS: [VcCheck; 3] = [VcCheck::Proof, VcCheck::Validity, VcCheck::Status];

/// Reads `options.checks` (`field` names the options member in errors): absent means
/// [`DEFAULT_CHECKS`]; an unknown name is refused.
pub fn parse_checks(options: Option<&Value>, field: &str) -> Result<Vec<VcCheck>, AppError> {
    let Some(checks) = options.and_then(|o| o.get("checks")) else {
        return Ok(DEFAULT_CHECKS.to_vec());
    };
    let Value::Array(names) = checks else {
        return Err(AppError::invalid(
            format!("{field}/checks"),
            "must be a list of check names: proof, validity, status, issuer, schema",
        ));
    };
    let mut out = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let check = n.as_str().and_then(VcCheck::parse).ok_or_else(|| {
            AppError::invalid(
                format!("{field}/checks/{i}"),
                "is not a check we make: proof, validity, status, issuer or schema",
            )
        })?;
        if !out.contains(&check) {
            out.push(check);
        }
    }
    Ok(out)
}

/// One problem in a VC-API result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VcProblem {
    /// Which check.
    pub check: &'static str,
    /// A stable code (`REVOKED`, `ISSUER_NOT_TRUSTED`, `PROOF_VERIFICATION_ERROR`, …).
    pub code: String,
    /// Plain-language explanation.
    pub message: String,
}

/// A VC-API verification result: `verified` when every requested check passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VcResult {
    /// Every requested check passed.
    pub verified: bool,
    /// The requested checks that passed.
    pub checks: Vec<&'static str>,
    /// Findings that do not fail the requested checks (e.g. an issuer outside the trust list).
    pub warnings: Vec<VcProblem>,
    /// Requested checks that failed or could not be made.
    pub errors: Vec<VcProblem>,
}

fn problem(check: &'static str, r: &pathledger_badges::CheckResult) -> VcProblem {
    VcProblem {
        check,
        code: r.code.clone(),
        message: r.message.clone(),
    }
}

/// The VC-API result of a credential's report for the checks `wanted`.
pub fn credential_result(report: &VerificationReport, wanted: &[VcCheck]) -> VcResult {
    let mut out = VcResult {
        verified: true,
        checks: Vec::new(),
        warnings: Vec::new(),
        errors: Vec::new(),
    };
    let wants = |c: VcCheck| wanted.contains(&c);
    let mut failed: Vec<VcCheck> = Vec::new();
    for r in &report.checks {
        match r.check {
            // Nothing else could be checked.
            CheckName::WellFormed if r.status != CheckStatus::Passed => {
                out.errors.push(problem("well_formed", r));
                out.verified = false;
            }
            CheckName::Proof => {
                if !wants(VcCheck::Proof) {
                    continue;
                }
                if r.status != CheckStatus::Passed
                    && report.check(CheckName::WellFormed).map(|w| w.status)
                        == Some(CheckStatus::Passed)
                {
                    out.errors.push(problem("proof", r));
                    failed.push(VcCheck::Proof);
                }
            }
            CheckName::Issuer => {
                // A key that is not the named issuer's fails with the proof (anyone could
                // otherwise sign in a university's name); it is not a trust matter.
                if r.code == "KEY_NOT_ISSUERS" {
                    if wants(VcCheck::Proof) {
                        out.errors.push(problem("issuer", r));
                        failed.push(VcCheck::Proof);
                    }
                } else if r.status == CheckStatus::Failed {
                    if wants(VcCheck::Issuer) {
                        out.errors.push(problem("issuer", r));
                        failed.push(VcCheck::Issuer);
                    } else {
                        out.warnings.push(problem("issuer", r));
                    }
                } else if r.status == CheckStatus::NotChecked && wants(VcCheck::Issuer) {
                    failed.push(VcCheck::Issuer);
                }
            }
            CheckName::Validity => match r.status {
                CheckStatus::Failed if wants(VcCheck::Validity) => {
                    out.errors.push(problem("validity", r));
                    failed.push(VcCheck::Validity);
                }
                CheckStatus::Failed => out.warnings.push(problem("validity", r)),
                CheckStatus::NotChecked if wants(VcCheck::Validity) => {
                    failed.push(VcCheck::Validity)
                }
                _ => {}
            },
            CheckName::Status => match r.status {
                CheckStatus::Failed if wants(VcCheck::Status) => {
                    out.errors.push(problem("status", r));
                    failed.push(VcCheck::Status);
                }
                CheckStatus::Failed => out.warnings.push(problem("status", r)),
                // No status entry at all: nothing to fail.
                CheckStatus::NotChecked if r.code == "no_status" => {}
                CheckStatus::NotChecked if wants(VcCheck::Status) => {
                    out.errors.push(problem("status", r));
                    failed.push(VcCheck::Status);
                }
                _ => {}
            },
            CheckName::Schema if r.status == CheckStatus::Failed => {
                if wants(VcCheck::Schema) {
                    out.errors.push(problem("schema", r));
                    failed.push(VcCheck::Schema);
                } else {
                    out.warnings.push(problem("schema", r));
                }
            }
            _ => {}
        }
    }
    // A CLR's embedded credentials: each must pass the same checks.
    for (i, inner) in report.credentials.iter().enumerate() {
        let r = credential_result(inner, wanted);
        if !r.verified {
            out.errors.push(VcProblem {
                check: "embedded_credential",
                code: inner.verdict.code().to_uppercase(),
                message: format!("Embedded credential {}: {}", i + 1, inner.message),
            });
            out.verified = false;
        }
    }
    if !failed.is_empty() {
        out.verified = false;
    }
    if out.verified || report.verdict != Verdict::Malformed {
        out.checks = wanted
            .iter()
            .filter(|c| !failed.contains(c))
            .map(|c| c.as_str())
            .collect();
    }
    if report.check(CheckName::WellFormed).map(|w| w.status) != Some(CheckStatus::Passed) {
        out.checks.clear();
    }
    out
}

/// A VC-API presentation result: the presentation's own checks, and each credential's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VpResult {
    /// The presentation and every credential it carries verified.
    pub verified: bool,
    /// The presentation's checks that passed.
    pub checks: Vec<&'static str>,
    /// Findings that fail nothing.
    pub warnings: Vec<VcProblem>,
    /// What failed, in the presentation itself.
    pub errors: Vec<VcProblem>,
    /// One result per presented credential, in order.
    #[serde(rename = "credentialResults")]
    pub credential_results: Vec<VcResult>,
}

/// The VC-API result of a presentation's report; each credential judged on `wanted`.
pub fn presentation_result(report: &PresentationReport, wanted: &[VcCheck]) -> VpResult {
    let mut checks = Vec::new();
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    for c in &report.checks {
        match c.status {
            CheckStatus::Passed => checks.push(c.check),
            CheckStatus::Failed => errors.push(VcProblem {
                check: c.check,
                code: c.code.clone(),
                message: c.message.clone(),
            }),
            _ if report.verified => warnings.push(VcProblem {
                check: c.check,
                code: c.code.clone(),
                message: c.message.clone(),
            }),
            _ => errors.push(VcProblem {
                check: c.check,
                code: c.code.clone(),
                message: c.message.clone(),
            }),
        }
    }
    let credential_results: Vec<VcResult> = report
        .credentials
        .iter()
        .map(|r| credential_result(r, wanted))
        .collect();
    VpResult {
        verified: report.verified && credential_results.iter().all(|r| r.verified),
        checks,
        warnings,
        errors,
        credential_results,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn checks_default_parse_and_refuse_unknown_names() {
        assert_eq!(
            parse_checks(None, "/options").unwrap(),
            DEFAULT_CHECKS.to_vec()
        );
        assert_eq!(
            parse_checks(
                Some(&json!({"checks": ["proof", "issuer", "proof"]})),
                "/options"
            )
            .unwrap(),
            vec![VcCheck::Proof, VcCheck::Issuer]
        );
        match parse_checks(Some(&json!({"checks": ["proof", "astrology"]})), "/options") {
            Err(AppError::Invalid { field, .. }) => assert_eq!(field, "/options/checks/1"),
            other => panic!("{other:?}"),
        }
        assert!(parse_checks(Some(&json!({"checks": "proof"})), "/options").is_err());
    }
}
