#!/usr/bin/env bash
# VS Code tiers of test/run-all.sh, in the real VS Code server 1.100.3 + Debian's chromium:
#   run.sh suite   the extension-host mocha suite (test/vscode/suite/) against a seeded lab host,
#                  then the same suite through run-electron.ts (skips without a desktop VS Code)
#   run.sh ui      the Playwright UI tests of the tree and the bridge form (test/vscode/ui/tree.ui.ts,
#                  form.ui.ts) against a seeded lab host, then the vsix check (test/vscode/vsix/check.sh: package, install,
#                  activate) and the `npm start` check (test/vscode/ui/start.ui.ts)
# Exit 0 passed, 77 skipped (reason on the last line), anything else failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

mode=${1:-}
case "$mode" in
  suite) LAB_NAME=vsc-suite LAB_INDEX=30 ;;
  ui) LAB_NAME=vsc-ui LAB_INDEX=31 ;;
  *) echo "usage: test/vscode/run.sh suite|ui" >&2; exit 2 ;;
esac

skip() {
  echo "vscode $mode tier skipped: $1"
  exit 77
}
note() { echo "[vscode $mode $SECONDS s] $*" >&2; }

chromium=${VIRTNET_CHROMIUM:-/usr/bin/chromium}
[[ -x $chromium ]] || skip "chromium is missing ($chromium; Debian package chromium)"
reason=$(node --import tsx -e "import('./test/lab/lab.ts').then(m => { const r = m.labSkipReason(); if (r) console.log(r); })") \
  || { echo "could not ask the lab whether it can run" >&2; exit 1; }
[[ -z $reason ]] || skip "lab unavailable: $reason"

note "VS Code server (cached install)"
bash test/vscode/install-server.sh >&2 || exit 1
note "build"
node esbuild.js >&2 || exit 1

# The lab host goes down whatever happens from here on (failure, Ctrl-C, kill).
lab_up=0
lab_down() {
  if [[ $lab_up == 1 ]]; then
    lab_up=0
    note "lab host $LAB_NAME down"
    bash test/lab/labhost.sh down "$LAB_NAME" >&2 || echo "warning: labhost.sh down $LAB_NAME failed" >&2
  fi
}
trap lab_down EXIT
trap 'lab_down; exit 130' INT TERM HUP

# A host left over from an interrupted run would make `up` fail with "already exists".
bash test/lab/labhost.sh down "$LAB_NAME" >/dev/null 2>&1 || true
note "lab host $LAB_NAME up + seed"
lab_up=1
bash test/lab/labhost.sh up "$LAB_NAME" "$LAB_INDEX" >&2 || exit 1
bash test/lab/seed.sh "$LAB_NAME" >&2 || exit 1
export VIRTNET_TEST_HOST=vnl-$LAB_NAME
export VIRTNET_TEST_SSH_CONFIG=${VIRTNET_CACHE:-$PWD/.cache}/lab/ssh_config

rc=0
if [[ $mode == suite ]]; then
  node test/vscode/suite/build.mjs >&2 || exit 1
  note "suite in the VS Code server"
  # run-suite.ts prints mocha's report (with "N passing" / "N failing") on stdout.
  node --import tsx test/vscode/run-suite.ts --extension "$PWD" --tests "$PWD/out/vscode-suite/index.js" \
    --env "VIRTNET_TEST_HOST=$VIRTNET_TEST_HOST" --env "VIRTNET_TEST_SSH_CONFIG=$VIRTNET_TEST_SSH_CONFIG" \
    --timeout 300
  rc=$?
  note "suite exit $rc; same suite in a desktop VS Code, if there is one"
  node --import tsx test/vscode/run-electron.ts --extension "$PWD" --tests "$PWD/out/vscode-suite/index.js" \
    --env "VIRTNET_TEST_HOST=$VIRTNET_TEST_HOST" --env "VIRTNET_TEST_SSH_CONFIG=$VIRTNET_TEST_SSH_CONFIG"
  erc=$?
  [[ $erc == 0 ]] || { echo "run-electron.ts failed (exit $erc)"; [[ $rc != 0 ]] || rc=$erc; }
else
  checks=$(mktemp)
  trap 'lab_down; rm -f "$checks"' EXIT
  # Each script ends with "N passed, N failed"; the tier adds them up below.
  step() {
    local what=$1 src; shift
    note "$what"
    "$@" | tee -a "$checks"
    src=${PIPESTATUS[0]}
    [[ $src == 0 ]] || { echo "$what failed (exit $src)"; [[ $rc != 0 ]] || rc=$src; }
  }
  step "UI test of the tree" node --import tsx test/vscode/ui/tree.ui.ts
  step "UI test of the bridge form" node --import tsx test/vscode/ui/form.ui.ts
  step "UI test of the Create Network form" node --import tsx test/vscode/ui/networkForm.ui.ts
  lab_down # the other checks need no lab host (the guard test brings up its own)
  step "UI test of the guard for this host under a remote window" node --import tsx test/vscode/ui/guard.ui.ts
  step "vsix check" bash test/vscode/vsix/check.sh
  step "npm start check" node --import tsx test/vscode/ui/start.ui.ts
  # In mocha's words, which test/run-all.sh counts.
  read -r np nf < <(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$checks" | awk '{p+=$1; f+=$3} END {print p+0, f+0}')
  echo "  $np passing (UI checks)"
  echo "  $nf failing (UI checks)"
fi
lab_down
echo "vscode $mode tier: exit $rc"
exit "$rc"
