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

print_env() {
  echo "export SHIJI_DOSSIER_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:${PG_PORT}/shiji_dossier"
  echo "export SHIJI_SCORING_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:${PG_PORT}/shiji_scoring"
  echo "export SHIJI_KAFKA_BOOTSTRAP=127.0.0.1:${KAFKA_PORT}"
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
