//! `/api/v1/audit/*`: the audit log, for holders of the `audit_read` capability only (the
//! auditor). Reading the log is itself audited.

use crate::auth::Actor;
use crate::error::ApiError;
use crate::gate::event;
use crate::state::AppState;
use axum::Json;
use axum::extract::{RawQuery, State};
use bulwark_audit::Outcome;
use bulwark_policy::{Capability, has_capability};
use bulwark_store::AuditFilter;
use serde_json::{Value as Json_, json};

async fn require_auditor(state: &AppState, actor: &Actor, action: &str) -> Result<(), ApiError> {
    if has_capability(&actor.policy, &actor.roles, Capability::AuditRead) {
        return Ok(());
    }
    let mut ev = event(actor, action, None, vec![], vec![], Outcome::Denied, 403);
    ev.reason = Some("capability_missing".into());
    state.audit.record(ev).await?;
    Err(ApiError::forbidden(
        "capability_missing",
        "only the auditor may read the audit log",
    ))
}

fn time_param(name: &str, v: &str) -> Result<String, ApiError> {
    bulwark_domain::value::normalize_timestamp(v).ok_or_else(|| {
        ApiError::bad_param(
            name,
            "must be an RFC 3339 time such as 2026-12-01T00:00:00Z",
        )
    })
}

/// `GET /api/v1/audit/events?actor_id=&action=&entity=&outcome=&since=&until=&limit=&cursor=`
pub async fn events(
    State(state): State<AppState>,
    actor: Actor,
    RawQuery(raw): RawQuery,
) -> Result<Json<Json_>, ApiError> {
    require_auditor(&state, &actor, "audit.list").await?;
    let params: Vec<(String, String)> = serde_urlencoded::from_str(&raw.unwrap_or_default())
        .map_err(|_| ApiError::bad_param("query", "is not a valid query string"))?;
    let mut f = AuditFilter {
        limit: 100,
        ..Default::default()
    };
    for (k, v) in params {
        let short = |v: &str| -> Result<String, ApiError> {
            if v.len() > 100 {
                Err(ApiError::bad_param(&k, "is too long"))
            } else {
                Ok(v.to_string())
            }
        };
        match k.as_str() {
            "actor_id" => f.actor_id = Some(short(&v)?),
            "action" => f.action = Some(short(&v)?),
            "entity" => f.entity = Some(short(&v)?),
            "outcome" => f.outcome = Some(short(&v)?),
            "since" => f.since = Some(time_param("since", &v)?),
            "until" => f.until = Some(time_param("until", &v)?),
            "limit" => {
                f.limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        ApiError::bad_param("limit", "must be a number from 1 to 1000")
                    })?
            }
            "cursor" => {
                f.before_seq =
                    Some(v.parse().map_err(|_| {
                        ApiError::bad_param("cursor", "is not a cursor from this list")
                    })?)
            }
            other => {
                return Err(ApiError::bad_param(
                    other,
                    "is not a filter: use actor_id, action, entity, outcome, since, until, limit, cursor",
                ));
            }
        }
    }
    let events = state.store.audit_events(&f).await?;
    let next = if events.len() == f.limit as usize {
        events.last().map(|e| e.seq.to_string())
    } else {
        None
    };
    let items: Vec<Json_> = events
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(&e.event).unwrap_or(Json_::Null);
            v["seq"] = json!(e.seq);
            v["hash"] = json!(e.hash);
            v
        })
        .collect();
    state
        .audit
        .record(event(
            &actor,
            "audit.list",
            None,
            vec![],
            vec![],
            Outcome::Success,
            200,
        ))
        .await?;
    Ok(Json(json!({ "items": items, "next_cursor": next })))
}

/// `GET /api/v1/audit/verify`: recomputes the chain and reports the first bad event.
pub async fn verify(State(state): State<AppState>, actor: Actor) -> Result<Json<Json_>, ApiError> {
    require_auditor(&state, &actor, "audit.verify").await?;
    let result = state.store.verify_own_audit().await?;
    state
        .audit
        .record(event(
            &actor,
            "audit.verify",
            None,
            vec![],
            vec![],
            Outcome::Success,
            200,
        ))
        .await?;
    Ok(Json(match result {
        Ok(s) => json!({ "valid": true, "events": s.entries }),
        Err(f) => json!({ "valid": false, "first_bad_seq": f.seq, "fault": f.to_string() }),
    }))
}
