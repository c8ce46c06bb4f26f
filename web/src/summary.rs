//! The inventory of a loaded folder: headline numbers, directory coverage,
//! counts per type, problems, the metrics, and the file table.

use std::sync::Arc;

use chimera_shared::classify::FileType;
use chimera_shared::inventory::{Inventory, human_bytes};
use leptos::prelude::*;

use crate::download;
use crate::file_table::FileTable;
use crate::metrics_view::MetricsView;
use crate::run_panel::RunPanel;

#[component]
pub fn InventoryView(inventory: Arc<Inventory>, elapsed_ms: f64) -> impl IntoView {
    view! {
        <InventorySummary inventory=inventory.clone() elapsed_ms/>
        <RunPanel inventory ingest_ms=elapsed_ms/>
    }
}

/// Everything the inventory says, without the agents' panel.
#[component]
pub fn InventorySummary(inventory: Arc<Inventory>, elapsed_ms: f64) -> impl IntoView {
    let latest = inventory.latest_modified().map_or_else(
        || "unknown".to_string(),
        |(at, zoneless)| {
            if zoneless {
                format!("{at} (zone unknown)")
            } else {
                pretty_utc(at)
            }
        },
    );
    let download_name = format!(
        "{}.inventory.json",
        inventory.source.trim_end_matches(".zip")
    );
    let json_inventory = inventory.clone();
    let on_download = move |_| {
        let _ = download::save_text(
            &download_name,
            "application/json",
            &json_inventory.to_json(),
        );
    };
    // The file table is drawn in a task of its own, after the rest of the
    // summary: together they held the page too long on a large folder.
    let (table_ready, set_table_ready) = signal(false);
    set_timeout(move || set_table_ready.set(true), std::time::Duration::ZERO);
    let table_inventory = inventory.clone();
    let file_table = move || {
        table_ready
            .get()
            .then(|| view! { <FileTable inventory=table_inventory.clone()/> })
    };
    let root_note = inventory.root.clone().map(|root| {
        view! { <p class="note">"Read as the contents of its wrapping folder " <code>{root}</code> "."</p> }
    });

    view! {
        <section class="summary" data-testid="inventory">
            <div class="summary-head">
                <h2>{inventory.source.clone()}</h2>
                <button class="button" data-testid="download-json" on:click=on_download>"Download inventory (JSON)"</button>
            </div>
            {root_note}
            <div class="cards">
                <Card label="Files" value=inventory.files.to_string() testid="total-files"/>
                <Card label="Size" value=human_bytes(inventory.bytes) testid="total-bytes"/>
                <Card label="Problems" value=inventory.problems.len().to_string() testid="problem-count"/>
                <Card label="Latest modified" value=latest testid="latest-modified"/>
            </div>
            <p class="note timing" data-testid="elapsed">{format!("Read in {elapsed_ms:.0} ms, in this page.")}</p>
            <div class="two-col">
                <TypeTable inventory=inventory.clone()/>
                <Coverage inventory=inventory.clone()/>
            </div>
            <Problems inventory=inventory.clone()/>
            <Junk inventory=inventory.clone()/>
            <MetricsView inventory/>
            {file_table}
        </section>
    }
}

#[component]
pub(crate) fn Card(label: &'static str, value: String, testid: &'static str) -> impl IntoView {
    view! {
        <div class="card">
            <div class="card-label">{label}</div>
            <div class="card-value" data-testid=testid>{value}</div>
        </div>
    }
}

#[component]
fn TypeTable(inventory: Arc<Inventory>) -> impl IntoView {
    let rows = FileType::ALL
        .into_iter()
        .map(|file_type| {
            let stats = inventory.by_type.get(file_type).clone();
            let latest = match (&stats.latest_modified, stats.latest_modified_zoneless) {
                (Some(at), false) => pretty_utc(at),
                (Some(at), true) => format!("{at} (zone unknown)"),
                (None, _) => "—".into(),
            };
            view! {
                <tr data-testid=format!("type-{}", file_type.label())>
                    <td>{type_name(file_type)}</td>
                    <td class="num" data-testid="count">{stats.count}</td>
                    <td class="num">{human_bytes(stats.bytes)}</td>
                    <td>{latest}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="panel">
            <h3>"Files by type"</h3>
            <table>
                <thead><tr><th>"Type"</th><th class="num">"Files"</th><th class="num">"Size"</th><th>"Latest modified"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn Coverage(inventory: Arc<Inventory>) -> impl IntoView {
    let expected = inventory
        .directories
        .expected()
        .into_iter()
        .map(|(name, dir)| {
            let (mark, state) = if dir.present {
                ("✓", "present")
            } else {
                ("✗", "missing")
            };
            view! {
                <tr class=state data-testid=format!("dir-{name}")>
                    <td><code>{format!("{name}/")}</code></td>
                    <td data-testid="state">{mark} " " {state}</td>
                    <td class="num" data-testid="files">{dir.files}</td>
                </tr>
            }
        })
        .collect_view();
    let others = inventory
        .directories
        .other
        .iter()
        .map(|(name, files)| {
            view! {
                <tr class="other">
                    <td><code>{format!("{name}/")}</code></td>
                    <td>"other folder"</td>
                    <td class="num">{*files}</td>
                </tr>
            }
        })
        .collect_view();
    let top = (inventory.directories.top_level_files > 0).then(|| {
        view! { <tr class="other"><td>"(top level)"</td><td>"files in no folder"</td><td class="num">{inventory.directories.top_level_files}</td></tr> }
    });
    view! {
        <div class="panel">
            <h3>"Directory coverage"</h3>
            <table>
                <thead><tr><th>"Folder"</th><th>"State"</th><th class="num">"Files"</th></tr></thead>
                <tbody>{expected}{others}{top}</tbody>
            </table>
        </div>
    }
}

#[component]
fn Problems(inventory: Arc<Inventory>) -> impl IntoView {
    if inventory.problems.is_empty() {
        return view! { <div class="panel"><h3>"Problems"</h3><p class="ok-note">"Every file was read and parsed."</p></div> }.into_any();
    }
    let rows = inventory
        .problems
        .iter()
        .map(|problem| {
            let path = if problem.path.is_empty() {
                "(the archive)".to_string()
            } else {
                problem.path.clone()
            };
            view! {
                <tr>
                    <td class="path">{path}</td>
                    <td><code>{problem.kind.clone()}</code></td>
                    <td>{problem.message.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="panel" data-testid="problems">
            <h3>{format!("Problems ({})", inventory.problems.len())}</h3>
            <p class="note">"These files could not be read or parsed, or were skipped to stay within limits. Every other file is still counted."</p>
            <div class="scroll">
                <table>
                    <thead><tr><th>"File"</th><th>"Kind"</th><th>"What is wrong"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn Junk(inventory: Arc<Inventory>) -> impl IntoView {
    (!inventory.junk.is_empty()).then(|| {
        let items = inventory
            .junk
            .iter()
            .map(|junk| view! { <li><code>{junk.path.clone()}</code> " (" {human_bytes(junk.bytes)} ")"</li> })
            .collect_view();
        view! {
            <details class="panel" data-testid="junk">
                <summary>{format!("{} OS junk entries set aside (not counted)", inventory.junk.len())}</summary>
                <ul>{items}</ul>
            </details>
        }
    })
}

pub fn type_name(file_type: FileType) -> &'static str {
    match file_type {
        FileType::Csv => "CSV",
        FileType::Json => "JSON",
        FileType::Md => "Markdown",
        FileType::Other => "Other",
    }
}

/// `2026-03-12T03:58:19Z` as `2026-03-12 03:58:19 UTC`.
pub fn pretty_utc(iso: &str) -> String {
    match iso.strip_suffix('Z') {
        Some(bare) => format!("{} UTC", bare.replacen('T', " ", 1)),
        None => iso.replacen('T', " ", 1),
    }
}
