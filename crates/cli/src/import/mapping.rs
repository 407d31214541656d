//! The mapping file: its TOML shape, and its compilation against the field catalogue and the
//! CSV headers into a checked [`Mapping`] before any data row is read.
//!
//! Every problem found here is a mapping error (the whole list is reported at once); problems
//! with individual cells are found later, by the planner, and reported as row errors.

use super::ImportError;
use bulwark_domain::catalogue::Write;
use bulwark_domain::{Entity, FieldDef, FieldKind};
use serde::Deserialize;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------
// The TOML shape
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    base_dir: Option<String>,
    null_values: Option<Vec<String>>,
    newline_escape: Option<String>,
    delimiter: Option<String>,
    #[serde(default)]
    source: Vec<RawSource>,
    #[serde(default)]
    derive: Vec<RawDerive>,
    #[serde(default)]
    assign: Vec<RawAssign>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    file: String,
    entity: String,
    key: Option<String>,
    null_values: Option<Vec<String>>,
    newline_escape: Option<String>,
    delimiter: Option<String>,
    #[serde(default)]
    fields: toml::Table,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDerive {
    entity: String,
    field: String,
    from: RawDeriveFrom,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeriveFrom {
    entity: String,
    field: String,
    via: String,
    pick: String,
    order_by: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssign {
    from: RawAssignFrom,
    #[serde(default)]
    include_owner: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssignFrom {
    entity: String,
    field: String,
    via: String,
}

// ---------------------------------------------------------------------------------------------
// The compiled mapping
// ---------------------------------------------------------------------------------------------

/// A value produced by a conversion before it is typed by the target field: text from cells
/// (and string constants) is converted by the field's kind; other constants are used as JSON.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Out {
    /// Text, converted by the field kind (numbers, booleans, role lists, line breaks).
    Text(String),
    /// A JSON value used as is.
    Json(Json),
}

/// A case filter applied to a template placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    /// As written.
    Keep,
    /// Lower case.
    Lower,
    /// Upper case.
    Upper,
}

/// One placeholder of a template, with the literal text before it.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    /// Literal text between the previous placeholder and this one.
    pub sep: String,
    /// Column index.
    pub col: usize,
    /// Case filter.
    pub case: Case,
}

/// A parsed `template`.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    /// Literal text before the first placeholder.
    pub prefix: String,
    /// The placeholders.
    pub slots: Vec<Slot>,
    /// Literal text after the last placeholder.
    pub suffix: String,
}

/// How one field's value is computed from a row.
#[derive(Debug, Clone)]
pub(crate) enum Conv {
    /// The cell of a column.
    Column { col: usize, default: Option<Out> },
    /// The first non-empty cell of several columns.
    Coalesce {
        cols: Vec<usize>,
        default: Option<Out>,
    },
    /// Text assembled from several cells.
    Template {
        template: Template,
        default: Option<Out>,
    },
    /// The same value for every row.
    Constant(Out),
    /// A cell translated through a table.
    Map {
        col: usize,
        map: HashMap<String, Out>,
        default: Option<Out>,
    },
    /// One value for empty cells, another for non-empty ones.
    Switch {
        col: usize,
        if_empty: Option<Out>,
        if_present: Option<Out>,
    },
    /// The id of the record of `entity` whose key is the cell.
    Ref { entity: Entity, col: usize },
    /// The cell looked up in another CSV file.
    Lookup {
        col: usize,
        file: String,
        key_column: String,
        table: HashMap<String, Option<String>>,
        default: Option<Out>,
    },
}

/// One `[[source]]`: a CSV file feeding one entity.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// The file name as written in the mapping (used in row errors).
    pub file: String,
    /// The resolved path.
    pub path: PathBuf,
    /// The entity its rows become.
    pub entity: Entity,
    /// The key column: its index and name.
    pub key: Option<(usize, String)>,
    /// The header's column names.
    pub columns: Vec<String>,
    /// Cells (trimmed) equal to one of these are empty.
    pub null_values: Vec<String>,
    /// A literal sequence that stands for a line break, if any.
    pub newline_escape: Option<String>,
    /// Field delimiter.
    pub delimiter: u8,
    /// The mapped fields, in catalogue order.
    pub fields: Vec<(&'static FieldDef, Conv)>,
    /// Whether the key is stored in the entity's `external_id` field.
    pub key_sets_external_id: bool,
}

/// How a `[[derive]]` picks among several candidate records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pick {
    /// The largest `order_by` value (ties: the record planned last).
    Latest,
    /// The smallest `order_by` value (ties: the record planned first).
    Earliest,
}

/// A `[[derive]]` directive: fill `entity.field` from the related records of another entity.
#[derive(Debug, Clone)]
pub(crate) struct Derive {
    /// The entity whose field is filled.
    pub entity: Entity,
    /// The field filled.
    pub field: &'static FieldDef,
    /// The entity the value comes from.
    pub from: Entity,
    /// Its field holding the value.
    pub from_field: &'static str,
    /// Its reference field pointing at the target record.
    pub via: &'static str,
    /// Which candidate wins.
    pub pick: Pick,
    /// The field the candidates are ordered by.
    pub order_by: &'static str,
}

/// An `[[assign]]` directive: assign accounts to the users found on related records.
#[derive(Debug, Clone)]
pub(crate) struct Assign {
    /// The entity read.
    pub from: Entity,
    /// Its user reference.
    pub field: &'static str,
    /// Its account reference.
    pub via: &'static str,
    /// Whether the account's owner is also listed as an assignee.
    pub include_owner: bool,
}

/// A checked mapping.
#[derive(Debug, Clone)]
pub(crate) struct Mapping {
    /// The sources, in file order.
    pub sources: Vec<Source>,
    /// `[[derive]]` directives, in file order.
    pub derives: Vec<Derive>,
    /// `[[assign]]` directives, in file order.
    pub assigns: Vec<Assign>,
}

impl Mapping {
    /// Whether some source feeds this entity.
    pub fn imports(&self, entity: Entity) -> bool {
        self.sources.iter().any(|s| s.entity == entity)
    }
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/// Reads and checks a mapping file, including the header rows of the CSV files it names.
pub(crate) fn load(mapping_path: &Path) -> Result<Mapping, ImportError> {
    let text = std::fs::read_to_string(mapping_path).map_err(|source| ImportError::Read {
        path: mapping_path.to_path_buf(),
        source,
    })?;
    let raw: RawMapping = toml::from_str(&text).map_err(|e| ImportError::Toml {
        path: mapping_path.to_path_buf(),
        message: e.to_string(),
    })?;
    let dir = mapping_path.parent().unwrap_or(Path::new("."));
    let base_dir = dir.join(raw.base_dir.as_deref().unwrap_or("."));
    let mut c = Compiler {
        base_dir,
        problems: Vec::new(),
        headers: HashMap::new(),
    };
    let mapping = c.compile(raw)?;
    if c.problems.is_empty() {
        Ok(mapping)
    } else {
        Err(ImportError::Mapping(c.problems))
    }
}

/// Reads the header row of a CSV file: trimmed names, a UTF-8 byte-order mark removed.
pub(crate) fn read_headers(path: &Path, delimiter: u8) -> Result<Vec<String>, ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_path(path)
        .map_err(|e| csv_error(path, e))?;
    let headers = rdr.byte_headers().map_err(|e| csv_error(path, e))?;
    let mut out = Vec::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        let h = if i == 0 {
            h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h)
        } else {
            h
        };
        let s = std::str::from_utf8(h).map_err(|_| ImportError::Csv {
            path: path.to_path_buf(),
            message: format!("header column {} is not valid UTF-8", i + 1),
        })?;
        out.push(s.trim().to_string());
    }
    Ok(out)
}

/// Maps a csv error to an [`ImportError`] (I/O failures keep their cause).
pub(crate) fn csv_error(path: &Path, e: csv::Error) -> ImportError {
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(source) => ImportError::Read {
            path: path.to_path_buf(),
            source,
        },
        _ => ImportError::Csv {
            path: path.to_path_buf(),
            message,
        },
    }
}

fn parse_delimiter(raw: Option<&str>) -> Result<u8, String> {
    match raw {
        None => Ok(b','),
        Some("\\t") | Some("\t") => Ok(b'\t'),
        Some(s) if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        Some(_) => Err("`delimiter` must be a single ASCII character".to_string()),
    }
}

/// Whether a client (or an import) may set the field on create.
fn writable(f: &FieldDef) -> bool {
    f.write != Write::Server
}

fn writable_names(entity: Entity) -> String {
    entity
        .def()
        .fields
        .iter()
        .filter(|f| writable(f))
        .map(|f| f.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn entity_names() -> String {
    bulwark_domain::catalogue::ALL
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why the planner sets a server-written field itself, if it does.
fn derived_reason(entity: Entity, field: &str) -> Option<&'static str> {
    match (entity, field) {
        (Entity::OrderLines | Entity::Shipments, "account_id") => {
            Some("it is copied from the record's order")
        }
        (Entity::OrderLines, "amount") => {
            Some("it is computed as quantity × unit_price × (1 − discount)")
        }
        _ => None,
    }
}

fn toml_to_out(v: &toml::Value) -> Result<Out, String> {
    match v {
        toml::Value::String(s) => Ok(Out::Text(s.clone())),
        other => toml_to_json(other).map(Out::Json),
    }
}

fn toml_to_json(v: &toml::Value) -> Result<Json, String> {
    Ok(match v {
        toml::Value::String(s) => Json::String(s.clone()),
        toml::Value::Integer(i) => Json::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .ok_or("a float constant must be finite")?,
        toml::Value::Boolean(b) => Json::Bool(*b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(a) => Json::Array(a.iter().map(toml_to_json).collect::<Result<_, _>>()?),
        toml::Value::Table(_) => return Err("a value must not be a table".to_string()),
    })
}

struct Compiler {
    base_dir: PathBuf,
    problems: Vec<String>,
    headers: HashMap<(PathBuf, u8), Vec<String>>,
}

/// Column resolution against one header row, collecting problems under a location prefix.
struct Cols<'a> {
    headers: &'a [String],
    file: &'a str,
}

impl Cols<'_> {
    fn find(&self, name: &str) -> Result<usize, String> {
        let mut hits = self
            .headers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.as_str() == name);
        match (hits.next(), hits.next()) {
            (Some((i, _)), None) => Ok(i),
            (Some(_), Some(_)) => Err(format!(
                "column `{name}` appears more than once in the header of {}",
                self.file
            )),
            (None, _) => Err(format!(
                "{} has no column `{name}` (columns: {})",
                self.file,
                self.headers.join(", ")
            )),
        }
    }
}

impl Compiler {
    fn headers(&mut self, path: &Path, delimiter: u8) -> Result<Vec<String>, ImportError> {
        let k = (path.to_path_buf(), delimiter);
        if let Some(h) = self.headers.get(&k) {
            return Ok(h.clone());
        }
        let h = read_headers(path, delimiter)?;
        self.headers.insert(k, h.clone());
        Ok(h)
    }

    fn compile(&mut self, raw: RawMapping) -> Result<Mapping, ImportError> {
        let global_nulls = raw.null_values.clone().unwrap_or_default();
        let global_delim = match parse_delimiter(raw.delimiter.as_deref()) {
            Ok(d) => d,
            Err(e) => {
                self.problems.push(e);
                b','
            }
        };
        if raw.source.is_empty() {
            self.problems
                .push("the mapping has no [[source]] section".to_string());
        }
        // Entities (with a key) that references may point at.
        let keyed: Vec<Entity> = raw
            .source
            .iter()
            .filter(|s| s.key.is_some())
            .filter_map(|s| Entity::parse(&s.entity))
            .collect();
        let imported: Vec<Entity> = raw
            .source
            .iter()
            .filter_map(|s| Entity::parse(&s.entity))
            .collect();
        let derived: Vec<(Entity, String)> = raw
            .derive
            .iter()
            .filter_map(|d| Entity::parse(&d.entity).map(|e| (e, d.field.clone())))
            .collect();
        let mut sources = Vec::new();
        for (i, s) in raw.source.iter().enumerate() {
            let ctx = SourceCtx {
                n: i + 1,
                keyed: &keyed,
                imported: &imported,
                derived: &derived,
                global_nulls: &global_nulls,
                global_escape: raw.newline_escape.as_deref(),
                global_delim,
            };
            if let Some(src) = self.source(s, &ctx)? {
                sources.push(src);
            }
        }
        let derives = raw
            .derive
            .iter()
            .enumerate()
            .filter_map(|(i, d)| self.derive(i + 1, d, &imported))
            .collect();
        let assigns = raw
            .assign
            .iter()
            .enumerate()
            .filter_map(|(i, a)| self.assign(i + 1, a, &imported))
            .collect();
        Ok(Mapping {
            sources,
            derives,
            assigns,
        })
    }

    fn source(
        &mut self,
        s: &RawSource,
        ctx: &SourceCtx<'_>,
    ) -> Result<Option<Source>, ImportError> {
        let at = format!("[[source]] #{} ({} → {})", ctx.n, s.file, s.entity);
        let Some(entity) = Entity::parse(&s.entity) else {
            self.problems.push(format!(
                "{at}: unknown entity `{}` (entities: {})",
                s.entity,
                entity_names()
            ));
            return Ok(None);
        };
        let delimiter = match s.delimiter.as_deref() {
            None => ctx.global_delim,
            d => match parse_delimiter(d) {
                Ok(d) => d,
                Err(e) => {
                    self.problems.push(format!("{at}: {e}"));
                    return Ok(None);
                }
            },
        };
        let path = self.base_dir.join(&s.file);
        let headers = self.headers(&path, delimiter)?;
        let cols = Cols {
            headers: &headers,
            file: &s.file,
        };
        let def = entity.def();
        let mut problems = Vec::new();
        let key = match &s.key {
            Some(k) => match cols.find(k) {
                Ok(i) => Some((i, k.clone())),
                Err(e) => {
                    problems.push(format!("{at}, key: {e}"));
                    None
                }
            },
            None => None,
        };
        let key_sets_external_id = s.key.is_some() && def.field("external_id").is_some();
        let mut fields: Vec<(&'static FieldDef, Conv)> = Vec::new();
        for (name, spec) in &s.fields {
            let fat = format!("{at}, field `{name}`");
            let Some(f) = def.field(name) else {
                problems.push(format!(
                    "{fat}: {entity} has no field `{name}` (fields an import may set: {})",
                    writable_names(entity)
                ));
                continue;
            };
            if !writable(f) {
                let why = derived_reason(entity, name)
                    .map(|r| format!("the importer sets it: {r}"))
                    .unwrap_or_else(|| "it is set by the server".to_string());
                problems.push(format!("{fat}: cannot be imported, {why}"));
                continue;
            }
            if name == "external_id" && key_sets_external_id {
                problems.push(format!(
                    "{fat}: conflicts with `key`, which already sets external_id"
                ));
                continue;
            }
            if entity == Entity::Orders
                && name == "total_amount"
                && ctx.imported.contains(&Entity::OrderLines)
            {
                problems.push(format!(
                    "{fat}: cannot be imported together with order_lines: the importer sets it \
                     to the sum of the order's line amounts"
                ));
                continue;
            }
            match self.conv(f, spec, &cols, ctx) {
                Ok(c) => fields.push((f, c)),
                Err(e) => problems.push(format!("{fat}: {e}")),
            }
        }
        for f in def.fields {
            let mapped = fields.iter().any(|(m, _)| m.name == f.name)
                || (f.name == "external_id" && key_sets_external_id)
                || ctx.derived.iter().any(|(e, n)| *e == entity && n == f.name);
            if f.required && writable(f) && !mapped {
                problems.push(format!(
                    "{at}: required field `{}` of {entity} is not mapped",
                    f.name
                ));
            }
        }
        fields.sort_by_key(|(f, _)| def.fields.iter().position(|g| g.name == f.name));
        let ok = problems.is_empty();
        self.problems.extend(problems);
        if !ok {
            return Ok(None);
        }
        Ok(Some(Source {
            file: s.file.clone(),
            path,
            entity,
            key,
            columns: headers.clone(),
            null_values: s
                .null_values
                .clone()
                .unwrap_or_else(|| ctx.global_nulls.to_vec()),
            newline_escape: s
                .newline_escape
                .clone()
                .or_else(|| ctx.global_escape.map(str::to_string))
                .filter(|e| !e.is_empty()),
            delimiter,
            fields,
            key_sets_external_id,
        }))
    }

    fn conv(
        &mut self,
        f: &FieldDef,
        spec: &toml::Value,
        cols: &Cols<'_>,
        ctx: &SourceCtx<'_>,
    ) -> Result<Conv, String> {
        let t = match spec {
            toml::Value::String(col) => {
                return Ok(Conv::Column {
                    col: cols.find(col)?,
                    default: None,
                });
            }
            toml::Value::Table(t) => t,
            _ => {
                return Err(
                    "must be a column name or a table such as { column = \"...\" }".to_string(),
                );
            }
        };
        let kind = [
            "constant",
            "template",
            "coalesce",
            "ref",
            "lookup",
            "map",
            "if_empty",
            "if_present",
        ]
        .into_iter()
        .find(|k| t.contains_key(*k))
        .unwrap_or("column");
        let allowed: &[&str] = match kind {
            "constant" => &["constant"],
            "template" => &["template", "default"],
            "coalesce" => &["coalesce", "default"],
            "ref" => &["ref", "column"],
            "lookup" => &["lookup", "column", "default"],
            "map" => &["map", "column", "default"],
            "if_empty" | "if_present" => &["column", "if_empty", "if_present"],
            _ => &["column", "default"],
        };
        if let Some(bad) = t.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(format!(
                "unexpected key `{bad}` in a `{kind}` conversion (allowed: {})",
                allowed.join(", ")
            ));
        }
        let str_of = |key: &str| -> Result<String, String> {
            match t.get(key) {
                Some(toml::Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(format!("`{key}` must be a string")),
                None => Err(format!("`{key}` is missing")),
            }
        };
        let column = || -> Result<usize, String> { cols.find(&str_of("column")?) };
        let opt_out = |key: &str| -> Result<Option<Out>, String> {
            t.get(key)
                .map(|v| toml_to_out(v).map_err(|e| format!("`{key}`: {e}")))
                .transpose()
        };
        let default = opt_out("default")?;
        Ok(match kind {
            "constant" => Conv::Constant(opt_out("constant")?.ok_or("`constant` is missing")?),
            "template" => Conv::Template {
                template: parse_template(&str_of("template")?, cols)?,
                default,
            },
            "coalesce" => {
                let names = t
                    .get("coalesce")
                    .and_then(toml::Value::as_array)
                    .ok_or("`coalesce` must be an array of column names")?;
                let mut out = Vec::new();
                for n in names {
                    let n = n
                        .as_str()
                        .ok_or("`coalesce` must be an array of column names")?;
                    out.push(cols.find(n)?);
                }
                if out.is_empty() {
                    return Err("`coalesce` must name at least one column".to_string());
                }
                Conv::Coalesce { cols: out, default }
            }
            "ref" => {
                let name = str_of("ref")?;
                let target = Entity::parse(&name).ok_or_else(|| {
                    format!(
                        "`ref`: unknown entity `{name}` (entities: {})",
                        entity_names()
                    )
                })?;
                match f.kind {
                    FieldKind::Ref(e) if e == target => {}
                    FieldKind::Ref(e) => {
                        return Err(format!("`ref` must be `{e}`: the field refers to {e}"));
                    }
                    _ => return Err("`ref` is only for reference fields".to_string()),
                }
                if !ctx.keyed.contains(&target) {
                    return Err(format!(
                        "`ref = \"{target}\"` needs a [[source]] for {target} with a `key`"
                    ));
                }
                Conv::Ref {
                    entity: target,
                    col: column()?,
                }
            }
            "lookup" => {
                let l = t
                    .get("lookup")
                    .and_then(toml::Value::as_table)
                    .ok_or("`lookup` must be a table { file, key, value }")?;
                if let Some(bad) = l
                    .keys()
                    .find(|k| !["file", "key", "value"].contains(&k.as_str()))
                {
                    return Err(format!(
                        "unexpected key `{bad}` in `lookup` (allowed: file, key, value)"
                    ));
                }
                let get = |k: &str| {
                    l.get(k)
                        .and_then(toml::Value::as_str)
                        .map(str::to_string)
                        .ok_or_else(|| format!("`lookup.{k}` must be a string"))
                };
                let (file, key, value) = (get("file")?, get("key")?, get("value")?);
                let col = column()?;
                let table = self
                    .lookup_table(&file, &key, &value, ctx)
                    .map_err(|e| format!("`lookup`: {e}"))?;
                Conv::Lookup {
                    col,
                    file,
                    key_column: key,
                    table,
                    default,
                }
            }
            "map" => {
                let m = t
                    .get("map")
                    .and_then(toml::Value::as_table)
                    .ok_or("`map` must be a table of \"cell value\" = result")?;
                let mut map = HashMap::new();
                for (k, v) in m {
                    map.insert(
                        k.trim().to_string(),
                        toml_to_out(v).map_err(|e| format!("`map.{k}`: {e}"))?,
                    );
                }
                Conv::Map {
                    col: column()?,
                    map,
                    default,
                }
            }
            "if_empty" | "if_present" => Conv::Switch {
                col: column()?,
                if_empty: opt_out("if_empty")?,
                if_present: opt_out("if_present")?,
            },
            _ => Conv::Column {
                col: column()?,
                default,
            },
        })
    }

    fn lookup_table(
        &mut self,
        file: &str,
        key: &str,
        value: &str,
        ctx: &SourceCtx<'_>,
    ) -> Result<HashMap<String, Option<String>>, String> {
        let path = self.base_dir.join(file);
        let headers = self
            .headers(&path, ctx.global_delim)
            .map_err(|e| e.to_string())?;
        let cols = Cols {
            headers: &headers,
            file,
        };
        let (k, v) = (cols.find(key)?, cols.find(value)?);
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(ctx.global_delim)
            .flexible(true)
            .from_path(&path)
            .map_err(|e| csv_error(&path, e).to_string())?;
        let mut table = HashMap::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| csv_error(&path, e).to_string())?;
            let line = rec.position().map_or(0, csv::Position::line);
            let cell = |i: usize| {
                rec.get(i)
                    .map(str::trim)
                    .filter(|c| !c.is_empty() && !ctx.global_nulls.iter().any(|n| n == c))
                    .map(str::to_string)
            };
            let Some(kv) = cell(k) else { continue };
            if table.insert(kv, cell(v)).is_some() {
                return Err(format!(
                    "{file} line {line}: key column `{key}` repeats an earlier key"
                ));
            }
        }
        Ok(table)
    }

    fn derive(&mut self, n: usize, d: &RawDerive, imported: &[Entity]) -> Option<Derive> {
        let at = format!("[[derive]] #{n} ({}.{})", d.entity, d.field);
        let r = (|| -> Result<Derive, String> {
            let entity =
                Entity::parse(&d.entity).ok_or_else(|| format!("unknown entity `{}`", d.entity))?;
            let field = entity
                .def()
                .field(&d.field)
                .filter(|f| writable(f))
                .ok_or_else(|| format!("{entity} has no importable field `{}`", d.field))?;
            let from = Entity::parse(&d.from.entity)
                .ok_or_else(|| format!("from: unknown entity `{}`", d.from.entity))?;
            if !imported.contains(&from) || !imported.contains(&entity) {
                return Err(format!(
                    "both {entity} and {from} must be imported by this mapping"
                ));
            }
            let fdef = from.def();
            let value = fdef
                .field(&d.from.field)
                .ok_or_else(|| format!("from: {from} has no field `{}`", d.from.field))?;
            if value.kind != field.kind {
                return Err(format!(
                    "from: {from}.{} has a different type than {entity}.{}",
                    value.name, field.name
                ));
            }
            let via = fdef
                .field(&d.from.via)
                .filter(|v| v.kind == FieldKind::Ref(entity))
                .ok_or_else(|| {
                    format!("from: `via` must be a field of {from} that refers to {entity}")
                })?;
            let order_by = fdef
                .field(&d.from.order_by)
                .filter(|o| {
                    matches!(
                        o.kind,
                        FieldKind::Date
                            | FieldKind::Int
                            | FieldKind::Money
                            | FieldKind::Fraction
                            | FieldKind::Text
                    )
                })
                .ok_or_else(|| {
                    format!("from: `order_by` must be a date, number or text field of {from}")
                })?;
            let pick = match d.from.pick.as_str() {
                "latest" => Pick::Latest,
                "earliest" => Pick::Earliest,
                _ => return Err("from: `pick` must be \"latest\" or \"earliest\"".to_string()),
            };
            Ok(Derive {
                entity,
                field,
                from,
                from_field: value.name,
                via: via.name,
                pick,
                order_by: order_by.name,
            })
        })();
        r.map_err(|e| self.problems.push(format!("{at}: {e}"))).ok()
    }

    fn assign(&mut self, n: usize, a: &RawAssign, imported: &[Entity]) -> Option<Assign> {
        let at = format!("[[assign]] #{n} (from {})", a.from.entity);
        let r = (|| -> Result<Assign, String> {
            let from = Entity::parse(&a.from.entity)
                .ok_or_else(|| format!("unknown entity `{}`", a.from.entity))?;
            if !imported.contains(&from) || !imported.contains(&Entity::Accounts) {
                return Err(format!(
                    "both accounts and {from} must be imported by this mapping"
                ));
            }
            let def = from.def();
            let field = def
                .field(&a.from.field)
                .filter(|f| f.kind == FieldKind::Ref(Entity::Users))
                .ok_or_else(|| format!("`field` must be a field of {from} that refers to users"))?;
            let via = def
                .field(&a.from.via)
                .filter(|f| f.kind == FieldKind::Ref(Entity::Accounts))
                .ok_or_else(|| {
                    format!("`via` must be a field of {from} that refers to accounts")
                })?;
            Ok(Assign {
                from,
                field: field.name,
                via: via.name,
                include_owner: a.include_owner,
            })
        })();
        r.map_err(|e| self.problems.push(format!("{at}: {e}"))).ok()
    }
}

struct SourceCtx<'a> {
    n: usize,
    keyed: &'a [Entity],
    imported: &'a [Entity],
    derived: &'a [(Entity, String)],
    global_nulls: &'a [String],
    global_escape: Option<&'a str>,
    global_delim: u8,
}

/// Parses `"{address}, {city|upper} {postal_code}"`; `{{` and `}}` are literal braces.
fn parse_template(s: &str, cols: &Cols<'_>) -> Result<Template, String> {
    // Literal pieces around the placeholders: lits.len() == slots.len() + 1.
    let mut lits: Vec<String> = Vec::new();
    let mut slots: Vec<(usize, Case)> = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                cur.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                cur.push('}');
            }
            '{' => {
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => inner.push(c),
                        None => return Err("`template` has an unclosed `{`".to_string()),
                    }
                }
                let (name, filter) = match inner.split_once('|') {
                    Some((n, f)) => (n.trim(), Some(f.trim())),
                    None => (inner.trim(), None),
                };
                let case = match filter {
                    None => Case::Keep,
                    Some("lower") => Case::Lower,
                    Some("upper") => Case::Upper,
                    Some(other) => {
                        return Err(format!(
                            "`template`: unknown filter `{other}` (filters: lower, upper)"
                        ));
                    }
                };
                slots.push((cols.find(name)?, case));
                lits.push(std::mem::take(&mut cur));
            }
            '}' => return Err("`template` has a `}` without `{` (write `}}`)".to_string()),
            c => cur.push(c),
        }
    }
    if slots.is_empty() {
        return Err("`template` has no {column} placeholder (use `constant`)".to_string());
    }
    let mut lits = lits.into_iter();
    let prefix = lits.next().unwrap_or_default();
    let slots = slots
        .into_iter()
        .enumerate()
        .map(|(i, (col, case))| Slot {
            sep: if i == 0 {
                String::new()
            } else {
                lits.next().unwrap_or_default()
            },
            col,
            case,
        })
        .collect();
    Ok(Template {
        prefix,
        slots,
        suffix: cur,
    })
}

/// The entities in planning and insertion order: every referenced entity comes before the
/// entities referring to it (self-references are ordered record by record).
pub(crate) const ENTITY_ORDER: [Entity; 11] = [
    Entity::Suppliers,
    Entity::Products,
    Entity::Users,
    Entity::Accounts,
    Entity::Contacts,
    Entity::Orders,
    Entity::OrderLines,
    Entity::Shipments,
    Entity::Contracts,
    Entity::Settlements,
    Entity::Tickets,
];

/// Position of an entity in [`ENTITY_ORDER`].
pub(crate) fn rank(e: Entity) -> usize {
    ENTITY_ORDER
        .iter()
        .position(|x| *x == e)
        .unwrap_or(ENTITY_ORDER.len())
}
