//! A user's own API tokens for machines: created (the secret shown once, stored hashed),
//! listed (never the secret or its hash) and revoked by their owner only; another user's token
//! is "not found", so its existence is not revealed.

use pathledger_store::ApiTokenInfo;
use serde::{Deserialize, Serialize};

use crate::{Actor, App, AppError};

/// The longest lifetime a token may be given, in days.
pub const MAX_EXPIRES_IN_DAYS: u32 = 3650;

/// A token asked for by its owner.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTokenInput {
    /// What the token is for (shown in the list).
    pub label: String,
    /// Days until it expires; none: it does not expire.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// A token just created: the only time its secret is shown.
#[derive(Debug, Serialize)]
pub struct CreatedToken {
    /// Token id.
    pub id: String,
    /// Label.
    pub label: String,
    /// Expiry, if any.
    pub expires_ms: Option<i64>,
    /// The secret (`Authorization: Bearer …`); never retrievable again.
    pub secret: String,
}

/// The actor's own tokens, newest first.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<ApiTokenInfo>, AppError> {
    Ok(app.store().api_tokens_of_user(&actor.user.id).await?)
}

/// Creates a token for the actor.
pub async fn create(
    app: &App,
    actor: &Actor,
    input: &NewTokenInput,
) -> Result<CreatedToken, AppError> {
    let label = input.label.trim();
    if label.is_empty() {
        return Err(AppError::invalid("label", "name what the token is for"));
    }
    let expires_ms = match input.expires_in_days {
        None => None,
        Some(d) if (1..=MAX_EXPIRES_IN_DAYS).contains(&d) => {
            Some(now_ms().saturating_add(i64::from(d).saturating_mul(86_400_000)))
        }
        Some(_) => {
            return Err(AppError::invalid(
                "expires_in_days",
                format!("between 1 and {MAX_EXPIRES_IN_DAYS} days"),
            ))
        }
    };
    let t = app
        .store()
        .create_api_token(actor.user.id.as_str(), label, expires_ms)
        .await?;
    tracing::info!(user = %actor.user.id, token = %t.id, "api token created");
    Ok(CreatedToken {
        id: t.id,
        label: label.to_owned(),
        expires_ms,
        secret: t.secret,
    })
}

/// Revokes one of the actor's own tokens.
pub async fn revoke(app: &App, actor: &Actor, token_id: &str) -> Result<ApiTokenInfo, AppError> {
    let t = app
        .store()
        .revoke_own_api_token(&actor.user.id, token_id)
        .await?;
    tracing::info!(user = %actor.user.id, token = %t.id, "api token revoked");
    Ok(t)
}

fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(i64::MAX)
}
