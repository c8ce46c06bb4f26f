//! Metrics read from the real example folder: means checked against an
//! independent computation, every charted value traced back to its file, the
//! same answer from a zip and from a folder, and no panic on damaged input.

mod support;

use std::io::Read;

use chimera_shared::archive::{Limits, inventory_zip};
use chimera_shared::classify::FileType;
use chimera_shared::folder::inventory_folder;
use chimera_shared::inventory::Inventory;
use chimera_shared::metrics::{self, Configuration, FileMetrics, Location, MetricId};
use support::*;

fn example() -> Inventory {
    inventory_zip("chimeraforge-reports.zip", example_zip(), Limits::default()).unwrap()
}

fn file<'a>(inventory: &'a Inventory, path: &str) -> &'a FileMetrics {
    inventory
        .metrics
        .files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no metrics for {path}"))
}

fn configuration<'a>(inventory: &'a Inventory, label: &str) -> &'a Configuration {
    inventory
        .metrics
        .configurations
        .iter()
        .find(|c| c.label == label)
        .unwrap_or_else(|| panic!("no configuration {label}"))
}

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-6 * expected.abs().max(1.0),
        "{actual} != {expected}"
    );
}

/// The constants below were computed independently of Chimera by a Python
/// script over the unzipped example (`csv.DictReader`, `json.load`,
/// `statistics.mean/median/stdev`, and p95 by linear interpolation between
/// closest ranks), e.g. for the first: `statistics.mean(float(r['ttft_s']) *
/// 1000 for r in csv.DictReader(open('csv_data/ollama_param_tuning.csv')))`.
#[test]
fn the_example_means_match_an_independent_computation() {
    let inventory = example();

    let sweep = file(&inventory, "csv_data/ollama_param_tuning.csv");
    assert_eq!(sweep.runs, 36);
    let ttft = &sweep.series[&MetricId::TtftMs].summary;
    close(ttft.mean, 1209.425);
    close(ttft.median, 89.85);
    close(ttft.p95, 3511.15);
    close(ttft.std_dev.unwrap(), 1671.655442517985);
    let rate = &sweep.series[&MetricId::TokensPerSecond].summary;
    close(rate.mean, 77.60777777777778);
    close(rate.std_dev.unwrap(), 0.27959267424606);

    let fixed = file(
        &inventory,
        "reports/ollama/20251008-122911/gemma3_benchmark_fixed_runs.csv",
    );
    close(
        fixed.series[&MetricId::TokensPerSecond].summary.mean,
        88.904,
    );
    close(fixed.series[&MetricId::TtftMs].summary.mean, 6099.8144);

    // Pooled over the prompt-suite runs of 2025-10-02 and 2025-10-08: the
    // rows of this model with an empty error column.
    let pooled = configuration(
        &inventory,
        "llama3.1:8b-instruct-q4_0 temperature=0.3 top_p=0.9",
    );
    assert_eq!((pooled.runs, pooled.failed), (10, 25));
    close(pooled.stats[&MetricId::TtftMs].mean, 1653.9953);
    close(pooled.stats[&MetricId::TokensPerSecond].mean, 78.444);

    let small = file(&inventory, "reports/gemma3/gemma3_270m_baseline.json");
    close(
        small.series[&MetricId::TokensPerSecond].summary.mean,
        283.55815019892515,
    );

    let baseline = file(&inventory, "csv_data/baseline_test_results_1759098967.json");
    assert_eq!((baseline.runs, baseline.failed), (1, 4));
    close(
        baseline.series[&MetricId::TokensPerSecond].summary.mean,
        14.106339902901299,
    );

    let grid = inventory
        .metrics
        .grids
        .iter()
        .find(|g| g.model.as_deref() == Some("llama3.1:8b-instruct-q4_0"))
        .expect("the llama sweep has a grid");
    let cell = grid
        .cells
        .iter()
        .find(|c| c.num_gpu == 40.0 && c.num_ctx == 1024.0)
        .unwrap();
    assert_eq!(cell.runs, 3);
    close(cell.tokens_per_second.unwrap(), 77.92333333333333);
    close(cell.ttft_ms.unwrap(), 1121.7);
}

#[test]
fn the_example_is_linted_for_what_is_missing_and_suspect() {
    let inventory = example();
    let kinds: Vec<&str> = inventory.findings.iter().map(|f| f.kind.as_str()).collect();
    for kind in [
        "missing_folder",
        "not_what_extension_says",
        "csv_without_metrics",
        "runs_without_ttft",
        "failed_runs",
        "mixed_units",
        "mixed_timestamp_formats",
        "duplicate_data",
        "derived_summaries",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    // The GPU, driver and an Ollama version are all stated somewhere.
    assert!(!kinds.contains(&"no_environment_data"));
    let by_kind = |kind: &str| inventory.findings.iter().find(|f| f.kind == kind).unwrap();
    assert!(by_kind("missing_folder").reason.contains("artifacts/"));
    assert_eq!(
        by_kind("not_what_extension_says").files,
        ["reports/profiling/ncu_summary.csv"]
    );
    assert_eq!(
        by_kind("csv_without_metrics").files,
        [
            "reports/profiling/ncu_ollama_raw.csv",
            "reports/profiling/ncu_summary.csv"
        ]
    );
    // The same sweep sits in csv_data/ and reports/llama3/; counted once.
    assert_eq!(
        file(&inventory, "reports/llama3/ollama_param_tuning.csv")
            .duplicate_of
            .as_deref(),
        Some("csv_data/ollama_param_tuning.csv")
    );
    // Means of other files are not runs.
    let summary = file(&inventory, "csv_data/ollama_param_tuning_summary.csv");
    assert!(summary.derived);
    assert_eq!(summary.runs, 0);
}

/// Every value the charts get, and every file's extremes, lead back to the
/// raw text they were read from.
#[test]
fn every_charted_value_traces_back_to_its_source() {
    let inventory = example();
    let bytes = example_zip();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut checked = 0;
    let mut check = |file: &str, at: &Location, metric: MetricId, value: f64| {
        let mut text = String::new();
        archive
            .by_name(file)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        let raw = raw_value(&text, file, at);
        let units = &inventory
            .metrics
            .files
            .iter()
            .find(|f| f.path == file)
            .unwrap()
            .series[&metric]
            .units;
        let scale = match units.as_slice() {
            [unit] if unit == "s" => 1000.0,
            [unit] if unit == "ms" || unit == "tok/s" || unit == "tokens" => 1.0,
            other => panic!("{file}: units {other:?}"),
        };
        close(value, raw * scale);
        checked += 1;
    };
    for distribution in &inventory.metrics.distributions {
        for point in &distribution.values {
            check(&point.file, &point.at, distribution.metric, point.value);
        }
    }
    for metrics in &inventory.metrics.files {
        // Lines of text (Markdown, console logs) are traced by line only.
        if matches!(metrics.file_type, FileType::Md | FileType::Other) {
            continue;
        }
        for (metric, series) in &metrics.series {
            if series.units == ["computed"] {
                continue;
            }
            let (min_at, max_at) = (series.min_at.as_ref(), series.max_at.as_ref());
            check(&metrics.path, min_at.unwrap(), *metric, series.summary.min);
            check(&metrics.path, max_at.unwrap(), *metric, series.summary.max);
        }
    }
    assert!(checked > 300, "only {checked} values checked");
}

/// The number at a CSV line and column, or at a JSON path.
fn raw_value(text: &str, file: &str, at: &Location) -> f64 {
    if let Some(path) = &at.json_path {
        let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
        for part in path.split('.') {
            let (key, indices) = part.split_once('[').unwrap_or((part, ""));
            if !key.is_empty() {
                value = value[key].take();
            }
            for index in indices.split('[').filter(|s| !s.is_empty()) {
                let index: usize = index.trim_end_matches(']').parse().unwrap();
                value = value[index].take();
            }
        }
        return value
            .as_f64()
            .unwrap_or_else(|| panic!("{file} {path}: {value}"));
    }
    let line = at.line.expect("a CSV location has a line") as usize;
    let column = at.column.as_deref().expect("and a column");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let index = rows[0].iter().position(|h| h == column).unwrap();
    let row = rows
        .iter()
        .find(|r| r.position().unwrap().line() as usize == line)
        .unwrap_or_else(|| panic!("{file}: no row at line {line}"));
    // The line a person sees holds the same text.
    assert!(text.lines().nth(line - 1).unwrap().contains(&row[index]));
    row[index].parse().unwrap()
}

#[test]
fn a_zip_and_the_same_folder_on_disk_give_the_same_metrics() {
    let root = std::env::temp_dir().join(format!("chimera-metrics-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(example_zip())).unwrap();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).unwrap();
        if entry.is_dir() {
            continue;
        }
        let path = root.join(entry.name().unwrap().as_ref());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        std::fs::write(path, data).unwrap();
    }
    let from_folder = inventory_folder(&root, Limits::default());
    std::fs::remove_dir_all(&root).unwrap();
    let from_folder = from_folder.unwrap();
    let from_zip = example();
    assert_eq!(from_zip.metrics, from_folder.metrics);
}

#[test]
fn the_metrics_json_is_stable_and_reads_back() {
    let first = example();
    let json = first.to_json();
    assert_eq!(json, example().to_json());
    let back: Inventory = serde_json::from_str(&json).unwrap();
    assert_eq!(back, first);
    assert!(json.contains("\"metrics\": {"));
    assert!(json.contains("\"findings\": ["));
}

/// Truncated copies of every example file, and noise, through the
/// extractors: a damaged file may yield nothing, but never a panic.
#[test]
fn damaged_input_never_panics() {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(example_zip())).unwrap();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).unwrap();
        let name = entry.name().unwrap().into_owned();
        let file_type = FileType::of_path(&name);
        if file_type == FileType::Other {
            continue;
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        let step = (data.len() / 40).max(1);
        for cut in (0..data.len()).step_by(step) {
            let _ = metrics::extract_file(&name, file_type, &data[..cut]);
            let _ = metrics::extract_file(&name, file_type, &data[cut..]);
        }
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..200 {
        let bytes: Vec<u8> = (0..300)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                b",\n\"{}[]:.-0123456789 tok/s ms TTFT ttft_s\xE2\x86\x92\xFF\x00"
                    [(seed % 40) as usize]
            })
            .collect();
        for file_type in [FileType::Csv, FileType::Json, FileType::Md] {
            let _ = metrics::extract_file("noise", file_type, &bytes);
        }
    }
}
