//! The JSON API the page calls: the configured backends, and streaming
//! generations as NDJSON (one [`StreamEvent`] per line).

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chimera_shared::llm::{GenerateRequest, StreamEvent};
use futures_util::StreamExt;

use crate::backend::{BackendStatus, Backends};
use crate::generate::generate;

/// Largest request body: prompts carry an inventory summary, never whole files.
const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

pub fn router(backends: Arc<Backends>) -> Router {
    Router::new()
        .route("/backends", get(list_backends))
        .route("/generate", post(start_generation))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(backends)
}

async fn list_backends(State(backends): State<Arc<Backends>>) -> Json<Vec<BackendStatus>> {
    let checks = backends
        .all()
        .iter()
        .map(|backend| backends.status(backend));
    Json(futures_util::future::join_all(checks).await)
}

async fn start_generation(
    State(backends): State<Arc<Backends>>,
    Json(request): Json<GenerateRequest>,
) -> Response {
    let lines = generate(backends, request)
        .map(|event| Ok::<_, Infallible>(Bytes::from(ndjson_line(&event))));
    let mut response = (StatusCode::OK, Body::from_stream(lines)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// One event as a line of NDJSON.
pub fn ndjson_line(event: &StreamEvent) -> String {
    let mut line = serde_json::to_string(event).expect("events always serialise");
    line.push('\n');
    line
}
