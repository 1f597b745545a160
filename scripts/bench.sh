#!/usr/bin/env bash
# `npm run bench`: brings the stack up if needed, then runs the benchmarks against real Redis, Docker
# Engine and registry, each on a Slipway API and worker of its own (test/support/stack.ts). Results go
# to bench/results/<run id>.json and bench/results/latest.md. About 8 minutes on 2 cores.
#   BENCH_ITERATIONS (9)      end-to-end build iterations (every side uncached, then cached)
#   BENCH_LATENCY_RUNS (200)  submit-to-start runs
#   BENCH_BUILD_BUDGET_S (200) no new build iteration is started past this
#   BENCH_PLATFORMS_ITERATIONS (2), BENCH_QEMU_ITERATIONS (3), BENCH_PLATFORMS_BUDGET_S (150)
#                             the multi-platform bench (bench/platforms.ts, about 2 to 3 minutes); it
#                             writes bench/results/platforms-<run id>.json and bench/results/platforms.md
#                             and appends its section to latest.md, so it runs last
#   git-fetch: a fresh clone against a mirror-cached fetch of two generated long histories (bench/git-fetch.ts,
#                             two to three minutes), written to bench/results/git-fetch.json and git-fetch.md
#   rebuilds: base-image rebuilds (bench/rebuilds.ts, about a minute): a generated graph of 10,000 tasks
#                             planned and queued, and a registry push to the first dependent rebuild
#                             started; written to bench/results/rebuilds.json and rebuilds.md
# Arguments pick benches: scripts/bench.sh build | latency | git-fetch | rebuilds | platforms (default: all five).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/stack.sh up
bash scripts/base-images.sh
export BENCH_RUN_ID=${BENCH_RUN_ID:-$(date -u +%Y-%m-%dT%H-%M-%SZ)}
benches=("$@")
[ ${#benches[@]} -eq 0 ] && benches=(build latency git-fetch rebuilds platforms)
for b in "${benches[@]}"; do
  case "$b" in
    build | latency | git-fetch | rebuilds | platforms) node --import tsx "bench/$b.ts" ;;
    *) echo "bench: unknown bench $b (build, latency, git-fetch, rebuilds, platforms)" >&2; exit 2 ;;
  esac
done
echo "bench: results in bench/results/$BENCH_RUN_ID.json and bench/results/latest.md" >&2
