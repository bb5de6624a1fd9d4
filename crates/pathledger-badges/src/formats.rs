//! Credentials a district meets besides Data Integrity JSON: OB 3.0 VC-JWT tokens (§8.2),
//! VC-JOSE `EnvelopedVerifiableCredential`s, links to credentials, and Open Badges 2.0
//! assertions, hosted or signed (https://www.imsglobal.org/spec/ob/v2p0/ `#HostedBadge`,
//! `#SignedBadge`). Each gets the same six-check report as any credential.
//!
//! Input reaches the verifier as JSON: a token or a link is a JSON string
//! ([`crate::input::read_input`] makes one from a file, a baked image or pasted text).

use pathledger_signing::{did_web_url, KeyResolver, WorkBudget};
use serde_json::Value;
use time::OffsetDateTime;

use crate::dates;
use crate::input::is_compact_jws;
use crate::jose::{self, Jws, JwsError, PublicJwk};
use crate::text::clip;
use crate::vc::{first_context, VC_V2};
use crate::verify::{
    has_type, issuer_id, malformed_report, validity_check, well_formed, CheckName, CheckStatus,
    Checks, FetchError, Finding, Verdict, VerificationReport, Verifier, VC_V1,
};

/// The Open Badges 2.0 JSON-LD context.
pub const OB2_CONTEXT: &str = "https://w3id.org/openbadges/v2";

/// A failed proof step: status, code, verdict, message.
type ProofFailure = (CheckStatus, &'static str, Verdict, String);

/// Whether `doc` is an Open Badges 2.0 assertion (its context, or type `Assertion` with a
/// recipient and a badge).
pub fn is_ob2_assertion(doc: &Value) -> bool {
    let ctx = match doc.get("@context") {
        Some(Value::String(s)) => s == OB2_CONTEXT,
        Some(Value::Array(a)) => a.iter().any(|c| c == OB2_CONTEXT),
        _ => false,
    };
    (ctx || has_type(doc, "Assertion"))
        && doc.get("recipient").is_some()
        && doc.get("badge").is_some()
}

fn fetch_failure(what: &str, e: &FetchError) -> ProofFailure {
    (
        CheckStatus::NotChecked,
        "KEY_UNAVAILABLE",
        Verdict::CouldNotCheck,
        format!(
            "We could not check the signature: {what} could not be fetched ({e}). Try again later."
        ),
    )
}

fn jws_failure(e: JwsError) -> ProofFailure {
    match e {
        JwsError::BadSignature(m) => (
            CheckStatus::Failed,
            "PROOF_VERIFICATION_ERROR",
            Verdict::Tampered,
            format!("This credential has been altered since it was issued, or its signature is not genuine. Do not rely on it. ({m})"),
        ),
        JwsError::Unsupported(m) => (
            CheckStatus::NotChecked,
            "UNSUPPORTED_ALGORITHM",
            Verdict::UnsupportedFormat,
            format!("This credential is signed in a way we do not check yet: {m}. It is not known to be bad; ask the holder for another copy or check it with the issuer."),
        ),
        JwsError::Malformed(m) => (
            CheckStatus::Failed,
            "MALFORMED_PROOF_ERROR",
            Verdict::Malformed,
            format!("This credential's signature cannot be checked: {m}."),
        ),
    }
}

/// The report on input in a format we do not check at all.
fn unsupported_report(message: String) -> VerificationReport {
    let mut r = VerificationReport::not_checked("UNSUPPORTED_FORMAT", message.clone());
    r.verdict = Verdict::UnsupportedFormat;
    r.message = message;
    r
}

/// Reads a date as Open Badges 2.0 writes it: ISO 8601 with a zone, or Unix seconds.
fn ob2_date(v: &Value) -> Option<OffsetDateTime> {
    match v {
        Value::String(s) => dates::parse(s).or_else(|| {
            s.parse::<i64>()
                .ok()
                .and_then(|n| OffsetDateTime::from_unix_timestamp(n).ok())
        }),
        Value::Number(n) => n
            .as_i64()
            .and_then(|n| OffsetDateTime::from_unix_timestamp(n).ok()),
        _ => None,
    }
}

fn as_list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    }
}

fn id_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

impl Verifier<'_> {
    /// Verifies what is not a Data Integrity credential: a token, a link, an enveloped
    /// credential or an Open Badges 2.0 assertion. `None`: verify `doc` as Data Integrity.
    pub(crate) fn verify_other_format(
        &self,
        doc: &Value,
        depth: u8,
        budget: &WorkBudget,
    ) -> Option<VerificationReport> {
        match doc {
            Value::String(s) if is_compact_jws(s.trim()) => {
                Some(self.verify_token(s.trim(), depth, budget))
            }
            Value::String(s) if s.starts_with("https://") || s.starts_with("http://") => {
                Some(self.verify_link(s, depth, budget))
            }
            Value::String(s) if s.trim().starts_with("urn:") => Some(VerificationReport::not_checked(
                "UNKNOWN_ID",
                format!(
                    "{} is a credential's id, not the credential, and no credential with this id is known here. Ask the holder for the credential file or link.",
                    clip(s.trim())
                ),
            )),
            Value::String(s) => Some(malformed_report(
                Checks::new(),
                "PARSING_ERROR",
                &format!(
                    "This is not a credential, a signed token or a link to one ({}).",
                    clip(s)
                ),
            )),
            Value::Object(_) if is_ob2_assertion(doc) => Some(self.verify_ob2(doc, None)),
            Value::Object(_) if has_type(doc, "EnvelopedVerifiableCredential") => {
                let id = doc.get("id").and_then(Value::as_str).unwrap_or("");
                let token = id
                    .strip_prefix("data:")
                    .and_then(|rest| rest.split_once(','))
                    .filter(|(media, _)| media.contains("jwt"))
                    .map(|(_, t)| t.trim());
                Some(match token {
                    Some(t) if is_compact_jws(t) => self.verify_token(t, depth, budget),
                    _ => unsupported_report(
                        "This is an enveloped credential in a form we do not check (only data: URLs holding a signed token are read).".into(),
                    ),
                })
            }
            _ => None,
        }
    }

    /// A link: fetch what it names and verify that (a hosted OB 2.0 assertion is vouched for by
    /// being served from its issuer's host; `410 Gone` there means revoked).
    fn verify_link(&self, url: &str, depth: u8, budget: &WorkBudget) -> VerificationReport {
        match self.fetcher.fetch_json(url) {
            Ok(doc) if is_ob2_assertion(&doc) => self.verify_ob2(&doc, Some(url)),
            Ok(doc) if doc.is_object() => self.verify_at_depth(&doc, depth, budget),
            // Another site's page is not a broken credential: we could not check it.
            Ok(_) => VerificationReport::not_checked(
                "NOT_A_CREDENTIAL",
                format!(
                    "We could not check this link: {} does not lead to a credential we can read. Ask the holder for the credential file or its verification link.",
                    clip(url)
                ),
            ),
            Err(e) => link_error(url, e),
        }
    }

    // ----- OB 3.0 VC-JWT ---------------------------------------------------------------------

    /// An OB 3.0 VC-JWT (or a VCDM 1.1 token with the credential in its `vc` claim), or a
    /// signed OB 2.0 assertion.
    fn verify_token(&self, token: &str, depth: u8, budget: &WorkBudget) -> VerificationReport {
        let jws = match jose::decode(token) {
            Ok(j) => j,
            Err(JwsError::Unsupported(m)) => {
                return unsupported_report(format!(
                    "This signed token uses a feature we do not check: {m}."
                ))
            }
            Err(e) => {
                return malformed_report(
                    Checks::new(),
                    "PARSING_ERROR",
                    &format!("The signed token cannot be read: {e}."),
                )
            }
        };
        if is_ob2_assertion(&jws.payload) {
            return self.verify_ob2_signed(&jws);
        }
        let mut checks = Checks::new();
        // A W3C VC-JOSE-COSE token (`typ` vc+jwt) need not carry `iss`; an OB 3.0 one must.
        let vc_jose = matches!(
            jws.header.get("typ").and_then(Value::as_str),
            Some("vc+jwt" | "vc+ld+json+jwt" | "vc-ld+jwt")
        );
        let cred = match jwt_credential(&jws.payload, !vc_jose) {
            Ok(c) => c,
            Err(m) => return malformed_report(checks, "INVALID_JWT_CLAIMS", &m),
        };
        let structure = match well_formed(&cred) {
            Ok(s) => s,
            Err((code, m)) => return malformed_report(checks, &code, &m),
        };
        checks.push(
            CheckName::WellFormed,
            CheckStatus::Passed,
            "ok",
            "The file is a well-formed verifiable credential, signed as a token (VC-JWT).",
        );
        let schema_finding = self.schema_check(&cred, &mut checks);
        let issuer = issuer_id(&cred).unwrap_or_default().to_owned();
        let (key, controller, _label) = match self.token_key(&jws, &issuer) {
            Ok(k) => k,
            Err(f) => return self.proof_failed(&cred, checks, f, depth, budget),
        };
        if let Err(e) = jose::verify(&jws, &key) {
            return self.proof_failed(&cred, checks, jws_failure(e), depth, budget);
        }
        checks.push(
            CheckName::Proof,
            CheckStatus::Passed,
            "ok",
            format!(
                "The digital signature is genuine and the credential has not been changed since it was signed ({} token).",
                jws.alg(),
            ),
        );
        self.after_proof(
            &cred,
            structure,
            checks,
            schema_finding,
            &[controller],
            depth,
            budget,
        )
    }

    /// The key a token names and who controls it: (key, controller, how it was found).
    fn token_key(
        &self,
        jws: &Jws,
        issuer: &str,
    ) -> Result<(PublicJwk, String, String), ProofFailure> {
        let malformed = |m: String| {
            (
                CheckStatus::Failed,
                "MALFORMED_PROOF_ERROR",
                Verdict::Malformed,
                format!("This credential's signature cannot be checked: {m}."),
            )
        };
        if let Some(jwk) = jws.header.get("jwk") {
            let key = PublicJwk::from_jwk(jwk).map_err(jws_failure)?;
            let owner = self.jwk_owner(&key, issuer)?;
            return Ok((key, owner, "with the key carried in the token".into()));
        }
        let Some(kid) = jws.header.get("kid").and_then(Value::as_str) else {
            return Err(malformed(
                "the token names no key (no kid or jwk in its header)".into(),
            ));
        };
        let label = format!("key {}", clip(kid));
        if kid.starts_with("did:") {
            let did = kid.split('#').next().unwrap_or(kid);
            if did.starts_with("did:jwk:") {
                let jwk = jose::did_jwk_key(did).map_err(jws_failure)?;
                return Ok((
                    PublicJwk::from_jwk(&jwk).map_err(jws_failure)?,
                    did.to_owned(),
                    label,
                ));
            }
            let resolver = self.web_resolver();
            match resolver.resolve(kid) {
                Ok(rk) => {
                    return Ok((
                        PublicJwk::Ed25519(rk.public_key.to_bytes()),
                        rk.controller,
                        label,
                    ))
                }
                Err(e) if !did.starts_with("did:web:") => {
                    return Err((
                        CheckStatus::NotChecked,
                        "KEY_UNAVAILABLE",
                        Verdict::CouldNotCheck,
                        format!("We could not find the signing key {}: {e}.", clip(kid)),
                    ))
                }
                Err(_) => {}
            }
            // did:web with a JSON Web Key.
            let url = did_web_url(did).map_err(|e| malformed(e.to_string()))?;
            let doc = self
                .fetcher
                .fetch_json(&url)
                .map_err(|e| fetch_failure("the issuer's DID document", &e))?;
            if doc.get("id").and_then(Value::as_str) != Some(did) {
                return Err(malformed(format!(
                    "the document at {} is not the DID document of {}",
                    clip(&url),
                    clip(did)
                )));
            }
            let absolute = |id: &str| {
                if id.starts_with('#') {
                    format!("{did}{id}")
                } else {
                    id.to_owned()
                }
            };
            let asserts = as_list(doc.get("assertionMethod"))
                .into_iter()
                .filter_map(id_of)
                .any(|id| absolute(id) == kid);
            let vm = as_list(doc.get("verificationMethod"))
                .into_iter()
                .chain(as_list(doc.get("assertionMethod")))
                .find(|vm| {
                    vm.get("id")
                        .and_then(Value::as_str)
                        .map(absolute)
                        .as_deref()
                        == Some(kid)
                });
            let (Some(vm), true) = (vm, asserts) else {
                return Err((
                    CheckStatus::Failed,
                    "INVALID_VERIFICATION_METHOD",
                    Verdict::Tampered,
                    format!(
                        "The signing key {} is not one {} uses to issue credentials.",
                        clip(kid),
                        clip(did)
                    ),
                ));
            };
            let jwk = vm
                .get("publicKeyJwk")
                .ok_or_else(|| malformed(format!("the key {} has no publicKeyJwk", clip(kid))))?;
            return Ok((
                PublicJwk::from_jwk(jwk).map_err(jws_failure)?,
                did.to_owned(),
                label,
            ));
        }
        if kid.starts_with("https://") || kid.starts_with("http://") {
            let url = kid.split('#').next().unwrap_or(kid);
            let doc = self
                .fetcher
                .fetch_json(url)
                .map_err(|e| fetch_failure("the signing key", &e))?;
            let jwk = if doc.get("kty").is_some() {
                doc
            } else {
                let keys = doc
                    .get("keys")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let fragment = kid.split_once('#').map(|(_, f)| f);
                keys.iter()
                    .find(|k| {
                        let id = k.get("kid").and_then(Value::as_str);
                        id == Some(kid) || (fragment.is_some() && id == fragment)
                    })
                    .or_else(|| (keys.len() == 1).then(|| &keys[0]))
                    .cloned()
                    .ok_or_else(|| {
                        malformed(format!("{} holds no key named {}", clip(url), clip(kid)))
                    })?
            };
            let key = PublicJwk::from_jwk(&jwk).map_err(jws_failure)?;
            // A key published on the issuer's own host is the issuer's.
            let owner = match (jose::origin(kid), jose::origin(issuer)) {
                (Some(k), Some(i)) if k == i => issuer.to_owned(),
                (Some(k), _) => k,
                _ => kid.to_owned(),
            };
            return Ok((key, owner, label));
        }
        Err(malformed(format!(
            "the token's key id {} is neither a DID nor a URL",
            clip(kid)
        )))
    }

    /// Who owns a key carried in a token: a did:key or did:jwk issuer that is this key, or an
    /// issuer whose published key set (`/.well-known/jwks.json` on its host) holds it.
    fn jwk_owner(&self, key: &PublicJwk, issuer: &str) -> Result<String, ProofFailure> {
        let not_published = "an unpublished key carried in the token itself".to_owned();
        if issuer.starts_with("did:key:") {
            let matches = pathledger_signing::resolve_did_key(issuer)
                .is_ok_and(|pk| *key == PublicJwk::Ed25519(pk.to_bytes()));
            return Ok(if matches {
                issuer.to_owned()
            } else {
                not_published
            });
        }
        if issuer.starts_with("did:jwk:") {
            let matches = jose::did_jwk_key(issuer)
                .ok()
                .and_then(|j| PublicJwk::from_jwk(&j).ok())
                .is_some_and(|k| k == *key);
            return Ok(if matches {
                issuer.to_owned()
            } else {
                not_published
            });
        }
        let Some(origin) = jose::origin(issuer) else {
            return Ok(not_published);
        };
        let url = format!("{origin}/.well-known/jwks.json");
        let set = self
            .fetcher
            .fetch_json(&url)
            .map_err(|e| fetch_failure("the issuer's published keys", &e))?;
        let published = set
            .get("keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|k| PublicJwk::from_jwk(k).ok())
            .any(|k| k == *key);
        Ok(if published {
            issuer.to_owned()
        } else {
            not_published
        })
    }

    // ----- Open Badges 2.0 -------------------------------------------------------------------

    /// A hosted assertion (`fetched_from` is where it was fetched; a copy given to us is
    /// fetched again from its `id`, and only that copy is trusted), or the JSON of a signed one
    /// (which needs its signature: the `.jws` or the baked image).
    fn verify_ob2(&self, doc: &Value, fetched_from: Option<&str>) -> VerificationReport {
        let kind = doc
            .pointer("/verification/type")
            .and_then(Value::as_str)
            .unwrap_or("");
        let id = doc.get("id").and_then(Value::as_str).unwrap_or("");
        match (fetched_from, kind) {
            (None, "hosted" | "HostedBadge") if id.starts_with("https://") || id.starts_with("http://") => {
                match self.fetcher.fetch_json(id) {
                    Ok(live) if is_ob2_assertion(&live) => self.verify_ob2(&live, Some(id)),
                    Ok(_) => malformed_report(Checks::new(), "PARSING_ERROR", &format!("The badge's address {} does not lead to an Open Badges 2.0 assertion.", clip(id))),
                    Err(e) => link_error(id, e),
                }
            }
            (None, "signed" | "SignedBadge") => VerificationReport::not_checked(
                "SIGNATURE_NEEDED",
                "This is the content of a signed Open Badges 2.0 badge without its signature: check the badge image or the .jws file it came in.",
            ),
            (Some(url), _) if id != url => malformed_report(
                Checks::new(),
                "INVALID_ID",
                &format!("The badge fetched from {} names another address ({}).", clip(url), clip(id)),
            ),
            (Some(url), _) => self.ob2_checks(doc, Ob2Proof::Hosted(url)),
            (None, _) => malformed_report(Checks::new(), "NO_VERIFICATION", "This Open Badges 2.0 badge does not say how to verify it (hosted or signed)."),
        }
    }

    /// A signed OB 2.0 assertion: the key is the one `verification.creator` names, owned by
    /// the issuer's profile.
    fn verify_ob2_signed(&self, jws: &Jws) -> VerificationReport {
        self.ob2_checks(&jws.payload, Ob2Proof::Signed(jws))
    }

    fn ob2_checks(&self, a: &Value, proof: Ob2Proof<'_>) -> VerificationReport {
        let mut checks = Checks::new();
        // 1. well formed
        let issued = a.get("issuedOn").and_then(ob2_date);
        let expires = match a.get("expires") {
            None => Ok(None),
            Some(v) => ob2_date(v).map(Some).ok_or(()),
        };
        let recipient_ok = a
            .pointer("/recipient/identity")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
            && a.pointer("/recipient/type")
                .and_then(Value::as_str)
                .is_some();
        let problem = if a.get("id").and_then(Value::as_str).is_none() {
            Some("The badge has no id.")
        } else if !recipient_ok {
            Some("The badge does not identify its recipient (recipient identity and type).")
        } else if issued.is_none() {
            Some("The badge's issuedOn is missing or not a date.")
        } else if expires.is_err() {
            Some("The badge's expires is not a date.")
        } else {
            None
        };
        if let Some(m) = problem {
            return malformed_report(checks, "MALFORMED_VALUE_ERROR", m);
        }
        let expires = expires.unwrap_or(None);
        checks.push(
            CheckName::WellFormed,
            CheckStatus::Passed,
            "ok",
            "The file is a well-formed Open Badges 2.0 badge.",
        );
        checks.skip(CheckName::Schema, "no_schema", "Open Badges 2.0 badges are checked by their structure; there is no official JSON Schema for them.");

        // The badge class and the issuer's profile (linked or embedded).
        // The badge class and the issuer's profile, each as fetched from its own id: a copy
        // embedded in the assertion or the class is not authoritative, and a document whose id
        // is not the address it was fetched from speaks for nobody (else a profile hosted
        // anywhere could claim a trusted issuer's id and widen its own allowed origins).
        let fetch = |v: Option<&Value>, what: &str| -> Result<Value, ProofFailure> {
            let Some(url) = v
                .and_then(id_of)
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            else {
                return Err((
                    CheckStatus::Failed,
                    "MALFORMED_VALUE_ERROR",
                    Verdict::Malformed,
                    format!("This badge does not name {what} by its address."),
                ));
            };
            let doc = self
                .fetcher
                .fetch_json(url)
                .map_err(|e| fetch_failure(what, &e))?;
            fetched_as(doc, url, what)
        };
        let class_and_profile = fetch(a.get("badge"), "its badge class").and_then(|class| {
            let profile = fetch(class.get("issuer"), "its issuer's profile")?;
            Ok((class, profile))
        });
        let (class, profile) = match class_and_profile {
            Ok(x) => x,
            Err(f) => return self.proof_failed(a, checks, f, 0, &WorkBudget::unlimited()),
        };
        let profile_id = profile
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        // 3. proof
        let revocation_list = match &proof {
            Ob2Proof::Hosted(url) => {
                let allowed = hosted_in_scope(url, &profile);
                if !allowed {
                    let f = (CheckStatus::Failed, "HOST_NOT_ISSUERS", Verdict::Tampered, format!(
                        "This badge is hosted at {}, which is not where its issuer {} publishes badges: it is not a genuine badge of that issuer.",
                        jose::origin(url).unwrap_or_else(|| clip(url)), clip(&profile_id)));
                    return self.proof_failed(a, checks, f, 0, &WorkBudget::unlimited());
                }
                checks.push(CheckName::Proof, CheckStatus::Passed, "hosted", format!(
                    "The issuer's own server hosts this badge at {}, which is how a hosted Open Badges 2.0 badge is vouched for.", clip(url)));
                None
            }
            Ob2Proof::Signed(jws) => {
                match self.ob2_signature(a, jws, &profile, &profile_id) {
                    Ok(_label) => checks.push(CheckName::Proof, CheckStatus::Passed, "ok", format!(
                        "The digital signature is genuine and the badge has not been changed since it was signed ({} signature).", jws.alg())),
                    Err(f) => return self.proof_failed(a, checks, f, 0, &WorkBudget::unlimited()),
                }
                profile
                    .get("revocationList")
                    .and_then(id_of)
                    .map(str::to_owned)
            }
        };

        // 4. issuer
        let name = profile
            .get("name")
            .and_then(Value::as_str)
            .or_else(|| self.trust.listed.get(&profile_id).map(|l| l.name.as_str()));
        let issuer_name = crate::verify::issuer_display_name(name);
        let issuer_finding = if self.trust.issuers.contains(&profile_id) {
            checks.push(
                CheckName::Issuer,
                CheckStatus::Passed,
                "ok",
                format!("Issued by {issuer_name}, a trusted issuer."),
            );
            None
        } else if self.trust.accept_any {
            checks.push(
                CheckName::Issuer,
                CheckStatus::Passed,
                "issuer_owns_key",
                format!("Issued by {issuer_name} (no trust list applied)."),
            );
            None
        } else {
            let m = format!("{issuer_name} is not on your list of trusted issuers.");
            checks.push(
                CheckName::Issuer,
                CheckStatus::Failed,
                "ISSUER_NOT_TRUSTED",
                m.clone(),
            );
            Some(Finding {
                verdict: Verdict::UnknownIssuer,
                message: format!("The badge is genuine, but the issuer is not one you trust: {m}"),
            })
        };

        // 5. validity (issuedOn a few minutes ahead is a clock difference, not a future badge)
        let now = self.now();
        let validity_finding = validity_check(
            &mut checks,
            "badge",
            (issued, expires),
            now,
            time::Duration::minutes(5),
        );

        // 6. status
        let id = a.get("id").and_then(Value::as_str).unwrap_or("");
        let uid = a.get("uid").and_then(Value::as_str);
        let revoked_finding = |reason: Option<&str>, checks: &mut Checks| {
            let m = match reason {
                Some(r) if !r.trim().is_empty() => format!(
                    "The issuer has revoked this badge ({}). It is no longer valid.",
                    clip(r)
                ),
                _ => "The issuer has revoked this badge. It is no longer valid.".to_owned(),
            };
            checks.push(CheckName::Status, CheckStatus::Failed, "REVOKED", m.clone());
            Some(Finding {
                verdict: Verdict::Revoked,
                message: m,
            })
        };
        let status_finding = match (&proof, revocation_list) {
            (Ob2Proof::Hosted(_), _) if a.get("revoked").and_then(Value::as_bool) == Some(true) => {
                revoked_finding(
                    a.get("revocationReason").and_then(Value::as_str),
                    &mut checks,
                )
            }
            (Ob2Proof::Hosted(_), _) => {
                checks.push(
                    CheckName::Status,
                    CheckStatus::Passed,
                    "ok",
                    "The issuer's server currently hosts this badge and does not mark it revoked.",
                );
                None
            }
            (Ob2Proof::Signed(_), None) => {
                checks.skip(
                    CheckName::Status,
                    "no_status",
                    "The issuer does not publish a revocation list for this badge.",
                );
                None
            }
            (Ob2Proof::Signed(_), Some(list_url)) => match self.fetcher.fetch_json(&list_url) {
                Ok(list) => {
                    let hit = as_list(list.get("revokedAssertions"))
                        .into_iter()
                        .find(|r| {
                            let rid = id_of(r).or_else(|| r.get("uid").and_then(Value::as_str));
                            rid == Some(id)
                                || (uid.is_some()
                                    && (rid == uid || r.get("uid").and_then(Value::as_str) == uid))
                        });
                    match hit {
                        Some(r) => revoked_finding(
                            r.get("revocationReason").and_then(Value::as_str),
                            &mut checks,
                        ),
                        None => {
                            checks.push(
                                CheckName::Status,
                                CheckStatus::Passed,
                                "ok",
                                "The issuer's revocation list does not list this badge.",
                            );
                            None
                        }
                    }
                }
                Err(e) => {
                    let m = format!("We could not check whether this badge was revoked: its issuer's revocation list could not be fetched ({e}).");
                    checks.push(
                        CheckName::Status,
                        CheckStatus::NotChecked,
                        "STATUS_LIST_RETRIEVAL_ERROR",
                        m.clone(),
                    );
                    Some(Finding {
                        verdict: Verdict::CouldNotCheck,
                        message: format!("{m} Try again later or contact the issuer."),
                    })
                }
            },
        };

        let badge_name = class
            .get("name")
            .and_then(Value::as_str)
            .map(|n| format!("\u{201c}{}\u{201d}", clip(n)))
            .unwrap_or_else(|| "This badge".into());
        let (verdict, message) = match validity_finding.or(status_finding).or(issuer_finding) {
            Some(f) => (f.verdict, f.message),
            None => (Verdict::Valid, format!("{badge_name} is a genuine Open Badges 2.0 badge issued by {issuer_name}; it is currently valid and has not been revoked.")),
        };
        VerificationReport {
            verdict,
            message,
            checks: checks.list,
            credentials: Vec::new(),
        }
    }

    /// Checks a signed OB 2.0 assertion's signature; answers how the key was found.
    fn ob2_signature(
        &self,
        a: &Value,
        jws: &Jws,
        profile: &Value,
        profile_id: &str,
    ) -> Result<String, ProofFailure> {
        let listed: Vec<&str> = as_list(profile.get("publicKey"))
            .into_iter()
            .filter_map(id_of)
            .collect();
        let creator = a
            .pointer("/verification/creator")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| listed.first().map(|s| (*s).to_owned()))
            .ok_or((
                CheckStatus::Failed,
                "MALFORMED_PROOF_ERROR",
                Verdict::Malformed,
                "This badge does not say which key signed it, and its issuer publishes none."
                    .to_owned(),
            ))?;
        let key_doc = match as_list(profile.get("publicKey"))
            .into_iter()
            .find(|k| id_of(k) == Some(creator.as_str()) && k.get("publicKeyPem").is_some())
        {
            Some(k) => k.clone(),
            None => fetched_as(
                self.fetcher
                    .fetch_json(&creator)
                    .map_err(|e| fetch_failure("the signing key", &e))?,
                &creator,
                "the signing key",
            )?,
        };
        let owner = key_doc.get("owner").and_then(Value::as_str);
        if owner != Some(profile_id) && !listed.contains(&creator.as_str()) {
            return Err((
                CheckStatus::Failed,
                "KEY_NOT_ISSUERS",
                Verdict::Tampered,
                format!(
                    "This badge was signed with the key {}, which its issuer {} does not claim.",
                    clip(&creator),
                    clip(profile_id)
                ),
            ));
        }
        let pem = key_doc.get("publicKeyPem").and_then(Value::as_str).ok_or((
            CheckStatus::Failed,
            "MALFORMED_PROOF_ERROR",
            Verdict::Malformed,
            "The signing key has no publicKeyPem.".to_owned(),
        ))?;
        let key = PublicJwk::from_rsa_pem(pem).map_err(jws_failure)?;
        jose::verify(jws, &key).map_err(jws_failure)?;
        Ok(format!("key {}", clip(&creator)))
    }
}

/// The report on a link that could not be fetched; `410 Gone` means a hosted badge was revoked.
fn link_error(url: &str, e: FetchError) -> VerificationReport {
    if let FetchError::Gone(_) = e {
        let m = format!(
            "The issuer has withdrawn this badge: {} answers that it is gone, which for a hosted Open Badge means it was revoked.",
            clip(url)
        );
        let mut r = VerificationReport::not_checked("not_checked", m.clone());
        r.verdict = Verdict::Revoked;
        if let Some(c) = r.checks.iter_mut().find(|c| c.check == CheckName::Status) {
            c.status = CheckStatus::Failed;
            c.code = "REVOKED".into();
            c.message = m;
        }
        return r;
    }
    VerificationReport::not_checked(
        "DOCUMENT_UNAVAILABLE",
        format!(
            "We could not fetch the credential at {}: {e}. Try again later.",
            clip(url)
        ),
    )
}

/// `doc` as fetched from `url`, if it names `url` as its id.
fn fetched_as(doc: Value, url: &str, what: &str) -> Result<Value, ProofFailure> {
    match doc.get("id").and_then(Value::as_str) {
        Some(id) if id == url => Ok(doc),
        other => Err((
            CheckStatus::Failed,
            "INVALID_ID",
            Verdict::Malformed,
            format!(
                "This badge's {what} fetched from {} names another address ({}), so it cannot vouch for the badge.",
                clip(url),
                clip(other.unwrap_or("none"))
            ),
        )),
    }
}

/// How an OB 2.0 assertion is vouched for.
enum Ob2Proof<'a> {
    /// Fetched from this URL, its own id.
    Hosted(&'a str),
    /// Signed.
    Signed(&'a Jws),
}

/// Whether a hosted assertion at `url` is within its issuer profile's scope: the profile's
/// `verification.allowedOrigins` / `verification.startsWith` when given, else the profile's
/// own origin.
fn hosted_in_scope(url: &str, profile: &Value) -> bool {
    let Some(origin) = jose::origin(url) else {
        return false;
    };
    let prefixes: Vec<&str> = as_list(profile.pointer("/verification/startsWith"))
        .into_iter()
        .filter_map(Value::as_str)
        .collect();
    let origins: Vec<&str> = as_list(profile.pointer("/verification/allowedOrigins"))
        .into_iter()
        .filter_map(Value::as_str)
        .collect();
    if !prefixes.is_empty() || !origins.is_empty() {
        let host = origin.split_once("://").map(|(_, h)| h).unwrap_or("");
        return prefixes.iter().any(|p| url.starts_with(p))
            || origins.iter().any(|o| o.eq_ignore_ascii_case(host));
    }
    profile
        .get("id")
        .and_then(Value::as_str)
        .and_then(jose::origin)
        == Some(origin)
}

/// The credential a VC-JWT carries, with its registered claims checked against it (OB 3.0
/// §8.2.6): `iss` is the issuer; `jti`, `sub`, `nbf` and `exp`, when present, agree with the
/// id, the subject and the validity dates (`exp` alone sets the end of validity). A VCDM 1.1
/// token carries the credential in its `vc` claim, and its context must say 1.1. A W3C
/// VC-JOSE-COSE token (`require_iss` false) may leave `iss` out.
fn jwt_credential(payload: &Value, require_iss: bool) -> Result<Value, String> {
    let (mut cred, legacy) = match payload.get("vc") {
        Some(vc @ Value::Object(_)) => (vc.clone(), true),
        Some(_) => return Err("The token's vc claim is not a credential.".into()),
        None => (payload.clone(), false),
    };
    let Some(obj) = cred.as_object_mut() else {
        return Err("The token does not carry a credential.".into());
    };
    let first = first_context(obj).map(str::to_owned);
    if legacy && first.as_deref() != Some(VC_V1) {
        return Err("The token carries its credential in a vc claim (VC 1.1 style) but the credential does not say it is VC 1.1.".into());
    }
    if !legacy && first.as_deref() != Some(VC_V2) && first.as_deref() != Some(VC_V1) {
        return Err("The token's payload is not a verifiable credential (its @context is missing or wrong).".into());
    }
    let v1 = first.as_deref() == Some(VC_V1);
    // Legacy tokens may leave members to the claims (VC-JWT 1.1 §6.3.1).
    if legacy {
        for (claim, member) in [("iss", "issuer"), ("jti", "id")] {
            if let (Some(v), false) = (payload.get(claim), obj.contains_key(member)) {
                obj.insert(member.into(), v.clone());
            }
        }
    }
    let claim_str = |c: &str| payload.get(c).and_then(Value::as_str);
    let issuer = match obj.get("issuer") {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(Value::Object(o)) => o.get("id").and_then(Value::as_str),
        _ => None,
    };
    match (claim_str("iss"), issuer) {
        (Some(iss), Some(i)) if iss == i => {}
        (None, _) if !require_iss => {}
        (None, _) => return Err("The token has no iss claim naming its issuer.".into()),
        (Some(iss), i) => {
            return Err(format!(
                "The token's iss claim ({}) is not the credential's issuer ({}).",
                clip(iss),
                clip(i.unwrap_or("none"))
            ))
        }
    }
    if let (Some(jti), Some(id)) = (claim_str("jti"), obj.get("id").and_then(Value::as_str)) {
        if jti != id {
            return Err(format!(
                "The token's jti claim ({}) is not the credential's id ({}).",
                clip(jti),
                clip(id)
            ));
        }
    }
    if let Some(sub) = claim_str("sub") {
        let subject_ids: Vec<&str> = as_list(obj.get("credentialSubject"))
            .into_iter()
            .filter_map(|s| s.get("id").and_then(Value::as_str))
            .collect();
        if !subject_ids.is_empty() && !subject_ids.contains(&sub) {
            return Err(format!(
                "The token's sub claim ({}) is not the credential's subject.",
                clip(sub)
            ));
        }
    }
    let (from_key, until_key) = if v1 {
        ("issuanceDate", "expirationDate")
    } else {
        ("validFrom", "validUntil")
    };
    let seconds = |key: &str| {
        obj.get(key)
            .and_then(Value::as_str)
            .and_then(dates::parse)
            .map(|t| t.unix_timestamp())
    };
    if let Some(nbf) = payload.get("nbf").and_then(Value::as_i64) {
        if let Some(from) = seconds(from_key) {
            if from != nbf {
                return Err(format!(
                    "The token's nbf claim does not match the credential's {from_key}."
                ));
            }
        }
    }
    if let Some(exp) = payload.get("exp").and_then(Value::as_i64) {
        match seconds(until_key) {
            Some(until) if until != exp => {
                return Err(format!(
                    "The token's exp claim does not match the credential's {until_key}."
                ))
            }
            Some(_) => {}
            None => {
                let t = OffsetDateTime::from_unix_timestamp(exp)
                    .map_err(|_| "The token's exp claim is not a date.".to_owned())?;
                let text = t
                    .format(&time::format_description::well_known::Rfc3339)
                    .map_err(|_| "The token's exp claim is not a date.".to_owned())?;
                obj.insert(until_key.into(), Value::String(text));
            }
        }
    }
    Ok(cred)
}
