#!/usr/bin/env bash
# Builds what the benchmarks need and runs them all, on 127.0.0.1 only:
#   1. inventory: a generated 20,000-file reports zip through the native CLI,
#      a Python standard-library baseline, and the page in headless Chromium;
#      the example zip in the page; the page bundle's size.
#   2. companion proxy: TTFT and per-token latency direct vs through
#      `chimera serve`, 200 concurrent streams with the companion's memory
#      sampled, and (when the real model is installed) a few requests to a
#      real llama.cpp server.
# Results go to bench/results/ (inventory.json, proxy.json, environment.json,
# summary.md); the figures are printed at the end. Takes about 11 minutes.
#
#   bench/run.sh                  everything
#   BENCH_QUICK=1 bench/run.sh    fewer runs and shorter holds (a smoke test)
#   BENCH_SKIP_BUILD=1            use the binaries and dist/ already built
#   BENCH_REAL_LLM=0              skip the real-model check
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

target="${CARGO_TARGET_DIR:-$PWD/target}"
export CHIMERA_BIN="${CHIMERA_BIN:-$target/release/chimera}"
export STANDIN_BIN="${STANDIN_BIN:-$target/release/ollama-standin}"
results=bench/results
mkdir -p "$results" bench/work

for tool in python3 node; do
  command -v "$tool" >/dev/null || { echo "bench/run.sh needs $tool" >&2; exit 1; }
done
if [[ ! -x "${CHROMIUM:-/usr/bin/chromium}" || ! -d tests/node_modules/playwright-core ]]; then
  say "installing Chromium and playwright-core (scripts/setup.sh test)"
  scripts/setup.sh test
fi

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  say "building the companion and the Ollama stand-in (release)"
  cargo build --release --locked -p chimera-companion -p ollama-standin
  say "building the page (cargo xtask dist)"
  cargo xtask dist 2>&1 | tee bench/work/xtask.log >&2
fi
[[ -f dist/index.html ]] || { echo "dist/ has no page: run cargo xtask dist" >&2; exit 1; }

big=bench/work/reports-big.zip
if [[ ! -f "$big" ]]; then
  say "generating the benchmark zip"
  python3 bench/make_reports_zip.py "$big" >&2
fi

python3 - "$results/environment.json" <<'PY'
import json, os, platform, subprocess, sys
def out(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
    except OSError:
        return None
json.dump({
    # A checkout made with `git archive` has no .git: say the commit in BENCH_COMMIT.
    "commit": os.environ.get("BENCH_COMMIT") or out("git", "rev-parse", "HEAD"),
    "uncommitted_changes": bool(out("git", "status", "--porcelain", "--untracked-files=no")),
    "cpus": os.cpu_count(),
    "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    "kernel": platform.release(),
    "python": platform.python_version(),
    "node": out("node", "--version"),
    "chromium": out(os.environ.get("CHROMIUM", "/usr/bin/chromium"), "--version"),
    "rustc": out("rustc", "--version"),
    "loadavg": os.getloadavg(),
    # What was measured, in case the binaries or the page were built elsewhere.
    "chimera_bin": os.environ["CHIMERA_BIN"],
    "chimera_sha256": out("sha256sum", os.environ["CHIMERA_BIN"]).split()[0],
    "page_wasm_sha256": out("sha256sum", "dist/chimera_web_bg.wasm").split()[0],
}, open(sys.argv[1], "w"), indent=2)
PY

runs=5 example_runs=15 quick=()
if [[ "${BENCH_QUICK:-0}" == 1 ]]; then
  runs=2 example_runs=5 quick=(--quick)
fi

say "inventory benchmark"
python3 bench/inventory_bench.py "$big" --runs "$runs" --example-runs "$example_runs" > "$results/inventory.json"

say "companion proxy benchmark"
if [[ "${BENCH_REAL_LLM:-1}" == 1 && -f .models/SmolLM2-135M-Instruct.Q4_1.gguf && -x .venv/bin/python ]]; then
  scripts/with-llm.sh bash -c 'python3 bench/proxy_bench.py "$@" --llama-url "$CHIMERA_TEST_LLAMA_URL"' \
    _ "${quick[@]}" > "$results/proxy.json"
else
  python3 bench/proxy_bench.py "${quick[@]}" > "$results/proxy.json"
fi

python3 bench/summarise.py "$results"
