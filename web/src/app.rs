//! The root component: the drop zone, the progress of a load, and the
//! inventory once it is ready.

use std::sync::Arc;

use chimera_shared::inventory::Inventory;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::generate_panel::GeneratePanel;
use crate::load::{self, Job, Progress};
use crate::summary::{InventorySummary, InventoryView};

/// The example folder shipped with Chimera, served beside the page.
const EXAMPLE_URL: &str = "/examples/chimeraforge-reports.zip";
const EXAMPLE_NAME: &str = "chimeraforge-reports.zip";

#[derive(Debug, Clone, PartialEq)]
enum LoadState {
    Idle,
    Loading(Progress),
    Failed(String),
    Ready {
        inventory: Arc<Inventory>,
        elapsed_ms: f64,
    },
}

/// Which input a load reads.
enum Source {
    ZipFile(web_sys::File),
    Folder(Vec<web_sys::File>),
    Example,
}

#[component]
pub fn App() -> impl IntoView {
    // A shared report link shows only that report.
    if let Some(source) = crate::share_panel::shared_source() {
        return view! {
            <header class="top">
                <h1><a href="/" class="home">"Chimera"</a></h1>
                <p class="tagline">"Understand your local-LLM benchmark results."</p>
            </header>
            <main><crate::share_panel::SharedReport source/></main>
        }
        .into_any();
    }
    Workbench().into_any()
}

/// The working page: load a folder, inspect it, run the agents.
#[component]
fn Workbench() -> impl IntoView {
    let (state, set_state) = signal(LoadState::Idle);
    let (dragging, set_dragging) = signal(false);
    // Off, a load counts and checks the files without reading the numbers
    // inside them: much faster on very large folders.
    let read_metrics = RwSignal::new(true);
    // Each load gets a number; a newer load makes older ones stop and drop
    // their results.
    let generation = StoredValue::new(0u64);

    let start_load = move |source: Source| {
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        let on_progress = move |progress: Progress| {
            if generation.get_value() != mine {
                return false;
            }
            set_state.set(LoadState::Loading(progress));
            true
        };
        set_state.set(LoadState::Loading(Progress {
            label: "Opening…".into(),
            done: 0,
            total: 0,
            unit: "entries",
        }));
        let read_metrics = read_metrics.get_untracked();
        spawn_local(async move {
            let started = load::now_ms();
            let job = match source {
                Source::ZipFile(file) => Job::ZipFile(file),
                Source::Folder(files) => Job::Folder(files),
                Source::Example => example_job(),
            };
            let result = load::read(job, read_metrics, on_progress).await;
            if generation.get_value() != mine {
                return;
            }
            match result {
                Ok(Some(inventory)) => {
                    let elapsed_ms = load::now_ms() - started;
                    set_state.set(LoadState::Ready {
                        inventory,
                        elapsed_ms,
                    });
                }
                Ok(None) => {}
                Err(message) => set_state.set(LoadState::Failed(message)),
            }
        });
    };

    // Once the page is up, start the reader and have it read the bundled
    // example once, and draw the result into a detached element, unseen. The
    // browser compiles WebAssembly a function at a time on first call and
    // runs it in quickly compiled, slower code at first: without this the
    // user's first zip paid for that (about 190 ms instead of 90 ms from
    // pick to shown for the example). A load started by the user meanwhile
    // makes it stop.
    set_timeout(
        move || {
            let first_load = generation.get_value();
            spawn_local(async move {
                let still_idle = move |_: Progress| generation.get_value() == first_load;
                let read = load::read(example_job(), true, still_idle).await;
                if let Ok(Some(inventory)) = read
                    && generation.get_value() == first_load
                {
                    warm_up_drawing(inventory).await;
                }
                if let Some(root) = document().document_element() {
                    let _ = root.set_attribute("data-warm", "");
                }
            });
        },
        std::time::Duration::from_millis(50),
    );

    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        set_dragging.set(false);
        let Some(file) = ev
            .data_transfer()
            .and_then(|dt| dt.files())
            .and_then(|files| files.get(0))
        else {
            return;
        };
        // A dropped folder arrives as a zero-byte file with no type.
        if file.size() == 0.0 && file.type_().is_empty() && !file.name().contains('.') {
            set_state.set(LoadState::Failed(format!(
                "{} looks like a folder: drop a .zip of it, or use \"Choose folder\"",
                file.name()
            )));
            return;
        }
        start_load(Source::ZipFile(file));
    };

    let on_pick_zip = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|files| files.get(0)) {
            start_load(Source::ZipFile(file));
        }
        input.set_value("");
    };

    let on_pick_folder = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let files: Vec<web_sys::File> = input
            .files()
            .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
            .unwrap_or_default();
        if !files.is_empty() {
            start_load(Source::Folder(files));
        }
        input.set_value("");
    };

    view! {
        <header class="top">
            <h1>"Chimera"</h1>
            <p class="tagline">"Understand your local-LLM benchmark results. Files are read in this page; nothing is uploaded."</p>
        </header>
        <main>
            <section
                class="drop"
                class:dragging=move || dragging.get()
                on:dragover=move |ev: web_sys::DragEvent| {
                    ev.prevent_default();
                    set_dragging.set(true);
                }
                on:dragleave=move |_| set_dragging.set(false)
                on:drop=on_drop
                data-testid="drop-zone"
            >
                <p class="drop-title">"Drop a zipped reports folder here"</p>
                <div class="actions">
                    <label class="button">
                        "Choose zip…"
                        <input type="file" accept=".zip,application/zip" class="hidden-input" data-testid="zip-input" on:change=on_pick_zip/>
                    </label>
                    <label class="button">
                        "Choose folder…"
                        <input type="file" prop:webkitdirectory=true multiple=true class="hidden-input" data-testid="folder-input" on:change=on_pick_folder/>
                    </label>
                    <button class="button secondary" data-testid="example" on:click=move |_| start_load(Source::Example)>
                        "Try the example"
                    </button>
                </div>
                <label class="option">
                    <input type="checkbox" data-testid="read-metrics" bind:checked=read_metrics/>
                    " Read the numbers inside the files (turn off for a quick count of a very large folder)"
                </label>
            </section>
            {move || match state.get() {
                LoadState::Idle => view! {
                    <p class="hint">"Chimera counts CSV, JSON and Markdown files, checks that each one parses, and shows which of reports/, csv_data/ and artifacts/ are present."</p>
                }.into_any(),
                LoadState::Loading(progress) => view! { <ProgressBar progress/> }.into_any(),
                LoadState::Failed(message) => view! {
                    <div class="error" role="alert" data-testid="load-error">{message}</div>
                }.into_any(),
                LoadState::Ready { inventory, elapsed_ms } => view! {
                    <InventoryView inventory elapsed_ms/>
                }.into_any(),
            }}
            <GeneratePanel/>
            <crate::share_panel::HistoryPanel/>
        </main>
    }
}

/// The bundled example, fetched from the companion by the reader.
fn example_job() -> Job {
    Job::Url {
        url: EXAMPLE_URL.into(),
        name: EXAMPLE_NAME.into(),
    }
}

/// Draws an inventory into an element that is never attached, waits for
/// its deferred parts (the file table, then the metrics a frame apart) to
/// be drawn too, and drops it. Gives up waiting after about a second (a page
/// in a background tab gets no frames).
async fn warm_up_drawing(inventory: Arc<Inventory>) {
    let Ok(element) = document().create_element("div") else {
        return;
    };
    let handle = leptos::mount::mount_to(element.clone().unchecked_into(), move || {
        view! { <InventorySummary inventory elapsed_ms=0.0/> }
    });
    // The metrics come last, a frame apart, after the file table.
    for _ in 0..50 {
        if let Ok(Some(_)) = element.query_selector("[data-drawn]") {
            break;
        }
        sleep_ms(20).await;
    }
    drop(handle);
}

/// Waits `ms` milliseconds without holding the page.
async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[component]
fn ProgressBar(progress: Progress) -> impl IntoView {
    let percent = if progress.total == 0 {
        0.0
    } else {
        progress.done as f64 * 100.0 / progress.total as f64
    };
    view! {
        <div class="progress" data-testid="progress">
            <div class="progress-label">
                {progress.label.clone()}
                {(progress.total > 0).then(|| format!(" — {} of {} {}", progress.done, progress.total, progress.unit))}
            </div>
            <progress max="100" value=format!("{percent:.0}")></progress>
        </div>
    }
}

/// The element an event fired on, as the type the handler expects.
fn event_target<T: JsCast>(ev: &leptos::ev::Event) -> T {
    ev.target()
        .expect("events from inputs have a target")
        .unchecked_into()
}
