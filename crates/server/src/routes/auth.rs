//! `POST /api/v1/auth/login` and `/logout`: password login giving a fresh session (never a
//! client-chosen one), with the same answer and timing for unknown users and bad passwords.

use crate::auth::{
    Actor, CSRF_COOKIE, RequestMeta, SESSION_COOKIE, Via, cookie, digest, new_secret,
};
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::gate::{event, now_rfc3339};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bulwark_audit::{AuditEvent, EVENT_VERSION, Outcome};
use serde::Deserialize;
use serde_json::json;

/// Login request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

fn login_event(
    meta: &RequestMeta,
    user: Option<(&str, &str)>,
    outcome: Outcome,
    status: u16,
) -> AuditEvent {
    AuditEvent {
        version: EVENT_VERSION,
        time: now_rfc3339(),
        request_id: meta.request_id.clone(),
        actor_id: user.map(|u| u.0.to_string()),
        actor_name: user.map(|u| u.1.to_string()),
        roles: vec![],
        action: "login".into(),
        entity: None,
        record_ids: vec![],
        fields: vec![],
        outcome,
        status,
        client_ip: meta.client_ip.clone(),
        reason: None,
    }
}

fn set_cookie(
    name: &str,
    value: &str,
    http_only: bool,
    max_age: i64,
) -> Result<HeaderValue, ApiError> {
    let mut c = format!("{name}={value}; Path=/; Secure; SameSite=Strict; Max-Age={max_age}");
    if http_only {
        c.push_str("; HttpOnly");
    }
    HeaderValue::from_str(&c).map_err(|e| ApiError::Internal(e.to_string()))
}

/// `POST /api/v1/auth/login`
pub async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let req: LoginRequest = match body.0.and_then(|b| {
        serde_json::from_value(b).map_err(|_| {
            ApiError::BadBody("expected {\"username\": \"…\", \"password\": \"…\"}".into())
        })
    }) {
        Ok(r) => r,
        Err(e) => {
            state
                .audit
                .record(login_event(&meta, None, Outcome::Invalid, 400))
                .await?;
            return Err(e);
        }
    };
    let cred = if req.username.is_empty() || req.username.len() > 100 || req.password.len() > 1024 {
        None
    } else {
        state.store.credential_by_username(&req.username).await?
    };
    let ok = state
        .passwords
        .verify(req.password, cred.as_ref().map(|c| c.password_hash.clone()))
        .await?;
    let cred = match cred {
        Some(c) if ok && c.status == "active" => c,
        other => {
            // The audit log (auditor only) names the account when it exists; the client's
            // answer never does.
            let ev = login_event(
                &meta,
                other
                    .as_ref()
                    .map(|c| (c.user_id.as_str(), req.username.as_str())),
                Outcome::Denied,
                401,
            );
            state.audit.record(ev).await?;
            return Err(ApiError::BadCredentials);
        }
    };
    // Never adopt a session id the client brought: end it and issue a new one.
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        state.store.delete_session(&digest(old)).await?;
    }
    let sid = new_secret()?;
    let csrf = new_secret()?;
    let expires = time::OffsetDateTime::now_utc() + state.cfg.session_absolute;
    let expires = bulwark_domain::value::format_timestamp(expires);
    state
        .store
        .create_session(
            &digest(&sid),
            &cred.user_id,
            &csrf,
            &expires,
            meta.client_ip.as_deref(),
        )
        .await?;
    state
        .audit
        .record(login_event(
            &meta,
            Some((&cred.user_id, &req.username)),
            Outcome::Success,
            200,
        ))
        .await?;
    let max_age = state.cfg.session_absolute.whole_seconds();
    let mut resp = (
        StatusCode::OK,
        Json(json!({ "user_id": cred.user_id, "username": req.username, "csrf_token": csrf, "expires_at": expires })),
    )
        .into_response();
    resp.headers_mut()
        .append(SET_COOKIE, set_cookie(SESSION_COOKIE, &sid, true, max_age)?);
    resp.headers_mut()
        .append(SET_COOKIE, set_cookie(CSRF_COOKIE, &csrf, false, max_age)?);
    Ok(resp)
}

/// `POST /api/v1/auth/logout`
pub async fn logout(State(state): State<AppState>, actor: Actor) -> Result<Response, ApiError> {
    if let Via::Session(h) = &actor.via {
        state.store.delete_session(h).await?;
    }
    state
        .audit
        .record(event(
            &actor,
            "logout",
            None,
            vec![],
            vec![],
            Outcome::Success,
            204,
        ))
        .await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut()
        .append(SET_COOKIE, set_cookie(SESSION_COOKIE, "", true, 0)?);
    resp.headers_mut()
        .append(SET_COOKIE, set_cookie(CSRF_COOKIE, "", false, 0)?);
    Ok(resp)
}
