//! Preparing one row of a batch: validation, idempotency (a stored or an earlier row's result),
//! the recipient's identity, renewal checks and the achievement definition, giving the inputs
//! its document is built from.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::recipients::{normalize_email, EducatorInfo};
use crate::crypto::{new_credential_id, sha256};
use crate::error::StoreError;
use crate::model::{IssueOutcome, IssueRequest, Recipient, RecipientIdentity, StatusAssignment};
use crate::rows::{row_to_credential, CRED_COLS};
use crate::sql::{args, keyed_sql, Keys, Row, Tx};
use crate::store::Store;
use crate::validate::check_text;

/// Achievement definitions read in this batch: (id, requested version) -> (version, document).
pub(super) type AchievementCache = HashMap<(String, Option<i64>), (i64, std::sync::Arc<Value>)>;

/// The request fields compared for idempotency (everything but the key itself).
fn request_hash(req: &IssueRequest) -> Result<[u8; 32], StoreError> {
    let mut r = req.clone();
    r.idempotency_key = None;
    let bytes = serde_json::to_vec(&r)
        .map_err(|e| StoreError::invalid("request", format!("cannot encode: {e}")))?;
    Ok(sha256(&bytes))
}

/// The answer to a request whose idempotency key is already stored in `row`: the stored
/// credential, replayed, when it was issued from the same request (`request_hash`); otherwise
/// a conflict. Stored rows always carry their request hash.
pub(super) fn replay(
    row: &Row,
    request_hash: &[u8; 32],
    key: &str,
    status_base_url: &str,
) -> Result<IssueOutcome, StoreError> {
    if row.bytes("request_hash")? != request_hash.to_vec() {
        return Err(StoreError::conflict(format!(
            "idempotency key {key:?} was already used with a different request"
        )));
    }
    Ok(IssueOutcome {
        credential: row_to_credential(row, status_base_url)?,
        replayed: true,
        new_educator: false,
    })
}

/// One row that passed validation and waits to be built.
pub(super) struct Prepared {
    pub(super) pos: usize,
    pub(super) req: IssueRequest,
    pub(super) request_hash: [u8; 32],
    pub(super) achievement_version: i64,
    pub(super) achievement: std::sync::Arc<Value>,
    pub(super) recipient: RecipientIdentity,
    /// What `recipient` was made from.
    pub(super) educator: std::sync::Arc<EducatorInfo>,
    /// The recipient became an educator in this batch.
    pub(super) new_educator: bool,
    pub(super) credential_id: String,
    pub(super) revocation: Option<StatusAssignment>,
    pub(super) suspension: Option<StatusAssignment>,
}

/// What happened to one input row inside a batch.
pub(super) enum RowResult {
    Done(Box<Result<IssueOutcome, StoreError>>),
    /// Same idempotency key as an earlier row of the batch: answer with that row's result.
    SameAs(usize, [u8; 32]),
}

/// The stored credentials for the idempotency keys of `rows`, by key.
pub(super) async fn existing_by_key(
    tx: &mut Tx,
    org_id: &str,
    rows: &[(usize, IssueRequest)],
) -> Result<HashMap<String, Row>, StoreError> {
    let keys: Vec<String> = rows
        .iter()
        .filter_map(|(_, r)| r.idempotency_key.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut existing: HashMap<String, Row> = HashMap::new();
    for chunk in keys.chunks(500) {
        let (sql, a) = keyed_sql(
            tx.backend(),
            CRED_COLS,
            "credentials",
            "org_id = $1",
            "idempotency_key",
            Keys::Text(chunk),
            "",
            args![org_id],
        );
        for r in tx.fetch_all(&sql, a).await? {
            if let Some(k) = r.opt_text("idempotency_key")? {
                existing.insert(k, r);
            }
        }
    }
    Ok(existing)
}

impl Store {
    /// Validates one row. `Ok(Ok(Some))` = to build; `Ok(Ok(None))` never; `Ok(Err(r))` = answered now.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn prepare_row(
        &self,
        tx: &mut Tx,
        org_id: &str,
        pos: usize,
        req: IssueRequest,
        existing: &HashMap<String, Row>,
        educators: &HashMap<String, std::sync::Arc<EducatorInfo>>,
        achievements: &mut AchievementCache,
        seen_ahead: Option<&AchievementCache>,
        planned: Option<&Prepared>,
        keys_in_batch: &mut HashMap<String, usize>,
    ) -> Result<Result<Option<Prepared>, RowResult>, StoreError> {
        let fail = |e: StoreError| Ok(Err(RowResult::Done(Box::new(Err(e)))));
        if let Err(e) = check_text("achievement_id", &req.achievement_id, 2048) {
            return fail(e);
        }
        // A planned row keeps its credential id, whatever else changed (ids are never reused),
        // and, planned from the same request, what the plan derived from it.
        let planned_id = planned.map(|p| p.credential_id.clone());
        let planned = planned.filter(|p| p.req == req);
        let rh = match planned {
            Some(p) => p.request_hash,
            None => match request_hash(&req) {
                Ok(h) => h,
                Err(e) => return fail(e),
            },
        };
        if let Some(k) = &req.idempotency_key {
            if let Err(e) = check_text("idempotency_key", k, 255) {
                return fail(e);
            }
            if let Some(row) = existing.get(k) {
                let answer = replay(row, &rh, k, self.status_base_url());
                return Ok(Err(RowResult::Done(Box::new(answer))));
            }
            if let Some(first) = keys_in_batch.get(k) {
                return Ok(Err(RowResult::SameAs(*first, rh)));
            }
            keys_in_batch.insert(k.clone(), pos);
        }
        let key = match &req.recipient {
            Recipient::Educator(id) => format!("id:{id}"),
            Recipient::Email(e) => match normalize_email(e) {
                Ok(e) => format!("email:{e}"),
                Err(e) => return fail(e),
            },
        };
        let Some(edu) = educators.get(&key) else {
            let id = match &req.recipient {
                Recipient::Educator(id) | Recipient::Email(id) => id.clone(),
            };
            return fail(StoreError::not_found("educator", id));
        };
        let recipient = match planned.filter(|p| p.educator.same_identity(edu)) {
            Some(p) => p.recipient.clone(),
            None => match edu.identity() {
                Ok(r) => r,
                Err(e) => return fail(e),
            },
        };
        if let Some(role) = &req.award_role_id {
            if let Err(e) = check_text("award_role_id", role, 512) {
                return fail(e);
            }
            let sql = format!(
                "SELECT {CRED_COLS} FROM credentials WHERE id = (SELECT credential_id FROM awards WHERE educator_id = $1 AND role_id = $2)"
            );
            if let Some(row) = tx
                .fetch_optional(&sql, args![edu.id.as_str(), role.as_str()])
                .await?
            {
                return Ok(Err(RowResult::Done(Box::new(
                    row_to_credential(&row, self.status_base_url()).map(|credential| {
                        IssueOutcome {
                            credential,
                            replayed: true,
                            new_educator: false,
                        }
                    }),
                ))));
            }
        }
        if let Some(prev) = &req.previous_credential_id {
            let row = tx
                .fetch_optional(
                    "SELECT org_id, educator_id, achievement_id FROM credentials WHERE id = $1",
                    args![prev.as_str()],
                )
                .await?;
            match row {
                None => return fail(StoreError::not_found("credential", prev.clone())),
                Some(r) => {
                    if r.text("org_id")? != org_id
                        || r.opt_text("educator_id")?.as_deref() != Some(edu.id.as_str())
                        || r.text("achievement_id")? != req.achievement_id
                    {
                        return fail(StoreError::invalid(
                            "previous_credential_id",
                            "a renewal must be for the same organization, educator and achievement",
                        ));
                    }
                }
            }
        }
        let ak = (req.achievement_id.clone(), req.achievement_version);
        let (version, doc) = match achievements.get(&ak) {
            Some(v) => v.clone(),
            None => {
                let row = match req.achievement_version {
                    Some(v) => tx.fetch_optional(
                        "SELECT version, document FROM definitions WHERE org_id = $1 AND kind = 'achievement' AND id = $2 AND version = $3",
                        args![org_id, req.achievement_id.as_str(), v],
                    ).await?,
                    None => tx.fetch_optional(
                        "SELECT version, document FROM definitions WHERE org_id = $1 AND kind = 'achievement' AND id = $2 ORDER BY version DESC LIMIT 1",
                        args![org_id, req.achievement_id.as_str()],
                    ).await?,
                };
                let Some(row) = row else {
                    return fail(StoreError::not_found(
                        "achievement",
                        req.achievement_id.clone(),
                    ));
                };
                let doc: Value = serde_json::from_str(&row.text("document")?)
                    .map_err(|e| StoreError::integrity(format!("stored definition: {e}")))?;
                let version = row.i64("version")?;
                // The same definition as the plan read shares its allocation, so rows built ahead
                // compare equal by pointer.
                let v = match seen_ahead.and_then(|c| c.get(&ak)) {
                    Some((sv, sd)) if *sv == version && **sd == doc => (version, sd.clone()),
                    _ => (version, std::sync::Arc::new(doc)),
                };
                achievements.insert(ak, v.clone());
                v
            }
        };
        Ok(Ok(Some(Prepared {
            pos,
            req,
            request_hash: rh,
            achievement_version: version,
            achievement: doc,
            recipient,
            educator: edu.clone(),
            new_educator: edu.created,
            credential_id: match planned_id {
                Some(id) => id,
                None => new_credential_id()?,
            },
            revocation: None,
            suspension: None,
        })))
    }
}
