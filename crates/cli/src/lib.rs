//! The `bulwark` command line as a library: every command, the data-directory context, the
//! demo data generator and the CSV importer (so integration tests can drive them directly).

pub mod commands;
pub mod context;
pub mod generate;
pub mod import;

use std::path::PathBuf;

/// Where the data lives (shared by every command).
#[derive(clap::Args, Debug, Clone)]
pub struct DataArgs {
    /// Data directory: SQLite database, TLS certificate, secrets.
    #[arg(
        long,
        global = true,
        env = "BULWARK_DATA_DIR",
        default_value = "./bulwark-data"
    )]
    pub data_dir: PathBuf,
    /// Database URL (`postgres://…`); default is SQLite `bulwark.db` in the data directory.
    #[arg(long, global = true, env = "BULWARK_DATABASE_URL")]
    pub database: Option<String>,
    /// SQLite only: `full` fsyncs every commit (default); `normal` survives a killed process
    /// but may lose the last commits on power failure.
    #[arg(long, global = true, env = "BULWARK_SQLITE_SYNCHRONOUS", value_parser = ["full", "normal"])]
    pub sqlite_synchronous: Option<String>,
}

/// Settings read from `DATA_DIR/bulwark.toml` when present. Flags and `BULWARK_*`
/// environment variables take precedence over the file; the file over built-in defaults.
/// Secrets are never read from it.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Database URL (`postgres://…`).
    pub database_url: Option<String>,
    /// Listen address.
    pub listen: Option<String>,
    /// PEM certificate chain.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key.
    pub tls_key: Option<PathBuf>,
    /// Session idle timeout in minutes.
    pub session_idle_minutes: Option<i64>,
}

impl FileConfig {
    /// Reads `bulwark.toml` from the data directory (absent file: all defaults).
    pub fn load(data_dir: &std::path::Path) -> anyhow::Result<Self> {
        let path = data_dir.join("bulwark.toml");
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
        }
    }
}

/// How the server listens.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8443, or `listen` in bulwark.toml].
    #[arg(long, env = "BULWARK_LISTEN")]
    pub listen: Option<String>,
    /// PEM certificate chain (default: a self-signed certificate in the data directory).
    #[arg(long, env = "BULWARK_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "BULWARK_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Speak plain HTTP. Only behind a reverse proxy that terminates TLS.
    #[arg(long, env = "BULWARK_INSECURE_PLAIN_HTTP")]
    pub plain_http_behind_proxy: bool,
    /// Session idle timeout in minutes [default: 30].
    #[arg(long, env = "BULWARK_SESSION_IDLE_MINUTES")]
    pub session_idle_minutes: Option<i64>,
    /// Benchmark only: mount /bench/bare/* routes without policy, masking or audit.
    #[arg(long, hide = true, env = "BULWARK_BENCH_BARE_ROUTES")]
    pub bench_bare_routes: bool,
}

impl ServeArgs {
    /// Fills what flags and environment left unset from the data directory's config file.
    pub fn resolve(&self, file: &FileConfig) -> ServeArgs {
        let mut out = self.clone();
        if out.listen.is_none() {
            out.listen = Some(
                file.listen
                    .clone()
                    .unwrap_or_else(|| "127.0.0.1:8443".into()),
            );
        }
        if out.tls_cert.is_none() && out.tls_key.is_none() {
            out.tls_cert = file.tls_cert.clone();
            out.tls_key = file.tls_key.clone();
        }
        if out.session_idle_minutes.is_none() {
            out.session_idle_minutes = Some(file.session_idle_minutes.unwrap_or(30));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn config_file_fills_only_what_flags_left_unset() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bulwark.toml"),
            "listen = \"0.0.0.0:9443\"\nsession_idle_minutes = 10\n",
        )
        .unwrap();
        let file = FileConfig::load(dir.path()).unwrap();
        let args = ServeArgs {
            listen: None,
            tls_cert: None,
            tls_key: None,
            plain_http_behind_proxy: false,
            session_idle_minutes: Some(5),
            bench_bare_routes: false,
        };
        let r = args.resolve(&file);
        assert_eq!(r.listen.as_deref(), Some("0.0.0.0:9443"));
        assert_eq!(r.session_idle_minutes, Some(5), "the flag wins");
        let none = FileConfig::load(&dir.path().join("absent")).unwrap();
        assert_eq!(
            args.resolve(&none).listen.as_deref(),
            Some("127.0.0.1:8443")
        );
        std::fs::write(dir.path().join("bulwark.toml"), "password = \"x\"\n").unwrap();
        assert!(
            FileConfig::load(dir.path()).is_err(),
            "unknown keys are refused"
        );
    }
}
