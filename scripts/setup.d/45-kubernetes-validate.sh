#!/usr/bin/env bash
# PyPI kubernetes-validate (pinned) into the venv: offline validation of
# manifests/ against the Kubernetes OpenAPI schemas it bundles
# (syncd/tests/manifests_syncd.rs). Idempotent.
set -euo pipefail
KUBERNETES_VALIDATE_VERSION=1.37.0
VENV=${VENV:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.venv}
if [ ! -x "$VENV/bin/python" ]; then
    echo "45-kubernetes-validate: no venv at $VENV (run scripts/setup-test-env.sh)" >&2
    exit 1
fi
if ! "$VENV/bin/python" -m pip show kubernetes-validate 2>/dev/null | grep -qx "Version: $KUBERNETES_VALIDATE_VERSION"; then
    "$VENV/bin/python" -m pip install -q "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
fi
"$VENV/bin/kubernetes-validate" --version
