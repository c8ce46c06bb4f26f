//! The companion's own clock for one generation: time to first token, live
//! throughput, and the final figures merged with what the backend reported.

use super::events::{FiguresSource, GenerationMetrics, StreamEvent};

/// How often a progress event is sent while tokens flow.
pub const PROGRESS_INTERVAL_MS: f64 = 500.0;

/// Figures a backend reported about a finished generation, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackendFigures {
    pub load_ms: Option<f64>,
    pub prompt_eval_ms: Option<f64>,
    pub prompt_tokens: Option<u64>,
    pub eval_ms: Option<f64>,
    pub eval_tokens: Option<u64>,
    pub total_ms: Option<f64>,
    pub done_reason: Option<String>,
    pub source: Option<FiguresSource>,
}

/// Times one generation. Every method takes `now_ms`, milliseconds on a
/// monotonic clock since the upstream request was sent, so the arithmetic is
/// testable without a clock.
#[derive(Debug, Clone, Default)]
pub struct Timing {
    first_token_ms: Option<f64>,
    last_token_ms: Option<f64>,
    chunks: u64,
    last_progress_ms: f64,
}

impl Timing {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a chunk of text; returns the first-token event for the first
    /// non-empty one.
    pub fn on_text(&mut self, now_ms: f64, text: &str) -> Option<StreamEvent> {
        if text.is_empty() {
            return None;
        }
        self.chunks += 1;
        self.last_token_ms = Some(now_ms);
        if self.first_token_ms.is_none() {
            self.first_token_ms = Some(now_ms);
            self.last_progress_ms = now_ms;
            return Some(StreamEvent::FirstToken { ttft_ms: now_ms });
        }
        None
    }

    /// A progress event if one is due.
    pub fn progress(&mut self, now_ms: f64) -> Option<StreamEvent> {
        self.first_token_ms?;
        if now_ms - self.last_progress_ms < PROGRESS_INTERVAL_MS {
            return None;
        }
        self.last_progress_ms = now_ms;
        Some(StreamEvent::Progress {
            tokens: self.chunks,
            tokens_per_second: self.live_rate(),
            elapsed_ms: now_ms,
        })
    }

    /// Chunks per second between the first and the latest chunk.
    pub fn live_rate(&self) -> Option<f64> {
        let (first, last) = (self.first_token_ms?, self.last_token_ms?);
        let span = last - first;
        (self.chunks > 1 && span > 0.0).then(|| (self.chunks - 1) as f64 * 1000.0 / span)
    }

    pub fn chunks(&self) -> u64 {
        self.chunks
    }

    pub fn ttft_ms(&self) -> Option<f64> {
        self.first_token_ms
    }

    /// The final figures: the backend's own where it gave them, the
    /// companion's clock where it did not.
    pub fn finish(&self, now_ms: f64, backend: BackendFigures) -> GenerationMetrics {
        let mut source = backend.source.unwrap_or(FiguresSource::Companion);
        let mut eval_tokens = backend.eval_tokens;
        let mut eval_ms = backend.eval_ms;
        if eval_ms.is_none() {
            // Without the backend's decode time, the span from first to last
            // chunk is the closest measurement there is.
            if let (Some(first), Some(last)) = (self.first_token_ms, self.last_token_ms) {
                eval_ms = Some(last - first);
            }
            if eval_tokens.is_some() && source == FiguresSource::Companion {
                source = FiguresSource::Usage;
            }
        }
        if eval_tokens.is_none() && self.chunks > 0 {
            eval_tokens = Some(self.chunks);
        }
        let tokens_per_second = match (eval_tokens, eval_ms, backend.eval_ms) {
            (Some(n), Some(ms), Some(_)) if ms > 0.0 => Some(n as f64 * 1000.0 / ms),
            // From the companion's clock the first token has no duration of
            // its own: n tokens span n - 1 intervals.
            (Some(n), Some(ms), None) if ms > 0.0 && n > 1 => Some((n - 1) as f64 * 1000.0 / ms),
            _ => None,
        };
        let prompt_tokens_per_second = match (backend.prompt_tokens, backend.prompt_eval_ms) {
            (Some(n), Some(ms)) if ms > 0.0 => Some(n as f64 * 1000.0 / ms),
            _ => None,
        };
        GenerationMetrics {
            ttft_ms: self.first_token_ms,
            wall_ms: now_ms,
            load_ms: backend.load_ms,
            prompt_eval_ms: backend.prompt_eval_ms,
            prompt_tokens: backend.prompt_tokens,
            eval_ms,
            eval_tokens,
            total_ms: backend.total_ms,
            tokens_per_second,
            prompt_tokens_per_second,
            streamed_chunks: self.chunks,
            done_reason: backend.done_reason,
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttft_is_the_first_non_empty_chunk() {
        let mut timing = Timing::new();
        assert_eq!(timing.on_text(5.0, ""), None);
        assert_eq!(
            timing.on_text(120.0, "Hel"),
            Some(StreamEvent::FirstToken { ttft_ms: 120.0 })
        );
        assert_eq!(timing.on_text(140.0, "lo"), None);
        assert_eq!(timing.ttft_ms(), Some(120.0));
        assert_eq!(timing.chunks(), 2);
    }

    #[test]
    fn progress_comes_about_twice_a_second() {
        let mut timing = Timing::new();
        timing.on_text(100.0, "a");
        assert_eq!(timing.progress(300.0), None);
        timing.on_text(580.0, "b");
        timing.on_text(600.0, "c");
        let Some(StreamEvent::Progress {
            tokens,
            tokens_per_second,
            elapsed_ms,
        }) = timing.progress(600.0)
        else {
            panic!("progress due");
        };
        assert_eq!((tokens, elapsed_ms), (3, 600.0));
        assert!((tokens_per_second.unwrap() - 4.0).abs() < 1e-9);
        assert_eq!(timing.progress(700.0), None);
    }

    #[test]
    fn backend_figures_win_and_rates_follow_from_them() {
        let mut timing = Timing::new();
        timing.on_text(900.0, "x");
        let figures = BackendFigures {
            load_ms: Some(409.89),
            prompt_eval_ms: Some(345.98),
            prompt_tokens: Some(300),
            eval_ms: Some(55_952.2),
            eval_tokens: Some(2213),
            total_ms: Some(58_699.04),
            done_reason: Some("stop".into()),
            source: Some(FiguresSource::Ollama),
        };
        let metrics = timing.finish(58_800.0, figures);
        assert!((metrics.tokens_per_second.unwrap() - 39.5519).abs() < 1e-3);
        assert!((metrics.prompt_tokens_per_second.unwrap() - 867.10).abs() < 1e-2);
        assert_eq!(metrics.source, FiguresSource::Ollama);
        assert_eq!(metrics.ttft_ms, Some(900.0));
    }

    #[test]
    fn without_backend_durations_the_companion_clock_is_used() {
        let mut timing = Timing::new();
        timing.on_text(200.0, "a");
        timing.on_text(300.0, "b");
        timing.on_text(400.0, "c");
        let figures = BackendFigures {
            eval_tokens: Some(3),
            ..BackendFigures::default()
        };
        let metrics = timing.finish(450.0, figures);
        assert_eq!(metrics.eval_ms, Some(200.0));
        assert_eq!(metrics.tokens_per_second, Some(10.0));
        assert_eq!(metrics.source, FiguresSource::Usage);
    }
}
