//! Password hashing with Argon2id on a bounded blocking pool.

use crate::error::ApiError;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    /// Memory in KiB (OWASP: 19456).
    pub m_kib: u32,
    /// Iterations (OWASP: 2).
    pub t: u32,
    /// Parallelism (OWASP: 1).
    pub p: u32,
}

impl Default for Cost {
    fn default() -> Self {
        Self {
            m_kib: 19 * 1024,
            t: 2,
            p: 1,
        }
    }
}

/// Hashes and verifies passwords; at most a few hashes run at once so a login flood cannot
/// exhaust memory.
#[derive(Clone)]
pub struct Passwords {
    cost: Cost,
    permits: Arc<Semaphore>,
    dummy: Arc<String>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords")
            .field("cost", &self.cost)
            .finish()
    }
}

fn argon(cost: Cost) -> Result<Argon2<'static>, String> {
    let params = Params::new(cost.m_kib, cost.t, cost.p, None).map_err(|e| e.to_string())?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password synchronously (CLI use).
pub fn hash_sync(cost: Cost, password: &str) -> Result<String, String> {
    let salt: [u8; 16] = crate::secrets::random_bytes().map_err(|e| e.to_string())?;
    argon(cost)?
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_sync(cost: Cost, password: &str, hash: &str) -> bool {
    match argon(cost) {
        Ok(a) => a.verify_password(password.as_bytes(), hash).is_ok(),
        Err(_) => false,
    }
}

impl Passwords {
    /// Creates a hasher with the given cost.
    pub fn new(cost: Cost) -> Result<Self, String> {
        let dummy = hash_sync(cost, "dummy password for timing equalisation")?;
        Ok(Self {
            cost,
            permits: Arc::new(Semaphore::new(4)),
            dummy: Arc::new(dummy),
        })
    }

    /// The configured cost.
    pub fn cost(&self) -> Cost {
        self.cost
    }

    /// Verifies a password against a stored hash, or against a dummy hash when there is no
    /// user, so both take the same time.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let cost = self.cost;
        let real = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy.as_ref().clone());
        let ok = tokio::task::spawn_blocking(move || verify_sync(cost, &password, &hash))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(ok && real)
    }
}
