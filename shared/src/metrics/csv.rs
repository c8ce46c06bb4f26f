//! Reads runs out of a CSV file: one record per data row, its metrics
//! converted to canonical units, its settings, and whether it failed.
//!
//! A row holding two sides of a comparison side by side
//! (`baseline_tok_s,chimera_tok_s,baseline_ttft_ms,chimera_ttft_ms`) gives
//! one record per side, told apart by the `variant` setting.

use std::borrow::Cow;
use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use super::names::{self, EnvKind, Field, MetricId, SettingId, Unit};
use super::record::{
    Extraction, Failure, FailureCause, Record, RecordAt, Settings, insert_json_setting,
    is_failed_status, is_false, mentions_failure, setting_value,
};
use super::text;
use crate::csv_rows::{Row, Rows};

/// Extracts every data row of `text`. The first row is the header. Ragged
/// rows are read as far as they go rather than refused, so one bad line of a
/// long sweep costs that line only.
pub fn extract(text: &str, extraction: &mut Extraction) {
    let mut rows = Rows::new(text);
    let headers: Vec<String> = match rows.next() {
        Some(row) => row.iter().map(|h| h.trim().to_owned()).collect(),
        None => return,
    };
    let mut columns = Columns::of(&headers, extraction);
    columns.decimal_comma = rows.delimiter() == b';';
    // Without a metric column the rows are still read, for what they say
    // about timestamps and the machine.
    extraction.has_metric_names = !columns.metrics.is_empty() || !columns.sides.is_empty();
    if extraction.has_metric_names && columns.all_metrics().all(|c| c.aggregate) {
        extraction.mark_derived("its metric columns are all means (mean_, avg_, ...)");
    }
    let mut configs = ConfigCache::default();
    while let Some(row) = rows.next() {
        if row.len() != headers.len() && extraction.ragged.is_none() {
            extraction.ragged = Some((row.line, row.len(), headers.len()));
        }
        if row.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        extraction.data_rows += 1;
        read_row(&row, &headers, &columns, &mut configs, extraction);
    }
}

/// One metric column, with its conversion.
struct MetricColumn {
    index: usize,
    metric: MetricId,
    source: u16,
    aggregate: bool,
    unit: Unit,
}

/// Per metric, the column read: the first that holds per-run values wins
/// over one that holds means, and later ones are ignored. Returns the
/// column left out, if any.
fn choose(
    chosen: &mut BTreeMap<MetricId, (usize, Unit, bool)>,
    index: usize,
    metric: MetricId,
    unit: Unit,
    aggregate: bool,
) -> Option<usize> {
    match chosen.get(&metric) {
        Some(&(known, _, true)) if !aggregate => {
            chosen.insert(metric, (index, unit, aggregate));
            Some(known)
        }
        Some(_) => Some(index),
        None => {
            chosen.insert(metric, (index, unit, aggregate));
            None
        }
    }
}

/// The metric columns of one side of a comparison (`baseline_tok_s`).
struct Side {
    name: String,
    metrics: Vec<MetricColumn>,
}

/// What each column of a file holds, decided once from the header.
struct Columns {
    metrics: Vec<MetricColumn>,
    sides: Vec<Side>,
    settings: Vec<(usize, SettingId)>,
    errors: Vec<usize>,
    successes: Vec<usize>,
    statuses: Vec<usize>,
    options: Vec<usize>,
    timestamps: Vec<usize>,
    environment: Vec<(usize, EnvKind)>,
    /// Free-text columns searched for failure messages.
    texts: Vec<usize>,
    /// Columns counting the runs a row sums up.
    run_counts: Vec<usize>,
    /// Fields are separated by semicolons, and numbers may be written with
    /// a decimal comma (`412,7`). (A tab-separated file writes `4,096` for
    /// a thousands separator as often as not, so its commas are left.)
    decimal_comma: bool,
}

impl Columns {
    fn of(headers: &[String], extraction: &mut Extraction) -> Columns {
        let mut columns = Columns {
            metrics: Vec::new(),
            sides: Vec::new(),
            settings: Vec::new(),
            errors: Vec::new(),
            successes: Vec::new(),
            statuses: Vec::new(),
            options: Vec::new(),
            timestamps: Vec::new(),
            environment: Vec::new(),
            texts: Vec::new(),
            run_counts: Vec::new(),
            decimal_comma: false,
        };
        // Per metric, the first column that holds per-run values wins over
        // one that holds means; later duplicates are ignored.
        let mut chosen: BTreeMap<MetricId, (usize, Unit, bool)> = BTreeMap::new();
        let mut side_columns: Vec<(usize, String, MetricId, Unit, bool)> = Vec::new();
        for (index, header) in headers.iter().enumerate() {
            match extraction.names.classify(header) {
                Some(Field::Metric {
                    metric,
                    unit,
                    aggregate,
                }) => {
                    choose(&mut chosen, index, metric, unit, aggregate);
                }
                Some(Field::Setting(setting)) => {
                    if !columns.settings.iter().any(|(_, s)| *s == setting) {
                        columns.settings.push((index, setting));
                    }
                }
                Some(Field::Error) => columns.errors.push(index),
                Some(Field::Success) => columns.successes.push(index),
                Some(Field::Status) => columns.statuses.push(index),
                Some(Field::Options) => columns.options.push(index),
                Some(Field::Timestamp) => columns.timestamps.push(index),
                Some(Field::Environment(kind)) => {
                    columns.environment.push((index, kind));
                    // A GPU per row may tell machines apart (see
                    // `tell_machines_apart`).
                    if kind == EnvKind::Gpu
                        && !columns.settings.iter().any(|(_, s)| *s == SettingId::Gpu)
                    {
                        columns.settings.push((index, SettingId::Gpu));
                    }
                }
                Some(Field::RunCount) => columns.run_counts.push(index),
                Some(Field::Prompt) => {}
                None => match names::classify_side(header) {
                    Some((
                        side,
                        Field::Metric {
                            metric,
                            unit,
                            aggregate,
                        },
                    )) => side_columns.push((index, side, metric, unit, aggregate)),
                    _ => columns.texts.push(index),
                },
            }
        }
        columns.sides = sides_of(side_columns, headers, extraction, &mut columns.texts);
        columns.texts.sort_unstable();
        for (metric, (index, unit, aggregate)) in chosen {
            let source = extraction.source(&headers[index], metric, unit, aggregate);
            columns.metrics.push(MetricColumn {
                index,
                metric,
                source,
                aggregate,
                unit,
            });
        }
        columns.metrics.sort_by_key(|c| c.index);
        columns
    }

    fn all_metrics(&self) -> impl Iterator<Item = &MetricColumn> {
        self.metrics
            .iter()
            .chain(self.sides.iter().flat_map(|side| &side.metrics))
    }
}

/// The sides of a comparison among columns whose first word may name one:
/// a side is kept when another side measures one of the same metrics, so a
/// lone `cold_ttft_ms` stays a free-text column. The first column of a side
/// for each metric is the one read; the rest go back to `texts`.
fn sides_of(
    candidates: Vec<(usize, String, MetricId, Unit, bool)>,
    headers: &[String],
    extraction: &mut Extraction,
    texts: &mut Vec<usize>,
) -> Vec<Side> {
    let mut names: Vec<&str> = Vec::new();
    for (_, side, ..) in &candidates {
        if !names.contains(&side.as_str()) {
            names.push(side);
        }
    }
    let measures = |name: &str, metric: MetricId| {
        candidates
            .iter()
            .any(|(_, side, m, ..)| side == name && *m == metric)
    };
    // Sides compare a time or a rate: `cached_tokens` beside
    // `reasoning_tokens` are parts of one count, not two sides.
    let compared: Vec<String> = names
        .iter()
        .filter(|name| {
            candidates.iter().any(|(_, side, metric, ..)| {
                side == *name
                    && !metric.is_count()
                    && names
                        .iter()
                        .any(|other| other != *name && measures(other, *metric))
            })
        })
        .map(|name| name.to_string())
        .collect();
    let mut chosen: Vec<BTreeMap<MetricId, (usize, Unit, bool)>> =
        vec![BTreeMap::new(); compared.len()];
    for (index, side, metric, unit, aggregate) in candidates {
        let left_out = match compared.iter().position(|name| *name == side) {
            Some(at) => choose(&mut chosen[at], index, metric, unit, aggregate),
            None => Some(index),
        };
        texts.extend(left_out);
    }
    let mut sides: Vec<Side> = compared
        .into_iter()
        .zip(chosen)
        .map(|(name, chosen)| Side {
            name,
            metrics: chosen
                .into_iter()
                .map(|(metric, (index, unit, aggregate))| MetricColumn {
                    index,
                    metric,
                    source: 0,
                    aggregate,
                    unit,
                })
                .collect(),
        })
        .collect();
    // Sources numbered in column order, as for the plain columns.
    let mut order: Vec<(usize, usize, usize)> = sides
        .iter()
        .enumerate()
        .flat_map(|(s, side)| {
            side.metrics
                .iter()
                .enumerate()
                .map(move |(m, column)| (column.index, s, m))
        })
        .collect();
    order.sort_unstable();
    for (_, s, m) in order {
        let column = &mut sides[s].metrics[m];
        column.source = extraction.source(
            &headers[column.index],
            column.metric,
            column.unit,
            column.aggregate,
        );
    }
    sides
}

/// The settings index of rows already seen in a file. Each setting cell's
/// raw text is numbered per column on first sight, so a row's settings are
/// named by a short list of numbers: a sweep repeats a few dozen
/// combinations over thousands of rows, and a random one repeats values
/// even when it never repeats a combination. Working out each row's
/// settings anew (numbers parsed and printed back, JSON options parsed, the
/// set's strings hashed) was a large share of reading a file. (A cache
/// across files was tried: folders of random sweeps made it slower.)
#[derive(Default)]
struct ConfigCache {
    /// Per cell column (the `options` columns, then the setting columns, as
    /// in [`Columns`]), the number of each raw text seen.
    ids: Vec<HashMap<String, u32>>,
    /// Per cell column, by number, the settings that text gives: the keys
    /// of an `options` JSON object, or the column's one canonical value.
    given: Vec<Vec<Settings>>,
    /// The numbers of the row at hand, and of the row before with its index.
    key: Vec<u32>,
    last_key: Vec<u32>,
    last: Option<u32>,
    seen: HashMap<Box<[u32]>, u32>,
    /// By a row's settings index and a side, the settings index with the
    /// side's `variant` added.
    sides: HashMap<(u32, usize), u32>,
}

impl ConfigCache {
    /// The settings index of `row`, worked out only for cells not seen before.
    fn config_of(&mut self, row: &Row<'_>, columns: &Columns, extraction: &mut Extraction) -> u32 {
        let cells = columns
            .options
            .iter()
            .map(|index| (*index, None))
            .chain(columns.settings.iter().map(|(index, s)| (*index, Some(*s))));
        let count = columns.options.len() + columns.settings.len();
        self.ids.resize_with(count, HashMap::default);
        self.given.resize_with(count, Vec::new);
        self.key.clear();
        for (slot, (index, setting)) in cells.enumerate() {
            // Only a number may have a decimal comma: an options cell or a
            // scenario keeps its commas.
            let numeric = setting.is_some_and(SettingId::is_numeric);
            let raw = decimal(
                row.get(index).unwrap_or(""),
                columns.decimal_comma && numeric,
            );
            let raw = raw.as_ref();
            let id = match self.ids[slot].get(raw) {
                Some(id) => *id,
                None => {
                    let given = match setting {
                        Some(setting) => setting_of_cell(setting, raw),
                        None => settings_of_options(raw, extraction),
                    };
                    let id = u32::try_from(self.given[slot].len()).unwrap_or(u32::MAX);
                    self.given[slot].push(given);
                    self.ids[slot].insert(raw.to_owned(), id);
                    id
                }
            };
            self.key.push(id);
        }
        if let Some(config) = self.last
            && self.key == self.last_key
        {
            return config;
        }
        let config = match self.seen.get(self.key.as_slice()) {
            Some(config) => *config,
            None => {
                // A column of its own wins over the same key inside
                // `options`: the options columns come first.
                let mut settings = Settings::new();
                for (given, id) in self.given.iter().zip(&self.key) {
                    settings.merge(&given[*id as usize]);
                }
                let config = extraction.config(settings);
                self.seen.insert(self.key.as_slice().into(), config);
                config
            }
        };
        // The buffers swap roles: no allocation per row.
        std::mem::swap(&mut self.key, &mut self.last_key);
        self.last = Some(config);
        config
    }

    /// The settings index of one side's record in a row whose own settings
    /// are `config`: a `variant` column, when there is one, wins.
    fn side_config(
        &mut self,
        config: u32,
        side: usize,
        name: &str,
        extraction: &mut Extraction,
    ) -> u32 {
        if let Some(known) = self.sides.get(&(config, side)) {
            return *known;
        }
        let mut settings = extraction.configs[config as usize].clone();
        let variant = match settings.get(SettingId::Variant) {
            Some(row) => format!("{row} {name}"),
            None => name.to_owned(),
        };
        settings.insert(SettingId::Variant, variant);
        let known = extraction.config(settings);
        self.sides.insert((config, side), known);
        known
    }
}

/// The settings one setting cell gives: its canonical value, if valid.
fn setting_of_cell(setting: SettingId, raw: &str) -> Settings {
    let mut settings = Settings::new();
    if let Some(value) = setting_value(setting, raw) {
        settings.insert(setting, value);
    }
    settings
}

/// The settings an `options` or `config` cell gives: the known keys of a
/// JSON object, or those a compact label spells out (`gpu120_ctx1024_temp0p6`).
fn settings_of_options(raw: &str, extraction: &mut Extraction) -> Settings {
    let mut settings = Settings::new();
    let raw = raw.trim();
    if raw.starts_with('{') {
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(raw) {
            for (key, value) in &map {
                if let Some(Field::Setting(setting)) = extraction.names.classify(key) {
                    insert_json_setting(&mut settings, setting, value);
                }
            }
        }
    } else {
        settings_of_label(raw, &mut settings);
    }
    settings
}

/// Reads a configuration label made of a setting's short name and its value
/// run together, parts joined by `_` or `-`: `gpu120_ctx1024_temp0p6` is
/// num_gpu 120, num_ctx 1024 and temperature 0.6 (`p` for the point, as in
/// folder names). A temperature written without a point or `p` and more
/// than one digit (`temp10`: 1.0, or 10?) is left out; so is every part
/// that is not of this form.
fn settings_of_label(label: &str, settings: &mut Settings) {
    for part in label.split(['_', '-', ' ', ',', '/']) {
        let lower = part.to_ascii_lowercase();
        let split = lower
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(lower.len());
        let (name, value) = lower.split_at(split);
        let setting = match name {
            "gpu" | "ngl" | "numgpu" => SettingId::NumGpu,
            "ctx" | "numctx" => SettingId::NumCtx,
            "temp" => SettingId::Temperature,
            _ => continue,
        };
        let value = value.replacen('p', ".", 1);
        if setting == SettingId::Temperature && !value.contains('.') && value.len() > 1 {
            continue;
        }
        if let Some(value) = setting_value(setting, &value) {
            settings.insert(setting, value);
        }
    }
}

fn read_row(
    row: &Row<'_>,
    headers: &[String],
    columns: &Columns,
    configs: &mut ConfigCache,
    extraction: &mut Extraction,
) {
    let line = row.line;
    let cell = |index: usize| row.get(index).unwrap_or("");

    for &index in &columns.timestamps {
        if let Some(format) = text::timestamp_format(cell(index)) {
            extraction.timestamp_formats.insert(format);
        }
    }
    for &(index, kind) in &columns.environment {
        extraction.note_environment(kind, cell(index));
    }
    if columns.metrics.is_empty() && columns.sides.is_empty() {
        return;
    }
    let at = RecordAt::Line(u32::try_from(line).unwrap_or(u32::MAX));
    let config = configs.config_of(row, columns, extraction);
    let failure = row_failure(row, columns);
    // `model,test_count,average_speed,...`: a row that sums up several runs.
    let sums_runs = columns.run_counts.iter().any(|&index| {
        text::parse_cell(&decimal(cell(index), columns.decimal_comma))
            .is_some_and(|(count, unit)| unit.is_none() && count > 1.0)
    });
    if columns.sides.is_empty() {
        let mut record = Record::new(at);
        read_values(
            &mut record,
            row,
            headers,
            &columns.metrics,
            columns.decimal_comma,
            extraction,
        );
        record.aggregate = sums_runs || columns.metrics.iter().all(|c| c.aggregate);
        record.config = config;
        record.failure = failure;
        extraction.push(record);
        return;
    }
    // Each side gets its own values, then those of the plain columns, which
    // the sides share (the prompt's token count, say).
    for (index, side) in columns.sides.iter().enumerate() {
        let mut record = Record::new(at.clone());
        read_values(
            &mut record,
            row,
            headers,
            &side.metrics,
            columns.decimal_comma,
            extraction,
        );
        read_values(
            &mut record,
            row,
            headers,
            &columns.metrics,
            columns.decimal_comma,
            extraction,
        );
        record.aggregate = sums_runs
            || side
                .metrics
                .iter()
                .chain(&columns.metrics)
                .all(|c| c.aggregate);
        record.config = configs.side_config(config, index, &side.name, extraction);
        record.failure = failure.clone();
        extraction.push(record);
    }
}

/// `412,7` in a file whose fields are separated by semicolons is 412.7;
/// any other cell is left as it is.
fn decimal(cell: &str, decimal_comma: bool) -> Cow<'_, str> {
    let one_comma = || {
        let mut commas = cell.match_indices(',');
        commas.next().is_some() && commas.next().is_none()
    };
    if decimal_comma && !cell.contains('.') && one_comma() {
        Cow::Owned(cell.replacen(',', ".", 1))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The values of `metrics` in `row`, into `record`.
fn read_values(
    record: &mut Record,
    row: &Row<'_>,
    headers: &[String],
    metrics: &[MetricColumn],
    decimal_comma: bool,
    extraction: &mut Extraction,
) {
    let cell = |index: usize| row.get(index).unwrap_or("");
    record.values.reserve_exact(metrics.len());
    for column in metrics {
        let Some((value, cell_unit)) =
            text::parse_cell(&decimal(cell(column.index), decimal_comma))
        else {
            continue;
        };
        // A unit written in the cell ("551.66 ms") wins over the header's.
        let unit = match cell_unit {
            Some(unit) if unit.fits(column.metric) => unit,
            Some(_) => continue,
            None => column.unit.of_value(value),
        };
        let source = if unit == column.unit {
            column.source
        } else {
            extraction.source(
                &headers[column.index],
                column.metric,
                unit,
                column.aggregate,
            )
        };
        record.push(column.metric, unit.to_canonical(value), source);
    }
}

fn row_failure(row: &Row<'_>, columns: &Columns) -> Option<Failure> {
    let cell = |index: usize| row.get(index).unwrap_or("");
    for &index in &columns.errors {
        if !text::is_no_error(cell(index)) {
            return Some(Failure::new(FailureCause::ErrorField, cell(index)));
        }
    }
    for &index in &columns.successes {
        if is_false(cell(index)) {
            return Some(Failure::new(
                FailureCause::SuccessFalse,
                format!("success is {}", cell(index).trim()),
            ));
        }
    }
    for &index in &columns.statuses {
        if is_failed_status(cell(index)) {
            return Some(Failure::new(FailureCause::StatusFailed, cell(index)));
        }
    }
    for &index in &columns.texts {
        if mentions_failure(cell(index)) {
            return Some(Failure::new(FailureCause::FailureText, cell(index)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::FileType;
    use crate::metrics::text::TimestampFormat;

    /// Formats seen in a CSV's timestamp columns.
    fn formats(text: &str) -> Vec<TimestampFormat> {
        read("t.csv", text).timestamp_formats.into_iter().collect()
    }

    fn read(name: &str, text: &str) -> Extraction {
        let mut extraction = Extraction::new(FileType::Csv, name);
        extract(text, &mut extraction);
        extraction.finish_records();
        extraction
    }

    fn values(extraction: &Extraction, metric: MetricId) -> Vec<f64> {
        extraction
            .records
            .iter()
            .filter(|r| r.failure.is_none())
            .flat_map(|r| r.values.iter())
            .filter(|v| v.metric == metric)
            .map(|v| v.value)
            .collect()
    }

    #[test]
    fn seconds_columns_become_milliseconds() {
        let extraction = read(
            "runs.csv",
            "model,ttft_s,tokens_s,load_s,eval_count\nm,0.25,77.5,1.5,99\nm,0.5,78,2,100\n",
        );
        assert_eq!(values(&extraction, MetricId::TtftMs), [250.0, 500.0]);
        assert_eq!(values(&extraction, MetricId::TokensPerSecond), [77.5, 78.0]);
        assert_eq!(values(&extraction, MetricId::LoadMs), [1500.0, 2000.0]);
        assert_eq!(values(&extraction, MetricId::EvalTokens), [99.0, 100.0]);
        assert!(extraction.derived.is_none());
    }

    #[test]
    fn a_human_header_with_units_in_brackets_is_read() {
        let extraction = read(
            "baseline.csv",
            "Test Name,Context,Generation Time (ms),Tokens,Tokens per Second,Success\n\
             Player Died,player_died,3089.02,44,14.24,TRUE\n\
             Boss,boss,3234.48,44,13.60,FALSE\n",
        );
        assert_eq!(values(&extraction, MetricId::TotalMs), [3089.02]);
        assert_eq!(values(&extraction, MetricId::TokensPerSecond), [14.24]);
        let failed = extraction
            .records
            .iter()
            .filter(|r| r.failure.is_some())
            .count();
        assert_eq!(failed, 1);
        // `Context` holds a scenario name, not num_ctx.
        assert!(
            extraction
                .configs
                .iter()
                .all(|c| !c.contains_key(SettingId::NumCtx))
        );
    }

    #[test]
    fn provenance_is_the_line_a_person_sees() {
        let extraction = read("runs.csv", "ttft_ms,note\n100,\"two\nlines\"\n200,x\n");
        let lines: Vec<_> = extraction.records.iter().map(|r| r.at.clone()).collect();
        assert_eq!(lines, [RecordAt::Line(2), RecordAt::Line(4)]);
        assert_eq!(extraction.sources[0].name, "ttft_ms");
    }

    #[test]
    fn error_rows_and_zero_rows_are_failures() {
        let extraction = read(
            "suite.csv",
            "model,ttft_s,tokens_s,error\n\
             m,0.000000,0.00,\"Failed to connect to Ollama.\"\n\
             m,0,0,\n\
             m,0.2,70,\n",
        );
        let causes: Vec<_> = extraction
            .records
            .iter()
            .map(|r| r.failure.as_ref().map(|f| f.cause))
            .collect();
        assert_eq!(
            causes,
            [
                Some(FailureCause::ErrorField),
                Some(FailureCause::AllZero),
                None
            ]
        );
        assert_eq!(values(&extraction, MetricId::TtftMs), [200.0]);
    }

    #[test]
    fn two_sides_of_a_comparison_in_one_row_are_two_records() {
        let extraction = read(
            "tr111_v2.csv",
            "config,baseline_tok_s,chimera_tok_s,throughput_delta_pct,baseline_ttft_ms,\
             chimera_ttft_ms,ttft_delta_pct,chimera_tokens,cold_load_ms,source\n\
             gpu80,98.1,98.5,0.4,580.2,560.9,-3.3,512,4100,a.json\n\
             gpu60,97.0,96.2,-0.8,600.0,640.5,6.7,498,4000,b.json\n",
        );
        let sides: Vec<_> = extraction
            .records
            .iter()
            .map(|r| {
                let settings = &extraction.configs[r.config as usize];
                let at = match r.at {
                    RecordAt::Line(line) => line,
                    RecordAt::Path(_) => 0,
                };
                (
                    at,
                    settings.get(SettingId::Variant),
                    r.get(MetricId::TokensPerSecond),
                    r.get(MetricId::TtftMs),
                )
            })
            .collect();
        assert_eq!(
            sides,
            [
                (2, Some("baseline"), Some(98.1), Some(580.2)),
                (2, Some("chimera"), Some(98.5), Some(560.9)),
                (3, Some("baseline"), Some(97.0), Some(600.0)),
                (3, Some("chimera"), Some(96.2), Some(640.5)),
            ]
        );
        // A side may measure more than the other; a lone prefix
        // (`cold_load_ms`) is no side, and differences are never read.
        assert_eq!(extraction.records[1].get(MetricId::EvalTokens), Some(512.0));
        assert!(
            extraction
                .records
                .iter()
                .all(|r| r.get(MetricId::LoadMs).is_none())
        );
        let names: Vec<&str> = extraction.sources.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "baseline_tok_s",
                "chimera_tok_s",
                "baseline_ttft_ms",
                "chimera_ttft_ms",
                "chimera_tokens"
            ]
        );
    }

    #[test]
    fn sides_share_the_plain_columns_and_keep_a_variant_column() {
        let extraction = read(
            "ab.csv",
            "variant,prompt_tokens,baseline_mean_tok_s,baseline_tok_s,chimera_tok_s,error\n\
             v1,26,99,98.1,98.5,\n\
             v1,26,99,,,timeout\n",
        );
        // Two records per row, never a third for the plain column.
        assert_eq!(extraction.records.len(), 4);
        let first = &extraction.records[0];
        assert_eq!(first.get(MetricId::TokensPerSecond), Some(98.1));
        assert!(!first.aggregate);
        assert_eq!(first.get(MetricId::PromptTokens), Some(26.0));
        assert_eq!(
            extraction.records[1].get(MetricId::PromptTokens),
            Some(26.0)
        );
        let variants: Vec<_> = extraction
            .records
            .iter()
            .map(|r| extraction.configs[r.config as usize].get(SettingId::Variant))
            .collect();
        assert_eq!(
            variants,
            [
                Some("v1 baseline"),
                Some("v1 chimera"),
                Some("v1 baseline"),
                Some("v1 chimera")
            ]
        );
        let failed = extraction
            .records
            .iter()
            .filter(|r| r.failure.is_some())
            .count();
        assert_eq!(failed, 2);
    }

    #[test]
    fn an_ollama_duration_that_cannot_be_nanoseconds_is_read_as_seconds() {
        let extraction = read(
            "speed.csv",
            "model,output_tokens,total_duration,tokens_per_second\n\
             a,2494,96.97,25.72\nb,100,5000000000,20\n",
        );
        let total: Vec<_> = extraction
            .records
            .iter()
            .map(|r| r.get(MetricId::TotalMs))
            .collect();
        assert_eq!(total, [Some(96_970.0), Some(5_000.0)]);
        let units: Vec<Unit> = extraction
            .sources
            .iter()
            .filter(|s| s.metric == MetricId::TotalMs)
            .map(|s| s.unit)
            .collect();
        assert_eq!(units, [Unit::ImpliedNanos, Unit::AssumedSeconds]);
    }

    #[test]
    fn rows_that_count_several_runs_are_summaries() {
        let extraction = read(
            "performance_metrics.csv",
            "model,test_count,average_speed,tokens_per_second\na,15,62.2,62.2\nb,1,50.0,50.0\n",
        );
        let aggregate: Vec<bool> = extraction.records.iter().map(|r| r.aggregate).collect();
        assert_eq!(aggregate, [true, false]);
        assert!(extraction.derived.is_none());
        let all = read(
            "performance_metrics.csv",
            "model,runs,tokens_per_second\na,15,62.2\nb,3,50.0\n",
        );
        assert!(all.derived.is_some());
    }

    #[test]
    fn semicolon_files_with_decimal_commas_are_read() {
        let extraction = read(
            "combined.csv",
            "model;num_ctx;temperature;ttft_sec;tokens_per_sec;status\r\n\
             qwen3:32b;8192;0,7;1,25;412,7;ok\r\nqwen3:32b;8192;0,7;;;not_run\r\n",
        );
        let first = &extraction.records[0];
        assert_eq!(first.get(MetricId::TtftMs), Some(1250.0));
        assert_eq!(first.get(MetricId::TokensPerSecond), Some(412.7));
        let settings = &extraction.configs[first.config as usize];
        assert_eq!(settings.get(SettingId::Temperature), Some("0.7"));
        assert_eq!(settings.get(SettingId::NumCtx), Some("8192"));
        // Options and text keep their commas; tab files keep theirs.
        let options = read(
            "o.csv",
            "model;options;scenario;tokens_s\nm;{\"num_ctx\":4096,\"num_gpu\":99};short,cold;41,5\n",
        );
        let record = &options.records[0];
        assert_eq!(record.get(MetricId::TokensPerSecond), Some(41.5));
        let settings = &options.configs[record.config as usize];
        assert_eq!(settings.get(SettingId::NumCtx), Some("4096"));
        assert_eq!(settings.get(SettingId::Scenario), Some("short,cold"));
        let tabs = read(
            "t.tsv",
            "model\tnum_ctx\teval_count\ttokens_s\nm\t4096\t1,234\t40\n",
        );
        assert_eq!(tabs.records[0].get(MetricId::EvalTokens), Some(1234.0));
    }

    #[test]
    fn parts_of_a_count_or_a_prompt_rate_are_no_sides() {
        let extraction = read(
            "usage.csv",
            "cached_tokens,reasoning_tokens,pp_tok_s,tg_tok_s,ttft_ms\n5,7,900,40,120\n",
        );
        assert_eq!(extraction.records.len(), 1);
        let record = &extraction.records[0];
        assert_eq!(record.get(MetricId::TtftMs), Some(120.0));
        assert_eq!(record.get(MetricId::EvalTokens), None);
        assert_eq!(record.get(MetricId::TokensPerSecond), None);
    }

    #[test]
    fn a_compact_configuration_label_gives_its_settings() {
        let extraction = read(
            "sweep.csv",
            "config,tokens_s\ngpu120_ctx1024_temp0p6,98.7\ngpu80-ctx512-temp1.0,97.1\n\
             baseline_temp10_x7,96.0\n",
        );
        let settings: Vec<Vec<(SettingId, &str)>> = extraction
            .records
            .iter()
            .map(|r| extraction.configs[r.config as usize].iter().collect())
            .collect();
        assert_eq!(
            settings,
            [
                vec![
                    (SettingId::NumGpu, "120"),
                    (SettingId::NumCtx, "1024"),
                    (SettingId::Temperature, "0.6")
                ],
                vec![
                    (SettingId::NumGpu, "80"),
                    (SettingId::NumCtx, "512"),
                    (SettingId::Temperature, "1")
                ],
                vec![],
            ]
        );
    }

    #[test]
    fn a_rate_in_a_prefill_folder_is_no_decode_throughput() {
        let mut extraction = Extraction::new(FileType::Csv, "tr126/phase3/prefill/metrics.csv");
        extract(
            "ttft_ms,tokens,tokens_per_s\n3.7,1,270.8\n",
            &mut extraction,
        );
        extraction.finish_records();
        assert_eq!(
            values(&extraction, MetricId::TokensPerSecond),
            Vec::<f64>::new()
        );
        assert_eq!(values(&extraction, MetricId::TtftMs), [3.7]);
        // Only a folder of that name counts, not a file.
        let extraction = read("prefill.csv", "tokens_per_s\n270.8\n");
        assert_eq!(values(&extraction, MetricId::TokensPerSecond), [270.8]);
    }

    #[test]
    fn a_prefix_without_a_second_side_is_no_comparison() {
        let extraction = read("w.csv", "model,warm_ttft_ms,tokens_s\nm,120,50\n");
        assert_eq!(extraction.records.len(), 1);
        assert_eq!(extraction.records[0].get(MetricId::TtftMs), None);
        assert_eq!(
            extraction.records[0].get(MetricId::TokensPerSecond),
            Some(50.0)
        );
    }

    #[test]
    fn impossible_values_are_left_out_of_successful_rows() {
        let extraction = read(
            "runs.csv",
            "ttft_ms,tokens_s,eval_count
             120,-3.5,40
             0,55,0
             -1,-2,-3
             130,60,41
",
        );
        assert_eq!(values(&extraction, MetricId::TtftMs), [120.0, 130.0]);
        assert_eq!(values(&extraction, MetricId::TokensPerSecond), [55.0, 60.0]);
        assert_eq!(values(&extraction, MetricId::EvalTokens), [40.0, 0.0, 41.0]);
        assert_eq!(extraction.impossible_values, 5);
        // The third row measured nothing possible: a run that failed
        // without saying so.
        let causes: Vec<_> = extraction
            .records
            .iter()
            .map(|r| r.failure.as_ref().map(|f| f.cause))
            .collect();
        assert_eq!(causes, [None, None, Some(FailureCause::AllZero), None]);
    }

    #[test]
    fn failure_text_in_a_free_column_marks_the_row() {
        let extraction = read(
            "r.csv",
            "prompt,tokens_s,notes\nPlayer failed a mission,50,ok\nq,51,Execution not completed\n",
        );
        let failed: Vec<_> = extraction
            .records
            .iter()
            .map(|r| r.failure.is_some())
            .collect();
        assert_eq!(failed, [false, true]);
    }

    #[test]
    fn options_json_supplies_settings() {
        let extraction = read(
            "r.csv",
            "model,tokens_s,options\nm,50,\"{\"\"temperature\"\":0.3,\"\"top_p\"\":0.9}\"\n",
        );
        let settings = &extraction.configs[extraction.records[0].config as usize];
        assert_eq!(settings.get(SettingId::Temperature), Some("0.3"));
        assert_eq!(settings.get(SettingId::TopP), Some("0.9"));
        assert_eq!(settings.get(SettingId::Model), Some("m"));
    }

    #[test]
    fn a_summary_of_means_is_derived() {
        let by_columns = read(
            "sweep.csv",
            "num_gpu,mean_tokens_s,mean_ttft_s\n40,77.29,3.2\n",
        );
        assert!(by_columns.derived.is_some());
        assert!(by_columns.records[0].aggregate);
        let by_name = read("x_summary.csv", "num_gpu,tokens_s\n40,77.29\n");
        assert!(by_name.derived.is_some());
    }

    #[test]
    fn a_csv_without_metrics_says_so() {
        let extraction = read("kernels.csv", "ID,Kernel Name,Block Size\n0,gemm,128\n");
        assert!(!extraction.has_metric_names);
        assert!(extraction.records.is_empty());
        assert_eq!(extraction.data_rows, 1);
    }

    #[test]
    fn cells_with_their_own_unit_are_converted_by_it() {
        let extraction = read("r.csv", "TTFT\n551.66 ms\n0.5 s\n");
        assert_eq!(values(&extraction, MetricId::TtftMs), [551.66, 500.0]);
    }

    #[test]
    fn timestamp_columns_record_their_format() {
        assert_eq!(
            formats("timestamp,tokens_s\n2025-09-30T20:11:33,1\n2025-10-02T19:12:04+00:00,2\n"),
            [
                TimestampFormat::IsoWithZone,
                TimestampFormat::IsoWithoutZone
            ]
        );
    }
}
