#!/usr/bin/env bash
# Builds Chimera (the page and the companion) and starts `chimera serve`.
# Arguments are passed to `chimera serve`, e.g. --listen 127.0.0.1:9000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
echo "==> building the page (WebAssembly)" >&2
cargo xtask dist
echo "==> building the companion" >&2
cargo build --release -p chimera-companion
exec target/release/chimera serve --web-dir dist "$@"
