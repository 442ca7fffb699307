#!/usr/bin/env bash
# The gateway's Ed25519 key pair, which proves its calls to dossier and scoring (docs/operations.md,
# "Service identity"), made with openssl once and kept; prints the three settings as export lines:
#   eval "$(deploy/local/service-keys.sh)"
#   SHIJI_SERVICE_KEYS_DIR   where the pair lives (default ~/.local/share/shiji/service-identity)
# `shiji service-keys --dir DIR` does the same from Python.
set -euo pipefail

_SHIJI_TAG=service-keys
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/_common.sh
source "$SCRIPT_DIR/_common.sh"

DIR="${SHIJI_SERVICE_KEYS_DIR:-${HOME:-/root}/.local/share/shiji/service-identity}"
PRIVATE="$DIR/gateway-service.pem"
PUBLIC="$DIR/gateway-service.pub.pem"

command -v openssl >/dev/null 2>&1 || die "openssl is missing"
mkdir -p "$DIR"
if [[ ! -f "$PRIVATE" ]]; then
  (umask 077 && openssl genpkey -algorithm ed25519 -out "$PRIVATE") || die "could not make $PRIVATE"
  log "made the gateway's service key $PRIVATE" >&2
fi
[[ -f "$PUBLIC" ]] || openssl pkey -in "$PRIVATE" -pubout -out "$PUBLIC" || die "could not write $PUBLIC"

echo "export SHIJI_GATEWAY_SERVICE_KEY_FILE=$PRIVATE"
echo "export SHIJI_DOSSIER_GATEWAY_KEYS_FILE=$PUBLIC"
echo "export SHIJI_SCORING_GATEWAY_KEYS_FILE=$PUBLIC"
