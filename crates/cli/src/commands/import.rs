//! `bulwark import --mapping FILE [--dry-run]`

use crate::DataArgs;
use crate::context::{Ctx, cli_event};
use crate::import::{Plan, plan};
use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::process::ExitCode;

fn bar(label: &str) -> ProgressBar {
    let pb = ProgressBar::new(0);
    pb.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} rows ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(label.to_string());
    pb
}

/// Validates a mapping and prints the row error report. Returns the plan if it is clean.
pub fn plan_and_report(mapping: &Path) -> Result<Option<Plan>> {
    let pb = bar("checking");
    let p = plan(mapping, &|done, total| {
        pb.set_length(total);
        pb.set_position(done);
    })?;
    pb.finish_and_clear();
    if !p.is_clean() {
        eprintln!(
            "import refused: {} row error(s); nothing was written",
            p.errors.len() + p.errors_omitted
        );
        for e in &p.errors {
            eprintln!("  {e}");
        }
        if p.errors_omitted > 0 {
            eprintln!("  … and {} more", p.errors_omitted);
        }
        return Ok(None);
    }
    Ok(Some(p))
}

/// Commits a clean plan in one transaction with one audit event per entity.
pub async fn commit(ctx: &Ctx, p: &Plan, source: &str) -> Result<()> {
    let mut events = Vec::new();
    for entity in p.counts.keys() {
        let ids: Vec<String> = p
            .records
            .iter()
            .filter(|r| r.entity == *entity)
            .map(|r| r.id.clone())
            .collect();
        let mut ev = cli_event("import", Some(entity.as_str()), ids);
        ev.reason = Some(format!("import from {source}"));
        events.push(ev);
    }
    let pb = bar("writing");
    pb.set_length(p.records.len() as u64);
    let counts = ctx
        .store
        .import(&p.records, &p.assignments, &events, &|n| pb.set_position(n))
        .await?;
    pb.finish_and_clear();
    for (entity, n) in counts {
        println!("{n:>8} {entity}");
    }
    Ok(())
}

/// `bulwark import`
pub async fn run(data: &DataArgs, mapping: &Path, dry_run: bool) -> Result<ExitCode> {
    let Some(p) = plan_and_report(mapping)? else {
        return Ok(ExitCode::FAILURE);
    };
    if dry_run {
        println!("dry run: the import is valid and would create:");
        for (entity, n) in &p.counts {
            println!("{n:>8} {entity}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let ctx = Ctx::open(data).await?;
    commit(&ctx, &p, &mapping.display().to_string()).await?;
    println!("import committed");
    Ok(ExitCode::SUCCESS)
}
