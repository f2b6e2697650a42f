#!/usr/bin/env bash
# Builds the lab guest: Debian's kernel plus a tiny busybox initramfs that brings every NIC
# up and asks for a DHCP lease. Output: .cache/guest/vmlinuz and .cache/guest/initrd.img.
# Idempotent: a second run with the same kernel version and the same script is a cache hit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${VIRTNET_CACHE:-$ROOT/.cache}
OUT=$CACHE/guest
# QEMU's rtl8139 is an 8139C+, which 8139too refuses in favour of 8139cp: ship both.
MODULES=(virtio_pci virtio_net 8139too 8139cp e1000)

log() { printf 'guest-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in apt-cache apt-get dpkg depmod cpio gzip sha256sum; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
BUSYBOX=/bin/busybox
# Only the static build works alone in the initramfs (no libc there).
[[ -x $BUSYBOX ]] || die "busybox-static is not installed"

# The package name the metapackage points at, e.g. linux-image-6.1.0-56-amd64.
PKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[[ -n $PKG ]] || die "cannot resolve linux-image-amd64 via apt-cache (run apt-get update?)"
KVER=${PKG#linux-image-}

# The key covers everything the output depends on, so editing this script rebuilds.
KEY="$KVER $(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16) $(sha256sum "$BUSYBOX" | cut -c1-16)"
if [[ -f $OUT/stamp && -s $OUT/vmlinuz && -s $OUT/initrd.img && $(cat "$OUT/stamp") == "$KEY" ]]; then
  log "cache hit ($KVER)"
  exit 0
fi

mkdir -p "$OUT/deb"
WORK=$(mktemp -d "$OUT/build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

DEB=$(ls "$OUT"/deb/"${PKG}"_*.deb 2>/dev/null | head -n1 || true)
if [[ -z $DEB ]]; then
  log "downloading $PKG"
  # apt-get download writes into the current directory; the _apt sandbox warning is harmless.
  (cd "$OUT/deb" && apt-get download -q "$PKG" 2>&1 | grep -v 'unsandboxed' >&2 || true)
  DEB=$(ls "$OUT"/deb/"${PKG}"_*.deb 2>/dev/null | head -n1 || true)
  [[ -n $DEB ]] || die "apt-get download $PKG failed"
fi
# Older kernel packages from previous runs only waste space.
find "$OUT/deb" -name 'linux-image-*.deb' ! -name "${PKG}_*" -delete

log "extracting $(basename "$DEB")"
dpkg -x "$DEB" "$WORK/k"
KDIR=$WORK/k/lib/modules/$KVER
[[ -f $WORK/k/boot/vmlinuz-$KVER && -d $KDIR ]] || die "unexpected layout in $DEB"
# The package ships no modules.dep (postinst makes it), so generate one to resolve dependencies.
depmod -b "$WORK/k" "$KVER"

# Walk modules.dep: each wanted module plus everything it needs.
declare -A want=()
resolve() {
  local name=$1 line path
  line=$(grep -E "(^|/)${name}\.ko(\.[gx]z|\.zst)?:" "$KDIR/modules.dep" || true)
  [[ -n $line ]] || die "module $name not found in $KVER"
  path=${line%%:*}
  want[$path]=1
  for dep in ${line#*:}; do want[$dep]=1; done
}
for m in "${MODULES[@]}"; do resolve "$m"; done

INIT=$WORK/root
mkdir -p "$INIT"/{bin,sbin,etc,proc,sys,dev,run,tmp,var/run,lib/modules/"$KVER"}
for path in "${!want[@]}"; do
  mkdir -p "$INIT/lib/modules/$KVER/$(dirname "$path")"
  cp "$KDIR/$path" "$INIT/lib/modules/$KVER/$path"
done
cp "$KDIR"/modules.{order,builtin,builtin.modinfo} "$INIT/lib/modules/$KVER/" 2>/dev/null || true
depmod -b "$INIT" "$KVER"

cp "$BUSYBOX" "$INIT/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [[ $applet == busybox ]] || ln -sf busybox "$INIT/bin/$applet"
done

printf '%s\n' "${MODULES[@]}" >"$INIT/etc/modules"

cat >"$INIT/etc/udhcpc.sh" <<'EOF'
#!/bin/sh
# udhcpc calls this on lease events; configure the address so the guest is really on the net.
case "$1" in
  deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
  nak) echo "virtnet-guest: $interface nak ${message:-}" >/dev/console ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    if [ -n "$router" ]; then ip route replace default via "${router%% *}" dev "$interface"; fi
    echo "virtnet-guest: $interface $1 $ip/${mask:-24} router ${router:-none}" >/dev/console
    ;;
esac
exit 0
EOF

cat >"$INIT/init" <<'EOF'
#!/bin/sh
# PID 1 of the lab guest. It must never exit (the kernel would panic).
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "virtnet-guest: kernel $(uname -r)" >/dev/console

host=virtnet-guest
for arg in $(cat /proc/cmdline); do
  case "$arg" in hostname=*) host=${arg#hostname=} ;; esac
done
hostname "$host"

for m in $(cat /etc/modules); do
  modprobe "$m" || echo "virtnet-guest: modprobe $m failed" >/dev/console
done
ip link set lo up

# A root shell loop on the serial console, for a host that writes commands to the domain's
# serial device (/etc/channel.sh); started again should it ever end.
(while :; do sh /etc/channel.sh </dev/ttyS0 >/dev/ttyS0 2>&1; sleep 1; done) &

# Device probing can lag the module load a little; wait briefly for NICs to appear.
i=0
while [ $i -lt 50 ] && ! ls /sys/class/net | grep -q '^eth'; do sleep 0.1; i=$((i+1)); done

for dev in /sys/class/net/eth*; do
  [ -e "$dev" ] || continue
  n=${dev##*/}
  ip link set "$n" up
  echo "virtnet-guest: $n $(cat "$dev/address") driver $(basename "$(readlink "$dev/device/driver")")" >/dev/console
  # -b: go to the background whether or not the first lease arrives, so every NIC gets asked.
  # The pid file lets the host ask for a renew (kill -USR1) or a release (kill -USR2).
  udhcpc -i "$n" -b -S -s /etc/udhcpc.sh -x "hostname:$host" -t 20 -T 3 -A 5 -p "/run/udhcpc.$n.pid"
done

echo "virtnet-guest: ready" >/dev/console
while :; do sleep 3600; done
EOF
cat >"$INIT/etc/channel.sh" <<'EOF'
#!/bin/sh
# The command channel; stdin and stdout are the serial console. The host writes lines
# "ID COMMAND"; each command's output comes back between two framing lines with that ID.
stty -echo
while read -r id cmd; do
  echo "virtnet-guest: run $id"
  # A subshell, so that an `exit` in a command ends that command only.
  (eval "$cmd") </dev/null 2>&1
  echo "virtnet-guest: run $id exit $?"
done
EOF

chmod 755 "$INIT/init" "$INIT/etc/udhcpc.sh" "$INIT/etc/channel.sh"

log "packing initramfs (${#want[@]} modules)"
(cd "$INIT" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9) >"$WORK/initrd.img"
cp "$WORK/k/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
# Rename into place last, so a half-built cache never looks complete.
mv -f "$WORK/vmlinuz" "$OUT/vmlinuz"
mv -f "$WORK/initrd.img" "$OUT/initrd.img"
printf '%s\n' "$KEY" >"$OUT/stamp"
log "built $OUT/vmlinuz and $OUT/initrd.img for $KVER"
