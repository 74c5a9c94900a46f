#!/usr/bin/env bash
# Stops what ./scripts/start.sh started: the agents, the API and the processors first, then the local stack. Data stays in
# the state folder for the next start.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/app-services.sh
source "$ROOT/scripts/app-services.sh"
stop_app agents
stop_app api
stop_app processors
exec "$ROOT/scripts/stack.sh" down
