# Shared prelude of the gateway benchmark scripts (sourced, not run): the binary, the run
# duration, wrk, a work dir cleaned up with every started process, free ports, and the
# SIMULATED upstream. After sourcing: $root $bin $dur $work $up_port, pids+=(...) to track,
# free_port to get another port.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${PALISADE_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/palisade}"
dur="${BENCH_DURATION:-10s}"
command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || true

work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up_port="$(free_port)"
"$bin" dev fake-upstream --port "$up_port" > "$work/up.log" 2>&1 & pids+=($!)
