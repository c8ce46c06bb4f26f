//! Tests of the collector: files in, cross-file statistics and findings out,
//! through the same [`InventoryBuilder`] the zip reader and the page use.

use super::*;
use crate::inventory::{Content, Inventory, InventoryBuilder};
use crate::timestamp::{Modified, TimeSource};

fn inventory(files: &[(&str, &str)]) -> Inventory {
    let mut builder = InventoryBuilder::new("t.zip", None);
    for (path, text) in files {
        builder.add_file(
            path,
            text.len() as u64,
            None,
            Content::Bytes(text.as_bytes()),
        );
    }
    builder.finish()
}

fn kinds(inventory: &Inventory) -> Vec<&str> {
    inventory.findings.iter().map(|f| f.kind.as_str()).collect()
}

fn finding<'a>(inventory: &'a Inventory, kind: &str) -> &'a Finding {
    inventory
        .findings
        .iter()
        .find(|f| f.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} finding in {:?}", kinds(inventory)))
}

fn configuration<'a>(inventory: &'a Inventory, label: &str) -> &'a Configuration {
    inventory
        .metrics
        .configurations
        .iter()
        .find(|c| c.label == label)
        .unwrap_or_else(|| {
            let labels: Vec<_> = inventory
                .metrics
                .configurations
                .iter()
                .map(|c| &c.label)
                .collect();
            panic!("no configuration {label} in {labels:?}")
        })
}

/// Five runs per configuration, throughput around `centre` with a spread of
/// about `spread`.
fn sweep(model: &str, centre: f64, spread: f64) -> String {
    let mut text = String::from("model,num_gpu,num_ctx,ttft_ms,tokens_s\n");
    for (i, offset) in [-2.0, -1.0, 0.0, 1.0, 2.0].iter().enumerate() {
        text.push_str(&format!(
            "{model},40,2048,{},{}\n",
            100 + i,
            centre + offset * spread
        ));
    }
    text
}

#[test]
fn runs_of_one_model_and_settings_pool_across_files() {
    let inventory = inventory(&[
        (
            "csv_data/a.csv",
            "model,temperature,ttft_s,tokens_s\nm,0.2,0.1,50\nm,0.2,0.3,52\n",
        ),
        (
            "csv_data/b.json",
            r#"{"model": "m", "options": {"temperature": 0.2}, "runs": [{"ttft_ms": 200, "tokens_s": 54}]}"#,
        ),
        (
            "csv_data/c.csv",
            "model,temperature,ttft_s,tokens_s\nm,0.8,0.1,60\n",
        ),
    ]);
    let pooled = configuration(&inventory, "m temperature=0.2");
    assert_eq!(pooled.runs, 3);
    assert_eq!(pooled.files, ["csv_data/a.csv", "csv_data/b.json"]);
    let ttft = &pooled.stats[&MetricId::TtftMs];
    assert_eq!((ttft.n, ttft.mean, ttft.median), (3, 200.0, 200.0));
    assert_eq!(pooled.stats[&MetricId::TokensPerSecond].mean, 52.0);
    assert_eq!(configuration(&inventory, "m temperature=0.8").runs, 1);
    assert_eq!(inventory.metrics.totals.runs, 4);
}

#[test]
fn runs_of_an_unknown_model_stay_within_their_file() {
    let inventory = inventory(&[
        ("reports/a/sweep.csv", "num_gpu,tokens_s\n40,100\n"),
        ("reports/b/sweep.csv", "num_gpu,tokens_s\n40,300\n"),
    ]);
    let labels: Vec<_> = inventory
        .metrics
        .configurations
        .iter()
        .map(|c| (c.label.as_str(), c.model.is_none(), c.scope.as_deref()))
        .collect();
    assert_eq!(
        labels,
        [
            (
                "[unknown model, reports/a/sweep.csv] num_gpu=40",
                true,
                Some("reports/a/sweep.csv")
            ),
            (
                "[unknown model, reports/b/sweep.csv] num_gpu=40",
                true,
                Some("reports/b/sweep.csv")
            ),
        ]
    );
}

#[test]
fn a_clear_lead_is_told_from_noise() {
    let inventory = inventory(&[
        ("csv_data/fast.csv", &sweep("fast", 120.0, 1.0)),
        ("csv_data/slow.csv", &sweep("slow", 100.0, 1.0)),
    ]);
    let best = inventory
        .metrics
        .best
        .iter()
        .find(|b| b.metric == MetricId::TokensPerSecond && b.within.is_none())
        .expect("a best by throughput");
    assert_eq!(best.winner.label, "fast num_gpu=40 num_ctx=2048");
    assert_eq!(best.runner_up.label, "slow num_gpu=40 num_ctx=2048");
    assert_eq!(best.margin, 20.0);
    assert_eq!(best.margin_pct, Some(20.0));
    // sd = 1.581139 each, se = 0.707107, combined 1.0, noise = 2.0
    assert_eq!(best.noise, Some(2.0));
    assert_eq!(best.exceeds_noise, Some(true));
    assert_eq!(best.judgement(), "a real lead");
}

#[test]
fn a_lead_smaller_than_the_spread_is_within_the_noise() {
    let inventory = inventory(&[
        ("csv_data/a.csv", &sweep("a", 101.0, 5.0)),
        ("csv_data/b.csv", &sweep("b", 100.0, 5.0)),
    ]);
    let best = inventory
        .metrics
        .best
        .iter()
        .find(|b| b.metric == MetricId::TokensPerSecond && b.within.is_none())
        .unwrap();
    assert_eq!(best.winner.label, "a num_gpu=40 num_ctx=2048");
    assert_eq!(best.exceeds_noise, Some(false));
    assert!(
        best.verdict.contains("cannot tell them apart"),
        "{}",
        best.verdict
    );
}

#[test]
fn single_runs_cannot_be_judged_against_noise() {
    let inventory = inventory(&[(
        "csv_data/a.csv",
        "model,num_gpu,ttft_ms\nm,40,100\nm,80,90\n",
    )]);
    let best = &inventory.metrics.best[0];
    assert_eq!(best.metric, MetricId::TtftMs);
    assert_eq!(best.goal, "lowest");
    assert_eq!(best.winner.label, "m num_gpu=80");
    assert_eq!(best.noise, None);
    assert_eq!(best.exceeds_noise, None);
    assert!(kinds(&inventory).contains(&"small_samples"));
}

#[test]
fn failed_rows_are_counted_not_averaged() {
    let inventory = inventory(&[(
        "reports/suite.csv",
        "model,ttft_s,tokens_s,error\n\
         m,0,0,Failed to connect to Ollama\n\
         m,0,0,\n\
         m,0.5,70,\n\
         m,0.7,72,\n",
    )]);
    let file = &inventory.metrics.files[0];
    assert_eq!((file.records, file.runs, file.failed), (4, 2, 2));
    assert_eq!(file.failures[0].at.line, Some(2));
    assert_eq!(file.failures[0].cause, FailureCause::ErrorField);
    assert_eq!(file.failures[1].cause, FailureCause::AllZero);
    assert_eq!(file.series[&MetricId::TtftMs].summary.mean, 600.0);
    let config = configuration(&inventory, "m");
    assert_eq!((config.runs, config.failed), (2, 2));
    assert!(
        finding(&inventory, "failed_runs")
            .reason
            .contains("Failed to connect")
    );
    assert_eq!(
        finding(&inventory, "zero_value_runs").files,
        ["reports/suite.csv"]
    );
}

#[test]
fn impossible_values_are_left_out_and_named() {
    let inventory = inventory(&[
        (
            "csv_data/runs.csv",
            "model,ttft_ms,tokens_s\nm,100,0\nm,110,50\nm,120,-4\n",
        ),
        ("csv_data/clean.csv", "model,ttft_ms,tokens_s\nm,90,40\n"),
    ]);
    let file = &inventory.metrics.files[1];
    assert_eq!(file.path, "csv_data/runs.csv");
    assert_eq!((file.runs, file.failed, file.impossible_values), (3, 0, 2));
    assert_eq!(file.series[&MetricId::TokensPerSecond].summary.n, 1);
    assert_eq!(file.series[&MetricId::TtftMs].summary.n, 3);
    let found = finding(&inventory, "impossible_values");
    assert_eq!(found.files, ["csv_data/runs.csv"]);
    assert!(
        found.reason.starts_with("2 values were left out"),
        "{}",
        found.reason
    );
}

#[test]
fn summaries_are_derived_and_not_counted_as_runs() {
    let inventory = inventory(&[
        (
            "csv_data/sweep.csv",
            "model,num_gpu,tokens_s\nm,40,77\nm,40,79\n",
        ),
        (
            "csv_data/sweep_summary.csv",
            "model,num_gpu,tokens_s\nm,40,78\n",
        ),
        (
            "csv_data/means.csv",
            "model,num_gpu,mean_tokens_s\nm,40,78\n",
        ),
    ]);
    assert_eq!(configuration(&inventory, "m num_gpu=40").runs, 2);
    let derived: Vec<_> = inventory
        .metrics
        .files
        .iter()
        .filter(|f| f.derived)
        .map(|f| (f.path.as_str(), f.runs))
        .collect();
    assert_eq!(
        derived,
        [("csv_data/means.csv", 0), ("csv_data/sweep_summary.csv", 0)]
    );
    assert!(inventory.metrics.files[0].series[&MetricId::TokensPerSecond].aggregate);
    assert_eq!(finding(&inventory, "derived_summaries").files.len(), 2);
}

#[test]
fn a_copy_in_another_format_is_counted_once_and_the_richer_one_kept() {
    let csv = "prompt,ttft_s,tokens_s\na,0.1,100\nb,0.2,101\nc,0.3,102\n";
    let json = r#"{"model": "gemma3", "results": [
        {"prompt": "a", "tokens_s": 100, "ttft_s": 0.1},
        {"prompt": "b", "tokens_s": 101, "ttft_s": 0.2},
        {"prompt": "c", "tokens_s": 102, "ttft_s": 0.3}]}"#;
    let inventory = inventory(&[
        ("reports/base.csv", csv),
        ("reports/base.json", json),
        ("csv_data/copy.csv", csv),
    ]);
    let duplicates: Vec<_> = inventory
        .metrics
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.duplicate_of.as_deref(), f.runs))
        .collect();
    assert_eq!(
        duplicates,
        [
            ("csv_data/copy.csv", Some("reports/base.json"), 0),
            ("reports/base.csv", Some("reports/base.json"), 0),
            ("reports/base.json", None, 3),
        ]
    );
    assert_eq!(inventory.metrics.totals.runs, 3);
    assert_eq!(configuration(&inventory, "gemma3").runs, 3);
}

#[test]
fn the_same_values_in_too_few_rows_are_not_called_copies() {
    let inventory = inventory(&[
        ("a.csv", "model,tokens_s\nm,100\n"),
        ("b.csv", "model,tokens_s\nm,100\n\n"),
    ]);
    assert!(
        inventory
            .metrics
            .files
            .iter()
            .all(|f| f.duplicate_of.is_none())
    );
    assert_eq!(configuration(&inventory, "m").runs, 2);
}

#[test]
fn provenance_leads_back_to_the_value() {
    let inventory = inventory(&[(
        "csv_data/r.json",
        r#"{"model": "m", "results": [{"ttft_s": 0.3}, {"ttft_s": 0.1}, {"ttft_s": 0.2}]}"#,
    )]);
    let series = &inventory.metrics.files[0].series[&MetricId::TtftMs];
    assert_eq!(series.sources, ["ttft_s"]);
    assert_eq!(series.units, ["s"]);
    assert_eq!(
        series.min_at.as_ref().unwrap().json_path.as_deref(),
        Some("results[1].ttft_s")
    );
    assert_eq!(
        series.max_at.as_ref().unwrap().json_path.as_deref(),
        Some("results[0].ttft_s")
    );
    let distribution = inventory
        .metrics
        .distributions
        .iter()
        .find(|d| d.metric == MetricId::TtftMs)
        .unwrap();
    let values: Vec<_> = distribution
        .values
        .iter()
        .map(|p| (p.value, p.file.as_str(), p.at.json_path.as_deref().unwrap()))
        .collect();
    assert_eq!(
        values,
        [
            (100.0, "csv_data/r.json", "results[1].ttft_s"),
            (200.0, "csv_data/r.json", "results[2].ttft_s"),
            (300.0, "csv_data/r.json", "results[0].ttft_s"),
        ]
    );
}

#[test]
fn a_large_distribution_is_sampled_evenly_and_keeps_its_extremes() {
    let mut text = String::from("model,ttft_ms\n");
    for i in 1..=1000 {
        text.push_str(&format!("m,{i}\n"));
    }
    let inventory = inventory(&[("csv_data/big.csv", &text)]);
    let distribution = &inventory.metrics.distributions[0];
    assert!(distribution.sampled);
    assert_eq!(distribution.summary.n, 1000);
    assert_eq!(distribution.values.len(), MAX_POINTS);
    assert_eq!(distribution.values[0].value, 1.0);
    assert_eq!(distribution.values[0].at.line, Some(2));
    assert_eq!(distribution.values[MAX_POINTS - 1].value, 1000.0);
    assert_eq!(
        distribution.values[MAX_POINTS - 1].at.column.as_deref(),
        Some("ttft_ms")
    );
}

#[test]
fn a_gpu_by_context_sweep_becomes_a_grid() {
    let inventory = inventory(&[(
        "csv_data/sweep.csv",
        "model,num_gpu,num_ctx,temperature,tokens_s,ttft_ms\n\
         m,999,1024,0.2,80,100\nm,999,1024,0.8,82,120\n\
         m,40,1024,0.2,70,200\nm,40,4096,0.2,60,300\n",
    )]);
    let grid = &inventory.metrics.grids[0];
    assert_eq!(grid.model.as_deref(), Some("m"));
    let cells: Vec<_> = grid
        .cells
        .iter()
        .map(|c| (c.num_gpu, c.num_ctx, c.runs, c.tokens_per_second, c.ttft_ms))
        .collect();
    assert_eq!(
        cells,
        [
            (40.0, 1024.0, 1, Some(70.0), Some(200.0)),
            (40.0, 4096.0, 1, Some(60.0), Some(300.0)),
            (999.0, 1024.0, 2, Some(81.0), Some(110.0)),
        ]
    );
}

#[test]
fn mixed_and_assumed_units_are_flagged() {
    let inventory = inventory(&[
        ("csv_data/a.csv", "model,ttft_s\nm,0.1\n"),
        ("csv_data/b.csv", "model,TTFT\nm,90\n"),
        ("reports/r.md", "- TTFT: 551.66 ms\n"),
    ]);
    let mixed = finding(&inventory, "mixed_units");
    assert!(
        mixed
            .reason
            .starts_with("ttft_ms is written in s (1 file), ms (1 file), ms (assumed) (1 file)"),
        "{}",
        mixed.reason
    );
    assert_eq!(
        mixed.files,
        ["csv_data/a.csv", "csv_data/b.csv", "reports/r.md"]
    );
    assert_eq!(
        finding(&inventory, "assumed_units").files,
        ["csv_data/b.csv"]
    );
}

#[test]
fn ollama_durations_that_cannot_be_nanoseconds_are_flagged_as_assumed_seconds() {
    let inventory = inventory(&[(
        "results/speed.json",
        r#"{"results": [
            {"model": "a", "total_duration": 44.43, "tokens_per_second": 27.0},
            {"model": "a", "total_duration": 41000000000, "tokens_per_second": 29.0}]}"#,
    )]);
    let a = configuration(&inventory, "a");
    let total = &a.stats[&MetricId::TotalMs];
    assert_eq!((total.min, total.max), (41_000.0, 44_430.0));
    let found = finding(&inventory, "assumed_units");
    assert_eq!(found.files, ["results/speed.json"]);
    assert!(found.reason.contains("read as seconds"), "{}", found.reason);
}

#[test]
fn missing_folders_environment_and_metrics_are_flagged() {
    let inventory = inventory(&[
        ("reports/kernels.csv", "ID,Kernel Name\n0,gemm\n"),
        ("reports/runs.csv", "model,tokens_s\nm,50\n"),
    ]);
    let missing: Vec<_> = inventory
        .findings
        .iter()
        .filter(|f| f.kind == "missing_folder")
        .map(|f| f.reason.as_str())
        .collect();
    assert_eq!(missing.len(), 2);
    assert!(missing[0].contains("csv_data/"));
    assert!(missing[1].contains("artifacts/"));
    assert_eq!(
        finding(&inventory, "csv_without_metrics").files,
        ["reports/kernels.csv"]
    );
    assert_eq!(
        finding(&inventory, "runs_without_ttft").files,
        ["reports/runs.csv"]
    );
    assert!(!kinds(&inventory).contains(&"runs_without_throughput"));
    assert_eq!(
        finding(&inventory, "no_environment_data").severity,
        Severity::Warning
    );
}

#[test]
fn partial_environment_names_what_is_missing() {
    let inventory = inventory(&[(
        "csv_data/env.json",
        r#"{"environment": {"gpu_name": "RTX 4080", "nvidia_driver": "581.29"}}"#,
    )]);
    let finding = finding(&inventory, "incomplete_environment");
    assert!(
        finding
            .reason
            .ends_with("no file records the Ollama version"),
        "{}",
        finding.reason
    );
    assert_eq!(
        inventory.metrics.environment[&EnvKind::Driver][0].value,
        "581.29"
    );
}

#[test]
fn mixed_timestamp_formats_are_flagged() {
    let inventory = inventory(&[
        ("a.csv", "timestamp,tokens_s\n2025-09-30T20:11:33,1\n"),
        (
            "b.json",
            r#"{"generated_at": "2025-10-02T19:12:04+00:00", "tokens_s": 2}"#,
        ),
    ]);
    let finding = finding(&inventory, "mixed_timestamp_formats");
    assert_eq!(finding.files, ["a.csv", "b.json"]);
    assert!(finding.reason.contains("cannot be ordered safely"));
}

#[test]
fn stale_files_are_judged_against_the_newest_not_the_clock() {
    let day = 86_400;
    let mut builder = InventoryBuilder::new("t.zip", None);
    for (path, days) in [("old.csv", 0), ("mid.csv", 150), ("new.csv", 200)] {
        let at = Modified::exact(1_700_000_000 + days * day, TimeSource::ExtendedTimestamp);
        let text = format!("model,tokens_s\nm,{}\n", days + 1);
        builder.add_file(path, 20, Some(at), Content::Bytes(text.as_bytes()));
    }
    let inventory = builder.finish();
    let finding = finding(&inventory, "stale_data");
    assert_eq!(finding.files, ["old.csv"]);
    assert!(finding.reason.contains("new.csv"), "{}", finding.reason);
    assert!(finding.reason.contains("200 days"), "{}", finding.reason);
}

#[test]
fn a_utf16_csv_is_read_and_still_reported() {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "model,ttft_ms\r\nm,120\r\n".encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let mut builder = InventoryBuilder::new("t.zip", None);
    builder.add_file(
        "csv_data/win.csv",
        bytes.len() as u64,
        None,
        Content::Bytes(&bytes),
    );
    let inventory = builder.finish();
    assert_eq!(inventory.problems[0].kind, "not_utf8");
    assert_eq!(
        inventory.metrics.files[0].series[&MetricId::TtftMs]
            .summary
            .mean,
        120.0
    );
    assert_eq!(
        finding(&inventory, "not_what_extension_says").files,
        ["csv_data/win.csv"]
    );
}

#[test]
fn a_latin1_csv_is_read() {
    let bytes = b"model,tokens_s,note\nm,50,caf\xE9\n";
    let mut builder = InventoryBuilder::new("t.zip", None);
    builder.add_file("a.csv", bytes.len() as u64, None, Content::Bytes(bytes));
    let inventory = builder.finish();
    assert_eq!(inventory.metrics.totals.runs, 1);
}

#[test]
fn one_broken_file_does_not_disturb_the_others() {
    let inventory = inventory(&[
        ("a.json", "{\"ttft_ms\": [1, "),
        ("b.csv", "model,ttft_ms\nm,\"unterminated\n"),
        ("c.csv", "model,ttft_ms\nm,100\nm,x\nm,\n"),
        ("d.md", "- TTFT: \u{2192} ms\n"),
    ]);
    let files: Vec<_> = inventory
        .metrics
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.runs))
        .collect();
    assert_eq!(files, [("c.csv", 1)]);
}

#[test]
fn files_added_in_any_order_give_the_same_metrics() {
    let files = [
        (
            "csv_data/a.csv",
            "model,ttft_s,tokens_s\nm,0.1,50\nm,0.3,52\nm,0.2,51\n",
        ),
        (
            "reports/b.json",
            r#"{"model": "m", "results": [{"ttft_ms": 150, "tokens_s": 49}]}"#,
        ),
        ("reports/c.md", "- Throughput: 39.57 tok/s\n"),
        (
            "csv_data/d.csv",
            "model,ttft_s,tokens_s\nm,0.1,50\nm,0.3,52\nm,0.2,51\n",
        ),
    ];
    let forward = inventory(&files);
    let mut reversed = files;
    reversed.reverse();
    let backward = inventory(&reversed);
    assert_eq!(forward.metrics, backward.metrics);
    assert_eq!(forward.findings, backward.findings);
}

#[test]
fn extract_file_summarises_one_file_on_its_own() {
    let metrics = extract_file(
        "x.csv",
        FileType::Csv,
        b"eval_count,eval_duration\n290,4709213000\n",
    )
    .unwrap();
    let rate = &metrics.series[&MetricId::TokensPerSecond];
    assert_eq!(rate.units, ["computed"]);
    assert_eq!(rate.summary.mean, 61.581415);
    assert_eq!(metrics.series[&MetricId::EvalMs].summary.mean, 4709.213);
    assert!(extract_file("x.bin", FileType::Other, b"ttft_ms\n1\n").is_none());
}

#[test]
fn a_large_folder_gets_brief_file_entries() {
    let texts: Vec<(String, String)> = (0..=DETAILED_FILES)
        .map(|i| {
            (
                format!("csv_data/run_{i:04}.csv"),
                format!(
                    "model,num_gpu,ttft_ms,tokens_s,load_ms\nm,{},{},50,9\n",
                    i % 3,
                    i + 1
                ),
            )
        })
        .collect();
    let mut files: Vec<(&str, &str)> = texts
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    // Read after the entries became brief: the lint still sees what it lacks.
    files.push(("csv_data/zz_no_ttft.csv", "model,tokens_s\nm,40\n"));
    let inventory = inventory(&files);
    assert_eq!(inventory.metrics.file_detail, FileDetail::Brief);
    let lacking = inventory
        .findings
        .iter()
        .find(|f| f.kind == "runs_without_ttft")
        .expect("a finding for the file without TTFT");
    assert_eq!(lacking.files, ["csv_data/zz_no_ttft.csv"]);
    let first = &inventory.metrics.files[0];
    let kept: Vec<_> = first.series.keys().copied().collect();
    assert_eq!(kept, [MetricId::TtftMs, MetricId::TokensPerSecond]);
    assert!(first.series[&MetricId::TtftMs].min_at.is_none());
    assert!(first.settings.is_empty());
    // The cross-file view is complete, with its file lists cut short.
    let config = configuration(&inventory, "m num_gpu=0");
    assert_eq!(config.runs, 334);
    assert_eq!(config.stats[&MetricId::LoadMs].n, 334);
    assert_eq!(config.files.len(), GROUP_FILES_SHOWN);
    assert_eq!(config.more_files, 334 - GROUP_FILES_SHOWN as u64);
}

#[test]
fn reading_the_numbers_gives_the_content_check_s_verdict() {
    let utf16: Vec<u8> = "\u{feff}model,ttft_ms\nm,1\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let cases: Vec<(FileType, Vec<u8>)> = vec![
        (FileType::Json, br#"{"ttft_ms": 1}"#.to_vec()),
        (FileType::Json, b"{\n  \"a\": 1\n  \"b\": 2\n}".to_vec()),
        (FileType::Json, b"[1, 2".to_vec()),
        (FileType::Json, b"".to_vec()),
        // Well-formed, but no double holds it: the check accepts it.
        (FileType::Json, br#"{"ttft_ms": 1e400}"#.to_vec()),
        (FileType::Json, b"\xEF\xBB\xBF{}".to_vec()),
        (FileType::Csv, b"a,b\n1,2\n".to_vec()),
        (FileType::Csv, b"ttft_ms,b\n1,2\n\n3\n4,5,6\n".to_vec()),
        (FileType::Csv, b"a,b\r\n1,\"x\ny\"\r\n2\r\n".to_vec()),
        (FileType::Csv, b"".to_vec()),
        (FileType::Csv, utf16),
        (FileType::Md, b"- TTFT: 551.66 ms\n".to_vec()),
        (FileType::Md, b"caf\xE9".to_vec()),
        (FileType::Other, vec![0, 1, 2]),
    ];
    for (file_type, bytes) in cases {
        let mut collector = MetricsCollector::new();
        let verdict = collector.add("x", file_type, &bytes);
        assert_eq!(
            verdict,
            content::check(file_type, &bytes),
            "{file_type:?} {:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

#[test]
fn runs_naming_no_model_get_the_model_their_path_names() {
    let inventory = inventory(&[
        (
            "reports/gemma3/gemma3_270m_baseline.json",
            r#"{"model": "gemma3:270m", "results": [
                {"ttft_ms": 50, "tokens_s": 280},
                {"ttft_ms": 52, "tokens_s": 290}]}"#,
        ),
        (
            "reports/gemma3/gemma3_270m_more.csv",
            "ttft_ms,tokens_s\n51,285\n53,287\n",
        ),
        ("reports/misc/runs.csv", "ttft_ms,tokens_s\n40,100\n"),
    ]);
    // The CSV's runs pool with the JSON's: one configuration of four runs.
    let gemma = configuration(&inventory, "gemma3:270m");
    assert_eq!(gemma.runs, 4);
    assert_eq!(gemma.files.len(), 2);
    let csv = inventory
        .metrics
        .files
        .iter()
        .find(|f| f.path == "reports/gemma3/gemma3_270m_more.csv")
        .unwrap();
    assert_eq!(csv.model_from_path.as_deref(), Some("gemma3:270m"));
    // A path naming no model leaves its runs to their own file.
    let misc = configuration(&inventory, "[unknown model, reports/misc/runs.csv]");
    assert_eq!(misc.runs, 1);
    let found = finding(&inventory, "model_from_path");
    assert_eq!(found.files, ["reports/gemma3/gemma3_270m_more.csv"]);
    assert!(found.reason.contains("gemma3:270m"), "{}", found.reason);
}

#[test]
fn runs_on_different_gpus_are_not_pooled() {
    let two = inventory(&[
        (
            "a/runs.csv",
            "model,gpu,tokens_s\nm,RTX 3060,67\nm,RTX 3060,66\n",
        ),
        ("b/runs.csv", "model,gpu,tokens_s\nm,Apple M2,19\n"),
    ]);
    assert_eq!(configuration(&two, "m gpu=RTX 3060").runs, 2);
    assert_eq!(configuration(&two, "m gpu=Apple M2").runs, 1);
    // One machine: nothing to tell apart, and the label stays short.
    let one = inventory(&[
        ("a/runs.csv", "model,gpu,tokens_s\nm,RTX 3060,67\n"),
        ("b/runs.csv", "model,tokens_s\nm,66\n"),
    ]);
    assert_eq!(configuration(&one, "m").runs, 2);
    // Two spellings of one GPU are one machine; `cuda:0` names none.
    let spelled = inventory(&[
        (
            "a/runs.csv",
            "model,gpu,tokens_s\nm,NVIDIA GeForce RTX 4090,67\n",
        ),
        ("b/runs.csv", "model,gpu,tokens_s\nm,RTX 4090,66\n"),
        ("c/runs.csv", "model,device_name,tokens_s\nm,cuda:0,65\n"),
    ]);
    assert_eq!(configuration(&spelled, "m").runs, 3);
    // One file, two machines, row by row; and JSON runs naming theirs.
    let rows = inventory(&[
        (
            "all.csv",
            "model,gpu,tokens_s\nm,RTX 3060,67\nm,Apple M2,19\nm,Apple M2,20\n",
        ),
        (
            "runs.json",
            r#"{"runs": [{"model": "m", "gpu": "RTX 3060", "tokens_s": 66}]}"#,
        ),
    ]);
    assert_eq!(configuration(&rows, "m gpu=RTX 3060").runs, 2);
    assert_eq!(configuration(&rows, "m gpu=Apple M2").runs, 2);
}

#[test]
fn console_logs_are_read_as_text_and_other_files_are_not() {
    let verbose = "\x1b[?25l\x1b[?25hHere is a haiku.\n\n\
                   total duration:       8.29s\n\
                   load duration:        17.7ms\n\
                   eval count:           290 token(s)\n\
                   eval duration:        8.12s\n\
                   eval rate:            35.71 tokens/s\n";
    let inventory = inventory(&[
        ("logs/llama3.2-3b/run1.log", verbose),
        ("notes/readme.txt", "Nothing measured here: just words.\n"),
        ("traces/profile.ncu-rep", "eval rate: 99 tokens/s\n"),
    ]);
    assert_eq!(inventory.metrics.totals.runs, 1);
    let log = &inventory.metrics.files[0];
    assert_eq!(log.path, "logs/llama3.2-3b/run1.log");
    assert_eq!(log.file_type, FileType::Other);
    assert_eq!(log.model_from_path.as_deref(), Some("llama3.2-3b"));
    assert_eq!(inventory.metrics.files.len(), 1);
}

#[test]
fn with_no_single_runs_anywhere_the_summaries_figures_are_compared() {
    let averages = "| Model Name | # of Eval Rates | Average Eval Rate (tokens/s) |\n\
                    |---|---|---|\n| a:1b | 4 | 21.5 |\n| b:2b | 4 | 30.1 |\n";
    let only = inventory(&[("mac/averages.md", averages)]);
    assert!(only.metrics.from_summaries);
    assert_eq!(only.metrics.totals.runs, 2);
    assert_eq!(configuration(&only, "b:2b").runs, 1);
    let best = only
        .metrics
        .best
        .iter()
        .find(|b| b.metric == MetricId::TokensPerSecond && b.within.is_none())
        .unwrap();
    assert_eq!(best.winner.label, "b:2b");
    assert!(only.metrics.distributions.is_empty());
    assert!(kinds(&only).contains(&"summaries_only"));

    // A single file of runs, read before or after, and the summary is
    // only shown per file again.
    let runs = "model,tokens_s\na:1b,20\na:1b,22\n";
    for files in [
        [("mac/averages.md", averages), ("mac/runs.csv", runs)],
        [("mac/runs.csv", runs), ("mac/averages.md", averages)],
    ] {
        let both = inventory(&files);
        assert!(!both.metrics.from_summaries);
        assert_eq!(both.metrics.totals.runs, 2);
        assert_eq!(configuration(&both, "a:1b").runs, 2);
        assert!(!kinds(&both).contains(&"summaries_only"));
    }
}

#[test]
fn an_ollama_log_stays_console_output_whatever_its_answers_look_like() {
    let block = "total duration:       4.1s\n\
                 eval count:           160 token(s)\n\
                 eval duration:        3.9s\n\
                 eval rate:            41.03 tokens/s\n";
    let text = format!(
        "\u{feff}Model: m:7b\n**Steps**\n1. Preheat the oven.\n```\ncode\n```\n{block}\n# Done\n{block}"
    );
    let inventory = inventory(&[("logs/run.log", &text)]);
    assert!(!inventory.metrics.from_summaries);
    assert_eq!(inventory.metrics.totals.runs, 2);
    assert_eq!(configuration(&inventory, "m:7b").runs, 2);
}

#[test]
fn device_indices_name_no_gpu() {
    for value in ["CUDA0", "GPU 1", "vulkan_0", "cuda:0", "hip#1"] {
        assert!(!record::names_a_gpu(value), "{value}");
    }
    assert!(record::names_a_gpu("RTX 4090"));
    assert!(record::names_a_gpu("Apple M2 Max"));
}

#[test]
fn summaries_figures_are_never_judged_against_noise() {
    let rows: String = (0..4)
        .map(|i| format!("| a:1b | {} |\n| b:2b | {} |\n", 20 + i, 40 + i))
        .collect();
    let text = format!("| Model | Average Eval Rate (tokens/s) |\n|---|---|\n{rows}");
    let inventory = inventory(&[("averages.md", &text)]);
    assert!(inventory.metrics.from_summaries);
    let best = &inventory.metrics.best[0];
    assert_eq!((best.noise, best.exceeds_noise), (None, None));
    assert!(
        best.verdict.contains("in figures that summaries state"),
        "{}",
        best.verdict
    );
    assert!(!kinds(&inventory).contains(&"derived_summaries"));
}
