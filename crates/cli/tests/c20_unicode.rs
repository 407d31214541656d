//! C20 — Unicode: bidirectional overrides refused, genuine scripts kept, nothing ever cut
//! inside a character or grapheme, no crash.
//!
//! On every text kind (`Text`, `PersonName`, `LongText`), on create and on update: every bidi
//! embedding/override/isolate control (U+202A–U+202E, U+2066–U+2069) and NUL (and other
//! control characters) → 422 naming the field, nothing written; genuine right-to-left text,
//! CJK outside the BMP, emoji and ZWJ sequences, combining marks and a 41-byte + `é` value are
//! accepted and read back unchanged (combining sequences may come back NFC-composed). Masking
//! (addresses) and the echo of over-long unknown keys cut only between grapheme clusters; client
//! text echoed in problem answers carries no bidi control; search with such text works or is
//! refused cleanly. Afterwards `GET /healthz` is 200.

#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use bulwark_domain::Entity;
use common::cases::*;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value as Json, json};

const BIDI: &[char] = &[
    '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}',
    '\u{2069}',
];

fn is_bidi(c: char) -> bool {
    BIDI.contains(&c)
}

/// Characters that continue a grapheme cluster (a cut before them splits a character).
fn continues_grapheme(c: char) -> bool {
    matches!(c,
        '\u{200D}'                      // ZWJ
        | '\u{FE00}'..='\u{FE0F}'       // variation selectors
        | '\u{0300}'..='\u{036F}'       // combining diacritics
        | '\u{1F3FB}'..='\u{1F3FF}'     // skin tones
        | '\u{E0020}'..='\u{E007F}'     // tag characters
    )
}

/// One writable text field: where it lives and how to write it.
struct Target {
    entity: Entity,
    field: &'static str,
    kind: &'static str,
}

const TARGETS: &[Target] = &[
    Target {
        entity: Entity::Accounts,
        field: "name",
        kind: "Text",
    },
    Target {
        entity: Entity::Accounts,
        field: "industry",
        kind: "Text",
    },
    Target {
        entity: Entity::Contacts,
        field: "name",
        kind: "PersonName",
    },
    Target {
        entity: Entity::Contacts,
        field: "title",
        kind: "Text",
    },
    Target {
        entity: Entity::Orders,
        field: "note",
        kind: "LongText",
    },
    Target {
        entity: Entity::Contracts,
        field: "title",
        kind: "Text",
    },
];

/// A create body for `t` with `value` in its field (as `sales`, on `acc`).
fn create_body(t: &Target, acc: &str, value: &str, n: usize) -> Json {
    let mut b = match t.entity {
        Entity::Accounts => json!({ "name": format!("C20 account {n}") }),
        Entity::Contacts => json!({ "name": "C20", "account_id": acc }),
        Entity::Orders => {
            json!({ "order_no": format!("C20-{n}"), "account_id": acc, "status": "draft" })
        }
        Entity::Contracts => {
            json!({ "contract_no": format!("C20-{n}"), "account_id": acc, "status": "draft" })
        }
        _ => unreachable!(),
    };
    b[t.field] = json!(value);
    b
}

/// Values that must be accepted, with the forms they may be read back as.
fn accepted() -> Vec<(String, Vec<String>)> {
    let s = |v: &str| v.to_string();
    vec![
        (s("مؤسسة النور للتجارة"), vec![s("مؤسسة النور للتجارة")]),
        (s("李雷🚚物流有限公司"), vec![s("李雷🚚物流有限公司")]),
        (
            s("👩\u{200D}👩\u{200D}👧\u{200D}👦 Family Trading"),
            vec![s("👩\u{200D}👩\u{200D}👧\u{200D}👦 Family Trading")],
        ),
        (s("Cafe\u{0301}"), vec![s("Cafe\u{0301}"), s("Caf\u{e9}")]),
        (s("𠮷野家"), vec![s("𠮷野家")]),
        (
            format!("{}é", "a".repeat(41)),
            vec![format!("{}é", "a".repeat(41))],
        ),
        (s("שלום Shalom 🇨🇳"), vec![s("שלום Shalom 🇨🇳")]),
        (s("👍🏽 ok"), vec![s("👍🏽 ok")]),
    ]
}

/// Values that must be refused.
fn refused() -> Vec<(String, &'static str)> {
    let mut v: Vec<(String, &'static str)> = BIDI
        .iter()
        .map(|c| (format!("Zhang Wei{c}fdp.exe"), "bidi control"))
        .collect();
    v.push(("Zhang Wei\u{202E}".into(), "trailing bidi control"));
    v.push(("\u{2067}مؤسسة".into(), "leading bidi control"));
    v.push(("Zhang\u{0}Wei".into(), "NUL"));
    v.push(("\u{0}".into(), "lone NUL"));
    v.push(("Zhang\u{1B}[2JWei".into(), "escape sequence"));
    v.push(("Zhang\u{85}Wei".into(), "C1 control"));
    v
}

/// Asserts a masked or truncated rendering is a whole-grapheme prefix of `clear` followed by
/// `suffix`.
fn whole_prefix(what: &str, clear: &str, shown: &str, suffix: &str) {
    let prefix = shown
        .strip_suffix(suffix)
        .unwrap_or_else(|| panic!("{what}: {shown:?} does not end in {suffix:?}"));
    assert!(
        clear.starts_with(prefix),
        "{what}: {shown:?} is not a prefix of {clear:?}"
    );
    let next = clear[prefix.len()..].chars().next();
    assert!(
        !next.is_some_and(continues_grapheme),
        "{what}: {shown:?} cuts a grapheme of {clear:?}"
    );
    assert!(
        !prefix.ends_with('\u{200D}'),
        "{what}: {shown:?} ends in a ZWJ"
    );
    // Regional-indicator flags come in pairs.
    let ri = prefix
        .chars()
        .rev()
        .take_while(|c| ('\u{1F1E6}'..='\u{1F1FF}').contains(c))
        .count();
    let ri_total = clear
        .chars()
        .skip(prefix.chars().count() - ri)
        .take_while(|c| ('\u{1F1E6}'..='\u{1F1FF}').contains(c))
        .count();
    assert!(
        ri % 2 == 0 || ri == ri_total,
        "{what}: {shown:?} splits a flag"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c20_bidi_nul_refused_scripts_kept_nothing_cut() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 20).await;
        let sales = app.login("sales").await;
        let s_id = app.user_id("sales").await;
        let acc = owned_accounts(&app, &s_id).await[0].clone();
        let order = stored_rows(&app, Entity::Orders)
            .await
            .into_iter()
            .find(|r| text(Entity::Orders, &r.values, "account_id") == acc)
            .unwrap()
            .id()
            .to_string();
        let contact = stored_rows(&app, Entity::Contacts)
            .await
            .into_iter()
            .find(|r| text(Entity::Contacts, &r.values, "account_id") == acc)
            .unwrap()
            .id()
            .to_string();
        let contract = sales
            .post(
                "/api/v1/contracts",
                json!({ "contract_no": "C20-base", "account_id": acc, "status": "draft" }),
            )
            .await;
        assert_eq!(contract.status, StatusCode::CREATED, "{}", contract.body);
        let contract = contract.body["id"].as_str().unwrap().to_string();
        let existing = |e: Entity| match e {
            Entity::Accounts => acc.clone(),
            Entity::Contacts => contact.clone(),
            Entity::Orders => order.clone(),
            Entity::Contracts => contract.clone(),
            _ => unreachable!(),
        };
        let mut n = 0;

        // Refused on create and on update, naming the field; nothing written.
        for t in TARGETS {
            for (value, why) in refused() {
                n += 1;
                let what = format!("{engine}: {}.{} ({}) with {why}", t.entity, t.field, t.kind);
                let before = snapshot_of(&app, &[t.entity]).await;
                let a = sales
                    .post(
                        &format!("/api/v1/{}", t.entity),
                        create_body(t, &acc, &value, n),
                    )
                    .await;
                assert_eq!(
                    a.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{what}: {}",
                    a.body
                );
                assert_eq!(
                    named_fields(&a.body),
                    vec![t.field.to_string()],
                    "{what}: {}",
                    a.body
                );
                let id = existing(t.entity);
                let a = sales
                    .patch(
                        &format!("/api/v1/{}/{id}", t.entity),
                        json!({ t.field: value }),
                    )
                    .await;
                assert_eq!(
                    a.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{what} (update): {}",
                    a.body
                );
                assert_eq!(
                    named_fields(&a.body),
                    vec![t.field.to_string()],
                    "{what}: {}",
                    a.body
                );
                let text = a.body.to_string();
                assert!(
                    !text.contains("fdp.exe") && !text.contains("Zhang"),
                    "{what}: the answer repeats the value: {text}"
                );
                assert_unchanged(&before, &snapshot_of(&app, &[t.entity]).await, &what);
            }
        }

        // Accepted and read back unchanged: create answer, read, list; and on update.
        for t in TARGETS {
            for (value, forms) in accepted() {
                n += 1;
                let what = format!(
                    "{engine}: {}.{} ({}) with {value:?}",
                    t.entity, t.field, t.kind
                );
                let a = sales
                    .post(
                        &format!("/api/v1/{}", t.entity),
                        create_body(t, &acc, &value, n),
                    )
                    .await;
                assert_eq!(a.status, StatusCode::CREATED, "{what}: {}", a.body);
                let got = a.body[t.field].as_str().unwrap().to_string();
                assert!(forms.contains(&got), "{what}: created as {got:?}");
                let id = a.body["id"].as_str().unwrap();
                let one = sales.get(&format!("/api/v1/{}/{id}", t.entity)).await;
                assert_eq!(one.body[t.field], json!(got), "{what}: read");
                let stored_row = stored(&app, t.entity, id).await.unwrap();
                assert_eq!(text(t.entity, &stored_row, t.field), got, "{what}: stored");
                let p = sales
                    .patch(
                        &format!("/api/v1/{}/{}", t.entity, existing(t.entity)),
                        json!({ t.field: value }),
                    )
                    .await;
                assert_eq!(p.status, StatusCode::OK, "{what} (update): {}", p.body);
                assert!(
                    forms.contains(&p.body[t.field].as_str().unwrap().to_string()),
                    "{what}: updated as {}",
                    p.body[t.field]
                );
            }
        }
        let listed = sales.list_all("accounts", "").await;
        assert!(
            listed.iter().any(|it| it["name"] == "李雷🚚物流有限公司"),
            "{engine}: list"
        );

        // Length limits count characters after normalisation, never bytes, and never split.
        let acc_path = format!("/api/v1/accounts/{acc}");
        for (value, ok) in [
            ("𠮷".repeat(200), true),
            (format!("{}é", "a".repeat(199)), true),
            ("e\u{0301}".repeat(150), true),
            ("𠮷".repeat(201), false),
            (format!("{}é", "a".repeat(200)), false),
        ] {
            let a = sales.patch(&acc_path, json!({ "name": value })).await;
            if ok {
                assert_eq!(
                    a.status,
                    StatusCode::OK,
                    "{engine}: {} chars: {}",
                    value.chars().count(),
                    a.body
                );
            } else {
                assert_eq!(
                    a.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{engine}: {}",
                    a.body
                );
                assert_eq!(named_fields(&a.body), vec!["name".to_string()], "{engine}");
            }
        }

        // Address masking (executive) keeps whole graphemes only.
        let graphemes = [
            "👩\u{200D}👩\u{200D}👧\u{200D}👦",
            "e\u{0301}",
            "李",
            "🚚",
            "🇨🇳",
            "👍🏽",
            "物",
            "流",
            "路",
            "8",
            "号",
        ];
        let logistics = app.login("logistics").await;
        let exec = app.login("executive").await;
        for rot in 0..graphemes.len() {
            let address: String = graphemes[rot..]
                .iter()
                .chain(&graphemes[..rot])
                .copied()
                .collect();
            let a = logistics
                .post(
                    "/api/v1/shipments",
                    json!({ "order_id": order, "status": "pending", "address": address }),
                )
                .await;
            assert_eq!(a.status, StatusCode::CREATED, "{engine}: {}", a.body);
            let clear = a.body["address"].as_str().unwrap().to_string();
            let id = a.body["id"].as_str().unwrap();
            let m = exec.get(&format!("/api/v1/shipments/{id}")).await;
            let shown = m.body["address"].as_str().unwrap();
            assert_ne!(shown, clear, "{engine}: address not masked");
            whole_prefix(&format!("{engine}: masked address"), &clear, shown, "****");
        }

        // Echoed client text (an over-long unknown key) is cut on grapheme boundaries and
        // carries no bidi control.
        let family = "👩\u{200D}👩\u{200D}👧\u{200D}👦";
        let mut echoes = Vec::new();
        for key in [
            family.repeat(70),
            format!("{}{}", "a".repeat(41), "é".repeat(40)),
            format!("x{}", "e\u{0301}".repeat(80)),
            format!("{}\u{202E}exe.txt", "k".repeat(10)),
            "tenant\u{0}id".to_string(),
        ] {
            let a = sales.patch(&acc_path, json!({ key.clone(): "x" })).await;
            assert_eq!(
                a.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{engine}: {}",
                a.body
            );
            let field = named_fields(&a.body).pop().unwrap();
            if field.chars().any(|c| is_bidi(c) || c.is_control()) {
                echoes.push(format!(
                    "PATCH /api/v1/accounts/{{id}} with the key {key:?}: errors[].field = {field:?}"
                ));
            }
            if field != key && !key.chars().any(|c| is_bidi(c) || c == '\u{0}') {
                whole_prefix(&format!("{engine}: echoed key"), &key, &field, "…");
            }
        }
        // The same for query parameter names.
        let a = sales.get("/api/v1/accounts?a%E2%80%AEb=1").await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{engine}: {}", a.body);
        let p = a.body["parameter"].as_str().unwrap_or_default();
        if p.chars().any(is_bidi) {
            echoes.push(format!(
                "GET /api/v1/accounts?a%E2%80%AEb=1: parameter = {p:?}"
            ));
        }
        // ... and in the audit trail the auditor reads.
        let auditor = app.login("auditor").await;
        let trail = audit_of(&auditor, &s_id).await;
        for ev in &trail {
            for f in ev["fields"].as_array().unwrap() {
                let f = f.as_str().unwrap();
                if f.chars().any(|c| is_bidi(c) || c.is_control()) {
                    echoes.push(format!("audit event {} fields: {f:?}", ev["seq"]));
                }
            }
        }

        // Search with such text: found, or refused cleanly.
        let q = sales
            .get("/api/v1/accounts?q=%E6%9D%8E%E9%9B%B7%F0%9F%9A%9A")
            .await;
        assert_eq!(q.status, StatusCode::OK, "{engine}: {}", q.body);
        assert!(
            !q.body["items"].as_array().unwrap().is_empty(),
            "{engine}: q=李雷🚚"
        );
        for bad in ["%E2%80%AE", "a%00b", "%E2%81%A6x"] {
            let q = sales.get(&format!("/api/v1/accounts?q={bad}")).await;
            assert_eq!(
                q.status,
                StatusCode::BAD_REQUEST,
                "{engine}: q={bad}: {}",
                q.body
            );
            assert_eq!(q.body["parameter"], "q", "{engine}");
        }

        // Still healthy.
        let h = app.client().get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(h.status(), StatusCode::OK, "{engine}: healthz");
        assert!(
            echoes.is_empty(),
            "{engine}: client text with bidi/control characters echoed unneutralised:\n{}",
            echoes.join("\n")
        );
        app.finish().await;
    }
}
