//! `chimera run`: the two agents on a reports folder, from the terminal,
//! through the same workflow the page runs, writing the report files.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use chimera_shared::agents::personas::AgentId;
use chimera_shared::agents::report::{self, AgentEnvironment, Environment};
use chimera_shared::agents::run::{self, AgentPlan, LlmClient, Mode, Plan, Scenario, Step};
use chimera_shared::llm::live::LiveGeneration;
use chimera_shared::llm::{GenerateRequest, StreamEvent};
use chimera_shared::snapshot::Snapshot;
use futures_util::StreamExt;

use crate::backend::{BackendStatus, Backends};
use crate::cli::{RunArgs, read_inventory};
use crate::generate::generate;
use crate::generate_cmd::parse_options;

pub fn run(args: &RunArgs) -> ExitCode {
    match try_run(args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("chimera: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Generations through the companion's own backend client.
pub struct DirectClient {
    pub backends: Arc<Backends>,
}

impl LlmClient for DirectClient {
    async fn generate(
        &self,
        request: GenerateRequest,
        on_event: &dyn Fn(&StreamEvent),
    ) -> LiveGeneration {
        let mut live = LiveGeneration::default();
        let mut stream = std::pin::pin!(generate(self.backends.clone(), request));
        while let Some(event) = stream.next().await {
            on_event(&event);
            live.apply(event);
        }
        live
    }
}

fn try_run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let scenario = Scenario::parse(&args.scenario).map_err(anyhow::Error::msg)?;
    let mode = match args.mode.as_str() {
        "parallel" => Mode::Parallel,
        "pipeline" => Mode::Pipeline,
        other => anyhow::bail!("unknown mode {other:?}: use parallel or pipeline"),
    };
    if args.runs == 0 || args.runs > 100 {
        anyhow::bail!("--runs must be between 1 and 100");
    }
    let ingest_started = Instant::now();
    let inventory = read_inventory(&args.path).map_err(anyhow::Error::msg)?;
    let ingest_ms = ingest_started.elapsed().as_secs_f64() * 1000.0;

    let backends = Arc::new(args.backend.load()?);
    let names = backends.names();
    let backend_a = names[0].to_owned();
    let backend_b = names.get(1).copied().unwrap_or(names[0]).to_owned();
    // --option holds the user's overrides; --option-b gives agent B its own
    // (chimera_hetero). The scenario decides who gets which.
    let overrides = parse_options(&args.options)?;
    let overrides_b = if args.options_b.is_empty() {
        overrides.clone()
    } else {
        parse_options(&args.options_b)?
    };
    let (options_a, options_b) = scenario.resolve(&overrides, &overrides_b);
    let persona = |file: &Option<std::path::PathBuf>, id: AgentId| -> anyhow::Result<String> {
        match file {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read persona {}: {e}", path.display())),
            None => Ok(id.default_persona().to_owned()),
        }
    };
    let plan = Plan {
        scenario,
        mode,
        runs: args.runs,
        a: AgentPlan {
            agent: AgentId::A,
            backend: backend_a,
            model: args.model.clone(),
            persona: persona(&args.persona_a, AgentId::A)?,
            options: options_a,
        },
        b: AgentPlan {
            agent: AgentId::B,
            backend: backend_b,
            model: args.model_b.clone().unwrap_or_else(|| args.model.clone()),
            persona: persona(&args.persona_b, AgentId::B)?,
            options: options_b,
        },
    };
    std::fs::create_dir_all(&args.out)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", args.out.display()))?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (experiment, statuses) = runtime.block_on(async {
        let statuses: Vec<BackendStatus> =
            futures_util::future::join_all(backends.all().iter().map(|b| backends.status(b))).await;
        let client = DirectClient {
            backends: backends.clone(),
        };
        let clock = Instant::now();
        let now_ms = move || clock.elapsed().as_secs_f64() * 1000.0;
        eprintln!(
            "chimera: {} files read in {ingest_ms:.0} ms; running {} ({} mode, {} run{})",
            inventory.files,
            scenario.id(),
            args.mode,
            args.runs,
            if args.runs == 1 { "" } else { "s" }
        );
        let experiment = run::run_experiment(
            &client,
            &now_ms,
            &plan,
            &inventory,
            ingest_ms,
            &print_progress,
        )
        .await;
        (experiment, statuses)
    });

    let environment = Environment {
        chimera_version: env!("CARGO_PKG_VERSION").to_owned(),
        generated_at: now_utc(),
        a: AgentEnvironment::from_status(&plan.a, &statuses),
        b: AgentEnvironment::from_status(&plan.b, &statuses),
    };
    let files = report::render(&experiment, &inventory, &environment);
    write(&args.out.join("agent_a/report.md"), &files.agent_a)?;
    write(&args.out.join("agent_b/report.md"), &files.agent_b)?;
    write(&args.out.join("combined_report.md"), &files.combined)?;
    write(&args.out.join("metrics.json"), &files.metrics_json)?;
    eprintln!(
        "chimera: wrote agent_a/report.md, agent_b/report.md, combined_report.md and metrics.json to {}",
        args.out.display()
    );
    if let Some(companion) = &args.share {
        let snapshot = Snapshot::new(&experiment, &inventory, &environment, &files);
        let link = runtime.block_on(share_snapshot(companion, &snapshot))?;
        println!("{link}");
        eprintln!("chimera: shared at {link}");
    }

    let all_done = experiment
        .runs
        .iter()
        .flat_map(|r| &r.passes)
        .flat_map(|p| &p.agents)
        .all(|a| a.succeeded());
    if all_done {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "chimera: some generations failed; the reports say which and keep what was written"
        );
        Ok(ExitCode::FAILURE)
    }
}

/// Stores the snapshot in a running companion and turns it into a link.
async fn share_snapshot(companion: &str, snapshot: &Snapshot) -> anyhow::Result<String> {
    let base = companion.trim_end_matches('/');
    if !base.starts_with("http://") {
        anyhow::bail!("--share needs the companion's http:// address, e.g. http://127.0.0.1:7878");
    }
    let client = reqwest::Client::builder().no_proxy().build()?;
    let failed = |e: reqwest::Error| anyhow::anyhow!("cannot reach the companion at {base}: {e}");
    let stored = client
        .post(format!("{base}/api/runs"))
        .header("content-type", "application/json")
        .body(snapshot.to_json())
        .send()
        .await
        .map_err(failed)?;
    let status = stored.status();
    let body: serde_json::Value = stored.json().await.unwrap_or_default();
    if status.as_u16() != 201 {
        anyhow::bail!(
            "the companion at {base} refused the report (HTTP {status}): {}",
            body["error"].as_str().unwrap_or("no reason given")
        );
    }
    let id = body["id"].as_str().unwrap_or_default().to_owned();
    let shared = client
        .post(format!("{base}/api/runs/{id}/share"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .map_err(failed)?;
    let status = shared.status();
    let body: serde_json::Value = shared.json().await.unwrap_or_default();
    match body["url"].as_str() {
        Some(url) if status.is_success() => Ok(url.to_owned()),
        _ => anyhow::bail!("the companion at {base} did not share the report (HTTP {status})"),
    }
}

fn print_progress(step: Step, event: &StreamEvent) {
    let pass = match step.pass {
        run::PassKind::Alone(id) => format!("{} alone", id.label()),
        run::PassKind::Together => "together".into(),
        run::PassKind::Pipeline => "pipeline".into(),
    };
    let at = format!(
        "[run {} · {pass} · {} · {}]",
        step.run + 1,
        step.agent.label(),
        step.stage.label()
    );
    match event {
        StreamEvent::Queued { position } => eprintln!("{at} queued (position {position})"),
        StreamEvent::Started { .. } => eprintln!("{at} started"),
        StreamEvent::FirstToken { ttft_ms } => eprintln!("{at} first token after {ttft_ms:.0} ms"),
        StreamEvent::Done { metrics } => eprintln!(
            "{at} done: {} tokens, {} tok/s, {:.0} ms",
            metrics
                .eval_tokens
                .map_or_else(|| "?".into(), |n| n.to_string()),
            metrics
                .tokens_per_second
                .map_or_else(|| "?".into(), |r| format!("{r:.1}")),
            metrics.wall_ms
        ),
        StreamEvent::Error { message, .. } => eprintln!("{at} failed: {message}"),
        StreamEvent::Delta { .. } | StreamEvent::Thinking { .. } | StreamEvent::Progress { .. } => {
        }
    }
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

pub fn now_utc() -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::now_utc()
        .format(format)
        .unwrap_or_default()
}
