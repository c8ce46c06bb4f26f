//! The numbers inside the artifacts: metrics read from CSV, JSON and Markdown
//! files of any schema, converted to canonical units with their provenance,
//! summarised per file and per configuration, and linted for what is missing
//! or suspect.
//!
//! Files are read one at a time by [`MetricsCollector::add`], called from
//! [`crate::InventoryBuilder::add_file`] while the file's bytes are at hand,
//! so nothing but the extracted values outlives a file. Everything is kept in
//! sorted maps and summed in sorted order, so the JSON is byte-identical in
//! the page and in the CLI.
//!
//! # What the JSON keeps, and why
//!
//! A folder may hold 20,000 files. Per file the JSON keeps summary statistics
//! and where the extremes sit, never every value. Individual values appear
//! only where a chart needs them: per model distributions of TTFT and
//! throughput, at most [`MAX_POINTS`] values each, chosen evenly across the
//! sorted values so the shape survives, every one with its file and line or
//! JSON path.

mod csv;
pub mod findings;
mod json;
mod markdown;
pub mod names;
mod path_model;
mod record;
mod report;
pub mod stats;
pub mod text;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::classify::FileType;
use crate::content::{self, ContentProblem};
pub use findings::{Finding, Severity};
use names::NameCache;
pub use names::{EnvKind, MetricId, SettingId};
pub use record::FailureCause;
use record::{ConfigTable, Extraction, RecordAt};
pub use stats::Summary;
use text::TimestampFormat;

/// The most values a distribution carries into the JSON.
pub const MAX_POINTS: usize = 256;

/// The most run values kept in memory across all files for the
/// per-configuration statistics (16 bytes each, plus about 40 per record:
/// some 60 MB at the cap). Files read after the cap is
/// reached are summarised on their own only, and a finding says so.
///
/// TODO: past the cap, which files still count depends on reading order;
/// streaming summaries (count, sums, a quantile sketch) per configuration
/// would remove the cap.
pub const MAX_RETAINED_VALUES: usize = 2_000_000;

/// How many failures, per file, are described one by one.
const FAILURES_SHOWN: usize = 3;

/// How many files a finding names before it counts the rest.
pub const FILES_SHOWN: usize = 100;

/// How many files a configuration or grid cell names before it counts the rest.
pub const GROUP_FILES_SHOWN: usize = 20;

/// Above this many files with metrics, per-file entries are brief: only the
/// TTFT and throughput series, without the places of their extremes or the
/// list of settings. Full entries cost about 5 KB of JSON per sweep file, so
/// 20,000 of them would make a 100 MB download; the cross-file sections carry
/// the rest.
///
/// TODO: 20,000 brief entries are still about 27 MB of pretty JSON (18,000
/// files with metrics in bench/make_reports_zip.py's folder); a further
/// "counts only" level above some 5,000 files, or compact JSON, would be
/// needed to make such a download small.
pub const DETAILED_FILES: u64 = 1_000;

/// Everything read from the numbers in the folder. Documented in the README.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// The numbers were not read: the inventory was asked for counts only
    /// ([`crate::archive::Limits::read_metrics`]). Absent from the JSON
    /// when they were.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_read: bool,
    /// No file holds single runs: the configurations, the best ones and the
    /// grids compare the figures summaries and reports state, each row or
    /// line counted as one of `totals.runs`. Absent from the JSON otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_summaries: bool,
    pub totals: Totals,
    /// `full`, or `brief` when more than [`DETAILED_FILES`] files hold metrics.
    #[serde(default)]
    pub file_detail: FileDetail,
    /// Per file: what was read, from where, and its summary statistics.
    pub files: Vec<FileMetrics>,
    /// Runs grouped by model and settings, across files.
    pub configurations: Vec<Configuration>,
    /// The best configuration by throughput and by TTFT, overall and per model.
    pub best: Vec<Best>,
    /// Per model values of TTFT and throughput, for distribution charts.
    pub distributions: Vec<Distribution>,
    /// Per model num_gpu x num_ctx means, where a sweep covers both.
    pub grids: Vec<Grid>,
    /// GPU, driver and Ollama version, as found in the files.
    pub environment: BTreeMap<EnvKind, Vec<EnvValue>>,
}

/// How much each entry of [`Metrics::files`] says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileDetail {
    /// Every metric's statistics, where its extremes are, the settings seen.
    #[default]
    Full,
    /// Only TTFT and throughput statistics.
    Brief,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Files from which at least one value or failed run was read.
    pub files_with_metrics: u64,
    /// Successful runs counted in the configurations (with
    /// [`Metrics::from_summaries`], the summaries' figures counted instead).
    pub runs: u64,
    /// Failed runs, in files that are neither derived nor duplicates (with
    /// [`Metrics::from_summaries`], in the summaries compared too).
    pub failed_runs: u64,
    /// Summaries and reports whose values are not counted as runs.
    pub derived_files: u64,
    /// Files holding the same runs as another file, counted once.
    pub duplicate_files: u64,
}

/// Where in its file a value was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// 1-based line, as an editor shows it (CSV and Markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The CSV column's header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The JSON path, e.g. `results[3].tokens_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
}

impl Location {
    fn of(at: &RecordAt, format: FileType, source_name: Option<&str>) -> Location {
        match at {
            RecordAt::Line(line) => Location {
                line: Some(*line),
                column: source_name
                    .filter(|_| format == FileType::Csv)
                    .map(str::to_owned),
                json_path: None,
            },
            RecordAt::Path(path) => Location {
                line: None,
                column: None,
                json_path: Some(match source_name {
                    Some(key) => json::value_path(path, key),
                    None if path.is_empty() => String::from("(root)"),
                    None => path.to_string(),
                }),
            },
        }
    }
}

/// One value and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "PointFields")]
pub struct Point {
    pub value: f64,
    pub file: String,
    #[serde(flatten)]
    pub at: Location,
}

/// What was read from one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileMetrics {
    pub path: String,
    #[serde(rename = "type")]
    pub file_type: FileType,
    /// A summary or report: its values are kept here but not counted as runs.
    pub derived: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_reason: Option<String>,
    /// Holds the same runs as this other file, which is the one counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// Rows, objects or lines that held a value or a failed run.
    pub records: u64,
    /// Successful runs counted in the configurations (0 when derived or a duplicate).
    pub runs: u64,
    pub failed: u64,
    /// Records past the per-file cap: counted, not read.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped_records: u64,
    /// Values left out of successful runs because no measurement can have
    /// them (below zero; a time or a rate of exactly zero).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub impossible_values: u64,
    /// The first few failures, with where they are and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<FailureNote>,
    /// Distinct values of each setting seen in the file.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<SettingId, Vec<String>>,
    /// The model of the runs that name none, read from the file's path
    /// (`reports/gemma3/gemma3_270m_runs.csv`: `gemma3:270m`, a model
    /// another file names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_from_path: Option<String>,
    /// Per metric, the successful values' statistics. Boxed: a map node has
    /// room for eleven entries and files have one to eight, so unboxed
    /// series cost about 3 KB per file, 50 MB for 18,000 files.
    pub series: BTreeMap<MetricId, Box<Series>>,
    /// Means the file states beside its own runs (`overall_tokens_per_second`),
    /// kept to compare with what the runs say.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reported: BTreeMap<MetricId, Vec<Point>>,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "FailureNoteFields")]
pub struct FailureNote {
    #[serde(flatten)]
    pub at: Location,
    pub cause: FailureCause,
    pub detail: String,
}

/// One metric of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "SeriesFields")]
pub struct Series {
    /// Columns, keys or labels the values were read from.
    pub sources: Vec<String>,
    /// The units they were written in (`s`, `ms`, `ns`, `ms (assumed)`,
    /// `tok/s`, `tokens`, `computed`), before conversion to the metric's unit.
    pub units: Vec<String>,
    /// The values are means of runs (`mean_ttft_s`), not runs.
    pub aggregate: bool,
    #[serde(flatten)]
    pub summary: Summary,
    /// Where the smallest value is (the first, if several); absent in brief entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_at: Option<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_at: Option<Location>,
}

// The three types above serialise a struct flattened into them. Read back
// through `#[serde(flatten)]`, serde buffers every field of every object
// first, which is slow and, in the page that reads inventories back, large
// code; these plain mirrors of the same JSON are read instead.

#[derive(Deserialize)]
struct PointFields {
    value: f64,
    file: String,
    #[serde(default)]
    line: Option<u32>,
    #[serde(default)]
    column: Option<String>,
    #[serde(default)]
    json_path: Option<String>,
}

impl From<PointFields> for Point {
    fn from(point: PointFields) -> Self {
        Point {
            value: point.value,
            file: point.file,
            at: Location {
                line: point.line,
                column: point.column,
                json_path: point.json_path,
            },
        }
    }
}

#[derive(Deserialize)]
struct FailureNoteFields {
    #[serde(default)]
    line: Option<u32>,
    #[serde(default)]
    column: Option<String>,
    #[serde(default)]
    json_path: Option<String>,
    cause: FailureCause,
    detail: String,
}

impl From<FailureNoteFields> for FailureNote {
    fn from(note: FailureNoteFields) -> Self {
        FailureNote {
            at: Location {
                line: note.line,
                column: note.column,
                json_path: note.json_path,
            },
            cause: note.cause,
            detail: note.detail,
        }
    }
}

#[derive(Deserialize)]
struct SeriesFields {
    sources: Vec<String>,
    units: Vec<String>,
    aggregate: bool,
    n: u64,
    mean: f64,
    median: f64,
    p95: f64,
    min: f64,
    max: f64,
    std_dev: Option<f64>,
    cv: Option<f64>,
    small_sample: bool,
    #[serde(default)]
    min_at: Option<Location>,
    #[serde(default)]
    max_at: Option<Location>,
}

impl From<SeriesFields> for Series {
    fn from(series: SeriesFields) -> Self {
        Series {
            sources: series.sources,
            units: series.units,
            aggregate: series.aggregate,
            summary: Summary {
                n: series.n,
                mean: series.mean,
                median: series.median,
                p95: series.p95,
                min: series.min,
                max: series.max,
                std_dev: series.std_dev,
                cv: series.cv,
                small_sample: series.small_sample,
            },
            min_at: series.min_at,
            max_at: series.max_at,
        }
    }
}

/// Runs of one model with one set of settings, across files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Configuration {
    /// Model and settings in one line, e.g. `llama3.1:8b num_gpu=40 num_ctx=1024`.
    pub label: String,
    pub model: Option<String>,
    /// When the model is unknown, the file the runs came from: runs of an
    /// unknown model are never pooled across files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub settings: BTreeMap<SettingId, String>,
    pub runs: u64,
    pub failed: u64,
    pub files: Vec<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_files: u64,
    pub stats: BTreeMap<MetricId, Summary>,
}

/// The winner for one metric among configurations, and whether its lead is real.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Best {
    pub metric: MetricId,
    /// `highest` for throughput, `lowest` for TTFT.
    pub goal: String,
    /// The model (or, for an unknown model, the file) compared within;
    /// absent when every configuration is compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    pub winner: Contender,
    pub runner_up: Contender,
    /// Difference of the two means, in the metric's unit.
    pub margin: f64,
    /// The margin as a percentage of the runner-up's mean.
    pub margin_pct: Option<f64>,
    /// Twice the combined standard error of the two means; absent when either
    /// has fewer than 3 runs.
    pub noise: Option<f64>,
    /// Whether the margin is larger than the noise; absent when it cannot be told.
    pub exceeds_noise: Option<bool>,
    pub verdict: String,
}

impl Best {
    /// The verdict in a few words, for terminal output.
    pub fn judgement(&self) -> &'static str {
        match self.exceeds_noise {
            Some(true) => "a real lead",
            Some(false) => "within the noise",
            None if self.winner.n >= stats::SMALL_SAMPLE => {
                "the runner-up has too few runs to judge the noise"
            }
            None => "too few runs to judge the noise",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contender {
    pub label: String,
    pub mean: f64,
    pub n: u64,
    pub std_dev: Option<f64>,
}

/// The values of one metric for one model, for a distribution chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    pub metric: MetricId,
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub summary: Summary,
    /// Sorted by value. All of them, or [`MAX_POINTS`] evenly spaced ones.
    pub values: Vec<Point>,
    pub sampled: bool,
}

/// Mean throughput and TTFT per num_gpu x num_ctx cell of one model's
/// sweep, other settings pooled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub cells: Vec<GridCell>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridCell {
    pub num_gpu: f64,
    pub num_ctx: f64,
    pub runs: u64,
    pub tokens_per_second: Option<f64>,
    pub ttft_ms: Option<f64>,
    pub files: Vec<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_files: u64,
}

/// One environment fact and the first file (by path) that states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvValue {
    pub value: String,
    pub file: String,
}

/// Reads one file's metrics on its own, without the cross-file work: the
/// entry point for benchmarks and quick checks. `None` for files with no
/// values or failed runs.
pub fn extract_file(path: &str, file_type: FileType, bytes: &[u8]) -> Option<FileMetrics> {
    let (extraction, _) = extract(path, file_type, bytes, &mut NameCache::default());
    let (metrics, _) = summarise_file(path, &extraction?);
    metrics
}

/// Reads a file's numbers and, with the same decoding and parsing, checks
/// its content: the verdict is exactly [`content::check`]'s, without
/// decoding and parsing the file a second time for it. Of the other files
/// only console text (`.txt`, `.log`, `.out`: what `ollama run --verbose |
/// tee` or llama-bench leave behind) is read, as the Markdown reader reads
/// console output; it is never checked, so nothing about it is a problem.
fn extract(
    path: &str,
    file_type: FileType,
    bytes: &[u8],
    names: &mut NameCache,
) -> (Option<Extraction>, Result<(), ContentProblem>) {
    if file_type == FileType::Other && !crate::classify::is_console_text(path) {
        return (None, Ok(()));
    }
    // Text that is not UTF-8 (UTF-16 above all) is a problem for the
    // inventory, but its numbers are still read.
    let (source, mut verdict) = match content::decode_utf8(bytes) {
        Ok(text) => (Cow::Borrowed(text), Ok(())),
        Err(problem) => (text::decode(bytes), Err(problem)),
    };
    let mut extraction = Extraction::new(file_type, path);
    extraction.names = std::mem::take(names);
    match file_type {
        FileType::Csv => {
            csv::extract(&source, &mut extraction);
            if let (Ok(()), Some((line, fields, expected))) = (&verdict, extraction.ragged) {
                verdict = Err(content::ragged_csv(line, fields, expected));
            }
        }
        FileType::Json => {
            if json::extract(&source, &mut extraction).is_err() && verdict.is_ok() {
                // Asked again without building values: the few documents a
                // value cannot hold (a number beyond a double's range) are
                // still well-formed JSON.
                verdict = content::check_json(&source);
            }
        }
        FileType::Md => markdown::extract(&source, &mut extraction),
        FileType::Other => {
            // PowerShell's `Tee-Object` writes UTF-16: no problem for a log.
            verdict = Ok(());
            let text = text::without_terminal_codes(source.trim_start_matches('\u{feff}'));
            markdown::extract(&text, &mut extraction);
        }
    }
    extraction.finish_records();
    *names = std::mem::take(&mut extraction.names);
    (Some(extraction), verdict)
}

/// Collects metrics file by file; owned by [`crate::InventoryBuilder`].
///
/// TODO: each file's records are built whole (a `Vec` of values per record,
/// a settings table per file) and then copied into the compact form kept
/// here; on the benchmark zip that is a large share of the time and of the
/// allocations. Summarising derived files (sweeps of means) row by row as
/// they are read, and values in one flat table per file, would cut both.
#[derive(Debug, Default)]
pub struct MetricsCollector {
    files: Vec<Collected>,
    retained_values: usize,
    /// Every distinct set of settings of the kept records, across files;
    /// [`record::Record::config`] indexes this once a file is collected.
    configs: ConfigTable,
    names: NameCache,
    /// Files read so far that hold values or failed runs.
    with_metrics: u64,
    /// Reading was turned off: `add` ignores every file.
    off: bool,
    /// A file that is no summary has held records. Until then the
    /// summaries' records are kept too, to be compared if no file holds
    /// single runs; from then on they are not.
    runs_seen: bool,
}

/// A record as kept for the cross-file statistics: its values live in
/// [`Collected::readings`], one allocation per file rather than per record.
#[derive(Debug)]
struct Kept {
    at: KeptAt,
    /// Index into the collector's [`ConfigTable`], shared by all files.
    config: u32,
    first: u32,
    count: u32,
    aggregate: bool,
    /// A failed run; what failed is in [`Collected::failures`].
    failed: bool,
}

/// [`RecordAt`] of a kept record. A JSON path lives in
/// [`Collected::json_paths`]: hundreds of thousands of tiny strings, each
/// allocated between a parse's temporary ones, kept the heap fragmented long
/// after the parses were freed.
#[derive(Debug, Clone, Copy)]
enum KeptAt {
    Line(u32),
    Path { start: u32, end: u32 },
}

impl Collected {
    /// Where the kept record `index` sits in its file.
    fn record_at(&self, index: usize) -> RecordAt {
        match self.records[index].at {
            KeptAt::Line(line) => RecordAt::Line(line),
            KeptAt::Path { start, end } => {
                RecordAt::Path(self.json_paths[start as usize..end as usize].into())
            }
        }
    }

    /// The values of the kept record `index`.
    fn readings_of(&self, index: usize) -> &[record::Reading] {
        let kept = &self.records[index];
        let first = kept.first as usize;
        &self.readings[first..first + kept.count as usize]
    }

    /// The value of `metric` in the kept record `index`, if it has one.
    fn value(&self, index: usize, metric: MetricId) -> Option<f64> {
        self.readings_of(index)
            .iter()
            .find(|r| r.metric == metric)
            .map(|r| r.value)
    }
}

/// What is kept of one file once its bytes are gone.
#[derive(Debug)]
struct Collected {
    path: String,
    format: FileType,
    /// Boxed: this is kept for every file, so its size is paid 20,000 times
    /// in a large folder, and only files with values have one.
    metrics: Option<Box<FileMetrics>>,
    /// Size and XXH3 hash of the bytes: identical copies are duplicates.
    content: (usize, u64),
    /// Hash of the successful values in order, when there are enough of them
    /// to tell a copy from a coincidence.
    fingerprint: Option<u64>,
    /// How much the file says about its runs' settings; among duplicates the
    /// richest is the one counted.
    richness: usize,
    /// The file's records, for the cross-file statistics; empty for derived
    /// files and once the memory cap is reached.
    records: Vec<Kept>,
    /// The kept records' values, one after the other.
    readings: Vec<record::Reading>,
    /// The kept records' JSON paths, one after the other.
    json_paths: String,
    /// The failures of the kept records, in record order.
    failures: Vec<record::Failure>,
    /// Where the records' values were read from; empty with the records.
    sources: Vec<record::Source>,
    /// The records were dropped at the memory cap.
    truncated: bool,
    has_metric_names: bool,
    /// See [`record::Extraction::impossible_values`].
    impossible_values: u64,
    data_rows: u64,
    units: BTreeMap<MetricId, BTreeSet<names::Unit>>,
    timestamp_formats: BTreeSet<TimestampFormat>,
    environment: BTreeMap<EnvKind, String>,
}

impl MetricsCollector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Turns reading on (the default) or off.
    pub fn set_enabled(&mut self, on: bool) {
        self.off = !on;
    }

    /// Makes room for up to `files` more files.
    pub fn reserve(&mut self, files: usize) {
        if !self.off {
            self.files.reserve_exact(files);
        }
    }

    /// Reads one file's bytes and checks its content: the result is
    /// [`content::check`]'s, found while reading the numbers (one decoding
    /// and one parse for both). Whatever goes wrong inside the file stays
    /// inside its own result.
    pub fn add(
        &mut self,
        path: &str,
        file_type: FileType,
        bytes: &[u8],
    ) -> Result<(), ContentProblem> {
        if self.off {
            return content::check(file_type, bytes);
        }
        let (extraction, verdict) = extract(path, file_type, bytes, &mut self.names);
        if let Some(extraction) = extraction {
            self.collect(path, file_type, bytes, extraction);
        }
        verdict
    }

    fn collect(&mut self, path: &str, file_type: FileType, bytes: &[u8], extraction: Extraction) {
        let (metrics, fingerprint) = summarise_file(path, &extraction);
        let mut metrics = metrics.map(Box::new);
        // Past [`DETAILED_FILES`] files the JSON lists brief entries only:
        // trim them now rather than hold every detail to the end (tens of
        // megabytes for 20,000 files).
        if metrics.is_some() {
            self.with_metrics += 1;
            if self.with_metrics == DETAILED_FILES + 1 {
                for kept in self.files.iter_mut().filter_map(|f| f.metrics.as_mut()) {
                    report::make_brief(kept);
                }
            }
        }
        if self.with_metrics > DETAILED_FILES
            && let Some(metrics) = metrics.as_mut()
        {
            report::make_brief(metrics);
        }
        let mut units: BTreeMap<MetricId, BTreeSet<names::Unit>> = BTreeMap::new();
        let mut used = vec![false; extraction.sources.len()];
        for record in &extraction.records {
            for reading in &record.values {
                used[usize::from(reading.source)] = true;
            }
        }
        for (source, used) in extraction.sources.iter().zip(used) {
            if used {
                units.entry(source.metric).or_default().insert(source.unit);
            }
        }
        let richness = extraction
            .configs
            .iter()
            .map(|settings| {
                settings.len() + usize::from(settings.contains_key(SettingId::Model)) * 2
            })
            .max()
            .unwrap_or(0);
        let derived = extraction.derived.is_some();
        let keep = !derived || !self.runs_seen;
        if !derived && !extraction.records.is_empty() && !self.runs_seen {
            self.runs_seen = true;
            self.forget_summaries();
        }
        let values: usize = if keep {
            extraction.records.iter().map(|r| r.values.len()).sum()
        } else {
            0
        };
        let truncated = keep && self.retained_values.saturating_add(values) > MAX_RETAINED_VALUES;
        let mut records = Vec::new();
        let mut readings = Vec::new();
        let mut json_paths = String::new();
        let mut failures = Vec::new();
        if keep && !truncated {
            self.retained_values += values;
            records.reserve_exact(extraction.records.len());
            readings.reserve_exact(values);
            json_paths.reserve_exact(
                extraction
                    .records
                    .iter()
                    .map(|r| match &r.at {
                        RecordAt::Path(path) => path.len(),
                        RecordAt::Line(_) => 0,
                    })
                    .sum(),
            );
            // Only the kept records' settings outlive the file, each distinct
            // set once across all files.
            let mut global: Vec<Option<u32>> = vec![None; extraction.configs.len()];
            for record in extraction.records {
                let local = record.config as usize;
                let config = *global[local]
                    .get_or_insert_with(|| self.configs.intern_ref(&extraction.configs[local]));
                let first = u32::try_from(readings.len()).unwrap_or(u32::MAX);
                readings.extend_from_slice(&record.values);
                let at = match &record.at {
                    RecordAt::Line(line) => KeptAt::Line(*line),
                    RecordAt::Path(path) => {
                        let start = json_paths.len();
                        match u32::try_from(start + path.len()) {
                            Ok(end) => {
                                json_paths.push_str(path);
                                KeptAt::Path {
                                    start: start as u32,
                                    end,
                                }
                            }
                            // Past 4 GiB of paths in one file (only a hostile
                            // one): the place is lost, the value kept.
                            Err(_) => KeptAt::Path { start: 0, end: 0 },
                        }
                    }
                };
                records.push(Kept {
                    at,
                    config,
                    first,
                    count: u32::try_from(record.values.len()).unwrap_or(u32::MAX),
                    aggregate: record.aggregate,
                    failed: record.failure.is_some(),
                });
                failures.extend(record.failure);
            }
        }
        let sources = if records.is_empty() {
            Vec::new()
        } else {
            extraction.sources
        };
        self.files.push(Collected {
            path: path.to_owned(),
            format: file_type,
            metrics,
            content: (bytes.len(), xxh3_64(bytes)),
            fingerprint,
            richness,
            records,
            readings,
            json_paths,
            failures,
            sources,
            truncated,
            has_metric_names: extraction.has_metric_names,
            impossible_values: extraction.impossible_values,
            data_rows: extraction.data_rows,
            units,
            timestamp_formats: extraction.timestamp_formats,
            environment: extraction.environment,
        });
    }

    /// Drops the records of the summaries read so far: runs are what the
    /// configurations compare once any file holds them.
    fn forget_summaries(&mut self) {
        for file in &mut self.files {
            if file.metrics.as_ref().is_some_and(|m| m.derived) {
                self.retained_values = self.retained_values.saturating_sub(file.readings.len());
                file.truncated = false;
                file.records = Vec::new();
                file.readings = Vec::new();
                file.json_paths = String::new();
                file.failures = Vec::new();
                file.sources = Vec::new();
            }
        }
    }

    /// The cross-file statistics and the lint, in one go. `context` carries
    /// what the inventory knows beyond the numbers: folders, problems and
    /// times.
    pub fn finish(self, context: &findings::Context<'_>) -> (Metrics, Vec<Finding>) {
        let mut finishing = self.finishing();
        while !finishing.step(context) {}
        finishing.result()
    }

    /// The cross-file work, to be done a bounded step at a time.
    pub fn finishing(self) -> Finishing {
        Finishing {
            summaries_only: !self.runs_seen,
            files: self.files,
            configs: self.configs,
            stage: if self.off {
                FinishStage::NotRead
            } else {
                FinishStage::Sort
            },
            metrics: None,
            findings: Vec::new(),
        }
    }
}

/// How many files' entries one step moves into the statistics: freeing
/// what a brief entry leaves out is most of that work.
const FILES_PER_STEP: usize = 1_000;

/// The cross-file statistics and the lint, done a step at a time
/// ([`Finishing::step`]): on 20,000 files they take about 300 ms natively,
/// twice that in a page, which must not stop responding that long.
pub struct Finishing {
    /// No file but summaries and reports holds records.
    summaries_only: bool,
    files: Vec<Collected>,
    configs: ConfigTable,
    stage: FinishStage,
    metrics: Option<Metrics>,
    findings: Vec<Finding>,
}

enum FinishStage {
    /// Reading was turned off: only the lint's parts about the folder run.
    NotRead,
    Sort,
    Duplicates,
    Models,
    Group,
    Build(Box<report::ReportBuild>),
    /// The lint's parts from this one on.
    Lint(usize),
    Free,
    /// The per-file entries from this file on.
    Take(usize),
    Drop,
    Done,
}

impl std::fmt::Debug for Finishing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Finishing")
            .field("files", &self.files.len())
            .finish()
    }
}

impl Finishing {
    /// Does the next bounded piece of work (tens of milliseconds natively);
    /// `true` once all is done. `context` must be the same at every step.
    pub fn step(&mut self, context: &findings::Context<'_>) -> bool {
        let stage = std::mem::replace(&mut self.stage, FinishStage::Done);
        self.stage = match stage {
            FinishStage::NotRead => {
                let metrics = Metrics {
                    not_read: true,
                    ..Metrics::default()
                };
                for part in findings::FOLDER_PARTS {
                    findings::lint_part(part, &self.files, &metrics, context, &mut self.findings);
                }
                self.metrics = Some(metrics);
                FinishStage::Done
            }
            FinishStage::Sort => {
                self.files.sort_by(|a, b| a.path.cmp(&b.path));
                FinishStage::Duplicates
            }
            FinishStage::Duplicates => {
                mark_duplicates(&mut self.files);
                FinishStage::Models
            }
            FinishStage::Models => {
                name_models_from_paths(&mut self.files, &mut self.configs);
                tell_machines_apart(&mut self.files, &mut self.configs);
                FinishStage::Group
            }
            FinishStage::Group => FinishStage::Build(Box::new(report::ReportBuild::start(
                &mut self.files,
                &self.configs,
                self.summaries_only,
            ))),
            FinishStage::Build(mut build) => {
                if build.step(&self.files) {
                    self.metrics = Some((*build).finish(&self.files));
                    FinishStage::Lint(0)
                } else {
                    FinishStage::Build(build)
                }
            }
            FinishStage::Lint(part) => {
                if let Some(metrics) = &self.metrics {
                    findings::lint_part(part, &self.files, metrics, context, &mut self.findings);
                }
                if part + 1 < findings::LINT_PARTS {
                    FinishStage::Lint(part + 1)
                } else {
                    FinishStage::Free
                }
            }
            FinishStage::Free => {
                // The records are done with: free them before the per-file
                // entries are moved out.
                for file in &mut self.files {
                    file.records = Vec::new();
                    file.readings = Vec::new();
                    file.json_paths = String::new();
                    file.failures = Vec::new();
                }
                FinishStage::Take(0)
            }
            FinishStage::Take(next) => {
                let end = (next + FILES_PER_STEP).min(self.files.len());
                if let Some(metrics) = &mut self.metrics {
                    report::take_file_metrics(&mut self.files[next..end], metrics);
                }
                if end < self.files.len() {
                    FinishStage::Take(end)
                } else {
                    FinishStage::Drop
                }
            }
            FinishStage::Drop => {
                // Tens of thousands of small allocations: freed in a step of
                // their own.
                self.files = Vec::new();
                FinishStage::Done
            }
            FinishStage::Done => return true,
        };
        false
    }

    /// The statistics and the findings (empty until [`Self::step`] said done).
    pub fn result(self) -> (Metrics, Vec<Finding>) {
        (self.metrics.unwrap_or_default(), self.findings)
    }
}

/// Gives the runs of files that name no model the model their path names
/// (see [`path_model`]). Only kept records are renamed: derived files and
/// files past the memory cap keep no records to compare.
fn name_models_from_paths(files: &mut [Collected], configs: &mut ConfigTable) {
    // Only the settings of records still kept: summaries read before the
    // first file of runs left settings behind, and whether they did must
    // not change what a path names.
    let used: BTreeSet<u32> = files
        .iter()
        .flat_map(|file| file.records.iter().map(|record| record.config))
        .collect();
    let known =
        path_model::KnownModels::from_configs(used.iter().map(|&config| &configs[config as usize]));
    for file in files {
        let unnamed = |config: u32| !configs[config as usize].contains_key(SettingId::Model);
        if file.metrics.is_none() || !file.records.iter().any(|r| unnamed(r.config)) {
            continue;
        }
        let Some(model) = known.model_in_path(&file.path) else {
            continue;
        };
        give_setting(file, configs, SettingId::Model, &model);
        if let Some(metrics) = file.metrics.as_mut() {
            metrics.model_from_path = Some(model);
        }
    }
}

/// When the runs ran on more than one GPU, each run is given its GPU as a
/// setting, so that runs on different machines are compared, not pooled:
/// the GPU of its row or object when it has one, else the one its file
/// records. Runs whose GPU is unknown keep apart from those whose GPU is
/// known. Spellings of one GPU (`NVIDIA GeForce RTX 4090`, `RTX 4090`) are
/// one machine, shown as the first file in path order spells it. On one
/// machine, a GPU read per row is taken out again: it tells nothing apart.
fn tell_machines_apart(files: &mut [Collected], configs: &mut ConfigTable) {
    let mut spelling: BTreeMap<String, String> = BTreeMap::new();
    let mut per_run = false;
    for file in files.iter().filter(|file| !file.records.is_empty()) {
        if let Some(gpu) = file.environment.get(&EnvKind::Gpu) {
            spelling.entry(gpu_key(gpu)).or_insert_with(|| gpu.clone());
        }
        // Each distinct set of settings once: a sweep repeats a few.
        let mut seen = rustc_hash::FxHashSet::default();
        for record in &file.records {
            if !seen.insert(record.config) {
                continue;
            }
            if let Some(gpu) = configs[record.config as usize].get(SettingId::Gpu) {
                per_run = true;
                spelling
                    .entry(gpu_key(gpu))
                    .or_insert_with(|| gpu.to_owned());
            }
        }
    }
    let several = spelling.len() >= 2;
    if !several && !per_run {
        return;
    }
    for file in files {
        if file.records.is_empty() {
            continue;
        }
        let own = file.environment.get(&EnvKind::Gpu).map(|gpu| gpu_key(gpu));
        remap_settings(file, configs, |settings| {
            let gpu = if several {
                settings
                    .get(SettingId::Gpu)
                    .map(gpu_key)
                    .or_else(|| own.clone())
                    .and_then(|key| spelling.get(&key))
                    .map(String::as_str)
            } else {
                None
            };
            if settings.get(SettingId::Gpu) == gpu {
                return None;
            }
            let mut changed = settings.clone();
            match gpu {
                Some(gpu) => changed.insert(SettingId::Gpu, gpu),
                None => {
                    changed.remove(SettingId::Gpu);
                }
            }
            Some(changed)
        });
    }
}

/// A GPU's name without case, punctuation, vendor and brand words.
fn gpu_key(name: &str) -> String {
    const BRANDS: &[&str] = &[
        "nvidia", "geforce", "amd", "radeon", "intel", "apple", "tm", "r",
    ];
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .filter(|word| !BRANDS.contains(&word.as_str()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Gives `value` as `setting` to the file's kept records that have none.
fn give_setting(file: &mut Collected, configs: &mut ConfigTable, setting: SettingId, value: &str) {
    let shared: Arc<str> = Arc::from(value);
    remap_settings(file, configs, |settings| {
        (!settings.contains_key(setting)).then(|| {
            let mut changed = settings.clone();
            changed.insert(setting, shared.clone());
            changed
        })
    });
}

/// Moves the file's kept records to the settings `change` makes of theirs,
/// where it makes any; each distinct set of settings is changed once.
fn remap_settings(
    file: &mut Collected,
    configs: &mut ConfigTable,
    change: impl Fn(&record::Settings) -> Option<record::Settings>,
) {
    let mut moved: rustc_hash::FxHashMap<u32, u32> = rustc_hash::FxHashMap::default();
    for record in &mut file.records {
        let from = record.config;
        record.config = match moved.get(&from) {
            Some(&to) => to,
            None => {
                let to = match change(&configs[from as usize]) {
                    Some(settings) => configs.intern(settings),
                    None => from,
                };
                moved.insert(from, to);
                to
            }
        };
    }
}

/// Per-file summary, and the fingerprint of its successful values.
fn summarise_file(path: &str, extraction: &Extraction) -> (Option<FileMetrics>, Option<u64>) {
    if extraction.records.is_empty() {
        return (None, None);
    }
    // The values summarised are the runs when the file has any, and its
    // aggregates otherwise (a summary file); aggregates beside runs are
    // listed as `reported`.
    let has_runs = extraction.records.iter().any(|r| !r.aggregate);
    let primary = |r: &&record::Record| if has_runs { !r.aggregate } else { r.aggregate };
    let mut failed = 0u64;
    let mut failures = Vec::new();
    // Per metric (by its place in `MetricId::ALL`), the value, the record
    // and the source of each successful reading.
    let mut values: [Vec<(f64, usize, u16)>; MetricId::ALL.len()] = Default::default();
    let mut reported: BTreeMap<MetricId, Vec<Point>> = BTreeMap::new();
    let mut fingerprint = Xxh3::new();
    let mut fingerprinted = 0usize;
    // The settings of successful records, by index: a sweep of 10,000 rows
    // has a few dozen distinct ones, so their values are gathered once each.
    let mut configs_used = vec![false; extraction.configs.len()];
    for (index, record) in extraction.records.iter().enumerate() {
        if let Some(failure) = &record.failure {
            failed += 1;
            if failures.len() < FAILURES_SHOWN {
                failures.push(FailureNote {
                    at: Location::of(&record.at, extraction.format, None),
                    cause: failure.cause,
                    detail: failure.detail.clone(),
                });
            }
            continue;
        }
        if let Some(used) = configs_used.get_mut(record.config as usize) {
            *used = true;
        }
        if primary(&record) {
            fingerprinted += 1;
            // In metric order: a CSV's column order and a JSON object's key
            // order must not make the same run look different. A record holds
            // each metric at most once.
            for (slot, metric) in MetricId::ALL.iter().enumerate() {
                let Some(reading) = record.values.iter().find(|r| r.metric == *metric) else {
                    continue;
                };
                values[slot].push((reading.value, index, reading.source));
                fingerprint.update(&[reading.metric as u8]);
                fingerprint.update(&((reading.value * 1e6).round() as i64).to_le_bytes());
            }
        } else {
            for reading in &record.values {
                let list = reported.entry(reading.metric).or_default();
                if list.len() < 10 {
                    let source = &extraction.sources[usize::from(reading.source)];
                    list.push(Point {
                        value: stats::round(reading.value),
                        file: path.to_owned(),
                        at: Location::of(&record.at, extraction.format, Some(&source.name)),
                    });
                }
            }
        }
    }
    // Distinct values per setting, found by hashing (a random sweep has a
    // new combination on every row but few values per setting), then sorted.
    let mut distinct: BTreeMap<SettingId, FxHashSet<&str>> = BTreeMap::new();
    for (config, _) in configs_used.iter().enumerate().filter(|(_, used)| **used) {
        for (setting, value) in extraction.configs[config].iter() {
            distinct.entry(setting).or_default().insert(value);
        }
    }
    let settings: BTreeMap<SettingId, Vec<String>> = distinct
        .into_iter()
        .map(|(setting, values)| {
            let mut values: Vec<&str> = values.into_iter().collect();
            values.sort_unstable();
            let shown = values.into_iter().take(20).map(str::to_owned).collect();
            (setting, shown)
        })
        .collect();
    let mut series = BTreeMap::new();
    for (metric, readings) in MetricId::ALL.into_iter().zip(values) {
        if readings.is_empty() {
            continue;
        }
        let plain: Vec<f64> = readings.iter().map(|r| r.0).collect();
        let Some(summary) = Summary::of(&plain) else {
            continue;
        };
        let locate = |pick: &(f64, usize, u16)| {
            let source = &extraction.sources[usize::from(pick.2)];
            Location::of(
                &extraction.records[pick.1].at,
                extraction.format,
                Some(&source.name),
            )
        };
        // The first occurrence of the extreme, so ties resolve the same way everywhere.
        let min = readings
            .iter()
            .fold(&readings[0], |a, b| if b.0 < a.0 { b } else { a });
        let max = readings
            .iter()
            .fold(&readings[0], |a, b| if b.0 > a.0 { b } else { a });
        let used: BTreeSet<u16> = readings.iter().map(|r| r.2).collect();
        let sources_used: Vec<&record::Source> = used
            .iter()
            .map(|i| &extraction.sources[usize::from(*i)])
            .collect();
        let names: BTreeSet<&str> = sources_used.iter().map(|s| s.name.as_str()).collect();
        let units: BTreeSet<&str> = sources_used.iter().map(|s| s.unit.label()).collect();
        series.insert(
            metric,
            Box::new(Series {
                sources: names.into_iter().map(str::to_owned).collect(),
                units: units.into_iter().map(str::to_owned).collect(),
                aggregate: sources_used.iter().all(|s| s.aggregate),
                summary,
                min_at: Some(locate(min)),
                max_at: Some(locate(max)),
            }),
        );
    }
    let metrics = FileMetrics {
        path: path.to_owned(),
        file_type: extraction.format,
        derived: extraction.derived.is_some(),
        derived_reason: extraction.derived.clone(),
        duplicate_of: None,
        records: (extraction.records.len() as u64) + extraction.skipped_records,
        runs: 0,
        failed,
        skipped_records: extraction.skipped_records,
        impossible_values: extraction.impossible_values,
        failures,
        settings,
        model_from_path: None,
        series,
        reported,
    };
    let fingerprint = (fingerprinted >= 3).then(|| fingerprint.digest());
    (Some(metrics), fingerprint)
}

/// Marks files that hold the same runs as an earlier one: byte-identical
/// copies, or the same successful values in the same order (a CSV and the
/// JSON written beside it). The copy that says most about its settings is
/// the one counted; among equals, the first by path.
///
/// TODO: copies written with fewer decimals (a CSV rounded to 2 places
/// beside the full-precision JSON) are not recognised and count twice unless
/// one of them is a summary.
fn mark_duplicates(files: &mut [Collected]) {
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut by_content: BTreeMap<(usize, u64), usize> = BTreeMap::new();
    let mut by_values: BTreeMap<u64, usize> = BTreeMap::new();
    for (index, file) in files.iter().enumerate() {
        if file.metrics.is_none() {
            continue;
        }
        let found = by_content
            .get(&file.content)
            .or_else(|| file.fingerprint.and_then(|f| by_values.get(&f)))
            .copied();
        let leader = found.unwrap_or(index);
        by_content.entry(file.content).or_insert(leader);
        if let Some(fingerprint) = file.fingerprint {
            by_values.entry(fingerprint).or_insert(leader);
        }
        groups.entry(leader).or_default().push(index);
    }
    for members in groups.values().filter(|m| m.len() > 1) {
        let kept = *members
            .iter()
            .max_by(|a, b| files[**a].richness.cmp(&files[**b].richness).then(b.cmp(a)))
            .expect("a group has members");
        let kept_path = files[kept].path.clone();
        for &member in members.iter().filter(|m| **m != kept) {
            if let Some(metrics) = files[member].metrics.as_mut() {
                metrics.duplicate_of = Some(kept_path.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests;
