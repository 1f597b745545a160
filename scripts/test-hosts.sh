#!/usr/bin/env bash
# `npm run test:hosts`: the several-hosts tests (test/hosts). Each starts a Docker Engine of its own beside the
# machine's (its own data root, containerd, socket and bridge) as a second host, with workers and an API that
# share no directory. Apart from `npm test` because a second Engine takes a while to start and every test
# builds on two Engines (4–5 min in all).
exec bash "$(dirname "${BASH_SOURCE[0]}")/test-suite.sh" test/hosts "$@"
