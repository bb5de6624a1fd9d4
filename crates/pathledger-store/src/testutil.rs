//! Helpers shared by the unit tests: stores on both backends, an organization with an issuer
//! and an achievement, and a builder that signs every input it is given.

use serde_json::json;

use crate::crypto::{random_bytes, Kek};
use crate::model::{DefinitionKind, IssueContext, Issuer, Organization};
use crate::scratch::AdminConnection;
use crate::store::{Store, StoreConfig};

/// Unit tests' PostgreSQL: the `PATHLEDGER_TEST_POSTGRES_URL`, or `None` after a message (a
/// failure when `PATHLEDGER_REQUIRE_POSTGRES=1`, as in CI).
pub(crate) fn test_postgres_url() -> Option<String> {
    let Ok(url) = std::env::var("PATHLEDGER_TEST_POSTGRES_URL") else {
        assert_ne!(
            std::env::var("PATHLEDGER_REQUIRE_POSTGRES").as_deref(),
            Ok("1"),
            "PATHLEDGER_REQUIRE_POSTGRES=1 but PATHLEDGER_TEST_POSTGRES_URL is not set"
        );
        eprintln!("skipping: PATHLEDGER_TEST_POSTGRES_URL is not set");
        return None;
    };
    Some(url)
}

/// A store on a new SQLite file in a temporary folder (kept while the folder lives).
pub(crate) async fn sqlite_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("store.db").to_string_lossy().into_owned();
    let store = Store::open(StoreConfig::new(url, Kek::generate().unwrap()))
        .await
        .unwrap();
    (dir, store)
}

/// A store on a fresh PostgreSQL database (with the admin URL and database name for
/// [`drop_pg`]), or `None` with a message when PostgreSQL is not configured.
pub(crate) async fn pg_store() -> Option<(Store, String, String)> {
    let base = test_postgres_url()?;
    let name = format!("pltest_plan_{}", hex::encode(random_bytes::<6>().unwrap()));
    let mut admin = AdminConnection::connect(&base).await.unwrap();
    admin.create_database(&name).await.unwrap();
    let url = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => format!("{}/{}", &base[..i], name),
        _ => format!("{}/{}", base.trim_end_matches('/'), name),
    };
    let store = Store::open(StoreConfig::new(url, Kek::generate().unwrap()))
        .await
        .unwrap();
    Some((store, base, name))
}

pub(crate) async fn drop_pg(store: Store, base: String, name: String) {
    store.close().await;
    let mut admin = AdminConnection::connect(&base).await.unwrap();
    admin.drop_database(&name).await.unwrap();
}

/// A document that carries every input the store hands a builder, signed.
pub(crate) fn echo(ctx: IssueContext<'_>) -> Result<String, std::io::Error> {
    let body = json!({
        "id": ctx.credential_id,
        "issued": ctx.issued_ms,
        "educator": ctx.recipient.educator_id,
        "identityHash": ctx.recipient.identity_hash,
        "shownEmail": ctx.recipient.shown_email,
        "list": ctx.revocation.list_id,
        "index": ctx.revocation.index,
        "version": ctx.achievement_version,
    });
    let sig = ctx.key.sign(body.to_string().as_bytes());
    Ok(json!({"body": body, "sig": hex::encode(sig)}).to_string())
}

/// An organization `{name} District` with an issuer holding a key, and achievement `ach`.
pub(crate) async fn issuer_with_achievement(
    store: &Store,
    name: &str,
    ach: &str,
) -> (Organization, Issuer) {
    let org = store
        .create_organization(&format!("{name} District"), "district", None)
        .await
        .unwrap();
    let issuer = store.create_issuer(&org.id, name, None).await.unwrap();
    store.generate_issuer_key(&issuer.id).await.unwrap();
    store
        .put_definition(
            &org.id,
            DefinitionKind::Achievement,
            ach,
            &json!({"name": name, "criteria": {"narrative": "n"}}),
        )
        .await
        .unwrap();
    (org, issuer)
}
