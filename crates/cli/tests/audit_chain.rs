//! The audit trail: every request that touches business data is recorded (denials too), no
//! values reach the log, and a changed or deleted event row makes `audit verify` fail at
//! exactly that event.

#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use bulwark_cli::DataArgs;
use bulwark_cli::commands::audit::{AuditCmd, run};
use common::*;
use reqwest::StatusCode;
use sqlx::Connection;

async fn exec(app: &TestApp, sql: &str) {
    match &app.db_url {
        None => {
            let mut c = sqlx::SqliteConnection::connect(&format!(
                "sqlite://{}",
                app.dir.path().join("bulwark.db").display()
            ))
            .await
            .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
        }
        Some(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_denials_and_logins_are_audited_without_values() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 20).await;
        let fs = app.login("field_staff").await;
        let contacts = fs.list_all("contacts", "").await;
        assert!(!contacts.is_empty());
        let id = contacts[0]["id"].as_str().unwrap().to_string();
        assert_eq!(
            fs.get(&format!("/api/v1/contacts/{id}")).await.status,
            StatusCode::OK
        );
        assert_eq!(
            fs.get("/api/v1/settlements").await.status,
            StatusCode::FORBIDDEN
        );
        // Only the auditor reads the log.
        assert_eq!(
            fs.get("/api/v1/audit/events").await.status,
            StatusCode::FORBIDDEN
        );
        let aud = app.login("auditor").await;
        let a = aud
            .get(&format!(
                "/api/v1/audit/events?actor_id={}&limit=50",
                fs.user_id
            ))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let items = a.body["items"].as_array().unwrap();
        let actions: Vec<&str> = items
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for want in ["login", "list", "read", "audit.list"] {
            assert!(
                actions.contains(&want),
                "{want} missing in {actions:?} ({engine})"
            );
        }
        let read = items
            .iter()
            .find(|e| e["action"] == "read" && e["outcome"] == "success")
            .unwrap();
        assert_eq!(read["record_ids"][0], id.as_str());
        assert_eq!(read["entity"], "contacts");
        assert!(
            read["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == "mobile")
        );
        assert!(read["request_id"].as_str().is_some_and(|r| !r.is_empty()));
        assert_eq!(read["client_ip"], "127.0.0.1");
        let denied = items
            .iter()
            .find(|e| e["outcome"] == "denied" && e["action"] == "read")
            .unwrap();
        assert_eq!(denied["entity"], "settlements");
        // No clear value of what was read appears in the log.
        let mobile_clear = {
            let all = bulwark_store::ScopeCtx::unscoped();
            let row = app
                .ctx
                .store
                .get(bulwark_domain::Entity::Contacts, &id, &all)
                .await
                .unwrap()
                .unwrap();
            let idx = bulwark_domain::Entity::Contacts
                .def()
                .fields
                .iter()
                .position(|f| f.name == "mobile")
                .unwrap();
            row.values[idx].as_text().unwrap().to_string()
        };
        assert!(!a.body.to_string().contains(&mobile_clear), "{engine}");
        // Failed logins are recorded, and say nothing about whether the user exists.
        let c = app.client();
        let bad = read_login(&app, &c, "field_staff", "wrong password 1").await;
        let unknown = read_login(&app, &c, "no_such_user", "wrong password 1").await;
        assert_eq!(bad.0, StatusCode::UNAUTHORIZED);
        assert_eq!(bad, unknown, "{engine}");
        let v = aud.get("/api/v1/audit/verify").await;
        assert_eq!(v.body["valid"], true, "{}", v.body);
        app.finish().await;
    }
}

async fn read_login(app: &TestApp, c: &reqwest::Client, u: &str, p: &str) -> (StatusCode, String) {
    let r = c
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": u, "password": p }))
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The first fault the store's verification reports (the test fails if the chain verifies).
async fn first_fault(app: &TestApp) -> bulwark_audit::ChainFault {
    match app.ctx.store.verify_own_audit().await.unwrap() {
        Ok(s) => panic!("tampering not detected: {} events verified", s.entries),
        Err(f) => f,
    }
}

async fn verify_cli(app: &TestApp) -> std::process::ExitCode {
    let args = DataArgs {
        data_dir: app.dir.path().to_path_buf(),
        database: app.db_url.clone(),
        sqlite_synchronous: None,
    };
    run(&args, AuditCmd::Verify).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_or_deleted_event_fails_verification_at_that_event() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 10).await;
        let s = app.login("executive").await;
        for _ in 0..5 {
            assert_eq!(
                s.get("/api/v1/accounts?limit=5").await.status,
                StatusCode::OK
            );
        }
        let ok = app
            .ctx
            .store
            .verify_own_audit()
            .await
            .unwrap()
            .expect("intact");
        assert_eq!(verify_cli(&app).await, std::process::ExitCode::SUCCESS);
        let n = ok.entries as i64;
        // (1) alter one event's body (an insider edits who did it)
        let target = n - 2;
        exec(&app, &format!("UPDATE audit_events SET body = REPLACE(body, '\"action\":\"list\"', '\"action\":\"read\"') WHERE seq = {target}")).await;
        let f = first_fault(&app).await;
        assert_eq!(f.seq, target as u64, "{engine}");
        assert_eq!(
            verify_cli(&app).await,
            std::process::ExitCode::from(bulwark_cli::commands::audit::TAMPERED)
        );
        // (1b) change only an indexed column the auditor filters on, or pad the body
        for (i, sql) in [
            "UPDATE audit_events SET action = 'login' WHERE seq = {s}",
            "UPDATE audit_events SET actor_id = NULL WHERE seq = {s}",
            "UPDATE audit_events SET body = body || ' ' WHERE seq = {s}",
        ]
        .iter()
        .enumerate()
        {
            let s = target - 1 - i as i64;
            exec(&app, &sql.replace("{s}", &s.to_string())).await;
            let f = first_fault(&app).await;
            assert_eq!(f.seq, s as u64, "{engine}: {sql}");
        }
        // (2) delete an earlier event
        exec(
            &app,
            &format!("DELETE FROM audit_events WHERE seq = {}", target - 5),
        )
        .await;
        let f = first_fault(&app).await;
        assert_eq!(f.seq, (target - 5) as u64, "{engine}");
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncating_the_tail_is_detected_by_the_head() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 10).await;
        let s = app.login("executive").await;
        for _ in 0..3 {
            s.get("/api/v1/orders?limit=5").await;
        }
        let n = app
            .ctx
            .store
            .verify_own_audit()
            .await
            .unwrap()
            .unwrap()
            .entries as i64;
        exec(
            &app,
            &format!("DELETE FROM audit_events WHERE seq > {}", n - 2),
        )
        .await;
        let f = first_fault(&app).await;
        assert_eq!(f.seq, (n - 1) as u64, "{engine}");
        app.finish().await;
    }
}
