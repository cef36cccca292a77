#!/usr/bin/env bash
# Installs what the tests need (idempotent) and runs every test of the workspace.
# This is the README's test command; .ci/run calls it too.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-test-env.sh

# The end-to-end tests drive the real binaries: build them first (dev profile).
cargo build --workspace --bins
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
# nextest does not run doctests.
cargo test --workspace --doc --quiet
