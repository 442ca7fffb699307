#!/usr/bin/env bash
# Local backing services for Shiji: PostgreSQL 15 (postgres.sh) and Kafka (kafka.sh).
#
#   deploy/local/services.sh start|stop|status|env
#
# start  - start PostgreSQL, then Kafka, then print the app's environment as export lines
# stop   - stop Kafka, then PostgreSQL (each is a no-op when not running)
# status - status of both (exit 0 only when both run)
# env    - print the export lines only
#
# Progress messages go to stderr and the export lines to stdout, so this works:
#   eval "$(deploy/local/services.sh start)"
# All SHIJI_PG_* and SHIJI_KAFKA_* variables of the two scripts are passed through.
set -euo pipefail

_SHIJI_TAG=services
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/_common.sh
source "$SCRIPT_DIR/_common.sh"

PG_PORT="${SHIJI_PG_PORT:-55432}"
KAFKA_PORT="${SHIJI_KAFKA_PORT:-59092}"
PG_CLIENT="${SHIJI_PG_DIR:-/tmp/shiji-pg}/client"
KAFKA_CLIENT="${SHIJI_KAFKA_DIR:-/tmp/shiji-kafka}/client"

# pg_url ROLE DATABASE - the service URL of ROLE (secure: its password, TLS verified against the CA).
pg_url() {
  if [[ "${SHIJI_PG_SECURE:-1}" == 1 ]]; then
    local root="$PG_CLIENT/ca.crt"  # quoted: asyncpg's DSN parser takes the database from after the last "/"
    printf 'postgresql+asyncpg://%s:%s@127.0.0.1:%s/%s?sslmode=verify-full&sslrootcert=%s' \
      "$1" "$(cat "$PG_CLIENT/passwords/$1")" "$PG_PORT" "$2" "${root//\//%2F}"
  else
    printf 'postgresql+asyncpg://postgres@127.0.0.1:%s/%s' "$PG_PORT" "$2"
  fi
}

# The app's environment, and where the tests find the servers and their client material. Each service
# logs in to Kafka as its own principal: give SHIJI_KAFKA_USERNAME/PASSWORD per process (the lines
# below are the dossier's; scoring's password is in $KAFKA_CLIENT/passwords/shiji-scoring).
print_env() {
  echo "export SHIJI_DOSSIER_DATABASE_URL='$(pg_url shiji_dossier shiji_dossier)'"
  echo "export SHIJI_SCORING_DATABASE_URL='$(pg_url shiji_scoring shiji_scoring)'"
  echo "export SHIJI_TEST_PG=postgresql://postgres@127.0.0.1:${PG_PORT}"
  echo "export SHIJI_KAFKA_BOOTSTRAP=127.0.0.1:${KAFKA_PORT}"
  echo "export SHIJI_TEST_KAFKA=127.0.0.1:${KAFKA_PORT}"
  if [[ "${SHIJI_PG_SECURE:-1}" == 1 ]]; then
    echo "export SHIJI_DOSSIER_MIGRATION_DATABASE_URL='$(pg_url shiji_dossier_owner shiji_dossier)'"
    echo "export SHIJI_SCORING_MIGRATION_DATABASE_URL='$(pg_url shiji_scoring_owner shiji_scoring)'"
    echo "export SHIJI_DOSSIER_STORE_READER_ROLE=shiji_store_reader"
    echo "export SHIJI_TEST_PG_CLIENT_DIR=$PG_CLIENT"
  else
    echo "unset SHIJI_DOSSIER_MIGRATION_DATABASE_URL SHIJI_SCORING_MIGRATION_DATABASE_URL SHIJI_TEST_PG_CLIENT_DIR"
  fi
  if [[ "${SHIJI_KAFKA_SECURE:-1}" == 1 ]]; then
    echo "export SHIJI_KAFKA_SECURITY_PROTOCOL=SASL_SSL SHIJI_KAFKA_CA_FILE=$KAFKA_CLIENT/ca.crt"
    echo "export SHIJI_KAFKA_USERNAME=shiji-dossier SHIJI_KAFKA_PASSWORD=$(cat "$KAFKA_CLIENT/passwords/shiji-dossier")"
    echo "export SHIJI_TEST_KAFKA_CLIENT_DIR=$KAFKA_CLIENT"
  else
    echo "export SHIJI_KAFKA_SECURITY_PROTOCOL=PLAINTEXT"
    echo "unset SHIJI_KAFKA_USERNAME SHIJI_KAFKA_PASSWORD SHIJI_KAFKA_CA_FILE SHIJI_TEST_KAFKA_CLIENT_DIR"
  fi
  "$SCRIPT_DIR/service-keys.sh"  # the gateway's proof of its calls to dossier and scoring
}

cmd_start() {
  "$SCRIPT_DIR/postgres.sh" start >&2 || die "PostgreSQL did not start (see above)"
  "$SCRIPT_DIR/kafka.sh" start >&2 || die "Kafka did not start (see above); PostgreSQL is left running"
  log "both services are up; environment for the app:" >&2
  print_env
}

cmd_stop() {
  local rc=0
  "$SCRIPT_DIR/kafka.sh" stop >&2 || { warn "stopping Kafka failed"; rc=1; }
  "$SCRIPT_DIR/postgres.sh" stop >&2 || { warn "stopping PostgreSQL failed"; rc=1; }
  return "$rc"
}

cmd_status() {
  local rc=0
  "$SCRIPT_DIR/postgres.sh" status >&2 || rc=3
  "$SCRIPT_DIR/kafka.sh" status >&2 || rc=3
  if [[ $rc -eq 0 ]]; then print_env; fi
  return "$rc"
}

case "${1:-}" in
  start)  cmd_start ;;
  stop)   cmd_stop ;;
  status) cmd_status ;;
  env)    print_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
