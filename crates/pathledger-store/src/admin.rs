//! Organizations, users and roles, API tokens and sessions, issuers and their keys, versioned
//! definitions, educators, facts, evidence, and the data-subject export / erasure.

use ed25519_dalek::SigningKey;

use crate::crypto::{new_id, new_sorted_id, now_ms, random_bytes, sha256, SigningKeyHandle};
use crate::error::StoreError;
use crate::log::{LeafData, LogAppender};
use crate::model::*;
use crate::rows::{
    row_to_credential, row_to_definition, row_to_educator, row_to_fact, row_to_issuer, row_to_key,
    row_to_membership, row_to_org, row_to_submission, row_to_user, CRED_COLS, KEY_COLS, SUB_COLS,
};
use crate::sql::{args, keyed_sql, list_placeholders, Keys, Tx, Val};
use crate::store::Store;
use crate::validate::check_text;

/// The id of the issuer's active key, if it has one; with `lock`, its row is locked (PostgreSQL
/// `FOR UPDATE`; SQLite's write transaction already holds the database).
pub(crate) async fn active_key_id(
    tx: &mut Tx,
    issuer_id: &str,
    lock: bool,
) -> Result<Option<String>, StoreError> {
    let lock = match (lock, tx.backend()) {
        (true, crate::sql::Backend::Postgres) => " FOR UPDATE",
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

fn normalize_email(field: &str, e: &str) -> Result<String, StoreError> {
    let e = e.trim().to_lowercase();
    check_text(field, &e, 320)?;
    match e.split_once('@') {
        Some((l, d)) if !l.is_empty() && d.contains('.') && !e.contains(char::is_whitespace) => {
            Ok(e)
        }
        _ => Err(StoreError::invalid(
            field,
            format!("{e:?} is not an email address"),
        )),
    }
}

/// Maps a unique violation to a conflict that names what was duplicated.
fn dup(what: &str) -> impl Fn(StoreError) -> StoreError + '_ {
    move |e| {
        if e.is_unique_violation() {
            StoreError::conflict(format!("{what} already exists"))
        } else {
            e
        }
    }
}

impl Store {
    // ----- organizations, users, roles -------------------------------------------------------

    /// Creates an organization (optionally inside `parent_id`, e.g. a school in a district).
    pub async fn create_organization(
        &self,
        name: &str,
        kind: &str,
        parent_id: Option<&str>,
    ) -> Result<Organization, StoreError> {
        check_text("name", name, 512)?;
        check_text("kind", kind, 64)?;
        let org = Organization {
            id: new_id("org")?,
            parent_id: parent_id.map(str::to_owned),
            name: name.to_owned(),
            kind: kind.to_owned(),
            created_ms: now_ms(),
        };
        let mut tx = self.db().begin().await?;
        if let Some(p) = parent_id {
            if tx
                .fetch_optional("SELECT id FROM organizations WHERE id = $1", args![p])
                .await?
                .is_none()
            {
                return Err(StoreError::not_found("organization", p));
            }
        }
        tx.execute(
            "INSERT INTO organizations (id, parent_id, name, kind, created_ms) VALUES ($1, $2, $3, $4, $5)",
            args![org.id.as_str(), &org.parent_id, name, kind, org.created_ms],
        )
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    /// One organization.
    pub async fn organization(&self, id: &str) -> Result<Organization, StoreError> {
        let r = self
            .db()
            .fetch_optional(
                "SELECT id, parent_id, name, kind, created_ms FROM organizations WHERE id = $1",
                args![id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("organization", id))?;
        row_to_org(&r)
    }

    /// All organizations, oldest first.
    pub async fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT id, parent_id, name, kind, created_ms FROM organizations ORDER BY created_ms, id",
                args![],
            )
            .await?
            .iter()
            .map(row_to_org)
            .collect()
    }

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
            id: new_id("usr")?,
            email,
            display_name: display_name.to_owned(),
            educator_id: educator_id.map(str::to_owned),
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

    /// Grants a role in an organization (granting twice is a no-op).
    pub async fn grant_role(
        &self,
        user_id: &str,
        org_id: &str,
        role: Role,
    ) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM users WHERE id = $1", args![user_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("user", user_id));
        }
        if tx
            .fetch_optional("SELECT id FROM organizations WHERE id = $1", args![org_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("organization", org_id));
        }
        tx.execute(
            "INSERT INTO memberships (user_id, org_id, role, created_ms) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            args![user_id, org_id, role.as_str(), now_ms()],
        )
        .await?;
        tx.commit().await
    }

    /// Removes a role.
    pub async fn revoke_role(
        &self,
        user_id: &str,
        org_id: &str,
        role: Role,
    ) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        tx.execute(
            "DELETE FROM memberships WHERE user_id = $1 AND org_id = $2 AND role = $3",
            args![user_id, org_id, role.as_str()],
        )
        .await?;
        tx.commit().await
    }

    /// All roles of a user.
    pub async fn memberships(&self, user_id: &str) -> Result<Vec<Membership>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT user_id, org_id, role FROM memberships WHERE user_id = $1 ORDER BY org_id, role",
                args![user_id],
            )
            .await?
            .iter()
            .map(row_to_membership)
            .collect()
    }

    /// Users holding `role` directly in `org_id`, by name (e.g. the assessors a submission can go to).
    pub async fn users_with_role(&self, org_id: &str, role: Role) -> Result<Vec<User>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT u.id, u.email, u.display_name, u.educator_id, u.created_ms FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.org_id = $1 AND m.role = $2 ORDER BY u.display_name, u.id",
                args![org_id, role.as_str()],
            )
            .await?
            .iter()
            .map(row_to_user)
            .collect()
    }

    /// Whether the user holds `role` in `org_id` or in an organization containing it (a
    /// district admin administers its schools).
    pub async fn has_role(
        &self,
        user_id: &str,
        org_id: &str,
        role: Role,
    ) -> Result<bool, StoreError> {
        let mut org = Some(org_id.to_owned());
        let mut hops = 0;
        while let Some(o) = org {
            if self
                .db()
                .fetch_optional(
                    "SELECT 1 AS one FROM memberships WHERE user_id = $1 AND org_id = $2 AND role = $3",
                    args![user_id, o.as_str(), role.as_str()],
                )
                .await?
                .is_some()
            {
                return Ok(true);
            }
            hops += 1;
            if hops > 32 {
                break;
            }
            org = self
                .db()
                .fetch_optional(
                    "SELECT parent_id FROM organizations WHERE id = $1",
                    args![o.as_str()],
                )
                .await?
                .map(|r| r.opt_text("parent_id"))
                .transpose()?
                .flatten();
        }
        Ok(false)
    }

    // ----- API tokens and sessions -----------------------------------------------------------

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

    // ----- issuers and keys ------------------------------------------------------------------

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
            org_id: org_id.to_owned(),
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

    // ----- definitions -----------------------------------------------------------------------

    /// Stores a new version of a definition (version = previous + 1, starting at 1).
    pub async fn put_definition(
        &self,
        org_id: &str,
        kind: DefinitionKind,
        id: &str,
        document: &serde_json::Value,
    ) -> Result<Definition, StoreError> {
        check_text("id", id, 2048)?;
        let text = serde_json::to_string(document)
            .map_err(|e| StoreError::invalid("document", e.to_string()))?;
        let now = now_ms();
        // A racing writer of the same id hits the primary key; retry with the next version.
        for _ in 0..5 {
            let mut tx = self.db().begin().await?;
            if tx
                .fetch_optional("SELECT id FROM organizations WHERE id = $1", args![org_id])
                .await?
                .is_none()
            {
                return Err(StoreError::not_found("organization", org_id));
            }
            let row = tx
                .fetch_optional(
                    "SELECT org_id, version FROM definitions WHERE kind = $1 AND id = $2 ORDER BY version DESC LIMIT 1",
                    args![kind.as_str(), id],
                )
                .await?;
            let version = match &row {
                Some(r) => {
                    if r.text("org_id")? != org_id {
                        return Err(StoreError::Forbidden {
                            message: format!(
                                "{} {id} belongs to another organization",
                                kind.as_str()
                            ),
                        });
                    }
                    r.i64("version")? + 1
                }
                None => 1,
            };
            match tx
                .execute(
                    "INSERT INTO definitions (kind, id, version, org_id, document, created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                    args![kind.as_str(), id, version, org_id, text.as_str(), now],
                )
                .await
            {
                Ok(_) => {
                    tx.commit().await?;
                    return Ok(Definition {
                        kind,
                        id: id.to_owned(),
                        version,
                        org_id: org_id.to_owned(),
                        document: document.clone(),
                        created_ms: now,
                    });
                }
                Err(e) if e.is_unique_violation() || e.is_retryable() => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::conflict(format!(
            "definition {id} is being written concurrently"
        )))
    }

    /// A definition: the given version, or the latest.
    pub async fn definition(
        &self,
        kind: DefinitionKind,
        id: &str,
        version: Option<i64>,
    ) -> Result<Definition, StoreError> {
        let row = match version {
            Some(v) => self.db().fetch_optional(
                "SELECT kind, id, version, org_id, document, created_ms FROM definitions WHERE kind = $1 AND id = $2 AND version = $3",
                args![kind.as_str(), id, v],
            ).await?,
            None => self.db().fetch_optional(
                "SELECT kind, id, version, org_id, document, created_ms FROM definitions WHERE kind = $1 AND id = $2 ORDER BY version DESC LIMIT 1",
                args![kind.as_str(), id],
            ).await?,
        }
        .ok_or_else(|| StoreError::not_found("definition", id))?;
        row_to_definition(kind, &row)
    }

    /// Latest versions of all definitions of a kind owned by `org_id` (or all orgs if `None`).
    pub async fn definitions(
        &self,
        kind: DefinitionKind,
        org_id: Option<&str>,
    ) -> Result<Vec<Definition>, StoreError> {
        let rows = self.db().fetch_all(
            "SELECT d.kind, d.id, d.version, d.org_id, d.document, d.created_ms FROM definitions d WHERE d.kind = $1 AND ($2 IS NULL OR d.org_id = $2) AND d.version = (SELECT MAX(version) FROM definitions m WHERE m.kind = d.kind AND m.id = d.id) ORDER BY d.id",
            args![kind.as_str(), org_id],
        ).await?;
        rows.iter().map(|r| row_to_definition(kind, r)).collect()
    }

    // ----- educators, facts, evidence ----------------------------------------------------------

    /// Creates an educator with one or more emails and/or a DID, and a fresh recipient salt.
    pub async fn create_educator(&self, new: NewEducator) -> Result<Educator, StoreError> {
        check_text("display_name", &new.display_name, 512)?;
        let mut emails = Vec::new();
        for e in &new.emails {
            emails.push(normalize_email("emails", e)?);
        }
        if let Some(d) = &new.did {
            check_text("did", d, 2048)?;
            if !d.starts_with("did:") {
                return Err(StoreError::invalid("did", "must start with did:"));
            }
        }
        if emails.is_empty() && new.did.is_none() {
            return Err(StoreError::invalid(
                "emails",
                "an educator needs an email or a DID",
            ));
        }
        let ed = Educator {
            id: new_sorted_id("edu")?,
            org_id: new.org_id.clone(),
            display_name: new.display_name.clone(),
            emails,
            did: new.did.clone(),
            salt: hex::encode(random_bytes::<16>()?),
            show_email: new.show_email,
            show_did: new.show_did,
            community_opt_in: new.community_opt_in,
            created_ms: now_ms(),
        };
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional(
                "SELECT id FROM organizations WHERE id = $1",
                args![ed.org_id.as_str()],
            )
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("organization", ed.org_id.clone()));
        }
        tx.execute(
            "INSERT INTO educators (id, org_id, display_name, salt, show_email, show_did, community_opt_in, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![ed.id.as_str(), ed.org_id.as_str(), ed.display_name.as_str(), ed.salt.as_str(), ed.show_email, ed.show_did, ed.community_opt_in, ed.created_ms],
        )
        .await?;
        for (i, e) in ed.emails.iter().enumerate() {
            tx.execute(
                "INSERT INTO educator_identifiers (kind, value, educator_id, is_primary) VALUES ('email', $1, $2, $3)",
                args![e.as_str(), ed.id.as_str(), i == 0],
            )
            .await
            .map_err(dup("an educator with this email"))?;
        }
        if let Some(d) = &ed.did {
            tx.execute(
                "INSERT INTO educator_identifiers (kind, value, educator_id, is_primary) VALUES ('did', $1, $2, $3)",
                args![d.as_str(), ed.id.as_str(), true],
            )
            .await
            .map_err(dup("an educator with this DID"))?;
        }
        tx.commit().await?;
        Ok(ed)
    }

    /// One educator.
    pub async fn educator(&self, id: &str) -> Result<Educator, StoreError> {
        let r = self
            .db()
            .fetch_optional(
                "SELECT id, org_id, display_name, salt, show_email, show_did, community_opt_in, created_ms FROM educators WHERE id = $1",
                args![id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("educator", id))?;
        let ids = self
            .db()
            .fetch_all(
                "SELECT kind, value FROM educator_identifiers WHERE educator_id = $1 ORDER BY is_primary DESC, value",
                args![id],
            )
            .await?;
        row_to_educator(&r, &ids)
    }

    /// The educators of an organization (ids and names), by name.
    pub async fn educators_in_org(
        &self,
        org_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT id, display_name FROM educators WHERE org_id = $1 ORDER BY display_name, id",
                args![org_id],
            )
            .await?
            .iter()
            .map(|r| Ok((r.text("id")?, r.text("display_name")?)))
            .collect()
    }

    /// The educator having this email, if any.
    pub async fn educator_by_email(&self, email: &str) -> Result<Option<Educator>, StoreError> {
        let email = normalize_email("email", email)?;
        let r = self
            .db()
            .fetch_optional(
                "SELECT educator_id FROM educator_identifiers WHERE kind = 'email' AND value = $1",
                args![email.as_str()],
            )
            .await?;
        match r {
            Some(r) => Ok(Some(self.educator(&r.text("educator_id")?).await?)),
            None => Ok(None),
        }
    }

    /// Adds an email to an educator.
    pub async fn add_educator_email(
        &self,
        educator_id: &str,
        email: &str,
    ) -> Result<(), StoreError> {
        let email = normalize_email("email", email)?;
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM educators WHERE id = $1", args![educator_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("educator", educator_id));
        }
        tx.execute(
            "INSERT INTO educator_identifiers (kind, value, educator_id, is_primary) VALUES ('email', $1, $2, $3)",
            args![email.as_str(), educator_id, false],
        )
        .await
        .map_err(dup("an educator with this email"))?;
        tx.commit().await
    }

    /// Updates the opt-in flags.
    pub async fn set_educator_preferences(
        &self,
        educator_id: &str,
        show_email: bool,
        show_did: bool,
        community_opt_in: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        let n = tx
            .execute(
                "UPDATE educators SET show_email = $1, show_did = $2, community_opt_in = $3 WHERE id = $4",
                args![show_email, show_did, community_opt_in, educator_id],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::not_found("educator", educator_id));
        }
        tx.commit().await
    }

    /// Ids of educators who opted in to communities of practice.
    pub async fn community_educators(&self) -> Result<Vec<String>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT id FROM educators WHERE community_opt_in ORDER BY display_name, id",
                args![],
            )
            .await?
            .iter()
            .map(|r| r.text("id"))
            .collect()
    }

    /// Records a fact (experience, rotation, endorsement …).
    pub async fn add_fact(
        &self,
        educator_id: &str,
        kind: &str,
        document: &serde_json::Value,
        recorded_by: Option<&str>,
    ) -> Result<Fact, StoreError> {
        check_text("kind", kind, 64)?;
        let fact = Fact {
            id: new_id("fact")?,
            educator_id: educator_id.to_owned(),
            kind: kind.to_owned(),
            document: document.clone(),
            recorded_by: recorded_by.map(str::to_owned),
            created_ms: now_ms(),
        };
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM educators WHERE id = $1", args![educator_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("educator", educator_id));
        }
        tx.execute(
            "INSERT INTO facts (id, educator_id, kind, document, recorded_by, created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
            args![fact.id.as_str(), educator_id, kind, document.to_string(), recorded_by, fact.created_ms],
        )
        .await?;
        tx.commit().await?;
        Ok(fact)
    }

    /// An educator's facts, oldest first.
    pub async fn facts(&self, educator_id: &str) -> Result<Vec<Fact>, StoreError> {
        self.facts_for_educators(&[educator_id.to_owned()]).await
    }

    /// The facts of many educators (in chunks), oldest first.
    pub async fn facts_for_educators(
        &self,
        educator_ids: &[String],
    ) -> Result<Vec<Fact>, StoreError> {
        let mut out = Vec::new();
        for chunk in educator_ids.chunks(500) {
            let (sql, a) = keyed_sql(
                self.db().backend(),
                "id, educator_id, kind, document, recorded_by, created_ms",
                "facts",
                "",
                "educator_id",
                Keys::Text(chunk),
                "created_ms, id",
                Vec::new(),
            );
            for r in self.db().fetch_all(&sql, a).await? {
                out.push(row_to_fact(&r)?);
            }
        }
        Ok(out)
    }

    /// Submits evidence for a micro-credential, optionally assigned to an assessor.
    pub async fn submit_evidence(
        &self,
        org_id: &str,
        educator_id: &str,
        achievement_id: &str,
        document: &serde_json::Value,
        assessor_user_id: Option<&str>,
    ) -> Result<EvidenceSubmission, StoreError> {
        check_text("achievement_id", achievement_id, 2048)?;
        let s = EvidenceSubmission {
            id: new_id("sub")?,
            org_id: org_id.to_owned(),
            educator_id: educator_id.to_owned(),
            achievement_id: achievement_id.to_owned(),
            document: document.clone(),
            assessor_user_id: assessor_user_id.map(str::to_owned),
            state: SubmissionState::Submitted,
            decision_comment: None,
            decided_by: None,
            created_ms: now_ms(),
            decided_ms: None,
        };
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM educators WHERE id = $1", args![educator_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("educator", educator_id));
        }
        tx.execute(
            &format!("INSERT INTO evidence_submissions ({SUB_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8, NULL)"),
            args![s.id.as_str(), org_id, educator_id, achievement_id, document.to_string(), assessor_user_id, s.state.as_str(), s.created_ms],
        )
        .await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Assigns (or reassigns) the assessor of a submission.
    pub async fn assign_assessor(
        &self,
        submission_id: &str,
        assessor_user_id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        let n = tx
            .execute(
                "UPDATE evidence_submissions SET assessor_user_id = $1 WHERE id = $2 AND state = 'submitted'",
                args![assessor_user_id, submission_id],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::not_found("open submission", submission_id));
        }
        tx.commit().await
    }

    /// Records the assessor's decision (accepted or returned with a comment). Only the assigned
    /// assessor may decide, and only once.
    pub async fn decide_evidence(
        &self,
        submission_id: &str,
        assessor_user_id: &str,
        accept: bool,
        comment: Option<&str>,
    ) -> Result<EvidenceSubmission, StoreError> {
        let state = if accept {
            SubmissionState::Accepted
        } else {
            SubmissionState::Returned
        };
        let mut tx = self.db().begin().await?;
        let row = tx
            .fetch_optional(
                &format!("SELECT {SUB_COLS} FROM evidence_submissions WHERE id = $1"),
                args![submission_id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("submission", submission_id))?;
        let mut sub = row_to_submission(&row)?;
        if sub.assessor_user_id.as_deref() != Some(assessor_user_id) {
            return Err(StoreError::Forbidden {
                message: "only the assigned assessor can decide this submission".into(),
            });
        }
        if sub.state != SubmissionState::Submitted {
            return Err(StoreError::conflict("this submission was already decided"));
        }
        let now = now_ms();
        tx.execute(
            "UPDATE evidence_submissions SET state = $1, decision_comment = $2, decided_by = $3, decided_ms = $4 WHERE id = $5 AND state = 'submitted'",
            args![state.as_str(), comment, assessor_user_id, now, submission_id],
        )
        .await?;
        tx.commit().await?;
        sub.state = state;
        sub.decision_comment = comment.map(str::to_owned);
        sub.decided_by = Some(assessor_user_id.to_owned());
        sub.decided_ms = Some(now);
        Ok(sub)
    }

    /// One submission.
    pub async fn submission(&self, id: &str) -> Result<EvidenceSubmission, StoreError> {
        let r = self
            .db()
            .fetch_optional(
                &format!("SELECT {SUB_COLS} FROM evidence_submissions WHERE id = $1"),
                args![id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("submission", id))?;
        row_to_submission(&r)
    }

    /// Submissions of an educator.
    pub async fn submissions_for_educator(
        &self,
        educator_id: &str,
    ) -> Result<Vec<EvidenceSubmission>, StoreError> {
        self.db()
            .fetch_all(
                &format!("SELECT {SUB_COLS} FROM evidence_submissions WHERE educator_id = $1 ORDER BY created_ms, id"),
                args![educator_id],
            )
            .await?
            .iter()
            .map(row_to_submission)
            .collect()
    }

    /// Submissions assigned to an assessor.
    pub async fn submissions_for_assessor(
        &self,
        assessor_user_id: &str,
    ) -> Result<Vec<EvidenceSubmission>, StoreError> {
        self.db()
            .fetch_all(
                &format!("SELECT {SUB_COLS} FROM evidence_submissions WHERE assessor_user_id = $1 ORDER BY created_ms, id"),
                args![assessor_user_id],
            )
            .await?
            .iter()
            .map(row_to_submission)
            .collect()
    }

    // ----- privacy -----------------------------------------------------------------------------

    /// Everything stored about an educator.
    pub async fn export_educator(&self, educator_id: &str) -> Result<EducatorExport, StoreError> {
        Ok(EducatorExport {
            educator: self.educator(educator_id).await?,
            facts: self.facts(educator_id).await?,
            submissions: self.submissions_for_educator(educator_id).await?,
            credentials: self.credentials_for_educator(educator_id).await?,
        })
    }

    /// Erases an educator on request: identifiers, facts, submissions, awards and stored
    /// credential documents go. The log keeps only hashes and identifiers, so it stays intact
    /// and audits still pass; status bits stay so revoked credentials stay revoked.
    pub async fn delete_educator(&self, educator_id: &str) -> Result<u64, StoreError> {
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM educators WHERE id = $1", args![educator_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("educator", educator_id));
        }
        let creds: Vec<String> = tx
            .fetch_all(
                "SELECT id FROM credentials WHERE educator_id = $1",
                args![educator_id],
            )
            .await?
            .iter()
            .map(|r| r.text("id"))
            .collect::<Result<_, _>>()?;
        for chunk in creds.chunks(500) {
            let sql = format!(
                "DELETE FROM credential_events WHERE credential_id IN ({})",
                list_placeholders(1, chunk.len())
            );
            tx.execute(&sql, chunk.iter().map(|c| Val::Text(c.clone())).collect())
                .await?;
        }
        tx.execute(
            "DELETE FROM credentials WHERE educator_id = $1",
            args![educator_id],
        )
        .await?;
        tx.execute(
            "DELETE FROM awards WHERE educator_id = $1",
            args![educator_id],
        )
        .await?;
        tx.execute(
            "DELETE FROM facts WHERE educator_id = $1",
            args![educator_id],
        )
        .await?;
        tx.execute(
            "DELETE FROM evidence_submissions WHERE educator_id = $1",
            args![educator_id],
        )
        .await?;
        tx.execute(
            "DELETE FROM educator_identifiers WHERE educator_id = $1",
            args![educator_id],
        )
        .await?;
        tx.execute(
            "UPDATE users SET educator_id = NULL WHERE educator_id = $1",
            args![educator_id],
        )
        .await?;
        tx.execute("DELETE FROM educators WHERE id = $1", args![educator_id])
            .await?;
        tx.commit().await?;
        Ok(creds.len() as u64)
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
}
