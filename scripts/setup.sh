#!/usr/bin/env bash
# Installs what Chimera needs on a fresh Debian machine with a Rust toolchain.
# Each step is skipped when its tool is already there, so re-running is cheap.
#   scripts/setup.sh build   the WebAssembly target (enough to build and serve)
#   scripts/setup.sh test    also Chromium, the end-to-end test packages, and
#                            a real small LLM (llama.cpp server + SmolLM2-135M)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-build}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi

if [[ ! -x tools/node_modules/.bin/wasm-opt ]]; then
  say "installing binaryen's wasm-opt (shrinks the page bundle)"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
fi

[[ "$what" == build ]] && exit 0

if [[ ! -x /usr/bin/chromium ]]; then
  say "installing Chromium (headless browser tests)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if [[ ! -d tests/node_modules/playwright-core ]]; then
  say "installing the end-to-end test packages"
  (cd tests && npm ci --no-audit --no-fund --loglevel=error)
fi

if [[ -f scripts/setup-llm.sh ]]; then
  scripts/setup-llm.sh
fi
