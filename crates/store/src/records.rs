//! Business records: scoped reads, writes with their audit event in the same transaction,
//! and all-or-nothing imports.
//!
//! Every query is narrowed by the caller's record scope *in SQL* (never filtered after the
//! fact), and every row comes back with the caller's relation to it so the view can apply
//! field rules that depend on ownership.

use crate::db::{Engine, SqlVal, Store, bind_all, now, with_pool};
use crate::error::StoreError;
use crate::types::{Dir, ListQuery, NewRecord, Row, ScopeCtx};
use bulwark_audit::AuditEvent;
use bulwark_domain::catalogue::{Anchor, FieldDef, FieldKind};
use bulwark_domain::{Entity, Value};
use bulwark_policy::{Relation, Scope};
use sqlx::AssertSqlSafe;
use sqlx::Row as _;
use std::collections::BTreeMap;

/// A SQL statement under construction: text plus its bind parameters, in this engine's
/// placeholder dialect.
pub(crate) struct Sql {
    engine: Engine,
    pub(crate) text: String,
    pub(crate) params: Vec<SqlVal>,
}

impl Sql {
    pub(crate) fn new(engine: Engine) -> Self {
        Self {
            engine,
            text: String::new(),
            params: Vec::new(),
        }
    }
    /// Adds a parameter and returns its placeholder.
    pub(crate) fn p(&mut self, v: SqlVal) -> String {
        self.params.push(v);
        let n = self.params.len();
        match self.engine {
            Engine::Sqlite => format!("?{n}"),
            Engine::Postgres => format!("${n}"),
        }
    }
    pub(crate) fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }
}

pub(crate) fn sql_val(field: &FieldDef, v: &Value) -> SqlVal {
    if field.is_integer() {
        match v {
            Value::Int(i) => SqlVal::Int(Some(*i)),
            _ => SqlVal::Int(None),
        }
    } else {
        match v {
            Value::Text(s) => SqlVal::Text(Some(s.clone())),
            Value::Int(i) => SqlVal::Text(Some(i.to_string())),
            Value::Null => SqlVal::Text(None),
        }
    }
}

/// The SQL expressions that tie records of an entity to users.
struct AnchorSql {
    join: &'static str,
    owner: Option<&'static str>,
    region: Option<&'static str>,
    account: Option<&'static str>,
}

fn anchor_sql(entity: Entity) -> AnchorSql {
    match entity.def().anchor {
        Anchor::Account => AnchorSql {
            join: "",
            owner: Some("t.owner_id"),
            region: Some("t.region"),
            account: Some("t.id"),
        },
        Anchor::ViaAccount => AnchorSql {
            join: " LEFT JOIN accounts a ON a.id = t.account_id",
            owner: Some("a.owner_id"),
            region: Some("a.region"),
            account: Some("t.account_id"),
        },
        Anchor::User => AnchorSql {
            join: "",
            owner: Some("t.id"),
            region: Some("t.region"),
            account: None,
        },
        Anchor::Unowned => AnchorSql {
            join: "",
            owner: None,
            region: None,
            account: None,
        },
    }
}

/// Relation expressions (owned, assigned, team, region) and the scope predicate.
struct ScopeSql {
    rel_cols: String,
    predicate: String,
}

fn scope_sql(sql: &mut Sql, entity: Entity, ctx: &ScopeCtx, point: bool) -> ScopeSql {
    let a = anchor_sql(entity);
    let Some(owner) = a.owner else {
        return ScopeSql {
            rel_cols: "CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(1 AS BIGINT)".to_string(),
            predicate: "1 = 1".to_string(),
        };
    };
    let owned = format!(
        "{owner} = {}",
        sql.p(SqlVal::Text(Some(ctx.user_id.clone())))
    );
    let assigned = match a.account {
        // Assigned: on the account's visit/share list, or the assignee of one of its tickets
        // (after-sales staff see the contacts of the customers whose tickets they handle).
        // A point lookup probes the two tables by the record's account (cheap for one row);
        // a list builds the user's assignment set once (cheap for many rows).
        Some(acc) => {
            let a = sql.p(SqlVal::Text(Some(ctx.user_id.clone())));
            let b = sql.p(SqlVal::Text(Some(ctx.user_id.clone())));
            if point {
                format!(
                    "(EXISTS (SELECT 1 FROM account_assignees x WHERE x.account_id = {acc} AND x.user_id = {a}) OR EXISTS (SELECT 1 FROM tickets tk WHERE tk.account_id = {acc} AND tk.assignee_id = {b}))"
                )
            } else {
                format!(
                    "({acc} IN (SELECT x.account_id FROM account_assignees x WHERE x.user_id = {a}) OR {acc} IN (SELECT tk.account_id FROM tickets tk WHERE tk.assignee_id = {b}))"
                )
            }
        }
        None => "1 = 0".to_string(),
    };
    let team = if ctx.need_team {
        format!("{owner} IN (SELECT id FROM team)")
    } else {
        "1 = 0".to_string()
    };
    let region = match (a.region, &ctx.region) {
        (Some(r), Some(reg)) => format!("{r} = {}", sql.p(SqlVal::Text(Some(reg.clone())))),
        _ => "1 = 0".to_string(),
    };
    let b = |e: &str| format!("CAST(CASE WHEN {e} THEN 1 ELSE 0 END AS BIGINT)");
    let rel_cols = format!(
        "{}, {}, {}, {}, CAST(0 AS BIGINT)",
        b(&owned),
        b(&assigned),
        b(&team),
        b(&region)
    );
    let predicate = match ctx.scope {
        Scope::All => "1 = 1".to_string(),
        Scope::Own => format!("({owned} OR {assigned})"),
        Scope::Team => format!("({owned} OR {assigned} OR {team})"),
        Scope::Region => format!("({owned} OR {assigned} OR {team} OR {region})"),
    };
    ScopeSql {
        rel_cols,
        predicate,
    }
}

fn team_cte(sql: &mut Sql, ctx: &ScopeCtx) {
    if ctx.need_team {
        let me = sql.p(SqlVal::Text(Some(ctx.user_id.clone())));
        sql.push(&format!(
            "WITH RECURSIVE team(id) AS (SELECT CAST({me} AS TEXT) UNION SELECT u.id FROM users u JOIN team ON u.manager_id = team.id) "
        ));
    }
}

fn select_cols(entity: Entity) -> String {
    entity
        .def()
        .fields
        .iter()
        .map(|f| format!("t.{}", f.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sort expression: the bare column when it can never be NULL (so its index orders the
/// scan), otherwise NULLs folded to the lowest value so keyset paging stays total.
fn sort_expr(field: &FieldDef, sql: &mut Sql) -> String {
    if field.required || matches!(field.kind, FieldKind::Id | FieldKind::Timestamp) {
        format!("t.{}", field.name)
    } else if field.is_integer() {
        format!(
            "COALESCE(t.{}, {})",
            field.name,
            sql.p(SqlVal::Int(Some(i64::MIN)))
        )
    } else {
        format!("COALESCE(t.{}, '')", field.name)
    }
}

macro_rules! decode_rows {
    ($rows:expr, $entity:expr) => {{
        let def = $entity.def();
        let n = def.fields.len();
        let mut out = Vec::with_capacity($rows.len());
        for r in $rows.iter() {
            let mut values = Vec::with_capacity(n);
            for (i, f) in def.fields.iter().enumerate() {
                let v = if f.is_integer() {
                    r.try_get::<Option<i64>, _>(i)?
                        .map_or(Value::Null, Value::Int)
                } else {
                    r.try_get::<Option<String>, _>(i)?
                        .map_or(Value::Null, Value::Text)
                };
                values.push(v);
            }
            let flag =
                |k: usize| -> Result<bool, sqlx::Error> { Ok(r.try_get::<i64, _>(n + k)? != 0) };
            out.push(Row {
                values,
                relation: Relation {
                    owned: flag(0)?,
                    assigned: flag(1)?,
                    team: flag(2)?,
                    region: flag(3)?,
                    public: flag(4)?,
                },
            });
        }
        out
    }};
}

impl Store {
    fn select_sql(&self, entity: Entity, ctx: &ScopeCtx, point: bool) -> Sql {
        let mut sql = Sql::new(self.engine());
        team_cte(&mut sql, ctx);
        let scope = scope_sql(&mut sql, entity, ctx, point);
        let a = anchor_sql(entity);
        sql.push(&format!(
            "SELECT {}, {} FROM {} t{} WHERE {}",
            select_cols(entity),
            scope.rel_cols,
            entity.as_str(),
            a.join,
            scope.predicate
        ));
        sql
    }

    /// Reads one record if it exists *and* lies within the caller's scope.
    pub async fn get(
        &self,
        entity: Entity,
        id: &str,
        ctx: &ScopeCtx,
    ) -> Result<Option<Row>, StoreError> {
        let mut sql = self.select_sql(entity, ctx, true);
        let p = sql.p(SqlVal::Text(Some(id.to_string())));
        sql.push(&format!(" AND t.id = {p}"));
        let rows = with_pool!(self, read, pool => {
            let rows = bind_all!(sqlx::query(AssertSqlSafe(sql.text.clone())), sql.params)
                .fetch_all(pool)
                .await?;
            decode_rows!(rows, entity)
        });
        Ok(rows.into_iter().next())
    }

    /// Lists records within the caller's scope, filtered, searched, sorted and paged by keyset.
    pub async fn list(
        &self,
        entity: Entity,
        q: &ListQuery,
        ctx: &ScopeCtx,
    ) -> Result<Vec<Row>, StoreError> {
        let def = entity.def();
        let mut sql = self.select_sql(entity, ctx, false);
        for (name, v) in &q.filters {
            let f = def
                .field(name)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown filter field {name}")))?;
            if v.is_null() {
                sql.push(&format!(" AND t.{} IS NULL", f.name));
            } else {
                let p = sql.p(sql_val(f, v));
                sql.push(&format!(" AND t.{} = {p}", f.name));
            }
        }
        if let Some((fields, text)) = q.search.as_ref().filter(|(f, _)| !f.is_empty()) {
            {
                let pattern = format!(
                    "%{}%",
                    text.to_lowercase()
                        .replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                );
                let mut ors = Vec::new();
                for name in fields {
                    let f = def.field(name).ok_or_else(|| {
                        StoreError::Corrupt(format!("unknown search field {name}"))
                    })?;
                    let p = sql.p(SqlVal::Text(Some(pattern.clone())));
                    ors.push(format!("LOWER(t.{}) LIKE {p} ESCAPE '\\'", f.name));
                }
                sql.push(&format!(" AND ({})", ors.join(" OR ")));
            }
        }
        let sort_field = def
            .field(q.sort.0)
            .ok_or_else(|| StoreError::Corrupt("unknown sort field".into()))?;
        let (cmp, dir) = match q.sort.1 {
            Dir::Asc => (">", "ASC"),
            Dir::Desc => ("<", "DESC"),
        };
        if let Some((v, id)) = &q.after {
            // A NULL sort value compares as the same stand-in the sort expression uses.
            let v = &match v {
                Value::Null if sort_field.is_integer() => Value::Int(i64::MIN),
                Value::Null => Value::Text(String::new()),
                other => other.clone(),
            };
            let e1 = sort_expr(sort_field, &mut sql);
            let pv = sql.p(sql_val(sort_field, v));
            let e2 = sort_expr(sort_field, &mut sql);
            let pv2 = sql.p(sql_val(sort_field, v));
            let pid = sql.p(SqlVal::Text(Some(id.clone())));
            sql.push(&format!(
                " AND ({e1} {cmp} {pv} OR ({e2} = {pv2} AND t.id {cmp} {pid}))"
            ));
        }
        let e = sort_expr(sort_field, &mut sql);
        let pl = sql.p(SqlVal::Int(Some(i64::from(q.limit))));
        sql.push(&format!(" ORDER BY {e} {dir}, t.id {dir} LIMIT {pl}"));
        let rows = with_pool!(self, read, pool => {
            let rows = bind_all!(sqlx::query(AssertSqlSafe(sql.text.clone())), sql.params)
                .fetch_all(pool)
                .await?;
            decode_rows!(rows, entity)
        });
        Ok(rows)
    }

    /// Inserts one record and its audit event in one transaction.
    pub async fn create(&self, rec: &NewRecord, event: AuditEvent) -> Result<(), StoreError> {
        let key = self.audit_key.clone().ok_or(StoreError::NoAuditKey)?;
        let ts = now();
        let stmt = self.insert_sql(rec, &ts)?;
        let recompute = order_of_line(rec);
        with_pool!(self, write, pool => {
            let mut tx = pool.begin().await?;
            bind_all!(sqlx::query(AssertSqlSafe(stmt.text.clone())), stmt.params)
                .execute(&mut *tx)
                .await?;
            if let Some(order_id) = recompute {
                let s = self.recompute_total_sql(&order_id);
                bind_all!(sqlx::query(AssertSqlSafe(s.text.clone())), s.params).execute(&mut *tx).await?;
            }
            crate::audit::append_in_tx!(self, &mut tx, &key, std::slice::from_ref(&event));
            tx.commit().await?;
        });
        Ok(())
    }

    fn insert_sql(&self, rec: &NewRecord, ts: &str) -> Result<Sql, StoreError> {
        let def = rec.entity.def();
        let mut sql = Sql::new(self.engine());
        let mut cols = vec!["id".to_string()];
        let mut phs = vec![sql.p(SqlVal::Text(Some(rec.id.clone())))];
        for (name, v) in &rec.values {
            let f = def
                .field(name)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown field {name}")))?;
            if matches!(f.name, "id" | "created_at" | "updated_at") {
                continue;
            }
            cols.push(f.name.to_string());
            phs.push(sql.p(sql_val(f, v)));
        }
        for c in ["created_at", "updated_at"] {
            cols.push(c.to_string());
            phs.push(sql.p(SqlVal::Text(Some(ts.to_string()))));
        }
        sql.push(&format!(
            "INSERT INTO {} ({}) VALUES ({})",
            rec.entity.as_str(),
            cols.join(", "),
            phs.join(", ")
        ));
        Ok(sql)
    }

    fn recompute_total_sql(&self, order_id: &str) -> Sql {
        let mut sql = Sql::new(self.engine());
        let a = sql.p(SqlVal::Text(Some(order_id.to_string())));
        let b = sql.p(SqlVal::Text(Some(order_id.to_string())));
        sql.push(&format!(
            "UPDATE orders SET total_amount = (SELECT COALESCE(SUM(amount), 0) FROM order_lines WHERE order_id = {a}) WHERE id = {b}"
        ));
        sql
    }

    /// `id IN (scoped ids)`: the narrowing shared by update and delete, so a write can never
    /// reach a record outside the caller's scope even if it moved since it was read.
    fn scoped_id_clause(&self, sql: &mut Sql, entity: Entity, id: &str, ctx: &ScopeCtx) {
        let a = anchor_sql(entity);
        let p = sql.p(SqlVal::Text(Some(id.to_string())));
        let scope = scope_sql(sql, entity, ctx, true);
        sql.push(&format!(
            " WHERE id IN (SELECT t.id FROM {} t{} WHERE t.id = {p} AND {})",
            entity.as_str(),
            a.join,
            scope.predicate
        ));
    }

    /// Changes fields of a record within the caller's scope, with its audit event, in one
    /// transaction. Returns false (and writes nothing) if no such record is in scope.
    pub async fn update(
        &self,
        entity: Entity,
        id: &str,
        values: &[(&'static str, Value)],
        ctx: &ScopeCtx,
        event: AuditEvent,
    ) -> Result<bool, StoreError> {
        let key = self.audit_key.clone().ok_or(StoreError::NoAuditKey)?;
        let def = entity.def();
        let mut sql = Sql::new(self.engine());
        team_cte(&mut sql, ctx);
        let mut sets = Vec::new();
        for (name, v) in values {
            let f = def
                .field(name)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown field {name}")))?;
            sets.push(format!("{} = {}", f.name, sql.p(sql_val(f, v))));
        }
        sets.push(format!("updated_at = {}", sql.p(SqlVal::Text(Some(now())))));
        sql.push(&format!(
            "UPDATE {} SET {}",
            entity.as_str(),
            sets.join(", ")
        ));
        self.scoped_id_clause(&mut sql, entity, id, ctx);
        let recompute_sql = if entity == Entity::OrderLines {
            Some(self.order_of_line_sql(id))
        } else {
            None
        };
        let changed = with_pool!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let n = bind_all!(sqlx::query(AssertSqlSafe(sql.text.clone())), sql.params)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 1 {
                if let Some(s) = &recompute_sql {
                    bind_all!(sqlx::query(AssertSqlSafe(s.text.clone())), s.params).execute(&mut *tx).await?;
                }
                crate::audit::append_in_tx!(self, &mut tx, &key, std::slice::from_ref(&event));
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            n == 1
        });
        Ok(changed)
    }

    fn order_of_line_sql(&self, line_id: &str) -> Sql {
        let mut sql = Sql::new(self.engine());
        let a = sql.p(SqlVal::Text(Some(line_id.to_string())));
        sql.push(&format!(
            "UPDATE orders SET total_amount = (SELECT COALESCE(SUM(amount), 0) FROM order_lines WHERE order_id = orders.id) WHERE id IN (SELECT order_id FROM order_lines WHERE id = {a})"
        ));
        sql
    }

    /// Deletes a record within the caller's scope, with its audit event, in one transaction.
    /// Returns false if no such record is in scope; [`StoreError::Reference`] if other records
    /// still point at it.
    pub async fn delete(
        &self,
        entity: Entity,
        id: &str,
        ctx: &ScopeCtx,
        event: AuditEvent,
    ) -> Result<bool, StoreError> {
        let key = self.audit_key.clone().ok_or(StoreError::NoAuditKey)?;
        let mut sql = Sql::new(self.engine());
        team_cte(&mut sql, ctx);
        sql.push(&format!("DELETE FROM {}", entity.as_str()));
        self.scoped_id_clause(&mut sql, entity, id, ctx);
        // For order lines, find the order first so its total can be recomputed afterwards.
        let order_id = if entity == Entity::OrderLines {
            self.get(entity, id, ctx).await?.and_then(|r| {
                let idx = entity
                    .def()
                    .fields
                    .iter()
                    .position(|f| f.name == "order_id")?;
                r.values
                    .get(idx)
                    .and_then(Value::as_text)
                    .map(str::to_string)
            })
        } else {
            None
        };
        let deleted = with_pool!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let n = bind_all!(sqlx::query(AssertSqlSafe(sql.text.clone())), sql.params)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 1 {
                if let Some(o) = &order_id {
                    let s = self.recompute_total_sql(o);
                    bind_all!(sqlx::query(AssertSqlSafe(s.text.clone())), s.params).execute(&mut *tx).await?;
                }
                crate::audit::append_in_tx!(self, &mut tx, &key, std::slice::from_ref(&event));
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            n == 1
        });
        Ok(deleted)
    }

    /// Inserts many records (in the given order, references first), account assignments and
    /// the import's audit events in ONE transaction: all or nothing.
    pub async fn import(
        &self,
        records: &[NewRecord],
        assignments: &[(String, String)],
        events: &[AuditEvent],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<BTreeMap<Entity, usize>, StoreError> {
        let key = self.audit_key.clone().ok_or(StoreError::NoAuditKey)?;
        let ts = now();
        let mut counts = BTreeMap::new();
        let mut orders_touched = std::collections::BTreeSet::new();
        with_pool!(self, write, pool => {
            let mut tx = pool.begin().await?;
            for (i, rec) in records.iter().enumerate() {
                let stmt = self.insert_sql(rec, &ts)?;
                bind_all!(sqlx::query(AssertSqlSafe(stmt.text.clone())), stmt.params)
                    .execute(&mut *tx)
                    .await?;
                *counts.entry(rec.entity).or_insert(0) += 1;
                if let Some(o) = order_of_line(rec) {
                    orders_touched.insert(o);
                }
                if i % 500 == 0 {
                    progress(i as u64);
                }
            }
            for o in &orders_touched {
                let s = self.recompute_total_sql(o);
                bind_all!(sqlx::query(AssertSqlSafe(s.text.clone())), s.params).execute(&mut *tx).await?;
            }
            for (acc, user) in assignments {
                let q = if self.engine() == Engine::Postgres {
                    "INSERT INTO account_assignees (account_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
                } else {
                    "INSERT INTO account_assignees (account_id, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING"
                };
                sqlx::query(q).bind(acc.clone()).bind(user.clone()).execute(&mut *tx).await?;
            }
            crate::audit::append_in_tx!(self, &mut tx, &key, events);
            tx.commit().await?;
        });
        progress(records.len() as u64);
        Ok(counts)
    }

    /// Assigns a user to an account (field staff visit lists, shared accounts).
    pub async fn assign(
        &self,
        account_id: &str,
        user_id: &str,
        event: AuditEvent,
    ) -> Result<(), StoreError> {
        self.import(
            &[],
            &[(account_id.to_string(), user_id.to_string())],
            &[event],
            &|_| {},
        )
        .await
        .map(|_| ())
    }

    /// Counts records of an entity (all, unscoped: for the CLI and tests).
    pub async fn count(&self, entity: Entity) -> Result<i64, StoreError> {
        let sql = format!("SELECT COUNT(*) FROM {}", entity.as_str());
        let n = with_pool!(self, read, pool => {
            sqlx::query(AssertSqlSafe(sql)).fetch_one(pool).await?.try_get::<i64, _>(0)?
        });
        Ok(n)
    }

    /// Looks up record ids by external id (unscoped: for the CLI).
    pub async fn id_by_external(
        &self,
        entity: Entity,
        external_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let mut sql = Sql::new(self.engine());
        let p = sql.p(SqlVal::Text(Some(external_id.to_string())));
        sql.push(&format!(
            "SELECT id FROM {} WHERE external_id = {p}",
            entity.as_str()
        ));
        let id = with_pool!(self, read, pool => {
            match bind_all!(sqlx::query(AssertSqlSafe(sql.text.clone())), sql.params).fetch_optional(pool).await? {
                Some(r) => Some(r.try_get::<String, _>(0)?),
                None => None,
            }
        });
        Ok(id)
    }
}

fn order_of_line(rec: &NewRecord) -> Option<String> {
    if rec.entity != Entity::OrderLines {
        return None;
    }
    rec.values
        .iter()
        .find(|(n, _)| *n == "order_id")
        .and_then(|(_, v)| v.as_text().map(str::to_string))
}
