//! `bulwark policy show|set|explain`

use crate::DataArgs;
use crate::context::{Ctx, cli_event};
use anyhow::{Context as _, Result, bail};
use bulwark_domain::Entity;
use bulwark_policy::{Access, Action, Decision, FieldRule, PolicyDoc, Relation, decide};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// Policy subcommands.
#[derive(Subcommand, Debug)]
pub enum PolicyCmd {
    /// Print the roles in force as TOML (all, or one).
    Show {
        /// Only this role.
        #[arg(long)]
        role: Option<String>,
    },
    /// Replace every role with the roles in a TOML file (validated first).
    Set {
        /// The policy file (same format as `policy show`).
        #[arg(long)]
        file: PathBuf,
    },
    /// Explain what a user gets on an entity (and on one record), and why.
    Explain {
        /// Username.
        #[arg(long)]
        user: String,
        /// Entity (accounts, contacts, …).
        #[arg(long)]
        entity: String,
        /// A record id, to explain field levels that depend on ownership.
        #[arg(long)]
        id: Option<String>,
    },
}

fn rule_text(r: &FieldRule) -> String {
    match r {
        FieldRule::Level(a) => a.as_str().to_string(),
        FieldRule::Elevated { level, full_within } => {
            format!(
                "{} (full on {} records)",
                level.as_str(),
                full_within.as_str()
            )
        }
    }
}

/// Prints the explanation.
pub async fn explain(ctx: &Ctx, user: &str, entity: &str, id: Option<&str>) -> Result<String> {
    use std::fmt::Write as _;
    let entity = Entity::parse(entity).with_context(|| {
        format!(
            "unknown entity {entity:?}; entities are: {}",
            bulwark_domain::catalogue::ALL
                .iter()
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let policy = bulwark_server::policy_cache::load(&ctx.store).await?;
    let u = ctx
        .store
        .user_by_username(user)
        .await?
        .with_context(|| format!("no user named {user:?}"))?;
    let mut out = String::new();
    writeln!(
        out,
        "user {} ({}), status {}, roles: {}",
        u.username,
        u.user_id,
        u.status,
        if u.roles.is_empty() {
            "(none)".into()
        } else {
            u.roles.join(", ")
        }
    )?;
    if u.status != "active" {
        writeln!(
            out,
            "  the account is {}: every request is refused (401)",
            u.status
        )?;
    }
    writeln!(out, "entity {entity}:")?;
    for role in &u.roles {
        match policy.roles.get(role).and_then(|r| r.entities.get(&entity)) {
            None => writeln!(out, "  role {role}: grants nothing on {entity}")?,
            Some(g) => {
                let acts: Vec<&str> = g.actions.iter().map(|a| a.as_str()).collect();
                writeln!(
                    out,
                    "  role {role}: actions [{}], scope {}, unlisted fields {}",
                    acts.join(", "),
                    g.scope.as_str(),
                    g.default.as_str()
                )?;
            }
        }
    }
    let read = decide(&policy, &u.roles, entity, Action::Read);
    let Decision::Allow(grant) = read else {
        writeln!(
            out,
            "result: no role grants read on {entity} → 403 for every request"
        )?;
        return Ok(out);
    };
    for a in Action::ALL {
        let allowed = matches!(decide(&policy, &u.roles, entity, a), Decision::Allow(_));
        writeln!(
            out,
            "  {:<8} {}",
            a.as_str(),
            if allowed { "allowed" } else { "denied (403)" }
        )?;
    }
    writeln!(
        out,
        "record scope (widest of the roles): {} — records outside it answer 404",
        grant.scope().as_str()
    )?;
    let row = match id {
        Some(id) => {
            let mut sctx = bulwark_server::gate::scope_ctx(
                &bulwark_server::auth::Actor {
                    user_id: u.user_id.clone(),
                    username: u.username.clone(),
                    roles: u.roles.clone(),
                    region: u.region.clone(),
                    policy: std::sync::Arc::new(policy.clone()),
                    via: bulwark_server::auth::Via::Token,
                    meta: bulwark_server::auth::RequestMeta {
                        request_id: String::new(),
                        client_ip: None,
                    },
                },
                &grant,
            );
            let in_scope = ctx.store.get(entity, id, &sctx).await?;
            sctx.scope = bulwark_policy::Scope::All;
            let any = ctx.store.get(entity, id, &sctx).await?;
            match (in_scope, any) {
                (Some(r), _) => {
                    let rel = r.relation;
                    writeln!(
                        out,
                        "record {id}: in scope (owned {}, assigned {}, team {}, region {})",
                        rel.owned, rel.assigned, rel.team, rel.region
                    )?;
                    Some(rel)
                }
                (None, Some(r)) => {
                    writeln!(
                        out,
                        "record {id}: exists but lies outside the user's scope → 404"
                    )?;
                    let _ = r;
                    return Ok(out);
                }
                (None, None) => {
                    writeln!(out, "record {id}: does not exist → 404")?;
                    return Ok(out);
                }
            }
        }
        None => None,
    };
    writeln!(
        out,
        "fields (level{}; per role):",
        if row.is_some() {
            " on this record"
        } else {
            " on records the user does not own"
        }
    )?;
    let rel = row.unwrap_or(Relation {
        owned: false,
        assigned: true,
        team: false,
        region: false,
        public: false,
    });
    for (idx, f) in entity.def().fields.iter().enumerate() {
        let level = grant.access(idx, rel);
        let per_role: Vec<String> = grant
            .parts
            .iter()
            .map(|p| format!("{}: {}", p.role, rule_text(&p.fields[idx])))
            .collect();
        let note = match level {
            Access::Hidden => "absent from the answer",
            Access::Masked => "masked",
            Access::Full => "in clear",
        };
        writeln!(
            out,
            "  {:<18} {:<7} {:<22} [{}] ({})",
            f.name,
            level.as_str(),
            note,
            per_role.join("; "),
            f.class.as_str()
        )?;
    }
    writeln!(
        out,
        "multi-role rule: each field takes the highest level among the roles whose own scope covers the record"
    )?;
    Ok(out)
}

/// `bulwark policy …`
pub async fn run(data: &DataArgs, cmd: PolicyCmd) -> Result<ExitCode> {
    let ctx = Ctx::open_existing(data).await?;
    match cmd {
        PolicyCmd::Show { role } => {
            let doc = bulwark_server::policy_cache::load(&ctx.store).await?;
            let doc = match role {
                Some(r) => {
                    let def = doc
                        .roles
                        .get(&r)
                        .with_context(|| format!("no role {r:?}"))?;
                    PolicyDoc {
                        roles: [(r.clone(), def.clone())].into_iter().collect(),
                    }
                }
                None => doc,
            };
            print!("{}", doc.to_toml()?);
        }
        PolicyCmd::Set { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let doc = PolicyDoc::from_toml(&text)?;
            if doc.roles.is_empty() {
                bail!("the policy file defines no roles");
            }
            bulwark_server::policy_cache::save(&ctx.store, &doc).await?;
            let mut ev = cli_event("policy.set", None, vec![]);
            ev.fields = doc.roles.keys().cloned().collect();
            ctx.store.append_audit(&[ev]).await?;
            println!(
                "policy replaced: {} role(s); running servers apply it on their next request",
                doc.roles.len()
            );
        }
        PolicyCmd::Explain { user, entity, id } => {
            print!("{}", explain(&ctx, &user, &entity, id.as_deref()).await?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
