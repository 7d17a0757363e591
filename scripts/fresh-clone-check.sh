#!/usr/bin/env bash
# Proves the repository stands alone: clones HEAD into an empty temporary directory (nothing
# beside it, no PALISADE_FIXTURES, its own target directory) and runs the README's test command
# there. Not part of CI (CI already runs on a clean checkout); run it before a release.
# Usage: scripts/fresh-clone-check.sh [--keep]
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
if [[ "${1:-}" != "--keep" ]]; then trap 'rm -rf "$tmp"' EXIT; fi
git clone -q --no-local "$src" "$tmp/palisade"
cd "$tmp/palisade"
unset PALISADE_FIXTURES CARGO_TARGET_DIR
export CARGO_INCREMENTAL=0
start=$(date +%s)
scripts/test-all.sh
echo "fresh clone at $(git rev-parse --short HEAD): test suite passed in $(( $(date +%s) - start )) s (in $tmp)"
