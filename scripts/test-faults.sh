#!/usr/bin/env bash
# `npm run test:faults`: the fault tests (test/faults), which break real processes — a worker killed with
# SIGKILL mid-run, a Redis of their own killed and restarted, a Docker Engine of their own killed and
# restarted mid-build or under a task file's cmd step, the API killed in the middle of a rebuild wave, a git
# host hanging while a wave starts, a registry away at push time (an index push too), answers cut by a proxy
# — and check what a user sees. Apart from `npm test` because each waits out a fault (4–6 min in all).
exec bash "$(dirname "${BASH_SOURCE[0]}")/test-suite.sh" test/faults "$@"
