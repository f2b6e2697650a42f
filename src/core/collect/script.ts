/**
 * The collector: one read-only bash script run on the host per refresh. It prints every fact in
 * one output, in sections delimited by a per-run nonce, so a refresh is one round trip whatever
 * the number of bridges, networks, domains or devices. It never changes anything on the host.
 *
 * Arguments: $1 = section nonce, $2 = libvirt URI.
 * Read-only, with one exception: the journal section marks a finished plan's outcome as reported
 * when its own client is gone (VirtNet's bookkeeping under /run/virtnet, see journal.ts).
 * Each section is `@@<nonce> <name>` ... `@@<nonce>-rc <name> <code>`; stderr of a section follows
 * as a section named `<name>.stderr` when it is not empty.
 *
 * Kept as a string (not a file) so the bundle, the CLI and the tests all carry the same text.
 * Written without `${...}` so the TypeScript template literal never interpolates.
 */
import { FORWARDS_STATE } from '../ops/forward/state';
import { FORWARDS_SYNC } from '../ops/forward/script';
import { JOURNAL_SCRIPT } from '../ops/journal';

export const COLLECTOR_SCRIPT =
  String.raw`
# Set (possibly empty) before set -u: local runs have no SSH session.
SSH_CONNECTION=$SSH_CONNECTION
set -u
# Nothing in here reads input: a sudo password line (when used) has been consumed by sudo already.
exec </dev/null
export LC_ALL=C
N=$1
URI=$2
T0=$(date +%s%N)
ERR=$(mktemp 2>/dev/null || echo /tmp/virtnet-collect.$$)
trap 'rm -f "$ERR" "$ERR".*' EXIT

# A tool counts only if an executable file by that name is on PATH. A loop over PATH instead of
# command -v in a subshell: no process per tool, and a non-executable file does not count.
have() {
  local d IFS=:
  for d in $PATH; do
    [ -f "$d/$1" ] && [ -x "$d/$1" ] && return 0
  done
  return 1
}

# sec NAME CMD...: runs CMD, frames its stdout, and its stderr as NAME.stderr when any.
sec() {
  local name=$1 rc
  shift
  printf '@@%s %s\n' "$N" "$name"
  "$@" 2>"$ERR"
  rc=$?
  printf '\n@@%s-rc %s %s\n' "$N" "$name" "$rc"
  if [ -s "$ERR" ]; then
    printf '@@%s %s.stderr\n' "$N" "$name"
    cat "$ERR"
    printf '\n@@%s-rc %s.stderr 0\n' "$N" "$name"
  fi
}

# Facts read with shell builtins where possible: a refresh should not fork a process per fact.
host_facts() {
  local v flags
  read -r v < /proc/sys/kernel/hostname && echo "hostname=$v"
  read -r v < /proc/sys/kernel/osrelease && echo "kernel=$v"
  [ -r /etc/machine-id ] && read -r v < /etc/machine-id && echo "machine.id=$v"
  echo "uid=$EUID"
  # client-ip client-port server-ip server-port of the SSH session we arrived on (empty locally).
  echo "ssh.connection=$SSH_CONNECTION"
  read -r v < /proc/cmdline && echo "cmdline=$v"
  for t in ip bridge virsh brctl nmcli networkctl netplan ifup nft iptables dnsmasq lspci ethtool qemu-img virt-install qemu-system-x86_64 qemu-kvm dhclient dhcpcd udhcpc flock setsid; do
    if have "$t"; then echo "tool.$t=1"; else echo "tool.$t=0"; fi
  done
  for q in /usr/libexec/qemu-kvm /usr/bin/qemu-kvm /usr/bin/qemu-system-x86_64; do
    [ -x "$q" ] && { echo "qemu=$q"; break; }
  done
  [ -e /dev/kvm ] && echo "dev.kvm=1" || echo "dev.kvm=0"
  [ -r /dev/kvm ] && [ -w /dev/kvm ] && echo "dev.kvm.rw=1" || echo "dev.kvm.rw=0"
  flags=
  while read -r v; do
    case "$v" in flags*) flags=" $v "; break ;; esac
  done < /proc/cpuinfo
  case "$flags" in
    *" vmx "*) echo "cpu.virt=1"; echo "cpu.vendor=intel" ;;
    *" svm "*) echo "cpu.virt=1"; echo "cpu.vendor=amd" ;;
    *) echo "cpu.virt=0" ;;
  esac
  [ -c /dev/net/tun ] && echo "dev.tun=1" || echo "dev.tun=0"
  [ -d /sys/module/tun ] && echo "mod.tun=1" || echo "mod.tun=0"
  [ -d /sys/module/kvm ] && echo "mod.kvm=1" || echo "mod.kvm=0"
  [ -d /sys/module/vhost_net ] && echo "mod.vhost_net=1" || echo "mod.vhost_net=0"
  [ -c /dev/vhost-net ] && echo "dev.vhost_net=1" || echo "dev.vhost_net=0"
  groups=0
  for g in /sys/kernel/iommu_groups/*; do [ -e "$g" ] && groups=$((groups + 1)); done
  echo "iommu.groups=$groups"
  for v in /sys/class/iommu/*; do [ -e "$v" ] && echo "iommu.unit=$v"; done
  [ -d /sys/bus/pci/drivers/vfio-pci ] && echo "vfio.driver=1" || echo "vfio.driver=0"
  [ -d /sys/module/vfio_pci ] && echo "mod.vfio_pci=1" || echo "mod.vfio_pci=0"
  # Loadable but not loaded: the module file exists for this kernel.
  read -r v < /proc/sys/kernel/osrelease
  v=$(echo /lib/modules/"$v"/kernel/drivers/vfio/pci/vfio-pci.ko*)
  case "$v" in *'*') echo "vfio.module=0" ;; *) echo "vfio.module=1" ;; esac
  [ -d /sys/bus/pci ] && echo "pci.bus=1" || echo "pci.bus=0"
  # Which network manager owns the host's configuration.
  [ -d /run/NetworkManager ] && echo "nm.running=1"
  [ -d /run/systemd/netif ] && echo "networkd.running=1"
  for v in /etc/netplan/*.yaml; do [ -e "$v" ] && { echo "netplan.files=1"; break; }; done
  [ -f /etc/network/interfaces ] && echo "ifupdown.files=1"
  [ -w / ] && echo "fs.writable=1"
}

# One line per PCI device worth showing: network class, SR-IOV capable, a VF, or bound to
# vfio-pci. The filter uses only builtins, so devices of no interest cost no process.
pci_walk() {
  local addr class drv vendor device group numa total num pf nets vfs v
  cd /sys/bus/pci/devices 2>/dev/null || return 0
  for addr in *; do
    [ -e "$addr/class" ] || continue
    read -r class < "$addr/class"
    case "$class" in 0x02*) ;; *)
      [ -e "$addr/sriov_totalvfs" ] || [ -e "$addr/physfn" ] || [ -e "/sys/bus/pci/drivers/vfio-pci/$addr" ] || continue ;;
    esac
    drv=; [ -e "$addr/driver" ] && drv=$(basename "$(readlink "$addr/driver")")
    read -r vendor < "$addr/vendor"; read -r device < "$addr/device"
    group=; [ -e "$addr/iommu_group" ] && group=$(basename "$(readlink "$addr/iommu_group")")
    numa=; [ -r "$addr/numa_node" ] && read -r numa < "$addr/numa_node"
    total=; [ -r "$addr/sriov_totalvfs" ] && read -r total < "$addr/sriov_totalvfs"
    num=; [ -r "$addr/sriov_numvfs" ] && read -r num < "$addr/sriov_numvfs"
    pf=; [ -e "$addr/physfn" ] && pf=$(basename "$(readlink "$addr/physfn")")
    nets=
    # virtio NICs keep their netdev one level down, under virtioN/.
    for v in "$addr"/net/* "$addr"/virtio*/net/*; do [ -e "$v" ] && nets="$nets$(basename "$v"),"; done
    vfs=
    for v in "$addr"/virtfn*; do
      [ -e "$v" ] || continue
      vfs="$vfs$(basename "$v" | sed 's/^virtfn//'):$(basename "$(readlink "$v")"),"
    done
    printf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$addr" "$class" "$vendor" "$device" "$drv" "$group" "$numa" "$nets" "$total" "$num" "$pf" "$vfs"
  done
  cd /
}

# Per netdev: the PCI device behind it, its PF if it is a VF, and its driver. Virtual devices
# (taps, veths, bridges: most netdevs on a busy host) cost no process at all: names come from
# the glob inside /sys/class/net and reads are shell builtins; only real devices readlink.
net_walk() {
  local name dev pf drv tun
  cd /sys/class/net 2>/dev/null || return 0
  for name in *; do
    [ -e "$name" ] || continue
    dev= pf= drv= tun=
    if [ -e "$name/device" ]; then
      dev=$(basename "$(readlink "$name/device")")
      [ -e "$name/device/physfn" ] && pf=$(basename "$(readlink "$name/device/physfn")")
      [ -e "$name/device/driver" ] && drv=$(basename "$(readlink "$name/device/driver")")
    fi
    [ -r "$name/tun_flags" ] && read -r tun < "$name/tun_flags"
    printf '%s|%s|%s|%s|%s\n' "$name" "$dev" "$pf" "$drv" "$tun"
  done
  cd /
}

` +
  JOURNAL_SCRIPT +
  String.raw`
# VirtNet's port forwards (none until the first is added).
forwards_read() {
  [ -r ${FORWARDS_STATE} ] && cat ${FORWARDS_STATE}
  return 0
}

# Which of them the firewall does not hold now: the sync script says, changing nothing.
forwards_check() {
  [ -x ${FORWARDS_SYNC} ] && ${FORWARDS_SYNC} --check
  return 0
}

# What libvirt's running daemons saw of its hook scripts: libvirt looks for them only when a
# daemon starts, so a script added later runs only after the next start. Lines: "systemd" (the
# daemons are units), "daemon COMM PID START" per driver socket listened on (START in epoch
# seconds, from /proc/PID/stat), "hook DRIVER CTIME" per executable hook of the qemu and network
# drivers (the main script or one in DRIVER.d).
hooks_read() {
  local tck btime s pid start d f
  [ -d /run/systemd/system ] && echo systemd
  tck=$(getconf CLK_TCK 2>/dev/null) || tck=100
  btime=$(sed -n 's/^btime //p' /proc/stat)
  for s in libvirt virtqemud virtnetworkd; do
    # The listener that is not systemd (socket activation holds the socket too).
    pid=$(ss -Hxlp 2>/dev/null | awk -v p="/run/libvirt/$s-sock" '$5 == p {
      rest = $0
      while (match(rest, /"[^"]*",pid=[0-9]+/)) {
        m = substr(rest, RSTART, RLENGTH); rest = substr(rest, RSTART + RLENGTH)
        if (m !~ /^"systemd"/) { sub(/.*pid=/, "", m); print m; exit }
      }
    }')
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || continue
    start=$(sed 's/.*) //' "/proc/$pid/stat" | awk -v t="$tck" -v b="$btime" '{ print int(b + $20 / t) }')
    printf 'daemon %s %s %s\n' "$(cat "/proc/$pid/comm")" "$pid" "$start"
  done
  for d in qemu network; do
    for f in "/etc/libvirt/hooks/$d" "/etc/libvirt/hooks/$d.d"/*; do
      [ -f "$f" ] && [ -x "$f" ] && printf 'hook %s %s\n' "$d" "$(stat -c %Z "$f")"
    done
  done
  return 0
}

qemu_nic_models() {
  local q= c
  for c in /usr/libexec/qemu-kvm /usr/bin/qemu-kvm /usr/bin/qemu-system-x86_64; do
    [ -x "$c" ] && { q=$c; break; }
  done
  [ -n "$q" ] || q=$(command -v qemu-system-x86_64 || true)
  [ -n "$q" ] || { echo "no qemu binary found" >&2; return 3; }
  # -device help needs no accelerator and starts no guest.
  timeout 10 "$q" -nodefaults -machine none -device help 2>&1 | sed -n '/^Network devices:/,/^$/p'
}

# frame NAME FILE RC [ERRFILE]: prints a captured output as a section (and its stderr).
frame() {
  printf '@@%s %s\n' "$N" "$1"
  cat "$2"
  printf '\n@@%s-rc %s %s\n' "$N" "$1" "$3"
  if [ -s "$ERR" ]; then
    printf '@@%s %s.stderr\n' "$N" "$1"; cat "$ERR"; printf '\n@@%s-rc %s.stderr 0\n' "$N" "$1"
  fi
}

# libvirt in two virsh processes whatever the number of objects: one lists UUIDs, one dumps
# every object. Several commands go to one virsh as one string separated by ';' (virsh only
# splits a single argument that way). Only fixed words, the hex nonce and UUIDs that passed a
# strict pattern go into that string: never a name, which could hold virsh's quoting characters.
# virsh's echo prints no newline, so each marker closes with '@@'.
virsh_all() {
  local L O rc u cmds
  if ! have virsh; then
    sec virsh.lists sh -c 'echo "virsh: command not found" >&2; exit 127'
    return 0
  fi
  L=$ERR.lists
  cmds="echo @@$N-part nets-all@@ ; net-list --all --uuid ;"
  cmds="$cmds echo @@$N-part nets-active@@ ; net-list --uuid ;"
  cmds="$cmds echo @@$N-part nets-autostart@@ ; net-list --all --autostart --uuid ;"
  cmds="$cmds echo @@$N-part nets-persistent@@ ; net-list --all --persistent --uuid ;"
  cmds="$cmds echo @@$N-part doms-all@@ ; list --all --uuid ;"
  cmds="$cmds echo @@$N-part doms-active@@ ; list --uuid ;"
  cmds="$cmds echo @@$N-part doms-persistent@@ ; list --all --persistent --uuid ;"
  cmds="$cmds echo @@$N-part doms-autostart@@ ; list --all --autostart --uuid ;"
  cmds="$cmds echo @@$N-part end@@"
  timeout 30 virsh -q -c "$URI" "$cmds" > "$L" 2>"$ERR"
  rc=$?
  frame virsh.lists "$L" "$rc"
  [ "$rc" = 0 ] || { rm -f "$L"; return 0; }
  # One awk turns the UUID lists into the second run's command string (no process per object).
  # A definition (--inactive), which edits start from, differs from an object's XML only while it
  # runs: it is dumped on its own for active persistent objects only.
  cmds=$(awk -v n="$N" '
    /@@/ { k = split($0, a, "@@" n "-part "); if (k > 1) { part = a[k]; sub(/@@.*/, "", part) } }
    {
      u = $0; gsub(/@@[^@]*@@/, "", u); gsub(/[ \t\r]/, "", u)
      if (length(u) != 36 || u !~ /^[0-9a-f-]+$/) next
      if (part == "nets-all") nx = nx " echo @@" n "-part net-xml " u "@@ ; net-dumpxml " u " ;"
      if (part == "nets-active") nl = nl " echo @@" n "-part net-leases " u "@@ ; net-dhcp-leases " u " ;"
      if (part == "doms-all") dx = dx " echo @@" n "-part dom-state " u "@@ ; domstate " u " ; echo @@" n "-part dom-xml " u "@@ ; dumpxml " u " ;"
      if (part == "nets-active") netup[u] = 1
      if (part == "doms-active") domup[u] = 1
      if (part == "nets-persistent" && (u in netup)) ni = ni " echo @@" n "-part net-xml-inactive " u "@@ ; net-dumpxml --inactive " u " ;"
      if (part == "doms-persistent" && (u in domup)) di = di " echo @@" n "-part dom-xml-inactive " u "@@ ; dumpxml --inactive " u " ;"
    }
    END { printf "%s%s%s%s%s", nx, ni, nl, dx, di }' "$L")
  if [ -n "$cmds" ]; then
    O=$ERR.objects
    timeout 60 virsh -q -c "$URI" "$cmds echo @@$N-part end@@" > "$O" 2>"$ERR"
    rc=$?
    frame virsh.objects "$O" "$rc"
    rm -f "$O"
  fi
  rm -f "$L"
}

collect_all() {
  sec host host_facts
  if have ip; then
    sec ip.link ip -j -d link show
    sec ip.addr ip -j addr show
    # The host's neighbours: a bridged guest's address, which no lease of libvirt's knows.
    sec ip.neigh ip -j neigh show
    sec ip.route ip -j route show
    sec ip.route6 ip -j -6 route show
    # Which interface and gateway carry the session: the kernel's own answer for the client.
    set -- $SSH_CONNECTION
    [ "$#" -gt 0 ] && sec ip.routeget ip -j route get "$1"
  else
    sec ip.link sh -c 'echo "ip (iproute2) not installed" >&2; exit 127'
  fi
  if have bridge; then sec bridge.link bridge -j link show; fi
  sec net.walk net_walk
  sec pci.walk pci_walk
  if have lspci; then sec lspci lspci -mm -D; fi
  sec qemu.nics qemu_nic_models
  sec journal journal_read
  sec forwards.state forwards_read
  sec forwards.check forwards_check
  if have iptables; then sec fw.prerouting iptables -w -t nat -S PREROUTING; fi
  if have ss; then sec ss.listen ss -Hltnu; fi
  sec ports.ephemeral cat /proc/sys/net/ipv4/ip_local_port_range
  sec libvirt.hooks hooks_read
  virsh_all
  T1=$(date +%s%N)
  printf '@@%s collect.ms\n%s\n@@%s-rc collect.ms 0\n' "$N" "$(( (T1 - T0) / 1000000 ))" "$N"
}

# Everything goes to a file first and leaves in one write: dribbling small writes over a
# non-tty SSH session meets Nagle and delayed ACKs, costing round trips on a slow link.
OUT=$ERR.out
collect_all > "$OUT"
cat "$OUT"
`;
