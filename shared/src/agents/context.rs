//! The grounded context the agents read: a compact text built from the
//! inventory (and its metric summaries when there are any), sized to fit the
//! model's context window, with a plain statement of what was left out.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::classify::FileType;
use crate::inventory::{Inventory, Status};

/// Characters per token assumed when sizing text. Benchmark text (numbers,
/// paths, punctuation) tokenises densely; 3 keeps the estimate on the safe side.
pub const CHARS_PER_TOKEN: usize = 3;

/// The context given to the agents, and what did not fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Context {
    pub text: String,
    /// Estimated tokens of `text`.
    pub tokens: usize,
    /// The budget it was sized for.
    pub budget_tokens: usize,
    /// Human-readable notes of what was cut, e.g. "84 of 107 file paths".
    pub omitted: Vec<String>,
}

pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(CHARS_PER_TOKEN)
}

/// One section of the context, most important first. `lines` may be cut
/// from the end to fit; `what` names its items for the note on omissions.
struct Section {
    title: &'static str,
    lines: Vec<String>,
    what: &'static str,
    /// Lines that must stay even when the section is cut.
    keep: usize,
}

/// Builds the context within `budget_tokens`. Sections are added in order of
/// importance; a section that does not fit whole is cut to the lines that do.
pub fn build(inventory: &Inventory, budget_tokens: usize) -> Context {
    let sections = sections(inventory);
    let budget_chars = budget_tokens.saturating_mul(CHARS_PER_TOKEN);
    let mut text = String::from("DATA (computed by Chimera from the uploaded files; exact)\n");
    let mut omitted = Vec::new();
    for section in sections {
        let header = format!("\n## {}\n", section.title);
        let total = section.lines.len();
        if total == 0 {
            continue;
        }
        let mut used = 0;
        let mut body = String::new();
        for (i, line) in section.lines.iter().enumerate() {
            let needed = header.len() + body.len() + line.len() + 1 + 80;
            if text.len() + needed > budget_chars && i >= section.keep {
                break;
            }
            body.push_str(line);
            body.push('\n');
            used += 1;
        }
        if used == 0 {
            omitted.push(format!(
                "the whole \"{}\" section ({total} {})",
                section.title, section.what
            ));
            continue;
        }
        text.push_str(&header);
        text.push_str(&body);
        if used < total {
            let _ = writeln!(text, "(… {} more {} not shown)", total - used, section.what);
            omitted.push(format!(
                "{} of {total} {} in \"{}\"",
                total - used,
                section.what,
                section.title
            ));
        }
    }
    let tokens = estimate_tokens(&text);
    Context {
        text,
        tokens,
        budget_tokens,
        omitted,
    }
}

fn sections(inventory: &Inventory) -> Vec<Section> {
    let mut overview = vec![
        format!("source: {}", inventory.source),
        format!(
            "files: {} ({} bytes); OS junk set aside: {}",
            inventory.files,
            inventory.bytes,
            inventory.junk.len()
        ),
    ];
    for file_type in FileType::ALL {
        let stats = inventory.by_type.get(file_type);
        let latest = match (&stats.latest_modified, stats.latest_modified_zoneless) {
            (Some(at), false) => at.clone(),
            (Some(at), true) => format!("{at} (zone unknown)"),
            (None, _) => "none".into(),
        };
        overview.push(format!(
            "{} files: {} ({} bytes), latest modified {latest}",
            type_label(file_type),
            stats.count,
            stats.bytes
        ));
    }
    let mut coverage = Vec::new();
    for (name, dir) in inventory.directories.expected() {
        coverage.push(if dir.present {
            format!("{name}/: present, {} files", dir.files)
        } else {
            format!("{name}/: MISSING")
        });
    }
    for (name, files) in &inventory.directories.other {
        coverage.push(format!("{name}/ (other folder): {files} files"));
    }
    if inventory.directories.top_level_files > 0 {
        coverage.push(format!(
            "top level: {} files",
            inventory.directories.top_level_files
        ));
    }
    let problems: Vec<String> = inventory
        .problems
        .iter()
        .map(|p| {
            let path = if p.path.is_empty() {
                "(archive)"
            } else {
                &p.path
            };
            format!("{path}: {}", p.message)
        })
        .collect();
    let metrics = metric_lines(inventory);
    let best: Vec<String> = inventory
        .metrics
        .best
        .iter()
        .map(|b| {
            format!(
                "best {} ({}){}: {} at {} (n={}) vs {} at {} (n={}); {}",
                b.metric.id(),
                b.goal,
                b.within
                    .as_deref()
                    .map(|w| format!(" within {w}"))
                    .unwrap_or_default(),
                b.winner.label,
                round(b.winner.mean),
                b.winner.n,
                b.runner_up.label,
                round(b.runner_up.mean),
                b.runner_up.n,
                b.verdict
            )
        })
        .collect();
    let findings: Vec<String> = inventory
        .findings
        .iter()
        .map(|f| format!("[{}] {}: {}", f.kind, severity(f), f.reason))
        .collect();
    let mut files: Vec<&crate::inventory::Entry> = inventory
        .entries
        .iter()
        .filter(|e| e.status != Status::Skipped)
        .collect();
    // The data files say most; Markdown and others after them.
    files.sort_by_key(|e| {
        (
            e.file_type == FileType::Other,
            e.file_type == FileType::Md,
            e.path.clone(),
        )
    });
    let file_lines = files
        .iter()
        .map(|e| {
            format!(
                "{} ({}, {} bytes, {})",
                e.path,
                e.file_type.label(),
                e.bytes,
                e.modified.as_deref().unwrap_or("no time")
            )
        })
        .collect();

    vec![
        Section {
            title: "Overview",
            lines: overview,
            what: "lines",
            keep: 6,
        },
        Section {
            title: "Directory coverage",
            lines: coverage,
            what: "folders",
            keep: 3,
        },
        Section {
            title: "Measured metrics (configurations, most runs first)",
            lines: metrics,
            what: "configurations",
            keep: 2,
        },
        Section {
            title: "Best configurations",
            lines: best,
            what: "comparisons",
            keep: 0,
        },
        Section {
            title: "Gaps and missing telemetry",
            lines: findings,
            what: "findings",
            keep: 3,
        },
        Section {
            title: "Files that could not be read",
            lines: problems,
            what: "problems",
            keep: 0,
        },
        Section {
            title: "Files",
            lines: file_lines,
            what: "file paths",
            keep: 0,
        },
    ]
}

/// One line per configuration: its runs and the mean of each main metric.
fn metric_lines(inventory: &Inventory) -> Vec<String> {
    use crate::metrics::names::MetricId;
    let totals = &inventory.metrics.totals;
    let counted = if inventory.metrics.from_summaries {
        "no file holds single runs: the configurations compare figures that summaries and \
         reports state, each counted as one run; "
    } else {
        ""
    };
    let mut lines = vec![format!(
        "{} files with metric values; {counted}{} runs ({} failed, not averaged) in {} \
         configurations",
        totals.files_with_metrics,
        totals.runs,
        totals.failed_runs,
        inventory.metrics.configurations.len()
    )];
    let mut configurations: Vec<_> = inventory.metrics.configurations.iter().collect();
    configurations.sort_by(|a, b| b.runs.cmp(&a.runs).then_with(|| a.label.cmp(&b.label)));
    for configuration in configurations {
        let mut parts = vec![format!("{}: n={}", configuration.label, configuration.runs)];
        if configuration.failed > 0 {
            parts.push(format!("{} failed", configuration.failed));
        }
        for metric in [
            MetricId::TtftMs,
            MetricId::TokensPerSecond,
            MetricId::TotalMs,
        ] {
            if let Some(summary) = configuration.stats.get(&metric) {
                let spread = summary
                    .std_dev
                    .map(|sd| format!(" sd {}", round(sd)))
                    .unwrap_or_default();
                parts.push(format!(
                    "{} mean {}{spread} {}",
                    metric.id(),
                    round(summary.mean),
                    metric.unit()
                ));
            }
        }
        lines.push(parts.join(", "));
    }
    lines
}

fn severity(finding: &crate::metrics::findings::Finding) -> &'static str {
    match finding.severity {
        crate::metrics::findings::Severity::Warning => "warning",
        crate::metrics::findings::Severity::Info => "info",
    }
}

/// Figures as the context shows them: enough digits to check, no more.
fn round(value: f64) -> String {
    let text = if value.abs() >= 10_000.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    };
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

fn type_label(file_type: FileType) -> &'static str {
    match file_type {
        FileType::Csv => "CSV",
        FileType::Json => "JSON",
        FileType::Md => "Markdown",
        FileType::Other => "Other",
    }
}

/// The token budget left for context in a model with `num_ctx` tokens, after
/// the system prompt, the task text and room for the answer.
pub fn budget_for(num_ctx: u64, system: &str, task: &str, answer_tokens: u64) -> usize {
    let fixed = estimate_tokens(system) + estimate_tokens(task) + answer_tokens as usize + 64;
    (num_ctx as usize).saturating_sub(fixed).max(200)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Content, InventoryBuilder};

    fn sample(files: usize) -> Inventory {
        let mut builder = InventoryBuilder::new("bench.zip", None);
        for i in 0..files {
            builder.add_file(
                &format!("reports/run_{i:04}.csv"),
                10,
                None,
                Content::Bytes(b"a\n1\n"),
            );
        }
        builder.add_file("csv_data/bad.json", 3, None, Content::Bytes(b"{,}"));
        builder.finish()
    }

    #[test]
    fn a_small_folder_fits_whole() {
        let context = build(&sample(3), 4000);
        assert!(context.omitted.is_empty(), "{:?}", context.omitted);
        assert!(context.text.contains("CSV files: 3 (30 bytes)"));
        assert!(context.text.contains("artifacts/: MISSING"));
        assert!(context.text.contains("csv_data/bad.json: invalid JSON"));
        assert!(context.text.contains("reports/run_0002.csv"));
    }

    #[test]
    fn figures_from_summaries_are_not_called_runs_alone() {
        let mut builder = InventoryBuilder::new("t.zip", None);
        let averages = "| Model | Average Eval Rate (tokens/s) |\n|---|---|\n| a:1b | 21.5 |\n";
        builder.add_file(
            "averages.md",
            averages.len() as u64,
            None,
            Content::Bytes(averages.as_bytes()),
        );
        let context = build(&builder.finish(), 4000);
        assert!(
            context
                .text
                .contains("no file holds single runs: the configurations compare figures"),
            "{}",
            context.text
        );
    }

    #[test]
    fn a_large_folder_is_cut_to_the_budget_and_says_what_went() {
        let context = build(&sample(500), 600);
        assert!(context.tokens <= 600, "{} tokens", context.tokens);
        assert!(
            context.text.contains("CSV files: 500"),
            "the overview always stays"
        );
        assert!(context.text.contains("reports/: present, 500 files"));
        assert_eq!(context.omitted.len(), 1, "{:?}", context.omitted);
        assert!(
            context.omitted[0].ends_with("of 501 file paths in \"Files\""),
            "{:?}",
            context.omitted
        );
        assert!(context.text.contains("more file paths not shown"));
    }

    #[test]
    fn measured_metrics_and_gaps_are_in_the_context() {
        let mut builder = InventoryBuilder::new("bench.zip", None);
        let csv = b"model,ttft_ms,tokens_per_second\nllama3,120.5,41.2\nllama3,118,40.9\n";
        builder.add_file(
            "reports/llama3/runs.csv",
            csv.len() as u64,
            None,
            Content::Bytes(csv),
        );
        let context = build(&builder.finish(), 4000);
        assert!(
            context.text.contains("## Measured metrics"),
            "{}",
            context.text
        );
        assert!(
            context.text.contains("ttft_ms mean 119.25"),
            "{}",
            context.text
        );
        assert!(
            context.text.contains("tokens_per_second mean 41.05"),
            "{}",
            context.text
        );
        assert!(
            context.text.contains("## Gaps and missing telemetry"),
            "{}",
            context.text
        );
        assert!(context.text.contains("missing_folder"), "{}", context.text);
    }

    #[test]
    fn the_budget_leaves_room_for_the_answer() {
        assert_eq!(budget_for(2048, "", "", 512), 2048 - 512 - 64);
        assert_eq!(budget_for(512, &"x".repeat(3000), "", 512), 200);
    }
}
