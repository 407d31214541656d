//! Basic end-to-end behaviour over HTTPS on both engines: health, login, a role's view.

#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::*;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_login_and_field_staff_view() {
    for engine in engines() {
        let app = TestApp::seeded(engine, 20).await;
        let c = app.client();
        let r = c.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().contains_key("strict-transport-security"));
        let s = app.login("field_staff").await;
        let items = s.list_all("accounts", "").await;
        assert_eq!(
            items.len(),
            1,
            "field staff sees only assigned accounts ({engine})"
        );
        for it in &items {
            let keys: Vec<&String> = it.as_object().unwrap().keys().collect();
            assert_eq!(keys, vec!["address", "id", "name"], "{engine}");
        }
        app.finish().await;
    }
}
