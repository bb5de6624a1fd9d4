//! OpenID Connect sign-in per organization: each organization's provider (issuer, client id,
//! the client secret sealed with the key-encryption key, a label for the sign-in button) and
//! the sign-ins under way (state stored as its SHA-256, nonce, PKCE verifier, the browser that
//! started it; single use, short expiry).

use crate::accounts::{claim_once, LinkRefusal, SingleUse};
use crate::crypto::{now_ms, sha256};
use crate::error::StoreError;
use crate::model::OrgId;
use crate::sql::{args, Row};
use crate::store::Store;
use crate::validate::check_text;

/// An organization's OpenID provider as configured (never its client secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// The organization whose people sign in through it.
    pub org_id: OrgId,
    /// The provider's issuer URL (its discovery document is under it).
    pub issuer_url: String,
    /// This deployment's client id at the provider.
    pub client_id: String,
    /// What the sign-in button says after "Sign in with", e.g. "Riverside Google".
    pub label: String,
    /// When it was first configured.
    pub created_ms: i64,
    /// When it was last changed.
    pub updated_ms: i64,
}

/// What an organization's provider is configured with.
#[derive(Clone)]
pub struct NewOidcProvider {
    /// The organization.
    pub org_id: OrgId,
    /// Issuer URL (already checked by the caller: https unless allowed otherwise).
    pub issuer_url: String,
    /// Client id.
    pub client_id: String,
    /// Client secret (stored sealed, never returned).
    pub client_secret: String,
    /// Button label.
    pub label: String,
}

impl std::fmt::Debug for NewOidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewOidcProvider")
            .field("org_id", &self.org_id)
            .field("issuer_url", &self.issuer_url)
            .field("client_id", &self.client_id)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// A sign-in started at an organization's provider.
#[derive(Clone)]
pub struct NewOidcLogin {
    /// The `state` sent to the provider (stored as its SHA-256).
    pub state: String,
    /// The organization whose provider it went to.
    pub org_id: OrgId,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier the code exchange must present.
    pub pkce_verifier: String,
    /// SHA-256 of the starting browser's binding cookie.
    pub browser_hash: [u8; 32],
    /// How long it may take, in milliseconds.
    pub ttl_ms: i64,
}

/// A sign-in taken back at the callback (once).
#[derive(Clone)]
pub struct OidcLogin {
    /// The organization whose provider it went to.
    pub org_id: OrgId,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier.
    pub pkce_verifier: String,
}

impl std::fmt::Debug for OidcLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcLogin")
            .field("org_id", &self.org_id)
            .finish_non_exhaustive()
    }
}

const PROVIDER_COLUMNS: &str = "org_id, issuer_url, client_id, label, created_ms, updated_ms";

fn row_to_provider(r: &Row) -> Result<OidcProvider, StoreError> {
    Ok(OidcProvider {
        org_id: r.text("org_id")?.into(),
        issuer_url: r.text("issuer_url")?,
        client_id: r.text("client_id")?,
        label: r.text("label")?,
        created_ms: r.i64("created_ms")?,
        updated_ms: r.i64("updated_ms")?,
    })
}

/// The associated data a client secret is sealed with: it opens only for its organization.
fn secret_aad(org_id: &OrgId) -> String {
    format!("oidc:{org_id}")
}

impl Store {
    /// Configures (or replaces) an organization's OpenID provider; the client secret is sealed.
    pub async fn put_oidc_provider(
        &self,
        new: NewOidcProvider,
    ) -> Result<OidcProvider, StoreError> {
        check_text("issuer_url", &new.issuer_url, 2048)?;
        check_text("client_id", &new.client_id, 1024)?;
        check_text("client_secret", &new.client_secret, 4096)?;
        check_text("label", &new.label, 200)?;
        let sealed = self
            .inner
            .kek
            .seal_bytes(&secret_aad(&new.org_id), new.client_secret.as_bytes())?;
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional(
                "SELECT id FROM organizations WHERE id = $1",
                args![&new.org_id],
            )
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("organization", new.org_id.clone()));
        }
        tx.execute(
            "INSERT INTO oidc_providers (org_id, issuer_url, client_id, sealed_secret, label, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (org_id) DO UPDATE SET issuer_url = excluded.issuer_url, client_id = excluded.client_id, sealed_secret = excluded.sealed_secret, label = excluded.label, updated_ms = excluded.updated_ms",
            args![
                &new.org_id,
                new.issuer_url.trim(),
                new.client_id.trim(),
                sealed,
                new.label.trim(),
                now,
                now
            ],
        )
        .await?;
        let row = tx
            .fetch_one(
                &format!("SELECT {PROVIDER_COLUMNS} FROM oidc_providers WHERE org_id = $1"),
                args![&new.org_id],
            )
            .await?;
        tx.commit().await?;
        row_to_provider(&row)
    }

    /// An organization's OpenID provider, if it has one.
    pub async fn oidc_provider(&self, org_id: &OrgId) -> Result<Option<OidcProvider>, StoreError> {
        self.db()
            .fetch_optional(
                &format!("SELECT {PROVIDER_COLUMNS} FROM oidc_providers WHERE org_id = $1"),
                args![org_id],
            )
            .await?
            .as_ref()
            .map(row_to_provider)
            .transpose()
    }

    /// An organization's OpenID provider with its client secret unsealed (for the code
    /// exchange only; never shown).
    pub async fn oidc_provider_with_secret(
        &self,
        org_id: &OrgId,
    ) -> Result<Option<(OidcProvider, String)>, StoreError> {
        let Some(r) = self
            .db()
            .fetch_optional(
                &format!(
                    "SELECT {PROVIDER_COLUMNS}, sealed_secret FROM oidc_providers WHERE org_id = $1"
                ),
                args![org_id],
            )
            .await?
        else {
            return Ok(None);
        };
        let secret = self
            .inner
            .kek
            .open_bytes(&secret_aad(org_id), &r.bytes("sealed_secret")?)?;
        let secret = String::from_utf8(secret)
            .map_err(|_| StoreError::integrity("sealed client secret is not UTF-8"))?;
        Ok(Some((row_to_provider(&r)?, secret)))
    }

    /// Every organization's provider, by label (the sign-in page's buttons).
    pub async fn oidc_providers(&self) -> Result<Vec<OidcProvider>, StoreError> {
        self.db()
            .fetch_all(
                &format!("SELECT {PROVIDER_COLUMNS} FROM oidc_providers ORDER BY label, org_id"),
                args![],
            )
            .await?
            .iter()
            .map(row_to_provider)
            .collect()
    }

    /// Removes an organization's provider (and its sign-ins under way); whether it had one.
    pub async fn delete_oidc_provider(&self, org_id: &OrgId) -> Result<bool, StoreError> {
        let mut tx = self.db().begin().await?;
        tx.execute("DELETE FROM oidc_logins WHERE org_id = $1", args![org_id])
            .await?;
        let n = tx
            .execute(
                "DELETE FROM oidc_providers WHERE org_id = $1",
                args![org_id],
            )
            .await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Records a sign-in sent to a provider. Sign-ins that expired a day ago are cleared on the
    /// way (they can only be refused).
    pub async fn create_oidc_login(&self, new: NewOidcLogin) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.db().begin().await?;
        tx.execute(
            "DELETE FROM oidc_logins WHERE expires_ms < $1",
            args![now - 24 * 3600 * 1000],
        )
        .await?;
        tx.execute(
            "INSERT INTO oidc_logins (state_hash, org_id, nonce, pkce_verifier, browser_hash, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![
                sha256(new.state.as_bytes()).to_vec(),
                &new.org_id,
                new.nonce.as_str(),
                new.pkce_verifier.as_str(),
                &new.browser_hash,
                now,
                now.saturating_add(new.ttl_ms)
            ],
        )
        .await?;
        tx.commit().await
    }

    /// Takes back the sign-in whose `state` the provider returned, in the browser whose binding
    /// hashes to `browser_hash`: once only, before it expires, in the browser that started it
    /// (one finished elsewhere is refused and stays usable where it was started).
    pub async fn use_oidc_login(
        &self,
        state: &str,
        browser_hash: &[u8; 32],
    ) -> Result<Result<OidcLogin, LinkRefusal>, StoreError> {
        let mut tx = self.db().begin().await?;
        let r = match claim_once(
            &mut tx,
            SingleUse::OIDC_LOGIN,
            "org_id, nonce, pkce_verifier",
            state,
            browser_hash,
            now_ms(),
        )
        .await?
        {
            Ok(r) => r,
            Err(refusal) => return Ok(Err(refusal)),
        };
        tx.commit().await?;
        Ok(Ok(OidcLogin {
            org_id: r.text("org_id")?.into(),
            nonce: r.text("nonce")?,
            pkce_verifier: r.text("pkce_verifier")?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::sqlite_store;

    fn provider(org: &OrgId, secret: &str) -> NewOidcProvider {
        NewOidcProvider {
            org_id: org.clone(),
            issuer_url: "https://accounts.example".into(),
            client_id: "client-1".into(),
            client_secret: secret.into(),
            label: "Riverside Google".into(),
        }
    }

    #[tokio::test]
    async fn provider_secret_is_sealed_and_replaced() {
        let (_dir, store) = sqlite_store().await;
        let org = store
            .create_organization("Riverside", "district", None)
            .await
            .unwrap();
        assert_eq!(store.oidc_provider(&org.id).await.unwrap(), None);
        let p = store
            .put_oidc_provider(provider(&org.id, "s3cret"))
            .await
            .unwrap();
        assert_eq!(p.label, "Riverside Google");
        let (_, secret) = store
            .oidc_provider_with_secret(&org.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(secret, "s3cret");
        let raw = store
            .db()
            .fetch_optional("SELECT sealed_secret FROM oidc_providers", args![])
            .await
            .unwrap()
            .unwrap();
        assert!(!raw
            .bytes("sealed_secret")
            .unwrap()
            .windows(6)
            .any(|w| w == b"s3cret"));
        let again = store
            .put_oidc_provider(provider(&org.id, "other"))
            .await
            .unwrap();
        assert_eq!(again.created_ms, p.created_ms);
        let (_, secret) = store
            .oidc_provider_with_secret(&org.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(secret, "other");
        assert_eq!(store.oidc_providers().await.unwrap().len(), 1);
        assert!(store.delete_oidc_provider(&org.id).await.unwrap());
        assert!(!store.delete_oidc_provider(&org.id).await.unwrap());
        let missing = provider(&OrgId::from("org_missing".to_owned()), "x");
        assert!(matches!(
            store.put_oidc_provider(missing).await,
            Err(StoreError::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn a_login_is_used_once_in_its_own_browser_before_it_expires() {
        let (_dir, store) = sqlite_store().await;
        let org = store
            .create_organization("Riverside", "district", None)
            .await
            .unwrap();
        let login = |state: &str, ttl_ms| NewOidcLogin {
            state: state.into(),
            org_id: org.id.clone(),
            nonce: "n".into(),
            pkce_verifier: "v".into(),
            browser_hash: [1u8; 32],
            ttl_ms,
        };
        store.create_oidc_login(login("s1", 60_000)).await.unwrap();
        store.create_oidc_login(login("s2", -1)).await.unwrap();
        assert_eq!(
            store
                .use_oidc_login("nope", &[1u8; 32])
                .await
                .unwrap()
                .err(),
            Some(LinkRefusal::Unknown)
        );
        assert_eq!(
            store.use_oidc_login("s1", &[2u8; 32]).await.unwrap().err(),
            Some(LinkRefusal::OtherBrowser)
        );
        let used = store
            .use_oidc_login("s1", &[1u8; 32])
            .await
            .unwrap()
            .unwrap();
        assert_eq!((used.org_id, used.nonce.as_str()), (org.id.clone(), "n"));
        assert_eq!(
            store.use_oidc_login("s1", &[1u8; 32]).await.unwrap().err(),
            Some(LinkRefusal::Used)
        );
        assert_eq!(
            store.use_oidc_login("s2", &[1u8; 32]).await.unwrap().err(),
            Some(LinkRefusal::Expired)
        );
    }
}
