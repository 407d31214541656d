//! `bulwark`: the one binary. Serves the CRM, runs the demo, imports data and manages users,
//! tokens, policy and the audit trail from the command line.

use bulwark_cli::{DataArgs, ServeArgs, commands};

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Bulwark: a security-first CRM for supply-chain companies.
#[derive(Parser, Debug)]
#[command(name = "bulwark", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the HTTPS server.
    Serve {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Create the demo (Northwind + generated China data + one user per role) on first run,
    /// keep it on later runs, print fresh passwords for the demo users and serve.
    Demo {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        serve: ServeArgs,
        /// Number of generated mainland-China accounts (with contacts, orders, contracts,
        /// settlements and tickets).
        #[arg(long, default_value_t = 200)]
        generate: u32,
        /// Set up the data and print the logins, but do not serve.
        #[arg(long)]
        no_serve: bool,
    },
    /// Prepare a data directory: secrets, certificate, schema, built-in roles; optionally the
    /// first administrator (its random initial password is printed once).
    Init {
        #[command(flatten)]
        data: DataArgs,
        /// Create this user with the sysadmin role.
        #[arg(long)]
        admin: Option<String>,
    },
    /// Import CSV files described by a mapping file: all rows or none.
    Import {
        #[command(flatten)]
        data: DataArgs,
        /// Mapping file (TOML), see docs/import.md.
        #[arg(long)]
        mapping: PathBuf,
        /// Validate and report only; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Manage users.
    User {
        #[command(flatten)]
        data: DataArgs,
        #[command(subcommand)]
        cmd: commands::user::UserCmd,
    },
    /// Manage personal API tokens.
    Token {
        #[command(flatten)]
        data: DataArgs,
        #[command(subcommand)]
        cmd: commands::token::TokenCmd,
    },
    /// Inspect and verify the audit trail.
    Audit {
        #[command(flatten)]
        data: DataArgs,
        #[command(subcommand)]
        cmd: commands::audit::AuditCmd,
    },
    /// Show, change and explain the access policy.
    Policy {
        #[command(flatten)]
        data: DataArgs,
        #[command(subcommand)]
        cmd: commands::policy::PolicyCmd,
    },
}

fn main() -> ExitCode {
    // One rustls crypto provider for the whole process (ring), before anything uses TLS.
    let _ = rustls::crypto::ring::default_provider().install_default();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BULWARK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async move {
        match cli.command {
            Command::Serve { data, serve } => commands::serve::run(&data, &serve).await,
            Command::Demo {
                data,
                serve,
                generate,
                no_serve,
            } => commands::demo::run(&data, &serve, generate, no_serve).await,
            Command::Init { data, admin } => commands::init::run(&data, admin.as_deref()).await,
            Command::Import {
                data,
                mapping,
                dry_run,
            } => commands::import::run(&data, &mapping, dry_run).await,
            Command::User { data, cmd } => commands::user::run(&data, cmd).await,
            Command::Token { data, cmd } => commands::token::run(&data, cmd).await,
            Command::Audit { data, cmd } => commands::audit::run(&data, cmd).await,
            Command::Policy { data, cmd } => commands::policy::run(&data, cmd).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
