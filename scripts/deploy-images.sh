#!/usr/bin/env bash
# Images for the compose deployment where no public registry can be pulled from, made from Debian packages
# into the local Engine (never pushed anywhere):
#   slipway-deploy/debian:bookworm   a minimal Debian (debootstrap) with git, curl, redis and the registry
#   slipway-deploy/node:20           that, with this machine's Node, npm and trusted roots (the Slipway
#                                    image's NODE_BASE)
#   slipway-deploy/redis:7           redis-server, as the public redis image runs it
#   slipway-deploy/registry:2        the CNCF distribution registry from Debian's docker-registry
# Idempotent: images already in the Engine are kept (pass --force to make them again). The debootstrap tree
# is cached as a tar under $SLIPWAY_DATA_DIR/deploy.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${SLIPWAY_DATA_DIR:-$ROOT/.data}
CACHE=$DATA/deploy
SUITE=bookworm
MIRROR=${SLIPWAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=git,ca-certificates,curl,redis-server,redis-tools,docker-registry
# Debian's 20.10 client: it builds with BuildKit, where a newer client on PATH may want a buildx plugin.
DOCKER=/usr/bin/docker
NODE_BIN=$(command -v node)
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")

log() { printf 'deploy-images: %s\n' "$*" >&2; }

FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1
have() { [ "$FORCE" = 0 ] && "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get install -y -q debootstrap >/dev/null; }
mkdir -p "$CACHE"

if ! have slipway-deploy/debian:$SUITE; then
  if [ ! -s "$CACHE/rootfs.tar" ] || [ "$FORCE" = 1 ]; then
    tree=$(mktemp -d "$CACHE/rootfs.XXXXXX")
    log "debootstrap $SUITE with $PACKAGES (a few minutes the first time)"
    debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$tree" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
      { tail -20 "$CACHE/debootstrap.log" >&2; rm -rf "$tree"; exit 1; }
    # No package lists or caches in the image; apt can fetch them again where the network allows.
    rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree"/var/lib/apt/lists/*
    tar -C "$tree" -cf "$CACHE/rootfs.tar.tmp" . && mv "$CACHE/rootfs.tar.tmp" "$CACHE/rootfs.tar"
    rm -rf "$tree"
  fi
  log "importing slipway-deploy/debian:$SUITE"
  "$DOCKER" import "$CACHE/rootfs.tar" slipway-deploy/debian:$SUITE >/dev/null
fi

if ! have slipway-deploy/node:20; then
  log "slipway-deploy/node:20 from $NODE_BIN and $NPM_DIR"
  ctx=$(mktemp -d)
  cp "$NODE_BIN" "$ctx/node"
  cp -r "$NPM_DIR" "$ctx/npm"
  # The roots this machine trusts (it may reach package registries through a TLS-inspecting proxy whose CA
  # only it has): Node reads no system store by itself, hence NODE_EXTRA_CA_CERTS.
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
  cat >"$ctx/Dockerfile" <<EOF
FROM slipway-deploy/debian:$SUITE
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version && npm --version
CMD ["node"]
EOF
  DOCKER_BUILDKIT=1 "$DOCKER" build -q -t slipway-deploy/node:20 "$ctx" >/dev/null
  rm -rf "$ctx"
fi

if ! have slipway-deploy/redis:7; then
  log "slipway-deploy/redis:7"
  printf 'FROM slipway-deploy/debian:%s\nCMD ["redis-server"]\n' "$SUITE" | DOCKER_BUILDKIT=1 "$DOCKER" build -q -t slipway-deploy/redis:7 - >/dev/null
fi

if ! have slipway-deploy/registry:2; then
  log "slipway-deploy/registry:2"
  ctx=$(mktemp -d)
  # The public image's configuration (Debian's asks for an htpasswd file): open, on :5000, storage in
  # /var/lib/registry; REGISTRY_* variables override any of it, as there.
  cat >"$ctx/config.yml" <<EOF
version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  cache:
    blobdescriptor: inmemory
http:
  addr: :5000
EOF
  printf 'FROM slipway-deploy/debian:%s\nCOPY config.yml /etc/docker/registry/config.yml\nRUN mkdir -p /var/lib/registry\nCMD ["docker-registry", "serve", "/etc/docker/registry/config.yml"]\n' "$SUITE" >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=1 "$DOCKER" build -q -t slipway-deploy/registry:2 "$ctx" >/dev/null
  rm -rf "$ctx"
fi
log "ready: slipway-deploy/{debian:$SUITE,node:20,redis:7,registry:2}"
