//! `/healthz`, `/api/v1/me` and the OpenAPI document.

use crate::auth::Actor;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use bulwark_domain::catalogue::ALL;
use bulwark_policy::{Action, Capability, Decision, decide};
use serde_json::{Value, json};

/// `GET /healthz`: 200 once the server is serving and the database answers.
pub async fn healthz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.store.ping().await?;
    Ok("ok")
}

/// `GET /api/v1/me`: who am I, and what may I do (entity → actions, scope).
pub async fn me(actor: Actor) -> Json<Value> {
    let mut perms = serde_json::Map::new();
    for e in ALL {
        let mut actions = Vec::new();
        let mut scope = None;
        for a in Action::ALL {
            if let Decision::Allow(g) = decide(&actor.policy, &actor.roles, *e, a) {
                actions.push(a.as_str());
                if a == Action::Read {
                    scope = Some(g.scope().as_str());
                }
            }
        }
        if !actions.is_empty() {
            perms.insert(
                e.as_str().into(),
                json!({ "actions": actions, "scope": scope }),
            );
        }
    }
    let caps: Vec<&str> = [
        (Capability::AuditRead, "audit_read"),
        (Capability::PolicyManage, "policy_manage"),
        (Capability::UserManage, "user_manage"),
    ]
    .iter()
    .filter(|(c, _)| bulwark_policy::has_capability(&actor.policy, &actor.roles, *c))
    .map(|(_, n)| *n)
    .collect();
    Json(json!({
        "id": actor.user_id,
        "username": actor.username,
        "roles": actor.roles,
        "region": actor.region,
        "permissions": perms,
        "capabilities": caps,
    }))
}

/// `GET /api/v1/openapi.json`
pub async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}
