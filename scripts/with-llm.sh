#!/usr/bin/env bash
# Runs a command with a real LLM available: starts llama.cpp's server with
# SmolLM2-135M on a free loopback port (one thread, as CPU tests need), exports
# CHIMERA_TEST_LLAMA_URL (its /v1 root) and stops the server afterwards.
#   scripts/with-llm.sh cargo test
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=.models/SmolLM2-135M-Instruct.Q4_1.gguf
[[ -f "$MODEL" && -x .venv/bin/python ]] || scripts/setup-llm.sh

port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
.venv/bin/python tests/llm/llama_server.py "$MODEL" "$port" --threads 1 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 600); do
  grep -q "^listening on" "$log" && break
  if ! kill -0 $server 2>/dev/null; then
    echo "llama.cpp server failed to start:" >&2
    tail -20 "$log" >&2
    exit 1
  fi
  sleep 0.2
done
grep -q "^listening on" "$log" || { echo "llama.cpp server did not start in 120 s" >&2; exit 1; }
export CHIMERA_TEST_LLAMA_URL="http://127.0.0.1:${port}/v1"
echo "==> real model served at $CHIMERA_TEST_LLAMA_URL" >&2
"$@"
