//! The one decision: may this actor do this action on this entity, on which records, and how
//! much of each field may they see.
//!
//! Multi-role rule (documented in the README): permissions are the union of the roles, but a
//! field level is only ever granted on the records that the granting role's own scope covers.
//! A field shown in full by role A on A's records stays masked on records that only role B's
//! wider scope reaches.

use crate::model::{Access, Action, Capability, FieldRule, PolicyDoc, Scope};
use bulwark_domain::{Entity, FieldDef};

/// How the actor relates to one record (computed by the store for each row).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relation {
    /// The actor owns the record (or its account).
    pub owned: bool,
    /// The actor is assigned to the record's account (on its visit/share list, or the
    /// assignee of one of its tickets).
    pub assigned: bool,
    /// The owner is the actor or reports to them.
    pub team: bool,
    /// The record is in the actor's region.
    pub region: bool,
    /// Reference data without an owner (suppliers, products): covered by any scope, but
    /// never "owned" for field elevation.
    pub public: bool,
}

impl Relation {
    /// Whether a scope covers a record with this relation.
    pub fn covered_by(self, scope: Scope) -> bool {
        if self.public {
            return true;
        }
        match scope {
            Scope::Own => self.owned || self.assigned,
            Scope::Team => self.owned || self.assigned || self.team,
            Scope::Region => self.owned || self.assigned || self.team || self.region,
            Scope::All => true,
        }
    }
    /// Whether the record counts as "within" a scope for field elevation (ownership, not
    /// assignment).
    fn owned_within(self, scope: Scope) -> bool {
        match scope {
            Scope::Own => self.owned,
            Scope::Team => self.owned || self.team,
            Scope::Region => self.owned || self.team || self.region,
            Scope::All => true,
        }
    }
}

/// Why a request was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    /// None of the actor's roles grants anything on the entity.
    EntityNotGranted,
    /// The entity is granted but not this action.
    ActionNotGranted,
}

impl DenyReason {
    /// A stable code for audit and problem responses.
    pub fn code(self) -> &'static str {
        match self {
            Self::EntityNotGranted => "entity_not_granted",
            Self::ActionNotGranted => "action_not_granted",
        }
    }
}

/// One role's part of an allowed decision.
#[derive(Debug, Clone)]
pub struct RolePart {
    /// The role name.
    pub role: String,
    /// The role's scope.
    pub scope: Scope,
    /// The role's rule for each field of the entity, in catalogue order.
    pub fields: Vec<FieldRule>,
}

/// An allowed decision: the record scope and the field rules that shape each record.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The entity.
    pub entity: Entity,
    /// The action.
    pub action: Action,
    /// The contributing roles.
    pub parts: Vec<RolePart>,
}

/// The result of [`decide`].
#[derive(Debug, Clone)]
pub enum Decision {
    /// Denied.
    Deny(DenyReason),
    /// Allowed on the records of the widest scope, shaped per field.
    Allow(Grant),
}

/// Decides whether holders of `roles` may perform `action` on `entity`.
pub fn decide(policy: &PolicyDoc, roles: &[String], entity: Entity, action: Action) -> Decision {
    let def = entity.def();
    let mut any_entity = false;
    let mut parts = Vec::new();
    for name in roles {
        let Some(role) = policy.roles.get(name) else {
            continue;
        };
        let Some(g) = role.entities.get(&entity) else {
            continue;
        };
        any_entity = true;
        if !g.actions.contains(&action) {
            continue;
        }
        let fields = def
            .fields
            .iter()
            .map(|f| {
                if f.name == "id" {
                    return FieldRule::Level(Access::Full);
                }
                g.fields
                    .get(f.name)
                    .copied()
                    .unwrap_or(FieldRule::Level(g.default))
            })
            .collect();
        parts.push(RolePart {
            role: name.clone(),
            scope: g.scope,
            fields,
        });
    }
    if parts.is_empty() {
        return Decision::Deny(if any_entity {
            DenyReason::ActionNotGranted
        } else {
            DenyReason::EntityNotGranted
        });
    }
    Decision::Allow(Grant {
        entity,
        action,
        parts,
    })
}

/// Whether any of the roles holds a capability.
pub fn has_capability(policy: &PolicyDoc, roles: &[String], cap: Capability) -> bool {
    roles.iter().any(|r| {
        policy
            .roles
            .get(r)
            .is_some_and(|d| d.capabilities.contains(&cap))
    })
}

impl Grant {
    /// The widest scope among the contributing roles: the store narrows queries by it.
    pub fn scope(&self) -> Scope {
        self.parts
            .iter()
            .map(|p| p.scope)
            .max()
            .unwrap_or(Scope::Own)
    }

    /// Whether the record is covered at all (used after the store's own narrowing, and for
    /// writes that point at a parent record).
    pub fn covers(&self, rel: Relation) -> bool {
        self.parts.iter().any(|p| rel.covered_by(p.scope))
    }

    /// The access to field number `idx` (catalogue order) on a record with relation `rel`.
    pub fn access(&self, idx: usize, rel: Relation) -> Access {
        self.parts
            .iter()
            .filter(|p| rel.covered_by(p.scope))
            .filter_map(|p| p.fields.get(idx))
            .map(|rule| match *rule {
                FieldRule::Level(a) => a,
                FieldRule::Elevated { level, full_within } => {
                    if rel.owned_within(full_within) {
                        Access::Full
                    } else {
                        level
                    }
                }
            })
            .max()
            .unwrap_or(Access::Hidden)
    }

    /// The access to a field that holds on *every* record in scope (the least a role in
    /// scope guarantees). Sorting, filtering and searching are allowed only on fields that
    /// are full on every record, so they can never serve as an oracle for masked values.
    pub fn uniform_access(&self, idx: usize) -> Access {
        self.parts
            .iter()
            .filter_map(|p| p.fields.get(idx))
            .map(|r| r.level())
            .min()
            .unwrap_or(Access::Hidden)
    }

    /// Field index by name.
    pub fn field_index(&self, name: &str) -> Option<(usize, &'static FieldDef)> {
        self.entity
            .def()
            .fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.name == name)
    }
}
