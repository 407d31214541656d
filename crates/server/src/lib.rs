//! Bulwark's HTTP server: the one request path of ARCHITECTURE.md.
//!
//! TLS → authenticate ([`auth::Actor`], read fresh every request) → policy decision
//! ([`gate`]) → store query narrowed by the granted scope → [`view`] shapes each record →
//! one audit event (group-committed by [`audit_writer`]) → response. Errors are mapped once,
//! in [`error`], to RFC 9457 problem responses.

pub mod app;
pub mod audit_writer;
pub mod auth;
pub mod body;
pub mod error;
pub mod gate;
pub mod listq;
pub mod openapi;
pub mod password;
pub mod policy_cache;
pub mod routes;
pub mod secrets;
pub mod state;
pub mod tls;
pub mod view;

pub use app::{Listen, build_state, router, spawn};
pub use state::{AppState, HttpSettings};
