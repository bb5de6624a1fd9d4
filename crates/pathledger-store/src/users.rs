//! Users, their API tokens and their browser sessions (secrets are stored as SHA-256 only).

use crate::crypto::{new_id, now_ms, random_bytes, sha256};
use crate::error::{dup, StoreError};
use crate::model::{NewApiToken, User};
use crate::rows::row_to_user;
use crate::sql::args;
use crate::store::Store;
use crate::validate::{check_text, normalize_email};

impl Store {
    /// Creates a user (email unique, lower-cased).
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
            educator_id: educator_id.map(Into::into),
            created_ms: now_ms(),
        };
        let mut tx = self.db().begin().await?;
        tx.execute(
            "INSERT INTO users (id, email, display_name, educator_id, created_ms) VALUES ($1, $2, $3, $4, $5)",
            args![user.id.as_str(), user.email.as_str(), display_name, &user.educator_id, user.created_ms],
        )
        .await
        .map_err(dup("a user with this email"))?;
        tx.commit().await?;
        Ok(user)
    }

    /// A user by id.
    pub async fn user(&self, id: &str) -> Result<User, StoreError> {
        let r = self
            .db()
            .fetch_optional(
                "SELECT id, email, display_name, educator_id, created_ms FROM users WHERE id = $1",
                args![id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("user", id))?;
        row_to_user(&r)
    }

    /// A user by email.
    pub async fn user_by_email(&self, email: &str) -> Result<User, StoreError> {
        let email = normalize_email("email", email)?;
        let r = self
            .db()
            .fetch_optional(
                "SELECT id, email, display_name, educator_id, created_ms FROM users WHERE email = $1",
                args![email.as_str()],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("user", email))?;
        row_to_user(&r)
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
                "SELECT u.id, u.email, u.display_name, u.educator_id, u.created_ms FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_ms IS NULL AND (t.expires_ms IS NULL OR t.expires_ms > $2)",
                args![sha256(secret.as_bytes()).to_vec(), now_ms()],
            )
            .await?;
        r.map(|r| row_to_user(&r)).transpose()
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
                "SELECT u.id, u.email, u.display_name, u.educator_id, u.created_ms FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_ms > $2",
                args![sha256(secret.as_bytes()).to_vec(), now_ms()],
            )
            .await?;
        r.map(|r| row_to_user(&r)).transpose()
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
