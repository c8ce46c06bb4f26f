//! Reads the figures a Markdown report quotes: label lines such as
//! `- Throughput: 39.57 tok/s` or `**TTFT:** 551.66 ms`, two-cell table rows
//! such as `| Mean TTFT | 0.165 s |`, tables whose header names metric
//! columns (`| Config | num_gpu | Tokens/s | TTFT (s) |`, llama-bench's
//! `| model | backend | ngl | test | t/s |`), and environment lines such as
//! `GPU: NVIDIA GeForce RTX 4080`. A line naming a model (`Model: gemma3`,
//! `model_name = mistral:7b`, a `### Model: ...` heading) says which model
//! the figures below it are about.
//!
//! Reports quote numbers measured elsewhere, so their values are kept per
//! file but never counted as runs. A file with no heading, table, list,
//! emphasis or code fence is no report but a tool's console output saved
//! as Markdown (`eval rate: 67.11 tokens/s` once per prompt): its figures
//! are the runs it printed.

use super::names::{
    Field, MetricId, SettingId, Unit, classify_label, is_unmeasured_name, says_extreme,
};
use super::record::{Extraction, Record, RecordAt, Settings, setting_value};
use super::text;

/// Labels longer than this are sentences, not labels.
const MAX_LABEL_CHARS: usize = 60;

pub fn extract(source: &str, extraction: &mut Extraction) {
    // `ollama run --verbose` output stays console output whatever the
    // answers above its figures look like (lists, bold, code).
    let console = is_ollama_verbose(source) || !is_report(source);
    if !console {
        extraction.mark_derived("a report: it quotes figures measured elsewhere");
    }
    // In console output, consecutive figures are one run's (`total
    // duration`, `eval count`, `eval rate` of `ollama run --verbose`) until
    // a figure repeats, a separator line or a model line.
    let mut run: Option<Record> = None;
    let mut lines = source.lines().enumerate().peekable();
    // The metric table whose rows are being read, if any.
    let mut table: Option<Table> = None;
    // The model the lines so far last named, and its settings' index.
    let mut model: Option<(String, u32)> = None;
    // The level of the heading that named it (7 for a plain line): a
    // heading as high ends its section.
    let mut model_level = 7;
    let mut in_code = false;
    while let Some((index, line)) = lines.next() {
        let line_number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        let level = heading_level(line);
        // In console output a heading is part of an answer, not a section.
        if !console && level > 0 && level <= model_level {
            model = None;
            model_level = 7;
        }
        let context = model.as_ref().map(|(name, _)| name.as_str());
        match table_cells(line) {
            Some(cells) => {
                if let Some(table) = &table {
                    table.read_row(&cells, line_number, context, extraction);
                    continue;
                }
                let header_follows = lines
                    .peek()
                    .and_then(|(_, next)| table_cells(next))
                    .is_some_and(|next| is_delimiter_row(&next));
                if header_follows && let Some(found) = Table::of(&cells, extraction) {
                    lines.next();
                    table = Some(found);
                    continue;
                }
            }
            None => table = None,
        }
        let Some((label, value)) = label_and_value(line) else {
            if console && is_separator(line) {
                extraction.push_some(run.take());
            }
            continue;
        };
        match extraction.names.classify(label) {
            Some(Field::Environment(kind)) => {
                extraction.note_environment(kind, value.trim_matches(['*', '`', '_', ' ']));
                continue;
            }
            Some(Field::Setting(SettingId::Model)) => {
                // Not from code, nor from a table row (`| Model | Size |`).
                let plain = !in_code && !line.trim_start().starts_with('|');
                if let Some(name) = model_named(value).filter(|_| plain) {
                    extraction.push_some(run.take());
                    let mut settings = Settings::new();
                    settings.insert(SettingId::Model, name.as_str());
                    let config = extraction.config(settings);
                    model = Some((name, config));
                    model_level = if level > 0 { level } else { 7 };
                }
                continue;
            }
            _ => {}
        }
        let Some((number, unit, rest)) = text::parse_quantity(value) else {
            continue;
        };
        if says_extreme(rest) {
            continue;
        }
        let Some(Field::Metric {
            metric,
            unit,
            aggregate,
        }) = classify_label(label, unit)
        else {
            continue;
        };
        extraction.has_metric_names = true;
        let unit = unit.of_value(number);
        let source = extraction.source(label, metric, unit, aggregate);
        let config = model.as_ref().map_or(0, |(_, config)| *config);
        if console && !aggregate {
            if run.as_ref().is_some_and(|run| run.get(metric).is_some()) {
                extraction.push_some(run.take());
            }
            let record = run.get_or_insert_with(|| {
                let mut record = Record::new(RecordAt::Line(line_number));
                record.config = config;
                record
            });
            record.push(metric, unit.to_canonical(number), source);
            continue;
        }
        extraction.push_some(run.take());
        let mut record = Record::new(RecordAt::Line(line_number));
        record.push(metric, unit.to_canonical(number), source);
        record.aggregate = aggregate;
        record.config = config;
        extraction.push(record);
    }
    extraction.push_some(run.take());
}

/// `----------` or `==========`: a line a tool prints between runs.
fn is_separator(line: &str) -> bool {
    let line = line.trim();
    line.len() >= 3 && line.bytes().all(|b| matches!(b, b'-' | b'=' | b'*' | b'_'))
}

/// Whether the text is laid out as a document (a heading, a table, a list,
/// a line starting in bold, a code fence), rather than printed by a tool.
fn is_report(source: &str) -> bool {
    source.lines().any(|line| {
        let line = line.trim_start();
        line.starts_with(['#', '|'])
            || line.starts_with("**")
            || line.starts_with("__")
            || line.starts_with("```")
            || strip_list_marker(line).len() != line.len()
    })
}

/// Whether the text holds the figures `ollama run --verbose` prints after
/// each answer (`total duration:` and `eval rate:` lines).
fn is_ollama_verbose(source: &str) -> bool {
    let starts = |prefix: &str| {
        source
            .lines()
            .any(|line| line.trim_start().starts_with(prefix))
    };
    starts("total duration:") && starts("eval rate:")
}

/// 1 to 6 for a Markdown heading (`## Results`), 0 for any other line.
fn heading_level(line: &str) -> usize {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    let heading = (1..=6).contains(&hashes) && line[hashes..].starts_with(' ');
    if heading { hashes } else { 0 }
}

/// The model a `Model:` line names: its first word, without emphasis or
/// the note after it (`deepseek-r1:1.5b (File: log_1.log)`).
fn model_named(value: &str) -> Option<String> {
    let value = value.trim().trim_matches(['*', '`', '_']).trim();
    let name = value.split(" (").next().unwrap_or(value).trim();
    let name = name.trim_matches(['*', '`', '_', '"', '\'', ',']);
    // `model = AutoModelForCausalLM.from_pretrained(path)` is code.
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains(['(', '=']) {
        return None;
    }
    setting_value(SettingId::Model, name)
}

/// A table whose header names at least one metric: each row below it is a
/// record, its values read by column.
///
/// TODO: tables the other way round, with metrics as rows and
/// configurations as columns (`| Metric | Baseline | Chimera |`), are read
/// only where they have two cells (a label and a value).
struct Table {
    metrics: Vec<TableMetric>,
    settings: Vec<(usize, SettingId)>,
    aggregate: bool,
    /// llama-bench's `test` column: `pp512` times prompt processing,
    /// `tg128` token generation.
    test: Option<usize>,
}

struct TableMetric {
    column: usize,
    metric: MetricId,
    unit: Unit,
    source: u16,
}

impl Table {
    /// The columns a header names, or `None` when it names no metric.
    fn of(header: &[&str], extraction: &mut Extraction) -> Option<Table> {
        let mut metrics: Vec<TableMetric> = Vec::new();
        let mut settings: Vec<(usize, SettingId)> = Vec::new();
        let mut all_aggregate = true;
        // `| **Mean Throughput** | 102.85 tokens/s |` over a delimiter is a
        // label and its value set out as a table, not a header.
        if header
            .iter()
            .any(|cell| text::parse_quantity(plain_cell(cell)).is_some())
        {
            return None;
        }
        let mut test = None;
        for (column, cell) in header.iter().enumerate() {
            let name = plain_cell(cell);
            if name.eq_ignore_ascii_case("test") {
                test.get_or_insert(column);
                continue;
            }
            // A difference between two configurations (`TTFT Δ (ms)`,
            // `Throughput change %`) is not a measurement of either.
            if name.is_empty() || is_relative(name) {
                continue;
            }
            match classify_label(name, None) {
                Some(Field::Metric {
                    metric,
                    unit,
                    aggregate,
                }) if metrics.iter().all(|m| m.metric != metric) => {
                    all_aggregate &= aggregate;
                    let source = extraction.source(name, metric, unit, aggregate);
                    metrics.push(TableMetric {
                        column,
                        metric,
                        unit,
                        source,
                    });
                }
                Some(Field::Setting(setting)) if settings.iter().all(|(_, s)| *s != setting) => {
                    settings.push((column, setting));
                }
                _ => {}
            }
        }
        if metrics.is_empty() {
            return None;
        }
        extraction.has_metric_names = true;
        Some(Table {
            metrics,
            settings,
            aggregate: all_aggregate,
            test,
        })
    }

    fn read_row(
        &self,
        cells: &[&str],
        line: u32,
        model: Option<&str>,
        extraction: &mut Extraction,
    ) {
        let mut record = Record::new(RecordAt::Line(line));
        record.aggregate = self.aggregate;
        // llama-bench's tests: `pp512`, `tg128`, `pp512+tg128`, `pp2048 @ d100000`.
        let test = self
            .test
            .and_then(|column| cells.get(column))
            .map(|cell| plain_cell(cell))
            .filter(|test| {
                let kind = test.get(..2).unwrap_or("").to_ascii_lowercase();
                matches!(kind.as_str(), "pp" | "tg")
                    && test[2..].starts_with(|c: char| c.is_ascii_digit())
            });
        // A prompt-processing test's rate is no decode throughput.
        let prompt_test = test.is_some_and(|test| test[..2].eq_ignore_ascii_case("pp"));
        for column in &self.metrics {
            if prompt_test && column.metric == MetricId::TokensPerSecond {
                continue;
            }
            let Some(cell) = cells.get(column.column) else {
                continue;
            };
            let Some((number, cell_unit, rest)) = text::parse_quantity(plain_cell(cell)) else {
                continue;
            };
            // Words after the number that are no unit (`4.7 GB`, `12 runs`)
            // say the cell holds something else; a note in brackets does not.
            let rest = rest.trim();
            if cell_unit.is_none() && !(rest.is_empty() || rest.starts_with(['(', '±', '~'])) {
                continue;
            }
            // `758.55 ± 12.18`: the mean of repetitions, with their spread.
            let mean = rest.starts_with('±');
            record.aggregate |= mean;
            // A unit written in the cell (`303.9 tok/s`, `0.06s`) wins over
            // the header's; one that does not fit the metric (`4.7 GB`)
            // means the cell is something else.
            let unit = match cell_unit {
                Some(unit) if unit.fits(column.metric) => unit,
                Some(_) => continue,
                None => column.unit.of_value(number),
            };
            let source = if unit == column.unit && (self.aggregate || !mean) {
                column.source
            } else {
                let name = extraction.sources[usize::from(column.source)].name.clone();
                extraction.source(&name, column.metric, unit, self.aggregate || mean)
            };
            record.push(column.metric, unit.to_canonical(number), source);
        }
        if record.values.is_empty() {
            return;
        }
        let mut settings = Settings::new();
        for &(column, setting) in &self.settings {
            if let Some(value) = cells
                .get(column)
                .and_then(|cell| setting_value(setting, plain_cell(cell)))
            {
                settings.insert(setting, value);
            }
        }
        if let Some(model) = model
            && !settings.contains_key(SettingId::Model)
        {
            settings.insert(SettingId::Model, model);
        }
        if let Some(test) = test.and_then(|test| setting_value(SettingId::Scenario, test)) {
            settings.insert(SettingId::Scenario, test);
        }
        record.config = extraction.config(settings);
        extraction.push(record);
    }
}

/// The cells of a table row (`| a | b |`), or `None` for any other line.
fn table_cells(line: &str) -> Option<Vec<&str>> {
    let row = line.trim().strip_prefix('|')?;
    let row = row.strip_suffix('|').unwrap_or(row);
    Some(row.split('|').map(str::trim).collect())
}

/// `| --- | :---: | ---: |`: the line under a table's header.
fn is_delimiter_row(cells: &[&str]) -> bool {
    cells.iter().all(|cell| {
        let dashes = cell.trim_start_matches(':').trim_end_matches(':');
        !dashes.is_empty() && dashes.bytes().all(|b| b == b'-')
    })
}

/// A cell without the emphasis around it: `**76.59 tok/s**` is `76.59 tok/s`.
fn plain_cell(cell: &str) -> &str {
    cell.trim().trim_matches(['*', '_', '`']).trim()
}

/// Whether a column header names a difference rather than a measurement,
/// or a value with its spread (`Mean ± SD`).
fn is_relative(name: &str) -> bool {
    name.contains('±') || is_unmeasured_name(name)
}

/// Splits a list item, a bold label line or a two-cell table row into its
/// label and value.
fn label_and_value(line: &str) -> Option<(&str, &str)> {
    let trimmed = line.trim();
    let (label, value) = if let Some(row) = trimmed.strip_prefix('|') {
        let cells: Vec<&str> = row
            .trim_end_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        match cells.as_slice() {
            [label, value] if !value.starts_with('-') && !value.starts_with(':') => {
                (*label, *value)
            }
            _ => return None,
        }
    } else {
        let item = strip_list_marker(trimmed.trim_start_matches('#').trim_start());
        // `model_name =    mistral:7b`: an equals sign before any colon.
        // (Most lines have no `=`: one byte search rules both out.)
        let equals = if item.contains('=') {
            item.find(" = ").or_else(|| item.find(" ="))
        } else {
            None
        };
        // Not `Throughput (n = 5): 45.2 tok/s`.
        let bare = |at: usize| !item[..at].contains(['(', '[']);
        match (equals, item.find(':')) {
            (Some(at), colon) if bare(at) && colon.is_none_or(|colon| at < colon) => {
                let (label, value) = item.split_at(at);
                (label, value.trim_start().trim_start_matches('='))
            }
            _ => item.split_once(':')?,
        }
    };
    let label = label.trim().trim_matches(['*', '_', '`']).trim();
    let label = label.trim_end_matches(':').trim();
    let fits = !label.is_empty()
        && label.chars().count() <= MAX_LABEL_CHARS
        && label.split_whitespace().count() <= 6;
    fits.then_some((label, value.trim()))
}

fn strip_list_marker(line: &str) -> &str {
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return rest.trim_start();
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 {
        let rest = &line[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return rest.trim_start();
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::FileType;
    use crate::metrics::names::{EnvKind, MetricId};

    fn read(text: &str) -> Extraction {
        let mut extraction = Extraction::new(FileType::Md, "report.md");
        extract(text, &mut extraction);
        extraction.finish_records();
        extraction
    }

    fn found(extraction: &Extraction) -> Vec<(u32, MetricId, f64)> {
        extraction
            .records
            .iter()
            .map(|r| {
                let RecordAt::Line(line) = r.at else {
                    unreachable!("markdown records are lines")
                };
                (line, r.values[0].metric, r.values[0].value)
            })
            .collect()
    }

    /// Every record's line and values, sorted by metric.
    fn found_all(extraction: &Extraction) -> Vec<(u32, Vec<(MetricId, f64)>)> {
        extraction
            .records
            .iter()
            .map(|r| {
                let RecordAt::Line(line) = r.at else {
                    unreachable!("markdown records are lines")
                };
                let mut values: Vec<_> = r.values.iter().map(|v| (v.metric, v.value)).collect();
                values.sort_by_key(|(metric, _)| *metric);
                (line, values)
            })
            .collect()
    }

    #[test]
    fn console_output_saved_as_markdown_lists_runs_of_the_model_named_above() {
        let extraction = read(
            "-------Linux----------\n\
             ollama_version: 0.5.7\n\
             ----------\n\
             model_name =    mistral:7b\n\
             prompt = Write a step-by-step guide: a cake.\n\
             eval rate:            67.11 tokens/s\n\
             prompt = Develop a python function\n\
             eval rate:            66.61 tokens/s\n\
             --------------------\n\
             Average of eval rate:  66.86  tokens/s\n\
             model_name =    phi4:14b\n\
             eval rate:            32.77 tokens/s\n",
        );
        assert_eq!(extraction.derived, None);
        let runs: Vec<(Option<&str>, f64, bool)> = extraction
            .records
            .iter()
            .map(|r| {
                let model = extraction.configs[r.config as usize].get(SettingId::Model);
                (model, r.values[0].value, r.aggregate)
            })
            .collect();
        assert_eq!(
            runs,
            [
                (Some("mistral:7b"), 67.11, false),
                (Some("mistral:7b"), 66.61, false),
                (Some("mistral:7b"), 66.86, true),
                (Some("phi4:14b"), 32.77, false),
            ]
        );
    }

    #[test]
    fn an_ollama_verbose_block_is_one_run() {
        let block = "total duration:       8.29s\n\
                     load duration:        17.7ms\n\
                     prompt eval count:    26 token(s)\n\
                     prompt eval duration: 144ms\n\
                     prompt eval rate:     180.56 tokens/s\n\
                     eval count:           290 token(s)\n\
                     eval duration:        8.12s\n\
                     eval rate:            35.71 tokens/s\n";
        let text = format!("Model: m\nSure! Here is a poem.\n\n{block}\nAnother answer.\n{block}");
        let extraction = read(&text);
        assert_eq!(extraction.derived, None);
        assert_eq!(extraction.records.len(), 2);
        let run = &extraction.records[0];
        assert_eq!(run.get(MetricId::TotalMs), Some(8290.0));
        assert_eq!(run.get(MetricId::LoadMs), Some(17.7));
        assert_eq!(run.get(MetricId::PromptTokens), Some(26.0));
        assert_eq!(run.get(MetricId::EvalTokens), Some(290.0));
        assert!((run.get(MetricId::EvalMs).unwrap() - 8120.0).abs() < 1e-6);
        assert_eq!(run.get(MetricId::TokensPerSecond), Some(35.71));
        assert_eq!(
            extraction.configs[run.config as usize].get(SettingId::Model),
            Some("m")
        );
    }

    #[test]
    fn model_lines_in_code_tables_or_past_their_section_name_nothing() {
        let extraction = read(
            "# Report\n\
             ```python\nmodel = AutoModelForCausalLM.from_pretrained(path)\nmodel_name = x1\n```\n\
             - Throughput: 10 tok/s\n\
             | Model | Size |\n|---|---|\n| Size | 4 GB |\n\
             - Throughput: 11 tok/s\n\
             ## Model: gemma3:1b\n- Throughput: 12 tok/s\n### Details\n- Throughput: 13 tok/s\n\
             ## Other\n- Throughput: 14 tok/s\n",
        );
        let models: Vec<Option<&str>> = extraction
            .records
            .iter()
            .map(|r| extraction.configs[r.config as usize].get(SettingId::Model))
            .collect();
        assert_eq!(
            models,
            [None, None, Some("gemma3:1b"), Some("gemma3:1b"), None]
        );
    }

    #[test]
    fn an_equals_sign_in_brackets_is_part_of_the_label() {
        let extraction = read("- Throughput (n = 5): 45.2 tok/s\n");
        assert_eq!(found(&extraction), [(1, MetricId::TokensPerSecond, 45.2)]);
    }

    #[test]
    fn emphasis_alone_makes_a_document() {
        let extraction = read("**Mean TTFT:** 500 ms\n**Throughput:** 45 tok/s\n");
        assert!(extraction.derived.is_some());
    }

    #[test]
    fn only_llama_bench_tests_are_scenarios() {
        let extraction =
            read("| Test | TTFT (ms) |\n|---|---|\n| Run 1 | 120 |\n| Run 2 | 130 |\n");
        assert!(extraction.records.iter().all(|r| {
            extraction.configs[r.config as usize]
                .get(SettingId::Scenario)
                .is_none()
        }));
    }

    #[test]
    fn a_model_heading_names_the_model_of_the_table_below() {
        let extraction = read(
            "### Model: gemma3:1b (File: log_2025-04-14.log)\n\n\
             | eval count | eval rate |\n|---|---|\n| 642 token(s) | 137.60 tokens/s |\n",
        );
        assert!(extraction.derived.is_some());
        let record = &extraction.records[0];
        assert_eq!(
            extraction.configs[record.config as usize].get(SettingId::Model),
            Some("gemma3:1b")
        );
        assert_eq!(record.get(MetricId::TokensPerSecond), Some(137.6));
    }

    #[test]
    fn llama_bench_tables_give_generation_rates_but_not_prompt_rates() {
        let extraction = read(
            "| model | size | params | backend | ngl | test | t/s |\n\
             | ------------- | -------: | -----: | ------- | --: | ----: | ------------: |\n\
             | llama 7B Q4_0 | 3.56 GiB | 6.74 B | Vulkan | 100 | pp512 | 758.55 ± 12.18 |\n\
             | llama 7B Q4_0 | 3.56 GiB | 6.74 B | Vulkan | 100 | tg128 | 91.03 ± 0.21 |\n",
        );
        assert_eq!(extraction.records.len(), 1);
        let record = &extraction.records[0];
        assert_eq!(record.get(MetricId::TokensPerSecond), Some(91.03));
        // A mean of llama-bench's repetitions.
        assert!(record.aggregate);
        let settings = &extraction.configs[record.config as usize];
        assert_eq!(settings.get(SettingId::Model), Some("llama 7B Q4_0"));
        assert_eq!(settings.get(SettingId::NumGpu), Some("100"));
        assert_eq!(settings.get(SettingId::Backend), Some("Vulkan"));
        assert_eq!(settings.get(SettingId::Scenario), Some("tg128"));
    }

    #[test]
    fn metric_lines_are_read_with_their_units() {
        let extraction = read(
            "# Run\n\
             - Throughput: 39.57 tok/s\n\
             - TTFT: 551.66 ms\n\
             **Mean TTFT (warm):** 0.165 s\n\
             | **Mean Throughput** | 102.85 tokens/s |\n\
             | --- | --- |\n\
             - Tokens per second: 7.90\n\
             - Throughput: ~101 tok/s (±1.2 tok/s)\n",
        );
        assert_eq!(
            found(&extraction),
            [
                (2, MetricId::TokensPerSecond, 39.57),
                (3, MetricId::TtftMs, 551.66),
                (4, MetricId::TtftMs, 165.0),
                (5, MetricId::TokensPerSecond, 102.85),
                (7, MetricId::TokensPerSecond, 7.9),
                (8, MetricId::TokensPerSecond, 101.0),
            ]
        );
        assert!(extraction.derived.is_some());
    }

    #[test]
    fn prose_and_other_statistics_are_left_alone() {
        let extraction = read(
            "- Mean generation time across banter scenarios: 5.15 s\n\
             - Cold start (first request): 0.13s\n\
             | **Peak Throughput** | 299.2 tokens/s |\n\
             | **TTFT** | 354.41 ms | 1501.78 ms | -323.7% |\n\
             - TTFT: about half a second\n\
             Best throughput achieved with q4_0 at 76.59 tokens/s.\n\
             - Throughput delta: -11.57 tok/s (worst in Phase 2)\n\
             Expected: 102.31 tok/s, 0.128s TTFT\n\
             - Expected TTFT: 0.128s\n\
             - **Blazing Fast:** 304 tokens/s peak throughput\n",
        );
        assert_eq!(found(&extraction), []);
    }

    #[test]
    fn a_ranking_word_after_a_mean_keeps_it() {
        let extraction = read("- num_gpu=40:  78.42 tok/s (BEST)\n");
        assert_eq!(found(&extraction), [(1, MetricId::TokensPerSecond, 78.42)]);
    }

    #[test]
    fn tables_are_read_by_the_metric_columns_their_header_names() {
        let extraction = read(
            "| Rank | num_gpu | num_ctx | Tokens/s | TTFT (s) | TTFT Δ (ms) |\n\
             |---:|:---|---|---|---|---|\n\
             | 1 | 999 | 4096 | **303.9 tok/s** | 0.06s | -12 |\n\
             | 2 | 60 | 1024 | 187.2 | 0.128 | 4 |\n\
             | 3 | 40 | 2048 | 4.7 GB | n/a | 1 |\n\
             \n\
             | Metric | Value |\n\
             | --- | --- |\n\
             | Mean TTFT | 0.165 s |\n",
        );
        assert_eq!(
            found_all(&extraction),
            [
                (
                    3,
                    vec![(MetricId::TtftMs, 60.0), (MetricId::TokensPerSecond, 303.9)]
                ),
                (
                    4,
                    vec![
                        (MetricId::TtftMs, 128.0),
                        (MetricId::TokensPerSecond, 187.2)
                    ]
                ),
                (9, vec![(MetricId::TtftMs, 165.0)]),
            ]
        );
        let settings = &extraction.configs[extraction.records[1].config as usize];
        assert_eq!(settings.get(SettingId::NumGpu), Some("60"));
        assert_eq!(settings.get(SettingId::NumCtx), Some("1024"));
        let names: Vec<&str> = extraction.sources.iter().map(|s| s.name.as_str()).collect();
        assert!(names.contains(&"TTFT (s)"), "{names:?}");
        assert!(!names.iter().any(|n| n.contains('Δ')), "{names:?}");
    }

    #[test]
    fn a_table_without_a_metric_column_is_left_to_the_label_rules() {
        let extraction = read(
            "| Use Case | num_gpu | num_ctx | Priority |\n\
             | --- | --- | --- | --- |\n\
             | chat | 80 | 2048 | high |\n\
             | Test ID | Speedup | Efficiency |\n",
        );
        assert_eq!(found(&extraction), []);
    }

    #[test]
    fn environment_lines_are_noted() {
        let extraction = read(
            "GPU: NVIDIA GeForce RTX 4080 Laptop\n\
             Ollama Version: Latest (as of Oct 2025)\n\
             - **Driver:** 581.29\n",
        );
        assert_eq!(
            extraction
                .environment
                .get(&EnvKind::Gpu)
                .map(String::as_str),
            Some("NVIDIA GeForce RTX 4080 Laptop")
        );
        assert_eq!(extraction.environment.get(&EnvKind::OllamaVersion), None);
        assert_eq!(
            extraction
                .environment
                .get(&EnvKind::Driver)
                .map(String::as_str),
            Some("581.29")
        );
    }
}
