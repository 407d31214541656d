//! C12 — SQL injection through sort / order / filter / paging parameters.
//!
//! Every list endpoint (every entity of the catalogue, as a role that may list it) gets the
//! case's payloads and more: SQL in `sort`, a `dir` parameter, `filter[...]` keys with SQL,
//! `page_size=10;SELECT 1`, quotes, comments, stacked statements, unknown parameters, repeated
//! parameters, bad limits and cursors. Each must be answered 400 naming the offending parameter,
//! quickly (no `pg_sleep` ran), and afterwards every table must hold the same rows. Values that
//! are legitimately free text (`q`, equality filters) must be bound, never spliced: SQL in them
//! matches nothing, and LIKE wildcards in `q` match only themselves.

#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use bulwark_domain::catalogue::ALL;
use bulwark_domain::{Entity, FieldDef};
use common::cases::*;
use common::*;
use reqwest::StatusCode;
use serde_json::Value as Json;
use std::time::{Duration, Instant};

fn q(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Injection payloads for a list of `entity`, each with the parameter the 400 must name.
fn payloads(entity: Entity) -> Vec<(String, String)> {
    let def = entity.def();
    let col = def.default_sort;
    let sleep = "(SELECT pg_sleep(3))";
    let mut v: Vec<(String, String)> = Vec::new();
    let mut add = |query: String, param: &str| v.push((query, param.to_string()));
    // The six of the case, mapped onto this entity's default sort column.
    add(
        q(&[(
            "sort",
            &format!("(CASE WHEN (SELECT 1)=1 THEN {col} ELSE id END)"),
        )]),
        "sort",
    );
    add(q(&[("sort", col), ("dir", &format!("ASC,{sleep}"))]), "dir");
    add(
        q(&[("sort", &format!("{col};DROP TABLE {entity}"))]),
        "sort",
    );
    add(q(&[("sort", &format!("\"{col}\""))]), "sort");
    add(
        q(&[(&format!("filter[{col}) OR 1=1--]"), "x")]),
        &format!("filter[{col}) OR 1=1--]"),
    );
    add(q(&[("page_size", "10;SELECT 1")]), "page_size");
    // More of the kind: sort.
    for s in [
        format!("{col} ASC"),
        format!("{col} DESC"),
        format!("{col},id"),
        format!("{col}--"),
        format!("{col}'"),
        format!("-{col};SELECT pg_sleep(3)"),
        format!("{col} LIMIT 1"),
        format!("{col}) UNION SELECT * FROM users--"),
        format!("t.{col}"),
        format!("{entity}.{col}"),
        col.to_uppercase(),
        format!("--{col}"),
        format!("+{col}"),
        format!("{col} "),
        "1".to_string(),
        "RANDOM()".to_string(),
        sleep.to_string(),
        format!("{col}\0"),
        String::new(),
        "-".to_string(),
        "password_hash".to_string(),
        "no_such_field".to_string(),
    ] {
        add(q(&[("sort", &s)]), "sort");
    }
    // Direction only through the `-` prefix.
    for d in ["asc", "desc", "ASC;SELECT 1", sleep] {
        add(q(&[("sort", col), ("dir", d)]), "dir");
        add(q(&[("order", d)]), "order");
    }
    // Paging.
    for l in [
        "10;SELECT 1",
        "0",
        "201",
        "-1",
        "1e2",
        "10 OR 1=1",
        "99999999999999999999",
        "",
    ] {
        add(q(&[("limit", l)]), "limit");
    }
    for p in ["offset", "page", "per_page", "page_size"] {
        add(q(&[(p, "10;SELECT 1")]), p);
    }
    for c in [
        "' OR 1=1--",
        "e30.AAAA",
        "eyJlIjoiYWNjb3VudHMifQ",
        "x.y.z",
        "",
    ] {
        add(q(&[("cursor", c)]), "cursor");
    }
    // Filters: keys that are not filterable fields (SQL in the key).
    for k in [
        format!("{col}) OR (1=1"),
        format!("{col}--"),
        format!("{col};DROP TABLE {entity}"),
        "1=1".to_string(),
        format!("filter[{col}]"),
        format!("filter[{col}][starts_with]"),
        format!("{col}[$ne]"),
        "fields".to_string(),
        "group_by".to_string(),
        "tenant_id".to_string(),
    ] {
        add(q(&[(&k, "x")]), &k);
    }
    // Repeated parameters.
    add(format!("sort={col}&sort=id"), "sort");
    add("limit=1&limit=2".to_string(), "limit");
    // Free text with a NUL or control character.
    add("q=%00".to_string(), "q");
    add("q=a%1B".to_string(), "q");
    v
}

/// A role of the demo data that may list `entity` (the widest view, so every field is there).
fn lister(entity: Entity) -> &'static str {
    match entity {
        Entity::Suppliers | Entity::Products => "procurement",
        Entity::Users => "sysadmin",
        _ => "executive",
    }
}

/// Searchable fields the lister sees in full (the ones `q` runs over).
fn searchable(entity: Entity) -> Vec<&'static FieldDef> {
    entity
        .def()
        .fields
        .iter()
        .filter(|f| f.searchable)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c12_sql_in_list_parameters_is_refused_and_bound() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 30).await;
        let before = counts(&app).await;
        let snap = snapshot(&app).await;
        let mut slowest = Duration::ZERO;
        for entity in ALL {
            let who = lister(*entity);
            let s = app.login(who).await;
            let base = s.list_all(entity.as_str(), "").await;
            assert!(!base.is_empty(), "{engine}: {who} lists no {entity}");
            for (query, param) in payloads(*entity) {
                let path = format!("/api/v1/{entity}?{query}");
                let t = Instant::now();
                let a = s.get(&path).await;
                let took = t.elapsed();
                slowest = slowest.max(took);
                assert_eq!(
                    a.status,
                    StatusCode::BAD_REQUEST,
                    "{engine}: {who} GET {path}: {}",
                    a.body
                );
                assert_eq!(
                    a.body["parameter"].as_str(),
                    Some(param.as_str()),
                    "{engine}: GET {path}: {}",
                    a.body
                );
                assert!(
                    took < Duration::from_secs(2),
                    "{engine}: GET {path} took {took:?}"
                );
                // The problem names the parameter but never repeats the offending value.
                let detail = a.body["detail"].as_str().unwrap_or_default();
                for word in ["SELECT", "DROP", "pg_sleep", "CASE"] {
                    assert!(
                        param.contains(word) || !detail.contains(word),
                        "{engine}: {path}: {detail}"
                    );
                }
            }
            // Free text is data: bound, never SQL. SQL in `q` or in an equality filter
            // matches nothing (no row contains it), and LIKE wildcards match only themselves.
            let col = entity.def().default_sort;
            for text in [
                "' OR '1'='1",
                "x' OR 1=1--",
                "%' OR 1=1; DROP TABLE users; --",
                "\") OR 1=1--",
            ] {
                if !searchable(*entity).is_empty() {
                    let a = s
                        .get(&format!("/api/v1/{entity}?{}", q(&[("q", text)])))
                        .await;
                    assert_eq!(a.status, StatusCode::OK, "{engine}: q={text}: {}", a.body);
                    assert_eq!(
                        a.body["items"],
                        Json::Array(vec![]),
                        "{engine}: {entity} q={text}"
                    );
                }
                let f = entity.def().field(col).unwrap();
                if f.filterable && !f.is_integer() {
                    let a = s
                        .get(&format!("/api/v1/{entity}?{}", q(&[(col, text)])))
                        .await;
                    assert!(
                        a.status == StatusCode::OK || a.status == StatusCode::BAD_REQUEST,
                        "{engine}: {col}={text}: {}",
                        a.body
                    );
                    if a.status == StatusCode::OK {
                        assert_eq!(
                            a.body["items"],
                            Json::Array(vec![]),
                            "{engine}: {entity} {col}={text}"
                        );
                    } else {
                        assert_eq!(a.body["parameter"], col, "{engine}: {col}={text}");
                    }
                }
                let a = s
                    .get(&format!("/api/v1/{entity}?{}", q(&[("id", text)])))
                    .await;
                assert!(
                    a.status == StatusCode::OK && a.body["items"] == Json::Array(vec![])
                        || a.status == StatusCode::BAD_REQUEST && a.body["parameter"] == "id",
                    "{engine}: {entity} id={text}: {} {}",
                    a.status,
                    a.body
                );
            }
            if !searchable(*entity).is_empty() {
                for wildcard in ["%", "_", "\\", "%%", "_%"] {
                    let a = s
                        .list_all(entity.as_str(), &format!("&{}", q(&[("q", wildcard)])))
                        .await;
                    let want: Vec<&Json> = base
                        .iter()
                        .filter(|it| {
                            searchable(*entity).iter().any(|f| {
                                it[f.name]
                                    .as_str()
                                    .is_some_and(|v| v.to_lowercase().contains(wildcard))
                            })
                        })
                        .collect();
                    assert_eq!(
                        a.len(),
                        want.len(),
                        "{engine}: {entity} q={wildcard:?} must match the literal text only"
                    );
                }
            }
            // Valid values still work: every sortable field, both directions.
            for f in entity.def().fields.iter().filter(|f| f.sortable) {
                for dir in ["", "-"] {
                    let a = s
                        .get(&format!("/api/v1/{entity}?sort={dir}{}&limit=5", f.name))
                        .await;
                    assert_eq!(
                        a.status,
                        StatusCode::OK,
                        "{engine}: {who} sort={dir}{}: {}",
                        f.name,
                        a.body
                    );
                }
            }
        }
        // Schema and data intact: every table still answers with the same rows.
        assert_eq!(counts(&app).await, before, "{engine}: row counts changed");
        assert_unchanged(&snap, &snapshot(&app).await, engine);
        for entity in ALL {
            let s = app.login(lister(*entity)).await;
            let a = s.get(&format!("/api/v1/{entity}?limit=1")).await;
            assert_eq!(a.status, StatusCode::OK, "{engine}: {entity}: {}", a.body);
        }
        eprintln!("{engine}: slowest refused list answered in {slowest:?}");
        app.finish().await;
    }
}
