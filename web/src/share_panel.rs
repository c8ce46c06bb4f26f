//! Sharing and the history: saving finished runs to the companion, share
//! links (stored by the companion, or carried whole in the URL fragment),
//! the owner's list of runs, and the read-only view of a shared report.

use std::sync::Arc;

use chimera_shared::snapshot::{FRAGMENT_PREFIX, RunSummary, Snapshot};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::offload;
use crate::run_panel::ReportView;
use crate::stream_client::{error_text, request_json};

/// Stores a finished run in the companion's history; returns its id.
pub async fn save_run(snapshot: &Snapshot) -> Result<String, String> {
    let (status, body) = request_json("POST", "/api/runs", Some(snapshot.to_json())).await?;
    if status != 201 {
        return Err(error_text(status, &body));
    }
    #[derive(serde::Deserialize)]
    struct Saved {
        id: String,
    }
    serde_json::from_str::<Saved>(&body)
        .map(|saved| saved.id)
        .map_err(|e| format!("the companion's answer has no run id: {e}"))
}

async fn share_run(id: &str, expires_in_hours: Option<f64>) -> Result<String, String> {
    #[derive(serde::Serialize)]
    struct ShareRequest {
        expires_in_hours: Option<f64>,
    }
    #[derive(serde::Deserialize)]
    struct Shared {
        url: String,
    }
    let body =
        serde_json::to_string(&ShareRequest { expires_in_hours }).map_err(|e| e.to_string())?;
    let (status, text) = request_json("POST", &format!("/api/runs/{id}/share"), Some(body)).await?;
    if status != 200 {
        return Err(error_text(status, &text));
    }
    serde_json::from_str::<Shared>(&text)
        .map(|shared| shared.url)
        .map_err(|e| format!("the companion's answer has no link: {e}"))
}

/// Share controls under a finished run's reports.
#[component]
pub fn ShareControls(snapshot: Arc<Snapshot>) -> impl IntoView {
    let (saved, set_saved) = signal(None::<Result<String, String>>);
    let (link, set_link) = signal(None::<Result<String, String>>);
    let expiry = RwSignal::new(String::from("never"));
    let (fragment, set_fragment) = signal(None::<Result<Result<String, String>, String>>);
    {
        let snapshot = snapshot.clone();
        spawn_local(async move {
            set_saved.set(Some(save_run(&snapshot).await));
        });
    }
    {
        let json = snapshot.to_json();
        spawn_local(async move {
            set_fragment.set(Some(offload::fragment_of(json).await));
        });
    }
    let share = move |_| {
        let Some(Ok(id)) = saved.get_untracked() else {
            return;
        };
        let hours = match expiry.get_untracked().as_str() {
            "1d" => Some(24.0),
            "7d" => Some(24.0 * 7.0),
            "30d" => Some(24.0 * 30.0),
            _ => None,
        };
        spawn_local(async move {
            set_link.set(Some(share_run(&id, hours).await));
        });
    };
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let fragment_view = move || {
        fragment.get().map(|fragment| match fragment {
            Ok(Ok(fragment)) => {
                let url = format!("{origin}/{fragment}");
                let length = url.len();
                view! {
                    <p class="note">"Or a link that carries the whole report in its fragment (" {length} " characters): nothing is stored or sent to any server."</p>
                    <input class="link" readonly data-testid="fragment-link" prop:value=url/>
                }
                .into_any()
            }
            Ok(Err(too_large)) => {
                view! { <p class="note" data-testid="fragment-too-large">{too_large}</p> }.into_any()
            }
            Err(error) => view! {
                <p class="note">"No link that carries the whole report: " {error}</p>
            }
            .into_any(),
        })
    };
    view! {
        <div class="share" data-testid="share">
            <h3>"Share"</h3>
            <p class="note" data-testid="saved-state">{move || match saved.get() {
                None => "Saving to the history…".to_string(),
                Some(Ok(_)) => "Saved in the companion's history.".to_string(),
                Some(Err(e)) => format!("Not saved to the history: {e}"),
            }}</p>
            <div class="row">
                <label>"Link expires "
                    <select on:change=move |ev| expiry.set(event_target_value(&ev)) data-testid="share-expiry">
                        <option value="never">"never"</option>
                        <option value="1d">"in 1 day"</option>
                        <option value="7d">"in 7 days"</option>
                        <option value="30d">"in 30 days"</option>
                    </select>
                </label>
                <button class="button" data-testid="share-button" on:click=share disabled=move || !matches!(saved.get(), Some(Ok(_)))>"Create share link"</button>
            </div>
            {move || link.get().map(|result| match result {
                Ok(url) => view! { <input class="link" readonly data-testid="share-link" prop:value=url/> }.into_any(),
                Err(e) => view! { <p class="error">{e}</p> }.into_any(),
            })}
            {fragment_view}
        </div>
    }
}

/// The owner's list of runs, newest first.
#[component]
pub fn HistoryPanel() -> impl IntoView {
    let (runs, set_runs) = signal(None::<Result<Vec<RunSummary>, String>>);
    let (message, set_message) = signal(None::<String>);
    let refresh = move || {
        spawn_local(async move {
            let result = match request_json("GET", "/api/runs", None).await {
                Ok((200, body)) => {
                    serde_json::from_str::<Vec<RunSummary>>(&body).map_err(|e| e.to_string())
                }
                Ok((status, body)) => Err(error_text(status, &body)),
                Err(e) => Err(e),
            };
            set_runs.set(Some(result));
        });
    };
    let act = move |method: &'static str, url: String, body: Option<String>| {
        spawn_local(async move {
            match request_json(method, &url, body).await {
                Ok((status, _)) if status < 300 => set_message.set(None),
                Ok((status, text)) => set_message.set(Some(error_text(status, &text))),
                Err(e) => set_message.set(Some(e)),
            }
            refresh();
        });
    };
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    view! {
        <details class="panel history" data-testid="history" on:toggle=move |_| refresh()>
            <summary>"History and shared reports"</summary>
            <div class="row">
                <button class="button secondary small" on:click=move |_| refresh()>"Refresh"</button>
                <button class="button secondary small" data-testid="clear-history" on:click=move |_| act("DELETE", "/api/runs".into(), None)>"Clear history (shared links stay)"</button>
            </div>
            {move || message.get().map(|m| view! { <p class="error">{m}</p> })}
            {move || match runs.get() {
                None => view! { <p class="note">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="note">"No runs yet."</p> }.into_any(),
                Some(Ok(list)) => {
                    let origin = origin.clone();
                    let rows = list.into_iter().map(|run| {
                        let id = run.id.clone();
                        let state = match (run.shared, run.revoked) {
                            (_, true) => "revoked".to_string(),
                            (true, false) => match run.expires_at {
                                Some(at) => format!("shared, expires {}", iso_from_unix(at)),
                                None => "shared".to_string(),
                            },
                            (false, false) => "private".to_string(),
                        };
                        let figures = run.agents.iter().map(|a| format!(
                            "{}: {} · {} · TTFT {}",
                            a.agent.label(),
                            a.model,
                            a.tokens_per_second.map_or_else(|| "—".into(), |v| format!("{v:.1} tok/s")),
                            a.ttft_ms.map_or_else(|| "—".into(), |v| format!("{v:.0} ms")),
                        )).collect::<Vec<_>>().join("; ");
                        let link = (run.shared && !run.revoked).then(|| format!("{origin}/r/{}", run.id));
                        let (share_id, revoke_id) = (id.clone(), id.clone());
                        view! {
                            <tr data-testid="history-row">
                                <td>{run.created_at.clone()}</td>
                                <td>{run.title.clone()}<br/><span class="note">{figures}</span></td>
                                <td data-testid="history-state">{state}</td>
                                <td>
                                    {link.map(|url| view! { <a href=url.clone() target="_blank" rel="noopener">"Open link"</a> " " })}
                                    <button class="button secondary small" on:click=move |_| act("POST", format!("/api/runs/{share_id}/share"), Some("{}".into()))>"Share"</button>
                                    " "
                                    <button class="button secondary small" data-testid="revoke" on:click=move |_| act("POST", format!("/api/runs/{revoke_id}/revoke"), None)>"Revoke"</button>
                                </td>
                            </tr>
                        }
                    }).collect_view();
                    view! {
                        <div class="scroll"><table>
                            <thead><tr><th>"Finished"</th><th>"Run"</th><th>"Link"</th><th></th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table></div>
                    }.into_any()
                }
            }}
        </details>
    }
}

/// What the page shows at `/r/{id}` or with a `#report=` fragment.
#[derive(Debug, Clone, PartialEq)]
pub enum SharedSource {
    Stored(String),
    Fragment(String),
}

/// Which shared report, if any, the current address asks for.
pub fn shared_source() -> Option<SharedSource> {
    let location = web_sys::window()?.location();
    let hash = location.hash().ok().unwrap_or_default();
    if hash.starts_with(FRAGMENT_PREFIX) {
        return Some(SharedSource::Fragment(hash));
    }
    let path = location.pathname().ok()?;
    path.strip_prefix("/r/")
        .map(|id| SharedSource::Stored(id.trim_end_matches('/').to_owned()))
}

/// A shared report, read-only.
#[component]
pub fn SharedReport(source: SharedSource) -> impl IntoView {
    let (report, set_report) = signal(None::<Result<Arc<Snapshot>, String>>);
    match source {
        SharedSource::Fragment(fragment) => spawn_local(async move {
            let json = offload::fragment_json(fragment).await;
            let result = json.and_then(|json| Snapshot::from_json(&json).map(Arc::new));
            set_report.set(Some(result));
        }),
        SharedSource::Stored(id) => spawn_local(async move {
            let result = match request_json("GET", &format!("/api/reports/{id}"), None).await {
                Ok((200, body)) => Snapshot::from_json(body.as_bytes()).map(Arc::new),
                Ok((status, body)) => Err(error_text(status, &body)),
                Err(e) => Err(e),
            };
            set_report.set(Some(result));
        }),
    }
    view! {
        <section class="panel shared-report" data-testid="shared-report">
            {move || match report.get() {
                None => view! { <p class="note">"Loading the report…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert" data-testid="shared-error">{e}</p> }.into_any(),
                Some(Ok(snapshot)) => view! {
                    <h2>{snapshot.title.clone()}</h2>
                    <p class="note">{format!(
                        "A shared Chimera report, read-only. Finished {}; {} files in {}.",
                        snapshot.created_at, snapshot.inventory.files, snapshot.inventory.source
                    )}</p>
                    <ReportView files=Arc::new(snapshot.files.clone()) stopped=false/>
                }.into_any(),
            }}
            <p><a href="/">"Open Chimera"</a></p>
        </section>
    }
}

fn iso_from_unix(seconds: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(seconds as f64 * 1000.0));
    let iso = String::from(date.to_iso_string());
    iso.split_once('.')
        .map_or(iso.clone(), |(s, _)| format!("{s}Z"))
}
