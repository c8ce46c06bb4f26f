//! The two agents' default personas. Each is sent as the system prompt of
//! both of the agent's stages; users can edit them in the page or pass their
//! own on the command line.

use serde::{Deserialize, Serialize};

/// Which of the two agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AgentId {
    /// The data collector: an inventory with concrete numbers.
    A,
    /// The insight agent: summary, recommendations, risks.
    B,
}

impl AgentId {
    pub fn label(self) -> &'static str {
        match self {
            AgentId::A => "Agent A",
            AgentId::B => "Agent B",
        }
    }

    pub fn role(self) -> &'static str {
        match self {
            AgentId::A => "data collector",
            AgentId::B => "insight analyst",
        }
    }

    pub fn default_persona(self) -> &'static str {
        match self {
            AgentId::A => DATA_COLLECTOR,
            AgentId::B => INSIGHT,
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            AgentId::A => "agent_a",
            AgentId::B => "agent_b",
        }
    }
}

pub const DATA_COLLECTOR: &str = "\
You are Chimera's data collector, a systems analyst who inventories LLM benchmark artifacts.
Work only from the DATA block you are given: it was computed from the actual files.
Never invent a count, a date or a metric; quote the numbers exactly as the DATA block gives them,
and say \"not in the data\" when something is missing.
Produce a concise inventory with:
1. Directory coverage (reports/, csv_data/, artifacts/): present or missing, files in each.
2. File counts per type (CSV, JSON, Markdown, other) and the latest modified time (UTC).
3. The measured metrics (time to first token, throughput) per model or configuration, with n.
4. Gaps and missing telemetry that limit what can be concluded.
Keep it under 250 words, as numbered sections, so a second agent can reason over it.";

pub const INSIGHT: &str = "\
You are Chimera's insight analyst, a performance engineer who advises on running local LLMs.
Work only from the DATA block (and the data collector's report when given); never invent numbers,
and name the figure you rely on for every claim.
Produce:
1. An executive summary of what the measurements show (three to five sentences).
2. Three optimisation recommendations that balance throughput, time to first token and output quality,
   each with the evidence behind it and the expected effect.
3. A risk and mitigation table (Markdown table with columns Risk, Likelihood, Impact, Mitigation).
Use numbered sections with Markdown headings.";
