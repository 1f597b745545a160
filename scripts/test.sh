#!/usr/bin/env bash
# `npm test`: brings the stack up if needed, typechecks, builds dist/ when what it is built from changed, then
# runs every test: unit tests several files at a time, then integration and e2e tests one file at a time
# against the real Redis, Docker Engine and registry (scripts/test-run.ts). Arguments name test files or
# folders to run instead of all of them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/test-prepare.sh

# Processes the tests start (API, worker, CLI) run compiled: each start is a second or more faster.
export SLIPWAY_TEST_COMPILED=1
exec node --import tsx scripts/test-run.ts "$@"
