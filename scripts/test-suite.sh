#!/usr/bin/env bash
# One suite of tests apart from `npm test` (test:faults, test:hosts): brings the stack up if needed, builds
# dist/ when what it is built from changed, then runs the folder given first, or the files given after it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
folder=$1
shift
source scripts/test-prepare.sh
export SLIPWAY_TEST_COMPILED=1
# These suites stop Redis, kill Engines and time recoveries: one file at a time, always.
export SLIPWAY_TEST_CONCURRENCY=1
if [ "$#" -gt 0 ]; then exec node --import tsx scripts/test-run.ts "$@"; fi
exec node --import tsx scripts/test-run.ts "$folder"
