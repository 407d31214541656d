//! Cell conversions: from the cells of one row to the JSON value of one field, which then goes
//! through the API's own parser ([`bulwark_domain::value::parse_input`]).
//!
//! Error messages here never contain cell values.

use super::mapping::{Case, Conv, Out, Template};
use bulwark_domain::{Entity, FieldDef, FieldKind};
use serde_json::Value as Json;
use std::collections::HashMap;

/// Record ids by key, per entity.
pub(crate) type Keys = HashMap<Entity, HashMap<String, KeyEntry>>;

/// The record a key stands for.
#[derive(Debug, Clone)]
pub(crate) struct KeyEntry {
    /// The record id.
    pub id: String,
    /// Where the key was first seen: source file and line.
    pub file: String,
    /// Line of that row.
    pub line: u64,
}

/// One row's cells: `None` for an empty cell or a null placeholder.
pub(crate) type Cells = [Option<String>];

fn cell(cells: &Cells, col: usize) -> Option<&str> {
    cells.get(col).and_then(|c| c.as_deref())
}

fn text(s: &str) -> Option<Out> {
    Some(Out::Text(s.to_string()))
}

/// Computes a conversion's raw result for a row (`None` = no value).
pub(crate) fn evaluate(conv: &Conv, cells: &Cells, keys: &Keys) -> Result<Option<Out>, String> {
    Ok(match conv {
        Conv::Column { col, default } => {
            cell(cells, *col).and_then(text).or_else(|| default.clone())
        }
        Conv::Coalesce { cols, default } => cols
            .iter()
            .find_map(|c| cell(cells, *c))
            .and_then(text)
            .or_else(|| default.clone()),
        Conv::Template { template, default } => render(template, cells)
            .map(Out::Text)
            .or_else(|| default.clone()),
        Conv::Constant(v) => Some(v.clone()),
        Conv::Map { col, map, default } => match cell(cells, *col) {
            None => default.clone(),
            Some(v) => match map.get(v).or(default.as_ref()) {
                Some(out) => Some(out.clone()),
                None => {
                    return Err(
                        "the value is not listed in the field's `map` and there is no `default`"
                            .to_string(),
                    );
                }
            },
        },
        Conv::Switch {
            col,
            if_empty,
            if_present,
        } => match cell(cells, *col) {
            None => if_empty.clone(),
            Some(v) => if_present.clone().or_else(|| text(v)),
        },
        Conv::Ref { entity, col } => match cell(cells, *col) {
            None => None,
            Some(k) => match keys.get(entity).and_then(|m| m.get(k)) {
                Some(entry) => Some(Out::Json(Json::String(entry.id.clone()))),
                None => {
                    return Err(format!(
                        "refers to a {entity} key that is not in this import"
                    ));
                }
            },
        },
        Conv::Lookup {
            col,
            file,
            key_column,
            table,
            default,
        } => match cell(cells, *col) {
            None => default.clone(),
            Some(k) => match table.get(k) {
                Some(v) => v.as_deref().and_then(text).or_else(|| default.clone()),
                None => match default {
                    Some(d) => Some(d.clone()),
                    None => {
                        return Err(format!(
                            "no row of {file} has this value in column `{key_column}`"
                        ));
                    }
                },
            },
        },
    })
}

/// Renders a template. Literal text between two placeholders is a separator: it is left out
/// together with an empty value, so `"{address}, {city}"` never yields a dangling `", "`.
/// `None` when every placeholder is empty.
pub(crate) fn render(t: &Template, cells: &Cells) -> Option<String> {
    let mut out = String::new();
    let mut any = false;
    for slot in &t.slots {
        let Some(v) = cell(cells, slot.col) else {
            continue;
        };
        if any {
            out.push_str(&slot.sep);
        }
        any = true;
        match slot.case {
            Case::Keep => out.push_str(v),
            Case::Lower => out.push_str(&v.to_lowercase()),
            Case::Upper => out.push_str(&v.to_uppercase()),
        }
    }
    any.then(|| format!("{}{out}{}", t.prefix, t.suffix))
}

/// Turns a conversion's result into the JSON the API would receive for the field's kind.
///
/// Text becomes: a JSON number for `Int` (if it is one), a boolean for `Bool` (from `0`, `1`,
/// `true`, `false`), an array for role lists (split on commas and spaces), and a string
/// otherwise. `newline_escape` (e.g. the two characters `\n`) becomes a line break in
/// multi-line fields and a space elsewhere; real line breaks in single-line text become spaces
/// too. Anything the kind cannot take is passed on as a string for the parser to refuse.
pub(crate) fn to_json(field: &FieldDef, out: Option<Out>, newline_escape: Option<&str>) -> Json {
    let s = match out {
        None => return Json::Null,
        Some(Out::Json(j)) => return j,
        Some(Out::Text(s)) => s,
    };
    let multiline = field.kind == FieldKind::LongText;
    let s = match newline_escape {
        Some(esc) if s.contains(esc) => s.replace(esc, if multiline { "\n" } else { " " }),
        _ => s,
    };
    match field.kind {
        FieldKind::Text | FieldKind::PersonName => {
            if s.contains(['\n', '\r']) {
                Json::String(s.replace("\r\n", " ").replace(['\n', '\r'], " "))
            } else {
                Json::String(s)
            }
        }
        FieldKind::Int => match s.trim().parse::<i64>() {
            Ok(i) => Json::from(i),
            Err(_) => Json::String(s),
        },
        FieldKind::Bool => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" => Json::Bool(true),
            "0" | "false" => Json::Bool(false),
            _ => Json::String(s),
        },
        FieldKind::RoleList => Json::Array(
            s.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|r| !r.is_empty())
                .map(|r| Json::String(r.to_string()))
                .collect(),
        ),
        _ => Json::String(s),
    }
}
