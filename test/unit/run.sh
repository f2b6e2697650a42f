#!/usr/bin/env bash
# Unit tier: every *.test.ts under test/unit, with Node's test runner (TypeScript through tsx).
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t files < <(find test/unit -name '*.test.ts' | sort)
exec node --import tsx --test --test-reporter=spec "${files[@]}"
