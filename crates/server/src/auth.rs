//! Authentication: turns a session cookie or a bearer token into an [`Actor`], reading the
//! user's status, roles and the session's validity fresh from the database on every request
//! (no cache, no grace period).

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};
use base64::Engine as _;
use bulwark_policy::PolicyDoc;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "bulwark_session";
/// Name of the (script-readable) CSRF cookie.
pub const CSRF_COOKIE: &str = "bulwark_csrf";
/// Header that must echo the CSRF token on state-changing requests made with a session.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Prefix of personal API tokens.
pub const TOKEN_PREFIX: &str = "bwk_";

/// Per-request facts every handler and audit event needs.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    /// The request id (also sent back as `x-request-id`).
    pub request_id: String,
    /// The client's address as seen on the socket.
    pub client_ip: Option<String>,
}

/// How the actor authenticated.
#[derive(Debug, Clone)]
pub enum Via {
    /// A browser session (by the digest of its id).
    Session(String),
    /// A personal API token.
    Token,
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Actor {
    /// User id.
    pub user_id: String,
    /// Login name.
    pub username: String,
    /// Current roles.
    pub roles: Vec<String>,
    /// Region.
    pub region: Option<String>,
    /// The policy in force for this request.
    pub policy: Arc<PolicyDoc>,
    /// How they authenticated.
    pub via: Via,
    /// Request facts.
    pub meta: RequestMeta,
}

/// SHA-256 digest (hex) of a secret token: what the database stores.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new random secret, URL-safe base64 of 32 bytes.
pub fn new_secret() -> Result<String, ApiError> {
    let b: [u8; 32] =
        crate::secrets::random_bytes().map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

/// Reads a cookie value from the request headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let request_id = parts
            .extensions
            .get::<crate::app::RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let client_ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(Self {
            request_id,
            client_ip,
        })
    }
}

fn expired(ts: &str, now: OffsetDateTime) -> bool {
    match OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339) {
        Ok(t) => t <= now,
        Err(_) => true,
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let meta = RequestMeta::from_request_parts(parts, state).await?;
        let now = OffsetDateTime::now_utc();
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let (row, via) = if let Some(token) = bearer {
            if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
                return Err(ApiError::Unauthenticated);
            }
            let row = state
                .store
                .token_auth(&digest(token))
                .await?
                .ok_or(ApiError::Unauthenticated)?;
            (row, Via::Token)
        } else if let Some(sid) = cookie(&parts.headers, SESSION_COOKIE) {
            if sid.len() > 200 {
                return Err(ApiError::Unauthenticated);
            }
            let h = digest(sid);
            let row = state
                .store
                .session_auth(&h)
                .await?
                .ok_or(ApiError::Unauthenticated)?;
            let idle = row.last_seen_at.as_deref().is_none_or(|seen| {
                OffsetDateTime::parse(seen, &time::format_description::well_known::Rfc3339)
                    .map(|t| now - t > state.cfg.session_idle)
                    .unwrap_or(true)
            });
            if idle {
                state.store.delete_session(&h).await?;
                return Err(ApiError::Unauthenticated);
            }
            // CSRF: state-changing requests made with the cookie must echo the token.
            if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let want = row.csrf_token.as_deref().unwrap_or_default();
                if want.is_empty() || !bool::from(sent.as_bytes().ct_eq(want.as_bytes())) {
                    // A forged cross-site request is an attack on this user: record it.
                    let ev = bulwark_audit::AuditEvent {
                        version: bulwark_audit::EVENT_VERSION,
                        time: crate::gate::now_rfc3339(),
                        request_id: meta.request_id.clone(),
                        actor_id: Some(row.user_id.clone()),
                        actor_name: Some(row.username.clone()),
                        roles: row.roles.clone(),
                        action: "csrf".into(),
                        entity: None,
                        record_ids: vec![],
                        fields: vec![],
                        outcome: bulwark_audit::Outcome::Denied,
                        status: 403,
                        client_ip: meta.client_ip.clone(),
                        reason: Some(format!(
                            "{} {} without a valid CSRF token",
                            parts.method,
                            parts.uri.path()
                        )),
                    };
                    state.audit.record(ev).await?;
                    return Err(ApiError::Csrf);
                }
            }
            // Throttled activity update: at most once a minute per session.
            if row.last_seen_at.as_deref().is_some_and(|seen| {
                OffsetDateTime::parse(seen, &time::format_description::well_known::Rfc3339)
                    .map(|t| now - t > time::Duration::minutes(1))
                    .unwrap_or(false)
            }) {
                state.store.touch_session(&h).await?;
            }
            (row, Via::Session(h))
        } else {
            return Err(ApiError::Unauthenticated);
        };
        if row.status != "active" || expired(&row.expires_at, now) {
            return Err(ApiError::Unauthenticated);
        }
        let policy = state
            .policy
            .get(&state.store, row.policy_version)
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(Actor {
            user_id: row.user_id,
            username: row.username,
            roles: row.roles,
            region: row.region,
            policy,
            via,
            meta,
        })
    }
}
