#!/usr/bin/env bash
# HTTP decision benchmark (issue: real-time decisions). Starts `finmon serve` with the built-in
# Kazakhstan pack and a state folder (every decision logged), then drives it with wrk on the
# same machine: 2 wrk threads, 64 connections, 60 s, a fresh transaction per request.
#
#   bench/http/run.sh            # DURATION=60s CONNECTIONS=64
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-60s}
CONNECTIONS=${CONNECTIONS:-64}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release -p finmon >&2
state=$(mktemp -d)
target/release/finmon serve --addr 127.0.0.1:18080 --state "$state" > "$state/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$state"' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:18080/healthz >/dev/null 2>&1 && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/http/decisions.lua http://127.0.0.1:18080
echo "server RSS after the run: $(ps -o rss= -p $server) KiB"
curl -s http://127.0.0.1:18080/metrics | grep -E '^finmon_decisions_total|^finmon_http_responses_total'
