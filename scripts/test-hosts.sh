#!/usr/bin/env bash
# `npm run test:hosts`: the several-hosts tests (test/hosts). Each starts a Docker Engine of its own beside the
# machine's (its own data root, containerd, socket and bridge) as a second host, with workers and an API that
# share no directory. Apart from `npm test` because a second Engine takes a while to start and every test
# builds on two Engines (4–5 min in all).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/test-prepare.sh
export SLIPWAY_TEST_COMPILED=1
if [ "$#" -gt 0 ]; then exec node --import tsx scripts/test-run.ts "$@"; fi
exec node --import tsx scripts/test-run.ts test/hosts
