//! Chimera's own share of an agent run, and the cost of storing and opening
//! shared reports. Not a test: it measures and prints; BENCHMARKS.md records
//! the figures. Run with `cargo bench -p chimera-companion --bench overhead`
//! (with `CHIMERA_TEST_LLAMA_URL` set, e.g. under `scripts/with-llm.sh`, it
//! also times a real run to compare against).
//!
//! Stages measured (median of repeated runs):
//! - ingest: reading the example zip into an inventory with metrics;
//! - workflow: the whole two-agent experiment with an instant model, i.e.
//!   context building for every stage plus the bookkeeping between calls;
//! - report: rendering the report files (section parsing, fact check,
//!   statistics) and the share snapshot;
//! - store/open: writing a snapshot to the history, sharing it, reading it back.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chimera_companion::backend::{BackendSpec, Backends, Timeouts};
use chimera_companion::run_cmd::DirectClient;
use chimera_companion::store::Store;
use chimera_shared::agents::personas::AgentId;
use chimera_shared::agents::report::{self, Environment};
use chimera_shared::agents::run::{self, AgentPlan, LlmClient, Mode, Plan, Scenario};
use chimera_shared::inventory::{Content, Inventory, InventoryBuilder};
use chimera_shared::llm::events::FiguresSource;
use chimera_shared::llm::live::LiveGeneration;
use chimera_shared::llm::{GenerateRequest, GenerationMetrics, GenerationOptions, StreamEvent};
use chimera_shared::snapshot::Snapshot;

/// A model that answers at once with a fixed report.
struct InstantModel;

const ANSWER: &str = "## 1. Executive Summary\n\nThe folder holds 28 CSV files and 44 JSON files; TTFT was 551.66 ms.\n\n## 4. Key Findings\n\n1. artifacts/ is missing.\n2. Throughput peaked at 303.9 tok/s.\n\n## 5. Recommendations\n\n1. Record GPU telemetry.\n";

impl LlmClient for InstantModel {
    async fn generate(
        &self,
        _request: GenerateRequest,
        on_event: &dyn Fn(&StreamEvent),
    ) -> LiveGeneration {
        let mut live = LiveGeneration::default();
        let events = [
            StreamEvent::FirstToken { ttft_ms: 1.0 },
            StreamEvent::Delta {
                text: ANSWER.into(),
            },
            StreamEvent::Done {
                metrics: GenerationMetrics {
                    ttft_ms: Some(1.0),
                    wall_ms: 2.0,
                    load_ms: Some(0.0),
                    prompt_eval_ms: Some(0.5),
                    prompt_tokens: Some(100),
                    eval_ms: Some(1.0),
                    eval_tokens: Some(50),
                    total_ms: Some(2.0),
                    tokens_per_second: Some(50_000.0),
                    prompt_tokens_per_second: None,
                    streamed_chunks: 1,
                    done_reason: None,
                    source: FiguresSource::Ollama,
                },
            },
        ];
        for event in events {
            on_event(&event);
            live.apply(event);
        }
        live
    }
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn percentile(mut samples: Vec<f64>, q: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[((samples.len() - 1) as f64 * q).round() as usize]
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

fn plan(backend_a: &str, backend_b: &str, model: &str, mode: Mode) -> Plan {
    let options = GenerationOptions {
        num_predict: Some(24),
        num_ctx: Some(1024),
        temperature: Some(0.0),
        ..Default::default()
    };
    let agent = |id: AgentId, backend: &str| AgentPlan {
        agent: id,
        backend: backend.into(),
        model: model.into(),
        persona: id.default_persona().into(),
        options: options.clone(),
    };
    Plan {
        scenario: Scenario::ChimeraHomo,
        mode,
        runs: 1,
        a: agent(AgentId::A, backend_a),
        b: agent(AgentId::B, backend_b),
    }
}

fn example() -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../assets/examples/chimeraforge-reports.zip"),
    )
    .unwrap()
}

/// An inventory of `n` files, each a small CSV sweep, as the share benchmark's input.
fn big_inventory(n: usize) -> Inventory {
    let mut builder = InventoryBuilder::new("sweep-2000.zip", None);
    for i in 0..n {
        let csv = format!(
            "model,num_gpu,num_ctx,ttft_ms,tokens_per_second\nllama3:8b,{},{},{},{}\n",
            i % 4 * 20,
            1024 << (i % 3),
            100 + i % 97,
            30 + i % 13
        );
        builder.add_file(
            &format!("reports/sweep/run_{i:05}.csv"),
            csv.len() as u64,
            None,
            Content::Bytes(csv.as_bytes()),
        );
    }
    builder.finish()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let repeats = 15;

    // Ingest.
    let bytes = example();
    let mut ingest = Vec::new();
    let mut inventory = None;
    for _ in 0..repeats {
        let start = Instant::now();
        inventory = Some(
            chimera_shared::inventory_zip(
                "chimeraforge-reports.zip",
                bytes.clone(),
                Default::default(),
            )
            .unwrap(),
        );
        ingest.push(ms(start));
    }
    let inventory = inventory.unwrap();
    let ingest_ms = median(ingest);

    // The workflow with an instant model (parallel mode: 8 stages).
    let clock = Instant::now();
    let now_ms = move || clock.elapsed().as_secs_f64() * 1000.0;
    let instant_plan = plan("a", "b", "m", Mode::Parallel);
    let mut workflow = Vec::new();
    let mut experiment = None;
    for _ in 0..repeats {
        let start = Instant::now();
        experiment = Some(runtime.block_on(run::run_experiment(
            &InstantModel,
            &now_ms,
            &instant_plan,
            &inventory,
            ingest_ms,
            &|_, _| {},
        )));
        workflow.push(ms(start));
    }
    let experiment = experiment.unwrap();

    // Reports and snapshot.
    let environment = Environment {
        chimera_version: "bench".into(),
        generated_at: "2026-12-03T00:00:00Z".into(),
        ..Default::default()
    };
    let mut rendering = Vec::new();
    for _ in 0..repeats {
        let start = Instant::now();
        let files = report::render(&experiment, &inventory, &environment);
        let snapshot = Snapshot::new(&experiment, &inventory, &environment, &files);
        std::hint::black_box(snapshot.to_json());
        rendering.push(ms(start));
    }
    let own_ms = ingest_ms + median(workflow.clone()) + median(rendering.clone());
    println!("Chimera's own work on the example folder (median of {repeats}):");
    println!("  ingest (inventory + metrics)      {ingest_ms:8.2} ms");
    println!(
        "  workflow, 8 stages, instant model {:8.2} ms",
        median(workflow)
    );
    println!(
        "  report files + snapshot           {:8.2} ms",
        median(rendering)
    );
    println!("  total                             {own_ms:8.2} ms");

    if let Ok(llama) = std::env::var("CHIMERA_TEST_LLAMA_URL") {
        let spec = BackendSpec::parse(&format!("cpu:openai={llama}")).unwrap();
        let backends = Arc::new(Backends::new(vec![spec], Timeouts::default()).unwrap());
        let client = DirectClient { backends };
        let real_plan = plan("cpu", "cpu", "smollm2", Mode::Pipeline);
        let start = Instant::now();
        let real = runtime.block_on(run::run_experiment(
            &client,
            &now_ms,
            &real_plan,
            &inventory,
            ingest_ms,
            &|_, _| {},
        ));
        let wall = ms(start) + ingest_ms;
        let model_ms: f64 = real
            .runs
            .iter()
            .flat_map(|r| &r.passes)
            .flat_map(|p| &p.agents)
            .flat_map(|a| &a.stages)
            .map(|s| s.wall_ms())
            .sum();
        println!(
            "A real run (SmolLM2-135M on llama.cpp, 1 CPU thread, pipeline mode, 4 stages of 24 tokens):"
        );
        println!("  wall {wall:.0} ms, of which model calls {model_ms:.0} ms");
        println!(
            "  Chimera's own share: {:.3}% of the wall time",
            own_ms / wall * 100.0
        );
    }

    // Store and open snapshots of a run over a 2,000-file inventory.
    let big = big_inventory(2000);
    let files = report::render(&experiment, &big, &environment);
    let snapshot = Snapshot::new(&experiment, &big, &environment, &files);
    let dir = std::env::temp_dir().join(format!("chimera-bench-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open(&dir).unwrap();
    let count = 200;
    let (mut stores, mut opens) = (Vec::new(), Vec::new());
    for _ in 0..count {
        let start = Instant::now();
        let id = store.insert(&snapshot, 0).unwrap();
        store.share(&id, None).unwrap();
        stores.push(ms(start));
        let start = Instant::now();
        let opened = store.open_shared(&id, 0).unwrap().unwrap();
        opens.push(ms(start));
        assert_eq!(opened.title, snapshot.title);
    }
    drop(store);
    let size: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "Store and open a shared report ({count} reports, 2,000-file inventory, snapshot {} bytes):",
        snapshot.to_json().len()
    );
    println!(
        "  store + share  p50 {:.2} ms  p99 {:.2} ms",
        median(stores.clone()),
        percentile(stores, 0.99)
    );
    println!(
        "  open           p50 {:.2} ms  p99 {:.2} ms",
        median(opens.clone()),
        percentile(opens, 0.99)
    );
    println!(
        "  database size  {:.1} KB per report",
        size as f64 / count as f64 / 1000.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
