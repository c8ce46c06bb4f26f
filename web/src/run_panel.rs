//! The agent run: set up agents A and B (backend, model, options, persona),
//! choose the scenario, run, watch each agent's stages live, then read the
//! reports (rendered safely) and download their files.

use std::sync::Arc;

use chimera_shared::agents::personas::AgentId;
use chimera_shared::agents::report::{self, AgentEnvironment, Environment};
use chimera_shared::agents::run::{
    self, AgentPlan, LlmClient, Mode, PassKind, Plan, Scenario, Step,
};
use chimera_shared::inventory::Inventory;
use chimera_shared::llm::backends::BackendStatus;
use chimera_shared::llm::live::LiveGeneration;
use chimera_shared::llm::{GenerateRequest, StreamEvent};
use chimera_shared::snapshot::{Snapshot, SnapshotFiles};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::download;
use crate::llm_widgets::{BackendPicker, LiveView, OptionsEditor, parse_options};
use crate::load::now_ms;
use crate::offload;
use crate::share_panel::ShareControls;
use crate::stream_client::{StopHandle, StreamEnd, fetch_backends, stream_generation};

/// Generations over the companion's streaming API, all stopped by one signal.
struct FetchClient {
    signal: web_sys::AbortSignal,
}

impl LlmClient for FetchClient {
    async fn generate(
        &self,
        request: GenerateRequest,
        on_event: &dyn Fn(&StreamEvent),
    ) -> LiveGeneration {
        let mut live = LiveGeneration::default();
        let live_cell = std::cell::RefCell::new(&mut live);
        let end = stream_generation(&request, &self.signal, |event| {
            on_event(&event);
            live_cell.borrow_mut().apply(event);
        })
        .await;
        match end {
            StreamEnd::Finished => {}
            StreamEnd::Stopped => live.stop(),
            StreamEnd::Broken(message) => live.broken(message),
        }
        live
    }
}

/// Everything one agent's column of the form holds.
#[derive(Clone, Copy)]
struct AgentForm {
    backend: RwSignal<String>,
    model: RwSignal<String>,
    options: RwSignal<Vec<(String, String)>>,
    persona: RwSignal<String>,
}

impl AgentForm {
    fn new(id: AgentId) -> Self {
        Self {
            backend: RwSignal::new(String::new()),
            model: RwSignal::new(String::new()),
            options: RwSignal::new(vec![("num_predict".into(), "256".into())]),
            persona: RwSignal::new(id.default_persona().to_owned()),
        }
    }
}

/// A finished run, frozen as a snapshot.
#[derive(Clone)]
struct Finished {
    snapshot: Arc<Snapshot>,
    stopped: bool,
}

#[component]
pub fn RunPanel(inventory: Arc<Inventory>, ingest_ms: f64) -> impl IntoView {
    let (backends, set_backends) = signal(Err::<Vec<BackendStatus>, String>("loading…".into()));
    let form_a = AgentForm::new(AgentId::A);
    let form_b = AgentForm::new(AgentId::B);
    let scenario = RwSignal::new(Scenario::BaselineVsChimera);
    let mode = RwSignal::new(Mode::Parallel);
    let runs = RwSignal::new(String::from("1"));
    let (form_error, set_form_error) = signal(None::<String>);
    let (running, set_running) = signal(false);
    let live_a = RwSignal::new(LiveGeneration::default());
    let live_b = RwSignal::new(LiveGeneration::default());
    let (step_a, set_step_a) = signal(None::<Step>);
    let (step_b, set_step_b) = signal(None::<Step>);
    let (finished, set_finished) = signal(None::<Finished>);
    let controller = StopHandle::new();

    spawn_local(async move {
        let result = fetch_backends().await;
        if let Ok(list) = &result {
            let reachable: Vec<_> = list.iter().filter(|b| b.reachable).collect();
            let first = reachable.first().copied().or(list.first());
            if let Some(first) = first {
                form_a.backend.set(first.name.clone());
                // With two backends, each agent gets its own so they do not queue.
                let second = reachable.get(1).copied().unwrap_or(first);
                form_b.backend.set(second.name.clone());
            }
        }
        set_backends.set(result);
    });

    let start = {
        let inventory = inventory.clone();
        move |_| {
            let parsed = (|| -> Result<Plan, String> {
                let options_a = parse_options(&form_a.options.get_untracked())
                    .map_err(|e| format!("Agent A: {e}"))?;
                let options_b = parse_options(&form_b.options.get_untracked())
                    .map_err(|e| format!("Agent B: {e}"))?;
                let runs: usize = runs
                    .get_untracked()
                    .trim()
                    .parse()
                    .map_err(|_| "runs must be a whole number".to_string())?;
                if !(1..=20).contains(&runs) {
                    return Err("runs must be between 1 and 20".into());
                }
                for (form, id) in [(form_a, AgentId::A), (form_b, AgentId::B)] {
                    if form.model.get_untracked().is_empty() {
                        return Err(format!("{}: pick a model", id.label()));
                    }
                    if form.persona.get_untracked().trim().is_empty() {
                        return Err(format!("{}: the persona is empty", id.label()));
                    }
                }
                let scenario = scenario.get_untracked();
                let (a_options, b_options) = scenario.resolve(&options_a, &options_b);
                let agent = |form: AgentForm, id: AgentId, options| AgentPlan {
                    agent: id,
                    backend: form.backend.get_untracked(),
                    model: form.model.get_untracked(),
                    persona: form.persona.get_untracked(),
                    options,
                };
                Ok(Plan {
                    scenario,
                    mode: mode.get_untracked(),
                    runs,
                    a: agent(form_a, AgentId::A, a_options),
                    b: agent(form_b, AgentId::B, b_options),
                })
            })();
            let plan = match parsed {
                Ok(plan) => plan,
                Err(message) => {
                    set_form_error.set(Some(message));
                    return;
                }
            };
            set_form_error.set(None);
            let Some(signal) = controller.arm() else {
                return;
            };
            let client = FetchClient { signal };
            set_running.set(true);
            set_finished.set(None);
            live_a.set(LiveGeneration::default());
            live_b.set(LiveGeneration::default());
            let inventory = inventory.clone();
            let statuses = backends.get_untracked().unwrap_or_default();
            spawn_local(async move {
                let on_event = move |step: Step, event: &StreamEvent| {
                    let (live, set_step, current) = match step.agent {
                        AgentId::A => (live_a, set_step_a, step_a),
                        AgentId::B => (live_b, set_step_b, step_b),
                    };
                    if current.get_untracked() != Some(step) {
                        set_step.set(Some(step));
                        live.set(LiveGeneration::default());
                    }
                    live.update(|l| l.apply(event.clone()));
                };
                let experiment =
                    run::run_experiment(&client, &now_ms, &plan, &inventory, ingest_ms, &on_event)
                        .await;
                let environment = Environment {
                    chimera_version: env!("CARGO_PKG_VERSION").to_owned(),
                    generated_at: now_iso(),
                    a: AgentEnvironment::from_status(&plan.a, &statuses),
                    b: AgentEnvironment::from_status(&plan.b, &statuses),
                };
                let files = report::render(&experiment, &inventory, &environment);
                let snapshot = Snapshot::new(&experiment, &inventory, &environment, &files);
                let stopped = client.signal.aborted();
                set_finished.set(Some(Finished {
                    snapshot: Arc::new(snapshot),
                    stopped,
                }));
                set_running.set(false);
            });
        }
    };
    let stop = move |_| controller.stop();

    let scenario_select = move |ev| {
        if let Ok(value) = Scenario::parse(&event_target_value(&ev)) {
            scenario.set(value);
        }
    };
    let mode_select = move |ev| {
        mode.set(if event_target_value(&ev) == "pipeline" {
            Mode::Pipeline
        } else {
            Mode::Parallel
        })
    };

    view! {
        <section class="panel run" data-testid="run-panel">
            <h2>"Run the agents"</h2>
            <p class="note">"Agent A (data collector) and agent B (insight analyst) read a summary computed from this folder, on your LLM backends, then Chimera writes the technical report and checks the numbers the models state."</p>
            {move || backends.with(|b| b.as_ref().err().cloned()).map(|message| view! {
                <p class="error">{format!("Backends: {message}")}</p>
            })}
            <div class="agents-setup">
                <AgentSetup id=AgentId::A form=form_a backends/>
                <AgentSetup id=AgentId::B form=form_b backends/>
            </div>
            <div class="row run-controls">
                <label>"Scenario "
                    <select data-testid="run-scenario" on:change=scenario_select>
                        <option value="baseline_vs_chimera">"baseline_vs_chimera — A on backend defaults, B with B's options"</option>
                        <option value="chimera_hetero">"chimera_hetero — each agent with its own options"</option>
                        <option value="chimera_homo">"chimera_homo — both with A's options"</option>
                    </select>
                </label>
                <label>"Mode "
                    <select data-testid="run-mode" on:change=mode_select>
                        <option value="parallel">"parallel — A alone, B alone, then together"</option>
                        <option value="pipeline">"pipeline — B reads A's report"</option>
                    </select>
                </label>
                <label>"Runs " <input type="number" min="1" max="20" class="runs" data-testid="run-count" prop:value=move || runs.get() on:input=move |ev| runs.set(event_target_value(&ev))/></label>
            </div>
            {move || form_error.get().map(|m| view! { <p class="error" data-testid="run-form-error">{m}</p> })}
            <div class="actions-left">
                <button class="button" data-testid="run-start" on:click=start disabled=move || running.get()>"Run"</button>
                <button class="button secondary" data-testid="run-stop" on:click=stop disabled=move || !running.get()>"Stop"</button>
            </div>
            <div class="agents-live">
                <AgentLive id=AgentId::A live=live_a step=step_a/>
                <AgentLive id=AgentId::B live=live_b step=step_b/>
            </div>
            {move || finished.get().map(|f| view! {
                <ReportView files=Arc::new(f.snapshot.files.clone()) stopped=f.stopped/>
                <ShareControls snapshot=f.snapshot.clone()/>
            })}
        </section>
    }
}

#[component]
fn AgentSetup(
    id: AgentId,
    form: AgentForm,
    backends: ReadSignal<Result<Vec<BackendStatus>, String>>,
) -> impl IntoView {
    let slug = id.slug();
    view! {
        <div class="agent-setup" data-testid=format!("setup-{slug}")>
            <h3>{format!("{} — {}", id.label(), id.role())}</h3>
            <BackendPicker backends backend=form.backend model=form.model label="Backend and model" testid=slug/>
            <details class="options-box"><summary>"Options"</summary><OptionsEditor values=form.options testid=format!("{slug}-option")/></details>
            <details class="options-box"><summary>"Persona (system prompt)"</summary>
                <textarea rows="9" class="persona" data-testid=format!("{slug}-persona") prop:value=move || form.persona.get() on:input=move |ev| form.persona.set(event_target_value(&ev))></textarea>
                <button class="button secondary small" on:click=move |_| form.persona.set(id.default_persona().to_owned())>"Reset to default"</button>
            </details>
        </div>
    }
}

#[component]
fn AgentLive(
    id: AgentId,
    live: RwSignal<LiveGeneration>,
    step: ReadSignal<Option<Step>>,
) -> impl IntoView {
    let where_text = move || {
        step.get().map_or_else(
            || "not started".to_string(),
            |s| {
                let pass = match s.pass {
                    PassKind::Alone(_) => "alone".to_string(),
                    PassKind::Together => "together with the other agent".to_string(),
                    PassKind::Pipeline => "pipeline".to_string(),
                };
                format!("run {} · {pass} · {} stage", s.run + 1, s.stage.label())
            },
        )
    };
    view! {
        <div class="agent-live">
            <h3>{id.label()} " " <span class="note" data-testid=format!("{}-step", id.slug())>{where_text}</span></h3>
            <LiveView live testid=format!("{}-live", id.slug())/>
        </div>
    }
}

/// The three reports in tabs, rendered safely, with downloads of every file.
/// The Markdown is rendered in the worker; the reports appear once it is.
#[component]
pub fn ReportView(files: Arc<SnapshotFiles>, stopped: bool) -> impl IntoView {
    let (tab, set_tab) = signal(0usize);
    let tabs: [(&str, &str, String); 3] = [
        (
            "Combined report",
            "combined_report.md",
            files.combined_report.clone(),
        ),
        (
            "Agent A report",
            "agent_a_report.md",
            files.agent_a_report.clone(),
        ),
        (
            "Agent B report",
            "agent_b_report.md",
            files.agent_b_report.clone(),
        ),
    ];
    let (html, set_html) = signal(None::<Result<Vec<String>, String>>);
    {
        let texts: Vec<String> = tabs.iter().map(|(_, _, text)| text.clone()).collect();
        spawn_local(async move {
            set_html.set(Some(offload::markdown_to_html(&texts).await));
        });
    }
    let mut downloads: Vec<(String, &'static str, String)> = tabs
        .iter()
        .map(|(_, name, text)| (name.to_string(), "text/markdown", text.clone()))
        .collect();
    if let Some(metrics) = &files.metrics_json {
        downloads.push(("metrics.json".into(), "application/json", metrics.clone()));
    }
    let labels: Vec<&'static str> = tabs.iter().map(|(label, _, _)| *label).collect();
    let markdown: Vec<String> = tabs.into_iter().map(|(_, _, text)| text).collect();
    move || {
        let html = match html.get() {
            None => {
                return view! { <p class="note" data-testid="report-rendering">"Rendering the report…"</p> }
                    .into_any();
            }
            Some(html) => html,
        };
        let tab_buttons = labels
            .iter()
            .enumerate()
            .map(|(i, label)| {
                view! {
                    <button class="tab" class:active=move || tab.get() == i role="tab" aria-selected=move || (tab.get() == i).to_string() on:click=move |_| set_tab.set(i)>{*label}</button>
                }
            })
            .collect_view();
        let download_buttons = downloads
            .iter()
            .cloned()
            .map(|(name, mime, text)| {
                let label = format!("Download {name}");
                let testid = format!("download-{}", name.replace('.', "-"));
                view! {
                    <button class="button secondary small" data-testid=testid on:click=move |_| { let _ = download::save_text(&name, mime, &text); }>{label}</button>
                }
            })
            .collect_view();
        let body = match html {
            Ok(html) => view! {
                <article class="report-body" data-testid="report-body" inner_html=move || html.get(tab.get()).cloned().unwrap_or_default()></article>
            }
            .into_any(),
            // Without the worker the reports are still there, as the
            // Markdown they are.
            Err(error) => {
                let markdown = markdown.clone();
                view! {
                    <p class="note">"The report could not be rendered (" {error} "); here is its Markdown."</p>
                    <pre class="report-body" data-testid="report-body">{move || markdown.get(tab.get()).cloned().unwrap_or_default()}</pre>
                }
                .into_any()
            }
        };
        view! {
            <div class="reports" data-testid="reports">
                {stopped.then(|| view! { <p class="note">"The run was stopped: the reports show what was done before Stop."</p> })}
                <div class="tabs" role="tablist">{tab_buttons}</div>
                {body}
                <div class="downloads">{download_buttons}</div>
            </div>
        }
        .into_any()
    }
}

fn now_iso() -> String {
    let iso = String::from(js_sys::Date::new_0().to_iso_string());
    // "2026-12-03T13:40:00.123Z" → whole seconds, as the command line writes.
    match iso.split_once('.') {
        Some((seconds, _)) => format!("{seconds}Z"),
        None => iso,
    }
}
