//! The recipients of a batch: educators named by id or by email, read in bulk, and unknown emails
//! planned (and, in the transaction, created) as new educators of the issuing organization.
//!
//! Every lookup is scoped to the issuing organization: another organization's educator (by id or
//! by email) is never a recipient; the same email there becomes this organization's own record.

use std::collections::HashMap;

use crate::crypto::{new_sorted_id, random_bytes, recipient_identity_hash};
use crate::error::StoreError;
use crate::model::{IssueRequest, Recipient, RecipientIdentity};
use crate::sql::{args, insert_statements, keyed_sql, Col, Keys, Stmt, Tx};
use crate::store::Store;

/// A recipient's email in its one normal form ([`pathledger_core::Email`]), reported at `recipient`.
pub(super) fn normalize_email(e: &str) -> Result<String, StoreError> {
    crate::validate::normalize_email("recipient", e)
}

pub(super) struct EducatorInfo {
    pub(super) id: String,
    /// Created by this batch.
    pub(super) created: bool,
    salt: String,
    email: Option<String>,
    did: Option<String>,
    show_email: bool,
    show_did: bool,
}

impl EducatorInfo {
    /// Whether `other` names the recipient the same way (same identity hash and shown fields).
    pub(super) fn same_identity(&self, other: &EducatorInfo) -> bool {
        self.id == other.id
            && self.salt == other.salt
            && self.email == other.email
            && self.did == other.did
            && self.show_email == other.show_email
            && self.show_did == other.show_did
    }

    pub(super) fn identity(&self) -> Result<RecipientIdentity, StoreError> {
        let (identity, kind) = match (&self.email, &self.did) {
            (Some(e), _) => (e.as_str(), "emailAddress"),
            (None, Some(d)) => (d.as_str(), "did"),
            (None, None) => {
                return Err(StoreError::invalid(
                    "recipient",
                    format!("educator {} has no email or DID", self.id),
                ))
            }
        };
        Ok(RecipientIdentity {
            educator_id: self.id.clone(),
            identity_hash: recipient_identity_hash(identity, &self.salt),
            salt: self.salt.clone(),
            identity_type: kind,
            shown_email: self.email.clone().filter(|_| self.show_email),
            shown_did: self.did.clone().filter(|_| self.show_did),
        })
    }
}

impl Store {
    /// Looks up (or plans, for unknown emails) the educators named by the rows, in bulk. An
    /// unknown email gets the id and salt `planned` holds for it (a plan made ahead of the
    /// transaction), else new ones, recorded in `planned`. With `write`, also the statements
    /// that create those educators, for the caller to run before anything refers to them.
    pub(super) async fn resolve_educators(
        &self,
        tx: &mut Tx,
        org_id: &str,
        rows: &[(usize, IssueRequest)],
        now: i64,
        planned: &mut HashMap<String, (String, String)>,
        write: bool,
    ) -> Result<(HashMap<String, std::sync::Arc<EducatorInfo>>, Vec<Stmt>), StoreError> {
        // Keyed by "id:<educator id>" or "email:<normalized email>".
        let mut out: HashMap<String, std::sync::Arc<EducatorInfo>> = HashMap::new();
        let mut ids: Vec<String> = Vec::new();
        let mut emails: Vec<String> = Vec::new();
        for (_, r) in rows {
            match &r.recipient {
                Recipient::Educator(id) => ids.push(id.clone()),
                Recipient::Email(e) => {
                    if let Ok(e) = normalize_email(e) {
                        emails.push(e);
                    }
                }
            }
        }
        emails.sort();
        emails.dedup();
        ids.sort();
        ids.dedup();
        let mut email_to_id: HashMap<String, String> = HashMap::new();
        for chunk in emails.chunks(500) {
            let (sql, a) = keyed_sql(
                tx.backend(),
                "value, educator_id",
                "educator_identifiers",
                "org_id = $1 AND kind = 'email'",
                "value",
                Keys::Text(chunk),
                "",
                args![org_id],
            );
            for r in tx.fetch_all(&sql, a).await? {
                email_to_id.insert(r.text("value")?, r.text("educator_id")?);
            }
        }
        // Unknown emails become educators of the issuing organization.
        let missing: Vec<&String> = emails
            .iter()
            .filter(|e| !email_to_id.contains_key(*e))
            .collect();
        // Educators created here are known without reading them back.
        let mut created: HashMap<String, EducatorInfo> = HashMap::with_capacity(missing.len());
        let mut ed_rows = Vec::with_capacity(missing.len());
        let mut id_rows = Vec::with_capacity(missing.len());
        for e in missing {
            let (id, salt) = match planned.get(e) {
                Some(p) => p.clone(),
                None => {
                    let p = (new_sorted_id("edu")?, hex::encode(random_bytes::<16>()?));
                    planned.insert(e.clone(), p.clone());
                    p
                }
            };
            created.insert(
                id.clone(),
                EducatorInfo {
                    id: id.clone(),
                    created: true,
                    salt: salt.clone(),
                    email: Some(e.clone()),
                    did: None,
                    show_email: false,
                    show_did: false,
                },
            );
            if write {
                ed_rows.push(args![
                    id.as_str(),
                    org_id,
                    e.as_str(),
                    salt,
                    false,
                    false,
                    false,
                    now
                ]);
                id_rows.push(args!["email", e.as_str(), id.as_str(), true, org_id]);
            }
            email_to_id.insert(e.clone(), id);
        }
        let mut creates = insert_statements(
            tx.backend(),
            "educators",
            &[
                ("id", Col::Text),
                ("org_id", Col::Text),
                ("display_name", Col::Text),
                ("salt", Col::Text),
                ("show_email", Col::Bool),
                ("show_did", Col::Bool),
                ("community_opt_in", Col::Bool),
                ("created_ms", Col::I64),
            ],
            ed_rows,
            200,
        )?;
        creates.extend(insert_statements(
            tx.backend(),
            "educator_identifiers",
            &[
                ("kind", Col::Text),
                ("value", Col::Text),
                ("educator_id", Col::Text),
                ("is_primary", Col::Bool),
                ("org_id", Col::Text),
            ],
            id_rows,
            200,
        )?);
        let mut all_ids: Vec<String> = ids.clone();
        all_ids.extend(email_to_id.values().cloned());
        all_ids.retain(|id| !created.contains_key(id));
        all_ids.sort();
        all_ids.dedup();
        let mut infos: HashMap<String, EducatorInfo> = created;
        for chunk in all_ids.chunks(500) {
            let (sql, a) = keyed_sql(
                tx.backend(),
                "id, salt, show_email, show_did",
                "educators",
                // Only the issuing organization's own educators: an id from another organization
                // is reported as not found, as an unknown one is.
                "org_id = $1",
                "id",
                Keys::Text(chunk),
                "",
                args![org_id],
            );
            for r in tx.fetch_all(&sql, a).await? {
                let id = r.text("id")?;
                infos.insert(
                    id.clone(),
                    EducatorInfo {
                        id,
                        created: false,
                        salt: r.text("salt")?,
                        email: None,
                        did: None,
                        show_email: r.bool("show_email")?,
                        show_did: r.bool("show_did")?,
                    },
                );
            }
            let (sql, a) = keyed_sql(
                tx.backend(),
                "educator_id, kind, value, is_primary",
                "educator_identifiers",
                "",
                "educator_id",
                Keys::Text(chunk),
                "is_primary DESC, value",
                Vec::new(),
            );
            for r in tx.fetch_all(&sql, a).await? {
                if let Some(info) = infos.get_mut(&r.text("educator_id")?) {
                    let v = r.text("value")?;
                    match r.text("kind")?.as_str() {
                        "email" if info.email.is_none() => info.email = Some(v),
                        "did" if info.did.is_none() => info.did = Some(v),
                        _ => {}
                    }
                }
            }
        }
        let infos: HashMap<String, std::sync::Arc<EducatorInfo>> = infos
            .into_iter()
            .map(|(id, info)| (id, std::sync::Arc::new(info)))
            .collect();
        for (email, id) in email_to_id {
            if let Some(info) = infos.get(&id) {
                out.insert(format!("email:{email}"), info.clone());
            }
        }
        for (id, info) in infos {
            out.insert(format!("id:{id}"), info);
        }
        Ok((out, creates))
    }
}
