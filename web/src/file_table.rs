//! A sortable, filterable table of every file in the inventory.

use std::sync::Arc;

use chimera_shared::classify::FileType;
use chimera_shared::inventory::{Inventory, Status, human_bytes};
use leptos::prelude::*;

use crate::summary::{pretty_utc, type_name};

/// Rows drawn at once; the filter narrows the rest. 500 rows took about 80
/// ms to build and lay out, long enough for the page to stutter.
const MAX_ROWS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    Path,
    Type,
    Size,
    Modified,
    Status,
}

#[component]
pub fn FileTable(inventory: Arc<Inventory>) -> impl IntoView {
    let (filter, set_filter) = signal(String::new());
    let (type_filter, set_type_filter) = signal(None::<FileType>);
    let (status_filter, set_status_filter) = signal(None::<Status>);
    let (sort, set_sort) = signal((SortKey::Path, true));

    // Rows are indices into the inventory's entries: copying 20,000 entries
    // (and sorting them, when they come sorted by path already) was most of
    // the time the page took to show a large folder.
    let entries = inventory.clone();
    let rows = Memo::new(move |_| {
        let needle = filter.get().to_lowercase();
        let wanted_type = type_filter.get();
        let wanted_status = status_filter.get();
        let list = &entries.entries;
        let mut rows: Vec<usize> = (0..list.len())
            .filter(|&i| needle.is_empty() || list[i].path.to_lowercase().contains(&needle))
            .filter(|&i| wanted_type.is_none_or(|t| list[i].file_type == t))
            .filter(|&i| wanted_status.is_none_or(|s| list[i].status == s))
            .collect();
        let (key, ascending) = sort.get();
        // The inventory lists its entries by path.
        if (key, ascending) != (SortKey::Path, true) {
            rows.sort_by(|&a, &b| {
                let (a, b) = (&list[a], &list[b]);
                let order = match key {
                    SortKey::Path => a.path.cmp(&b.path),
                    SortKey::Type => a
                        .file_type
                        .cmp(&b.file_type)
                        .then_with(|| a.path.cmp(&b.path)),
                    SortKey::Size => a.bytes.cmp(&b.bytes),
                    SortKey::Modified => a.modified.cmp(&b.modified),
                    SortKey::Status => a.status.cmp(&b.status).then_with(|| a.path.cmp(&b.path)),
                };
                if ascending { order } else { order.reverse() }
            });
        }
        rows
    });

    let header = move |key: SortKey, label: &'static str, numeric: bool| {
        let arrow = move || match sort.get() {
            (k, true) if k == key => " ▲",
            (k, false) if k == key => " ▼",
            _ => "",
        };
        let aria = move || match sort.get() {
            (k, true) if k == key => "ascending",
            (k, false) if k == key => "descending",
            _ => "none",
        };
        view! {
            <th class:num=numeric aria-sort=aria>
                <button class="sort" on:click=move |_| set_sort.update(|(k, asc)| {
                    if *k == key { *asc = !*asc } else { *k = key; *asc = true }
                })>
                    {label}{arrow}
                </button>
            </th>
        }
    };

    let total = inventory.entries.len();
    view! {
        <div class="panel" data-testid="file-table">
            <h3>"Files"</h3>
            <div class="filters">
                <input
                    type="search"
                    placeholder="Filter by path…"
                    aria-label="Filter by path"
                    data-testid="filter"
                    prop:value=move || filter.get()
                    on:input=move |ev| set_filter.set(event_target_value(&ev))
                />
                <select aria-label="Type" data-testid="type-filter" on:change=move |ev| {
                    set_type_filter.set(FileType::ALL.into_iter().find(|t| t.label() == event_target_value(&ev)));
                }>
                    <option value="">"All types"</option>
                    {FileType::ALL.into_iter().map(|t| view! { <option value=t.label()>{type_name(t)}</option> }).collect_view()}
                </select>
                <select aria-label="Status" data-testid="status-filter" on:change=move |ev| {
                    let value = event_target_value(&ev);
                    set_status_filter.set([Status::Ok, Status::Warning, Status::Error, Status::Skipped].into_iter().find(|s| status_label(*s) == value));
                }>
                    <option value="">"Any status"</option>
                    {[Status::Ok, Status::Warning, Status::Error, Status::Skipped].into_iter().map(|s| view! { <option value=status_label(s)>{status_label(s)}</option> }).collect_view()}
                </select>
                <span class="note" data-testid="row-count">{move || {
                    let shown = rows.with(Vec::len);
                    if shown > MAX_ROWS { format!("{shown} of {total} files (first {MAX_ROWS} shown)") } else { format!("{shown} of {total} files") }
                }}</span>
            </div>
            <div class="scroll">
                <table class="files">
                    <thead><tr>
                        {header(SortKey::Path, "Path", false)}
                        {header(SortKey::Type, "Type", false)}
                        {header(SortKey::Size, "Size", true)}
                        {header(SortKey::Modified, "Modified", false)}
                        {header(SortKey::Status, "Status", false)}
                    </tr></thead>
                    <tbody>
                        {move || rows.with(|rows| rows.iter().take(MAX_ROWS).map(|&row| {
                            let entry = &inventory.entries[row];
                            let modified = entry.modified.as_deref().map_or_else(|| "—".to_string(), pretty_utc);
                            view! {
                                <tr class=status_label(entry.status)>
                                    <td class="path">{entry.path.clone()}</td>
                                    <td>{type_name(entry.file_type)}</td>
                                    <td class="num">{human_bytes(entry.bytes)}</td>
                                    <td>{modified}</td>
                                    <td><span class=format!("badge {}", status_label(entry.status))>{status_label(entry.status)}</span></td>
                                </tr>
                            }
                        }).collect_view())}
                    </tbody>
                </table>
            </div>
        </div>
    }
}

fn status_label(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Warning => "warning",
        Status::Error => "error",
        Status::Skipped => "skipped",
    }
}
