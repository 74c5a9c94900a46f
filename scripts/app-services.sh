# shellcheck shell=bash
# Sourced by start.sh and stop.sh: runs the project's own long-lived processes (the processors, and
# later the API and the demo agents) in the background, with a pid file and a log file each in the
# state folder, like scripts/stack.sh does for the services it manages.

APP_STATE_DIR=${AGENT_TELEMETRY_STATE_DIR:-$ROOT/.state}
APP_RUN_DIR=$APP_STATE_DIR/run
APP_LOG_DIR=$APP_STATE_DIR/logs
mkdir -p "$APP_RUN_DIR" "$APP_LOG_DIR"

app_pid() {
  local pid_file=$APP_RUN_DIR/$1.pid pid
  [[ -f $pid_file ]] || return 1
  pid=$(<"$pid_file")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && grep -q 'agent-telemetry\|dist/cli/main.js' "/proc/$pid/cmdline" 2>/dev/null || return 1
  printf '%s\n' "$pid"
}

# start_app NAME READY_URL COMMAND...: starts COMMAND unless NAME runs already, then waits until
# READY_URL answers 2xx (up to 90 s).
start_app() {
  local name=$1 url=$2 pid log=$APP_LOG_DIR/$1.log
  shift 2
  if pid=$(app_pid "$name"); then
    echo "$name: already running (pid $pid); ./scripts/stop.sh first to run a new build"
    return 0
  fi
  setsid nohup "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$APP_RUN_DIR/$name.pid"
  for _ in $(seq 1 180); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then
      echo "$name: running (pid $(<"$APP_RUN_DIR/$name.pid"), log $log)"
      return 0
    fi
    if ! app_pid "$name" >/dev/null; then
      echo "start.sh: $name exited during start-up: see $log" >&2
      tail -n 20 "$log" | sed 's/^/  /' >&2
      return 1
    fi
    sleep 0.5
  done
  echo "start.sh: $name did not become ready at $url within 90 s: see $log" >&2
  return 1
}

# stop_app NAME: SIGTERM, then SIGKILL if it is still running after 40 s.
stop_app() {
  local name=$1 pid
  if ! pid=$(app_pid "$name"); then
    rm -f "$APP_RUN_DIR/$name.pid"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 80); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "stop.sh: $name (pid $pid) did not stop within 40 s: killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$APP_RUN_DIR/$name.pid"
  echo "$name: stopped"
}
