//! The report files of a run: `report.md` per agent in the shape of
//! Chimera's technical reports, `combined_report.md` comparing the agents,
//! and `metrics.json` with every figure, prompt and response.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::factcheck::{self, Claim};
use super::personas::AgentId;
use super::run::{AgentRecord, Concurrency, Experiment, Mode, Pass, PassKind, QueueVerdict, Stage};
use super::sections::{self, is_findings_title, is_recommendations_title};
use crate::classify::FileType;
use crate::inventory::Inventory;

/// Where the agents ran, as far as the backends told.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentEnvironment {
    pub backend: String,
    pub backend_kind: Option<String>,
    pub backend_version: Option<String>,
    pub backend_url: Option<String>,
    pub model: String,
    pub digest: Option<String>,
    pub parameter_size: Option<String>,
    pub quantization: Option<String>,
    /// Share of the model in GPU memory (0 to 1), from the backend's loaded models.
    pub gpu_share: Option<f64>,
}

impl AgentEnvironment {
    /// What the backend listing says about the agent's backend and model.
    pub fn from_status(
        plan: &super::run::AgentPlan,
        statuses: &[crate::llm::backends::BackendStatus],
    ) -> Self {
        let status = statuses.iter().find(|s| s.name == plan.backend);
        let model = status.and_then(|s| s.models.iter().find(|m| m.name == plan.model));
        let loaded = status.and_then(|s| s.loaded.iter().find(|m| m.name == plan.model));
        let non_empty = |v: Option<String>| v.filter(|s| !s.is_empty());
        Self {
            backend: plan.backend.clone(),
            backend_kind: status.map(|s| s.kind.label().to_owned()),
            backend_version: status.and_then(|s| s.version.clone()),
            backend_url: status.map(|s| s.url.clone()),
            model: plan.model.clone(),
            digest: non_empty(model.and_then(|m| m.digest.clone())),
            parameter_size: non_empty(model.and_then(|m| m.parameter_size.clone())),
            quantization: non_empty(model.and_then(|m| m.quantization.clone())),
            gpu_share: loaded.and_then(|m| m.gpu_share),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub chimera_version: String,
    /// When the run finished, ISO 8601 UTC.
    pub generated_at: String,
    pub a: AgentEnvironment,
    pub b: AgentEnvironment,
}

/// The figures of one agent in one pass, both stages together.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentFigures {
    /// Decode rate over both stages: eval tokens / eval time.
    pub tokens_per_second: Option<f64>,
    /// Time to first token of the first stage.
    pub ttft_ms: Option<f64>,
    /// Wall time of both stages.
    pub total_ms: f64,
    pub analysis_ms: f64,
    pub report_ms: f64,
    pub tokens_generated: Option<u64>,
    pub prompt_tokens: Option<u64>,
    pub prompt_eval_ms: Option<f64>,
    pub eval_ms: Option<f64>,
    pub load_ms: Option<f64>,
}

impl AgentFigures {
    pub fn of(record: &AgentRecord) -> Self {
        let metrics: Vec<_> = record
            .stages
            .iter()
            .filter_map(|s| s.metrics.as_ref())
            .collect();
        let sum_f = |f: &dyn Fn(&crate::llm::GenerationMetrics) -> Option<f64>| {
            let values: Vec<f64> = metrics.iter().filter_map(|m| f(m)).collect();
            (!values.is_empty()).then(|| values.iter().sum())
        };
        let sum_u = |f: &dyn Fn(&crate::llm::GenerationMetrics) -> Option<u64>| {
            let values: Vec<u64> = metrics.iter().filter_map(|m| f(m)).collect();
            (!values.is_empty()).then(|| values.iter().sum())
        };
        let eval_ms = sum_f(&|m| m.eval_ms);
        let tokens = sum_u(&|m| m.eval_tokens);
        let stage_ms = |stage| record.stage(stage).map_or(0.0, |s| s.wall_ms());
        Self {
            tokens_per_second: match (tokens, eval_ms) {
                (Some(n), Some(ms)) if ms > 0.0 => Some(n as f64 * 1000.0 / ms),
                _ => None,
            },
            ttft_ms: record
                .stages
                .first()
                .and_then(|s| s.metrics.as_ref())
                .and_then(|m| m.ttft_ms),
            total_ms: record.wall_ms(),
            analysis_ms: stage_ms(Stage::Analysis),
            report_ms: stage_ms(Stage::Report),
            tokens_generated: tokens,
            prompt_tokens: sum_u(&|m| m.prompt_tokens),
            prompt_eval_ms: sum_f(&|m| m.prompt_eval_ms),
            eval_ms,
            load_ms: sum_f(&|m| m.load_ms),
        }
    }
}

/// Picks one figure out of an agent's figures.
type FigureOf = dyn Fn(&AgentFigures) -> Option<f64>;

/// Mean, sample standard deviation and count.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub mean: f64,
    pub std_dev: Option<f64>,
    pub n: usize,
}

impl Spread {
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let std_dev = (n > 1).then(|| {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        });
        Some(Self { mean, std_dev, n })
    }

    fn text(&self, digits: usize) -> String {
        match self.std_dev {
            Some(sd) => format!("{:.digits$} ± {:.digits$} (n={})", self.mean, sd, self.n),
            None => format!("{:.digits$} (n=1)", self.mean),
        }
    }
}

/// The rendered files of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFiles {
    pub agent_a: String,
    pub agent_b: String,
    pub combined: String,
    pub metrics_json: String,
}

/// The pass whose texts the reports show: the last run's together (or pipeline) pass.
pub fn showcase_pass(experiment: &Experiment) -> Option<&Pass> {
    let last = experiment.runs.last()?;
    last.passes
        .iter()
        .find(|p| matches!(p.kind, PassKind::Together | PassKind::Pipeline))
        .or(last.passes.last())
}

pub fn render(
    experiment: &Experiment,
    inventory: &Inventory,
    environment: &Environment,
) -> ReportFiles {
    let pass = showcase_pass(experiment);
    let record = |id| pass.and_then(|p| p.agent(id));
    let claims_a = record(AgentId::A)
        .and_then(AgentRecord::report_text)
        .map(|t| factcheck::check(t, inventory))
        .unwrap_or_default();
    let claims_b = record(AgentId::B)
        .and_then(AgentRecord::report_text)
        .map(|t| factcheck::check(t, inventory))
        .unwrap_or_default();
    let agent_a = agent_report(
        AgentId::A,
        experiment,
        record(AgentId::A),
        inventory,
        &environment.a,
        environment,
        &claims_a,
    );
    let agent_b = agent_report(
        AgentId::B,
        experiment,
        record(AgentId::B),
        inventory,
        &environment.b,
        environment,
        &claims_b,
    );
    let combined = combined_report(experiment, environment);
    let metrics_json = metrics_json(experiment, inventory, environment, &claims_a, &claims_b);
    ReportFiles {
        agent_a,
        agent_b,
        combined,
        metrics_json,
    }
}

fn options_text(record: &AgentRecord) -> String {
    let o = &record.options;
    let show = |v: Option<String>| v.unwrap_or_else(|| "default".into());
    format!(
        "num_gpu={}, num_ctx={}, temp={}, top_p={}, top_k={}, repeat_penalty={}, num_predict={}",
        show(o.num_gpu.map(|v| v.to_string())),
        show(o.num_ctx.map(|v| v.to_string())),
        show(o.temperature.map(|v| v.to_string())),
        show(o.top_p.map(|v| v.to_string())),
        show(o.top_k.map(|v| v.to_string())),
        show(o.repeat_penalty.map(|v| v.to_string())),
        show(o.num_predict.map(|v| v.to_string())),
    )
}

fn agent_report(
    id: AgentId,
    experiment: &Experiment,
    record: Option<&AgentRecord>,
    inventory: &Inventory,
    env: &AgentEnvironment,
    environment: &Environment,
    claims: &[Claim],
) -> String {
    let plan = if id == AgentId::A {
        &experiment.plan.a
    } else {
        &experiment.plan.b
    };
    let mut out = String::new();
    let _ = writeln!(out, "# Chimera {}\n", id.label());
    let _ = writeln!(out, "# Technical Report: Chimera {} Analysis\n", id.label());
    let _ = writeln!(out, "**Date:** {}  ", environment.generated_at);
    let _ = writeln!(
        out,
        "**Agent Type:** Chimera {} ({})  ",
        id.label(),
        id.role()
    );
    let _ = writeln!(out, "**Model:** {}  ", plan.model);
    let _ = writeln!(
        out,
        "**Backend:** {}{}  ",
        plan.backend,
        env.backend_kind
            .as_deref()
            .map(|k| format!(" ({k})"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "**Scenario:** {} ({} mode, {} run{})  ",
        experiment.plan.scenario.id(),
        mode_label(experiment.plan.mode),
        experiment.plan.runs,
        if experiment.plan.runs == 1 { "" } else { "s" }
    );
    if let Some(record) = record {
        let _ = writeln!(out, "**Configuration:** {}", options_text(record));
    }
    out.push_str("\n---\n\n");

    let report_text = record.and_then(AgentRecord::report_text).unwrap_or("");
    match record {
        Some(r) if r.succeeded() => {
            out.push_str(report_text.trim());
            out.push('\n');
        }
        Some(r) => {
            let error = r
                .stages
                .iter()
                .find_map(|s| s.error.clone())
                .unwrap_or_else(|| "stopped".into());
            let _ = writeln!(out, "> **The model's report is incomplete:** {error}\n");
            if !report_text.trim().is_empty() {
                out.push_str(report_text.trim());
                out.push('\n');
            } else if let Some(analysis) = r.stage(Stage::Analysis) {
                let _ = writeln!(out, "Partial analysis:\n\n{}", analysis.response.trim());
            }
        }
        None => out.push_str("> No generation was recorded for this agent.\n"),
    }
    out.push_str("\n---\n\n");

    let _ = writeln!(out, "## Fact Check\n");
    if claims.is_empty() {
        let _ = writeln!(
            out,
            "The report states no file counts, folder states or dates that could be checked against the inventory.\n"
        );
    } else {
        let wrong = claims.iter().filter(|c| !c.correct).count();
        let _ = writeln!(
            out,
            "{} claims about the data checked against the inventory; {wrong} wrong.\n",
            claims.len()
        );
        for claim in claims {
            let mark = if claim.correct { "✓" } else { "✗" };
            let _ = writeln!(out, "- {mark} {}", claim.explain());
        }
        out.push('\n');
    }

    let figures = record.map(AgentFigures::of).unwrap_or_default();
    let data_files =
        inventory.by_type.csv.count + inventory.by_type.json.count + inventory.by_type.md.count;
    let _ = writeln!(out, "## Workflow Summary");
    let _ = writeln!(
        out,
        "- Files analyzed: {data_files} ({} CSV, {} JSON, {} Markdown; {} other files not analyzed)",
        inventory.by_type.csv.count,
        inventory.by_type.json.count,
        inventory.by_type.md.count,
        inventory.by_type.other.count
    );
    let _ = writeln!(
        out,
        "- Execution time: {:.2}s (ingest {:.2}s | analysis {:.2}s | report {:.2}s)",
        (experiment.ingest_ms + figures.total_ms) / 1000.0,
        experiment.ingest_ms / 1000.0,
        figures.analysis_ms / 1000.0,
        figures.report_ms / 1000.0
    );
    if let Some(stage) = record.and_then(|r| r.stages.first())
        && !stage.context_omitted.is_empty()
    {
        let _ = writeln!(
            out,
            "- Context given to the model: about {} tokens; left out to fit num_ctx: {}",
            stage.context_tokens,
            stage.context_omitted.join("; ")
        );
    }
    let _ = writeln!(
        out,
        "- Data summary:\n```\n{}```\n",
        data_summary(inventory)
    );

    let _ = writeln!(out, "## Metrics");
    let ms =
        |v: Option<f64>| v.map_or_else(|| "not reported".to_string(), |v| format!("{v:.2} ms"));
    let _ = writeln!(
        out,
        "- Throughput: {}",
        figures
            .tokens_per_second
            .map_or_else(|| "not reported".into(), |v| format!("{v:.2} tok/s"))
    );
    let _ = writeln!(out, "- TTFT: {}", ms(figures.ttft_ms));
    let _ = writeln!(out, "- Total Duration: {:.2} ms", figures.total_ms);
    let _ = writeln!(
        out,
        "- Tokens Generated: {}",
        figures
            .tokens_generated
            .map_or_else(|| "not reported".into(), |v| v.to_string())
    );
    let _ = writeln!(
        out,
        "- Prompt Eval: {}{}",
        ms(figures.prompt_eval_ms),
        figures
            .prompt_tokens
            .map(|n| format!(" ({n} prompt tokens)"))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "- Eval Duration: {}", ms(figures.eval_ms));
    let _ = writeln!(out, "- Load Duration: {}", ms(figures.load_ms));
    if experiment.runs.len() > 1 {
        let _ = writeln!(
            out,
            "\nOver {} runs (mean ± standard deviation):\n",
            experiment.runs.len()
        );
        out.push_str(&spread_table(experiment, id));
    }
    out.push('\n');

    let parsed = sections::parse(report_text);
    let _ = writeln!(out, "## Key Findings\n");
    match sections::items_of(&parsed, is_findings_title) {
        Some(section) if !section.items.is_empty() => {
            let _ = writeln!(out, "From the model's \"{}\" section:\n", section.title);
            for (i, item) in section.items.iter().enumerate() {
                let _ = writeln!(out, "{}. {item}", i + 1);
            }
        }
        _ => {
            let _ = writeln!(
                out,
                "The model's report has no findings section with list items."
            );
        }
    }
    let _ = writeln!(out, "\nComputed from the data by Chimera:\n");
    for fact in data_facts(inventory) {
        let _ = writeln!(out, "- [data] {fact}");
    }
    out.push('\n');

    let _ = writeln!(out, "## Recommendations\n");
    match sections::items_of(&parsed, is_recommendations_title) {
        Some(section) if !section.items.is_empty() => {
            for (i, item) in section.items.iter().enumerate() {
                let _ = writeln!(out, "{}. {item}", i + 1);
            }
        }
        _ => {
            let _ = writeln!(
                out,
                "The model's report has no recommendations section with list items."
            );
        }
    }
    out.push('\n');

    let _ = writeln!(out, "## Environment\n");
    let _ = writeln!(
        out,
        "- Backend: {} — {} {} at {}",
        env.backend,
        env.backend_kind.as_deref().unwrap_or("unknown kind"),
        env.backend_version
            .as_deref()
            .unwrap_or("(version not reported)"),
        env.backend_url.as_deref().unwrap_or("?")
    );
    let _ = writeln!(
        out,
        "- Model: {} (digest {}, {} parameters, quantization {})",
        env.model,
        env.digest.as_deref().unwrap_or("not reported"),
        env.parameter_size.as_deref().unwrap_or("not reported"),
        env.quantization.as_deref().unwrap_or("not reported")
    );
    let _ = writeln!(
        out,
        "- Share of the model in GPU memory: {}",
        env.gpu_share
            .map_or_else(|| "not reported".into(), |s| format!("{:.0}%", s * 100.0))
    );
    if let Some(record) = record {
        let _ = writeln!(
            out,
            "- Options sent: {}",
            if record.options.describe().is_empty() {
                "none (backend defaults)".to_string()
            } else {
                record
                    .options
                    .describe()
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    let _ = writeln!(
        out,
        "- Chimera {} at {}\n",
        environment.chimera_version, environment.generated_at
    );

    let _ = writeln!(out, "## Persona Prompt\n```\n{}\n```", plan.persona.trim());
    out
}

fn mode_label(mode: Mode) -> &'static str {
    match mode {
        Mode::Parallel => "parallel",
        Mode::Pipeline => "pipeline",
    }
}

fn data_summary(inventory: &Inventory) -> String {
    let mut out = String::new();
    let data_files =
        inventory.by_type.csv.count + inventory.by_type.json.count + inventory.by_type.md.count;
    let _ = writeln!(out, "Total files analyzed: {data_files}");
    for (file_type, label) in [
        (FileType::Csv, "CSV"),
        (FileType::Json, "JSON"),
        (FileType::Md, "MARKDOWN"),
    ] {
        let stats = inventory.by_type.get(file_type);
        let _ = writeln!(out, "\n{label} Files ({})", stats.count);
        let paths: Vec<_> = inventory
            .entries
            .iter()
            .filter(|e| e.file_type == file_type)
            .map(|e| e.path.as_str())
            .collect();
        for path in paths.iter().take(5) {
            let _ = writeln!(out, "  - {path}");
        }
        if paths.len() > 5 {
            let _ = writeln!(out, "  ... and {} more", paths.len() - 5);
        }
        if let Some(at) = &stats.latest_modified {
            let zone = if stats.latest_modified_zoneless {
                " (zone unknown)"
            } else {
                ""
            };
            let _ = writeln!(out, "  Latest modified: {at}{zone}");
        }
    }
    out
}

/// Findings Chimera computes itself, stated as facts from the inventory.
pub fn data_facts(inventory: &Inventory) -> Vec<String> {
    let mut facts = Vec::new();
    let coverage: Vec<String> = inventory
        .directories
        .expected()
        .iter()
        .map(|(name, dir)| {
            if dir.present {
                format!("{name}/ has {} files", dir.files)
            } else {
                format!("{name}/ is missing")
            }
        })
        .collect();
    facts.push(format!("Directory coverage: {}.", coverage.join(", ")));
    facts.push(format!(
        "{} files: {} CSV, {} JSON, {} Markdown, {} other.",
        inventory.files,
        inventory.by_type.csv.count,
        inventory.by_type.json.count,
        inventory.by_type.md.count,
        inventory.by_type.other.count
    ));
    if let Some((latest, zoneless)) = inventory.latest_modified() {
        facts.push(format!(
            "Latest modification: {latest}{}.",
            if zoneless { " (zone unknown)" } else { " UTC" }
        ));
    }
    if !inventory.problems.is_empty() {
        let paths: Vec<_> = inventory
            .problems
            .iter()
            .take(3)
            .map(|p| {
                if p.path.is_empty() {
                    "(archive)"
                } else {
                    p.path.as_str()
                }
            })
            .collect();
        facts.push(format!(
            "{} files could not be read or parsed, e.g. {}.",
            inventory.problems.len(),
            paths.join(", ")
        ));
    }
    facts
}

fn spread_of(
    experiment: &Experiment,
    id: AgentId,
    kind: impl Fn(PassKind) -> bool,
    value: impl Fn(&AgentFigures) -> Option<f64>,
) -> Option<Spread> {
    let values: Vec<f64> = experiment
        .runs
        .iter()
        .flat_map(|r| &r.passes)
        .filter(|p| kind(p.kind))
        .filter_map(|p| p.agent(id))
        .filter(|r| r.succeeded())
        .filter_map(|r| value(&AgentFigures::of(r)))
        .collect();
    Spread::of(&values)
}

fn spread_table(experiment: &Experiment, id: AgentId) -> String {
    let mut out =
        String::from("| Metric | Alone | Together with the other agent |\n| --- | --- | --- |\n");
    let alone = |k: PassKind| matches!(k, PassKind::Alone(a) if a == id);
    let together = |k: PassKind| matches!(k, PassKind::Together | PassKind::Pipeline);
    let rows: [(&str, usize, &FigureOf); 4] = [
        ("Throughput (tok/s)", 2, &|f| f.tokens_per_second),
        ("TTFT (ms)", 1, &|f| f.ttft_ms),
        ("Total duration (ms)", 1, &|f| Some(f.total_ms)),
        ("Tokens generated", 0, &|f| {
            f.tokens_generated.map(|n| n as f64)
        }),
    ];
    for (label, digits, value) in rows {
        let cell = |s: Option<Spread>| s.map_or_else(|| "—".to_string(), |s| s.text(digits));
        let _ = writeln!(
            out,
            "| {label} | {} | {} |",
            cell(spread_of(experiment, id, alone, value)),
            cell(spread_of(experiment, id, together, value))
        );
    }
    out
}

fn combined_report(experiment: &Experiment, environment: &Environment) -> String {
    let plan = &experiment.plan;
    let mut out = String::new();
    let _ = writeln!(out, "# Chimera Combined Report\n");
    let _ = writeln!(out, "**Date:** {}  ", environment.generated_at);
    let _ = writeln!(out, "**Scenario:** {}  ", plan.scenario.id());
    let _ = writeln!(out, "**Mode:** {}  ", mode_label(plan.mode));
    let _ = writeln!(out, "**Runs:** {}\n", plan.runs);
    let _ = writeln!(out, "| | Agent A | Agent B |\n| --- | --- | --- |");
    let _ = writeln!(out, "| Backend | {} | {} |", plan.a.backend, plan.b.backend);
    let _ = writeln!(out, "| Model | {} | {} |", plan.a.model, plan.b.model);
    let describe = |o: &crate::llm::GenerationOptions| {
        let d = o.describe();
        if d.is_empty() {
            "backend defaults".to_string()
        } else {
            d.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let _ = writeln!(
        out,
        "| Options | {} | {} |\n",
        describe(&plan.a.options),
        describe(&plan.b.options)
    );

    let _ = writeln!(out, "## Per-agent metrics\n");
    let pass = showcase_pass(experiment);
    let fa = pass
        .and_then(|p| p.agent(AgentId::A))
        .map(AgentFigures::of)
        .unwrap_or_default();
    let fb = pass
        .and_then(|p| p.agent(AgentId::B))
        .map(AgentFigures::of)
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "From the last run's {} pass.\n",
        match pass.map(|p| p.kind) {
            Some(PassKind::Pipeline) => "pipeline",
            _ => "together",
        }
    );
    let _ = writeln!(
        out,
        "| Metric | Agent A | Agent B | B − A | B vs A |\n| --- | --- | --- | --- | --- |"
    );
    let rows: [(&str, Option<f64>, Option<f64>, usize); 7] = [
        (
            "Throughput (tok/s)",
            fa.tokens_per_second,
            fb.tokens_per_second,
            2,
        ),
        ("TTFT (ms)", fa.ttft_ms, fb.ttft_ms, 1),
        (
            "Total duration (ms)",
            Some(fa.total_ms),
            Some(fb.total_ms),
            1,
        ),
        (
            "Tokens generated",
            fa.tokens_generated.map(|n| n as f64),
            fb.tokens_generated.map(|n| n as f64),
            0,
        ),
        ("Prompt eval (ms)", fa.prompt_eval_ms, fb.prompt_eval_ms, 1),
        ("Eval (ms)", fa.eval_ms, fb.eval_ms, 1),
        ("Load (ms)", fa.load_ms, fb.load_ms, 1),
    ];
    for (label, a, b, digits) in rows {
        let cell = |v: Option<f64>| v.map_or_else(|| "—".to_string(), |v| format!("{v:.digits$}"));
        let (delta, pct) = match (a, b) {
            (Some(a), Some(b)) => (
                format!("{:+.digits$}", b - a),
                if a.abs() > 1e-9 {
                    format!("{:+.1}%", (b - a) * 100.0 / a)
                } else {
                    "—".into()
                },
            ),
            _ => ("—".into(), "—".into()),
        };
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {delta} | {pct} |",
            cell(a),
            cell(b)
        );
    }
    out.push('\n');

    if plan.mode == Mode::Parallel {
        let _ = writeln!(out, "## Concurrency\n");
        let _ = writeln!(
            out,
            "Each run measures agent A alone, agent B alone (the order alternates between runs), then both at once. Speedup = (A alone + B alone) / together; efficiency = speedup / 2.\n"
        );
        let _ = writeln!(
            out,
            "| Run | A alone (ms) | B alone (ms) | Together (ms) | Speedup | Efficiency | Overlap | Verdict |\n| --- | --- | --- | --- | --- | --- | --- | --- |"
        );
        let per_run: Vec<&Concurrency> = experiment
            .runs
            .iter()
            .filter_map(|r| r.concurrency.as_ref())
            .collect();
        for (run, c) in experiment
            .runs
            .iter()
            .filter_map(|r| r.concurrency.as_ref().map(|c| (r.index + 1, c)))
        {
            let _ = writeln!(
                out,
                "| {run} | {:.0} | {:.0} | {:.0} | {:.2} | {:.0}% | {:.0}% | {} |",
                c.alone_a_ms,
                c.alone_b_ms,
                c.together_ms,
                c.speedup,
                c.efficiency * 100.0,
                c.overlap * 100.0,
                verdict_text(c.verdict)
            );
        }
        out.push('\n');
        if let Some(speedup) = Spread::of(&per_run.iter().map(|c| c.speedup).collect::<Vec<_>>()) {
            let efficiency = Spread::of(
                &per_run
                    .iter()
                    .map(|c| c.efficiency * 100.0)
                    .collect::<Vec<_>>(),
            )
            .expect("same runs");
            let _ = writeln!(out, "- Speedup: {}", speedup.text(2));
            let _ = writeln!(out, "- Efficiency: {} %", efficiency.text(0));
        }
        let _ = writeln!(out, "- Queueing verdict: {}\n", overall_verdict(&per_run));
    }

    if experiment.runs.len() > 1 {
        let _ = writeln!(out, "## Spread over {} runs\n", experiment.runs.len());
        for id in [AgentId::A, AgentId::B] {
            let _ = writeln!(out, "### {}\n", id.label());
            out.push_str(&spread_table(experiment, id));
            out.push('\n');
        }
    }
    let _ = writeln!(
        out,
        "Chimera {} — see agent_a/report.md and agent_b/report.md for each agent's report, and metrics.json for every figure.",
        environment.chimera_version
    );
    out
}

fn verdict_text(verdict: QueueVerdict) -> &'static str {
    match verdict {
        QueueVerdict::RanTogether => "ran together",
        QueueVerdict::Queued => "queued",
        QueueVerdict::Unknown => "unknown (a stage failed)",
    }
}

/// The overall statement on whether the backend(s) really ran the agents side by side.
pub fn overall_verdict(runs: &[&Concurrency]) -> String {
    let queued = runs
        .iter()
        .filter(|c| c.verdict == QueueVerdict::Queued)
        .count();
    let together = runs
        .iter()
        .filter(|c| c.verdict == QueueVerdict::RanTogether)
        .count();
    let companion = runs.iter().any(|c| c.companion_queued);
    let mut text = if runs.is_empty() {
        "no concurrency measurement".to_string()
    } else if queued > 0 && together == 0 {
        "the backend queued the second agent: their generations did not overlap, so the agents ran one after the other even when started together (e.g. one Ollama instance with OLLAMA_NUM_PARALLEL=1). Give each agent its own backend to run them side by side.".to_string()
    } else if together > 0 && queued == 0 {
        "the agents' generations overlapped: the backend(s) ran them side by side.".to_string()
    } else {
        format!("mixed: {together} runs overlapped, {queued} were queued")
    };
    if companion {
        text.push_str(
            " The companion also reported waiting for a free slot (its max_concurrent limit).",
        );
    }
    text
}

#[derive(Serialize)]
struct MetricsFile<'a> {
    schema: &'static str,
    environment: &'a Environment,
    scenario: &'static str,
    mode: Mode,
    runs: usize,
    ingest_ms: f64,
    inventory: InventorySummary<'a>,
    agents: BTreeMap<&'static str, AgentSection>,
    concurrency: Option<ConcurrencySection<'a>>,
    experiment: &'a Experiment,
}

#[derive(Serialize)]
struct InventorySummary<'a> {
    source: &'a str,
    files: u64,
    bytes: u64,
    by_type: &'a crate::inventory::ByType,
    directories: &'a crate::inventory::Directories,
    problems: usize,
}

#[derive(Serialize)]
struct AgentSection {
    backend: String,
    model: String,
    persona: String,
    figures: AgentFigures,
    alone: BTreeMap<&'static str, Option<Spread>>,
    together: BTreeMap<&'static str, Option<Spread>>,
    fact_check: Vec<Claim>,
    key_findings: Vec<String>,
    recommendations: Vec<String>,
}

#[derive(Serialize)]
struct ConcurrencySection<'a> {
    per_run: Vec<&'a Concurrency>,
    speedup: Option<Spread>,
    efficiency: Option<Spread>,
    verdict: String,
}

fn metrics_json(
    experiment: &Experiment,
    inventory: &Inventory,
    environment: &Environment,
    claims_a: &[Claim],
    claims_b: &[Claim],
) -> String {
    let pass = showcase_pass(experiment);
    let mut agents = BTreeMap::new();
    for (id, claims) in [(AgentId::A, claims_a), (AgentId::B, claims_b)] {
        let plan = if id == AgentId::A {
            &experiment.plan.a
        } else {
            &experiment.plan.b
        };
        let record = pass.and_then(|p| p.agent(id));
        let parsed = sections::parse(record.and_then(AgentRecord::report_text).unwrap_or(""));
        let items = |wanted: fn(&str) -> bool| {
            sections::items_of(&parsed, wanted)
                .map(|s| s.items.clone())
                .unwrap_or_default()
        };
        let spreads = |kind: &dyn Fn(PassKind) -> bool| {
            let mut map = BTreeMap::new();
            map.insert(
                "tokens_per_second",
                spread_of(experiment, id, kind, |f| f.tokens_per_second),
            );
            map.insert("ttft_ms", spread_of(experiment, id, kind, |f| f.ttft_ms));
            map.insert(
                "total_ms",
                spread_of(experiment, id, kind, |f| Some(f.total_ms)),
            );
            map.insert(
                "tokens_generated",
                spread_of(experiment, id, kind, |f| {
                    f.tokens_generated.map(|n| n as f64)
                }),
            );
            map
        };
        agents.insert(
            id.slug(),
            AgentSection {
                backend: plan.backend.clone(),
                model: plan.model.clone(),
                persona: plan.persona.clone(),
                figures: record.map(AgentFigures::of).unwrap_or_default(),
                alone: spreads(&|k| matches!(k, PassKind::Alone(a) if a == id)),
                together: spreads(&|k| matches!(k, PassKind::Together | PassKind::Pipeline)),
                fact_check: claims.to_vec(),
                key_findings: items(is_findings_title),
                recommendations: items(is_recommendations_title),
            },
        );
    }
    let per_run: Vec<&Concurrency> = experiment
        .runs
        .iter()
        .filter_map(|r| r.concurrency.as_ref())
        .collect();
    let concurrency = (!per_run.is_empty()).then(|| ConcurrencySection {
        speedup: Spread::of(&per_run.iter().map(|c| c.speedup).collect::<Vec<_>>()),
        efficiency: Spread::of(&per_run.iter().map(|c| c.efficiency).collect::<Vec<_>>()),
        verdict: overall_verdict(&per_run),
        per_run,
    });
    let file = MetricsFile {
        schema: "chimera.run/1",
        environment,
        scenario: experiment.plan.scenario.id(),
        mode: experiment.plan.mode,
        runs: experiment.plan.runs,
        ingest_ms: experiment.ingest_ms,
        inventory: InventorySummary {
            source: &inventory.source,
            files: inventory.files,
            bytes: inventory.bytes,
            by_type: &inventory.by_type,
            directories: &inventory.directories,
            problems: inventory.problems.len(),
        },
        agents,
        concurrency,
        experiment,
    };
    let mut text = serde_json::to_string_pretty(&file).expect("the metrics file serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_use_the_sample_standard_deviation() {
        let s = Spread::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.mean, 5.0);
        assert!((s.std_dev.unwrap() - 2.138_089_935).abs() < 1e-6);
        assert_eq!(s.n, 8);
        assert_eq!(Spread::of(&[3.0]).unwrap().std_dev, None);
        assert!(Spread::of(&[]).is_none());
    }
}
