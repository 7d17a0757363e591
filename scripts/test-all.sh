#!/usr/bin/env bash
# Runs every test of Palisade, in order of cost: formatting, lints, the Rust tests of every
# crate (with the test-only `demo`/`sample-tee` features, so the breach replay runs as a test),
# then Palisade's own supply chain checked by `palisade scan` and cargo-deny (issue 17), then
# the interop tests with the official Python SDKs against a running gateway.
#
# Fixtures are the repository's own tests/fixtures (override with PALISADE_FIXTURES).
set -euo pipefail
cd "$(dirname "$0")/.."

export PALISADE_FIXTURES="${PALISADE_FIXTURES:-$PWD/tests/fixtures}"
if [[ ! -d "$PALISADE_FIXTURES" ]]; then
  echo "test fixtures not found at $PALISADE_FIXTURES (set PALISADE_FIXTURES)" >&2
  exit 2
fi

features="palisade/demo"

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --locked --workspace --all-targets --features "$features" -- -D warnings
echo "== npm packages for the scanner's false-positive test (issue 8)"
npm_tree="target/npm-fp"
if [[ ! -d "$npm_tree/node_modules" ]]; then
  mkdir -p "$npm_tree"
  (cd "$npm_tree" && npm install --ignore-scripts --no-audit --no-fund --silent \
    eslint webpack @babel/core lodash express react > /dev/null)
fi
export PALISADE_SCAN_NPM_TREE="$PWD/$npm_tree"
echo "== cargo test"
cargo test --locked --workspace --no-fail-fast --features "$features"
echo "== own supply chain (advisory snapshot, SBOM, cargo deny)"
scripts/supply-chain.sh
echo "== interop (official Python SDKs)"
tests/interop/run.sh
