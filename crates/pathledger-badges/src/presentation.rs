//! Verifiable Presentations: the holder's proof (purpose `authentication`, the verifier's
//! challenge and domain; Data Integrity or the wallets' legacy `Ed25519Signature2020`), each
//! credential it carries verified as a credential of its own, and, when asked, the holder
//! checked against those credentials' subjects.

use pathledger_signing::{verify_document_expecting, ProofExpectations, ProofOutcome, WorkBudget};
use serde::Serialize;
use serde_json::Value;

use crate::text::clip;
use crate::vc::{first_context, is_uri, VC_V2};
use crate::verify::{CheckStatus, Verdict, VerificationReport, Verifier, VC_V1};

/// The most credentials one presentation may carry (each is verified in full).
pub const MAX_PRESENTED_CREDENTIALS: usize = 64;

/// What the verifier of a presentation expects.
#[derive(Debug, Clone, Copy, Default)]
pub struct PresentationOptions<'a> {
    /// The challenge the holder's proof must carry (the verifier issued it).
    pub challenge: Option<&'a str>,
    /// The domain the holder's proof must name.
    pub domain: Option<&'a str>,
    /// Whether the holder must be the subject of every credential presented.
    pub holder_is_subject: bool,
}

/// One presentation-level check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PresentationCheck {
    /// `well_formed`, `holder_proof` or `holder_binding`.
    pub check: &'static str,
    /// Passed / failed / not checked.
    pub status: CheckStatus,
    /// `ok`, or a stable reason code.
    pub code: String,
    /// Plain-language explanation.
    pub message: String,
}

/// The report on a presentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

impl PresentationReport {
    /// The JSON form.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    fn refused(code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            verified: false,
            holder: None,
            checks: vec![PresentationCheck {
                check: "well_formed",
                status: CheckStatus::Failed,
                code: code.to_owned(),
                message: message.clone(),
            }],
            message,
            credentials: Vec::new(),
        }
    }
}

fn has_type(doc: &Value, t: &str) -> bool {
    match doc.get("type") {
        Some(Value::Array(a)) => a.iter().any(|x| x == t),
        Some(Value::String(s)) => s == t,
        _ => false,
    }
}

/// Whether `doc` declares itself a Verifiable Presentation.
pub fn is_presentation(doc: &Value) -> bool {
    has_type(doc, "VerifiablePresentation")
}

fn subject_ids(credential: &Value) -> Vec<&str> {
    match credential.get("credentialSubject") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|s| s.get("id").and_then(Value::as_str))
            .collect(),
        Some(s) => s.get("id").and_then(Value::as_str).into_iter().collect(),
        None => Vec::new(),
    }
}

impl Verifier<'_> {
    /// Verifies a presentation: its structure, the holder's proof (required when a challenge
    /// or domain is expected), each credential it carries, and (when asked) that the holder is
    /// the subject of each. All the canonicalization work is paid from `budget`.
    pub fn verify_presentation_within(
        &self,
        vp: &Value,
        opts: &PresentationOptions<'_>,
        budget: &WorkBudget,
    ) -> PresentationReport {
        let Some(obj) = vp.as_object() else {
            return PresentationReport::refused(
                "PARSING_ERROR",
                "The presentation is not a JSON object.",
            );
        };
        let first_context = first_context(obj);
        if !matches!(first_context, Some(VC_V2 | VC_V1)) {
            return PresentationReport::refused(
                "NO_VC_CONTEXT",
                "The presentation's first @context is not the W3C credentials context.",
            );
        }
        if !is_presentation(vp) {
            return PresentationReport::refused(
                "NO_VP_TYPE",
                "The presentation's type does not include VerifiablePresentation.",
            );
        }
        let holder = match obj.get("holder") {
            None => None,
            Some(Value::String(h)) if is_uri(h) => Some(h.clone()),
            Some(Value::Object(h)) => match h.get("id").and_then(Value::as_str) {
                Some(id) if is_uri(id) => Some(id.to_owned()),
                _ => {
                    return PresentationReport::refused(
                        "INVALID_HOLDER",
                        "The presentation's holder has no id URL.",
                    )
                }
            },
            Some(_) => {
                return PresentationReport::refused(
                    "INVALID_HOLDER",
                    "The presentation's holder is not a URL.",
                )
            }
        };
        let presented: Vec<&Value> = match obj.get("verifiableCredential") {
            None => Vec::new(),
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v @ Value::Object(_)) => vec![v],
            Some(_) => {
                return PresentationReport::refused(
                    "INVALID_CREDENTIALS",
                    "The presentation's verifiableCredential is neither a credential nor a list of them.",
                )
            }
        };
        if presented.len() > MAX_PRESENTED_CREDENTIALS {
            return PresentationReport::refused(
                "TOO_MANY_CREDENTIALS",
                format!(
                    "The presentation carries {} credentials; at most {MAX_PRESENTED_CREDENTIALS} are verified in one presentation.",
                    presented.len()
                ),
            );
        }
        let mut checks = vec![PresentationCheck {
            check: "well_formed",
            status: CheckStatus::Passed,
            code: "ok".into(),
            message: "The file is a well-formed verifiable presentation.".into(),
        }];
        let mut verified = true;

        // The holder's proof.
        let expects_proof = opts.challenge.is_some() || opts.domain.is_some();
        let resolver = self.web_resolver();
        let proof_check = if obj.get("proof").is_none() {
            if expects_proof {
                verified = false;
                PresentationCheck {
                    check: "holder_proof",
                    status: CheckStatus::Failed,
                    code: "NO_PROOF".into(),
                    message: "The presentation is not signed by its holder, but this verification asked for a signed answer to its challenge.".into(),
                }
            } else {
                PresentationCheck {
                    check: "holder_proof",
                    status: CheckStatus::NotChecked,
                    code: "no_proof".into(),
                    message: "The presentation is not signed by its holder: it shows the credentials, not who presents them.".into(),
                }
            }
        } else {
            let expect = ProofExpectations {
                purpose: Some("authentication"),
                challenge: opts.challenge,
                domain: opts.domain,
            };
            match verify_document_expecting(vp, &resolver, budget, &expect) {
                ProofOutcome::Verified(proofs) => {
                    match (
                        &holder,
                        proofs
                            .iter()
                            .find(|p| Some(&p.controller) != holder.as_ref()),
                    ) {
                        (Some(h), Some(p)) => {
                            verified = false;
                            PresentationCheck {
                                check: "holder_proof",
                                status: CheckStatus::Failed,
                                code: "KEY_NOT_HOLDERS".into(),
                                message: format!(
                                    "The presentation names {} as its holder, but it was signed with a key belonging to {}.",
                                    clip(h),
                                    clip(&p.controller)
                                ),
                            }
                        }
                        _ => PresentationCheck {
                            check: "holder_proof",
                            status: CheckStatus::Passed,
                            code: "ok".into(),
                            message: format!(
                                "The holder signed this presentation ({}){}.",
                                proofs
                                    .iter()
                                    .map(|p| format!(
                                        "{} with key {}",
                                        if p.proof_type == "DataIntegrityProof" {
                                            p.cryptosuite.as_str()
                                        } else {
                                            p.proof_type
                                        },
                                        clip(&p.verification_method)
                                    ))
                                    .collect::<Vec<_>>()
                                    .join("; "),
                                if opts.challenge.is_some() {
                                    ", answering this verification's challenge"
                                } else {
                                    ""
                                }
                            ),
                        },
                    }
                }
                ProofOutcome::CouldNotCheck { code, message } => {
                    verified = false;
                    PresentationCheck {
                        check: "holder_proof",
                        status: CheckStatus::NotChecked,
                        code: code.into(),
                        message: format!("We could not check the holder's signature: {message}."),
                    }
                }
                ProofOutcome::Invalid { code, message }
                | ProofOutcome::Malformed { code, message } => {
                    verified = false;
                    PresentationCheck {
                        check: "holder_proof",
                        status: CheckStatus::Failed,
                        code: code.into(),
                        message: format!("The holder's signature does not verify: {message}."),
                    }
                }
                _ => {
                    verified = false;
                    PresentationCheck {
                        check: "holder_proof",
                        status: CheckStatus::Failed,
                        code: "PROOF_VERIFICATION_ERROR".into(),
                        message: "The holder's signature does not verify.".into(),
                    }
                }
            }
        };
        checks.push(proof_check);

        // The holder against the subjects.
        if opts.holder_is_subject {
            let strangers: Vec<usize> = presented
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    holder
                        .as_deref()
                        .is_none_or(|h| !subject_ids(c).contains(&h))
                })
                .map(|(i, _)| i + 1)
                .collect();
            checks.push(if holder.is_none() {
                verified = false;
                PresentationCheck {
                    check: "holder_binding",
                    status: CheckStatus::Failed,
                    code: "NO_HOLDER".into(),
                    message: "The presentation does not say who holds it, so it cannot be matched to the credentials' subjects.".into(),
                }
            } else if strangers.is_empty() {
                PresentationCheck {
                    check: "holder_binding",
                    status: CheckStatus::Passed,
                    code: "ok".into(),
                    message: "The holder is the subject of every credential presented.".into(),
                }
            } else {
                verified = false;
                PresentationCheck {
                    check: "holder_binding",
                    status: CheckStatus::Failed,
                    code: "HOLDER_NOT_SUBJECT".into(),
                    message: format!(
                        "The holder is not the subject of credential {} of {}.",
                        strangers
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", "),
                        presented.len()
                    ),
                }
            });
        }

        let credentials: Vec<VerificationReport> = presented
            .iter()
            .map(|c| self.verify_within(c, budget))
            .collect();
        let failing = credentials
            .iter()
            .filter(|r| r.verdict != Verdict::Valid)
            .count();
        let message = match (verified, failing) {
            (true, 0) if credentials.is_empty() => {
                "The presentation checks out; it carries no credentials.".to_owned()
            }
            (true, 0) => format!(
                "The presentation checks out and all {} credential(s) it carries are valid.",
                credentials.len()
            ),
            (true, n) => format!(
                "The presentation checks out, but {n} of the {} credential(s) it carries are not valid (see each).",
                credentials.len()
            ),
            (false, _) => checks
                .iter()
                .find(|c| c.status != CheckStatus::Passed && c.code != "no_proof")
                .map(|c| c.message.clone())
                .unwrap_or_else(|| "The presentation does not check out.".into()),
        };
        PresentationReport {
            verified,
            holder,
            message,
            checks,
            credentials,
        }
    }
}
