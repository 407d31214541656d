//! `bulwark demo`: a fresh data directory with Northwind, generated mainland-China data and
//! one user per role, then the server. Re-running keeps existing data; it only issues new
//! random passwords to the demo users and prints them.

use crate::commands::{import, serve, user};
use crate::context::{Ctx, cli_event, random_password};
use crate::generate::{People, generate};
use crate::{DataArgs, ServeArgs};
use anyhow::{Context as _, Result};
use bulwark_domain::{Entity, Value};
use bulwark_store::{Dir, ListQuery, ScopeCtx};
use std::path::Path;
use std::process::ExitCode;

/// The Northwind files, embedded so the binary needs nothing else.
const NORTHWIND: &[(&str, &str)] = &[
    (
        "mapping.toml",
        include_str!("../../../../data/northwind/mapping.toml"),
    ),
    (
        "categories.csv",
        include_str!("../../../../data/northwind/categories.csv"),
    ),
    (
        "customers.csv",
        include_str!("../../../../data/northwind/customers.csv"),
    ),
    (
        "employees.csv",
        include_str!("../../../../data/northwind/employees.csv"),
    ),
    (
        "order_details.csv",
        include_str!("../../../../data/northwind/order_details.csv"),
    ),
    (
        "orders.csv",
        include_str!("../../../../data/northwind/orders.csv"),
    ),
    (
        "products.csv",
        include_str!("../../../../data/northwind/products.csv"),
    ),
    (
        "shippers.csv",
        include_str!("../../../../data/northwind/shippers.csv"),
    ),
    (
        "suppliers.csv",
        include_str!("../../../../data/northwind/suppliers.csv"),
    ),
];

/// Demo users: (username = role, manager, region).
const DEMO_USERS: &[(&str, Option<&str>, Option<&str>)] = &[
    ("sysadmin", None, None),
    ("secadmin", None, None),
    ("auditor", None, None),
    ("executive", None, None),
    ("sales_manager", Some("executive"), Some("上海市")),
    ("sales", Some("sales_manager"), Some("上海市")),
    ("field_staff", Some("sales_manager"), Some("上海市")),
    ("procurement", None, None),
    ("logistics", None, None),
    ("after_sales", None, None),
    ("finance", None, None),
];

const SEEDED: &str = "demo.seeded";

fn write_northwind(dir: &Path) -> Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, text) in NORTHWIND {
        std::fs::write(dir.join(name), text)
            .with_context(|| format!("cannot write {}", dir.join(name).display()))?;
    }
    Ok(dir.join("mapping.toml"))
}

/// Imports Northwind, creates the demo users and generates `n` accounts (once).
pub async fn seed(ctx: &Ctx, n: u32) -> Result<()> {
    eprintln!("importing Northwind…");
    let mapping = write_northwind(&ctx.dir.join("seed").join("northwind"))?;
    let plan = import::plan_and_report(&mapping)?
        .context("the embedded Northwind data did not validate")?;
    import::commit(ctx, &plan, "embedded Northwind").await?;
    eprintln!("creating one demo user per role…");
    for (name, manager, region) in DEMO_USERS {
        if ctx.store.user_by_username(name).await?.is_none() {
            user::add_user(ctx, name, &[name.to_string()], *manager, *region, None).await?;
        }
    }
    let id_of = |u: Option<bulwark_store::AuthRow>| u.map(|u| u.user_id);
    let mut owners = Vec::new();
    for u in ctx.store.all_users().await? {
        if u.roles.iter().any(|r| r == "sales") && u.username != "sales" {
            owners.push(u.user_id);
        }
    }
    let mut products = Vec::new();
    let q = ListQuery {
        sort: ("name", Dir::Asc),
        filters: vec![],
        search: None,
        after: None,
        limit: 1000,
    };
    let price_idx = Entity::Products
        .def()
        .fields
        .iter()
        .position(|f| f.name == "unit_price")
        .context("catalogue")?;
    for r in ctx
        .store
        .list(Entity::Products, &q, &ScopeCtx::unscoped())
        .await?
    {
        if let Some(Value::Int(p)) = r.values.get(price_idx) {
            products.push((r.id().to_string(), *p));
        }
    }
    let people = People {
        owners,
        demo_sales: id_of(ctx.store.user_by_username("sales").await?),
        field_staff: id_of(ctx.store.user_by_username("field_staff").await?),
        after_sales: id_of(ctx.store.user_by_username("after_sales").await?),
        products,
    };
    eprintln!(
        "generating {n} mainland-China accounts with contacts, orders, shipments, contracts, settlements and tickets…"
    );
    let (records, assignments) = generate(n, &people)?;
    let mut events = Vec::new();
    let mut by_entity: std::collections::BTreeMap<Entity, Vec<String>> = Default::default();
    for r in &records {
        by_entity.entry(r.entity).or_default().push(r.id.clone());
    }
    for (e, ids) in by_entity {
        let mut ev = cli_event("import", Some(e.as_str()), ids);
        ev.reason = Some("demo generator".into());
        events.push(ev);
    }
    let mut ev = cli_event(
        "assign",
        Some("accounts"),
        assignments.iter().map(|a| a.0.clone()).collect(),
    );
    ev.reason = Some("demo field staff visit list".into());
    events.push(ev);
    let pb = indicatif::ProgressBar::new(records.len() as u64);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "   writing [{bar:40}] {pos}/{len} records ({eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let counts = ctx
        .store
        .import(&records, &assignments, &events, &|i| pb.set_position(i))
        .await?;
    pb.finish_and_clear();
    for (e, c) in counts {
        eprintln!("{c:>8} generated {e}");
    }
    ctx.store.set_meta(SEEDED, &n.to_string()).await?;
    Ok(())
}

/// `bulwark demo`
pub async fn run(
    data: &DataArgs,
    serve_args: &ServeArgs,
    n: u32,
    no_serve: bool,
) -> Result<ExitCode> {
    let ctx = Ctx::open(data).await?;
    match ctx.store.get_meta(SEEDED).await? {
        Some(prev) => eprintln!(
            "{} already holds demo data ({prev} generated accounts): keeping it",
            ctx.dir.display()
        ),
        None => seed(&ctx, n).await?,
    }
    // Recreate any demo user that was deleted since, so every role has a login again.
    for (name, manager, region) in DEMO_USERS {
        if ctx.store.user_by_username(name).await?.is_none() {
            let manager = match manager {
                Some(m) if ctx.store.user_by_username(m).await?.is_some() => Some(*m),
                _ => None,
            };
            user::add_user(&ctx, name, &[name.to_string()], manager, *region, None).await?;
        }
    }
    let mut logins = Vec::new();
    for (name, _, _) in DEMO_USERS {
        let pw = random_password()?;
        user::set_password_by_name(&ctx, name, &pw).await?;
        logins.push((name.to_string(), pw));
    }
    let print = |url: &str| {
        println!();
        println!("Bulwark demo at {url}");
        println!("Demo logins (new random passwords on every run of `bulwark demo`):");
        println!("  {:<14} PASSWORD", "USERNAME");
        for (u, p) in &logins {
            println!("  {u:<14} {p}");
        }
        println!();
        println!(
            "Try:  curl -sk -c jar -H 'content-type: application/json' -d '{{\"username\":\"field_staff\",\"password\":\"…\"}}' {url}/api/v1/auth/login"
        );
        println!("      curl -sk -b jar {url}/api/v1/accounts");
        println!();
    };
    if no_serve {
        print(&format!(
            "https://{}",
            serve_args.resolve(&ctx.file).listen.unwrap_or_default()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    serve::serve_until_signal(&ctx, serve_args, &print).await?;
    Ok(ExitCode::SUCCESS)
}
