//! Verification policy: whom we trust, and our own status lists and keys served locally.

use pathledger_badges as badges;
use pathledger_signing::DidKeyResolver;
use serde_json::Value;

use crate::*;

impl App {
    // ----- verification --------------------------------------------------------------------

    /// Our issuers plus the configured trust list.
    pub fn trust_list(&self) -> badges::TrustList {
        let ring = self.key_ring();
        badges::TrustList::of(
            ring.issuer_dids
                .values()
                .cloned()
                .chain(self.inner.trusted.iter().cloned()),
        )
    }

    /// Gathers what verifying `docs` needs from our own deployment (status lists), so the
    /// verification itself runs without I/O. URLs outside this deployment are never fetched.
    async fn local_fetcher(&self, docs: &[&Value]) -> badges::StaticFetcher {
        let mut fetcher = badges::StaticFetcher::new();
        let prefix = format!("{}/status/", self.inner.public_url);
        let mut seen = std::collections::BTreeSet::new();
        let mut stack: Vec<&Value> = docs.to_vec();
        while let Some(doc) = stack.pop() {
            let entries: Vec<&Value> = match doc.get("credentialStatus") {
                Some(Value::Array(a)) => a.iter().collect(),
                Some(v @ Value::Object(_)) => vec![v],
                _ => Vec::new(),
            };
            for e in entries {
                if let Some(url) = e.get("statusListCredential").and_then(Value::as_str) {
                    if let Some(list_id) = url.strip_prefix(&prefix) {
                        if seen.insert(url.to_owned()) {
                            if let Ok(list) = self.status_list_credential(list_id).await {
                                fetcher.insert(url, (*list).clone());
                            }
                        }
                    }
                }
            }
            // CLR: inner credentials.
            if let Some(Value::Array(inner)) =
                doc.pointer("/credentialSubject/verifiableCredential")
            {
                stack.extend(inner.iter());
            }
        }
        let ring = self.key_ring();
        for (issuer_id, doc) in &ring.did_documents {
            let did = &ring.issuer_dids[issuer_id];
            if let Ok(url) = pathledger_signing::did_web_url(did) {
                fetcher.insert(url, doc.clone());
            }
        }
        fetcher
    }

    /// Verifies one credential (ours or anyone's).
    pub async fn verify(&self, doc: &Value) -> badges::VerificationReport {
        self.verify_many(std::slice::from_ref(doc))
            .await
            .pop()
            .unwrap_or_else(|| {
                badges::Verifier {
                    resolver: &DidKeyResolver,
                    fetcher: &badges::NoFetcher,
                    trust: badges::TrustList::default(),
                    now: None,
                    check_schema: true,
                }
                .verify(doc)
            })
    }

    /// Verifies many credentials on all cores.
    pub async fn verify_many(&self, docs: &[Value]) -> Vec<badges::VerificationReport> {
        let refs: Vec<&Value> = docs.iter().collect();
        let fetcher = self.local_fetcher(&refs).await;
        let resolver = self.resolver();
        let trust = self.trust_list();
        let docs = docs.to_vec();
        let job = move || {
            let verifier = badges::Verifier {
                resolver: &resolver,
                fetcher: &fetcher,
                trust,
                now: None,
                check_schema: true,
            };
            verifier.verify_many(&docs)
        };
        match tokio::task::spawn_blocking(job).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "verification task failed");
                Vec::new()
            }
        }
    }
}
