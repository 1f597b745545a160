#!/usr/bin/env bash
# What every test suite needs first: npm dependencies, the stack (Redis, Docker Engine, registry, QEMU) and
# its base images, then a typecheck, and dist/ (what the tests' API, worker and CLI processes run) built
# again only when something it is built from has changed. Sourced by scripts/test.sh and test-faults.sh.
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

