#!/usr/bin/env bash
# Runs every check and test tier, the same way on a laptop and in CI:
#   provisions what is missing and starts the local stack (scripts/stack.sh up),
#   type check, lint (zero warnings), format check, unit tests, integration tests on the real stack.
# A stack that was not running before is stopped again at the end (KEEP_STACK=1 keeps it).
# Extra arguments go to vitest, e.g. `./scripts/test.sh lib/` or `./scripts/test.sh --project unit`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/local-env.sh
source "$ROOT/scripts/local-env.sh"
STATE_DIR="${AGENT_TELEMETRY_STATE_DIR:-$ROOT/.state}"
mkdir -p "$STATE_DIR"

started=$(date +%s)
step() {
  local name=$1
  shift
  local t0
  t0=$(date +%s)
  echo "==> $name"
  "$@"
  echo "    $name: ok ($(($(date +%s) - t0)) s)"
}

was_running=0
if "$ROOT/scripts/stack.sh" status >/dev/null 2>&1; then was_running=1; fi
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local code=$?
  if [[ $was_running == 0 && ${KEEP_STACK:-0} != 1 ]]; then
    "$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || echo "warning: scripts/stack.sh down failed" >&2
  fi
  exit "$code"
}
trap cleanup EXIT

step "stack up (installs what is missing)" "$ROOT/scripts/stack.sh" up
step "manifest tools (kustomize, Kubernetes schemas)" "$ROOT/scripts/ensure-kustomize.sh"
step "type check" npx --no-install tsc --noEmit -p tsconfig.json
step "lint" npx --no-install eslint . --max-warnings 0
step "format" npx --no-install prettier --check . --log-level warn
step "build" npm run --silent build

results="$STATE_DIR/test-results.json"
rm -f "$results"
status=0
echo "==> tests (unit and integration)"
npx --no-install vitest run --reporter=default --reporter=json --outputFile="$results" "$@" || status=$?

if [[ -f $results ]]; then
  # shellcheck disable=SC2016  # JavaScript, not shell
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  ' "$results"
fi
echo "total wall time: $(($(date +%s) - started)) s"
exit "$status"
