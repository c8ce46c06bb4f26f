//! "Ask a model": one prompt to one backend, streamed live with its timing
//! figures. The quickest check that the companion reaches the user's LLM.

use chimera_shared::llm::GenerateRequest;
use chimera_shared::llm::backends::BackendStatus;
use chimera_shared::llm::live::LiveGeneration;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::llm_widgets::{BackendPicker, LiveView, OptionsEditor, parse_options};
use crate::stream_client::{StopHandle, StreamEnd, fetch_backends, stream_generation};

#[component]
pub fn GeneratePanel() -> impl IntoView {
    let (backends, set_backends) = signal(Err::<Vec<BackendStatus>, String>("loading…".into()));
    let backend = RwSignal::new(String::new());
    let model = RwSignal::new(String::new());
    let system = RwSignal::new(String::from("You are a concise assistant."));
    let prompt = RwSignal::new(String::from(
        "In one sentence, what is time to first token?",
    ));
    let option_values = RwSignal::new(vec![("num_predict".to_string(), "64".to_string())]);
    let live = RwSignal::new(LiveGeneration::default());
    let (running, set_running) = signal(false);
    let (form_error, set_form_error) = signal(None::<String>);
    let controller = StopHandle::new();

    let refresh = move || {
        spawn_local(async move {
            let result = fetch_backends().await;
            if let Ok(list) = &result
                && backend.get_untracked().is_empty()
                && let Some(first) = list.iter().find(|b| b.reachable).or(list.first())
            {
                backend.set(first.name.clone());
            }
            set_backends.set(result);
        });
    };
    refresh();

    let run = move |_| {
        let options = match parse_options(&option_values.get_untracked()) {
            Ok(options) => options,
            Err(message) => {
                set_form_error.set(Some(message));
                return;
            }
        };
        if model.get_untracked().is_empty() {
            set_form_error.set(Some("pick a model first".into()));
            return;
        }
        set_form_error.set(None);
        let system_text = system.get_untracked();
        let request = GenerateRequest {
            backend: backend.get_untracked(),
            model: model.get_untracked(),
            system: (!system_text.trim().is_empty()).then_some(system_text),
            prompt: prompt.get_untracked(),
            options,
        };
        let Some(signal_handle) = controller.arm() else {
            return;
        };
        live.set(LiveGeneration::default());
        set_running.set(true);
        spawn_local(async move {
            let end = stream_generation(&request, &signal_handle, |event| {
                live.update(|l| l.apply(event))
            })
            .await;
            match end {
                StreamEnd::Finished => {}
                StreamEnd::Stopped => live.update(LiveGeneration::stop),
                StreamEnd::Broken(message) => live.update(|l| l.broken(message)),
            }
            set_running.set(false);
        });
    };
    let stop = move |_| controller.stop();

    view! {
        <section class="panel generate" data-testid="generate-panel">
            <h2>"Ask a model"</h2>
            <p class="note">"One prompt, streamed from your backend through the companion, with its timing figures."</p>
            {move || backends.with(|b| b.as_ref().err().cloned()).map(|message| view! {
                <p class="error" data-testid="backends-error">{format!("Backends: {message}")}</p>
            })}
            <div class="row">
                <BackendPicker backends backend model label="Backend and model" testid="ask"/>
                <button class="button secondary" on:click=move |_| refresh()>"Refresh backends"</button>
            </div>
            <label class="block">"System prompt"
                <textarea rows="2" data-testid="ask-system" prop:value=move || system.get() on:input=move |ev| system.set(event_target_value(&ev))></textarea>
            </label>
            <label class="block">"Prompt"
                <textarea rows="3" data-testid="ask-prompt" prop:value=move || prompt.get() on:input=move |ev| prompt.set(event_target_value(&ev))></textarea>
            </label>
            <details class="options-box"><summary>"Options"</summary><OptionsEditor values=option_values testid="ask-option"/></details>
            {move || form_error.get().map(|m| view! { <p class="error" data-testid="form-error">{m}</p> })}
            <div class="actions-left">
                <button class="button" data-testid="ask-run" on:click=run disabled=move || running.get()>"Run"</button>
                <button class="button secondary" data-testid="ask-stop" on:click=stop disabled=move || !running.get()>"Stop"</button>
            </div>
            <LiveView live testid="ask-live"/>
        </section>
    }
}
