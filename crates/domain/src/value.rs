//! Field values: parsing client JSON into typed storage values and rendering them back.
//!
//! Raw strings from clients are parsed here, once, by the field's kind (the "parse, don't
//! validate" edge); the rest of the system only handles [`Value`]s that passed.

use crate::catalogue::{FieldDef, FieldKind};
use crate::{text, validate};
use serde_json::Value as Json;
use thiserror::Error;

/// A stored value. Money is integer cents, fractions are basis points, booleans 0/1, dates and
/// timestamps ISO text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// No value.
    Null,
    /// Text (also dates, timestamps, ids, enums).
    Text(String),
    /// Integer (also money in cents, fractions in basis points, booleans).
    Int(i64),
}

impl Value {
    /// The text, if this is a text value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }
    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }
}

/// Why a client-supplied value was refused. The message never repeats the value.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{field}: {message}")]
pub struct InputError {
    /// The field name.
    pub field: String,
    /// What is wrong, without the value.
    pub message: String,
}

impl InputError {
    /// Builds an error for a field.
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Parses a decimal with at most `scale` decimals into an integer of `10^scale` units.
pub fn parse_decimal(s: &str, scale: u32) -> Option<i64> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    if int_part.is_empty()
        || int_part.len() > 15
        || frac_part.len() > scale as usize
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
        || (digits.contains('.') && frac_part.is_empty())
    {
        return None;
    }
    let mut value: i64 = int_part.parse().ok()?;
    let mut frac: i64 = 0;
    for (i, b) in frac_part.bytes().enumerate() {
        frac += i64::from(b - b'0') * 10_i64.pow(scale - 1 - i as u32);
    }
    value = value.checked_mul(10_i64.pow(scale))?.checked_add(frac)?;
    Some(if neg { -value } else { value })
}

/// Formats an integer of `10^scale` units as a decimal with exactly `scale` decimals.
pub fn format_decimal(v: i64, scale: u32) -> String {
    let unit = 10_i64.pow(scale);
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let u = unit.unsigned_abs();
    format!("{sign}{}.{:0width$}", a / u, a % u, width = scale as usize)
}

fn is_uuid_like(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
        })
}

fn want_str<'a>(field: &FieldDef, json: &'a Json) -> Result<&'a str, InputError> {
    json.as_str()
        .ok_or_else(|| InputError::new(field.name, "must be a string"))
}

fn check_min(field: &FieldDef, v: i64) -> Result<(), InputError> {
    match field.min {
        Some(min) if v < min => Err(InputError::new(
            field.name,
            if min == 0 {
                "must not be negative".to_string()
            } else {
                format!("must be at least {min}")
            },
        )),
        _ => Ok(()),
    }
}

fn parse_date(field: &FieldDef, s: &str) -> Result<String, InputError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, fmt)
        .ok()
        .filter(|d| (1900..=2200).contains(&d.year()))
        .map(|_| s.to_string())
        .ok_or_else(|| {
            InputError::new(
                field.name,
                "must be a date YYYY-MM-DD between 1900 and 2200",
            )
        })
}

/// Formats a timestamp the one way Bulwark stores them: UTC, fixed-width microseconds, `Z`
/// (so text order is time order in both engines).
pub fn format_timestamp(t: time::OffsetDateTime) -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_default()
}

/// Parses any RFC 3339 time and renders it as [`format_timestamp`] does.
pub fn normalize_timestamp(s: &str) -> Option<String> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(format_timestamp)
}

/// Parses one client-supplied JSON value for a field.
pub fn parse_input(field: &FieldDef, json: &Json) -> Result<Value, InputError> {
    if json.is_null() {
        return if field.required {
            Err(InputError::new(field.name, "is required"))
        } else {
            Ok(Value::Null)
        };
    }
    let name = field.name;
    let err = |m: &str| InputError::new(name, m);
    let text_of = |r: Result<String, InputError>| r.map(Value::Text);
    match field.kind {
        FieldKind::Id | FieldKind::Timestamp => Err(err("is set by the server")),
        FieldKind::Text | FieldKind::PersonName => {
            let s = want_str(field, json)?;
            let clean = text::clean_text(s, field.max_len, false)
                .map_err(|e| InputError::new(name, e.to_string()))?;
            if clean.is_empty() && field.required {
                return Err(err("must not be empty"));
            }
            Ok(Value::Text(clean))
        }
        FieldKind::LongText => {
            let s = want_str(field, json)?;
            text_of(
                text::clean_text(s, field.max_len, true)
                    .map_err(|e| InputError::new(name, e.to_string())),
            )
        }
        FieldKind::Int => {
            let v = json
                .as_i64()
                .filter(|v| v.unsigned_abs() < 1_000_000_000_000)
                .ok_or_else(|| err("must be a whole number"))?;
            check_min(field, v)?;
            Ok(Value::Int(v))
        }
        FieldKind::Bool => json
            .as_bool()
            .map(|b| Value::Int(i64::from(b)))
            .ok_or_else(|| err("must be true or false")),
        FieldKind::Money | FieldKind::Fraction => {
            let scale = if field.kind == FieldKind::Money { 2 } else { 4 };
            let raw = match json {
                Json::String(s) => s.clone(),
                Json::Number(n) => n.to_string(),
                _ => {
                    return Err(err(
                        "must be a decimal number as a string, e.g. \"1250.50\"",
                    ));
                }
            };
            let v = parse_decimal(&raw, scale).ok_or_else(|| {
                InputError::new(
                    name,
                    format!("must be a decimal number with at most {scale} decimals"),
                )
            })?;
            if field.kind == FieldKind::Fraction && !(0..=10_000).contains(&v) {
                return Err(err("must be between 0 and 1"));
            }
            check_min(field, v)?;
            Ok(Value::Int(v))
        }
        FieldKind::Date => parse_date(field, want_str(field, json)?).map(Value::Text),
        FieldKind::Enum(allowed) => {
            let s = want_str(field, json)?;
            if allowed.contains(&s) {
                Ok(Value::Text(s.to_string()))
            } else {
                Err(InputError::new(
                    name,
                    format!("must be one of: {}", allowed.join(", ")),
                ))
            }
        }
        FieldKind::Ref(_) => {
            let s = want_str(field, json)?;
            if is_uuid_like(s) {
                Ok(Value::Text(s.to_string()))
            } else {
                Err(err("must be a record id"))
            }
        }
        FieldKind::Mobile => validate::Mobile::parse(want_str(field, json)?)
            .map(|m| Value::Text(m.normalized().to_string()))
            .map_err(|e| InputError::new(name, e.to_string())),
        FieldKind::Phone => validate::Phone::parse(want_str(field, json)?)
            .map(|m| Value::Text(m.as_str().to_string()))
            .map_err(|e| InputError::new(name, e.to_string())),
        FieldKind::Email => validate::Email::parse(want_str(field, json)?)
            .map(|m| Value::Text(m.as_str().to_string()))
            .map_err(|e| InputError::new(name, e.to_string())),
        FieldKind::ResidentId => validate::ResidentId::parse(want_str(field, json)?)
            .map(|m| Value::Text(m.as_str().to_string()))
            .map_err(|e| InputError::new(name, e.to_string())),
        FieldKind::CreditCode => validate::CreditCode::parse(want_str(field, json)?)
            .map(|m| Value::Text(m.as_str().to_string()))
            .map_err(|e| InputError::new(name, e.to_string())),
        FieldKind::BankAccount => validate::BankAccount::parse(want_str(field, json)?)
            .map(|m| Value::Text(m.as_str().to_string()))
            .map_err(|e| InputError::new(name, e.to_string())),
        FieldKind::RoleList => {
            let arr = json
                .as_array()
                .ok_or_else(|| err("must be an array of role names"))?;
            let mut roles = Vec::with_capacity(arr.len());
            for r in arr {
                let s = r.as_str().unwrap_or_default();
                if s.is_empty()
                    || s.len() > 40
                    || !s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                {
                    return Err(err("must be an array of role names"));
                }
                if !roles.contains(&s) {
                    roles.push(s);
                }
            }
            if roles.is_empty() && field.required {
                return Err(err("must name at least one role"));
            }
            Ok(Value::Text(roles.join(" ")))
        }
    }
}

/// The amount of an order line in cents: quantity × unit price × (1 − discount), rounded half
/// away from zero. `discount_bp` is in basis points (1/10000). None on overflow.
pub fn line_amount(quantity: i64, unit_price_cents: i64, discount_bp: i64) -> Option<i64> {
    let gross = i128::from(quantity).checked_mul(i128::from(unit_price_cents))?;
    let net = gross.checked_mul(i128::from(10_000 - discount_bp))?;
    let half = if net < 0 { -5_000 } else { 5_000 };
    i64::try_from(net.checked_add(half)? / 10_000).ok()
}

/// Renders a stored value as the clear text that masking works on (None for null).
pub fn display(field: &FieldDef, v: &Value) -> Option<String> {
    match (field.kind, v) {
        (_, Value::Null) => None,
        (FieldKind::Money, Value::Int(c)) => Some(format_decimal(*c, 2)),
        (FieldKind::Fraction, Value::Int(c)) => Some(format_decimal(*c, 4)),
        (FieldKind::Bool, Value::Int(c)) => Some((*c != 0).to_string()),
        (_, Value::Int(i)) => Some(i.to_string()),
        (_, Value::Text(s)) => Some(s.clone()),
    }
}

/// Renders a stored value as clear JSON.
pub fn to_json(field: &FieldDef, v: &Value) -> Json {
    match (field.kind, v) {
        (_, Value::Null) => Json::Null,
        (FieldKind::Int, Value::Int(i)) => Json::from(*i),
        (FieldKind::Bool, Value::Int(i)) => Json::Bool(*i != 0),
        (FieldKind::RoleList, Value::Text(s)) => {
            Json::Array(s.split_whitespace().map(Json::from).collect())
        }
        _ => display(field, v).map(Json::String).unwrap_or(Json::Null),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::catalogue::Entity;
    use serde_json::json;

    #[test]
    fn decimals_round_trip() {
        assert_eq!(parse_decimal("1250.5", 2), Some(125_050));
        assert_eq!(parse_decimal("-1250.00", 2), Some(-125_000));
        assert_eq!(parse_decimal("0.05", 4), Some(500));
        assert_eq!(parse_decimal("1.234", 2), None);
        assert_eq!(parse_decimal("1e5", 2), None);
        assert_eq!(parse_decimal("1.", 2), None);
        assert_eq!(parse_decimal("", 2), None);
        assert_eq!(parse_decimal("9999999999999999", 2), None);
        assert_eq!(format_decimal(125_050, 2), "1250.50");
        assert_eq!(format_decimal(-5, 2), "-0.05");
        assert_eq!(format_decimal(500, 4), "0.0500");
    }

    #[test]
    fn timestamps_sort_as_text_and_minimums_hold() {
        let a = normalize_timestamp("2026-12-03T17:24:43Z").unwrap();
        let b = normalize_timestamp("2026-12-03T17:24:43.9+00:00").unwrap();
        let c = normalize_timestamp("2026-12-04T01:24:44+08:00").unwrap();
        assert_eq!(a, "2026-12-03T17:24:43.000000Z");
        assert!(a < b && b < c, "{a} {b} {c}");
        let q = Entity::OrderLines.def().field("quantity").unwrap();
        assert!(parse_input(q, &json!(-5)).is_err());
        assert!(parse_input(q, &json!(0)).is_err());
        assert!(parse_input(q, &json!(1)).is_ok());
        let cl = Entity::Accounts.def().field("credit_limit").unwrap();
        assert!(parse_input(cl, &json!("-5")).is_err());
        let d = Entity::Orders.def().field("order_date").unwrap();
        assert!(parse_input(d, &json!("0000-01-01")).is_err());
    }

    #[test]
    fn line_amounts() {
        // Northwind order 10248: 12 × 14.00, no discount
        assert_eq!(line_amount(12, 1400, 0), Some(16_800));
        // 35 × 42.40 with 15 % discount = 1261.40
        assert_eq!(line_amount(35, 4240, 1500), Some(126_140));
        assert_eq!(line_amount(1, 1, 5000), Some(1));
        assert_eq!(line_amount(i64::MAX, i64::MAX, 0), None);
    }

    #[test]
    fn kinds_parse_and_reject() {
        let orders = Entity::Orders.def();
        let status = orders.field("status").unwrap();
        assert!(parse_input(status, &json!("shipped")).is_ok());
        let e = parse_input(status, &json!("shipped'; DROP TABLE orders")).unwrap_err();
        assert!(!e.to_string().contains("DROP"));
        let total = orders.field("total_amount").unwrap();
        assert_eq!(
            parse_input(total, &json!("10.5")).unwrap(),
            Value::Int(1050)
        );
        assert_eq!(parse_input(total, &json!(10.5)).unwrap(), Value::Int(1050));
        assert!(parse_input(total, &json!(true)).is_err());
        let date = orders.field("delivery_date").unwrap();
        assert!(parse_input(date, &json!("2026-02-30")).is_err());
        assert!(parse_input(date, &json!("2026-02-28")).is_ok());
        let acc = orders.field("account_id").unwrap();
        assert!(parse_input(acc, &json!("1 OR 1=1")).is_err());
        assert!(parse_input(acc, &Json::Null).is_err());
        let id = orders.field("id").unwrap();
        assert!(parse_input(id, &json!("x")).is_err());
    }
}
