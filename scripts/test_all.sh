#!/usr/bin/env bash
# The whole suite: type-check, lint, the JSR gate, then the tests on Node, Deno and Bun.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

step() { printf '\n=== %s\n' "$*"; }

step "type-check (tsc)"
tsc --noEmit -p tsconfig.json

step "lint and format (deno)"
deno lint
deno fmt --check

step "JSR gate (deno publish --dry-run)"
deno publish --dry-run --allow-dirty

step "tests on Node $(node --version)"
node --import tsx --test --test-concurrency=1 --test-timeout=300000 $(find tests -name '*.test.ts' | sort)

step "tests on Deno $(deno --version | head -1)"
deno test -A --no-check tests/

step "tests on Bun $(bun --version)"
bun test --timeout 120000 tests/
