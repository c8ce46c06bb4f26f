//! OpenAI-compatible servers (llama.cpp's server, vLLM, LM Studio): the body
//! for `/v1/chat/completions` and the server-sent events it streams back.

use serde::Deserialize;
use serde_json::{Value, json};

use super::events::{ErrorKind, FiguresSource, IgnoredOption};
use super::options::GenerateRequest;
use super::timing::BackendFigures;

/// The JSON body, and the options this kind of server cannot honour.
pub fn request_body(request: &GenerateRequest) -> (Value, Vec<IgnoredOption>) {
    let o = &request.options;
    let mut messages = Vec::new();
    if let Some(system) = &request.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    messages.push(json!({"role": "user", "content": request.prompt}));
    let mut body = json!({
        "model": request.model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    if let Some(v) = o.temperature {
        body["temperature"] = json!(v);
    }
    if let Some(v) = o.top_p {
        body["top_p"] = json!(v);
    }
    if let Some(v) = o.seed {
        body["seed"] = json!(v);
    }
    if let Some(v) = o.num_predict.filter(|n| *n > 0) {
        body["max_tokens"] = json!(v);
    }
    // Not in OpenAI's API, but llama.cpp and vLLM read these extensions.
    if let Some(v) = o.top_k {
        body["top_k"] = json!(v);
    }
    if let Some(v) = o.repeat_penalty {
        body["repeat_penalty"] = json!(v);
        body["repetition_penalty"] = json!(v);
    }
    let mut ignored = Vec::new();
    let mut ignore = |option: &str, reason: &str| {
        ignored.push(IgnoredOption {
            option: option.into(),
            reason: reason.into(),
        });
    };
    if o.num_gpu.is_some() {
        ignore(
            "num_gpu",
            "GPU offload is fixed when an OpenAI-compatible server starts (e.g. llama.cpp's --n-gpu-layers)",
        );
    }
    if o.num_ctx.is_some() {
        ignore(
            "num_ctx",
            "the context size is fixed when an OpenAI-compatible server starts",
        );
    }
    if o.keep_alive.is_some() {
        ignore(
            "keep_alive",
            "OpenAI-compatible servers keep their model loaded",
        );
    }
    if o.num_predict.is_some_and(|n| n <= 0) {
        ignore("num_predict", "only a positive limit maps to max_tokens");
    }
    (body, ignored)
}

/// One parsed server-sent-events line.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A data chunk: text deltas, and on the last chunks usage and timings.
    Chunk {
        content: String,
        reasoning: String,
        finish_reason: Option<String>,
        figures: Option<BackendFigures>,
    },
    /// `data: [DONE]`, the end of the stream.
    Done,
    /// An error object sent as data.
    Error(String),
}

#[derive(Debug, Deserialize)]
struct RawChunk {
    #[serde(default)]
    choices: Vec<RawChoice>,
    #[serde(default)]
    usage: Option<RawUsage>,
    #[serde(default)]
    timings: Option<RawTimings>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct RawChoice {
    #[serde(default)]
    delta: Option<RawDelta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RawDelta {
    #[serde(default)]
    content: Option<String>,
    /// llama.cpp and vLLM send reasoning models' thoughts here.
    #[serde(default)]
    reasoning_content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct RawTimings {
    prompt_n: Option<u64>,
    prompt_ms: Option<f64>,
    predicted_n: Option<u64>,
    predicted_ms: Option<f64>,
}

/// Parses one complete line. Comments, `event:` lines and blank lines are `Ok(None)`.
pub fn parse_line(line: &[u8]) -> Result<Option<Line>, String> {
    let text = std::str::from_utf8(line).map_err(|_| "a line that is not UTF-8".to_string())?;
    let text = text.trim_end();
    if text.is_empty()
        || text.starts_with(':')
        || text.starts_with("event:")
        || text.starts_with("id:")
    {
        return Ok(None);
    }
    let Some(data) = text.strip_prefix("data:") else {
        // A bare JSON error body (some servers answer errors this way).
        if let Ok(value) = serde_json::from_str::<Value>(text)
            && let Some(error) = value.get("error")
        {
            return Ok(Some(Line::Error(error_text(error))));
        }
        return Err(format!(
            "a line that is not a server-sent event: {}",
            clip(text)
        ));
    };
    let data = data.trim_start();
    if data == "[DONE]" {
        return Ok(Some(Line::Done));
    }
    let raw: RawChunk = serde_json::from_str(data).map_err(|e| {
        format!(
            "an event that is not a completion chunk ({e}): {}",
            clip(data)
        )
    })?;
    if let Some(error) = raw.error {
        return Ok(Some(Line::Error(error_text(&error))));
    }
    let mut content = String::new();
    let mut reasoning = String::new();
    let mut finish_reason = None;
    for choice in raw.choices {
        if let Some(delta) = choice.delta {
            content.push_str(&delta.content.unwrap_or_default());
            reasoning.push_str(&delta.reasoning_content.unwrap_or_default());
        }
        if choice.finish_reason.is_some() {
            finish_reason = choice.finish_reason;
        }
    }
    let figures = match (raw.usage, raw.timings) {
        (None, None) => None,
        (usage, timings) => {
            let mut figures = BackendFigures::default();
            if let Some(usage) = usage {
                figures.prompt_tokens = usage.prompt_tokens;
                figures.eval_tokens = usage.completion_tokens;
                figures.source = Some(FiguresSource::Usage);
            }
            if let Some(timings) = timings {
                figures.prompt_tokens = timings.prompt_n.or(figures.prompt_tokens);
                figures.prompt_eval_ms = timings.prompt_ms;
                figures.eval_tokens = timings.predicted_n.or(figures.eval_tokens);
                figures.eval_ms = timings.predicted_ms;
                figures.source = Some(FiguresSource::LlamaCpp);
            }
            Some(figures)
        }
    };
    Ok(Some(Line::Chunk {
        content,
        reasoning,
        finish_reason,
        figures,
    }))
}

/// Classifies an error response that came before any streaming.
pub fn classify_error(status: u16, body: &str, model: &str) -> (ErrorKind, String) {
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").map(error_text))
        .unwrap_or_else(|| clip(body.trim()).to_string());
    if status == 404 || message.contains("does not exist") || message.contains("not found") {
        return (
            ErrorKind::ModelNotFound,
            format!("model {model:?} is not served by this backend ({message})"),
        );
    }
    if status == 401 || status == 403 {
        return (
            ErrorKind::Rejected,
            format!("the backend refused the API key (HTTP {status}): {message}"),
        );
    }
    (
        ErrorKind::Rejected,
        format!("the backend answered HTTP {status}: {message}"),
    )
}

fn error_text(error: &Value) -> String {
    match error {
        Value::String(s) => s.clone(),
        other => other
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| other.to_string(), str::to_owned),
    }
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
    fn options_map_and_the_rest_are_named_as_ignored() {
        let request = GenerateRequest {
            model: "smol".into(),
            prompt: "hi".into(),
            options: GenerationOptions {
                num_gpu: Some(80),
                num_ctx: Some(2048),
                temperature: Some(0.0),
                top_k: Some(40),
                repeat_penalty: Some(1.1),
                num_predict: Some(32),
                ..Default::default()
            },
            ..Default::default()
        };
        let (body, ignored) = request_body(&request);
        assert_eq!(body["max_tokens"], 32);
        assert_eq!(body["temperature"], 0.0);
        assert_eq!(body["top_k"], 40);
        assert_eq!(body["stream_options"]["include_usage"], true);
        let names: Vec<_> = ignored.iter().map(|i| i.option.as_str()).collect();
        assert_eq!(names, ["num_gpu", "num_ctx"]);
    }

    #[test]
    fn llama_cpp_chunks_and_timings_parse() {
        let delta = br#"data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":" science"}}],"object":"chat.completion.chunk"}"#;
        assert_eq!(
            parse_line(delta).unwrap(),
            Some(Line::Chunk {
                content: " science".into(),
                reasoning: String::new(),
                finish_reason: None,
                figures: None
            })
        );
        let last = br#"data: {"choices":[],"usage":{"completion_tokens":12,"prompt_tokens":21,"total_tokens":33},"timings":{"cache_n":0,"prompt_n":21,"prompt_ms":154.371,"predicted_n":12,"predicted_ms":244.802,"predicted_per_second":44.93}}"#;
        let Some(Line::Chunk {
            figures: Some(figures),
            ..
        }) = parse_line(last).unwrap()
        else {
            panic!("figures")
        };
        assert_eq!(figures.eval_tokens, Some(12));
        assert_eq!(figures.eval_ms, Some(244.802));
        assert_eq!(figures.prompt_eval_ms, Some(154.371));
        assert_eq!(figures.source, Some(FiguresSource::LlamaCpp));
        assert_eq!(parse_line(b"data: [DONE]").unwrap(), Some(Line::Done));
    }

    #[test]
    fn usage_alone_gives_token_counts_only() {
        let line = br#"data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7}}"#;
        let Some(Line::Chunk {
            figures: Some(figures),
            ..
        }) = parse_line(line).unwrap()
        else {
            panic!("figures")
        };
        assert_eq!(
            (figures.prompt_tokens, figures.eval_tokens, figures.eval_ms),
            (Some(5), Some(7), None)
        );
        assert_eq!(figures.source, Some(FiguresSource::Usage));
    }

    #[test]
    fn comments_and_errors_are_recognised() {
        assert_eq!(parse_line(b": keep-alive").unwrap(), None);
        assert_eq!(parse_line(b"").unwrap(), None);
        assert_eq!(
            parse_line(br#"data: {"error":{"message":"context length exceeded","code":400}}"#)
                .unwrap(),
            Some(Line::Error("context length exceeded".into()))
        );
        assert!(parse_line(b"hello").is_err());
    }
}
