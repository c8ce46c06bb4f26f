//! One generation, streamed: sends the request to its backend, relays text as
//! it arrives, times it on a monotonic clock, and ends with the figures or a
//! specific error. The page and `chimera generate` both use this stream.
//!
//! Dropping the stream drops the upstream response, which closes the
//! connection: that is how a backend (Ollama has no cancel endpoint) learns
//! to stop generating.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chimera_shared::llm::events::IgnoredOption;
use chimera_shared::llm::timing::BackendFigures;
use chimera_shared::llm::{
    ErrorKind, GenerateRequest, LineSplitter, StreamEvent, Timing, ollama, openai,
};
use futures_util::{Stream, StreamExt};

use crate::backend::{Backend, BackendKind, Backends, describe_request_error};

/// The most bytes of an error body read before giving up on it.
const ERROR_BODY_LIMIT: usize = 16 * 1024;

/// Runs one generation; the stream ends after a `Done` or an `Error` event.
pub fn generate(
    backends: Arc<Backends>,
    request: GenerateRequest,
) -> impl Stream<Item = StreamEvent> + Send {
    async_stream::stream! {
        let Some(backend) = backends.get(&request.backend) else {
            yield bad_request(format!(
                "unknown backend {:?}; configured backends: {}",
                request.backend,
                backends.names().join(", ")
            ));
            return;
        };
        if request.model.trim().is_empty() {
            yield bad_request("no model given".into());
            return;
        }
        let _permit = match backend.try_acquire() {
            Some(permit) => permit,
            None => {
                let (position, ticket) = backend.enqueue();
                yield StreamEvent::Queued { position };
                ticket.wait().await
            }
        };
        tracing::debug!(backend = %backend.name, model = %request.model, "generation started");

        let (upstream, ignored) = build_request(&backends, &backend, &request);
        let started = Instant::now();
        yield StreamEvent::Started { backend: backend.name.clone(), model: request.model.clone(), ignored_options: ignored };

        let first_byte = Duration::from_secs_f64(backends.timeouts.first_byte_s);
        let idle = Duration::from_secs_f64(backends.timeouts.idle_s);
        let response = match tokio::time::timeout(first_byte, upstream.send()).await {
            Err(_) => {
                yield error(ErrorKind::Timeout, first_byte_message(&backend, first_byte), false, None);
                return;
            }
            Ok(Err(e)) => {
                let kind = if e.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Unreachable };
                yield error(kind, describe_request_error(&backend, &e), false, None);
                return;
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if !status.is_success() {
            let body = read_limited(response).await;
            let (kind, message) = match backend.kind {
                BackendKind::Ollama => ollama::classify_error(status.as_u16(), &body, &request.model),
                BackendKind::Openai => openai::classify_error(status.as_u16(), &body, &request.model),
            };
            yield error(kind, message, false, None);
            return;
        }

        let mut body = response.bytes_stream();
        let mut splitter = LineSplitter::default();
        let mut timing = Timing::new();
        let mut figures = BackendFigures::default();
        let mut finished = false;
        let mut text_seen = false;
        let mut failure: Option<(ErrorKind, String)> = None;
        let mut waited_first = false;
        'read: loop {
            let awaiting_first = !waited_first;
            let limit = if awaiting_first { first_byte } else { idle };
            let next = tokio::time::timeout(limit, body.next()).await;
            waited_first = true;
            let chunk = match next {
                Err(_) if awaiting_first => {
                    failure = Some((ErrorKind::Timeout, first_byte_message(&backend, limit)));
                    break;
                }
                Err(_) => {
                    failure = Some((ErrorKind::Timeout, format!(
                        "{} backend {:?} went silent for {:.1} s in the middle of the answer (raise idle_s if it is just slow)",
                        backend.kind.label(), backend.name, limit.as_secs_f64()
                    )));
                    break;
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    failure = Some((ErrorKind::Incomplete, format!(
                        "the connection to {} backend {:?} broke: {}",
                        backend.kind.label(), backend.name, root_cause(&e)
                    )));
                    break;
                }
                Ok(Some(Ok(chunk))) => chunk,
            };
            tracing::trace!(bytes = chunk.len(), "chunk");
            for line in splitter.push(&chunk) {
                let now = elapsed_ms(started);
                match handle_line(backend.kind, &line, now, &mut timing, &mut figures) {
                    LineOutcome::Events(events) => {
                        for event in events {
                            if matches!(event, StreamEvent::Delta { .. }) {
                                text_seen = true;
                            }
                            yield event;
                        }
                    }
                    LineOutcome::Finished(events) => {
                        for event in events {
                            yield event;
                        }
                        finished = true;
                        if backend.kind == BackendKind::Ollama {
                            break 'read;
                        }
                    }
                    LineOutcome::Failed(kind, message) => {
                        failure = Some((kind, message));
                        break 'read;
                    }
                }
            }
            if let Some(event) = timing.progress(elapsed_ms(started)) {
                yield event;
            }
        }
        if failure.is_none() && !finished && let Some(rest) = splitter.finish() {
            // A last line without its newline.
            let now = elapsed_ms(started);
            match handle_line(backend.kind, &rest, now, &mut timing, &mut figures) {
                LineOutcome::Events(events) => for event in events { yield event; },
                LineOutcome::Finished(events) => {
                    for event in events { yield event; }
                    finished = true;
                }
                LineOutcome::Failed(kind, message) => failure = Some((kind, message)),
            }
        }
        let metrics = timing.finish(elapsed_ms(started), figures);
        let partial = text_seen || timing.chunks() > 0;
        match failure {
            Some((kind, message)) => yield error(kind, message, partial, Some(metrics)),
            None if !finished => yield error(
                ErrorKind::Incomplete,
                format!("{} backend {:?} ended the stream without its final record", backend.kind.label(), backend.name),
                partial,
                Some(metrics),
            ),
            None => {
                tracing::debug!(backend = %backend.name, wall_ms = metrics.wall_ms, "generation finished");
                yield StreamEvent::Done { metrics };
            }
        }
    }
}

enum LineOutcome {
    Events(Vec<StreamEvent>),
    /// The backend's final record arrived (with any last events).
    Finished(Vec<StreamEvent>),
    Failed(ErrorKind, String),
}

/// Turns one complete upstream line into events; the protocol logic lives here
/// so it can be tested without sockets.
fn handle_line(
    kind: BackendKind,
    line: &[u8],
    now_ms: f64,
    timing: &mut Timing,
    figures: &mut BackendFigures,
) -> LineOutcome {
    let mut events = Vec::new();
    let mut text = |events: &mut Vec<StreamEvent>, content: String, thinking: String| {
        if !thinking.is_empty() {
            events.extend(timing.on_text(now_ms, &thinking));
            events.push(StreamEvent::Thinking { text: thinking });
        }
        if !content.is_empty() {
            events.extend(timing.on_text(now_ms, &content));
            events.push(StreamEvent::Delta { text: content });
        }
    };
    match kind {
        BackendKind::Ollama => match ollama::parse_line(line) {
            Ok(None) => LineOutcome::Events(events),
            Ok(Some(ollama::Line::Text { content, thinking })) => {
                text(&mut events, content, thinking);
                LineOutcome::Events(events)
            }
            Ok(Some(ollama::Line::Final {
                content,
                thinking,
                figures: reported,
            })) => {
                text(&mut events, content, thinking);
                *figures = reported;
                LineOutcome::Finished(events)
            }
            Ok(Some(ollama::Line::Error(message))) => LineOutcome::Failed(
                ErrorKind::Upstream,
                format!("Ollama reported an error mid-stream: {message}"),
            ),
            Err(message) => {
                LineOutcome::Failed(ErrorKind::Malformed, format!("Ollama sent {message}"))
            }
        },
        BackendKind::Openai => match openai::parse_line(line) {
            Ok(None) => LineOutcome::Events(events),
            Ok(Some(openai::Line::Chunk {
                content,
                reasoning,
                finish_reason,
                figures: reported,
            })) => {
                text(&mut events, content, reasoning);
                if let Some(reported) = reported {
                    // The finish reason usually comes a chunk before usage.
                    let done_reason = figures.done_reason.take();
                    *figures = reported;
                    figures.done_reason = figures.done_reason.take().or(done_reason);
                }
                if let Some(reason) = finish_reason {
                    figures.done_reason = Some(reason);
                }
                LineOutcome::Events(events)
            }
            Ok(Some(openai::Line::Done)) => LineOutcome::Finished(events),
            Ok(Some(openai::Line::Error(message))) => LineOutcome::Failed(
                ErrorKind::Upstream,
                format!("the backend reported an error mid-stream: {message}"),
            ),
            Err(message) => {
                LineOutcome::Failed(ErrorKind::Malformed, format!("the backend sent {message}"))
            }
        },
    }
}

fn build_request(
    backends: &Backends,
    backend: &Backend,
    request: &GenerateRequest,
) -> (reqwest::RequestBuilder, Vec<IgnoredOption>) {
    let (url, body, ignored) = match backend.kind {
        BackendKind::Ollama => {
            let endpoint = ollama::Endpoint::Chat;
            (
                backend.endpoint(endpoint.path()),
                ollama::request_body(request, endpoint),
                Vec::new(),
            )
        }
        BackendKind::Openai => {
            let (body, ignored) = openai::request_body(request);
            (backend.endpoint("/chat/completions"), body, ignored)
        }
    };
    (
        backend.authorize(backends.client.post(url).json(&body)),
        ignored,
    )
}

async fn read_limited(response: reqwest::Response) -> String {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        body.extend_from_slice(&chunk);
        if body.len() > ERROR_BODY_LIMIT {
            body.truncate(ERROR_BODY_LIMIT);
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

fn first_byte_message(backend: &Backend, limit: Duration) -> String {
    format!(
        "{} backend {:?} sent no answer within {:.1} s (is the model still loading? raise first_byte_s)",
        backend.kind.label(),
        backend.name,
        limit.as_secs_f64()
    )
}

fn root_cause(error: &dyn std::error::Error) -> String {
    let mut cause = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        cause = inner.to_string();
        source = inner.source();
    }
    cause
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

fn bad_request(message: String) -> StreamEvent {
    error(ErrorKind::BadRequest, message, false, None)
}

fn error(
    kind: ErrorKind,
    message: String,
    partial: bool,
    metrics: Option<chimera_shared::llm::GenerationMetrics>,
) -> StreamEvent {
    tracing::debug!(?kind, %message, "generation failed");
    StreamEvent::Error {
        kind,
        message,
        partial,
        metrics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(kind: BackendKind, lines: &[&[u8]]) -> (Vec<StreamEvent>, Option<LineOutcome>) {
        let mut timing = Timing::new();
        let mut figures = BackendFigures::default();
        let mut events = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            match handle_line(kind, line, 10.0 * (i + 1) as f64, &mut timing, &mut figures) {
                LineOutcome::Events(e) => events.extend(e),
                other => return (events, Some(other)),
            }
        }
        (events, None)
    }

    #[test]
    fn ollama_thinking_and_answer_are_kept_apart() {
        let (events, end) = run(
            BackendKind::Ollama,
            &[
                br#"{"message":{"role":"assistant","content":"","thinking":"hmm"},"done":false}"#,
                br#"{"message":{"role":"assistant","content":"Hi"},"done":false}"#,
                br#"{"message":{"role":"assistant","content":""},"done":true,"eval_count":2,"eval_duration":20000000}"#,
            ],
        );
        assert_eq!(
            events,
            [
                StreamEvent::FirstToken { ttft_ms: 10.0 },
                StreamEvent::Thinking { text: "hmm".into() },
                StreamEvent::Delta { text: "Hi".into() },
            ]
        );
        assert!(matches!(end, Some(LineOutcome::Finished(_))));
    }

    #[test]
    fn a_mid_stream_error_line_fails_the_stream() {
        let (events, end) = run(
            BackendKind::Ollama,
            &[
                br#"{"message":{"content":"Par"},"done":false}"#,
                br#"{"error":"an unknown error was encountered while running the model"}"#,
            ],
        );
        assert_eq!(events.len(), 2);
        let Some(LineOutcome::Failed(kind, message)) = end else {
            panic!("failed")
        };
        assert_eq!(kind, ErrorKind::Upstream);
        assert!(message.contains("unknown error"));
    }

    #[test]
    fn garbage_lines_are_malformed() {
        let (_, end) = run(BackendKind::Openai, &[b"<html>Bad Gateway</html>"]);
        assert!(matches!(
            end,
            Some(LineOutcome::Failed(ErrorKind::Malformed, _))
        ));
    }
}
