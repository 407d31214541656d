//! CSV import: a mapping file (TOML) says which CSV columns become which catalogue fields; the
//! planner reads the files, converts and validates every cell with the same parser as the API
//! and returns a [`Plan`]: the records to insert (references first), account assignments,
//! per-entity counts and every row error. The caller commits the records all-or-nothing, and
//! only when the plan has no errors. The mapping format is documented in `docs/import.md`.
//!
//! Planning is pure apart from reading the mapping and the CSV files: nothing is written.

mod convert;
mod mapping;
mod plan;
#[cfg(test)]
mod tests;

use bulwark_domain::Entity;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub use plan::plan;

/// At most this many row errors are kept in [`Plan::errors`]; the rest are only counted.
pub const MAX_REPORTED_ERRORS: usize = 1000;

/// The outcome of planning an import.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Records to insert, in this order: every record comes after the records it refers to.
    /// Rows with errors are left out.
    pub records: Vec<bulwark_store::NewRecord>,
    /// Account assignments `(account id, user id)` to insert after the records.
    pub assignments: Vec<(String, String)>,
    /// Number of records per entity in `records`.
    pub counts: BTreeMap<Entity, usize>,
    /// Row errors, in file and line order (at most [`MAX_REPORTED_ERRORS`]).
    pub errors: Vec<RowError>,
    /// Row errors found beyond [`MAX_REPORTED_ERRORS`] and not listed in `errors`.
    pub errors_omitted: usize,
}

impl Plan {
    /// Whether the plan may be committed: no row errors at all.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty() && self.errors_omitted == 0
    }
}

/// A problem with one CSV row. The message never contains the cell's value, so row errors may
/// be printed and logged even when the data is personal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The CSV file, as named in the mapping.
    pub file: String,
    /// The line the row starts on (the header is line 1).
    pub line: u64,
    /// The entity the row was to become.
    pub entity: Entity,
    /// The catalogue field concerned, if the problem is with one field.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.entity)?;
        if let Some(field) = &self.field {
            write!(f, ".{field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Why an import could not be planned at all (as opposed to [`RowError`]s in the data).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The mapping file is not valid TOML or has unknown keys.
    #[error("{} is not a valid mapping file: {message}", path.display())]
    Toml {
        /// The mapping file.
        path: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// The mapping does not fit the catalogue or the CSV headers.
    #[error("the mapping has {} problem(s):\n  - {}", .0.len(), .0.join("\n  - "))]
    Mapping(Vec<String>),
    /// A CSV file's header could not be read.
    #[error("{}: {message}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}
