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
