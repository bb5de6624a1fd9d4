//! Users, their API tokens and their browser sessions (secrets are stored as SHA-256 only).

use crate::crypto::{new_id, now_ms, random_bytes, sha256};
use crate::error::{dup, StoreError};
use crate::model::{ApiTokenInfo, EducatorLink, NewApiToken, User, UserId};
use crate::rows::row_to_user;
use crate::sql::{args, Row};
use crate::store::Store;
use crate::validate::{check_text, normalize_email};

impl Store {
    /// Creates a user (email unique, lower-cased), linked to `educator_id` when given.
    pub async fn create_user(
        &self,
        email: &str,
        display_name: &str,
        educator_id: Option<&str>,
    ) -> Result<User, StoreError> {
        let email = normalize_email("email", email)?;
        check_text("display_name", display_name, 512)?;
        let user = User {
            id: new_id("usr")?.into(),
            email,
            display_name: display_name.to_owned(),
            educators: Vec::new(),
            created_ms: now_ms(),
        };
        let mut tx = self.db().begin().await?;
        tx.execute(
            "INSERT INTO users (id, email, display_name, created_ms) VALUES ($1, $2, $3, $4)",
            args![
                user.id.as_str(),
                user.email.as_str(),
                display_name,
                user.created_ms
            ],
        )
        .await
        .map_err(dup("a user with this email"))?;
        let mut user = user;
        if let Some(eid) = educator_id {
            user.educators
                .push(insert_link(&mut tx, user.id.as_str(), eid, user.created_ms).await?);
        }
        tx.commit().await?;
        Ok(user)
    }

    /// Links an educator record to a user (the person saying "this record is me"). A user has at
    /// most one record per organization and a record belongs to at most one user. The caller
    /// decides who may link (the app: the person, by an email the record carries).
    pub async fn link_educator(
        &self,
        user_id: &str,
        educator_id: &str,
    ) -> Result<EducatorLink, StoreError> {
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM users WHERE id = $1", args![user_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("user", user_id));
        }
        let link = insert_link(&mut tx, user_id, educator_id, now_ms()).await?;
        tx.commit().await?;
        Ok(link)
    }

    /// The user's educator records, oldest link first.
    pub async fn educator_links(&self, user_id: &str) -> Result<Vec<EducatorLink>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT educator_id, org_id FROM user_educators WHERE user_id = $1 ORDER BY created_ms, educator_id",
                args![user_id],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(EducatorLink {
                    educator_id: r.text("educator_id")?.into(),
                    org_id: r.text("org_id")?.into(),
                })
            })
            .collect()
    }

    /// The user linked to an educator record, if any.
    pub async fn user_of_educator(&self, educator_id: &str) -> Result<Option<User>, StoreError> {
        let r = self
            .db()
            .fetch_optional(
                "SELECT user_id FROM user_educators WHERE educator_id = $1",
                args![educator_id],
            )
            .await?;
        match r {
            Some(r) => Ok(Some(self.user(&r.text("user_id")?).await?)),
            None => Ok(None),
        }
    }

    /// The user of row `r`, with their educator links.
    async fn user_with_links(&self, r: &Row) -> Result<User, StoreError> {
        let mut u = row_to_user(r)?;
        u.educators = self.educator_links(u.id.as_str()).await?;
        Ok(u)
    }

    /// A user by id.
    pub async fn user(&self, id: &str) -> Result<User, StoreError> {
        let r = self
            .db()
            .fetch_optional(
                "SELECT id, email, display_name, created_ms FROM users WHERE id = $1",
                args![id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("user", id))?;
        self.user_with_links(&r).await
    }

    /// A user by email.
    pub async fn user_by_email(&self, email: &str) -> Result<User, StoreError> {
        let email = normalize_email("email", email)?;
        let r = self
            .db()
            .fetch_optional(
                "SELECT id, email, display_name, created_ms FROM users WHERE email = $1",
                args![email.as_str()],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("user", email))?;
        self.user_with_links(&r).await
    }

    /// Creates an API token; the secret is returned once and only its SHA-256 is stored.
    pub async fn create_api_token(
        &self,
        user_id: &str,
        label: &str,
        expires_ms: Option<i64>,
    ) -> Result<NewApiToken, StoreError> {
        check_text("label", label, 256)?;
        let id = new_id("tok")?;
        let secret = format!("plt_{}", hex::encode(random_bytes::<32>()?));
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM users WHERE id = $1", args![user_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("user", user_id));
        }
        tx.execute(
            "INSERT INTO api_tokens (id, token_hash, user_id, label, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6)",
            args![id.as_str(), sha256(secret.as_bytes()).to_vec(), user_id, label, now_ms(), expires_ms],
        )
        .await?;
        tx.commit().await?;
        Ok(NewApiToken { id, secret })
    }

    /// The user a presented token belongs to, if it is valid (not revoked or expired).
    pub async fn authenticate_token(&self, secret: &str) -> Result<Option<User>, StoreError> {
        let r = self
            .db()
            .fetch_optional(
                "SELECT u.id, u.email, u.display_name, u.created_ms FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_ms IS NULL AND u.deactivated_ms IS NULL AND (t.expires_ms IS NULL OR t.expires_ms > $2)",
                args![sha256(secret.as_bytes()).to_vec(), now_ms()],
            )
            .await?;
        match r {
            Some(r) => Ok(Some(self.user_with_links(&r).await?)),
            None => Ok(None),
        }
    }

    /// Revokes a token by id.
    pub async fn revoke_api_token(&self, token_id: &str) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        let n = tx
            .execute(
                "UPDATE api_tokens SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL",
                args![now_ms(), token_id],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::not_found("api token", token_id));
        }
        tx.commit().await
    }

    /// The user's API tokens, newest first: ids, labels and times, never a secret or its hash.
    pub async fn api_tokens_of_user(
        &self,
        user_id: &UserId,
    ) -> Result<Vec<ApiTokenInfo>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT id, label, created_ms, expires_ms, revoked_ms FROM api_tokens WHERE user_id = $1 ORDER BY created_ms DESC, id",
                args![user_id],
            )
            .await?
            .iter()
            .map(row_to_token_info)
            .collect()
    }

    /// Revokes one of the user's own tokens (revoking a revoked one again changes nothing).
    /// Another user's token is "not found", exactly as a token that does not exist.
    pub async fn revoke_own_api_token(
        &self,
        user_id: &UserId,
        token_id: &str,
    ) -> Result<ApiTokenInfo, StoreError> {
        let mut tx = self.db().begin().await?;
        tx.execute(
            "UPDATE api_tokens SET revoked_ms = $1 WHERE id = $2 AND user_id = $3 AND revoked_ms IS NULL",
            args![now_ms(), token_id, user_id],
        )
        .await?;
        let r = tx
            .fetch_optional(
                "SELECT id, label, created_ms, expires_ms, revoked_ms FROM api_tokens WHERE id = $1 AND user_id = $2",
                args![token_id, user_id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("api token", token_id))?;
        let info = row_to_token_info(&r)?;
        tx.commit().await?;
        Ok(info)
    }

    /// Starts a browser session; returns the cookie value (stored hashed).
    pub async fn create_session(&self, user_id: &str, ttl_ms: i64) -> Result<String, StoreError> {
        let secret = hex::encode(random_bytes::<32>()?);
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM users WHERE id = $1", args![user_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("user", user_id));
        }
        tx.execute(
            "INSERT INTO sessions (token_hash, user_id, created_ms, expires_ms) VALUES ($1, $2, $3, $4)",
            args![sha256(secret.as_bytes()).to_vec(), user_id, now, now.saturating_add(ttl_ms)],
        )
        .await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// The user of a live session.
    pub async fn session_user(&self, secret: &str) -> Result<Option<User>, StoreError> {
        let r = self
            .db()
            .fetch_optional(
                "SELECT u.id, u.email, u.display_name, u.created_ms FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_ms > $2 AND u.deactivated_ms IS NULL",
                args![sha256(secret.as_bytes()).to_vec(), now_ms()],
            )
            .await?;
        match r {
            Some(r) => Ok(Some(self.user_with_links(&r).await?)),
            None => Ok(None),
        }
    }

    /// Ends a session.
    pub async fn delete_session(&self, secret: &str) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        tx.execute(
            "DELETE FROM sessions WHERE token_hash = $1",
            args![sha256(secret.as_bytes()).to_vec()],
        )
        .await?;
        tx.commit().await
    }
}

fn row_to_token_info(r: &crate::sql::Row) -> Result<ApiTokenInfo, StoreError> {
    Ok(ApiTokenInfo {
        id: r.text("id")?,
        label: r.text("label")?,
        created_ms: r.i64("created_ms")?,
        expires_ms: r.opt_i64("expires_ms")?,
        revoked_ms: r.opt_i64("revoked_ms")?,
    })
}

/// Inserts one user-educator link inside `tx`, naming what clashes.
async fn insert_link(
    tx: &mut crate::sql::Tx,
    user_id: &str,
    educator_id: &str,
    now: i64,
) -> Result<EducatorLink, StoreError> {
    let org = tx
        .fetch_optional(
            "SELECT org_id FROM educators WHERE id = $1",
            args![educator_id],
        )
        .await?
        .ok_or_else(|| StoreError::not_found("educator", educator_id))?
        .text("org_id")?;
    if let Some(r) = tx
        .fetch_optional(
            "SELECT user_id, educator_id FROM user_educators WHERE educator_id = $1 OR (user_id = $2 AND org_id = $3)",
            args![educator_id, user_id, org.as_str()],
        )
        .await?
    {
        let (u, e) = (r.text("user_id")?, r.text("educator_id")?);
        return Err(if u == user_id && e == educator_id {
            StoreError::conflict(format!("educator {educator_id} is already linked to you"))
        } else if e == educator_id {
            StoreError::conflict(format!(
                "educator {educator_id} is already linked to another account"
            ))
        } else {
            StoreError::conflict(format!(
                "you already have an educator record in organization {org} ({e})"
            ))
        });
    }
    tx.execute(
        "INSERT INTO user_educators (user_id, educator_id, org_id, created_ms) VALUES ($1, $2, $3, $4)",
        args![user_id, educator_id, org.as_str(), now],
    )
    .await?;
    Ok(EducatorLink {
        educator_id: educator_id.into(),
        org_id: org.into(),
    })
}
