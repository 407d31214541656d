//! `/api/v1/<entity>`: list, create, read, update, delete and reveal, for every entity of the
//! catalogue. Each handler asks the policy (via [`AppState::authorize`]), lets the store
//! narrow by the granted scope, shapes rows through the [`view`](crate::view) and records one
//! audit event. No handler decides access or shapes records by itself.

use crate::auth::Actor;
use crate::body::JsonBody;
use crate::error::{ApiError, FieldProblem};
use crate::gate::{Decided, event};
use crate::listq;
use crate::state::AppState;
use crate::view;
use axum::Json as JsonResp;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bulwark_audit::Outcome;
use bulwark_domain::catalogue::{Anchor, FieldKind, Write};
use bulwark_domain::{Entity, FieldDef, Value, text, value};
use bulwark_policy::{Access, Action, Relation};
use bulwark_store::{NewRecord, Row};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeSet;

/// Parses the `{entity}` path segment; unknown entities are 404.
pub fn entity_of(name: &str) -> Result<Entity, ApiError> {
    Entity::parse(name).ok_or(ApiError::NotFound)
}

/// Record ids are UUIDs; anything else cannot exist (404 without touching the database).
fn check_id(id: &str) -> Result<(), ApiError> {
    let ok = id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    if ok { Ok(()) } else { Err(ApiError::NotFound) }
}

fn parse_query(raw: Option<String>) -> Result<Vec<(String, String)>, ApiError> {
    let raw = raw.unwrap_or_default();
    if raw.len() > 4096 {
        return Err(ApiError::bad_param("query", "is too long"));
    }
    serde_urlencoded::from_str::<Vec<(String, String)>>(&raw)
        .map_err(|_| ApiError::bad_param("query", "is not a valid query string"))
}

/// `GET /api/v1/{entity}`
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(entity): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let entity = entity_of(&entity)?;
    let d = state.authorize(&actor, entity, Action::Read).await?;
    let ev = event(
        &actor,
        "list",
        Some(entity),
        vec![],
        vec![],
        Outcome::Success,
        200,
    );
    let q = match parse_query(raw).and_then(|p| listq::parse(&p, &d.grant, &state.cursor_key)) {
        Ok(q) => q,
        Err(e) => return Err(state.fail(ev, e).await),
    };
    let mut fetch = q.clone();
    fetch.limit = q.limit + 1;
    let mut rows = state.store.list(entity, &fetch, &d.ctx).await?;
    let more = rows.len() > q.limit as usize;
    rows.truncate(q.limit as usize);
    let next_cursor = match (more, rows.last()) {
        (true, Some(last)) => {
            let idx = entity
                .def()
                .fields
                .iter()
                .position(|f| f.name == q.sort.0)
                .unwrap_or(0);
            let v = last.values.get(idx).cloned().unwrap_or(Value::Null);
            Some(listq::seal_cursor(
                &state.cursor_key,
                entity,
                q.sort,
                (&v, last.id()),
            )?)
        }
        _ => None,
    };
    let mut shown = BTreeSet::new();
    let items: Vec<Json> = rows
        .iter()
        .map(|r| view::shape(&d.grant, r, &mut shown))
        .collect();
    let mut ev = ev;
    ev.record_ids = rows.iter().map(|r| r.id().to_string()).collect();
    ev.fields = shown.iter().map(|s| s.to_string()).collect();
    state.audit.record(ev).await?;
    Ok(JsonResp(json!({ "items": items, "next_cursor": next_cursor })).into_response())
}

/// `GET /api/v1/{entity}/{id}`
pub async fn read(
    State(state): State<AppState>,
    actor: Actor,
    Path((entity, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let entity = entity_of(&entity)?;
    let d = state.authorize(&actor, entity, Action::Read).await?;
    let mut ev = event(
        &actor,
        "read",
        Some(entity),
        vec![id.clone()],
        vec![],
        Outcome::Success,
        200,
    );
    let row = match check_id(&id) {
        Ok(()) => state.store.get(entity, &id, &d.ctx).await?,
        Err(_) => None,
    };
    let Some(row) = row else {
        ev.record_ids.clear();
        return Err(state.fail(ev, ApiError::NotFound).await);
    };
    let mut shown = BTreeSet::new();
    let body = view::shape(&d.grant, &row, &mut shown);
    ev.fields = shown.iter().map(|s| s.to_string()).collect();
    state.audit.record(ev).await?;
    Ok(JsonResp(body).into_response())
}

/// Parses a JSON body object into catalogue values for a write, rejecting unknown fields,
/// server-managed fields and (on update) create-only fields, naming each.
fn parse_body(
    entity: Entity,
    body: &Json,
    creating: bool,
) -> Result<Vec<(&'static FieldDef, Value)>, ApiError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ApiError::BadBody("the body must be a JSON object".into()))?;
    let def = entity.def();
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (k, v) in obj {
        let Some(f) = def.field(k) else {
            problems.push(FieldProblem::new(
                &text::truncate_graphemes(k, 64),
                "unknown field",
            ));
            continue;
        };
        match (f.write, creating) {
            (Write::Server, _) => {
                problems.push(FieldProblem::new(f.name, "is set by the server"));
                continue;
            }
            (Write::CreateOnly, false) => {
                problems.push(FieldProblem::new(
                    f.name,
                    "cannot be changed after creation",
                ));
                continue;
            }
            _ => {}
        }
        match value::parse_input(f, v) {
            Ok(val) => out.push((f, val)),
            Err(e) => problems.push(FieldProblem::new(f.name, e.message)),
        }
    }
    if creating {
        for f in def.fields {
            if f.required && f.write != Write::Server && !obj.contains_key(f.name) {
                problems.push(FieldProblem::new(f.name, "is required"));
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::Invalid(problems))
    }
}

fn get_val<'a>(vals: &'a [(&'static FieldDef, Value)], name: &str) -> Option<&'a Value> {
    vals.iter().find(|(f, _)| f.name == name).map(|(_, v)| v)
}

fn row_val<'a>(entity: Entity, row: &'a Row, name: &str) -> Option<&'a Value> {
    let idx = entity.def().fields.iter().position(|f| f.name == name)?;
    row.values.get(idx)
}

/// Checks that every reference points at a record the caller can read (a record they cannot
/// see is reported exactly like a missing one), and returns the relation of the record's
/// anchor account, if the reference is the anchor.
async fn check_refs(
    state: &AppState,
    actor: &Actor,
    vals: &[(&'static FieldDef, Value)],
) -> Result<(), ApiError> {
    let mut problems = Vec::new();
    for (f, v) in vals {
        let (FieldKind::Ref(target), Some(id)) = (f.kind, v.as_text()) else {
            continue;
        };
        let visible = match state.peek(actor, target, Action::Read) {
            Some(d) => state.store.get(target, id, &d.ctx).await?.is_some(),
            None => target == Entity::Users && id == actor.user_id,
        };
        if !visible {
            problems.push(FieldProblem::new(f.name, "refers to no record you can see"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(problems))
    }
}

/// The caller's relation to a record that has these values (for new or changed records).
async fn relation_for(
    state: &AppState,
    actor: &Actor,
    d: &Decided,
    entity: Entity,
    vals: &[(&'static FieldDef, Value)],
    existing: Option<&Row>,
) -> Result<Relation, ApiError> {
    let pick = |name: &str| -> Option<Value> {
        get_val(vals, name)
            .cloned()
            .or_else(|| existing.and_then(|r| row_val(entity, r, name).cloned()))
    };
    Ok(match entity.def().anchor {
        Anchor::Unowned => Relation {
            public: true,
            ..Relation::default()
        },
        Anchor::User => match existing {
            Some(r) => r.relation,
            None => Relation::default(),
        },
        Anchor::Account => {
            let owner = pick("owner_id");
            let owned = owner.as_ref().and_then(Value::as_text) == Some(actor.user_id.as_str());
            let team = match owner.as_ref().and_then(Value::as_text) {
                Some(o) => {
                    let mut ctx = d.ctx.clone();
                    ctx.scope = bulwark_policy::Scope::Team;
                    ctx.need_team = true;
                    state.store.get(Entity::Users, o, &ctx).await?.is_some()
                }
                None => false,
            };
            let region = match (pick("region"), &actor.region) {
                (Some(Value::Text(r)), Some(mine)) => &r == mine,
                _ => false,
            };
            let assigned = existing.is_some_and(|r| r.relation.assigned);
            Relation {
                owned,
                assigned,
                team,
                region,
                public: false,
            }
        }
        Anchor::ViaAccount => {
            let Some(Value::Text(acc)) = pick("account_id") else {
                return Err(ApiError::Invalid(vec![FieldProblem::new(
                    "account_id",
                    "is required",
                )]));
            };
            let mut ctx = d.ctx.clone();
            ctx.scope = bulwark_policy::Scope::All;
            match state.store.get(Entity::Accounts, &acc, &ctx).await? {
                Some(r) => r.relation,
                None => {
                    return Err(ApiError::Invalid(vec![FieldProblem::new(
                        "account_id",
                        "refers to no record you can see",
                    )]));
                }
            }
        }
    })
}

/// Every written field must be one the caller sees in full on that record.
fn check_field_access(
    d: &Decided,
    rel: Relation,
    vals: &[(&'static FieldDef, Value)],
) -> Result<(), ApiError> {
    let denied: Vec<String> = vals
        .iter()
        .filter(|(f, _)| {
            d.grant
                .field_index(f.name)
                .is_none_or(|(idx, _)| d.grant.access(idx, rel) != Access::Full)
        })
        .map(|(f, _)| f.name.to_string())
        .collect();
    if denied.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            code: "field_not_writable",
            detail: format!("your role may not write: {}", denied.join(", ")),
            fields: denied,
        })
    }
}

/// Fills server-derived values: the account of order lines and shipments (from their order),
/// and line amounts.
async fn derive(
    state: &AppState,
    entity: Entity,
    vals: &mut Vec<(&'static FieldDef, Value)>,
    existing: Option<&Row>,
) -> Result<(), ApiError> {
    let def = entity.def();
    let pick = |vals: &[(&'static FieldDef, Value)], name: &str| -> Option<Value> {
        get_val(vals, name)
            .cloned()
            .or_else(|| existing.and_then(|r| row_val(entity, r, name).cloned()))
    };
    if matches!(entity, Entity::OrderLines | Entity::Shipments)
        && let Some(Value::Text(order_id)) = pick(vals, "order_id")
    {
        let ctx = bulwark_store::ScopeCtx::unscoped();
        let order = state.store.get(Entity::Orders, &order_id, &ctx).await?;
        let acc = order
            .as_ref()
            .and_then(|o| row_val(Entity::Orders, o, "account_id").cloned())
            .unwrap_or(Value::Null);
        if let Some(f) = def.field("account_id") {
            vals.retain(|(g, _)| g.name != "account_id");
            vals.push((f, acc));
        }
    }
    if entity == Entity::OrderLines {
        let int = |v: Option<Value>| match v {
            Some(Value::Int(i)) => i,
            _ => 0,
        };
        let amount = value::line_amount(
            int(pick(vals, "quantity")),
            int(pick(vals, "unit_price")),
            int(pick(vals, "discount")),
        )
        .ok_or_else(|| ApiError::Invalid(vec![FieldProblem::new("amount", "is too large")]))?;
        if let Some(f) = def.field("amount") {
            vals.retain(|(g, _)| g.name != "amount");
            vals.push((f, Value::Int(amount)));
        }
    }
    Ok(())
}

/// The three separated administrator duties (MLPS 2.0 level 3).
pub const ADMIN_DUTIES: [&str; 3] = ["sysadmin", "secadmin", "auditor"];

/// Separation of duties: the API never grants or removes an administrator duty, and never
/// changes the roles of a user who holds one (that is done on the server's command line,
/// `bulwark user add`, by whoever operates the host), so no administrator can give another
/// duty — or business data — to themselves or an accomplice.
async fn check_admin_duties(
    state: &AppState,
    user_id: &str,
    vals: &[(&'static FieldDef, Value)],
) -> Result<(), ApiError> {
    let Some(Value::Text(new_roles)) = get_val(vals, "roles") else {
        return Ok(());
    };
    let mut touches = new_roles
        .split_whitespace()
        .any(|r| ADMIN_DUTIES.contains(&r));
    if !user_id.is_empty() {
        let ctx = bulwark_store::ScopeCtx::unscoped();
        if let Some(row) = state.store.get(Entity::Users, user_id, &ctx).await?
            && let Some(Value::Text(old)) = row_val(Entity::Users, &row, "roles")
        {
            touches |= old.split_whitespace().any(|r| ADMIN_DUTIES.contains(&r));
        }
    }
    if touches {
        return Err(ApiError::Forbidden {
            code: "admin_duty_roles",
            detail: "administrator duties (sysadmin, secadmin, auditor) are granted and removed only on the server's command line".into(),
            fields: vec!["roles".into()],
        });
    }
    Ok(())
}

/// Role names written to a user must exist in the policy.
fn check_roles(actor: &Actor, vals: &[(&'static FieldDef, Value)]) -> Result<(), ApiError> {
    if let Some(Value::Text(roles)) = get_val(vals, "roles") {
        let unknown: Vec<&str> = roles
            .split_whitespace()
            .filter(|r| !actor.policy.roles.contains_key(*r))
            .collect();
        if !unknown.is_empty() {
            return Err(ApiError::Invalid(vec![FieldProblem::new(
                "roles",
                "names a role that does not exist",
            )]));
        }
    }
    Ok(())
}

/// Answers a write with the record as the caller may read it (masked exactly like a read).
async fn written(
    state: &AppState,
    actor: &Actor,
    entity: Entity,
    id: &str,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let body = match state.peek(actor, entity, Action::Read) {
        Some(d) => match state.store.get(entity, id, &d.ctx).await? {
            Some(row) => view::shape(&d.grant, &row, &mut BTreeSet::new()),
            None => json!({ "id": id }),
        },
        None => json!({ "id": id }),
    };
    Ok((status, JsonResp(body)).into_response())
}

/// `POST /api/v1/{entity}`
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(entity): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let entity = entity_of(&entity)?;
    let d = state.authorize(&actor, entity, Action::Create).await?;
    let id = uuid::Uuid::now_v7().to_string();
    let mut ev = event(
        &actor,
        "create",
        Some(entity),
        vec![id.clone()],
        vec![],
        Outcome::Success,
        201,
    );
    let result = async {
        let body = body.0?;
        let mut vals = parse_body(entity, &body, true)?;
        if matches!(entity, Entity::Accounts | Entity::Orders)
            && get_val(&vals, "owner_id").is_none()
            && let Some(f) = entity.def().field("owner_id")
        {
            vals.push((f, Value::Text(actor.user_id.clone())));
        }
        if entity == Entity::Users {
            if let Some(Value::Text(name)) = get_val(&vals, "username") {
                bulwark_domain::validate::username(name)
                    .map_err(|m| ApiError::Invalid(vec![FieldProblem::new("username", m)]))?;
            }
            check_roles(&actor, &vals)?;
            check_admin_duties(&state, "", &vals).await?;
            if get_val(&vals, "status").is_none()
                && let Some(f) = entity.def().field("status")
            {
                vals.push((f, Value::Text("active".into())));
            }
        }
        check_refs(&state, &actor, &vals).await?;
        let mut all = vals.clone();
        derive(&state, entity, &mut all, None).await?;
        let rel = relation_for(&state, &actor, &d, entity, &all, None).await?;
        if !d.grant.covers(rel) {
            return Err(ApiError::forbidden(
                "outside_scope",
                "the record would lie outside the records your role may create",
            ));
        }
        check_field_access(&d, rel, &vals)?;
        Ok((vals, all))
    }
    .await;
    let (vals, all) = match result {
        Ok(v) => v,
        Err(e) => return Err(state.fail(ev, e).await),
    };
    ev.fields = vals.iter().map(|(f, _)| f.name.to_string()).collect();
    let rec = NewRecord {
        entity,
        id: id.clone(),
        values: all.iter().map(|(f, v)| (f.name, v.clone())).collect(),
    };
    if let Err(e) = state.store.create(&rec, ev.clone()).await {
        return Err(state.fail(ev, e.into()).await);
    }
    written(&state, &actor, entity, &id, StatusCode::CREATED).await
}

/// `PATCH /api/v1/{entity}/{id}`
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path((entity, id)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let entity = entity_of(&entity)?;
    let d = state.authorize(&actor, entity, Action::Update).await?;
    let mut ev = event(
        &actor,
        "update",
        Some(entity),
        vec![id.clone()],
        vec![],
        Outcome::Success,
        200,
    );
    let existing = match check_id(&id) {
        Ok(()) => state.store.get(entity, &id, &d.ctx).await?,
        Err(_) => None,
    };
    let Some(existing) = existing else {
        ev.record_ids.clear();
        return Err(state.fail(ev, ApiError::NotFound).await);
    };
    let result = async {
        let body = body.0?;
        let vals = parse_body(entity, &body, false)?;
        if vals.is_empty() {
            return Err(ApiError::BadBody(
                "the body names no field to change".into(),
            ));
        }
        if entity == Entity::Users {
            check_roles(&actor, &vals)?;
            // Separation of duties: nobody changes their own roles or status.
            if id == actor.user_id
                && vals
                    .iter()
                    .any(|(f, _)| matches!(f.name, "roles" | "status" | "manager_id"))
            {
                return Err(ApiError::Forbidden {
                    code: "self_change",
                    detail: "you may not change your own roles, status or manager".into(),
                    fields: vals.iter().map(|(f, _)| f.name.to_string()).collect(),
                });
            }
            check_admin_duties(&state, &id, &vals).await?;
        }
        check_refs(&state, &actor, &vals).await?;
        // The record as it stands must be writable, and so must the record it becomes.
        check_field_access(&d, existing.relation, &vals)?;
        let mut all = vals.clone();
        derive(&state, entity, &mut all, Some(&existing)).await?;
        let rel = relation_for(&state, &actor, &d, entity, &all, Some(&existing)).await?;
        if !d.grant.covers(rel) {
            return Err(ApiError::forbidden(
                "outside_scope",
                "the change would move the record outside the records your role may change",
            ));
        }
        check_field_access(&d, rel, &vals)?;
        Ok((vals, all))
    }
    .await;
    let (vals, all) = match result {
        Ok(v) => v,
        Err(e) => return Err(state.fail(ev, e).await),
    };
    ev.fields = vals.iter().map(|(f, _)| f.name.to_string()).collect();
    let changes: Vec<(&'static str, Value)> =
        all.iter().map(|(f, v)| (f.name, v.clone())).collect();
    match state
        .store
        .update(entity, &id, &changes, &d.ctx, ev.clone())
        .await
    {
        Ok(true) => {}
        Ok(false) => return Err(state.fail(ev, ApiError::NotFound).await),
        Err(e) => return Err(state.fail(ev, e.into()).await),
    }
    if entity == Entity::Users
        && let Some(Value::Text(status)) = get_val(&vals, "status")
        && status != "active"
    {
        state.store.revoke_all(&id).await?;
    }
    written(&state, &actor, entity, &id, StatusCode::OK).await
}

/// `DELETE /api/v1/{entity}/{id}`
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path((entity, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let entity = entity_of(&entity)?;
    let d = state.authorize(&actor, entity, Action::Delete).await?;
    let ev = event(
        &actor,
        "delete",
        Some(entity),
        vec![id.clone()],
        vec![],
        Outcome::Success,
        204,
    );
    if check_id(&id).is_err() {
        return Err(state.fail(ev, ApiError::NotFound).await);
    }
    match state.store.delete(entity, &id, &d.ctx, ev.clone()).await {
        Ok(true) => Ok(StatusCode::NO_CONTENT.into_response()),
        Ok(false) => Err(state.fail(ev, ApiError::NotFound).await),
        Err(e) => Err(state.fail(ev, e.into()).await),
    }
}

/// Body of a reveal request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// Fields to reveal.
    pub fields: Vec<String>,
    /// Why (recorded in the audit log).
    pub reason: String,
}

/// `POST /api/v1/{entity}/{id}/reveal`
pub async fn reveal(
    State(state): State<AppState>,
    actor: Actor,
    Path((entity, id)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let entity = entity_of(&entity)?;
    let d = state.authorize(&actor, entity, Action::Reveal).await?;
    let mut ev = event(
        &actor,
        "reveal",
        Some(entity),
        vec![id.clone()],
        vec![],
        Outcome::Success,
        200,
    );
    let req: Result<RevealRequest, ApiError> = body.0.and_then(|b| {
        serde_json::from_value(b)
            .map_err(|_| {
                ApiError::BadBody(
                    "expected {\"fields\": [\"field\", …], \"reason\": \"why you need the clear values\"}"
                        .into(),
                )
            })
    });
    let req = match req {
        Ok(r) => r,
        Err(e) => return Err(state.fail(ev, e).await),
    };
    ev.fields = req
        .fields
        .iter()
        .filter(|f| entity.def().field(f).is_some())
        .cloned()
        .collect();
    let reason = match text::clean_text(&req.reason, 500, false) {
        Ok(r) if r.chars().count() >= 5 => r,
        _ => {
            return Err(state
                .fail(
                    ev,
                    ApiError::Invalid(vec![FieldProblem::new(
                        "reason",
                        "must be a written reason of 5 to 500 characters",
                    )]),
                )
                .await);
        }
    };
    ev.reason = Some(reason);
    if req.fields.is_empty() || req.fields.len() > 20 {
        return Err(state
            .fail(
                ev,
                ApiError::Invalid(vec![FieldProblem::new(
                    "fields",
                    "must name 1 to 20 fields",
                )]),
            )
            .await);
    }
    let row = match check_id(&id) {
        Ok(()) => state.store.get(entity, &id, &d.ctx).await?,
        Err(_) => None,
    };
    let Some(row) = row else {
        return Err(state.fail(ev, ApiError::NotFound).await);
    };
    let read = state.peek(&actor, entity, Action::Read);
    let mut out = Map::new();
    let mut denied = Vec::new();
    for name in &req.fields {
        let Some((idx, f)) = d.grant.field_index(name) else {
            return Err(state
                .fail(
                    ev,
                    ApiError::Invalid(vec![FieldProblem::new(
                        &text::truncate_graphemes(name, 64),
                        "unknown field",
                    )]),
                )
                .await);
        };
        let visible = read
            .as_ref()
            .is_some_and(|r| r.grant.access(idx, row.relation) != Access::Hidden);
        if !visible || d.grant.access(idx, row.relation) == Access::Hidden {
            denied.push(f.name.to_string());
            continue;
        }
        let v = row.values.get(idx).cloned().unwrap_or(Value::Null);
        out.insert(f.name.to_string(), value::to_json(f, &v));
    }
    if !denied.is_empty() {
        return Err(state
            .fail(
                ev,
                ApiError::Forbidden {
                    code: "field_hidden",
                    detail: format!(
                        "these fields are hidden from your role: {}",
                        denied.join(", ")
                    ),
                    fields: denied,
                },
            )
            .await);
    }
    state.audit.record(ev).await?;
    Ok(JsonResp(json!({ "id": id, "fields": out })).into_response())
}
