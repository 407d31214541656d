//! Helpers shared by the case tests (`c02_*` … `c20_*`, `bad_input`): unscoped reads of the
//! stored rows (to prove a refused request wrote nothing), raw requests (own content type, no
//! CSRF header), audit look-ups and Unicode digit counting.

use super::{Answer, Session, TestApp, read};
use bulwark_domain::{Entity, Value};
use bulwark_store::{Dir, ListQuery, Row, ScopeCtx};
use reqwest::{Method, StatusCode};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// A store scope that sees every record (the test's view of the database).
pub fn all_scope() -> ScopeCtx {
    ScopeCtx::unscoped()
}

/// Percent-encodes a query component.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The stored values of one record (unscoped), in catalogue order.
pub async fn stored(app: &TestApp, entity: Entity, id: &str) -> Option<Vec<Value>> {
    app.ctx
        .store
        .get(entity, id, &all_scope())
        .await
        .unwrap()
        .map(|r| r.values)
}

/// Every stored row of an entity (unscoped), by id.
pub async fn stored_rows(app: &TestApp, entity: Entity) -> Vec<Row> {
    let q = ListQuery {
        sort: ("id", Dir::Asc),
        filters: vec![],
        search: None,
        after: None,
        limit: 1_000_000,
    };
    app.ctx.store.list(entity, &q, &all_scope()).await.unwrap()
}

/// One field of a stored row.
pub fn val<'a>(entity: Entity, values: &'a [Value], name: &str) -> &'a Value {
    let idx = entity
        .def()
        .fields
        .iter()
        .position(|f| f.name == name)
        .unwrap_or_else(|| panic!("{entity} has no field {name}"));
    &values[idx]
}

/// One text field of a stored row ("" for null).
pub fn text<'a>(entity: Entity, values: &'a [Value], name: &str) -> &'a str {
    val(entity, values, name).as_text().unwrap_or_default()
}

/// Row counts of every entity.
pub async fn counts(app: &TestApp) -> BTreeMap<Entity, i64> {
    let mut out = BTreeMap::new();
    for e in bulwark_domain::catalogue::ALL {
        out.insert(*e, app.ctx.store.count(*e).await.unwrap());
    }
    out
}

/// The id of the account-anchoring account of a stored row (the row itself for accounts).
pub fn account_of(entity: Entity, values: &[Value]) -> Option<String> {
    match entity {
        Entity::Accounts => Some(text(entity, values, "id").to_string()),
        _ if entity.def().field("account_id").is_some() => val(entity, values, "account_id")
            .as_text()
            .map(str::to_string),
        _ => None,
    }
}

/// Ids of the accounts a user owns.
pub async fn owned_accounts(app: &TestApp, user_id: &str) -> Vec<String> {
    stored_rows(app, Entity::Accounts)
        .await
        .into_iter()
        .filter(|r| text(Entity::Accounts, &r.values, "owner_id") == user_id)
        .map(|r| r.id().to_string())
        .collect()
}

/// A random id that exists nowhere (same shape as real ids).
pub fn missing_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl Session {
    /// Sends raw bytes with a chosen content type, with or without the CSRF header.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        csrf: bool,
    ) -> Answer {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        if csrf {
            req = req.header("x-csrf-token", &self.csrf);
        }
        read(req.send().await.unwrap()).await
    }
}

/// Audit events of one actor, newest first (read as the auditor).
pub async fn audit_of(auditor: &Session, actor_id: &str) -> Vec<Json> {
    let a = auditor
        .get(&format!(
            "/api/v1/audit/events?actor_id={actor_id}&limit=1000"
        ))
        .await;
    assert_eq!(a.status, StatusCode::OK, "audit events: {}", a.body);
    a.body["items"].as_array().unwrap().clone()
}

/// The newest audit events of an actor that are newer than `after_seq`.
pub async fn audit_since(auditor: &Session, actor_id: &str, after_seq: i64) -> Vec<Json> {
    audit_of(auditor, actor_id)
        .await
        .into_iter()
        .filter(|e| e["seq"].as_i64().unwrap_or(0) > after_seq)
        .collect()
}

/// The highest audit sequence number so far.
pub async fn audit_head(auditor: &Session) -> i64 {
    let a = auditor.get("/api/v1/audit/events?limit=1").await;
    assert_eq!(a.status, StatusCode::OK, "audit events: {}", a.body);
    a.body["items"][0]["seq"].as_i64().unwrap_or(0)
}

/// Every character of `s` that Unicode counts as numeric (not only ASCII digits).
pub fn numerics(s: &str) -> String {
    s.chars().filter(|c| c.is_numeric()).collect()
}

/// The field names a problem body names: `errors[].field` (422) or `fields` (403).
pub fn named_fields(body: &Json) -> Vec<String> {
    let mut out: Vec<String> = body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(a) = body["fields"].as_array() {
        out.extend(a.iter().filter_map(|f| f.as_str().map(str::to_string)));
    }
    out
}

/// Standard HTTP answer without the parts that differ per request (none of the problem body
/// fields today; `instance`/`request_id` are dropped should they ever appear).
pub fn comparable(a: &Answer) -> (StatusCode, Json, Option<String>) {
    let mut body = a.body.clone();
    if let Some(o) = body.as_object_mut() {
        o.remove("instance");
        o.remove("request_id");
    }
    let ct = a
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (a.status, body, ct)
}

/// Every stored row of every entity (unscoped), in id order.
pub type Snapshot = BTreeMap<Entity, Vec<Vec<Value>>>;

/// Reads a [`Snapshot`] of every entity.
pub async fn snapshot(app: &TestApp) -> Snapshot {
    snapshot_of(app, bulwark_domain::catalogue::ALL).await
}

/// Reads a [`Snapshot`] of some entities.
pub async fn snapshot_of(app: &TestApp, entities: &[Entity]) -> Snapshot {
    let mut out = BTreeMap::new();
    for e in entities {
        let rows = stored_rows(app, *e).await;
        out.insert(*e, rows.into_iter().map(|r| r.values).collect());
    }
    out
}

/// Asserts that no row was added, removed or changed (`updated_at` included).
pub fn assert_unchanged(before: &Snapshot, after: &Snapshot, what: &str) {
    for (e, rows) in before {
        let now = &after[e];
        assert_eq!(rows.len(), now.len(), "{what}: {e} row count changed");
        for (a, b) in rows.iter().zip(now) {
            assert_eq!(a, b, "{what}: a {e} row changed (updated_at included)");
        }
    }
}
