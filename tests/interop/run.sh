#!/usr/bin/env bash
# Interop test: the official `openai` and `anthropic` Python SDKs (pinned in requirements.txt)
# call a running `palisade serve` over TLS 1.3, trusting its generated CA, in front of the
# SIMULATED upstream (`palisade dev fake-upstream`). Asserts the SDKs get exactly what the
# simulated upstream sent, and that the upstream got the vault key, not the caller's.
# test_identity_e2e.py adds a second gateway in auth mode `identity` (examples/identity.toml):
# enrollment, refresh, expiry, revocation and copied tokens through clients/python.
#
# Usage: tests/interop/run.sh            (builds the debug binary)
#        PALISADE_BIN=target/release/palisade tests/interop/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${PALISADE_INTEROP_VENV:-$root/target/interop-venv}"

if [[ -z "${PALISADE_BIN:-}" ]]; then
  (cd "$root" && cargo build -q -p palisade)
  PALISADE_BIN="$root/target/debug/palisade"
fi
if [[ ! -x "$venv/bin/pytest" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$here/requirements.txt"
fi
# The repo's own client package (PalisadeAuth), editable so the tests run the working tree.
if ! "$venv/bin/python" -c 'import palisade_client' 2>/dev/null; then
  "$venv/bin/pip" install -q -e "$root/clients/python"
fi

work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up_port="$(free_port)"
gw_port="$(free_port)"

"$PALISADE_BIN" dev fake-upstream --port "$up_port" > "$work/upstream.log" 2>&1 &
pids+=($!)

sed -e "s/127.0.0.1:9911/127.0.0.1:$up_port/g" -e "s/127.0.0.1:8443/127.0.0.1:$gw_port/" \
    -e "s#\"../palisade-data\"#\"$work/data\"#" "$root/examples/local-fake-upstream.toml" > "$work/palisade.toml"
"$PALISADE_BIN" config check "$work/palisade.toml"
unset PALISADE_MASTER_KEY
printf 'sk-interop-openai-provider-key' | "$PALISADE_BIN" vault put fake-openai-key --config "$work/palisade.toml"
printf 'sk-ant-interop-provider-key' | "$PALISADE_BIN" vault put fake-anthropic-key --config "$work/palisade.toml"

"$PALISADE_BIN" serve --config "$work/palisade.toml" > "$work/gateway.out" 2> "$work/gateway.log" &
pids+=($!)
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/gateway.log" 2>/dev/null && grep -q "SIMULATED" "$work/upstream.log" && break
  sleep 0.1
done
grep "local CA" "$work/gateway.log" || { cat "$work/gateway.log"; exit 1; }

export PALISADE_GATEWAY="https://localhost:$gw_port"
export PALISADE_CA="$work/data/tls/ca.pem"
export PALISADE_UPSTREAM="http://127.0.0.1:$up_port"
export PALISADE_OPENAI_KEY="sk-interop-openai-provider-key"
export PALISADE_ANTHROPIC_KEY="sk-ant-interop-provider-key"
# test_identity_e2e.py starts its own gateway (auth mode identity, examples/identity.toml).
export PALISADE_BIN
"$venv/bin/pytest" -q "$here" "$@"
# The provider keys must not be in the gateway's logs.
if grep -q "interop-openai-provider-key\|interop-provider-key" "$work/gateway.log"; then
  echo "provider key found in gateway logs" >&2; exit 1
fi
echo "interop: ok"
