//! Reads the figures a Markdown report quotes: label lines such as
//! `- Throughput: 39.57 tok/s` or `**TTFT:** 551.66 ms`, two-cell table rows
//! such as `| Mean TTFT | 0.165 s |`, tables whose header names metric
//! columns (`| Config | num_gpu | Tokens/s | TTFT (s) |`), and environment
//! lines such as `GPU: NVIDIA GeForce RTX 4080`.
//!
//! Reports quote numbers measured elsewhere, so their values are kept per
//! file but never counted as runs.

use super::names::{
    Field, MetricId, SettingId, Unit, classify_label, is_unmeasured_name, says_extreme,
};
use super::record::{Extraction, Record, RecordAt, Settings, setting_value};
use super::text;

/// Labels longer than this are sentences, not labels.
const MAX_LABEL_CHARS: usize = 60;

pub fn extract(source: &str, extraction: &mut Extraction) {
    extraction.mark_derived("a report: it quotes figures measured elsewhere");
    let mut lines = source.lines().enumerate().peekable();
    // The metric table whose rows are being read, if any.
    let mut table: Option<Table> = None;
    while let Some((index, line)) = lines.next() {
        let line_number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        match table_cells(line) {
            Some(cells) => {
                if let Some(table) = &table {
                    table.read_row(&cells, line_number, extraction);
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
            continue;
        };
        if let Some(Field::Environment(kind)) = extraction.names.classify(label) {
            extraction.note_environment(kind, value.trim_matches(['*', '`', '_', ' ']));
            continue;
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
        let mut record = Record::new(RecordAt::Line(line_number));
        record.push(metric, unit.to_canonical(number), source);
        record.aggregate = aggregate;
        extraction.push(record);
    }
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
        for (column, cell) in header.iter().enumerate() {
            let name = plain_cell(cell);
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
        })
    }

    fn read_row(&self, cells: &[&str], line: u32, extraction: &mut Extraction) {
        let mut record = Record::new(RecordAt::Line(line));
        record.aggregate = self.aggregate;
        for column in &self.metrics {
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
            // A unit written in the cell (`303.9 tok/s`, `0.06s`) wins over
            // the header's; one that does not fit the metric (`4.7 GB`)
            // means the cell is something else.
            let unit = match cell_unit {
                Some(unit) if unit.fits(column.metric) => unit,
                Some(_) => continue,
                None => column.unit.of_value(number),
            };
            let source = if unit == column.unit {
                column.source
            } else {
                let name = extraction.sources[usize::from(column.source)].name.clone();
                extraction.source(&name, column.metric, unit, self.aggregate)
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
        let item = strip_list_marker(trimmed);
        let (label, value) = item.split_once(':')?;
        (label, value)
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
