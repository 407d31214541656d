//! `bulwark token create`

use crate::DataArgs;
use crate::context::{Ctx, cli_event};
use anyhow::{Context as _, Result, bail};
use bulwark_server::auth::{TOKEN_PREFIX, digest, new_secret};
use clap::Subcommand;
use std::process::ExitCode;

/// Token subcommands.
#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Create a personal API token; the token is printed as the last line, once.
    Create {
        /// Username the token acts as.
        #[arg(long)]
        user: String,
        /// Lifetime: e.g. 30m, 1h, 7d (at most 90d).
        #[arg(long, default_value = "1h")]
        ttl: String,
        /// A name to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

/// Parses `30m`, `1h`, `7d` (at most 90 days).
pub fn parse_ttl(s: &str) -> Result<time::Duration> {
    let (num, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = num
        .parse()
        .with_context(|| format!("--ttl {s:?}: use e.g. 30m, 1h, 7d"))?;
    let d = match unit {
        "s" => time::Duration::seconds(n),
        "m" => time::Duration::minutes(n),
        "h" => time::Duration::hours(n),
        "d" => time::Duration::days(n),
        _ => bail!("--ttl {s:?}: use e.g. 30m, 1h, 7d"),
    };
    if d <= time::Duration::ZERO || d > time::Duration::days(90) {
        bail!("--ttl must be between 1s and 90d");
    }
    Ok(d)
}

/// `bulwark token …`
pub async fn run(data: &DataArgs, cmd: TokenCmd) -> Result<ExitCode> {
    let TokenCmd::Create { user, ttl, name } = cmd;
    let ttl = parse_ttl(&ttl)?;
    let ctx = Ctx::open_existing(data).await?;
    let u = ctx
        .store
        .user_by_username(&user)
        .await?
        .with_context(|| format!("no user named {user:?}"))?;
    if u.status != "active" {
        bail!(
            "user {user:?} is {}; tokens are only issued to active users",
            u.status
        );
    }
    let token = format!(
        "{TOKEN_PREFIX}{}",
        new_secret().map_err(|e| anyhow::anyhow!("{e}"))?
    );
    let id = uuid::Uuid::now_v7().to_string();
    let expires = bulwark_domain::value::format_timestamp(time::OffsetDateTime::now_utc() + ttl);
    ctx.store
        .create_token(&id, &digest(&token), &u.user_id, &name, &expires)
        .await?;
    let mut ev = cli_event("token.create", Some("users"), vec![u.user_id.clone()]);
    ev.reason = Some(format!("token {id} expires {expires}"));
    ctx.store.append_audit(&[ev]).await?;
    eprintln!("token {id} for {user}, expires {expires}");
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}
