//! Work across files: runs grouped into configurations (model + settings),
//! the best configuration per metric with its margin against the noise, and
//! the values the page's charts draw.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap as HashMap;

use super::names::{MetricId, SettingId};
use super::record::{ConfigTable, Settings};
use super::stats::{self, Summary};
use super::{
    Best, Collected, Configuration, Contender, DETAILED_FILES, Distribution, EnvValue, FileDetail,
    GROUP_FILES_SHOWN, Grid, GridCell, Location, MAX_POINTS, Metrics, Point, Totals,
};

/// Runs are grouped by this. A run whose model is unknown is grouped within
/// its own file only (`scope`), so sweeps of different, unnamed models never
/// pool into one configuration.
///
/// TODO: the model is not guessed from file names (`gemma3_270m_param_tuning.csv`)
/// or from a sibling file that names it; a guess would need to be shown as one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    model: Option<String>,
    scope: Option<String>,
    settings: Settings,
}

impl Key {
    fn label(&self) -> String {
        let mut parts = vec![scope_label(&self.model, &self.scope)];
        for (setting, value) in self.settings.iter() {
            parts.push(format!("{}={value}", setting.id()));
        }
        parts.join(" ")
    }

    fn within(&self) -> Scope {
        (self.model.clone(), self.scope.clone())
    }
}

fn scope_label(model: &Option<String>, scope: &Option<String>) -> String {
    match (model, scope) {
        (Some(model), _) => model.clone(),
        (None, Some(file)) => format!("[unknown model, {file}]"),
        (None, None) => String::from("[unknown model]"),
    }
}

/// What one model's runs are compared within: the model, or for an unknown
/// model the file.
type Scope = (Option<String>, Option<String>);

/// A successful run: file index and record index. Kept as `u32`s (files
/// and records per file are capped far below that): there is one per run,
/// hundreds of thousands in a large folder, held at the inventory's peak.
#[derive(Debug, Clone, Copy)]
struct RunRef {
    file: u32,
    record: u32,
}

impl RunRef {
    fn new(file: usize, record: usize) -> Self {
        RunRef {
            file: u32::try_from(file).unwrap_or(u32::MAX),
            record: u32::try_from(record).unwrap_or(u32::MAX),
        }
    }

    fn file(self) -> usize {
        self.file as usize
    }

    fn record(self) -> usize {
        self.record as usize
    }
}

#[derive(Debug, Default)]
struct Group {
    runs: Vec<RunRef>,
    failed: u64,
    files: BTreeSet<usize>,
}

/// How many runs one step of [`ReportBuild`] reads for the configurations'
/// statistics: about 20 ms of work natively, under 100 ms in a page.
const RUNS_PER_STEP: usize = 40_000;

/// The cross-file statistics, built a bounded piece at a time
/// ([`Self::step`]) so that a page can paint and answer input between
/// pieces; the same pieces in the same order whether stepped or not, so the
/// result never depends on how it was driven.
pub(super) struct ReportBuild {
    totals: Totals,
    /// What is compared are summaries' figures (see [`Metrics::from_summaries`]).
    from_summaries: bool,
    groups: BTreeMap<Key, Group>,
    stage: Stage,
    configurations: Vec<Configuration>,
    contenders: BTreeMap<MetricId, Vec<(Key, Summary)>>,
    best: Vec<Best>,
    distributions: Vec<Distribution>,
    grids: Vec<Grid>,
}

enum Stage {
    /// Statistics of the groups from this index on.
    Configurations(usize),
    Best,
    /// Runs per model (or file, for an unknown model), and the next of the
    /// distributions to draw from them: each model's TTFT, then each
    /// model's throughput.
    Distributions(Vec<(Scope, Vec<RunRef>)>, usize),
    Grids,
    Done,
}

impl ReportBuild {
    /// Groups every counted run by its configuration: one pass over the
    /// records, recording each file's count of runs as it goes.
    ///
    /// With `summaries_only` (no file holds single runs), the summaries'
    /// and reports' figures are what is compared instead, each counted as
    /// one run; see [`Metrics::from_summaries`].
    pub(super) fn start(
        files: &mut [Collected],
        configs: &ConfigTable,
        summaries_only: bool,
    ) -> ReportBuild {
        // Runs are first gathered by the index of their settings (and, for an
        // unknown model, their file): building a [`Key`] with its strings per
        // run was most of this function's time on large folders.
        let mut by_index: HashMap<(u32, Option<usize>), Group> = HashMap::default();
        let mut totals = Totals::default();
        for (index, file) in files.iter_mut().enumerate() {
            let Some(metrics) = file.metrics.as_mut() else {
                continue;
            };
            totals.files_with_metrics += 1;
            if metrics.derived {
                totals.derived_files += 1;
                if !summaries_only {
                    continue;
                }
            }
            if metrics.duplicate_of.is_some() {
                totals.duplicate_files += 1;
                continue;
            }
            let mut runs = 0;
            for (record_index, record) in file.records.iter().enumerate() {
                if record.aggregate && !summaries_only {
                    continue;
                }
                let has_model = configs[record.config as usize].contains_key(SettingId::Model);
                let scope = (!has_model).then_some(index);
                let group = by_index.entry((record.config, scope)).or_default();
                group.files.insert(index);
                if record.failed {
                    group.failed += 1;
                    totals.failed_runs += 1;
                } else {
                    group.runs.push(RunRef::new(index, record_index));
                    runs += 1;
                }
            }
            metrics.runs = runs;
            totals.runs += runs;
        }
        let groups = keyed_groups(files, configs, by_index);
        ReportBuild {
            from_summaries: summaries_only && totals.runs > 0,
            totals,
            configurations: Vec::with_capacity(groups.len()),
            groups,
            stage: Stage::Configurations(0),
            contenders: BTreeMap::new(),
            best: Vec::new(),
            distributions: Vec::new(),
            grids: Vec::new(),
        }
    }

    /// Does the next piece of work; `true` once everything is done.
    pub(super) fn step(&mut self, files: &[Collected]) -> bool {
        let stage = std::mem::replace(&mut self.stage, Stage::Done);
        self.stage = match stage {
            Stage::Configurations(next) => self.configurations_from(files, next),
            Stage::Best => {
                self.best = best_configurations(&self.contenders, self.from_summaries);
                // Summaries' figures are means, not runs to draw one by one.
                if self.from_summaries {
                    Stage::Grids
                } else {
                    Stage::Distributions(runs_by_scope(&self.groups), 0)
                }
            }
            Stage::Distributions(scopes, next) => {
                let metric = DISTRIBUTED[next / scopes.len().max(1)];
                if let Some(((model, scope), runs)) = scopes.get(next % scopes.len().max(1))
                    && let Some(distribution) = distribution(files, metric, model, scope, runs)
                {
                    self.distributions.push(distribution);
                }
                if next + 1 >= scopes.len() * DISTRIBUTED.len() {
                    Stage::Grids
                } else {
                    Stage::Distributions(scopes, next + 1)
                }
            }
            Stage::Grids => {
                self.grids = grids(files, &self.groups);
                Stage::Done
            }
            Stage::Done => return true,
        };
        false
    }

    /// The statistics of the groups from `next` on, until about
    /// [`RUNS_PER_STEP`] runs were read.
    fn configurations_from(&mut self, files: &[Collected], next: usize) -> Stage {
        let mut read = 0;
        let mut index = next;
        for (key, group) in self.groups.iter().skip(next) {
            if read >= RUNS_PER_STEP {
                break;
            }
            index += 1;
            read += group.runs.len();
            // Each run's first reading of each metric, in one pass over the
            // runs rather than one per metric.
            let mut by_metric: [Vec<f64>; MetricId::ALL.len()] = Default::default();
            for run in &group.runs {
                let mut seen = [false; MetricId::ALL.len()];
                for reading in files[run.file()].readings_of(run.record()) {
                    let Some(at) = MetricId::ALL.iter().position(|m| *m == reading.metric) else {
                        continue;
                    };
                    if !seen[at] {
                        seen[at] = true;
                        by_metric[at].push(reading.value);
                    }
                }
            }
            let mut stats_by_metric = BTreeMap::new();
            for (metric, values) in MetricId::ALL.into_iter().zip(by_metric) {
                if let Some(summary) = Summary::of(&values) {
                    if matches!(metric, MetricId::TokensPerSecond | MetricId::TtftMs) {
                        self.contenders
                            .entry(metric)
                            .or_default()
                            .push((key.clone(), summary.clone()));
                    }
                    stats_by_metric.insert(metric, summary);
                }
            }
            let (shown, more_files) = file_names(files, &group.files);
            self.configurations.push(Configuration {
                label: key.label(),
                model: key.model.clone(),
                scope: key.scope.clone(),
                settings: key.settings.to_map(),
                runs: group.runs.len() as u64,
                failed: group.failed,
                files: shown,
                more_files,
                stats: stats_by_metric,
            });
        }
        if index >= self.groups.len() {
            Stage::Best
        } else {
            Stage::Configurations(index)
        }
    }

    /// The statistics, once [`Self::step`] has said they are all done
    /// (finishing any left first).
    pub(super) fn finish(mut self, files: &[Collected]) -> Metrics {
        while !self.step(files) {}
        let file_detail = if self.totals.files_with_metrics > DETAILED_FILES {
            FileDetail::Brief
        } else {
            FileDetail::Full
        };
        Metrics {
            not_read: false,
            from_summaries: self.from_summaries,
            totals: self.totals,
            file_detail,
            // Moved in from `files` by `take_file_metrics` once the lint is done.
            files: Vec::new(),
            configurations: self.configurations,
            best: self.best,
            distributions: self.distributions,
            grids: self.grids,
            environment: environment(files),
        }
    }
}

/// The metrics whose values per model are drawn, in the JSON's order.
const DISTRIBUTED: [MetricId; 2] = [MetricId::TtftMs, MetricId::TokensPerSecond];

/// The best configuration by each metric, overall and per model.
fn best_configurations(
    contenders: &BTreeMap<MetricId, Vec<(Key, Summary)>>,
    from_summaries: bool,
) -> Vec<Best> {
    let mut best = Vec::new();
    for (metric, candidates) in contenders {
        best.extend(best_of(*metric, None, candidates, from_summaries));
        let mut by_scope: BTreeMap<Scope, Vec<(Key, Summary)>> = BTreeMap::new();
        for (key, summary) in candidates {
            by_scope
                .entry(key.within())
                .or_default()
                .push((key.clone(), summary.clone()));
        }
        // With one model only, the per-model answer is the overall one.
        if by_scope.len() > 1 {
            for ((model, scope), candidates) in &by_scope {
                best.extend(best_of(
                    *metric,
                    Some(scope_label(model, scope)),
                    candidates,
                    from_summaries,
                ));
            }
        }
    }
    best
}

/// The groups under their [`Key`], in the order the JSON lists them. Two
/// files may share a path (a zip can hold the same name twice); their runs
/// pool, as they always did.
fn keyed_groups(
    files: &[Collected],
    configs: &ConfigTable,
    by_index: HashMap<(u32, Option<usize>), Group>,
) -> BTreeMap<Key, Group> {
    let mut groups: BTreeMap<Key, Group> = BTreeMap::new();
    for ((config, scope), group) in by_index {
        let mut settings = configs[config as usize].clone();
        let model = settings.remove(SettingId::Model);
        let key = Key {
            model,
            scope: scope.map(|file| files[file].path.clone()),
            settings,
        };
        let pooled = groups.entry(key).or_default();
        pooled.runs.extend(group.runs);
        pooled.failed += group.failed;
        pooled.files.extend(group.files);
    }
    // Runs in reading order, whatever order the map handed the groups over in.
    for group in groups.values_mut() {
        group.runs.sort_by_key(|run| (run.file(), run.record()));
    }
    groups
}

/// Paths of the files, in path order, up to [`GROUP_FILES_SHOWN`], and how
/// many more.
fn file_names(files: &[Collected], indices: &BTreeSet<usize>) -> (Vec<String>, u64) {
    let shown = indices
        .iter()
        .take(GROUP_FILES_SHOWN)
        .map(|i| files[*i].path.clone())
        .collect();
    (
        shown,
        indices.len().saturating_sub(GROUP_FILES_SHOWN) as u64,
    )
}

/// Twice the combined standard error: a margin above it would arise by
/// chance less than about one time in twenty.
const NOISE_FACTOR: f64 = 2.0;

/// With `from_summaries` the figures are summaries' means: their spread is
/// no noise of repeated runs, so none is judged.
fn best_of(
    metric: MetricId,
    within: Option<String>,
    candidates: &[(Key, Summary)],
    from_summaries: bool,
) -> Option<Best> {
    if candidates.len() < 2 {
        return None;
    }
    let higher_wins = metric == MetricId::TokensPerSecond;
    let mut ranked: Vec<&(Key, Summary)> = candidates.iter().collect();
    ranked.sort_by(|a, b| {
        let order = a.1.mean.total_cmp(&b.1.mean);
        let order = if higher_wins { order.reverse() } else { order };
        order.then_with(|| a.0.cmp(&b.0))
    });
    let (winner, runner_up) = (ranked[0], ranked[1]);
    let margin = stats::round((winner.1.mean - runner_up.1.mean).abs());
    let margin_pct =
        (runner_up.1.mean != 0.0).then(|| stats::round(margin / runner_up.1.mean.abs() * 100.0));
    let enough = !winner.1.small_sample && !runner_up.1.small_sample && !from_summaries;
    let noise = match (
        enough,
        winner.1.standard_error(),
        runner_up.1.standard_error(),
    ) {
        (true, Some(a), Some(b)) => Some(stats::round(NOISE_FACTOR * (a * a + b * b).sqrt())),
        _ => None,
    };
    let exceeds_noise = noise.map(|noise| margin > noise);
    let unit = metric.unit();
    let lead = format!(
        "{} leads {} by {margin} {unit}{}",
        winner.0.label(),
        runner_up.0.label(),
        margin_pct.map_or(String::new(), |pct| format!(" ({pct:.1}%)"))
    );
    let verdict = match (noise, exceeds_noise) {
        _ if from_summaries => format!(
            "{lead}, in figures that summaries state: they are no repeated runs, so the noise \
             cannot be judged"
        ),
        (Some(noise), Some(true)) => format!(
            "{lead}, more than the noise ({noise} {unit}, twice the combined standard error): \
             a real difference"
        ),
        (Some(noise), _) => format!(
            "{lead}, within the noise ({noise} {unit}, twice the combined standard error): \
             the data cannot tell them apart"
        ),
        _ => format!(
            "{lead}, but with {} and {} runs the noise cannot be judged (3 runs each are needed)",
            winner.1.n, runner_up.1.n
        ),
    };
    let contender = |(key, summary): &(Key, Summary)| Contender {
        label: key.label(),
        mean: summary.mean,
        n: summary.n,
        std_dev: summary.std_dev,
    };
    Some(Best {
        metric,
        goal: String::from(if higher_wins { "highest" } else { "lowest" }),
        within,
        winner: contender(winner),
        runner_up: contender(runner_up),
        margin,
        margin_pct,
        noise,
        exceeds_noise,
        verdict,
    })
}

/// Every counted run, by the model (or file) it is compared within.
fn runs_by_scope(groups: &BTreeMap<Key, Group>) -> Vec<(Scope, Vec<RunRef>)> {
    let mut by_scope: BTreeMap<Scope, Vec<RunRef>> = BTreeMap::new();
    for (key, group) in groups {
        by_scope
            .entry(key.within())
            .or_default()
            .extend(group.runs.iter().copied());
    }
    by_scope.into_iter().collect()
}

/// One model's values of `metric`: all of them, or [`MAX_POINTS`] evenly
/// spaced ones, each traceable to its file.
fn distribution(
    files: &[Collected],
    metric: MetricId,
    model: &Option<String>,
    scope: &Option<String>,
    runs: &[RunRef],
) -> Option<Distribution> {
    let mut picked: Vec<(f64, RunRef)> = runs
        .iter()
        .filter_map(|run| {
            files[run.file()]
                .value(run.record(), metric)
                .map(|v| (v, *run))
        })
        .collect();
    let summary = Summary::of(&picked.iter().map(|(v, _)| *v).collect::<Vec<_>>())?;
    picked.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(a.1.file().cmp(&b.1.file()))
            .then(a.1.record().cmp(&b.1.record()))
    });
    let sampled = picked.len() > MAX_POINTS;
    let chosen: Vec<&(f64, RunRef)> = if sampled {
        let last = picked.len() - 1;
        (0..MAX_POINTS)
            .map(|i| &picked[i * last / (MAX_POINTS - 1)])
            .collect()
    } else {
        picked.iter().collect()
    };
    let values = chosen
        .into_iter()
        .map(|(value, run)| point(files, *run, metric, *value))
        .collect();
    Some(Distribution {
        metric,
        model: model.clone(),
        scope: scope.clone(),
        summary,
        values,
        sampled,
    })
}

fn point(files: &[Collected], run: RunRef, metric: MetricId, value: f64) -> Point {
    let file = &files[run.file()];
    let source = file
        .readings_of(run.record())
        .iter()
        .find(|v| v.metric == metric)
        .map(|v| file.sources[usize::from(v.source)].name.as_str());
    Point {
        value: stats::round(value),
        file: file.path.clone(),
        at: Location::of(&file.record_at(run.record()), file.format, source),
    }
}

fn grids(files: &[Collected], groups: &BTreeMap<Key, Group>) -> Vec<Grid> {
    type Cell = (Vec<RunRef>, BTreeSet<usize>);
    let mut by_scope: BTreeMap<Scope, BTreeMap<(String, String), Cell>> = BTreeMap::new();
    for (key, group) in groups {
        let (Some(gpu), Some(ctx)) = (
            key.settings.get(SettingId::NumGpu),
            key.settings.get(SettingId::NumCtx),
        ) else {
            continue;
        };
        let cell = by_scope
            .entry(key.within())
            .or_default()
            .entry((gpu.to_owned(), ctx.to_owned()))
            .or_default();
        cell.0.extend(group.runs.iter().copied());
        cell.1.extend(group.files.iter().copied());
    }
    let mut out = Vec::new();
    for ((model, scope), cells) in by_scope {
        if cells.len() < 2 {
            continue;
        }
        let mean_of = |runs: &[RunRef], metric: MetricId| {
            let values: Vec<f64> = runs
                .iter()
                .filter_map(|r| files[r.file()].value(r.record(), metric))
                .collect();
            Summary::of(&values).map(|s| s.mean)
        };
        let mut grid_cells: Vec<GridCell> = cells
            .into_iter()
            .filter_map(|((gpu, ctx), (runs, file_indices))| {
                let (shown, more_files) = file_names(files, &file_indices);
                Some(GridCell {
                    num_gpu: gpu.parse().ok()?,
                    num_ctx: ctx.parse().ok()?,
                    runs: runs.len() as u64,
                    tokens_per_second: mean_of(&runs, MetricId::TokensPerSecond),
                    ttft_ms: mean_of(&runs, MetricId::TtftMs),
                    files: shown,
                    more_files,
                })
            })
            .collect();
        grid_cells.sort_by(|a, b| {
            a.num_gpu
                .total_cmp(&b.num_gpu)
                .then(a.num_ctx.total_cmp(&b.num_ctx))
        });
        out.push(Grid {
            model,
            scope,
            cells: grid_cells,
        });
    }
    out
}

/// Distinct values per fact, each with the first file (by path) stating it.
fn environment(files: &[Collected]) -> BTreeMap<super::names::EnvKind, Vec<EnvValue>> {
    let mut out: BTreeMap<super::names::EnvKind, Vec<EnvValue>> = BTreeMap::new();
    for file in files {
        for (kind, value) in &file.environment {
            let list = out.entry(*kind).or_default();
            if list.len() < 10 && !list.iter().any(|v| v.value == *value) {
                list.push(EnvValue {
                    value: value.clone(),
                    file: file.path.clone(),
                });
            }
        }
    }
    out
}

/// Moves each file's metrics onto `metrics.files`, trimmed to the brief form
/// when the folder is large. Moved, not copied: for 20,000 files a copy was
/// the largest allocation of the whole inventory.
pub(super) fn take_file_metrics(files: &mut [Collected], metrics: &mut Metrics) {
    let brief = metrics.file_detail == FileDetail::Brief;
    let taken = files
        .iter_mut()
        .filter_map(|f| f.metrics.take())
        .map(|mut file| {
            if brief {
                make_brief(&mut file);
            }
            *file
        });
    metrics.files.extend(taken);
}

/// Trims a file's entry to the brief form: TTFT and throughput statistics
/// only, without where their extremes are, the settings or the reported
/// means. The lint needs no more than that.
pub(super) fn make_brief(file: &mut super::FileMetrics) {
    file.series
        .retain(|m, _| matches!(m, MetricId::TtftMs | MetricId::TokensPerSecond));
    for series in file.series.values_mut() {
        series.min_at = None;
        series.max_at = None;
    }
    file.settings = BTreeMap::new();
    file.reported = BTreeMap::new();
}
