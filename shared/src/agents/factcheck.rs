//! Checks the numbers a model states about the data against the inventory:
//! file counts per type, the total, folder presence and latest dates. Each
//! claim found is reported, right or wrong, beside the quoted words.

use serde::{Deserialize, Serialize};

use crate::classify::{EXPECTED_FOLDERS, FileType};
use crate::inventory::Inventory;

/// What a claim is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    Count,
    Folder,
    Date,
    /// A TTFT or throughput figure.
    Metric,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub kind: ClaimKind,
    /// The words of the model's text that make the claim.
    pub quote: String,
    /// What the claim is about, e.g. "Markdown files".
    pub subject: String,
    pub stated: String,
    pub actual: String,
    pub correct: bool,
}

impl Claim {
    /// "wrote 104 Markdown files; the inventory has 29".
    pub fn explain(&self) -> String {
        let (quote, stated, subject, actual) =
            (&self.quote, &self.stated, &self.subject, &self.actual);
        match (self.kind, self.correct) {
            (ClaimKind::Count, true) => {
                format!("\"{quote}\": {stated} {subject}, as in the inventory")
            }
            (ClaimKind::Count, false) => {
                format!("\"{quote}\": wrote {stated} {subject}; the inventory has {actual}")
            }
            (ClaimKind::Folder, true) => {
                format!("\"{quote}\": {subject} is {stated}, as in the inventory")
            }
            (ClaimKind::Folder, false) => {
                format!("\"{quote}\": says {subject} is {stated}; the inventory has it {actual}")
            }
            (ClaimKind::Date, true) => {
                format!("\"{quote}\": {stated} is a latest modified date in the inventory")
            }
            (ClaimKind::Date, false) => format!(
                "\"{quote}\": wrote {stated}; the inventory's latest modified dates are {actual}"
            ),
            (ClaimKind::Metric, true) => {
                format!("\"{quote}\": {stated} {subject} appears in the data")
            }
            (ClaimKind::Metric, false) => {
                format!("\"{quote}\": wrote {stated} {subject}; {actual}")
            }
        }
    }
}

/// Finds checkable claims in `text` and checks each one.
pub fn check(text: &str, inventory: &Inventory) -> Vec<Claim> {
    let mut claims = Vec::new();
    for sentence in sentences(text) {
        let words = words(sentence);
        count_claims(sentence, &words, inventory, &mut claims);
        folder_claims(sentence, &words, inventory, &mut claims);
        date_claims(sentence, inventory, &mut claims);
        metric_claims(sentence, &words, inventory, &mut claims);
    }
    claims.dedup_by(|a, b| a.subject == b.subject && a.stated == b.stated && a.quote == b.quote);
    claims
}

#[derive(Debug, Clone, PartialEq)]
struct Word<'a> {
    text: &'a str,
    lower: String,
    /// The word ends a clause (a comma, semicolon or full stop follows it).
    ends_clause: bool,
}

fn words(sentence: &str) -> Vec<Word<'_>> {
    sentence
        .split(|c: char| c.is_whitespace() || c == '*' || c == '|')
        .filter_map(|raw| {
            let ends_clause = raw
                .trim_end_matches([')', '"', '`'])
                .ends_with([',', ';', '.']);
            let text = raw.trim_matches(|c: char| {
                matches!(
                    c,
                    ',' | ':' | ';' | '(' | ')' | '[' | ']' | '`' | '"' | '\'' | '.'
                )
            });
            (!text.is_empty()).then(|| Word {
                text,
                lower: text.to_lowercase(),
                ends_clause,
            })
        })
        .collect()
}

fn sentences(text: &str) -> impl Iterator<Item = &str> {
    // Lines first (lists and tables are line-based), then sentence ends.
    text.lines()
        .flat_map(|line| line.split(". "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn number(word: &Word<'_>) -> Option<u64> {
    let digits: String = word.text.chars().filter(|c| *c != ',').collect();
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

fn type_of(word: &Word<'_>) -> Option<FileType> {
    match word.lower.as_str() {
        "csv" | "csvs" => Some(FileType::Csv),
        "json" | "jsons" => Some(FileType::Json),
        "markdown" | "md" | ".md" => Some(FileType::Md),
        _ => None,
    }
}

fn is_files(word: &Word<'_>) -> bool {
    matches!(word.lower.as_str(), "file" | "files")
}

fn type_name(file_type: FileType) -> &'static str {
    match file_type {
        FileType::Csv => "CSV files",
        FileType::Json => "JSON files",
        FileType::Md => "Markdown files",
        FileType::Other => "other files",
    }
}

fn count_claims(
    sentence: &str,
    words: &[Word<'_>],
    inventory: &Inventory,
    claims: &mut Vec<Claim>,
) {
    for (i, word) in words.iter().enumerate() {
        let Some(n) = number(word) else { continue };
        // Skip years and other numbers that are part of dates or versions.
        if (1900..2200).contains(&n) && words.get(i + 1).is_some_and(|w| w.text.starts_with('-')) {
            continue;
        }
        // "28 CSV files", "28 CSV"
        let after_type = words.get(i + 1).and_then(type_of);
        let after_files =
            words.get(i + 2).is_some_and(is_files) || words.get(i + 1).is_some_and(is_files);
        // "CSV files (28)", "CSV Files: 28", "JSON: 44 files"; never across a comma.
        let joined = |j: usize| !words[j].ends_clause;
        let before_type = match i {
            0 => None,
            1 => type_of(&words[0]).filter(|_| joined(0)),
            _ if is_files(&words[i - 1]) && joined(i - 1) && joined(i - 2) => {
                type_of(&words[i - 2])
            }
            _ => type_of(&words[i - 1]).filter(|_| joined(i - 1)),
        };
        let before_files = i >= 1 && is_files(&words[i - 1]);
        let file_type = match (after_type, before_type) {
            (Some(t), _) if after_files || words.get(i + 2).is_none() => Some(t),
            (None, Some(t)) if before_files || words.get(i + 1).is_some_and(is_files) => Some(t),
            _ => None,
        };
        if let Some(file_type) = file_type {
            let actual = inventory.by_type.get(file_type).count;
            claims.push(Claim {
                kind: ClaimKind::Count,
                quote: clip(sentence),
                subject: type_name(file_type).into(),
                stated: n.to_string(),
                actual: actual.to_string(),
                correct: n == actual,
            });
            continue;
        }
        // A total: "107 files" or "Files analyzed: 101" / "total of 107 files".
        let total_after = words.get(i + 1).is_some_and(is_files)
            && words
                .get(i.wrapping_sub(1))
                .is_none_or(|w| type_of(w).is_none());
        let total_before = i >= 2
            && is_files(&words[i - 2])
            && matches!(
                words[i - 1].lower.as_str(),
                "analyzed" | "analysed" | "total"
            );
        if total_after || total_before {
            let all = inventory.files;
            let data = inventory.by_type.csv.count
                + inventory.by_type.json.count
                + inventory.by_type.md.count;
            let correct = n == all || n == data;
            claims.push(Claim {
                kind: ClaimKind::Count,
                quote: clip(sentence),
                subject: "files in total".into(),
                stated: n.to_string(),
                actual: if all == data {
                    all.to_string()
                } else {
                    format!("{all} ({data} CSV, JSON and Markdown)")
                },
                correct,
            });
        }
    }
}

fn folder_claims(
    sentence: &str,
    words: &[Word<'_>],
    inventory: &Inventory,
    claims: &mut Vec<Claim>,
) {
    let lower = sentence.to_lowercase();
    for (name, dir) in inventory.directories.expected() {
        let slash = format!("{name}/");
        let Some(at) = lower.find(&slash) else {
            continue;
        };
        // The rest of the clause about this folder.
        let tail: String = lower[at + slash.len()..].chars().take(60).collect();
        let says_missing = [
            "missing",
            "absent",
            "not present",
            "no files",
            "does not exist",
            "not found",
        ]
        .iter()
        .any(|w| tail.contains(w));
        let says_present = !says_missing
            && ["present", "contains", "holds", "exists", " files"]
                .iter()
                .any(|w| tail.contains(w));
        if says_missing || says_present {
            claims.push(Claim {
                kind: ClaimKind::Folder,
                quote: clip(sentence),
                subject: slash.clone(),
                stated: if says_missing {
                    "missing".into()
                } else {
                    "present".into()
                },
                actual: if dir.present {
                    format!("present with {} files", dir.files)
                } else {
                    "missing".into()
                },
                correct: says_missing != dir.present,
            });
        }
        // "reports/ (89 files)" or "reports/: 89 files"
        let after = &words[words
            .iter()
            .position(|w| w.lower.starts_with(&slash) || w.lower == name)
            .unwrap_or(words.len())
            .min(words.len())..];
        if let (Some(n), true) = (
            after.get(1).and_then(number),
            after.get(2).is_some_and(is_files),
        ) {
            claims.push(Claim {
                kind: ClaimKind::Count,
                quote: clip(sentence),
                subject: format!("files in {slash}"),
                stated: n.to_string(),
                actual: dir.files.to_string(),
                correct: n == dir.files,
            });
        }
    }
    let _ = EXPECTED_FOLDERS;
}

fn date_claims(sentence: &str, inventory: &Inventory, claims: &mut Vec<Claim>) {
    let lower = sentence.to_lowercase();
    if !["latest", "most recent", "last modified", "newest"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return;
    }
    let latest: Vec<String> = FileType::ALL
        .iter()
        .filter_map(|t| inventory.by_type.get(*t).latest_modified.clone())
        .map(|at| at[..at.len().min(10)].to_owned())
        .collect();
    for date in iso_dates(sentence) {
        claims.push(Claim {
            kind: ClaimKind::Date,
            quote: clip(sentence),
            subject: "latest modified date".into(),
            stated: date.clone(),
            actual: dedup(latest.clone()).join(" / "),
            correct: latest.contains(&date),
        });
    }
}

/// A decimal number at the start of a word, its decimals, and what follows it.
fn decimal_prefix(text: &str) -> Option<(f64, usize, &str)> {
    let end = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == ','))
        .map_or(text.len(), |(i, _)| i);
    let digits: String = text[..end].chars().filter(|c| *c != ',').collect();
    let digits = digits.trim_end_matches('.');
    if digits.is_empty() || !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let value: f64 = digits.parse().ok()?;
    let decimals = digits.split_once('.').map_or(0, |(_, d)| d.len());
    Some((value, decimals, &text[end..]))
}

/// TTFT and throughput figures a model states, checked against every value
/// the metric extraction found (per-file and per-configuration statistics
/// and the individual values).
fn metric_claims(
    sentence: &str,
    words: &[Word<'_>],
    inventory: &Inventory,
    claims: &mut Vec<Claim>,
) {
    use crate::metrics::names::MetricId;
    let lower = sentence.to_lowercase();
    let about_ttft = lower.contains("ttft") || lower.contains("first token");
    for (i, word) in words.iter().enumerate() {
        let Some((value, decimals, attached)) = decimal_prefix(word.text) else {
            continue;
        };
        let unit = if attached.is_empty() {
            words.get(i + 1).map(|w| w.lower.as_str()).unwrap_or("")
        } else {
            attached
        };
        let unit = unit.to_lowercase();
        let tokens_per_second = matches!(
            unit.as_str(),
            "tok/s" | "tokens/s" | "tokens/sec" | "tok/sec" | "t/s"
        ) || (unit == "tokens"
            && words.get(i + 2).is_some_and(|w| w.lower == "per")
            && words.get(i + 3).is_some_and(|w| w.lower.starts_with("sec")));
        let (metric, in_ms, unit_label) = if tokens_per_second {
            (MetricId::TokensPerSecond, value, "tok/s")
        } else if about_ttft && matches!(unit.as_str(), "ms" | "milliseconds") {
            (MetricId::TtftMs, value, "ms TTFT")
        } else if about_ttft && matches!(unit.as_str(), "s" | "sec" | "seconds") {
            (MetricId::TtftMs, value * 1000.0, "s TTFT")
        } else {
            continue;
        };
        let known = known_values(inventory, metric);
        let scale = if unit_label == "s TTFT" { 1000.0 } else { 1.0 };
        let rounding = 0.5 * 10f64.powi(-(decimals as i32)) * scale;
        let found = known
            .iter()
            .any(|k| (k - in_ms).abs() <= rounding.max(k.abs() * 0.005));
        let actual = match (
            known.iter().copied().reduce(f64::min),
            known.iter().copied().reduce(f64::max),
        ) {
            (Some(low), Some(high)) => {
                let unit = if metric == MetricId::TtftMs {
                    "ms"
                } else {
                    "tok/s"
                };
                format!(
                    "no file or configuration in the data has that value ({} values range from {low:.2} to {high:.2} {unit})",
                    metric.id()
                )
            }
            _ => format!("the data has no {} values at all", metric.id()),
        };
        claims.push(Claim {
            kind: ClaimKind::Metric,
            quote: clip(sentence),
            subject: unit_label.into(),
            stated: format!("{value:.decimals$}"),
            actual,
            correct: found,
        });
    }
}

fn known_values(inventory: &Inventory, metric: crate::metrics::names::MetricId) -> Vec<f64> {
    let metrics = &inventory.metrics;
    let mut values = Vec::new();
    let mut summary =
        |s: &crate::metrics::stats::Summary| values.extend([s.mean, s.median, s.min, s.max, s.p95]);
    for configuration in &metrics.configurations {
        if let Some(s) = configuration.stats.get(&metric) {
            summary(s);
        }
    }
    for file in &metrics.files {
        if let Some(series) = file.series.get(&metric) {
            summary(&series.summary);
        }
    }
    for file in &metrics.files {
        if let Some(points) = file.reported.get(&metric) {
            values.extend(points.iter().map(|p| p.value));
        }
    }
    for distribution in metrics.distributions.iter().filter(|d| d.metric == metric) {
        values.extend(distribution.values.iter().map(|p| p.value));
    }
    for best in metrics.best.iter().filter(|b| b.metric == metric) {
        values.extend([best.winner.mean, best.runner_up.mean]);
    }
    values
}

fn iso_dates(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut dates = Vec::new();
    let mut i = 0;
    while i + 10 <= bytes.len() {
        let candidate = &bytes[i..i + 10];
        let shape = candidate.iter().enumerate().all(|(k, b)| {
            if k == 4 || k == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
        let bounded = (i == 0 || !bytes[i - 1].is_ascii_digit())
            && bytes.get(i + 10).is_none_or(|b| !b.is_ascii_digit());
        if shape && bounded {
            dates.push(String::from_utf8_lossy(candidate).into_owned());
            i += 10;
        } else {
            i += 1;
        }
    }
    dates
}

fn dedup(mut list: Vec<String>) -> Vec<String> {
    list.sort();
    list.dedup();
    list
}

fn clip(sentence: &str) -> String {
    let trimmed = sentence
        .trim()
        .trim_start_matches(['-', '*', ' '])
        .trim()
        .trim_end_matches('.');
    if trimmed.chars().count() > 140 {
        trimmed.chars().take(140).collect::<String>() + "…"
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Content, InventoryBuilder};
    use crate::timestamp::{Modified, TimeSource};

    /// 28 CSV, 44 JSON, 29 Markdown files, as in the example folder.
    fn inventory() -> Inventory {
        let mut builder = InventoryBuilder::new("x.zip", None);
        let at = Some(Modified::exact(
            1_763_146_410,
            TimeSource::ExtendedTimestamp,
        )); // 2025-11-14
        for i in 0..28 {
            builder.add_file(&format!("reports/{i}.csv"), 1, at, Content::Verified);
        }
        for i in 0..44 {
            builder.add_file(&format!("reports/{i}.json"), 1, at, Content::Verified);
        }
        for i in 0..29 {
            builder.add_file(&format!("csv_data/{i}.md"), 1, at, Content::Verified);
        }
        builder.finish()
    }

    fn wrong(claims: &[Claim]) -> Vec<String> {
        claims
            .iter()
            .filter(|c| !c.correct)
            .map(Claim::explain)
            .collect()
    }

    #[test]
    fn invented_counts_are_flagged_with_the_real_ones() {
        let text = "*   **CSV Files (28):** Primarily gemma3.\n*   **JSON Files (47):** profiling data.\n*   **Markdown Files (104):** reports.";
        let claims = check(text, &inventory());
        assert_eq!(claims.len(), 3, "{claims:?}");
        assert!(claims[0].correct);
        let wrong = wrong(&claims);
        assert_eq!(wrong.len(), 2);
        assert!(
            wrong[0].contains("wrote 47 JSON files; the inventory has 44"),
            "{wrong:?}"
        );
        assert!(
            wrong[1].contains("wrote 104 Markdown files; the inventory has 29"),
            "{wrong:?}"
        );
    }

    #[test]
    fn right_counts_in_running_text_are_not_flagged() {
        let text = "The folder holds 28 CSV files, 44 JSON files and 29 Markdown files, 101 files in total.";
        let claims = check(text, &inventory());
        assert_eq!(claims.iter().filter(|c| c.correct).count(), 4, "{claims:?}");
        assert!(wrong(&claims).is_empty());
    }

    #[test]
    fn folder_presence_is_checked() {
        let claims = check(
            "- artifacts/ is missing.\n- csv_data/ is missing entirely.",
            &inventory(),
        );
        assert_eq!(claims.len(), 2);
        assert!(claims[0].correct);
        assert!(!claims[1].correct);
        assert_eq!(claims[1].actual, "present with 29 files");
    }

    #[test]
    fn latest_dates_are_checked() {
        let claims = check(
            "Latest modified: 2025-11-14 18:53:30 UTC. The newest file is from 2025-12-01.",
            &inventory(),
        );
        assert_eq!(claims.len(), 2, "{claims:?}");
        assert!(claims[0].correct);
        assert!(!claims[1].correct);
    }

    fn with_metrics() -> Inventory {
        let mut builder = InventoryBuilder::new("x.zip", None);
        let csv = b"model,ttft_ms,tokens_per_second\nllama3,120.5,41.2\nllama3,118,40.9\n";
        builder.add_file(
            "reports/runs.csv",
            csv.len() as u64,
            None,
            Content::Bytes(csv),
        );
        builder.finish()
    }

    #[test]
    fn metric_figures_in_the_data_are_confirmed() {
        let claims = check(
            "Mean TTFT was 119.25 ms, and throughput reached 41.2 tok/s. TTFT peaked at 0.12 s.",
            &with_metrics(),
        );
        assert_eq!(claims.len(), 3, "{claims:?}");
        assert!(claims.iter().all(|c| c.correct), "{claims:?}");
    }

    #[test]
    fn invented_metric_figures_are_flagged() {
        let claims = check(
            "- TTFT: 551.66 ms\n- Throughput: 39.57 tok/s",
            &with_metrics(),
        );
        assert_eq!(claims.len(), 2, "{claims:?}");
        let wrong = wrong(&claims);
        assert!(wrong[0].contains("wrote 551.66 ms TTFT; no file or configuration in the data has that value (ttft_ms values range from 118.00 to 120.50 ms)"), "{wrong:?}");
        assert!(wrong[1].contains("wrote 39.57 tok/s"), "{wrong:?}");
    }

    #[test]
    fn unrelated_numbers_are_not_claims() {
        let claims = check(
            "Use num_gpu 80 and num_ctx 2048 from 2025-10 on, with 3 retries.",
            &inventory(),
        );
        assert!(claims.is_empty(), "{claims:?}");
    }
}
