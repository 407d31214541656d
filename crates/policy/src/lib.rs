//! Bulwark's policy: roles as data, and the one decision every read and write goes through.
//!
//! A [`PolicyDoc`] holds every role. [`decide`] answers whether a set of roles may perform an
//! action on an entity; an allowed [`Grant`] carries the record scope (which the store turns
//! into a SQL predicate) and the per-field rules that the view applies to each record. Pure
//! logic: no I/O.

pub mod decide;
pub mod model;

pub use decide::{Decision, DenyReason, Grant, Relation, RolePart, decide, has_capability};
pub use model::{Access, Action, Capability, EntityGrant, FieldRule, PolicyDoc, RoleDef, Scope};

use thiserror::Error;

/// The built-in roles as shipped (TOML).
pub const DEFAULT_ROLES_TOML: &str = include_str!("../defaults/roles.toml");

/// A policy document that cannot be used.
#[derive(Debug, Error)]
pub enum PolicyError {
    /// The TOML does not parse.
    #[error("policy does not parse: {0}")]
    Parse(String),
    /// A role names a field that its entity does not have.
    #[error("role {role}: entity {entity} has no field {field}")]
    UnknownField {
        /// Role name.
        role: String,
        /// Entity name.
        entity: String,
        /// Field name.
        field: String,
    },
    /// A role name is not snake_case ASCII.
    #[error("role name {0:?} must be lower-case letters and underscores")]
    BadRoleName(String),
}

impl PolicyDoc {
    /// Parses and validates a policy document.
    pub fn from_toml(s: &str) -> Result<Self, PolicyError> {
        let doc: PolicyDoc = toml::from_str(s).map_err(|e| PolicyError::Parse(e.to_string()))?;
        doc.validate()?;
        Ok(doc)
    }

    /// The built-in roles.
    pub fn builtin() -> Result<Self, PolicyError> {
        Self::from_toml(DEFAULT_ROLES_TOML)
    }

    /// Checks that every named field exists and role names are well-formed.
    pub fn validate(&self) -> Result<(), PolicyError> {
        for (name, role) in &self.roles {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                return Err(PolicyError::BadRoleName(name.clone()));
            }
            for (entity, grant) in &role.entities {
                for field in grant.fields.keys() {
                    if entity.def().field(field).is_none() {
                        return Err(PolicyError::UnknownField {
                            role: name.clone(),
                            entity: entity.to_string(),
                            field: field.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Serialises the policy as TOML.
    pub fn to_toml(&self) -> Result<String, PolicyError> {
        toml::to_string_pretty(self).map_err(|e| PolicyError::Parse(e.to_string()))
    }
}

#[cfg(test)]
mod tests;
