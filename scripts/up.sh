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
data=${SLIPWAY_DATA_DIR:-$PWD/.data}
# The registry's notifications carry the token scripts/stack.sh configured it with.
SLIPWAY_REGISTRY_NOTIFY_TOKEN=$(bash scripts/stack.sh notify-token)
export SLIPWAY_REGISTRY_NOTIFY_TOKEN
node dist/server/api.js &
api=$!
node dist/server/worker.js &
worker=$!
trap 'kill $api $worker 2>/dev/null; wait' INT TERM EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done
# The API wrote an admin token at its first start; the CLI logs in with it unless it already has a login,
# so that `slipway build` works with no extra step.
token_file=${SLIPWAY_BOOTSTRAP_TOKEN_FILE:-$data/admin-token}
cli_config=${XDG_CONFIG_HOME:-$HOME/.config}/slipway/config.json
if [ -s "$token_file" ] && [ ! -e "$cli_config" ]; then
  node dist/cli/slipway.js --server "http://127.0.0.1:$port" login --token-stdin <"$token_file" ||
    echo "up: could not log the CLI in with $token_file; see slipway login --help" >&2
fi
cat >&2 <<MSG

Slipway is up: API at http://127.0.0.1:$port, one worker, registry at ${SLIPWAY_REGISTRY:-127.0.0.1:5000}.
Dashboard: http://127.0.0.1:$port/ (sign in with the token in $token_file)
Build the bundled example in another terminal:

  dist/cli/slipway.js build -t hello:v1 examples/hello

The CLI is logged in as the admin (token in $token_file); give teammates and CI their own tokens:

  dist/cli/slipway.js token create alice --role builder --repositories 'team-a/*'

Ctrl-C stops the API and the worker (the stack keeps running: scripts/stack.sh down stops it).
MSG
wait -n $api $worker
