#!/usr/bin/env bash
# `npm run test:deploy`: the compose deployment as a user runs it. Builds the Slipway image from this
# checkout (FROM a Node base made from Debian packages: scripts/deploy-images.sh), brings docker-compose.yml
# up with Debian's docker-compose on ports of its own, runs test/deploy against it with the CLI from the host
# (a build, a task from git), and takes it down with its volumes whatever happened.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/test-prepare.sh
command -v docker-compose >/dev/null || { echo "test-deploy: installing docker-compose" >&2; apt-get install -y -q docker-compose >/dev/null; }
bash scripts/deploy-images.sh

export COMPOSE_PROJECT_NAME=slipway-deploy-test
export SLIPWAY_NODE_BASE=slipway-deploy/node:20 SLIPWAY_REDIS_IMAGE=slipway-deploy/redis:7 SLIPWAY_REGISTRY_IMAGE=slipway-deploy/registry:2
export SLIPWAY_API_PORT=8095 SLIPWAY_REDIS_PORT=6395 SLIPWAY_REGISTRY_PORT=5095
export SLIPWAY_SECRET_KEY=$(head -c 32 /dev/urandom | base64) SLIPWAY_REGISTRY_NOTIFY_TOKEN=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
export SLIPWAY_WORKER_DIR=$(mktemp -d /tmp/slipway-deploy-worker.XXXXXX)
# The test's git server is on loopback over plain HTTP.
export SLIPWAY_GIT_ALLOW_INSECURE=1 SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS=1
# The classic builder: Debian's docker-compose builds through the Engine API itself.
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0

down() {
  docker-compose logs --no-color --tail=50 >&2 || true
  docker-compose down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$SLIPWAY_WORKER_DIR"
}
trap down EXIT
docker-compose build --quiet
docker-compose up -d
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$SLIPWAY_API_PORT/v1/health" >/dev/null && break
  sleep 0.2
done
export SLIPWAY_SERVER=http://127.0.0.1:$SLIPWAY_API_PORT
export SLIPWAY_TOKEN=$(docker-compose exec -T api cat /slipway/data/admin-token)
export SLIPWAY_TEST_COMPILED=1
node --import tsx scripts/test-run.ts test/deploy
