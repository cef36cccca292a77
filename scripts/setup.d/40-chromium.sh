#!/usr/bin/env bash
# Debian chromium: the status page test renders syncd's HTML page headlessly
# (`--dump-dom`, `--screenshot`) and asserts on the DOM Chromium built
# (tests/src/chromium.rs). Idempotent.
set -euo pipefail
if command -v apt_install >/dev/null 2>&1; then
    apt_install chromium fonts-dejavu-core
elif ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
fi
chromium --version
