//! Credentials, sessions, API tokens, roles and settings.
//!
//! Secrets are never stored in clear: passwords as Argon2id PHC strings, session ids and API
//! tokens as SHA-256 digests computed by the caller.

use crate::db::{Engine, Store, now, with_pool};
use crate::error::StoreError;
use sqlx::Row as _;

/// What authentication needs to know about a user, read fresh on every request.
#[derive(Debug, Clone)]
pub struct AuthRow {
    /// User id.
    pub user_id: String,
    /// Login name.
    pub username: String,
    /// Current roles.
    pub roles: Vec<String>,
    /// `active`, `disabled` or `left`.
    pub status: String,
    /// Region, if any.
    pub region: Option<String>,
    /// Session only: the CSRF token bound to the session.
    pub csrf_token: Option<String>,
    /// Expiry (RFC 3339).
    pub expires_at: String,
    /// Session only: last activity (RFC 3339).
    pub last_seen_at: Option<String>,
    /// The current policy version (to refresh a cached policy).
    pub policy_version: i64,
}

/// A user's password hash, looked up by username for login.
#[derive(Debug, Clone)]
pub struct NewUserCredential {
    /// User id.
    pub user_id: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Account status.
    pub status: String,
}

/// An API token as listed (never the token itself).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// Token id.
    pub id: String,
    /// Name given at creation.
    pub name: String,
    /// Expiry (RFC 3339).
    pub expires_at: String,
}

fn q(engine: Engine, pg: &'static str, lite: &'static str) -> &'static str {
    match engine {
        Engine::Postgres => pg,
        Engine::Sqlite => lite,
    }
}

const USER_COLS: &str = "u.id, u.username, u.roles, u.status, u.region";

macro_rules! auth_row {
    ($r:expr, $csrf:expr, $exp:expr, $seen:expr) => {{
        let roles: Option<String> = $r.try_get(2)?;
        let pv: Option<String> = $r.try_get("policy_version")?;
        AuthRow {
            user_id: $r.try_get(0)?,
            username: $r.try_get(1)?,
            roles: roles
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            status: $r.try_get::<Option<String>, _>(3)?.unwrap_or_default(),
            region: $r.try_get(4)?,
            csrf_token: $csrf,
            expires_at: $exp,
            last_seen_at: $seen,
            policy_version: pv.and_then(|v| v.parse().ok()).unwrap_or(0),
        }
    }};
}

impl Store {
    /// The password hash and status of a username, for login.
    pub async fn credential_by_username(
        &self,
        username: &str,
    ) -> Result<Option<NewUserCredential>, StoreError> {
        let sql = q(
            self.engine(),
            "SELECT u.id, c.password_hash, u.status FROM users u JOIN credentials c ON c.user_id = u.id WHERE u.username = $1",
            "SELECT u.id, c.password_hash, u.status FROM users u JOIN credentials c ON c.user_id = u.id WHERE u.username = ?1",
        );
        let row = with_pool!(self, read, pool => {
            match sqlx::query(sql).bind(username).fetch_optional(pool).await? {
                Some(r) => Some(NewUserCredential {
                    user_id: r.try_get(0)?,
                    password_hash: r.try_get(1)?,
                    status: r.try_get::<Option<String>, _>(2)?.unwrap_or_default(),
                }),
                None => None,
            }
        });
        Ok(row)
    }

    /// Sets (or replaces) a user's password hash.
    pub async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<(), StoreError> {
        let sql = q(
            self.engine(),
            "INSERT INTO credentials (user_id, password_hash, updated_at) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
            "INSERT INTO credentials (user_id, password_hash, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
        );
        with_pool!(self, write, pool => {
            sqlx::query(sql).bind(user_id).bind(hash).bind(now()).execute(pool).await?;
        });
        Ok(())
    }

    /// Stores a new session (by the digest of its id).
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: &str,
        csrf_token: &str,
        expires_at: &str,
        client_ip: Option<&str>,
    ) -> Result<(), StoreError> {
        let sql = q(
            self.engine(),
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, client_ip) VALUES ($1, $2, $3, $4, $4, $5, $6)",
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, client_ip) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)",
        );
        with_pool!(self, write, pool => {
            sqlx::query(sql)
                .bind(id_hash)
                .bind(user_id)
                .bind(csrf_token)
                .bind(now())
                .bind(expires_at)
                .bind(client_ip.map(str::to_string))
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The user behind a session, read fresh (status, roles, region) with the session's CSRF
    /// token and times.
    pub async fn session_auth(&self, id_hash: &str) -> Result<Option<AuthRow>, StoreError> {
        let sql = q(
            self.engine(),
            "SELECT u.id, u.username, u.roles, u.status, u.region, s.csrf_token, s.expires_at, s.last_seen_at, (SELECT value FROM meta WHERE key = 'policy_version') AS policy_version FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
            "SELECT u.id, u.username, u.roles, u.status, u.region, s.csrf_token, s.expires_at, s.last_seen_at, (SELECT value FROM meta WHERE key = 'policy_version') AS policy_version FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?1",
        );
        let _ = USER_COLS;
        let row = with_pool!(self, read, pool => {
            match sqlx::query(sql).bind(id_hash).fetch_optional(pool).await? {
                Some(r) => Some(auth_row!(r, Some(r.try_get::<String, _>(5)?), r.try_get::<String, _>(6)?, Some(r.try_get::<String, _>(7)?))),
                None => None,
            }
        });
        Ok(row)
    }

    /// Records session activity (callers throttle this).
    pub async fn touch_session(&self, id_hash: &str) -> Result<(), StoreError> {
        let sql = q(
            self.engine(),
            "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2",
            "UPDATE sessions SET last_seen_at = ?1 WHERE id_hash = ?2",
        );
        with_pool!(self, write, pool => {
            sqlx::query(sql).bind(now()).bind(id_hash).execute(pool).await?;
        });
        Ok(())
    }

    /// Ends a session.
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        let sql = q(
            self.engine(),
            "DELETE FROM sessions WHERE id_hash = $1",
            "DELETE FROM sessions WHERE id_hash = ?1",
        );
        with_pool!(self, write, pool => {
            sqlx::query(sql).bind(id_hash).execute(pool).await?;
        });
        Ok(())
    }

    /// Ends every session and revokes every API token of a user (on disable). Returns the
    /// numbers of sessions and tokens ended.
    pub async fn revoke_all(&self, user_id: &str) -> Result<(u64, u64), StoreError> {
        let (s_sql, t_sql) = match self.engine() {
            Engine::Postgres => (
                "DELETE FROM sessions WHERE user_id = $1",
                "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            ),
            Engine::Sqlite => (
                "DELETE FROM sessions WHERE user_id = ?1",
                "UPDATE api_tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
            ),
        };
        let counts = with_pool!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let s = sqlx::query(s_sql).bind(user_id).execute(&mut *tx).await?.rows_affected();
            let t = sqlx::query(t_sql).bind(user_id).bind(now()).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            (s, t)
        });
        Ok(counts)
    }

    /// Stores a new API token (by its digest).
    pub async fn create_token(
        &self,
        id: &str,
        token_hash: &str,
        user_id: &str,
        name: &str,
        expires_at: &str,
    ) -> Result<(), StoreError> {
        let sql = q(
            self.engine(),
            "INSERT INTO api_tokens (id, token_hash, user_id, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            "INSERT INTO api_tokens (id, token_hash, user_id, name, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        );
        with_pool!(self, write, pool => {
            sqlx::query(sql)
                .bind(id)
                .bind(token_hash)
                .bind(user_id)
                .bind(name)
                .bind(now())
                .bind(expires_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The user behind an unrevoked API token, read fresh.
    pub async fn token_auth(&self, token_hash: &str) -> Result<Option<AuthRow>, StoreError> {
        let sql = q(
            self.engine(),
            "SELECT u.id, u.username, u.roles, u.status, u.region, k.expires_at, (SELECT value FROM meta WHERE key = 'policy_version') AS policy_version FROM api_tokens k JOIN users u ON u.id = k.user_id WHERE k.token_hash = $1 AND k.revoked_at IS NULL",
            "SELECT u.id, u.username, u.roles, u.status, u.region, k.expires_at, (SELECT value FROM meta WHERE key = 'policy_version') AS policy_version FROM api_tokens k JOIN users u ON u.id = k.user_id WHERE k.token_hash = ?1 AND k.revoked_at IS NULL",
        );
        let row = with_pool!(self, read, pool => {
            match sqlx::query(sql).bind(token_hash).fetch_optional(pool).await? {
                Some(r) => Some(auth_row!(r, None, r.try_get::<String, _>(5)?, None)),
                None => None,
            }
        });
        Ok(row)
    }

    /// A user's id, roles, status and region by username (for the CLI).
    pub async fn user_by_username(&self, username: &str) -> Result<Option<AuthRow>, StoreError> {
        let sql = q(
            self.engine(),
            "SELECT u.id, u.username, u.roles, u.status, u.region, (SELECT value FROM meta WHERE key = 'policy_version') AS policy_version FROM users u WHERE u.username = $1",
            "SELECT u.id, u.username, u.roles, u.status, u.region, (SELECT value FROM meta WHERE key = 'policy_version') AS policy_version FROM users u WHERE u.username = ?1",
        );
        let row = with_pool!(self, read, pool => {
            match sqlx::query(sql).bind(username).fetch_optional(pool).await? {
                Some(r) => Some(auth_row!(r, None, String::new(), None)),
                None => None,
            }
        });
        Ok(row)
    }

    /// Every user (id, username, roles, status, region), by username (for the CLI).
    pub async fn all_users(&self) -> Result<Vec<AuthRow>, StoreError> {
        let sql = "SELECT u.id, u.username, u.roles, u.status, u.region, (SELECT value FROM meta WHERE key = 'policy_version') AS policy_version FROM users u ORDER BY u.username";
        let rows = with_pool!(self, read, pool => {
            let rows = sqlx::query(sql).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(auth_row!(r, None, String::new(), None));
            }
            out
        });
        Ok(rows)
    }

    /// Reads a setting.
    pub async fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let sql = q(
            self.engine(),
            "SELECT value FROM meta WHERE key = $1",
            "SELECT value FROM meta WHERE key = ?1",
        );
        let v = with_pool!(self, read, pool => {
            match sqlx::query(sql).bind(key).fetch_optional(pool).await? {
                Some(r) => Some(r.try_get::<String, _>(0)?),
                None => None,
            }
        });
        Ok(v)
    }

    /// Writes a setting.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let sql = q(
            self.engine(),
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        );
        with_pool!(self, write, pool => {
            sqlx::query(sql).bind(key).bind(value).execute(pool).await?;
        });
        Ok(())
    }

    /// Every role definition (name, TOML), by name.
    pub async fn roles(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = with_pool!(self, read, pool => {
            sqlx::query("SELECT name, definition FROM roles ORDER BY name")
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Replaces every role definition at once and bumps the policy version, so every node
    /// reloads the policy on its next request.
    pub async fn replace_roles(&self, roles: &[(String, String)]) -> Result<(), StoreError> {
        let (ins, ver) = match self.engine() {
            Engine::Postgres => (
                "INSERT INTO roles (name, definition, updated_at) VALUES ($1, $2, $3)",
                "INSERT INTO meta (key, value) VALUES ('policy_version', '1') ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)",
            ),
            Engine::Sqlite => (
                "INSERT INTO roles (name, definition, updated_at) VALUES (?1, ?2, ?3)",
                "INSERT INTO meta (key, value) VALUES ('policy_version', '1') ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)",
            ),
        };
        with_pool!(self, write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM roles").execute(&mut *tx).await?;
            for (name, def) in roles {
                sqlx::query(ins).bind(name).bind(def).bind(now()).execute(&mut *tx).await?;
            }
            sqlx::query(ver).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }
}
