#!/usr/bin/env bash
# `npm run up`: installs what is missing, brings the stack up, then runs the API and one worker in the
# foreground until Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/deps.sh
bash scripts/stack.sh up
bash scripts/base-images.sh
npm run --silent build
port=${SLIPWAY_API_PORT:-8080}
node dist/src/api/main.js &
api=$!
node dist/workers/main.js &
worker=$!
trap 'kill $api $worker 2>/dev/null; wait' INT TERM EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done
cat >&2 <<MSG

Slipway is up: API at http://127.0.0.1:$port, one worker, registry at ${SLIPWAY_REGISTRY:-127.0.0.1:5000}.
Build the bundled example in another terminal:

  dist/cli/slipway.js build -t hello:v1 examples/hello

Ctrl-C stops the API and the worker (the stack keeps running: scripts/stack.sh down stops it).
MSG
wait -n $api $worker
