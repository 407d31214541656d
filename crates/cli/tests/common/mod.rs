//! Test harness: a real server over HTTPS on loopback, on a fresh SQLite file or a freshly
//! created, randomly named PostgreSQL database (when `BULWARK_TEST_DATABASE_URL` is set),
//! seeded with the demo data (Northwind + generated) and one user per role with a known
//! password. Every test runs once per engine through [`engines`].

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use bulwark_cli::DataArgs;
use bulwark_cli::context::Ctx;
use bulwark_server::password::{Cost, Passwords};
use bulwark_server::{HttpSettings, Listen, build_state};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use std::net::SocketAddr;

/// The password every seeded test user gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// Engines to run against: SQLite always, PostgreSQL when configured.
pub fn engines() -> Vec<&'static str> {
    let mut v = vec!["sqlite"];
    if std::env::var("BULWARK_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        v.push("postgres");
    }
    v
}

/// Cheap Argon2 for tests.
pub fn test_cost() -> Cost {
    Cost {
        m_kib: 256,
        t: 1,
        p: 1,
    }
}

/// A running test server.
pub struct TestApp {
    pub engine: &'static str,
    pub addr: SocketAddr,
    pub ctx: Ctx,
    pub dir: tempfile::TempDir,
    pub db_url: Option<String>,
    handle: bulwark_server::app::ServerHandle,
}

fn admin_url() -> String {
    std::env::var("BULWARK_TEST_DATABASE_URL").unwrap()
}

/// Creates a randomly named PostgreSQL database and returns its URL.
async fn fresh_pg_database() -> String {
    use sqlx::Connection;
    let admin = admin_url();
    let name = format!("bw_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to test cluster");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    conn.close().await.ok();
    match admin.rfind('/') {
        Some(i) => format!("{}/{name}", &admin[..i]),
        None => panic!("BULWARK_TEST_DATABASE_URL has no database path"),
    }
}

async fn drop_pg_database(url: &str) {
    use sqlx::Connection;
    let name = url.rsplit('/').next().unwrap().to_string();
    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url()).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
        conn.close().await.ok();
    }
}

/// Opens a data directory (and database) for `engine` without seeding or serving.
pub async fn open_ctx(engine: &'static str) -> (Ctx, tempfile::TempDir, Option<String>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let db_url = if engine == "postgres" {
        Some(fresh_pg_database().await)
    } else {
        None
    };
    let args = DataArgs {
        data_dir: dir.path().to_path_buf(),
        database: db_url.clone(),
        sqlite_synchronous: None,
    };
    let ctx = Ctx::open(&args).await.expect("open data dir");
    (ctx, dir, db_url)
}

impl TestApp {
    /// A server with the demo data (`generated` accounts) and every demo user's password set to
    /// [`PASSWORD`].
    pub async fn seeded(engine: &'static str, generated: u32) -> Self {
        let (ctx, dir, db_url) = open_ctx(engine).await;
        bulwark_cli::commands::demo::seed(&ctx, generated)
            .await
            .expect("seed demo data");
        for u in ctx.store.all_users().await.unwrap() {
            let hash = bulwark_server::password::hash_sync(test_cost(), PASSWORD).unwrap();
            ctx.store
                .set_password_hash(&u.user_id, &hash)
                .await
                .unwrap();
        }
        Self::serve(engine, ctx, dir, db_url).await
    }

    /// A server over an already prepared context.
    pub async fn serve(
        engine: &'static str,
        ctx: Ctx,
        dir: tempfile::TempDir,
        db_url: Option<String>,
    ) -> Self {
        let (paths, _) = bulwark_server::tls::ensure_self_signed(&dir.path().join("tls")).unwrap();
        let state = build_state(
            ctx.store.clone(),
            HttpSettings::default(),
            ctx.cursor_key.clone(),
            Passwords::new(test_cost()).unwrap(),
        );
        let (addr, handle, _task) = bulwark_server::spawn(
            state,
            Listen {
                addr: "127.0.0.1:0".parse().unwrap(),
                tls: Some(paths),
            },
        )
        .await
        .expect("server starts");
        Self {
            engine,
            addr,
            ctx,
            dir,
            db_url,
            handle,
        }
    }

    /// Base URL.
    pub fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }

    /// A fresh client (own cookie jar) that trusts the self-signed certificate.
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .tls_danger_accept_invalid_certs(true)
            .build()
            .unwrap()
    }

    /// Logs in as `username` and returns a session.
    pub async fn login(&self, username: &str) -> Session {
        let client = self.client();
        let resp = client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({ "username": username, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "login as {username} on {}",
            self.engine
        );
        let body: Value = resp.json().await.unwrap();
        Session {
            client,
            base: format!("https://{}", self.addr),
            csrf: body["csrf_token"].as_str().unwrap().to_string(),
            user_id: body["user_id"].as_str().unwrap().to_string(),
        }
    }

    /// A personal API token for `username`, valid for an hour (as `bulwark token create`
    /// stores it).
    pub async fn bearer_token(&self, username: &str) -> String {
        use bulwark_server::auth::{TOKEN_PREFIX, digest, new_secret};
        let t = format!("{TOKEN_PREFIX}{}", new_secret().unwrap());
        let exp = bulwark_domain::value::format_timestamp(
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        );
        let uid = self.user_id(username).await;
        let id = uuid::Uuid::now_v7().to_string();
        self.ctx
            .store
            .create_token(&id, &digest(&t), &uid, "test", &exp)
            .await
            .unwrap();
        t
    }

    /// A user's id by username.
    pub async fn user_id(&self, username: &str) -> String {
        self.ctx
            .store
            .user_by_username(username)
            .await
            .unwrap()
            .unwrap()
            .user_id
    }

    /// Stops the server and drops the PostgreSQL database.
    pub async fn finish(self) {
        self.handle.shutdown();
        self.ctx.store.close().await;
        if let Some(url) = &self.db_url {
            drop_pg_database(url).await;
        }
    }
}

/// A logged-in client.
pub struct Session {
    pub client: Client,
    pub base: String,
    pub csrf: String,
    pub user_id: String,
}

/// A response read fully.
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Session {
    /// Sends a request with the CSRF header and reads the answer.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf);
        if let Some(b) = body {
            req = req.json(&b);
        }
        read(req.send().await.unwrap()).await
    }
    /// GET.
    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }
    /// POST JSON.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }
    /// PATCH JSON.
    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PATCH, path, Some(body)).await
    }
    /// DELETE.
    pub async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, None).await
    }
    /// Every item of a list, following cursors.
    pub async fn list_all(&self, entity: &str, query: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/{entity}?limit=200{query}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let a = self.get(&path).await;
            assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.body);
            out.extend(a.body["items"].as_array().unwrap().iter().cloned());
            match a.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        out
    }
}

/// Reads a response into an [`Answer`].
pub async fn read(resp: Response) -> Answer {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        body,
        headers,
    }
}

/// Helpers for the case tests (C02–C20, bad input).
pub mod cases;
