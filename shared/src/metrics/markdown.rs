//! Reads the figures a Markdown report quotes: label lines such as
//! `- Throughput: 39.57 tok/s` or `**TTFT:** 551.66 ms`, two-cell table rows
//! such as `| Mean TTFT | 0.165 s |`, and environment lines such as
//! `GPU: NVIDIA GeForce RTX 4080`.
//!
//! Reports quote numbers measured elsewhere, so their values are kept per
//! file but never counted as runs.

use super::names::{Field, classify_label};
use super::record::{Extraction, Record, RecordAt};
use super::text;

/// Labels longer than this are sentences, not labels.
const MAX_LABEL_CHARS: usize = 60;

pub fn extract(source: &str, extraction: &mut Extraction) {
    extraction.mark_derived("a report: it quotes figures measured elsewhere");
    for (index, line) in source.lines().enumerate() {
        let Some((label, value)) = label_and_value(line) else {
            continue;
        };
        let line_number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if let Some(Field::Environment(kind)) = extraction.names.classify(label) {
            extraction.note_environment(kind, value.trim_matches(['*', '`', '_', ' ']));
            continue;
        }
        let Some((number, unit, _)) = text::parse_quantity(value) else {
            continue;
        };
        let Some(Field::Metric {
            metric,
            unit,
            aggregate,
        }) = classify_label(label, unit)
        else {
            continue;
        };
        extraction.has_metric_names = true;
        let source = extraction.source(label, metric, unit, aggregate);
        let mut record = Record::new(RecordAt::Line(line_number));
        record.push(metric, unit.to_canonical(number), source);
        record.aggregate = aggregate;
        extraction.push(record);
    }
}

/// Splits a list item, a bold label line or a two-cell table row into its
/// label and value.
///
/// TODO: tables with a header row and several metric columns (`| tag |
/// mean_tokens_s | mean_ttft_s |`) are not read; their figures would need the
/// header to name each column.
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
             Best throughput achieved with q4_0 at 76.59 tokens/s.\n",
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
