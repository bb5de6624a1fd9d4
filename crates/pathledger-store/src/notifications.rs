//! Notices by mail: each address's choice per kind of notice (on unless turned off), the token
//! its messages' unsubscribe links carry, and the claim on each event that makes sure it is
//! mailed at most once, whichever server (or restart) reaches it first.

use crate::crypto::{now_ms, random_bytes};
use crate::error::StoreError;
use crate::sql::args;
use crate::store::Store;
use crate::validate::normalize_email;

/// Longest event key or kind name kept.
const MAX_KEY: usize = 512;

fn bounded<'a>(field: &str, v: &'a str) -> Result<&'a str, StoreError> {
    if v.is_empty() || v.len() > MAX_KEY {
        return Err(StoreError::invalid(
            field,
            format!("must be 1 to {MAX_KEY} bytes"),
        ));
    }
    Ok(v)
}

impl Store {
    /// Whether `email` gets notices of `kind`: yes unless they turned it off.
    pub async fn notification_enabled(&self, email: &str, kind: &str) -> Result<bool, StoreError> {
        let email = normalize_email("email", email)?;
        let row = self
            .db()
            .fetch_optional(
                "SELECT enabled FROM notification_choices WHERE email = $1 AND kind = $2",
                args![email, bounded("kind", kind)?],
            )
            .await?;
        match row {
            Some(r) => r.bool("enabled"),
            None => Ok(true),
        }
    }

    /// The kinds `email` turned off.
    pub async fn notifications_turned_off(&self, email: &str) -> Result<Vec<String>, StoreError> {
        let email = normalize_email("email", email)?;
        self.db()
            .fetch_all(
                "SELECT kind FROM notification_choices WHERE email = $1 AND NOT enabled ORDER BY kind",
                args![email],
            )
            .await?
            .iter()
            .map(|r| r.text("kind"))
            .collect()
    }

    /// Records whether `email` gets notices of `kind`.
    pub async fn set_notification_choice(
        &self,
        email: &str,
        kind: &str,
        enabled: bool,
    ) -> Result<(), StoreError> {
        let email = normalize_email("email", email)?;
        let mut tx = self.db().begin().await?;
        tx.execute(
            "INSERT INTO notification_choices (email, kind, enabled, changed_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (email, kind) DO UPDATE SET enabled = excluded.enabled, changed_ms = excluded.changed_ms",
            args![email, bounded("kind", kind)?, enabled, now_ms()],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The token that stands for `email` in its messages' unsubscribe links (256 random bits),
    /// made on first use and the same after.
    pub async fn notification_token(&self, email: &str) -> Result<String, StoreError> {
        let email = normalize_email("email", email)?;
        let fresh = hex::encode(random_bytes::<32>()?);
        let mut tx = self.db().begin().await?;
        tx.execute(
            "INSERT INTO notification_tokens (email, token, created_ms) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING",
            args![email.as_str(), fresh, now_ms()],
        )
        .await?;
        let token = tx
            .fetch_one(
                "SELECT token FROM notification_tokens WHERE email = $1",
                args![email],
            )
            .await?
            .text("token")?;
        tx.commit().await?;
        Ok(token)
    }

    /// The address an unsubscribe token stands for, if any.
    pub async fn notification_token_owner(
        &self,
        token: &str,
    ) -> Result<Option<String>, StoreError> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        self.db()
            .fetch_optional(
                "SELECT email FROM notification_tokens WHERE token = $1",
                args![token],
            )
            .await?
            .map(|r| r.text("email"))
            .transpose()
    }

    /// Claims the notice of `event_key` for sending: true for the one caller (of every server
    /// sharing this database) that claims it first, false ever after.
    pub async fn claim_notification(
        &self,
        event_key: &str,
        email: &str,
        kind: &str,
    ) -> Result<bool, StoreError> {
        let email = normalize_email("email", email)?;
        let mut tx = self.db().begin().await?;
        let n = tx
            .execute(
                "INSERT INTO notifications_sent (event_key, email, kind, claimed_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (event_key) DO NOTHING",
                args![
                    bounded("event_key", event_key)?,
                    email,
                    bounded("kind", kind)?,
                    now_ms()
                ],
            )
            .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Marks a claimed notice delivered.
    pub async fn notification_delivered(&self, event_key: &str) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        tx.execute(
            "UPDATE notifications_sent SET sent_ms = $1 WHERE event_key = $2",
            args![now_ms(), event_key],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives a claim back after its message could not be sent, so a later run may try again.
    pub async fn release_notification(&self, event_key: &str) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        tx.execute(
            "DELETE FROM notifications_sent WHERE event_key = $1 AND sent_ms IS NULL",
            args![event_key],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether the notice of `event_key` was delivered.
    pub async fn notification_was_delivered(&self, event_key: &str) -> Result<bool, StoreError> {
        Ok(self
            .db()
            .fetch_optional(
                "SELECT sent_ms FROM notifications_sent WHERE event_key = $1",
                args![event_key],
            )
            .await?
            .map(|r| r.opt_i64("sent_ms"))
            .transpose()?
            .flatten()
            .is_some())
    }
}
