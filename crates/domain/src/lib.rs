//! Bulwark's domain: the entities of a supply-chain CRM, the field catalogue that declares every
//! field once (type, classification, masking rule, what may be sorted, filtered and searched),
//! validators for Chinese identifiers, and masking. Pure logic: no I/O.

pub mod catalogue;
pub mod mask;
pub mod text;
pub mod validate;
pub mod value;

pub use catalogue::{Classification, Entity, EntityDef, FieldDef, FieldKind, MaskRule};
pub use value::Value;
