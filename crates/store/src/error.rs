//! Store errors.

use thiserror::Error;

/// What went wrong in the store. Messages never carry record values.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database URL names no supported engine.
    #[error("unsupported database URL scheme (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    /// A uniqueness constraint was violated.
    #[error("a record with the same {0} already exists")]
    Conflict(String),
    /// A record is still referenced by others, or references a missing record.
    #[error("the record is referenced by other records or references a missing record")]
    Reference,
    /// The audit chain key is missing.
    #[error("the audit chain key is not configured")]
    NoAuditKey,
    /// Stored data is not in the expected shape.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(d) = &e {
            match d.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    return StoreError::Conflict(unique_what(d.message()));
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => return StoreError::Reference,
                _ => {}
            }
        }
        StoreError::Db(e)
    }
}

/// Extracts the column name from a unique-violation message without leaking values.
fn unique_what(msg: &str) -> String {
    // SQLite: "UNIQUE constraint failed: accounts.external_id"; PostgreSQL: constraint name.
    if let Some(rest) = msg.strip_prefix("UNIQUE constraint failed: ") {
        return rest
            .split(',')
            .map(|c| c.trim().rsplit('.').next().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
            .join(", ");
    }
    if let Some(start) = msg.find('"') {
        let name = msg[start + 1..].split('"').next().unwrap_or_default();
        return name.trim_end_matches("_key").to_string();
    }
    "key".to_string()
}
