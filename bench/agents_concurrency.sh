#!/usr/bin/env bash
# The concurrency experiment on two independent real backends: two llama.cpp
# servers (SmolLM2-135M, one thread each), agent A on the first and agent B on
# the second, N runs of A alone, B alone and both together. Then the same on
# ONE server, where the second agent must queue. Prints the speedup,
# efficiency and verdict of each; the full figures stay in the output folders.
#   bench/agents_concurrency.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
MODEL=.models/SmolLM2-135M-Instruct.Q4_1.gguf
[[ -f "$MODEL" ]] || scripts/setup-llm.sh
cargo build --release -p chimera-companion --quiet

free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start_server() {
  local port=$1 log=$2
  .venv/bin/python tests/llm/llama_server.py "$MODEL" "$port" --threads 1 >"$log" 2>&1 &
  echo $!
}
p1=$(free_port); p2=$(free_port)
l1=$(mktemp); l2=$(mktemp)
s1=$(start_server "$p1" "$l1"); s2=$(start_server "$p2" "$l2")
trap 'kill $s1 $s2 2>/dev/null || true' EXIT
for log in "$l1" "$l2"; do
  for _ in $(seq 1 600); do grep -q "^listening on" "$log" && break; sleep 0.2; done
done

out=bench/results/agents_concurrency
mkdir -p "$out"
options=(--option num_predict=32 --option num_ctx=1024 --option temperature=0)
echo "== two servers, one thread each ($runs runs)"
target/release/chimera run assets/examples/chimeraforge-reports.zip --scenario chimera_homo --runs "$runs" \
  --backend a:openai=http://127.0.0.1:$p1/v1 --backend b:openai=http://127.0.0.1:$p2/v1 --model smollm2 \
  "${options[@]}" --out "$out/two_servers" 2>/dev/null
echo "== one server ($runs runs)"
target/release/chimera run assets/examples/chimeraforge-reports.zip --scenario chimera_homo --runs "$runs" \
  --backend a:openai=http://127.0.0.1:$p1/v1 --model smollm2 \
  "${options[@]}" --out "$out/one_server" 2>/dev/null
for case in two_servers one_server; do
  .venv/bin/python - "$out/$case/metrics.json" "$case" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
c = m["concurrency"]
runs = c["per_run"]
print(f"{sys.argv[2]}: speedup {c['speedup']['mean']:.2f} ± {c['speedup']['std_dev'] or 0:.2f}, "
      f"efficiency {c['efficiency']['mean']*100:.0f}% (n={c['speedup']['n']}); "
      f"overlap per run {[round(r['overlap'], 2) for r in runs]}; verdicts {[r['verdict'] for r in runs]}")
for r in runs:
    print(f"  A alone {r['alone_a_ms']:.0f} ms, B alone {r['alone_b_ms']:.0f} ms, together {r['together_ms']:.0f} ms")
PY
done
