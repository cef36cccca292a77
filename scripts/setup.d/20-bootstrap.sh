#!/usr/bin/env bash
# Setup fragment for the `bootstrap` crate's tests (idempotent; run as root).
#   golang-go + golang-github-vmware-govmomi-dev : VMware's vSphere simulator (vcsim) launcher
#   cloud-init                                   : `cloud-init schema --config-file` on generated user-data
#   haproxy, keepalived                          : `haproxy -c` / `keepalived -t` on generated LB configs
#   iproute2                                     : a network namespace with the planned NIC for `keepalived -t`
#   openssl, python3                             : discovery-hash cross-check; the Kubernetes API test double
#   shellcheck                                   : the node script the user-data installs
set -euo pipefail
pkgs=(golang-go golang-github-vmware-govmomi-dev cloud-init haproxy keepalived iproute2 openssl python3 shellcheck)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "20-bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # --no-install-recommends keeps cloud-init from pulling a full network stack; its schema
  # validator needs only python3-jsonschema, which is a hard dependency.
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Installing the packages must not leave daemons running on the test machine.
  for svc in haproxy keepalived; do
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  done
else
  echo "20-bootstrap: packages already installed"
fi
