//! The state of one generation as its events arrive: what the page shows
//! live, and what a run records when it ends.

use serde::{Deserialize, Serialize};

use super::events::{ErrorKind, GenerationMetrics, IgnoredOption, StreamEvent};

/// Where a generation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Not sent yet.
    Pending,
    /// Waiting for a free slot on the backend.
    Queued,
    /// Sent; no token yet (the model loads, the prompt is processed).
    Loading,
    Generating,
    Done,
    Failed,
    /// The user stopped it.
    Stopped,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Pending => "pending",
            Phase::Queued => "queued",
            Phase::Loading => "loading / reading the prompt",
            Phase::Generating => "generating",
            Phase::Done => "done",
            Phase::Failed => "failed",
            Phase::Stopped => "stopped",
        }
    }

    pub fn is_over(self) -> bool {
        matches!(self, Phase::Done | Phase::Failed | Phase::Stopped)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveGeneration {
    pub phase: Phase,
    pub text: String,
    pub thinking: String,
    pub queued_position: Option<usize>,
    pub ttft_ms: Option<f64>,
    pub tokens: u64,
    pub tokens_per_second: Option<f64>,
    pub elapsed_ms: Option<f64>,
    pub ignored_options: Vec<IgnoredOption>,
    pub metrics: Option<GenerationMetrics>,
    pub error: Option<(ErrorKind, String)>,
}

impl Default for LiveGeneration {
    fn default() -> Self {
        Self {
            phase: Phase::Pending,
            text: String::new(),
            thinking: String::new(),
            queued_position: None,
            ttft_ms: None,
            tokens: 0,
            tokens_per_second: None,
            elapsed_ms: None,
            ignored_options: Vec::new(),
            metrics: None,
            error: None,
        }
    }
}

impl LiveGeneration {
    pub fn apply(&mut self, event: StreamEvent) {
        match event {
            StreamEvent::Queued { position } => {
                self.phase = Phase::Queued;
                self.queued_position = Some(position);
            }
            StreamEvent::Started {
                ignored_options, ..
            } => {
                self.phase = Phase::Loading;
                self.ignored_options = ignored_options;
            }
            StreamEvent::Delta { text } => {
                self.phase = Phase::Generating;
                self.tokens += 1;
                self.text.push_str(&text);
            }
            StreamEvent::Thinking { text } => {
                self.phase = Phase::Generating;
                self.tokens += 1;
                self.thinking.push_str(&text);
            }
            StreamEvent::FirstToken { ttft_ms } => self.ttft_ms = Some(ttft_ms),
            StreamEvent::Progress {
                tokens,
                tokens_per_second,
                elapsed_ms,
            } => {
                self.tokens = tokens;
                self.tokens_per_second = tokens_per_second;
                self.elapsed_ms = Some(elapsed_ms);
            }
            StreamEvent::Done { metrics } => {
                self.phase = Phase::Done;
                self.tokens_per_second = metrics.tokens_per_second.or(self.tokens_per_second);
                self.elapsed_ms = Some(metrics.wall_ms);
                self.metrics = Some(metrics);
            }
            StreamEvent::Error {
                kind,
                message,
                metrics,
                ..
            } => {
                self.phase = Phase::Failed;
                self.error = Some((kind, message));
                if let Some(metrics) = metrics {
                    self.elapsed_ms = Some(metrics.wall_ms);
                    self.metrics = Some(metrics);
                }
            }
        }
    }

    /// The user pressed Stop: the text so far is kept.
    pub fn stop(&mut self) {
        if !self.phase.is_over() {
            self.phase = Phase::Stopped;
        }
    }

    /// The connection to the companion broke: the text so far is kept.
    pub fn broken(&mut self, message: String) {
        if !self.phase.is_over() {
            self.phase = Phase::Failed;
            self.error = Some((ErrorKind::Incomplete, message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_move_the_phase_and_keep_text_on_failure() {
        let mut live = LiveGeneration::default();
        live.apply(StreamEvent::Queued { position: 2 });
        assert_eq!((live.phase, live.queued_position), (Phase::Queued, Some(2)));
        live.apply(StreamEvent::Started {
            backend: "b".into(),
            model: "m".into(),
            ignored_options: vec![],
        });
        assert_eq!(live.phase, Phase::Loading);
        live.apply(StreamEvent::FirstToken { ttft_ms: 42.0 });
        live.apply(StreamEvent::Delta { text: "Hel".into() });
        live.apply(StreamEvent::Delta { text: "lo".into() });
        assert_eq!(
            (live.phase, live.text.as_str(), live.tokens),
            (Phase::Generating, "Hello", 2)
        );
        live.apply(StreamEvent::Error {
            kind: ErrorKind::Upstream,
            message: "boom".into(),
            partial: true,
            metrics: None,
        });
        assert_eq!(live.phase, Phase::Failed);
        assert_eq!(live.text, "Hello");
        live.stop();
        assert_eq!(live.phase, Phase::Failed);
    }

    #[test]
    fn stopping_keeps_the_text() {
        let mut live = LiveGeneration::default();
        live.apply(StreamEvent::Delta {
            text: "partial".into(),
        });
        live.stop();
        assert_eq!(
            (live.phase, live.text.as_str()),
            (Phase::Stopped, "partial")
        );
    }
}
