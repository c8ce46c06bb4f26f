//! The events the companion streams to the page for one generation, one JSON
//! object per line, and the final figures.

use serde::{Deserialize, Serialize};

/// One line of the companion's NDJSON stream. `type` names the variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// Waiting for a free slot on the backend (its concurrency limit).
    Queued { position: usize },
    /// The request went upstream. `ignored_options` lists what this kind
    /// of backend cannot honour, and why.
    Started {
        backend: String,
        model: String,
        ignored_options: Vec<IgnoredOption>,
    },
    /// Answer text, as it arrives.
    Delta { text: String },
    /// Reasoning text of thinking models, kept apart from the answer.
    Thinking { text: String },
    /// The first non-empty token arrived.
    FirstToken { ttft_ms: f64 },
    /// About twice a second while generating.
    Progress {
        tokens: u64,
        tokens_per_second: Option<f64>,
        elapsed_ms: f64,
    },
    /// The generation finished normally.
    Done { metrics: GenerationMetrics },
    /// The generation failed. Text already streamed stays valid; `partial`
    /// says whether any was.
    Error {
        kind: ErrorKind,
        message: String,
        partial: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        metrics: Option<GenerationMetrics>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredOption {
    pub option: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Connection refused, DNS failure, connect timeout.
    Unreachable,
    /// No first byte, or too long a silence between chunks.
    Timeout,
    ModelNotFound,
    /// The backend refused the request (HTTP 4xx/5xx before streaming).
    Rejected,
    /// An `{"error": ...}` line in the middle of a stream.
    Upstream,
    /// The stream ended without its final record.
    Incomplete,
    /// A line that is not what the protocol says.
    Malformed,
    /// The request itself is wrong (unknown backend, bad option).
    BadRequest,
}

/// Where the final figures came from, from most to least exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FiguresSource {
    /// Ollama's own durations (nanosecond clocks inside the server).
    Ollama,
    /// llama.cpp's `timings` object.
    LlamaCpp,
    /// Token counts from `usage`; durations from the companion's clock.
    Usage,
    /// Nothing from the backend: chunk counts and the companion's clock.
    Companion,
}

/// Everything measured about one generation. Durations are milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationMetrics {
    /// Companion clock: upstream request sent → first non-empty token.
    pub ttft_ms: Option<f64>,
    /// Companion clock: upstream request sent → stream ended.
    pub wall_ms: f64,
    /// Model load time (Ollama).
    pub load_ms: Option<f64>,
    pub prompt_eval_ms: Option<f64>,
    pub prompt_tokens: Option<u64>,
    pub eval_ms: Option<f64>,
    pub eval_tokens: Option<u64>,
    /// The backend's own total (Ollama's `total_duration`).
    pub total_ms: Option<f64>,
    /// Decode rate: eval_tokens / eval_ms.
    pub tokens_per_second: Option<f64>,
    /// Prompt processing rate: prompt_tokens / prompt_eval_ms.
    pub prompt_tokens_per_second: Option<f64>,
    /// Text chunks the companion relayed (about one per token).
    pub streamed_chunks: u64,
    pub done_reason: Option<String>,
    pub source: FiguresSource,
}

impl GenerationMetrics {
    /// How the time to first token divides: model load, prompt processing,
    /// and the rest (first decode step, network, queueing).
    pub fn ttft_breakdown(&self) -> Option<TtftBreakdown> {
        let ttft = self.ttft_ms?;
        let load = self.load_ms.unwrap_or(0.0);
        let prompt = self.prompt_eval_ms.unwrap_or(0.0);
        Some(TtftBreakdown {
            load_ms: load,
            prompt_eval_ms: prompt,
            other_ms: (ttft - load - prompt).max(0.0),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TtftBreakdown {
    pub load_ms: f64,
    pub prompt_eval_ms: f64,
    pub other_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_by_type() {
        let line = serde_json::to_string(&StreamEvent::Delta { text: "hi".into() }).unwrap();
        assert_eq!(line, r#"{"type":"delta","text":"hi"}"#);
        let back: StreamEvent =
            serde_json::from_str(r#"{"type":"first_token","ttft_ms":12.5}"#).unwrap();
        assert_eq!(back, StreamEvent::FirstToken { ttft_ms: 12.5 });
    }

    #[test]
    fn ttft_splits_into_load_prompt_and_the_rest() {
        let metrics = GenerationMetrics {
            ttft_ms: Some(900.0),
            wall_ms: 2000.0,
            load_ms: Some(400.0),
            prompt_eval_ms: Some(350.0),
            prompt_tokens: Some(100),
            eval_ms: Some(1000.0),
            eval_tokens: Some(40),
            total_ms: Some(1990.0),
            tokens_per_second: Some(40.0),
            prompt_tokens_per_second: None,
            streamed_chunks: 40,
            done_reason: None,
            source: FiguresSource::Ollama,
        };
        let split = metrics.ttft_breakdown().unwrap();
        assert_eq!(
            (split.load_ms, split.prompt_eval_ms, split.other_ms),
            (400.0, 350.0, 150.0)
        );
    }
}
