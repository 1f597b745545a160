#!/usr/bin/env bash
# The local stack Slipway needs: Redis, Docker Engine (with BuildKit), a CNCF distribution registry
# and QEMU binfmt handlers. `up` installs (Debian, as root) and starts whatever is missing and is a
# no-op when everything already runs; `status` only checks; `down` stops what `up` started.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${SLIPWAY_DATA_DIR:-$ROOT/.data}
REDIS_PORT=${SLIPWAY_REDIS_PORT:-6379}
REGISTRY_ADDR=${SLIPWAY_REGISTRY_ADDR:-127.0.0.1:5000}
API_URL=${SLIPWAY_API_URL:-http://127.0.0.1:8080}
NOTIFY_TOKEN_FILE=$DATA/registry-notify-token
DOCKER_SOCK=${SLIPWAY_DOCKER_SOCKET:-/var/run/docker.sock}
# The emulators Slipway builds with: qemu-aarch64 for linux/arm64, qemu-arm for linux/arm/v7. Docker
# 20.10's BuildKit starts every enabled qemu handler on each build to probe what it can run, so each
# handler costs every build (all ~30 of Debian's cost seconds); the others are switched off.
QEMU_HANDLERS=${SLIPWAY_QEMU_HANDLERS:-qemu-aarch64 qemu-arm}
# openssl: the tests make a TLS certificate with it.
PACKAGES=(redis-server docker.io containerd runc iptables docker-registry qemu-user-static binfmt-support git curl openssl tmux)

log() { printf 'stack: %s\n' "$*" >&2; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }
is_debian() { [ -f /etc/debian_version ] && command -v apt-get >/dev/null; }

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$p"
  done
}

install_packages() {
  local missing
  missing=$(missing_packages | tr '\n' ' ')
  [ -z "${missing// /}" ] && return 0
  if ! is_root || ! is_debian; then
    die "missing packages: $missing
  install them as root on Debian: apt-get install -y $missing
  (elsewhere: Redis >= 6, Docker Engine >= 20.10, the CNCF distribution registry, qemu-user-static with binfmt handlers)"
  fi
  log "installing: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian's packages try to start their daemons through init scripts; we start them ourselves below.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  rm -f /usr/sbin/policy-rc.d
}

redis_up() { redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
docker_up() { curl -sf --unix-socket "$DOCKER_SOCK" http://localhost/_ping >/dev/null 2>&1; }
registry_up() { curl -sf "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; }
wanted_handler() { case " $QEMU_HANDLERS " in *" $1 "*) return 0 ;; esac; return 1; }
binfmt_up() {
  local f name
  for name in $QEMU_HANDLERS; do grep -qs '^enabled' "/proc/sys/fs/binfmt_misc/$name" || return 1; done
  for f in /proc/sys/fs/binfmt_misc/qemu-*; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    wanted_handler "$name" || ! grep -qs '^enabled' "$f" || return 1
  done
}

wait_for() { # name check-fn seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do "$2" && return 0; sleep 0.1; done
  die "$1 did not come up in $3 s; see $DATA/logs/$1.log"
}

start_redis() {
  redis_up && return 0
  mkdir -p "$DATA/redis" "$DATA/logs"
  log "starting redis on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DATA/redis" --appendonly yes \
    --save '' --daemonize yes --pidfile "$DATA/redis/redis.pid" --logfile "$DATA/logs/redis.log"
  wait_for redis redis_up 10
}

start_docker() {
  docker_up && return 0
  is_root || die "Docker Engine is not answering on $DOCKER_SOCK and starting it needs root"
  mkdir -p "$DATA/logs"
  # cgroup v2 must be mounted for runc; a minimal VM may come without it.
  if ! mountpoint -q /sys/fs/cgroup; then mount -t cgroup2 none /sys/fs/cgroup; fi
  log "starting dockerd"
  nohup dockerd --host "unix://$DOCKER_SOCK" >"$DATA/logs/dockerd.log" 2>&1 &
  echo $! >"$DATA/dockerd.pid"
  wait_for dockerd docker_up 60
}

# The token the registry's notifications carry: SLIPWAY_REGISTRY_NOTIFY_TOKEN, else one made at random once and
# kept in the data folder (0600), so that no two installations share a token anyone could read in this script.
# A registry already configured by an older version keeps the token it was started with.
notify_token() {
  if [ -n "${SLIPWAY_REGISTRY_NOTIFY_TOKEN:-}" ]; then
    echo "$SLIPWAY_REGISTRY_NOTIFY_TOKEN"
    return
  fi
  if [ ! -s "$NOTIFY_TOKEN_FILE" ]; then
    mkdir -p "$DATA"
    local existing
    existing=$(sed -n 's/^ *Authorization: \[Bearer \(.*\)\]$/\1/p' "$DATA/registry/config.yml" 2>/dev/null | head -1 || true)
    (umask 077 && printf '%s\n' "${existing:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}" >"$NOTIFY_TOKEN_FILE")
  fi
  cat "$NOTIFY_TOKEN_FILE"
}

write_registry_config() {
  local NOTIFY_TOKEN
  NOTIFY_TOKEN=$(notify_token)
  mkdir -p "$DATA/registry/storage"
  cat >"$DATA/registry/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $DATA/registry/storage
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REGISTRY_ADDR
  headers:
    X-Content-Type-Options: [nosniff]
notifications:
  endpoints:
    - name: slipway
      url: $API_URL/v1/webhooks/registry
      headers:
        Authorization: [Bearer $NOTIFY_TOKEN]
      timeout: 2s
      threshold: 5
      backoff: 2s
      # Only manifest pushes start rebuilds: pulls and layer blobs would be ~15 requests per pushed build
      # for the API to answer and drop (and the backlog the registry replays when the API comes back).
      ignore:
        actions: [pull]
        mediatypes: [application/octet-stream]
YAML
}

start_registry() {
  registry_up && return 0
  mkdir -p "$DATA/logs"
  write_registry_config
  log "starting registry on $REGISTRY_ADDR"
  nohup docker-registry serve "$DATA/registry/config.yml" >"$DATA/logs/registry.log" 2>&1 &
  echo $! >"$DATA/registry.pid"
  wait_for registry registry_up 20
}

start_binfmt() {
  binfmt_up && return 0
  is_root || die "QEMU binfmt handlers are not registered and registering them needs root"
  if [ ! -f /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  log "enabling QEMU binfmt handlers: $QEMU_HANDLERS (others off)"
  local f name
  for name in $QEMU_HANDLERS; do
    # A handler registered but switched off (echo 0) is one update-binfmts calls enabled already.
    if [ -e "/proc/sys/fs/binfmt_misc/$name" ]; then echo 1 >"/proc/sys/fs/binfmt_misc/$name"
    else update-binfmts --enable "$name" >/dev/null 2>&1 || true; fi
  done
  for f in /proc/sys/fs/binfmt_misc/qemu-*; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    wanted_handler "$name" || echo 0 >"$f"
  done
  binfmt_up || die "binfmt handlers not as wanted ($QEMU_HANDLERS); try: update-binfmts --enable <handler> for each of them"
}

status() {
  local ok=0
  redis_up && log "redis: up (127.0.0.1:$REDIS_PORT)" || { log "redis: down"; ok=1; }
  docker_up && log "docker: up ($DOCKER_SOCK)" || { log "docker: down"; ok=1; }
  registry_up && log "registry: up ($REGISTRY_ADDR)" || { log "registry: down"; ok=1; }
  binfmt_up && log "binfmt: $QEMU_HANDLERS enabled, other emulators off" || { log "binfmt: want $QEMU_HANDLERS enabled and other emulators off"; ok=1; }
  return $ok
}

stop_pidfile() {
  local f=$1
  [ -f "$f" ] || return 0
  kill "$(cat "$f")" 2>/dev/null || true
  rm -f "$f"
}

case "${1:-}" in
  up)
    if redis_up && docker_up && registry_up && binfmt_up; then exit 0; fi
    install_packages
    start_redis
    start_docker
    start_registry
    start_binfmt
    status
    ;;
  status) status ;;
  notify-token) notify_token ;;
  down)
    stop_pidfile "$DATA/registry.pid"
    redis_up && redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    stop_pidfile "$DATA/dockerd.pid"
    ;;
  *) die "usage: scripts/stack.sh up|down|status|notify-token" ;;
esac
