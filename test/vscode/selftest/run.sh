#!/usr/bin/env bash
# Self-check of the real-VS-Code harness: install (cached), a passing suite must exit 0, the same
# suite with one failing test must exit non-zero, and the Playwright UI check must render the
# workbench (screenshot in test-results/selftest.png).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
SUITE=$PWD/test/vscode/selftest/suite/index.js
EXT=test/vscode/selftest/ext
fail=0

bash test/vscode/install-server.sh || exit 1

echo "== passing suite (expect exit 0)"
node --import tsx test/vscode/run-suite.ts --extension "$EXT" --tests "$SUITE" --env VIRTNET_SELFTEST_ENV=ok --timeout 120
rc=$?; echo "exit $rc"; [[ $rc -eq 0 ]] || { echo "FAIL: passing suite exited $rc"; fail=1; }

echo "== one failing test (expect non-zero exit)"
node --import tsx test/vscode/run-suite.ts --extension "$EXT" --tests "$SUITE" --env VIRTNET_SELFTEST_ENV=ok \
  --env VIRTNET_SELFTEST_VERSION_PREFIX=1.999 --timeout 120
rc=$?; echo "exit $rc"; [[ $rc -ne 0 ]] || { echo "FAIL: failing suite exited 0"; fail=1; }

echo "== UI check"
node --import tsx test/vscode/selftest/ui.ts
rc=$?; echo "exit $rc"; [[ $rc -eq 0 ]] || { echo "FAIL: UI check exited $rc"; fail=1; }

echo "== run-electron (skips without a desktop VS Code)"
node --import tsx test/vscode/run-electron.ts --extension "$EXT" --tests "$SUITE" --env VIRTNET_SELFTEST_ENV=ok
rc=$?; echo "exit $rc"; [[ $rc -eq 0 ]] || { echo "FAIL: run-electron exited $rc"; fail=1; }

((fail)) && echo "harness self-check FAILED" || echo "harness self-check passed"
exit $fail
