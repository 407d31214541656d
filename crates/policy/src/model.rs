//! The policy as data: roles, their grants per entity and their field levels.

use bulwark_domain::Entity;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Something a role may do to records of an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read single records and lists.
    Read,
    /// Create records.
    Create,
    /// Change records.
    Update,
    /// Delete records.
    Delete,
    /// Export lists to files.
    Export,
    /// Reveal masked fields with a written reason.
    Reveal,
}

impl Action {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Export => "export",
            Self::Reveal => "reveal",
        }
    }
    /// Every action.
    pub const ALL: [Action; 6] = [
        Self::Read,
        Self::Create,
        Self::Update,
        Self::Delete,
        Self::Export,
        Self::Reveal,
    ];
}

/// Which records a grant covers. Wider scopes include the narrower ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Records the user owns or is assigned to.
    Own,
    /// Records owned by the user or anyone reporting to them (transitively), or assigned to them.
    Team,
    /// Team records plus records in the user's region.
    Region,
    /// Every record.
    All,
}

impl Scope {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Own => "own",
            Self::Team => "team",
            Self::Region => "region",
            Self::All => "all",
        }
    }
}

/// How much of a field a viewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Absent from the output.
    Hidden,
    /// Present, masked by the field's rule.
    Masked,
    /// Present in clear.
    Full,
}

impl Access {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hidden => "hidden",
            Self::Masked => "masked",
            Self::Full => "full",
        }
    }
}

/// The access a role has to one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldRule {
    /// The same level on every record in scope.
    Level(Access),
    /// A level, raised to full on records the user owns (`own`) or their team owns (`team`).
    Elevated {
        /// Level on other records in scope.
        level: Access,
        /// Records on which the field is shown in full.
        full_within: Scope,
    },
}

impl FieldRule {
    /// The base level.
    pub fn level(self) -> Access {
        match self {
            Self::Level(a) | Self::Elevated { level: a, .. } => a,
        }
    }
}

/// What one role may do with one entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityGrant {
    /// Allowed actions.
    pub actions: BTreeSet<Action>,
    /// Which records.
    pub scope: Scope,
    /// Level of fields not listed in `fields`.
    #[serde(default = "default_hidden")]
    pub default: Access,
    /// Per-field levels.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldRule>,
}

fn default_hidden() -> Access {
    Access::Hidden
}

/// Capabilities outside business data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Read the audit log and verify it.
    AuditRead,
    /// Change roles and security policy.
    PolicyManage,
    /// Create, disable and change users (accounts, not business data).
    UserManage,
}

/// A role: a job's permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDef {
    /// Human description (English).
    pub description: String,
    /// Human description (简体中文).
    #[serde(default)]
    pub description_zh: String,
    /// Capabilities outside business data.
    #[serde(default)]
    pub capabilities: BTreeSet<Capability>,
    /// Grants per entity; an entity not listed is denied.
    #[serde(default)]
    pub entities: BTreeMap<Entity, EntityGrant>,
}

/// The whole policy: every role by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDoc {
    /// Roles by name.
    pub roles: BTreeMap<String, RoleDef>,
}
