#!/usr/bin/env bash
# HAProxy 2.6 and keepalived from Debian: real peers for the haproxy-sync tests
# (`haproxy -c`, runtime API, traffic) and `keepalived -t`. Idempotent.
set -euo pipefail
if command -v haproxy >/dev/null 2>&1 && command -v keepalived >/dev/null 2>&1; then
    haproxy -v | head -1
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends haproxy keepalived
# The package starts a system haproxy with its default config; the tests start their own.
haproxy -v | head -1
