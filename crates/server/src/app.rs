//! The router, the middleware every response passes through, and the HTTPS listener.

use crate::audit_writer::AuditWriter;
use crate::error::ApiError;
use crate::password::Passwords;
use crate::policy_cache::PolicyCache;
use crate::routes::{audit, auth, bench, meta, records};
use crate::state::{AppState, HttpSettings};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use bulwark_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;

/// The id of a request, generated on arrival and echoed as `x-request-id`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Builds the shared state and starts the audit writer.
pub fn build_state(
    store: Store,
    settings: HttpSettings,
    cursor_key: Vec<u8>,
    passwords: Passwords,
) -> AppState {
    AppState {
        audit: AuditWriter::spawn(store.clone()),
        store,
        policy: Arc::new(PolicyCache::default()),
        cursor_key: Arc::new(cursor_key),
        passwords,
        cfg: Arc::new(settings),
    }
}

async fn request_id_and_headers(mut req: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let is_api = req.uri().path().starts_with("/api/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: &'static str, v: &'static str| {
        h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    };
    set(
        h,
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    );
    set(
        h,
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "no-referrer");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "cross-origin-resource-policy", "same-origin");
    if is_api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert(HeaderName::from_static("x-request-id"), v);
    }
    resp
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let mut api = Router::new()
        .route("/healthz", get(meta::healthz))
        .route("/api/v1/openapi.json", get(meta::openapi))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/me", get(meta::me))
        .route("/api/v1/audit/events", get(audit::events))
        .route("/api/v1/audit/verify", get(audit::verify))
        .route("/api/v1/{entity}", get(records::list).post(records::create))
        .route(
            "/api/v1/{entity}/{id}",
            get(records::read)
                .patch(records::update)
                .delete(records::delete),
        )
        .route("/api/v1/{entity}/{id}/reveal", post(records::reveal));
    if state.cfg.bench_bare_routes {
        api = api
            .route("/bench/bare/{entity}", get(bench::list))
            .route("/bench/bare/{entity}/{id}", get(bench::read));
    }
    api.fallback(not_found)
        .layer(DefaultBodyLimit::max(crate::body::MAX_BODY))
        .layer(middleware::from_fn(request_id_and_headers))
        .with_state(state)
}

/// Errors starting the listener.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Binding or serving failed.
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
    /// TLS set-up failed.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// Handle to a running server (`graceful_shutdown`, `shutdown`).
pub type ServerHandle = axum_server::Handle<SocketAddr>;

/// How to listen.
#[derive(Debug, Clone)]
pub struct Listen {
    /// Address (port 0 picks a free port).
    pub addr: SocketAddr,
    /// Certificate and key; None means plain HTTP (behind a TLS-terminating proxy only).
    pub tls: Option<crate::tls::CertPaths>,
}

/// Starts serving in the background. Returns the bound address and a handle whose
/// `graceful_shutdown` stops the server.
pub async fn spawn(
    state: AppState,
    listen: Listen,
) -> Result<
    (
        SocketAddr,
        axum_server::Handle<SocketAddr>,
        tokio::task::JoinHandle<std::io::Result<()>>,
    ),
    ServeError,
> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let task = match listen.tls {
        Some(paths) => {
            let cfg = crate::tls::server_config(&paths)?;
            let rustls = axum_server::tls_rustls::RustlsConfig::from_config(cfg);
            let server = axum_server::bind_rustls(listen.addr, rustls).handle(handle.clone());
            tokio::spawn(async move { server.serve(app).await })
        }
        None => {
            let server = axum_server::bind(listen.addr).handle(handle.clone());
            tokio::spawn(async move { server.serve(app).await })
        }
    };
    let addr = match handle.listening().await {
        Some(a) => a,
        None => {
            return match task.await {
                Ok(Err(e)) => Err(ServeError::Io(e)),
                _ => Err(ServeError::Io(std::io::Error::other(
                    "listener did not start",
                ))),
            };
        }
    };
    Ok((addr, handle, task))
}
