//! Writing a batch: each built row becomes its record and log leaf, then the statements that
//! insert the credentials and record awarded roles.

use super::build::{BuiltRow, Signed};
use super::prepare::{Prepared, RowResult};
use crate::error::StoreError;
use crate::log::{LeafData, LogAppender};
use crate::model::{CredentialRecord, CredentialStatus};
use crate::sql::{args, insert_statements, Backend, Col, Stmt, Tx};

/// A credential built and signed in this batch, waiting to be written.
pub(super) struct NewRecord {
    pub(super) pos: usize,
    pub(super) record: CredentialRecord,
    /// `record.document` once more, moved into the insert (see [`Signed::for_sql`]).
    for_sql: String,
    pub(super) request_hash: [u8; 32],
    award_role_id: Option<String>,
    pub(super) new_educator: bool,
}

impl NewRecord {
    /// A record made outside a batch (a caller's own document), inserted by
    /// [`credential_statements`] like the batch's.
    pub(super) fn single(record: CredentialRecord, request_hash: [u8; 32]) -> Self {
        Self {
            pos: 0,
            for_sql: record.document.clone(),
            record,
            request_hash,
            award_role_id: None,
            new_educator: false,
        }
    }
}

/// What every row of one batch shares once it is built.
pub(super) struct RowCtx<'a> {
    pub(super) org_id: &'a str,
    pub(super) issuer_id: &'a str,
    pub(super) key_id: &'a str,
    pub(super) now: i64,
}

impl RowCtx<'_> {
    /// Turns one built row into its record and log leaf, or into its per-row error. `Err` is
    /// an integrity failure of the whole batch.
    pub(super) fn finish_row(
        &self,
        p: &Prepared,
        built: BuiltRow,
        log: &mut LogAppender,
        records: &mut Vec<NewRecord>,
        results: &mut Vec<(usize, RowResult)>,
    ) -> Result<(), StoreError> {
        let Signed {
            doc,
            hash: doc_hash,
            for_sql,
        } = match built {
            Ok(d) => d,
            Err(e) => {
                results.push((p.pos, RowResult::Done(Box::new(Err(StoreError::Build(e))))));
                return Ok(());
            }
        };
        let Some(revocation) = p.revocation.clone() else {
            return Err(StoreError::integrity("status allocation came up short"));
        };
        let mut leaf = LeafData::new("issue", self.now);
        leaf.credential_id = Some(&p.credential_id);
        leaf.credential_sha256 = Some(hex::encode(doc_hash));
        leaf.issuer_id = Some(self.issuer_id);
        leaf.key_id = Some(self.key_id);
        leaf.previous_id = p.req.previous_credential_id.as_deref();
        let data = leaf.to_bytes()?;
        let log_index = log.append("issue", Some(&p.credential_id), data, self.now)?;
        records.push(NewRecord {
            pos: p.pos,
            for_sql,
            record: CredentialRecord {
                id: p.credential_id.clone(),
                org_id: self.org_id.to_owned(),
                issuer_id: self.issuer_id.to_owned(),
                key_id: self.key_id.to_owned(),
                achievement_id: p.req.achievement_id.clone(),
                achievement_version: p.achievement_version,
                educator_id: Some(p.recipient.educator_id.clone()),
                recipient_hash: p.recipient.identity_hash.clone(),
                document: doc,
                document_hash: doc_hash,
                issued_ms: self.now,
                valid_until_ms: p.req.valid_until_ms,
                status: CredentialStatus::Active,
                status_reason: None,
                idempotency_key: p.req.idempotency_key.clone(),
                previous_id: p.req.previous_credential_id.clone(),
                revocation,
                suspension: p.suspension.clone(),
                log_index,
            },
            request_hash: p.request_hash,
            award_role_id: p.req.award_role_id.clone(),
            new_educator: p.new_educator,
        });
        Ok(())
    }
}

/// The credentials columns with their types, in [`CRED_COLS`] order.
const CRED_TYPES: [(&str, Col); 22] = [
    ("id", Col::Text),
    ("org_id", Col::Text),
    ("issuer_id", Col::Text),
    ("key_id", Col::Text),
    ("achievement_id", Col::Text),
    ("achievement_version", Col::I64),
    ("educator_id", Col::Text),
    ("recipient_hash", Col::Text),
    ("document", Col::Text),
    ("document_hash", Col::Bytes),
    ("issued_ms", Col::I64),
    ("valid_until_ms", Col::I64),
    ("status", Col::Text),
    ("status_reason", Col::Text),
    ("idempotency_key", Col::Text),
    ("request_hash", Col::Bytes),
    ("previous_id", Col::Text),
    ("revocation_list_id", Col::Text),
    ("revocation_index", Col::I64),
    ("suspension_list_id", Col::Text),
    ("suspension_index", Col::I64),
    ("log_index", Col::I64),
];

/// The statements that insert `records` into `credentials`; each record's SQL copy of its
/// document moves into them.
pub(super) fn credential_statements(
    backend: Backend,
    records: &mut [NewRecord],
) -> Result<Vec<Stmt>, StoreError> {
    let rows = records
        .iter_mut()
        .map(
            |NewRecord {
                 record: c,
                 request_hash: rh,
                 for_sql,
                 ..
             }| {
                args![
                    c.id.as_str(),
                    c.org_id.as_str(),
                    c.issuer_id.as_str(),
                    c.key_id.as_str(),
                    c.achievement_id.as_str(),
                    c.achievement_version,
                    c.educator_id.clone(),
                    c.recipient_hash.as_str(),
                    std::mem::take(for_sql),
                    c.document_hash.to_vec(),
                    c.issued_ms,
                    c.valid_until_ms,
                    c.status.as_str(),
                    c.status_reason.clone(),
                    c.idempotency_key.clone(),
                    rh.to_vec(),
                    c.previous_id.clone(),
                    c.revocation.list_id.as_str(),
                    c.revocation.index as i64,
                    c.suspension.as_ref().map(|s| s.list_id.clone()),
                    c.suspension.as_ref().map(|s| s.index as i64),
                    c.log_index as i64
                ]
            },
        )
        .collect();
    insert_statements(backend, "credentials", &CRED_TYPES, rows, usize::MAX)
}

/// Records the roles that `records` were awarded for (after the credentials are stored).
pub(super) async fn write_awards(
    tx: &mut Tx,
    records: &[NewRecord],
    now: i64,
) -> Result<(), StoreError> {
    for NewRecord {
        record: c,
        award_role_id: role,
        ..
    } in records
    {
        if let (Some(role), Some(edu)) = (role, &c.educator_id) {
            tx.execute(
                "INSERT INTO awards (educator_id, role_id, credential_id, created_ms) VALUES ($1, $2, $3, $4)",
                args![edu.as_str(), role.as_str(), c.id.as_str(), now],
            )
            .await?;
        }
    }
    Ok(())
}
