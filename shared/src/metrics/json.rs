//! Reads runs out of a JSON document of any shape. Every object that holds a
//! metric key directly is a record (`results[3]`, `individual_runs[0]`, the
//! root of an Ollama response); settings found on the way down (`model` at
//! the top, an `options` object) apply to every record below them.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::names::{EnvKind, Field, MetricId, SettingId, Unit, normalise};
use super::record::{
    Extraction, Failure, FailureCause, Record, RecordAt, Settings, insert_json_setting,
    is_failed_status, is_false, mentions_failure,
};
use super::text;

/// Extracts every record of the document; a document that does not parse
/// yields nothing but the parser's error.
pub fn extract(source: &str, extraction: &mut Extraction) -> Result<(), serde_json::Error> {
    let root = serde_json::from_str::<Value>(source)?;
    let mut path = String::new();
    visit(&root, &mut path, &Settings::new(), None, false, extraction);
    Ok(())
}

fn visit(
    value: &Value,
    path: &mut String,
    inherited: &Settings,
    parent_key: Option<&str>,
    in_run_list: bool,
    extraction: &mut Extraction,
) {
    match value {
        Value::Object(map) => {
            visit_object(map, path, inherited, parent_key, in_run_list, extraction)
        }
        Value::Array(items) => {
            // A failed run in a list of runs often has no numbers at all
            // (`{"error": "...", "success": false}`); it still counts as a run
            // when its siblings are runs.
            let runs_here = items.iter().any(|item| {
                item.as_object().is_some_and(|map| {
                    map.keys()
                        .any(|k| matches!(extraction.names.classify(k), Some(Field::Metric { .. })))
                })
            });
            for (index, item) in items.iter().enumerate() {
                let length = path.len();
                let _ = write!(path, "[{index}]");
                visit(item, path, inherited, parent_key, runs_here, extraction);
                path.truncate(length);
            }
        }
        _ => {}
    }
}

fn visit_object(
    map: &Map<String, Value>,
    path: &mut String,
    inherited: &Settings,
    parent_key: Option<&str>,
    in_run_list: bool,
    extraction: &mut Extraction,
) {
    // Keys in sorted order whatever map type serde_json was built with, so
    // that "first key wins" rules never depend on a feature flag.
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let fields: Vec<Option<Field>> = entries
        .iter()
        .map(|(key, _)| extraction.names.classify(key))
        .collect();

    // Most objects (a run among thousands) add no settings of their own:
    // borrow the inherited ones rather than copy them per object.
    let mut settings = Cow::Borrowed(inherited);
    // `options` first, so a key of the object's own wins over it.
    for ((_, value), field) in entries.iter().zip(&fields) {
        if let (Some(Field::Options), Value::Object(options)) = (field, value) {
            for (key, value) in options {
                if let Some(Field::Setting(setting)) = extraction.names.classify(key) {
                    insert_json_setting(settings.to_mut(), setting, value);
                }
            }
        }
    }
    for ((_, value), field) in entries.iter().zip(&fields) {
        match (field, value) {
            (Some(Field::Setting(setting)), _) => {
                insert_json_setting(settings.to_mut(), *setting, value);
            }
            // A GPU per run may tell machines apart (see `tell_machines_apart`).
            (Some(Field::Environment(EnvKind::Gpu)), Value::String(_)) => {
                insert_json_setting(settings.to_mut(), SettingId::Gpu, value);
            }
            _ => {}
        }
    }

    let under_gpu = parent_key.is_some_and(is_gpu_key);
    // The place is filled in only for a run: most objects are not one.
    let mut record = Record::new(RecordAt::Line(0));
    let mut all_aggregate = true;
    let mut sums_runs = false;
    let mut failure: Option<Failure> = None;
    // Metric keys holding a list of numbers, one per run (`"ttft_ms": [1.4,
    // 1.6]` beside `"tokens_per_s": [693.7, 632.5]`): element i of each is
    // run i.
    let mut columns: Vec<(MetricId, Unit, bool, &str, &[Value])> = Vec::new();
    for ((key, value), field) in entries.iter().zip(&fields) {
        let (key, value) = (*key, *value);
        match field {
            Some(Field::Metric {
                metric,
                unit,
                aggregate,
            }) => {
                if let Value::Array(items) = value {
                    if !items.is_empty() && items.iter().all(Value::is_number) {
                        columns.push((*metric, *unit, *aggregate, key, items));
                    }
                    continue;
                }
                let parsed = match value {
                    Value::Number(number) => number.as_f64().map(|v| (v, None)),
                    Value::String(text) => text::parse_cell(text),
                    _ => None,
                };
                let Some((number, value_unit)) = parsed else {
                    continue;
                };
                let unit = match value_unit {
                    Some(given) if given.fits(*metric) => given,
                    Some(_) => continue,
                    None => unit.of_value(number),
                };
                let source = extraction.source(key, *metric, unit, *aggregate);
                record.push(*metric, unit.to_canonical(number), source);
                all_aggregate &= *aggregate;
            }
            Some(Field::Error) => {
                let message = match value {
                    Value::String(text) if !text::is_no_error(text) => Some(text.clone()),
                    Value::Bool(true) => Some(format!("{key} is true")),
                    Value::Object(inner) if !inner.is_empty() => Some(value.to_string()),
                    _ => None,
                };
                if let Some(message) = message {
                    failure.get_or_insert(Failure::new(FailureCause::ErrorField, message));
                }
            }
            Some(Field::Success) => {
                let false_flag = match value {
                    Value::Bool(flag) => !flag,
                    Value::String(text) => is_false(text),
                    _ => false,
                };
                if false_flag {
                    failure.get_or_insert(Failure::new(
                        FailureCause::SuccessFalse,
                        format!("{key} is false"),
                    ));
                }
            }
            Some(Field::Status) => {
                if let Value::String(text) = value
                    && is_failed_status(text)
                {
                    failure.get_or_insert(Failure::new(FailureCause::StatusFailed, text));
                }
            }
            Some(Field::Timestamp) => {
                let format = match value {
                    Value::String(text) => text::timestamp_format(text),
                    Value::Number(number) => {
                        number.as_f64().and_then(text::timestamp_number_format)
                    }
                    _ => None,
                };
                if let Some(format) = format {
                    extraction.timestamp_formats.insert(format);
                }
            }
            Some(Field::Environment(kind)) => {
                if let Value::String(text) = value {
                    extraction.note_environment(*kind, text);
                }
            }
            Some(Field::RunCount) => {
                // `{"model": ..., "test_count": 3, "total_duration": 44.4}`
                // sums up runs listed elsewhere, or not at all.
                let count = match value {
                    Value::Number(count) => count.as_f64(),
                    Value::String(text) => text.trim().parse::<f64>().ok(),
                    _ => None,
                };
                sums_runs |= count.is_some_and(|count| count > 1.0);
            }
            Some(Field::Setting(_) | Field::Options | Field::Prompt) => {}
            None => {
                if let Value::String(text) = value {
                    if under_gpu && matches!(key.as_str(), "name" | "model") {
                        extraction.note_environment(EnvKind::Gpu, text);
                    } else if mentions_failure(text) {
                        failure.get_or_insert(Failure::new(FailureCause::FailureText, text));
                    }
                }
            }
        }
    }
    // Only lists that time something make runs, all of one length (the
    // longest timing list's): a list of token ids under `tokens` is no run
    // per token, and lists of other lengths would pair values of different
    // runs.
    let runs = columns
        .iter()
        .filter(|c| !c.0.is_count())
        .map(|c| c.4.len())
        .max()
        .unwrap_or(0);
    columns.retain(|c| c.4.len() == runs);
    let is_run = !record.values.is_empty() || (in_run_list && failure.is_some() && runs == 0);
    if is_run {
        record.at = RecordAt::Path(path.as_str().into());
        record.aggregate = !record.values.is_empty() && (all_aggregate || sums_runs);
        // The failure is the runs' of the lists too, when there are any.
        record.failure = if runs > 0 {
            failure.clone()
        } else {
            failure.take()
        };
        record.config = extraction.config_of(&settings);
        extraction.has_metric_names |= !record.values.is_empty();
        extraction.push(record);
    }
    if runs > 0 {
        extraction.has_metric_names = true;
        let config = extraction.config_of(&settings);
        let sources: Vec<u16> = columns
            .iter()
            .map(|(metric, unit, aggregate, key, _)| {
                extraction.source(key, *metric, *unit, *aggregate)
            })
            .collect();
        for index in 0..runs {
            let mut run = Record::new(RecordAt::Path(element_path(path, index).into()));
            run.config = config;
            run.aggregate = columns.iter().all(|c| c.2);
            run.failure = failure.clone();
            for ((metric, unit, aggregate, key, items), source) in columns.iter().zip(&sources) {
                if let Some(number) = items[index].as_f64() {
                    let unit_here = unit.of_value(number);
                    let source = if unit_here == *unit {
                        *source
                    } else {
                        extraction.source(key, *metric, unit_here, *aggregate)
                    };
                    run.push(*metric, unit_here.to_canonical(number), source);
                }
            }
            extraction.push(run);
        }
    }

    for (key, value) in entries {
        // What lies under `delta`, `expected` or `targets` was not measured.
        if !matches!(value, Value::Object(_) | Value::Array(_))
            || extraction.names.is_unmeasured(key)
        {
            continue;
        }
        let length = path.len();
        push_key(path, key);
        visit(value, path, &settings, Some(key), false, extraction);
        path.truncate(length);
    }
}

/// Whether a key names the GPU (`gpu`, `GPUs`): objects under it describe the
/// machine. Checked for every object, so the common case allocates nothing.
fn is_gpu_key(key: &str) -> bool {
    let mentions_gpu = key
        .as_bytes()
        .windows(3)
        .any(|w| w.eq_ignore_ascii_case(b"gpu"));
    if !mentions_gpu {
        return false;
    }
    let (words, _) = normalise(key);
    matches!(words.as_slice(), [w] if w == "gpu" || w == "gpus")
}

/// `a.b`, or `a["odd key"]` when the key would not read back as one name.
fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&serde_json::Value::String(key.to_owned()).to_string());
        path.push(']');
    }
}

/// The path of run `index` of an object's lists of numbers: `*[index]`
/// under the object, the `*` standing for each list's key.
fn element_path(object_path: &str, index: usize) -> String {
    let mut path = object_path.to_owned();
    if !path.is_empty() {
        path.push('.');
    }
    let _ = write!(path, "*[{index}]");
    path
}

/// The full path of a value: the record's path and the key. For a run read
/// from lists of numbers (`spec.*[3]`) the key takes the place of the `*`
/// (`spec.ttft_ms[3]`).
pub fn value_path(record_path: &str, key: &str) -> String {
    if let Some(star) = record_path.rfind("*[")
        && (star == 0 || record_path[..star].ends_with('.'))
        && record_path[star..].ends_with(']')
        && record_path[star + 2..record_path.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        let mut path = record_path[..star].trim_end_matches('.').to_owned();
        push_key(&mut path, key);
        path.push_str(&record_path[star + 1..]);
        return path;
    }
    let mut path = record_path.to_owned();
    push_key(&mut path, key);
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::FileType;
    use crate::metrics::names::{MetricId, SettingId};

    fn read(name: &str, text: &str) -> Extraction {
        let mut extraction = Extraction::new(FileType::Json, name);
        // A document that does not parse yields no records, which the tests
        // of broken documents check.
        let _ = extract(text, &mut extraction);
        extraction.finish_records();
        extraction
    }

    fn paths(extraction: &Extraction) -> Vec<String> {
        extraction
            .records
            .iter()
            .map(|r| match &r.at {
                RecordAt::Path(path) => path.to_string(),
                RecordAt::Line(line) => format!("line {line}"),
            })
            .collect()
    }

    #[test]
    fn an_object_that_counts_several_runs_sums_them_up() {
        let extraction = read(
            "speed.json",
            r#"{"results": [{"model": "a", "test_count": 3, "tokens_per_second": 27.0,
                "details": [{"tokens_per_second": 22.1}, {"tokens_per_second": 30.2},
                            {"tokens_per_second": 28.7}]}]}"#,
        );
        let aggregate: Vec<bool> = extraction.records.iter().map(|r| r.aggregate).collect();
        assert_eq!(aggregate.iter().filter(|a| **a).count(), 1);
        assert_eq!(aggregate.iter().filter(|a| !**a).count(), 3);
    }

    #[test]
    fn nested_results_inherit_the_model_above_them() {
        let extraction = read(
            "gemma3_baseline.json",
            r#"{"model": "gemma3:latest", "results": [
                {"prompt": "a", "ttft_s": 0.5, "tokens_s": 101.0, "eval_count": 805},
                {"prompt": "b", "ttft_s": 0.125, "tokens_s": 102.7}
            ]}"#,
        );
        assert_eq!(paths(&extraction), ["results[0]", "results[1]"]);
        let record = &extraction.records[1];
        assert_eq!(record.get(MetricId::TtftMs), Some(125.0));
        let settings = &extraction.configs[record.config as usize];
        assert_eq!(settings.get(SettingId::Model), Some("gemma3:latest"));
    }

    #[test]
    fn individual_runs_in_milliseconds_and_a_mean_beside_them() {
        let extraction = read(
            "bench.json",
            r#"{"runs": [{"model": "m", "mean_ttft_s": 0.2,
                "individual_runs": [{"ttft_ms": 150}, {"ttft_ms": 250}]}]}"#,
        );
        assert_eq!(
            paths(&extraction),
            [
                "runs[0]",
                "runs[0].individual_runs[0]",
                "runs[0].individual_runs[1]"
            ]
        );
        assert!(extraction.records[0].aggregate);
        assert!(!extraction.records[1].aggregate);
        assert_eq!(extraction.records[2].get(MetricId::TtftMs), Some(250.0));
        assert!(extraction.derived.is_none());
    }

    #[test]
    fn an_ollama_response_converts_nanoseconds_and_computes_throughput() {
        let extraction = read(
            "generate.json",
            r#"{"model": "llama3", "total_duration": 5043500667, "load_duration": 5025959,
                "prompt_eval_count": 26, "prompt_eval_duration": 325953000,
                "eval_count": 290, "eval_duration": 4709213000}"#,
        );
        let record = &extraction.records[0];
        assert_eq!(record.get(MetricId::TotalMs), Some(5043.500667));
        assert_eq!(record.get(MetricId::LoadMs), Some(5.025959));
        assert_eq!(record.get(MetricId::PromptTokens), Some(26.0));
        let rate = record.get(MetricId::TokensPerSecond).unwrap();
        // 290 tokens in 4.709213 s.
        assert!((rate - 61.581415).abs() < 1e-6, "{rate}");
    }

    #[test]
    fn failed_runs_without_numbers_count_among_their_siblings() {
        let extraction = read(
            "baseline_test_results.json",
            r#"{"results": [
                {"test_name": "a", "error": "'charmap' codec can't encode", "success": false},
                {"test_name": "b", "tokens_per_second": 14.1, "success": true},
                {"test_name": "c", "tokens_per_second": 1.02, "success": true,
                 "banter_text": "Error generating banter: All connection attempts failed"}
            ], "overall_performance": {"error": "No inference data available"}}"#,
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
                None,
                Some(FailureCause::FailureText)
            ]
        );
    }

    #[test]
    fn a_summary_of_means_is_derived() {
        let extraction = read(
            "prompt_suite.json",
            r#"{"models": [{"model": "a", "options": {"temperature": 0.3},
                "mean_ttft_s": 0.65, "mean_tokens_s": 77.6}]}"#,
        );
        assert!(extraction.derived.is_some());
        let settings = &extraction.configs[extraction.records[0].config as usize];
        assert_eq!(settings.get(SettingId::Temperature), Some("0.3"));
    }

    #[test]
    fn environment_and_timestamps_are_noted_anywhere() {
        let extraction = read(
            "m.json",
            r#"{"timestamp": 1759253523.2, "datetime": "2025-09-30T13:32:03.201336",
                "environment": {"gpu_name": "NVIDIA GeForce RTX 4080", "nvidia_driver": "581.29"},
                "gpu": [{"name": "RTX 4080", "temperature": 48}]}"#,
        );
        assert!(extraction.records.is_empty());
        assert_eq!(extraction.timestamp_formats.len(), 2);
        assert_eq!(
            extraction
                .environment
                .get(&EnvKind::Gpu)
                .map(String::as_str),
            Some("NVIDIA GeForce RTX 4080")
        );
        assert!(extraction.environment.contains_key(&EnvKind::Driver));
    }

    #[test]
    fn odd_keys_are_quoted_in_paths() {
        let extraction = read("x.json", r#"{"run 1": {"ttft_ms": 3}}"#);
        assert_eq!(paths(&extraction), [r#"["run 1"]"#]);
        assert_eq!(
            value_path(r#"["run 1"]"#, "ttft_ms"),
            r#"["run 1"].ttft_ms"#
        );
        assert_eq!(value_path("", "ttft_ms"), "ttft_ms");
    }

    #[test]
    fn lists_of_numbers_under_metric_keys_are_runs() {
        let extraction = read(
            "run_1766334713123.json",
            r#"{"spec": {"model": "models/tiny-gpt2", "backend": "transformers-gpu"},
                "status": "ok", "latencies_ms": [1.44, 1.58, 1.62],
                "ttft_ms": [1.44, 1.58, 1.62], "tokens": [1, 1, 1],
                "tokens_per_s": [693.72, 632.51], "degraded_reasons": []}"#,
        );
        assert_eq!(paths(&extraction), ["*[0]", "*[1]", "*[2]"]);
        let first = &extraction.records[0];
        assert_eq!(first.get(MetricId::TtftMs), Some(1.44));
        assert_eq!(first.get(MetricId::EvalTokens), Some(1.0));
        // A list of another length is not paired with the others.
        assert_eq!(first.get(MetricId::TokensPerSecond), None);
        assert!(!first.aggregate);
        // Settings in a `spec` object beside the lists apply to every run.
        let settings = &extraction.configs[first.config as usize];
        assert_eq!(settings.get(SettingId::Model), Some("models/tiny-gpt2"));
        assert_eq!(settings.get(SettingId::Backend), Some("transformers-gpu"));
        assert_eq!(value_path("*[2]", "ttft_ms"), "ttft_ms[2]");
        assert_eq!(
            value_path("results[0].*[12]", "tokens_per_s"),
            "results[0].tokens_per_s[12]"
        );
    }

    #[test]
    fn lists_that_are_not_all_numbers_are_not_runs() {
        let extraction = read(
            "m.json",
            r#"{"ttft_ms": [1.5, "n/a"], "tokens_per_s": [], "eval_count": [{"x": 1}]}"#,
        );
        assert!(extraction.records.is_empty());
        // Token ids are no runs, and a failed object with lists is counted
        // once per element, not once more on its own.
        let extraction = read("r.json", r#"{"tokens": [15496, 995, 11]}"#);
        assert!(extraction.records.is_empty());
        let extraction = read(
            "r.json",
            r#"{"runs": [{"status": "failed", "ttft_ms": [1.5, 1.7]}, {"ttft_ms": 2}]}"#,
        );
        assert_eq!(
            paths(&extraction),
            ["runs[0].*[0]", "runs[0].*[1]", "runs[1]"]
        );
        assert_eq!(
            extraction
                .records
                .iter()
                .filter(|r| r.failure.is_some())
                .count(),
            2
        );
    }

    #[test]
    fn a_run_that_timed_nothing_failed_silently() {
        let extraction = read(
            "r.json",
            r#"{"results": [{"ttft_ms": 0, "tokens_per_second": 0, "prompt_tokens": 42},
                {"ttft_ms": 90, "load_ms": 0, "tokens_per_second": 0}]}"#,
        );
        let first = &extraction.records[0];
        assert_eq!(
            first.failure.as_ref().map(|f| f.cause),
            Some(FailureCause::AllZero)
        );
        // A zero load time is real (the model was in memory already).
        let second = &extraction.records[1];
        assert!(second.failure.is_none());
        assert_eq!(second.get(MetricId::LoadMs), Some(0.0));
        assert_eq!(second.get(MetricId::TokensPerSecond), None);
        assert_eq!(extraction.impossible_values, 3);
    }

    #[test]
    fn records_that_only_count_tokens_are_no_runs() {
        let extraction = read(
            "metrics.json",
            r#"{"samples": [{"t_ms": 0, "gpu_util": 40.5, "tokens": 0},
                            {"t_ms": 250, "gpu_util": 41.0, "tokens": 12}],
                "parity": {"num_tokens": 32},
                "totals": {"eval_count": 400, "eval_duration_ns": 5000000000}}"#,
        );
        // Telemetry samples with a token count are neither runs nor failed
        // runs; the totals, which time something, are one.
        assert_eq!(paths(&extraction), ["totals"]);
        assert!(extraction.records[0].failure.is_none());
        assert_eq!(
            extraction.records[0].get(MetricId::TokensPerSecond),
            Some(80.0)
        );
    }

    #[test]
    fn nothing_under_a_difference_or_a_target_is_a_run() {
        let extraction = read(
            "m.json",
            r#"{"run": {"ttft_ms": 500, "tokens_per_second": 40},
                "delta": {"ttft_ms": -404.2, "tokens_per_second": 3.1},
                "targets": [{"ttft_ms": 300}], "slo": {"ttft_ms": 250}}"#,
        );
        assert_eq!(paths(&extraction), ["run"]);
    }

    #[test]
    fn a_difference_beside_the_runs_is_not_a_run() {
        let extraction = read(
            "metrics.json",
            r#"{"baseline": {"individual_runs": [{"ttft_ms": 4907.9, "tokens_generated": 0,
                  "throughput_tokens_per_sec": 0.0, "eval_duration_ms": 0.0}]},
                "delta": {"throughput_delta_absolute": 0.0, "ttft_delta_absolute_ms": -404.2,
                  "ttft_reduction_percent": -8.2}}"#,
        );
        assert_eq!(paths(&extraction), ["baseline.individual_runs[0]"]);
        let run = &extraction.records[0];
        assert!(run.failure.is_none());
        assert_eq!(run.get(MetricId::TtftMs), Some(4907.9));
        // Nothing generated: zero tokens is a count, a zero rate and a zero
        // decode time are values that were never measured.
        assert_eq!(run.get(MetricId::EvalTokens), Some(0.0));
        assert_eq!(run.get(MetricId::TokensPerSecond), None);
        assert_eq!(run.get(MetricId::EvalMs), None);
        assert_eq!(extraction.impossible_values, 2);
    }

    #[test]
    fn broken_json_yields_nothing() {
        let extraction = read("bad.json", "{\"ttft_ms\": ");
        assert!(extraction.records.is_empty());
    }
}
