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
        if !dir.exists() {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create data directory {}", dir.display()))?;
            // Personal data, password hashes and secrets live here: owner only.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                    .with_context(|| format!("cannot restrict {}", dir.display()))?;
            }
        }
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
            None => Store::open_sqlite_with(
                &dir.join("bulwark.db"),
                match args.sqlite_synchronous.as_deref() {
                    Some("normal") => bulwark_store::SqliteDurability::Normal,
                    _ => bulwark_store::SqliteDurability::Full,
                },
            )
            .await
            .with_context(|| format!("cannot open {}", dir.join("bulwark.db").display()))?,
        }
        .with_audit_key(key);
        #[cfg(unix)]
        if database.is_none() {
            use std::os::unix::fs::PermissionsExt;
            for f in ["bulwark.db", "bulwark.db-wal", "bulwark.db-shm"] {
                let p = dir.join(f);
                if p.exists() {
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                        .with_context(|| format!("cannot restrict {}", p.display()))?;
                }
            }
        }
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

impl Ctx {
    /// Opens a data directory that must already exist (every command but `init`, `demo` and
    /// `serve`), so a mistyped `--data-dir` never silently creates an empty one.
    pub async fn open_existing(args: &DataArgs) -> Result<Self> {
        let fresh_sqlite = args.database.is_none()
            && crate::FileConfig::load(&args.data_dir)
                .map(|f| f.database_url.is_none())
                .unwrap_or(true)
            && !args.data_dir.join("bulwark.db").exists();
        if !args.data_dir.is_dir() || fresh_sqlite {
            anyhow::bail!(
                "no Bulwark data in {} (give --data-dir, or run `bulwark init` or `bulwark demo` first)",
                args.data_dir.display()
            );
        }
        Self::open(args).await
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

/// Who runs the command: the login name from the environment, else the numeric uid.
fn operator() -> String {
    for var in ["SUDO_USER", "USER", "LOGNAME"] {
        if let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            return bulwark_domain::text::truncate_graphemes(&v, 32);
        }
    }
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| format!("uid {u}")))
        })
        .unwrap_or_else(|| "unknown".into())
}

/// An audit event for a command-line action.
pub fn cli_event(action: &str, entity: Option<&str>, record_ids: Vec<String>) -> AuditEvent {
    let who = operator();
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
