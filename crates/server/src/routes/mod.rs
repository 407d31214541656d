//! HTTP route handlers.

pub mod audit;
pub mod auth;
pub mod bench;
pub mod meta;
pub mod records;
