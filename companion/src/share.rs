//! The routes behind the history and share links: storing finished runs,
//! listing, sharing, revoking and opening them. `/r/{id}` serves the page for
//! a valid link, and a plain page with 404 or 410 otherwise.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chimera_shared::snapshot::{MAX_SNAPSHOT_BYTES, Snapshot};
use serde::Deserialize;
use serde_json::json;

use crate::store::{OpenError, Store, StoreError, unix_now};

#[derive(Clone)]
pub struct ShareState {
    pub store: Store,
    /// The page's index.html, served for valid report links.
    pub index_html: std::path::PathBuf,
}

/// Routes under `/api`.
pub fn api_router(state: ShareState) -> Router {
    Router::new()
        .route("/runs", post(store_run).get(list_runs).delete(clear_runs))
        .route("/runs/{id}/share", post(share_run))
        .route("/runs/{id}/revoke", post(revoke_run))
        .route("/reports/{id}", get(open_report))
        .layer(DefaultBodyLimit::max(MAX_SNAPSHOT_BYTES + 1024))
        .with_state(state)
}

/// The `/r/{id}` page route.
pub fn page_router(state: ShareState) -> Router {
    Router::new()
        .route("/r/{id}", get(report_page))
        .with_state(state)
}

fn store_failure(error: &StoreError) -> Response {
    match error {
        StoreError::NotFound => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no run with that id"})),
        )
            .into_response(),
        other => {
            tracing::error!(%other, "report store failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"error": "the report store failed; see the companion's log"})),
            )
                .into_response()
        }
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("store tasks do not panic")
}

async fn store_run(State(state): State<ShareState>, body: Bytes) -> Response {
    let snapshot = match Snapshot::from_json(&body) {
        Ok(snapshot) => snapshot,
        Err(message) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"error": message})),
            )
                .into_response();
        }
    };
    let store = state.store.clone();
    match blocking(move || store.insert(&snapshot, unix_now())).await {
        Ok(id) => {
            tracing::info!(%id, "run stored in the history");
            (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
        }
        Err(error) => store_failure(&error),
    }
}

async fn list_runs(State(state): State<ShareState>) -> Response {
    let store = state.store.clone();
    match blocking(move || store.list()).await {
        Ok(runs) => Json(runs).into_response(),
        Err(error) => store_failure(&error),
    }
}

async fn clear_runs(State(state): State<ShareState>) -> Response {
    let store = state.store.clone();
    match blocking(move || store.clear_history()).await {
        Ok(deleted) => Json(json!({"deleted": deleted})).into_response(),
        Err(error) => store_failure(&error),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareRequest {
    /// Hours until the link stops working; none for a link that lasts.
    #[serde(default)]
    expires_in_hours: Option<f64>,
}

async fn share_run(
    State(state): State<ShareState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request: ShareRequest = if body.is_empty() {
        ShareRequest::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(request) => request,
            Err(e) => {
                return (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({"error": format!("bad share request: {e}")})),
                )
                    .into_response();
            }
        }
    };
    let expires_at = match request.expires_in_hours {
        None => None,
        Some(hours) if hours.is_finite() && hours > 0.0 && hours <= 24.0 * 3650.0 => {
            Some(unix_now() + (hours * 3600.0).ceil() as i64)
        }
        Some(hours) => {
            return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": format!("expires_in_hours must be between 0 and 87600, not {hours}")})))
                .into_response();
        }
    };
    let store = state.store.clone();
    let target = id.clone();
    match blocking(move || store.share(&target, expires_at)).await {
        Ok(()) => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1:7878");
            let url = format!("http://{host}/r/{id}");
            tracing::info!(%id, "report shared");
            Json(json!({"id": id, "url": url, "expires_at": expires_at})).into_response()
        }
        Err(error) => store_failure(&error),
    }
}

async fn revoke_run(State(state): State<ShareState>, Path(id): Path<String>) -> Response {
    let store = state.store.clone();
    match blocking(move || store.revoke(&id)).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => store_failure(&error),
    }
}

async fn open_report(State(state): State<ShareState>, Path(id): Path<String>) -> Response {
    let store = state.store.clone();
    match blocking(move || store.open_shared(&id, unix_now())).await {
        Ok(Ok(snapshot)) => (
            [(header::CONTENT_TYPE, "application/json")],
            snapshot.to_json(),
        )
            .into_response(),
        Ok(Err(reason)) => (
            open_status(&reason),
            Json(json!({"error": reason.to_string()})),
        )
            .into_response(),
        Err(error) => store_failure(&error),
    }
}

fn open_status(reason: &OpenError) -> StatusCode {
    match reason {
        OpenError::NotFound => StatusCode::NOT_FOUND,
        OpenError::Revoked | OpenError::Expired => StatusCode::GONE,
    }
}

async fn report_page(State(state): State<ShareState>, Path(id): Path<String>) -> Response {
    let store = state.store.clone();
    let outcome = blocking(move || store.open_shared(&id, unix_now())).await;
    match outcome {
        Ok(Ok(_)) => match tokio::fs::read_to_string(&state.index_html).await {
            Ok(html) => Html(html).into_response(),
            Err(error) => {
                tracing::error!(%error, "cannot read index.html");
                (StatusCode::INTERNAL_SERVER_ERROR, "the page is not built").into_response()
            }
        },
        Ok(Err(reason)) => {
            let (title, text) = match reason {
                OpenError::NotFound => (
                    "Report not found",
                    "There is no shared Chimera report at this address. Check that the link was copied whole.",
                ),
                OpenError::Revoked => (
                    "Report link revoked",
                    "The owner of this Chimera report has revoked its link. Ask them for a new one.",
                ),
                OpenError::Expired => (
                    "Report link expired",
                    "This Chimera report link has expired. Ask its owner for a new one.",
                ),
            };
            (open_status(&reason), Html(message_page(title, text))).into_response()
        }
        Err(error) => store_failure(&error),
    }
}

/// A self-contained page for link errors (no script, no outside styles).
fn message_page(title: &str, text: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} — Chimera</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\
         <body><header class=\"top\"><h1>Chimera</h1></header><main><section class=\"panel\" data-testid=\"link-error\">\
         <h2>{title}</h2><p>{text}</p><p><a href=\"/\">Open Chimera</a></p></section></main></body></html>"
    )
}
