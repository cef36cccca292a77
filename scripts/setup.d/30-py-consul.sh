#!/usr/bin/env bash
# PyPI py-consul (import `consul`) in the repository's venv: the second independent real
# client that proves the Consul KV double's fidelity (tests/python/consul_double_fidelity.py,
# run by tests/tests/consul_double_pyconsul.rs). Idempotent; pinned.
set -euo pipefail
PY_CONSUL_VERSION=1.8.0
VENV=${VENV:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.venv}
installed=$("$VENV/bin/python" -m pip show py-consul 2>/dev/null | sed -n 's/^Version: //p' || true)
if [ "$installed" = "$PY_CONSUL_VERSION" ] && "$VENV/bin/python" -c 'import consul' >/dev/null 2>&1; then
    echo "30-py-consul: py-consul $PY_CONSUL_VERSION already installed"
else
    echo "30-py-consul: installing py-consul==$PY_CONSUL_VERSION into $VENV (was: ${installed:-none})"
    "$VENV/bin/python" -m pip install -q "py-consul==$PY_CONSUL_VERSION"
fi
