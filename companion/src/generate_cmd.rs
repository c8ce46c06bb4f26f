//! `chimera generate`: one generation from the terminal, through the same
//! backend client and stream as the page.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use chimera_shared::llm::{GenerateRequest, GenerationMetrics, GenerationOptions, StreamEvent};
use futures_util::StreamExt;
use serde_json::json;

use crate::cli::GenerateArgs;
use crate::generate::generate;

pub fn run(args: &GenerateArgs) -> ExitCode {
    match try_run(args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("chimera: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn try_run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let backends = Arc::new(args.backend.load()?);
    let mut options = GenerationOptions::default();
    for pair in &args.options {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("option {pair:?} must look like key=value"))?;
        options.set(key.trim(), value).map_err(anyhow::Error::msg)?;
    }
    let backend = backends
        .all()
        .first()
        .expect("there is always a backend")
        .name
        .clone();
    let request = GenerateRequest {
        backend,
        model: args.model.clone(),
        system: args.system.clone(),
        prompt: args.prompt.clone(),
        options,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(stream_to_terminal(backends, request, args.json));
    Ok(outcome)
}

async fn stream_to_terminal(
    backends: Arc<crate::backend::Backends>,
    request: GenerateRequest,
    json_out: bool,
) -> ExitCode {
    let mut text = String::new();
    let mut thinking = String::new();
    let mut stream = std::pin::pin!(generate(backends, request));
    // With --json, stdout carries only the final object; the text goes to stderr.
    let mut live: Box<dyn Write> = if json_out {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    let mut ignored = Vec::new();
    while let Some(event) = stream.next().await {
        match event {
            StreamEvent::Queued { position } => eprintln!("(queued: position {position})"),
            StreamEvent::Started {
                ignored_options, ..
            } => {
                for option in &ignored_options {
                    eprintln!(
                        "note: option {} does not apply here: {}",
                        option.option, option.reason
                    );
                }
                ignored = ignored_options;
            }
            StreamEvent::Thinking { text: piece } => {
                thinking.push_str(&piece);
                let _ = write!(std::io::stderr(), "{piece}");
            }
            StreamEvent::Delta { text: piece } => {
                text.push_str(&piece);
                let _ = write!(live, "{piece}");
                let _ = live.flush();
            }
            StreamEvent::FirstToken { .. } | StreamEvent::Progress { .. } => {}
            StreamEvent::Done { metrics } => {
                let _ = writeln!(live);
                if json_out {
                    println!(
                        "{}",
                        result_json(&text, &thinking, &metrics, &ignored, None)
                    );
                } else {
                    eprint!("{}", metrics_text(&metrics));
                }
                return ExitCode::SUCCESS;
            }
            StreamEvent::Error {
                kind,
                message,
                partial,
                metrics,
            } => {
                let _ = writeln!(live);
                if partial {
                    eprintln!("(the text above is partial)");
                }
                eprintln!("chimera: {message}");
                if json_out && let Some(metrics) = &metrics {
                    let error = json!({"kind": kind, "message": message});
                    println!(
                        "{}",
                        result_json(&text, &thinking, metrics, &ignored, Some(error))
                    );
                }
                return ExitCode::FAILURE;
            }
        }
    }
    eprintln!("chimera: the stream ended without a result");
    ExitCode::FAILURE
}

/// Parses `key=value` pairs into options.
pub fn parse_options(pairs: &[String]) -> anyhow::Result<GenerationOptions> {
    let mut options = GenerationOptions::default();
    for pair in pairs {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("option {pair:?} must look like key=value"))?;
        options.set(key.trim(), value).map_err(anyhow::Error::msg)?;
    }
    Ok(options)
}

fn result_json(
    text: &str,
    thinking: &str,
    metrics: &GenerationMetrics,
    ignored: &[chimera_shared::llm::events::IgnoredOption],
    error: Option<serde_json::Value>,
) -> String {
    let mut value = serde_json::to_value(metrics).expect("metrics serialise");
    value["text"] = json!(text);
    if !thinking.is_empty() {
        value["thinking"] = json!(thinking);
    }
    value["ignored_options"] = json!(ignored);
    if let Some(error) = error {
        value["error"] = error;
    }
    serde_json::to_string_pretty(&value).expect("JSON serialises")
}

fn metrics_text(metrics: &GenerationMetrics) -> String {
    let ms = |v: Option<f64>| v.map_or_else(|| "—".to_string(), |v| format!("{v:.1} ms"));
    let count = |v: Option<u64>| v.map_or_else(|| "—".to_string(), |v| v.to_string());
    let rate = |v: Option<f64>| v.map_or_else(|| "—".to_string(), |v| format!("{v:.2} tok/s"));
    let mut out = String::from("\n");
    out.push_str(&format!("TTFT            {}\n", ms(metrics.ttft_ms)));
    out.push_str(&format!(
        "Decode rate     {}\n",
        rate(metrics.tokens_per_second)
    ));
    out.push_str(&format!("Load            {}\n", ms(metrics.load_ms)));
    out.push_str(&format!(
        "Prompt eval     {} ({} tokens, {})\n",
        ms(metrics.prompt_eval_ms),
        count(metrics.prompt_tokens),
        rate(metrics.prompt_tokens_per_second)
    ));
    out.push_str(&format!(
        "Eval            {} ({} tokens)\n",
        ms(metrics.eval_ms),
        count(metrics.eval_tokens)
    ));
    out.push_str(&format!("Backend total   {}\n", ms(metrics.total_ms)));
    out.push_str(&format!("Wall (companion) {:.1} ms\n", metrics.wall_ms));
    out.push_str(&format!("Figures from    {:?}\n", metrics.source));
    out
}
