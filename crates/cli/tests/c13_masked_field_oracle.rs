//! C13 — masked / hidden fields must not leak through sort, filter, search, grouping, field
//! selection, cursors or write responses (inference oracles).
//!
//! Table-driven from the policy: for every role, every entity it may read and every field it
//! does not see in full on every record (masked, hidden, or shown in full only on its own
//! records), the field is refused as a filter, a sort key (both directions), `fields=`,
//! `group_by=` and `filter[...]`; `q=` runs only over general fields, so two searches that
//! differ only in a guessed part of the masked value answer identically; list cursors carry
//! only a value the caller can already see and are sealed (tampering → 400); and write
//! responses are masked exactly like reads.

#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use base64::Engine as _;
use bulwark_domain::catalogue::FieldKind;
use bulwark_domain::{Entity, value};
use bulwark_policy::{Access, Action, Decision, Grant, PolicyDoc, decide};
use common::cases::*;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value as Json, json};
use std::collections::BTreeSet;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

/// Kinds whose values are personal or secret numbers: their digits must never show up in a
/// cursor or an audit record.
fn secret_kind(kind: FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::Phone
            | FieldKind::Mobile
            | FieldKind::BankAccount
            | FieldKind::ResidentId
            | FieldKind::Email
            | FieldKind::CreditCode
    )
}

/// Runs of 6 digits taken from `s` (what a partial leak would show).
fn digit_windows(s: &str) -> Vec<String> {
    let d: Vec<char> = s.chars().filter(char::is_ascii_digit).collect();
    d.windows(6).map(|w| w.iter().collect()).collect()
}

/// A different guess of the same length: every digit and letter changed.
fn other_guess(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from(b'0' + (c as u8 - b'0' + 5) % 10),
            'a'..='z' => char::from(b'a' + (c as u8 - b'a' + 13) % 26),
            'A'..='Z' => char::from(b'A' + (c as u8 - b'A' + 13) % 26),
            _ => c,
        })
        .collect()
}

/// The parts of a stored row the role does not see in clear on that row, as clear text.
fn unseen(entity: Entity, item: &Json, stored: &[bulwark_domain::Value]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (idx, f) in entity.def().fields.iter().enumerate() {
        let Some(clear) = value::display(f, &stored[idx]) else {
            continue;
        };
        let shown = value::to_json(f, &stored[idx]);
        if item.get(f.name) != Some(&shown) {
            out.push((f.name.to_string(), clear));
        }
    }
    out
}

struct Ctx<'a> {
    app: &'a TestApp,
    engine: &'static str,
    role: &'a str,
    entity: Entity,
    grant: Grant,
    s: Session,
}

impl Ctx<'_> {
    fn what(&self) -> String {
        format!("{}: {} on {}", self.engine, self.role, self.entity)
    }

    async fn refused(&self, query: &str, param: &str) {
        let path = format!("/api/v1/{}?{query}", self.entity);
        let a = self.s.get(&path).await;
        assert_eq!(
            a.status,
            StatusCode::BAD_REQUEST,
            "{}: GET {path}: {}",
            self.what(),
            a.body
        );
        assert_eq!(
            a.body["parameter"].as_str(),
            Some(param),
            "{}: GET {path}: {}",
            self.what(),
            a.body
        );
    }

    fn full_everywhere(&self, name: &str) -> bool {
        self.grant
            .field_index(name)
            .is_some_and(|(i, _)| self.grant.uniform_access(i) == Access::Full)
    }
}

/// Checks the cursor of every sortable field the role may sort by: it names only a field the
/// caller sees in full, its value is the one the caller sees, no digits of an unseen secret
/// of the page appear in it, and any edit is refused.
async fn check_cursors(c: &Ctx<'_>) {
    let def = c.entity.def();
    let mut checked = 0;
    for f in def.fields.iter().filter(|f| f.sortable) {
        if !c.full_everywhere(f.name) {
            continue;
        }
        for dir in ["", "-"] {
            let page =
                c.s.get(&format!(
                    "/api/v1/{}?limit=2&sort={dir}{}",
                    c.entity, f.name
                ))
                .await;
            assert_eq!(page.status, StatusCode::OK, "{}: {}", c.what(), page.body);
            let Some(cursor) = page.body["next_cursor"].as_str() else {
                continue;
            };
            checked += 1;
            let (payload, tag) = cursor.split_once('.').expect("cursor has a tag");
            let raw = b64().decode(payload).expect("cursor payload is base64");
            let j: Json = serde_json::from_slice(&raw).expect("cursor payload is JSON");
            let items = page.body["items"].as_array().unwrap();
            let last = items.last().unwrap();
            assert_eq!(j["i"], last["id"], "{}: cursor {j}", c.what());
            let s = j["s"].as_str().unwrap();
            assert!(
                c.full_everywhere(s),
                "{}: cursor holds the unseen field {s}",
                c.what()
            );
            let mut rest = j.clone();
            rest.as_object_mut().unwrap().remove("i");
            let rest = rest.to_string();
            for it in items {
                let id = it["id"].as_str().unwrap();
                let stored = stored(c.app, c.entity, id).await.unwrap();
                for (name, clear) in unseen(c.entity, it, &stored) {
                    let kind = def.field(&name).unwrap().kind;
                    if !secret_kind(kind) {
                        continue;
                    }
                    assert!(
                        !rest.contains(&clear),
                        "{}: cursor shows {name}: {rest}",
                        c.what()
                    );
                    for w in digit_windows(&clear) {
                        assert!(
                            !rest.contains(&w),
                            "{}: cursor shows digits of {name}: {rest}",
                            c.what()
                        );
                    }
                }
            }
            // Sealed: the next page opens, an edited cursor does not (checked on the first
            // cursor of each list; the seal does not depend on the sort field).
            if checked > 1 {
                continue;
            }
            let next =
                c.s.get(&format!(
                    "/api/v1/{}?limit=2&sort={dir}{}&cursor={cursor}",
                    c.entity, f.name
                ))
                .await;
            assert_eq!(next.status, StatusCode::OK, "{}: {}", c.what(), next.body);
            let mut forged = Vec::new();
            let mut flipped = raw.clone();
            let at = flipped.len() / 2;
            flipped[at] ^= 1;
            forged.push(format!("{}.{tag}", b64().encode(&flipped)));
            for target in def
                .fields
                .iter()
                .filter(|g| !c.full_everywhere(g.name))
                .take(2)
            {
                let mut j2 = j.clone();
                j2["s"] = json!(target.name);
                forged.push(format!("{}.{tag}", b64().encode(j2.to_string())));
            }
            let mut j3 = j.clone();
            j3["v"] = json!("0");
            forged.push(format!("{}.{tag}", b64().encode(j3.to_string())));
            forged.push(payload.to_string());
            forged.push(format!("{payload}.{}", b64().encode([0u8; 16])));
            for bad in forged {
                let a =
                    c.s.get(&format!(
                        "/api/v1/{}?limit=2&sort={dir}{}&cursor={bad}",
                        c.entity, f.name
                    ))
                    .await;
                assert_eq!(
                    a.status,
                    StatusCode::BAD_REQUEST,
                    "{}: forged cursor accepted",
                    c.what()
                );
                assert_eq!(a.body["parameter"], "cursor", "{}", c.what());
            }
            // A cursor of one sort order does not open another.
            let other = if dir.is_empty() { "-" } else { "" };
            let a =
                c.s.get(&format!(
                    "/api/v1/{}?limit=2&sort={other}{}&cursor={cursor}",
                    c.entity, f.name
                ))
                .await;
            assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", c.what());
        }
    }
    assert!(
        checked > 0
            || c.s.get(&format!("/api/v1/{}?limit=2", c.entity)).await.body["next_cursor"]
                .is_null(),
        "{}: no cursor was checked",
        c.what()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c13_unseen_fields_are_no_query_oracle() {
    let policy = PolicyDoc::builtin().unwrap();
    for engine in engines() {
        let app = TestApp::seeded(engine, 40).await;
        let mut covered = BTreeSet::new();
        let mut searched = BTreeSet::new();
        for (role, def) in &policy.roles {
            for entity in def.entities.keys() {
                let Decision::Allow(grant) =
                    decide(&policy, std::slice::from_ref(role), *entity, Action::Read)
                else {
                    continue;
                };
                let s = app.login(role).await;
                let c = Ctx {
                    app: &app,
                    engine,
                    role,
                    entity: *entity,
                    grant,
                    s,
                };
                let visible = c.s.list_all(entity.as_str(), "").await;
                if visible.is_empty() {
                    continue;
                }
                let rows: std::collections::HashMap<String, Vec<bulwark_domain::Value>> =
                    stored_rows(&app, *entity)
                        .await
                        .into_iter()
                        .map(|r| (r.id().to_string(), r.values))
                        .collect();
                // The unseen value of a field on the first visible record that has one.
                let clear_of = |idx: usize| {
                    let f = &entity.def().fields[idx];
                    visible
                        .iter()
                        .find_map(|it| value::display(f, &rows[it["id"].as_str().unwrap()][idx]))
                };
                // Text the role can search (a guess found there proves nothing).
                let searchable: Vec<String> = visible
                    .iter()
                    .flat_map(|it| {
                        entity
                            .def()
                            .fields
                            .iter()
                            .filter(|f| f.searchable)
                            .filter_map(|f| it[f.name].as_str().map(str::to_lowercase))
                            .collect::<Vec<_>>()
                    })
                    .collect();
                for (idx, f) in entity.def().fields.iter().enumerate() {
                    if c.grant.uniform_access(idx) == Access::Full {
                        continue;
                    }
                    covered.insert(format!("{role}:{entity}.{}", f.name));
                    let clear = clear_of(idx);
                    let guess = clear.clone().unwrap_or_else(|| "6222".into());
                    let name = f.name;
                    c.refused(&format!("{name}={}", enc(&guess)), name).await;
                    c.refused(&format!("sort={name}"), "sort").await;
                    c.refused(&format!("sort=-{name}"), "sort").await;
                    c.refused(&format!("fields={name}"), "fields").await;
                    c.refused(&format!("fields=id,{name}"), "fields").await;
                    c.refused(&format!("group_by={name}"), "group_by").await;
                    c.refused(
                        &format!("filter[{name}][starts_with]=62"),
                        &format!("filter[{name}][starts_with]"),
                    )
                    .await;
                    c.refused(
                        &format!("{name}[starts_with]=62"),
                        &format!("{name}[starts_with]"),
                    )
                    .await;
                    // Search: a guessed part of the unseen value vs. a different guess.
                    let Some(clear) = clear else { continue };
                    let chars: Vec<char> = clear.chars().collect();
                    if chars.len() < 4 {
                        continue;
                    }
                    // A guessed prefix (as an attacker enumerating "62…", "6222…" would
                    // send) and a guessed middle part.
                    let take = chars.len().min(6);
                    for start in [0, (chars.len() - take) / 2] {
                        let right: String = chars[start..start + take].iter().collect();
                        let wrong = other_guess(&right);
                        if right == wrong
                            || searchable.iter().any(|t| {
                                t.contains(&right.to_lowercase())
                                    || t.contains(&wrong.to_lowercase())
                            })
                        {
                            continue;
                        }
                        searched.insert(format!("{role}:{entity}.{name}"));
                        let a1 =
                            c.s.get(&format!("/api/v1/{entity}?q={}", enc(&right)))
                                .await;
                        let a2 =
                            c.s.get(&format!("/api/v1/{entity}?q={}", enc(&wrong)))
                                .await;
                        assert_eq!(a1.status, a2.status, "{}: q on {name}", c.what());
                        assert_eq!(
                            a1.body["items"],
                            a2.body["items"],
                            "{}: q on {name}",
                            c.what()
                        );
                        if a1.status == StatusCode::OK {
                            assert_eq!(
                                a1.body["items"],
                                json!([]),
                                "{}: q={right} found a record by its {name}",
                                c.what()
                            );
                        } else {
                            assert_eq!(a1.body["parameter"], "q", "{}", c.what());
                        }
                    }
                }
                check_cursors(&c).await;
            }
        }
        for must in [
            "finance:settlements.bank_account",
            "field_staff:contacts.mobile",
            "logistics:shipments.consignee_phone",
            "logistics:shipments.freight",
            "sales:settlements.bank_account",
            "sales:contacts.mobile",
            "sales:contacts.phone",
            "sales:accounts.credit_limit",
            "executive:contacts.mobile",
            "executive:settlements.bank_account",
            "executive:contacts.id_number",
            "field_staff:contacts.phone",
        ] {
            assert!(covered.contains(must), "{engine}: {must} not covered");
        }
        for must in [
            "finance:settlements.bank_account",
            "field_staff:contacts.mobile",
            "logistics:shipments.consignee_phone",
            "executive:contacts.mobile",
            "executive:contacts.id_number",
        ] {
            assert!(
                searched.contains(must),
                "{engine}: q oracle on {must} not tried"
            );
        }
        app.finish().await;
    }
}

/// Asserts a write answer is shaped exactly like a read of the same record right after.
async fn same_as_read(s: &Session, entity: &str, written: &Answer, what: &str) {
    let id = written.body["id"].as_str().unwrap();
    let read = s.get(&format!("/api/v1/{entity}/{id}")).await;
    assert_eq!(read.status, StatusCode::OK, "{what}: {}", read.body);
    assert_eq!(
        written.body, read.body,
        "{what}: write answer differs from read"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c13_write_answers_are_masked_like_reads() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 40).await;

        // logistics: consignee_phone masked, freight hidden.
        let lg = app.login("logistics").await;
        let sid = stored_rows(&app, Entity::Shipments)
            .await
            .into_iter()
            .find(|r| !text(Entity::Shipments, &r.values, "consignee_phone").is_empty())
            .unwrap()
            .id()
            .to_string();
        let sid = sid.as_str();
        let ship = lg.get(&format!("/api/v1/shipments/{sid}")).await.body;
        let raw = stored(&app, Entity::Shipments, sid).await.unwrap();
        let phone = text(Entity::Shipments, &raw, "consignee_phone").to_string();
        assert!(
            ship["consignee_phone"]
                .as_str()
                .is_some_and(|p| p.contains("****")),
            "{engine}: {ship}"
        );
        let a = lg
            .patch(
                &format!("/api/v1/shipments/{sid}"),
                json!({ "status": "in_transit" }),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{engine}: {}", a.body);
        assert!(a.body.get("freight").is_none(), "{engine}: {}", a.body);
        assert_eq!(
            a.body["consignee_phone"], ship["consignee_phone"],
            "{engine}"
        );
        assert_ne!(
            a.body["consignee_phone"],
            json!(phone),
            "{engine}: clear phone"
        );
        same_as_read(&lg, "shipments", &a, &format!("{engine}: logistics PATCH")).await;
        let order = stored_rows(&app, Entity::Orders).await[0].id().to_string();
        let a = lg
            .post(
                "/api/v1/shipments",
                json!({ "order_id": order, "status": "pending", "carrier": "顺丰速运" }),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{engine}: {}", a.body);
        assert!(a.body.get("freight").is_none(), "{engine}: {}", a.body);
        same_as_read(&lg, "shipments", &a, &format!("{engine}: logistics POST")).await;

        // finance: bank_account masked to the last four digits.
        let fi = app.login("finance").await;
        let st = fi.get("/api/v1/settlements?limit=1").await.body["items"][0].clone();
        let stid = st["id"].as_str().unwrap();
        let raw = stored(&app, Entity::Settlements, stid).await.unwrap();
        let bank = text(Entity::Settlements, &raw, "bank_account").to_string();
        let a = fi
            .patch(
                &format!("/api/v1/settlements/{stid}"),
                json!({ "status": "paid" }),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{engine}: {}", a.body);
        assert_eq!(a.body["bank_account"], st["bank_account"], "{engine}");
        let shown = a.body["bank_account"].as_str().unwrap();
        assert_eq!(
            numerics(shown),
            bank[bank.len() - 4..],
            "{engine}: only the last four digits: {shown}"
        );
        same_as_read(&fi, "settlements", &a, &format!("{engine}: finance PATCH")).await;

        // sales on an account it is assigned to but does not own: phone masked, credit_limit
        // hidden, in the write answer as in the read.
        let s_id = app.user_id("sales").await;
        let n_id = app.user_id("nancy.davolio").await;
        let shared = owned_accounts(&app, &n_id).await[0].clone();
        app.ctx
            .store
            .assign(
                &shared,
                &s_id,
                bulwark_cli::context::cli_event("assign", Some("accounts"), vec![shared.clone()]),
            )
            .await
            .unwrap();
        let sales = app.login("sales").await;
        let before = sales.get(&format!("/api/v1/accounts/{shared}")).await;
        let a = sales
            .patch(
                &format!("/api/v1/accounts/{shared}"),
                json!({ "industry": "物流" }),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{engine}: {}", a.body);
        assert!(a.body.get("credit_limit").is_none(), "{engine}: {}", a.body);
        assert_eq!(a.body["phone"], before.body["phone"], "{engine}");
        same_as_read(
            &sales,
            "accounts",
            &a,
            &format!("{engine}: sales PATCH shared"),
        )
        .await;

        // The audit trail of those writes holds names, never the values.
        let auditor = app.login("auditor").await;
        let all = auditor.get("/api/v1/audit/events?limit=1000").await;
        let text = all.body.to_string();
        for secret in [&phone, &bank] {
            assert!(secret.len() >= 8, "{engine}: {secret:?}");
            if let Some(at) = text.find(secret.as_str()) {
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(300)
                    .map_or(0, |(i, _)| i);
                panic!(
                    "{engine}: the audit trail shows the value {secret:?}: …{}",
                    &text[from..(at + secret.len() + 40).min(text.len())]
                );
            }
        }
        app.finish().await;
    }
}
