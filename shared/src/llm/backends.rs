//! What the companion reports about its configured backends
//! (`GET /api/backends`), shared so the page reads exactly what it writes.

use serde::{Deserialize, Serialize};

/// The API a backend speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Ollama's native API (`/api/chat`).
    Ollama,
    /// An OpenAI-compatible server (`/v1/chat/completions`): llama.cpp, vLLM, LM Studio.
    Openai,
}

impl BackendKind {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "ollama" => Ok(Self::Ollama),
            "openai" => Ok(Self::Openai),
            other => Err(format!(
                "unknown backend kind {other:?}: use ollama or openai"
            )),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Ollama => "Ollama",
            Self::Openai => "OpenAI-compatible",
        }
    }
}

/// One backend's state, models and loaded models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendStatus {
    pub name: String,
    pub kind: BackendKind,
    pub url: String,
    pub reachable: bool,
    pub error: Option<String>,
    pub version: Option<String>,
    pub models: Vec<ModelInfo>,
    pub loaded: Vec<LoadedModel>,
    pub max_concurrent: usize,
    pub busy: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub name: String,
    pub size: Option<u64>,
    pub digest: Option<String>,
    pub family: Option<String>,
    pub parameter_size: Option<String>,
    pub quantization: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadedModel {
    pub name: String,
    pub size: Option<u64>,
    pub size_vram: Option<u64>,
    /// Share of the model held in GPU memory, 0 to 1.
    pub gpu_share: Option<f64>,
}
