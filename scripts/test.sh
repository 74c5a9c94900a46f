#!/usr/bin/env bash
# Runs every check and test tier, the same way on a laptop and in CI:
#   provisions what is missing and starts the local stack (scripts/stack.sh up),
#   type check, lint (zero warnings), format check, unit tests, integration tests on the real stack
#   (on the ClickHouse 18.16 server, and those that use ClickHouse again on the current engine).
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

summary="$STATE_DIR/test-summary.json"
rm -f "$summary"
status=0
echo "==> tests (unit, integration on ClickHouse 18.16, integration-current on the current engine)"
TEST_SUMMARY_FILE="$summary" npx --no-install vitest run "$@" || status=$?

if [[ -f $summary ]]; then
  engine() { curl -fsS --max-time 5 "http://127.0.0.1:$1/?query=SELECT%20version()" 2>/dev/null || echo '?'; }
  # shellcheck disable=SC2016  # JavaScript, not shell
  node -e '
    const counts = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const engines = { unit: "no services", integration: `ClickHouse ${process.argv[2]}`, "integration-current": `ClickHouse ${process.argv[3]}` };
    const total = { passed: 0, failed: 0, skipped: 0 };
    for (const [project, c] of Object.entries(counts)) {
      console.log(`tests ${project} (${engines[project] ?? "?"}): ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
      for (const k of Object.keys(total)) total[k] += c[k];
    }
    console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  ' "$summary" "$(engine "${CLICKHOUSE_HTTP_PORT:-8123}")" "$(engine "${CHDB_HTTP_PORT:-8124}")"
fi
echo "total wall time: $(($(date +%s) - started)) s"
exit "$status"
