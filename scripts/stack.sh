#!/usr/bin/env bash
# The local stack Slipway needs: Redis, Docker Engine (with BuildKit), a CNCF distribution registry
# and QEMU binfmt handlers, plus two registries that need a login (for tests and the bench): one with
# htpasswd over TLS and one with token auth, whose realm is test/support/token-server.ts. `up` installs
# (Debian, as root) and starts whatever is missing and is a no-op when everything already runs; `status`
# only checks; `down` stops what `up` started.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${SLIPWAY_DATA_DIR:-$ROOT/.data}
REDIS_PORT=${SLIPWAY_REDIS_PORT:-6379}
REGISTRY_ADDR=${SLIPWAY_REGISTRY_ADDR:-127.0.0.1:5000}
API_URL=${SLIPWAY_API_URL:-http://127.0.0.1:8080}
NOTIFY_TOKEN_FILE=$DATA/registry-notify-token
# The registries that need a login. Their CA, certificates, users and configs live in $AUTH and are kept
# across restarts; credentials.json (0600) names the hosts, users and password for tests and the bench.
AUTH=$DATA/auth-registries
# Docker 20.10's BuildKit reaches every loopback registry over plain HTTP, whatever certs.d says, so the TLS
# registries listen on the Docker bridge's address (see auth_addrs). The realm stays on
# loopback: the Engine fetches tokens with the registry's TLS settings, and the tests need a realm on a private
# address to refuse.
TOKEN_REALM_ADDR=${SLIPWAY_TOKEN_REALM_ADDR:-127.0.0.1:5445}
# Where the Engine reads a registry's CA: its pulls and pushes on every connection, its BuildKit at start only.
DOCKER_CERTS_DIR=${SLIPWAY_DOCKER_CERTS_DIR:-/etc/docker/certs.d}
DOCKER_SOCK=${SLIPWAY_DOCKER_SOCKET:-/var/run/docker.sock}
# The emulators Slipway builds with: qemu-aarch64 for linux/arm64, qemu-arm for linux/arm/v7. Docker
# 20.10's BuildKit starts every enabled qemu handler on each build to probe what it can run, so each
# handler costs every build (all ~30 of Debian's cost seconds); the others are switched off.
QEMU_HANDLERS=${SLIPWAY_QEMU_HANDLERS:-qemu-aarch64 qemu-arm}
# openssl: the stack's CA and the tests' TLS certificates.
# chromium: the dashboard's browser tests drive it through playwright-core. tmux: the CLI's tty progress test.
PACKAGES=(redis-server docker.io containerd runc iptables docker-registry qemu-user-static binfmt-support git curl openssl chromium tmux)

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
# The Docker bridge's address (docker0), else Docker's default one: the CA must be in certs.d before the Engine
# starts, which may be before docker0 exists.
auth_addrs() {
  [ -n "${TLS_REGISTRY_ADDR:-}" ] && [ -n "${TOKEN_REGISTRY_ADDR:-}" ] && return 0
  local ip
  ip=${SLIPWAY_AUTH_REGISTRY_IP:-$(ip -4 -o addr show docker0 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')}
  ip=${ip:-172.17.0.1}
  TLS_REGISTRY_ADDR=${SLIPWAY_TLS_REGISTRY_ADDR:-$ip:5443}
  TOKEN_REGISTRY_ADDR=${SLIPWAY_TOKEN_REGISTRY_ADDR:-$ip:5444}
}

# Up means answering 401 over TLS with the stack's CA: serving, and asking for the login it was configured with.
tls_answers_401() { [ -f "$AUTH/ca.crt" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$AUTH/ca.crt" "https://$1$2" 2>/dev/null)" = 401 ]; }
tls_registry_up() { tls_answers_401 "$TLS_REGISTRY_ADDR" /v2/; }
token_registry_up() { tls_answers_401 "$TOKEN_REGISTRY_ADDR" /v2/; }
token_realm_up() { tls_answers_401 "$TOKEN_REALM_ADDR" /token; }
engine_trusts_ca() {
  local addr
  for addr in "$TLS_REGISTRY_ADDR" "$TOKEN_REGISTRY_ADDR"; do cmp -s "$AUTH/ca.crt" "$DOCKER_CERTS_DIR/$addr/ca.crt" || return 1; done
}
auth_registries_up() { auth_addrs; tls_registry_up && token_registry_up && token_realm_up && engine_trusts_ca; }
# Docker 20.10's BuildKit lists certs.d once, when the Engine starts (the Engine's own pulls and pushes read it
# per connection): an Engine started before the CA was there cannot build FROM these registries until restarted.
buildkit_trusts_ca() {
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null) || return 0
  [ -d "/proc/$pid" ] || return 0
  [ "$(stat -c %Y "/proc/$pid")" -ge "$(stat -c %Y "$DOCKER_CERTS_DIR/$TOKEN_REGISTRY_ADDR/ca.crt" 2>/dev/null || echo 0)" ]
}
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
  # noeviction: evicting would drop BullMQ's jobs and locks; the API refuses new runs before Redis is full.
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DATA/redis" --appendonly yes --maxmemory "${SLIPWAY_REDIS_MAXMEMORY:-2gb}" --maxmemory-policy noeviction \
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

# The CA (once, kept: the Engine and clients trust it), a server certificate for loopback and the registries, the
# certificate the token server signs tokens with (the registry checks the token's x5c chain against the CA), and
# a self-signed one the registry does not trust (for the tests' `untrusted` user).
make_auth_certs() {
  mkdir -p "$AUTH"
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
  if [ ! -s "$AUTH/ca.crt" ] || [ ! -s "$AUTH/ca.key" ]; then
    log "making the auth registries' CA in $AUTH"
    (umask 077 && openssl req -x509 "${ec[@]}" -keyout "$AUTH/ca.key" -out "$AUTH/ca.crt" -days 3650 \
      -subj '/CN=Slipway stack registries CA' -addext 'basicConstraints=critical,CA:TRUE' \
      -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null)
    chmod 644 "$AUTH/ca.crt"
    rm -f "$AUTH/server.crt" "$AUTH/token-signing.crt"
  fi
  local ip san=IP:127.0.0.1,DNS:localhost
  for ip in "${TLS_REGISTRY_ADDR%:*}" "${TOKEN_REGISTRY_ADDR%:*}"; do
    [[ $san == *"$ip"* ]] || san="$san,$(if [[ $ip =~ ^[0-9.]+$ ]]; then echo IP; else echo DNS; fi):$ip"
  done
  # Issued again when the bridge's address changed.
  openssl x509 -in "$AUTH/server.crt" -noout -checkip "${TLS_REGISTRY_ADDR%:*}" 2>/dev/null | grep -q 'does match' \
    || openssl x509 -in "$AUTH/server.crt" -noout -checkhost "${TLS_REGISTRY_ADDR%:*}" 2>/dev/null | grep -q 'does match' \
    || rm -f "$AUTH/server.crt"
  issue_cert server "subjectAltName=$san
extendedKeyUsage=serverAuth"
  issue_cert token-signing 'keyUsage=critical,digitalSignature'
  if [ ! -s "$AUTH/untrusted-signing.crt" ]; then
    (umask 077 && openssl req -x509 "${ec[@]}" -keyout "$AUTH/untrusted-signing.key" -out "$AUTH/untrusted-signing.crt" \
      -days 3650 -subj '/CN=Slipway untrusted token signer' 2>/dev/null)
  fi
}

issue_cert() { # name extensions
  [ -s "$AUTH/$1.crt" ] && openssl verify -CAfile "$AUTH/ca.crt" "$AUTH/$1.crt" >/dev/null 2>&1 && return 0
  (umask 077 && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$AUTH/$1.key" \
    -out "$AUTH/$1.csr" -subj "/CN=slipway-$1" 2>/dev/null)
  openssl x509 -req -in "$AUTH/$1.csr" -CA "$AUTH/ca.crt" -CAkey "$AUTH/ca.key" -CAcreateserial -days 825 \
    -out "$AUTH/$1.crt" -extfile <(printf 'basicConstraints=CA:FALSE\n%s\n' "$2") 2>/dev/null
  rm -f "$AUTH/$1.csr"
}

# The users: one password made at random once (kept in `password`, 0600, and written to credentials.json) for
# `slipway` and the token server's `slipway-expired`, `slipway-untrusted` and `slipway-reader` (see its modes),
# hashed with bcrypt, the only hash docker-registry takes.
write_auth_users() {
  local creds=$AUTH/credentials.json
  if [ ! -s "$AUTH/password" ]; then
    (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$AUTH/password")
  fi
  (umask 077 && cat >"$creds" <<JSON
{
  "password": "$(cat "$AUTH/password")",
  "tls": { "registry": "$TLS_REGISTRY_ADDR", "username": "slipway" },
  "token": {
    "registry": "$TOKEN_REGISTRY_ADDR",
    "realm": "https://$TOKEN_REALM_ADDR/token",
    "username": "slipway",
    "expiredUser": "slipway-expired",
    "untrustedUser": "slipway-untrusted",
    "readerUser": "slipway-reader"
  }
}
JSON
  )
  # bcryptjs from the project's dependencies: Debian's htpasswd (apache2-utils) is not otherwise needed.
  (cd "$ROOT" && umask 077 && node --input-type=module -e '
    import bcrypt from "bcryptjs";
    import fs from "node:fs";
    const [creds, dir, host, port, service] = process.argv.slice(1);
    const c = JSON.parse(fs.readFileSync(creds, "utf8"));
    const hash = bcrypt.hashSync(c.password, 10);
    fs.writeFileSync(`${dir}/htpasswd`, `${c.tls.username}:${hash}\n`);
    const users = { [c.token.username]: "ok", [c.token.expiredUser]: "expired", [c.token.untrustedUser]: "untrusted", [c.token.readerUser]: "reader" };
    fs.writeFileSync(`${dir}/token-server.json`, JSON.stringify({
      host, port: Number(port), certFile: `${dir}/server.crt`, keyFile: `${dir}/server.key`,
      issuer: "slipway-token-server", service,
      signing: { keyFile: `${dir}/token-signing.key`, certFile: `${dir}/token-signing.crt` },
      untrustedSigning: { keyFile: `${dir}/untrusted-signing.key`, certFile: `${dir}/untrusted-signing.crt` },
      users: Object.fromEntries(Object.entries(users).map(([name, mode]) => [name, { bcrypt: hash, mode }])),
    }, null, 2));
  ' "$creds" "$AUTH" "${TOKEN_REALM_ADDR%:*}" "${TOKEN_REALM_ADDR##*:}" "$TOKEN_REGISTRY_ADDR")
}

write_auth_registry_config() { # name addr auth-yaml
  mkdir -p "$AUTH/$1/storage"
  cat >"$AUTH/$1/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $AUTH/$1/storage
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $2
  headers:
    X-Content-Type-Options: [nosniff]
  tls:
    certificate: $AUTH/server.crt
    key: $AUTH/server.key
auth:
$3
YAML
}

start_auth_process() { # name check-fn command...
  local name=$1 check=$2
  shift 2
  "$check" && return 0
  log "starting $name"
  (cd "$ROOT" || exit 1; nohup "$@" >"$DATA/logs/$name.log" 2>&1 & echo $! >"$DATA/$name.pid")
  wait_for "$name" "$check" 30
}

# The CA and certificates, and the Engine's trust in the CA: before the Engine starts (see buildkit_trusts_ca).
trust_auth_ca() {
  auth_addrs
  make_auth_certs
  engine_trusts_ca && return 0
  if is_root; then
    local addr
    for addr in "$TLS_REGISTRY_ADDR" "$TOKEN_REGISTRY_ADDR"; do
      mkdir -p "$DOCKER_CERTS_DIR/$addr" && cp "$AUTH/ca.crt" "$DOCKER_CERTS_DIR/$addr/ca.crt"
    done
  else
    log "warning: the Engine does not trust $AUTH/ca.crt; as root: copy it to $DOCKER_CERTS_DIR/<host:port>/ca.crt for $TLS_REGISTRY_ADDR and $TOKEN_REGISTRY_ADDR"
  fi
}

start_auth_registries() {
  auth_registries_up && return 0
  mkdir -p "$DATA/logs"
  trust_auth_ca
  write_auth_users
  write_auth_registry_config tls-registry "$TLS_REGISTRY_ADDR" "  htpasswd:
    realm: slipway-stack
    path: $AUTH/htpasswd"
  write_auth_registry_config token-registry "$TOKEN_REGISTRY_ADDR" "  token:
    realm: https://$TOKEN_REALM_ADDR/token
    service: $TOKEN_REGISTRY_ADDR
    issuer: slipway-token-server
    rootcertbundle: $AUTH/ca.crt"
  start_auth_process token-server token_realm_up node --import tsx test/support/token-server.ts "$AUTH/token-server.json"
  start_auth_process tls-registry tls_registry_up docker-registry serve "$AUTH/tls-registry/config.yml"
  start_auth_process token-registry token_registry_up docker-registry serve "$AUTH/token-registry/config.yml"
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
  tls_registry_up && log "tls registry: up (https://$TLS_REGISTRY_ADDR, htpasswd)" || { log "tls registry: down"; ok=1; }
  token_registry_up && token_realm_up && log "token registry: up (https://$TOKEN_REGISTRY_ADDR, realm https://$TOKEN_REALM_ADDR/token)" || { log "token registry: down"; ok=1; }
  engine_trusts_ca && log "engine: trusts $AUTH/ca.crt" || { log "engine: does not trust $AUTH/ca.crt ($DOCKER_CERTS_DIR)"; ok=1; }
  buildkit_trusts_ca || log "warning: the Engine started before its certs.d had the CA: its BuildKit cannot pull from $TOKEN_REGISTRY_ADDR until the Engine restarts"
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
    if redis_up && docker_up && registry_up && auth_registries_up && binfmt_up; then exit 0; fi
    install_packages
    start_redis
    docker_up || trust_auth_ca
    start_docker
    start_registry
    start_auth_registries
    start_binfmt
    status
    ;;
  status) auth_addrs; status ;;
  notify-token) notify_token ;;
  down)
    stop_pidfile "$DATA/registry.pid"
    for name in tls-registry token-registry token-server; do stop_pidfile "$DATA/$name.pid"; done
    redis_up && redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    stop_pidfile "$DATA/dockerd.pid"
    ;;
  *) die "usage: scripts/stack.sh up|down|status|notify-token" ;;
esac
