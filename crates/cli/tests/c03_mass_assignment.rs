//! C03 — mass assignment / over-posting (CWE-915).
//!
//! Every field a caller may not set through a JSON body — server-managed fields (`id`,
//! timestamps, derived `account_id`/`amount`), create-only fields on update, unknown keys
//! (`tenant_id`, `permissions`, `role`, …), references to records outside the caller's scope
//! (`owner_id`, `account_id`), user roles and status, and every field the caller's role does
//! not see in full on that record (taken from the policy, so a new field or role is covered) —
//! is rejected with 422 or 403 naming the field, changes nothing in the database, and leaves
//! exactly one audit event recording the rejected attempt.

#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use bulwark_domain::catalogue::{FieldKind, Write};
use bulwark_domain::{Entity, validate};
use bulwark_policy::{Access, Action, Decision, FieldRule, PolicyDoc, decide};
use common::cases::*;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};

/// One over-posting attempt and what must come of it.
struct Attempt {
    who: String,
    method: Method,
    path: String,
    body: Json,
    /// Acceptable statuses.
    statuses: &'static [StatusCode],
    /// Fields the problem body must name (the rejected ones).
    fields: Vec<String>,
    /// The `code` of a 403 that refuses the whole action (no fields to name), if that is the
    /// expected refusal.
    code: Option<&'static str>,
}

const REJECT: &[StatusCode] = &[StatusCode::UNPROCESSABLE_ENTITY, StatusCode::FORBIDDEN];
const DENY: &[StatusCode] = &[StatusCode::FORBIDDEN];
const INVALID: &[StatusCode] = &[StatusCode::UNPROCESSABLE_ENTITY];

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn attempt(
    who: &str,
    method: Method,
    path: impl Into<String>,
    body: Json,
    statuses: &'static [StatusCode],
    fields: &[&str],
) -> Attempt {
    Attempt {
        who: who.to_string(),
        method,
        path: path.into(),
        body,
        statuses,
        fields: names(fields),
        code: None,
    }
}

/// Sends the attempt and checks the answer, the database and the audit trail.
async fn check(app: &TestApp, auditor: &Session, at: &Attempt) {
    let engine = app.engine;
    let s = app.login(&at.who).await;
    let actor = app.user_id(&at.who).await;
    let what = format!("{engine}: {} {} {} {}", at.who, at.method, at.path, at.body);
    let head = audit_head(auditor).await;
    let entity = Entity::parse(at.path.split('/').nth(3).unwrap()).unwrap();
    let before = snapshot_of(app, &[entity]).await;
    let a = s
        .send(at.method.clone(), &at.path, Some(at.body.clone()))
        .await;
    assert!(
        at.statuses.contains(&a.status),
        "{what}: answered {} {}",
        a.status,
        a.body
    );
    let named = named_fields(&a.body);
    for f in &at.fields {
        assert!(
            named.contains(f),
            "{what}: the answer does not name {f}: {}",
            a.body
        );
    }
    if let Some(code) = at.code {
        assert_eq!(a.body["code"], code, "{what}: {}", a.body);
    }
    // Problem answers never echo the submitted values.
    let text = a.body.to_string();
    for v in at.body.as_object().unwrap().values() {
        if let Some(v) = v.as_str().filter(|v| v.len() >= 6) {
            assert!(!text.contains(v), "{what}: the answer echoes {v:?}");
        }
    }
    let after = snapshot_of(app, &[entity]).await;
    assert_unchanged(&before, &after, &what);
    let events = audit_since(auditor, &actor, head).await;
    assert_eq!(
        events.len(),
        1,
        "{what}: expected one audit event for the attempt: {events:#?}"
    );
    let ev = &events[0];
    let want = if a.status == StatusCode::FORBIDDEN {
        "denied"
    } else {
        "invalid"
    };
    assert_eq!(ev["outcome"], want, "{what}: {ev}");
    assert_eq!(ev["status"], a.status.as_u16(), "{what}: {ev}");
    let ev_fields: Vec<String> = ev["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    for f in &at.fields {
        assert!(ev_fields.contains(f), "{what}: audit event lacks {f}: {ev}");
    }
}

/// A first-item id of a list as seen by `s`.
async fn first_id(s: &Session, entity: &str, query: &str) -> String {
    let a = s.get(&format!("/api/v1/{entity}?limit=1{query}")).await;
    assert_eq!(a.status, StatusCode::OK, "{entity}: {}", a.body);
    a.body["items"][0]["id"].as_str().unwrap().to_string()
}

/// A valid value for a field (so only the permission can refuse it).
fn valid_value(kind: FieldKind) -> Option<Json> {
    Some(match kind {
        FieldKind::Text | FieldKind::LongText => json!("over-posted"),
        FieldKind::PersonName => json!("Lin"),
        FieldKind::Int => json!(7),
        FieldKind::Money => json!("999999.00"),
        FieldKind::Fraction => json!("0.5"),
        FieldKind::Bool => json!(true),
        FieldKind::Date => json!("2027-01-01"),
        FieldKind::Enum(v) => json!(v[v.len() - 1]),
        FieldKind::Mobile => json!("13912345678"),
        FieldKind::Phone => json!("010-87654321"),
        FieldKind::Email => json!("over.posted@example.com"),
        FieldKind::ResidentId => json!("11010519491231002X"),
        FieldKind::BankAccount => json!("6222020200112233445"),
        FieldKind::CreditCode => {
            let first = "91110108MA01234567";
            let first17: String = first.chars().take(17).collect();
            let c = validate::credit_code_check_char(&first17).unwrap();
            json!(format!("{first17}{c}"))
        }
        _ => return None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c03_over_posting_is_rejected_named_unchanged_and_audited() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 40).await;
        let auditor = app.login("auditor").await;
        let sales = app.login("sales").await;
        let s_id = app.user_id("sales").await;
        let n_id = app.user_id("nancy.davolio").await;
        let sm_id = app.user_id("sales_manager").await;
        let sys_id = app.user_id("sysadmin").await;
        let own_acc = owned_accounts(&app, &s_id).await[0].clone();
        let nancy_accs = owned_accounts(&app, &n_id).await;
        let own_contact = first_id(&sales, "contacts", &format!("&account_id={own_acc}")).await;
        let own_order = first_id(&sales, "orders", &format!("&account_id={own_acc}")).await;
        let own_line = first_id(&sales, "order_lines", &format!("&account_id={own_acc}")).await;
        let acc = format!("/api/v1/accounts/{own_acc}");

        // `PATCH /api/v1/me` does not exist: there is no "edit yourself" shortcut.
        let me = sales
            .patch(
                "/api/v1/me",
                json!({ "display_name": "Lin", "role": "admin" }),
            )
            .await;
        assert_eq!(me.status, StatusCode::METHOD_NOT_ALLOWED, "{engine}");

        let mut attempts = vec![
            // Users: `sales` may not change users at all, itself included.
            Attempt {
                code: Some("action_not_granted"),
                ..attempt(
                    "sales",
                    Method::PATCH,
                    format!("/api/v1/users/{s_id}"),
                    json!({ "display_name": "Lin", "roles": ["sysadmin"], "permissions": ["*"],
                            "tenant_id": 2, "mfa_required": false }),
                    DENY,
                    &[],
                )
            },
            Attempt {
                code: Some("action_not_granted"),
                ..attempt(
                    "sales",
                    Method::PATCH,
                    format!("/api/v1/users/{s_id}"),
                    json!({ "roles": ["sales_manager"] }),
                    DENY,
                    &[],
                )
            },
            Attempt {
                code: Some("action_not_granted"),
                ..attempt(
                    "sales",
                    Method::PATCH,
                    format!("/api/v1/users/{s_id}"),
                    json!({ "status": "active", "manager_id": sys_id }),
                    DENY,
                    &[],
                )
            },
            // Owner: to a user outside the caller's team (another salesperson, the manager).
            attempt(
                "sales",
                Method::PATCH,
                &acc,
                json!({ "owner_id": n_id }),
                REJECT,
                &["owner_id"],
            ),
            attempt(
                "sales",
                Method::PATCH,
                &acc,
                json!({ "owner_id": sm_id }),
                REJECT,
                &["owner_id"],
            ),
            attempt(
                "sales",
                Method::PATCH,
                &acc,
                json!({ "owner_id": n_id, "credit_limit": "999999" }),
                REJECT,
                &["owner_id"],
            ),
            attempt(
                "sales",
                Method::POST,
                "/api/v1/accounts",
                json!({ "name": "Acme Test", "owner_id": n_id }),
                REJECT,
                &["owner_id"],
            ),
            attempt(
                "sales",
                Method::PATCH,
                format!("/api/v1/orders/{own_order}"),
                json!({ "owner_id": n_id }),
                REJECT,
                &["owner_id"],
            ),
            // Account: to an account outside the caller's scope.
            attempt(
                "sales",
                Method::PATCH,
                format!("/api/v1/contacts/{own_contact}"),
                json!({ "account_id": nancy_accs[0] }),
                REJECT,
                &["account_id"],
            ),
            attempt(
                "sales",
                Method::PATCH,
                format!("/api/v1/orders/{own_order}"),
                json!({ "account_id": nancy_accs[0] }),
                REJECT,
                &["account_id"],
            ),
            attempt(
                "sales",
                Method::POST,
                "/api/v1/contacts",
                json!({ "name": "Lin", "account_id": nancy_accs[0] }),
                REJECT,
                &["account_id"],
            ),
            // Server-managed fields, on create and on update.
            attempt(
                "sales",
                Method::POST,
                "/api/v1/accounts",
                json!({ "name": "Acme Test", "id": missing_id(), "created_by": sys_id,
                        "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z" }),
                INVALID,
                &["id", "created_by", "created_at", "updated_at"],
            ),
            attempt(
                "sales",
                Method::PATCH,
                &acc,
                json!({ "id": missing_id() }),
                INVALID,
                &["id"],
            ),
            attempt(
                "sales",
                Method::PATCH,
                &acc,
                json!({ "name": "Renamed", "created_at": "2020-01-01T00:00:00Z",
                        "updated_at": "2020-01-01T00:00:00Z" }),
                INVALID,
                &["created_at", "updated_at"],
            ),
            attempt(
                "sales",
                Method::PATCH,
                format!("/api/v1/order_lines/{own_line}"),
                json!({ "amount": "0.01", "account_id": nancy_accs[0] }),
                INVALID,
                &["amount", "account_id"],
            ),
            // Create-only fields on update.
            attempt(
                "sales",
                Method::PATCH,
                &acc,
                json!({ "external_id": "HIJACK" }),
                INVALID,
                &["external_id"],
            ),
            attempt(
                "sales",
                Method::PATCH,
                format!("/api/v1/order_lines/{own_line}"),
                json!({ "order_id": own_order }),
                INVALID,
                &["order_id"],
            ),
            // Unknown keys are refused, not dropped.
            attempt(
                "sales",
                Method::PATCH,
                &acc,
                json!({ "name": "Renamed", "tenant_id": 2, "permissions": ["*"], "mfa_required": false,
                        "collaborator_ids": [n_id], "role": "admin", "created_by": sys_id }),
                INVALID,
                &[
                    "tenant_id",
                    "permissions",
                    "mfa_required",
                    "collaborator_ids",
                    "role",
                    "created_by",
                ],
            ),
            attempt(
                "sales",
                Method::POST,
                "/api/v1/contacts",
                json!({ "name": "Lin", "account_id": own_acc, "tenant_id": 2 }),
                INVALID,
                &["tenant_id"],
            ),
            // Fields of a record the role sees only hidden/masked, written at create time.
            attempt(
                "logistics",
                Method::POST,
                "/api/v1/shipments",
                json!({ "order_id": own_order, "status": "pending", "freight": "1.00" }),
                DENY,
                &["freight"],
            ),
            attempt(
                "logistics",
                Method::POST,
                "/api/v1/shipments",
                json!({ "order_id": own_order, "status": "pending", "consignee_phone": "010-87654321" }),
                DENY,
                &["consignee_phone"],
            ),
            attempt(
                "finance",
                Method::POST,
                "/api/v1/settlements",
                json!({ "invoice_no": "C03-1", "account_id": own_acc, "amount": "1.00",
                        "status": "pending", "bank_account": "6222020200112233445" }),
                DENY,
                &["bank_account"],
            ),
            // A user manager may not change their own roles (self-elevation into the separated
            // security and audit duties).
            attempt(
                "sysadmin",
                Method::PATCH,
                format!("/api/v1/users/{sys_id}"),
                json!({ "roles": ["sysadmin", "auditor"] }),
                REJECT,
                &["roles"],
            ),
            attempt(
                "sysadmin",
                Method::PATCH,
                format!("/api/v1/users/{sys_id}"),
                json!({ "roles": ["secadmin"] }),
                REJECT,
                &["roles"],
            ),
            attempt(
                "sysadmin",
                Method::PATCH,
                format!("/api/v1/users/{sys_id}"),
                json!({ "status": "active", "manager_id": null }),
                REJECT,
                &[],
            ),
        ];

        // credit_limit (hidden) and phone (masked) on an account `sales` is only assigned to:
        // the role may change the record but may not see those fields in full there.
        let shared = nancy_accs[1].clone();
        app.ctx
            .store
            .assign(
                &shared,
                &s_id,
                bulwark_cli::context::cli_event("assign", Some("accounts"), vec![shared.clone()]),
            )
            .await
            .unwrap();
        let seen = sales.get(&format!("/api/v1/accounts/{shared}")).await;
        assert_eq!(seen.status, StatusCode::OK, "{engine}: {}", seen.body);
        assert!(
            seen.body.get("credit_limit").is_none(),
            "{engine}: {}",
            seen.body
        );
        for (f, v) in [
            ("credit_limit", json!("999999.00")),
            ("phone", json!("010-87654321")),
        ] {
            attempts.push(attempt(
                "sales",
                Method::PATCH,
                format!("/api/v1/accounts/{shared}"),
                json!({ f: v }),
                DENY,
                &[f],
            ));
        }

        // Table-driven from the policy: every role that may update an entity, every field it
        // sees hidden or masked on all records (no ownership elevation), written on a record
        // it may change.
        let policy = PolicyDoc::builtin().unwrap();
        let mut covered = Vec::new();
        for (role, def) in &policy.roles {
            for entity in def.entities.keys() {
                let Decision::Allow(grant) =
                    decide(&policy, std::slice::from_ref(role), *entity, Action::Update)
                else {
                    continue;
                };
                let who = role.as_str();
                let s = app.login(who).await;
                let list = s.get(&format!("/api/v1/{entity}?limit=1")).await;
                let Some(id) = list.body["items"][0]["id"].as_str() else {
                    continue;
                };
                for (idx, f) in entity.def().fields.iter().enumerate() {
                    if f.write != Write::Client {
                        continue;
                    }
                    let rules: Vec<FieldRule> = grant.parts.iter().map(|p| p.fields[idx]).collect();
                    if rules
                        .iter()
                        .any(|r| matches!(r, FieldRule::Elevated { .. }))
                        || grant.uniform_access(idx) == Access::Full
                    {
                        continue;
                    }
                    let Some(v) = valid_value(f.kind) else {
                        continue;
                    };
                    covered.push(format!("{role}:{entity}.{}", f.name));
                    attempts.push(attempt(
                        who,
                        Method::PATCH,
                        format!("/api/v1/{entity}/{id}"),
                        json!({ f.name: v }),
                        DENY,
                        &[f.name],
                    ));
                }
            }
        }
        for must in [
            "finance:settlements.bank_account",
            "logistics:shipments.consignee_phone",
            "logistics:shipments.freight",
            "sales:contacts.id_number",
            "sales_manager:contacts.id_number",
            "sysadmin:users.email",
        ] {
            assert!(
                covered.iter().any(|c| c == must),
                "{must} not covered: {covered:?}"
            );
        }

        let before = snapshot(&app).await;
        for at in &attempts {
            check(&app, &auditor, at).await;
        }
        // Every attempt was refused: the whole database is as it was.
        assert_unchanged(
            &before,
            &snapshot(&app).await,
            &format!("{engine}: after all attempts"),
        );
        // The entities the attempts touched really are writable by those roles (the
        // refusals above are about the fields, not about the records).
        let ok = sales.patch(&acc, json!({ "name": "C03 renamed" })).await;
        assert_eq!(ok.status, StatusCode::OK, "{engine}: {}", ok.body);
        let ok = sales
            .patch(
                &format!("/api/v1/accounts/{shared}"),
                json!({ "industry": "物流" }),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{engine}: {}", ok.body);
        app.finish().await;
    }
}
