#!/usr/bin/env bash
# `npm run test:faults`: the fault tests (test/faults), which break real processes — a worker killed with
# SIGKILL mid-run, a Redis of their own killed and restarted, a registry away at push time, answers cut by
# a proxy — and check what a user sees. Apart from `npm test` because each waits out a fault (2–3 min in all).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/deps.sh
bash scripts/stack.sh up
bash scripts/base-images.sh
echo "test:faults: building" >&2
rm -rf dist
npm run --silent build
export SLIPWAY_TEST_COMPILED=1
mapfile -t files < <(find test/faults -name '*.test.ts' | sort)
[ "$#" -gt 0 ] && files=("$@")
exec node --import tsx --test --test-concurrency=1 --test-timeout=300000 "${files[@]}"
