//! The numbers inside a loaded folder: totals and the best configurations,
//! charts where a picture says more than a table (throughput against TTFT
//! per configuration, the spread of each model's runs, num_gpu × num_ctx
//! grids), each beside a table saying the same, then the findings and what
//! was read from each file.
//!
//! Charts are inline SVG whose geometry is all attributes: the page's
//! Content-Security-Policy forbids inline styles. Every mark has a shape as
//! well as a colour, and a `<title>` naming its configuration, its value and
//! the files it came from; clicking a mark prints the same text under the
//! chart, for touch screens, which never show titles. What is drawn is
//! capped so a folder of thousands of sweeps still renders at once, and each
//! chart or table says how much of it is shown.
//!
//! The page is downloaded by every visitor, so tables and SVG pieces go
//! through a few shared helpers ([`table`], [`row`], [`svg_text`],
//! [`svg_line`], [`mark`]) rather than a `view!` per call site: each distinct
//! view is compiled into the bundle separately.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use chimera_shared::charts::{Marker, SHAPES, Scale, band, figure, jitter};
use chimera_shared::inventory::Inventory;
use chimera_shared::metrics::{
    Configuration, Distribution, FileDetail, FileMetrics, Grid, GridCell, Location, MetricId,
    Metrics, Severity,
};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::summary::Card;

/// Configurations drawn in the scatter plot (those with the most runs).
const MAX_SCATTER_POINTS: usize = 400;
/// Values drawn across all rows of the distribution chart.
const MAX_STRIP_POINTS: usize = 1_500;
/// Models drawn in the distribution chart.
const MAX_DISTRIBUTIONS: usize = 24;
/// Grids drawn, and rows or columns drawn per grid.
const MAX_GRIDS: usize = 12;
const MAX_GRID_SIDE: usize = 12;
/// Rows drawn at once in a table; its filter narrows the rest.
const MAX_ROWS: usize = 100;
/// Values listed per environment fact (GPU, driver, Ollama version).
const MAX_ENVIRONMENT_VALUES: usize = 20;
/// Files named in a cell before the rest fold away.
const FILES_INLINE: usize = 3;
/// Shading steps of a heat-map cell.
const HEAT_LEVELS: usize = 5;
/// The shades of a heat map span at least this share of its highest value,
/// so run-to-run noise of a percent does not look like a difference.
const HEAT_SPAN: f64 = 0.2;
/// Characters of a row label that fit across a chart.
const MAX_LABEL: usize = 70;
/// Width of the scatter and distribution charts, in SVG units; CSS scales
/// them to the panel.
const CHART_WIDTH: f64 = 520.0;

/// The metrics section, built into its own container once the rest of the
/// inventory is on screen, in parts (the overview, the configurations, the
/// distributions, the grids, the tables), each in a task of its own. On a
/// 20,000-file folder the section runs to thousands of elements: built or
/// attached at once, building it and then laying it out each held the page
/// for more than 100 ms. Each part is laid out as it arrives; the section
/// is marked `data-drawn` once all are in. Mounted apart rather than as a
/// child view because the page then carries no code to update this large
/// tree in place, which it never needs: a new folder replaces it whole.
/// That code was a third of the section's share of the bundle.
#[component]
pub fn MetricsView(inventory: Arc<Inventory>) -> impl IntoView {
    let container = NodeRef::<leptos::html::Div>::new();
    // Dropped, and so unmounted, with this component.
    let mounted = StoredValue::new_local(Vec::<Box<dyn std::any::Any>>::new());
    container.on_load(move |div| {
        let Ok(section) = document().create_element("section") else {
            return;
        };
        section.set_class_name("metrics-view");
        let _ = section.set_attribute("data-testid", "metrics");
        let legend = Arc::new(Legend::of(&inventory));
        let has_values = inventory.metrics.totals.files_with_metrics > 0;
        let mut parts: VecDeque<DrawPart> = VecDeque::with_capacity(5);
        {
            let (inventory, legend) = (inventory.clone(), legend.clone());
            parts.push_back(Box::new(move |parent| {
                let part = move || MetricsOverview(MetricsOverviewProps { inventory, legend });
                Box::new(leptos::mount::mount_to(parent, part))
            }));
        }
        if has_values {
            let configurations = inventory.clone();
            parts.push_back(Box::new(move |parent| {
                let part = move || view! { <ConfigurationTable inventory=configurations/> };
                Box::new(leptos::mount::mount_to(parent, part))
            }));
            let (distributions, distribution_legend) = (inventory.clone(), legend.clone());
            parts.push_back(Box::new(move |parent| {
                let part = move || {
                    view! { <DistributionChart inventory=distributions legend=distribution_legend/> }
                };
                Box::new(leptos::mount::mount_to(parent, part))
            }));
            let grids = inventory.clone();
            parts.push_back(Box::new(move |parent| {
                let part = move || view! { <GridCharts inventory=grids legend/> };
                Box::new(leptos::mount::mount_to(parent, part))
            }));
        }
        parts.push_back(Box::new(move |parent| {
            let part = move || MetricsTables(MetricsTablesProps { inventory });
            Box::new(leptos::mount::mount_to(parent, part))
        }));
        let _ = div.append_child(&section);
        draw_after_next_frame(section.unchecked_into(), parts, mounted);
    });
    view! { <div node_ref=container></div> }
}

/// Draws the next part into `section` once the browser has shown a frame,
/// so each part is laid out and painted before the next is built: parts
/// drawn back to back were laid out together, in one step as long as the
/// whole section at once. Marks the section `data-drawn` after the last.
fn draw_after_next_frame(
    section: web_sys::HtmlElement,
    mut parts: VecDeque<DrawPart>,
    mounted: StoredValue<Vec<Box<dyn std::any::Any>>, LocalStorage>,
) {
    request_animation_frame(move || {
        set_timeout(
            move || {
                // A newer folder may have replaced this one meanwhile.
                if mounted.is_disposed() {
                    return;
                }
                let Some(part) = parts.pop_front() else {
                    let _ = section.set_attribute("data-drawn", "");
                    return;
                };
                let handle = part(section.clone());
                mounted.update_value(|handles| handles.push(handle));
                draw_after_next_frame(section, parts, mounted);
            },
            std::time::Duration::ZERO,
        );
    });
}

/// Mounts one part of the section into it; the handle unmounts it when dropped.
type DrawPart = Box<dyn FnOnce(web_sys::HtmlElement) -> Box<dyn std::any::Any>>;

/// The heading, the headline and the scatter: drawn first.
#[component]
fn MetricsOverview(inventory: Arc<Inventory>, legend: Arc<Legend>) -> impl IntoView {
    let has_values = inventory.metrics.totals.files_with_metrics > 0;
    let not_read = inventory.metrics.not_read;
    let empty = (!has_values).then(|| {
        if not_read {
            return view! {
                <div class="panel" data-testid="metrics-not-read">
                    <p class="note">
                        "The numbers inside the files were not read: this load only counted and "
                        "checked them. Tick \"Read the numbers inside the files\" and load the "
                        "folder again to see its metrics."
                    </p>
                </div>
            }
            .into_any();
        }
        view! {
            <div class="panel" data-testid="no-metrics">
                <p class="note">
                    "No benchmark numbers were recognised in this folder: no CSV column, JSON key or "
                    "Markdown label names a time to first token, a throughput, a duration or a token "
                    "count. The findings below say what is missing."
                </p>
            </div>
        }
        .into_any()
    });
    let numbers = has_values.then(|| {
        view! {
            <Headline inventory=inventory.clone()/>
            <ThroughputVsTtft inventory=inventory.clone() legend/>
        }
    });
    view! {
        <h2>"Metrics"</h2>
        {empty}
        {numbers}
    }
}

/// The findings, the per-file values and the environment: drawn last.
#[component]
fn MetricsTables(inventory: Arc<Inventory>) -> impl IntoView {
    let has_values = inventory.metrics.totals.files_with_metrics > 0;
    let per_file = has_values.then(|| view! { <FileMetricsTable inventory=inventory.clone()/> });
    view! {
        <Findings inventory=inventory.clone()/>
        {per_file}
        <Environment inventory/>
    }
}

/// Run counts, and the best configuration by each metric with whether its
/// lead is larger than the noise.
#[component]
fn Headline(inventory: Arc<Inventory>) -> impl IntoView {
    let metrics = &inventory.metrics;
    let totals = &metrics.totals;
    let (overall, within): (Vec<_>, Vec<_>) =
        metrics.best.iter().partition(|best| best.within.is_none());
    let overall = overall
        .into_iter()
        .map(|best| {
            let (what, testid) = match best.metric {
                MetricId::TokensPerSecond => ("Highest mean throughput", "best-throughput"),
                _ => ("Lowest mean TTFT", "best-ttft"),
            };
            view! {
                <li data-testid=testid>
                    <b>{what}</b> ": " <span class="label">{best.winner.label.clone()}</span> ", "
                    <b>{format!("{} {}", figure(best.winner.mean), best.metric.unit())}</b>
                    {format!(" from {} ", runs(best.winner.n))}
                    {judgement(best.exceeds_noise, best.judgement())}
                    <div class="note">{best.verdict.clone()}</div>
                </li>
            }
        })
        .collect_view();
    let within = (!within.is_empty()).then(|| {
        let more = (within.len() > MAX_ROWS)
            .then(|| format!("The first {MAX_ROWS} of {} are listed.", within.len()));
        let items = within
            .iter()
            .take(MAX_ROWS)
            .map(|best| {
                view! { <li>{judgement(best.exceeds_noise, best.judgement())} " " {best.verdict.clone()}</li> }
            })
            .collect_view();
        view! {
            <details>
                <summary>{format!("Best within each model or file ({})", within.len())}</summary>
                <ul class="best">{items}</ul>
                <p class="note">{more}</p>
            </details>
        }
    });
    view! {
        <div class="panel">
            <div class="cards">
                <Card label="Runs counted" value=totals.runs.to_string() testid="metrics-runs"/>
                <Card label="Failed runs" value=totals.failed_runs.to_string() testid="metrics-failed"/>
                <Card label="Configurations" value=metrics.configurations.len().to_string() testid="metrics-configurations"/>
                <Card label="Files with values" value=totals.files_with_metrics.to_string() testid="metrics-files"/>
            </div>
            <p class="note" data-testid="metrics-grouping">{if metrics.from_summaries {
                format!(
                    "No file holds single runs: the configurations compare the figures that {} summaries or reports state, each row or line counted as one run. {} copies of other files are counted once.",
                    totals.derived_files, totals.duplicate_files
                )
            } else {
                format!(
                    "Runs are grouped into configurations by model and settings. {} summaries or reports are shown per file but not counted as runs; {} copies of other files are counted once.",
                    totals.derived_files, totals.duplicate_files
                )
            }}</p>
            <ul class="best">{overall}</ul>
            {within}
        </div>
    }
}

fn judgement(exceeds_noise: Option<bool>, text: &'static str) -> impl IntoView + use<> {
    let class = match exceeds_noise {
        Some(true) => "badge ok",
        Some(false) => "badge warning",
        None => "badge skipped",
    };
    view! { <span class=class>{text}</span> }
}

/// Mean throughput against mean TTFT, one mark per configuration.
#[component]
fn ThroughputVsTtft(inventory: Arc<Inventory>, legend: Arc<Legend>) -> impl IntoView {
    let configurations = &inventory.metrics.configurations;
    let both: Vec<(&Configuration, f64, f64)> = configurations
        .iter()
        .filter_map(|c| {
            let ttft = c.stats.get(&MetricId::TtftMs)?.mean;
            let rate = c.stats.get(&MetricId::TokensPerSecond)?.mean;
            Some((c, ttft, rate))
        })
        .collect();
    let plottable = both.len();
    // Past the cap, the configurations with the most runs.
    let most_runs: Vec<f64> = both.iter().map(|p| -(p.0.runs as f64)).collect();
    let plotted: Vec<_> = order_of(&most_runs)
        .into_iter()
        .take(MAX_SCATTER_POINTS)
        .map(|i| both[i])
        .collect();
    let frame = Frame {
        width: CHART_WIDTH,
        height: 340.0,
        left: 62.0,
        right: 16.0,
        top: 14.0,
        bottom: 50.0,
    };
    let (selected, set_selected) = signal(None::<String>);
    let chart = (!plotted.is_empty()).then(|| {
        let x = Scale::fit(plotted.iter().map(|p| p.1), frame.left, frame.right_edge());
        let y = Scale::fit(plotted.iter().map(|p| p.2), frame.bottom_edge(), frame.top);
        let mut shown = BTreeSet::new();
        let marks = plotted
            .iter()
            .map(|(c, ttft, rate)| {
                let index = legend.index(c.model.as_deref(), c.scope.as_deref());
                shown.insert(index);
                let failed = if c.failed > 0 {
                    format!(", {} failed", c.failed)
                } else {
                    String::new()
                };
                let text = format!(
                    "{}\n{} tok/s mean throughput, {} ms mean TTFT, {}{failed}\nFrom {}",
                    c.label,
                    figure(*rate),
                    figure(*ttft),
                    runs(c.runs),
                    files_text(&c.files, c.more_files)
                );
                mark(index, (x.at(*ttft), y.at(*rate)), 5.0, text, set_selected)
            })
            .collect_view();
        let axes = (
            x_axis(&x, &frame, axis_label("Mean time to first token, ms", &x)),
            y_axis(&y, &frame, axis_label("Mean throughput, tok/s", &y)),
        );
        view! {
            <div class="chart-wrap">
                <svg class="chart" viewBox=frame.view_box() role="img" aria-label="Scatter plot of mean throughput against mean time to first token, one mark per configuration; the configuration table holds the same numbers">
                    {axes}
                    <g class="marks">{marks}</g>
                </svg>
            </div>
            {legend.view(&shown)}
            <Readout selected testid="scatter-readout"/>
        }
    });
    let mut note = if plotted.is_empty() {
        String::from(
            "No configuration has both a mean TTFT and a mean throughput, so there is nothing to plot.",
        )
    } else if plottable > plotted.len() {
        format!(
            "{} of {plottable} configurations with both means are drawn: those with the most runs.",
            plotted.len()
        )
    } else {
        format!("{plottable} configurations with both means are drawn.")
    };
    let left_out = configurations.len() - plottable;
    if left_out > 0 {
        note.push_str(&format!(
            " {left_out} without a TTFT or a throughput are only in the table below."
        ));
    }
    view! {
        <div class="panel" data-testid="chart-scatter">
            <h3>"Throughput against time to first token, per configuration"</h3>
            <p class="note">"Each mark is one configuration's means. Up and to the left is better: more tokens per second, a sooner first token. Hover over or tap a mark to see its configuration and files."</p>
            {chart}
            <p class="note" data-testid="scatter-count">{note}</p>
        </div>
    }
}

/// The order of the configuration table: its id in the page, and its text.
const ORDERS: [(&str, &str); 4] = [
    ("throughput", "Highest throughput first"),
    ("ttft", "Lowest median TTFT first"),
    ("runs", "Most runs first"),
    ("label", "By model and settings"),
];

/// Every configuration with its runs, means and files: the scatter plot as
/// a table, and the configurations it cannot draw.
#[component]
fn ConfigurationTable(inventory: Arc<Inventory>) -> impl IntoView {
    let (filter, set_filter) = signal(String::new());
    let (order, set_order) = signal(ORDERS[0].0.to_string());
    let total = inventory.metrics.configurations.len();
    let source = inventory.clone();
    let rows = Memo::new(move |_| {
        let configurations = &source.metrics.configurations;
        let needle = filter.get().to_lowercase();
        let rows: Vec<usize> = (0..configurations.len())
            .filter(|&i| {
                let c = &configurations[i];
                needle.is_empty()
                    || c.label.to_lowercase().contains(&needle)
                    || c.files.iter().any(|f| f.to_lowercase().contains(&needle))
            })
            .collect();
        let order = order.get();
        // Configurations without the value sort last either way.
        let keys: Vec<f64> = rows
            .iter()
            .map(|&i| {
                let c = &configurations[i];
                let stat = |metric| c.stats.get(&metric);
                match order.as_str() {
                    "throughput" => {
                        stat(MetricId::TokensPerSecond).map_or(f64::INFINITY, |s| -s.mean)
                    }
                    "ttft" => stat(MetricId::TtftMs).map_or(f64::INFINITY, |s| s.median),
                    "runs" => -(c.runs as f64),
                    _ => i as f64,
                }
            })
            .collect();
        order_of(&keys)
            .into_iter()
            .map(|k| rows[k])
            .collect::<Vec<usize>>()
    });
    let body = move || {
        rows.with(|rows| {
            rows.iter()
                .take(MAX_ROWS)
                .map(|&i| configuration_row(&inventory.metrics.configurations[i]))
                .collect_view()
        })
    };
    let options = ORDERS
        .into_iter()
        .map(|(id, text)| view! { <option value=id>{text}</option> })
        .collect_view();
    view! {
        <div class="panel" data-testid="configurations">
            <h3>"Configurations"</h3>
            <div class="filters">
                <input type="search" placeholder="Filter by model, setting or file…" aria-label="Filter configurations"
                    data-testid="config-filter" on:input=move |ev| set_filter.set(event_target_value(&ev))/>
                <select aria-label="Order" data-testid="config-order" on:change=move |ev| set_order.set(event_target_value(&ev))>
                    {options}
                </select>
                <span class="note" data-testid="config-count">{move || shown_text(rows.with(Vec::len), total, "configurations")}</span>
            </div>
            {table(
                "configs",
                &[("Model and settings", false), ("Runs", true), ("Failed", true), ("Throughput, tok/s", true),
                  ("± sd", true), ("TTFT median, ms", true), ("TTFT mean, ms", true), ("Files", false)],
                body.into_any(),
            )}
        </div>
    }
}

fn configuration_row(c: &Configuration) -> AnyView {
    let rate = c.stats.get(&MetricId::TokensPerSecond);
    let ttft = c.stats.get(&MetricId::TtftMs);
    row(
        "config-row",
        vec![
            Cell::Text(c.label.clone()),
            Cell::Num(c.runs.to_string()),
            Cell::Num(c.failed.to_string()),
            Cell::Num(maybe(rate.map(|s| s.mean))),
            Cell::Num(maybe(rate.and_then(|s| s.std_dev))),
            Cell::Num(maybe(ttft.map(|s| s.median))),
            Cell::Num(maybe(ttft.map(|s| s.mean))),
            Cell::View(files_list(&c.files, c.more_files)),
        ],
    )
}

/// Every value of one metric per model, as a strip of marks with its median,
/// and the same as a table of summary statistics.
#[component]
fn DistributionChart(inventory: Arc<Inventory>, legend: Arc<Legend>) -> impl IntoView {
    let (metric, set_metric) = signal(MetricId::TtftMs);
    let (selected, set_selected) = signal(None::<String>);
    // Both metrics are drawn up front and one is hidden, so switching needs
    // no code to redraw a chart in place.
    let charts = [MetricId::TtftMs, MetricId::TokensPerSecond]
        .into_iter()
        .map(|which| {
            let drawn = distribution(&inventory.metrics, which, &legend, (selected, set_selected));
            let (chart, none) = match drawn {
                Ok(chart) => (Some(chart), None),
                Err(note) => (None, Some(note)),
            };
            view! { <div class="metric-chart" hidden=move || metric.get() != which>{chart}{none}</div> }
        })
        .collect_view();
    view! {
        <div class="panel" data-testid="chart-distribution">
            <div class="panel-head">
                <h3>"Spread of each model's runs"</h3>
                <select aria-label="Metric" data-testid="distribution-metric" on:change=move |ev| {
                    set_metric.set(if event_target_value(&ev) == "tokens_per_second" { MetricId::TokensPerSecond } else { MetricId::TtftMs });
                }>
                    <option value="ttft_ms">"Time to first token"</option>
                    <option value="tokens_per_second">"Throughput"</option>
                </select>
            </div>
            <p class="note">"One row per model, one mark per run. Cold starts show up as a second cluster far to the right of the TTFT rows."</p>
            {charts}
        </div>
    }
}

/// One metric's rows of marks and its table, or a note when no model has
/// values of it.
fn distribution(
    metrics: &Metrics,
    metric: MetricId,
    legend: &Legend,
    (selected, set_selected): (ReadSignal<Option<String>>, WriteSignal<Option<String>>),
) -> Result<impl IntoView + use<>, impl IntoView + use<>> {
    let matching: Vec<&Distribution> = metrics
        .distributions
        .iter()
        .filter(|d| d.metric == metric && !d.values.is_empty())
        .collect();
    let models = matching.len();
    let keys: Vec<f64> = matching
        .iter()
        .map(|d| legend.index(d.model.as_deref(), d.scope.as_deref()) as f64)
        .collect();
    let rows: Vec<&Distribution> = order_of(&keys)
        .into_iter()
        .take(MAX_DISTRIBUTIONS)
        .map(|i| matching[i])
        .collect();
    if rows.is_empty() {
        return Err(view! { <p class="note">"No model has values of this metric."</p> });
    }
    let mut note = String::new();
    if models > rows.len() {
        note.push_str(&format!("{} of {models} models are drawn. ", rows.len()));
    }
    if rows.iter().any(|d| d.sampled) {
        note.push_str("Models with over 256 values are drawn from 256 evenly spaced ones; the table counts them all. ");
    }
    note.push_str(&format!(
        "The thick bar is the median; the thin line spans the smallest to the largest value. Values in the table are in {}.",
        metric.unit()
    ));
    let table_rows = rows
        .iter()
        .map(|d| {
            let s = &d.summary;
            row(
                "distribution-row",
                vec![
                    Cell::Text(series_name(d.model.as_deref(), d.scope.as_deref())),
                    Cell::Num(s.n.to_string()),
                    Cell::Num(figure(s.min)),
                    Cell::Num(figure(s.median)),
                    Cell::Num(figure(s.mean)),
                    Cell::Num(figure(s.p95)),
                    Cell::Num(figure(s.max)),
                ],
            )
        })
        .collect_view();
    Ok(view! {
        {strip_chart(&rows, metric, legend, set_selected)}
        <Readout selected testid=if metric == MetricId::TtftMs { "ttft-readout" } else { "throughput-readout" }/>
        <p class="note">{note}</p>
        {table(
            "distribution-table",
            &[("Model", false), ("Runs", true), ("Min", true), ("Median", true), ("Mean", true),
              ("p95", true), ("Max", true)],
            table_rows.into_any(),
        )}
    })
}

fn strip_chart(
    rows: &[&Distribution],
    metric: MetricId,
    legend: &Legend,
    set_selected: WriteSignal<Option<String>>,
) -> impl IntoView + use<> {
    const ROW: f64 = 44.0;
    let mut frame = Frame {
        width: CHART_WIDTH,
        height: 0.0,
        left: 16.0,
        right: 16.0,
        top: 6.0,
        bottom: 50.0,
    };
    frame.height = frame.top + ROW * rows.len() as f64 + frame.bottom;
    let x = Scale::fit(
        rows.iter().flat_map(|d| [d.summary.min, d.summary.max]),
        frame.left,
        frame.right_edge(),
    );
    let budget = (MAX_STRIP_POINTS / rows.len()).max(1);
    let unit = metric.unit();
    // Drawn in layers, medians on top; one list per kind of element.
    let (mut labels, mut ranges, mut marks, mut medians) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, d) in rows.iter().enumerate() {
        let name = series_name(d.model.as_deref(), d.scope.as_deref());
        let index = legend.index(d.model.as_deref(), d.scope.as_deref());
        let top = frame.top + ROW * i as f64;
        let middle = top + 28.0;
        // The full name and the numbers are in the table under the chart.
        let label = if name.chars().count() > MAX_LABEL {
            let cut: String = name.chars().take(MAX_LABEL - 1).collect();
            format!("{cut}…")
        } else {
            name.clone()
        };
        labels.push(svg_text(
            "row-label",
            (frame.left, top + 12.0),
            "start",
            label,
        ));
        let s = &d.summary;
        ranges.push(svg_line(
            "range",
            (x.at(s.min), middle),
            (x.at(s.max), middle),
        ));
        let step = d.values.len().div_ceil(budget);
        for (k, point) in d.values.iter().step_by(step).enumerate() {
            let text = format!(
                "{name}: {} {unit}\nFrom {}",
                figure(point.value),
                place(&point.file, &point.at)
            );
            let at = (x.at(point.value), middle + 8.0 * jitter(k));
            marks.push(mark(index, at, 3.5, text, set_selected));
        }
        let median = x.at(s.median);
        medians.push(svg_line(
            "median",
            (median, middle - 12.0),
            (median, middle + 12.0),
        ));
    }
    let what = match metric {
        MetricId::TokensPerSecond => "Throughput per run, tok/s",
        _ => "Time to first token per run, ms",
    };
    let axis = x_axis(&x, &frame, axis_label(what, &x));
    view! {
        <div class="chart-wrap">
            <svg class="chart" viewBox=frame.view_box() role="img" aria-label=format!("{what}, one row of marks per model; the table below summarises each row")>
                {axis}
                {labels}
                {ranges}
                {marks}
                {medians}
            </svg>
        </div>
    }
}

/// One heat map per num_gpu × num_ctx sweep, with its numbers in the cells.
#[component]
fn GridCharts(inventory: Arc<Inventory>, legend: Arc<Legend>) -> impl IntoView {
    let grids = &inventory.metrics.grids;
    (!grids.is_empty()).then(|| {
        let shown = grids.len().min(MAX_GRIDS);
        let more = (grids.len() > shown)
            .then(|| format!(" The first {shown} of {} sweeps are drawn.", grids.len()));
        let charts = grids
            .iter()
            .take(MAX_GRIDS)
            .map(|grid| grid_chart(grid, &legend))
            .collect_view();
        view! {
            <div class="panel" data-testid="chart-grid">
                <h3>"GPU layers × context length"</h3>
                <p class="note">
                    "Mean throughput and mean TTFT for each num_gpu and num_ctx pair of a sweep, other settings pooled. "
                    "The stronger a cell's tint, the higher its throughput; tints step by at least 4% of the sweep's best, "
                    "so noise does not look like a difference. Each cell also states its numbers."
                    {more}
                </p>
                <div class="grids">{charts}</div>
            </div>
        }
    })
}

fn grid_chart(grid: &Grid, legend: &Legend) -> impl IntoView + use<> {
    const CELL_W: f64 = 118.0;
    const CELL_H: f64 = 50.0;
    const LEFT: f64 = 92.0;
    const TOP: f64 = 46.0;
    let name = series_name(grid.model.as_deref(), grid.scope.as_deref());
    let axis = |pick: fn(&GridCell) -> f64| {
        let mut values: Vec<f64> = grid.cells.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values.dedup();
        values.truncate(MAX_GRID_SIDE);
        values
    };
    let gpus = axis(|c| c.num_gpu);
    let contexts = axis(|c| c.num_ctx);
    let high = grid
        .cells
        .iter()
        .filter_map(|c| c.tokens_per_second)
        .fold(f64::NEG_INFINITY, f64::max);
    let low = grid
        .cells
        .iter()
        .filter_map(|c| c.tokens_per_second)
        .fold(high * (1.0 - HEAT_SPAN), f64::min);
    let width = LEFT + CELL_W * contexts.len() as f64 + 6.0;
    let height = TOP + CELL_H * gpus.len() as f64 + 6.0;
    let mut labels = vec![
        svg_text(
            "axis-label",
            (LEFT, 16.0),
            "start",
            "num_ctx (context length, tokens) →".into(),
        ),
        svg_text("axis-label", (LEFT - 10.0, 38.0), "end", "num_gpu ↓".into()),
    ];
    for (col, ctx) in contexts.iter().enumerate() {
        let x = LEFT + CELL_W * (col as f64 + 0.5);
        labels.push(svg_text("tick", (x, 38.0), "middle", setting(*ctx)));
    }
    for (i, gpu) in gpus.iter().enumerate() {
        let y = TOP + CELL_H * (i as f64 + 0.5) + 4.0;
        labels.push(svg_text("tick", (LEFT - 10.0, y), "end", setting(*gpu)));
    }
    let mut table_rows = Vec::new();
    let mut cells = Vec::new();
    for cell in &grid.cells {
        let (Some(i), Some(col)) = (
            gpus.iter().position(|g| *g == cell.num_gpu),
            contexts.iter().position(|c| *c == cell.num_ctx),
        ) else {
            continue;
        };
        let (x, y) = (LEFT + CELL_W * col as f64, TOP + CELL_H * i as f64);
        let level = cell
            .tokens_per_second
            .map_or(0, |rate| band(rate, low, high, HEAT_LEVELS));
        let rate = cell
            .tokens_per_second
            .map_or_else(|| "—".into(), |r| format!("{} tok/s", figure(r)));
        let ttft = cell
            .ttft_ms
            .map_or_else(String::new, |t| format!("TTFT {} ms", figure(t)));
        let title = format!(
            "{name}, num_gpu={} num_ctx={}: {rate}, {ttft}, {}\nFrom {}",
            setting(cell.num_gpu),
            setting(cell.num_ctx),
            runs(cell.runs),
            files_text(&cell.files, cell.more_files)
        );
        table_rows.push(row(
            "grid-row",
            vec![
                Cell::Num(setting(cell.num_gpu)),
                Cell::Num(setting(cell.num_ctx)),
                Cell::Num(cell.runs.to_string()),
                Cell::Num(maybe(cell.tokens_per_second)),
                Cell::Num(maybe(cell.ttft_ms)),
                Cell::View(files_list(&cell.files, cell.more_files)),
            ],
        ));
        let middle = x + CELL_W / 2.0;
        cells.push(view! {
            <g class="cell">
                <title>{title}</title>
                <rect class=format!("heat h{level}") x=n(x + 2.0) y=n(y + 2.0) width=n(CELL_W - 4.0) height=n(CELL_H - 4.0) rx="4"/>
                {svg_text("cell-text main", (middle, y + 22.0), "middle", rate)}
                {svg_text("cell-text", (middle, y + 39.0), "middle", ttft)}
            </g>
        });
    }
    let index = legend.index(grid.model.as_deref(), grid.scope.as_deref());
    view! {
        <figure class="grid-figure">
            <figcaption>{legend.key(index)} {name.clone()}</figcaption>
            <svg class="chart grid-chart" width=n(width) viewBox=format!("0 0 {} {}", n(width), n(height)) role="img"
                aria-label=format!("Heat map of {name}: rows are num_gpu, columns num_ctx; each cell states its mean throughput and TTFT")>
                {labels}
                {cells}
            </svg>
            <details>
                <summary>"As a table, with files"</summary>
                {table(
                    "grid-table",
                    &[("num_gpu", true), ("num_ctx", true), ("Runs", true), ("tok/s", true), ("TTFT, ms", true), ("Files", false)],
                    table_rows.into_any(),
                )}
            </details>
        </figure>
    }
}

/// The lint: what is missing or suspect, warnings first, each with the
/// files it concerns.
#[component]
fn Findings(inventory: Arc<Inventory>) -> impl IntoView {
    let warnings_first = [Severity::Warning, Severity::Info]
        .into_iter()
        .flat_map(|severity| {
            inventory
                .findings
                .iter()
                .filter(move |f| f.severity == severity)
        });
    let items = warnings_first
        .map(|finding| {
            let severity = match finding.severity {
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            let files = (!finding.files.is_empty())
                .then(|| files_list(&finding.files, finding.more_files));
            view! {
                <li class="finding" data-testid="finding" data-kind=finding.kind.clone()>
                    <span class=format!("badge {severity}")>{severity}</span> " " <code>{finding.kind.clone()}</code>
                    <p>{finding.reason.clone()}</p>
                    {files}
                </li>
            }
        })
        .collect_view();
    let none = inventory
        .findings
        .is_empty()
        .then(|| view! { <p class="ok-note">"Nothing missing or suspect was found."</p> });
    view! {
        <div class="panel" data-testid="findings">
            <h3>{format!("Findings ({})", inventory.findings.len())}</h3>
            <p class="note">"What is missing or suspect in the folder, and where: read these before trusting a comparison."</p>
            {none}
            <ul class="findings">{items}</ul>
        </div>
    }
}

/// What was read from each file, and whether its values count as runs.
#[component]
fn FileMetricsTable(inventory: Arc<Inventory>) -> impl IntoView {
    let (filter, set_filter) = signal(String::new());
    let total = inventory.metrics.files.len();
    let source = inventory.clone();
    let rows = Memo::new(move |_| {
        let needle = filter.get().to_lowercase();
        let files = &source.metrics.files;
        (0..files.len())
            .filter(|&i| needle.is_empty() || files[i].path.to_lowercase().contains(&needle))
            .collect::<Vec<usize>>()
    });
    let brief = (inventory.metrics.file_detail == FileDetail::Brief).then_some(
        "This folder has so many files with values that only TTFT and throughput are kept per file.",
    );
    let body = move || {
        rows.with(|rows| {
            rows.iter()
                .take(MAX_ROWS)
                .map(|&i| {
                    file_row(
                        &inventory.metrics.files[i],
                        inventory.metrics.from_summaries,
                    )
                })
                .collect_view()
        })
    };
    view! {
        <div class="panel" data-testid="file-metrics">
            <h3>"Values per file"</h3>
            <p class="note">{brief}</p>
            <div class="filters">
                <input type="search" placeholder="Filter by path…" aria-label="Filter files with values"
                    data-testid="file-metrics-filter" on:input=move |ev| set_filter.set(event_target_value(&ev))/>
                <span class="note" data-testid="file-metrics-count">{move || shown_text(rows.with(Vec::len), total, "files with values")}</span>
            </div>
            {table(
                "file-metrics",
                &[("File", false), ("Records", true), ("Runs", true), ("Failed", true), ("TTFT median, ms", true),
                  ("TTFT mean, ms", true), ("Throughput, tok/s", true), ("Other means", false)],
                body.into_any(),
            )}
        </div>
    }
}

fn file_row(file: &FileMetrics, from_summaries: bool) -> AnyView {
    let summary = |metric| file.series.get(&metric).map(|s| &s.summary);
    let ttft = summary(MetricId::TtftMs);
    let rate = summary(MetricId::TokensPerSecond);
    let others = file
        .series
        .iter()
        .filter(|(metric, _)| !matches!(metric, MetricId::TtftMs | MetricId::TokensPerSecond))
        .map(|(metric, series)| {
            let text = format!(
                "{} {} {}",
                metric.id(),
                figure(series.summary.mean),
                metric.unit()
            );
            view! { <div>{text}</div> }
        })
        .collect_view();
    let counted = match (&file.duplicate_of, &file.derived_reason) {
        (Some(original), _) => Some(format!("A copy of {original}, counted once.")),
        (None, Some(reason)) if from_summaries => Some(format!(
            "Compared, as no file holds single runs, though {reason}."
        )),
        (None, Some(reason)) => Some(format!("Not counted as runs: {reason}.")),
        (None, None) => None,
    };
    let failures = file.failures.iter().map(|failure| {
        let at = place("", &failure.at);
        let at = at.trim_start_matches(", ");
        format!(
            "Failed at {at}: {}: {}",
            failure.cause.label(),
            failure.detail
        )
    });
    let impossible = (file.impossible_values > 0).then(|| {
        format!(
            "{} left out: negative, or a time or rate of exactly zero.",
            if file.impossible_values == 1 {
                String::from("1 value")
            } else {
                format!("{} values", file.impossible_values)
            }
        )
    });
    let named = file
        .model_from_path
        .as_ref()
        .map(|model| format!("Names no model; {model} is read from its path."));
    let notes = counted
        .into_iter()
        .chain(named)
        .chain(impossible)
        .chain(failures)
        .map(|note| view! { <div class="note">{note}</div> })
        .collect_view();
    row(
        "file-metrics-row",
        vec![
            Cell::View(view! { <div class="path">{file.path.clone()}</div>{notes} }.into_any()),
            Cell::Num(file.records.to_string()),
            Cell::Num(file.runs.to_string()),
            Cell::Num(file.failed.to_string()),
            Cell::Num(maybe(ttft.map(|s| s.median))),
            Cell::Num(maybe(ttft.map(|s| s.mean))),
            Cell::Num(maybe(rate.map(|s| s.mean))),
            Cell::View(view! { <div class="others">{others}</div> }.into_any()),
        ],
    )
}

/// GPU, driver and Ollama version, each with the file that states it.
#[component]
fn Environment(inventory: Arc<Inventory>) -> impl IntoView {
    let environment = &inventory.metrics.environment;
    (!environment.is_empty()).then(|| {
        let entries = environment
            .iter()
            .map(|(kind, values)| {
                let more = (values.len() > MAX_ENVIRONMENT_VALUES).then(|| {
                    let more = values.len() - MAX_ENVIRONMENT_VALUES;
                    view! { <dd class="note">{format!("and {more} more")}</dd> }
                });
                let values = values
                    .iter()
                    .take(MAX_ENVIRONMENT_VALUES)
                    .map(|v| view! { <dd>{v.value.clone()} <span class="note">" — " {v.file.clone()}</span></dd> })
                    .collect_view();
                let label = kind.label();
                let label = format!("{}{}", label[..1].to_uppercase(), &label[1..]);
                view! { <dt>{label}</dt>{values}{more} }
            })
            .collect_view();
        view! {
            <div class="panel" data-testid="environment">
                <h3>"Environment"</h3>
                <dl class="environment">{entries}</dl>
            </div>
        }
    })
}

/// Text a clicked mark left, or how to get some.
#[component]
fn Readout(selected: ReadSignal<Option<String>>, testid: &'static str) -> impl IntoView {
    view! {
        <p class="readout" data-testid=testid aria-live="polite">
            {move || selected.get().unwrap_or_else(|| "Tap or click a mark to read it here.".into())}
        </p>
    }
}

/// Which marker each model (or, for runs of an unknown model, each file)
/// gets: the same in every chart. Named models come first.
#[derive(Debug)]
struct Legend {
    /// Whether the model is unknown, and the series' name; sorted.
    names: Vec<(bool, String)>,
}

impl Legend {
    fn of(inventory: &Inventory) -> Legend {
        let metrics = &inventory.metrics;
        let names: BTreeSet<(bool, String)> = metrics
            .configurations
            .iter()
            .map(|c| (c.model.as_deref(), c.scope.as_deref()))
            .chain(
                metrics
                    .distributions
                    .iter()
                    .map(|d| (d.model.as_deref(), d.scope.as_deref())),
            )
            .chain(
                metrics
                    .grids
                    .iter()
                    .map(|g| (g.model.as_deref(), g.scope.as_deref())),
            )
            .map(|(model, scope)| (model.is_none(), series_name(model, scope)))
            .collect();
        Legend {
            names: names.into_iter().collect(),
        }
    }

    /// The series of a model, or of a file's runs of an unknown model.
    fn index(&self, model: Option<&str>, scope: Option<&str>) -> usize {
        let key = (model.is_none(), series_name(model, scope));
        self.names.binary_search(&key).unwrap_or(0)
    }

    /// A small picture of the series' marker, for keys and captions.
    fn key(&self, index: usize) -> impl IntoView + use<> {
        view! {
            <svg class="key" viewBox="0 0 14 14" aria-hidden="true">
                <path class=marker_class(index) d=Marker::nth(index).path(7.0, 7.0, 4.5)/>
            </svg>
        }
    }

    /// The key for the series at `indices`, as HTML so it wraps on a phone.
    fn view(&self, indices: &BTreeSet<usize>) -> impl IntoView + use<> {
        let items = indices
            .iter()
            .map(|&index| view! { <li>{self.key(index)}{self.names[index].1.clone()}</li> })
            .collect_view();
        view! { <ul class="legend" aria-label="Key to the marks">{items}</ul> }
    }
}

/// The name a model's marks go by; runs of an unknown model by their file.
fn series_name(model: Option<&str>, scope: Option<&str>) -> String {
    match (model, scope) {
        (Some(model), _) => model.to_string(),
        (None, Some(file)) => format!("unknown model, {file}"),
        (None, None) => String::from("unknown model"),
    }
}

/// The marker's CSS classes: its colour, and whether it is hollow. Hollow
/// series take the colours three places on, so a hollow square never shares
/// the colour of the filled one.
fn marker_class(index: usize) -> String {
    let colour = (index + 3 * (index / SHAPES)) % SHAPES;
    let hollow = if Marker::nth(index).hollow {
        " hollow"
    } else {
        ""
    };
    format!("mk s{colour}{hollow}")
}

/// One mark: its shape, its description as a `<title>`, and a click that
/// prints the description under the chart.
fn mark(
    index: usize,
    (x, y): (f64, f64),
    radius: f64,
    text: String,
    set_selected: WriteSignal<Option<String>>,
) -> impl IntoView + use<> {
    let clicked = text.clone();
    view! {
        <path class=marker_class(index) d=Marker::nth(index).path(x, y, radius)
            on:click=move |_| set_selected.set(Some(clicked.clone()))>
            <title>{text}</title>
        </path>
    }
}

/// A chart's drawing size and the margins around its plotting area.
#[derive(Debug, Clone, Copy)]
struct Frame {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    fn right_edge(&self) -> f64 {
        self.width - self.right
    }

    fn bottom_edge(&self) -> f64 {
        self.height - self.bottom
    }

    fn view_box(&self) -> String {
        format!("0 0 {} {}", n(self.width), n(self.height))
    }
}

fn axis_label(what: &str, scale: &Scale) -> String {
    if scale.is_log() {
        format!("{what} (log scale)")
    } else {
        what.to_string()
    }
}

/// Tick labels under the plotting area, grid lines across it, and the
/// axis's name.
fn x_axis(scale: &Scale, frame: &Frame, label: String) -> impl IntoView + use<> {
    let bottom = frame.bottom_edge();
    let (mut lines, mut texts) = (Vec::new(), Vec::new());
    for tick in scale.ticks() {
        lines.push(svg_line(
            "gridline",
            (tick.at, frame.top),
            (tick.at, bottom),
        ));
        texts.push(svg_text(
            "tick",
            (tick.at, bottom + 17.0),
            "middle",
            tick.label,
        ));
    }
    let middle = (frame.left + frame.right_edge()) / 2.0;
    lines.push(svg_line(
        "baseline",
        (frame.left, bottom),
        (frame.right_edge(), bottom),
    ));
    texts.push(svg_text(
        "axis-label",
        (middle, bottom + 40.0),
        "middle",
        label,
    ));
    (lines, texts)
}

fn y_axis(scale: &Scale, frame: &Frame, label: String) -> impl IntoView + use<> {
    let (mut lines, mut texts) = (Vec::new(), Vec::new());
    for tick in scale.ticks() {
        lines.push(svg_line(
            "gridline",
            (frame.left, tick.at),
            (frame.right_edge(), tick.at),
        ));
        texts.push(svg_text(
            "tick",
            (frame.left - 6.0, tick.at + 4.0),
            "end",
            tick.label,
        ));
    }
    lines.push(svg_line(
        "baseline",
        (frame.left, frame.top),
        (frame.left, frame.bottom_edge()),
    ));
    let middle = (frame.top + frame.bottom_edge()) / 2.0;
    let turn = format!("translate(14 {}) rotate(-90)", n(middle));
    let name = view! { <text class="axis-label" x="0" y="0" text-anchor="middle" transform=turn>{label}</text> };
    (lines, texts, name)
}

fn svg_text(
    class: &'static str,
    (x, y): (f64, f64),
    anchor: &'static str,
    text: String,
) -> impl IntoView + use<> {
    view! { <text class=class x=n(x) y=n(y) text-anchor=anchor>{text}</text> }
}

fn svg_line(
    class: &'static str,
    (x1, y1): (f64, f64),
    (x2, y2): (f64, f64),
) -> impl IntoView + use<> {
    view! { <line class=class x1=n(x1) y1=n(y1) x2=n(x2) y2=n(y2)/> }
}

/// One table cell: its content and how it is set.
enum Cell {
    /// Figures, right-aligned.
    Num(String),
    /// A name that may wrap anywhere.
    Text(String),
    /// Anything else: files, a path with notes.
    View(AnyView),
}

fn row(testid: &'static str, cells: Vec<Cell>) -> AnyView {
    let cells = cells
        .into_iter()
        .map(|cell| match cell {
            Cell::Num(text) => view! { <td class="num">{text}</td> }.into_any(),
            Cell::Text(text) => view! { <td class="label">{text}</td> }.into_any(),
            Cell::View(content) => view! { <td>{content}</td> }.into_any(),
        })
        .collect_view();
    view! { <tr data-testid=testid>{cells}</tr> }.into_any()
}

/// A scrolling table with the given column heads (`true` for figures).
fn table(
    class: &'static str,
    head: &[(&'static str, bool)],
    body: AnyView,
) -> impl IntoView + use<> {
    let head = head
        .iter()
        .map(|&(label, numeric)| view! { <th class:num=numeric>{label}</th> })
        .collect_view();
    view! {
        <div class="scroll">
            <table class=class>
                <thead><tr>{head}</tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

/// The order that sorts `keys` ascending, ties kept in place. Every table
/// and chart sorts through here: each sort call site would otherwise add its
/// own copy of the sorting code to the page.
fn order_of(keys: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
    order
}

/// A coordinate for an attribute: one decimal is finer than a pixel.
fn n(value: f64) -> String {
    format!("{value:.1}")
}

/// A setting's value as written in a sweep: 40, 1024, 0.5.
fn setting(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        value.to_string()
    }
}

fn maybe(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), figure)
}

/// `1 run`, `5 runs`.
fn runs(count: u64) -> String {
    if count == 1 {
        String::from("1 run")
    } else {
        format!("{count} runs")
    }
}

fn shown_text(matching: usize, total: usize, what: &str) -> String {
    if matching > MAX_ROWS {
        format!("{matching} of {total} {what} (first {MAX_ROWS} shown)")
    } else {
        format!("{matching} of {total} {what}")
    }
}

/// Where in its file a value was read: `file, line 6, column ttft_s` or
/// `file, results[3].tokens_s`.
fn place(file: &str, at: &Location) -> String {
    let mut text = file.to_string();
    if let Some(line) = at.line {
        text.push_str(&format!(", line {line}"));
    }
    if let Some(column) = &at.column {
        text.push_str(&format!(", column {column}"));
    }
    if let Some(path) = &at.json_path {
        text.push_str(&format!(", {path}"));
    }
    text
}

fn files_text(files: &[String], more: u64) -> String {
    let mut text = files.join(", ");
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

/// Files, the first few in sight and the rest folded away.
fn files_list(files: &[String], more: u64) -> AnyView {
    // One text block per list, a path a line: a folder's configurations can
    // name thousands of files, and an element per path would slow the page.
    let inline = files
        .iter()
        .take(FILES_INLINE)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    let hidden = files.len().saturating_sub(FILES_INLINE) as u64 + more;
    let folded = (hidden > 0).then(|| {
        let mut rest = files
            .iter()
            .skip(FILES_INLINE)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        if more > 0 {
            rest.push_str(&format!("\n(and {more} more, not listed)"));
        }
        view! {
            <details>
                <summary>{format!("{hidden} more")}</summary>
                <div class="paths">{rest}</div>
            </details>
        }
    });
    view! { <div class="paths">{inline}</div>{folded} }.into_any()
}
