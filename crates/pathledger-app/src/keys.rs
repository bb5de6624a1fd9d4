//! Our issuers' keys: the key ring, its DID documents, rotation, the resolver.

use std::sync::Arc;

use pathledger_signing::{
    ChainResolver, DidKeyResolver, DidWebDocument, KeyStatus, PublicKey, StaticResolver,
};

use crate::*;

impl App {
    /// Rebuilds the key ring from the store (after a key is generated or rotated).
    pub async fn reload_keys(&self) -> Result<(), AppError> {
        let mut ring = KeyRing::default();
        for org in self.inner.store.organizations().await? {
            for issuer in self.inner.store.issuers(&org.id).await? {
                let did = self.issuer_did(&issuer.id);
                let mut doc =
                    DidWebDocument::new(did.clone()).map_err(|e| AppError::Build(e.to_string()))?;
                let mut host = (self.inner.host_issuer.as_deref() == Some(issuer.id.as_str()))
                    .then(|| {
                        DidWebDocument::new(format!(
                            "did:web:{}",
                            did_web_host(&self.inner.public_url)
                        ))
                    })
                    .transpose()
                    .map_err(|e| AppError::Build(e.to_string()))?;
                for k in self.inner.store.issuer_keys(&issuer.id).await? {
                    let pk = PublicKey::from_bytes(k.public_key)
                        .map_err(|e| AppError::Build(e.to_string()))?;
                    let status = if k.active {
                        KeyStatus::Current
                    } else {
                        KeyStatus::Retired
                    };
                    if let Some(h) = host.as_mut() {
                        h.add_key(k.id.clone(), pk, status);
                    }
                    doc.add_key(k.id.clone(), pk, status);
                }
                if let Some(h) = host {
                    ring.host_document = Some(h.to_json());
                }
                ring.did_documents.insert(issuer.id.clone(), doc.to_json());
                ring.issuer_dids.insert(issuer.id.clone(), did);
            }
        }
        if let (Some(h), None) = (&self.inner.host_issuer, &ring.host_document) {
            tracing::warn!(issuer = %h, "the configured host issuer does not exist; /.well-known/did.json answers 404");
        }
        if let Ok(mut w) = self.inner.keys.write() {
            *w = Arc::new(ring);
        }
        Ok(())
    }

    /// Rotates an issuer's signing key: the new key signs from now on, the retired one stays in
    /// the DID document (what it signed still verifies), and the key ring is rebuilt at once.
    pub async fn rotate_issuer_key(
        &self,
        issuer_id: &str,
    ) -> Result<pathledger_store::IssuerKeyInfo, AppError> {
        let k = self.inner.store.rotate_issuer_key(issuer_id).await?;
        self.reload_keys().await?;
        tracing::info!(issuer = %issuer_id, key = %k.id, "issuer key rotated");
        Ok(k)
    }

    /// Our key ring.
    pub fn key_ring(&self) -> Arc<KeyRing> {
        self.inner
            .keys
            .read()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// A resolver for our issuers' did:web keys plus offline did:key.
    /// Built once per key ring (a rotation makes a new ring), shared by every verification.
    pub fn resolver(&self) -> Arc<ChainResolver> {
        let ring = self.key_ring();
        ring.resolver
            .get_or_init(|| {
                let mut ours = StaticResolver::new();
                for doc in ring.did_documents.values() {
                    // Our own documents are well-formed; a failure would only mean fewer known keys.
                    let _ = ours.add_did_document(doc);
                }
                Arc::new(ChainResolver::new().with(ours).with(DidKeyResolver))
            })
            .clone()
    }
}
