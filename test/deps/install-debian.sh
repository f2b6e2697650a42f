#!/usr/bin/env bash
# Installs the Debian packages the test tiers need. Safe to re-run: only missing packages are
# installed. Daemons are never started by the install (policy-rc.d), because a libvirtd in the
# root network namespace would create virbr0 there: lab hosts start their own, in namespaces.
set -euo pipefail
here=$(dirname "$0")
mapfile -t wanted < <(grep -vE '^\s*(#|$)' "$here/debian-packages.txt")
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "debian packages: all ${#wanted[@]} present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "debian packages missing and not root, cannot install: ${missing[*]}" >&2
  exit 0
fi
echo "debian packages: installing ${missing[*]}"
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
trap 'if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "debian packages: done"
