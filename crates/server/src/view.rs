//! The view: the only place where stored rows become JSON. Hidden fields are dropped, masked
//! fields are masked by their rule, and the decision comes from the policy's grant.

use bulwark_domain::{mask, value};
use bulwark_policy::{Access, Grant};
use bulwark_store::Row;
use serde_json::{Map, Value as Json};
use std::collections::BTreeSet;

/// Shapes one record for the viewer; adds the names of the fields it shows to `shown`.
pub fn shape(grant: &Grant, row: &Row, shown: &mut BTreeSet<&'static str>) -> Json {
    let def = grant.entity.def();
    let mut obj = Map::new();
    for (idx, f) in def.fields.iter().enumerate() {
        let Some(v) = row.values.get(idx) else {
            continue;
        };
        let out = match grant.access(idx, row.relation) {
            Access::Hidden => continue,
            Access::Full => value::to_json(f, v),
            Access::Masked => match value::display(f, v) {
                Some(clear) => Json::String(mask::apply(f.mask, &clear)),
                None => Json::Null,
            },
        };
        shown.insert(f.name);
        obj.insert(f.name.to_string(), out);
    }
    Json::Object(obj)
}
