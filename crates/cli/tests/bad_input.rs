//! Bad input at the HTTP edge: malformed JSON, wrong content types, unknown fields, wrong
//! types, oversized bodies, full-width digits and missing CSRF tokens. Every refusal is a
//! 4xx problem (never a 5xx), names what is wrong, and writes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use bulwark_domain::Entity;
use common::cases::*;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

const JSON: Option<&str> = Some("application/json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_and_writes_nothing() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 20).await;
        let sales = app.login("sales").await;
        let s_id = app.user_id("sales").await;
        let acc = owned_accounts(&app, &s_id).await[0].clone();
        let acc_path = format!("/api/v1/accounts/{acc}");
        let order = stored_rows(&app, Entity::Orders)
            .await
            .into_iter()
            .find(|r| text(Entity::Orders, &r.values, "account_id") == acc)
            .unwrap()
            .id()
            .to_string();
        let product = stored_rows(&app, Entity::Products).await[0]
            .id()
            .to_string();
        let before = snapshot(&app).await;

        // Malformed JSON → 400, on create and on update.
        let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let mut malformed: Vec<Vec<u8>> = [
            "{\"name\": \"x\"",
            "{'name': 'x'}",
            "{\"name\": \"x\"} trailing",
            "",
            "   ",
            "{\"name\": \"x\",}",
            "{name: \"x\"}",
            "[]",
            "[{\"name\": \"x\"}]",
            "\"name\"",
            "null",
            "42",
            "{\"credit_limit\": 1e400}",
            nested.as_str(),
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        malformed.push(b"{\"name\": \"\xff\xfe\"}".to_vec());
        malformed.push(b"\xef\xbb\xbf{\"name\": \"BOM\"}".to_vec());
        for body in &malformed {
            for (m, p) in [
                (Method::POST, "/api/v1/accounts"),
                (Method::PATCH, acc_path.as_str()),
            ] {
                let a = sales.send_raw(m.clone(), p, JSON, body.clone(), true).await;
                assert_eq!(
                    a.status,
                    StatusCode::BAD_REQUEST,
                    "{engine}: {m} {p} {:?}: {}",
                    String::from_utf8_lossy(body),
                    a.body
                );
                assert_eq!(
                    a.headers.get("content-type").unwrap(),
                    "application/problem+json",
                    "{engine}"
                );
            }
        }

        // Wrong content type → 400 (even with a perfectly good JSON body).
        let good = serde_json::to_vec(&json!({ "name": "Content type test" })).unwrap();
        for ct in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/jsonx"),
            Some("application/json-patch+json"),
            Some("text/json"),
            Some(""),
        ] {
            for (m, p) in [
                (Method::POST, "/api/v1/accounts"),
                (Method::PATCH, acc_path.as_str()),
            ] {
                let a = sales.send_raw(m.clone(), p, ct, good.clone(), true).await;
                assert_eq!(
                    a.status,
                    StatusCode::BAD_REQUEST,
                    "{engine}: {m} {p} as {ct:?}: {}",
                    a.body
                );
            }
        }
        let form = sales
            .send_raw(
                Method::POST,
                "/api/v1/accounts",
                Some("application/x-www-form-urlencoded"),
                b"name=Form".to_vec(),
                true,
            )
            .await;
        assert_eq!(
            form.status,
            StatusCode::BAD_REQUEST,
            "{engine}: {}",
            form.body
        );

        // Unknown fields → 422 naming each.
        for (m, p, body, fields) in [
            (
                Method::POST,
                "/api/v1/accounts",
                json!({ "name": "x", "nmae": "y" }),
                vec!["nmae"],
            ),
            (
                Method::PATCH,
                acc_path.as_str(),
                json!({ "Name": "x" }),
                vec!["Name"],
            ),
            (
                Method::PATCH,
                acc_path.as_str(),
                json!({ "name ": "x", "__proto__": {} }),
                vec!["name ", "__proto__"],
            ),
            (
                Method::PATCH,
                acc_path.as_str(),
                json!({ "": "x" }),
                vec![""],
            ),
        ] {
            let a = sales.send(m.clone(), p, Some(body.clone())).await;
            assert_eq!(
                a.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{engine}: {m} {p} {body}: {}",
                a.body
            );
            let named = named_fields(&a.body);
            for f in fields {
                assert!(
                    named.contains(&f.to_string()),
                    "{engine}: {body}: {}",
                    a.body
                );
            }
        }

        // Wrong types and out-of-range values → 422 naming the field.
        let line = |v: serde_json::Value| {
            let mut b = json!({ "order_id": order, "product_id": product, "quantity": 1, "unit_price": "1.00" });
            for (k, x) in v.as_object().unwrap() {
                b[k] = x.clone();
            }
            b
        };
        let order_body = |v: serde_json::Value| {
            let mut b = json!({ "order_no": "BAD-1", "account_id": acc, "status": "draft" });
            for (k, x) in v.as_object().unwrap() {
                b[k] = x.clone();
            }
            b
        };
        let cases: Vec<(&str, serde_json::Value, &str)> = vec![
            ("/api/v1/accounts", json!({ "name": 5 }), "name"),
            ("/api/v1/accounts", json!({ "name": ["x"] }), "name"),
            (
                "/api/v1/accounts",
                json!({ "name": { "first": "x" } }),
                "name",
            ),
            ("/api/v1/accounts", json!({ "name": true }), "name"),
            ("/api/v1/accounts", json!({ "name": null }), "name"),
            ("/api/v1/accounts", json!({ "name": "" }), "name"),
            (
                "/api/v1/accounts",
                json!({ "name": "x", "credit_limit": true }),
                "credit_limit",
            ),
            (
                "/api/v1/accounts",
                json!({ "name": "x", "credit_limit": "1e5" }),
                "credit_limit",
            ),
            (
                "/api/v1/accounts",
                json!({ "name": "x", "credit_limit": "12.345" }),
                "credit_limit",
            ),
            (
                "/api/v1/accounts",
                json!({ "name": "x", "credit_limit": "NaN" }),
                "credit_limit",
            ),
            (
                "/api/v1/accounts",
                json!({ "name": "x", "credit_limit": "99999999999999999999" }),
                "credit_limit",
            ),
            (
                "/api/v1/accounts",
                json!({ "name": "x", "phone": 13812345678_i64 }),
                "phone",
            ),
            (
                "/api/v1/accounts",
                json!({ "name": "x", "owner_id": 5 }),
                "owner_id",
            ),
            (
                "/api/v1/accounts",
                json!({ "name": "x", "owner_id": "1 OR 1=1" }),
                "owner_id",
            ),
            (
                "/api/v1/accounts",
                json!({ "name": "x", "credit_code": "not a code" }),
                "credit_code",
            ),
            (
                "/api/v1/accounts",
                json!({ "name": "x".repeat(201) }),
                "name",
            ),
            (
                "/api/v1/order_lines",
                line(json!({ "quantity": "3" })),
                "quantity",
            ),
            (
                "/api/v1/order_lines",
                line(json!({ "quantity": 1.5 })),
                "quantity",
            ),
            (
                "/api/v1/order_lines",
                line(json!({ "quantity": 1e20 })),
                "quantity",
            ),
            (
                "/api/v1/order_lines",
                line(json!({ "quantity": -9_223_372_036_854_775_807_i64 })),
                "quantity",
            ),
            (
                "/api/v1/order_lines",
                line(json!({ "discount": "1.5" })),
                "discount",
            ),
            (
                "/api/v1/order_lines",
                line(json!({ "discount": "-0.1" })),
                "discount",
            ),
            (
                "/api/v1/order_lines",
                line(json!({ "unit_price": [] })),
                "unit_price",
            ),
            (
                "/api/v1/orders",
                order_body(json!({ "status": "won" })),
                "status",
            ),
            (
                "/api/v1/orders",
                order_body(json!({ "status": "DRAFT" })),
                "status",
            ),
            (
                "/api/v1/orders",
                order_body(json!({ "order_date": "2026-02-30" })),
                "order_date",
            ),
            (
                "/api/v1/orders",
                order_body(json!({ "order_date": "03/01/2026" })),
                "order_date",
            ),
            (
                "/api/v1/orders",
                order_body(json!({ "account_id": "../../users" })),
                "account_id",
            ),
            (
                "/api/v1/contacts",
                json!({ "name": "x", "account_id": acc, "email": "not an email" }),
                "email",
            ),
            (
                "/api/v1/contacts",
                json!({ "name": "x", "account_id": acc, "id_number": "110105194912310021" }),
                "id_number",
            ),
            (
                "/api/v1/contacts",
                json!({ "name": "x", "account_id": acc, "mobile": "12345678901" }),
                "mobile",
            ),
        ];
        for (p, body, field) in &cases {
            let a = sales.post(p, body.clone()).await;
            assert_eq!(
                a.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{engine}: POST {p} {body}: {}",
                a.body
            );
            assert!(
                named_fields(&a.body).contains(&field.to_string()),
                "{engine}: POST {p} {body}: {}",
                a.body
            );
        }
        // An update that names no field.
        let a = sales.patch(&acc_path, json!({})).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{engine}: {}", a.body);

        // Oversized bodies → 413 (or 400), nothing written.
        for size in [256 * 1024 + 1, 300 * 1024, 2 * 1024 * 1024] {
            let big =
                serde_json::to_vec(&json!({ "name": "Big", "address": "a".repeat(size) })).unwrap();
            for (m, p) in [
                (Method::POST, "/api/v1/accounts"),
                (Method::PATCH, acc_path.as_str()),
            ] {
                let a = sales.send_raw(m.clone(), p, JSON, big.clone(), true).await;
                assert!(
                    a.status == StatusCode::PAYLOAD_TOO_LARGE
                        || a.status == StatusCode::BAD_REQUEST,
                    "{engine}: {m} {p} with {size} bytes: {}",
                    a.status
                );
            }
        }
        // Just under the limit: read, then refused for the field's own length limit.
        let near =
            serde_json::to_vec(&json!({ "name": "Near", "address": "a".repeat(200 * 1024) }))
                .unwrap();
        let a = sales
            .send_raw(Method::POST, "/api/v1/accounts", JSON, near, true)
            .await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{engine}: {}",
            a.body
        );
        assert_eq!(
            named_fields(&a.body),
            vec!["address".to_string()],
            "{engine}"
        );

        // CSRF: a state-changing request with the session cookie but without (or with a
        // wrong) X-CSRF-Token → 403, nothing written; reads need no token.
        let body = serde_json::to_vec(&json!({ "name": "CSRF" })).unwrap();
        let contact = stored_rows(&app, Entity::Contacts)
            .await
            .into_iter()
            .find(|r| text(Entity::Contacts, &r.values, "account_id") == acc)
            .unwrap()
            .id()
            .to_string();
        let line_id = stored_rows(&app, Entity::OrderLines)
            .await
            .into_iter()
            .find(|r| text(Entity::OrderLines, &r.values, "account_id") == acc)
            .unwrap()
            .id()
            .to_string();
        for (m, p) in [
            (Method::POST, "/api/v1/accounts".to_string()),
            (Method::PATCH, acc_path.clone()),
            (Method::DELETE, format!("/api/v1/order_lines/{line_id}")),
            (Method::POST, format!("/api/v1/contacts/{contact}/reveal")),
            (Method::POST, "/api/v1/auth/logout".to_string()),
        ] {
            let a = sales
                .send_raw(m.clone(), &p, JSON, body.clone(), false)
                .await;
            assert_eq!(
                a.status,
                StatusCode::FORBIDDEN,
                "{engine}: {m} {p} without CSRF: {}",
                a.body
            );
            assert!(
                a.body["type"].as_str().unwrap().ends_with("/csrf"),
                "{engine}: {}",
                a.body
            );
            let mut wrong = sales
                .client
                .request(m.clone(), format!("{}{p}", sales.base));
            wrong = wrong
                .header("x-csrf-token", format!("{}x", sales.csrf))
                .header("content-type", "application/json")
                .body(body.clone());
            let a = read(wrong.send().await.unwrap()).await;
            assert_eq!(
                a.status,
                StatusCode::FORBIDDEN,
                "{engine}: {m} {p} wrong CSRF: {}",
                a.body
            );
            let mut empty = sales
                .client
                .request(m.clone(), format!("{}{p}", sales.base));
            empty = empty
                .header("x-csrf-token", "")
                .header("content-type", "application/json")
                .body(body.clone());
            let a = read(empty.send().await.unwrap()).await;
            assert_eq!(
                a.status,
                StatusCode::FORBIDDEN,
                "{engine}: {m} {p} empty CSRF: {}",
                a.body
            );
        }
        let r = sales
            .send_raw(Method::GET, &acc_path, None, vec![], false)
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{engine}: GET needs no CSRF token"
        );
        // The session survived the refused logout.
        assert_eq!(
            sales.get("/api/v1/me").await.status,
            StatusCode::OK,
            "{engine}"
        );

        // Not logged in → 401; unknown routes and methods.
        let anon = app.client();
        let a = read(
            anon.post(app.url("/api/v1/accounts"))
                .json(&json!({ "name": "anon" }))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{engine}: {}", a.body);
        assert_eq!(
            sales.get("/api/v1/no_such_entity").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            sales.get("/api/v1/accounts/not-an-id").await.status,
            StatusCode::NOT_FOUND
        );
        let put = sales
            .send(Method::PUT, &acc_path, Some(json!({ "name": "x" })))
            .await;
        assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED, "{engine}");
        let long = format!("/api/v1/accounts?q={}", "a".repeat(5000));
        let a = sales.get(&long).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{engine}: {}", a.body);

        // Nothing of the above was written.
        assert_unchanged(&before, &snapshot(&app).await, engine);

        // Duplicate keys never crash the server; if accepted, one of the values is kept.
        let dup = b"{\"name\": \"First\", \"name\": \"Second\"}".to_vec();
        let a = sales
            .send_raw(Method::PATCH, &acc_path, JSON, dup, true)
            .await;
        assert!(
            a.status.as_u16() < 500,
            "{engine}: duplicate keys: {}",
            a.status
        );
        if a.status == StatusCode::OK {
            assert!(
                a.body["name"] == "First" || a.body["name"] == "Second",
                "{engine}"
            );
        }

        // Full-width digits in a mobile are accepted and normalised.
        let a = sales
            .post(
                "/api/v1/contacts",
                json!({ "name": "全角", "account_id": acc, "mobile": "１３８１２３４５６７８" }),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{engine}: {}", a.body);
        assert_eq!(a.body["mobile"], "13812345678", "{engine}");
        let id = a.body["id"].as_str().unwrap();
        let row = stored(&app, Entity::Contacts, id).await.unwrap();
        assert_eq!(
            text(Entity::Contacts, &row, "mobile"),
            "13812345678",
            "{engine}"
        );
        // A JSON content type with parameters or other casing is still JSON.
        for ct in ["application/json; charset=utf-8", "Application/JSON"] {
            let a = sales
                .send_raw(
                    Method::PATCH,
                    &acc_path,
                    Some(ct),
                    serde_json::to_vec(&json!({ "industry": "物流" })).unwrap(),
                    true,
                )
                .await;
            assert_eq!(a.status, StatusCode::OK, "{engine}: {ct}: {}", a.body);
        }
        let h = app.client().get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(h.status(), StatusCode::OK, "{engine}");
        app.finish().await;
    }
}
