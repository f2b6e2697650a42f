#!/usr/bin/env bash
# `npm run package`: builds the bundles (minified, no source maps) and packs virtnet-<version>.vsix
# with @vscode/vsce, offline. .vscodeignore decides what goes in.
# Usage: scripts/package.sh [OUT.vsix]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

version=$(node -p "require('./package.json').version")
out=${1:-virtnet-$version.vsix}

node esbuild.js --production
# --no-dependencies: esbuild bundles every runtime dependency into dist/, so node_modules stays
# out (and vsce does not run npm, which needs the network).
flags=(--no-dependencies --out "$out")
# Until package.json names a repository and the repo has a LICENSE file, say so instead of failing
# (vsce would otherwise ask on stdin, which CI does not have).
# Without a repository vsce cannot make README's relative links (media/screenshot-tree.png)
# absolute and refuses them; kept relative, VS Code's extension page resolves them inside the vsix.
node -e "process.exit(require('./package.json').repository ? 0 : 1)" ||
  flags+=(--allow-missing-repository --no-rewrite-relative-links)
[[ -e LICENSE || -e LICENSE.md || -e LICENSE.txt ]] || {
  echo "package: no LICENSE file; packaging without one (--skip-license)" >&2
  flags+=(--skip-license)
}
npx --no-install vsce package "${flags[@]}"
# A fresh build for development again: `npm start` and the tests expect source maps.
node esbuild.js >/dev/null 2>&1 || true
echo "package: $out ($(du -h "$out" | cut -f1))"
