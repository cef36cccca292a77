#!/usr/bin/env bash
# Debian chromium: the status page test renders syncd's HTML page headlessly
# (`--dump-dom`, `--screenshot`) and asserts on the DOM Chromium built.
# PyPI kubernetes-validate (pinned): offline validation of manifests/ against
# the bundled Kubernetes OpenAPI schemas. Idempotent.
set -euo pipefail
KUBERNETES_VALIDATE_VERSION=1.37.0
if command -v apt_install >/dev/null 2>&1; then
    apt_install chromium fonts-dejavu-core
elif ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
fi
chromium --version
VENV=${VENV:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.venv}
if [ -x "$VENV/bin/python" ]; then
    if ! "$VENV/bin/python" -m pip show kubernetes-validate 2>/dev/null | grep -q "^Version: $KUBERNETES_VALIDATE_VERSION\$"; then
        "$VENV/bin/python" -m pip install -q "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
    fi
    "$VENV/bin/kubernetes-validate" --version
fi
