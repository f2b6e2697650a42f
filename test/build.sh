#!/usr/bin/env bash
# Build tier: strict type check of everything, then the bundles the other tiers run.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit -p .
node esbuild.js
