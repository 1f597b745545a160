#!/usr/bin/env bash
# `npm test`: brings the stack up if needed, typechecks, then runs every test (unit, integration, e2e)
# against the real Redis, Docker Engine and registry.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/deps.sh
bash scripts/stack.sh up
bash scripts/base-images.sh
echo "test: typechecking and building" >&2
rm -rf dist
npm run --silent build
# Processes the tests start (API, worker, CLI) run compiled: each start is a second or more faster.
export SLIPWAY_TEST_COMPILED=1
# The fault tests run apart: npm run test:faults.
mapfile -t files < <(find test -name '*.test.ts' -not -path 'test/faults/*' | sort)
[ "$#" -gt 0 ] && files=("$@")
# Files run one at a time: integration tests share one Docker daemon on a 2-core machine.
exec node --import tsx --test --test-concurrency=1 --test-timeout=300000 "${files[@]}"
