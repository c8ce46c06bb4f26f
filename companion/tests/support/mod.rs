//! Fixtures for the companion's tests: a companion on a real loopback socket,
//! the Ollama stand-in, a client that reads the NDJSON event stream, and the
//! real llama.cpp server when the test setup started one.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use chimera_companion::backend::{BackendSpec, Backends, Timeouts};
use chimera_companion::server::{ServeConfig, router};
use chimera_shared::llm::{GenerateRequest, GenerationOptions, StreamEvent};
use futures_util::StreamExt;

/// A companion serving on 127.0.0.1 with the given backends.
pub struct Companion {
    pub addr: SocketAddr,
    pub backends: Arc<Backends>,
    pub task: tokio::task::JoinHandle<()>,
}

pub async fn start_companion(specs: Vec<BackendSpec>, timeouts: Timeouts) -> Companion {
    let data_dir = std::env::temp_dir().join(format!(
        "chimera-test-data-{}-{}",
        std::process::id(),
        unique()
    ));
    start_companion_with_data(specs, timeouts, &data_dir).await
}

/// A companion whose history lives in `data_dir`. Aborting `task` stops it.
pub async fn start_companion_with_data(
    specs: Vec<BackendSpec>,
    timeouts: Timeouts,
    data_dir: &std::path::Path,
) -> Companion {
    let backends = Arc::new(Backends::new(specs, timeouts).expect("backends set up"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let store = chimera_companion::store::Store::open(data_dir).expect("a test database");
    let config = ServeConfig {
        listen: addr,
        web_dir: web_dir(),
        backends: backends.clone(),
        store,
    };
    let app = router(&config);
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Companion {
        addr,
        backends,
        task,
    }
}

/// A number no other call in this process returns.
pub fn unique() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

/// A folder with a stand-in page, so the tests do not need the real build.
pub fn web_dir() -> PathBuf {
    let dir = std::env::temp_dir().join("chimera-test-web");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!DOCTYPE html><title>test</title>").unwrap();
    dir
}

pub fn spec(text: &str) -> BackendSpec {
    BackendSpec::parse(text).unwrap()
}

pub fn request(backend: &str, model: &str) -> GenerateRequest {
    GenerateRequest {
        backend: backend.into(),
        model: model.into(),
        system: Some("You are terse.".into()),
        prompt: "Say hello.".into(),
        options: GenerationOptions::default(),
    }
}

/// Posts a generation to the companion and collects every event.
pub async fn generate_events(addr: SocketAddr, request: &GenerateRequest) -> Vec<StreamEvent> {
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/api/generate"))
        .json(request)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let body = response.text().await.unwrap();
    body.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// The answer text of a list of events.
pub fn text_of(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Delta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// Reads events from a streaming response one line at a time.
pub struct EventReader {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    pending: Vec<u8>,
}

impl EventReader {
    pub async fn open(addr: SocketAddr, request: &GenerateRequest) -> Self {
        let response = reqwest::Client::new()
            .post(format!("http://{addr}/api/generate"))
            .json(request)
            .send()
            .await
            .unwrap();
        Self {
            body: Box::pin(response.bytes_stream()),
            pending: Vec::new(),
        }
    }

    pub async fn next(&mut self) -> Option<StreamEvent> {
        loop {
            if let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                return Some(serde_json::from_slice(&line).unwrap());
            }
            let chunk = self.body.next().await?.ok()?;
            self.pending.extend_from_slice(&chunk);
        }
    }
}

/// The llama.cpp server the test setup started (`scripts/test.sh` sets
/// `CHIMERA_TEST_LLAMA_URL`). Where `CHIMERA_REQUIRE_REAL_LLM` is set, as in
/// CI, a missing server fails the test instead of skipping it.
pub fn real_llama_url() -> Option<String> {
    match std::env::var("CHIMERA_TEST_LLAMA_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CHIMERA_REQUIRE_REAL_LLM").is_none(),
                "CHIMERA_REQUIRE_REAL_LLM is set but CHIMERA_TEST_LLAMA_URL is not"
            );
            eprintln!("skipped: no real model (set CHIMERA_TEST_LLAMA_URL; scripts/test.sh does)");
            None
        }
    }
}
