//! The shipped Northwind import, committed into both engines with exact counts, and an import
//! with one bad row that leaves the database exactly as it was.

#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use bulwark_cli::commands::import::{commit, plan_and_report};
use bulwark_domain::Entity;
use common::*;
use std::path::{Path, PathBuf};

fn northwind() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/northwind/mapping.toml")
}

async fn counts(ctx: &bulwark_cli::context::Ctx) -> Vec<(Entity, i64)> {
    let mut v = Vec::new();
    for e in bulwark_domain::catalogue::ALL {
        v.push((*e, ctx.store.count(*e).await.unwrap()));
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn northwind_import_gives_exact_counts() {
    for engine in engines() {
        let (ctx, _dir, url) = open_ctx(engine).await;
        let plan = plan_and_report(&northwind()).unwrap().expect("clean plan");
        commit(&ctx, &plan, "northwind").await.unwrap();
        let want = [
            (Entity::Accounts, 91),
            (Entity::Contacts, 91),
            (Entity::Orders, 830),
            (Entity::OrderLines, 2155),
            (Entity::Users, 9),
            (Entity::Suppliers, 29),
            (Entity::Products, 77),
            (Entity::Shipments, 830),
        ];
        for (e, n) in want {
            assert_eq!(ctx.store.count(e).await.unwrap(), n, "{e} on {engine}");
        }
        // Order totals were recomputed from the lines in the same transaction.
        let id = ctx
            .store
            .id_by_external(Entity::Orders, "10248")
            .await
            .unwrap()
            .unwrap();
        let all = bulwark_store::ScopeCtx::unscoped();
        let row = ctx
            .store
            .get(Entity::Orders, &id, &all)
            .await
            .unwrap()
            .unwrap();
        let idx = Entity::Orders
            .def()
            .fields
            .iter()
            .position(|f| f.name == "total_amount")
            .unwrap();
        assert_eq!(
            row.values[idx],
            bulwark_domain::Value::Int(44_000),
            "{engine}"
        );
        // The import is audited and the chain verifies.
        let summary = ctx
            .store
            .verify_own_audit()
            .await
            .unwrap()
            .expect("chain intact");
        assert!(summary.entries >= 8, "{engine}");
        ctx.store.close().await;
        let _ = url;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_with_one_bad_row_changes_nothing() {
    for engine in engines() {
        let (ctx, _dir, _url) = open_ctx(engine).await;
        let before = counts(&ctx).await;
        let audit_before = ctx.store.verify_own_audit().await.unwrap().unwrap().entries;
        // Copy the data set and break one order date.
        let tmp = tempfile::tempdir().unwrap();
        let src = northwind();
        let src_dir = src.parent().unwrap();
        for entry in std::fs::read_dir(src_dir).unwrap() {
            let p = entry.unwrap().path();
            std::fs::copy(&p, tmp.path().join(p.file_name().unwrap())).unwrap();
        }
        let orders = tmp.path().join("orders.csv");
        let text = std::fs::read_to_string(&orders).unwrap();
        std::fs::write(&orders, text.replacen("1996-07-04", "1996-13-45", 1)).unwrap();
        let plan = plan_and_report(&tmp.path().join("mapping.toml")).unwrap();
        assert!(plan.is_none(), "a bad row refuses the whole import");
        assert_eq!(counts(&ctx).await, before, "{engine}");
        // A store-level failure in the middle of the transaction also leaves nothing: insert
        // a clean plan whose last record collides with the first one's id.
        let mut good = plan_and_report(&northwind()).unwrap().unwrap();
        let first = good.records[0].clone();
        good.records.push(first);
        assert!(commit(&ctx, &good, "broken").await.is_err());
        assert_eq!(
            counts(&ctx).await,
            before,
            "{engine}: the failed transaction left rows"
        );
        assert_eq!(
            ctx.store.verify_own_audit().await.unwrap().unwrap().entries,
            audit_before
        );
        ctx.store.close().await;
    }
}
