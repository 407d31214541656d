//! The role matrix: for every built-in role × entity × action, and for every field of each
//! entity, the API's answer (status, field present, masked or full) matches the policy, on
//! SQLite and PostgreSQL, over real HTTPS.
//!
//! Expectations come from the policy document (`decide`, `Grant::access`) and from the database
//! itself (read with a separate `sqlx` connection: owners, assignments, managers), never from
//! the server's view code. Every test collects all its failures (role, entity, field, engine)
//! before failing, so one run shows the whole picture.

#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use bulwark_domain::catalogue::{ALL, Anchor, Classification};
use bulwark_domain::{Entity, FieldDef, Value, mask, value};
use bulwark_policy::{Access, Action, Decision, DenyReason, Grant, PolicyDoc, Relation, Scope};
use bulwark_store::{Dir, ListQuery, Row, ScopeCtx};
use common::*;
use reqwest::StatusCode;
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Generated accounts (every 10th owned by `sales`, every 20th assigned to `field_staff`).
const GENERATED: u32 = 40;

/// The actions with an HTTP route.
const ACTIONS: [Action; 5] = [
    Action::Read,
    Action::Create,
    Action::Update,
    Action::Delete,
    Action::Reveal,
];

/// The administrator roles (separation of duties: no business data).
const ADMINS: [&str; 3] = ["sysadmin", "secadmin", "auditor"];

// ── Failure collection ──────────────────────────────────────────────────────────────────────

/// Failures of one test, reported together.
#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    fn push(&mut self, msg: String) {
        self.0.push(msg);
    }
    fn check(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        if !ok {
            self.0.push(msg());
        }
    }
    fn assert_none(self, engine: &str, what: &str) {
        if self.0.is_empty() {
            return;
        }
        let shown: Vec<&str> = self.0.iter().take(60).map(String::as_str).collect();
        panic!(
            "[{engine}] {what}: {} failure(s){}:\n  {}",
            self.0.len(),
            if self.0.len() > shown.len() {
                " (first 60 shown)"
            } else {
                ""
            },
            shown.join("\n  ")
        );
    }
}

// ── Direct database access (independent of the server) ──────────────────────────────────────

/// A separate connection to the test database.
enum RawDb {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl RawDb {
    async fn open(app: &TestApp) -> Self {
        match &app.db_url {
            Some(url) => Self::Pg(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(2)
                    .connect(url)
                    .await
                    .expect("connect to the test PostgreSQL database"),
            ),
            None => {
                let opts = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(app.dir.path().join("bulwark.db"))
                    .busy_timeout(Duration::from_secs(10));
                Self::Sqlite(
                    sqlx::sqlite::SqlitePoolOptions::new()
                        .max_connections(1)
                        .connect_with(opts)
                        .await
                        .expect("open the test SQLite file"),
                )
            }
        }
    }

    /// Runs a query whose columns are all text (or NULL).
    async fn texts(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        use sqlx::Row as _;
        macro_rules! fetch {
            ($pool:expr) => {
                sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                    .fetch_all($pool)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .iter()
                    .map(|r| (0..r.len()).map(|i| r.try_get(i).unwrap()).collect())
                    .collect()
            };
        }
        match self {
            Self::Sqlite(p) => fetch!(p),
            Self::Pg(p) => fetch!(p),
        }
    }

    /// Assigns a user to an account, behind the server's back.
    async fn assign(&self, account_id: &str, user_id: &str) {
        match self {
            Self::Sqlite(p) => {
                sqlx::query("INSERT INTO account_assignees (account_id, user_id) VALUES (?1, ?2)")
                    .bind(account_id)
                    .bind(user_id)
                    .execute(p)
                    .await
                    .unwrap();
            }
            Self::Pg(p) => {
                sqlx::query("INSERT INTO account_assignees (account_id, user_id) VALUES ($1, $2)")
                    .bind(account_id)
                    .bind(user_id)
                    .execute(p)
                    .await
                    .unwrap();
            }
        }
    }

    async fn close(self) {
        match self {
            Self::Sqlite(p) => p.close().await,
            Self::Pg(p) => p.close().await,
        }
    }
}

struct UserRec {
    username: String,
    manager: Option<String>,
    region: Option<String>,
}

struct AccountRec {
    owner: Option<String>,
    region: Option<String>,
}

/// Who owns what, read straight from the tables.
struct World {
    users: BTreeMap<String, UserRec>,
    accounts: BTreeMap<String, AccountRec>,
    /// (account id, user id)
    assignees: BTreeSet<(String, String)>,
    /// For entities anchored via an account: record id → account id.
    account_of: BTreeMap<Entity, BTreeMap<String, Option<String>>>,
    /// Every record id of every entity.
    ids: BTreeMap<Entity, BTreeSet<String>>,
}

impl World {
    async fn load(db: &RawDb) -> Self {
        let mut users = BTreeMap::new();
        for r in db
            .texts("SELECT id, username, manager_id, region FROM users")
            .await
        {
            users.insert(
                r[0].clone().unwrap(),
                UserRec {
                    username: r[1].clone().unwrap(),
                    manager: r[2].clone(),
                    region: r[3].clone(),
                },
            );
        }
        let mut accounts = BTreeMap::new();
        for r in db.texts("SELECT id, owner_id, region FROM accounts").await {
            accounts.insert(
                r[0].clone().unwrap(),
                AccountRec {
                    owner: r[1].clone(),
                    region: r[2].clone(),
                },
            );
        }
        // Assigned = on the account's assignment list, or assignee of one of its tickets.
        let mut assignees: BTreeSet<(String, String)> = db
            .texts("SELECT account_id, user_id FROM account_assignees")
            .await
            .into_iter()
            .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
            .collect();
        assignees.extend(
            db.texts("SELECT account_id, assignee_id FROM tickets WHERE assignee_id IS NOT NULL")
                .await
                .into_iter()
                .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap())),
        );
        let mut account_of = BTreeMap::new();
        let mut ids = BTreeMap::new();
        for &e in ALL {
            if e.def().anchor == Anchor::ViaAccount {
                let rows = db
                    .texts(&format!("SELECT id, account_id FROM {}", e.as_str()))
                    .await;
                let m: BTreeMap<String, Option<String>> = rows
                    .into_iter()
                    .map(|r| (r[0].clone().unwrap(), r[1].clone()))
                    .collect();
                ids.insert(e, m.keys().cloned().collect());
                account_of.insert(e, m);
            } else {
                let rows = db.texts(&format!("SELECT id FROM {}", e.as_str())).await;
                ids.insert(e, rows.into_iter().map(|r| r[0].clone().unwrap()).collect());
            }
        }
        Self {
            users,
            accounts,
            assignees,
            account_of,
            ids,
        }
    }

    fn user_id(&self, username: &str) -> String {
        self.users
            .iter()
            .find(|(_, u)| u.username == username)
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("no user {username}"))
    }

    /// The user and everyone reporting to them, transitively (from `users.manager_id`).
    fn team(&self, me: &str) -> BTreeSet<String> {
        let mut team = BTreeSet::from([me.to_string()]);
        loop {
            let before = team.len();
            for (id, u) in &self.users {
                if u.manager.as_ref().is_some_and(|m| team.contains(m)) {
                    team.insert(id.clone());
                }
            }
            if team.len() == before {
                return team;
            }
        }
    }

    fn account_relation(&self, me: &str, acc: Option<&str>) -> Relation {
        let Some(acc) = acc else {
            return Relation::default();
        };
        let Some(a) = self.accounts.get(acc) else {
            return Relation::default();
        };
        let my_region = self.users.get(me).and_then(|u| u.region.clone());
        Relation {
            owned: a.owner.as_deref() == Some(me),
            assigned: self.assignees.contains(&(acc.to_string(), me.to_string())),
            team: a.owner.as_ref().is_some_and(|o| self.team(me).contains(o)),
            region: my_region.is_some() && a.region == my_region,
            public: false,
        }
    }

    /// The user's relation to a record, computed from the tables.
    fn relation(&self, me: &str, entity: Entity, id: &str) -> Relation {
        match entity.def().anchor {
            Anchor::Unowned => Relation {
                public: true,
                ..Relation::default()
            },
            Anchor::User => {
                let my_region = self.users.get(me).and_then(|u| u.region.clone());
                let theirs = self.users.get(id).and_then(|u| u.region.clone());
                Relation {
                    owned: id == me,
                    assigned: false,
                    team: self.team(me).contains(id),
                    region: my_region.is_some() && theirs == my_region,
                    public: false,
                }
            }
            Anchor::Account => self.account_relation(me, Some(id)),
            Anchor::ViaAccount => {
                let acc = self
                    .account_of
                    .get(&entity)
                    .and_then(|m| m.get(id))
                    .cloned()
                    .flatten();
                self.account_relation(me, acc.as_deref())
            }
        }
    }

    /// The ids of `entity` a user with `scope` must see.
    fn expected_ids(&self, me: &str, entity: Entity, scope: Scope) -> BTreeSet<String> {
        self.ids[&entity]
            .iter()
            .filter(|id| self.relation(me, entity, id).covered_by(scope))
            .cloned()
            .collect()
    }

    /// Accounts owned by `owner` or assigned to them.
    fn accounts_owned_or_assigned(&self, user: &str) -> BTreeSet<String> {
        self.accounts
            .iter()
            .filter(|(id, a)| {
                a.owner.as_deref() == Some(user)
                    || self.assignees.contains(&((*id).clone(), user.to_string()))
            })
            .map(|(id, _)| id.clone())
            .collect()
    }
}

// ── Policy helpers ──────────────────────────────────────────────────────────────────────────

async fn policy(app: &TestApp) -> PolicyDoc {
    bulwark_server::policy_cache::load(&app.ctx.store)
        .await
        .expect("load the stored policy")
}

fn decide(policy: &PolicyDoc, role: &str, entity: Entity, action: Action) -> Decision {
    bulwark_policy::decide(policy, &[role.to_string()], entity, action)
}

fn grant(policy: &PolicyDoc, role: &str, entity: Entity, action: Action) -> Option<Grant> {
    match decide(policy, role, entity, action) {
        Decision::Allow(g) => Some(g),
        Decision::Deny(_) => None,
    }
}

/// Every role in the stored policy (each has a demo user of the same name).
fn roles(policy: &PolicyDoc) -> Vec<String> {
    policy.roles.keys().cloned().collect()
}

fn all_scope() -> ScopeCtx {
    ScopeCtx {
        user_id: String::new(),
        region: None,
        scope: Scope::All,
        need_team: false,
    }
}

fn list_everything() -> ListQuery {
    ListQuery {
        sort: ("id", Dir::Asc),
        filters: vec![],
        search: None,
        after: None,
        limit: 1_000_000,
    }
}

/// Every stored record of an entity, unscoped, by id.
async fn clear_rows(app: &TestApp, entity: Entity) -> BTreeMap<String, Row> {
    app.ctx
        .store
        .list(entity, &list_everything(), &all_scope())
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id().to_string(), r))
        .collect()
}

/// What the policy says the JSON for a field must be (`None`: the key must be absent).
fn expected_json(f: &FieldDef, v: &Value, access: Access) -> Option<Json> {
    match access {
        Access::Hidden => None,
        Access::Full => Some(value::to_json(f, v)),
        Access::Masked => Some(match value::display(f, v) {
            Some(clear) => Json::String(mask::apply(f.mask, &clear)),
            None => Json::Null,
        }),
    }
}

/// Checks every field of one returned record against the policy.
fn check_record(
    fails: &mut Failures,
    who: &str,
    grant: &Grant,
    item: &Json,
    clear: &[Value],
    rel: Relation,
) {
    let entity = grant.entity;
    let def = entity.def();
    let Some(obj) = item.as_object() else {
        fails.push(format!("{who} {entity}: item is not an object: {item}"));
        return;
    };
    let id = item["id"].as_str().unwrap_or("?");
    for key in obj.keys() {
        fails.check(def.field(key).is_some(), || {
            format!("{who} {entity}/{id}: unknown key {key:?} in the answer")
        });
    }
    for (idx, f) in def.fields.iter().enumerate() {
        let v = clear.get(idx).cloned().unwrap_or(Value::Null);
        let access = grant.access(idx, rel);
        let got = obj.get(f.name);
        match (expected_json(f, &v, access), got) {
            (None, None) => {}
            (None, Some(g)) => fails.push(format!(
                "{who} {entity}/{id}.{}: policy says hidden ({rel:?}) but the answer has {g}",
                f.name
            )),
            (Some(_), None) => fails.push(format!(
                "{who} {entity}/{id}.{}: policy says {} ({rel:?}) but the key is absent",
                f.name,
                access.as_str()
            )),
            (Some(want), Some(g)) => {
                fails.check(&want == g, || {
                    format!(
                        "{who} {entity}/{id}.{}: policy says {} ({rel:?}): want {want}, got {g}",
                        f.name,
                        access.as_str()
                    )
                });
                let clear = value::display(f, &v);
                if let Some(c) = clear
                    .filter(|c| access == Access::Masked && c.chars().any(|ch| ch.is_ascii_digit()))
                {
                    fails.check(g.as_str() != Some(c.as_str()), || {
                        format!(
                            "{who} {entity}/{id}.{}: masked value equals the clear value {c:?}",
                            f.name
                        )
                    });
                }
            }
        }
    }
}

/// Checks a 403 denial with the policy's reason code.
fn check_denied(fails: &mut Failures, what: &str, a: &Answer, reason: DenyReason) {
    fails.check(
        a.status == StatusCode::FORBIDDEN && a.body["code"] == reason.code(),
        || {
            format!(
                "{what}: want 403 {}, got {} {}",
                reason.code(),
                a.status,
                a.body
            )
        },
    );
}

fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn ids_of(items: &[Json]) -> BTreeSet<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `138****5678`: three digits, four stars, four digits.
fn is_masked_cn_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b[..3].iter().all(u8::is_ascii_digit)
        && &b[3..7] == b"****"
        && b[7..].iter().all(u8::is_ascii_digit)
}

/// `**** 1234`: a fixed mask and the last four digits.
fn is_masked_bank_account(s: &str) -> bool {
    s.len() == 9 && s.starts_with("**** ") && s[5..].bytes().all(|b| b.is_ascii_digit())
}

fn field_idx(entity: Entity, name: &str) -> usize {
    entity
        .def()
        .fields
        .iter()
        .position(|f| f.name == name)
        .unwrap_or_else(|| panic!("{entity} has no field {name}"))
}

fn clear_text(entity: Entity, row: &Row, name: &str) -> Option<String> {
    let f = entity.def().field(name).unwrap();
    value::display(f, &row.values[field_idx(entity, name)])
}

fn sorted_diff(a: &BTreeSet<String>, b: &BTreeSet<String>) -> (Vec<String>, Vec<String>) {
    (
        a.difference(b).take(5).cloned().collect(),
        b.difference(a).take(5).cloned().collect(),
    )
}

// ── 1. Actions ──────────────────────────────────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_matrix_matches_policy() {
    for engine in engines() {
        let app = TestApp::seeded(engine, GENERATED).await;
        let db = RawDb::open(&app).await;
        let world = World::load(&db).await;
        let policy = policy(&app).await;
        let mut fails = Failures::default();
        assert_eq!(
            policy,
            PolicyDoc::builtin().unwrap(),
            "[{engine}] the stored policy is the built-in roles.toml"
        );
        let mut probes = 0;
        // (action, allowed) → probes; "update in scope" separately.
        let mut tally: BTreeMap<(&str, bool), usize> = BTreeMap::new();
        let mut updates_in_scope = 0;
        for role in roles(&policy) {
            let s = app.login(&role).await;
            let me = world.user_id(&role);
            for &entity in ALL {
                let any_id = world.ids[&entity]
                    .iter()
                    .next()
                    .cloned()
                    .unwrap_or_else(|| panic!("no {entity} in the seed"));
                for action in ACTIONS {
                    let who = format!("role {role}, {entity}, {}", action.as_str());
                    let decision = decide(&policy, &role, entity, action);
                    probes += 1;
                    *tally
                        .entry((action.as_str(), matches!(decision, Decision::Allow(_))))
                        .or_default() += 1;
                    match action {
                        Action::Read => {
                            let a = s.get(&format!("/api/v1/{entity}")).await;
                            let one = s.get(&format!("/api/v1/{entity}/{any_id}")).await;
                            match &decision {
                                Decision::Deny(r) => {
                                    check_denied(&mut fails, &format!("{who}: GET list"), &a, *r);
                                    check_denied(&mut fails, &format!("{who}: GET one"), &one, *r);
                                }
                                Decision::Allow(g) => {
                                    fails.check(a.status == StatusCode::OK, || {
                                        format!(
                                            "{who}: GET list: want 200, got {} {}",
                                            a.status, a.body
                                        )
                                    });
                                    let visible =
                                        world.relation(&me, entity, &any_id).covered_by(g.scope());
                                    let want = if visible {
                                        StatusCode::OK
                                    } else {
                                        StatusCode::NOT_FOUND
                                    };
                                    fails.check(one.status == want, || {
                                        format!(
                                            "{who}: GET one: want {want}, got {} {}",
                                            one.status, one.body
                                        )
                                    });
                                }
                            }
                        }
                        Action::Create => {
                            let a = s.post(&format!("/api/v1/{entity}"), json!({})).await;
                            match &decision {
                                Decision::Deny(r) => check_denied(&mut fails, &who, &a, *r),
                                Decision::Allow(_) => fails.check(
                                    a.status == StatusCode::UNPROCESSABLE_ENTITY,
                                    || {
                                        format!(
                                            "{who}: POST {{}}: want 422, got {} {}",
                                            a.status, a.body
                                        )
                                    },
                                ),
                            }
                        }
                        Action::Update => {
                            // Prefer a record the role may change, so that "allowed" shows as 400.
                            let (id, in_scope) = match &decision {
                                Decision::Allow(g) => {
                                    match world
                                        .expected_ids(&me, entity, g.scope())
                                        .into_iter()
                                        .next()
                                    {
                                        Some(id) => (id, true),
                                        None => (any_id.clone(), false),
                                    }
                                }
                                Decision::Deny(_) => (any_id.clone(), false),
                            };
                            let a = s.patch(&format!("/api/v1/{entity}/{id}"), json!({})).await;
                            match &decision {
                                Decision::Deny(r) => check_denied(&mut fails, &who, &a, *r),
                                Decision::Allow(_) => {
                                    updates_in_scope += usize::from(in_scope);
                                    let want = if in_scope {
                                        StatusCode::BAD_REQUEST
                                    } else {
                                        StatusCode::NOT_FOUND
                                    };
                                    fails.check(a.status == want, || {
                                        format!(
                                            "{who}: PATCH {id} {{}}: want {want}, got {} {}",
                                            a.status, a.body
                                        )
                                    });
                                }
                            }
                        }
                        Action::Delete => {
                            let a = s.delete(&format!("/api/v1/{entity}/{}", random_id())).await;
                            match &decision {
                                Decision::Deny(r) => check_denied(&mut fails, &who, &a, *r),
                                Decision::Allow(_) => {
                                    fails.check(a.status == StatusCode::NOT_FOUND, || {
                                        format!(
                                            "{who}: DELETE <random id>: want 404, got {} {}",
                                            a.status, a.body
                                        )
                                    })
                                }
                            }
                        }
                        Action::Reveal => {
                            let a = s
                                .post(
                                    &format!("/api/v1/{entity}/{}/reveal", random_id()),
                                    json!({}),
                                )
                                .await;
                            match &decision {
                                Decision::Deny(r) => check_denied(&mut fails, &who, &a, *r),
                                Decision::Allow(_) => fails.check(
                                    matches!(
                                        a.status,
                                        StatusCode::BAD_REQUEST
                                            | StatusCode::UNPROCESSABLE_ENTITY
                                            | StatusCode::NOT_FOUND
                                    ),
                                    || {
                                        format!(
                                            "{who}: POST reveal {{}}: want 400/422/404, got {} {}",
                                            a.status, a.body
                                        )
                                    },
                                ),
                            }
                        }
                        Action::Export => {}
                    }
                }
            }
        }
        assert_eq!(probes, policy.roles.len() * ALL.len() * ACTIONS.len());
        for action in ACTIONS {
            for allowed in [true, false] {
                assert!(
                    tally
                        .get(&(action.as_str(), allowed))
                        .is_some_and(|n| *n > 0),
                    "[{engine}] the matrix has no {} {} probe",
                    if allowed { "allowed" } else { "denied" },
                    action.as_str()
                );
            }
        }
        assert!(
            updates_in_scope >= 10,
            "[{engine}] only {updates_in_scope} in-scope updates"
        );
        fails.assert_none(engine, "actions matrix");
        db.close().await;
        app.finish().await;
    }
}

// ── 2. Fields ───────────────────────────────────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_matrix_matches_policy() {
    for engine in engines() {
        let app = TestApp::seeded(engine, GENERATED).await;
        let db = RawDb::open(&app).await;
        let world = World::load(&db).await;
        let policy = policy(&app).await;
        let mut fails = Failures::default();
        let mut checked = 0_usize;
        let mut seen_access: BTreeMap<(String, Entity, &str), BTreeSet<&str>> = BTreeMap::new();
        for role in roles(&policy) {
            let s = app.login(&role).await;
            let me = world.user_id(&role);
            let region = world.users[&me].region.clone();
            for &entity in ALL {
                let Some(g) = grant(&policy, &role, entity, Action::Read) else {
                    continue;
                };
                let who = format!("role {role}");
                // The store's rows within the role's scope: clear values and relation.
                let ctx = ScopeCtx {
                    user_id: me.clone(),
                    region: region.clone(),
                    scope: g.scope(),
                    need_team: true,
                };
                let rows: BTreeMap<String, Row> = app
                    .ctx
                    .store
                    .list(entity, &list_everything(), &ctx)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| (r.id().to_string(), r))
                    .collect();
                let first = s.get(&format!("/api/v1/{entity}?limit=200")).await;
                fails.check(first.status == StatusCode::OK, || {
                    format!(
                        "{who} {entity}: GET ?limit=200: {} {}",
                        first.status, first.body
                    )
                });
                let items = s.list_all(entity.as_str(), "").await;
                let page: Vec<&Json> = first.body["items"]
                    .as_array()
                    .map(|a| a.iter().collect())
                    .unwrap_or_default();
                fails.check(
                    page.len() == items.len().min(200)
                        && page.iter().zip(&items).all(|(a, b)| *a == b),
                    || {
                        format!(
                            "{who} {entity}: the first page differs from the start of the full list"
                        )
                    },
                );
                for (n, item) in items.iter().enumerate() {
                    let id = item["id"].as_str().unwrap_or_default().to_string();
                    let Some(row) = rows.get(&id) else {
                        fails.push(format!(
                            "{who} {entity}/{id}: returned, but not in the store's scope for the role"
                        ));
                        continue;
                    };
                    let rel = world.relation(&me, entity, &id);
                    if !g.covers(rel) {
                        fails.push(format!(
                            "{who} {entity}/{id}: returned, but the role's scope {} does not cover it ({rel:?})",
                            g.scope().as_str()
                        ));
                        continue;
                    }
                    fails.check(row.relation == rel, || {
                        format!(
                            "{who} {entity}/{id}: store relation {:?} differs from the tables' {rel:?}",
                            row.relation
                        )
                    });
                    check_record(&mut fails, &who, &g, item, &row.values, rel);
                    for (idx, f) in entity.def().fields.iter().enumerate() {
                        seen_access
                            .entry((role.clone(), entity, f.name))
                            .or_default()
                            .insert(g.access(idx, rel).as_str());
                    }
                    checked += 1;
                    // The single read gives the same object as the list (a sample, plus every
                    // owned or assigned record, where field elevation could differ).
                    if n < 10 || n % 40 == 0 || rel.assigned || rel.owned {
                        let one = s.get(&format!("/api/v1/{entity}/{id}")).await;
                        fails.check(one.status == StatusCode::OK && &one.body == item, || {
                            format!(
                                "{who} {entity}/{id}: GET one differs from the list item: {} {} vs {item}",
                                one.status, one.body
                            )
                        });
                    }
                }
            }
        }
        assert!(checked > 1000, "[{engine}] only {checked} records checked");
        // The matrix really exercised each level where the policy has one.
        let levels: BTreeSet<&str> = seen_access.values().flatten().copied().collect();
        assert_eq!(
            levels,
            BTreeSet::from(["full", "hidden", "masked"]),
            "[{engine}]"
        );
        fails.assert_none(engine, "field matrix");
        db.close().await;
        app.finish().await;
    }
}

// ── 3. Scope ────────────────────────────────────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_scope_matches_database() {
    for engine in engines() {
        let app = TestApp::seeded(engine, GENERATED).await;
        let db = RawDb::open(&app).await;
        let world = World::load(&db).await;
        let policy = policy(&app).await;
        let mut fails = Failures::default();
        let mut seen: BTreeMap<(String, Entity), BTreeSet<String>> = BTreeMap::new();

        // Every role × readable entity: the listed ids are exactly those the policy's scope
        // covers, computed from owners, assignments and managers in the tables.
        for role in roles(&policy) {
            let s = app.login(&role).await;
            let me = world.user_id(&role);
            for &entity in ALL {
                let Some(g) = grant(&policy, &role, entity, Action::Read) else {
                    continue;
                };
                let got = ids_of(&s.list_all(entity.as_str(), "").await);
                let want = world.expected_ids(&me, entity, g.scope());
                fails.check(got == want, || {
                    let (extra, missing) = sorted_diff(&got, &want);
                    format!(
                        "role {role} {entity} (scope {}): listed {} ids, expected {}; extra {extra:?}, missing {missing:?}",
                        g.scope().as_str(),
                        got.len(),
                        want.len()
                    )
                });
                seen.insert((role.clone(), entity), got);
            }
        }

        // The issue's cases, spelled out from the raw tables.
        let fs = world.user_id("field_staff");
        let sales = world.user_id("sales");
        let mgr = world.user_id("sales_manager");
        let fs_accounts: BTreeSet<String> = world
            .assignees
            .iter()
            .filter(|(_, u)| *u == fs)
            .map(|(a, _)| a.clone())
            .collect();
        assert!(
            !fs_accounts.is_empty(),
            "[{engine}] field_staff has no assignment in the seed"
        );
        fails.check(
            seen[&("field_staff".to_string(), Entity::Accounts)] == fs_accounts,
            || format!("field_staff accounts != account_assignees rows for field_staff ({fs_accounts:?})"),
        );
        let fs_contacts: BTreeSet<String> = world.account_of[&Entity::Contacts]
            .iter()
            .filter(|(_, a)| a.as_ref().is_some_and(|a| fs_accounts.contains(a)))
            .map(|(c, _)| c.clone())
            .collect();
        fails.check(
            seen[&("field_staff".to_string(), Entity::Contacts)] == fs_contacts,
            || "field_staff contacts != contacts of the assigned accounts".to_string(),
        );
        let sales_accounts = world.accounts_owned_or_assigned(&sales);
        assert!(
            sales_accounts.len() >= (GENERATED / 10) as usize,
            "[{engine}] the demo sales user owns {} accounts",
            sales_accounts.len()
        );
        fails.check(
            seen[&("sales".to_string(), Entity::Accounts)] == sales_accounts,
            || "sales accounts != accounts owned by or assigned to sales".to_string(),
        );
        let team = world.team(&mgr);
        assert!(
            team.contains(&sales) && team.contains(&fs),
            "[{engine}] sales and field_staff report to sales_manager"
        );
        let mgr_accounts: BTreeSet<String> = world
            .accounts
            .iter()
            .filter(|(id, a)| {
                a.owner.as_ref().is_some_and(|o| team.contains(o))
                    || world.assignees.contains(&((*id).clone(), mgr.clone()))
            })
            .map(|(id, _)| id.clone())
            .collect();
        fails.check(
            seen[&("sales_manager".to_string(), Entity::Accounts)] == mgr_accounts,
            || {
                "sales_manager accounts != accounts owned by the team (or assigned to the manager)"
                    .to_string()
            },
        );
        let total = app.ctx.store.count(Entity::Accounts).await.unwrap() as usize;
        assert_eq!(total, world.accounts.len(), "[{engine}]");
        for role in ["executive", "finance", "logistics"] {
            let n = seen[&(role.to_string(), Entity::Accounts)].len();
            fails.check(n == total, || {
                format!("role {role} sees {n} of {total} accounts")
            });
        }
        fails.assert_none(engine, "record scope");
        db.close().await;
        app.finish().await;
    }
}

/// Small pages, following `next_cursor`, reach exactly the records a whole-list read reaches:
/// no record in scope may become unreachable because of where a page happens to end (e.g. on
/// a record whose sort field is empty).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_reaches_every_record_in_scope() {
    const PAGE: usize = 10;
    for engine in engines() {
        let app = TestApp::seeded(engine, GENERATED).await;
        let db = RawDb::open(&app).await;
        let world = World::load(&db).await;
        let policy = policy(&app).await;
        let mut fails = Failures::default();
        for role in roles(&policy) {
            let s = app.login(&role).await;
            let me = world.user_id(&role);
            for &entity in ALL {
                let Some(g) = grant(&policy, &role, entity, Action::Read) else {
                    continue;
                };
                let want = world.expected_ids(&me, entity, g.scope());
                let mut got = Vec::new();
                let mut cursor: Option<String> = None;
                let mut last_page_end = Json::Null;
                loop {
                    let mut path = format!("/api/v1/{entity}?limit={PAGE}");
                    if let Some(c) = &cursor {
                        path.push_str(&format!("&cursor={c}"));
                    }
                    let a = s.get(&path).await;
                    if a.status != StatusCode::OK {
                        fails.push(format!(
                            "role {role} {entity}: {path}: {} {}",
                            a.status, a.body
                        ));
                        break;
                    }
                    let items = a.body["items"].as_array().cloned().unwrap_or_default();
                    if let Some(last) = items.last() {
                        last_page_end = last.clone();
                    }
                    got.extend(items);
                    match a.body["next_cursor"].as_str() {
                        Some(c) if got.len() <= want.len() + PAGE => cursor = Some(c.to_string()),
                        _ => break,
                    }
                }
                let ids = ids_of(&got);
                fails.check(ids.len() == got.len(), || {
                    format!("role {role} {entity}: pages of {PAGE} repeat records")
                });
                fails.check(ids == want, || {
                    let (extra, missing) = sorted_diff(&ids, &want);
                    let sort = entity.def().default_sort;
                    format!(
                        "role {role} {entity}: pages of {PAGE} reach {} of {} records in scope \
                         (last page ended on {} with {sort} = {}); extra {extra:?}, missing {missing:?}",
                        ids.len(),
                        want.len(),
                        last_page_end["id"],
                        last_page_end.get(sort).unwrap_or(&Json::Null)
                    )
                });
            }
        }
        fails.assert_none(engine, "paging");
        db.close().await;
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_scope_records_answer_exactly_like_missing_ones() {
    for engine in engines() {
        let app = TestApp::seeded(engine, GENERATED).await;
        let db = RawDb::open(&app).await;
        let world = World::load(&db).await;
        let policy = policy(&app).await;
        let mut fails = Failures::default();
        let mut probed = 0;
        for role in roles(&policy) {
            let me = world.user_id(&role);
            let s = app.login(&role).await;
            for &entity in ALL {
                let Some(g) = grant(&policy, &role, entity, Action::Read) else {
                    continue;
                };
                let in_scope = world.expected_ids(&me, entity, g.scope());
                let Some(outside) = world.ids[&entity].difference(&in_scope).next().cloned() else {
                    continue;
                };
                probed += 1;
                let who = format!("role {role} {entity}");
                let missing = random_id();
                let pairs = [
                    (
                        "GET",
                        s.get(&format!("/api/v1/{entity}/{outside}")).await,
                        s.get(&format!("/api/v1/{entity}/{missing}")).await,
                        Action::Read,
                    ),
                    (
                        "PATCH",
                        s.patch(&format!("/api/v1/{entity}/{outside}"), json!({}))
                            .await,
                        s.patch(&format!("/api/v1/{entity}/{missing}"), json!({}))
                            .await,
                        Action::Update,
                    ),
                    (
                        "POST reveal",
                        s.post(
                            &format!("/api/v1/{entity}/{outside}/reveal"),
                            json!({ "fields": ["id"], "reason": "role matrix scope probe" }),
                        )
                        .await,
                        s.post(
                            &format!("/api/v1/{entity}/{missing}/reveal"),
                            json!({ "fields": ["id"], "reason": "role matrix scope probe" }),
                        )
                        .await,
                        Action::Reveal,
                    ),
                    (
                        "DELETE",
                        s.delete(&format!("/api/v1/{entity}/{outside}")).await,
                        s.delete(&format!("/api/v1/{entity}/{missing}")).await,
                        Action::Delete,
                    ),
                ];
                for (method, out, miss, action) in pairs {
                    fails.check(out.status == miss.status && out.body == miss.body, || {
                        format!(
                            "{who}: {method} out-of-scope {outside} answered {} {} but a missing id answers {} {}",
                            out.status, out.body, miss.status, miss.body
                        )
                    });
                    if grant(&policy, &role, entity, action).is_some() {
                        fails.check(out.status == StatusCode::NOT_FOUND, || {
                            format!(
                                "{who}: {method} out-of-scope {outside}: want 404, got {} {}",
                                out.status, out.body
                            )
                        });
                    }
                }
                fails.check(
                    app.ctx
                        .store
                        .get(entity, &outside, &all_scope())
                        .await
                        .unwrap()
                        .is_some(),
                    || format!("{who}: the out-of-scope record {outside} was deleted"),
                );
            }
        }
        // sales, sales_manager and field_staff have narrow scopes on several entities.
        assert!(probed >= 15, "[{engine}] only {probed} out-of-scope probes");
        fails.assert_none(engine, "out-of-scope answers");
        db.close().await;
        app.finish().await;
    }
}

// ── 4. The issue's requirements, one by one ─────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_staff_sees_only_assigned_accounts_and_the_issue_fields() {
    for engine in engines() {
        let app = TestApp::seeded(engine, GENERATED).await;
        let db = RawDb::open(&app).await;
        let world = World::load(&db).await;
        let s = app.login("field_staff").await;
        let fs = world.user_id("field_staff");
        let mut fails = Failures::default();
        let keys =
            |it: &Json| -> BTreeSet<String> { it.as_object().unwrap().keys().cloned().collect() };
        let set = |v: &[&str]| -> BTreeSet<String> { v.iter().map(|s| s.to_string()).collect() };

        let accounts = s.list_all("accounts", "").await;
        let assigned: BTreeSet<String> = world
            .assignees
            .iter()
            .filter(|(_, u)| *u == fs)
            .map(|(a, _)| a.clone())
            .collect();
        fails.check(ids_of(&accounts) == assigned, || {
            format!(
                "field_staff accounts {:?} != assigned {assigned:?}",
                ids_of(&accounts)
            )
        });
        let acc_rows = clear_rows(&app, Entity::Accounts).await;
        for it in &accounts {
            fails.check(keys(it) == set(&["id", "name", "address"]), || {
                format!(
                    "field_staff account keys {:?}: want id, name, address",
                    keys(it)
                )
            });
            let row = &acc_rows[it["id"].as_str().unwrap()];
            fails.check(
                it["name"].as_str() == clear_text(Entity::Accounts, row, "name").as_deref()
                    && it["address"].as_str()
                        == clear_text(Entity::Accounts, row, "address").as_deref(),
                || format!("field_staff account name/address not in full: {it}"),
            );
        }

        let contacts = s.list_all("contacts", "").await;
        assert!(
            !contacts.is_empty(),
            "[{engine}] field_staff sees no contacts"
        );
        let con_rows = clear_rows(&app, Entity::Contacts).await;
        for it in &contacts {
            fails.check(
                keys(it) == set(&["id", "account_id", "name", "mobile"]),
                || {
                    format!(
                        "field_staff contact keys {:?}: want id, account_id, name, mobile",
                        keys(it)
                    )
                },
            );
            let row = &con_rows[it["id"].as_str().unwrap()];
            let clear = clear_text(Entity::Contacts, row, "mobile").unwrap_or_default();
            let shown = it["mobile"].as_str().unwrap_or_default();
            fails.check(
                is_masked_cn_mobile(shown)
                    && shown == mask::apply(bulwark_domain::MaskRule::Phone, &clear)
                    && shown != clear,
                || format!("field_staff contact mobile {shown:?} is not the 138****5678 mask of {clear:?}"),
            );
            fails.check(
                it["name"].as_str() == clear_text(Entity::Contacts, row, "name").as_deref(),
                || format!("field_staff contact name not in full: {it}"),
            );
        }

        let orders = s.list_all("orders", "").await;
        assert!(!orders.is_empty(), "[{engine}] field_staff sees no orders");
        for it in &orders {
            fails.check(
                keys(it) == set(&["id", "order_no", "status", "delivery_date", "account_id"]),
                || format!("field_staff order keys {:?}: want id, order_no, status, delivery_date, account_id (no amounts)", keys(it)),
            );
        }

        let contract = world.ids[&Entity::Contracts].iter().next().unwrap().clone();
        let settlement = world.ids[&Entity::Settlements]
            .iter()
            .next()
            .unwrap()
            .clone();
        for (path, what) in [
            ("/api/v1/contracts".to_string(), "GET contracts"),
            (format!("/api/v1/contracts/{contract}"), "GET a contract"),
            ("/api/v1/settlements".to_string(), "GET settlements"),
            (
                format!("/api/v1/settlements/{settlement}"),
                "GET a settlement",
            ),
        ] {
            let a = s.get(&path).await;
            check_denied(
                &mut fails,
                &format!("field_staff {what}"),
                &a,
                DenyReason::EntityNotGranted,
            );
        }

        // No writes on accounts or contacts, with otherwise valid requests.
        let acc = assigned.iter().next().unwrap().clone();
        let contact = contacts[0]["id"].as_str().unwrap().to_string();
        let probes = [
            (
                "POST accounts",
                s.post(
                    "/api/v1/accounts",
                    json!({ "name": "外勤新建客户有限公司" }),
                )
                .await,
            ),
            (
                "PATCH account",
                s.patch(
                    &format!("/api/v1/accounts/{acc}"),
                    json!({ "name": "外勤改名" }),
                )
                .await,
            ),
            (
                "DELETE account",
                s.delete(&format!("/api/v1/accounts/{acc}")).await,
            ),
            (
                "POST contacts",
                s.post(
                    "/api/v1/contacts",
                    json!({ "account_id": acc, "name": "王伟" }),
                )
                .await,
            ),
            (
                "PATCH contact",
                s.patch(
                    &format!("/api/v1/contacts/{contact}"),
                    json!({ "title": "经理" }),
                )
                .await,
            ),
            (
                "DELETE contact",
                s.delete(&format!("/api/v1/contacts/{contact}")).await,
            ),
        ];
        for (what, a) in &probes {
            check_denied(
                &mut fails,
                &format!("field_staff {what}"),
                a,
                DenyReason::ActionNotGranted,
            );
        }
        let after = World::load(&db).await;
        fails.check(
            after.ids[&Entity::Accounts] == world.ids[&Entity::Accounts]
                && after.ids[&Entity::Contacts] == world.ids[&Entity::Contacts],
            || "field_staff changed the set of accounts or contacts".to_string(),
        );
        let acc_after = clear_rows(&app, Entity::Accounts).await;
        fails.check(
            clear_text(Entity::Accounts, &acc_after[&acc], "name")
                == clear_text(Entity::Accounts, &acc_rows[&acc], "name"),
            || "field_staff renamed an account".to_string(),
        );
        fails.assert_none(engine, "field_staff");
        db.close().await;
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finance_sees_bank_accounts_masked_to_last_four_and_amounts_in_clear() {
    for engine in engines() {
        let app = TestApp::seeded(engine, GENERATED).await;
        let s = app.login("finance").await;
        let mut fails = Failures::default();
        let rows = clear_rows(&app, Entity::Settlements).await;
        let items = s.list_all("settlements", "").await;
        assert_eq!(
            items.len(),
            rows.len(),
            "[{engine}] finance sees every settlement"
        );
        assert!(!items.is_empty(), "[{engine}] no settlements in the seed");
        for it in &items {
            let id = it["id"].as_str().unwrap();
            let row = &rows[id];
            match clear_text(Entity::Settlements, row, "bank_account") {
                Some(clear) => {
                    let digits: String = clear.chars().filter(char::is_ascii_digit).collect();
                    let shown = it["bank_account"].as_str().unwrap_or_default();
                    fails.check(
                        is_masked_bank_account(shown)
                            && digits.ends_with(&shown[shown.len().saturating_sub(4)..])
                            && shown != clear,
                        || format!("settlement {id}: bank_account {shown:?} is not `**** <last 4 of {clear:?}>`"),
                    );
                }
                None => fails.check(it["bank_account"].is_null(), || {
                    format!("settlement {id}: bank_account should be null: {it}")
                }),
            }
            let amount = clear_text(Entity::Settlements, row, "amount");
            fails.check(
                amount.is_some() && it["amount"].as_str() == amount.as_deref(),
                || {
                    format!(
                        "settlement {id}: amount {} is not the clear {amount:?}",
                        it["amount"]
                    )
                },
            );
        }
        // Order amounts in clear too.
        let orders = clear_rows(&app, Entity::Orders).await;
        for it in s.list_all("orders", "").await.iter().take(300) {
            let row = &orders[it["id"].as_str().unwrap()];
            let want = clear_text(Entity::Orders, row, "total_amount");
            fails.check(it["total_amount"].as_str() == want.as_deref(), || {
                format!(
                    "order {}: total_amount {} is not the clear {want:?}",
                    it["id"], it["total_amount"]
                )
            });
        }
        let contact = clear_rows(&app, Entity::Contacts)
            .await
            .into_keys()
            .next()
            .unwrap();
        for (what, a) in [
            ("GET contacts", s.get("/api/v1/contacts").await),
            (
                "GET a contact",
                s.get(&format!("/api/v1/contacts/{contact}")).await,
            ),
            ("POST contacts", s.post("/api/v1/contacts", json!({})).await),
        ] {
            check_denied(
                &mut fails,
                &format!("finance {what}"),
                &a,
                DenyReason::EntityNotGranted,
            );
        }
        fails.assert_none(engine, "finance");
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sales_sees_contact_mobile_in_full_only_on_owned_accounts() {
    for engine in engines() {
        let app = TestApp::seeded(engine, GENERATED).await;
        let db = RawDb::open(&app).await;
        let before = World::load(&db).await;
        let sales = before.user_id("sales");
        let contacts = clear_rows(&app, Entity::Contacts).await;
        // A contact with a mobile on an account someone else owns: assign sales to it.
        let (shared_contact, shared_account) = contacts
            .values()
            .find_map(|r| {
                let acc = clear_text(Entity::Contacts, r, "account_id")?;
                clear_text(Entity::Contacts, r, "mobile")?;
                let owner = before.accounts.get(&acc)?.owner.clone()?;
                (owner != sales && !before.assignees.contains(&(acc.clone(), sales.clone())))
                    .then(|| (r.id().to_string(), acc))
            })
            .expect("a contact with a mobile on an account owned by another sales user");
        db.assign(&shared_account, &sales).await;
        let world = World::load(&db).await;
        let owned = world.accounts_owned_or_assigned(&sales);
        assert!(
            owned.contains(&shared_account),
            "[{engine}] assignment inserted"
        );

        let s = app.login("sales").await;
        let mut fails = Failures::default();
        let items = s.list_all("contacts", "").await;
        let mut owned_seen = 0;
        let mut shared_seen = 0;
        for it in &items {
            let id = it["id"].as_str().unwrap();
            let row = &contacts[id];
            let acc = clear_text(Entity::Contacts, row, "account_id").unwrap_or_default();
            let owner = world.accounts.get(&acc).and_then(|a| a.owner.clone());
            let mobile = clear_text(Entity::Contacts, row, "mobile");
            fails.check(it.get("id_number").is_none(), || {
                format!("sales contact {id}: id_number must be hidden: {it}")
            });
            if owner.as_deref() == Some(sales.as_str()) {
                owned_seen += 1;
                for f in ["mobile", "phone", "email"] {
                    let want = clear_text(Entity::Contacts, row, f);
                    fails.check(it[f].as_str() == want.as_deref(), || {
                        format!("sales contact {id} on an OWNED account: {f} {} should be the clear {want:?}", it[f])
                    });
                }
            } else {
                shared_seen += 1;
                fails.check(
                    world.assignees.contains(&(acc.clone(), sales.clone())),
                    || {
                        format!(
                            "sales sees contact {id} on account {acc}, neither owned nor assigned"
                        )
                    },
                );
                for f in ["mobile", "phone", "email"] {
                    let clear = clear_text(Entity::Contacts, row, f);
                    let want = clear
                        .as_ref()
                        .map(|c| mask::apply(Entity::Contacts.def().field(f).unwrap().mask, c));
                    fails.check(
                        it[f].as_str() == want.as_deref()
                            && (clear.is_none() || it[f].as_str() != clear.as_deref()),
                        || {
                            format!(
                                "sales contact {id} on an ASSIGNED account: {f} {} should be masked {want:?} (clear {clear:?})",
                                it[f]
                            )
                        },
                    );
                }
                if id == shared_contact {
                    let shown = it["mobile"].as_str().unwrap_or_default();
                    fails.check(is_masked_cn_mobile(shown) || shown.starts_with("+86 "), || {
                        format!("sales: assigned contact mobile {shown:?} (clear {mobile:?}) is not 138****5678 style")
                    });
                }
            }
        }
        fails.check(owned_seen >= (GENERATED / 10) as usize, || {
            format!("sales saw only {owned_seen} contacts on owned accounts")
        });
        fails.check(shared_seen >= 1, || {
            format!("sales does not see contact {shared_contact} of the assigned account {shared_account}")
        });
        let one = s.get(&format!("/api/v1/contacts/{shared_contact}")).await;
        let clear = clear_text(Entity::Contacts, &contacts[&shared_contact], "mobile").unwrap();
        fails.check(
            one.status == StatusCode::OK
                && one.body["mobile"].as_str()
                    == Some(mask::apply(bulwark_domain::MaskRule::Phone, &clear).as_str()),
            || format!("sales GET contact {shared_contact} (assigned account): want masked mobile, got {} {}", one.status, one.body),
        );

        // The accounts themselves: phone in full and credit limit visible only when owned.
        let accounts = clear_rows(&app, Entity::Accounts).await;
        let own_acc = world
            .accounts
            .iter()
            .find(|(_, a)| a.owner.as_deref() == Some(sales.as_str()))
            .map(|(id, _)| id.clone())
            .unwrap();
        let a = s.get(&format!("/api/v1/accounts/{own_acc}")).await;
        let row = &accounts[&own_acc];
        fails.check(
            a.status == StatusCode::OK
                && a.body["phone"].as_str() == clear_text(Entity::Accounts, row, "phone").as_deref()
                && a.body["credit_limit"].as_str()
                    == clear_text(Entity::Accounts, row, "credit_limit").as_deref(),
            || format!("sales GET owned account {own_acc}: want phone and credit_limit in full, got {} {}", a.status, a.body),
        );
        let a = s.get(&format!("/api/v1/accounts/{shared_account}")).await;
        let row = &accounts[&shared_account];
        let phone = clear_text(Entity::Accounts, row, "phone");
        fails.check(
            a.status == StatusCode::OK
                && a.body["phone"].as_str()
                    == phone
                        .as_ref()
                        .map(|p| mask::apply(bulwark_domain::MaskRule::Phone, p))
                        .as_deref()
                && a.body.get("credit_limit").is_none(),
            || format!("sales GET assigned account {shared_account}: want phone masked and credit_limit hidden, got {} {}", a.status, a.body),
        );
        fails.assert_none(engine, "sales");
        db.close().await;
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logistics_sees_consignee_phone_masked_and_no_order_amounts() {
    for engine in engines() {
        let app = TestApp::seeded(engine, GENERATED).await;
        let s = app.login("logistics").await;
        let mut fails = Failures::default();
        let rows = clear_rows(&app, Entity::Shipments).await;
        let items = s.list_all("shipments", "").await;
        assert_eq!(
            items.len(),
            rows.len(),
            "[{engine}] logistics sees every shipment"
        );
        let mut cn_mobiles = 0;
        for it in &items {
            let id = it["id"].as_str().unwrap();
            let clear = clear_text(Entity::Shipments, &rows[id], "consignee_phone");
            let shown = it.get("consignee_phone");
            match &clear {
                Some(c) => {
                    let want = mask::apply(bulwark_domain::MaskRule::Phone, c);
                    fails.check(
                        shown.and_then(Json::as_str) == Some(want.as_str()) && want != *c,
                        || {
                            format!(
                                "shipment {id}: consignee_phone {shown:?} should be masked {want:?}"
                            )
                        },
                    );
                    if is_masked_cn_mobile(&want) {
                        cn_mobiles += 1;
                    }
                }
                None => fails.check(shown == Some(&Json::Null), || {
                    format!("shipment {id}: consignee_phone should be null, got {shown:?}")
                }),
            }
            fails.check(it.get("freight").is_none(), || {
                format!("shipment {id}: freight must be hidden from logistics: {it}")
            });
            for f in ["carrier", "tracking_no", "status", "address"] {
                let want = clear_text(Entity::Shipments, &rows[id], f);
                fails.check(it[f].as_str() == want.as_deref(), || {
                    format!("shipment {id}: {f} {} should be in full ({want:?})", it[f])
                });
            }
        }
        fails.check(cn_mobiles >= GENERATED as usize, || {
            format!("only {cn_mobiles} consignee phones shown as 138****5678")
        });
        let allowed: BTreeSet<&str> = [
            "id",
            "order_no",
            "account_id",
            "status",
            "order_date",
            "delivery_date",
        ]
        .into();
        let orders = s.list_all("orders", "").await;
        assert_eq!(
            orders.len(),
            app.ctx.store.count(Entity::Orders).await.unwrap() as usize,
            "[{engine}] logistics sees every order"
        );
        for it in &orders {
            let keys: BTreeSet<&str> = it.as_object().unwrap().keys().map(String::as_str).collect();
            fails.check(keys == allowed, || {
                format!(
                    "logistics order {}: keys {keys:?}, want {allowed:?} (no total_amount)",
                    it["id"]
                )
            });
        }
        fails.assert_none(engine, "logistics");
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_are_denied_every_business_entity() {
    for engine in engines() {
        let app = TestApp::seeded(engine, GENERATED).await;
        let db = RawDb::open(&app).await;
        let world = World::load(&db).await;
        let mut fails = Failures::default();
        for role in ADMINS {
            let s = app.login(role).await;
            for &entity in ALL.iter().filter(|e| **e != Entity::Users) {
                let id = world.ids[&entity].iter().next().unwrap().clone();
                let who = format!("role {role} {entity}");
                let probes = [
                    ("GET list", s.get(&format!("/api/v1/{entity}")).await),
                    ("GET one", s.get(&format!("/api/v1/{entity}/{id}")).await),
                    (
                        "POST",
                        s.post(&format!("/api/v1/{entity}"), json!({})).await,
                    ),
                    (
                        "PATCH",
                        s.patch(&format!("/api/v1/{entity}/{id}"), json!({})).await,
                    ),
                    ("DELETE", s.delete(&format!("/api/v1/{entity}/{id}")).await),
                    (
                        "POST reveal",
                        s.post(
                            &format!("/api/v1/{entity}/{id}/reveal"),
                            json!({ "fields": ["id"], "reason": "administrator probe" }),
                        )
                        .await,
                    ),
                ];
                for (what, a) in &probes {
                    check_denied(
                        &mut fails,
                        &format!("{who}: {what}"),
                        a,
                        DenyReason::EntityNotGranted,
                    );
                }
            }
        }
        let after = World::load(&db).await;
        fails.check(after.ids == world.ids, || {
            "an administrator changed business records".to_string()
        });
        fails.assert_none(engine, "administrators");
        db.close().await;
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executive_sees_sensitive_fields_masked_and_changes_nothing() {
    for engine in engines() {
        let app = TestApp::seeded(engine, GENERATED).await;
        let db = RawDb::open(&app).await;
        let world = World::load(&db).await;
        let s = app.login("executive").await;
        let mut fails = Failures::default();
        let mut sensitive_seen = 0;
        for &entity in ALL {
            let rows = clear_rows(&app, entity).await;
            let items = s.list_all(entity.as_str(), "").await;
            fails.check(items.len() == rows.len(), || {
                format!(
                    "executive {entity}: sees {} of {} records",
                    items.len(),
                    rows.len()
                )
            });
            for it in &items {
                let id = it["id"].as_str().unwrap();
                let Some(row) = rows.get(id) else {
                    fails.push(format!("executive {entity}/{id}: unknown record"));
                    continue;
                };
                for (idx, f) in entity.def().fields.iter().enumerate() {
                    if f.class == Classification::General {
                        continue;
                    }
                    let Some(shown) = it.get(f.name) else {
                        continue; // hidden is fine
                    };
                    let v = &row.values[idx];
                    let clear = value::display(f, v);
                    let want = clear
                        .as_ref()
                        .map_or(Json::Null, |c| Json::String(mask::apply(f.mask, c)));
                    fails.check(shown == &want, || {
                        format!(
                            "executive {entity}/{id}.{} ({}): shown {shown}, want masked {want}",
                            f.name,
                            f.class.as_str()
                        )
                    });
                    if let Some(c) = clear.filter(|c| !c.trim().is_empty()) {
                        sensitive_seen += 1;
                        fails.check(
                            *shown != value::to_json(f, v) && shown.as_str() != Some(&c),
                            || {
                                format!(
                                    "executive {entity}/{id}.{} ({}): shown in clear {shown}",
                                    f.name,
                                    f.class.as_str()
                                )
                            },
                        );
                    }
                }
            }
            // No changes of any kind.
            let id = world.ids[&entity].iter().next().unwrap().clone();
            let probes = [
                (
                    "POST",
                    s.post(&format!("/api/v1/{entity}"), json!({})).await,
                ),
                (
                    "PATCH",
                    s.patch(&format!("/api/v1/{entity}/{id}"), json!({})).await,
                ),
                ("DELETE", s.delete(&format!("/api/v1/{entity}/{id}")).await),
            ];
            for (what, a) in &probes {
                check_denied(
                    &mut fails,
                    &format!("executive {entity}: {what}"),
                    a,
                    DenyReason::ActionNotGranted,
                );
            }
        }
        assert!(
            sensitive_seen > 100,
            "[{engine}] only {sensitive_seen} sensitive values checked"
        );
        let after = World::load(&db).await;
        fails.check(after.ids == world.ids, || {
            "executive changed records".to_string()
        });
        fails.assert_none(engine, "executive");
        db.close().await;
        app.finish().await;
    }
}
