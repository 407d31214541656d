//! Bulwark's storage: one [`Store`] over SQLite (the embedded default) or PostgreSQL (the
//! production engine), chosen by URL scheme.
//!
//! Only this crate talks SQL. Every statement is parameterised; the only identifiers ever
//! formatted into SQL are table and column names taken from the static field catalogue, never
//! from a client. Dialect differences (placeholders, pool set-up) stay inside this crate.

mod audit;
mod auth;
mod db;
pub mod error;
mod records;
mod schema;
pub mod types;

pub use audit::{AuditFilter, StoredEvent};
pub use auth::{AuthRow, NewUserCredential, TokenInfo};
pub use db::{Engine, SqliteDurability, Store};
pub use error::StoreError;
pub use types::{Dir, ListQuery, NewRecord, Row, ScopeCtx};
