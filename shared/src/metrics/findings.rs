//! The lint: what is missing or suspect in the folder, each finding with a
//! kind, a reason a person can act on, and the files it concerns.
//!
//! Nothing here reads the clock. Staleness is judged by comparing files with
//! each other, so the same folder gives the same findings in the page and in
//! the CLI, today and next year.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::names::{EnvKind, MetricId, Unit};
use super::record::FailureCause;
use super::text::TimestampFormat;
use super::{Collected, FILES_SHOWN, Metrics};
use crate::classify::{EXPECTED_FOLDERS, FileType};
use crate::inventory::{Directories, Problem};
use crate::timestamp::Modified;

/// Files last modified this long before the newest data file are stale.
pub const STALE_DAYS: i64 = 90;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something is missing or wrong and results may mislead.
    Warning,
    /// Worth knowing when reading the numbers.
    Info,
}

/// One thing missing or suspect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// A stable id, e.g. `failed_runs`; listed in the README.
    pub kind: String,
    pub severity: Severity,
    pub reason: String,
    /// The files concerned, in path order, at most 100.
    pub files: Vec<String>,
    /// Files concerned beyond those listed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_files: u64,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// What the inventory knows beyond the numbers.
#[derive(Debug)]
pub struct Context<'a> {
    pub directories: &'a Directories,
    pub problems: &'a [Problem],
    /// Modification time of each file, by its displayed path.
    pub modified: &'a BTreeMap<String, Modified>,
}

/// The parts of the lint about the folder itself (its layout, files that
/// are not what they claim), the ones that mean something when the numbers
/// inside the files were not read.
pub(super) const FOLDER_PARTS: std::ops::Range<usize> = 0..2;

/// How many parts [`lint_part`] has.
pub(super) const LINT_PARTS: usize = 16;

/// One part of the lint, `0..LINT_PARTS`, in the order the findings are
/// listed: run one at a time, none holds a page for long.
pub(super) fn lint_part(
    part: usize,
    files: &[Collected],
    metrics: &Metrics,
    context: &Context<'_>,
    out: &mut Vec<Finding>,
) {
    match part {
        0 => missing_folders(context, out),
        1 => wrong_content(context, out),
        2 => csv_without_metrics(files, out),
        3 => runs_without(files, out),
        4 => failures(files, out),
        5 => impossible_values(files, out),
        6 => mixed_units(files, out),
        7 => assumed_units(files, out),
        8 => mixed_timestamps(files, out),
        9 => stale(files, context, out),
        10 => environment(metrics, out),
        11 => duplicates_and_derived(files, metrics, out),
        12 => models_from_paths(files, out),
        13 => summaries_only(files, metrics, out),
        14 => small_samples(metrics, out),
        15 => truncated(files, out),
        _ => {}
    }
}

fn finding(
    kind: &str,
    severity: Severity,
    reason: String,
    files: impl IntoIterator<Item = String>,
) -> Finding {
    let files: BTreeSet<String> = files.into_iter().collect();
    let more_files = files.len().saturating_sub(FILES_SHOWN) as u64;
    Finding {
        kind: kind.to_owned(),
        severity,
        reason,
        files: files.into_iter().take(FILES_SHOWN).collect(),
        more_files,
    }
}

/// `1 file`, `2 files`.
pub(crate) fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}

/// Files whose runs are counted: read, not derived, not a duplicate.
fn counted(files: &[Collected]) -> impl Iterator<Item = (&Collected, &super::FileMetrics)> {
    files.iter().filter_map(|file| {
        let metrics = file.metrics.as_deref()?;
        (!metrics.derived && metrics.duplicate_of.is_none()).then_some((file, metrics))
    })
}

fn missing_folders(context: &Context<'_>, out: &mut Vec<Finding>) {
    for (name, stats) in context.directories.expected() {
        if stats.present {
            continue;
        }
        let holds = match name {
            "reports" => "the write-ups of benchmark runs",
            "csv_data" => "the raw sweep data",
            _ => "logs, traces and profiles",
        };
        debug_assert!(EXPECTED_FOLDERS.contains(&name));
        out.push(finding(
            "missing_folder",
            Severity::Warning,
            format!("there is no {name}/ folder, where {holds} are expected"),
            [],
        ));
    }
}

fn wrong_content(context: &Context<'_>, out: &mut Vec<Finding>) {
    let mismatched: Vec<&Problem> = context
        .problems
        .iter()
        .filter(|p| p.kind == "not_utf8" && !p.path.is_empty())
        .collect();
    let Some(first) = mismatched.first() else {
        return;
    };
    out.push(finding(
        "not_what_extension_says",
        Severity::Warning,
        format!(
            "{} not the text their extension promises (first: {}: {})",
            plural(mismatched.len(), "file is", "files are"),
            first.path,
            first.message
        ),
        mismatched.iter().map(|p| p.path.clone()),
    ));
}

fn csv_without_metrics(files: &[Collected], out: &mut Vec<Finding>) {
    let found: Vec<String> = files
        .iter()
        .filter(|f| f.format == FileType::Csv && !f.has_metric_names)
        .map(|f| f.path.clone())
        .collect();
    if found.is_empty() {
        return;
    }
    let with_rows = files
        .iter()
        .filter(|f| f.format == FileType::Csv && !f.has_metric_names && f.data_rows > 0)
        .count();
    out.push(finding(
        "csv_without_metrics",
        Severity::Warning,
        format!(
            "{} no column Chimera recognises as a metric (TTFT, tokens per second, load, \
             prompt-eval, eval or total time, token counts); {} of them {} data rows",
            plural(found.len(), "CSV file has", "CSV files have"),
            with_rows,
            if with_rows == 1 { "has" } else { "have" }
        ),
        found,
    ));
}

fn runs_without(files: &[Collected], out: &mut Vec<Finding>) {
    for (metric, kind, what) in [
        (MetricId::TtftMs, "runs_without_ttft", "time to first token"),
        (
            MetricId::TokensPerSecond,
            "runs_without_throughput",
            "throughput (tokens per second)",
        ),
    ] {
        let lacking: Vec<String> = counted(files)
            .filter(|(_, m)| m.runs > 0 && !m.series.contains_key(&metric))
            .map(|(f, _)| f.path.clone())
            .collect();
        if lacking.is_empty() {
            continue;
        }
        out.push(finding(
            kind,
            Severity::Warning,
            format!(
                "{} runs but no {what}, so those runs cannot be compared on it",
                plural(lacking.len(), "file has", "files have")
            ),
            lacking,
        ));
    }
}

fn failures(files: &[Collected], out: &mut Vec<Finding>) {
    let mut by_cause: BTreeMap<FailureCause, (u64, BTreeSet<String>)> = BTreeMap::new();
    // One example message per file, so the examples show different failures.
    let mut examples: Vec<String> = Vec::new();
    for (file, _) in counted(files) {
        let mut example_here = false;
        for failure in &file.failures {
            let entry = by_cause.entry(failure.cause).or_default();
            entry.0 += 1;
            entry.1.insert(file.path.clone());
            if failure.cause != FailureCause::AllZero
                && !example_here
                && examples.len() < 3
                && !examples.contains(&failure.detail)
            {
                examples.push(failure.detail.clone());
                example_here = true;
            }
        }
    }
    let zero = by_cause.remove(&FailureCause::AllZero);
    if !by_cause.is_empty() {
        let total: u64 = by_cause.values().map(|(n, _)| n).sum();
        let breakdown: Vec<String> = by_cause
            .iter()
            .map(|(cause, (n, _))| format!("{n} with {}", cause.label()))
            .collect();
        let quoted: Vec<String> = examples.iter().map(|e| format!("\"{e}\"")).collect();
        out.push(finding(
            "failed_runs",
            Severity::Warning,
            format!(
                "{} failed ({}), e.g. {}; they are counted as failed, not averaged",
                plural(total as usize, "run", "runs"),
                breakdown.join(", "),
                quoted.join(", ")
            ),
            by_cause.into_values().flat_map(|(_, files)| files),
        ));
    }
    if let Some((count, files)) = zero {
        out.push(finding(
            "zero_value_runs",
            Severity::Warning,
            format!(
                "{} every metric at zero with no error recorded: nothing was measured, so \
                 they are counted as failed",
                plural(count as usize, "run has", "runs have")
            ),
            files,
        ));
    }
}

fn impossible_values(files: &[Collected], out: &mut Vec<Finding>) {
    let with: Vec<&Collected> = counted(files)
        .map(|(file, _)| file)
        .filter(|f| f.impossible_values > 0)
        .collect();
    if with.is_empty() {
        return;
    }
    let count: u64 = with.iter().map(|f| f.impossible_values).sum();
    out.push(finding(
        "impossible_values",
        Severity::Warning,
        format!(
            "{} left out of otherwise successful runs: a negative value, or a time or \
             throughput of exactly zero, is what a script writes when it did not measure \
             something; the runs' other values are kept",
            plural(count as usize, "value was", "values were")
        ),
        with.iter().map(|f| f.path.clone()),
    ));
}

fn mixed_units(files: &[Collected], out: &mut Vec<Finding>) {
    let mut by_metric: BTreeMap<MetricId, BTreeMap<Unit, BTreeSet<String>>> = BTreeMap::new();
    for file in files {
        for (metric, units) in &file.units {
            for unit in units.iter().filter(|u| **u != Unit::Computed) {
                by_metric
                    .entry(*metric)
                    .or_default()
                    .entry(unit.shown())
                    .or_default()
                    .insert(file.path.clone());
            }
        }
    }
    for (metric, units) in by_metric {
        if units.len() < 2 {
            continue;
        }
        let parts: Vec<String> = units
            .iter()
            .map(|(unit, paths)| {
                format!(
                    "{} ({})",
                    unit.label(),
                    plural(paths.len(), "file", "files")
                )
            })
            .collect();
        out.push(finding(
            "mixed_units",
            Severity::Warning,
            format!(
                "{} is written in {}; every value was converted to {}, but check that each \
                 column really holds the unit its name says",
                metric.id(),
                parts.join(", "),
                metric.unit()
            ),
            units.into_values().flatten(),
        ));
    }
}

fn assumed_units(files: &[Collected], out: &mut Vec<Finding>) {
    let with = |unit: Unit| -> Vec<String> {
        files
            .iter()
            .filter(|f| f.units.values().any(|u| u.contains(&unit)))
            .map(|f| f.path.clone())
            .collect()
    };
    let millis = with(Unit::AssumedMillis);
    let seconds = with(Unit::AssumedSeconds);
    let mut reasons = Vec::new();
    if !millis.is_empty() {
        reasons.push(format!(
            "{} a duration (such as a bare TTFT column) with no unit in its name or values; \
             it was read as milliseconds",
            plural(millis.len(), "file gives", "files give")
        ));
    }
    if !seconds.is_empty() {
        reasons.push(format!(
            "{} one of Ollama's nanosecond fields (such as total_duration) with values that \
             cannot be nanoseconds (fractions, or below 1,000); they were read as seconds",
            plural(seconds.len(), "file gives", "files give")
        ));
    }
    if reasons.is_empty() {
        return;
    }
    out.push(finding(
        "assumed_units",
        Severity::Warning,
        reasons.join("; "),
        millis.into_iter().chain(seconds),
    ));
}

fn mixed_timestamps(files: &[Collected], out: &mut Vec<Finding>) {
    let mut by_format: BTreeMap<TimestampFormat, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        for format in &file.timestamp_formats {
            by_format
                .entry(*format)
                .or_default()
                .insert(file.path.clone());
        }
    }
    if by_format.len() < 2 {
        return;
    }
    let parts: Vec<String> = by_format
        .iter()
        .map(|(format, paths)| {
            format!(
                "{} ({})",
                format.label(),
                plural(paths.len(), "file", "files")
            )
        })
        .collect();
    let zoneless = by_format.keys().any(|f| {
        matches!(
            f,
            TimestampFormat::IsoWithoutZone
                | TimestampFormat::SpaceSeparated
                | TimestampFormat::SlashDate
        )
    });
    out.push(finding(
        "mixed_timestamp_formats",
        Severity::Warning,
        format!(
            "timestamps are written in {} formats: {}{}",
            by_format.len(),
            parts.join(", "),
            if zoneless {
                "; times without a zone cannot be ordered safely against the others"
            } else {
                ""
            }
        ),
        by_format.into_values().flatten(),
    ));
}

/// TODO: this compares modification times only. The timestamps inside the
/// files are classified by format but not parsed into instants, so a fresh
/// copy of months-old measurements is not caught.
fn stale(files: &[Collected], context: &Context<'_>, out: &mut Vec<Finding>) {
    let dated: Vec<(&str, Modified)> = files
        .iter()
        .filter(|f| f.metrics.as_ref().is_some_and(|m| m.duplicate_of.is_none()))
        .filter_map(|f| Some((f.path.as_str(), *context.modified.get(&f.path)?)))
        .collect();
    let Some((newest_path, newest)) = dated
        .iter()
        .max_by(|a, b| a.1.unix_seconds.cmp(&b.1.unix_seconds).then(b.0.cmp(a.0)))
        .copied()
    else {
        return;
    };
    let limit = newest.unix_seconds - STALE_DAYS * 86_400;
    let old: Vec<(&str, Modified)> = dated
        .iter()
        .filter(|(_, at)| at.unix_seconds < limit)
        .copied()
        .collect();
    let Some(oldest) = old.iter().min_by_key(|(_, at)| at.unix_seconds) else {
        return;
    };
    let days = (newest.unix_seconds - oldest.1.unix_seconds) / 86_400;
    out.push(finding(
        "stale_data",
        Severity::Info,
        format!(
            "{} last modified more than {STALE_DAYS} days before the newest data file \
             ({newest_path}, {}); the oldest is {days} days older",
            plural(old.len(), "data file was", "data files were"),
            newest.to_iso()
        ),
        old.iter().map(|(path, _)| (*path).to_owned()),
    ));
}

fn environment(metrics: &Metrics, out: &mut Vec<Finding>) {
    let found: Vec<EnvKind> = EnvKind::ALL
        .into_iter()
        .filter(|k| metrics.environment.contains_key(k))
        .collect();
    let missing: Vec<&str> = EnvKind::ALL
        .into_iter()
        .filter(|k| !found.contains(k))
        .map(EnvKind::label)
        .collect();
    if found.is_empty() {
        out.push(finding(
            "no_environment_data",
            Severity::Warning,
            String::from(
                "no file records the GPU, the driver version or the Ollama version, so the \
                 results cannot be tied to a machine or reproduced",
            ),
            [],
        ));
    } else if !missing.is_empty() {
        let stated: Vec<String> = metrics
            .environment
            .values()
            .flatten()
            .map(|v| v.file.clone())
            .collect();
        let found_labels: Vec<&str> = found.iter().map(|k| k.label()).collect();
        out.push(finding(
            "incomplete_environment",
            Severity::Info,
            format!(
                "the {} {} recorded (in the files listed), but no file records the {}",
                found_labels.join(" and "),
                if found.len() == 1 { "is" } else { "are" },
                missing.join(" or the ")
            ),
            stated,
        ));
    }
}

fn duplicates_and_derived(files: &[Collected], metrics: &Metrics, out: &mut Vec<Finding>) {
    let duplicates: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let metrics = f.metrics.as_ref()?;
            let original = metrics.duplicate_of.as_ref()?;
            Some(format!("{} (same runs as {original})", f.path))
        })
        .collect();
    if !duplicates.is_empty() {
        let paths = files
            .iter()
            .filter(|f| f.metrics.as_ref().is_some_and(|m| m.duplicate_of.is_some()))
            .map(|f| f.path.clone());
        out.push(finding(
            "duplicate_data",
            Severity::Info,
            format!(
                "{} the same runs as another file, and {} counted once: {}",
                plural(duplicates.len(), "file holds", "files hold"),
                if duplicates.len() == 1 { "is" } else { "are" },
                duplicates
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            paths,
        ));
    }
    // Reports (Markdown, or console text laid out as a document) quote
    // figures rather than sum runs up; and with no runs at all, the
    // summaries are what is compared (see `summaries_only`).
    let derived: Vec<String> = files
        .iter()
        .filter(|f| {
            f.metrics.as_ref().is_some_and(|m| {
                m.derived
                    && f.format != FileType::Md
                    && !m
                        .derived_reason
                        .as_deref()
                        .is_some_and(|reason| reason.starts_with("a report"))
            })
        })
        .map(|f| f.path.clone())
        .collect();
    if !derived.is_empty() && !metrics.from_summaries {
        out.push(finding(
            "derived_summaries",
            Severity::Info,
            format!(
                "{} summaries of other runs (means, or named summary); their values are shown \
                 per file but not counted as runs",
                plural(derived.len(), "file is", "files are")
            ),
            derived,
        ));
    }
}

fn models_from_paths(files: &[Collected], out: &mut Vec<Finding>) {
    let named: Vec<(&str, &str)> = files
        .iter()
        .filter_map(|file| {
            let model = file.metrics.as_deref()?.model_from_path.as_deref()?;
            Some((file.path.as_str(), model))
        })
        .collect();
    let Some((first, model)) = named.first() else {
        return;
    };
    out.push(finding(
        "model_from_path",
        Severity::Info,
        format!(
            "{} no model for {} runs, so {} given the model {} path names (first: {first} as \
             {model}); check that the path says which model ran",
            plural(named.len(), "file names", "files name"),
            if named.len() == 1 { "its" } else { "their" },
            if named.len() == 1 {
                "it was"
            } else {
                "each was"
            },
            if named.len() == 1 { "its" } else { "its own" },
        ),
        named.iter().map(|(path, _)| (*path).to_owned()),
    ));
}

fn summaries_only(files: &[Collected], metrics: &Metrics, out: &mut Vec<Finding>) {
    if !metrics.from_summaries {
        return;
    }
    let compared: Vec<String> = files
        .iter()
        .filter(|file| file.metrics.as_ref().is_some_and(|m| m.runs > 0))
        .map(|file| file.path.clone())
        .collect();
    out.push(finding(
        "summaries_only",
        Severity::Warning,
        format!(
            "no file holds single runs, so the configurations compare the figures stated in {} \
             (each row or line counted as one run): a spread between them is not the noise \
             of repeated runs, and the raw runs would say more",
            plural(compared.len(), "summary or report", "summaries or reports")
        ),
        compared,
    ));
}

fn small_samples(metrics: &Metrics, out: &mut Vec<Finding>) {
    let small: Vec<&super::Configuration> = metrics
        .configurations
        .iter()
        .filter(|c| c.runs > 0 && c.runs < super::stats::SMALL_SAMPLE)
        .collect();
    if small.is_empty() {
        return;
    }
    let with_runs = metrics.configurations.iter().filter(|c| c.runs > 0).count();
    out.push(finding(
        "small_samples",
        Severity::Info,
        format!(
            "{} of {with_runs} configurations with successful runs have fewer than 3, so \
             their spread, and any comparison resting on them, means little",
            small.len()
        ),
        small.iter().flat_map(|c| c.files.iter().cloned()),
    ));
}

fn truncated(files: &[Collected], out: &mut Vec<Finding>) {
    let cut: Vec<String> = files
        .iter()
        .filter(|f| f.truncated || f.metrics.as_ref().is_some_and(|m| m.skipped_records > 0))
        .map(|f| f.path.clone())
        .collect();
    if cut.is_empty() {
        return;
    }
    out.push(finding(
        "metrics_truncated",
        Severity::Warning,
        format!(
            "{} more values than Chimera keeps in memory; the excess was counted but not \
             used in the per-configuration statistics",
            plural(cut.len(), "file holds", "files hold")
        ),
        cut,
    ));
}
