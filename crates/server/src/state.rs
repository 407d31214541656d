//! Shared application state, passed to every handler (no globals).

use crate::audit_writer::AuditWriter;
use crate::password::Passwords;
use crate::policy_cache::PolicyCache;
use bulwark_store::Store;
use std::sync::Arc;

/// Runtime settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Idle timeout of browser sessions.
    pub session_idle: time::Duration,
    /// Absolute lifetime of browser sessions.
    pub session_absolute: time::Duration,
    /// Mount the benchmark-only bare routes (no policy, masking or audit).
    pub bench_bare_routes: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            session_idle: time::Duration::minutes(30),
            session_absolute: time::Duration::hours(12),
            bench_bare_routes: false,
        }
    }
}

/// Everything a handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The policy, cached by version.
    pub policy: Arc<PolicyCache>,
    /// Group-committing audit writer.
    pub audit: AuditWriter,
    /// Key sealing list cursors.
    pub cursor_key: Arc<Vec<u8>>,
    /// Password hashing.
    pub passwords: Passwords,
    /// HTTP settings.
    pub cfg: Arc<HttpSettings>,
}
