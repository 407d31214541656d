//! Types the store exchanges with its callers.

use bulwark_domain::{Entity, Value};
use bulwark_policy::{Relation, Scope};

/// A record to insert, with its id already chosen (UUIDv7) and references resolved to ids.
/// `created_at`/`updated_at` are filled in by the store.
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// The entity.
    pub entity: Entity,
    /// The new record's id.
    pub id: String,
    /// Field values by catalogue field name (fields not given are NULL).
    pub values: Vec<(&'static str, Value)>,
}

/// A record as read: values in catalogue order, and how the reading actor relates to it.
#[derive(Debug, Clone)]
pub struct Row {
    /// Values in the entity's catalogue field order.
    pub values: Vec<Value>,
    /// The actor's relation to the record (ownership, assignment, team, region).
    pub relation: Relation,
}

impl Row {
    /// The record id (first catalogue field).
    pub fn id(&self) -> &str {
        self.values
            .first()
            .and_then(Value::as_text)
            .unwrap_or_default()
    }
}

/// Who is asking, for scope predicates and relation columns.
#[derive(Debug, Clone)]
pub struct ScopeCtx {
    /// The actor's user id.
    pub user_id: String,
    /// The actor's region, if any.
    pub region: Option<String>,
    /// The widest scope the decision allows.
    pub scope: Scope,
    /// Whether team membership must be computed (a team scope or a team elevation is in play).
    pub need_team: bool,
}

impl ScopeCtx {
    /// No narrowing at all: for the server's own lookups after a decision was already made
    /// (deriving an order's account, computing a relation) and for the command line, which
    /// acts as the operator of the host.
    pub fn unscoped() -> Self {
        Self {
            user_id: String::new(),
            region: None,
            scope: Scope::All,
            need_team: false,
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// A validated list query: every field name here comes from the catalogue (never from the
/// client), and every value is bound as a parameter.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Sort field (catalogue name) and direction.
    pub sort: (&'static str, Dir),
    /// Equality filters.
    pub filters: Vec<(&'static str, Value)>,
    /// Free-text search over these fields (case-insensitive substring), if any.
    pub search: Option<(Vec<&'static str>, String)>,
    /// Keyset position: the last row's sort value and id.
    pub after: Option<(Value, String)>,
    /// Page size (rows to fetch; the caller asks one more to know if there is a next page).
    pub limit: u32,
}
