//! Opening a data directory: secrets, database, schema and built-in roles.

use crate::DataArgs;
use anyhow::{Context as _, Result};
use bulwark_audit::{AuditEvent, ChainKey, EVENT_VERSION, Outcome};
use bulwark_policy::PolicyDoc;
use bulwark_server::password::Cost;
use bulwark_server::secrets;
use bulwark_store::Store;
use std::path::PathBuf;

/// An opened data directory.
pub struct Ctx {
    /// The data directory.
    pub dir: PathBuf,
    /// The store (migrated, roles seeded).
    pub store: Store,
    /// Key sealing list cursors.
    pub cursor_key: Vec<u8>,
    /// Settings from `bulwark.toml`.
    pub file: crate::FileConfig,
}

impl Ctx {
    /// Opens (creating if needed) the data directory and its database.
    pub async fn open(args: &DataArgs) -> Result<Self> {
        let dir = args.data_dir.clone();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create data directory {}", dir.display()))?;
        let secret_dir = dir.join("secrets");
        let audit_key = secrets::load_or_create(&secret_dir.join("audit-chain.key"))
            .context("audit chain key")?;
        let cursor_key =
            secrets::load_or_create(&secret_dir.join("cursor.key")).context("cursor key")?;
        let key = ChainKey::from_bytes(&audit_key).context("audit chain key")?;
        let file = crate::FileConfig::load(&dir)?;
        let database = args.database.clone().or(file.database_url.clone());
        let store = match &database {
            Some(url) => Store::open(url)
                .await
                .context("cannot open the database (check --database)")?,
            None => Store::open_sqlite(&dir.join("bulwark.db"))
                .await
                .with_context(|| format!("cannot open {}", dir.join("bulwark.db").display()))?,
        }
        .with_audit_key(key);
        store.migrate().await.context("database migration failed")?;
        if store.roles().await?.is_empty() {
            let doc = PolicyDoc::builtin()?;
            bulwark_server::policy_cache::save(&store, &doc).await?;
        }
        Ok(Self {
            dir,
            store,
            cursor_key,
            file,
        })
    }
}

/// Password cost, overridable for tests (`BULWARK_ARGON2_M_KIB`, `BULWARK_ARGON2_T`).
pub fn password_cost() -> Cost {
    let mut c = Cost::default();
    if let Some(m) = std::env::var("BULWARK_ARGON2_M_KIB")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        c.m_kib = m;
    }
    if let Some(t) = std::env::var("BULWARK_ARGON2_T")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        c.t = t;
    }
    c
}

/// An audit event for a command-line action.
pub fn cli_event(action: &str, entity: Option<&str>, record_ids: Vec<String>) -> AuditEvent {
    let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    AuditEvent {
        version: EVENT_VERSION,
        time: bulwark_server::gate::now_rfc3339(),
        request_id: uuid::Uuid::new_v4().to_string(),
        actor_id: None,
        actor_name: Some(format!("cli:{who}")),
        roles: vec![],
        action: action.to_string(),
        entity: entity.map(str::to_string),
        record_ids,
        fields: vec![],
        outcome: Outcome::Success,
        status: 0,
        client_ip: None,
        reason: None,
    }
}

/// A random password of 20 URL-safe characters.
pub fn random_password() -> Result<String> {
    let b: [u8; 15] = secrets::random_bytes().map_err(|e| anyhow::anyhow!("{e}"))?;
    use base64::Engine as _;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}
