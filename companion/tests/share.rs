//! The history and share links: store, open, survive a restart, revoke,
//! expire, refuse bad snapshots and ids, and take concurrent shares.

mod support;

use std::time::Duration;

use chimera_companion::backend::Timeouts;
use chimera_shared::agents::personas::AgentId;
use chimera_shared::agents::report::Environment;
use chimera_shared::snapshot::{
    AgentHeadline, InventoryHeadline, SNAPSHOT_VERSION, Snapshot, SnapshotFiles,
};
use serde_json::{Value, json};
use support::*;

fn snapshot(title: &str) -> Snapshot {
    Snapshot {
        version: SNAPSHOT_VERSION,
        title: title.into(),
        created_at: "2026-12-03T13:00:00Z".into(),
        scenario: "chimera_homo".into(),
        mode: "parallel".into(),
        runs: 1,
        agents: vec![
            AgentHeadline {
                agent: AgentId::A,
                backend: "gpu0".into(),
                model: "gemma3".into(),
                tokens_per_second: Some(39.57),
                ttft_ms: Some(551.7),
                total_ms: 58_699.0,
            },
            AgentHeadline {
                agent: AgentId::B,
                backend: "gpu1".into(),
                model: "gemma3".into(),
                tokens_per_second: Some(41.0),
                ttft_ms: Some(420.0),
                total_ms: 50_000.0,
            },
        ],
        inventory: InventoryHeadline {
            source: "reports.zip".into(),
            files: 107,
            bytes: 590_563,
            csv: 28,
            json: 44,
            md: 29,
            other: 6,
            problems: 1,
        },
        environment: Environment::default(),
        files: SnapshotFiles {
            combined_report: "# Chimera Combined Report\n\n<script>alert(1)</script>\n".into(),
            agent_a_report: "# Chimera Agent A\n".into(),
            agent_b_report: "# Chimera Agent B\n".into(),
            metrics_json: Some("{\"schema\":\"chimera.run/1\"}".into()),
        },
    }
}

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    fn new(companion: &Companion) -> Self {
        Self {
            base: format!("http://{}", companion.addr),
            http: reqwest::Client::new(),
        }
    }

    async fn store(&self, snapshot: &Snapshot) -> String {
        let response = self
            .http
            .post(format!("{}/api/runs", self.base))
            .body(snapshot.to_json())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn share(&self, id: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}/api/runs/{id}/share", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_shared_report_opens_and_survives_a_restart() {
    let data_dir =
        std::env::temp_dir().join(format!("chimera-share-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let first = start_companion_with_data(vec![], Timeouts::default(), &data_dir).await;
    let client = Client::new(&first);
    let id = client.store(&snapshot("before restart")).await;
    assert_eq!(id.len(), 32, "128 bits as hex");
    // Not shared yet: the link does not work.
    assert_eq!(
        client.get(&format!("/api/reports/{id}")).await.status(),
        404
    );
    let shared: Value = client.share(&id, json!({})).await.json().await.unwrap();
    assert_eq!(shared["url"], format!("http://{}/r/{id}", first.addr));
    let page = client.get(&format!("/r/{id}")).await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text().await.unwrap().contains("<title>test</title>"),
        "the page itself is served"
    );
    first.task.abort();
    let _ = first.task.await;

    let second = start_companion_with_data(vec![], Timeouts::default(), &data_dir).await;
    let client = Client::new(&second);
    let opened: Snapshot = client
        .get(&format!("/api/reports/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(opened, snapshot("before restart"));
    let list: Value = client.get("/api/runs").await.json().await.unwrap();
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["shared"], true);
    assert_eq!(list[0]["agents"][0]["tokens_per_second"], 39.57);
}

#[tokio::test]
async fn a_revoked_link_answers_410_with_a_clear_page() {
    let companion = start_companion(vec![], Timeouts::default()).await;
    let client = Client::new(&companion);
    let id = client.store(&snapshot("to revoke")).await;
    client.share(&id, json!({})).await;
    let revoke = client
        .http
        .post(format!("{}/api/runs/{id}/revoke", client.base))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    assert_eq!(
        client.get(&format!("/api/reports/{id}")).await.status(),
        410
    );
    let page = client.get(&format!("/r/{id}")).await;
    assert_eq!(page.status(), 410);
    let html = page.text().await.unwrap();
    assert!(html.contains("revoked"), "{html}");
    assert!(!html.contains("<script"), "the error page runs no script");
}

#[tokio::test]
async fn an_expired_link_answers_410() {
    let companion = start_companion(vec![], Timeouts::default()).await;
    let client = Client::new(&companion);
    let id = client.store(&snapshot("short-lived")).await;
    let shared: Value = client
        .share(&id, json!({"expires_in_hours": 0.0003}))
        .await
        .json()
        .await
        .unwrap();
    assert!(shared["expires_at"].as_i64().is_some());
    assert_eq!(
        client.get(&format!("/api/reports/{id}")).await.status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let gone = client.get(&format!("/api/reports/{id}")).await;
    assert_eq!(gone.status(), 410);
    assert!(gone.text().await.unwrap().contains("expired"));
    let bad = client.share(&id, json!({"expires_in_hours": -1})).await;
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn unknown_and_malformed_ids_answer_404() {
    let companion = start_companion(vec![], Timeouts::default()).await;
    let client = Client::new(&companion);
    for id in [
        "00000000000000000000000000000000",
        "1",
        "..%2f..%2fetc",
        "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
    ] {
        assert_eq!(
            client.get(&format!("/api/reports/{id}")).await.status(),
            404,
            "{id}"
        );
        let page = client.get(&format!("/r/{id}")).await;
        assert_eq!(page.status(), 404, "{id}");
    }
    assert_eq!(
        client
            .share("00000000000000000000000000000000", json!({}))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn malformed_and_oversized_snapshots_are_refused() {
    let companion = start_companion(vec![], Timeouts::default()).await;
    let client = Client::new(&companion);
    let post = |body: String| {
        client
            .http
            .post(format!("{}/api/runs", client.base))
            .body(body)
            .send()
    };
    let garbage = post("not json".into()).await.unwrap();
    assert_eq!(garbage.status(), 422);
    assert!(
        garbage
            .text()
            .await
            .unwrap()
            .contains("not a Chimera report snapshot")
    );
    let mut extra = serde_json::to_value(snapshot("x")).unwrap();
    extra["evil"] = json!(true);
    assert_eq!(post(extra.to_string()).await.unwrap().status(), 422);
    let mut bad_metrics = snapshot("x");
    bad_metrics.files.metrics_json = Some("{oops".into());
    assert_eq!(post(bad_metrics.to_json()).await.unwrap().status(), 422);
    let mut huge = snapshot("x");
    huge.files.agent_a_report = "x".repeat(17 * 1024 * 1024);
    assert_eq!(post(huge.to_json()).await.unwrap().status(), 413);
}

#[tokio::test]
async fn concurrent_shares_all_get_distinct_working_links() {
    let companion = start_companion(vec![], Timeouts::default()).await;
    let client = std::sync::Arc::new(Client::new(&companion));
    let mut tasks = Vec::new();
    for i in 0..24 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let id = client.store(&snapshot(&format!("run {i}"))).await;
            let shared: Value = client.share(&id, json!({})).await.json().await.unwrap();
            (id, shared["url"].as_str().unwrap().to_owned())
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        let (id, _url) = task.await.unwrap();
        assert_eq!(
            client.get(&format!("/api/reports/{id}")).await.status(),
            200
        );
        ids.insert(id);
    }
    assert_eq!(ids.len(), 24);
    let list: Value = client.get("/api/runs").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 24);
}

#[tokio::test]
async fn clearing_the_history_keeps_shared_links() {
    let companion = start_companion(vec![], Timeouts::default()).await;
    let client = Client::new(&companion);
    let kept = client.store(&snapshot("shared")).await;
    client.share(&kept, json!({})).await;
    client.store(&snapshot("private")).await;
    let cleared: Value = client
        .http
        .delete(format!("{}/api/runs", client.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["deleted"], 1);
    let list: Value = client.get("/api/runs").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(
        client.get(&format!("/api/reports/{kept}")).await.status(),
        200
    );
}

#[tokio::test]
async fn other_sites_cannot_store_or_revoke() {
    let companion = start_companion(vec![], Timeouts::default()).await;
    let client = Client::new(&companion);
    let id = client.store(&snapshot("mine")).await;
    let attack = client
        .http
        .post(format!("{}/api/runs/{id}/revoke", client.base))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(attack.status(), 403);
}
