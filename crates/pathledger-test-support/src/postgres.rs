//! Throwaway PostgreSQL databases, one per test, dropped when the test ends.

use pathledger_store::scratch::AdminConnection;

/// The PostgreSQL server tests may use (`PATHLEDGER_TEST_POSTGRES_URL`). Without it a test
/// skips with a message naming `what`; with `PATHLEDGER_REQUIRE_POSTGRES=1` it fails instead
/// (CI sets both, so a skipped PostgreSQL test cannot pass unnoticed).
pub fn postgres_url(what: &str) -> Option<String> {
    match std::env::var("PATHLEDGER_TEST_POSTGRES_URL") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            if std::env::var("PATHLEDGER_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("PATHLEDGER_REQUIRE_POSTGRES=1 but PATHLEDGER_TEST_POSTGRES_URL is not set ({what})");
            }
            eprintln!("skipping {what}: PATHLEDGER_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

/// A database of its own on the test server, dropped (connections closed) when this is dropped.
pub struct ScratchDatabase {
    admin_url: String,
    /// The database's name.
    pub name: String,
    /// A URL to it (the admin URL with the database name replaced).
    pub url: String,
}

impl ScratchDatabase {
    /// Creates `<prefix>_<random>` on the server at `admin_url`.
    pub async fn create(admin_url: &str, prefix: &str) -> Self {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let mut conn = AdminConnection::connect(admin_url)
            .await
            .expect("connect to the PostgreSQL test server");
        conn.create_database(&name)
            .await
            .expect("create a test database");
        conn.close().await;
        Self {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name),
            name,
        }
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        // Drop may run inside a test's runtime, where blocking on it would stall: use a thread
        // with a runtime of its own.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = AdminConnection::connect(&admin_url).await.ok()?;
                let r = conn.drop_database(&name).await;
                conn.close().await;
                r.ok()
            })
        })
        .join();
        if !matches!(done, Ok(Some(_))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}

/// `url` with its database name replaced by `db` (query parameters kept).
pub fn with_database(url: &str, db: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (url, None),
    };
    let scheme_end = main.find("://").map(|i| i + 3).unwrap_or(0);
    let authority_end = main[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(main.len());
    let mut out = format!("{}/{db}", &main[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            super::with_database("postgres://u@h:5432/test?sslmode=disable", "x_1"),
            "postgres://u@h:5432/x_1?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgres://u@h", "x_1"),
            "postgres://u@h/x_1"
        );
    }
}
