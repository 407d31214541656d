//! Schema and migrations for both engines.
//!
//! Migration 1 creates the entity tables from the field catalogue (so the schema and the
//! catalogue cannot drift: a test introspects both engines and compares) plus the system
//! tables. Later changes are appended as numbered migrations; applied ones are recorded in
//! `schema_migrations` and never re-run.

use crate::db::{Engine, Store, with_pool};
use crate::error::StoreError;
use bulwark_domain::catalogue::{ALL, FieldKind};
use bulwark_domain::{Entity, EntityDef};
use sqlx::AssertSqlSafe;
use sqlx::Row as _;

/// SQL type of a catalogue field (the same spelling works on both engines).
pub(crate) fn column_type(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Int | FieldKind::Money | FieldKind::Fraction | FieldKind::Bool => "BIGINT",
        _ => "TEXT",
    }
}

fn entity_ddl(def: &EntityDef) -> Vec<String> {
    let table = def.entity.as_str();
    let mut cols = Vec::new();
    for f in def.fields {
        let mut c = format!("{} {}", f.name, column_type(f.kind));
        if f.name == "id" {
            c.push_str(" PRIMARY KEY");
        } else if f.required || matches!(f.kind, FieldKind::Timestamp) {
            c.push_str(" NOT NULL");
        }
        if let FieldKind::Ref(target) = f.kind {
            c.push_str(&format!(" REFERENCES {}(id)", target.as_str()));
        }
        if f.name == "external_id" || (f.name == "username" && def.entity == Entity::Users) {
            c.push_str(" UNIQUE");
        }
        cols.push(c);
    }
    let mut stmts = vec![format!("CREATE TABLE {table} ({})", cols.join(", "))];
    for f in def.fields {
        if f.name == "id" {
            continue;
        }
        if f.sortable || f.filterable || matches!(f.kind, FieldKind::Ref(_)) {
            stmts.push(format!(
                "CREATE INDEX idx_{table}_{f} ON {table} ({f}, id)",
                f = f.name
            ));
        }
    }
    stmts
}

fn system_ddl(engine: Engine) -> Vec<String> {
    let _ = engine;
    [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE roles (name TEXT PRIMARY KEY, definition TEXT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE TABLE credentials (user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE, password_hash TEXT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, csrf_token TEXT NOT NULL, created_at TEXT NOT NULL, last_seen_at TEXT NOT NULL, expires_at TEXT NOT NULL, client_ip TEXT)",
        "CREATE INDEX idx_sessions_user ON sessions (user_id)",
        "CREATE TABLE api_tokens (id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, name TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT)",
        "CREATE INDEX idx_api_tokens_user ON api_tokens (user_id)",
        "CREATE TABLE account_assignees (account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, PRIMARY KEY (account_id, user_id))",
        "CREATE INDEX idx_account_assignees_user ON account_assignees (user_id, account_id)",
        "CREATE TABLE audit_events (seq BIGINT PRIMARY KEY, time TEXT NOT NULL, actor_id TEXT, action TEXT NOT NULL, entity TEXT, outcome TEXT NOT NULL, body TEXT NOT NULL, hash TEXT NOT NULL)",
        "CREATE INDEX idx_audit_time ON audit_events (time)",
        "CREATE INDEX idx_audit_actor ON audit_events (actor_id, seq)",
        "CREATE TABLE audit_head (id BIGINT PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL)",
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Migration 1: every entity table (users first, since others reference it) and the system
/// tables.
fn migration_1(engine: Engine) -> Vec<String> {
    let mut order: Vec<Entity> = vec![Entity::Users];
    order.extend(ALL.iter().copied().filter(|e| *e != Entity::Users));
    let mut stmts = Vec::new();
    for e in order {
        stmts.extend(entity_ddl(e.def()));
    }
    stmts.extend(system_ddl(engine));
    stmts
}

/// Every migration, in order.
fn migrations(engine: Engine) -> Vec<(i64, Vec<String>)> {
    vec![(1, migration_1(engine))]
}

impl Store {
    /// Applies pending migrations. Safe to call from several nodes at once on PostgreSQL
    /// (serialised by an advisory lock).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let engine = self.engine();
        with_pool!(self, write, pool => {
            let mut tx = pool.begin().await?;
            if engine == Engine::Postgres {
                sqlx::query("SELECT pg_advisory_xact_lock(727274)").execute(&mut *tx).await?;
            }
            sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)")
                .execute(&mut *tx)
                .await?;
            let done: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get::<i64, _>(0))
                .collect::<Result<_, _>>()?;
            for (version, stmts) in migrations(engine) {
                if done.contains(&version) {
                    continue;
                }
                for s in stmts {
                    sqlx::query(AssertSqlSafe(s)).execute(&mut *tx).await?;
                }
                let q = if engine == Engine::Postgres {
                    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)"
                } else {
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)"
                };
                sqlx::query(q)
                    .bind(version)
                    .bind(crate::db::now())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The columns of a table as the database reports them (for schema tests and `doctor`).
    pub async fn table_columns(&self, table: Entity) -> Result<Vec<String>, StoreError> {
        let rows = with_pool!(self, read, pool => {
            match self.engine() {
                Engine::Sqlite => {
                    let sql = format!("SELECT name FROM pragma_table_info('{}')", table.as_str());
                    sqlx::query(AssertSqlSafe(sql)).fetch_all(pool).await?
                        .iter().map(|r| r.try_get::<String, _>(0)).collect::<Result<Vec<_>, _>>()?
                }
                Engine::Postgres => {
                    sqlx::query("SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position")
                        .bind(table.as_str())
                        .fetch_all(pool).await?
                        .iter().map(|r| r.try_get::<String, _>(0)).collect::<Result<Vec<_>, _>>()?
                }
            }
        });
        Ok(rows)
    }
}
