#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than the lock file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# A linked node_modules belongs to another checkout (a git worktree sharing main's): `npm ci` would empty it
# under that checkout's feet, so it is left for its owner to install.
if [ -L node_modules ]; then
  exit 0
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "deps: installing npm dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
