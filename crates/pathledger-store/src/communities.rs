//! Community profiles: what an educator chooses to tell others in communities of practice
//! (school, years of experience, how to reach them) and whether to show it at all.

use crate::error::StoreError;
use crate::model::CommunityProfile;
use crate::sql::args;
use crate::store::Store;

impl Store {
    /// The educator's community profile (an empty, unshared one if they never set it).
    pub async fn community_profile(
        &self,
        educator_id: &str,
    ) -> Result<CommunityProfile, StoreError> {
        let row = self
            .db()
            .fetch_optional(
                "SELECT school, years, contact, shared FROM community_profiles WHERE educator_id = $1",
                args![educator_id],
            )
            .await?;
        Ok(match row {
            Some(r) => CommunityProfile {
                school: r.opt_text("school")?,
                years: r.opt_i64("years")?,
                contact: r.opt_text("contact")?,
                shared: r.bool("shared")?,
            },
            None => CommunityProfile::default(),
        })
    }

    /// Sets the educator's community profile (the record must exist).
    pub async fn set_community_profile(
        &self,
        educator_id: &str,
        p: &CommunityProfile,
    ) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM educators WHERE id = $1", args![educator_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("educator", educator_id));
        }
        let now = crate::crypto::now_ms();
        tx.execute(
            "INSERT INTO community_profiles (educator_id, school, years, contact, shared, updated_ms) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (educator_id) DO UPDATE SET school = excluded.school, years = excluded.years, contact = excluded.contact, shared = excluded.shared, updated_ms = excluded.updated_ms",
            args![educator_id, p.school.clone(), p.years, p.contact.clone(), p.shared, now],
        )
        .await?;
        tx.commit().await
    }
}
