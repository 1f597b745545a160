#!/usr/bin/env bash
# `npm test`: brings the stack up if needed, typechecks, builds dist/ when what it is built from changed, then
# runs every test: unit tests several files at a time, then integration and e2e tests one file at a time
# against the real Redis, Docker Engine and registry (scripts/test-run.ts). Arguments name test files or
# folders to run instead of all of them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/deps.sh
bash scripts/stack.sh up
bash scripts/base-images.sh

# A digest of what dist/ is built from: every file in the checkout but the tests, benchmarks, examples and
# docs, so a source file added anywhere counts. Empty outside a git checkout: then dist/ is always rebuilt.
build_inputs() {
  git rev-parse --is-inside-work-tree >/dev/null 2>&1 || return 0
  git ls-files -z --cached --others --exclude-standard -- . ':!test/' ':!bench/' ':!examples/' ':!.ci/' ':!*.md' |
    sort -z | { xargs -0 sha256sum 2>/dev/null || true; } | sha256sum | cut -d' ' -f1
}
stamp=dist/.build-inputs
inputs=$(build_inputs)
if [ -n "$inputs" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$inputs" ]; then
  # tsc checks every file either way, tests included; only its output would be the same as before.
  echo "test: typechecking (dist/ is up to date)" >&2
  npm run --silent typecheck
else
  echo "test: typechecking and building" >&2
  rm -rf dist
  npm run --silent build
  [ -z "$inputs" ] || printf '%s\n' "$inputs" > "$stamp"
fi

# Processes the tests start (API, worker, CLI) run compiled: each start is a second or more faster.
export SLIPWAY_TEST_COMPILED=1
exec node --import tsx scripts/test-run.ts "$@"
