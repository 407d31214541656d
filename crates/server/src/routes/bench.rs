//! Benchmark-only bare routes (mounted only with `serve --bench-bare-routes`): the same store
//! reads as the real routes, authenticated, but with no policy decision, no masking and no
//! audit. They exist to measure what the secure path costs; never enable them in production.

use crate::auth::Actor;
use crate::error::ApiError;
use crate::routes::records::entity_of;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use bulwark_domain::value;
use bulwark_policy::Scope;
use bulwark_store::{Dir, ListQuery, Row, ScopeCtx};
use serde_json::{Map, Value, json};

fn all(actor: &Actor) -> ScopeCtx {
    ScopeCtx {
        user_id: actor.user_id.clone(),
        region: None,
        scope: Scope::All,
        need_team: false,
    }
}

fn plain(entity: bulwark_domain::Entity, row: &Row) -> Value {
    let mut o = Map::new();
    for (f, v) in entity.def().fields.iter().zip(&row.values) {
        o.insert(f.name.into(), value::to_json(f, v));
    }
    Value::Object(o)
}

/// `GET /bench/bare/{entity}/{id}`
pub async fn read(
    State(state): State<AppState>,
    actor: Actor,
    Path((entity, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let entity = entity_of(&entity)?;
    let row = state
        .store
        .get(entity, &id, &all(&actor))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(plain(entity, &row)))
}

/// `GET /bench/bare/{entity}`: the first 50 by the default sort.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(entity): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let entity = entity_of(&entity)?;
    let q = ListQuery {
        sort: (entity.def().default_sort, Dir::Asc),
        filters: vec![],
        search: None,
        after: None,
        limit: 50,
    };
    let rows = state.store.list(entity, &q, &all(&actor)).await?;
    let items: Vec<Value> = rows.iter().map(|r| plain(entity, r)).collect();
    Ok(Json(json!({ "items": items })))
}
