//! A finished run, frozen for sharing: its report files, a summary of the
//! inventory, the environment and headline figures. The companion stores
//! snapshots for share links and the history; small ones also travel whole
//! in a URL fragment, compressed, and never reach any server.

use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::agents::personas::AgentId;
use crate::agents::report::{AgentFigures, Environment, ReportFiles, showcase_pass};
use crate::agents::run::Experiment;
use crate::inventory::Inventory;

pub const SNAPSHOT_VERSION: u32 = 1;
/// The largest snapshot the companion accepts.
pub const MAX_SNAPSHOT_BYTES: usize = 16 * 1024 * 1024;
/// The longest fragment link offered: longer URLs break in chat apps and mail.
pub const MAX_FRAGMENT_CHARS: usize = 60_000;
/// The prefix of a fragment that carries a snapshot.
pub const FRAGMENT_PREFIX: &str = "#report=";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub version: u32,
    pub title: String,
    /// When the run finished, ISO 8601 UTC.
    pub created_at: String,
    pub scenario: String,
    pub mode: String,
    pub runs: usize,
    pub agents: Vec<AgentHeadline>,
    pub inventory: InventoryHeadline,
    pub environment: Environment,
    pub files: SnapshotFiles,
}

/// The figures a history list shows for one agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentHeadline {
    pub agent: AgentId,
    pub backend: String,
    pub model: String,
    pub tokens_per_second: Option<f64>,
    pub ttft_ms: Option<f64>,
    pub total_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryHeadline {
    pub source: String,
    pub files: u64,
    pub bytes: u64,
    pub csv: u64,
    pub json: u64,
    pub md: u64,
    pub other: u64,
    pub problems: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotFiles {
    pub combined_report: String,
    pub agent_a_report: String,
    pub agent_b_report: String,
    /// Left out of fragment links when it does not fit.
    #[serde(default)]
    pub metrics_json: Option<String>,
}

impl Snapshot {
    pub fn new(
        experiment: &Experiment,
        inventory: &Inventory,
        environment: &Environment,
        files: &ReportFiles,
    ) -> Self {
        let pass = showcase_pass(experiment);
        let agents = [
            (AgentId::A, &experiment.plan.a),
            (AgentId::B, &experiment.plan.b),
        ]
        .into_iter()
        .map(|(id, plan)| {
            let figures = pass
                .and_then(|p| p.agent(id))
                .map(AgentFigures::of)
                .unwrap_or_default();
            AgentHeadline {
                agent: id,
                backend: plan.backend.clone(),
                model: plan.model.clone(),
                tokens_per_second: figures.tokens_per_second,
                ttft_ms: figures.ttft_ms,
                total_ms: figures.total_ms,
            }
        })
        .collect();
        Self {
            version: SNAPSHOT_VERSION,
            title: format!("{} — {}", inventory.source, experiment.plan.scenario.id()),
            created_at: environment.generated_at.clone(),
            scenario: experiment.plan.scenario.id().to_owned(),
            mode: format!("{:?}", experiment.plan.mode).to_lowercase(),
            runs: experiment.plan.runs,
            agents,
            inventory: InventoryHeadline {
                source: inventory.source.clone(),
                files: inventory.files,
                bytes: inventory.bytes,
                csv: inventory.by_type.csv.count,
                json: inventory.by_type.json.count,
                md: inventory.by_type.md.count,
                other: inventory.by_type.other.count,
                problems: inventory.problems.len(),
            },
            environment: environment.clone(),
            files: SnapshotFiles {
                combined_report: files.combined.clone(),
                agent_a_report: files.agent_a.clone(),
                agent_b_report: files.agent_b.clone(),
                metrics_json: Some(files.metrics_json.clone()),
            },
        }
    }

    /// Parses and checks a snapshot received from outside.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() > MAX_SNAPSHOT_BYTES {
            return Err(format!(
                "the snapshot is {} bytes; the limit is {MAX_SNAPSHOT_BYTES}",
                bytes.len()
            ));
        }
        let snapshot: Snapshot = serde_json::from_slice(bytes)
            .map_err(|e| format!("not a Chimera report snapshot: {e}"))?;
        snapshot.validate()?;
        Ok(snapshot)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.version != SNAPSHOT_VERSION {
            return Err(format!(
                "snapshot version {} is not supported (this Chimera reads version {SNAPSHOT_VERSION})",
                self.version
            ));
        }
        if self.title.trim().is_empty() || self.title.len() > 500 {
            return Err("the snapshot's title must be 1 to 500 characters".into());
        }
        if self.agents.len() != 2 {
            return Err(format!(
                "a snapshot has two agents, not {}",
                self.agents.len()
            ));
        }
        if self.files.combined_report.trim().is_empty() {
            return Err("the snapshot has no combined report".into());
        }
        if let Some(metrics) = &self.files.metrics_json
            && serde_json::from_str::<serde::de::IgnoredAny>(metrics).is_err()
        {
            return Err("the snapshot's metrics.json is not valid JSON".into());
        }
        Ok(())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a snapshot always serialises")
    }

    /// The fragment (`#report=...`) of a link that carries the whole report.
    /// Leaves out metrics.json if that is what makes it too long; fails when
    /// even the reports alone do not fit.
    pub fn to_fragment(&self) -> Result<String, FragmentTooLarge> {
        let full = encode(self);
        if full.len() <= MAX_FRAGMENT_CHARS {
            return Ok(full);
        }
        let mut lean = self.clone();
        lean.files.metrics_json = None;
        let without_metrics = encode(&lean);
        if without_metrics.len() <= MAX_FRAGMENT_CHARS {
            return Ok(without_metrics);
        }
        Err(FragmentTooLarge {
            chars: without_metrics.len(),
            limit: MAX_FRAGMENT_CHARS,
        })
    }

    /// Reads a snapshot from a link's fragment (with or without its prefix).
    pub fn from_fragment(fragment: &str) -> Result<Self, String> {
        Self::from_json(&fragment_json(fragment)?)
    }
}

/// The snapshot JSON a link's fragment carries, not yet checked: the page
/// has this done in its worker, which holds the decompressor, and reads the
/// JSON itself with [`Snapshot::from_json`].
pub fn fragment_json(fragment: &str) -> Result<Vec<u8>, String> {
    let data = fragment.strip_prefix(FRAGMENT_PREFIX).unwrap_or(fragment);
    if data.len() > MAX_FRAGMENT_CHARS * 2 {
        return Err("the link is too long to be a Chimera report".into());
    }
    let compressed = URL_SAFE_NO_PAD
        .decode(data.trim())
        .map_err(|_| "the link is damaged (not base64url)".to_string())?;
    let mut json = Vec::new();
    flate2::read::DeflateDecoder::new(compressed.as_slice())
        .take(MAX_SNAPSHOT_BYTES as u64 + 1)
        .read_to_end(&mut json)
        .map_err(|_| "the link is damaged (not compressed data)".to_string())?;
    Ok(json)
}

fn encode(snapshot: &Snapshot) -> String {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(snapshot.to_json().as_bytes())
        .expect("writing to memory");
    let compressed = encoder.finish().expect("writing to memory");
    format!("{FRAGMENT_PREFIX}{}", URL_SAFE_NO_PAD.encode(compressed))
}

/// One run in the companion's history, as the owner's list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: String,
    pub title: String,
    pub created_at: String,
    pub scenario: String,
    pub agents: Vec<AgentHeadline>,
    pub shared: bool,
    pub revoked: bool,
    /// Unix seconds; `None` for links that do not expire.
    pub expires_at: Option<i64>,
}

/// A report too large for a fragment link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "this report needs a {chars}-character link; links are limited to {limit} characters, so share it through the companion instead"
)]
pub struct FragmentTooLarge {
    pub chars: usize,
    pub limit: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Snapshot {
        Snapshot {
            version: SNAPSHOT_VERSION,
            title: "reports.zip — chimera_homo".into(),
            created_at: "2026-12-03T13:00:00Z".into(),
            scenario: "chimera_homo".into(),
            mode: "parallel".into(),
            runs: 1,
            agents: vec![
                AgentHeadline {
                    agent: AgentId::A,
                    backend: "gpu0".into(),
                    model: "m".into(),
                    tokens_per_second: Some(40.0),
                    ttft_ms: Some(500.0),
                    total_ms: 9000.0,
                },
                AgentHeadline {
                    agent: AgentId::B,
                    backend: "gpu1".into(),
                    model: "m".into(),
                    tokens_per_second: None,
                    ttft_ms: None,
                    total_ms: 0.0,
                },
            ],
            inventory: InventoryHeadline {
                source: "reports.zip".into(),
                files: 107,
                bytes: 590_563,
                csv: 28,
                json: 44,
                md: 29,
                other: 6,
                problems: 1,
            },
            environment: Environment::default(),
            files: SnapshotFiles {
                combined_report: "# Chimera Combined Report\n".into(),
                agent_a_report: "# Chimera Agent A\n".into(),
                agent_b_report: "# Chimera Agent B\n".into(),
                metrics_json: Some("{\"schema\":\"chimera.run/1\"}".into()),
            },
        }
    }

    #[test]
    fn a_fragment_round_trips() {
        let snapshot = sample();
        let fragment = snapshot.to_fragment().unwrap();
        assert!(fragment.starts_with(FRAGMENT_PREFIX));
        assert!(fragment.len() < 1000);
        assert_eq!(Snapshot::from_fragment(&fragment).unwrap(), snapshot);
    }

    #[test]
    fn metrics_are_dropped_before_the_reports_when_too_long() {
        let mut snapshot = sample();
        // Incompressible text: hex of a simple generator.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let noise: String = (0..100_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from_digit((state % 16) as u32, 16).expect("a hex digit")
            })
            .collect();
        snapshot.files.metrics_json = Some(format!("{{\"noise\":\"{noise}\"}}"));
        let fragment = snapshot.to_fragment().unwrap();
        assert!(
            Snapshot::from_fragment(&fragment)
                .unwrap()
                .files
                .metrics_json
                .is_none()
        );
        snapshot.files.agent_a_report = noise;
        let error = snapshot.to_fragment().unwrap_err();
        assert!(error.to_string().contains("share it through the companion"));
    }

    #[test]
    fn damaged_links_and_bad_snapshots_are_refused() {
        assert!(
            Snapshot::from_fragment("#report=!!!")
                .unwrap_err()
                .contains("damaged")
        );
        assert!(Snapshot::from_fragment("#report=AAAA").is_err());
        assert!(
            Snapshot::from_json(b"{}")
                .unwrap_err()
                .starts_with("not a Chimera report snapshot")
        );
        let mut wrong = sample();
        wrong.version = 9;
        assert!(
            Snapshot::from_json(wrong.to_json().as_bytes())
                .unwrap_err()
                .contains("version 9")
        );
        let mut no_report = sample();
        no_report.files.combined_report.clear();
        assert!(no_report.validate().is_err());
    }
}
