//! The agent workflow, independent of how generations are carried out: the
//! page runs it over `fetch`, the command line over the companion's own
//! client. It decides the prompts of each stage, runs the concurrency
//! experiment, and records everything that happened.

use std::cell::RefCell;

use futures_util::future::join;
use serde::{Deserialize, Serialize};

use super::context::{self, Context};
use super::personas::AgentId;
use crate::inventory::Inventory;
use crate::llm::live::{LiveGeneration, Phase};
use crate::llm::{GenerateRequest, GenerationMetrics, GenerationOptions, StreamEvent};

/// Carries out one generation, reporting each event as it arrives.
#[allow(
    async_fn_in_trait,
    reason = "used with static dispatch only, on one thread"
)]
pub trait LlmClient {
    async fn generate(
        &self,
        request: GenerateRequest,
        on_event: &dyn Fn(&StreamEvent),
    ) -> LiveGeneration;
}

/// What is being compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// Agent A with the backend's defaults, agent B with the user's overrides.
    BaselineVsChimera,
    /// Each agent with its own overrides.
    ChimeraHetero,
    /// Both agents with the same overrides (agent A's).
    ChimeraHomo,
}

impl Scenario {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "baseline_vs_chimera" => Ok(Self::BaselineVsChimera),
            "chimera_hetero" => Ok(Self::ChimeraHetero),
            "chimera_homo" => Ok(Self::ChimeraHomo),
            other => Err(format!(
                "unknown scenario {other:?}: use baseline_vs_chimera, chimera_hetero or chimera_homo"
            )),
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Self::BaselineVsChimera => "baseline_vs_chimera",
            Self::ChimeraHetero => "chimera_hetero",
            Self::ChimeraHomo => "chimera_homo",
        }
    }

    /// The options each agent actually runs with. `num_predict` is a length
    /// limit, not a tuning choice: it applies to both so their work is comparable.
    pub fn resolve(
        self,
        a: &GenerationOptions,
        b: &GenerationOptions,
    ) -> (GenerationOptions, GenerationOptions) {
        match self {
            Self::BaselineVsChimera => {
                let baseline = GenerationOptions {
                    num_predict: b.num_predict.or(a.num_predict),
                    ..GenerationOptions::default()
                };
                (baseline, b.clone())
            }
            Self::ChimeraHetero => (a.clone(), b.clone()),
            Self::ChimeraHomo => (a.clone(), a.clone()),
        }
    }
}

/// How the agents relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Independent agents; the concurrency experiment runs them alone and together.
    Parallel,
    /// Agent B runs after A and reads A's report.
    Pipeline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Analysis,
    Report,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Analysis => "analysis",
            Stage::Report => "report",
        }
    }
}

/// One agent as the user set it up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentPlan {
    pub agent: AgentId,
    pub backend: String,
    pub model: String,
    pub persona: String,
    /// The options this agent runs with (already resolved by the scenario).
    pub options: GenerationOptions,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub scenario: Scenario,
    pub mode: Mode,
    pub runs: usize,
    pub a: AgentPlan,
    pub b: AgentPlan,
}

/// Which pass of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "agent")]
pub enum PassKind {
    Alone(AgentId),
    Together,
    Pipeline,
}

/// Where in the experiment an event belongs, for live display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub run: usize,
    pub pass: PassKind,
    pub agent: AgentId,
    pub stage: Stage,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageRecord {
    pub stage: Stage,
    pub system: String,
    pub prompt: String,
    pub response: String,
    pub thinking: String,
    /// Clock readings (ms) when the request was sent and when it ended.
    pub started_ms: f64,
    pub ended_ms: f64,
    pub phase: Phase,
    pub metrics: Option<GenerationMetrics>,
    pub error: Option<String>,
    /// The companion had to queue this request for a free slot.
    pub queued: bool,
    pub context_tokens: usize,
    pub context_omitted: Vec<String>,
}

impl StageRecord {
    pub fn wall_ms(&self) -> f64 {
        self.ended_ms - self.started_ms
    }

    /// When the backend was busy with this stage: from the start of prompt
    /// processing (first token minus prompt time) to the end.
    fn busy_interval(&self) -> Option<(f64, f64)> {
        let metrics = self.metrics.as_ref()?;
        let first = self.started_ms + metrics.ttft_ms?;
        let start = first - metrics.prompt_eval_ms.unwrap_or(0.0);
        Some((start.max(self.started_ms), self.ended_ms))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentRecord {
    pub agent: AgentId,
    pub backend: String,
    pub model: String,
    pub options: GenerationOptions,
    pub stages: Vec<StageRecord>,
}

impl AgentRecord {
    pub fn wall_ms(&self) -> f64 {
        match (self.stages.first(), self.stages.last()) {
            (Some(first), Some(last)) => last.ended_ms - first.started_ms,
            _ => 0.0,
        }
    }

    pub fn succeeded(&self) -> bool {
        self.stages.len() == 2 && self.stages.iter().all(|s| s.phase == Phase::Done)
    }

    pub fn report_text(&self) -> Option<&str> {
        self.stages
            .iter()
            .find(|s| s.stage == Stage::Report)
            .map(|s| s.response.as_str())
    }

    pub fn stage(&self, stage: Stage) -> Option<&StageRecord> {
        self.stages.iter().find(|s| s.stage == stage)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pass {
    pub kind: PassKind,
    pub agents: Vec<AgentRecord>,
    pub wall_ms: f64,
}

impl Pass {
    pub fn agent(&self, id: AgentId) -> Option<&AgentRecord> {
        self.agents.iter().find(|a| a.agent == id)
    }
}

/// One run: in parallel mode A alone, B alone and both together (the order
/// of the solo passes alternates between runs); in pipeline mode one pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub index: usize,
    pub passes: Vec<Pass>,
    pub concurrency: Option<Concurrency>,
}

/// What running both agents at once bought, for one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Concurrency {
    pub alone_a_ms: f64,
    pub alone_b_ms: f64,
    pub together_ms: f64,
    /// (A alone + B alone) / together: 2 is perfect overlap, 1 is none.
    pub speedup: f64,
    pub efficiency: f64,
    /// Share of the shorter agent's backend-busy time that overlapped the
    /// other's: near 0 when the backend served one request at a time.
    pub overlap: f64,
    /// The companion reported waiting for a free slot.
    pub companion_queued: bool,
    pub verdict: QueueVerdict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueVerdict {
    /// The two agents' generations overlapped: the backend(s) ran them side by side.
    RanTogether,
    /// They did not overlap: one waited for the other (e.g. one Ollama
    /// instance with OLLAMA_NUM_PARALLEL=1).
    Queued,
    /// A stage failed, so nothing can be said.
    Unknown,
}

/// The whole experiment, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    pub plan: Plan,
    pub ingest_ms: f64,
    pub runs: Vec<RunRecord>,
}

/// Runs the plan. `now_ms` is a monotonic clock in milliseconds;
/// `on_event` sees every event of every generation, with where it belongs.
pub async fn run_experiment<C: LlmClient>(
    client: &C,
    now_ms: &dyn Fn() -> f64,
    plan: &Plan,
    inventory: &Inventory,
    ingest_ms: f64,
    on_event: &dyn Fn(Step, &StreamEvent),
) -> Experiment {
    let mut runs = Vec::new();
    for index in 0..plan.runs.max(1) {
        let record = match plan.mode {
            Mode::Pipeline => {
                let started = now_ms();
                let a = run_agent(
                    client,
                    now_ms,
                    &plan.a,
                    inventory,
                    None,
                    index,
                    PassKind::Pipeline,
                    on_event,
                )
                .await;
                let a_report = a.report_text().map(str::to_owned);
                let b = run_agent(
                    client,
                    now_ms,
                    &plan.b,
                    inventory,
                    a_report.as_deref(),
                    index,
                    PassKind::Pipeline,
                    on_event,
                )
                .await;
                let pass = Pass {
                    kind: PassKind::Pipeline,
                    agents: vec![a, b],
                    wall_ms: now_ms() - started,
                };
                RunRecord {
                    index,
                    passes: vec![pass],
                    concurrency: None,
                }
            }
            Mode::Parallel => {
                let order = if index % 2 == 0 {
                    [AgentId::A, AgentId::B]
                } else {
                    [AgentId::B, AgentId::A]
                };
                let mut passes = Vec::new();
                for id in order {
                    let agent_plan = if id == AgentId::A { &plan.a } else { &plan.b };
                    let started = now_ms();
                    let record = run_agent(
                        client,
                        now_ms,
                        agent_plan,
                        inventory,
                        None,
                        index,
                        PassKind::Alone(id),
                        on_event,
                    )
                    .await;
                    passes.push(Pass {
                        kind: PassKind::Alone(id),
                        agents: vec![record],
                        wall_ms: now_ms() - started,
                    });
                }
                let started = now_ms();
                let (a, b) = join(
                    run_agent(
                        client,
                        now_ms,
                        &plan.a,
                        inventory,
                        None,
                        index,
                        PassKind::Together,
                        on_event,
                    ),
                    run_agent(
                        client,
                        now_ms,
                        &plan.b,
                        inventory,
                        None,
                        index,
                        PassKind::Together,
                        on_event,
                    ),
                )
                .await;
                passes.push(Pass {
                    kind: PassKind::Together,
                    agents: vec![a, b],
                    wall_ms: now_ms() - started,
                });
                let concurrency = concurrency_of(&passes);
                RunRecord {
                    index,
                    passes,
                    concurrency,
                }
            }
        };
        runs.push(record);
    }
    Experiment {
        plan: plan.clone(),
        ingest_ms,
        runs,
    }
}

/// Tokens kept free for each answer when the plan sets no limit.
const DEFAULT_ANSWER_TOKENS: u64 = 512;
/// Context window assumed when the plan does not set `num_ctx` (Ollama's default).
pub const DEFAULT_NUM_CTX: u64 = 2048;

#[allow(
    clippy::too_many_arguments,
    reason = "internal step with the run's full coordinates"
)]
async fn run_agent<C: LlmClient>(
    client: &C,
    now_ms: &dyn Fn() -> f64,
    plan: &AgentPlan,
    inventory: &Inventory,
    upstream_report: Option<&str>,
    run: usize,
    pass: PassKind,
    on_event: &dyn Fn(Step, &StreamEvent),
) -> AgentRecord {
    let mut stages = Vec::new();
    let mut analysis = String::new();
    for stage in [Stage::Analysis, Stage::Report] {
        let task = task_text(plan.agent, stage, &analysis, upstream_report);
        let num_ctx = plan.options.num_ctx.unwrap_or(DEFAULT_NUM_CTX);
        let answer = plan
            .options
            .num_predict
            .filter(|n| *n > 0)
            .map_or(DEFAULT_ANSWER_TOKENS, |n| n as u64);
        let budget = context::budget_for(num_ctx, &plan.persona, &task, answer);
        let data: Context = context::build(inventory, budget);
        let prompt = format!("{}\n{task}", data.text);
        let request = GenerateRequest {
            backend: plan.backend.clone(),
            model: plan.model.clone(),
            system: Some(plan.persona.clone()),
            prompt: prompt.clone(),
            options: plan.options.clone(),
        };
        let step = Step {
            run,
            pass,
            agent: plan.agent,
            stage,
        };
        let queued = RefCell::new(false);
        let started_ms = now_ms();
        let live = client
            .generate(request, &|event| {
                if matches!(event, StreamEvent::Queued { .. }) {
                    *queued.borrow_mut() = true;
                }
                on_event(step, event);
            })
            .await;
        let ended_ms = now_ms();
        let failed = live.phase != Phase::Done;
        if stage == Stage::Analysis {
            analysis = live.text.clone();
        }
        stages.push(StageRecord {
            stage,
            system: plan.persona.clone(),
            prompt,
            response: live.text,
            thinking: live.thinking,
            started_ms,
            ended_ms,
            phase: live.phase,
            metrics: live.metrics,
            error: live.error.map(|(_, message)| message),
            queued: queued.into_inner(),
            context_tokens: data.tokens,
            context_omitted: data.omitted,
        });
        if failed {
            break;
        }
    }
    AgentRecord {
        agent: plan.agent,
        backend: plan.backend.clone(),
        model: plan.model.clone(),
        options: plan.options.clone(),
        stages,
    }
}

fn task_text(
    agent: AgentId,
    stage: Stage,
    analysis: &str,
    upstream_report: Option<&str>,
) -> String {
    let mut task = String::new();
    if let Some(report) = upstream_report {
        task.push_str("\nDATA COLLECTOR'S REPORT (agent A, for you to build on):\n");
        task.push_str(report.trim());
        task.push('\n');
    }
    match stage {
        Stage::Analysis => {
            task.push_str("\nTASK: Analyse the DATA above. As a numbered list, state what the numbers show and what is missing. ");
            task.push_str("Quote every figure exactly as the DATA gives it.");
        }
        Stage::Report => {
            task.push_str("\nYOUR ANALYSIS (from the previous step):\n");
            task.push_str(analysis.trim());
            task.push_str("\n\nTASK: Write the final technical report in Markdown. Use these sections, each as a '## ' heading: ");
            task.push_str(match agent {
                AgentId::A => "1. Executive Summary, 2. Data Ingestion Summary, 3. Performance Analysis, 4. Key Findings (a numbered list), 5. Recommendations (a numbered list), 6. Conclusion.",
                AgentId::B => "1. Executive Summary, 2. Key Findings (a numbered list), 3. Recommendations (three, numbered), 4. Risks and Mitigations (a Markdown table), 5. Conclusion.",
            });
            task.push_str(" Use only figures from the DATA.");
        }
    }
    task
}

fn concurrency_of(passes: &[Pass]) -> Option<Concurrency> {
    let alone = |id| passes.iter().find(|p| p.kind == PassKind::Alone(id));
    let (alone_a, alone_b) = (alone(AgentId::A)?, alone(AgentId::B)?);
    let together = passes.iter().find(|p| p.kind == PassKind::Together)?;
    let all_done = passes
        .iter()
        .flat_map(|p| &p.agents)
        .all(AgentRecord::succeeded);
    let speedup = (alone_a.wall_ms + alone_b.wall_ms) / together.wall_ms.max(1e-9);
    let (a, b) = (together.agent(AgentId::A)?, together.agent(AgentId::B)?);
    let overlap = overlap_share(a, b);
    let companion_queued = together
        .agents
        .iter()
        .flat_map(|r| &r.stages)
        .any(|s| s.queued);
    let verdict = match (all_done, overlap) {
        (false, _) | (true, None) => QueueVerdict::Unknown,
        (true, Some(share)) if share < 0.2 => QueueVerdict::Queued,
        (true, Some(_)) => QueueVerdict::RanTogether,
    };
    Some(Concurrency {
        alone_a_ms: alone_a.wall_ms,
        alone_b_ms: alone_b.wall_ms,
        together_ms: together.wall_ms,
        speedup,
        efficiency: speedup / 2.0,
        overlap: overlap.unwrap_or(0.0),
        companion_queued,
        verdict,
    })
}

/// Overlap of the two agents' backend-busy intervals, over the shorter total.
fn overlap_share(a: &AgentRecord, b: &AgentRecord) -> Option<f64> {
    let spans = |r: &AgentRecord| {
        r.stages
            .iter()
            .map(StageRecord::busy_interval)
            .collect::<Option<Vec<_>>>()
    };
    let (sa, sb) = (spans(a)?, spans(b)?);
    let total = |s: &[(f64, f64)]| s.iter().map(|(x, y)| (y - x).max(0.0)).sum::<f64>();
    let shorter = total(&sa).min(total(&sb));
    if shorter <= 0.0 {
        return None;
    }
    let mut shared = 0.0;
    for (a0, a1) in &sa {
        for (b0, b1) in &sb {
            shared += (a1.min(*b1) - a0.max(*b0)).max(0.0);
        }
    }
    Some((shared / shorter).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::events::FiguresSource;

    fn stage(stage: Stage, start: f64, ttft: f64, end: f64) -> StageRecord {
        StageRecord {
            stage,
            system: String::new(),
            prompt: String::new(),
            response: "text".into(),
            thinking: String::new(),
            started_ms: start,
            ended_ms: end,
            phase: Phase::Done,
            metrics: Some(GenerationMetrics {
                ttft_ms: Some(ttft),
                wall_ms: end - start,
                load_ms: None,
                prompt_eval_ms: Some(0.0),
                prompt_tokens: None,
                eval_ms: None,
                eval_tokens: None,
                total_ms: None,
                tokens_per_second: None,
                prompt_tokens_per_second: None,
                streamed_chunks: 1,
                done_reason: None,
                source: FiguresSource::Ollama,
            }),
            error: None,
            queued: false,
            context_tokens: 0,
            context_omitted: vec![],
        }
    }

    fn agent(id: AgentId, stages: Vec<StageRecord>) -> AgentRecord {
        AgentRecord {
            agent: id,
            backend: "b".into(),
            model: "m".into(),
            options: GenerationOptions::default(),
            stages,
        }
    }

    fn passes(
        together_a: Vec<StageRecord>,
        together_b: Vec<StageRecord>,
        together_ms: f64,
    ) -> Vec<Pass> {
        vec![
            Pass {
                kind: PassKind::Alone(AgentId::A),
                agents: vec![agent(
                    AgentId::A,
                    vec![
                        stage(Stage::Analysis, 0.0, 1.0, 50.0),
                        stage(Stage::Report, 50.0, 1.0, 100.0),
                    ],
                )],
                wall_ms: 100.0,
            },
            Pass {
                kind: PassKind::Alone(AgentId::B),
                agents: vec![agent(
                    AgentId::B,
                    vec![
                        stage(Stage::Analysis, 0.0, 1.0, 50.0),
                        stage(Stage::Report, 50.0, 1.0, 100.0),
                    ],
                )],
                wall_ms: 100.0,
            },
            Pass {
                kind: PassKind::Together,
                agents: vec![agent(AgentId::A, together_a), agent(AgentId::B, together_b)],
                wall_ms: together_ms,
            },
        ]
    }

    #[test]
    fn side_by_side_generation_doubles_the_speed() {
        let runs = passes(
            vec![
                stage(Stage::Analysis, 0.0, 1.0, 50.0),
                stage(Stage::Report, 50.0, 1.0, 100.0),
            ],
            vec![
                stage(Stage::Analysis, 0.0, 1.0, 50.0),
                stage(Stage::Report, 50.0, 1.0, 100.0),
            ],
            100.0,
        );
        let c = concurrency_of(&runs).unwrap();
        assert_eq!((c.speedup, c.efficiency), (2.0, 1.0));
        assert!(c.overlap > 0.95);
        assert_eq!(c.verdict, QueueVerdict::RanTogether);
    }

    #[test]
    fn a_queueing_backend_is_detected_even_when_the_wall_time_looks_efficient() {
        // B's requests sat in the backend's queue: sent at once, but its first
        // tokens only came after A's stage finished.
        let runs = passes(
            vec![
                stage(Stage::Analysis, 0.0, 1.0, 50.0),
                stage(Stage::Report, 100.0, 1.0, 150.0),
            ],
            vec![
                stage(Stage::Analysis, 0.0, 51.0, 100.0),
                stage(Stage::Report, 100.0, 51.0, 200.0),
            ],
            200.0,
        );
        let c = concurrency_of(&runs).unwrap();
        assert_eq!(c.speedup, 1.0);
        assert!(c.overlap < 0.05, "{}", c.overlap);
        assert_eq!(c.verdict, QueueVerdict::Queued);
    }

    #[test]
    fn scenarios_resolve_the_options_each_agent_gets() {
        let a = GenerationOptions {
            temperature: Some(0.2),
            num_predict: Some(64),
            ..Default::default()
        };
        let b = GenerationOptions {
            num_gpu: Some(80),
            num_ctx: Some(4096),
            num_predict: Some(64),
            ..Default::default()
        };
        let (base, tuned) = Scenario::BaselineVsChimera.resolve(&a, &b);
        assert_eq!(
            base,
            GenerationOptions {
                num_predict: Some(64),
                ..Default::default()
            }
        );
        assert_eq!(tuned, b);
        assert_eq!(
            Scenario::ChimeraHomo.resolve(&a, &b),
            (a.clone(), a.clone())
        );
        assert_eq!(
            Scenario::ChimeraHetero.resolve(&a, &b),
            (a.clone(), b.clone())
        );
        assert!(Scenario::parse("turbo").is_err());
    }
}
