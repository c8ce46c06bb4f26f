//! The LLM backends the operator configured: where they are, what kind of
//! API they speak, how many requests each may run at once, and how to ask
//! them what models they have. Requests name a backend; no request can make
//! the companion contact any other address.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use chimera_shared::llm::backends::{BackendKind, BackendStatus, LoadedModel, ModelInfo};

/// One configured backend, before it is set up.
#[derive(Clone, PartialEq, Deserialize)]
pub struct BackendSpec {
    #[serde(default)]
    pub name: Option<String>,
    pub kind: BackendKind,
    pub url: String,
    /// Requests run at once; more wait in a queue and are reported as queued.
    #[serde(default)]
    pub max_concurrent: Option<usize>,
    /// Name of an environment variable holding the API key.
    #[serde(default)]
    pub api_key_env: Option<String>,
}

impl std::fmt::Debug for BackendSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendSpec")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("url", &self.url)
            .finish()
    }
}

impl BackendSpec {
    /// Parses `KIND=URL` or `NAME:KIND=URL`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let (head, url) = spec
            .split_once('=')
            .ok_or_else(|| format!("backend {spec:?} must look like KIND=URL or NAME:KIND=URL"))?;
        let (name, kind) = match head.split_once(':') {
            Some((name, kind)) => (Some(name.trim().to_owned()), kind),
            None => (None, head),
        };
        if name.as_deref().is_some_and(|n| {
            n.is_empty()
                || !n
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        }) {
            return Err(format!(
                "backend name in {spec:?} may use letters, digits, '-', '_' and '.' only"
            ));
        }
        Ok(Self {
            name,
            kind: BackendKind::parse(kind.trim())?,
            url: url.trim().to_owned(),
            max_concurrent: None,
            api_key_env: None,
        })
    }
}

/// Time limits for talking to a backend.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default)]
pub struct Timeouts {
    pub connect_s: f64,
    /// Until the first byte of the answer: includes loading the model, which
    /// takes minutes for big models on slow disks.
    pub first_byte_s: f64,
    /// Longest silence between two chunks once streaming.
    pub idle_s: f64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect_s: 5.0,
            first_byte_s: 600.0,
            idle_s: 120.0,
        }
    }
}

/// The companion's configuration file (`--config`), TOML.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub backend: Vec<BackendSpec>,
    #[serde(default)]
    pub timeouts: Option<Timeouts>,
}

impl ConfigFile {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("config file {} is not valid", path.display()))
    }
}

pub const DEFAULT_OLLAMA_URL: &str = "http://127.0.0.1:11434";
const DEFAULT_MAX_CONCURRENT: usize = 4;

/// A backend, ready to take requests.
pub struct Backend {
    pub name: String,
    pub kind: BackendKind,
    /// For Ollama the server root; for OpenAI-compatible servers the `/v1` root.
    pub base_url: String,
    api_key: Option<String>,
    slots: Arc<Semaphore>,
    pub max_concurrent: usize,
    waiting: Arc<AtomicUsize>,
}

/// A place in a backend's queue. Dropping it (the client went away) leaves the queue.
#[derive(Debug)]
pub struct QueueTicket {
    slots: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
}

impl QueueTicket {
    pub async fn wait(self) -> OwnedSemaphorePermit {
        self.slots
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }
}

impl Drop for QueueTicket {
    fn drop(&mut self) {
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

impl std::fmt::Debug for Backend {
    // The API key stays out of logs and debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl Backend {
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Adds the API key, if any, to a request.
    pub fn authorize(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.api_key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    /// A free slot, if there is one now.
    pub fn try_acquire(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().ok()
    }

    /// Joins the queue for a slot: returns the position to report, and a
    /// ticket whose [`QueueTicket::wait`] resolves when a slot frees up.
    pub fn enqueue(&self) -> (usize, QueueTicket) {
        let position = self.waiting.fetch_add(1, Ordering::SeqCst) + 1;
        (
            position,
            QueueTicket {
                slots: self.slots.clone(),
                waiting: self.waiting.clone(),
            },
        )
    }

    /// Requests that are running now.
    pub fn busy(&self) -> usize {
        self.max_concurrent - self.slots.available_permits()
    }
}

/// Every configured backend and the HTTP client used to reach them.
#[derive(Debug)]
pub struct Backends {
    list: Vec<Arc<Backend>>,
    pub client: reqwest::Client,
    pub timeouts: Timeouts,
}

impl Backends {
    /// Sets up backends from `--backend` specs and the config file's; with
    /// none at all, one Ollama at its default address.
    pub fn new(specs: Vec<BackendSpec>, timeouts: Timeouts) -> anyhow::Result<Self> {
        Self::with_env(specs, timeouts, &|name| std::env::var(name).ok())
    }

    /// Like [`Self::new`], reading API keys through `env`.
    pub fn with_env(
        mut specs: Vec<BackendSpec>,
        timeouts: Timeouts,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        if specs.is_empty() {
            specs.push(
                BackendSpec::parse(&format!("ollama={DEFAULT_OLLAMA_URL}"))
                    .expect("the default parses"),
            );
        }
        let mut list: Vec<Arc<Backend>> = Vec::new();
        let mut used: BTreeMap<String, usize> = BTreeMap::new();
        for spec in specs {
            let base = match spec.kind {
                BackendKind::Ollama => "ollama",
                BackendKind::Openai => "openai",
            };
            let name = match spec.name {
                Some(name) => name,
                None => {
                    let n = used.get(base).copied().unwrap_or(0) + 1;
                    if n == 1 {
                        base.to_owned()
                    } else {
                        format!("{base}-{n}")
                    }
                }
            };
            if list.iter().any(|b| b.name == name) {
                bail!("two backends are named {name:?}; name them with NAME:KIND=URL");
            }
            *used.entry(base.to_owned()).or_default() += 1;
            let base_url = normalise_url(&spec.url, spec.kind).map_err(anyhow::Error::msg)?;
            let env_name = spec
                .api_key_env
                .clone()
                .unwrap_or_else(|| api_key_variable(&name));
            let api_key = env(&env_name).filter(|k| !k.is_empty());
            let max_concurrent = spec.max_concurrent.unwrap_or(DEFAULT_MAX_CONCURRENT).max(1);
            list.push(Arc::new(Backend {
                name,
                kind: spec.kind,
                base_url,
                api_key,
                slots: Arc::new(Semaphore::new(max_concurrent)),
                max_concurrent,
                waiting: Arc::new(AtomicUsize::new(0)),
            }));
        }
        // A fresh connection per request: a pooled one may be closed by the
        // backend just as it is reused ("connection closed before message
        // completed"), and generations are long enough that setting up a
        // loopback connection costs nothing measurable.
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs_f64(timeouts.connect_s))
            .pool_max_idle_per_host(0)
            .no_proxy()
            .build()
            .context("cannot set up the HTTP client")?;
        Ok(Self {
            list,
            client,
            timeouts,
        })
    }

    pub fn get(&self, name: &str) -> Option<Arc<Backend>> {
        self.list.iter().find(|b| b.name == name).cloned()
    }

    pub fn all(&self) -> &[Arc<Backend>] {
        &self.list
    }

    pub fn names(&self) -> Vec<&str> {
        self.list.iter().map(|b| b.name.as_str()).collect()
    }

    /// Asks one backend for its version, models and loaded models.
    pub async fn status(&self, backend: &Backend) -> BackendStatus {
        let mut status = BackendStatus {
            name: backend.name.clone(),
            kind: backend.kind,
            url: backend.base_url.clone(),
            reachable: false,
            error: None,
            version: None,
            models: Vec::new(),
            loaded: Vec::new(),
            max_concurrent: backend.max_concurrent,
            busy: backend.busy(),
        };
        let result = match backend.kind {
            BackendKind::Ollama => self.ollama_status(backend, &mut status).await,
            BackendKind::Openai => self.openai_status(backend, &mut status).await,
        };
        match result {
            Ok(()) => status.reachable = true,
            Err(error) => status.error = Some(describe_request_error(backend, &error)),
        }
        status
    }

    async fn get_json(&self, backend: &Backend, path: &str) -> Result<Value, reqwest::Error> {
        let request = backend
            .authorize(self.client.get(backend.endpoint(path)))
            .timeout(Duration::from_secs(10));
        request
            .send()
            .await?
            .error_for_status()?
            .json::<Value>()
            .await
    }

    async fn ollama_status(
        &self,
        backend: &Backend,
        status: &mut BackendStatus,
    ) -> Result<(), reqwest::Error> {
        let version = self.get_json(backend, "/api/version").await?;
        status.version = version
            .get("version")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let tags = self.get_json(backend, "/api/tags").await?;
        for model in tags
            .get("models")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let details = model.get("details");
            let detail = |key: &str| {
                details
                    .and_then(|d| d.get(key))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            status.models.push(ModelInfo {
                name: model
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                size: model.get("size").and_then(Value::as_u64),
                digest: model
                    .get("digest")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                family: detail("family"),
                parameter_size: detail("parameter_size"),
                quantization: detail("quantization_level"),
            });
        }
        if let Ok(ps) = self.get_json(backend, "/api/ps").await {
            for model in ps
                .get("models")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let size = model.get("size").and_then(Value::as_u64);
                let size_vram = model.get("size_vram").and_then(Value::as_u64);
                status.loaded.push(LoadedModel {
                    name: model
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    size,
                    size_vram,
                    gpu_share: match (size, size_vram) {
                        (Some(size), Some(vram)) if size > 0 => Some(vram as f64 / size as f64),
                        _ => None,
                    },
                });
            }
        }
        Ok(())
    }

    async fn openai_status(
        &self,
        backend: &Backend,
        status: &mut BackendStatus,
    ) -> Result<(), reqwest::Error> {
        let models = self.get_json(backend, "/models").await?;
        for model in models
            .get("data")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            status.models.push(ModelInfo {
                name: model
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                size: None,
                digest: None,
                family: None,
                parameter_size: None,
                quantization: None,
            });
        }
        Ok(())
    }
}

/// `CHIMERA_API_KEY_<NAME>`: where a backend's API key is read from by default.
pub fn api_key_variable(name: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("CHIMERA_API_KEY_{upper}")
}

fn normalise_url(url: &str, kind: BackendKind) -> Result<String, String> {
    let trimmed = url.trim().trim_end_matches('/');
    if trimmed.starts_with("https://") {
        // TODO: TLS to backends (needs a TLS stack in the HTTP client); local
        // backends speak plain HTTP, remote ones need a tunnel for now.
        return Err(format!(
            "backend URL {url:?}: https is not supported yet; use http:// (e.g. through an SSH tunnel)"
        ));
    }
    if !trimmed.starts_with("http://") || trimmed.len() <= "http://".len() {
        return Err(format!("backend URL {url:?} must start with http://"));
    }
    Ok(match kind {
        BackendKind::Ollama => trimmed.trim_end_matches("/api").to_owned(),
        BackendKind::Openai if trimmed.ends_with("/v1") => trimmed.to_owned(),
        BackendKind::Openai => format!("{trimmed}/v1"),
    })
}

/// A user-facing sentence for a failed request: which backend, where, and the root cause.
pub fn describe_request_error(backend: &Backend, error: &reqwest::Error) -> String {
    let mut cause = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        cause = inner.to_string();
        source = inner.source();
    }
    let what = if error.is_connect() {
        "is not reachable"
    } else if error.is_timeout() {
        "did not answer in time"
    } else if error.is_status() {
        "refused the request"
    } else {
        "failed"
    };
    format!(
        "{} backend {:?} {what} at {}: {cause}",
        backend.kind.label(),
        backend.name,
        backend.base_url
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_with_and_without_names() {
        let plain = BackendSpec::parse("ollama=http://127.0.0.1:11434").unwrap();
        assert_eq!((plain.name, plain.kind), (None, BackendKind::Ollama));
        let named = BackendSpec::parse("gpu1:openai=http://127.0.0.1:8080/v1").unwrap();
        assert_eq!(named.name.as_deref(), Some("gpu1"));
        assert_eq!(named.kind, BackendKind::Openai);
        assert!(
            BackendSpec::parse("llamafile=http://x")
                .unwrap_err()
                .contains("unknown backend kind")
        );
        assert!(
            BackendSpec::parse("http://x")
                .unwrap_err()
                .contains("KIND=URL")
        );
        assert!(BackendSpec::parse("a b:ollama=http://x").is_err());
    }

    #[test]
    fn unnamed_backends_get_distinct_names() {
        let specs = [
            "ollama=http://127.0.0.1:11434",
            "ollama=http://127.0.0.1:11435",
            "openai=http://127.0.0.1:8080",
        ];
        let backends = Backends::new(
            specs
                .iter()
                .map(|s| BackendSpec::parse(s).unwrap())
                .collect(),
            Timeouts::default(),
        )
        .unwrap();
        assert_eq!(backends.names(), ["ollama", "ollama-2", "openai"]);
        assert_eq!(
            backends.get("openai").unwrap().base_url,
            "http://127.0.0.1:8080/v1"
        );
    }

    #[test]
    fn the_default_is_one_local_ollama() {
        let backends = Backends::new(Vec::new(), Timeouts::default()).unwrap();
        assert_eq!(backends.names(), ["ollama"]);
        assert_eq!(backends.get("ollama").unwrap().base_url, DEFAULT_OLLAMA_URL);
    }

    #[test]
    fn duplicate_names_and_bad_urls_are_refused() {
        let dup = ["a:ollama=http://x:1", "a:openai=http://x:2"]
            .iter()
            .map(|s| BackendSpec::parse(s).unwrap())
            .collect();
        assert!(Backends::new(dup, Timeouts::default()).is_err());
        let bad = vec![BackendSpec::parse("ollama=ftp://x").unwrap()];
        assert!(
            Backends::new(bad, Timeouts::default())
                .unwrap_err()
                .to_string()
                .contains("http://")
        );
    }

    #[test]
    fn api_keys_come_from_the_environment_and_never_show_in_debug_output() {
        let spec = BackendSpec {
            api_key_env: Some("CHIMERA_TEST_KEY_VAR".into()),
            ..BackendSpec::parse("v:openai=http://127.0.0.1:9").unwrap()
        };
        let env =
            |name: &str| (name == "CHIMERA_TEST_KEY_VAR").then(|| "sk-secret-123".to_string());
        let backends = Backends::with_env(vec![spec], Timeouts::default(), &env).unwrap();
        let debug = format!("{:?}", backends.get("v").unwrap());
        assert!(!debug.contains("sk-secret-123"), "{debug}");
        assert!(debug.contains("<set>"), "{debug}");
    }

    #[test]
    fn config_files_parse() {
        let config: ConfigFile = toml::from_str(
            r#"
            [[backend]]
            name = "gpu0"
            kind = "ollama"
            url = "http://127.0.0.1:11434"
            max_concurrent = 1

            [timeouts]
            first_byte_s = 900
            "#,
        )
        .unwrap();
        assert_eq!(config.backend[0].max_concurrent, Some(1));
        assert_eq!(config.timeouts.unwrap().first_byte_s, 900.0);
        assert_eq!(config.timeouts.unwrap().idle_s, 120.0);
    }
}
