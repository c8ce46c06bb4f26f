//! What the extractors produce for one file: records (a CSV row, a JSON
//! object, a Markdown line) holding canonical values with their provenance,
//! the settings they ran with, and whether they failed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHasher};
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use super::names::{EnvKind, MetricId, NameCache, SettingId, Unit};
use super::text::{self, TimestampFormat};
use crate::classify::FileType;

/// Records read from one file beyond this many are counted, not kept, so a
/// runaway log cannot exhaust the page's memory.
pub const MAX_RECORDS_PER_FILE: usize = 100_000;

/// Settings of one record: at most one value per setting, in canonical text
/// (`1024`, `0.2`). A slot per setting rather than a map, and values shared
/// rather than copied: a random sweep has a new combination on every row,
/// and a map with its own strings per row was a large share of reading one.
/// Compared and ordered as a map of setting to value would be.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Settings {
    values: [Option<Arc<str>>; SettingId::ALL.len()],
}

impl Settings {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, setting: SettingId) -> Option<&str> {
        self.values[setting as usize].as_deref()
    }

    pub fn contains_key(&self, setting: SettingId) -> bool {
        self.values[setting as usize].is_some()
    }

    pub fn insert(&mut self, setting: SettingId, value: impl Into<Arc<str>>) {
        self.values[setting as usize] = Some(value.into());
    }

    /// Takes every setting `other` has, over any this one has.
    pub fn merge(&mut self, other: &Settings) {
        for (mine, theirs) in self.values.iter_mut().zip(&other.values) {
            if theirs.is_some() {
                mine.clone_from(theirs);
            }
        }
    }

    pub fn remove(&mut self, setting: SettingId) -> Option<String> {
        self.values[setting as usize].take().map(|v| v.to_string())
    }

    pub fn len(&self) -> usize {
        self.values.iter().flatten().count()
    }

    /// The settings present, in [`SettingId`] order.
    pub fn iter(&self) -> impl Iterator<Item = (SettingId, &str)> {
        SettingId::ALL
            .into_iter()
            .zip(&self.values)
            .filter_map(|(setting, value)| Some((setting, value.as_deref()?)))
    }

    /// As the map the JSON writes.
    pub fn to_map(&self) -> BTreeMap<SettingId, String> {
        self.iter().map(|(k, v)| (k, v.to_owned())).collect()
    }
}

impl Ord for Settings {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.iter().cmp(other.iter())
    }
}

impl PartialOrd for Settings {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Distinct settings, each stored once and named by its index. A sweep of
/// 10,000 rows typically has a few dozen distinct settings: storing a map per
/// row (and a second copy as the lookup key) was most of the memory a large
/// folder cost.
#[derive(Debug, Default)]
pub struct ConfigTable {
    list: Vec<Settings>,
    /// Hash of the settings to their index; the rare second set with the same
    /// hash goes to `collisions`. The hash only finds entries, it never
    /// orders anything, so the output does not depend on it.
    by_hash: HashMap<u64, u32>,
    collisions: Vec<(u64, u32)>,
}

impl ConfigTable {
    /// The index of `settings`, added on first use; takes them to avoid a copy.
    pub fn intern(&mut self, settings: Settings) -> u32 {
        let hash = settings_hash(&settings);
        if let Some(index) = self.find(hash, &settings) {
            return index;
        }
        self.add(hash, settings)
    }

    /// Like [`Self::intern`], copying the settings only when they are new.
    pub fn intern_ref(&mut self, settings: &Settings) -> u32 {
        let hash = settings_hash(settings);
        if let Some(index) = self.find(hash, settings) {
            return index;
        }
        self.add(hash, settings.clone())
    }

    fn find(&self, hash: u64, settings: &Settings) -> Option<u32> {
        let first = *self.by_hash.get(&hash)?;
        if self.list[first as usize] == *settings {
            return Some(first);
        }
        self.collisions
            .iter()
            .find(|(h, i)| *h == hash && self.list[*i as usize] == *settings)
            .map(|(_, i)| *i)
    }

    fn add(&mut self, hash: u64, settings: Settings) -> u32 {
        let index = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.list.push(settings);
        match self.by_hash.entry(hash) {
            std::collections::hash_map::Entry::Occupied(_) => self.collisions.push((hash, index)),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(index);
            }
        }
        index
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Settings> {
        self.list.iter()
    }
}

impl std::ops::Index<usize> for ConfigTable {
    type Output = Settings;

    fn index(&self, index: usize) -> &Settings {
        &self.list[index]
    }
}

fn settings_hash(settings: &Settings) -> u64 {
    let mut hasher = FxHasher::default();
    settings.hash(&mut hasher);
    hasher.finish()
}

/// Where a record sits in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordAt {
    /// 1-based line, as an editor shows it (CSV rows, Markdown lines).
    Line(u32),
    /// JSON path of the object, e.g. `results[3]` (empty for the root).
    Path(Box<str>),
}

/// One value, converted, with the index of the name it was read from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub metric: MetricId,
    pub value: f64,
    pub source: u16,
}

/// A column, key or label that values were read from, and how.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Source {
    pub name: String,
    pub metric: MetricId,
    pub unit: Unit,
    pub aggregate: bool,
}

/// Why a record counts as a failed run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCause {
    /// A non-empty `error` column or key.
    ErrorField,
    /// A `success` flag that is false.
    SuccessFalse,
    /// A `status` such as `failed` or `timeout`.
    StatusFailed,
    /// A known failure message in the record's text ("Failed to connect").
    FailureText,
    /// Every metric is zero: nothing was measured.
    AllZero,
}

impl FailureCause {
    pub fn label(self) -> &'static str {
        match self {
            FailureCause::ErrorField => "an error message",
            FailureCause::SuccessFalse => "success = false",
            FailureCause::StatusFailed => "a failed status",
            FailureCause::FailureText => "a failure message in its text",
            FailureCause::AllZero => "all metrics zero",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub cause: FailureCause,
    /// A short excerpt of the message, for display.
    pub detail: String,
}

impl Failure {
    pub fn new(cause: FailureCause, detail: impl AsRef<str>) -> Self {
        Self {
            cause,
            detail: text::excerpt(detail.as_ref(), 120),
        }
    }
}

/// One run, or one reported aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub at: RecordAt,
    /// Index into [`Extraction::configs`].
    pub config: u32,
    pub values: Vec<Reading>,
    /// Every value is a mean of runs (`mean_ttft_s`), not a run's own.
    pub aggregate: bool,
    pub failure: Option<Failure>,
}

impl Record {
    pub fn new(at: RecordAt) -> Self {
        Self {
            at,
            config: 0,
            values: Vec::new(),
            aggregate: false,
            failure: None,
        }
    }

    /// Adds a value unless the record already has one for that metric.
    pub fn push(&mut self, metric: MetricId, value: f64, source: u16) {
        if value.is_finite() && !self.values.iter().any(|v| v.metric == metric) {
            self.values.push(Reading {
                metric,
                value,
                source,
            });
        }
    }

    pub fn get(&self, metric: MetricId) -> Option<f64> {
        self.values
            .iter()
            .find(|v| v.metric == metric)
            .map(|v| v.value)
    }
}

/// Whether a successful run can really have measured this value. Every
/// metric is a duration, a rate or a count, so none is negative; and a run
/// that succeeded took some time and, when it reports a rate, produced
/// tokens: a TTFT, a duration or a throughput of exactly zero is what a
/// script writes when it did not measure it (`"throughput_tokens_per_sec":
/// 0.0` beside `"tokens_generated": 0`). Zero token counts and a zero load
/// time are real.
fn is_possible(reading: &Reading) -> bool {
    match reading.metric {
        // A model already in memory may well load in no time at all.
        MetricId::PromptTokens | MetricId::EvalTokens | MetricId::LoadMs => reading.value >= 0.0,
        _ => reading.value > 0.0,
    }
}

/// Everything read from one file.
#[derive(Debug)]
pub struct Extraction {
    pub format: FileType,
    pub records: Vec<Record>,
    pub configs: ConfigTable,
    pub sources: Vec<Source>,
    source_index: BTreeMap<Source, u16>,
    /// Why the file's values are not runs of their own, when they are not.
    pub derived: Option<String>,
    /// A CSV header (or any key) named a known metric.
    pub has_metric_names: bool,
    /// CSV data rows seen, metric or not.
    pub data_rows: u64,
    /// The first CSV row whose field count differs from the header's: its
    /// line, its fields, the header's.
    pub ragged: Option<(u64, usize, usize)>,
    pub timestamp_formats: BTreeSet<TimestampFormat>,
    /// The first value seen for each environment fact.
    pub environment: BTreeMap<EnvKind, String>,
    /// Records past [`MAX_RECORDS_PER_FILE`], counted but not kept.
    pub skipped_records: u64,
    /// Values left out of successful runs because no measurement can have
    /// them: below zero, or a time or rate of exactly zero.
    pub impossible_values: u64,
    /// The file sits in a folder named `prefill`: its runs time prompt
    /// processing, so a tokens-per-second figure in it is no decode rate.
    pub prefill: bool,
    /// How names were classified; handed from file to file by the collector.
    pub names: NameCache,
}

impl Extraction {
    pub fn new(format: FileType, path: &str) -> Self {
        let mut extraction = Self {
            format,
            records: Vec::new(),
            configs: ConfigTable::default(),
            sources: Vec::new(),
            source_index: BTreeMap::new(),
            derived: None,
            has_metric_names: false,
            data_rows: 0,
            ragged: None,
            timestamp_formats: BTreeSet::new(),
            environment: BTreeMap::new(),
            skipped_records: 0,
            impossible_values: 0,
            prefill: path
                .split('/')
                .rev()
                .skip(1)
                .any(|folder| folder.eq_ignore_ascii_case("prefill")),
            names: NameCache::default(),
        };
        // Index 0 is always "no settings known".
        extraction.config(Settings::new());
        let name = crate::classify::file_name(path).to_ascii_lowercase();
        if name.contains("summary") {
            extraction.mark_derived("its name says it is a summary");
        }
        extraction
    }

    pub fn mark_derived(&mut self, reason: &str) {
        if self.derived.is_none() {
            self.derived = Some(reason.to_owned());
        }
    }

    /// The index of a value source, added on first use.
    pub fn source(&mut self, name: &str, metric: MetricId, unit: Unit, aggregate: bool) -> u16 {
        // A JSON file asks once per value, for a handful of sources: a short
        // name already in its excerpt form is found without building a key.
        let plain = name.len() <= 80 && name.trim() == name && !name.contains(['\n', '\r']);
        if plain
            && self.sources.len() <= 16
            && let Some(index) = self.sources.iter().position(|s| {
                s.name == name && s.metric == metric && s.unit == unit && s.aggregate == aggregate
            })
        {
            return index as u16;
        }
        let key = Source {
            name: text::excerpt(name, 80),
            metric,
            unit,
            aggregate,
        };
        if let Some(index) = self.source_index.get(&key) {
            return *index;
        }
        // More than 65,535 distinct names in one file only happens with
        // generated keys; they share the last slot rather than fail.
        let index = u16::try_from(self.sources.len()).unwrap_or(u16::MAX);
        if usize::from(index) == self.sources.len() {
            self.sources.push(key.clone());
        }
        self.source_index.insert(key, index);
        index
    }

    /// The index of a set of settings, added on first use.
    pub fn config(&mut self, settings: Settings) -> u32 {
        self.configs.intern(settings)
    }

    /// The index of a set of settings, copied only when new.
    pub fn config_of(&mut self, settings: &Settings) -> u32 {
        self.configs.intern_ref(settings)
    }

    /// Keeps a record that holds values or a failure, within the cap.
    pub fn push(&mut self, record: Record) {
        if record.values.is_empty() && record.failure.is_none() {
            return;
        }
        if self.records.len() >= MAX_RECORDS_PER_FILE {
            self.skipped_records += 1;
            return;
        }
        self.records.push(record);
    }

    /// Adds `record`, if there is one.
    pub fn push_some(&mut self, record: Option<Record>) {
        if let Some(record) = record {
            self.push(record);
        }
    }

    /// Notes an environment fact if the value says something.
    pub fn note_environment(&mut self, kind: EnvKind, value: &str) {
        // `"gpu": "NVIDIA GeForce RTX 3060",` read as a line of text.
        let value = value
            .trim()
            .trim_end_matches([',', ';'])
            .trim_matches(['"', '\''])
            .trim();
        if text::is_missing(value) || value.eq_ignore_ascii_case("unknown") {
            return;
        }
        // A version must look like one ("0.1.40", "581.29"): "Latest (as of
        // Oct 2025)" records nothing anyone could reproduce.
        let says_something = match kind {
            EnvKind::Gpu => names_a_gpu(value),
            EnvKind::Driver | EnvKind::OllamaVersion => has_dotted_number(value),
        };
        if !says_something {
            return;
        }
        self.environment
            .entry(kind)
            .or_insert_with(|| text::excerpt(value, 80));
    }

    /// Work done once all records are in: throughput computed where a record
    /// has a token count and a decode time but no rate, records whose every
    /// metric is zero marked as failed, and values no measurement can have
    /// taken out of the others (see [`is_possible`]).
    pub fn finish_records(&mut self) {
        let mut computed: Option<(u16, u16)> = None;
        for index in 0..self.records.len() {
            let record = &mut self.records[index];
            if self.prefill {
                record
                    .values
                    .retain(|v| v.metric != MetricId::TokensPerSecond);
            }
            // Only a record that times something is a run (see below).
            if record.failure.is_none()
                && record.values.iter().any(|v| !v.metric.is_count())
                && record.values.iter().all(|v| v.value == 0.0)
            {
                record.failure = Some(Failure::new(FailureCause::AllZero, "every metric is 0"));
            }
            if record.failure.is_none() {
                let before = record.values.len();
                record.values.retain(is_possible);
                let removed = before - record.values.len();
                self.impossible_values += removed as u64;
                // `{"ttft_ms": 0, "tokens_per_second": 0, "prompt_tokens": 42}`:
                // a run that measured no time and no rate failed silently.
                if removed > 0 && record.values.iter().all(|v| v.metric.is_count()) {
                    record.failure = Some(Failure::new(
                        FailureCause::AllZero,
                        "every time and rate is zero or below",
                    ));
                }
            }
            let record = &self.records[index];
            let rate = match (
                self.prefill,
                record.get(MetricId::TokensPerSecond),
                record.get(MetricId::EvalTokens),
                record.get(MetricId::EvalMs),
            ) {
                (false, None, Some(tokens), Some(ms)) if ms > 0.0 && tokens > 0.0 => {
                    Some(tokens / (ms / 1000.0))
                }
                _ => None,
            };
            if let Some(rate) = rate {
                let aggregate = record.aggregate;
                let source = match computed {
                    Some((plain, mean)) => {
                        if aggregate {
                            mean
                        } else {
                            plain
                        }
                    }
                    None => {
                        let name = "eval_tokens / eval_ms";
                        let plain =
                            self.source(name, MetricId::TokensPerSecond, Unit::Computed, false);
                        let mean =
                            self.source(name, MetricId::TokensPerSecond, Unit::Computed, true);
                        computed = Some((plain, mean));
                        if aggregate { mean } else { plain }
                    }
                };
                self.records[index].push(MetricId::TokensPerSecond, rate, source);
            }
        }
        // A run left with nothing it measured is no run, nor is a record
        // that only counts tokens (`"num_tokens": 32` in a parity check):
        // a run times something.
        self.records.retain(|record| {
            record.failure.is_some() || record.values.iter().any(|v| !v.metric.is_count())
        });
        // Markdown figures and summary files report on runs held elsewhere.
        if self.derived.is_none()
            && !self.records.is_empty()
            && self.records.iter().all(|r| r.aggregate)
        {
            self.mark_derived(
                "all its values sum up several runs each (means such as mean_ or avg_, or a \
                 run count such as test_count above 1)",
            );
        }
    }
}

/// Whether `text` holds a number with a dot inside, as versions do.
fn has_dotted_number(text: &str) -> bool {
    text.as_bytes()
        .windows(3)
        .any(|w| w[0].is_ascii_digit() && w[1] == b'.' && w[2].is_ascii_digit())
}

/// Stores a setting given as text, if it is a valid value for that setting.
pub fn insert_setting(settings: &mut Settings, setting: SettingId, raw: &str) {
    if let Some(value) = setting_value(setting, raw) {
        settings.insert(setting, value);
    }
}

/// The canonical text of a setting given as text, or `None` when it is not
/// a valid value for that setting.
pub fn setting_value(setting: SettingId, raw: &str) -> Option<String> {
    let raw = raw.trim();
    if text::is_missing(raw) {
        return None;
    }
    if setting == SettingId::Gpu {
        return names_a_gpu(raw).then(|| text::excerpt(raw, 80));
    }
    if !setting.is_numeric() {
        return Some(text::excerpt(raw, 120));
    }
    if is_shortest_decimal(raw) {
        return Some(raw.to_owned());
    }
    text::parse_number(raw).map(format_number)
}

/// Whether `value` names a GPU: `cuda:0` or `yes` says there was one, not
/// which.
pub fn names_a_gpu(value: &str) -> bool {
    let word = value
        .split(':')
        .next()
        .unwrap_or(value)
        .trim()
        .to_ascii_lowercase();
    // A device index (`CUDA0`, `GPU 1`, `vulkan_0`) is no model either.
    let word = word
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches([' ', '_', '-', '#']);
    const NO_MODEL: &[&str] = &[
        "cuda", "cpu", "mps", "gpu", "rocm", "hip", "xpu", "metal", "vulkan", "yes", "no", "true",
        "false", "none", "auto", "unknown",
    ];
    value.chars().any(char::is_alphabetic) && !text::is_missing(value) && !NO_MODEL.contains(&word)
}

/// Stores a setting given as a JSON value.
pub fn insert_json_setting(settings: &mut Settings, setting: SettingId, value: &serde_json::Value) {
    match value {
        serde_json::Value::Number(number) => {
            if let Some(number) = number.as_f64() {
                insert_setting(settings, setting, &format_number(number));
            }
        }
        serde_json::Value::String(text) => insert_setting(settings, setting, text),
        serde_json::Value::Object(map) if setting == SettingId::Model => {
            if let Some(serde_json::Value::String(name)) = map.get("name").or(map.get("id")) {
                insert_setting(settings, setting, name);
            }
        }
        _ => {}
    }
}

/// Whether `raw` is already what [`format_number`] would print for it: a
/// plain decimal of at most 15 digits with no sign, no leading zero before
/// other digits and no trailing zero after the point. Such text names exactly
/// one double, and no shorter text names it, so parsing and printing it back
/// (most of the cost of reading a sweep's settings) would give it unchanged.
fn is_shortest_decimal(raw: &str) -> bool {
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    !whole.is_empty()
        && all_digits(whole)
        && all_digits(fraction)
        && (whole == "0" || !whole.starts_with('0'))
        && (raw.len() == whole.len() || (!fraction.is_empty() && !fraction.ends_with('0')))
        && whole.len() + fraction.len() <= 15
}

/// `1024`, `0.2`, `999`: the shortest text that reads back as the number.
pub fn format_number(value: f64) -> String {
    format!("{value}")
}

/// Text that says "false".
pub fn is_false(text: &str) -> bool {
    text::is_one_of(text, &["false", "0", "no", "n", "f", "failed", "failure"])
}

/// Status words that mean the run did not complete.
pub fn is_failed_status(text: &str) -> bool {
    text::is_one_of(
        text,
        &[
            "failed",
            "failure",
            "fail",
            "error",
            "errored",
            "timeout",
            "timed_out",
            "timed out",
            "cancelled",
            "canceled",
            "crashed",
            "aborted",
            "incomplete",
            "not completed",
        ],
    )
}

/// Messages that tools print instead of a result. Matching is on whole
/// phrases, so a prompt such as "Player failed a mission" does not count.
const FAILURE_PHRASES: [&str; 7] = [
    "failed to connect",
    "execution not completed",
    "connection attempts failed",
    "connection refused",
    "could not connect",
    "error generating",
    "model not found",
];

/// Whether `text` carries one of the known failure messages.
pub fn mentions_failure(text: &str) -> bool {
    const SHORTEST: usize = shortest(&FAILURE_PHRASES);
    if text.len() < SHORTEST {
        return false;
    }
    // One pass over the text, comparing in place only where a phrase's first
    // letter stands: this runs on every free-text cell of every row, and
    // lower-casing each into a new string, or trying every phrase at every
    // position, were both a measurable share of a large folder's time.
    let bytes = text.as_bytes();
    (0..=bytes.len() - SHORTEST).any(|at| {
        let first = bytes[at].to_ascii_lowercase();
        FAILURE_PHRASES.iter().any(|phrase| {
            phrase.as_bytes()[0] == first
                && bytes
                    .get(at..at + phrase.len())
                    .is_some_and(|window| window.eq_ignore_ascii_case(phrase.as_bytes()))
        })
    })
}

const fn shortest(phrases: &[&str]) -> usize {
    let mut shortest = usize::MAX;
    let mut i = 0;
    while i < phrases.len() {
        if phrases[i].len() < shortest {
            shortest = phrases[i].len();
        }
        i += 1;
    }
    shortest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_is_computed_from_ollama_counts_and_durations() {
        let mut extraction = Extraction::new(FileType::Json, "raw.json");
        let count = extraction.source("eval_count", MetricId::EvalTokens, Unit::Tokens, false);
        let duration =
            extraction.source("eval_duration", MetricId::EvalMs, Unit::ImpliedNanos, false);
        let mut record = Record::new(RecordAt::Path("".into()));
        record.push(MetricId::EvalTokens, 290.0, count);
        record.push(MetricId::EvalMs, 4_000.0, duration);
        extraction.push(record);
        extraction.finish_records();
        assert_eq!(
            extraction.records[0].get(MetricId::TokensPerSecond),
            Some(72.5)
        );
        let source = extraction.records[0].values[2].source;
        assert_eq!(extraction.sources[usize::from(source)].unit, Unit::Computed);
    }

    #[test]
    fn failure_messages_are_found_anywhere_in_any_case() {
        assert!(mentions_failure("Failed to connect to Ollama"));
        assert!(mentions_failure("run 3: EXECUTION NOT COMPLETED"));
        assert!(mentions_failure("error: model not found"));
        assert!(mentions_failure("xx could not connect"));
        assert!(!mentions_failure("all good, nothing failed to report"));
        assert!(!mentions_failure("could not"));
        assert!(!mentions_failure("connection refuse"));
    }

    #[test]
    fn plain_decimals_are_kept_exactly_when_printing_them_would_not_change_them() {
        let cases = [
            "0",
            "7",
            "40",
            "4096",
            "0.2",
            "0.94",
            "1.5",
            "123456789012345",
            "0.00001",
            "99.999999999999",
            "40.00",
            "1.0",
            "007",
            "0.",
            ".5",
            "-1",
            "1e3",
            "",
            "1234567890123456",
            "0.1234567890123456",
            "10",
            "100.25",
        ];
        for raw in cases {
            if is_shortest_decimal(raw) {
                let printed = text::parse_number(raw).map(format_number);
                assert_eq!(printed.as_deref(), Some(raw), "{raw}");
            }
        }
        for kept in ["0", "4096", "0.94", "123456789012345", "0.00001"] {
            assert!(is_shortest_decimal(kept), "{kept}");
        }
        for printed in ["40.00", "1.0", "007", ".5", "1e3", "", "1234567890123456"] {
            assert!(!is_shortest_decimal(printed), "{printed}");
        }
    }

    #[test]
    fn settings_order_as_a_map_of_setting_to_value_would() {
        let map_of = |pairs: &[(SettingId, &str)]| -> (Settings, BTreeMap<SettingId, String>) {
            let mut settings = Settings::new();
            let mut map = BTreeMap::new();
            for (setting, value) in pairs {
                settings.insert(*setting, *value);
                map.insert(*setting, value.to_string());
            }
            (settings, map)
        };
        let cases = [
            map_of(&[]),
            map_of(&[(SettingId::Model, "a")]),
            map_of(&[(SettingId::Model, "a"), (SettingId::NumGpu, "40")]),
            map_of(&[(SettingId::Model, "b")]),
            map_of(&[(SettingId::NumGpu, "40")]),
            map_of(&[(SettingId::NumGpu, "40"), (SettingId::Backend, "x")]),
            map_of(&[(SettingId::NumCtx, "1024")]),
            map_of(&[(SettingId::Model, "a"), (SettingId::Temperature, "0.2")]),
        ];
        for (a, a_map) in &cases {
            assert_eq!(&a.to_map(), a_map);
            assert_eq!(a.len(), a_map.len());
            for (b, b_map) in &cases {
                assert_eq!(a.cmp(b), a_map.cmp(b_map), "{a_map:?} against {b_map:?}");
                assert_eq!(a == b, a_map == b_map);
            }
        }
    }

    #[test]
    fn settings_are_validated_and_canonical() {
        let mut settings = Settings::new();
        insert_setting(&mut settings, SettingId::NumCtx, "player_died");
        insert_setting(&mut settings, SettingId::NumGpu, "40.00");
        insert_setting(&mut settings, SettingId::Temperature, " 0.2 ");
        insert_setting(&mut settings, SettingId::Model, "");
        // `top_k = 0` (no limit) is a setting, not a blank.
        insert_setting(&mut settings, SettingId::TopK, "0");
        assert_eq!(settings.get(SettingId::NumCtx), None);
        assert_eq!(settings.get(SettingId::NumGpu), Some("40"));
        assert_eq!(settings.get(SettingId::Temperature), Some("0.2"));
        assert_eq!(settings.get(SettingId::Model), None);
        assert_eq!(settings.get(SettingId::TopK), Some("0"));
    }

    #[test]
    fn failure_messages_are_recognised_but_prompts_are_not() {
        assert!(mentions_failure(
            "Failed to connect to Ollama. Please check"
        ));
        assert!(mentions_failure(
            "Error generating banter: All connection attempts failed"
        ));
        assert!(!mentions_failure("Player failed a mission"));
        assert!(is_failed_status("Timeout"));
        assert!(!is_failed_status("completed"));
    }

    #[test]
    fn environment_values_must_say_something() {
        let mut extraction = Extraction::new(FileType::Md, "r.md");
        extraction.note_environment(EnvKind::OllamaVersion, "Latest (as of Oct 2025)");
        extraction.note_environment(EnvKind::Driver, "581.29");
        extraction.note_environment(EnvKind::Gpu, "");
        extraction.note_environment(EnvKind::Gpu, "NVIDIA GeForce RTX 4080 Laptop GPU");
        assert_eq!(extraction.environment.get(&EnvKind::OllamaVersion), None);
        assert_eq!(
            extraction
                .environment
                .get(&EnvKind::Driver)
                .map(String::as_str),
            Some("581.29")
        );
        assert_eq!(extraction.environment.len(), 2);
        // Quotes and a trailing comma of a JSON line read as text go.
        let mut quoted = Extraction::new(FileType::Md, "r.md");
        quoted.note_environment(EnvKind::Gpu, " \"NVIDIA GeForce RTX 3060\",");
        assert_eq!(
            quoted.environment.get(&EnvKind::Gpu).map(String::as_str),
            Some("NVIDIA GeForce RTX 3060")
        );
    }
}
