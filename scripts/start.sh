#!/usr/bin/env bash
# Quick start, step 1: provisions and starts everything the main job needs, in the background, and
# returns when it is healthy, printing the addresses. Safe to run again: what runs is left running.
#   - the local stack: Kafka, the schema registry and ClickHouse (scripts/stack.sh up)
#   - the build of the TypeScript sources (dist/)
#   - the topics (agent-queue-<agent> per configured agent, errors, DLQ) and the ClickHouse migrations
#   - the stream processors (agent-telemetry processors), logging to .state/logs/processors.log
#   - the demo agents (agent-telemetry agents run --scenario ${AGENTS_SCENARIO:-mixed}), logging to .state/logs/agents.log
# Stop it all with ./scripts/stop.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/local-env.sh
source "$ROOT/scripts/local-env.sh"
# shellcheck source=scripts/app-services.sh
source "$ROOT/scripts/app-services.sh"

"$ROOT/scripts/stack.sh" up

if [[ ! -f dist/cli/main.js || -n $(find schemas lib cli processors api agents -newer dist/cli/main.js -type f 2>/dev/null | head -1) ]]; then
  echo "building TypeScript sources into dist/"
  npm run --silent build
fi

node dist/cli/main.js topics
node dist/cli/main.js migrate
PROCESSOR_HTTP_PORT=${PROCESSOR_HTTP_PORT:-9464}
# the processors' process settings are those of lib/process-env.ts (deploy/deploy.test.ts compares them)
start_app processors "http://127.0.0.1:$PROCESSOR_HTTP_PORT/readyz" \
  env NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=8" MALLOC_ARENA_MAX=2 \
  node "$ROOT/dist/cli/main.js" processors
API_PORT=${API_PORT:-8080}
start_app api "http://127.0.0.1:$API_PORT/health" node "$ROOT/dist/cli/main.js" api
start_app agents "http://127.0.0.1:${AGENTS_HTTP_PORT:-9465}/readyz" node "$ROOT/dist/cli/main.js" agents run --scenario "${AGENTS_SCENARIO:-mixed}"

cat <<EOT

agent-telemetry is up.
  Kafka             ${KAFKA_BOOTSTRAP_SERVERS}
  Schema registry   ${SCHEMA_REGISTRY_URL}
  ClickHouse        ${CLICKHOUSE_URL}  (database ${CLICKHOUSE_DATABASE:-agent_telemetry})
  Processors        http://127.0.0.1:${PROCESSOR_HTTP_PORT}/metrics  (/healthz, /readyz)
  API               http://127.0.0.1:${API_PORT}/graphql  (REST /api/v1, WebSocket /ws/debug/{client_id}, /health, /ready, /metrics)
  Dashboard         http://127.0.0.1:${API_PORT}/ui/
  MCP (HTTP)        http://127.0.0.1:${API_PORT}/api/v1/mcp  (stdio: node dist/cli/main.js mcp)
  Demo agents       http://127.0.0.1:${AGENTS_HTTP_PORT:-9465}/metrics  (scenario ${AGENTS_SCENARIO:-mixed})
Stop with ./scripts/stop.sh
EOT
