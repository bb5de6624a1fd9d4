//! A caller's own credential put on the ledger (the VC-API `POST /credentials/issue`): it is
//! signed by the organization's issuer and stored like any credential we issue — a record, a
//! status entry, a log leaf, idempotency — so it can be looked up, audited and revoked.
//!
//! The document is signed as given, with three things the ledger decides: its `issuer` (ours:
//! a document naming any other issuer is refused, never signed), its `credentialStatus` (the
//! revocation entry the store allocates) and, when it has none, its `id`.

use pathledger_badges as badges;
use pathledger_signing::{sign_document_to_string, Cryptosuite, ProofOptions};
use pathledger_store::{AccessRole, DocumentContext, DocumentRequest};
use serde_json::{Map, Value};

use crate::issuance::unwrap_build;
use crate::{first_issuer, ms_to_datetime, Actor, App, AppError, Issued};

/// How a caller's document is signed.
#[derive(Debug, Clone)]
pub struct DocumentOptions {
    /// Which proof suite.
    pub suite: Cryptosuite,
    /// The test-harness mode: sign as the did:key of the issuer's current key instead of its
    /// did:web. The credential is still recorded, given a status entry and logged; it verifies
    /// offline (did:key), and stops verifying as ours once that key is rotated out.
    pub as_did_key: bool,
    /// Retry key: the same key returns the first result; with another document, a conflict.
    pub idempotency_key: Option<String>,
}

/// The VC 2.0 context (its status entry's and Data Integrity's terms are there).
const VC2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The VC 1.1 context: such documents are issued as VC 1.1, with the two contexts below added.
const VC1_CONTEXT: &str = "https://www.w3.org/2018/credentials/v1";
/// Data Integrity's terms (`DataIntegrityProof`, `cryptosuite`), appended to a VC 1.1
/// document that lacks it (VC Data Integrity §2.4.1).
const DATA_INTEGRITY_CONTEXT: &str = "https://w3id.org/security/data-integrity/v2";
/// The Bitstring Status List terms of the ledger's status entry, for a VC 1.1 document: inline
/// (the terms of `https://www.w3.org/ns/credentials/status/v1` the entry uses), so verifiers
/// that load only the standard VC 1.1 and Data Integrity contexts can read it.
fn status_entry_context() -> Value {
    const S: &str = "https://www.w3.org/ns/credentials/status#";
    serde_json::json!({
        "BitstringStatusListEntry": {
            "@id": format!("{S}BitstringStatusListEntry"),
            "@context": {
                "@protected": true,
                "id": "@id",
                "type": "@type",
                "statusListCredential": {"@id": format!("{S}statusListCredential"), "@type": "@id"},
                "statusListIndex": format!("{S}statusListIndex"),
                "statusPurpose": format!("{S}statusPurpose")
            }
        }
    })
}

/// Signs `credential` as the actor's organization's issuer and records it on the ledger.
pub async fn issue_document(
    app: &App,
    actor: &Actor,
    credential: Value,
    opts: DocumentOptions,
) -> Result<Issued, AppError> {
    let org = actor
        .org_with_role(app, &[AccessRole::Issuer, AccessRole::OrgAdmin])
        .await?;
    let issuer = first_issuer(app, &org).await?;
    let Value::Object(mut doc) = credential else {
        return Err(AppError::invalid("/credential", "must be a JSON object"));
    };
    if check_document(&doc)? == Version::V1 {
        add_contexts(
            &mut doc,
            &[
                Value::String(DATA_INTEGRITY_CONTEXT.into()),
                status_entry_context(),
            ],
        );
    }
    let credential_id =
        match doc.get("id") {
            None => None,
            Some(Value::String(id)) if id.len() <= 2048 && badges::is_uri(id) => Some(id.clone()),
            Some(_) => return Err(AppError::invalid(
                "/credential/id",
                "must be an absolute URI such as urn:uuid:…, or left out for the ledger to assign",
            )),
        };
    let valid_until_ms = match doc.get("validUntil") {
        None => None,
        Some(v) => Some(
            v.as_str()
                .and_then(badges::dates::parse)
                .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
                .ok_or_else(|| {
                    AppError::invalid(
                        "/credential/validUntil",
                        "must be an RFC 3339 date-time such as 2030-01-01T00:00:00Z",
                    )
                })?,
        ),
    };
    let subject = doc
        .get("credentialSubject")
        .and_then(|s| s.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let req = DocumentRequest {
        issuer_id: issuer.id.clone(),
        credential_id,
        subject,
        valid_until_ms,
        idempotency_key: opts.idempotency_key.clone(),
        payload: serde_json::json!({
            "credential": Value::Object(doc.clone()),
            "suite": opts.suite.as_str(),
            "did_key": opts.as_did_key,
        }),
    };
    let this = app.clone();
    let out = app
        .store()
        .issue_document(req, move |ctx| this.sign_document_for(doc, ctx, &opts))
        .await
        .map_err(unwrap_build)?;
    tracing::info!(credential = %out.credential.id, issuer = %issuer.id, replayed = out.replayed, "VC-API credential issued");
    app.to_issued(out)
}

/// The data model a document declares by its first context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

/// What the ledger refuses to sign: proofs, another data model, a document that breaks its
/// data model. Status entries the caller sends are kept (each must have a type); the ledger's
/// own revocation entry is added beside them.
fn check_document(doc: &Map<String, Value>) -> Result<Version, AppError> {
    let version = match first_context(doc) {
        Some(VC2_CONTEXT) => Version::V2,
        Some(VC1_CONTEXT) => Version::V1,
        _ => return Err(AppError::invalid(
            "/credential/@context",
            format!("the first context must be {VC2_CONTEXT} (VC Data Model 2.0), or {VC1_CONTEXT} for a VC 1.1 credential"),
        )),
    };
    if let Some(Value::Array(a)) = doc.get("@context") {
        if let Some(i) = a.iter().position(|c| !(c.is_string() || c.is_object())) {
            return Err(AppError::invalid(
                format!("/credential/@context/{i}"),
                "every context is a URL or an object",
            ));
        }
    }
    if doc.contains_key("proof") {
        return Err(AppError::invalid(
            "/credential/proof",
            "send the credential without a proof; the ledger signs it",
        ));
    }
    check_data_model(doc, version)?;
    Ok(version)
}

/// Appends each of `contexts` the document's `@context` lacks.
fn add_contexts(doc: &mut Map<String, Value>, contexts: &[Value]) {
    // Taken in place: the members keep their order.
    let slot = doc
        .entry("@context")
        .or_insert_with(|| Value::Array(Vec::new()));
    let mut list = match std::mem::take(slot) {
        Value::Array(a) => a,
        other => vec![other],
    };
    for c in contexts {
        if !list.contains(c) {
            list.push(c.clone());
        }
    }
    *slot = Value::Array(list);
}

/// The VC Data Model 2.0 rules a document must keep before the ledger signs it (§4): a type
/// that includes `VerifiableCredential`, a URL issuer, a subject that says something, typed
/// terms of use, evidence, refresh services and schemas, `dateTimeStamp` validity dates, and
/// related resources with ids (unique) and digests. Each refusal names the member.
fn check_data_model(doc: &Map<String, Value>, version: Version) -> Result<(), AppError> {
    let has_vc_type = match doc.get("type") {
        Some(Value::String(t)) => t == "VerifiableCredential",
        Some(Value::Array(a)) => a.iter().any(|t| t == "VerifiableCredential"),
        _ => false,
    };
    if !has_vc_type {
        return Err(AppError::invalid(
            "/credential/type",
            "must include VerifiableCredential",
        ));
    }
    match doc.get("issuer") {
        None => {}
        Some(Value::String(s)) if badges::is_uri(s) => {}
        Some(Value::Object(o))
            if o.get("id").is_none()
                || o.get("id")
                    .and_then(Value::as_str)
                    .is_some_and(badges::is_uri) => {}
        Some(_) => {
            return Err(AppError::invalid(
                "/credential/issuer",
                "must be a URL, or an object whose id is a URL",
            ))
        }
    }
    let subject_ok = match doc.get("credentialSubject") {
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::Array(a)) => {
            !a.is_empty()
                && a.iter()
                    .all(|s| s.as_object().is_some_and(|o| !o.is_empty()))
        }
        _ => false,
    };
    if !subject_ok {
        return Err(AppError::invalid(
            "/credential/credentialSubject",
            "must be present and say something about its subject (an object with at least one member)",
        ));
    }
    for member in [
        "credentialStatus",
        "termsOfUse",
        "evidence",
        "refreshService",
        "credentialSchema",
    ] {
        let (items, listed): (Vec<&Value>, bool) = match doc.get(member) {
            None => continue,
            Some(Value::Array(a)) => (a.iter().collect(), true),
            Some(v) => (vec![v], false),
        };
        for (i, item) in items.iter().enumerate() {
            let typed = item
                .get("type")
                .is_some_and(|t| t.is_string() || t.as_array().is_some_and(|a| !a.is_empty()));
            if !typed {
                let at = if listed {
                    format!("/{i}")
                } else {
                    String::new()
                };
                return Err(AppError::invalid(
                    format!("/credential/{member}{at}/type"),
                    format!("every {member} item needs a type"),
                ));
            }
        }
    }
    let dates: &[&str] = match version {
        Version::V2 => &["validFrom", "validUntil"],
        Version::V1 => &["issuanceDate", "expirationDate"],
    };
    for member in dates {
        if let Some(v) = doc.get(*member) {
            if !v.as_str().is_some_and(is_date_time_stamp) {
                return Err(AppError::invalid(
                    format!("/credential/{member}"),
                    "must be an XML Schema dateTimeStamp (a date-time with its time zone), such as 2030-01-01T00:00:00Z",
                ));
            }
        }
    }
    if let (Some(from), Some(until)) = (
        doc.get(dates[0])
            .and_then(Value::as_str)
            .and_then(badges::dates::parse),
        doc.get(dates[1])
            .and_then(Value::as_str)
            .and_then(badges::dates::parse),
    ) {
        if until < from {
            return Err(AppError::invalid(
                format!("/credential/{}", dates[1]),
                format!(
                    "is before {}: the credential would never be valid",
                    dates[0]
                ),
            ));
        }
    }
    if let Some(schemas) = doc.get("credentialSchema") {
        let (items, listed): (Vec<&Value>, bool) = match schemas {
            Value::Array(a) => (a.iter().collect(), true),
            v => (vec![v], false),
        };
        for (i, item) in items.iter().enumerate() {
            if !item
                .get("id")
                .and_then(Value::as_str)
                .is_some_and(badges::is_uri)
            {
                let at = if listed {
                    format!("/{i}")
                } else {
                    String::new()
                };
                return Err(AppError::invalid(
                    format!("/credential/credentialSchema{at}/id"),
                    "every credentialSchema item needs an id: the URL of the schema",
                ));
            }
        }
    }
    if let Some(rr) = doc.get("relatedResource") {
        let items: Vec<&Value> = match rr {
            Value::Array(a) => a.iter().collect(),
            v => vec![v],
        };
        let mut seen = std::collections::HashSet::new();
        for (i, item) in items.iter().enumerate() {
            let Some(id) = item
                .get("id")
                .and_then(Value::as_str)
                .filter(|s| badges::is_uri(s))
            else {
                return Err(AppError::invalid(
                    format!("/credential/relatedResource/{i}/id"),
                    "every related resource needs an id (a URL)",
                ));
            };
            if !seen.insert(id.to_owned()) {
                return Err(AppError::invalid(
                    format!("/credential/relatedResource/{i}/id"),
                    format!("{id} is listed twice"),
                ));
            }
            if item.get("digestSRI").is_none() && item.get("digestMultibase").is_none() {
                return Err(AppError::invalid(
                    format!("/credential/relatedResource/{i}"),
                    "every related resource needs a digestSRI or digestMultibase",
                ));
            }
            if let Some(member) = wrong_digest(id, item) {
                return Err(AppError::invalid(
                    format!("/credential/relatedResource/{i}/{member}"),
                    format!("does not match the published {id}"),
                ));
            }
        }
    }
    Ok(())
}

/// Published digests of resources we hold (VC Data Model 2.0 §B.1 publishes these for its base
/// context): URL, SHA-256 (hex), SHA-384 (the `digestSRI` base64). A related resource naming
/// one of them with another digest is refused; other URLs cannot be checked offline and are
/// signed as the issuer states them.
const PUBLISHED_DIGESTS: &[(&str, &str, &str)] = &[(
    VC2_CONTEXT,
    "24a18c90e9856d526111f29376e302d970b2bd10182e33959995b0207d7043b9",
    "NSOcNpmdIVUxIJGvGUoe22FjTWrXiaXlsZ8q6912LdnR3KraQO2n75Ica4wK4Qeg",
)];

/// For a related resource whose published digests we know: the member that disagrees with
/// them (`digestSRI` or `digestMultibase`), if any.
fn wrong_digest(id: &str, item: &Value) -> Option<&'static str> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine as _;
    let (_, sha256_hex, sha384_sri) = PUBLISHED_DIGESTS.iter().find(|(u, _, _)| *u == id)?;
    let sha256 = hex::decode(sha256_hex).ok()?;
    if let Some(sri) = item.get("digestSRI") {
        let ok = match sri.as_str().and_then(|s| s.split_once('-')) {
            Some(("sha384", b64)) => b64 == *sha384_sri,
            Some(("sha256", b64)) => STANDARD.decode(b64).ok().as_deref() == Some(&sha256[..]),
            _ => false,
        };
        if !ok {
            return Some("digestSRI");
        }
    }
    if let Some(mb) = item.get("digestMultibase") {
        let raw = mb
            .as_str()
            .and_then(|s| s.strip_prefix('u'))
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok());
        // The bare SHA-256, or as a multihash (0x12 0x20 ‖ digest).
        let ok = raw.as_deref().is_some_and(|r| {
            r == &sha256[..] || (r.len() == 34 && r[..2] == [0x12, 0x20] && r[2..] == sha256[..])
        });
        if !ok {
            return Some("digestMultibase");
        }
    }
    None
}

/// XML Schema `dateTimeStamp`: `YYYY-MM-DDThh:mm:ss(.s+)?` with a time zone (`Z` or `±hh:mm`).
fn is_date_time_stamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    let mut i = usize::from(b.first() == Some(&b'-'));
    let year_end = b[i..]
        .iter()
        .position(|c| !c.is_ascii_digit())
        .map(|p| i + p);
    let Some(ye) = year_end.filter(|ye| ye - i >= 4) else {
        return false;
    };
    i = ye;
    let fixed = b.get(i) == Some(&b'-')
        && digits(i + 1..i + 3)
        && b.get(i + 3) == Some(&b'-')
        && digits(i + 4..i + 6)
        && b.get(i + 6) == Some(&b'T')
        && digits(i + 7..i + 9)
        && b.get(i + 9) == Some(&b':')
        && digits(i + 10..i + 12)
        && b.get(i + 12) == Some(&b':')
        && digits(i + 13..i + 15);
    if !fixed {
        return false;
    }
    let mut j = i + 15;
    if b.get(j) == Some(&b'.') {
        let n = b[j + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        j += 1 + n;
    }
    match &b[j..] {
        [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

impl App {
    /// Inside the store's transaction: names the issuer, puts the id and status entry in, signs.
    fn sign_document_for(
        &self,
        mut doc: Map<String, Value>,
        ctx: &DocumentContext<'_>,
        opts: &DocumentOptions,
    ) -> Result<String, AppError> {
        let (issuer, vm) = if opts.as_did_key {
            let pk = ctx.key.suite_key().public_key();
            (pk.did_key(), pk.did_key_verification_method())
        } else {
            let issuer_id = ctx.request.issuer_id.as_str();
            (
                self.issuer_did(issuer_id),
                self.key_vm(issuer_id, ctx.key.key_id()),
            )
        };
        set_issuer(&mut doc, &issuer)?;
        doc.entry("id")
            .or_insert_with(|| Value::String(ctx.credential_id.clone()));
        if first_context(&doc) == Some(VC1_CONTEXT) {
            doc.entry("issuanceDate").or_insert_with(|| {
                Value::String(badges::dates::format(ms_to_datetime(ctx.issued_ms)))
            });
        }
        let ours = badges::StatusEntry::new(
            &ctx.revocation.list_url,
            badges::StatusPurpose::Revocation,
            ctx.revocation.index,
        )
        .to_json();
        match doc.get_mut("credentialStatus") {
            None => {
                doc.insert("credentialStatus".into(), ours);
            }
            Some(slot) => {
                *slot = match std::mem::take(slot) {
                    Value::Array(mut given) => {
                        given.push(ours);
                        Value::Array(given)
                    }
                    given => Value::Array(vec![given, ours]),
                };
            }
        }
        let mut popts = ProofOptions::assertion(opts.suite, vm);
        popts.created = Some(badges::dates::format(ms_to_datetime(ctx.issued_ms)));
        sign_document_to_string(&Value::Object(doc), ctx.key.suite_key(), &popts)
            .map_err(|e| AppError::invalid("/credential", e.to_string()))
    }
}

/// The first item of the document's `@context` when it is a URL.
fn first_context(doc: &Map<String, Value>) -> Option<&str> {
    match doc.get("@context") {
        Some(Value::Array(a)) => a.first().and_then(Value::as_str),
        Some(Value::String(s)) => Some(s.as_str()),
        _ => None,
    }
}

/// Names `issuer` as the document's issuer, or refuses a document that names another one.
fn set_issuer(doc: &mut Map<String, Value>, issuer: &str) -> Result<(), AppError> {
    let named = match doc.get_mut("issuer") {
        None => {
            doc.insert("issuer".into(), Value::String(issuer.to_owned()));
            return Ok(());
        }
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => match o.get("id") {
            None => {
                o.insert("id".into(), Value::String(issuer.to_owned()));
                return Ok(());
            }
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(AppError::invalid(
                    "/credential/issuer/id",
                    "must be a string",
                ))
            }
        },
        Some(_) => {
            return Err(AppError::invalid(
                "/credential/issuer",
                "must be a string or an object with an id",
            ))
        }
    };
    if named == issuer {
        Ok(())
    } else {
        Err(AppError::invalid(
            "/credential/issuer",
            format!("names {named:?}; this deployment signs only as its own issuer, {issuer:?} (leave issuer out to have it set)"),
        ))
    }
}

#[cfg(test)]
mod data_model_tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    fn base() -> Value {
        json!({
            "@context": [VC2_CONTEXT],
            "type": ["VerifiableCredential"],
            "credentialSubject": {"id": "did:example:alice", "name": "Alice"}
        })
    }

    fn field(v: Value) -> String {
        match check_data_model(&doc(v), Version::V2) {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_plain_credential_passes() {
        assert!(check_data_model(&doc(base()), Version::V2).is_ok());
        let mut v = base();
        v["validFrom"] = json!("2026-01-01T00:00:00.123+02:00");
        v["relatedResource"] = json!([{"id": "https://ex.example/a", "digestSRI": "sha384-x"}]);
        v["evidence"] = json!({"type": ["Evidence"]});
        assert!(check_data_model(&doc(v), Version::V2).is_ok());
    }

    #[test]
    fn each_rule_names_its_member() {
        let with = |k: &str, val: Value| {
            let mut v = base();
            v[k] = val;
            v
        };
        assert_eq!(
            field(with("type", json!(["OpenBadgeCredential"]))),
            "/credential/type"
        );
        assert_eq!(
            field(with("issuer", json!("not a url"))),
            "/credential/issuer"
        );
        assert_eq!(
            field(with("issuer", json!({"id": 7}))),
            "/credential/issuer"
        );
        assert_eq!(
            field(with("credentialSubject", json!({}))),
            "/credential/credentialSubject"
        );
        assert_eq!(
            field(with("credentialSubject", json!([]))),
            "/credential/credentialSubject"
        );
        let mut none = base();
        none.as_object_mut()
            .expect("object")
            .remove("credentialSubject");
        assert_eq!(field(none), "/credential/credentialSubject");
        assert_eq!(
            field(with(
                "evidence",
                json!([{"type": "Evidence"}, {"name": "x"}])
            )),
            "/credential/evidence/1/type"
        );
        assert_eq!(
            field(with("termsOfUse", json!({"id": "x:y"}))),
            "/credential/termsOfUse/type"
        );
        assert_eq!(
            field(with("refreshService", json!({"type": []}))),
            "/credential/refreshService/type"
        );
        assert_eq!(
            field(with("credentialSchema", json!([{}]))),
            "/credential/credentialSchema/0/type"
        );
        assert_eq!(
            field(with("credentialSchema", json!([{"type": "JsonSchema"}]))),
            "/credential/credentialSchema/0/id"
        );
        assert_eq!(
            field(with(
                "credentialStatus",
                json!({"id": "https://s.example/1#2"})
            )),
            "/credential/credentialStatus/type"
        );
        let mut inverted = with("validFrom", json!("2030-01-01T00:00:00Z"));
        inverted["validUntil"] = json!("2029-12-31T00:00:00Z");
        assert_eq!(field(inverted), "/credential/validUntil");
        assert_eq!(
            field(with(
                "relatedResource",
                json!([{"id": "https://www.w3.org/ns/credentials/v2", "digestSRI": "sha256-AAAA"}])
            )),
            "/credential/relatedResource/0/digestSRI"
        );
        assert_eq!(
            field(with("validFrom", json!("2026-01-01T00:00:00"))),
            "/credential/validFrom"
        );
        assert_eq!(
            field(with("validUntil", json!("2026-01-01"))),
            "/credential/validUntil"
        );
        assert_eq!(
            field(with("relatedResource", json!([{"digestSRI": "x"}]))),
            "/credential/relatedResource/0/id"
        );
        assert_eq!(
            field(with(
                "relatedResource",
                json!([{"id": "https://a.example/", "digestSRI": "x"}, {"id": "https://a.example/", "digestSRI": "y"}])
            )),
            "/credential/relatedResource/1/id"
        );
        assert_eq!(
            field(with("relatedResource", json!({"id": "https://a.example/"}))),
            "/credential/relatedResource/0"
        );
    }

    #[test]
    fn date_time_stamps() {
        for ok in [
            "2030-01-01T00:00:00Z",
            "2030-01-01T00:00:00.5Z",
            "12030-01-01T00:00:00-05:00",
            "-0044-03-15T12:00:00+01:00",
        ] {
            assert!(is_date_time_stamp(ok), "{ok}");
        }
        for bad in [
            "2030-01-01T00:00:00",
            "2030-01-01",
            "2030-1-01T00:00:00Z",
            "2030-01-01T00:00:00.Z",
            "2030-01-01T00:00:00+0500",
            "next week",
            "",
        ] {
            assert!(!is_date_time_stamp(bad), "{bad}");
        }
    }
}
