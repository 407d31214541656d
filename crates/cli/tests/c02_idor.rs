//! C02 — IDOR: record-level authorisation on every route that takes a record id, not only on
//! reads.
//!
//! Two users of the same role `sales` with scope "own" (the demo `sales` and Northwind's
//! `nancy.davolio`) each try every `{id}` route of every entity — taken from the OpenAPI
//! document, which is derived from the catalogue, so a route or entity added later is covered
//! automatically — against a record the *other* one owns. Every answer (status, body, content
//! type) must equal the answer for a random id that does not exist (and for an id that is not
//! even an id), and afterwards every table must be byte-for-byte unchanged, `updated_at`
//! included.

#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use bulwark_domain::catalogue::{Anchor, FieldKind, Write};
use bulwark_domain::{Entity, Value};
use bulwark_store::NewRecord;
use common::cases::*;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;

/// One route with an `{id}` segment: entity, method and the path after the id.
#[derive(Debug, Clone)]
struct IdRoute {
    entity: Entity,
    method: Method,
    suffix: String,
}

/// Every `{id}` route of the API, from the OpenAPI document.
fn id_routes() -> Vec<IdRoute> {
    let doc = bulwark_server::openapi::document();
    let paths = doc["paths"].as_object().unwrap();
    let mut out = Vec::new();
    for (path, ops) in paths {
        if !path.contains("{id}") {
            continue;
        }
        let rest = path
            .strip_prefix("/api/v1/")
            .unwrap_or_else(|| panic!("C02 does not know how to probe {path}: extend the test"));
        let (entity, after) = rest.split_once("/{id}").unwrap();
        let entity = Entity::parse(entity)
            .unwrap_or_else(|| panic!("C02 does not know how to probe {path}: extend the test"));
        for method in ops.as_object().unwrap().keys() {
            let method = match method.as_str() {
                "get" => Method::GET,
                "post" => Method::POST,
                "patch" => Method::PATCH,
                "put" => Method::PUT,
                "delete" => Method::DELETE,
                other => panic!("C02 does not know method {other} of {path}: extend the test"),
            };
            out.push(IdRoute {
                entity,
                method,
                suffix: after.to_string(),
            });
        }
    }
    out
}

/// A plausible value for a field kind (so a write would succeed if the record were in scope).
fn sample(kind: FieldKind) -> Option<Json> {
    Some(match kind {
        FieldKind::Text | FieldKind::PersonName | FieldKind::LongText => json!("IDOR probe"),
        FieldKind::Int => json!(1),
        FieldKind::Money => json!("1.00"),
        FieldKind::Fraction => json!("0.1"),
        FieldKind::Bool => json!(true),
        FieldKind::Date => json!("2026-01-01"),
        FieldKind::Enum(values) => json!(values[0]),
        FieldKind::Email => json!("probe@example.com"),
        FieldKind::Mobile => json!("13800000000"),
        FieldKind::Phone => json!("010-12345678"),
        _ => return None,
    })
}

/// A request body that would be valid for the route if the record were the caller's.
fn body_for(route: &IdRoute) -> Option<Json> {
    let def = route.entity.def();
    match (&route.method, route.suffix.as_str()) {
        (&Method::GET, _) | (&Method::DELETE, _) => None,
        (&Method::POST, "/reveal") => Some(json!({
            "fields": [def.fields[1].name],
            "reason": "checking record-level authorisation",
        })),
        (&Method::PATCH, "") | (&Method::PUT, "") => {
            let f = def
                .fields
                .iter()
                .find(|f| f.write == Write::Client && sample(f.kind).is_some())
                .unwrap();
            Some(json!({ f.name: sample(f.kind).unwrap() }))
        }
        _ => Some(json!({})),
    }
}

/// A record of `entity` owned by `owner` (its account's owner, or the user itself), created by
/// cloning another record onto one of the owner's accounts if the demo data has none.
async fn target_of(app: &TestApp, entity: Entity, owner: &str) -> Option<String> {
    let mine = owned_accounts(app, owner).await;
    assert!(!mine.is_empty(), "{owner} owns no account");
    match entity.def().anchor {
        Anchor::Unowned => return None,
        Anchor::User => return Some(owner.to_string()),
        Anchor::Account => return Some(mine[0].clone()),
        Anchor::ViaAccount => {}
    }
    let rows = stored_rows(app, entity).await;
    if let Some(r) = rows
        .iter()
        .find(|r| account_of(entity, &r.values).is_some_and(|a| mine.contains(&a)))
    {
        return Some(r.id().to_string());
    }
    let template = rows
        .first()
        .unwrap_or_else(|| panic!("no {entity} at all in the demo data"));
    let id = missing_id();
    let values = entity
        .def()
        .fields
        .iter()
        .zip(&template.values)
        .filter(|(f, _)| !matches!(f.name, "id" | "created_at" | "updated_at"))
        .map(|(f, v)| match f.name {
            "account_id" => (f.name, Value::Text(mine[0].clone())),
            "external_id" => (f.name, Value::Null),
            _ => (f.name, v.clone()),
        })
        .collect();
    app.ctx
        .store
        .import(
            &[NewRecord {
                entity,
                id: id.clone(),
                values,
            }],
            &[],
            &[],
            &|_| {},
        )
        .await
        .unwrap();
    Some(id)
}

fn path(route: &IdRoute, id: &str) -> String {
    format!("/api/v1/{}/{id}{}", route.entity, route.suffix)
}

async fn probe(
    app: &TestApp,
    attacker: &str,
    victim: &str,
    routes: &[IdRoute],
) -> BTreeMap<String, StatusCode> {
    let engine = app.engine;
    let a = app.login(attacker).await;
    let b = app.login(victim).await;
    let a_id = app.user_id(attacker).await;
    let b_id = app.user_id(victim).await;
    let mut targets = BTreeMap::new();
    let mut own = BTreeMap::new();
    for e in bulwark_domain::catalogue::ALL {
        if let Some(t) = target_of(app, *e, &b_id).await {
            targets.insert(*e, t);
        }
        if let Some(t) = target_of(app, *e, &a_id).await {
            own.insert(*e, t);
        }
    }
    let before = snapshot(app).await;
    let mut seen = BTreeMap::new();
    for route in routes {
        let Some(target) = targets.get(&route.entity) else {
            // Reference data without an owner (suppliers, products): nobody owns it, so
            // there is nothing another user's record could leak. Make sure that is really
            // what the catalogue says.
            assert_eq!(route.entity.def().anchor, Anchor::Unowned);
            continue;
        };
        let body = body_for(route);
        let send = |id: String| {
            let body = body.clone();
            let method = route.method.clone();
            let p = path(route, &id);
            let s = &a;
            async move { s.send(method, &p, body).await }
        };
        let on_target = send(target.clone()).await;
        let on_missing = send(missing_id()).await;
        let on_garbage = send("1%20OR%201%3D1".to_string()).await;
        let what = format!(
            "{engine}: {attacker} {} {} on {victim}'s record",
            route.method,
            path(route, "{id}")
        );
        assert!(
            matches!(
                on_target.status,
                StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
            ),
            "{what}: answered {} {}",
            on_target.status,
            on_target.body
        );
        assert_eq!(
            comparable(&on_target),
            comparable(&on_missing),
            "{what}: answer differs from the one for a missing id"
        );
        assert_eq!(
            comparable(&on_garbage),
            comparable(&on_missing),
            "{what}: answer for a malformed id differs from the one for a missing id"
        );
        seen.insert(
            format!("{} {}", route.method, path(route, "{id}")),
            on_target.status,
        );
        // Not vacuous: where the attacker was told 404 on a read, the same route answers
        // for the attacker's own record, and the victim can read the target.
        if route.method == Method::GET && on_target.status == StatusCode::NOT_FOUND {
            let mine = a.get(&path(route, &own[&route.entity])).await;
            assert_eq!(
                mine.status,
                StatusCode::OK,
                "{what}: own record: {}",
                mine.body
            );
            let theirs = b.get(&path(route, target)).await;
            assert_eq!(
                theirs.status,
                StatusCode::OK,
                "{what}: the victim reads it: {}",
                theirs.body
            );
        }
    }
    let after = snapshot(app).await;
    assert_unchanged(&before, &after, &format!("{engine}: {attacker} → {victim}"));
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c02_every_id_route_hides_other_owners_records() {
    let routes = id_routes();
    // The router has read, change, delete and reveal on every entity; make sure the document
    // really lists them, so the loop below is not vacuous.
    for e in bulwark_domain::catalogue::ALL {
        for (m, suffix) in [
            (Method::GET, ""),
            (Method::PATCH, ""),
            (Method::DELETE, ""),
            (Method::POST, "/reveal"),
        ] {
            assert!(
                routes
                    .iter()
                    .any(|r| r.entity == *e && r.method == m && r.suffix == suffix),
                "{m} /api/v1/{e}/{{id}}{suffix} missing from the OpenAPI document"
            );
        }
    }
    for engine in engines() {
        let app = TestApp::seeded(engine, 40).await;
        // Both are plain `sales` users with scope "own".
        for u in ["sales", "nancy.davolio"] {
            let me = app.login(u).await.get("/api/v1/me").await;
            assert_eq!(me.body["roles"], json!(["sales"]), "{engine}: {u}");
            assert_eq!(
                me.body["permissions"]["accounts"]["scope"], "own",
                "{engine}: {u}"
            );
        }
        let ab = probe(&app, "sales", "nancy.davolio", &routes).await;
        let ba = probe(&app, "nancy.davolio", "sales", &routes).await;
        // Writes the role may do on its own records (order lines: update and delete;
        // contacts: reveal) were really attempted and hidden as "not found".
        for seen in [&ab, &ba] {
            for route in [
                "PATCH /api/v1/accounts/{id}",
                "PATCH /api/v1/contacts/{id}",
                "PATCH /api/v1/orders/{id}",
                "DELETE /api/v1/order_lines/{id}",
                "POST /api/v1/contacts/{id}/reveal",
                "GET /api/v1/settlements/{id}",
                "GET /api/v1/users/{id}",
            ] {
                assert_eq!(
                    seen.get(route),
                    Some(&StatusCode::NOT_FOUND),
                    "{engine}: {route}"
                );
            }
        }
        app.finish().await;
    }
}

/// A valid create body for the entities `sales` may create, with references to `owner`'s own
/// records (`refs` maps target entity to a record id).
fn create_body(entity: Entity, refs: &BTreeMap<Entity, String>, n: usize) -> Option<Json> {
    let r = |e: Entity| json!(refs[&e]);
    Some(match entity {
        Entity::Accounts => {
            json!({ "name": format!("C02 account {n}"), "owner_id": r(Entity::Users) })
        }
        Entity::Contacts => json!({ "name": "C02 contact", "account_id": r(Entity::Accounts) }),
        Entity::Orders => json!({
            "order_no": format!("C02-{n}"), "account_id": r(Entity::Accounts),
            "owner_id": r(Entity::Users), "status": "draft",
        }),
        Entity::OrderLines => json!({
            "order_id": r(Entity::Orders), "product_id": r(Entity::Products),
            "quantity": 1, "unit_price": "1.00",
        }),
        Entity::Contracts => json!({
            "contract_no": format!("C02-{n}"), "account_id": r(Entity::Accounts), "status": "draft",
        }),
        Entity::Tickets => json!({
            "account_id": r(Entity::Accounts), "contact_id": r(Entity::Contacts),
            "subject": "C02", "status": "open", "assignee_id": r(Entity::Users),
        }),
        _ => return None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c02_references_to_other_owners_records_are_hidden() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 40).await;
        for (attacker, victim) in [("sales", "nancy.davolio"), ("nancy.davolio", "sales")] {
            let a = app.login(attacker).await;
            let a_id = app.user_id(attacker).await;
            let b_id = app.user_id(victim).await;
            let mut mine = BTreeMap::new();
            let mut theirs = BTreeMap::new();
            for e in bulwark_domain::catalogue::ALL {
                if let Some(t) = target_of(&app, *e, &a_id).await {
                    mine.insert(*e, t);
                }
                if let Some(t) = target_of(&app, *e, &b_id).await {
                    theirs.insert(*e, t);
                }
            }
            let product = stored_rows(&app, Entity::Products).await[0]
                .id()
                .to_string();
            mine.insert(Entity::Products, product.clone());
            theirs.insert(Entity::Products, product);
            // Sanity: with the attacker's own references every body is accepted.
            let mut created = BTreeMap::new();
            for (n, e) in bulwark_domain::catalogue::ALL.iter().enumerate() {
                let Some(body) = create_body(*e, &mine, n) else {
                    continue;
                };
                let ok = a.post(&format!("/api/v1/{e}"), body).await;
                assert_eq!(
                    ok.status,
                    StatusCode::CREATED,
                    "{engine}: {attacker} creates {e}: {}",
                    ok.body
                );
                created.insert(*e, ok.body["id"].as_str().unwrap().to_string());
            }
            let before = snapshot(&app).await;
            for (n, e) in bulwark_domain::catalogue::ALL.iter().enumerate() {
                let Some(base) = create_body(*e, &mine, n + 100) else {
                    continue;
                };
                for f in e.def().fields {
                    let FieldKind::Ref(target) = f.kind else {
                        continue;
                    };
                    if target.def().anchor == Anchor::Unowned || f.write == Write::Server {
                        continue;
                    }
                    let what = format!(
                        "{engine}: {attacker} points {e}.{} at {victim}'s {target}",
                        f.name
                    );
                    let with = |id: &str| {
                        let mut b = base.clone();
                        b[f.name] = json!(id);
                        b
                    };
                    // Creating a record that points at the victim's record.
                    let path = format!("/api/v1/{e}");
                    let on_target = a.post(&path, with(&theirs[&target])).await;
                    let on_missing = a.post(&path, with(&missing_id())).await;
                    assert_eq!(
                        on_target.status,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "{what}: {}",
                        on_target.body
                    );
                    assert!(
                        named_fields(&on_target.body).contains(&f.name.to_string()),
                        "{what}: {}",
                        on_target.body
                    );
                    assert_eq!(
                        comparable(&on_target),
                        comparable(&on_missing),
                        "{what}: differs from a missing id"
                    );
                    // Moving the attacker's own record onto the victim's record.
                    let path = format!("/api/v1/{e}/{}", created[e]);
                    let body = |id: &str| json!({ f.name: id });
                    let on_target = a.patch(&path, body(&theirs[&target])).await;
                    let on_missing = a.patch(&path, body(&missing_id())).await;
                    assert!(
                        on_target.status.is_client_error(),
                        "{what} (update): {}",
                        on_target.body
                    );
                    assert_eq!(
                        comparable(&on_target),
                        comparable(&on_missing),
                        "{what} (update): differs from a missing id"
                    );
                }
            }
            let after = snapshot(&app).await;
            assert_unchanged(
                &before,
                &after,
                &format!("{engine}: {attacker} → {victim} references"),
            );
        }
        app.finish().await;
    }
}
