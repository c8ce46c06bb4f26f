//! Recognises what a column, key or Markdown label means, whatever the script
//! that wrote it called it: `ttft_s`, `TTFT (ms)`, `meanTtftMs`,
//! `Tokens per Second` and Ollama's raw `eval_duration` all land on one
//! canonical metric with the unit needed to convert it.
//!
//! Matching works on words: the name is split at separators and camelCase
//! humps, lower-cased, and a trailing unit word or a bracketed unit is taken
//! off before the remaining words are looked up in small exact tables. Exact
//! tables rather than substring tests keep `total_tokens`, `compile_time_s` or
//! `min_ttft_s` from being mistaken for a run's measurement.

use rustc_hash::FxHashMap as HashMap;

use serde::{Deserialize, Serialize};

/// The measurements Chimera understands, always in these units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricId {
    /// Time to first token, in milliseconds.
    TtftMs,
    /// Decode throughput, in tokens per second.
    TokensPerSecond,
    LoadMs,
    PromptEvalMs,
    EvalMs,
    /// End-to-end time of one request.
    TotalMs,
    PromptTokens,
    /// Tokens generated.
    EvalTokens,
}

impl MetricId {
    pub const ALL: [MetricId; 8] = [
        MetricId::TtftMs,
        MetricId::TokensPerSecond,
        MetricId::LoadMs,
        MetricId::PromptEvalMs,
        MetricId::EvalMs,
        MetricId::TotalMs,
        MetricId::PromptTokens,
        MetricId::EvalTokens,
    ];

    /// Whether the metric counts tokens rather than timing anything.
    pub fn is_count(self) -> bool {
        matches!(self, MetricId::PromptTokens | MetricId::EvalTokens)
    }

    /// The id as it appears in the JSON.
    pub fn id(self) -> &'static str {
        match self {
            MetricId::TtftMs => "ttft_ms",
            MetricId::TokensPerSecond => "tokens_per_second",
            MetricId::LoadMs => "load_ms",
            MetricId::PromptEvalMs => "prompt_eval_ms",
            MetricId::EvalMs => "eval_ms",
            MetricId::TotalMs => "total_ms",
            MetricId::PromptTokens => "prompt_tokens",
            MetricId::EvalTokens => "eval_tokens",
        }
    }

    /// The canonical unit, for text meant for people.
    pub fn unit(self) -> &'static str {
        match self {
            MetricId::TokensPerSecond => "tok/s",
            MetricId::PromptTokens | MetricId::EvalTokens => "tokens",
            _ => "ms",
        }
    }

    /// Durations are the quantities whose units get mixed up.
    pub fn is_duration(self) -> bool {
        self.unit() == "ms"
    }
}

/// The run settings that tell configurations apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingId {
    Model,
    NumGpu,
    NumCtx,
    Temperature,
    TopP,
    TopK,
    RepeatPenalty,
    Quantization,
    Backend,
    /// The side of a comparison a run belongs to (`baseline`, `chimera`):
    /// from a `variant` column, or the prefix of side-by-side columns
    /// (`baseline_tok_s`, `chimera_tok_s`).
    Variant,
    /// The workload a run was given (`single_micro`, `chimera_homo`): runs
    /// of different prompts are not one configuration.
    Scenario,
    /// The GPU of the file's runs, given to every run when the folder's
    /// files record more than one: runs on different machines are never
    /// one configuration.
    Gpu,
}

impl SettingId {
    /// Every setting, in the order settings are listed and compared.
    pub const ALL: [SettingId; 12] = [
        SettingId::Model,
        SettingId::NumGpu,
        SettingId::NumCtx,
        SettingId::Temperature,
        SettingId::TopP,
        SettingId::TopK,
        SettingId::RepeatPenalty,
        SettingId::Quantization,
        SettingId::Backend,
        SettingId::Variant,
        SettingId::Scenario,
        SettingId::Gpu,
    ];

    pub fn id(self) -> &'static str {
        match self {
            SettingId::Model => "model",
            SettingId::NumGpu => "num_gpu",
            SettingId::NumCtx => "num_ctx",
            SettingId::Temperature => "temperature",
            SettingId::TopP => "top_p",
            SettingId::TopK => "top_k",
            SettingId::RepeatPenalty => "repeat_penalty",
            SettingId::Quantization => "quantization",
            SettingId::Backend => "backend",
            SettingId::Variant => "variant",
            SettingId::Scenario => "scenario",
            SettingId::Gpu => "gpu",
        }
    }

    /// Numeric settings must hold a number: a `Context` column holding
    /// `player_died` is a game scenario, not a context size.
    pub fn is_numeric(self) -> bool {
        !matches!(
            self,
            SettingId::Model
                | SettingId::Quantization
                | SettingId::Backend
                | SettingId::Variant
                | SettingId::Scenario
                | SettingId::Gpu
        )
    }
}

/// Facts about the machine a benchmark ran on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvKind {
    Gpu,
    Driver,
    OllamaVersion,
}

impl EnvKind {
    pub const ALL: [EnvKind; 3] = [EnvKind::Gpu, EnvKind::Driver, EnvKind::OllamaVersion];

    pub fn label(self) -> &'static str {
        match self {
            EnvKind::Gpu => "GPU",
            EnvKind::Driver => "driver version",
            EnvKind::OllamaVersion => "Ollama version",
        }
    }
}

/// The unit a value was written in, before conversion to its metric's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unit {
    Seconds,
    Millis,
    Micros,
    Nanos,
    /// Nanoseconds because the name is one of Ollama's duration fields
    /// (`total_duration`, `eval_duration`, ...), which carry no unit.
    ImpliedNanos,
    /// A duration whose name and value carry no unit; taken as milliseconds.
    AssumedMillis,
    /// One of Ollama's nanosecond fields holding what cannot be nanoseconds
    /// (`"total_duration": 44.43`, converted by a script); taken as seconds.
    AssumedSeconds,
    TokensPerSecond,
    Tokens,
    /// Worked out from other fields (tokens per second from a count and a duration).
    Computed,
}

impl Unit {
    /// Converts a value in this unit to its metric's canonical unit.
    pub fn to_canonical(self, value: f64) -> f64 {
        match self {
            Unit::Seconds | Unit::AssumedSeconds => value * 1000.0,
            Unit::Micros => value / 1000.0,
            Unit::Nanos | Unit::ImpliedNanos => value / 1_000_000.0,
            Unit::Millis
            | Unit::AssumedMillis
            | Unit::TokensPerSecond
            | Unit::Tokens
            | Unit::Computed => value,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::Millis => "ms",
            Unit::Micros => "us",
            Unit::Nanos | Unit::ImpliedNanos => "ns",
            Unit::AssumedMillis => "ms (assumed)",
            Unit::AssumedSeconds => "s (assumed)",
            Unit::TokensPerSecond => "tok/s",
            Unit::Tokens => "tokens",
            Unit::Computed => "computed",
        }
    }

    /// Whether a value in this unit can be a value of `metric`: a time for a
    /// duration, a rate for throughput, a count for tokens.
    pub fn fits(self, metric: MetricId) -> bool {
        match metric {
            MetricId::TokensPerSecond => matches!(self, Unit::TokensPerSecond | Unit::Computed),
            MetricId::PromptTokens | MetricId::EvalTokens => self == Unit::Tokens,
            _ => self.is_time(),
        }
    }

    pub fn is_time(self) -> bool {
        matches!(
            self,
            Unit::Seconds
                | Unit::Millis
                | Unit::Micros
                | Unit::Nanos
                | Unit::ImpliedNanos
                | Unit::AssumedMillis
                | Unit::AssumedSeconds
        )
    }

    /// The unit `value` is in, given the unit its name says. Ollama writes
    /// its durations as whole nanoseconds, and none of them is ever below a
    /// microsecond: under one of its field names, a figure below 1,000, or a
    /// fraction below 100,000, is a script's own conversion, almost always
    /// to seconds (`"total_duration": 44.43` beside 1,200 tokens at 27
    /// tok/s). A name that says `_ns` is taken at its word.
    pub fn of_value(self, value: f64) -> Unit {
        let magnitude = value.abs();
        let not_nanos = (value.fract() != 0.0 && magnitude < 100_000.0)
            || (magnitude > 0.0 && magnitude < 1000.0);
        if self == Unit::ImpliedNanos && not_nanos {
            Unit::AssumedSeconds
        } else {
            self
        }
    }

    /// The unit as a person reads it: nanoseconds are nanoseconds, whether
    /// the name said so or Ollama's convention did.
    pub fn shown(self) -> Unit {
        match self {
            Unit::ImpliedNanos => Unit::Nanos,
            other => other,
        }
    }
}

/// What a column, key or label holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Metric {
        metric: MetricId,
        unit: Unit,
        /// The name says the value is already a mean of runs (`mean_`, `avg_`, ...).
        aggregate: bool,
    },
    Setting(SettingId),
    /// An error message; a non-empty one marks the run as failed.
    Error,
    /// A success flag; false marks the run as failed.
    Success,
    /// A status word such as `failed` or `completed`.
    Status,
    /// A JSON object of settings, such as Ollama's `options`.
    Options,
    /// The prompt sent: never searched for failure messages, since a prompt
    /// may well say "failed".
    Prompt,
    /// A time of day; its format is noted.
    Timestamp,
    Environment(EnvKind),
    /// How many runs the row or object sums up (`test_count`, `runs`,
    /// `iterations`): above 1, its values are no single run's.
    RunCount,
}

/// The most distinct names a [`NameCache`] remembers; names past it are
/// classified each time, so generated keys cannot grow it without bound.
const CACHED_NAMES: usize = 4_096;

/// Remembers how each name was classified. A folder of 20,000 files repeats
/// the same few dozen column names and keys; splitting and looking each one
/// up again, with the small strings that takes, was a large share of the time.
#[derive(Debug, Default)]
pub struct NameCache {
    known: HashMap<Box<str>, Option<Field>>,
    unmeasured: HashMap<Box<str>, bool>,
}

impl NameCache {
    /// [`classify`], remembered.
    pub fn classify(&mut self, raw: &str) -> Option<Field> {
        remembered(&mut self.known, raw, classify)
    }

    /// [`is_unmeasured_name`], remembered.
    pub fn is_unmeasured(&mut self, raw: &str) -> bool {
        remembered(&mut self.unmeasured, raw, is_unmeasured_name)
    }
}

/// `work(raw)`, looked up in `known` first and kept there while it has room.
fn remembered<T: Copy>(known: &mut HashMap<Box<str>, T>, raw: &str, work: fn(&str) -> T) -> T {
    if let Some(found) = known.get(raw) {
        return *found;
    }
    let found = work(raw);
    if known.len() < CACHED_NAMES {
        known.insert(raw.into(), found);
    }
    found
}

/// Recognises a column, key or label name.
pub fn classify(raw: &str) -> Option<Field> {
    let (words, bracket_unit) = normalise(raw);
    if words.is_empty() || names_no_measurement(raw, &words) {
        return None;
    }
    let joined = words.join("_");
    if let Some(field) = exact_field(&joined) {
        return Some(field);
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    if let Some(field) = metric_field(&words, bracket_unit) {
        return Some(field);
    }
    if is_timestamp_name(&joined) {
        return Some(Field::Timestamp);
    }
    None
}

/// Recognises a column of one side of a comparison written side by side
/// with another: `baseline_tok_s` is the `baseline` side's throughput. The
/// side is the first word, which must be a plain word that means nothing on
/// its own (not `mean`, not `prompt`, not a statistic), and the rest must
/// name a metric. Whether a file really compares sides is for the caller
/// to judge: it takes more than one side measuring the same metric.
pub fn classify_side(raw: &str) -> Option<(String, Field)> {
    let (words, _) = normalise(raw);
    let (side, rest) = words.split_first()?;
    if rest.is_empty()
        || names_no_measurement(raw, &words)
        || !side.chars().all(char::is_alphabetic)
        || is_mean_word(side)
        || is_other_statistic_word(side)
        || unit_of_word(side).is_some()
        || matches!(
            side.as_str(),
            "prompt"
                | "prefill"
                | "pp"
                | "input"
                | "encode"
                | "encoding"
                | "total"
                | "load"
                | "eval"
                | "decode"
                | "first"
                | "time"
                | "tokens"
                | "token"
                | "tok"
                | "throughput"
                | "cached"
                | "cache"
                | "reasoning"
                | "audio"
                | "image"
                | "draft"
                | "accepted"
                | "rejected"
                | "new"
        )
    {
        return None;
    }
    // The bracketed unit of the original name, if any, belongs to the rest.
    let bracket = raw.find(['(', '[']).map_or("", |at| &raw[at..]);
    let field = classify(&format!("{} {bracket}", rest.join("_")))?;
    matches!(field, Field::Metric { .. }).then(|| (side.clone(), field))
}

/// Recognises a Markdown label ("Mean TTFT (warm)", "Tokens/s") together with
/// the unit written after its value, if any. The unit after the value wins
/// over one in the label; a throughput unit names the metric on its own when
/// the label says nothing known ("Best Performance: 102.31 tokens/s").
pub fn classify_label(label: &str, value_unit: Option<Unit>) -> Option<Field> {
    let field = classify(label);
    match (field, value_unit) {
        (
            Some(Field::Metric {
                metric, aggregate, ..
            }),
            Some(unit),
        ) => unit.fits(metric).then_some(Field::Metric {
            metric,
            unit,
            aggregate,
        }),
        // A duration without a unit in prose is too ambiguous to read.
        (
            Some(Field::Metric {
                unit: Unit::AssumedMillis,
                ..
            }),
            None,
        ) => None,
        (Some(field), _) => Some(field),
        // A label needs a word: "1024: 78.42 tok/s" lists a sweep, not a metric.
        (None, Some(Unit::TokensPerSecond)) if label.chars().any(char::is_alphabetic) => {
            let (words, _) = normalise(label);
            // `classify` refused differences already; this path has not.
            let refuses = names_no_measurement(label, &words)
                || words.iter().any(|w| {
                    matches!(
                        w.as_str(),
                        "prompt"
                            | "prefill"
                            | "input"
                            | "peak"
                            | "max"
                            | "min"
                            | "p95"
                            | "p99"
                            | "p5"
                    )
                });
            (!refuses).then_some(Field::Metric {
                metric: MetricId::TokensPerSecond,
                unit: Unit::TokensPerSecond,
                aggregate: words.iter().any(|w| is_mean_word(w)),
            })
        }
        (None, _) => None,
    }
}

/// Splits a name into lower-case words and pulls out a bracketed unit:
/// `"Generation Time (ms)"` gives `["generation", "time"]` and milliseconds.
/// Bracketed text that is not a unit (`"(warm)"`) is dropped.
pub fn normalise(raw: &str) -> (Vec<String>, Option<Unit>) {
    let mut plain = String::with_capacity(raw.len());
    let mut bracket_unit = None;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        let close = match c {
            '(' => ')',
            '[' => ']',
            _ => {
                plain.push(c);
                continue;
            }
        };
        let mut inner = String::new();
        for d in chars.by_ref() {
            if d == close {
                break;
            }
            inner.push(d);
        }
        if let Some(unit) = parse_unit_word(inner.trim()) {
            bracket_unit = Some(unit);
        }
        plain.push(' ');
    }

    let mut split = String::with_capacity(plain.len() + 8);
    let chars: Vec<char> = plain.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                split.push('_');
            }
        }
        if c.is_alphanumeric() {
            split.extend(c.to_lowercase());
        } else {
            split.push('_');
        }
    }
    let words = split
        .split('_')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    (words, bracket_unit)
}

/// A unit written as a word or symbol: `ms`, `sec`, `tok/s`, `tokens per second`.
pub fn parse_unit_word(text: &str) -> Option<Unit> {
    let lower = text.trim().to_lowercase();
    let unit = match lower.as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => Unit::Seconds,
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" | "millis" => Unit::Millis,
        "us" | "µs" | "μs" | "usec" | "microsecond" | "microseconds" | "micros" => Unit::Micros,
        "ns" | "nsec" | "nanosecond" | "nanoseconds" | "nanos" => Unit::Nanos,
        "tok/s" | "tokens/s" | "token/s" | "toks/s" | "tok/sec" | "tokens/sec"
        | "tokens/second" | "t/s" | "tps" | "tokens per second" | "tokens per sec"
        | "tok per s" => Unit::TokensPerSecond,
        "tokens" | "tok" | "toks" => Unit::Tokens,
        _ => return None,
    };
    Some(unit)
}

/// Whether a name is of something other than a measurement: a difference
/// or a ratio between two (`throughput_delta`, `ttft_reduction_percent`,
/// `Average Throughput Δ`, `speedup`), or a figure nobody measured
/// (`Expected Throughput`, `target_ttft_ms`). Its value is no run's TTFT or
/// throughput and must never be averaged with them.
pub fn is_unmeasured_name(raw: &str) -> bool {
    let (words, _) = normalise(raw);
    names_no_measurement(raw, &words)
}

fn names_no_measurement(raw: &str, words: &[String]) -> bool {
    raw.contains(['Δ', '%'])
        || words.iter().any(|word| {
            matches!(
                word.as_str(),
                "δ" | "delta"
                    | "diffs"
                    | "changes"
                    | "gains"
                    | "improvements"
                    | "targets"
                    | "goals"
                    | "estimates"
                    | "predictions"
                    | "thresholds"
                    | "limits"
                    | "expectations"
                    | "deltas"
                    | "diff"
                    | "difference"
                    | "change"
                    | "gain"
                    | "improvement"
                    | "reduction"
                    | "increase"
                    | "decrease"
                    | "uplift"
                    | "regression"
                    | "speedup"
                    | "slowdown"
                    | "ratio"
                    | "relative"
                    | "pct"
                    | "percent"
                    | "percentage"
                    | "vs"
                    | "versus"
                    | "expected"
                    | "expectation"
                    | "target"
                    | "goal"
                    | "predicted"
                    | "prediction"
                    | "estimated"
                    | "estimate"
                    | "projected"
                    | "theoretical"
                    | "required"
                    | "budget"
                    | "threshold"
                    | "limit"
                    | "sla"
                    | "slo"
            )
        })
}

/// Whether the words right after a value and its unit, up to a bracket, a
/// comma or another number, call it an extreme: `304 tokens/s peak
/// throughput`. `551 ms (p95: 900 ms)` or `78.42 tok/s (BEST)` do not: the
/// bracket speaks of something else, or ranks the value.
pub fn says_extreme(text: &str) -> bool {
    let end = text
        .find(|c: char| matches!(c, '(' | '[' | ',' | ';') || c.is_ascii_digit())
        .unwrap_or(text.len());
    text[..end]
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| {
            matches!(
                word.to_lowercase().as_str(),
                "peak" | "max" | "maximum" | "min" | "minimum" | "highest" | "lowest"
            )
        })
}

fn is_mean_word(word: &str) -> bool {
    matches!(word, "mean" | "avg" | "average" | "overall")
}

/// Statistics other than a mean: not a run's value and not comparable to one.
fn is_other_statistic_word(word: &str) -> bool {
    matches!(
        word,
        "min"
            | "max"
            | "median"
            | "std"
            | "stdev"
            | "stddev"
            | "sd"
            | "var"
            | "variance"
            | "cv"
            | "peak"
            | "best"
            | "worst"
            | "p5"
            | "p05"
            | "p10"
            | "p50"
            | "p90"
            | "p95"
            | "p99"
    )
}

fn unit_of_word(word: &str) -> Option<Unit> {
    match word {
        "s" | "sec" | "secs" | "second" | "seconds" => Some(Unit::Seconds),
        "ms" | "msec" | "millis" | "milliseconds" => Some(Unit::Millis),
        "us" | "µs" | "μs" | "usec" | "micros" | "microseconds" => Some(Unit::Micros),
        "ns" | "nsec" | "nanos" | "nanoseconds" => Some(Unit::Nanos),
        _ => None,
    }
}

fn metric_field(words: &[&str], bracket_unit: Option<Unit>) -> Option<Field> {
    // `mean_ttft_s`, `eval_s_mean`, `throughput_mean_tok_s`: a mean word
    // anywhere marks an aggregate; any other statistic (`throughput_median_
    // tok_s`, `p95_ms`) is not a value to read.
    if words.iter().any(|w| is_other_statistic_word(w)) {
        return None;
    }
    let mut words: Vec<&str> = words.to_vec();
    let before = words.len();
    words.retain(|w| !is_mean_word(w));
    let aggregate = words.len() < before;
    if words.is_empty() {
        return None;
    }
    if is_rate(&words) {
        if bracket_unit.is_some_and(Unit::is_time) {
            return None;
        }
        return Some(Field::Metric {
            metric: MetricId::TokensPerSecond,
            unit: Unit::TokensPerSecond,
            aggregate,
        });
    }
    let mut unit = bracket_unit;
    if let Some(word_unit) = words.last().and_then(|w| unit_of_word(w)) {
        words.pop();
        if words.last() == Some(&"in") {
            words.pop();
        }
        unit = Some(word_unit);
    }
    let stem = words.join("_");
    if let Some(metric) = count_metric(&stem) {
        return match unit {
            None | Some(Unit::Tokens) => Some(Field::Metric {
                metric,
                unit: Unit::Tokens,
                aggregate,
            }),
            Some(_) => None,
        };
    }
    let (metric, ollama_nanos, may_assume) = duration_metric(&stem)?;
    let unit = match unit {
        Some(unit) if unit.is_time() => unit,
        Some(_) => return None,
        None if ollama_nanos => Unit::ImpliedNanos,
        None if may_assume => Unit::AssumedMillis,
        None => return None,
    };
    Some(Field::Metric {
        metric,
        unit,
        aggregate,
    })
}

/// Decode throughput names. Prompt (prefill) rates are a different quantity
/// and are left alone.
fn is_rate(words: &[&str]) -> bool {
    if words
        .iter()
        .any(|w| matches!(*w, "prompt" | "prefill" | "input"))
    {
        return false;
    }
    let joined = words.join("_");
    if matches!(
        joined.as_str(),
        "throughput" | "tps" | "t_s" | "eval_rate" | "decode_rate" | "generation_rate"
    ) || words.first() == Some(&"throughput")
    {
        return true;
    }
    let Some(token_at) = words
        .iter()
        .position(|w| matches!(*w, "tokens" | "token" | "tok" | "toks"))
    else {
        return false;
    };
    let qualifiers_ok = words[..token_at].iter().all(|w| {
        matches!(
            *w,
            "decode" | "eval" | "generation" | "gen" | "output" | "completion" | "response"
        )
    });
    let rest = &words[token_at + 1..];
    let rest = rest.strip_prefix(&["per"]).unwrap_or(rest);
    qualifiers_ok && matches!(rest, ["s" | "sec" | "second" | "seconds"])
}

fn count_metric(stem: &str) -> Option<MetricId> {
    let metric = match stem {
        "prompt_eval_count" | "prompt_tokens" | "prompt_token_count" | "input_tokens"
        | "prompt_eval_tokens" | "n_prompt_tokens" => MetricId::PromptTokens,
        "eval_count" | "eval_tokens" | "completion_tokens" | "output_tokens"
        | "generated_tokens" | "tokens_generated" | "response_tokens" | "tokens" | "num_tokens"
        | "token_count" | "n_tokens" => MetricId::EvalTokens,
        _ => return None,
    };
    Some(metric)
}

/// The duration metric a stem names, whether it is one of Ollama's raw
/// nanosecond fields, and whether a missing unit may be assumed to be ms.
fn duration_metric(stem: &str) -> Option<(MetricId, bool, bool)> {
    let found = match stem {
        "ttft"
        | "time_to_first_token"
        | "first_token"
        | "first_token_time"
        | "first_token_latency"
        | "ttft_latency"
        | "latency_to_first_token" => (MetricId::TtftMs, false, true),
        "load_duration" => (MetricId::LoadMs, true, false),
        "load" | "load_time" | "model_load" | "model_load_time" | "model_load_duration" => {
            (MetricId::LoadMs, false, false)
        }
        "prompt_eval_duration" => (MetricId::PromptEvalMs, true, false),
        "prompt_eval"
        | "prompt_eval_time"
        | "prefill"
        | "prefill_time"
        | "prompt_processing_time" => (MetricId::PromptEvalMs, false, false),
        "eval_duration" => (MetricId::EvalMs, true, false),
        "eval" | "eval_time" | "decode" | "decode_time" | "decode_duration" => {
            (MetricId::EvalMs, false, false)
        }
        "total_duration" => (MetricId::TotalMs, true, false),
        "total" | "total_time" | "generation_time" | "generation" | "response_time"
        | "wall_time" | "elapsed_time" | "request_time" | "end_to_end_latency" | "e2e_latency" => {
            (MetricId::TotalMs, false, false)
        }
        _ => return None,
    };
    Some(found)
}

fn exact_field(joined: &str) -> Option<Field> {
    let field = match joined {
        "model" | "model_name" | "model_id" | "model_tag" | "llm" => {
            Field::Setting(SettingId::Model)
        }
        "num_gpu" | "gpu_layers" | "n_gpu_layers" | "ngl" | "num_gpu_layers" => {
            Field::Setting(SettingId::NumGpu)
        }
        "num_ctx" | "n_ctx" | "ctx" | "ctx_size" | "context_size" | "context_length"
        | "context_window" => Field::Setting(SettingId::NumCtx),
        "temperature" | "temp" => Field::Setting(SettingId::Temperature),
        "top_p" => Field::Setting(SettingId::TopP),
        "top_k" => Field::Setting(SettingId::TopK),
        "repeat_penalty" | "repetition_penalty" => Field::Setting(SettingId::RepeatPenalty),
        "quantization" | "quantisation" | "quant" | "quant_type" | "quantization_type" => {
            Field::Setting(SettingId::Quantization)
        }
        "backend" | "engine" | "runtime" | "inference_backend" | "inference_engine" => {
            Field::Setting(SettingId::Backend)
        }
        "variant" | "arm" | "agent_type" | "agent_variant" => Field::Setting(SettingId::Variant),
        "scenario" | "scenario_name" | "prompt_set" | "workload" => {
            Field::Setting(SettingId::Scenario)
        }
        "error" | "errors" | "error_message" | "error_msg" | "err" | "exception" | "failure"
        | "failure_reason" | "error_text" | "error_detail" => Field::Error,
        "success" | "succeeded" | "successful" | "ok" | "passed" => Field::Success,
        "status" | "state" | "outcome" | "run_status" => Field::Status,
        "options" | "params" | "parameters" | "settings" | "config" | "configuration"
        | "generation_options" | "model_options" | "run_config" | "spec" | "run_spec" => {
            Field::Options
        }
        "prompt" | "prompt_text" | "input" | "question" | "query" => Field::Prompt,
        // Not `samples`: a telemetry column of that name counts readings.
        "runs" | "n_runs" | "num_runs" | "run_count" | "number_of_runs" | "total_runs"
        | "test_count" | "tests" | "num_tests" | "trials" | "n_trials" | "num_trials"
        | "repetitions" | "repeats" | "num_repeats" | "iterations" | "n_iterations"
        | "num_iterations" | "iteration_count" => Field::RunCount,
        "gpu" | "gpu_name" | "gpu_model" | "gpu_type" | "gpu_info" | "graphics_card"
        | "device_name" => Field::Environment(EnvKind::Gpu),
        "driver"
        | "driver_version"
        | "nvidia_driver"
        | "nvidia_driver_version"
        | "gpu_driver"
        | "cuda_driver" => Field::Environment(EnvKind::Driver),
        "ollama_version" | "ollama" | "ollama_server_version" => {
            Field::Environment(EnvKind::OllamaVersion)
        }
        _ => return None,
    };
    Some(field)
}

fn is_timestamp_name(joined: &str) -> bool {
    joined.contains("timestamp")
        || joined.contains("datetime")
        || joined.ends_with("_at")
        || joined.ends_with("_time")
        || joined.ends_with("_date")
        || matches!(
            joined,
            "time" | "date" | "created" | "started" | "finished" | "when"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(name: &str) -> Option<(MetricId, Unit, bool)> {
        match classify(name) {
            Some(Field::Metric {
                metric,
                unit,
                aggregate,
            }) => Some((metric, unit, aggregate)),
            _ => None,
        }
    }

    #[test]
    fn only_ollamas_own_fields_may_hold_seconds_instead_of_nanoseconds() {
        let implied = Unit::ImpliedNanos;
        assert_eq!(implied.of_value(44.43), Unit::AssumedSeconds);
        assert_eq!(implied.of_value(999.0), Unit::AssumedSeconds);
        // Whole nanoseconds, a mean of them, and zero stay nanoseconds.
        assert_eq!(implied.of_value(1000.0), implied);
        assert_eq!(implied.of_value(5_234_567_890.5), implied);
        assert_eq!(implied.of_value(0.0), implied);
        // A name that says `_ns` is taken at its word.
        assert_eq!(Unit::Nanos.of_value(44.43), Unit::Nanos);
        assert_eq!(metric("ttft_ns").map(|m| m.1), Some(Unit::Nanos));
        assert_eq!(metric("total_duration").map(|m| m.1), Some(implied));
    }

    #[test]
    fn names_split_at_separators_humps_and_brackets() {
        let (words, unit) = normalise("Generation Time (ms)");
        assert_eq!(words, ["generation", "time"]);
        assert_eq!(unit, Some(Unit::Millis));
        assert_eq!(normalise("meanTtftMs").0, ["mean", "ttft", "ms"]);
        assert_eq!(normalise("TTFTMs").0, ["ttft", "ms"]);
        assert_eq!(
            normalise("prompt-eval.count").0,
            ["prompt", "eval", "count"]
        );
        assert_eq!(
            normalise("Mean TTFT (warm)"),
            (vec!["mean".into(), "ttft".into()], None)
        );
    }

    #[test]
    fn ttft_is_recognised_in_every_spelling() {
        use MetricId::TtftMs;
        assert_eq!(metric("ttft_s"), Some((TtftMs, Unit::Seconds, false)));
        assert_eq!(metric("ttft_ms"), Some((TtftMs, Unit::Millis, false)));
        assert_eq!(metric("TTFT"), Some((TtftMs, Unit::AssumedMillis, false)));
        assert_eq!(metric("TTFT (s)"), Some((TtftMs, Unit::Seconds, false)));
        assert_eq!(metric("mean_ttft_s"), Some((TtftMs, Unit::Seconds, true)));
        assert_eq!(
            metric("timeToFirstTokenMs"),
            Some((TtftMs, Unit::Millis, false))
        );
        assert_eq!(metric("ttft_us"), Some((TtftMs, Unit::Micros, false)));
    }

    #[test]
    fn throughput_is_recognised_in_every_spelling() {
        use MetricId::TokensPerSecond as Tps;
        for name in [
            "tokens_s",
            "tokens_per_sec",
            "throughput_tokens_per_sec",
            "Tokens per Second",
            "tokens_per_second",
            "Tokens/s",
            "tok/s",
            "eval_rate",
            "decode_tokens_per_second",
        ] {
            assert_eq!(
                metric(name),
                Some((Tps, Unit::TokensPerSecond, false)),
                "{name}"
            );
        }
        assert_eq!(
            metric("average_tokens_per_second"),
            Some((Tps, Unit::TokensPerSecond, true))
        );
        assert_eq!(
            metric("mean_tokens_s"),
            Some((Tps, Unit::TokensPerSecond, true))
        );
        assert_eq!(
            metric("overall_tokens_per_second"),
            Some((Tps, Unit::TokensPerSecond, true))
        );
    }

    #[test]
    fn ollama_raw_fields_are_nanoseconds_and_counts() {
        assert_eq!(
            metric("eval_duration"),
            Some((MetricId::EvalMs, Unit::ImpliedNanos, false))
        );
        assert_eq!(
            metric("load_duration"),
            Some((MetricId::LoadMs, Unit::ImpliedNanos, false))
        );
        assert_eq!(
            metric("prompt_eval_duration"),
            Some((MetricId::PromptEvalMs, Unit::ImpliedNanos, false))
        );
        assert_eq!(
            metric("total_duration"),
            Some((MetricId::TotalMs, Unit::ImpliedNanos, false))
        );
        assert_eq!(
            metric("eval_count"),
            Some((MetricId::EvalTokens, Unit::Tokens, false))
        );
        assert_eq!(
            metric("prompt_eval_count"),
            Some((MetricId::PromptTokens, Unit::Tokens, false))
        );
    }

    #[test]
    fn other_schemas_map_too() {
        assert_eq!(
            metric("Generation Time (ms)"),
            Some((MetricId::TotalMs, Unit::Millis, false))
        );
        assert_eq!(
            metric("eval_s_mean"),
            Some((MetricId::EvalMs, Unit::Seconds, true))
        );
        assert_eq!(
            metric("load_s"),
            Some((MetricId::LoadMs, Unit::Seconds, false))
        );
        assert_eq!(
            metric("Tokens"),
            Some((MetricId::EvalTokens, Unit::Tokens, false))
        );
        assert_eq!(
            metric("avg_generation_time_ms"),
            Some((MetricId::TotalMs, Unit::Millis, true))
        );
    }

    #[test]
    fn look_alikes_are_not_metrics() {
        for name in [
            "total_tokens",
            "total_generation_time_ms",
            "min_generation_time_ms",
            "p95_ms",
            "mean_ms",
            "overall_mean_ms",
            "compile_time_s",
            "mean_time_ms",
            "prompt_eval",
            "prompt_eval_rate",
            "response_chars",
            "load",
            "median_tokens_s",
        ] {
            assert_eq!(metric(name), None, "{name}");
        }
    }

    #[test]
    fn settings_errors_and_timestamps_are_told_apart() {
        assert_eq!(classify("num_gpu"), Some(Field::Setting(SettingId::NumGpu)));
        assert_eq!(classify("numCtx"), Some(Field::Setting(SettingId::NumCtx)));
        assert_eq!(classify("Model"), Some(Field::Setting(SettingId::Model)));
        assert_eq!(classify("error"), Some(Field::Error));
        assert_eq!(classify("Success"), Some(Field::Success));
        assert_eq!(classify("options"), Some(Field::Options));
        assert_eq!(classify("generated_at"), Some(Field::Timestamp));
        assert_eq!(classify("test_datetime"), Some(Field::Timestamp));
        assert_eq!(
            classify("nvidia_driver"),
            Some(Field::Environment(EnvKind::Driver))
        );
        assert_eq!(classify("Context"), None);
        assert_eq!(
            classify("scenario"),
            Some(Field::Setting(SettingId::Scenario))
        );
        assert_eq!(
            classify("prompt_set"),
            Some(Field::Setting(SettingId::Scenario))
        );
        assert_eq!(
            classify("agent_type"),
            Some(Field::Setting(SettingId::Variant))
        );
    }

    #[test]
    fn markdown_labels_take_their_unit_from_the_value() {
        assert_eq!(
            classify_label("Throughput", Some(Unit::TokensPerSecond)),
            Some(Field::Metric {
                metric: MetricId::TokensPerSecond,
                unit: Unit::TokensPerSecond,
                aggregate: false
            })
        );
        assert_eq!(
            classify_label("TTFT", Some(Unit::Millis)),
            Some(Field::Metric {
                metric: MetricId::TtftMs,
                unit: Unit::Millis,
                aggregate: false
            })
        );
        assert_eq!(classify_label("TTFT", None), None);
        assert_eq!(classify_label("TTFT", Some(Unit::TokensPerSecond)), None);
        assert!(classify_label("Best Performance", Some(Unit::TokensPerSecond)).is_some());
        assert_eq!(
            classify_label("Peak Throughput", Some(Unit::TokensPerSecond)),
            None
        );
        assert_eq!(classify_label("Cold start", Some(Unit::Seconds)), None);
        assert_eq!(
            classify_label("Throughput delta", Some(Unit::TokensPerSecond)),
            None
        );
        assert_eq!(
            classify_label("Average Throughput Δ", Some(Unit::TokensPerSecond)),
            None
        );
    }

    #[test]
    fn differences_and_ratios_are_not_measurements() {
        for name in [
            "throughput_delta",
            "throughput_delta_pct",
            "throughput_pct",
            "avg_throughput_pct",
            "average_throughput_delta",
            "throughput_improvement_percent",
            "ttft_delta_ms",
            "ttft_reduction_percent",
            "TTFT Δ (ms)",
            "Throughput (%)",
            "tokens_per_second_vs_baseline",
            "ttft_diff_ms",
            "speedup",
            "expected_ttft_ms",
            "Target Throughput (tok/s)",
            "theoretical_tokens_per_second",
        ] {
            assert_eq!(classify(name), None, "{name}");
        }
        assert!(says_extreme(" peak throughput"));
        assert!(says_extreme(" max, on the second run"));
        assert!(!says_extreme(" (p95: 900 ms)"));
        assert!(!says_extreme(" (min 37, max 41)"));
        assert!(!says_extreme(" (BEST)"));
        assert!(!says_extreme(" (-2.1% degradation)"));
    }

    #[test]
    fn a_side_of_a_comparison_is_the_first_word() {
        let side = |name: &str| {
            classify_side(name).map(|(side, field)| match field {
                Field::Metric { metric, unit, .. } => (side, metric, unit),
                _ => unreachable!(),
            })
        };
        assert_eq!(
            side("baseline_tok_s"),
            Some((
                "baseline".into(),
                MetricId::TokensPerSecond,
                Unit::TokensPerSecond
            ))
        );
        assert_eq!(
            side("Chimera TTFT (s)"),
            Some(("chimera".into(), MetricId::TtftMs, Unit::Seconds))
        );
        assert_eq!(
            side("chimeraTotalTimeMs"),
            Some(("chimera".into(), MetricId::TotalMs, Unit::Millis))
        );
        for name in [
            "throughput_delta",
            "baseline_throughput_pct",
            "gpu80_ttft_ms",
            "ttft",
            "baseline_config",
            "peak_chimera_tok_s",
        ] {
            assert_eq!(side(name), None, "{name}");
        }
    }

    #[test]
    fn a_statistic_inside_a_name_is_read_as_such() {
        use MetricId::{TokensPerSecond as Tps, TtftMs};
        assert_eq!(
            metric("throughput_mean_tok_s"),
            Some((Tps, Unit::TokensPerSecond, true))
        );
        assert_eq!(metric("ttft_mean_ms"), Some((TtftMs, Unit::Millis, true)));
        assert_eq!(metric("throughput_median_tok_s"), None);
        assert_eq!(metric("ttft_p95_ms"), None);
        assert_eq!(metric("ttft_std_ms"), None);
    }
}
