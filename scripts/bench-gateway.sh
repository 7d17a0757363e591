#!/usr/bin/env bash
# Gateway vs direct-to-upstream benchmark with wrk (Debian package `wrk`), keep-alive.
# Upstream: the SIMULATED upstream (`palisade dev fake-upstream`, plain HTTP on loopback).
# Gateway: `palisade serve` over TLS 1.3 in front of it, development stages (auth none).
# Prints: latency percentiles at concurrency 1, req/s at concurrency 64, gateway RSS with 1000
# open connections. Not a test: figures go to docs/bench-gateway.md.
# For sync vs batch audit and inspection on/off in one run: scripts/bench-audit-modes.sh.
# BENCH_IDLE_FIRST=1 measures the 1000 idle connections on the fresh process before any load
# (the figure that isolates per-connection memory from allocator high-water after load);
# BENCH_ONLY_IDLE=1 stops after that. BENCH_IDLE_BODY=N makes each held connection send one
# chat completion with an N-byte message first (buffers grown by a large body stay visible).
source "$(dirname "$0")/lib/bench-common.sh"
gw_port="$(free_port)"
sed -e "s/127.0.0.1:9911/127.0.0.1:$up_port/g" -e "s/127.0.0.1:8443/127.0.0.1:$gw_port/" \
    -e "s#\"../palisade-data\"#\"$work/data\"#" "$root/examples/local-fake-upstream.toml" > "$work/p.toml"
# `serve` always appends to the real audit log (default `sync`: one disk flush per call).
# BENCH_AUDIT_MODE=batch for the issue-2 latency figures (see docs/bench-gateway.md).
if [ -n "${BENCH_AUDIT_MODE:-}" ]; then printf '\n[audit]\nmode = "%s"\n' "$BENCH_AUDIT_MODE" >> "$work/p.toml"; fi
printf 'sk-bench' | "$bin" vault put fake-openai-key --config "$work/p.toml" >/dev/null
printf 'sk-bench' | "$bin" vault put fake-anthropic-key --config "$work/p.toml" >/dev/null
RUST_LOG=warn "$bin" serve --config "$work/p.toml" 2> "$work/gw.log" & gw_pid=$!; pids+=($gw_pid)
for _ in $(seq 1 100); do grep -q "listening on" "$work/gw.log" && break; sleep 0.1; done
grep -E "VmRSS" /proc/$gw_pid/status | sed "s/^/at start /"

idle_conns() {
  grep -E "VmRSS" /proc/$gw_pid/status | sed "s/^/no connections ($1) /"
  python3 "$root/scripts/hold-connections.py" 127.0.0.1 "$gw_port" "$work/data/tls/ca.pem" 1000 8 "${BENCH_IDLE_BODY:-0}" > "$work/hold.txt" & h=$!
  for _ in $(seq 1 1200); do grep -q holding "$work/hold.txt" 2>/dev/null && break; sleep 0.1; done
  sleep 1
  cat "$work/hold.txt"
  echo "established: $(ss -Htn state established "( sport = :$gw_port )" | wc -l)"
  grep -E "VmRSS" /proc/$gw_pid/status | sed "s/^/with 1000 idle connections ($1) /"
  wait $h
}
if [ "${BENCH_IDLE_FIRST:-0}" = 1 ] || [ "${BENCH_ONLY_IDLE:-0}" = 1 ]; then
  echo "== 1000 open idle keep-alive TLS connections, fresh process"
  idle_conns "fresh process"
  [ "${BENCH_ONLY_IDLE:-0}" = 1 ] && exit 0
fi

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}'
wrk.headers["Content-Type"] = "application/json"
LUA
# The direct run sends the upstream model name (the gateway renames gpt-4o-mini -> fake-gpt).
sed 's/gpt-4o-mini/fake-gpt/' "$work/post.lua" > "$work/direct.lua"

gw="https://127.0.0.1:$gw_port/v1/chat/completions"
direct="http://127.0.0.1:$up_port/v1/chat/completions"
echo "== concurrency 1, direct";  wrk -t1 -c1 -d"$dur" --latency -s "$work/direct.lua" "$direct"
echo "== concurrency 1, gateway"; wrk -t1 -c1 -d"$dur" --latency -s "$work/post.lua" "$gw"
echo "== concurrency 64, direct";  wrk -t2 -c64 -d"$dur" -s "$work/direct.lua" "$direct"
echo "== concurrency 64, gateway"; wrk -t2 -c64 -d"$dur" -s "$work/post.lua" "$gw"
echo "== 1000 open idle keep-alive TLS connections to the gateway (after the load phases)"
idle_conns "after load"
echo "== 1000 busy connections to the gateway (wrk)"
grep -E "VmRSS" /proc/$gw_pid/status | sed 's/^/idle /'
wrk -t2 -c1000 -d"$dur" -s "$work/post.lua" "$gw" > "$work/c1000.txt" & w=$!
sleep 5
grep -E "VmRSS" /proc/$gw_pid/status | sed 's/^/under 1000 connections /'
echo "established: $(ss -Htn state established "( sport = :$gw_port )" | wc -l)"
wait $w; cat "$work/c1000.txt"
grep -E "VmHWM" /proc/$gw_pid/status | sed 's/^/peak /'
