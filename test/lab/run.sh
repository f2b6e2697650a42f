#!/usr/bin/env bash
# Lab tier: tests against real throwaway hosts (network namespaces with sshd, libvirtd, guests).
# Exits 77 with the reason when this machine cannot host them.
set -uo pipefail
cd "$(dirname "$0")/../.."
reason=$(node --import tsx -e "import('./test/lab/lab.ts').then(m => { const r = m.labSkipReason(); if (r) console.log(r); })")
if [ -n "$reason" ]; then
  echo "lab tier skipped: $reason"
  exit 77
fi
bash test/lab/guest-image.sh
mapfile -t files < <(find test/lab -name '*.test.ts' | sort)
# One file at a time: each builds its own lab hosts and TCG guests, and the machine has 2 cores.
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
