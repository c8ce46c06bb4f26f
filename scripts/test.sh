#!/usr/bin/env bash
# Runs every check and test: formatting, clippy (native and wasm32), the Rust
# unit and integration tests, and the end-to-end tests in headless Chromium
# against the real companion. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "clippy (native)"
cargo clippy --workspace --exclude chimera-web --exclude chimera-reader --all-targets --locked -- -D warnings
step "clippy (wasm32)"
cargo clippy -p chimera-web -p chimera-reader -p chimera-shared --target wasm32-unknown-unknown --all-targets --locked -- -D warnings
step "building the page"
cargo xtask dist
cargo build -p chimera-companion -p ollama-standin --locked
# The real model must be there: tests that need it fail rather than skip.
export CHIMERA_REQUIRE_REAL_LLM=1
step "Rust tests (with a real model on CPU)"
scripts/with-llm.sh cargo test --workspace --exclude chimera-web --exclude chimera-reader --locked
step "end-to-end tests (headless Chromium, real companion, real model)"
scripts/with-llm.sh bash -c 'cd tests && node --test --test-concurrency=1 e2e/'

