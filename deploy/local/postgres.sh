#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster for local development and tests (no Docker, no systemd).
#
#   deploy/local/postgres.sh start|stop|status
#   deploy/local/postgres.sh advance-xids XID   (see cmd_advance_xids)
#
# Environment:
#   SHIJI_PG_DIR        base directory (default /tmp/shiji-pg); data in $SHIJI_PG_DIR/data,
#                       server log in $SHIJI_PG_DIR/postgres.log, unix socket in the data dir
#   SHIJI_PG_PORT       TCP port on 127.0.0.1 (default 55432)
#   SHIJI_PG_FSYNC      set to "off" to run with fsync=off (test speed; default: fsync on)
#   SHIJI_PG_FRESH      set to 1 to wipe the data directory before start
#   SHIJI_PG_DATABASES  databases to create (default "shiji_dossier shiji_scoring")
#   SHIJI_PG_STOP_MODE  pg_ctl shutdown mode of `stop`: fast (default), smart or immediate (a crash:
#                       no checkpoint, WAL recovery on the next start; the fault tests use it)
#   SHIJI_PG_SECURE     1 (default): TLS only, passwords, one role per service (below); 0: the old
#                       plaintext, trust-auth cluster (only to measure what security costs, bench/run)
#
# The cluster belongs to the `postgres` OS user (initdb refuses root), UTF8 and locale C.UTF-8.
#
# Secure mode (issue 19), what a client finds in $SHIJI_PG_DIR/client (readable by root only):
#   ca.crt               the private CA (made here with openssl) that signed the server's certificate
#                        (127.0.0.1, localhost): clients connect with sslmode=verify-full and this root
#   passwords/<role>     each login role's password (random, made once)
# pg_hba.conf has hostssl lines only (SCRAM-SHA-256): a plaintext TCP connection is refused. The
# superuser `postgres` is for administration (the test harness, this script over the unix socket,
# which only root and the postgres OS user can reach); the services never log in as it:
#   shiji_dossier_owner, shiji_scoring_owner  own their databases and run the migrations
#   shiji_dossier, shiji_scoring              the services at run time: no DDL, and only the table
#                                             privileges `shiji migrate` grants (shared/db_grants.py)
#   shiji_store_reader                        reads the dossier's events, for `shiji rebuild scoring --from-store`
set -euo pipefail

_SHIJI_TAG=postgres
# shellcheck source=deploy/local/_common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/_common.sh"

PG_MAJOR=15
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
PG_OS_USER=postgres
BASE_DIR="${SHIJI_PG_DIR:-/tmp/shiji-pg}"
DATA_DIR="${BASE_DIR}/data"
LOG_FILE="${BASE_DIR}/postgres.log"
PORT="${SHIJI_PG_PORT:-55432}"
DATABASES="${SHIJI_PG_DATABASES:-shiji_dossier shiji_scoring}"
STOP_MODE="${SHIJI_PG_STOP_MODE:-fast}"
SECURE="${SHIJI_PG_SECURE:-1}"
TLS_DIR="${BASE_DIR}/tls"
CLIENT_DIR="${BASE_DIR}/client"
ROLES="shiji_dossier_owner shiji_dossier shiji_scoring_owner shiji_scoring shiji_store_reader"

[[ "$PORT" =~ ^[0-9]+$ ]] || die "SHIJI_PG_PORT must be a number, got '$PORT'"
[[ "$BASE_DIR" = /* ]] || die "SHIJI_PG_DIR must be an absolute path, got '$BASE_DIR'"
[[ "$STOP_MODE" =~ ^(smart|fast|immediate)$ ]] || die "SHIJI_PG_STOP_MODE must be smart, fast or immediate, got '$STOP_MODE'"
[[ "$SECURE" =~ ^[01]$ ]] || die "SHIJI_PG_SECURE must be 1 or 0, got '$SECURE'"

# The postgres user cannot enter root's home; run everything from a neutral directory.
cd /

# as_pg CMD... - run a command as the postgres OS user.
as_pg() {
  if [[ "$(id -un)" == "$PG_OS_USER" ]]; then
    "$@"
  elif [[ $(id -u) -eq 0 ]]; then
    runuser -u "$PG_OS_USER" -- "$@"
  else
    die "run this script as root (or as the '$PG_OS_USER' user)"
  fi
}

ensure_installed() {
  if [[ ! -x "$PG_BIN/initdb" ]]; then
    log "PostgreSQL ${PG_MAJOR} not found at $PG_BIN; installing the Debian package"
    apt_install postgresql
    [[ -x "$PG_BIN/initdb" ]] || die "installed 'postgresql' but $PG_BIN/initdb is still missing (not PostgreSQL ${PG_MAJOR}?)"
  fi
  id "$PG_OS_USER" >/dev/null 2>&1 || die "OS user '$PG_OS_USER' does not exist (it comes with the postgresql package)"
}

# is_running - true when the cluster in DATA_DIR has a live postmaster.
is_running() {
  [[ -x "$PG_BIN/pg_ctl" && -f "$DATA_DIR/PG_VERSION" ]] || return 1
  as_pg "$PG_BIN/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1
}

# running_port - the port recorded by the running postmaster (line 4 of postmaster.pid).
running_port() { sed -n 4p "$DATA_DIR/postmaster.pid" 2>/dev/null || true; }
running_pid()  { sed -n 1p "$DATA_DIR/postmaster.pid" 2>/dev/null || true; }

# Over the unix socket (in the data dir, 0700): the one way in without TLS, for root and postgres only.
psql_admin() {
  "$PG_BIN/psql" -h "$DATA_DIR" -p "$PORT" -U postgres -d postgres -X -q -v ON_ERROR_STOP=1 "$@"
}

print_dsns() {
  local db
  for db in $DATABASES; do
    if [[ "$SECURE" == 1 ]]; then
      log "DSN: postgresql://<role>:<$CLIENT_DIR/passwords/role>@127.0.0.1:${PORT}/${db}?sslmode=verify-full&sslrootcert=$CLIENT_DIR/ca.crt"
    else
      log "DSN: postgresql://postgres@127.0.0.1:${PORT}/${db}"
    fi
  done
}

# write_hba - who may connect how; regenerated on every start from SECURE.
write_hba() {
  if [[ "$SECURE" == 1 ]]; then
    as_pg tee "$DATA_DIR/pg_hba.conf" >/dev/null <<HBA
# Written by deploy/local/postgres.sh (secure mode). TCP only with TLS and a SCRAM password;
# no "host" line, so a plaintext connection finds no entry and is refused.
local    all  postgres                 trust
hostssl  all  all       127.0.0.1/32   scram-sha-256
hostssl  all  all       ::1/128        scram-sha-256
HBA
  else
    as_pg tee "$DATA_DIR/pg_hba.conf" >/dev/null <<HBA
# Written by deploy/local/postgres.sh (SHIJI_PG_SECURE=0): anyone on localhost, no password, no TLS.
local  all  all                 trust
host   all  all  127.0.0.1/32   trust
host   all  all  ::1/128        trust
HBA
  fi
}

# owner_of DB - the role that owns database DB (the service's owner role for the two service databases).
owner_of() {
  case "$1" in
    shiji_dossier|shiji_scoring) [[ "$SECURE" == 1 ]] && { echo "${1}_owner"; return; } ;;
  esac
  echo postgres
}

# ensure_roles - the login roles and their passwords (secure mode); the superuser gets one for TCP.
ensure_roles() {
  [[ "$SECURE" == 1 ]] || return 0
  local role password
  for role in postgres $ROLES; do
    password="$(password_for "$CLIENT_DIR/passwords" "$role")"
    if [[ "$role" != postgres ]]; then
      psql_admin -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
                       CREATE ROLE $role LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE; END IF; END \$\$" \
        || die "cannot create role $role"
    fi
    psql_admin -c "ALTER ROLE $role PASSWORD '$password'" || die "cannot set the password of $role"
  done
  cp "$TLS_DIR/ca.crt" "$CLIENT_DIR/ca.crt"
}

init_cluster() {
  mkdir -p "$BASE_DIR"
  chown "$PG_OS_USER:$PG_OS_USER" "$BASE_DIR" 2>/dev/null || true
  chmod 700 "$BASE_DIR" 2>/dev/null || true
  as_pg test -w "$BASE_DIR" \
    || die "$BASE_DIR is not writable by the '$PG_OS_USER' user (a parent directory may be closed to it, e.g. /root); choose another SHIJI_PG_DIR"

  if [[ -f "$DATA_DIR/PG_VERSION" ]]; then
    local have
    have="$(cat "$DATA_DIR/PG_VERSION")"
    [[ "$have" == "$PG_MAJOR" ]] \
      || die "$DATA_DIR holds a PostgreSQL $have cluster, expected $PG_MAJOR; rerun with SHIJI_PG_FRESH=1 to wipe it"
    return 0
  fi
  if [[ -d "$DATA_DIR" ]] && [[ -n "$(ls -A "$DATA_DIR" 2>/dev/null)" ]]; then
    die "$DATA_DIR exists, is not empty and is no PostgreSQL cluster; rerun with SHIJI_PG_FRESH=1 to wipe it"
  fi

  log "initdb: new cluster in $DATA_DIR (owner $PG_OS_USER, trust auth, UTF8, C.UTF-8)"
  local out
  if ! out="$(as_pg "$PG_BIN/initdb" -D "$DATA_DIR" -U postgres --auth=trust \
                -E UTF8 --locale=C.UTF-8 --no-instructions 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "initdb failed"
  fi
}

create_databases() {
  local db exists
  for db in $DATABASES; do
    [[ "$db" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "bad database name '$db'"
    exists="$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" \
      || die "cannot query the server on 127.0.0.1:$PORT"
    if [[ "$exists" == "1" ]]; then
      log "database $db exists"
    else
      psql_admin -c "CREATE DATABASE \"$db\" OWNER $(owner_of "$db")" || die "CREATE DATABASE $db failed"
      log "database $db created (owner $(owner_of "$db"))"
    fi
  done
}

cmd_start() {
  ensure_installed

  if [[ "${SHIJI_PG_FRESH:-0}" == "1" ]]; then
    if is_running; then
      log "SHIJI_PG_FRESH=1: stopping the running cluster first"
      cmd_stop
    fi
    log "SHIJI_PG_FRESH=1: wiping $DATA_DIR"
    rm -rf "$DATA_DIR" "$LOG_FILE"
  fi

  if is_running; then
    local rport
    rport="$(running_port)"
    if [[ "$rport" != "$PORT" ]]; then
      die "the cluster in $DATA_DIR already runs on port $rport, not $PORT; stop it first"
    fi
    log "already running (pid $(running_pid), port $PORT); nothing to start"
    ensure_roles
    create_databases
    print_dsns
    return 0
  fi

  if port_in_use "$PORT"; then
    who_listens "$PORT" >&2
    die "port $PORT is already in use by another process; set SHIJI_PG_PORT to a free port"
  fi

  init_cluster

  local fsync=on
  [[ "${SHIJI_PG_FSYNC:-on}" == "off" ]] && fsync=off
  local opts="-h 127.0.0.1 -p $PORT -k $DATA_DIR -c max_connections=200 -c fsync=$fsync"
  write_hba
  if [[ "$SECURE" == 1 ]]; then
    make_tls "$TLS_DIR" 127.0.0.1 "$PG_OS_USER:$PG_OS_USER"
    opts+=" -c ssl=on -c ssl_cert_file=$TLS_DIR/server.crt -c ssl_key_file=$TLS_DIR/server.key"
    opts+=" -c ssl_min_protocol_version=TLSv1.2 -c password_encryption=scram-sha-256"
  fi

  log "starting on 127.0.0.1:$PORT (fsync=$fsync, max_connections=200, secure=$SECURE, log $LOG_FILE)"
  as_pg touch "$LOG_FILE"
  if ! as_pg "$PG_BIN/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 -o "$opts" start >/dev/null; then
    show_log_tail "$LOG_FILE"
    die "pg_ctl start failed"
  fi
  if ! "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 10; then
    show_log_tail "$LOG_FILE"
    die "server started but does not accept connections on 127.0.0.1:$PORT"
  fi
  log "running (pid $(running_pid))"
  ensure_roles
  create_databases
  print_dsns
}

cmd_stop() {
  if ! is_running; then
    log "not running (data dir $DATA_DIR)"
    return 0
  fi
  log "stopping (pid $(running_pid), mode $STOP_MODE)"
  if ! as_pg "$PG_BIN/pg_ctl" -D "$DATA_DIR" -m "$STOP_MODE" -w -t 60 stop >/dev/null; then
    show_log_tail "$LOG_FILE"
    die "pg_ctl stop failed"
  fi
  log "stopped"
}

cmd_status() {
  if is_running; then
    local rport
    rport="$(running_port)"
    log "running: pid $(running_pid), 127.0.0.1:$rport, data $DATA_DIR, log $LOG_FILE"
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$rport" -t 5; then
      log "accepting connections"
    else
      warn "postmaster is up but not accepting connections"
    fi
    PORT="$rport" print_dsns
    return 0
  fi
  log "not running (data dir $DATA_DIR)"
  return 3
}

# cmd_advance_xids XID - make the cluster's next transaction id (64-bit, with epoch) greater than XID.
# For an event store restored from a pg_dump into this cluster: its rows keep the transaction ids of
# the cluster that wrote them, and the relay needs this cluster's to be ahead (RELIABILITY.md). The
# cluster is stopped, pg_resetwal moves the epoch past XID's and the 32-bit counter to the next
# pg_xact segment boundary (a short step forward: visibility of existing rows is unaffected), the
# segment is created, and the cluster started again.
cmd_advance_xids() {
  local minimum="${1:-}" next epoch xid32 target segment
  [[ "$minimum" =~ ^[0-9]+$ ]] || die "usage: $0 advance-xids XID (a 64-bit transaction id, e.g. max(tx_id) of the events)"
  is_running || die "the cluster in $DATA_DIR is not running"
  next="$(psql_admin -tA -c "SELECT pg_snapshot_xmax(pg_current_snapshot())")" || die "cannot query the server"
  if (( next > minimum )); then
    log "next transaction id $next is already above $minimum; nothing to do"
    return 0
  fi
  epoch=$(( (minimum >> 32) + 1 ))
  xid32=$(( next & 0xFFFFFFFF ))
  target=$(( (xid32 / 1048576 + 1) * 1048576 ))  # a pg_xact segment holds 1048576 transactions
  (( target < 0x7FFFFFFF )) || die "the 32-bit transaction counter is too far on ($xid32) for this simple step"
  segment="$(printf '%04X' $(( target / 1048576 )))"
  log "advancing transaction ids: next $next -> epoch $epoch, xid $target (pg_xact segment $segment)"
  cmd_stop
  as_pg "$PG_BIN/pg_resetwal" -e "$epoch" -x "$target" -D "$DATA_DIR" >/dev/null || die "pg_resetwal failed"
  if [[ ! -f "$DATA_DIR/pg_xact/$segment" ]]; then
    as_pg dd if=/dev/zero of="$DATA_DIR/pg_xact/$segment" bs=262144 count=1 status=none || die "cannot create pg_xact/$segment"
  fi
  cmd_start
  log "next transaction id now $(psql_admin -tA -c "SELECT pg_snapshot_xmax(pg_current_snapshot())")"
}

case "${1:-}" in
  start)  cmd_start ;;
  stop)   cmd_stop ;;
  status) cmd_status ;;
  advance-xids) cmd_advance_xids "${2:-}" ;;
  *) echo "usage: $0 start|stop|status|advance-xids XID" >&2; exit 2 ;;
esac
