#!/usr/bin/env bash
# The packaged .vsix installs into the VS Code server offline and activates there (see check.ts).
# Usage: test/vscode/vsix/check.sh [--vsix FILE]   (without --vsix it packs one first)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
exec node --import tsx test/vscode/vsix/check.ts "$@"
