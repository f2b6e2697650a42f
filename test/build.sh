#!/usr/bin/env bash
# Build tier: strict type check of everything, the layering and code rules (eslint), the
# formatting (prettier), then the bundles the other tiers run.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit -p .
npx eslint .
npm run --silent format:check
node esbuild.js
