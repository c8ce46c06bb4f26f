//! `chimera run` end to end: the real binary on the example folder, against
//! the Ollama stand-in (scripted, and fed by the real model), writing every
//! report file with consistent figures.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

mod support;

fn example_zip() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets/examples/chimeraforge-reports.zip")
}

fn chimera() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chimera"))
}

/// Runs `chimera run` against a stand-in on its own runtime thread.
fn run_against_standin(
    upstream: Option<String>,
    model: &str,
    extra: &[&str],
) -> (std::process::Output, tempdir::Dir) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let standin = runtime
        .block_on(ollama_standin::spawn(0, upstream))
        .unwrap();
    let out = tempdir::Dir::new();
    let mut command = chimera();
    command
        .arg("run")
        .arg(example_zip())
        .args([
            "--backend",
            &format!("gpu0:ollama={}", standin.url()),
            "--model",
            model,
            "--out",
        ])
        .arg(&out.path)
        .args(extra);
    let output = command.output().unwrap();
    drop(runtime);
    (output, out)
}

mod tempdir {
    pub struct Dir {
        pub path: std::path::PathBuf,
    }
    impl Dir {
        pub fn new() -> Self {
            let path = std::env::temp_dir().join(format!(
                "chimera-run-{}-{}",
                std::process::id(),
                rand_suffix()
            ));
            std::fs::create_dir_all(&path).unwrap();
            Self { path }
        }
        pub fn read(&self, name: &str) -> String {
            std::fs::read_to_string(self.path.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
    fn rand_suffix() -> u128 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    }
}

#[test]
fn a_run_writes_every_report_file_and_flags_a_wrong_count() {
    let (output, out) = run_against_standin(
        None,
        "standin/report",
        &["--option", "num_ctx=4096", "--runs", "2"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report_a = out.read("agent_a/report.md");
    assert!(report_a.starts_with("# Chimera Agent A\n"));
    assert!(
        report_a.contains("wrote 47 JSON files; the inventory has 44"),
        "{report_a}"
    );
    assert!(report_a.contains("✓ \"The folder holds 28 CSV files and 47 JSON files\": 28 CSV files, as in the inventory"), "{report_a}");
    assert!(
        report_a
            .contains("✓ \"artifacts/ is missing\": artifacts/ is missing, as in the inventory"),
        "{report_a}"
    );
    assert!(report_a.contains("1. TTFT varies widely."));
    assert!(report_a.contains("- Files analyzed: 101 (28 CSV, 44 JSON, 29 Markdown"));
    assert!(report_a.contains("## Persona Prompt\n```\nYou are Chimera's data collector"));
    assert!(out.read("agent_b/report.md").contains("# Chimera Agent B"));
    let combined = out.read("combined_report.md");
    assert!(combined.contains("| Backend | gpu0 | gpu0 |"));
    assert!(combined.contains("## Spread over 2 runs"));

    let metrics: Value = serde_json::from_str(&out.read("metrics.json")).unwrap();
    assert_eq!(metrics["schema"], "chimera.run/1");
    assert_eq!(metrics["runs"], 2);
    assert_eq!(metrics["inventory"]["files"], 107);
    assert_eq!(
        metrics["concurrency"]["per_run"].as_array().unwrap().len(),
        2
    );
    let a = &metrics["agents"]["agent_a"];
    // The stand-in reports 6 tokens in 100 ms per stage: 60 tok/s over both.
    assert_eq!(a["figures"]["tokens_generated"], 12);
    assert_eq!(a["figures"]["tokens_per_second"], 60.0);
    assert_eq!(a["key_findings"][1], "artifacts/ is missing.");
    assert_eq!(a["together"]["tokens_per_second"]["n"], 2);
    // Every stage's prompt and response are recorded.
    let stage = &metrics["experiment"]["runs"][0]["passes"][0]["agents"][0]["stages"][0];
    assert!(
        stage["prompt"]
            .as_str()
            .unwrap()
            .contains("DATA (computed by Chimera")
    );
    assert!(stage["response"].as_str().unwrap().contains("Key Findings"));
    // The persona was sent as the system prompt.
    assert!(
        stage["system"]
            .as_str()
            .unwrap()
            .starts_with("You are Chimera's data collector")
    );
}

#[test]
fn a_failing_backend_still_writes_reports_that_say_so() {
    let (output, out) =
        run_against_standin(None, "standin/error-midstream", &["--mode", "pipeline"]);
    assert!(!output.status.success());
    let report_a = out.read("agent_a/report.md");
    assert!(
        report_a.contains("The model's report is incomplete"),
        "{report_a}"
    );
    assert!(report_a.contains("CUDA error: out of memory"));
    assert!(
        report_a.contains("Hello from the"),
        "the partial text is kept"
    );
}

#[test]
fn the_real_model_runs_both_agents_with_consistent_figures() {
    let Ok(llama) = std::env::var("CHIMERA_TEST_LLAMA_URL") else {
        assert!(
            std::env::var_os("CHIMERA_REQUIRE_REAL_LLM").is_none(),
            "CHIMERA_TEST_LLAMA_URL is required"
        );
        eprintln!("skipped: no real model");
        return;
    };
    let out = tempdir::Dir::new();
    let output = chimera()
        .arg("run")
        .arg(example_zip())
        .args([
            "--backend",
            &format!("cpu:openai={llama}"),
            "--model",
            "smollm2",
            "--scenario",
            "chimera_homo",
        ])
        .args([
            "--option",
            "num_predict=24",
            "--option",
            "temperature=0",
            "--option",
            "num_ctx=1024",
            "--out",
        ])
        .arg(&out.path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metrics: Value = serde_json::from_str(&out.read("metrics.json")).unwrap();
    for agent in ["agent_a", "agent_b"] {
        let figures = &metrics["agents"][agent]["figures"];
        let tokens = figures["tokens_generated"].as_u64().unwrap();
        assert!(tokens > 0 && tokens <= 48, "{agent}: {tokens}");
        let ttft = figures["ttft_ms"].as_f64().unwrap();
        let total = figures["total_ms"].as_f64().unwrap();
        assert!(
            ttft > 0.0 && ttft < total,
            "{agent}: ttft {ttft} total {total}"
        );
        let rate = figures["tokens_per_second"].as_f64().unwrap();
        let eval = figures["eval_ms"].as_f64().unwrap();
        assert!((rate - tokens as f64 * 1000.0 / eval).abs() < 1e-6);
    }
    let run = &metrics["concurrency"]["per_run"][0];
    let speedup = run["speedup"].as_f64().unwrap();
    let expected = (run["alone_a_ms"].as_f64().unwrap() + run["alone_b_ms"].as_f64().unwrap())
        / run["together_ms"].as_f64().unwrap();
    assert!((speedup - expected).abs() < 1e-9);
    // One llama.cpp server with one slot serves one request at a time.
    assert_eq!(run["verdict"], "queued", "{run}");
}

#[test]
fn a_run_can_be_shared_to_a_running_companion() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let standin = runtime.block_on(ollama_standin::spawn(0, None)).unwrap();
    let companion = runtime.block_on(support::start_companion(
        vec![],
        chimera_companion::backend::Timeouts::default(),
    ));
    let out = tempdir::Dir::new();
    let output = chimera()
        .arg("run")
        .arg(example_zip())
        .args([
            "--backend",
            &format!("gpu0:ollama={}", standin.url()),
            "--model",
            "standin/report",
            "--mode",
            "pipeline",
        ])
        .args(["--share", &format!("http://{}", companion.addr), "--out"])
        .arg(&out.path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let link = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let prefix = format!("http://{}/r/", companion.addr);
    assert!(link.starts_with(&prefix), "{link}");
    let id = &link[prefix.len()..];
    let report: Value = runtime
        .block_on(async {
            reqwest::get(format!("http://{}/api/reports/{id}", companion.addr))
                .await
                .unwrap()
                .json()
                .await
        })
        .unwrap();
    assert!(
        report["files"]["agent_a_report"]
            .as_str()
            .unwrap()
            .contains("wrote 47 JSON files")
    );
    assert_eq!(report["inventory"]["files"], 107);
}
