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
    #[arg(long, env = "BULWARK_DATA_DIR", default_value = "./bulwark-data")]
    pub data_dir: PathBuf,
    /// Database URL (`postgres://…`); default is SQLite `bulwark.db` in the data directory.
    #[arg(long, env = "BULWARK_DATABASE_URL")]
    pub database: Option<String>,
}

/// How the server listens.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BULWARK_LISTEN", default_value = "127.0.0.1:8443")]
    pub listen: String,
    /// PEM certificate chain (default: a self-signed certificate in the data directory).
    #[arg(long, env = "BULWARK_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "BULWARK_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Speak plain HTTP. Only behind a reverse proxy that terminates TLS.
    #[arg(long, env = "BULWARK_INSECURE_PLAIN_HTTP")]
    pub plain_http_behind_proxy: bool,
    /// Session idle timeout in minutes.
    #[arg(long, env = "BULWARK_SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: i64,
    /// Benchmark only: mount /bench/bare/* routes without policy, masking or audit.
    #[arg(long, hide = true, env = "BULWARK_BENCH_BARE_ROUTES")]
    pub bench_bare_routes: bool,
}
