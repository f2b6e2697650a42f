#!/usr/bin/env bash
# Turns an up lab host into "the host of the guide":
#   br9 (STP on) holding enp3s1, with the host's address and default route moved onto it;
#   tap vnet0 on br9; libvirt's default NAT network (virbr0 192.168.122.1/24, dnsmasq), autostarted;
#   domain c7 (TCG, q35, virtio NIC on network default) running with a DHCP lease;
#   domain zxdb (rtl8139 NIC on bridge br9) defined and shut off.
# Usage: seed.sh NAME   (env SEED_LEASE_TIMEOUT, default 120 s)
# Re-running on a seeded host only fills in what is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${VIRTNET_CACHE:-$ROOT/.cache}
LAB=$CACHE/lab
HERE=$(dirname "${BASH_SOURCE[0]}")
LEASE_TIMEOUT=${SEED_LEASE_TIMEOUT:-120}

log() { printf 'seed: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $# -eq 1 ]] || die "usage: seed.sh NAME"
NAME=$1
S=$LAB/$NAME/state
[[ -s $S/index ]] || die "lab host $NAME has no state (is it up?)"
INDEX=$(cat "$S/index")
t0=$SECONDS

bash "$HERE/guest-image.sh"
# The guest files go into the host's own /var/lib/libvirt/boot, as on a real host.
cp "$CACHE/guest/vmlinuz" "$S/lib/boot/virtnet-guest-vmlinuz"
cp "$CACHE/guest/initrd.img" "$S/lib/boot/virtnet-guest-initrd.img"

domain_xml() {
  # domain_xml NAME MAC INTERFACE-XML
  cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>192</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>/var/lib/libvirt/boot/virtnet-guest-vmlinuz</kernel>
    <initrd>/var/lib/libvirt/boot/virtnet-guest-initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 hostname=$1</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    $3
    <serial type='pty'>
      <log file='/var/log/libvirt/qemu/$1-serial.log' append='off'/>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

domain_xml c7 52:54:00:c7:00:01 "<interface type='network'>
      <mac address='52:54:00:c7:00:01'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>" >"$S/c7.xml"
domain_xml zxdb 52:54:00:2d:b0:01 "<interface type='bridge'>
      <mac address='52:54:00:2d:b0:01'/>
      <source bridge='br9'/>
      <model type='rtl8139'/>
    </interface>" >"$S/zxdb.xml"

# Everything below runs inside the lab host, in one process tree.
bash "$HERE/labhost.sh" exec "$NAME" -- bash -s -- "$INDEX" "$S" "$LEASE_TIMEOUT" <<'INNER'
set -euo pipefail
INDEX=$1 S=$2 LEASE_TIMEOUT=$3
ADDR=10.231.$INDEX.2 PEER=10.231.$INDEX.1
log() { printf 'seed: %s %s\n' "$(date +%T)" "$*" >&2; }
v() { virsh -q -c qemu:///system "$@"; }

if ! ip link show br9 >/dev/null 2>&1; then
  # One ip process moves address and route, so the ssh path is down for milliseconds only.
  # The bridge keeps enp3s1's MAC so the peer's neighbour entry stays valid; forward_delay is the
  # STP minimum (2 s) so the port reaches forwarding quickly.
  mac=$(cat /sys/class/net/enp3s1/address)
  ip -batch - <<EOF
link add br9 address $mac type bridge stp_state 1 forward_delay 200
link set enp3s1 master br9
link set br9 up
address del $ADDR/24 dev enp3s1
address add $ADDR/24 dev br9
route replace default via $PEER dev br9
EOF
  log "br9 holds enp3s1 and $ADDR/24"
fi
for _ in $(seq 100); do
  [[ $(cat /sys/class/net/enp3s1/brport/state 2>/dev/null) == 3 ]] && break   # 3 = forwarding
  sleep 0.1
done

# vnet0 first, so libvirt's own taps take other vnetN names.
if ! ip link show vnet0 >/dev/null 2>&1; then
  ip tuntap add dev vnet0 mode tap
  ip link set vnet0 master br9
  ip link set vnet0 up
fi

log "bridge ready"
if ! v net-info default >/dev/null 2>&1; then
  v net-define /usr/share/libvirt/networks/default.xml >/dev/null
fi
if [[ $(v net-info default | awk '/^Active:/ {print $2}') != yes ]]; then
  v net-start default >/dev/null
fi
v net-autostart default >/dev/null

log "network default active"
for d in c7 zxdb; do
  v dominfo "$d" >/dev/null 2>&1 || v define "$S/$d.xml" >/dev/null
done
if [[ $(v domstate c7) != running ]]; then
  v start c7 >/dev/null
  log "c7 started"
fi

t=$SECONDS
until v net-dhcp-leases default | grep -qi '52:54:00:c7:00:01'; do
  if ((SECONDS - t > LEASE_TIMEOUT)); then
    log "no lease for c7 after ${LEASE_TIMEOUT}s; serial log:"
    tail -n 20 /var/log/libvirt/qemu/c7-serial.log >&2 || true
    exit 1
  fi
  sleep 1
done
log "c7 lease after $((SECONDS - t))s"

echo "== $(hostname) as lab host (10.231.$INDEX.2)"
ip -br link show master br9 | sed 's/^/br9 port: /'
ip -br addr show dev br9; ip -br addr show dev virbr0
ip route show default
virsh -c qemu:///system list --all
virsh -c qemu:///system net-dhcp-leases default
virsh -c qemu:///system domiflist c7
INNER
log "seeded $NAME in $((SECONDS - t0))s"
