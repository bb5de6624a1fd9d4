//! Helpers shared by the unit tests.

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
