//! Our issuers' keys: the key ring, its DID documents, rotation, the resolver.

use std::sync::Arc;

use pathledger_signing::{
    ChainResolver, DidKeyResolver, DidWebDocument, KeyStatus, PublicKey, StaticResolver,
};

use crate::*;

impl App {
    /// Rebuilds the key ring from the store (after a key is generated or rotated).
    pub async fn reload_keys(&self) -> Result<(), AppError> {
        // Read before the keys: a change made meanwhile leaves the ring behind its version, so
        // the next check reloads again.
        let mut ring = KeyRing {
            version: self.inner.store.key_ring_version().await?,
            ..KeyRing::default()
        };
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

    /// Rebuilds the key ring if an issuer or a key was added since it was built, by another
    /// server of the deployment (or a CLI command) sharing the database; true if it did.
    /// This server's own changes reload the ring at once.
    pub async fn reload_keys_if_changed(&self) -> Result<bool, AppError> {
        if self.inner.store.key_ring_version().await? == self.key_ring().version {
            return Ok(false);
        }
        self.reload_keys().await?;
        Ok(true)
    }

    /// Starts a task that follows key changes made elsewhere ([`App::reload_keys_if_changed`])
    /// every `every`, until the returned handle is aborted. Without it, a key rotated through
    /// another server would be missing from this one's DID documents and resolver: what that
    /// key signs (credentials, re-signed status lists) would not verify here.
    pub fn spawn_key_follower(&self, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match app.reload_keys_if_changed().await {
                    Ok(true) => tracing::info!("issuer keys changed elsewhere: key ring reloaded"),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "could not check for key changes"),
                }
            }
        })
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

/// How often a running server checks whether another one added an issuer or a key.
pub const KEY_FOLLOWING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use pathledger_store::{Kek, Recipient};

    use crate::*;

    async fn open(dir: &std::path::Path, kek: Kek) -> App {
        App::open(AppConfig {
            database_url: dir.join("t.db").to_string_lossy().into_owned(),
            kek,
            public_url: "http://ledger.test".into(),
            trusted_issuers: Vec::new(),
            fetch: Default::default(),
            host_issuer: None,
            mail: crate::mail::MailConfig::outbox(dir.join("outbox")),
        })
        .await
        .unwrap()
    }

    /// Two servers on one database: a key rotated through one is unknown to the other until it
    /// follows the change, and then what the new key signed verifies there too.
    #[tokio::test]
    async fn a_key_rotated_through_another_server_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        let kek = Kek::generate().unwrap();
        let one = open(dir.path(), kek.clone()).await;
        let seed = crate::demo::seed_demo(&one).await.unwrap().unwrap();
        let two = open(dir.path(), kek).await;
        assert!(!two.reload_keys_if_changed().await.unwrap());

        one.rotate_issuer_key(&seed.issuer_id).await.unwrap();
        let issued = one
            .issue(
                &seed.issuer_id,
                "mc-tools-1",
                Recipient::Email("rotated@school.example".into()),
                IssueOptions::default(),
            )
            .await
            .unwrap();
        let verdict = |app: &App| {
            let app = app.clone();
            let doc = issued.credential.clone();
            async move { app.verify(&doc).await.to_json()["verdict"].clone() }
        };
        assert_eq!(verdict(&one).await, "valid");
        assert_ne!(
            verdict(&two).await,
            "valid",
            "the stale ring knew the new key"
        );

        assert!(two.reload_keys_if_changed().await.unwrap());
        assert_eq!(verdict(&two).await, "valid");
        assert_eq!(
            one.key_ring().did_documents,
            two.key_ring().did_documents,
            "both serve the same DID documents"
        );
        assert!(!two.reload_keys_if_changed().await.unwrap());
    }
}
