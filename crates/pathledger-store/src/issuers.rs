//! Issuers and their signing keys: creation, rotation (logged), public parts, and lending the
//! decrypted active key.

use ed25519_dalek::SigningKey;

use crate::crypto::{new_id, now_ms, random_bytes, SigningKeyHandle};
use crate::error::{dup, StoreError};
use crate::log::{LeafData, LogAppender};
use crate::model::{Issuer, IssuerKeyInfo};
use crate::rows::{row_to_issuer, row_to_key, KEY_COLS};
use crate::sql::{args, Backend, Tx};
use crate::store::Store;
use crate::validate::check_text;

/// An issuer's organization and active key.
const ISSUER_KEY_SQL: &str = "SELECT i.org_id, k.id AS key_id, k.sealed_seed FROM issuers i LEFT JOIN issuer_keys k ON k.issuer_id = i.id AND k.active WHERE i.id = $1";

/// With the log locked (a rotation appends to the log, so the active key cannot change until
/// this transaction commits): refuses, as a conflict the caller retries, when `key_id` read
/// earlier is no longer the issuer's active key. `during` says what was being prepared.
pub(crate) async fn ensure_still_active(
    tx: &mut Tx,
    issuer_id: &str,
    key_id: &str,
    during: &str,
) -> Result<(), StoreError> {
    if active_key_id(tx, issuer_id, false).await?.as_deref() != Some(key_id) {
        return Err(StoreError::conflict(format!(
            "the signing key of issuer {issuer_id} changed while {during}"
        )));
    }
    Ok(())
}

/// The id of the issuer's active key, if it has one; with `lock`, its row is locked (PostgreSQL
/// `FOR UPDATE`; SQLite's write transaction already holds the database).
pub(crate) async fn active_key_id(
    tx: &mut Tx,
    issuer_id: &str,
    lock: bool,
) -> Result<Option<String>, StoreError> {
    let lock = match (lock, tx.backend()) {
        (true, Backend::Postgres) => " FOR UPDATE",
        _ => "",
    };
    tx.fetch_optional(
        &format!("SELECT id FROM issuer_keys WHERE issuer_id = $1 AND active{lock}"),
        args![issuer_id],
    )
    .await?
    .map(|r| r.text("id"))
    .transpose()
}

impl Store {
    /// Creates an issuer of an organization (without a key; see [`Store::generate_issuer_key`]).
    pub async fn create_issuer(
        &self,
        org_id: &str,
        name: &str,
        url: Option<&str>,
    ) -> Result<Issuer, StoreError> {
        check_text("name", name, 512)?;
        let issuer = Issuer {
            id: new_id("iss")?,
            org_id: org_id.into(),
            name: name.to_owned(),
            url: url.map(str::to_owned),
            created_ms: now_ms(),
        };
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM organizations WHERE id = $1", args![org_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("organization", org_id));
        }
        tx.execute(
            "INSERT INTO issuers (id, org_id, name, url, created_ms) VALUES ($1, $2, $3, $4, $5)",
            args![
                issuer.id.as_str(),
                org_id,
                name,
                &issuer.url,
                issuer.created_ms
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(issuer)
    }

    /// One issuer.
    pub async fn issuer(&self, id: &str) -> Result<Issuer, StoreError> {
        let r = self
            .db()
            .fetch_optional(
                "SELECT id, org_id, name, url, created_ms FROM issuers WHERE id = $1",
                args![id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("issuer", id))?;
        row_to_issuer(&r)
    }

    /// Issuers of an organization.
    pub async fn issuers(&self, org_id: &str) -> Result<Vec<Issuer>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT id, org_id, name, url, created_ms FROM issuers WHERE org_id = $1 ORDER BY created_ms, id",
                args![org_id],
            )
            .await?
            .iter()
            .map(row_to_issuer)
            .collect()
    }

    /// Generates a new Ed25519 key for the issuer. If the issuer already has an active key it
    /// is retired (kept for verification): this is a key rotation. Logged either way.
    pub async fn generate_issuer_key(&self, issuer_id: &str) -> Result<IssuerKeyInfo, StoreError> {
        let seed: [u8; 32] = random_bytes()?;
        self.install_issuer_key(issuer_id, seed).await
    }

    /// Installs a given seed as the issuer's new active key (import, test vectors); rotates
    /// like [`Store::generate_issuer_key`].
    pub async fn import_issuer_key(
        &self,
        issuer_id: &str,
        seed: [u8; 32],
    ) -> Result<IssuerKeyInfo, StoreError> {
        self.install_issuer_key(issuer_id, seed).await
    }

    /// Alias of [`Store::generate_issuer_key`] for the CLI's `keys rotate`.
    pub async fn rotate_issuer_key(&self, issuer_id: &str) -> Result<IssuerKeyInfo, StoreError> {
        self.generate_issuer_key(issuer_id).await
    }

    async fn install_issuer_key(
        &self,
        issuer_id: &str,
        seed: [u8; 32],
    ) -> Result<IssuerKeyInfo, StoreError> {
        let key = SigningKey::from_bytes(&seed);
        let id = new_id("key")?;
        let now = now_ms();
        let sealed = self.inner.kek.seal(&id, &seed)?;
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM issuers WHERE id = $1", args![issuer_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("issuer", issuer_id));
        }
        let old = active_key_id(&mut tx, issuer_id, true).await?;
        if let Some(old) = &old {
            tx.execute(
                "UPDATE issuer_keys SET active = $1, retired_ms = $2 WHERE id = $3",
                args![false, now, old.as_str()],
            )
            .await?;
        }
        let public = key.verifying_key().to_bytes();
        tx.execute(
            "INSERT INTO issuer_keys (id, issuer_id, public_key, sealed_seed, active, created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
            args![id.as_str(), issuer_id, public.to_vec(), sealed, true, now],
        )
        .await
        .map_err(dup("an active key for this issuer"))?;
        let event = if old.is_some() {
            "key_rotation"
        } else {
            "key_created"
        };
        let mut log = LogAppender::lock(&mut tx).await?;
        let mut leaf = LeafData::new(event, now);
        leaf.issuer_id = Some(issuer_id);
        leaf.key_id = Some(&id);
        leaf.public_key = Some(hex::encode(public));
        leaf.retired_key_id = old.as_deref();
        log.append(event, None, leaf.to_bytes()?, now)?;
        log.flush(&mut tx).await?;
        tx.commit().await?;
        Ok(IssuerKeyInfo {
            id,
            issuer_id: issuer_id.to_owned(),
            public_key: public,
            active: true,
            created_ms: now,
            retired_ms: None,
        })
    }

    /// A number that grows whenever an issuer or an issuer key is added (neither is ever
    /// deleted, and a rotation adds the new key): a server compares it with the one its key
    /// ring was built from, to notice another server's rotation or new organization.
    pub async fn key_ring_version(&self) -> Result<u64, StoreError> {
        self.db()
            .fetch_optional(
                "SELECT (SELECT COUNT(*) FROM issuers) + (SELECT COUNT(*) FROM issuer_keys) AS n",
                args![],
            )
            .await?
            .ok_or_else(|| StoreError::integrity("counting keys returned no row"))?
            .u64("n")
    }

    /// All keys of an issuer (active and retired), oldest first. Public parts only.
    pub async fn issuer_keys(&self, issuer_id: &str) -> Result<Vec<IssuerKeyInfo>, StoreError> {
        self.db()
            .fetch_all(
                &format!("SELECT {KEY_COLS} FROM issuer_keys WHERE issuer_id = $1 ORDER BY created_ms, id"),
                args![issuer_id],
            )
            .await?
            .iter()
            .map(row_to_key)
            .collect()
    }

    /// The issuer's active key (public part).
    pub async fn active_issuer_key(&self, issuer_id: &str) -> Result<IssuerKeyInfo, StoreError> {
        let r = self
            .db()
            .fetch_optional(
                &format!("SELECT {KEY_COLS} FROM issuer_keys WHERE issuer_id = $1 AND active"),
                args![issuer_id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("active key of issuer", issuer_id))?;
        row_to_key(&r)
    }

    /// Lends the issuer's active key to `f` (e.g. to sign a status list credential). The key
    /// is decrypted for this call only.
    pub async fn with_issuer_key<T>(
        &self,
        issuer_id: &str,
        f: impl FnOnce(&SigningKeyHandle) -> T,
    ) -> Result<T, StoreError> {
        let r = self
            .db()
            .fetch_optional(
                "SELECT id, sealed_seed FROM issuer_keys WHERE issuer_id = $1 AND active",
                args![issuer_id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("active key of issuer", issuer_id))?;
        let id = r.text("id")?;
        let key = self.inner.kek.open(&id, &r.bytes("sealed_seed")?)?;
        Ok(f(&SigningKeyHandle::new(id, key)))
    }

    /// The issuer's organization and its active key, decrypted; `None` for an unknown issuer,
    /// and no key when the issuer has none active.
    pub(crate) async fn issuer_and_key(
        &self,
        tx: &mut Tx,
        issuer_id: &str,
    ) -> Result<Option<(String, Option<SigningKeyHandle>)>, StoreError> {
        let Some(row) = tx.fetch_optional(ISSUER_KEY_SQL, args![issuer_id]).await? else {
            return Ok(None);
        };
        let org_id = row.text("org_id")?;
        let key = match row.opt_text("key_id")? {
            Some(key_id) => {
                let seed = self.inner.kek.open(&key_id, &row.bytes("sealed_seed")?)?;
                Some(SigningKeyHandle::new(key_id, seed))
            }
            None => None,
        };
        Ok(Some((org_id, key)))
    }
}
