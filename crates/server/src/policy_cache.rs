//! The policy as loaded from the database, reloaded whenever its version changes (the version
//! is read with the user on every request, so every node sees a change on its next request).

use bulwark_policy::PolicyDoc;
use bulwark_store::Store;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// Errors loading the stored policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyLoadError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] bulwark_store::StoreError),
    /// A stored role does not parse.
    #[error("stored role {0} is invalid: {1}")]
    Invalid(String, String),
}

/// Cached policy with its version.
#[derive(Debug, Default)]
pub struct PolicyCache {
    inner: RwLock<Option<(i64, Arc<PolicyDoc>)>>,
}

/// Loads every stored role into a policy document.
pub async fn load(store: &Store) -> Result<PolicyDoc, PolicyLoadError> {
    let mut roles = BTreeMap::new();
    for (name, def) in store.roles().await? {
        let role = toml::from_str(&def).map_err(|e: toml::de::Error| {
            PolicyLoadError::Invalid(name.clone(), e.message().to_string())
        })?;
        roles.insert(name, role);
    }
    let doc = PolicyDoc { roles };
    doc.validate()
        .map_err(|e| PolicyLoadError::Invalid("*".into(), e.to_string()))?;
    Ok(doc)
}

/// Stores a whole policy document (one row per role) and bumps the version.
pub async fn save(store: &Store, doc: &PolicyDoc) -> Result<(), PolicyLoadError> {
    let mut rows = Vec::new();
    for (name, role) in &doc.roles {
        let text = toml::to_string(role)
            .map_err(|e| PolicyLoadError::Invalid(name.clone(), e.to_string()))?;
        rows.push((name.clone(), text));
    }
    store.replace_roles(&rows).await?;
    Ok(())
}

impl PolicyCache {
    /// The policy at `version`, reloading it if the cached one is older.
    pub async fn get(
        &self,
        store: &Store,
        version: i64,
    ) -> Result<Arc<PolicyDoc>, PolicyLoadError> {
        if let Ok(guard) = self.inner.read()
            && let Some((v, doc)) = guard.as_ref()
            && *v == version
        {
            return Ok(doc.clone());
        }
        let doc = Arc::new(load(store).await?);
        if let Ok(mut guard) = self.inner.write() {
            *guard = Some((version, doc.clone()));
        }
        Ok(doc)
    }
}
