//! A stand-in for Ollama's native API, for tests. It follows Ollama's
//! documented wire format: `/api/chat` and `/api/generate` stream NDJSON
//! whose last line has `done: true` and nanosecond durations; errors are
//! `{"error": "..."}` with a 4xx/5xx status, or an error line mid-stream.
//!
//! The real model (`REAL_MODEL`) is served by forwarding to a llama.cpp
//! server and translating its stream and `timings`, so its figures are
//! measured, not made up. The other models script the situations a client
//! must survive:
//!
//! | model | behaviour |
//! | --- | --- |
//! | `standin/report` | a short Markdown report with numbered sections |
//! | `standin/thinking` | thinking text, then the answer |
//! | `standin/error-midstream` | a few tokens, then an `{"error"}` line |
//! | `standin/abrupt-close` | a few tokens, then the connection is cut |
//! | `standin/slow-start` | waits `SLOW_START_MS` before the first byte |
//! | `standin/split-utf8` | lines split in the middle of UTF-8 characters |
//! | `standin/absent-fields` | a final line with `done: true` and nothing else |
//! | `standin/malformed` | a line that is not JSON |
//! | `standin/endless` | a token every 20 ms until the client disconnects |
//!
//! Any other model name is answered like Ollama answers a model it lacks.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde_json::{Value, json};

/// The model name under which the real model is served.
pub const REAL_MODEL: &str = "smollm2:135m";
pub const SLOW_START_MS: u64 = 1500;
/// A canned technical report with numbered sections, one right count
/// (28 CSV files) and one wrong count (47 JSON files, the example has 44).
pub const REPORT_TEXT: &str = "## 1. Executive Summary\n\nThe folder holds 28 CSV files and 47 JSON files.\n\n## 4. Key Findings\n\n1. TTFT varies widely.\n2. artifacts/ is missing.\n\n## 5. Recommendations\n\n1. Record GPU telemetry.\n2. Repeat each run three times.\n";

const SCRIPTED: [&str; 9] = [
    "standin/report",
    "standin/thinking",
    "standin/error-midstream",
    "standin/abrupt-close",
    "standin/slow-start",
    "standin/split-utf8",
    "standin/absent-fields",
    "standin/malformed",
    "standin/endless",
];

/// What a test can observe of the stand-in.
#[derive(Debug, Default)]
pub struct Observed {
    /// When each streaming response was dropped before it finished
    /// (the client went away).
    pub disconnects: Vec<Instant>,
    /// Request bodies received on the generation endpoints.
    pub requests: Vec<Value>,
}

#[derive(Clone)]
struct AppState {
    /// The llama.cpp server's `/v1` root, when the real model is available.
    upstream: Option<String>,
    client: reqwest::Client,
    observed: Arc<Mutex<Observed>>,
}

/// A running stand-in.
pub struct StandIn {
    pub addr: SocketAddr,
    pub observed: Arc<Mutex<Observed>>,
}

impl StandIn {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Starts a stand-in on 127.0.0.1 (port 0 picks a free one).
pub async fn spawn(port: u16, upstream: Option<String>) -> anyhow::Result<StandIn> {
    let observed = Arc::new(Mutex::new(Observed::default()));
    let state = AppState {
        upstream,
        client: reqwest::Client::builder().no_proxy().build()?,
        observed: observed.clone(),
    };
    let app = Router::new()
        .route(
            "/api/version",
            get(|| async { Json(json!({"version": "0.0.0-standin"})) }),
        )
        .route("/api/tags", get(tags))
        .route("/api/ps", get(ps))
        .route("/api/chat", post(chat))
        .route("/api/generate", post(generate))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
        let _ = stream.set_nodelay(true);
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(StandIn { addr, observed })
}

async fn tags(State(state): State<AppState>) -> Json<Value> {
    let mut models: Vec<Value> = SCRIPTED
        .iter()
        .map(|name| model_entry(name, 1_000, "standin", "0", "none"))
        .collect();
    if state.upstream.is_some() {
        models.insert(
            0,
            model_entry(REAL_MODEL, 98_362_432, "llama", "135M", "Q4_1"),
        );
    }
    Json(json!({"models": models}))
}

fn model_entry(
    name: &str,
    size: u64,
    family: &str,
    parameter_size: &str,
    quantization: &str,
) -> Value {
    json!({
        "name": name, "model": name, "modified_at": "2025-10-08T12:27:00Z", "size": size,
        "digest": format!("sha256:{:064x}", name.len()),
        "details": {"format": "gguf", "family": family, "families": [family],
                    "parameter_size": parameter_size, "quantization_level": quantization}
    })
}

async fn ps(State(state): State<AppState>) -> Json<Value> {
    let models: Vec<Value> = if state.upstream.is_some() {
        vec![
            json!({"name": REAL_MODEL, "model": REAL_MODEL, "size": 120_000_000u64, "size_vram": 0,
                    "details": {"family": "llama", "parameter_size": "135M", "quantization_level": "Q4_1"}}),
        ]
    } else {
        Vec::new()
    };
    Json(json!({"models": models}))
}

async fn chat(State(state): State<AppState>, Json(body): Json<Value>) -> Response {
    respond(state, body, Api::Chat).await
}

async fn generate(State(state): State<AppState>, Json(body): Json<Value>) -> Response {
    respond(state, body, Api::Generate).await
}

#[derive(Clone, Copy, PartialEq)]
enum Api {
    Chat,
    Generate,
}

/// One streamed piece of an answer, shaped for the API that was called.
fn text_line(api: Api, model: &str, content: &str, thinking: &str) -> String {
    let mut line = match api {
        Api::Chat => json!({"model": model, "created_at": "2025-10-08T12:27:00Z",
                             "message": {"role": "assistant", "content": content}, "done": false}),
        Api::Generate => {
            json!({"model": model, "created_at": "2025-10-08T12:27:00Z", "response": content, "done": false})
        }
    };
    if !thinking.is_empty() {
        match api {
            Api::Chat => line["message"]["thinking"] = json!(thinking),
            Api::Generate => line["thinking"] = json!(thinking),
        }
    }
    format!("{line}\n")
}

fn final_line(api: Api, model: &str, figures: &Value) -> String {
    let mut line = match api {
        Api::Chat => json!({"model": model, "created_at": "2025-10-08T12:27:00Z",
                             "message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop"}),
        Api::Generate => {
            json!({"model": model, "created_at": "2025-10-08T12:27:00Z", "response": "", "done": true,
                                 "done_reason": "stop", "context": [1, 2, 3]})
        }
    };
    if let (Some(line), Some(figures)) = (line.as_object_mut(), figures.as_object()) {
        for (key, value) in figures {
            line.insert(key.clone(), value.clone());
        }
    }
    format!("{line}\n")
}

fn not_found(model: &str) -> Response {
    let body = json!({"error": format!("model '{model}' not found, try pulling it first")});
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

fn ndjson(
    stream: impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
) -> Response {
    let mut response = Body::from_stream(stream).into_response();
    response.headers_mut().insert(
        "content-type",
        "application/x-ndjson".parse().expect("a valid header"),
    );
    response
}

/// Records a disconnect when a response is dropped before it completed.
struct DisconnectGuard {
    observed: Arc<Mutex<Observed>>,
    completed: bool,
}

impl Drop for DisconnectGuard {
    fn drop(&mut self) {
        if !self.completed {
            self.observed
                .lock()
                .expect("not poisoned")
                .disconnects
                .push(Instant::now());
        }
    }
}

async fn respond(state: AppState, body: Value, api: Api) -> Response {
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    state
        .observed
        .lock()
        .expect("not poisoned")
        .requests
        .push(body.clone());
    if model == REAL_MODEL && state.upstream.is_some() {
        return real_model(state, body, api, model).await;
    }
    if !SCRIPTED.contains(&model.as_str()) {
        return not_found(&model);
    }
    let observed = state.observed.clone();
    let words = ["Hello", " from", " the", " stand", "-in", "."];
    let stream = async_stream::stream! {
        let mut guard = DisconnectGuard { observed, completed: false };
        let figures = json!({"total_duration": 130_000_000u64, "load_duration": 10_000_000u64,
                              "prompt_eval_count": 12, "prompt_eval_duration": 20_000_000u64,
                              "eval_count": words.len(), "eval_duration": 100_000_000u64});
        match model.as_str() {
            "standin/report" => {
                let mut rest = REPORT_TEXT;
                while !rest.is_empty() {
                    let cut = rest.char_indices().nth(12).map_or(rest.len(), |(i, _)| i);
                    yield Ok(Bytes::from(text_line(api, &model, &rest[..cut], "")));
                    rest = &rest[cut..];
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                yield Ok(Bytes::from(final_line(api, &model, &figures)));
            }
            "standin/thinking" => {
                for piece in ["Let me", " think."] {
                    yield Ok(Bytes::from(text_line(api, &model, "", piece)));
                }
                for word in words {
                    yield Ok(Bytes::from(text_line(api, &model, word, "")));
                }
                yield Ok(Bytes::from(final_line(api, &model, &figures)));
            }
            "standin/error-midstream" => {
                for word in &words[..3] {
                    yield Ok(Bytes::from(text_line(api, &model, word, "")));
                }
                yield Ok(Bytes::from("{\"error\":\"an error was encountered while running the model: CUDA error: out of memory\"}\n"));
            }
            "standin/abrupt-close" => {
                for word in &words[..3] {
                    yield Ok(Bytes::from(text_line(api, &model, word, "")));
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                yield Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "stand-in cut the connection"));
            }
            "standin/slow-start" => {
                tokio::time::sleep(Duration::from_millis(SLOW_START_MS)).await;
                for word in words {
                    yield Ok(Bytes::from(text_line(api, &model, word, "")));
                }
                yield Ok(Bytes::from(final_line(api, &model, &figures)));
            }
            "standin/split-utf8" => {
                let line = text_line(api, &model, "naïve café 🚀 ✓", "");
                let bytes = line.into_bytes();
                let cut = bytes.iter().position(|b| *b == 0xF0).expect("the rocket is there") + 2;
                yield Ok(Bytes::from(bytes[..cut].to_vec()));
                tokio::time::sleep(Duration::from_millis(30)).await;
                yield Ok(Bytes::from(bytes[cut..].to_vec()));
                let last = final_line(api, &model, &figures).into_bytes();
                yield Ok(Bytes::from(last[..7].to_vec()));
                tokio::time::sleep(Duration::from_millis(30)).await;
                yield Ok(Bytes::from(last[7..].to_vec()));
            }
            "standin/absent-fields" => {
                for word in words {
                    yield Ok(Bytes::from(text_line(api, &model, word, "")));
                }
                yield Ok(Bytes::from("{\"done\":true}\n"));
            }
            "standin/malformed" => {
                yield Ok(Bytes::from(text_line(api, &model, "Hi", "")));
                yield Ok(Bytes::from("<html><body>502 Bad Gateway</body></html>\n"));
            }
            _ => {
                // standin/endless
                let mut n = 0u64;
                loop {
                    yield Ok(Bytes::from(text_line(api, &model, &format!(" t{n}"), "")));
                    n += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
        guard.completed = true;
    };
    ndjson(stream)
}

/// Serves the real model through llama.cpp, translated to Ollama's format
/// with llama.cpp's measured timings converted to nanoseconds.
async fn real_model(state: AppState, body: Value, api: Api, model: String) -> Response {
    let upstream = state.upstream.clone().expect("checked by the caller");
    let options = body.get("options").cloned().unwrap_or_else(|| json!({}));
    let mut messages = Vec::new();
    match api {
        Api::Chat => {
            for message in body
                .get("messages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                messages.push(message.clone());
            }
        }
        Api::Generate => {
            if let Some(system) = body.get("system") {
                messages.push(json!({"role": "system", "content": system}));
            }
            messages.push(
                json!({"role": "user", "content": body.get("prompt").cloned().unwrap_or_default()}),
            );
        }
    }
    let mut request = json!({"model": "x", "messages": messages, "stream": true,
                             "stream_options": {"include_usage": true}});
    for (from, to) in [
        ("temperature", "temperature"),
        ("top_p", "top_p"),
        ("top_k", "top_k"),
        ("seed", "seed"),
        ("repeat_penalty", "repeat_penalty"),
        ("num_predict", "max_tokens"),
    ] {
        if let Some(value) = options.get(from) {
            request[to] = value.clone();
        }
    }
    let started = Instant::now();
    let response = match state
        .client
        .post(format!("{upstream}/chat/completions"))
        .json(&request)
        .send()
        .await
    {
        Ok(response) if response.status().is_success() => response,
        Ok(response) => {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"error": format!("llama.cpp answered {status}: {text}")})),
            )
                .into_response();
        }
        Err(error) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"error": format!("llama.cpp is not reachable: {error}")})),
            )
                .into_response();
        }
    };
    let observed = state.observed.clone();
    let stream = async_stream::stream! {
        let mut guard = DisconnectGuard { observed, completed: false };
        let mut upstream_body = response.bytes_stream();
        let mut pending: Vec<u8> = Vec::new();
        let mut timings = Value::Null;
        'outer: while let Some(chunk) = upstream_body.next().await {
            let Ok(chunk) = chunk else { break };
            pending.extend_from_slice(&chunk);
            while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line);
                let Some(data) = line.trim().strip_prefix("data:") else { continue };
                let data = data.trim();
                if data == "[DONE]" {
                    break 'outer;
                }
                let Ok(value) = serde_json::from_str::<Value>(data) else { continue };
                if let Some(content) = value.pointer("/choices/0/delta/content").and_then(Value::as_str)
                    && !content.is_empty()
                {
                    yield Ok::<_, std::io::Error>(Bytes::from(text_line(api, &model, content, "")));
                }
                if value.get("timings").is_some() {
                    timings = value["timings"].clone();
                }
            }
        }
        let ms_to_ns = |key: &str| timings.get(key).and_then(Value::as_f64).map(|ms| (ms * 1e6).round() as u64);
        let figures = json!({
            "total_duration": started.elapsed().as_nanos() as u64,
            // llama.cpp keeps its model loaded: nothing is loaded per request.
            "load_duration": 0,
            "prompt_eval_count": timings.get("prompt_n"),
            "prompt_eval_duration": ms_to_ns("prompt_ms"),
            "eval_count": timings.get("predicted_n"),
            "eval_duration": ms_to_ns("predicted_ms"),
        });
        yield Ok(Bytes::from(final_line(api, &model, &figures)));
        guard.completed = true;
    };
    ndjson(stream)
}
