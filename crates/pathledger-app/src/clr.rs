//! CLR 2.0 bundles of an educator's credentials, and signing other documents as an issuer.

use pathledger_badges as badges;
use pathledger_signing::{sign_document, Cryptosuite, ProofOptions, SigningKey};
use serde_json::Value;
use time::OffsetDateTime;

use crate::*;

impl App {
    /// A signed CLR 2.0 bundle of an educator's credentials; a stack's parts are `isChildOf`
    /// the certificate they add up to. Signed by the educator's organization's first issuer.
    pub async fn clr_for(
        &self,
        educator: &pathledger_store::Educator,
        credentials: Vec<Value>,
    ) -> Result<Value, AppError> {
        if credentials.is_empty() {
            return Err(AppError::invalid(
                "educator",
                "has no credentials to bundle",
            ));
        }
        let store = &self.inner.store;
        let issuer = store
            .issuers(&educator.org_id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                AppError::NotFound(format!("issuer of organization {}", educator.org_id))
            })?;
        let defs = self.definitions(&educator.org_id).await?;
        // Credentials issued before definition ids were scoped per organization name the
        // achievement by its unscoped URL; the association uses whichever form was issued.
        let ach_urls = |id: &str| {
            [
                self.achievement_url(&educator.org_id, id),
                format!("{}/achievements/{}", self.inner.public_url, id),
            ]
        };
        let held: std::collections::BTreeSet<String> = credentials
            .iter()
            .filter_map(|c| {
                c.pointer("/credentialSubject/achievement/id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect();
        let mut associations = Vec::new();
        for stack in defs.stacks() {
            let Some(cert) = &stack.awards else { continue };
            let Some(cert_url) = ach_urls(cert.as_str())
                .into_iter()
                .find(|u| held.contains(u))
            else {
                continue;
            };
            let parts: Vec<String> = stack
                .required
                .iter()
                .chain(stack.electives.iter())
                .filter_map(|i| match i {
                    pathledger_core::StackItem::Achievement(a) => {
                        ach_urls(a.as_str()).into_iter().find(|u| held.contains(u))
                    }
                    pathledger_core::StackItem::Stack(_) => None,
                })
                .collect();
            associations.extend(badges::stack_associations(&cert_url, &parts));
        }
        let email = educator.emails.first().cloned().unwrap_or_default();
        let input = badges::ClrInput {
            id: format!("urn:uuid:{}", uuid::Uuid::new_v4()),
            issuer: self.issuer_profile(&issuer),
            name: format!("Comprehensive Learner Record of {}", educator.display_name),
            description: None,
            valid_from: OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            valid_until: None,
            subject: badges::SubjectIdentifier::Hashed {
                identity: email,
                identity_type: "emailAddress".into(),
                salt: educator.salt.clone(),
            },
            credentials,
            associations,
            partial: None,
            include_schema: true,
        };
        let doc = badges::clr_credential(&input).map_err(|e| AppError::Build(e.to_string()))?;
        self.sign_as_issuer(&issuer.id, &doc).await
    }

    /// Signs `doc` (eddsa-jcs-2022) with the issuer's current key, as its did:web. Status lists,
    /// CLR bundles and endorsements go through here; credentials are signed inside the store's
    /// issuance transaction instead.
    pub async fn sign_as_issuer(&self, issuer_id: &str, doc: &Value) -> Result<Value, AppError> {
        let vm_prefix = self.issuer_did(issuer_id);
        self.inner
            .store
            .with_issuer_key(issuer_id, |k| {
                let key = SigningKey::from_seed(k.seed_bytes());
                sign_document(
                    doc,
                    &key,
                    &ProofOptions::assertion(
                        Cryptosuite::EddsaJcs2022,
                        format!("{vm_prefix}#{}", k.key_id()),
                    ),
                )
            })
            .await?
            .map_err(|e| AppError::Build(e.to_string()))
    }
}
