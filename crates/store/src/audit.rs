//! Audit events: appended in the caller's transaction (so a change never commits without its
//! event), chained with a key held outside the database, listed for the auditor, and streamed
//! for verification.

use crate::db::{Engine, SqlVal, Store, bind_all, with_pool};
use crate::error::StoreError;
use crate::records::Sql;
use bulwark_audit::{AuditEvent, ChainFault, ChainKey, ChainSummary, FaultKind, Verifier};
use sqlx::AssertSqlSafe;
use sqlx::Row as _;

/// Appends `$events` inside transaction `$tx`: reads and locks the chain head, links each
/// event, inserts them and moves the head. Appenders are serialised by the head row lock
/// (PostgreSQL) or the single writer connection (SQLite), so the chain never forks.
macro_rules! append_in_tx {
    ($store:expr, $tx:expr, $key:expr, $events:expr) => {{
        let events: &[bulwark_audit::AuditEvent] = $events;
        if !events.is_empty() {
            let head_sql = if $store.engine() == $crate::db::Engine::Postgres {
                "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
            } else {
                "SELECT seq, hash FROM audit_head WHERE id = 1"
            };
            let head = match sqlx::query(head_sql).fetch_optional(&mut **$tx).await? {
                Some(r) => {
                    let seq: i64 = r.try_get(0)?;
                    let hash: String = r.try_get(1)?;
                    Some((seq, hash))
                }
                None => None,
            };
            let head = $crate::audit::parse_head(head)?;
            let mut appender = bulwark_audit::Appender::new($key, head);
            let mut sql = $crate::records::Sql::new($store.engine());
            sql.push("INSERT INTO audit_events (seq, time, actor_id, action, entity, outcome, body, hash) VALUES ");
            let mut last = (0_u64, [0_u8; 32]);
            for (i, ev) in events.iter().enumerate() {
                let (seq, hash) = appender.append(ev);
                last = (seq, hash);
                let body = serde_json::to_string(ev)
                    .map_err(|e| $crate::error::StoreError::Corrupt(e.to_string()))?;
                let vals = [
                    $crate::db::SqlVal::Int(Some(seq as i64)),
                    $crate::db::SqlVal::Text(Some(ev.time.clone())),
                    $crate::db::SqlVal::Text(ev.actor_id.clone()),
                    $crate::db::SqlVal::Text(Some(ev.action.clone())),
                    $crate::db::SqlVal::Text(ev.entity.clone()),
                    $crate::db::SqlVal::Text(Some(ev.outcome.as_str().to_string())),
                    $crate::db::SqlVal::Text(Some(body)),
                    $crate::db::SqlVal::Text(Some(hex::encode(hash))),
                ];
                let phs: Vec<String> = vals.into_iter().map(|v| sql.p(v)).collect();
                if i > 0 {
                    sql.push(", ");
                }
                sql.push(&format!("({})", phs.join(", ")));
            }
            $crate::db::bind_all!(sqlx::query(sqlx::AssertSqlSafe(sql.text.clone())), sql.params)
                .execute(&mut **$tx)
                .await?;
            let upd = if $store.engine() == $crate::db::Engine::Postgres {
                "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1"
            } else {
                "UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1"
            };
            sqlx::query(upd)
                .bind(last.0 as i64)
                .bind(hex::encode(last.1))
                .execute(&mut **$tx)
                .await?;
        }
    }};
}
pub(crate) use append_in_tx;

/// Parses the stored head (None or seq 0 means an empty chain).
pub(crate) fn parse_head(
    head: Option<(i64, String)>,
) -> Result<Option<(u64, [u8; 32])>, StoreError> {
    match head {
        None => Ok(None),
        Some((0, _)) => Ok(None),
        Some((seq, hash)) => Ok(Some((
            u64::try_from(seq).map_err(|_| StoreError::Corrupt("audit head".into()))?,
            parse_hash(&hash)?,
        ))),
    }
}

fn parse_hash(s: &str) -> Result<[u8; 32], StoreError> {
    let v = hex::decode(s).map_err(|_| StoreError::Corrupt("audit hash".into()))?;
    v.try_into()
        .map_err(|_| StoreError::Corrupt("audit hash".into()))
}

/// The indexed copies of event fields, checked against the chained body on verification.
struct Columns {
    time: String,
    actor_id: Option<String>,
    action: String,
    entity: Option<String>,
    outcome: String,
}

/// Filters for listing audit events (all optional, combined with AND).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only events of this actor.
    pub actor_id: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this entity.
    pub entity: Option<String>,
    /// Only this outcome.
    pub outcome: Option<String>,
    /// Only events at or after this RFC 3339 time.
    pub since: Option<String>,
    /// Only events before this RFC 3339 time.
    pub until: Option<String>,
    /// Only events with a sequence number below this (keyset paging, newest first).
    pub before_seq: Option<i64>,
    /// Page size.
    pub limit: u32,
}

/// An audit event as stored.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Sequence number.
    pub seq: i64,
    /// The event.
    pub event: AuditEvent,
    /// Its chain hash (hex).
    pub hash: String,
}

impl Store {
    /// Appends events in their own transaction (group commit: callers batch them).
    pub async fn append_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        let key = self.audit_key.clone().ok_or(StoreError::NoAuditKey)?;
        with_pool!(self, write, pool => {
            let mut tx = pool.begin().await?;
            append_in_tx!(self, &mut tx, &key, events);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Lists audit events, newest first.
    pub async fn audit_events(&self, f: &AuditFilter) -> Result<Vec<StoredEvent>, StoreError> {
        let mut sql = Sql::new(self.engine());
        sql.push("SELECT seq, body, hash FROM audit_events WHERE 1 = 1");
        let text_filters = [
            ("actor_id", "=", &f.actor_id),
            ("action", "=", &f.action),
            ("entity", "=", &f.entity),
            ("outcome", "=", &f.outcome),
            ("time", ">=", &f.since),
            ("time", "<", &f.until),
        ];
        for (col, op, v) in text_filters {
            if let Some(v) = v {
                let p = sql.p(SqlVal::Text(Some(v.clone())));
                sql.push(&format!(" AND {col} {op} {p}"));
            }
        }
        if let Some(b) = f.before_seq {
            let p = sql.p(SqlVal::Int(Some(b)));
            sql.push(&format!(" AND seq < {p}"));
        }
        let p = sql.p(SqlVal::Int(Some(i64::from(f.limit))));
        sql.push(&format!(" ORDER BY seq DESC LIMIT {p}"));
        let rows = with_pool!(self, read, pool => {
            let rows = bind_all!(sqlx::query(AssertSqlSafe(sql.text.clone())), sql.params)
                .fetch_all(pool)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let body: String = r.try_get(1)?;
                out.push(StoredEvent {
                    seq: r.try_get(0)?,
                    event: serde_json::from_str(&body)
                        .map_err(|_| StoreError::Corrupt("audit event body".into()))?,
                    hash: r.try_get(2)?,
                });
            }
            out
        });
        Ok(rows)
    }

    /// Verifies the chain with the store's own audit key.
    pub async fn verify_own_audit(&self) -> Result<Result<ChainSummary, ChainFault>, StoreError> {
        let key = self.audit_key.clone().ok_or(StoreError::NoAuditKey)?;
        self.verify_audit(&key).await
    }

    /// Verifies the whole chain against the key and the stored head, streaming in pages.
    /// Returns the summary, or the first fault (its sequence number and kind).
    pub async fn verify_audit(
        &self,
        key: &ChainKey,
    ) -> Result<Result<ChainSummary, ChainFault>, StoreError> {
        let mut verifier = Verifier::new(key);
        let mut after: i64 = 0;
        loop {
            let q = match self.engine() {
                Engine::Postgres => {
                    "SELECT seq, body, hash, time, actor_id, action, entity, outcome FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT 5000"
                }
                Engine::Sqlite => {
                    "SELECT seq, body, hash, time, actor_id, action, entity, outcome FROM audit_events WHERE seq > ?1 ORDER BY seq LIMIT 5000"
                }
            };
            let page: Vec<(i64, String, String, Columns)> = with_pool!(self, read, pool => {
                sqlx::query(q).bind(after).fetch_all(pool).await?
                    .iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, Columns {
                        time: r.try_get(3)?,
                        actor_id: r.try_get(4)?,
                        action: r.try_get(5)?,
                        entity: r.try_get(6)?,
                        outcome: r.try_get(7)?,
                    })))
                    .collect::<Result<_, sqlx::Error>>()?
            });
            if page.is_empty() {
                break;
            }
            for (seq, body, hash, cols) in page {
                after = seq;
                let useq = u64::try_from(seq).unwrap_or(0);
                let altered = ChainFault {
                    seq: useq,
                    kind: FaultKind::HashMismatch,
                };
                let Ok(event) = serde_json::from_str::<AuditEvent>(&body) else {
                    return Ok(Err(altered));
                };
                // The stored body must be exactly the event's own serialisation (no added or
                // reordered keys), and the indexed columns the auditor filters on must say
                // what the chained event says.
                let same_body = serde_json::to_string(&event).is_ok_and(|b| b == body);
                let same_cols = cols.time == event.time
                    && cols.actor_id == event.actor_id
                    && cols.action == event.action
                    && cols.entity == event.entity
                    && cols.outcome == event.outcome.as_str();
                if !same_body || !same_cols {
                    return Ok(Err(altered));
                }
                let Ok(hash) = parse_hash(&hash) else {
                    return Ok(Err(ChainFault {
                        seq: useq,
                        kind: FaultKind::HashMismatch,
                    }));
                };
                if let Err(f) = verifier.push(useq, &event, &hash) {
                    return Ok(Err(f));
                }
            }
        }
        let head = with_pool!(self, read, pool => {
            match sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_optional(pool).await? {
                Some(r) => Some((r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?)),
                None => None,
            }
        });
        let head = parse_head(head)?;
        Ok(verifier.finish(head))
    }
}
