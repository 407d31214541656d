//! `bulwark init [--admin NAME]`

use crate::DataArgs;
use crate::context::Ctx;
use anyhow::Result;
use std::process::ExitCode;

/// `bulwark init`
pub async fn run(data: &DataArgs, admin: Option<&str>) -> Result<ExitCode> {
    let ctx = Ctx::open(data).await?;
    let (paths, _) = bulwark_server::tls::ensure_self_signed(&ctx.dir.join("tls"))?;
    println!("data directory ready: {}", ctx.dir.display());
    println!(
        "TLS certificate SHA-256 fingerprint: {}",
        bulwark_server::tls::fingerprint(&paths)?
    );
    if let Some(name) = admin {
        let password = crate::context::random_password()?;
        super::user::add_user(
            &ctx,
            name,
            &["sysadmin".to_string()],
            None,
            None,
            Some(&password),
        )
        .await?;
        println!(
            "created administrator {name}; its initial password (shown once; change it with `bulwark user set-password`):"
        );
        println!("{password}");
    }
    Ok(ExitCode::SUCCESS)
}
