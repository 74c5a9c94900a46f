#!/usr/bin/env bash
# The local stack of agent-telemetry: real services on 127.0.0.1, no containers.
#
#   Kafka 4.x (KRaft, broker + controller in one JVM)   from Maven Central
#   Apicurio Registry 3.x (Confluent-compatible API)    from Maven Central, schemas kept in Kafka
#   ClickHouse server                                   from Debian's packages (18.16)
#   a current ClickHouse engine (chdb)                  from PyPI's chdb-core, behind
#                                                       scripts/stack/clickhouse-current.py, which
#                                                       speaks ClickHouse's HTTP interface
#
# Usage: scripts/stack.sh up|down|status
#   up      install what is missing, start what is not running, wait until every service
#           answers, then print one line per service (address and version) on stdout
#   down    stop the registry, then Kafka, then ClickHouse (SIGTERM, SIGKILL after a timeout)
#   status  one line per service; exit 0 if all are up, 3 if any is down
#   start SERVICE / stop SERVICE   one of kafka, registry, clickhouse, chdb alone (after a first `up`)
#
# Data, pid files and logs live in the state folder (logs/<service>.log); downloads in the cache
# folder, which survives a fresh clone. Every command is idempotent and works from any cwd.
#
# Environment (default):
#   AGENT_TELEMETRY_STATE_DIR   (<repo>/.state)
#   AGENT_TELEMETRY_CACHE_DIR   ($HOME/.cache/agent-telemetry)
#   AGENT_TELEMETRY_SKIP_NPM    (unset)  1: `up` leaves node_modules alone
#   AGENT_TELEMETRY_TAKEOVER    (unset)  1: `up` stops another checkout's stack holding our
#                               ports (always done when CI=true); otherwise that is an error
#   AGENT_TELEMETRY_JVM_DIR     (/usr/lib/jvm)  where the registry's JDK 21+ is looked for
#   KAFKA_PORT (9092)  KAFKA_CONTROLLER_PORT (9093)  KAFKA_VERSION (4.3.1)  KAFKA_HEAP (1g)
#   KAFKA_JAVA                  (java of JAVA_HOME, else java on PATH; 17+)
#   REGISTRY_PORT (8081)  REGISTRY_MANAGEMENT_PORT (8091)  REGISTRY_HEAP (512m)
#   APICURIO_VERSION            (3.3.3 with a JDK 21+ from /usr/lib/jvm, else 3.0.9 on Java 17)
#   REGISTRY_JAVA               (the newest JDK 21+ under AGENT_TELEMETRY_JVM_DIR)
#   REGISTRY_DEFAULT_COMPATIBILITY (BACKWARD)  global compatibility rule, NONE to switch off
#   CLICKHOUSE_HTTP_PORT (8123)  CLICKHOUSE_TCP_PORT (9000)
#   CHDB_HTTP_PORT (8124)  CHDB_VERSION (26.9.0, the chdb-core release: ClickHouse 26.9)
#   STACK_DEBUG                 (unset)  1: trace every command
set -Eeuo pipefail
[[ ${STACK_DEBUG:-} == 1 ]] && set -x

# ---------------------------------------------------------------------------------- settings
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
STACK_DIR=$SCRIPT_DIR/stack

abs_path() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$PWD/$1" ;;
  esac
}

STATE_DIR=$(abs_path "${AGENT_TELEMETRY_STATE_DIR:-$REPO_ROOT/.state}")
CACHE_DIR=$(abs_path "${AGENT_TELEMETRY_CACHE_DIR:-${HOME:-/root}/.cache/agent-telemetry}")
LOG_DIR=$STATE_DIR/logs
RUN_DIR=$STATE_DIR/run
KAFKA_DIR=$STATE_DIR/kafka
REGISTRY_DIR=$STATE_DIR/registry
CLICKHOUSE_DIR=$STATE_DIR/clickhouse
CHDB_DIR=$STATE_DIR/chdb

KAFKA_VERSION=${KAFKA_VERSION:-4.3.1}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_HEAP=${KAFKA_HEAP:-1g}
REGISTRY_PORT=${REGISTRY_PORT:-8081}
REGISTRY_MANAGEMENT_PORT=${REGISTRY_MANAGEMENT_PORT:-8091}
REGISTRY_HEAP=${REGISTRY_HEAP:-512m}
REGISTRY_DEFAULT_COMPATIBILITY=${REGISTRY_DEFAULT_COMPATIBILITY:-BACKWARD}
CLICKHOUSE_HTTP_PORT=${CLICKHOUSE_HTTP_PORT:-8123}
CLICKHOUSE_TCP_PORT=${CLICKHOUSE_TCP_PORT:-9000}
CHDB_HTTP_PORT=${CHDB_HTTP_PORT:-8124}
CHDB_VERSION=${CHDB_VERSION:-26.9.0}

APICURIO_LATEST=3.3.3        # needs Java 21+
APICURIO_JAVA17=3.0.9        # the newest served release that runs on Java 17
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
# dependency:get of 2.8 (Maven 3.8's default) fetches an artifact whose parent pom is missing
# from Central (apicurio-registry-app 3.0.9); 3.x refuses to
DEPENDENCY_PLUGIN_GET=org.apache.maven.plugins:maven-dependency-plugin:2.8

KAFKA_START_TIMEOUT=90
REGISTRY_START_TIMEOUT=180
CLICKHOUSE_START_TIMEOUT=60
CHDB_START_TIMEOUT=60

# Debian packages `up` makes sure of: ClickHouse, what the librdkafka build of
# @confluentinc/kafka-javascript links against (CKJS_LINKING=dynamic), and the Chromium the
# dashboard's browser tests drive (/usr/bin/chromium, through playwright-core).
APT_PACKAGES=(clickhouse-server clickhouse-client
  zlib1g-dev libssl-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev
  chromium)

# ------------------------------------------------------------------------------------ output
note() { printf 'stack: %s\n' "$*" >&2; }

# fail MESSAGE [LOGFILE]: one line saying what failed and what to do, then the log's tail.
fail() {
  printf 'stack.sh: %s\n' "$1" >&2
  if [[ -n ${2:-} && -s ${2:-} ]]; then
    printf -- '--- last 20 lines of %s ---\n' "$2" >&2
    tail -n 20 -- "$2" >&2
  fi
  exit 1
}

on_error() {
  local code=$1 line=$2 cmd=$3
  # a failing $(...) reports in the parent shell only, so the message is printed once
  if ((BASH_SUBSHELL == 0)); then
    printf 'stack.sh: unexpected failure (exit %s) at line %s: %s (rerun with STACK_DEBUG=1 for a trace)\n' \
      "$code" "$line" "$cmd" >&2
  fi
  exit "$code"
}
trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR

# ------------------------------------------------------------------------------------ helpers
# render TEMPLATE OUT NAME=VALUE...: replace @NAME@ placeholders, write OUT atomically.
render() {
  local template=$1 out=$2 content kv name value
  shift 2
  content=$(<"$template")
  for kv in "$@"; do
    name=${kv%%=*}
    value=${kv#*=}
    content=${content//"@${name}@"/"$value"}
  done
  if [[ $content =~ @[A-Z_]+@ ]]; then
    fail "internal error: placeholder ${BASH_REMATCH[0]} left in $template"
  fi
  printf '%s\n' "$content" >"$out.tmp.$$"
  mv -f -- "$out.tmp.$$" "$out"
}

# java_major JAVA: the feature release number (8, 17, 21, 25...) of a java binary.
java_major() {
  local line
  line=$("$1" -version 2>&1 | head -n 1) || true
  if [[ $line =~ version\ \"([0-9]+)(\.([0-9]+))? ]]; then
    if [[ ${BASH_REMATCH[1]} == 1 ]]; then
      printf '%s\n' "${BASH_REMATCH[3]}"
    else
      printf '%s\n' "${BASH_REMATCH[1]}"
    fi
  else
    printf '0\n'
  fi
}

# jdk_home_major DIR: like java_major, from DIR/release when the JDK has one (no JVM start).
jdk_home_major() {
  local dir=$1 line
  if [[ -f $dir/release ]] && line=$(grep -m1 '^JAVA_VERSION=' "$dir/release"); then
    line=${line#JAVA_VERSION=}
    line=${line//\"/}
    if [[ $line == 1.* ]]; then line=${line#1.}; fi
    printf '%s\n' "${line%%[!0-9]*}"
  else
    java_major "$dir/bin/java"
  fi
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# port_user PORT: who listens on PORT, in PORT_PROC ("" when nobody) and PORT_PID ("" if unknown).
port_user() {
  local port=$1 line
  PORT_PROC=""
  PORT_PID=""
  if command -v ss >/dev/null 2>&1; then
    line=$(ss -Hltnp "( sport = :$port )" 2>/dev/null | head -n 1) || true
    [[ -n $line ]] || return 0
    PORT_PROC="an unknown process"
    if [[ $line =~ \(\(\"([^\"]*)\",pid=([0-9]+) ]]; then
      PORT_PROC=${BASH_REMATCH[1]}
      PORT_PID=${BASH_REMATCH[2]}
    fi
  elif port_open "$port"; then
    PORT_PROC="an unknown process"
  fi
}

# stack_of PID: the state folder of the agent-telemetry stack (of any checkout) that PID is a
# service of, or nothing (exit 1).
stack_of() {
  local arg prev="" dir=""
  [[ -r /proc/$1/cmdline ]] || return 1
  while IFS= read -r -d '' arg; do
    case $prev:$arg in
      kafka.Kafka:*/kafka/server.properties) dir=${arg%/kafka/server.properties} ;;
      *:--config-file=*/clickhouse/config.xml) dir=${arg#--config-file=}; dir=${dir%/clickhouse/config.xml} ;;
      *:-Djava.io.tmpdir=*/registry/tmp) dir=${arg#-Djava.io.tmpdir=}; dir=${dir%/registry/tmp} ;;
      --path:*/chdb/data) dir=${arg%/chdb/data} ;;
    esac
    prev=$arg
  done <"/proc/$1/cmdline"
  [[ -n $dir && -d $dir/run ]] || return 1
  printf '%s\n' "$dir"
}

# require_free_port PORT VARNAME SERVICE: fail with one line if something else listens there.
# The stack of another checkout (a CI clone next to a developer's tree) is stopped when CI=true
# or AGENT_TELEMETRY_TAKEOVER=1, and named otherwise.
require_free_port() {
  local port=$1 var=$2 service=$3 hint="" other i
  port_user "$port"
  [[ -z $PORT_PROC ]] && return 0
  if [[ -n $PORT_PID ]] && other=$(stack_of "$PORT_PID") && [[ $other != "$STATE_DIR" ]]; then
    if [[ ${CI:-} == true || ${AGENT_TELEMETRY_TAKEOVER:-} == 1 ]]; then
      note "port $port is held by the local stack of another checkout ($other): stopping that stack"
      AGENT_TELEMETRY_STATE_DIR=$other "$SCRIPT_DIR/stack.sh" down </dev/null >&2 9>&- ||
        fail "could not stop the stack in $other that holds port $port: run AGENT_TELEMETRY_STATE_DIR=$other scripts/stack.sh down"
      for ((i = 0; i < 20; i++)); do
        port_user "$port"
        [[ -z $PORT_PROC ]] && return 0
        sleep 0.5
      done
    else
      fail "port $port ($var, for $service) is held by the local stack of another checkout (state $other): stop it with AGENT_TELEMETRY_STATE_DIR=$other scripts/stack.sh down (or rerun with AGENT_TELEMETRY_TAKEOVER=1), or set $var to a free port"
    fi
  fi
  case $PORT_PROC in
    clickhouse*) hint=" (a system ClickHouse? systemctl stop clickhouse-server)" ;;
  esac
  fail "port $port ($var, for $service) is already in use by $PORT_PROC${PORT_PID:+ (pid $PORT_PID)}, which this stack did not start$hint: stop it, or set $var to a free port"
}

pid_file() { printf '%s/%s.pid\n' "$RUN_DIR" "$1"; }

# marker SERVICE: a string only our instance of SERVICE has in its command line.
marker() {
  case $1 in
    kafka) printf '%s\n' "kafka.Kafka $KAFKA_DIR/server.properties" ;;
    registry) printf '%s\n' "-Djava.io.tmpdir=$REGISTRY_DIR/tmp -jar " ;;
    clickhouse) printf '%s\n' "--config-file=$CLICKHOUSE_DIR/config.xml" ;;
    chdb) printf '%s\n' "clickhouse-current.py --path $CHDB_DIR/data " ;;
  esac
}

# pid_matches PID SERVICE: PID is alive and is our SERVICE (not a recycled pid, not an editor
# that has the config open): the right program with our marker in its command line.
pid_matches() {
  local pid=$1 service=$2 cmdline exe
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  case $service:${exe##*/} in
    kafka:java | registry:java | clickhouse:clickhouse* | chdb:python*) ;;
    *) return 1 ;;
  esac
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$(marker "$service")"* ]]
}

# service_pid SERVICE: the pid of our running SERVICE, or nothing (exit 1). Falls back to
# scanning /proc for the marker when the pid file was lost.
service_pid() {
  local service=$1 file pid proc
  file=$(pid_file "$service")
  if [[ -f $file ]]; then
    pid=$(<"$file")
    if pid_matches "$pid" "$service"; then
      printf '%s\n' "$pid"
      return 0
    fi
  fi
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    [[ $pid == "$$" ]] && continue
    if pid_matches "$pid" "$service"; then
      mkdir -p "$RUN_DIR"
      printf '%s\n' "$pid" >"$file"
      printf '%s\n' "$pid"
      return 0
    fi
  done
  return 1
}

# start_daemon SERVICE LOGFILE WORKDIR COMMAND...: run COMMAND in its own session, detached
# from this shell (no stdin, output to LOGFILE, lock fd closed), and record its pid.
start_daemon() {
  local service=$1 log=$2 workdir=$3 file i
  shift 3
  file=$(pid_file "$service")
  rm -f -- "$file"
  printf '==== %s: starting %s ====\n' "$(date '+%Y-%m-%dT%H:%M:%S%z')" "$service" >>"$log"
  (
    cd -- "$workdir"
    # bash writes its own pid, then becomes the service (exec keeps the pid)
    # shellcheck disable=SC2016 # $$ and $@ belong to the inner bash
    exec setsid bash -c 'printf "%s\n" "$$" >"$0"; exec "$@"' "$file" "$@" \
      </dev/null >>"$log" 2>&1 9>&-
  ) &
  for ((i = 0; i < 50; i++)); do
    [[ -s $file ]] && return 0
    sleep 0.1
  done
  fail "could not start $service (no pid file $file): see $log" "$log"
}

# stop_service SERVICE TIMEOUT: SIGTERM, wait up to TIMEOUT seconds, then SIGKILL.
stop_service() {
  local service=$1 timeout=$2 pid i
  if ! pid=$(service_pid "$service"); then
    rm -f -- "$(pid_file "$service")"
    note "$service: not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 2; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    note "$service: still running after ${timeout}s, sending SIGKILL to pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
  fi
  rm -f -- "$(pid_file "$service")"
  note "$service: stopped (pid $pid)"
}

# as_root COMMAND...: run as root (directly, or through password-less sudo).
as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 90
  fi
}

pkg_installed() {
  [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

# ------------------------------------------------------------------------------ dependencies
ensure_apt_packages() {
  local pkgs=("${APT_PACKAGES[@]}") missing=() p log=$LOG_DIR/apt.log rc=0
  command -v mvn >/dev/null 2>&1 || pkgs+=(maven)
  command -v curl >/dev/null 2>&1 || pkgs+=(curl)
  command -v ss >/dev/null 2>&1 || pkgs+=(iproute2)
  if ! command -v dpkg-query >/dev/null 2>&1; then
    command -v clickhouse-server >/dev/null 2>&1 || [[ -x /usr/sbin/clickhouse-server ]] ||
      fail "clickhouse-server not found and this is not a Debian system: install ClickHouse server and client"
    return 0
  fi
  for p in "${pkgs[@]}"; do
    pkg_installed "$p" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  note "installing Debian packages: ${missing[*]} (log: $log)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >>"$log" 2>&1 </dev/null || rc=$?
  if ((rc == 90)); then
    fail "missing Debian packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}"
  fi
  if ((rc != 0)); then
    note "apt-get install failed; running apt-get update and retrying"
    { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}"; } >>"$log" 2>&1 </dev/null ||
      fail "apt-get install failed for: ${missing[*]}: see $log, fix the apt sources and rerun" "$log"
  fi
  # on a machine run by systemd the package starts its own server on 8123/9000: ours replaces it
  if [[ " ${missing[*]} " == *" clickhouse-server "* ]] && command -v systemctl >/dev/null 2>&1 &&
    systemctl is-active --quiet clickhouse-server 2>/dev/null; then
    note "stopping and disabling the system clickhouse-server service the package started"
    as_root systemctl disable --now clickhouse-server >>"$log" 2>&1 || true
  fi
}

# kafka_java: the java that runs Kafka (17+), in KAFKA_JAVA_BIN.
resolve_kafka_java() {
  local bin major
  if [[ -n ${KAFKA_JAVA:-} ]]; then
    bin=$KAFKA_JAVA
  elif [[ -n ${JAVA_HOME:-} && -x ${JAVA_HOME:-}/bin/java ]]; then
    bin=$JAVA_HOME/bin/java
  else
    bin=$(command -v java 2>/dev/null) ||
      fail "java not found: install a JDK 17+ (apt-get install openjdk-17-jre-headless)"
  fi
  [[ -x $bin ]] || fail "java not found at $bin: install a JDK 17+ (apt-get install openjdk-17-jre-headless) or fix KAFKA_JAVA"
  major=$(java_major "$bin")
  ((major >= 17)) ||
    fail "$bin is Java $major; Kafka 4 needs 17+: install openjdk-17-jre-headless or set KAFKA_JAVA"
  KAFKA_JAVA_BIN=$bin
}

# The registry's java and Apicurio version (REGISTRY_JAVA_BIN, APICURIO_VER): 3.2+ needs 21+.
resolve_registry_java() {
  local best="" best_major=0 dir major need
  if [[ -n ${REGISTRY_JAVA:-} ]]; then
    [[ -x $REGISTRY_JAVA ]] || fail "REGISTRY_JAVA=$REGISTRY_JAVA is not an executable java"
    best=$REGISTRY_JAVA
    best_major=$(java_major "$best")
  else
    for dir in "${AGENT_TELEMETRY_JVM_DIR:-/usr/lib/jvm}"/*/; do
      dir=${dir%/}
      [[ -L $dir || ! -x $dir/bin/java ]] && continue
      major=$(jdk_home_major "$dir")
      [[ $major =~ ^[0-9]+$ ]] || continue
      if ((major >= 21 && major > best_major)); then
        best=$dir/bin/java
        best_major=$major
      fi
    done
  fi
  if [[ -n ${APICURIO_VERSION:-} ]]; then
    APICURIO_VER=$APICURIO_VERSION
  elif ((best_major >= 21)); then
    APICURIO_VER=$APICURIO_LATEST
  else
    APICURIO_VER=$APICURIO_JAVA17
  fi
  case $APICURIO_VER in
    3.0.* | 3.1.*) need=17 ;;
    *) need=21 ;;
  esac
  if ((best_major >= need)); then
    REGISTRY_JAVA_BIN=$best
  elif ((need == 17)); then
    REGISTRY_JAVA_BIN=$KAFKA_JAVA_BIN
  else
    fail "Apicurio Registry $APICURIO_VER needs Java 21+ and none was found under ${AGENT_TELEMETRY_JVM_DIR:-/usr/lib/jvm}: install one (apt-get install openjdk-21-jre-headless where available), set REGISTRY_JAVA, or set APICURIO_VERSION=$APICURIO_JAVA17"
  fi
}

kafka_home() { printf '%s/kafka-%s\n' "$CACHE_DIR" "$KAFKA_VERSION"; }
apicurio_home() { printf '%s/apicurio-registry-%s\n' "$CACHE_DIR" "$APICURIO_VER"; }

# apicurio_jar HOME: the runnable jar of an unpacked Apicurio (fast-jar layout since 3.1,
# a legacy *-runner.jar before).
apicurio_jar() {
  local jar
  if [[ -f $1/app/quarkus-run.jar ]]; then
    printf '%s\n' "$1/app/quarkus-run.jar"
    return 0
  fi
  for jar in "$1"/app/*-runner.jar; do
    [[ -f $jar ]] && printf '%s\n' "$jar" && return 0
  done
  return 1
}

# run_mvn LOG ARGS...: Maven in batch mode, quiet, with its own local repository in the cache
# folder (so the cache alone makes a later `up` download nothing), run from an empty directory
# (outside any project). The log is rewritten each time, without colour codes.
run_mvn() {
  local log=$1 work rc=0
  shift
  command -v mvn >/dev/null 2>&1 || fail "mvn not found: install Maven (apt-get install maven)"
  work=$(mktemp -d "${TMPDIR:-/tmp}/agent-telemetry-mvn.XXXXXX")
  (cd -- "$work" && mvn -B -q -Dstyle.color=never "-Dmaven.repo.local=$CACHE_DIR/m2" "$@") \
    >"$log" 2>&1 </dev/null || rc=$?
  rm -rf -- "$work"
  sed -i 's/\x1b\[[0-9;]*m//g' "$log"
  return "$rc"
}

# Kafka jars (kafka_2.13, kafka-tools, runtime dependencies, log4j2 binding) into the cache.
ensure_kafka_libs() {
  local home tmp log=$LOG_DIR/maven-kafka.log
  home=$(kafka_home)
  [[ -f $home/.complete ]] && return 0
  note "downloading Kafka $KAFKA_VERSION from Maven Central (about 45 MB; log: $log)"
  tmp=$home.partial.$$
  rm -rf -- "$tmp"
  mkdir -p "$tmp"
  if ! run_mvn "$log" -f "$STACK_DIR/kafka-pom.xml" "-Dkafka.version=$KAFKA_VERSION" \
    -DincludeScope=runtime "-DoutputDirectory=$tmp/libs" "$DEPENDENCY_PLUGIN:copy-dependencies"; then
    rm -rf -- "$tmp"
    fail "Maven could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION (with kafka-tools and dependencies) from Maven Central: check access to it, or set KAFKA_VERSION to a published 4.x release; see $log" "$log"
  fi
  [[ -f $tmp/libs/kafka_2.13-$KAFKA_VERSION.jar ]] ||
    fail "Maven ran but kafka_2.13-$KAFKA_VERSION.jar is missing from $tmp/libs: see $log" "$log"
  touch "$tmp/.complete"
  rm -rf -- "$home"
  mv -- "$tmp" "$home"
}

# Apicurio Registry's Quarkus app (the tar.gz:all artifact) unpacked into the cache. Fetched with
# dependency:get -Dtransitive=false, then unpacked with tar: dependency:unpack/copy (and get of
# plugin 3.x) also resolve the artifact's parent pom, which Central lacks for some releases.
ensure_apicurio() {
  local home tmp artifact tarball log=$LOG_DIR/maven-apicurio.log
  home=$(apicurio_home)
  [[ -f $home/.complete ]] && return 0
  artifact=io.apicurio:apicurio-registry-app:$APICURIO_VER:tar.gz:all
  tarball=$CACHE_DIR/m2/io/apicurio/apicurio-registry-app/$APICURIO_VER/apicurio-registry-app-$APICURIO_VER-all.tar.gz
  if [[ ! -f $tarball ]]; then
    note "downloading Apicurio Registry $APICURIO_VER from Maven Central (about 150 MB; log: $log)"
    run_mvn "$log" "$DEPENDENCY_PLUGIN_GET:get" "-Dartifact=$artifact" -Dtransitive=false ||
      fail "Maven could not fetch $artifact from Maven Central: check access to it, or set APICURIO_VERSION to a published 3.x release; see $log" "$log"
    [[ -f $tarball ]] || fail "Maven ran but $tarball is missing: see $log" "$log"
  fi
  tmp=$home.partial.$$
  rm -rf -- "$tmp"
  mkdir -p "$tmp/app"
  tar -xzf "$tarball" -C "$tmp/app" 2>>"$log" ||
    fail "could not unpack $tarball (a partial download?): delete it and rerun" "$log"
  if ! apicurio_jar "$tmp" >/dev/null; then
    rm -rf -- "$tmp"
    fail "$artifact unpacked without quarkus-run.jar or *-runner.jar: delete $tarball and rerun"
  fi
  touch "$tmp/.complete"
  rm -rf -- "$home"
  mv -- "$tmp" "$home"
}

# npm dependencies: `npm ci` (the lock file as committed) when node_modules is missing or older
# than package-lock.json. librdkafka is built from the package's sources against Debian's libraries
# (CKJS_LINKING=dynamic); node-gyp takes Node's headers from the system when they are installed
# there, since it cannot download them on a closed network.
ensure_npm_deps() {
  local lock=$REPO_ROOT/package-lock.json installed=$REPO_ROOT/node_modules/.package-lock.json
  local log=$LOG_DIR/npm.log
  [[ ${AGENT_TELEMETRY_SKIP_NPM:-} == 1 ]] && return 0
  [[ -f $REPO_ROOT/package.json && -f $lock ]] || return 0
  if [[ -f $installed && ! $lock -nt $installed ]]; then
    return 0
  fi
  command -v npm >/dev/null 2>&1 || fail "npm not found: install Node.js 20+ with npm"
  if [[ -z ${npm_config_nodedir:-} && -f /usr/include/node/common.gypi ]]; then
    export npm_config_nodedir=/usr
  fi
  note "installing npm dependencies: CKJS_LINKING=dynamic npm ci (2-3 min on 2 cores; log: $log)"
  : >"$log"
  if (cd -- "$REPO_ROOT" && CKJS_LINKING=dynamic npm ci --no-audit --no-fund) >>"$log" 2>&1 </dev/null; then
    return 0
  fi
  printf 'stack.sh: npm dependencies failed to install (the services are up): see %s, fix and rerun scripts/stack.sh up\n' "$log" >&2
  { grep -m 12 -E 'npm (error|ERR!)|gyp ERR!' "$log" || true; } | sed 's/^/  /' >&2
  exit 1
}

# ------------------------------------------------------------------------------------- kafka
kafka_libs() { printf '%s/libs\n' "$(kafka_home)"; }

# kafka_tool CLASS ARGS...: run a Kafka command-line class with a small, fast-starting JVM
# (bounded: a tool that hangs is killed after 60 s).
kafka_tool() {
  local class=$1
  shift
  timeout 60 "$KAFKA_JAVA_BIN" -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$STACK_DIR/kafka-log4j2.xml" \
    "-Dagent.telemetry.kafka.log=$LOG_DIR/kafka.log" -Dagent.telemetry.kafka.loglevel=WARN \
    -cp "$(kafka_libs)/*" "$class" "$@"
}

kafka_cluster_id_on_disk() {
  local line
  line=$(grep -m1 '^cluster.id=' "$KAFKA_DIR/data/meta.properties" 2>/dev/null) || return 1
  printf '%s\n' "${line#cluster.id=}"
}

# kafka_answers: the broker answers a metadata request (DescribeCluster) with our cluster id.
kafka_answers() {
  local expected out
  port_open "$KAFKA_PORT" || return 1
  expected=$(kafka_cluster_id_on_disk) || return 1
  out=$(kafka_tool org.apache.kafka.tools.ClusterTool cluster-id \
    --bootstrap-server "127.0.0.1:$KAFKA_PORT" --command-config "$KAFKA_DIR/tools.properties" \
    2>/dev/null) || return 1
  [[ $out == *"Cluster ID: $expected"* ]]
}

kafka_version() {
  cat -- "$KAFKA_DIR/version" 2>/dev/null || printf '?\n'
}

start_kafka() {
  local cluster_id log=$LOG_DIR/kafka.log
  require_free_port "$KAFKA_PORT" KAFKA_PORT Kafka
  require_free_port "$KAFKA_CONTROLLER_PORT" KAFKA_CONTROLLER_PORT "the Kafka controller"
  mkdir -p "$KAFKA_DIR/data"
  render "$STACK_DIR/kafka-server.properties.tmpl" "$KAFKA_DIR/server.properties" \
    "KAFKA_PORT=$KAFKA_PORT" "KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT" \
    "KAFKA_DATA_DIR=$KAFKA_DIR/data"
  printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=10000\n' >"$KAFKA_DIR/tools.properties"
  if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
    cluster_id=$(kafka_tool kafka.tools.StorageTool random-uuid 2>>"$log") ||
      fail "Kafka StorageTool random-uuid failed: see $log" "$log"
    note "kafka: formatting $KAFKA_DIR/data (cluster id $cluster_id)"
    kafka_tool kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
      >>"$log" 2>&1 || fail "formatting Kafka's storage failed: see $log" "$log"
  fi
  note "kafka: starting $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (log: $log)"
  start_daemon kafka "$log" "$KAFKA_DIR" \
    "$KAFKA_JAVA_BIN" -Xms256m "-Xmx$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$STACK_DIR/kafka-log4j2.xml" \
    "-Dagent.telemetry.kafka.log=$log" \
    -cp "$(kafka_libs)/*" kafka.Kafka "$KAFKA_DIR/server.properties"
  printf '%s\n' "$KAFKA_VERSION" >"$KAFKA_DIR/version"
}

# --------------------------------------------------------------------------------- registry
registry_url() { printf 'http://127.0.0.1:%s\n' "$REGISTRY_PORT"; }

registry_answers() {
  local body
  body=$(curl -fsS --max-time 5 "$(registry_url)/apis/ccompat/v7/subjects" 2>/dev/null) || return 1
  [[ $body == \[* ]]
}

registry_version() {
  local body
  body=$(curl -fsS --max-time 5 "$(registry_url)/apis/registry/v3/system/info" 2>/dev/null) || {
    printf '?\n'
    return 0
  }
  if [[ $body =~ \"version\":\"([^\"]*)\" ]]; then
    printf '%s\n' "${BASH_REMATCH[1]}"
  else
    printf '?\n'
  fi
}

start_registry() {
  local jar log=$LOG_DIR/registry.log
  jar=$(apicurio_jar "$(apicurio_home)") ||
    fail "no runnable jar in $(apicurio_home): delete that folder and rerun"
  require_free_port "$REGISTRY_PORT" REGISTRY_PORT "the schema registry"
  require_free_port "$REGISTRY_MANAGEMENT_PORT" REGISTRY_MANAGEMENT_PORT "the registry's management interface"
  mkdir -p "$REGISTRY_DIR/config" "$REGISTRY_DIR/snapshots" "$REGISTRY_DIR/tmp"
  render "$STACK_DIR/registry.properties.tmpl" "$REGISTRY_DIR/config/application.properties" \
    "KAFKA_PORT=$KAFKA_PORT" "REGISTRY_PORT=$REGISTRY_PORT" \
    "REGISTRY_MANAGEMENT_PORT=$REGISTRY_MANAGEMENT_PORT" "REGISTRY_DIR=$REGISTRY_DIR" \
    "REGISTRY_DEFAULT_COMPATIBILITY=$REGISTRY_DEFAULT_COMPATIBILITY"
  note "registry: starting Apicurio Registry $APICURIO_VER on $(registry_url) with $REGISTRY_JAVA_BIN (log: $log)"
  start_daemon registry "$log" "$REGISTRY_DIR" \
    "$REGISTRY_JAVA_BIN" -Xms128m "-Xmx$REGISTRY_HEAP" -Djava.awt.headless=true \
    "-Djava.io.tmpdir=$REGISTRY_DIR/tmp" -jar "$jar"
}

# ------------------------------------------------------------------------------- clickhouse
clickhouse_url() { printf 'http://127.0.0.1:%s\n' "$CLICKHOUSE_HTTP_PORT"; }

clickhouse_answers() {
  [[ $(curl -fsS --max-time 3 "$(clickhouse_url)/ping" 2>/dev/null) == Ok.* ]]
}

clickhouse_version() {
  curl -fsS --max-time 5 "$(clickhouse_url)/?query=SELECT%20version()" 2>/dev/null || printf '?\n'
}

start_clickhouse() {
  local bin log=$LOG_DIR/clickhouse.log
  if ! bin=$(command -v clickhouse-server 2>/dev/null); then
    bin=/usr/sbin/clickhouse-server
    [[ -x $bin ]] || fail "clickhouse-server not found: apt-get install clickhouse-server clickhouse-client"
  fi
  require_free_port "$CLICKHOUSE_HTTP_PORT" CLICKHOUSE_HTTP_PORT "ClickHouse HTTP"
  require_free_port "$CLICKHOUSE_TCP_PORT" CLICKHOUSE_TCP_PORT "ClickHouse native"
  mkdir -p "$CLICKHOUSE_DIR/data"
  cp -f -- "$STACK_DIR/clickhouse-users.xml" "$CLICKHOUSE_DIR/users.xml"
  render "$STACK_DIR/clickhouse-config.xml.tmpl" "$CLICKHOUSE_DIR/config.xml" \
    "CLICKHOUSE_LOG=$log" "CLICKHOUSE_ERRLOG=$LOG_DIR/clickhouse.err.log" \
    "CLICKHOUSE_HTTP_PORT=$CLICKHOUSE_HTTP_PORT" "CLICKHOUSE_TCP_PORT=$CLICKHOUSE_TCP_PORT" \
    "CLICKHOUSE_DATA_DIR=$CLICKHOUSE_DIR/data" "CLICKHOUSE_USERS_XML=$CLICKHOUSE_DIR/users.xml"
  note "clickhouse: starting on $(clickhouse_url) and native 127.0.0.1:$CLICKHOUSE_TCP_PORT (log: $log)"
  start_daemon clickhouse "$log" "$CLICKHOUSE_DIR" "$bin" "--config-file=$CLICKHOUSE_DIR/config.xml"
}

# ------------------------------------------------------------------------------------- chdb
# A current ClickHouse engine for the tests: chdb-core (the ClickHouse engine as a Python module,
# installed without its optional pandas/pyarrow) behind scripts/stack/clickhouse-current.py.
chdb_url() { printf 'http://127.0.0.1:%s\n' "$CHDB_HTTP_PORT"; }
chdb_home() { printf '%s/chdb-core-%s\n' "$CACHE_DIR" "$CHDB_VERSION"; }

chdb_answers() {
  [[ $(curl -fsS --max-time 3 "$(chdb_url)/ping" 2>/dev/null) == Ok.* ]]
}

chdb_version() {
  curl -fsS --max-time 5 "$(chdb_url)/?query=SELECT%20version()" 2>/dev/null || printf '?\n'
}

chdb_python() {
  command -v python3 2>/dev/null || fail "python3 not found: the current ClickHouse engine (chdb-core) needs Python 3.9+"
}

ensure_chdb() {
  local home tmp log=$LOG_DIR/chdb-install.log python
  home=$(chdb_home)
  [[ -f $home/.complete ]] && return 0
  python=$(chdb_python)
  tmp=$home.partial
  rm -rf -- "$tmp"
  note "chdb: installing chdb-core $CHDB_VERSION from PyPI into $home (a 180 MB wheel; log: $log)"
  "$python" -m pip install --disable-pip-version-check --no-input --no-deps --target "$tmp" \
    "chdb-core==$CHDB_VERSION" >"$log" 2>&1 </dev/null ||
    fail "pip install chdb-core==$CHDB_VERSION failed: see $log" "$log"
  touch "$tmp/.complete"
  rm -rf -- "$home"
  mv -- "$tmp" "$home"
}

start_chdb() {
  local python log=$LOG_DIR/chdb.log
  python=$(chdb_python)
  require_free_port "$CHDB_HTTP_PORT" CHDB_HTTP_PORT "the current ClickHouse engine (chdb)"
  mkdir -p "$CHDB_DIR/data"
  note "chdb: starting ClickHouse (chdb-core $CHDB_VERSION) on $(chdb_url) (log: $log)"
  PYTHONPATH=$(chdb_home) start_daemon chdb "$log" "$CHDB_DIR" "$python" \
    "$STACK_DIR/clickhouse-current.py" --path "$CHDB_DIR/data" \
    --users "$STACK_DIR/clickhouse-users.xml" --port "$CHDB_HTTP_PORT"
}

# --------------------------------------------------------------------------------- lifecycle
# wait_ready SERVICE TIMEOUT LOGFILE: poll SERVICE's check until it answers.
wait_ready() {
  local service=$1 timeout=$2 log=$3 start now
  start=$SECONDS
  while true; do
    if "${service}_answers"; then
      note "$service: ready after $((SECONDS - start))s"
      return 0
    fi
    service_pid "$service" >/dev/null ||
      fail "$service exited while starting: see $log" "$log"
    now=$SECONDS
    ((now - start >= timeout)) &&
      fail "$service did not answer within ${timeout}s: see $log (scripts/stack.sh down, then up, to retry)" "$log"
    sleep 1
  done
}

# service_ports SERVICE: "PORT VARNAME" lines for the ports SERVICE listens on.
service_ports() {
  case $1 in
    kafka) printf '%s\n' "$KAFKA_PORT KAFKA_PORT" "$KAFKA_CONTROLLER_PORT KAFKA_CONTROLLER_PORT" ;;
    registry) printf '%s\n' "$REGISTRY_PORT REGISTRY_PORT" "$REGISTRY_MANAGEMENT_PORT REGISTRY_MANAGEMENT_PORT" ;;
    clickhouse) printf '%s\n' "$CLICKHOUSE_HTTP_PORT CLICKHOUSE_HTTP_PORT" "$CLICKHOUSE_TCP_PORT CLICKHOUSE_TCP_PORT" ;;
    chdb) printf '%s\n' "$CHDB_HTTP_PORT CHDB_HTTP_PORT" ;;
  esac
}

# preflight_ports: before starting anything, every port of every service to start is free.
preflight_ports() {
  local service port var
  for service in clickhouse chdb kafka registry; do
    service_pid "$service" >/dev/null && continue
    while read -r port var; do
      require_free_port "$port" "$var" "$service"
    done < <(service_ports "$service")
  done
}

# ensure_started SERVICE: start SERVICE unless it is running already.
ensure_started() {
  local service=$1 pid
  if pid=$(service_pid "$service"); then
    note "$service: already running (pid $pid)"
  else
    "start_$service"
  fi
}

summary_line() {
  printf '%-10s %-45s %s\n' "$1" "$2" "$3"
}

print_summary() {
  summary_line kafka "127.0.0.1:$KAFKA_PORT" "Kafka $(kafka_version) (KRaft broker+controller, controller 127.0.0.1:$KAFKA_CONTROLLER_PORT)"
  summary_line registry "$(registry_url)/apis/ccompat/v7" "Apicurio Registry $(registry_version) (Confluent-compatible API; KafkaSQL storage)"
  summary_line clickhouse "$(clickhouse_url) native 127.0.0.1:$CLICKHOUSE_TCP_PORT" "ClickHouse $(clickhouse_version)"
  summary_line chdb "$(chdb_url)" "ClickHouse $(chdb_version) (chdb-core $CHDB_VERSION behind an HTTP front)"
}

take_lock() {
  mkdir -p "$STATE_DIR" "$LOG_DIR" "$RUN_DIR"
  exec 9>"$RUN_DIR/stack.lock"
  flock -w 900 9 || fail "another scripts/stack.sh holds $RUN_DIR/stack.lock for 15 minutes: wait or kill it"
}

cmd_up() {
  take_lock
  resolve_kafka_java
  ensure_apt_packages
  resolve_registry_java
  ensure_kafka_libs
  ensure_apicurio
  ensure_chdb
  preflight_ports

  ensure_started clickhouse
  ensure_started chdb
  ensure_started kafka
  wait_ready clickhouse "$CLICKHOUSE_START_TIMEOUT" "$LOG_DIR/clickhouse.log"
  wait_ready chdb "$CHDB_START_TIMEOUT" "$LOG_DIR/chdb.log"
  wait_ready kafka "$KAFKA_START_TIMEOUT" "$LOG_DIR/kafka.log"
  ensure_started registry
  wait_ready registry "$REGISTRY_START_TIMEOUT" "$LOG_DIR/registry.log"

  ensure_npm_deps
  print_summary
}

cmd_down() {
  take_lock
  stop_service registry 30
  stop_service kafka 60
  stop_service clickhouse 30
  stop_service chdb 30
}

cmd_status() {
  local down=0 service pid state address version
  mkdir -p "$RUN_DIR"
  for service in kafka registry clickhouse chdb; do
    case $service in
      kafka) address="127.0.0.1:$KAFKA_PORT" ;;
      registry) address="$(registry_url)/apis/ccompat/v7" ;;
      clickhouse) address="$(clickhouse_url) native 127.0.0.1:$CLICKHOUSE_TCP_PORT" ;;
      chdb) address="$(chdb_url)" ;;
    esac
    version=""
    if pid=$(service_pid "$service"); then
      if [[ $service == kafka ]]; then
        # check with the java and jars the running broker was started with
        IFS= read -r -d '' KAFKA_JAVA_BIN <"/proc/$pid/cmdline" || true
        KAFKA_VERSION=$(kafka_version)
      fi
      if "${service}_answers"; then
        state=up
        case $service in
          kafka) version="Kafka $(kafka_version)" ;;
          registry) version="Apicurio Registry $(registry_version)" ;;
          clickhouse) version="ClickHouse $(clickhouse_version)" ;;
          chdb) version="ClickHouse $(chdb_version) (chdb)" ;;
        esac
      else
        state="not-answering"
        down=1
      fi
    else
      state=down
      pid=-
      down=1
    fi
    printf '%-10s %-14s pid=%-8s %-45s %s\n' "$service" "$state" "$pid" "$address" "$version"
  done
  ((down == 0)) || return 3
}

# start SERVICE / stop SERVICE: one service alone (after a first `up` installed everything), for
# maintenance and for the tests that take a service away and bring it back.
cmd_start_one() {
  local service=$1 timeout log
  take_lock
  case $service in
    kafka) resolve_kafka_java; timeout=$KAFKA_START_TIMEOUT ;;
    registry) resolve_registry_java; timeout=$REGISTRY_START_TIMEOUT ;;
    clickhouse) timeout=$CLICKHOUSE_START_TIMEOUT ;;
    chdb) ensure_chdb; timeout=$CHDB_START_TIMEOUT ;;
    *) usage_error ;;
  esac
  log="$LOG_DIR/$service.log"
  ensure_started "$service"
  wait_ready "$service" "$timeout" "$log"
}

cmd_stop_one() {
  take_lock
  case $1 in
    registry) stop_service registry 30 ;;
    kafka) stop_service kafka 60 ;;
    clickhouse) stop_service clickhouse 30 ;;
    chdb) stop_service chdb 30 ;;
    *) usage_error ;;
  esac
}

usage_error() {
  printf 'usage: scripts/stack.sh up|down|status|start SERVICE|stop SERVICE (SERVICE: kafka, registry, clickhouse, chdb; see --help)\n' >&2
  exit 2
}

main() {
  case ${1:-} in
    up) cmd_up ;;
    down) cmd_down ;;
    start) cmd_start_one "${2:-}" ;;
    stop) cmd_stop_one "${2:-}" ;;
    status) cmd_status || exit $? ;;
    -h | --help | help)
      sed -n '2,/^set -Eeuo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
      ;;
    *) usage_error ;;
  esac
}

main "$@"
