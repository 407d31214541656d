//! The planner: reads the CSV files of a checked mapping and turns their rows into records.
//!
//! Steps: read every row; give every row an id and register its key; convert and validate
//! every mapped cell (references resolve through the keys); set the derived fields (line
//! amounts, order totals, `account_id` of lines and shipments, `[[derive]]` directives); collect
//! `[[assign]]` pairs; order the records so that references come first.

use super::convert::{self, KeyEntry, Keys};
use super::mapping::{self, Mapping, Pick, Source};
use super::{ImportError, MAX_REPORTED_ERRORS, Plan, RowError};
use bulwark_domain::value::{line_amount, parse_input};
use bulwark_domain::{Entity, FieldKind, Value};
use bulwark_store::NewRecord;
use serde_json::Value as Json;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, hash_map};
use std::path::Path;

/// Row errors kept in memory before only counting (the plan reports far fewer).
const MAX_COLLECTED_ERRORS: usize = 100_000;

/// Plans an import described by a mapping file, calling `progress(rows done, rows total)` while
/// it converts rows.
///
/// Returns an [`ImportError`] when the mapping itself is wrong (unknown fields, columns or
/// entities; missing required fields) or a file cannot be read; problems with data rows are
/// collected in [`Plan::errors`] instead, and planning goes on to find them all.
pub fn plan(mapping_path: &Path, progress: &dyn Fn(u64, u64)) -> Result<Plan, ImportError> {
    let mapping = mapping::load(mapping_path)?;
    Planner::new(&mapping).run(progress)
}

/// One CSV row as read.
struct RowData {
    line: u64,
    cells: Vec<Option<String>>,
    /// The row could not be read whole (wrong column count, invalid UTF-8): reported, skipped.
    broken: bool,
}

/// One planned record.
struct Planned {
    entity: Entity,
    id: String,
    src: usize,
    line: u64,
    values: BTreeMap<&'static str, Value>,
    failed: bool,
}

#[derive(Default)]
struct Errors {
    list: Vec<(usize, RowError)>,
    omitted: usize,
}

impl Errors {
    fn push(
        &mut self,
        src: (usize, &Source),
        line: u64,
        field: Option<&str>,
        message: impl Into<String>,
    ) {
        if self.list.len() >= MAX_COLLECTED_ERRORS {
            self.omitted += 1;
            return;
        }
        self.list.push((
            src.0,
            RowError {
                file: src.1.file.clone(),
                line,
                entity: src.1.entity,
                field: field.map(str::to_string),
                message: message.into(),
            },
        ));
    }
}

struct Planner<'m> {
    mapping: &'m Mapping,
    errors: Errors,
    planned: Vec<Planned>,
    by_id: HashMap<String, usize>,
}

impl<'m> Planner<'m> {
    fn new(mapping: &'m Mapping) -> Self {
        Self {
            mapping,
            errors: Errors::default(),
            planned: Vec::new(),
            by_id: HashMap::new(),
        }
    }

    fn src(&self, i: usize) -> (usize, &'m Source) {
        let m: &'m Mapping = self.mapping;
        (i, &m.sources[i])
    }

    fn fail(&mut self, p: usize, field: Option<&str>, message: impl Into<String>) {
        let (src, line) = (self.planned[p].src, self.planned[p].line);
        self.planned[p].failed = true;
        let s = self.src(src);
        self.errors.push(s, line, field, message);
    }

    fn run(mut self, progress: &dyn Fn(u64, u64)) -> Result<Plan, ImportError> {
        let mapping: &'m Mapping = self.mapping;
        let sources = &mapping.sources;
        let mut data = Vec::with_capacity(sources.len());
        for i in 0..sources.len() {
            data.push(self.read_rows(i)?);
        }
        let total: u64 = data.iter().map(|d: &Vec<RowData>| d.len() as u64).sum();
        progress(0, total);

        // Sources in entity order (stable: mapping order within an entity).
        let mut order: Vec<usize> = (0..sources.len()).collect();
        order.sort_by_key(|&i| mapping::rank(sources[i].entity));

        // 1. Ids and keys.
        let mut keys: Keys = HashMap::new();
        let mut ids: Vec<Vec<(String, bool)>> = vec![Vec::new(); sources.len()];
        for &si in &order {
            let src = self.src(si);
            for row in &data[si] {
                let id = uuid::Uuid::now_v7().to_string();
                let mut key_failed = false;
                if let Some((kcol, kname)) = &src.1.key {
                    let field = src.1.key_sets_external_id.then_some("external_id");
                    match row.cells.get(*kcol).and_then(Option::as_deref) {
                        None => {
                            key_failed = true;
                            self.errors.push(
                                src,
                                row.line,
                                field,
                                format!("the key column `{kname}` is empty"),
                            );
                        }
                        Some(k) => match keys.entry(src.1.entity).or_default().entry(k.to_string())
                        {
                            hash_map::Entry::Occupied(e) => {
                                key_failed = true;
                                let first = e.get();
                                self.errors.push(
                                    src,
                                    row.line,
                                    field,
                                    format!(
                                        "duplicate key in column `{kname}`: {} line {} has the same {} key",
                                        first.file,
                                        first.line,
                                        src.1.entity
                                    ),
                                );
                            }
                            hash_map::Entry::Vacant(e) => {
                                e.insert(KeyEntry {
                                    id: id.clone(),
                                    file: src.1.file.clone(),
                                    line: row.line,
                                });
                            }
                        },
                    }
                }
                ids[si].push((id, key_failed));
            }
        }

        // 2. Convert and validate every cell.
        let mut done = 0u64;
        for &si in &order {
            let src = self.src(si);
            let ext_def = src.1.entity.def().field("external_id");
            for (row, (id, key_failed)) in data[si].iter().zip(&ids[si]) {
                done += 1;
                if done.is_multiple_of(100) {
                    progress(done, total);
                }
                if row.broken {
                    continue;
                }
                let mut values = BTreeMap::new();
                let mut failed = *key_failed;
                if let (Some((kcol, _)), Some(ext), true) =
                    (&src.1.key, ext_def, src.1.key_sets_external_id)
                    && let Some(k) = row.cells.get(*kcol).and_then(Option::as_deref)
                {
                    match parse_input(ext, &Json::String(k.to_string())) {
                        Ok(v) => {
                            values.insert(ext.name, v);
                        }
                        Err(e) => {
                            failed = true;
                            self.errors.push(src, row.line, Some(ext.name), e.message);
                        }
                    }
                }
                for (f, conv) in &src.1.fields {
                    let json = match convert::evaluate(conv, &row.cells, &keys) {
                        Ok(out) => convert::to_json(f, out, src.1.newline_escape.as_deref()),
                        Err(message) => {
                            failed = true;
                            self.errors.push(src, row.line, Some(f.name), message);
                            continue;
                        }
                    };
                    match parse_input(f, &json) {
                        Ok(Value::Null) => {}
                        Ok(v) => {
                            values.insert(f.name, v);
                        }
                        Err(e) => {
                            failed = true;
                            self.errors.push(src, row.line, Some(f.name), e.message);
                        }
                    }
                }
                self.by_id.insert(id.clone(), self.planned.len());
                self.planned.push(Planned {
                    entity: src.1.entity,
                    id: id.clone(),
                    src: si,
                    line: row.line,
                    values,
                    failed,
                });
            }
        }
        progress(total, total);

        // 3. Derived fields.
        self.derive_from_orders();
        self.apply_derives();
        let assignments = self.assignments();

        // 4. Order and emit.
        let order = self.insertion_order();
        let mut plan = Plan {
            assignments,
            ..Plan::default()
        };
        for i in order {
            let p = &self.planned[i];
            if p.failed {
                continue;
            }
            *plan.counts.entry(p.entity).or_insert(0) += 1;
            let values = p
                .entity
                .def()
                .fields
                .iter()
                .filter_map(|f| p.values.get(f.name).map(|v| (f.name, v.clone())))
                .collect();
            plan.records.push(NewRecord {
                entity: p.entity,
                id: p.id.clone(),
                values,
            });
        }
        let mut errors = self.errors.list;
        errors.sort_by_key(|(src, e)| (*src, e.line));
        plan.errors_omitted =
            self.errors.omitted + errors.len().saturating_sub(MAX_REPORTED_ERRORS);
        plan.errors = errors
            .into_iter()
            .take(MAX_REPORTED_ERRORS)
            .map(|(_, e)| e)
            .collect();
        Ok(plan)
    }

    /// Reads a source's data rows: cells trimmed, null placeholders and empty cells as `None`.
    /// Rows whose cells are all empty are skipped.
    fn read_rows(&mut self, si: usize) -> Result<Vec<RowData>, ImportError> {
        let src = self.src(si);
        let path = &src.1.path;
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(src.1.delimiter)
            .flexible(true)
            .from_path(path)
            .map_err(|e| mapping::csv_error(path, e))?;
        let mut rec = csv::ByteRecord::new();
        let mut rows = Vec::new();
        let width = src.1.columns.len();
        while rdr
            .read_byte_record(&mut rec)
            .map_err(|e| mapping::csv_error(path, e))?
        {
            let line = rec.position().map_or(0, csv::Position::line);
            let mut broken = false;
            if rec.len() != width {
                broken = true;
                self.errors.push(
                    src,
                    line,
                    None,
                    format!("the row has {} columns, the header has {width}", rec.len()),
                );
            }
            let mut cells = Vec::with_capacity(width);
            for i in 0..width {
                let raw = rec.get(i).unwrap_or_default();
                match std::str::from_utf8(raw) {
                    Ok(s) => {
                        let s = s.trim();
                        if s.is_empty() || src.1.null_values.iter().any(|n| n == s) {
                            cells.push(None);
                        } else {
                            cells.push(Some(s.to_string()));
                        }
                    }
                    Err(_) => {
                        broken = true;
                        cells.push(None);
                        let col = src.1.columns.get(i).map_or("?", String::as_str);
                        self.errors.push(
                            src,
                            line,
                            None,
                            format!("column `{col}` is not valid UTF-8"),
                        );
                    }
                }
            }
            if !broken && cells.iter().all(Option::is_none) {
                continue;
            }
            rows.push(RowData {
                line,
                cells,
                broken,
            });
        }
        Ok(rows)
    }

    fn text_of(&self, p: usize, field: &str) -> Option<String> {
        self.planned[p]
            .values
            .get(field)
            .and_then(Value::as_text)
            .map(str::to_string)
    }

    fn int_of(&self, p: usize, field: &str) -> Option<i64> {
        match self.planned[p].values.get(field) {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        }
    }

    /// `account_id` of order lines and shipments (from their order), line amounts, and order
    /// totals (when order lines are imported): the rules the server applies to API writes.
    fn derive_from_orders(&mut self) {
        let mut totals: HashMap<String, Option<i64>> = HashMap::new();
        for p in 0..self.planned.len() {
            let entity = self.planned[p].entity;
            if self.planned[p].failed || !matches!(entity, Entity::OrderLines | Entity::Shipments) {
                continue;
            }
            let Some(order_id) = self.text_of(p, "order_id") else {
                continue;
            };
            let order = self
                .by_id
                .get(&order_id)
                .copied()
                .filter(|&o| self.planned[o].entity == Entity::Orders);
            let Some(order) = order else {
                self.fail(
                    p,
                    Some("order_id"),
                    "must refer to an order in this import (account_id is copied from it)",
                );
                continue;
            };
            if let Some(acc) = self.planned[order].values.get("account_id").cloned() {
                self.planned[p].values.insert("account_id", acc);
            }
            if entity != Entity::OrderLines {
                continue;
            }
            let (Some(q), Some(price)) = (self.int_of(p, "quantity"), self.int_of(p, "unit_price"))
            else {
                continue;
            };
            let discount = self.int_of(p, "discount").unwrap_or(0);
            match line_amount(q, price, discount) {
                Some(amount) => {
                    self.planned[p].values.insert("amount", Value::Int(amount));
                    let t = totals.entry(order_id).or_insert(Some(0));
                    *t = t.and_then(|t| t.checked_add(amount));
                }
                None => self.fail(p, Some("amount"), "quantity × unit_price is too large"),
            }
        }
        if !self.mapping.imports(Entity::OrderLines) {
            return;
        }
        for p in 0..self.planned.len() {
            if self.planned[p].entity != Entity::Orders || self.planned[p].failed {
                continue;
            }
            match totals.get(&self.planned[p].id).copied().unwrap_or(Some(0)) {
                Some(total) => {
                    self.planned[p]
                        .values
                        .insert("total_amount", Value::Int(total));
                }
                None => self.fail(
                    p,
                    Some("total_amount"),
                    "the sum of the order's line amounts is too large",
                ),
            }
        }
    }

    /// Applies the `[[derive]]` directives, in mapping order, to records whose field is empty.
    fn apply_derives(&mut self) {
        for d in &self.mapping.derives {
            let mut best: HashMap<String, (Value, Value)> = HashMap::new();
            for p in &self.planned {
                if p.entity != d.from || p.failed {
                    continue;
                }
                let (Some(target), Some(v), Some(o)) = (
                    p.values.get(d.via).and_then(Value::as_text),
                    p.values.get(d.from_field),
                    p.values.get(d.order_by),
                ) else {
                    continue;
                };
                match best.entry(target.to_string()) {
                    hash_map::Entry::Vacant(e) => {
                        e.insert((o.clone(), v.clone()));
                    }
                    hash_map::Entry::Occupied(mut e) => {
                        let c = cmp_values(o, &e.get().0);
                        let wins = match d.pick {
                            Pick::Latest => c != Ordering::Less,
                            Pick::Earliest => c == Ordering::Less,
                        };
                        if wins {
                            e.insert((o.clone(), v.clone()));
                        }
                    }
                }
            }
            for p in &mut self.planned {
                if p.entity != d.entity || p.failed || p.values.contains_key(d.field.name) {
                    continue;
                }
                if let Some((_, v)) = best.get(&p.id) {
                    p.values.insert(d.field.name, v.clone());
                }
            }
        }
        // A required field left to a directive must have been filled by it.
        for d in &self.mapping.derives {
            if !d.field.required {
                continue;
            }
            for p in 0..self.planned.len() {
                let r = &self.planned[p];
                if r.entity == d.entity && !r.failed && !r.values.contains_key(d.field.name) {
                    self.fail(
                        p,
                        Some(d.field.name),
                        format!("is required, and no {} record supplies it", d.from),
                    );
                }
            }
        }
    }

    /// The `[[assign]]` pairs: distinct `(account id, user id)` in planning order.
    fn assignments(&self) -> Vec<(String, String)> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for a in &self.mapping.assigns {
            for p in &self.planned {
                if p.entity != a.from || p.failed {
                    continue;
                }
                let (Some(acc), Some(user)) = (
                    p.values.get(a.via).and_then(Value::as_text),
                    p.values.get(a.field).and_then(Value::as_text),
                ) else {
                    continue;
                };
                let Some(account) = self
                    .by_id
                    .get(acc)
                    .map(|&i| &self.planned[i])
                    .filter(|r| r.entity == Entity::Accounts && !r.failed)
                else {
                    continue;
                };
                let owner = account.values.get("owner_id").and_then(Value::as_text);
                if !a.include_owner && owner == Some(user) {
                    continue;
                }
                let pair = (acc.to_string(), user.to_string());
                if seen.insert(pair.clone()) {
                    out.push(pair);
                }
            }
        }
        out
    }

    /// Planned records in insertion order. Records are planned in entity order already; within
    /// an entity that refers to itself (a user's manager) a record follows the one it names.
    /// Records on a reference cycle fail.
    fn insertion_order(&mut self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.planned.len());
        let mut start = 0;
        while start < self.planned.len() {
            let entity = self.planned[start].entity;
            let end = self.planned[start..]
                .iter()
                .position(|p| p.entity != entity)
                .map_or(self.planned.len(), |n| start + n);
            let self_refs: Vec<&'static str> = entity
                .def()
                .fields
                .iter()
                .filter(|f| f.kind == FieldKind::Ref(entity))
                .map(|f| f.name)
                .collect();
            if self_refs.is_empty() {
                out.extend(start..end);
            } else {
                out.extend(self.topo(start, end, &self_refs));
            }
            start = end;
        }
        out
    }

    /// Kahn's algorithm over `start..end`, taking the earliest ready record first.
    fn topo(&mut self, start: usize, end: usize, self_refs: &[&'static str]) -> Vec<usize> {
        let mut pending: HashMap<usize, usize> = HashMap::new();
        let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
        for p in start..end {
            for f in self_refs {
                let parent = self.planned[p]
                    .values
                    .get(f)
                    .and_then(Value::as_text)
                    .and_then(|id| self.by_id.get(id).copied())
                    .filter(|q| (start..end).contains(q));
                if let Some(q) = parent {
                    *pending.entry(p).or_insert(0) += 1;
                    children.entry(q).or_default().push(p);
                }
            }
        }
        let mut ready: BTreeSet<usize> =
            (start..end).filter(|p| !pending.contains_key(p)).collect();
        let mut out = Vec::with_capacity(end - start);
        while let Some(p) = ready.pop_first() {
            out.push(p);
            for &c in children.get(&p).map(Vec::as_slice).unwrap_or_default() {
                if let Some(n) = pending.get_mut(&c) {
                    *n -= 1;
                    if *n == 0 {
                        pending.remove(&c);
                        ready.insert(c);
                    }
                }
            }
        }
        let mut stuck: Vec<usize> = pending.into_keys().collect();
        stuck.sort_unstable();
        let field = self_refs.first().copied();
        for p in stuck {
            self.fail(p, field, "is part of a reference cycle");
            out.push(p);
        }
        out
    }
}

/// Orders two stored values of the same field (numbers numerically, text by its characters,
/// which orders ISO dates correctly).
fn cmp_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Int(_), Value::Text(_)) => Ordering::Less,
        (Value::Text(_), Value::Int(_)) => Ordering::Greater,
    }
}
