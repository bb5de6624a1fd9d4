//! Durable storage on SQLite and PostgreSQL: issuance, revocation and the transparency log.
