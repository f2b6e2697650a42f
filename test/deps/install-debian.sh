#!/usr/bin/env bash
# Installs the Debian packages the test tiers need. Safe to re-run: only missing packages are
# installed. Daemons are never started by the install (policy-rc.d), because a libvirtd in the
# root network namespace would create virbr0 there: lab hosts start their own, in namespaces.
set -euo pipefail
here=$(dirname "$0")
mapfile -t wanted < <(grep -vE '^\s*(#|$)' "$here/debian-packages.txt")
# libvirt and QEMU as current distributions ship them (libvirt 11, QEMU 10: nftables firewall
# backend, passt, QEMU's igb): from Debian's own bookworm-backports suite on Debian 12.
BACKPORTED=(libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu qemu-system-x86)
backports=0
. /etc/os-release 2>/dev/null || true
[ "${VERSION_CODENAME:-}" = bookworm ] && backports=1
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# An older libvirt from bookworm itself counts as missing: the lab runs on the backported one.
if [ "$backports" = 1 ]; then
  v=$(dpkg-query -W -f='${Version}' libvirt-daemon-system 2>/dev/null || true)
  if [ -n "$v" ] && dpkg --compare-versions "$v" lt 11; then missing+=("${BACKPORTED[@]}"); fi
fi
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
if [ "$backports" = 1 ]; then
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    > /etc/apt/sources.list.d/virtnet-bookworm-backports.sources
fi
apt-get update -q >/dev/null
from_bp=()
rest=()
for p in "${missing[@]}"; do
  case " ${BACKPORTED[*]} " in *" $p "*) from_bp+=("$p") ;; *) rest+=("$p") ;; esac
done
if [ "$backports" = 1 ] && [ "${#from_bp[@]}" -gt 0 ]; then
  # Their dependencies come from backports too where they must (apt resolves it with -t).
  apt-get install -y -q --no-install-recommends -t bookworm-backports "${from_bp[@]}" >/dev/null
else
  rest+=("${from_bp[@]}")
fi
[ "${#rest[@]}" -eq 0 ] || apt-get install -y -q --no-install-recommends "${rest[@]}" >/dev/null
echo "debian packages: done ($(dpkg-query -W -f='libvirt ${Version}' libvirt-daemon-system 2>/dev/null), $(dpkg-query -W -f='qemu ${Version}' qemu-system-x86 2>/dev/null))"
