//! The one path every business request takes: the policy decision (denials audited), the
//! scope handed to the store, and the audit event that closes the request.

use crate::auth::Actor;
use crate::error::ApiError;
use crate::state::AppState;
use bulwark_audit::{AuditEvent, EVENT_VERSION, Outcome};
use bulwark_domain::Entity;
use bulwark_policy::{Action, Decision, FieldRule, Grant, Scope, decide};
use bulwark_store::ScopeCtx;

/// An allowed decision together with the store scope derived from it.
#[derive(Debug, Clone)]
pub struct Decided {
    /// The policy's grant (record scope and field rules).
    pub grant: Grant,
    /// What the store needs to narrow queries to that scope.
    pub ctx: ScopeCtx,
}

/// Current time, RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    bulwark_domain::value::format_timestamp(time::OffsetDateTime::now_utc())
}

/// Builds an audit event for a request by `actor`.
pub fn event(
    actor: &Actor,
    action: &str,
    entity: Option<Entity>,
    record_ids: Vec<String>,
    fields: Vec<String>,
    outcome: Outcome,
    status: u16,
) -> AuditEvent {
    AuditEvent {
        version: EVENT_VERSION,
        time: now_rfc3339(),
        request_id: actor.meta.request_id.clone(),
        actor_id: Some(actor.user_id.clone()),
        actor_name: Some(actor.username.clone()),
        roles: actor.roles.clone(),
        action: action.to_string(),
        entity: entity.map(|e| e.as_str().to_string()),
        record_ids,
        fields,
        outcome,
        status,
        client_ip: actor.meta.client_ip.clone(),
        reason: None,
    }
}

/// The store scope for a grant and actor.
pub fn scope_ctx(actor: &Actor, grant: &Grant) -> ScopeCtx {
    let need_team = grant.parts.iter().any(|p| {
        matches!(p.scope, Scope::Team | Scope::Region)
            || p.fields.iter().any(|r| {
                matches!(
                    r,
                    FieldRule::Elevated {
                        full_within: Scope::Team | Scope::Region,
                        ..
                    }
                )
            })
    });
    ScopeCtx {
        user_id: actor.user_id.clone(),
        region: actor.region.clone(),
        scope: grant.scope(),
        need_team,
    }
}

impl AppState {
    /// Asks the policy. A denial is audited and answered 403.
    pub async fn authorize(
        &self,
        actor: &Actor,
        entity: Entity,
        action: Action,
    ) -> Result<Decided, ApiError> {
        match decide(&actor.policy, &actor.roles, entity, action) {
            Decision::Allow(grant) => {
                let ctx = scope_ctx(actor, &grant);
                Ok(Decided { grant, ctx })
            }
            Decision::Deny(reason) => {
                let mut ev = event(
                    actor,
                    action.as_str(),
                    Some(entity),
                    vec![],
                    vec![],
                    Outcome::Denied,
                    403,
                );
                ev.reason = Some(reason.code().to_string());
                self.audit.record(ev).await?;
                Err(ApiError::forbidden(
                    reason.code(),
                    format!("your role may not {} {}", action.as_str(), entity.as_str()),
                ))
            }
        }
    }

    /// Like [`authorize`](Self::authorize) but without auditing a denial (for secondary
    /// checks such as "may the caller read the record it just wrote").
    pub fn peek(&self, actor: &Actor, entity: Entity, action: Action) -> Option<Decided> {
        match decide(&actor.policy, &actor.roles, entity, action) {
            Decision::Allow(grant) => {
                let ctx = scope_ctx(actor, &grant);
                Some(Decided { grant, ctx })
            }
            Decision::Deny(_) => None,
        }
    }

    /// Records an audit event for a request that failed after the decision (not found,
    /// invalid input, conflict), then returns the error.
    pub async fn fail(&self, mut ev: AuditEvent, err: ApiError) -> ApiError {
        ev.status = err.status().as_u16();
        ev.outcome = match &err {
            ApiError::NotFound => Outcome::NotFound,
            ApiError::Forbidden { .. } => Outcome::Denied,
            ApiError::Invalid(_) | ApiError::BadParam { .. } | ApiError::BadBody(_) => {
                Outcome::Invalid
            }
            _ => Outcome::Error,
        };
        if let ApiError::Invalid(problems) = &err {
            ev.fields = problems.iter().map(|p| p.field.clone()).collect();
        }
        if let ApiError::Forbidden { code, fields, .. } = &err {
            ev.reason = Some((*code).to_string());
            ev.fields = fields.clone();
        }
        match self.audit.record(ev).await {
            Ok(()) => err,
            Err(e) => e,
        }
    }
}
