//! Talks to the companion's API from the page: the backend list, and
//! generations streamed as NDJSON over `fetch`, stoppable with an
//! `AbortController` (aborting closes the connection, and the companion then
//! closes its connection to the backend).

use chimera_shared::llm::backends::BackendStatus;
use chimera_shared::llm::{GenerateRequest, LineSplitter, StreamEvent};
use js_sys::{Reflect, Uint8Array};
use leptos::prelude::{LocalStorage, SetValue, StoredValue, WithValue, on_cleanup};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::load::js_error;

/// The Stop button's hold on the generations in flight. Stopping also
/// happens when the component that made the handle goes away, so leaving the
/// page never leaves a generation running.
#[derive(Clone, Copy)]
pub struct StopHandle(StoredValue<Option<web_sys::AbortController>, LocalStorage>);

impl StopHandle {
    /// Must be called while a component is being built (it registers cleanup).
    pub fn new() -> Self {
        let handle = Self(StoredValue::new_local(None));
        on_cleanup(move || handle.stop());
        handle
    }

    /// A fresh signal for the next run; Stop aborts it.
    pub fn arm(&self) -> Option<web_sys::AbortSignal> {
        let controller = web_sys::AbortController::new().ok()?;
        let signal = controller.signal();
        self.0.set_value(Some(controller));
        Some(signal)
    }

    pub fn stop(&self) {
        self.0.with_value(|controller| {
            if let Some(controller) = controller {
                controller.abort();
            }
        });
    }
}

/// Fetches `GET /api/backends`.
pub async fn fetch_backends() -> Result<Vec<BackendStatus>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str("/api/backends"))
        .await
        .map_err(|e| format!("the companion is not reachable: {}", js_error(&e)))?
        .unchecked_into();
    if !response.ok() {
        return Err(format!("the companion answered HTTP {}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(|e| js_error(&e))?)
        .await
        .map_err(|e| js_error(&e))?;
    serde_json::from_str(&text.as_string().unwrap_or_default())
        .map_err(|e| format!("unexpected backend list: {e}"))
}

/// How a streamed generation ended, seen from the page.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEnd {
    /// The companion sent its last event (`Done` or `Error`).
    Finished,
    /// The user pressed Stop.
    Stopped,
    /// The connection to the companion broke.
    Broken(String),
}

/// Streams one generation, calling `on_event` for each event as it arrives.
pub async fn stream_generation(
    request: &GenerateRequest,
    signal: &web_sys::AbortSignal,
    mut on_event: impl FnMut(StreamEvent),
) -> StreamEnd {
    match stream_inner(request, signal, &mut on_event).await {
        Ok(()) => StreamEnd::Finished,
        Err(_) if signal.aborted() => StreamEnd::Stopped,
        Err(message) => StreamEnd::Broken(message),
    }
}

async fn stream_inner(
    request: &GenerateRequest,
    signal: &web_sys::AbortSignal,
    on_event: &mut impl FnMut(StreamEvent),
) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let headers = web_sys::Headers::new().map_err(|e| js_error(&e))?;
    headers
        .set("content-type", "application/json")
        .map_err(|e| js_error(&e))?;
    init.set_headers(&headers);
    let body = serde_json::to_string(request).map_err(|e| e.to_string())?;
    init.set_body(&JsValue::from_str(&body));
    init.set_signal(Some(signal));
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str_and_init("/api/generate", &init))
            .await
            .map_err(|e| format!("the companion is not reachable: {}", js_error(&e)))?
            .unchecked_into();
    if !response.ok() {
        let text = match response.text() {
            Ok(promise) => JsFuture::from(promise)
                .await
                .ok()
                .and_then(|t| t.as_string())
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        return Err(format!(
            "the companion refused the request (HTTP {}): {}",
            response.status(),
            text.trim()
        ));
    }
    let stream = response.body().ok_or("the companion sent no body")?;
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut splitter = LineSplitter::default();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| js_error(&e))?;
        let done = Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        let value = Reflect::get(&chunk, &"value".into()).map_err(|e| js_error(&e))?;
        let bytes = Uint8Array::new(&value).to_vec();
        for line in splitter.push(&bytes) {
            if line.is_empty() {
                continue;
            }
            match serde_json::from_slice::<StreamEvent>(&line) {
                Ok(event) => on_event(event),
                Err(e) => return Err(format!("the companion sent an unreadable event: {e}")),
            }
        }
    }
    Ok(())
}

/// A JSON request to the companion; returns the status and the body text.
pub async fn request_json(
    method: &str,
    url: &str,
    body: Option<String>,
) -> Result<(u16, String), String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        let headers = web_sys::Headers::new().map_err(|e| js_error(&e))?;
        headers
            .set("content-type", "application/json")
            .map_err(|e| js_error(&e))?;
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(&body));
    }
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| format!("the companion is not reachable: {}", js_error(&e)))?
        .unchecked_into();
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    Ok((response.status(), text))
}

/// The `error` field of a JSON error body, or the body itself.
pub fn error_text(status: u16, body: &str) -> String {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: String,
    }
    let message = serde_json::from_str::<ErrorBody>(body)
        .map(|b| b.error)
        .unwrap_or_else(|_| body.trim().to_owned());
    format!("{message} (HTTP {status})")
}
