#!/usr/bin/env bash
# The Kubernetes quick start on a local kind cluster, for a machine with Docker:
#   1. a kind cluster (created if missing)
#   2. the image built from deploy/Dockerfile and loaded into the cluster as agent-telemetry:dev
#      (with the third-party images, pulled once, so pods do not wait on registries)
#   3. deploy/k8s/overlays/local applied (overlays/local-ollama with --ollama), rolled out
#   4. a port-forward of service/telemetry-api to 127.0.0.1:8080 and `curl /health`
#
# Usage: scripts/setup-kind.sh [--ollama] [--no-port-forward]
# Environment: KIND_CLUSTER (agent-telemetry), KIND_NODE_IMAGE (kind's default), API_LOCAL_PORT (8080)
# Needs docker, kind and kubectl on PATH. Run it again after a code change: it rebuilds, reloads
# and restarts the application's pods. Remove everything with: kind delete cluster --name agent-telemetry
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
CLUSTER=${KIND_CLUSTER:-agent-telemetry}
LOCAL_PORT=${API_LOCAL_PORT:-8080}
IMAGE=agent-telemetry:dev
OVERLAY=local
PORT_FORWARD=1
for arg in "$@"; do
  case $arg in
    --ollama) OVERLAY=local-ollama ;;
    --no-port-forward) PORT_FORWARD=0 ;;
    -h | --help)
      sed -n '2,13p' "$0"
      exit 0
      ;;
    *)
      echo "setup-kind.sh: unknown argument $arg (use --ollama, --no-port-forward)" >&2
      exit 2
      ;;
  esac
done

say() { printf '==> %s\n' "$*"; }
fail() {
  printf 'setup-kind.sh: %s\n' "$*" >&2
  exit 1
}

command -v docker >/dev/null 2>&1 || fail "docker not found: install Docker (https://docs.docker.com/engine/install/)"
docker info >/dev/null 2>&1 || fail "the Docker engine does not answer: start it (and check you may use it)"
command -v kind >/dev/null 2>&1 || fail "kind not found: install it (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"
command -v kubectl >/dev/null 2>&1 || fail "kubectl not found: install it (https://kubernetes.io/docs/tasks/tools/)"

# --- 1. cluster
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  say "kind cluster $CLUSTER exists"
  fresh=0
else
  say "creating kind cluster $CLUSTER"
  kind create cluster --name "$CLUSTER" ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"} --wait 120s
  fresh=1
fi
kubectl config use-context "kind-$CLUSTER" >/dev/null
KUBECTL=(kubectl --context "kind-$CLUSTER")

# --- 2. images
say "building $IMAGE from deploy/Dockerfile (the first build compiles librdkafka: a few minutes)"
DOCKER_BUILDKIT=1 docker build -f "$ROOT/deploy/Dockerfile" -t "$IMAGE" "$ROOT"
say "loading $IMAGE into the cluster"
kind load docker-image "$IMAGE" --name "$CLUSTER"
# every other image the overlay runs, pulled once on this machine and loaded into the node
mapfile -t third_party < <("${KUBECTL[@]}" kustomize "$ROOT/deploy/k8s/overlays/$OVERLAY" |
  sed -n 's/^ *image: *//p' | tr -d "\"'" | sort -u | grep -vx "$IMAGE")
for image in "${third_party[@]}"; do
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    say "pulling $image"
    docker pull "$image"
  fi
  kind load docker-image "$image" --name "$CLUSTER"
done

# --- 3. apply and roll out
say "applying deploy/k8s/overlays/$OVERLAY"
# a Job's pod template cannot change: the finished init Job goes, so the (idempotent) topics and
# migrations run again with the image just loaded
"${KUBECTL[@]}" -n telemetry delete job telemetry-init --ignore-not-found >/dev/null 2>&1 || true
"${KUBECTL[@]}" apply -k "$ROOT/deploy/k8s/overlays/$OVERLAY"
NS=(-n telemetry)
if [[ $fresh == 0 ]]; then
  # same tag, new image: restart what runs it
  "${KUBECTL[@]}" "${NS[@]}" rollout restart deployment -l app.kubernetes.io/part-of=agent-telemetry >/dev/null
fi
say "waiting for Kafka, ClickHouse and the schema registry"
"${KUBECTL[@]}" "${NS[@]}" rollout status statefulset/kafka --timeout=300s
"${KUBECTL[@]}" "${NS[@]}" rollout status statefulset/clickhouse --timeout=300s
"${KUBECTL[@]}" "${NS[@]}" rollout status deployment/schema-registry --timeout=300s
say "waiting for the topics and migrations (job/telemetry-init)"
if "${KUBECTL[@]}" "${NS[@]}" get job/telemetry-init >/dev/null 2>&1; then
  "${KUBECTL[@]}" "${NS[@]}" wait --for=condition=complete job/telemetry-init --timeout=300s ||
    fail "job/telemetry-init did not complete: kubectl -n telemetry logs job/telemetry-init --all-containers"
fi
for deployment in telemetry-processors telemetry-api sample-agents; do
  "${KUBECTL[@]}" "${NS[@]}" rollout status "deployment/$deployment" --timeout=300s
done
if [[ $OVERLAY == local-ollama ]]; then
  say "waiting for Ollama and the agents' model (the first pull downloads it: minutes)"
  "${KUBECTL[@]}" "${NS[@]}" rollout status deployment/ollama --timeout=600s
  if "${KUBECTL[@]}" "${NS[@]}" get job/ollama-pull-model >/dev/null 2>&1; then
    "${KUBECTL[@]}" "${NS[@]}" wait --for=condition=complete job/ollama-pull-model --timeout=1800s ||
      fail "the model pull did not finish: kubectl -n telemetry logs job/ollama-pull-model"
  fi
fi

# --- 4. port-forward and health
if [[ $PORT_FORWARD == 0 ]]; then
  say "done; reach the API with: kubectl -n telemetry port-forward service/telemetry-api $LOCAL_PORT:8080"
  exit 0
fi
say "port-forwarding service/telemetry-api to 127.0.0.1:$LOCAL_PORT"
log=$(mktemp -t agent-telemetry-port-forward.XXXXXX)
"${KUBECTL[@]}" "${NS[@]}" port-forward service/telemetry-api "$LOCAL_PORT:8080" >"$log" 2>&1 &
forward=$!
for _ in $(seq 1 30); do
  if curl -fsS "http://127.0.0.1:$LOCAL_PORT/health"; then
    echo
    say "the API answers on http://127.0.0.1:$LOCAL_PORT (port-forward pid $forward; stop it with: kill $forward)"
    echo "    try: curl http://127.0.0.1:$LOCAL_PORT/api/v1/queues"
    echo "         curl 'http://127.0.0.1:$LOCAL_PORT/api/v1/claude/diagnose?format=summary'"
    echo "    dashboard: http://127.0.0.1:$LOCAL_PORT/ui   GraphiQL: http://127.0.0.1:$LOCAL_PORT/graphql"
    echo "    MCP: claude mcp add --transport http agent-telemetry http://127.0.0.1:$LOCAL_PORT/api/v1/mcp"
    exit 0
  fi
  kill -0 "$forward" 2>/dev/null || fail "kubectl port-forward exited: $(cat "$log")"
  sleep 1
done
kill "$forward" 2>/dev/null || true
fail "http://127.0.0.1:$LOCAL_PORT/health did not answer within 30 s: kubectl -n telemetry logs deploy/telemetry-api"
