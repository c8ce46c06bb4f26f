//! Pieces of the page that talk about LLM backends and generations: the
//! backend and model pickers, the options editor, and the live view of a
//! streaming generation. The single-prompt panel and the agent run use them.

use chimera_shared::llm::backends::BackendStatus;
use chimera_shared::llm::live::{LiveGeneration, Phase};
use chimera_shared::llm::options::OPTION_NAMES;
use chimera_shared::llm::{GenerationMetrics, GenerationOptions};
use leptos::prelude::*;

/// Picks a backend and one of its models. Unreachable backends are listed
/// with their error, so the user sees why a model list is empty.
#[component]
pub fn BackendPicker(
    backends: ReadSignal<Result<Vec<BackendStatus>, String>>,
    backend: RwSignal<String>,
    model: RwSignal<String>,
    #[prop(into)] label: String,
    #[prop(into)] testid: String,
) -> impl IntoView {
    let current = move || {
        backends.with(|list| {
            list.as_ref()
                .ok()
                .and_then(|l| l.iter().find(|b| b.name == backend.get()).cloned())
        })
    };
    // Keep the model valid for the chosen backend.
    Effect::new(move |_| {
        if let Some(status) = current()
            && !status
                .models
                .iter()
                .any(|m| m.name == model.get_untracked())
            && let Some(first) = status.models.first()
        {
            model.set(first.name.clone());
        }
    });
    let backend_testid = format!("{testid}-backend");
    let model_testid = format!("{testid}-model");
    view! {
        <fieldset class="picker">
            <legend>{label}</legend>
            <label>"Backend "
                <select data-testid=backend_testid on:change=move |ev| backend.set(event_target_value(&ev)) prop:value=move || backend.get()>
                    {move || backends.with(|list| match list {
                        Ok(list) => list.iter().map(|b| {
                            let name = b.name.clone();
                            let text = format!("{} ({})", b.name, b.kind.label());
                            view! { <option value=name.clone() selected=move || backend.get() == name>{text}</option> }
                        }).collect_view().into_any(),
                        Err(_) => ().into_any(),
                    })}
                </select>
            </label>
            <label>"Model "
                <select data-testid=model_testid on:change=move |ev| model.set(event_target_value(&ev)) prop:value=move || model.get()>
                    {move || current().map(|status| status.models.iter().map(|m| {
                        let name = m.name.clone();
                        let detail = [m.parameter_size.clone(), m.quantization.clone()].into_iter().flatten().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", ");
                        let text = if detail.is_empty() { m.name.clone() } else { format!("{} ({detail})", m.name) };
                        view! { <option value=name.clone() selected=move || model.get() == name>{text}</option> }
                    }).collect_view())}
                </select>
            </label>
            <span class="note">{move || current().map(|s| describe_backend(&s))}</span>
        </fieldset>
    }
}

fn describe_backend(status: &BackendStatus) -> String {
    if !status.reachable {
        return format!("unreachable: {}", status.error.clone().unwrap_or_default());
    }
    let version = status
        .version
        .as_deref()
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    let loaded = status
        .loaded
        .iter()
        .map(|l| match l.gpu_share {
            Some(share) => format!("{} loaded, {:.0}% in GPU memory", l.name, share * 100.0),
            None => format!("{} loaded", l.name),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut text = format!(
        "{}{version} at {}, {} models",
        status.kind.label(),
        status.url,
        status.models.len()
    );
    if !loaded.is_empty() {
        text.push_str(&format!("; {loaded}"));
    }
    text
}

/// Text inputs for each option; blank keeps the backend's default. Returns
/// the options, or the first validation error.
#[component]
pub fn OptionsEditor(
    values: RwSignal<Vec<(String, String)>>,
    #[prop(into)] testid: String,
) -> impl IntoView {
    let inputs = OPTION_NAMES
        .iter()
        .map(|name| {
            let name = *name;
            let value = move || values.with(|v| v.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default());
            let on_input = move |ev| {
                let text = event_target_value(&ev);
                values.update(|v| {
                    v.retain(|(k, _)| k != name);
                    if !text.trim().is_empty() {
                        v.push((name.to_string(), text));
                    }
                });
            };
            view! {
                <label class="option">
                    <span>{name}</span>
                    <input type="text" inputmode="decimal" placeholder="default" data-testid=format!("{testid}-{name}") prop:value=value on:input=on_input/>
                </label>
            }
        })
        .collect_view();
    view! { <div class="options">{inputs}</div> }
}

/// Parses the editor's values.
pub fn parse_options(values: &[(String, String)]) -> Result<GenerationOptions, String> {
    let mut options = GenerationOptions::default();
    for (key, value) in values {
        options.set(key, value)?;
    }
    Ok(options)
}

/// The live state of one generation: phase, timing figures, and text.
#[component]
pub fn LiveView(live: RwSignal<LiveGeneration>, #[prop(into)] testid: String) -> impl IntoView {
    let phase = move || live.with(|l| l.phase);
    let phase_text = move || {
        live.with(|l| match (l.phase, l.queued_position) {
            (Phase::Queued, Some(p)) => format!("queued (position {p})"),
            (phase, _) => phase.label().to_string(),
        })
    };
    let figure = |value: Option<f64>, unit: &str| {
        value.map_or_else(|| "—".to_string(), |v| format!("{v:.1} {unit}"))
    };
    view! {
        <div class="live" data-testid=testid>
            <div class="live-strip">
                <span class=move || format!("badge phase-{:?}", phase()).to_lowercase() data-testid="phase">{phase_text}</span>
                <span>"TTFT " <b data-testid="ttft">{move || live.with(|l| figure(l.ttft_ms, "ms"))}</b></span>
                <span>"Tokens " <b data-testid="tokens">{move || live.with(|l| l.tokens)}</b></span>
                <span>"Rate " <b data-testid="rate">{move || live.with(|l| figure(l.tokens_per_second, "tok/s"))}</b></span>
                <span>"Elapsed " <b>{move || live.with(|l| figure(l.elapsed_ms, "ms"))}</b></span>
            </div>
            {move || live.with(|l| (!l.ignored_options.is_empty()).then(|| {
                let items = l.ignored_options.iter().map(|o| format!("{}: {}", o.option, o.reason)).collect::<Vec<_>>().join("; ");
                view! { <p class="note">"Not applied by this backend — " {items}</p> }
            }))}
            {move || live.with(|l| l.error.clone()).map(|(_, message)| view! {
                <div class="error" role="alert" data-testid="generation-error">{message}
                    {move || live.with(|l| (!l.text.is_empty()).then_some(" The text below is what arrived before the failure."))}
                </div>
            })}
            {move || live.with(|l| (!l.thinking.is_empty()).then(|| view! {
                <details class="thinking"><summary>"Thinking"</summary><pre>{l.thinking.clone()}</pre></details>
            }))}
            <pre class="output" data-testid="output">{move || live.with(|l| l.text.clone())}</pre>
            {move || live.with(|l| l.metrics.clone()).map(|m| view! { <MetricsTable metrics=m/> })}
        </div>
    }
}

/// The final figures of a generation, with where the time to first token went.
#[component]
pub fn MetricsTable(metrics: GenerationMetrics) -> impl IntoView {
    let ms = |v: Option<f64>| v.map_or_else(|| "—".to_string(), |v| format!("{v:.1} ms"));
    let count = |v: Option<u64>| v.map_or_else(|| "—".to_string(), |v| v.to_string());
    let rate = |v: Option<f64>| v.map_or_else(|| "—".to_string(), |v| format!("{v:.2} tok/s"));
    let breakdown = metrics.ttft_breakdown().map(|b| {
        let total = (b.load_ms + b.prompt_eval_ms + b.other_ms).max(1e-9);
        // An SVG bar: its geometry is attributes, which the page's strict
        // Content-Security-Policy (no inline styles) allows.
        let load_w = b.load_ms * 100.0 / total;
        let prompt_w = b.prompt_eval_ms * 100.0 / total;
        let other_w = b.other_ms * 100.0 / total;
        view! {
            <svg class="ttft-split" viewBox="0 0 100 4" preserveAspectRatio="none" role="img" aria-label="Where the time to first token went">
                <rect class="load" x="0" y="0" height="4" width=format!("{load_w:.2}")><title>{format!("load {:.1} ms", b.load_ms)}</title></rect>
                <rect class="prompt" x=format!("{load_w:.2}") y="0" height="4" width=format!("{prompt_w:.2}")><title>{format!("prompt processing {:.1} ms", b.prompt_eval_ms)}</title></rect>
                <rect class="other" x=format!("{:.2}", load_w + prompt_w) y="0" height="4" width=format!("{other_w:.2}")><title>{format!("first token and overhead {:.1} ms", b.other_ms)}</title></rect>
            </svg>
            <p class="note">{format!("Time to first token: load {:.1} ms + prompt processing {:.1} ms + first token and overhead {:.1} ms.", b.load_ms, b.prompt_eval_ms, b.other_ms)}</p>
        }
    });
    view! {
        <table class="metrics" data-testid="metrics">
            <tbody>
                <tr><th>"Decode rate"</th><td data-testid="m-rate">{rate(metrics.tokens_per_second)}</td><th>"TTFT (companion)"</th><td data-testid="m-ttft">{ms(metrics.ttft_ms)}</td></tr>
                <tr><th>"Prompt eval"</th><td>{format!("{} ({} tokens, {})", ms(metrics.prompt_eval_ms), count(metrics.prompt_tokens), rate(metrics.prompt_tokens_per_second))}</td><th>"Load"</th><td>{ms(metrics.load_ms)}</td></tr>
                <tr><th>"Eval"</th><td data-testid="m-eval">{format!("{} ({} tokens)", ms(metrics.eval_ms), count(metrics.eval_tokens))}</td><th>"Backend total"</th><td>{ms(metrics.total_ms)}</td></tr>
                <tr><th>"Wall (companion)"</th><td>{format!("{:.1} ms", metrics.wall_ms)}</td><th>"Figures from"</th><td>{format!("{:?}", metrics.source)}</td></tr>
            </tbody>
        </table>
        {breakdown}
    }
}
