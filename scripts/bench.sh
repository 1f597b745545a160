#!/usr/bin/env bash
# `npm run bench`: brings the stack up if needed, then runs the benchmarks against real Redis, Docker
# Engine and registry, each on a Slipway API and worker of its own (test/support/stack.ts). Each bench
# rewrites its summary, bench/results/<bench>.md, and appends one line of key figures to
# bench/results/history.jsonl (bench/lib/history.ts); the benches of one run share its id, BENCH_RUN_ID.
# About 8 minutes on 2 cores.
#   build: end-to-end build + push against the Engine's own (BENCH_ITERATIONS, 9; BENCH_BUILD_BUDGET_S, 200:
#                             no new build iteration is started past it)
#   latency: submit-to-start (BENCH_LATENCY_RUNS, 200)
#   platforms: three platforms against the Engine's own, and the QEMU slowdown (bench/platforms.ts, two to
#                             three minutes; BENCH_PLATFORMS_ITERATIONS 2, BENCH_QEMU_ITERATIONS 3, BENCH_PLATFORMS_BUDGET_S 150)
#   git-fetch: a fresh clone against a mirror-cached fetch of two generated long histories (bench/git-fetch.ts,
#                             two to three minutes)
#   rebuilds: base-image rebuilds (bench/rebuilds.ts, about a minute): a generated graph of 10,000 tasks
#                             planned and queued, and a registry push to the first dependent rebuild started
#   private-base: a build FROM a base on the stack's token-auth registry against the same base on the open one
#                             (bench/private-base.ts, about a minute)
#   cache: a build on a second Engine with --cache-from the image a first Engine pushed with inline cache,
#                             against the second Engine's cold build (bench/cache.ts, two to four minutes;
#                             BENCH_CACHE_ITERATIONS 3)
#   load: clients submitting small builds with log followers attached (bench/load.ts): every run ends, none is
#                             lost; POST /v1/runs p99 and the API's RSS. Not in the default set: its full size
#                             (BENCH_LOAD_CLIENTS 50, BENCH_LOAD_BUILDS 500, BENCH_LOAD_FOLLOWERS 100 over
#                             BENCH_LOAD_DURATION_S 300) takes the machine for as long as the worker needs
#   engine: what the Docker Engine costs per build with no Slipway, with the QEMU binfmt handlers registered
#                             and switched off (bench/engine.ts, under a minute; root only for the second side).
#                             Not in the default set: it switches the machine's emulators off for a few seconds
# Arguments pick benches: scripts/bench.sh build | latency | git-fetch | rebuilds | platforms | private-base |
# cache | load | engine (default: all but load and engine).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/stack.sh up
bash scripts/base-images.sh
export BENCH_RUN_ID=${BENCH_RUN_ID:-$(date -u +%Y-%m-%dT%H-%M-%SZ)}
benches=("$@")
[ ${#benches[@]} -eq 0 ] && benches=(build latency git-fetch rebuilds platforms private-base cache)
for b in "${benches[@]}"; do
  case "$b" in
    build | latency | git-fetch | rebuilds | platforms | private-base | cache | load | engine) node --import tsx "bench/$b.ts" ;;
    *) echo "bench: unknown bench $b (build, latency, git-fetch, rebuilds, platforms, private-base, cache, load, engine)" >&2; exit 2 ;;
  esac
done
echo "bench: summaries in bench/results/<bench>.md, figures of run $BENCH_RUN_ID appended to bench/results/history.jsonl" >&2
