//! Test harness shared by the store tests: every test body runs on SQLite (a temp file) and on
//! PostgreSQL (a freshly created database per test, so tests run in parallel).

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ed25519_dalek::{Signature, VerifyingKey};
use pathledger_store::*;
use pathledger_test_support::{postgres_url, ScratchDatabase};
use serde_json::{json, Value};
use sqlx::Connection as _;

/// A store under test and what is needed to reach its database behind its back.
pub struct Harness {
    pub store: Store,
    pub url: String,
    pub kek: Kek,
    /// Dropped (with its database) when the harness is.
    pg: Option<ScratchDatabase>,
    _dir: Option<tempfile::TempDir>,
}

impl Harness {
    /// Opens another store on the same database (another "server process").
    pub async fn reopen(&self) -> Store {
        Store::open(StoreConfig::new(self.url.clone(), self.kek.clone()))
            .await
            .expect("reopen")
    }

    /// Runs raw SQL against the database (to tamper with rows in audit tests).
    pub async fn raw(&self, sql: &str) {
        if self.url.starts_with("postgres") {
            let mut c = sqlx::PgConnection::connect(&self.url)
                .await
                .expect("pg connect");
            sqlx::raw_sql(sql).execute(&mut c).await.expect("raw sql");
        } else {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", self.url))
                .await
                .expect("sqlite connect");
            sqlx::raw_sql(sql).execute(&mut c).await.expect("raw sql");
        }
    }

    pub async fn finish(self) {
        self.store.close().await;
        drop(self.pg);
    }
}

pub async fn sqlite() -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("test.db");
    let url = path.to_string_lossy().into_owned();
    let kek = Kek::generate().expect("kek");
    let store = Store::open(StoreConfig::new(url.clone(), kek.clone()))
        .await
        .expect("open sqlite");
    Harness {
        store,
        url,
        kek,
        pg: None,
        _dir: Some(dir),
    }
}

/// A fresh PostgreSQL database, or `None` (with a message) if PostgreSQL is not configured.
pub async fn postgres() -> Option<Harness> {
    let base = postgres_url("PostgreSQL variant")?;
    let pg = ScratchDatabase::create(&base, "pltest").await;
    let url = pg.url.clone();
    let kek = Kek::generate().expect("kek");
    let store = Store::open(StoreConfig::new(url.clone(), kek.clone()))
        .await
        .expect("open postgres");
    Some(Harness {
        store,
        url,
        kek,
        pg: Some(pg),
        _dir: None,
    })
}

/// Runs the body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($name:ident, |$h:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $h = common::sqlite().await;
                $body
                $h.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($h) = common::postgres().await else { return };
                $body
                $h.finish().await;
            }
        }
    };
}

/// An organization with an issuer, a key, an achievement and an educator.
pub struct Fixture {
    pub org: Organization,
    pub issuer: Issuer,
    pub key: IssuerKeyInfo,
    pub achievement_id: String,
    pub educator: Educator,
}

pub async fn fixture(store: &Store) -> Fixture {
    let org = store
        .create_organization("Riverside District", "district", None)
        .await
        .expect("org");
    let issuer = store
        .create_issuer(
            &org.id,
            "Riverside Credentials",
            Some("https://riverside.example"),
        )
        .await
        .expect("issuer");
    let key = store.generate_issuer_key(&issuer.id).await.expect("key");
    let achievement_id = format!(
        "https://riverside.example/{}/achievements/data-practices",
        org.id
    );
    store
        .put_definition(
            &org.id,
            DefinitionKind::Achievement,
            &achievement_id,
            &json!({"name": "Data Practices", "criteria": {"narrative": "Uses data"}}),
        )
        .await
        .expect("definition");
    let educator = store
        .create_educator(NewEducator {
            org_id: org.id.to_string(),
            display_name: "Ada Teacher".into(),
            emails: vec![format!("Ada.{}@Example.org", &org.id[4..12])],
            ..Default::default()
        })
        .await
        .expect("educator");
    Fixture {
        org,
        issuer,
        key,
        achievement_id,
        educator,
    }
}

/// A small credential signed with raw Ed25519 over its unsigned JSON bytes.
pub fn build_credential(ctx: IssueContext<'_>) -> Result<String, std::io::Error> {
    let unsigned = json!({
        "id": ctx.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": ctx.request.issuer_id,
        "validFrom": ctx.issued_ms,
        "credentialSubject": {
            "identifier": {"identityHash": ctx.recipient.identity_hash, "salt": ctx.recipient.salt},
            "achievement": {"id": ctx.request.achievement_id, "version": ctx.achievement_version},
        },
        "credentialStatus": {
            "statusPurpose": "revocation",
            "statusListIndex": ctx.revocation.index.to_string(),
            "statusListCredential": ctx.revocation.list_url,
        },
        "extra": ctx.request.extra,
    });
    let bytes = serde_json::to_vec(&unsigned)?;
    let sig = ctx.key.sign(&bytes);
    let mut doc = unsigned;
    doc["proof"] = json!({"keyId": ctx.key.key_id(), "signature": hex::encode(sig)});
    Ok(doc.to_string())
}

/// Checks a credential built by [`build_credential`] against a public key.
pub fn verify_credential(doc: &str, key: &[u8; 32]) -> bool {
    let Ok(mut v) = serde_json::from_str::<Value>(doc) else {
        return false;
    };
    let Some(proof) = v.as_object_mut().and_then(|o| o.remove("proof")) else {
        return false;
    };
    let Some(sig) = proof["signature"]
        .as_str()
        .and_then(|s| hex::decode(s).ok())
    else {
        return false;
    };
    let Ok(sig) = <[u8; 64]>::try_from(sig.as_slice()) else {
        return false;
    };
    let Ok(vk) = VerifyingKey::from_bytes(key) else {
        return false;
    };
    let Ok(bytes) = serde_json::to_vec(&v) else {
        return false;
    };
    vk.verify_strict(&bytes, &Signature::from_bytes(&sig))
        .is_ok()
}

/// A builder that counts its calls.
pub fn counting_builder(
    counter: Arc<AtomicUsize>,
) -> impl Fn(IssueContext<'_>) -> Result<String, std::io::Error> + Sync {
    move |ctx| {
        counter.fetch_add(1, Ordering::SeqCst);
        build_credential(ctx)
    }
}

pub fn request(f: &Fixture) -> IssueRequest {
    IssueRequest::new(
        &f.issuer.id,
        &f.achievement_id,
        Recipient::Educator(f.educator.id.to_string()),
    )
}
