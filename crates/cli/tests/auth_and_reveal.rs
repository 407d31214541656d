//! Login, sessions, CSRF, API tokens, disabling users, reveal-with-reason, the policy
//! explanation and the schema contract, on both engines.

#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use bulwark_cli::DataArgs;
use bulwark_cli::commands::{token, user};
use bulwark_domain::Entity;
use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c11_session_cookie_is_hardened_and_never_fixated() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 5).await;
        // A client-chosen session id is never adopted.
        let c = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .build()
            .unwrap();
        let r = c
            .post(app.url("/api/v1/auth/login"))
            .header("cookie", "bulwark_session=attacker-chosen-0001")
            .json(&json!({ "username": "sales", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let cookies: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        let session = cookies
            .iter()
            .find(|c| c.starts_with("bulwark_session="))
            .unwrap();
        for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
            assert!(session.contains(flag), "{flag} missing in {session}");
        }
        assert!(!session.contains("attacker-chosen-0001"));
        let sid = session
            .trim_start_matches("bulwark_session=")
            .split(';')
            .next()
            .unwrap()
            .to_string();
        assert!(sid.len() >= 40);
        let attacker = c
            .get(app.url("/api/v1/me"))
            .header("cookie", "bulwark_session=attacker-chosen-0001")
            .send()
            .await
            .unwrap();
        assert_eq!(attacker.status(), StatusCode::UNAUTHORIZED);
        // Logging in again rotates the id; the old one stops working.
        let r2 = c
            .post(app.url("/api/v1/auth/login"))
            .header("cookie", format!("bulwark_session={sid}"))
            .json(&json!({ "username": "sales", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(r2.status(), StatusCode::OK);
        let old = c
            .get(app.url("/api/v1/me"))
            .header("cookie", format!("bulwark_session={sid}"))
            .send()
            .await
            .unwrap();
        assert_eq!(old.status(), StatusCode::UNAUTHORIZED, "{engine}");
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_tokens_and_disabling_a_user() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 5).await;
        let s = app.login("sales").await;
        // State-changing request with the cookie but without the CSRF header: refused.
        let r = s
            .client
            .post(app.url("/api/v1/accounts"))
            .json(&json!({ "name": "CSRF Test Co" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.ctx.store.count(Entity::Accounts).await.unwrap(), 91 + 5);
        let aud = app.login("auditor").await;
        let ev = aud
            .get(&format!(
                "/api/v1/audit/events?action=csrf&actor_id={}",
                s.user_id
            ))
            .await;
        assert_eq!(
            ev.body["items"].as_array().unwrap().len(),
            1,
            "{engine}: {}",
            ev.body
        );
        assert_eq!(ev.body["items"][0]["outcome"], "denied");
        let ok = s
            .post("/api/v1/accounts", json!({ "name": "CSRF Test Co" }))
            .await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
        assert_eq!(
            ok.body["owner_id"],
            s.user_id.as_str(),
            "a new account is owned by its creator"
        );
        // A personal API token from the CLI works as a bearer token (no CSRF needed).
        let args = DataArgs {
            data_dir: app.dir.path().to_path_buf(),
            database: app.db_url.clone(),
            sqlite_synchronous: None,
        };
        assert!(token::parse_ttl("91d").is_err());
        assert!(token::parse_ttl("0h").is_err());
        let tok = app.bearer_token("sales").await;
        let c = app.client();
        let with_token = |path: &str| c.get(app.url(path)).bearer_auth(&tok).send();
        assert_eq!(
            with_token("/api/v1/accounts").await.unwrap().status(),
            StatusCode::OK
        );
        // A new password ends the sessions and tokens made with the old one.
        let other = app.login("sales").await;
        let pwfile = app.dir.path().join("pw");
        std::fs::write(&pwfile, format!("{PASSWORD}\n")).unwrap();
        user::run(
            &args,
            user::UserCmd::SetPassword {
                username: "sales".into(),
                password_file: pwfile,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            other.get("/api/v1/me").await.status,
            StatusCode::UNAUTHORIZED,
            "{engine}"
        );
        assert_eq!(
            with_token("/api/v1/accounts").await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
        let s = app.login("sales").await;
        // Derived amounts and import keys are the server's.
        let order = s.list_all("orders", "").await[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = s
            .patch(
                &format!("/api/v1/orders/{order}"),
                json!({ "total_amount": "1.00" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = s
            .post(
                "/api/v1/accounts",
                json!({ "name": "Probe", "external_id": "ALFKI" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let tok = app.bearer_token("sales").await;
        let with_token = |path: &str| c.get(app.url(path)).bearer_auth(&tok).send();
        assert_eq!(
            with_token("/api/v1/accounts").await.unwrap().status(),
            StatusCode::OK
        );
        // Disable the user from the CLI: the next request of the session and the token fails.
        user::run(
            &args,
            user::UserCmd::Disable {
                username: "sales".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            s.get("/api/v1/accounts").await.status,
            StatusCode::UNAUTHORIZED,
            "{engine}"
        );
        assert_eq!(
            with_token("/api/v1/accounts").await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
        let again = app
            .client()
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "username": "sales", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reveal_needs_permission_and_a_reason_and_is_audited() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 20).await;
        // sales_manager may reveal contacts; pick a contact whose mobile it sees masked by
        // assigning it to an account outside its team.
        let sm = app.login("sales_manager").await;
        let nancy_acc = {
            let all = bulwark_store::ScopeCtx::unscoped();
            let q = bulwark_store::ListQuery {
                sort: ("name", bulwark_store::Dir::Asc),
                filters: vec![],
                search: None,
                after: None,
                limit: 1,
            };
            app.ctx
                .store
                .list(Entity::Accounts, &q, &all)
                .await
                .unwrap()[0]
                .id()
                .to_string()
        };
        let ev =
            bulwark_cli::context::cli_event("assign", Some("accounts"), vec![nancy_acc.clone()]);
        app.ctx
            .store
            .assign(&nancy_acc, &sm.user_id, ev)
            .await
            .unwrap();
        let contacts = sm
            .list_all("contacts", &format!("&account_id={nancy_acc}"))
            .await;
        assert_eq!(contacts.len(), 1, "{engine}");
        let c = &contacts[0];
        let masked = c["phone"].as_str().unwrap().to_string();
        assert!(
            masked.contains('*'),
            "phone masked on an assigned (not owned) account: {masked}"
        );
        let id = c["id"].as_str().unwrap();
        let short = sm
            .post(
                &format!("/api/v1/contacts/{id}/reveal"),
                json!({ "fields": ["phone"], "reason": "hi" }),
            )
            .await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = sm
            .post(
                &format!("/api/v1/contacts/{id}/reveal"),
                json!({ "fields": ["phone"], "reason": "customer called back about order 10248" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let clear = r.body["fields"]["phone"].as_str().unwrap();
        assert!(!clear.contains('*'));
        assert!(clear.ends_with(&masked[masked.len() - 4..]));
        // field_staff has no reveal permission: 403, audited.
        let fs = app.login("field_staff").await;
        let fc = fs.list_all("contacts", "").await;
        let fid = fc[0]["id"].as_str().unwrap();
        let denied = fs
            .post(
                &format!("/api/v1/contacts/{fid}/reveal"),
                json!({ "fields": ["mobile"], "reason": "just curious today" }),
            )
            .await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        let aud = app.login("auditor").await;
        let ev = aud.get("/api/v1/audit/events?action=reveal&limit=20").await;
        let items = ev.body["items"].as_array().unwrap();
        assert!(items.iter().any(|e| e["outcome"] == "success"
            && e["reason"] == "customer called back about order 10248"
            && e["fields"][0] == "phone"));
        assert!(
            items
                .iter()
                .any(|e| e["outcome"] == "denied" && e["actor_id"] == fs.user_id.as_str()),
            "{engine}"
        );
        assert!(
            !ev.body.to_string().contains(clear),
            "revealed value not in the audit log"
        );
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_matches_the_catalogue_and_policy_explain_names_the_reasons() {
    for engine in engines() {
        let (ctx, dir, url) = open_ctx(engine).await;
        for e in bulwark_domain::catalogue::ALL {
            let mut cols = ctx.store.table_columns(*e).await.unwrap();
            let mut want: Vec<String> = e.def().fields.iter().map(|f| f.name.to_string()).collect();
            cols.sort();
            want.sort();
            assert_eq!(cols, want, "{e} on {engine}");
        }
        // Migrating twice is a no-op.
        ctx.store.migrate().await.unwrap();
        bulwark_cli::commands::demo::seed(&ctx, 20).await.unwrap();
        let out = bulwark_cli::commands::policy::explain(&ctx, "field_staff", "contacts", None)
            .await
            .unwrap();
        assert!(
            out.contains("role field_staff: actions [read], scope own"),
            "{out}"
        );
        assert!(out.contains("mobile") && out.contains("masked"), "{out}");
        assert!(out.contains("id_number") && out.contains("hidden"), "{out}");
        let out = bulwark_cli::commands::policy::explain(&ctx, "finance", "contacts", None)
            .await
            .unwrap();
        assert!(out.contains("403"), "{out}");
        assert!(
            bulwark_cli::commands::policy::explain(&ctx, "nobody", "contacts", None)
                .await
                .is_err()
        );
        let _ = (dir, url);
        ctx.store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sysadmin_manages_users_but_not_its_own_roles_and_sees_no_business_data() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 5).await;
        let admin = app.login("sysadmin").await;
        let me = admin.user_id.clone();
        let own = admin
            .patch(
                &format!("/api/v1/users/{me}"),
                json!({ "roles": ["sysadmin", "executive"] }),
            )
            .await;
        assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
        assert_eq!(own.body["code"], "self_change");
        assert_eq!(
            admin.get("/api/v1/accounts").await.status,
            StatusCode::FORBIDDEN
        );
        // A new employee, then a role change for them.
        let created = admin
            .post("/api/v1/users", json!({ "username": "li.lei", "display_name": "李雷", "roles": ["field_staff"], "region": "上海市" }))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert_eq!(created.body["status"], "active");
        let id = created.body["id"].as_str().unwrap();
        for name in ["SALES", "ｓａｌｅｓ", "li lei", "x"] {
            let r = admin
                .post(
                    "/api/v1/users",
                    json!({ "username": name, "roles": ["sales"] }),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name}: {}",
                r.body
            );
            assert_eq!(r.body["errors"][0]["field"], "username");
        }
        let bad = admin
            .patch(
                &format!("/api/v1/users/{id}"),
                json!({ "roles": ["superuser"] }),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let ok = admin
            .patch(
                &format!("/api/v1/users/{id}"),
                json!({ "roles": ["logistics"] }),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        assert_eq!(ok.body["roles"], json!(["logistics"]), "{engine}");
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrator_duties_are_never_granted_through_the_api() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 5).await;
        let admin = app.login("sysadmin").await;
        let before = app
            .ctx
            .store
            .count(bulwark_domain::Entity::Users)
            .await
            .unwrap();
        for roles in [
            json!(["auditor"]),
            json!(["secadmin", "sales"]),
            json!(["sysadmin"]),
        ] {
            let r = admin
                .post(
                    "/api/v1/users",
                    json!({ "username": "evil", "roles": roles }),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{roles} {}", r.body);
            assert_eq!(r.body["code"], "admin_duty_roles");
        }
        assert_eq!(
            app.ctx
                .store
                .count(bulwark_domain::Entity::Users)
                .await
                .unwrap(),
            before
        );
        // Nor may the API change the roles of a user who holds a duty (no business data for
        // the auditor through the back door).
        let auditor = app.user_id("auditor").await;
        let r = admin
            .patch(
                &format!("/api/v1/users/{auditor}"),
                json!({ "roles": ["auditor", "executive"] }),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{engine}: {}", r.body);
        let row = app
            .ctx
            .store
            .user_by_username("auditor")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.roles, vec!["auditor".to_string()]);
        app.finish().await;
    }
}
