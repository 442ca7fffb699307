#!/usr/bin/env bash
# Single-node Apache Kafka broker (KRaft combined mode) for local development and tests.
# No Docker and no Kafka package: the broker jars come from Maven Central through
# deploy/local/kafka/pom.xml and are cached outside the repo.
#
#   deploy/local/kafka.sh start|stop|status
#
# Environment:
#   SHIJI_KAFKA_VERSION     Kafka release (default below; 3.9.x also works, it switches to reload4j)
#   SHIJI_KAFKA_PORT        client listener on 127.0.0.1 (default 59092); controller on PORT+1; in secure
#                           mode also a client-certificate listener on PORT+2
#   SHIJI_KAFKA_DIR         run dir: properties, data (log.dirs), logs, pid file (default /tmp/shiji-kafka)
#   SHIJI_KAFKA_LIBS        jar cache (default $HOME/.cache/shiji/kafka-libs-<version>)
#   SHIJI_KAFKA_PARTITIONS  num.partitions for new topics (default 3)
#   SHIJI_KAFKA_JVM_OPTS    extra JVM options appended to the defaults
#   SHIJI_KAFKA_KEEP_DATA   set to 1 to reuse an already formatted data dir (a broker restart that
#                           keeps topics and offsets, as after an outage; the fault tests use it)
#   SHIJI_KAFKA_SECURE      1 (default): TLS, SASL/SCRAM and ACLs (below); 0: one PLAINTEXT listener open
#                           to anyone (only to measure what security costs, bench/run)
#   SHIJI_PYTHON            the Python with kafka-python that writes the ACLs (default: the repo's .venv)
#
# Secure mode (issue 19). The client listener on PORT is SASL_SSL with SCRAM-SHA-512; the broker's
# certificate (127.0.0.1, localhost) is signed by a private CA made here with openssl (PEM key and
# trust stores, no Java keytool). The controller listener (PORT+1, loopback) is SSL with client
# certificates required: only the broker, presenting its own certificate, talks to it. PORT+2 is the
# same broker for clients that log in with a certificate instead (TLS both ways, principal = the
# certificate's CN, the same ACLs): librdkafka before 2.6.1 (Debian's kcat) fails SCRAM against Kafka 4
# (github.com/edenhill/kcat/issues/462), and another government system may prefer certificates. The standard
# KRaft authorizer denies whatever no ACL allows; the ACLs are in deploy/local/kafka_acls.py. Users
# (SCRAM credentials written into the metadata by `kafka-storage format --add-scram`):
#   admin          super user: the broker's own inter-broker connections, operators, the test harness
#   shiji-dossier  produces to the dossier topic (prefix shiji.dossier.), the only one who may
#   shiji-scoring  reads the dossier topic, produces its own topics (prefix shiji.scoring.)
#   shiji-other    another government system: reads what it is granted (scoring's totals) and no more
# What a client needs is in $SHIJI_KAFKA_DIR/client: ca.crt, passwords/<user>, certs/<user>.crt|key.
#
# Every real start formats a fresh, empty data dir (unless SHIJI_KAFKA_KEEP_DATA=1): topics and
# offsets do not survive a restart.
# `start` on a running broker is a no-op. Ready = port accepts connections and the server log
# says "Kafka Server started".
set -euo pipefail

_SHIJI_TAG=kafka
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/_common.sh
source "$SCRIPT_DIR/_common.sh"

# Kafka 4.1.1 was checked against kafka-python 3.0.12 (admin, idempotent producer, group
# commit/resume, seek in a rebalance listener); 3.9.1 is the fallback.
KAFKA_VERSION="${SHIJI_KAFKA_VERSION:-4.1.1}"
SCALA_BINARY=2.13
PORT="${SHIJI_KAFKA_PORT:-59092}"
RUN_DIR="${SHIJI_KAFKA_DIR:-/tmp/shiji-kafka}"
LIBS_DIR="${SHIJI_KAFKA_LIBS:-${HOME:-/root}/.cache/shiji/kafka-libs-${KAFKA_VERSION}}"
PARTITIONS="${SHIJI_KAFKA_PARTITIONS:-3}"
SECURE="${SHIJI_KAFKA_SECURE:-1}"
PYTHON="${SHIJI_PYTHON:-$SCRIPT_DIR/../../.venv/bin/python}"
USERS="admin shiji-dossier shiji-scoring shiji-other"
SCRAM=SCRAM-SHA-512
START_TIMEOUT=120
STOP_TIMEOUT=30

POM="$SCRIPT_DIR/kafka/pom.xml"
DATA_DIR="$RUN_DIR/data"
PROPS="$RUN_DIR/server.properties"
SERVER_LOG="$RUN_DIR/server.log"
CONSOLE_LOG="$RUN_DIR/console.log"
PID_FILE="$RUN_DIR/kafka.pid"
MARKER="$LIBS_DIR/.shiji-kafka-libs-complete"
TLS_DIR="$RUN_DIR/tls"
CLIENT_DIR="$RUN_DIR/client"
KAFKA_JAR="$LIBS_DIR/kafka_${SCALA_BINARY}-${KAFKA_VERSION}.jar"

[[ "$PORT" =~ ^[0-9]+$ ]] || die "SHIJI_KAFKA_PORT must be a number, got '$PORT'"
[[ "$PARTITIONS" =~ ^[1-9][0-9]*$ ]] || die "SHIJI_KAFKA_PARTITIONS must be a positive number, got '$PARTITIONS'"
[[ "$RUN_DIR" = /* ]] || die "SHIJI_KAFKA_DIR must be an absolute path, got '$RUN_DIR'"
[[ "$SECURE" =~ ^[01]$ ]] || die "SHIJI_KAFKA_SECURE must be 1 or 0, got '$SECURE'"
[[ "$KAFKA_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "SHIJI_KAFKA_VERSION must look like 4.1.1, got '$KAFKA_VERSION'"
CONTROLLER_PORT=$((PORT + 1))
CERT_PORT=$((PORT + 2))
KAFKA_MAJOR="${KAFKA_VERSION%%.*}"

# Kafka 4 logs with log4j2, Kafka 3 with reload4j (log4j 1.2 API); each reads its own config property.
if (( KAFKA_MAJOR >= 4 )); then
  LOGGING=log4j2
  LOG_OPTS=(-Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/log4j2.xml")
else
  LOGGING=reload4j
  LOG_OPTS=(-Dlog4j.configuration="file:$SCRIPT_DIR/kafka/log4j.properties")
fi

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

ensure_java() {
  if ! command -v "$JAVA" >/dev/null 2>&1; then
    log "java not found; installing openjdk-17-jre-headless"
    apt_install openjdk-17-jre-headless
    JAVA=java
  fi
  local ver major
  ver="$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
  major="${ver%%.*}"
  [[ "$major" == 1 ]] && major="$(echo "$ver" | cut -d. -f2)"
  [[ "$major" =~ ^[0-9]+$ ]] || die "cannot tell the Java version from '$JAVA -version'"
  (( major >= 17 )) || die "Kafka $KAFKA_VERSION needs Java 17 or newer, '$JAVA' is $ver (set JAVA_HOME or apt-get install openjdk-17-jre-headless)"
}

ensure_libs() {
  if [[ -f "$MARKER" && -f "$KAFKA_JAR" ]]; then
    return 0
  fi
  if ! command -v mvn >/dev/null 2>&1; then
    log "mvn not found; installing maven"
    apt_install maven
  fi
  local partial="${LIBS_DIR}.partial" mvn_log="${LIBS_DIR}.mvn.log" t0=$SECONDS
  log "downloading Kafka $KAFKA_VERSION jars ($LOGGING logging) with Maven into $LIBS_DIR"
  mkdir -p "$(dirname "$LIBS_DIR")"
  rm -rf "$partial"
  if ! mvn -B -f "$POM" \
        -Dkafka.version="$KAFKA_VERSION" -Dkafka.logging="$LOGGING" \
        org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$partial" >"$mvn_log" 2>&1; then
    show_log_tail "$mvn_log" 30
    rm -rf "$partial"
    die "Maven could not fetch the Kafka $KAFKA_VERSION jars (full log: $mvn_log)"
  fi
  [[ -f "$partial/kafka_${SCALA_BINARY}-${KAFKA_VERSION}.jar" ]] \
    || die "Maven finished but kafka_${SCALA_BINARY}-${KAFKA_VERSION}.jar is not in $partial (see $mvn_log)"
  rm -rf "$LIBS_DIR"
  mv "$partial" "$LIBS_DIR"
  {
    echo "kafka.version=$KAFKA_VERSION"
    echo "logging=$LOGGING"
    echo "jars=$(find "$LIBS_DIR" -maxdepth 1 -name '*.jar' | wc -l)"
    echo "completed=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } >"$MARKER"
  log "downloaded $(grep -c . <(find "$LIBS_DIR" -maxdepth 1 -name '*.jar')) jars ($(du -sh "$LIBS_DIR" | cut -f1)) in $((SECONDS - t0)) s"
}

# is_our_broker PID - the process is a live kafka.Kafka running our properties file.
is_our_broker() {
  local pid="$1" cmd
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *" kafka.Kafka $PROPS"* ]]
}

# broker_pid - pid of our running broker, from the pid file (or a scan of /proc for our exact
# properties file when the pid file is gone); empty when not running.
broker_pid() {
  local pid
  if [[ -f "$PID_FILE" ]]; then
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    if is_our_broker "$pid"; then echo "$pid"; return 0; fi
  fi
  local proc
  for proc in /proc/[0-9]*; do
    pid="${proc#/proc/}"
    if is_our_broker "$pid"; then
      echo "$pid" >"$PID_FILE" 2>/dev/null || true
      echo "$pid"
      return 0
    fi
  done
  return 0
}

rss_mib() { awk '/^VmRSS:/ {printf "%d", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

is_ready() {
  port_accepts "$PORT" && grep -q "Kafka Server started" "$SERVER_LOG" 2>/dev/null
}

show_logs() {
  show_log_tail "$SERVER_LOG" 40
  show_log_tail "$CONSOLE_LOG" 20
}

# wait_ready PID - wait for readiness; on death or timeout print logs and fail.
wait_ready() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  while (( SECONDS < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      show_logs
      die "broker process $pid exited during startup"
    fi
    if is_ready; then
      return 0
    fi
    sleep 0.5
  done
  show_logs
  warn "broker not ready after ${START_TIMEOUT} s; stopping it"
  stop_pid "$pid" || true
  die "Kafka did not become ready on 127.0.0.1:$PORT within ${START_TIMEOUT} s"
}

listener_properties() {
  if [[ "$SECURE" != 1 ]]; then
    cat <<PROPS
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
PROPS
    return 0
  fi
  cat <<PROPS
listeners=BROKER://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT,CERT://127.0.0.1:$CERT_PORT
advertised.listeners=BROKER://127.0.0.1:$PORT,CERT://127.0.0.1:$CERT_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=BROKER
listener.security.protocol.map=BROKER:SASL_SSL,CONTROLLER:SSL,CERT:SSL
listener.name.cert.ssl.client.auth=required
listener.name.cert.ssl.principal.mapping.rules=RULE:^CN=([a-z0-9-]+)\$/\$1/,DEFAULT
sasl.enabled.mechanisms=$SCRAM
sasl.mechanism.inter.broker.protocol=$SCRAM
listener.name.broker.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(password_for "$CLIENT_DIR/passwords" admin)";
listener.name.controller.ssl.client.auth=required
ssl.keystore.type=PEM
ssl.keystore.location=$TLS_DIR/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.crt
ssl.enabled.protocols=TLSv1.3,TLSv1.2
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:CN=shiji-broker
PROPS
}

write_properties() {
  if [[ "$SECURE" == 1 ]]; then
    make_tls "$TLS_DIR" shiji-broker
    cat "$TLS_DIR/server.key" "$TLS_DIR/server.crt" >"$TLS_DIR/broker.pem"
    chmod 600 "$TLS_DIR/broker.pem"
    mkdir -p "$CLIENT_DIR"
    cp "$TLS_DIR/ca.crt" "$CLIENT_DIR/ca.crt"
    local user
    for user in $USERS; do make_client_cert "$TLS_DIR" "$CLIENT_DIR/certs" "$user"; done
  fi
  cat >"$PROPS" <<PROPS
# Written by deploy/local/kafka.sh for Kafka $KAFKA_VERSION - regenerated on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
$(listener_properties)
log.dirs=$DATA_DIR

# Single node: every internal topic has one replica.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0

# Topics: the app creates its own.
num.partitions=$PARTITIONS
auto.create.topics.enable=false

# Sized for a 2-core machine.
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
log.cleaner.dedupe.buffer.size=16777216
PROPS
}

# format_storage - a fresh, empty data dir with a new cluster id.
format_storage() {
  # Fresh state: an old meta.properties with another cluster id would block startup.
  rm -rf "$DATA_DIR" "$RUN_DIR/storage-tool"
  mkdir -p "$DATA_DIR"
  local cp="$LIBS_DIR/*" cluster_id out
  # StorageTool logs into its own folder so server.log holds only the broker's lines.
  local tool_opts=(-Xmx256m "${LOG_OPTS[@]}" -Dkafka.logs.dir="$RUN_DIR/storage-tool" -cp "$cp")
  if ! out="$("$JAVA" "${tool_opts[@]}" kafka.tools.StorageTool random-uuid 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "StorageTool random-uuid failed"
  fi
  cluster_id="$(printf '%s\n' "$out" | grep -E '^[A-Za-z0-9_-]{22}$' | tail -n1 || true)"
  [[ -n "$cluster_id" ]] || { printf '%s\n' "$out" >&2; die "StorageTool random-uuid printed no cluster id"; }
  echo "$cluster_id" >"$RUN_DIR/cluster.id"

  local scram=() user
  if [[ "$SECURE" == 1 ]]; then
    for user in $USERS; do
      scram+=(--add-scram "$SCRAM=[name=$user,password=$(password_for "$CLIENT_DIR/passwords" "$user")]")
    done
  fi
  if ! out="$("$JAVA" "${tool_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS" "${scram[@]}" 2>&1)"; then
    printf '%s\n' "$out" >&2
    show_logs
    die "StorageTool format failed"
  fi
  log "formatted $DATA_DIR (cluster id $cluster_id)"
}

start_broker() {
  mkdir -p "$RUN_DIR"
  for f in "$SERVER_LOG" "$CONSOLE_LOG"; do
    if [[ -f "$f" ]]; then mv -f "$f" "$f.prev"; fi
  done
  : >"$SERVER_LOG"
  : >"$CONSOLE_LOG"
  write_properties
  if [[ "${SHIJI_KAFKA_KEEP_DATA:-0}" == 1 && -f "$DATA_DIR/meta.properties" ]]; then
    log "SHIJI_KAFKA_KEEP_DATA=1: reusing $DATA_DIR (cluster id $(cat "$RUN_DIR/cluster.id" 2>/dev/null || echo '?'))"
  else
    format_storage
  fi

  local cp="$LIBS_DIR/*"

  local jvm_opts=(-Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20
                  -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent
                  -Djava.awt.headless=true "${LOG_OPTS[@]}" -Dkafka.logs.dir="$RUN_DIR")
  if [[ -n "${SHIJI_KAFKA_JVM_OPTS:-}" ]]; then
    # shellcheck disable=SC2206  # deliberate word splitting of user-supplied options
    jvm_opts+=(${SHIJI_KAFKA_JVM_OPTS})
  fi

  log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$PORT (controller :$CONTROLLER_PORT, run dir $RUN_DIR)"
  # setsid: the broker gets its own session, so it outlives this shell and its job control.
  nohup setsid "$JAVA" "${jvm_opts[@]}" -cp "$cp" kafka.Kafka "$PROPS" \
    >>"$CONSOLE_LOG" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PID_FILE"

  local t0=$SECONDS
  wait_ready "$pid"
  write_acls
  log "ready in $((SECONDS - t0)) s: pid $pid, RSS $(rss_mib "$pid") MiB, bootstrap 127.0.0.1:$PORT (secure=$SECURE)"
}

# write_acls - the ACLs of deploy/local/kafka_acls.py, as admin (idempotent: kept in the metadata log).
write_acls() {
  [[ "$SECURE" == 1 ]] || return 0
  [[ -x "$PYTHON" ]] || die "no Python with kafka-python at $PYTHON to write the ACLs (run scripts/bootstrap-python or set SHIJI_PYTHON)"
  local out
  if ! out="$("$PYTHON" "$SCRIPT_DIR/kafka_acls.py" "127.0.0.1:$PORT" "$CLIENT_DIR" 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "writing the ACLs failed"
  fi
  log "$out"
}

stop_pid() {
  local pid="$1" deadline=$((SECONDS + STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if (( SECONDS >= deadline )); then
      warn "broker $pid still alive after ${STOP_TIMEOUT} s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.5
  done
  rm -f "$PID_FILE"
}

cmd_start() {
  local pid
  pid="$(broker_pid)"
  if [[ -n "$pid" ]]; then
    if is_ready; then
      log "already running (pid $pid, bootstrap 127.0.0.1:$PORT); nothing to start"
    else
      log "already running (pid $pid) but not ready yet; waiting"
      wait_ready "$pid"
      log "ready: bootstrap 127.0.0.1:$PORT"
    fi
    echo "$pid" >"$PID_FILE"
    return 0
  fi
  rm -f "$PID_FILE"

  local p
  for p in "$PORT" "$CONTROLLER_PORT" $([[ "$SECURE" == 1 ]] && echo "$CERT_PORT"); do
    if port_in_use "$p"; then
      who_listens "$p" >&2
      die "port $p is already in use by another process; set SHIJI_KAFKA_PORT to a free port (the controller uses port+1)"
    fi
  done

  ensure_java
  ensure_libs
  start_broker
}

cmd_stop() {
  local pid
  pid="$(broker_pid)"
  if [[ -z "$pid" ]]; then
    rm -f "$PID_FILE"
    log "not running (run dir $RUN_DIR)"
    return 0
  fi
  log "stopping broker (pid $pid, SIGTERM, up to ${STOP_TIMEOUT} s)"
  local t0=$SECONDS
  stop_pid "$pid"
  if kill -0 "$pid" 2>/dev/null; then
    show_logs
    die "broker $pid did not exit"
  fi
  log "stopped in $((SECONDS - t0)) s"
}

cmd_status() {
  local pid
  pid="$(broker_pid)"
  if [[ -z "$pid" ]]; then
    log "not running (run dir $RUN_DIR)"
    return 3
  fi
  log "running: pid $pid, Kafka $KAFKA_VERSION, RSS $(rss_mib "$pid") MiB, run dir $RUN_DIR"
  if is_ready; then
    log "ready: bootstrap 127.0.0.1:$PORT"
  else
    warn "process is up but not ready (port $PORT closed or no 'Kafka Server started' yet)"
  fi
  return 0
}

case "${1:-}" in
  start)  cmd_start ;;
  stop)   cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
