//! Inviting the people an issuance makes educators of: issuing to an address no educator of the
//! organization has creates a record, and its person is mailed an educator invitation for that
//! very record, so accepting it shows them what they hold. The invitation is the issuance's
//! courtesy, never its condition: a failure is logged and reported, and the credential stands.
//!
//! Bounds: one invitation per record an issuance created (a replayed row created nothing), none
//! when an account is linked to the record already, and none when the address has a pending
//! invitation of the organization (an admin's invitation, perhaps with other roles, is not
//! withdrawn behind the admin's back; accepting it links the person to the record by address
//! when it grants the educator role).

use std::collections::HashSet;

use pathledger_store::{AccessRole, OrgId, Organization};

use crate::accounts::{send_invitation, MAX_LISTED_INVITATIONS};
use crate::{App, AppError};

/// What an issuance did about inviting the person whose educator record it created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum NewcomerInvite {
    /// Nothing was due: the record existed, the row was a replay, another row of the call
    /// invited the person, an account is linked to the record already, or the address has a
    /// pending invitation.
    #[default]
    NotDue,
    /// An educator invitation was mailed.
    Sent {
        /// The invitation's id.
        invitation_id: String,
    },
    /// The invitation could not be made or mailed (logged); the credential was issued anyway.
    Failed {
        /// Why, for the issuer.
        reason: String,
    },
}

impl NewcomerInvite {
    /// Whether an invitation was mailed.
    pub fn sent(&self) -> bool {
        matches!(self, NewcomerInvite::Sent { .. })
    }

    /// Whether an invitation was due but failed.
    pub fn failed(&self) -> bool {
        matches!(self, NewcomerInvite::Failed { .. })
    }
}

/// The organization and the addresses it has pending invitations for, read once per call.
pub(crate) struct InviteContext {
    org: Organization,
    pending: HashSet<String>,
}

impl App {
    /// Reads what inviting newcomers of `org_id` needs; a failure is a failed invitation.
    pub(crate) async fn invite_context(&self, org_id: &OrgId) -> Result<InviteContext, AppError> {
        let store = self.store();
        let org = store.organization(org_id).await?;
        let pending = store
            .invitations(org_id, MAX_LISTED_INVITATIONS)
            .await?
            .into_iter()
            .filter(|i| i.state(crate::accounts::now_ms()) == "pending")
            .map(|i| i.email)
            .collect();
        Ok(InviteContext { org, pending })
    }

    /// Invites the person of the educator record `educator_id` an issuance just created, unless
    /// nothing is due. Never fails: a failure is logged and returned as
    /// [`NewcomerInvite::Failed`].
    pub(crate) async fn invite_newcomer(
        &self,
        ctx: &Result<InviteContext, AppError>,
        educator_id: &str,
    ) -> NewcomerInvite {
        let out = match ctx {
            Ok(ctx) => self.try_invite_newcomer(ctx, educator_id).await,
            Err(e) => Err(AppError::internal(e.to_string())),
        };
        match out {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(educator = %educator_id, error = %e, "the invitation of an educator created by issuance failed; the credential stands");
                NewcomerInvite::Failed {
                    reason: e.to_string(),
                }
            }
        }
    }

    async fn try_invite_newcomer(
        &self,
        ctx: &InviteContext,
        educator_id: &str,
    ) -> Result<NewcomerInvite, AppError> {
        let store = self.store();
        if store.user_of_educator(educator_id).await?.is_some() {
            return Ok(NewcomerInvite::NotDue);
        }
        let edu = store.educator(educator_id).await?;
        let Some(email) = edu.emails.first() else {
            return Ok(NewcomerInvite::NotDue);
        };
        if ctx.pending.contains(email) {
            tracing::info!(educator = %educator_id, "the address has a pending invitation; no second one sent");
            return Ok(NewcomerInvite::NotDue);
        }
        // Records made by issuance carry the address as their name; an invitation needs one.
        let invited = send_invitation(
            self,
            &ctx.org,
            email,
            &edu.display_name,
            vec![AccessRole::Educator],
            Some(educator_id.to_owned()),
            None,
        )
        .await?;
        Ok(NewcomerInvite::Sent {
            invitation_id: invited.invitation.id,
        })
    }
}
