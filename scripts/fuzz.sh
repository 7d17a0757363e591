#!/usr/bin/env bash
# Runs one fuzz target: scripts/fuzz.sh TARGET SECONDS (targets: ls fuzz/fuzz_targets).
# Uses `cargo +nightly fuzz` when a nightly toolchain is installed, else stable with
# RUSTC_BOOTSTRAP=1 (the sanitizer flags cargo-fuzz passes are nightly-only). Installs
# cargo-fuzz if missing. New inputs go to fuzz/work/TARGET (not committed); the committed seeds
# in fuzz/corpus/TARGET are read only. Crashes land in fuzz/artifacts/TARGET; add the crashing
# input to fuzz/corpus/TARGET with the fix, so the stable replay
# (crates/palisade/tests/fuzz_corpus.rs) keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
target="${1:?usage: scripts/fuzz.sh TARGET SECONDS}"
secs="${2:?usage: scripts/fuzz.sh TARGET SECONDS}"
[[ -f "fuzz_targets/$target.rs" ]] || { echo "no fuzz target $target" >&2; exit 2; }

command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi
mkdir -p "work/$target"
# `-O`: optimized, without debug assertions (overflow checks), the build docs/fuzzing.md ran.
# One job: the machine is shared; -max_total_time bounds the run, -print_final_stats reports
# the executions that docs/fuzzing.md records.
exec "${fuzz[@]}" run -O --features libfuzzer "$target" "work/$target" "corpus/$target" -- \
  -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10
