//! List query parameters: `limit`, `cursor`, `q`, `sort` and equality filters, each checked
//! against the catalogue and the caller's grant. Sorting, filtering and searching are allowed
//! only on fields the caller sees in full on every record (never on masked or hidden ones, so
//! they cannot serve as an oracle), and every name maps to a static catalogue identifier.
//! Cursors are opaque and sealed with an HMAC so they cannot be forged or edited.

use crate::error::ApiError;
use base64::Engine as _;
use bulwark_domain::catalogue::FieldKind;
use bulwark_domain::{Entity, FieldDef, Value, value};
use bulwark_policy::{Access, Grant};
use bulwark_store::{Dir, ListQuery};
use hmac::{KeyInit, Mac};
use serde_json::{Value as Json, json};
use std::collections::BTreeSet;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Default and maximum page sizes.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page.
pub const MAX_LIMIT: u32 = 200;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

fn tag(key: &[u8], payload: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    mac.update(payload);
    Ok(mac.finalize().into_bytes()[..16].to_vec())
}

/// Seals a keyset position into an opaque cursor.
pub fn seal_cursor(
    key: &[u8],
    entity: Entity,
    sort: (&str, Dir),
    last: (&Value, &str),
) -> Result<String, ApiError> {
    let v = match last.0 {
        Value::Null => Json::Null,
        Value::Int(i) => json!(i),
        Value::Text(s) => json!(s),
    };
    let payload = serde_json::to_vec(&json!({
        "e": entity.as_str(),
        "s": sort.0,
        "d": matches!(sort.1, Dir::Desc),
        "v": v,
        "i": last.1,
    }))
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let t = tag(key, &payload)?;
    Ok(format!("{}.{}", b64().encode(&payload), b64().encode(t)))
}

fn open_cursor(
    key: &[u8],
    cursor: &str,
    entity: Entity,
    sort: (&str, Dir),
) -> Result<(Value, String), ApiError> {
    let bad = || ApiError::bad_param("cursor", "is not a cursor returned by this list");
    let (p, t) = cursor.split_once('.').ok_or_else(bad)?;
    let payload = b64().decode(p).map_err(|_| bad())?;
    let given = b64().decode(t).map_err(|_| bad())?;
    let want = tag(key, &payload)?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        given.as_slice(),
        want.as_slice(),
    )) {
        return Err(bad());
    }
    let j: Json = serde_json::from_slice(&payload).map_err(|_| bad())?;
    if j["e"] != entity.as_str() || j["s"] != sort.0 || j["d"] != matches!(sort.1, Dir::Desc) {
        return Err(ApiError::bad_param(
            "cursor",
            "belongs to a different list or sort order",
        ));
    }
    let v = match &j["v"] {
        Json::Null => Value::Null,
        Json::Number(n) => Value::Int(n.as_i64().ok_or_else(bad)?),
        Json::String(s) => Value::Text(s.clone()),
        _ => return Err(bad()),
    };
    let id = j["i"].as_str().ok_or_else(bad)?.to_string();
    Ok((v, id))
}

fn full_field(grant: &Grant, name: &str) -> Option<&'static FieldDef> {
    let (idx, f) = grant.field_index(name)?;
    (grant.uniform_access(idx) == Access::Full).then_some(f)
}

/// Parses a filter value given as query text, by the field's kind.
fn filter_value(f: &FieldDef, raw: &str) -> Result<Value, ApiError> {
    let json = match f.kind {
        FieldKind::Int => Json::from(
            raw.parse::<i64>()
                .map_err(|_| ApiError::bad_param(f.name, "must be a whole number"))?,
        ),
        FieldKind::Bool => match raw {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            _ => return Err(ApiError::bad_param(f.name, "must be true or false")),
        },
        _ => Json::String(raw.to_string()),
    };
    // Filters use the same parser as writes; a filter on a required field may still be any
    // valid value, and "null" is not a filter value.
    let mut def = *f;
    def.required = false;
    if matches!(f.kind, FieldKind::Id) {
        return Ok(Value::Text(raw.to_string()));
    }
    value::parse_input(&def, &json).map_err(|e| ApiError::bad_param(f.name, e.message))
}

/// The search text limit in characters.
const MAX_Q: usize = 100;

/// Parses and checks list parameters against the grant.
pub fn parse(
    params: &[(String, String)],
    grant: &Grant,
    cursor_key: &[u8],
) -> Result<ListQuery, ApiError> {
    let def = grant.entity.def();
    let mut seen = BTreeSet::new();
    let mut limit = DEFAULT_LIMIT;
    let mut cursor = None;
    let mut q = None;
    let mut sort = None;
    let mut filters = Vec::new();
    for (k, v) in params {
        if !seen.insert(k.as_str()) {
            return Err(ApiError::bad_param(k, "is given more than once"));
        }
        match k.as_str() {
            "limit" => {
                limit = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ApiError::bad_param(
                            "limit",
                            format!("must be a number from 1 to {MAX_LIMIT}"),
                        )
                    })?;
            }
            "cursor" => cursor = Some(v.as_str()),
            "q" => {
                let t = v.trim();
                if t.chars().count() > MAX_Q {
                    return Err(ApiError::bad_param(
                        "q",
                        format!("must be at most {MAX_Q} characters"),
                    ));
                }
                let clean = bulwark_domain::text::clean_text(t, MAX_Q, false)
                    .map_err(|e| ApiError::bad_param("q", e.to_string()))?;
                if !clean.is_empty() {
                    q = Some(clean);
                }
            }
            "sort" => {
                let (name, dir) = match v.strip_prefix('-') {
                    Some(n) => (n, Dir::Desc),
                    None => (v.as_str(), Dir::Asc),
                };
                let f = full_field(grant, name)
                    .filter(|f| f.sortable)
                    .ok_or_else(|| {
                        ApiError::bad_param(
                            "sort",
                            "must be a sortable field you can see in full, optionally prefixed with '-' for descending",
                        )
                    })?;
                sort = Some((f.name, dir));
            }
            name => {
                let f = def
                    .field(name)
                    .filter(|f| f.filterable)
                    .and_then(|f| full_field(grant, f.name))
                    .ok_or_else(|| {
                        ApiError::bad_param(
                            name,
                            "is not a filter: use limit, cursor, q, sort, or a filterable field you can see in full",
                        )
                    })?;
                filters.push((f.name, filter_value(f, v)?));
            }
        }
    }
    let sort = match sort {
        Some(s) => s,
        None => match full_field(grant, def.default_sort) {
            Some(f) => (f.name, Dir::Asc),
            None => ("id", Dir::Asc),
        },
    };
    let search = match q {
        Some(text) => {
            let fields: Vec<&'static str> = def
                .fields
                .iter()
                .filter(|f| f.searchable && full_field(grant, f.name).is_some())
                .map(|f| f.name)
                .collect();
            if fields.is_empty() {
                return Err(ApiError::bad_param(
                    "q",
                    "there is no field you may search here",
                ));
            }
            Some((fields, text))
        }
        None => None,
    };
    let after = match cursor {
        Some(c) => Some(open_cursor(cursor_key, c, grant.entity, sort)?),
        None => None,
    };
    Ok(ListQuery {
        sort,
        filters,
        search,
        after,
        limit,
    })
}
