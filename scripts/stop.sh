#!/usr/bin/env bash
# Stops what ./scripts/start.sh started. Data stays in the state folder for the next start.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$ROOT/scripts/stack.sh" down
