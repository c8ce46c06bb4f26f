//! Ollama's native API: the request body for `/api/chat` and `/api/generate`,
//! and the NDJSON lines they stream back.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::events::{ErrorKind, FiguresSource};
use super::options::GenerateRequest;
use super::timing::BackendFigures;

/// Which of Ollama's generation endpoints to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Chat,
    Generate,
}

impl Endpoint {
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Chat => "/api/chat",
            Endpoint::Generate => "/api/generate",
        }
    }
}

/// The JSON body for a streaming request.
pub fn request_body(request: &GenerateRequest, endpoint: Endpoint) -> Value {
    let o = &request.options;
    let mut options = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            options.insert(key.to_owned(), value);
        }
    };
    put("num_gpu", o.num_gpu.map(Value::from));
    put("num_ctx", o.num_ctx.map(Value::from));
    put("temperature", o.temperature.map(Value::from));
    put("top_p", o.top_p.map(Value::from));
    put("top_k", o.top_k.map(Value::from));
    put("repeat_penalty", o.repeat_penalty.map(Value::from));
    put("seed", o.seed.map(Value::from));
    put("num_predict", o.num_predict.map(Value::from));

    let mut body = match endpoint {
        Endpoint::Chat => {
            let mut messages = Vec::new();
            if let Some(system) = &request.system {
                messages.push(json!({"role": "system", "content": system}));
            }
            messages.push(json!({"role": "user", "content": request.prompt}));
            json!({"model": request.model, "messages": messages, "stream": true})
        }
        Endpoint::Generate => {
            let mut body =
                json!({"model": request.model, "prompt": request.prompt, "stream": true});
            if let Some(system) = &request.system {
                body["system"] = Value::from(system.clone());
            }
            body
        }
    };
    if !options.is_empty() {
        body["options"] = Value::Object(options);
    }
    if let Some(keep_alive) = &o.keep_alive {
        body["keep_alive"] = Value::from(keep_alive.clone());
    }
    body
}

/// One parsed line of Ollama's stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// Answer and thinking text (either may be empty).
    Text { content: String, thinking: String },
    /// The last line: its text, if any, and the figures.
    Final {
        content: String,
        thinking: String,
        figures: BackendFigures,
    },
    /// An `{"error": ...}` line (the HTTP status stays 200 mid-stream).
    Error(String),
}

#[derive(Debug, Default, Deserialize)]
struct RawLine {
    #[serde(default)]
    message: Option<RawMessage>,
    #[serde(default)]
    response: Option<String>,
    #[serde(default)]
    thinking: Option<String>,
    #[serde(default)]
    done: Option<bool>,
    #[serde(default)]
    done_reason: Option<String>,
    #[serde(default)]
    error: Option<String>,
    total_duration: Option<f64>,
    load_duration: Option<f64>,
    prompt_eval_count: Option<u64>,
    prompt_eval_duration: Option<f64>,
    eval_count: Option<u64>,
    eval_duration: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
struct RawMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    thinking: Option<String>,
}

const NS_PER_MS: f64 = 1_000_000.0;

/// Parses one complete line. Blank lines are `Ok(None)`.
pub fn parse_line(line: &[u8]) -> Result<Option<Line>, String> {
    let text = std::str::from_utf8(line).map_err(|_| "a line that is not UTF-8".to_string())?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    let raw: RawLine = serde_json::from_str(text)
        .map_err(|e| format!("a line that is not Ollama's JSON ({e}): {}", clip(text)))?;
    if let Some(error) = raw.error {
        return Ok(Some(Line::Error(error)));
    }
    let (content, thinking) = match raw.message {
        Some(message) => (
            message.content.unwrap_or_default(),
            message.thinking.unwrap_or_default(),
        ),
        None => (
            raw.response.unwrap_or_default(),
            raw.thinking.unwrap_or_default(),
        ),
    };
    if raw.done == Some(true) {
        let figures = BackendFigures {
            load_ms: raw.load_duration.map(|ns| ns / NS_PER_MS),
            prompt_eval_ms: raw.prompt_eval_duration.map(|ns| ns / NS_PER_MS),
            prompt_tokens: raw.prompt_eval_count,
            eval_ms: raw.eval_duration.map(|ns| ns / NS_PER_MS),
            eval_tokens: raw.eval_count,
            total_ms: raw.total_duration.map(|ns| ns / NS_PER_MS),
            done_reason: raw.done_reason,
            // A final line without durations carries nothing of Ollama's clocks.
            source: raw.eval_duration.is_some().then_some(FiguresSource::Ollama),
        };
        return Ok(Some(Line::Final {
            content,
            thinking,
            figures,
        }));
    }
    if raw.done.is_none() {
        return Err(format!("a line without `done`: {}", clip(text)));
    }
    Ok(Some(Line::Text { content, thinking }))
}

/// Classifies an error response that came before any streaming.
pub fn classify_error(status: u16, body: &str, model: &str) -> (ErrorKind, String) {
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| clip(body.trim()).to_string());
    if status == 404 || message.contains("not found") {
        return (
            ErrorKind::ModelNotFound,
            format!("model {model:?} is not on this Ollama ({message}); run `ollama pull {model}`"),
        );
    }
    (
        ErrorKind::Rejected,
        format!("Ollama answered HTTP {status}: {message}"),
    )
}

fn clip(text: &str) -> &str {
    match text.char_indices().nth(200) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::options::GenerationOptions;

    #[test]
    fn chat_bodies_carry_system_prompt_and_options() {
        let request = GenerateRequest {
            backend: "gpu0".into(),
            model: "gemma3:latest".into(),
            system: Some("You are DataCollector.".into()),
            prompt: "Count the files.".into(),
            options: GenerationOptions {
                num_gpu: Some(80),
                num_ctx: Some(512),
                temperature: Some(1.0),
                keep_alive: Some("5m".into()),
                ..Default::default()
            },
        };
        let body = request_body(&request, Endpoint::Chat);
        assert_eq!(
            body["messages"][0],
            json!({"role": "system", "content": "You are DataCollector."})
        );
        assert_eq!(body["messages"][1]["content"], "Count the files.");
        assert_eq!(
            body["options"],
            json!({"num_gpu": 80, "num_ctx": 512, "temperature": 1.0})
        );
        assert_eq!(body["keep_alive"], "5m");
        assert_eq!(body["stream"], true);
        let generate = request_body(&request, Endpoint::Generate);
        assert_eq!(generate["system"], "You are DataCollector.");
        assert_eq!(generate["prompt"], "Count the files.");
    }

    #[test]
    fn text_and_thinking_lines_parse() {
        let line = br#"{"model":"m","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"","thinking":"Let me"},"done":false}"#;
        assert_eq!(
            parse_line(line).unwrap(),
            Some(Line::Text {
                content: String::new(),
                thinking: "Let me".into()
            })
        );
        let generate = br#"{"model":"m","response":"Hi","done":false}"#;
        assert_eq!(
            parse_line(generate).unwrap(),
            Some(Line::Text {
                content: "Hi".into(),
                thinking: String::new()
            })
        );
    }

    #[test]
    fn the_final_line_converts_nanoseconds_to_milliseconds() {
        let line = br#"{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":58699040000,"load_duration":409890000,"prompt_eval_count":315,"prompt_eval_duration":345980000,"eval_count":2213,"eval_duration":55952200000}"#;
        let Some(Line::Final { figures, .. }) = parse_line(line).unwrap() else {
            panic!("final")
        };
        assert_eq!(figures.total_ms, Some(58_699.04));
        assert_eq!(figures.load_ms, Some(409.89));
        assert_eq!(figures.prompt_eval_ms, Some(345.98));
        assert_eq!(figures.eval_ms, Some(55_952.2));
        assert_eq!(figures.eval_tokens, Some(2213));
        assert_eq!(figures.done_reason.as_deref(), Some("stop"));
    }

    #[test]
    fn absent_figures_stay_absent() {
        let Some(Line::Final { figures, .. }) = parse_line(br#"{"done":true}"#).unwrap() else {
            panic!("final")
        };
        assert_eq!(figures.eval_ms, None);
        assert_eq!(figures.load_ms, None);
    }

    #[test]
    fn mid_stream_errors_and_garbage_are_told_apart() {
        assert_eq!(
            parse_line(br#"{"error":"out of memory"}"#).unwrap(),
            Some(Line::Error("out of memory".into()))
        );
        assert!(
            parse_line(b"<html>502 Bad Gateway</html>")
                .unwrap_err()
                .contains("not Ollama's JSON")
        );
        assert!(
            parse_line(br#"{"foo":1}"#)
                .unwrap_err()
                .contains("without `done`")
        );
        assert_eq!(parse_line(b"  ").unwrap(), None);
    }

    #[test]
    fn a_missing_model_suggests_pulling_it() {
        let (kind, message) = classify_error(
            404,
            r#"{"error":"model 'qwen9' not found, try pulling it first"}"#,
            "qwen9",
        );
        assert_eq!(kind, ErrorKind::ModelNotFound);
        assert!(message.contains("ollama pull qwen9"), "{message}");
    }
}
