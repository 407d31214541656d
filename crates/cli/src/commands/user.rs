//! `bulwark user add|list|disable|set-password`

use crate::DataArgs;
use crate::context::{Ctx, cli_event, password_cost, random_password};
use anyhow::{Context as _, Result, bail};
use bulwark_domain::{Entity, Value};
use bulwark_store::{NewRecord, ScopeCtx};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// User subcommands.
#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Create a user. Prints a random initial password unless --password-file is given.
    Add {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Role (repeat for several).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Username of the manager (builds the team hierarchy).
        #[arg(long)]
        manager: Option<String>,
        /// Region (for region-scoped roles).
        #[arg(long)]
        region: Option<String>,
        /// File holding the password (first line).
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// List users.
    List,
    /// Assign a user to an account (a field visit list, or sharing one account with a
    /// colleague): the account and its records come into the user's "own" scope.
    Assign {
        /// Login name.
        username: String,
        /// Account id.
        #[arg(long)]
        account: String,
    },
    /// Disable a user: login refused, every session and API token ended at once.
    Disable {
        /// Login name.
        username: String,
    },
    /// Set a user's password from a file (first line; at least 12 characters). Ends the
    /// user's sessions and API tokens.
    SetPassword {
        /// Login name.
        username: String,
        /// File holding the password.
        #[arg(long)]
        password_file: PathBuf,
    },
}

fn read_password(path: &PathBuf) -> Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let pw = text.lines().next().unwrap_or_default().to_string();
    if pw.chars().count() < 12 {
        bail!("the password must have at least 12 characters");
    }
    if pw.len() > 1024 {
        bail!("the password is too long");
    }
    Ok(pw)
}

/// Creates a user (and its password if given). Returns the id.
pub async fn add_user(
    ctx: &Ctx,
    username: &str,
    roles: &[String],
    manager: Option<&str>,
    region: Option<&str>,
    password: Option<&str>,
) -> Result<String> {
    let policy = bulwark_server::policy_cache::load(&ctx.store).await?;
    for r in roles {
        if !policy.roles.contains_key(r) {
            bail!(
                "unknown role {r:?}; roles are: {}",
                policy.roles.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    let def = Entity::Users.def();
    let username_v = bulwark_domain::value::parse_input(
        def.field("username").context("catalogue")?,
        &serde_json::json!(username),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    bulwark_domain::validate::username(username).map_err(|m| anyhow::anyhow!("username {m}"))?;
    if ctx.store.user_by_username(username).await?.is_some() {
        bail!("a user named {username:?} already exists");
    }
    let manager_id = match manager {
        Some(m) => Some(
            ctx.store
                .user_by_username(m)
                .await?
                .with_context(|| format!("no user named {m:?}"))?
                .user_id,
        ),
        None => None,
    };
    let id = uuid::Uuid::now_v7().to_string();
    let mut values = vec![
        ("username", username_v),
        ("display_name", Value::Text(username.to_string())),
        ("roles", Value::Text(roles.join(" "))),
        ("status", Value::Text("active".into())),
    ];
    if let Some(m) = manager_id {
        values.push(("manager_id", Value::Text(m)));
    }
    if let Some(r) = region {
        values.push(("region", Value::Text(r.to_string())));
    }
    let rec = NewRecord {
        entity: Entity::Users,
        id: id.clone(),
        values,
    };
    let mut ev = cli_event("user.create", Some("users"), vec![id.clone()]);
    ev.fields = vec!["username".into(), "roles".into()];
    ctx.store.create(&rec, ev).await?;
    if let Some(pw) = password {
        set_password(ctx, &id, pw).await?;
    }
    Ok(id)
}

async fn set_password(ctx: &Ctx, user_id: &str, pw: &str) -> Result<()> {
    let cost = password_cost();
    let pw = pw.to_string();
    let hash = tokio::task::spawn_blocking(move || bulwark_server::password::hash_sync(cost, &pw))
        .await?
        .map_err(anyhow::Error::msg)?;
    ctx.store.set_password_hash(user_id, &hash).await?;
    // A new password ends every existing session and API token of the user.
    let (sessions, tokens) = ctx.store.revoke_all(user_id).await?;
    let mut ev = cli_event(
        "user.set_password",
        Some("users"),
        vec![user_id.to_string()],
    );
    ev.reason = Some(format!(
        "{sessions} session(s) and {tokens} API token(s) revoked"
    ));
    ctx.store.append_audit(&[ev]).await?;
    Ok(())
}

/// Sets a user's password by username (used by the demo too).
pub async fn set_password_by_name(ctx: &Ctx, username: &str, pw: &str) -> Result<()> {
    let u = ctx
        .store
        .user_by_username(username)
        .await?
        .with_context(|| format!("no user named {username:?}"))?;
    set_password(ctx, &u.user_id, pw).await
}

/// `bulwark user …`
pub async fn run(data: &DataArgs, cmd: UserCmd) -> Result<ExitCode> {
    let ctx = Ctx::open_existing(data).await?;
    match cmd {
        UserCmd::Add {
            username,
            roles,
            manager,
            region,
            password_file,
        } => {
            let (pw, printed) = match &password_file {
                Some(f) => (read_password(f)?, false),
                None => (random_password()?, true),
            };
            let id = add_user(
                &ctx,
                &username,
                &roles,
                manager.as_deref(),
                region.as_deref(),
                Some(&pw),
            )
            .await?;
            println!(
                "created user {username} ({id}) with role(s) {}",
                roles.join(", ")
            );
            if printed {
                println!(
                    "initial password (shown once; change it with `bulwark user set-password`):"
                );
                println!("{pw}");
            }
        }
        UserCmd::List => {
            println!("{:<24} {:<10} {:<28} ID", "USERNAME", "STATUS", "ROLES");
            for u in ctx.store.all_users().await? {
                println!(
                    "{:<24} {:<10} {:<28} {}",
                    u.username,
                    u.status,
                    u.roles.join(","),
                    u.user_id
                );
            }
        }
        UserCmd::Assign { username, account } => {
            let u = ctx
                .store
                .user_by_username(&username)
                .await?
                .with_context(|| format!("no user named {username:?}"))?;
            let ctx_all = ScopeCtx::unscoped();
            if ctx
                .store
                .get(Entity::Accounts, &account, &ctx_all)
                .await?
                .is_none()
            {
                bail!("no account with id {account:?}");
            }
            let mut ev = cli_event("assign", Some("accounts"), vec![account.clone()]);
            ev.reason = Some(format!("assigned to user {}", u.user_id));
            ctx.store.assign(&account, &u.user_id, ev).await?;
            println!("assigned {username} to account {account}");
        }
        UserCmd::Disable { username } => {
            let u = ctx
                .store
                .user_by_username(&username)
                .await?
                .with_context(|| format!("no user named {username:?}"))?;
            let mut ev = cli_event("user.disable", Some("users"), vec![u.user_id.clone()]);
            ev.fields = vec!["status".into()];
            ctx.store
                .update(
                    Entity::Users,
                    &u.user_id,
                    &[("status", Value::Text("disabled".into()))],
                    &ScopeCtx::unscoped(),
                    ev,
                )
                .await?;
            let (s, t) = ctx.store.revoke_all(&u.user_id).await?;
            let mut ev = cli_event("user.revoke", Some("users"), vec![u.user_id.clone()]);
            ev.reason = Some(format!(
                "disabled: {s} session(s) and {t} API token(s) revoked"
            ));
            ctx.store.append_audit(&[ev]).await?;
            println!("disabled {username}: {s} session(s) and {t} API token(s) revoked");
        }
        UserCmd::SetPassword {
            username,
            password_file,
        } => {
            let pw = read_password(&password_file)?;
            set_password_by_name(&ctx, &username, &pw).await?;
            println!("password set for {username}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
