#!/usr/bin/env bash
# Palisade's own supply chain, checked by Palisade (issue 17), as one CI step:
#  1. imports the advisory snapshot kept in supply-chain/advisories (refresh it with
#     scripts/refresh-advisories.sh) into a throw-away store and refuses an empty import;
#  2. runs the built `palisade scan` over this repository's Cargo.lock files, the Python test
#     requirements and the npm lockfile CI installs, failing on a critical finding (a
#     known-malicious package is critical), and writes the CycloneDX SBOM of what it scanned;
#  3. proves the gate is not vacuous: a pin of a known-malicious version must fail it;
#  4. `cargo deny check bans licenses sources` against deny.toml (cargo-deny is installed once,
#     pinned, into target/tools: about 3 minutes on a fresh machine, docs/supply-chain.md).
#
# Usage: scripts/supply-chain.sh [PALISADE_BINARY]   (default: builds target/debug/palisade)
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${1:-}"
if [[ -z "$bin" ]]; then
  # The same features as the test step, so this reuses its build instead of relinking.
  cargo build --locked -q -p palisade --features palisade/demo
  bin=target/debug/palisade
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/store" "$work/canary-store" "$work/canary"

echo "-- advisory snapshot"
imported="$("$bin" advisories import supply-chain/advisories --data-dir "$work/store")"
echo "$imported"
records="$(sed -n 's/.*: \([0-9][0-9]*\) package records.*/\1/p' <<<"$imported")"
if [[ -z "$records" || "$records" -eq 0 ]]; then
  echo "supply-chain: the advisory snapshot imported no records; refusing to pass an empty check" >&2
  exit 1
fi

targets=(Cargo.lock tests/interop/requirements.txt)
[[ -f fuzz/Cargo.lock ]] && targets+=(fuzz/Cargo.lock)
# The npm tree the scanner's false-positive test installs (test-all.sh) is a dependency of CI too.
[[ -f target/npm-fp/package-lock.json ]] && targets+=(target/npm-fp/package-lock.json)

echo "-- palisade scan ${targets[*]}"
mkdir -p target/supply-chain
"$bin" scan --data-dir "$work/store" --fail-on critical \
  --sbom cyclonedx --sbom-out target/supply-chain/sbom.cdx.json "${targets[@]}"

echo "-- canary: a known-malicious pin must fail the same gate"
"$bin" advisories import tests/fixtures/osv-malicious --data-dir "$work/canary-store" >/dev/null
printf 'litellm==1.82.8\n' >"$work/canary/requirements.txt"
if "$bin" scan --data-dir "$work/canary-store" --fail-on critical "$work/canary/requirements.txt" \
  >/dev/null 2>&1; then
  echo "supply-chain: the canary (litellm 1.82.8, OSV MAL-2026-2144) passed the gate" >&2
  exit 1
fi

echo "-- cargo deny check bans licenses sources (deny.toml)"
deny_version=0.20.2
deny="target/tools/bin/cargo-deny"
if ! "$deny" --version 2>/dev/null | grep -qx "cargo-deny $deny_version"; then
  cargo install -q --locked --root target/tools --version "$deny_version" cargo-deny
fi
"$deny" --locked check bans licenses sources
