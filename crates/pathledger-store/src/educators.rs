//! Educators: their identifiers (emails, a DID), recipient salt and privacy choices.

use crate::crypto::{new_sorted_id, now_ms, random_bytes};
use crate::error::{dup, StoreError};
use crate::model::{CommunityVisibility, Educator, NewEducator, OrgId};
use crate::rows::row_to_educator;
use crate::sql::args;
use crate::store::Store;
use crate::validate::{check_text, normalize_email};

impl Store {
    /// Creates an educator with one or more emails and/or a DID, and a fresh recipient salt.
    pub async fn create_educator(&self, new: NewEducator) -> Result<Educator, StoreError> {
        let ed = educator_from(new)?;
        let mut tx = self.db().begin().await?;
        insert_educator(&mut tx, &ed).await?;
        tx.commit().await?;
        Ok(ed)
    }

    /// One educator.
    pub async fn educator(&self, id: &str) -> Result<Educator, StoreError> {
        let r = self
            .db()
            .fetch_optional(
                "SELECT id, org_id, display_name, salt, show_email, show_did, community_visibility, created_ms FROM educators WHERE id = $1",
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

    /// The educator of `org_id` having this email, if any (each organization keeps its own
    /// records: the same email elsewhere is another organization's educator).
    pub async fn educator_by_email(
        &self,
        org_id: &str,
        email: &str,
    ) -> Result<Option<Educator>, StoreError> {
        let email = normalize_email("email", email)?;
        let r = self
            .db()
            .fetch_optional(
                "SELECT educator_id FROM educator_identifiers WHERE org_id = $1 AND kind = 'email' AND value = $2",
                args![org_id, email.as_str()],
            )
            .await?;
        match r {
            Some(r) => Ok(Some(self.educator(&r.text("educator_id")?).await?)),
            None => Ok(None),
        }
    }

    /// Every organization's educator record having this email (one per organization at most),
    /// oldest first: for the operator's command line, which spans organizations.
    pub async fn educators_with_email(&self, email: &str) -> Result<Vec<Educator>, StoreError> {
        let email = normalize_email("email", email)?;
        let rows = self
            .db()
            .fetch_all(
                "SELECT i.educator_id FROM educator_identifiers i JOIN educators e ON e.id = i.educator_id WHERE i.kind = 'email' AND i.value = $1 ORDER BY e.created_ms, e.id",
                args![email.as_str()],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.educator(&r.text("educator_id")?).await?);
        }
        Ok(out)
    }

    /// Adds an email to an educator.
    pub async fn add_educator_email(
        &self,
        educator_id: &str,
        email: &str,
    ) -> Result<(), StoreError> {
        let email = normalize_email("email", email)?;
        let mut tx = self.db().begin().await?;
        let org = tx
            .fetch_optional(
                "SELECT org_id FROM educators WHERE id = $1",
                args![educator_id],
            )
            .await?
            .ok_or_else(|| StoreError::not_found("educator", educator_id))?
            .text("org_id")?;
        tx.execute(
            "INSERT INTO educator_identifiers (kind, value, educator_id, is_primary, org_id) VALUES ('email', $1, $2, $3, $4)",
            args![email.as_str(), educator_id, false, org.as_str()],
        )
        .await
        .map_err(dup("an educator of this organization with this email"))?;
        tx.commit().await
    }

    /// Updates the privacy choices: what credentials show, and who sees the educator in
    /// communities of practice.
    pub async fn set_educator_preferences(
        &self,
        educator_id: &str,
        show_email: bool,
        show_did: bool,
        community: CommunityVisibility,
    ) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        let n = tx
            .execute(
                "UPDATE educators SET show_email = $1, show_did = $2, community_opt_in = $3, community_visibility = $4 WHERE id = $5",
                args![show_email, show_did, community != CommunityVisibility::Hidden, community.as_str(), educator_id],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::not_found("educator", educator_id));
        }
        tx.commit().await
    }

    /// Ids of `org_id`'s educators listed in communities of practice to a viewer: those who made
    /// themselves public, plus, when the viewer belongs to the organization (`member`), those
    /// visible within it. Other organizations' educators are never listed here.
    pub async fn community_educators(
        &self,
        org_id: &OrgId,
        member: bool,
    ) -> Result<Vec<String>, StoreError> {
        let sql = if member {
            "SELECT id FROM educators WHERE org_id = $1 AND community_visibility IN ('organization', 'public') ORDER BY display_name, id"
        } else {
            "SELECT id FROM educators WHERE org_id = $1 AND community_visibility = 'public' ORDER BY display_name, id"
        };
        self.db()
            .fetch_all(sql, args![org_id])
            .await?
            .iter()
            .map(|r| r.text("id"))
            .collect()
    }
}

/// Inserts a new educator record and its identifiers inside `tx` (the organization must exist).
pub(crate) async fn insert_educator(
    tx: &mut crate::sql::Tx,
    ed: &Educator,
) -> Result<(), StoreError> {
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
        "INSERT INTO educators (id, org_id, display_name, salt, show_email, show_did, community_opt_in, community_visibility, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![ed.id.as_str(), ed.org_id.as_str(), ed.display_name.as_str(), ed.salt.as_str(), ed.show_email, ed.show_did, ed.community_visibility != CommunityVisibility::Hidden, ed.community_visibility.as_str(), ed.created_ms],
    )
    .await?;
    for (i, e) in ed.emails.iter().enumerate() {
        tx.execute(
            "INSERT INTO educator_identifiers (kind, value, educator_id, is_primary, org_id) VALUES ('email', $1, $2, $3, $4)",
            args![e.as_str(), ed.id.as_str(), i == 0, ed.org_id.as_str()],
        )
        .await
        .map_err(dup("an educator of this organization with this email"))?;
    }
    if let Some(d) = &ed.did {
        tx.execute(
            "INSERT INTO educator_identifiers (kind, value, educator_id, is_primary, org_id) VALUES ('did', $1, $2, $3, $4)",
            args![d.as_str(), ed.id.as_str(), true, ed.org_id.as_str()],
        )
        .await
        .map_err(dup("an educator of this organization with this DID"))?;
    }
    Ok(())
}

/// A new educator record (fresh id and salt) from what was asked, every field checked.
pub(crate) fn educator_from(new: NewEducator) -> Result<Educator, StoreError> {
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
        id: new_sorted_id("edu")?.into(),
        org_id: new.org_id.clone().into(),
        display_name: new.display_name.clone(),
        emails,
        did: new.did.clone(),
        salt: hex::encode(random_bytes::<16>()?),
        show_email: new.show_email,
        show_did: new.show_did,
        community_visibility: new.community_visibility,
        created_ms: now_ms(),
    };
    Ok(ed)
}
