#!/usr/bin/env bash
# Builds the nested KVM host's boot files: Debian's kernel, its whole module tree (the guest binds
# it over /usr/lib/modules, so modprobe works there for anything libvirt or nft asks for) and a
# busybox initramfs that mounts this machine's / over virtio-9p under a tmpfs overlay and hands
# over to stage2.sh. Output in .cache/kvmhost/: vmlinuz, initrd.img, modules/KVER/, kver, stamp.
# A second run with the same kernel and the same script is a cache hit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
CACHE=${VIRTNET_CACHE:-$ROOT/.cache}
OUT=$CACHE/kvmhost
# Just enough to reach the real root; everything else loads from the 9p root in stage 2.
INITRD_MODULES=(virtio_pci 9pnet_virtio 9p overlay)

log() { printf 'kvmhost-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in apt-cache apt-get dpkg depmod cpio gzip sha256sum; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
BUSYBOX=/bin/busybox
[[ -x $BUSYBOX ]] || die "busybox-static is not installed"

PKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[[ -n $PKG ]] || die "cannot resolve linux-image-amd64 via apt-cache (run apt-get update?)"
KVER=${PKG#linux-image-}

KEY="$KVER $(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16) $(sha256sum "$BUSYBOX" | cut -c1-16)"
if [[ -f $OUT/stamp && -s $OUT/vmlinuz && -s $OUT/initrd.img && -f $OUT/modules/$KVER/modules.dep &&
  $(cat "$OUT/stamp") == "$KEY" ]]; then
  log "cache hit ($KVER)"
  exit 0
fi

mkdir -p "$OUT/deb"
WORK=$(mktemp -d "$OUT/build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# guest-image.sh keeps the same package in its own cache: one download serves both.
DEB=$(ls "$CACHE"/guest/deb/"${PKG}"_*.deb "$OUT"/deb/"${PKG}"_*.deb 2>/dev/null | head -n1 || true)
if [[ -z $DEB ]]; then
  log "downloading $PKG"
  (cd "$OUT/deb" && apt-get download -q "$PKG" 2>&1 | grep -v 'unsandboxed' >&2 || true)
  DEB=$(ls "$OUT"/deb/"${PKG}"_*.deb 2>/dev/null | head -n1 || true)
  [[ -n $DEB ]] || die "apt-get download $PKG failed"
fi
find "$OUT/deb" -name 'linux-image-*.deb' ! -name "${PKG}_*" -delete

log "extracting $(basename "$DEB")"
dpkg -x "$DEB" "$WORK/k"
KDIR=$WORK/k/lib/modules/$KVER
[[ -f $WORK/k/boot/vmlinuz-$KVER && -d $KDIR ]] || die "unexpected layout in $DEB"
# The package's postinst makes modules.dep; nothing runs it here.
depmod -b "$WORK/k" "$KVER"

declare -A want=()
resolve() {
  local name=$1 line
  line=$(grep -E "(^|/)${name}\.ko(\.[gx]z|\.zst)?:" "$KDIR/modules.dep" || true)
  [[ -n $line ]] || die "module $name not found in $KVER"
  want[${line%%:*}]=1
  for dep in ${line#*:}; do want[$dep]=1; done
}
for m in "${INITRD_MODULES[@]}"; do resolve "$m"; done

INIT=$WORK/root
mkdir -p "$INIT"/{bin,etc,proc,sys,dev,lower,rw,newroot,lib/modules/"$KVER"}
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
printf '%s\n' "${INITRD_MODULES[@]}" >"$INIT/etc/modules"

cat >"$INIT/init" <<'EOF'
#!/bin/sh
# Stage 1: reach the real root and hand over. Any failure ends in a panic, and with panic=1 and
# QEMU's -no-reboot the machine stops at once, so the host side sees it instead of waiting.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "kvmhost: $*" >/dev/console; }
conf=
for arg in $(cat /proc/cmdline); do
  case "$arg" in vnl.conf=*) conf=${arg#vnl.conf=} ;; esac
done
[ -n "$conf" ] || { say "no vnl.conf= on the kernel command line"; exit 1; }
for m in $(cat /etc/modules); do modprobe "$m" || { say "modprobe $m failed"; exit 1; }; done
# The host's / is the lower layer, read-only; every write of the guest lands in its RAM.
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro hostroot /lower ||
  { say "mounting the 9p root failed"; exit 1; }
mount -t tmpfs -o mode=0755 rw /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
  { say "overlay mount failed"; exit 1; }
[ -x "/newroot$conf/stage2.sh" ] || { say "no $conf/stage2.sh in the 9p root"; exit 1; }
for d in dev proc sys; do mount --move /$d /newroot/$d; done
say "stage 1 done, switching root"
exec switch_root /newroot /bin/bash "$conf/stage2.sh" "$conf"
EOF
chmod 755 "$INIT/init"

rm -f "$OUT/stamp"
log "packing initramfs (${#want[@]} modules)"
(cd "$INIT" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -6) >"$WORK/initrd.img"
rm -rf "$OUT/modules.old"
[[ -d $OUT/modules ]] && mv "$OUT/modules" "$OUT/modules.old"
mkdir -p "$OUT/modules"
mv "$KDIR" "$OUT/modules/$KVER"
rm -rf "$OUT/modules.old"
mv -f "$WORK/k/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
mv -f "$WORK/initrd.img" "$OUT/initrd.img"
echo "$KVER" >"$OUT/kver"
# Last, so a half-built cache never looks complete.
printf '%s\n' "$KEY" >"$OUT/stamp"
log "built $OUT/{vmlinuz,initrd.img,modules/$KVER} for $KVER"
