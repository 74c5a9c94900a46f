# shellcheck shell=bash
# Sourced by start.sh, stop.sh and test.sh: points the application at the local stack's ports
# (scripts/stack.sh honours the same port variables), unless the caller set the addresses already.
export KAFKA_BOOTSTRAP_SERVERS=${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:${KAFKA_PORT:-9092}}
export SCHEMA_REGISTRY_URL=${SCHEMA_REGISTRY_URL:-http://127.0.0.1:${REGISTRY_PORT:-8081}/apis/ccompat/v7}
export CLICKHOUSE_URL=${CLICKHOUSE_URL:-http://127.0.0.1:${CLICKHOUSE_HTTP_PORT:-8123}}
