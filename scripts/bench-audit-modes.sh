#!/usr/bin/env bash
# One run, same machine state: direct to the upstream vs the gateway with the real audit log in
# `[audit] mode = "sync"` vs `"batch"`, and batch mode with `[inspect]` (defaults) on.
# Upstream: the SIMULATED upstream (`palisade dev fake-upstream`, plain HTTP on loopback).
# Gateway: `palisade serve` over TLS 1.3, development auth (`[auth] mode = "none"`).
# For each variant: latency percentiles at concurrency 1 and req/s at concurrency 64 (wrk,
# keep-alive). Each gateway variant is a fresh process with a fresh data directory.
# Not a test: figures go to docs/bench-gateway.md and docs/bench-audit.md.
# BENCH_VARIANTS selects variants (default "direct sync batch batch-inspect").
source "$(dirname "$0")/lib/bench-common.sh"
variants="${BENCH_VARIANTS:-direct sync batch batch-inspect}"

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}'
wrk.headers["Content-Type"] = "application/json"
LUA
sed 's/gpt-4o-mini/fake-gpt/' "$work/post.lua" > "$work/direct.lua"

load() { # $1 label, $2 url, $3 lua
  echo "== $1, concurrency 1"; wrk -t1 -c1 -d"$dur" --latency -s "$3" "$2" | grep -E " 50%| 90%| 99%|Requests/sec"
  echo "== $1, concurrency 64"; wrk -t2 -c64 -d"$dur" --latency -s "$3" "$2" | grep -E " 50%| 99%|Requests/sec"
}

gateway() { # $1 label, $2 audit mode, $3 inspect on/off
  local gw_port dir; gw_port="$(free_port)"; dir="$work/$1"; mkdir -p "$dir"
  sed -e "s/127.0.0.1:9911/127.0.0.1:$up_port/g" -e "s/127.0.0.1:8443/127.0.0.1:$gw_port/" \
      -e "s#\"../palisade-data\"#\"$dir/data\"#" "$root/examples/local-fake-upstream.toml" > "$dir/p.toml"
  printf '\n[audit]\nmode = "%s"\n' "$2" >> "$dir/p.toml"
  [ "$3" = on ] && printf '\n[inspect]\n' >> "$dir/p.toml"
  printf 'sk-bench' | "$bin" vault put fake-openai-key --config "$dir/p.toml" >/dev/null
  printf 'sk-bench' | "$bin" vault put fake-anthropic-key --config "$dir/p.toml" >/dev/null
  RUST_LOG=warn "$bin" serve --config "$dir/p.toml" 2> "$dir/gw.log" & local gw=$!; pids+=($gw)
  for _ in $(seq 1 100); do grep -qs "listening on" "$dir/gw.log" && break; sleep 0.1; done
  load "gateway $1" "https://127.0.0.1:$gw_port/v1/chat/completions" "$work/post.lua"
  kill "$gw"; wait "$gw" 2>/dev/null || true
}

for v in $variants; do
  case "$v" in
    direct) load "direct" "http://127.0.0.1:$up_port/v1/chat/completions" "$work/direct.lua" ;;
    sync) gateway sync sync off ;;
    batch) gateway batch batch off ;;
    batch-inspect) gateway batch-inspect batch on ;;
    sync-inspect) gateway sync-inspect sync on ;;
    *) echo "unknown variant $v" >&2; exit 2 ;;
  esac
done
