#!/usr/bin/env bash
# Benchmark: node change -> HAProxy runtime state applied (p50/p99), haproxy-sync's runtime
# API path next to the classic render + `haproxy -c` + reload path, each under an HTTP load
# loop through HAProxy (failed requests counted). Loopback only; needs haproxy
# (scripts/setup.d/10-haproxy.sh). BENCH_CHANGES (default 100) changes per path.
set -euo pipefail
cd "$(dirname "$0")/.."
nice -n 15 cargo build -q -p syncd --bin haproxy-sync --example haproxy_bench
HAPROXY_SYNC_BIN="$PWD/target/debug/haproxy-sync" exec ./target/debug/examples/haproxy_bench
