//! One module per command.

pub mod audit;
pub mod demo;
pub mod import;
pub mod init;
pub mod policy;
pub mod serve;
pub mod token;
pub mod user;
