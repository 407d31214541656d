//! `bulwark audit verify`

use crate::DataArgs;
use crate::context::Ctx;
use anyhow::Result;
use clap::Subcommand;
use std::process::ExitCode;

/// Exit code of `audit verify` when the trail is broken (1 is any other error, 2 a usage
/// error).
pub const TAMPERED: u8 = 3;

/// Audit subcommands.
#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Recompute the keyed hash chain; exit 3 naming the first bad event.
    Verify,
}

/// `bulwark audit …`
pub async fn run(data: &DataArgs, cmd: AuditCmd) -> Result<ExitCode> {
    let AuditCmd::Verify = cmd;
    let ctx = Ctx::open_existing(data).await?;
    match ctx.store.verify_own_audit().await? {
        Ok(s) => {
            println!("audit trail verified: {} event(s), chain intact", s.entries);
            Ok(ExitCode::SUCCESS)
        }
        Err(fault) => {
            println!("AUDIT TRAIL BROKEN: {fault}");
            println!("first bad sequence number: {}", fault.seq);
            Ok(ExitCode::from(TAMPERED))
        }
    }
}
