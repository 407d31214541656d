//! Connection set-up per engine and the dialect helpers.

use crate::error::StoreError;
use bulwark_audit::ChainKey;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// When a SQLite commit is durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteDurability {
    /// fsync on every commit: nothing acknowledged is lost, even on power failure (default).
    #[default]
    Full,
    /// fsync only at WAL checkpoints: nothing is lost if the process is killed, but the last
    /// commits can be lost on power failure or an operating-system crash.
    Normal,
}

/// The database engine behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// SQLite in WAL mode.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

pub(crate) enum Db {
    /// Readers share a pool; all writes go through one connection so SQLite never has to
    /// upgrade a read lock (no SQLITE_BUSY under load).
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
    },
    Postgres(PgPool),
}

/// The store: a handle to the database, cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) db: Arc<Db>,
    pub(crate) audit_key: Option<Arc<ChainKey>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("engine", &self.engine())
            .finish()
    }
}

/// Runs `$body` with `$pool` bound to the engine's pool (the write pool on SQLite when `write`).
macro_rules! with_pool {
    ($store:expr, read, $pool:ident => $body:expr) => {
        match &*$store.db {
            $crate::db::Db::Sqlite { read: $pool, .. } => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
    ($store:expr, write, $pool:ident => $body:expr) => {
        match &*$store.db {
            $crate::db::Db::Sqlite { write: $pool, .. } => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Binds a slice of [`SqlVal`]s onto a query, in order.
macro_rules! bind_all {
    ($q:expr, $vals:expr) => {{
        let mut q = $q;
        for v in $vals.iter() {
            q = match v {
                $crate::db::SqlVal::Text(t) => q.bind(t.clone()),
                $crate::db::SqlVal::Int(i) => q.bind(*i),
            };
        }
        q
    }};
}
pub(crate) use bind_all;

/// A bind parameter with its SQL type (NULLs must be typed for PostgreSQL).
#[derive(Debug, Clone)]
pub(crate) enum SqlVal {
    Text(Option<String>),
    Int(Option<i64>),
}

impl Store {
    /// Opens a store from a URL: `sqlite://PATH` (created if missing) or `postgres://…`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            Self::open_sqlite(Path::new(path)).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open_postgres(url).await
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    /// Opens (creating if needed) a SQLite database file in WAL mode, fsyncing every commit.
    pub async fn open_sqlite(path: &Path) -> Result<Self, StoreError> {
        Self::open_sqlite_with(path, SqliteDurability::Full).await
    }

    /// Opens a SQLite database file in WAL mode with the given commit durability.
    pub async fn open_sqlite_with(
        path: &Path,
        durability: SqliteDurability,
    ) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str("sqlite://")
            .map_err(StoreError::Db)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match durability {
                SqliteDurability::Full => SqliteSynchronous::Full,
                SqliteDurability::Normal => SqliteSynchronous::Normal,
            })
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory")
            // Reads are served from the page cache / memory map rather than read(2) calls.
            .pragma("cache_size", "-32768")
            .pragma("mmap_size", "268435456");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts.read_only(false))
            .await?;
        Ok(Self {
            db: Arc::new(Db::Sqlite { read, write }),
            audit_key: None,
        })
    }

    /// Connects to PostgreSQL.
    pub async fn open_postgres(url: &str) -> Result<Self, StoreError> {
        let opts = PgConnectOptions::from_str(url).map_err(StoreError::Db)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(Self {
            db: Arc::new(Db::Postgres(pool)),
            audit_key: None,
        })
    }

    /// Sets the key that chains audit events (kept outside the database).
    pub fn with_audit_key(mut self, key: ChainKey) -> Self {
        self.audit_key = Some(Arc::new(key));
        self
    }

    /// The engine behind this store.
    pub fn engine(&self) -> Engine {
        match &*self.db {
            Db::Sqlite { .. } => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Closes all connections.
    pub async fn close(&self) {
        match &*self.db {
            Db::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }

    /// Runs a trivial query: the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, read, p => {
            sqlx::query("SELECT 1").execute(p).await?;
        });
        Ok(())
    }
}

/// Current time as RFC 3339 UTC with microseconds.
pub(crate) fn now() -> String {
    bulwark_domain::value::format_timestamp(time::OffsetDateTime::now_utc())
}
