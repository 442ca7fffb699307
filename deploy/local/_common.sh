# shellcheck shell=bash
# Helpers shared by the deploy/local/*.sh scripts. Sourced, not executed.

_SHIJI_TAG="${_SHIJI_TAG:-shiji}"

log()  { printf '[%s] %s\n' "$_SHIJI_TAG" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "$_SHIJI_TAG" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "$_SHIJI_TAG" "$*" >&2; exit 1; }

# show_log_tail FILE [LINES] - print the end of a server log to stderr.
show_log_tail() {
  local file="$1" lines="${2:-40}"
  if [[ -s "$file" ]]; then
    printf '[%s] ---- last %s lines of %s ----\n' "$_SHIJI_TAG" "$lines" "$file" >&2
    tail -n "$lines" "$file" >&2 || true
    printf '[%s] ---- end of %s ----\n' "$_SHIJI_TAG" "$file" >&2
  else
    printf '[%s] (log %s is missing or empty)\n' "$_SHIJI_TAG" "$file" >&2
  fi
}

# port_accepts PORT - true when something accepts TCP connections on 127.0.0.1:PORT.
port_accepts() {
  timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# port_in_use PORT - true when any process listens on PORT (any address).
port_in_use() {
  local port="$1"
  if command -v ss >/dev/null 2>&1; then
    ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
  fi
  port_accepts "$port"
}

# who_listens PORT - best-effort description of the process holding PORT.
who_listens() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null || true
  fi
}

# APT_UPDATED guards against running apt-get update twice in one script run.
APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install these packages by hand: $*"
  [[ $(id -u) -eq 0 ]] || die "installing $* needs root (apt-get); run as root or install them first"
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || die "apt-get update failed"
    APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
    || die "apt-get install $* failed"
}

# make_tls DIR SUBJECT_CN [OWNER] - a private CA (DIR/ca.crt, DIR/ca.key) and a certificate signed by it
# (DIR/server.crt, DIR/server.key: PKCS#8, unencrypted) for 127.0.0.1 and localhost, usable by a server
# and as a client certificate (Kafka's broker presents it to its own controller). Made once: an existing
# set is kept, so clients holding the CA keep trusting a restarted server. OWNER gets the key (0600).
make_tls() {
  local dir="$1" cn="$2" owner="${3:-}"
  command -v openssl >/dev/null 2>&1 || apt_install openssl
  mkdir -p "$dir"
  if [[ -s "$dir/ca.crt" && -s "$dir/server.crt" && -s "$dir/server.key" ]]; then
    return 0
  fi
  local ext="$dir/server.ext"
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "extendedKeyUsage=serverAuth,clientAuth" \
    "basicConstraints=CA:FALSE" "keyUsage=digitalSignature,keyEncipherment" >"$ext"
  openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 3650 -subj "/CN=shiji-local-ca-$cn" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null || die "openssl: cannot make the CA in $dir"
  openssl req -new -nodes -newkey rsa:2048 -subj "/CN=$cn" -keyout "$dir/server.key.tmp" -out "$dir/server.csr" \
    2>/dev/null || die "openssl: cannot make the server key in $dir"
  openssl pkcs8 -topk8 -nocrypt -in "$dir/server.key.tmp" -out "$dir/server.key" || die "openssl pkcs8 failed"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 825 \
    -sha256 -extfile "$ext" -out "$dir/server.crt" 2>/dev/null || die "openssl: cannot sign the server certificate"
  rm -f "$dir/server.key.tmp" "$dir/server.csr" "$ext"
  chmod 600 "$dir/server.key" "$dir/ca.key"
  chmod 644 "$dir/ca.crt" "$dir/server.crt"
  if [[ -n "$owner" ]]; then chown "$owner" "$dir/server.key" "$dir/server.crt" "$dir/ca.crt"; fi
  log "made a private CA and a certificate for CN=$cn in $dir"
}

# password_for DIR NAME - the password of NAME, kept in DIR/NAME (made once: random, 0600).
password_for() {
  local dir="$1" name="$2"
  mkdir -p "$dir"
  chmod 700 "$dir"
  if [[ ! -s "$dir/$name" ]]; then
    (umask 077 && openssl rand -hex 24 >"$dir/$name") || die "cannot write $dir/$name"
  fi
  cat "$dir/$name"
}

# make_client_cert CA_DIR OUT_DIR CN - a client certificate for CN signed by the CA in CA_DIR
# (OUT_DIR/CN.crt, OUT_DIR/CN.key; made once).
make_client_cert() {
  local ca="$1" out="$2" cn="$3"
  mkdir -p "$out"
  [[ -s "$out/$cn.crt" && -s "$out/$cn.key" ]] && return 0
  local ext="$out/$cn.ext"
  printf '%s\n' "extendedKeyUsage=clientAuth" "basicConstraints=CA:FALSE" >"$ext"
  (umask 077 && openssl req -new -nodes -newkey rsa:2048 -subj "/CN=$cn" -keyout "$out/$cn.key" -out "$out/$cn.csr" \
    2>/dev/null) || die "openssl: cannot make the key of $cn"
  openssl x509 -req -in "$out/$cn.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial -days 825 -sha256 \
    -extfile "$ext" -out "$out/$cn.crt" 2>/dev/null || die "openssl: cannot sign the certificate of $cn"
  rm -f "$out/$cn.csr" "$ext"
}
