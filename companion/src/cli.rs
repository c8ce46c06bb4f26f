//! Command-line interface: `chimera serve` and `chimera inventory`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chimera_shared::archive::{Limits, inventory_zip_path};
use chimera_shared::folder::inventory_folder;
use clap::{Args, Parser, Subcommand};

use crate::backend::{BackendSpec, Backends, ConfigFile, Timeouts};
use crate::server::{self, ServeConfig};

#[derive(Debug, Parser)]
#[command(
    name = "chimera",
    version,
    about = "Understand local-LLM benchmark results."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the page (and the LLM proxy) on a local address.
    Serve(ServeArgs),
    /// Inventory a zipped reports folder, or a folder on disk.
    Inventory(InventoryArgs),
    /// Stream one generation from a backend and print its timing metrics.
    Generate(GenerateArgs),
    /// Run the two agents on a reports folder and write their reports.
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A .zip of a reports folder, or the folder itself.
    pub path: PathBuf,
    /// With two backends, agent A uses the first and agent B the second.
    #[command(flatten)]
    pub backend: BackendArgs,
    /// The model for both agents (or agent A when --model-b is given).
    #[arg(long)]
    pub model: String,
    /// A different model for agent B.
    #[arg(long)]
    pub model_b: Option<String>,
    /// baseline_vs_chimera (A with backend defaults, B with --option),
    /// chimera_hetero (A with --option, B with --option-b) or chimera_homo
    /// (both with --option).
    #[arg(long, default_value = "baseline_vs_chimera")]
    pub scenario: String,
    /// parallel (the concurrency experiment) or pipeline (B reads A's report).
    #[arg(long, default_value = "parallel")]
    pub mode: String,
    /// How many times to repeat the experiment.
    #[arg(long, default_value_t = 1)]
    pub runs: usize,
    /// Options as key=value (see `chimera generate --help`). Repeatable.
    #[arg(long = "option", value_name = "KEY=VALUE")]
    pub options: Vec<String>,
    /// Options for agent B in chimera_hetero. Repeatable.
    #[arg(long = "option-b", value_name = "KEY=VALUE")]
    pub options_b: Vec<String>,
    /// A file holding agent A's persona (system prompt).
    #[arg(long)]
    pub persona_a: Option<PathBuf>,
    /// A file holding agent B's persona.
    #[arg(long)]
    pub persona_b: Option<PathBuf>,
    /// The folder to write the reports and metrics.json into.
    #[arg(long)]
    pub out: PathBuf,
    /// Also store the finished report in a running companion
    /// (e.g. http://127.0.0.1:7878) and print its share link.
    #[arg(long, value_name = "URL")]
    pub share: Option<String>,
}

/// Where the LLM backends are. Shared by every command that talks to them.
#[derive(Debug, Args)]
pub struct BackendArgs {
    /// A backend as KIND=URL or NAME:KIND=URL; KIND is ollama or openai.
    /// Repeat for several. Default: ollama=http://127.0.0.1:11434.
    #[arg(long = "backend", value_name = "[NAME:]KIND=URL", value_parser = BackendSpec::parse)]
    pub backends: Vec<BackendSpec>,
    /// A TOML file with [[backend]] entries and [timeouts]; see the README.
    #[arg(long, env = "CHIMERA_CONFIG")]
    pub config: Option<PathBuf>,
}

impl BackendArgs {
    pub fn load(&self) -> anyhow::Result<Backends> {
        let mut specs = self.backends.clone();
        let mut timeouts = Timeouts::default();
        if let Some(path) = &self.config {
            let file = ConfigFile::load(path)?;
            specs.extend(file.backend);
            timeouts = file.timeouts.unwrap_or_default();
        }
        Backends::new(specs, timeouts)
    }
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub backend: BackendArgs,
    /// The model to run, as the backend names it.
    #[arg(long)]
    pub model: String,
    /// The user prompt.
    #[arg(long)]
    pub prompt: String,
    /// A system prompt.
    #[arg(long)]
    pub system: Option<String>,
    /// A generation option as key=value (num_gpu, num_ctx, temperature,
    /// top_p, top_k, repeat_penalty, seed, num_predict, keep_alive). Repeatable.
    #[arg(long = "option", value_name = "KEY=VALUE")]
    pub options: Vec<String>,
    /// Print a JSON object with the text and the metrics on stdout; the text
    /// also streams to stderr as it arrives.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Anything but a loopback address exposes Chimera
    /// to your network; see the README before doing that.
    #[arg(long, default_value = "127.0.0.1:7878")]
    pub listen: SocketAddr,
    /// Folder holding the built page (index.html and the WebAssembly bundle).
    #[arg(long, env = "CHIMERA_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    #[command(flatten)]
    pub backend: BackendArgs,
    /// Where the history and shared reports are kept (an SQLite database).
    /// Default: $XDG_DATA_HOME/chimera, else ~/.local/share/chimera.
    #[arg(long, env = "CHIMERA_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// A .zip of a reports folder, or the folder itself.
    pub path: PathBuf,
    /// Print the inventory as JSON (the same JSON the page downloads).
    #[arg(long)]
    pub json: bool,
    /// Count and check the files without reading the numbers inside them
    /// (faster on very large folders; no metrics and no findings about them).
    #[arg(long)]
    pub no_metrics: bool,
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Inventory(args) => inventory(&args),
        Command::Generate(args) => crate::generate_cmd::run(&args),
        Command::Run(args) => crate::run_cmd::run(&args),
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    init_logging();
    let web_dir = match args.web_dir.map_or_else(server::default_web_dir, Ok) {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("chimera: {error}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("chimera: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let backends = match args.backend.load() {
        Ok(backends) => std::sync::Arc::new(backends),
        Err(error) => {
            eprintln!("chimera: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(crate::store::default_data_dir);
    let store = match crate::store::Store::open(&data_dir) {
        Ok(store) => store,
        Err(error) => {
            eprintln!("chimera: {error}");
            return ExitCode::FAILURE;
        }
    };
    let config = ServeConfig {
        listen: args.listen,
        web_dir,
        backends,
        store,
    };
    match runtime.block_on(server::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("chimera: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn inventory(args: &InventoryArgs) -> ExitCode {
    let limits = Limits {
        read_metrics: !args.no_metrics,
        ..Limits::default()
    };
    let result = read_inventory_with(&args.path, limits);
    match result {
        Ok(inventory) => {
            if args.json {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                if let Err(error) = inventory.write_json(&mut out).and_then(|()| out.flush()) {
                    eprintln!("chimera: writing the inventory: {error}");
                    return ExitCode::FAILURE;
                }
            } else {
                print!("{}", inventory.summary_text());
            }
            // The process ends here: freeing a large folder's inventory piece
            // by piece (tens of milliseconds) would only delay the exit.
            std::mem::forget(inventory);
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("chimera: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Reads a zip or a folder. Fails only when nothing at all could be read.
pub fn read_inventory(path: &Path) -> Result<chimera_shared::Inventory, String> {
    read_inventory_with(path, Limits::default())
}

fn read_inventory_with(path: &Path, limits: Limits) -> Result<chimera_shared::Inventory, String> {
    let metadata =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if metadata.is_dir() {
        return inventory_folder(path, limits)
            .map_err(|e| format!("cannot read {}: {e}", path.display()));
    }
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    inventory_zip_path(&name, path, limits).map_err(|e| format!("{e}: {}", path.display()))
}

pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHIMERA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
