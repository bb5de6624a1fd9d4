//! Reading stored credentials: one, an educator's, an organization's (paged), those expiring,
//! what educators hold, and a credential's status history.

use crate::error::StoreError;
use crate::model::CredentialRecord;
use crate::rows::{row_to_credential, CRED_COLS};
use crate::sql::{args, keyed_sql, Keys, Val};
use crate::store::Store;
use crate::validate::check_text;

/// A credential as the admin list shows it: the record, its holder's name and primary email
/// (none for a document issued through the VC-API, or a record erased on request).
#[derive(Debug, Clone)]
pub struct CredentialListing {
    pub record: CredentialRecord,
    pub holder_name: Option<String>,
    pub holder_email: Option<String>,
}

/// One page of [`Store::search_credentials`], and how many match in all.
#[derive(Debug, Clone)]
pub struct CredentialPage {
    pub rows: Vec<CredentialListing>,
    pub total: u64,
}

impl Store {
    /// One credential.
    pub async fn credential(&self, id: &str) -> Result<CredentialRecord, StoreError> {
        check_text("credential_id", id, 2048)?;
        let sql = format!("SELECT {CRED_COLS} FROM credentials WHERE id = $1");
        let row = self
            .db()
            .fetch_optional(&sql, args![id])
            .await?
            .ok_or_else(|| StoreError::not_found("credential", id))?;
        row_to_credential(&row, self.status_base_url())
    }

    /// An educator's credentials, newest first.
    pub async fn credentials_for_educator(
        &self,
        educator_id: &str,
    ) -> Result<Vec<CredentialRecord>, StoreError> {
        let sql = format!(
            "SELECT {CRED_COLS} FROM credentials WHERE educator_id = $1 ORDER BY issued_ms DESC, log_index DESC"
        );
        self.db()
            .fetch_all(&sql, args![educator_id])
            .await?
            .iter()
            .map(|r| row_to_credential(r, self.status_base_url()))
            .collect()
    }

    /// Credentials of an organization, newest first (paged).
    pub async fn credentials_for_org(
        &self,
        org_id: &str,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<CredentialRecord>, StoreError> {
        let sql = format!("SELECT {CRED_COLS} FROM credentials WHERE org_id = $1 ORDER BY log_index DESC LIMIT $2 OFFSET $3");
        self.db()
            .fetch_all(
                &sql,
                args![
                    org_id,
                    i64::from(limit),
                    i64::try_from(offset).unwrap_or(i64::MAX)
                ],
            )
            .await?
            .iter()
            .map(|r| row_to_credential(r, self.status_base_url()))
            .collect()
    }

    /// One page of an organization's credentials for its admin list, newest first (by log
    /// index, a stable order), with each holder's name and primary email. `text` (any case)
    /// matches part of the credential id, the achievement id, the holder's name or one of their
    /// identifiers; `achievement_ids` (e.g. those whose names match) also match. `total` counts
    /// every match.
    pub async fn search_credentials(
        &self,
        org_id: &str,
        text: Option<&str>,
        achievement_ids: &[String],
        limit: u32,
        offset: u64,
    ) -> Result<CredentialPage, StoreError> {
        let mut args = args![org_id];
        let mut filter = String::from("org_id = $1");
        if let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) {
            check_text("search", t, 500)?;
            let escaped = t
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            args.push(Val::Text(format!("%{escaped}%")));
            let mut alts = vec![
                "lower(id) LIKE $2 ESCAPE '\\'".to_owned(),
                "lower(achievement_id) LIKE $2 ESCAPE '\\'".to_owned(),
                "educator_id IN (SELECT id FROM educators WHERE org_id = $1 AND lower(display_name) LIKE $2 ESCAPE '\\')".to_owned(),
                "educator_id IN (SELECT educator_id FROM educator_identifiers WHERE lower(value) LIKE $2 ESCAPE '\\')".to_owned(),
            ];
            if !achievement_ids.is_empty() {
                let first = args.len() + 1;
                let list: Vec<String> = (0..achievement_ids.len().min(500))
                    .map(|i| format!("${}", first + i))
                    .collect();
                args.extend(
                    achievement_ids
                        .iter()
                        .take(500)
                        .map(|a| Val::Text(a.clone())),
                );
                alts.push(format!("achievement_id IN ({})", list.join(", ")));
            }
            filter.push_str(&format!(" AND ({})", alts.join(" OR ")));
        }
        let total = self
            .db()
            .fetch_optional(
                &format!("SELECT COUNT(*) AS n FROM credentials WHERE {filter}"),
                args.clone(),
            )
            .await?
            .map(|r| r.u64("n"))
            .transpose()?
            .unwrap_or(0);
        let n = args.len();
        args.push(Val::I64(i64::from(limit)));
        args.push(Val::I64(i64::try_from(offset).unwrap_or(i64::MAX)));
        let sql = format!(
            "SELECT {CRED_COLS}, (SELECT display_name FROM educators e WHERE e.id = credentials.educator_id) AS holder_name, (SELECT value FROM educator_identifiers i WHERE i.educator_id = credentials.educator_id AND i.kind = 'email' ORDER BY i.is_primary DESC LIMIT 1) AS holder_email FROM credentials WHERE {filter} ORDER BY log_index DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let rows = self
            .db()
            .fetch_all(&sql, args)
            .await?
            .iter()
            .map(|r| {
                Ok(CredentialListing {
                    record: row_to_credential(r, self.status_base_url())?,
                    holder_name: r.opt_text("holder_name")?,
                    holder_email: r.opt_text("holder_email")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(CredentialPage { rows, total })
    }

    /// Credentials expiring before `before_ms` that are still active and not yet renewed.
    pub async fn credentials_expiring(
        &self,
        org_id: &str,
        before_ms: i64,
    ) -> Result<Vec<CredentialRecord>, StoreError> {
        let sql = format!(
            "SELECT {CRED_COLS} FROM credentials c WHERE org_id = $1 AND valid_until_ms IS NOT NULL AND valid_until_ms < $2 AND status = 'active' AND NOT EXISTS (SELECT 1 FROM credentials n WHERE n.previous_id = c.id) ORDER BY valid_until_ms"
        );
        self.db()
            .fetch_all(&sql, args![org_id, before_ms])
            .await?
            .iter()
            .map(|r| row_to_credential(r, self.status_base_url()))
            .collect()
    }

    /// Credentials still valid at `after_ms` that expire before `before_ms`, active and not yet
    /// renewed (expiry reminders: long-expired credentials are not read again every run).
    pub async fn credentials_expiring_between(
        &self,
        org_id: &str,
        after_ms: i64,
        before_ms: i64,
    ) -> Result<Vec<CredentialRecord>, StoreError> {
        let sql = format!(
            "SELECT {CRED_COLS} FROM credentials c WHERE org_id = $1 AND valid_until_ms IS NOT NULL AND valid_until_ms > $2 AND valid_until_ms < $3 AND status = 'active' AND NOT EXISTS (SELECT 1 FROM credentials n WHERE n.previous_id = c.id) ORDER BY valid_until_ms"
        );
        self.db()
            .fetch_all(&sql, args![org_id, after_ms, before_ms])
            .await?
            .iter()
            .map(|r| row_to_credential(r, self.status_base_url()))
            .collect()
    }

    /// What each of `educator_ids` holds by the ledger's own records, for award decisions:
    /// (educator id, achievement id) of every active credential not expired at `now_ms`.
    /// Reads in chunks, so a whole bulk cohort costs a few queries.
    pub async fn active_holdings(
        &self,
        org_id: &str,
        educator_ids: &[String],
        now_ms: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut out = Vec::new();
        for chunk in educator_ids.chunks(500) {
            // Only what `org_id` itself issued counts here: a credential another organization
            // wrote onto one of these records (possible before tenant isolation) does not.
            let (sql, a) = keyed_sql(
                self.db().backend(),
                "DISTINCT educator_id, achievement_id",
                "credentials",
                "status = 'active' AND (valid_until_ms IS NULL OR valid_until_ms > $1) AND org_id = $2",
                "educator_id",
                Keys::Text(chunk),
                "",
                args![now_ms, org_id],
            );
            for r in self.db().fetch_all(&sql, a).await? {
                out.push((r.text("educator_id")?, r.text("achievement_id")?));
            }
        }
        // Credentials the same people hold on their linked records elsewhere, from issuers
        // `org_id` trusts (recognition).
        for chunk in educator_ids.chunks(500) {
            let (sql, a) = keyed_sql(
                self.db().backend(),
                "educator_id, achievement_id",
                "recognized_holdings",
                "org_id = $1 AND (valid_until_ms IS NULL OR valid_until_ms > $2)",
                "educator_id",
                Keys::Text(chunk),
                "",
                args![org_id, now_ms],
            );
            for r in self.db().fetch_all(&sql, a).await? {
                out.push((r.text("educator_id")?, r.text("achievement_id")?));
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Credentials held on the other educator records of the person behind `educator_id` (records
    /// they linked to their account) whose issuers the record's organization trusts: they count
    /// toward its pathways as if it had issued them. Newest first.
    pub async fn recognized_credentials(
        &self,
        educator_id: &str,
    ) -> Result<Vec<CredentialRecord>, StoreError> {
        let cols = CRED_COLS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols} FROM user_educators mine \
             JOIN user_educators other ON other.user_id = mine.user_id AND other.educator_id <> mine.educator_id \
             JOIN credentials c ON c.educator_id = other.educator_id \
             JOIN org_trusted_issuers t ON t.org_id = mine.org_id AND t.issuer_id = c.issuer_id \
             WHERE mine.educator_id = $1 ORDER BY c.issued_ms DESC, c.log_index DESC"
        );
        self.db()
            .fetch_all(&sql, args![educator_id])
            .await?
            .iter()
            .map(|r| row_to_credential(r, self.status_base_url()))
            .collect()
    }

    /// Status history of a credential: (log index, event, reason, actor, time).
    pub async fn credential_events(
        &self,
        credential_id: &str,
    ) -> Result<Vec<(u64, String, Option<String>, Option<String>, i64)>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT log_index, event, reason, actor, created_ms FROM credential_events WHERE credential_id = $1 ORDER BY log_index",
                args![credential_id],
            )
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.u64("log_index")?,
                    r.text("event")?,
                    r.opt_text("reason")?,
                    r.opt_text("actor")?,
                    r.i64("created_ms")?,
                ))
            })
            .collect()
    }
}
