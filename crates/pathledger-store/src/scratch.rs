//! Throwaway PostgreSQL databases for benchmarks and tests, created and dropped here so that no
//! caller outside the store runs SQL of its own.

use sqlx::Connection as _;

use crate::error::StoreError;

/// A connection to a PostgreSQL server (through any database it already has, e.g. `postgres`)
/// that creates and drops whole databases.
pub struct AdminConnection {
    conn: sqlx::PgConnection,
}

impl std::fmt::Debug for AdminConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminConnection").finish_non_exhaustive()
    }
}

impl AdminConnection {
    /// Connects to the server at `admin_url` (a `postgres://` URL).
    pub async fn connect(admin_url: &str) -> Result<Self, StoreError> {
        Ok(Self {
            conn: sqlx::PgConnection::connect(admin_url).await?,
        })
    }

    /// Creates the empty database `name` (letters, digits and `_` only).
    pub async fn create_database(&mut self, name: &str) -> Result<(), StoreError> {
        check_name(name)?;
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut self.conn)
            .await?;
        Ok(())
    }

    /// Drops the database `name` if it exists, closing any connection still open to it.
    pub async fn drop_database(&mut self, name: &str) -> Result<(), StoreError> {
        check_name(name)?;
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut self.conn)
            .await?;
        Ok(())
    }

    /// Closes the connection, telling the server.
    pub async fn close(self) {
        self.conn.close().await.ok();
    }
}

/// A database name is quoted into the statement, so it is kept to a plain identifier.
fn check_name(name: &str) -> Result<(), StoreError> {
    if name.is_empty()
        || name.len() > 63
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(StoreError::invalid(
            "database",
            format!("{name:?} is not a plain database name (letters, digits and _, at most 63)"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_names_are_quoted_into_statements() {
        assert!(super::check_name("pathledger_bench_12_345").is_ok());
        for bad in ["", "a\"b", "a b", "x; DROP DATABASE y", &"n".repeat(64)] {
            assert!(super::check_name(bad).is_err(), "{bad:?}");
        }
    }
}
