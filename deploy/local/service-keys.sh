#!/usr/bin/env bash
# What the gateway's calls to dossier and scoring need, made with openssl once and kept; prints the settings
# naming them as export lines:
#   eval "$(deploy/local/service-keys.sh)"
#   SHIJI_SERVICE_KEYS_DIR   where they live (default ~/.local/share/shiji/service-identity)
# - the gateway's Ed25519 key pair, which proves its calls (docs/operations.md, "Service identity");
# - a private CA (service-ca.crt; its key service-ca.key stays here) and, per service, the certificate and
#   key it serves HTTPS with (dossier.crt/.key, scoring.crt/.key: ECDSA P-256, named 127.0.0.1, localhost
#   and the compose and Kubernetes service names), so the calls are encrypted and the gateway checks whom it
#   reaches (shared/service_tls.py, docs/operations.md "Certificates").
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

# service_certificate NAME - NAME.crt and NAME.key, signed by the service CA (made first if missing).
service_certificate() {
  local name="$1" k8s="shiji-$1"
  if [[ ! -s "$DIR/service-ca.crt" || ! -s "$DIR/service-ca.key" ]]; then
    (umask 077 && openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 \
      -days 3650 -subj "/CN=shiji-service-ca" -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$DIR/service-ca.key" -out "$DIR/service-ca.crt" \
      2>/dev/null) || die "openssl: cannot make the service CA in $DIR"
    chmod 644 "$DIR/service-ca.crt"
    log "made the service CA $DIR/service-ca.crt" >&2
  fi
  [[ -s "$DIR/$name.crt" && -s "$DIR/$name.key" ]] && return 0
  local ext="$DIR/$name.ext"
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:$name,DNS:$k8s,DNS:$k8s.shiji.svc,DNS:$k8s.shiji.svc.cluster.local" \
    "extendedKeyUsage=serverAuth" "basicConstraints=critical,CA:FALSE" "authorityKeyIdentifier=keyid" >"$ext"
  (umask 077 && openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj "/CN=$k8s" \
    -keyout "$DIR/$name.key" -out "$DIR/$name.csr" 2>/dev/null) || die "openssl: cannot make the key of $name"
  openssl x509 -req -in "$DIR/$name.csr" -CA "$DIR/service-ca.crt" -CAkey "$DIR/service-ca.key" -CAcreateserial \
    -days 825 -sha256 -extfile "$ext" -out "$DIR/$name.crt" 2>/dev/null \
    || die "openssl: cannot sign the certificate of $name"
  rm -f "$DIR/$name.csr" "$ext"
  log "made $name's certificate $DIR/$name.crt" >&2
}
service_certificate dossier
service_certificate scoring

echo "export SHIJI_GATEWAY_SERVICE_KEY_FILE=$PRIVATE"
echo "export SHIJI_DOSSIER_GATEWAY_KEYS_FILE=$PUBLIC"
echo "export SHIJI_SCORING_GATEWAY_KEYS_FILE=$PUBLIC"
echo "export SHIJI_GATEWAY_DOSSIER_URL=https://127.0.0.1:8001 SHIJI_GATEWAY_SCORING_URL=https://127.0.0.1:8002"
echo "export SHIJI_GATEWAY_SERVICE_CA_FILE=$DIR/service-ca.crt"
for name in dossier scoring; do
  echo "export SHIJI_${name^^}_TLS_CERT_FILE=$DIR/$name.crt SHIJI_${name^^}_TLS_KEY_FILE=$DIR/$name.key"
done
