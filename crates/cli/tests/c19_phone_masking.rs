//! C19 — phone masking must work by the parsed number, for every way people write numbers.
//!
//! Each phone format of the case (and more: extensions of four digits, landlines, Hong Kong,
//! bare `86`, full-width and Arabic-Indic digits) is stored by `sales` in a contact of an
//! account it owns — in `phone` (any number) and, for the mainland forms, in `mobile` — and
//! then read by roles that see them masked (`executive`; `field_staff` for `mobile`) through
//! every entry point: one record, the list, search. Counting every Unicode numeric character
//! of the masked output, only the country code, the first three digits of a mainland mobile
//! and the last four digits of the national number may remain; an extension is never shown
//! (and never taken for the "last four"); short codes and non-numbers are masked entirely or
//! refused. The same input masks identically on every entity that holds a phone, and neither
//! the audit trail nor an error message ever repeats the number.

#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use bulwark_domain::Entity;
use common::cases::*;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value as Json, json};

/// What a masked rendering of a number may keep.
#[derive(Debug, Clone, Copy)]
struct Keep {
    /// Country code (digits), if the number has one.
    cc: Option<&'static str>,
    /// First three digits of a mainland mobile.
    head: Option<&'static str>,
    /// Last four digits of the national number.
    tail: &'static str,
}

/// Every allowed sequence of numerics in the masked output (each part may also be dropped).
fn allowed(k: Keep) -> Vec<String> {
    let mut out = Vec::new();
    for cc in [k.cc, None] {
        for head in [k.head, None] {
            for tail in [Some(k.tail), None] {
                let s = format!(
                    "{}{}{}",
                    cc.unwrap_or(""),
                    head.unwrap_or(""),
                    tail.unwrap_or("")
                );
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    out
}

/// Numerics of a string, full-width digits read as their ASCII forms (any other numeric
/// character stays as it is and will not match an allowed sequence).
fn shown_digits(s: &str) -> String {
    numerics(s)
        .chars()
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' => char::from_u32(c as u32 - 0xFF10 + 0x30).unwrap(),
            _ => c,
        })
        .collect()
}

const CN: Keep = Keep {
    cc: Some("86"),
    head: Some("139"),
    tail: "4321",
};
const CN_BARE: Keep = Keep {
    cc: None,
    head: Some("139"),
    tail: "4321",
};
const US: Keep = Keep {
    cc: Some("1"),
    head: None,
    tail: "0199",
};
const UK: Keep = Keep {
    cc: Some("44"),
    head: None,
    tail: "0958",
};

/// Inputs for a `Phone` field: (input, what may remain, or None = must be refused or fully
/// masked, and a distinctive digit run that must never appear where the clear value is not
/// shown).
fn phone_inputs() -> Vec<(&'static str, Option<Keep>, Option<&'static str>)> {
    vec![
        ("+86 139 0000 4321", Some(CN), Some("13900004321")),
        ("+8613900004321", Some(CN), Some("13900004321")),
        ("0086-139-0000-4321", Some(CN), Some("13900004321")),
        ("(+86)139 0000 4321", Some(CN), Some("13900004321")),
        ("139 0000 4321", Some(CN_BARE), Some("13900004321")),
        ("8613900004321", Some(CN), Some("13900004321")),
        ("+1 (555) 010-0199 ext. 42", Some(US), Some("5550100199")),
        ("+1-555-010-0199 x42", Some(US), Some("5550100199")),
        // A four-digit extension must not pass for the last four digits.
        ("+1 555 010 0199 ext 4321", Some(US), Some("5550100199")),
        ("+44 20 7946 0958", Some(UK), Some("2079460958")),
        ("0044 20 7946 0958", Some(UK), Some("2079460958")),
        (
            "＋８６ １３９ ００００ ４３２１",
            Some(CN),
            Some("13900004321"),
        ),
        (
            "１３９ ００００ ４３２１",
            Some(CN_BARE),
            Some("13900004321"),
        ),
        (
            "+86 10 8888 6666",
            Some(Keep {
                cc: Some("86"),
                head: None,
                tail: "6666",
            }),
            Some("1088886666"),
        ),
        (
            "010-12345678转123",
            Some(Keep {
                cc: None,
                head: None,
                tail: "5678",
            }),
            Some("01012345678"),
        ),
        (
            "+852 9123 4567",
            Some(Keep {
                cc: Some("852"),
                head: None,
                tail: "4567",
            }),
            Some("91234567"),
        ),
        (
            "(5) 555-4729",
            Some(Keep {
                cc: None,
                head: None,
                tail: "4729",
            }),
            Some("5554729"),
        ),
        ("12345", None, None),
        ("N/A", None, None),
        ("", None, None),
        ("٠١٣٩٠٠٠٠٤٣٢١", None, None),
    ]
}

/// Mainland forms for a `Mobile` field (all the same number), and numbers it must refuse.
const MOBILE_OK: &[&str] = &[
    "+86 139 0000 4321",
    "+8613900004321",
    "0086-139-0000-4321",
    "(+86)139 0000 4321",
    "139 0000 4321",
    "8613900004321",
    "13900004321",
    "＋８６ １３９ ００００ ４３２１",
    "１３９００００４３２１",
];
const MOBILE_BAD: &[&str] = &[
    "+44 20 7946 0958",
    "+1 (555) 010-0199 ext. 42",
    "+1-555-010-0199 x42",
    "12345",
    "N/A",
    "",
    "010-12345678",
    "٠١٣٩٠٠٠٠٤٣٢١",
];

/// Checks one masked rendering.
fn check_masked(what: &str, input: &str, shown: &Json, keep: Option<Keep>) {
    let Some(shown) = shown.as_str() else {
        assert!(
            shown.is_null() && (input.trim().is_empty() || keep.is_none()),
            "{what}: {input:?} shown as {shown}"
        );
        return;
    };
    let digits = shown_digits(shown);
    match keep {
        Some(k) => {
            assert!(
                allowed(k).contains(&digits),
                "{what}: {input:?} masked as {shown:?} keeps digits {digits:?}, allowed {:?}",
                allowed(k)
            );
            assert!(shown.contains('*'), "{what}: {input:?} shown as {shown:?}");
        }
        None => {
            assert!(
                digits.is_empty(),
                "{what}: {input:?} must be fully masked, shown as {shown:?}"
            );
            assert!(
                input.trim().is_empty() || shown != input.trim(),
                "{what}: {input:?} shown unmasked"
            );
        }
    }
    assert!(
        !shown.chars().any(|c| c.is_numeric() && !c.is_ascii_digit()),
        "{what}: {input:?} masked as {shown:?} keeps non-ASCII digits"
    );
}

/// A refusal must name the field and not repeat the value.
fn check_refusal(what: &str, a: &Answer, field: &str, input: &str, run: Option<&str>) {
    assert_eq!(
        a.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {input:?}: {}",
        a.body
    );
    assert!(
        named_fields(&a.body).contains(&field.to_string()),
        "{what}: {input:?}: {}",
        a.body
    );
    let text = a.body.to_string();
    if input.trim().chars().count() >= 3 {
        assert!(
            !text.contains(input.trim()),
            "{what}: the answer repeats {input:?}"
        );
    }
    if let Some(run) = run {
        assert!(!text.contains(run), "{what}: the answer repeats {run}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c19_phone_masks_keep_only_country_code_head_and_last_four() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 20).await;
        let sales = app.login("sales").await;
        let exec = app.login("executive").await;
        let fs = app.login("field_staff").await;
        let procurement = app.login("procurement").await;
        let s_id = app.user_id("sales").await;
        // The account `sales` owns and `field_staff` is assigned to.
        let fs_accounts = fs.list_all("accounts", "").await;
        let acc = fs_accounts[0]["id"].as_str().unwrap().to_string();
        let acc_row = stored(&app, Entity::Accounts, &acc).await.unwrap();
        assert_eq!(
            text(Entity::Accounts, &acc_row, "owner_id"),
            s_id,
            "{engine}"
        );

        let mut runs = Vec::new();
        // `phone` (any number) on a contact; the same number on the account and a supplier.
        for (n, (input, keep, run)) in phone_inputs().into_iter().enumerate() {
            let what = format!("{engine}: phone #{n}");
            if let Some(r) = run {
                runs.push((input, r));
            }
            let a = sales
                .post(
                    "/api/v1/contacts",
                    json!({ "account_id": acc, "name": format!("C19 {n}"), "phone": input }),
                )
                .await;
            if a.status != StatusCode::CREATED {
                assert!(keep.is_none(), "{what}: {input:?} refused: {}", a.body);
                check_refusal(&what, &a, "phone", input, run);
                continue;
            }
            let id = a.body["id"].as_str().unwrap().to_string();
            // The owner sees the number as stored (NFKC-normalised, trimmed).
            assert!(a.body["phone"].is_string(), "{what}: {}", a.body);
            // One record and the list, as executive.
            let one = exec.get(&format!("/api/v1/contacts/{id}")).await;
            assert_eq!(one.status, StatusCode::OK, "{what}: {}", one.body);
            check_masked(&what, input, &one.body["phone"], keep);
            let list = exec
                .list_all("contacts", &format!("&account_id={acc}"))
                .await;
            let item = list.iter().find(|it| it["id"] == json!(id)).unwrap();
            assert_eq!(item["phone"], one.body["phone"], "{what}: list vs one");
            // Search by the number finds nothing (phones are not searchable).
            if let Some(r) = run {
                let q = exec.get(&format!("/api/v1/contacts?q={r}")).await;
                assert!(
                    q.status == StatusCode::OK && q.body["items"] == json!([])
                        || q.status == StatusCode::BAD_REQUEST,
                    "{what}: q={r}: {}",
                    q.body
                );
            }
            // The same number on other entities masks identically.
            let p = sales
                .patch(
                    &format!("/api/v1/accounts/{acc}"),
                    json!({ "phone": input }),
                )
                .await;
            assert_eq!(p.status, StatusCode::OK, "{what}: account: {}", p.body);
            let on_acc = exec.get(&format!("/api/v1/accounts/{acc}")).await;
            assert_eq!(
                on_acc.body["phone"], one.body["phone"],
                "{what}: account vs contact"
            );
            let sup = procurement
                .post(
                    "/api/v1/suppliers",
                    json!({ "name": format!("C19 supplier {n}"), "phone": input }),
                )
                .await;
            assert_eq!(sup.status, StatusCode::CREATED, "{what}: {}", sup.body);
            let sid = sup.body["id"].as_str().unwrap();
            let on_sup = exec.get(&format!("/api/v1/suppliers/{sid}")).await;
            assert_eq!(
                on_sup.body["phone"], one.body["phone"],
                "{what}: supplier vs contact"
            );
        }

        // `mobile` (mainland only): every mainland form is accepted and normalised, and
        // masked identically for executive and field staff.
        let mut masked = None;
        for (n, input) in MOBILE_OK.iter().enumerate() {
            let what = format!("{engine}: mobile #{n} {input:?}");
            let a = sales
                .post(
                    "/api/v1/contacts",
                    json!({ "account_id": acc, "name": format!("C19 m{n}"), "mobile": input }),
                )
                .await;
            assert_eq!(a.status, StatusCode::CREATED, "{what}: {}", a.body);
            assert_eq!(a.body["mobile"], "13900004321", "{what}: normalised");
            let id = a.body["id"].as_str().unwrap();
            let one = exec.get(&format!("/api/v1/contacts/{id}")).await;
            check_masked(&what, input, &one.body["mobile"], Some(CN));
            let staff = fs.list_all("contacts", "").await;
            let item = staff.iter().find(|it| it["id"] == json!(id)).unwrap();
            assert_eq!(item["mobile"], one.body["mobile"], "{what}: field staff");
            assert!(
                item.get("phone").is_none(),
                "{what}: field staff sees phone"
            );
            let m = one.body["mobile"].clone();
            assert_eq!(*masked.get_or_insert(m.clone()), m, "{what}: not identical");
        }
        for input in MOBILE_BAD {
            let what = format!("{engine}: mobile {input:?}");
            let a = sales
                .post(
                    "/api/v1/contacts",
                    json!({ "account_id": acc, "name": "C19 bad", "mobile": input }),
                )
                .await;
            let run: String = input.chars().filter(char::is_ascii_digit).collect();
            let run = (run.len() >= 7).then_some(run);
            check_refusal(&what, &a, "mobile", input, run.as_deref());
        }

        // The audit trail holds field names, never a number.
        let auditor = app.login("auditor").await;
        let events = auditor.get("/api/v1/audit/events?limit=1000").await;
        assert_eq!(events.status, StatusCode::OK);
        let all = events.body.to_string();
        for (input, run) in runs {
            assert!(
                !all.contains(run),
                "{engine}: audit shows digits of {input:?}"
            );
            assert!(!all.contains(input), "{engine}: audit shows {input:?}");
        }
        assert!(
            !all.contains("13900004321"),
            "{engine}: audit shows a mobile"
        );
        app.finish().await;
    }
}
