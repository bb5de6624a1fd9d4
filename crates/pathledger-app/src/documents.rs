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

/// The VC 2.0 context a ledger document must start with (its status entry's terms are there).
const VC2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";

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
    let Value::Object(doc) = credential else {
        return Err(AppError::invalid("/credential", "must be a JSON object"));
    };
    check_document(&doc)?;
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

/// What the ledger refuses to sign: proofs, status entries it did not allocate, another data
/// model version.
fn check_document(doc: &Map<String, Value>) -> Result<(), AppError> {
    let first_context = match doc.get("@context") {
        Some(Value::Array(a)) => a.first().and_then(Value::as_str),
        Some(Value::String(s)) => Some(s.as_str()),
        _ => None,
    };
    if first_context != Some(VC2_CONTEXT) {
        return Err(AppError::invalid(
            "/credential/@context",
            format!("the ledger issues VC Data Model 2.0 credentials: the first context must be {VC2_CONTEXT}"),
        ));
    }
    if doc.contains_key("proof") {
        return Err(AppError::invalid(
            "/credential/proof",
            "send the credential without a proof; the ledger signs it",
        ));
    }
    if doc.contains_key("credentialStatus") {
        return Err(AppError::invalid(
            "/credential/credentialStatus",
            "leave it out: the ledger gives every credential its own status entry",
        ));
    }
    Ok(())
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
        let status = badges::StatusEntry::new(
            &ctx.revocation.list_url,
            badges::StatusPurpose::Revocation,
            ctx.revocation.index,
        );
        doc.insert("credentialStatus".into(), status.to_json());
        let mut popts = ProofOptions::assertion(opts.suite, vm);
        popts.created = Some(badges::dates::format(ms_to_datetime(ctx.issued_ms)));
        sign_document_to_string(&Value::Object(doc), ctx.key.suite_key(), &popts)
            .map_err(|e| AppError::invalid("/credential", e.to_string()))
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
