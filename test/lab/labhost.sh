#!/usr/bin/env bash
# A lab host: a network namespace vnl-NAME with a NIC enp3s1, a private mount namespace, its own
# sshd, virtlogd and libvirtd. Reached from the root namespace over a veth pair vn-NAME.
#
#   labhost.sh up NAME INDEX         (env LAB_NO_LIBVIRT=1: no virtlogd/libvirtd;
#                                     LAB_PRIVATE_RUN=1: a private /run, e.g. for DHCP clients)
#   labhost.sh down NAME             (idempotent, safe on a half-up host)
#   labhost.sh exec NAME -- ARGV...  (run inside the host's net + mount namespaces)
#   labhost.sh stop-libvirtd NAME | start-libvirtd NAME
#   labhost.sh status NAME | list
#
# Addresses: root side 10.231.INDEX.1/24 on vn-NAME, host 10.231.INDEX.2/24 on enp3s1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${VIRTNET_CACHE:-$ROOT/.cache}
LAB=$CACHE/lab
TIMEOUT=${LAB_TIMEOUT:-60}
SSH_CONFIG=$LAB/ssh_config
KNOWN_HOSTS=$LAB/known_hosts
CLIENT_KEY=$LAB/id_ed25519

log() { printf 'labhost: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

check_name() {
  # vn-NAME must fit the 15-character interface name limit.
  [[ $1 =~ ^[a-z0-9][a-z0-9-]{0,11}$ ]] || die "bad host name '$1' (a-z 0-9 -, at most 12)"
}

set_host() {
  NAME=$1
  check_name "$NAME"
  NS=vnl-$NAME
  VETH=vn-$NAME
  HDIR=$LAB/$NAME           # persistent: host keys survive down/up
  S=$HDIR/state             # recreated by every up, kept after down for post-mortems
}

ns_exists() { [[ -e /run/netns/$NS ]]; }
ns_inode() { stat -L -c %i "/run/netns/$NS" 2>/dev/null || true; }

# True when pid is alive and sits in this host's network namespace (guards against pid reuse).
pid_in_ns() {
  local pid=$1 want
  [[ $pid =~ ^[0-9]+$ ]] && [[ -e /proc/$pid ]] || return 1
  want=$(ns_inode)
  [[ -n $want && $(readlink "/proc/$pid/ns/net" 2>/dev/null) == "net:[$want]" ]]
}

read_pid() { [[ -s $1 ]] && tr -dc '0-9' <"$1" || true; }

holder_pid() {
  local pid
  pid=$(read_pid "$S/holder.pid")
  pid_in_ns "$pid" && echo "$pid" || true
}

need_holder() {
  HOLDER=$(holder_pid)
  [[ -n $HOLDER ]] || die "lab host $NAME is not up"
}

in_host() { nsenter -t "$HOLDER" -m -n -u -- "$@"; }
# Daemons start with a clean environment, as an init system would give them (and qemu inherits it).
in_host_daemon() { in_host env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

wait_for() {
  # wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.2 s until it succeeds.
  local limit=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { log "timed out after ${limit}s waiting for $what"; return 1; }
    sleep 0.2
  done
}

# ---- ssh client side files, shared by all hosts (edited under a lock) ----

with_lock() {
  mkdir -p "$LAB"
  (
    flock 9
    "$@"
  ) 9>"$LAB/.lock"
}

drop_client_entries() {
  local tmp
  if [[ -f $SSH_CONFIG ]]; then
    tmp=$(mktemp "$SSH_CONFIG.XXXXXX")
    awk -v b="# BEGIN $NS" -v e="# END $NS" '$0==b{skip=1} !skip{print} $0==e{skip=0}' "$SSH_CONFIG" >"$tmp"
    mv -f "$tmp" "$SSH_CONFIG"
  fi
  if [[ -f $KNOWN_HOSTS ]]; then
    tmp=$(mktemp "$KNOWN_HOSTS.XXXXXX")
    awk -v h="$NS" '{ n=split($1, names, ","); keep=1; for (i=1;i<=n;i++) if (names[i]==h) keep=0; if (keep) print }' \
      "$KNOWN_HOSTS" >"$tmp"
    mv -f "$tmp" "$KNOWN_HOSTS"
  fi
}

add_client_entries() {
  drop_client_entries
  cat >>"$SSH_CONFIG" <<EOF
# BEGIN $NS
Host $NS
  HostName $ADDR
  User root
  Port 22
  IdentityFile $CLIENT_KEY
  IdentitiesOnly yes
  UserKnownHostsFile $KNOWN_HOSTS
  StrictHostKeyChecking yes
  HostKeyAlias $NS
  BatchMode yes
  ConnectTimeout 10
# END $NS
EOF
  # Both the alias and the address, so plain `ssh root@ADDR` with this file verifies too.
  printf '%s,%s %s\n' "$NS" "$ADDR" "$(cut -d' ' -f1,2 "$HDIR/hostkeys/ssh_host_ed25519_key.pub")" >>"$KNOWN_HOSTS"
  chmod 600 "$SSH_CONFIG" "$KNOWN_HOSTS"
}

# ---- daemons ----

start_libvirt() {
  local pid
  pid=$(read_pid "$S/virtlogd.pid")
  if ! pid_in_ns "$pid"; then
    rm -f "$S/virtlogd.pid"
    in_host_daemon virtlogd -d -p "$S/virtlogd.pid" </dev/null >>"$S/virtlogd.out" 2>&1
  fi
  pid=$(read_pid "$S/libvirtd.pid")
  if ! pid_in_ns "$pid"; then
    rm -f "$S/libvirtd.pid"
    # QEMU's capabilities are the same for every lab host of this machine: reuse a probe made by
    # an earlier host (libvirtd checks it is still valid) to save seconds per start.
    if [[ -d $LAB/qemu-caps ]]; then cp -n "$LAB"/qemu-caps/*.xml "$S/cache/qemu/capabilities/" 2>/dev/null || true; fi
    in_host_daemon libvirtd -d -p "$S/libvirtd.pid" </dev/null >>"$S/libvirtd.out" 2>&1
  fi
  wait_for "$TIMEOUT" "libvirtd of $NAME" in_host virsh -c qemu:///system version ||
    { tail -n 20 "$S/log/libvirtd.log" "$S/libvirtd.out" >&2 2>/dev/null || true; return 1; }
  if [[ ! -d $LAB/qemu-caps ]] && ls "$S"/cache/qemu/capabilities/*.xml >/dev/null 2>&1; then
    mkdir -p "$LAB/qemu-caps.$$" && cp "$S"/cache/qemu/capabilities/*.xml "$LAB/qemu-caps.$$/" &&
      mv -T "$LAB/qemu-caps.$$" "$LAB/qemu-caps" 2>/dev/null || rm -rf "$LAB/qemu-caps.$$"
  fi
}

stop_pid() {
  # stop_pid PID: TERM, wait up to 5 s, then KILL; only if it is still in this host's netns.
  local pid=$1 i
  pid_in_ns "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    [[ -e /proc/$pid ]] || return 0
    # A zombie is gone for our purposes; its parent reaps it.
    [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]] && return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

stop_libvirtd() {
  stop_pid "$(read_pid "$S/libvirtd.pid")"
  rm -f "$S/libvirtd.pid"
}

# ---- commands ----

cmd_up() {
  [[ $# -eq 2 ]] || usage
  set_host "$1"
  local index=$2
  [[ $index =~ ^[0-9]+$ ]] && ((index >= 1 && index <= 254)) || die "INDEX must be 1..254"
  INDEX=$index
  ADDR=10.231.$INDEX.2
  PEER=10.231.$INDEX.1
  local t0=$SECONDS

  for tool in ip nsenter unshare ssh ssh-keygen flock; do
    command -v "$tool" >/dev/null || die "missing tool: $tool"
  done
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  ns_exists && die "$NS already exists (run: labhost.sh down $NAME)"
  ip link show "$VETH" >/dev/null 2>&1 && die "$VETH already exists (run: labhost.sh down $NAME)"
  [[ -z $(ip -o addr show to "10.231.$INDEX.0/24") ]] || die "10.231.$INDEX.0/24 is already in use in the root namespace"

  # From here on a failure (set -e, die, ^C) tears down whatever was built.
  UP_OK=0
  trap 'if [[ $UP_OK != 1 ]]; then log "up failed; tearing down $NAME"; cmd_down "$NAME" || true; fi' EXIT
  # Without these bash would die on a signal without running the EXIT trap.
  trap 'exit 130' INT
  trap 'exit 143' TERM

  mkdir -p "$HDIR/hostkeys"
  rm -rf "$S"
  mkdir -p "$S"/{etc,lib,log,cache,dhcp-lib,dhcpcd-lib}
  install -m 000 /dev/null "$S/no-kvm"
  printf '127.0.0.1\tlocalhost\n%s\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$ADDR" "$NS" >"$S/hosts"
  printf '# lab host %s: no DNS server\nnameserver 127.0.0.1\n' "$NAME" >"$S/resolv.conf"
  echo "$INDEX" >"$S/index"

  # The lab's client key and each host's own host key are made once and reused.
  [[ -f $CLIENT_KEY ]] || with_lock sh -c "[ -f '$CLIENT_KEY' ] || ssh-keygen -q -t ed25519 -N '' -C virtnet-lab -f '$CLIENT_KEY'"
  [[ -f $HDIR/hostkeys/ssh_host_ed25519_key ]] ||
    ssh-keygen -q -t ed25519 -N '' -C "$NS" -f "$HDIR/hostkeys/ssh_host_ed25519_key"
  cp "$CLIENT_KEY.pub" "$S/authorized_keys"

  # Network: the veth's far end is born inside the namespace with its NIC-like name.
  ip netns add "$NS"
  ip link add "$VETH" type veth peer name enp3s1 netns "$NS"
  ip addr add "$PEER/24" dev "$VETH"
  ip link set "$VETH" up
  ip -n "$NS" link set lo up
  ip -n "$NS" addr add "$ADDR/24" dev enp3s1
  ip -n "$NS" link set enp3s1 up
  ip -n "$NS" route add default via "$PEER" dev enp3s1

  # The holder keeps private mount and UTS namespaces alive; `ip netns exec` gives it a /sys of
  # this netns. Its own hostname makes the host look like a separate machine.
  setsid ip netns exec "$NS" unshare -m -u --propagation private -- sleep infinity </dev/null >/dev/null 2>&1 &
  local hpid=$!
  echo "$hpid" >"$S/holder.pid"
  wait_for 10 "the namespace holder" sh -c "[ \"\$(readlink /proc/$hpid/ns/mnt)\" != \"\$(readlink /proc/self/ns/mnt)\" ] && [ \"\$(cat /proc/$hpid/comm)\" = sleep ]"
  need_holder
  readlink "/proc/$HOLDER/ns/mnt" >"$S/mntns"
  in_host hostname "$NS"

  # Private copies of libvirt's state. /etc/libvirt starts from the packaged config minus any
  # domains or extra networks this machine's own libvirt may hold.
  cp -a /etc/libvirt/. "$S/etc/"
  rm -rf "$S/etc/qemu/autostart" "$S/etc/qemu/networks/autostart"/*
  find "$S/etc/qemu" -maxdepth 1 -name '*.xml' -delete
  find "$S/etc/qemu/networks" -maxdepth 1 -name '*.xml' ! -name default.xml -delete 2>/dev/null || true
  # libvirt would recreate the covered /dev/kvm in each guest's private /dev and fail on the
  # bind mount; the lab runs guests without that per-domain namespace.
  printf '\n# virtnet lab\nnamespaces = []\n' >>"$S/etc/qemu.conf"
  # The firewall backend of this host's network driver (libvirt 10+; unset: libvirt's choice,
  # iptables first): LAB_FIREWALL=iptables|nftables, so tests can run on both.
  case ${LAB_FIREWALL:-} in
    '') ;;
    iptables | nftables) printf '\n# virtnet lab\nfirewall_backend = "%s"\n' "$LAB_FIREWALL" >>"$S/etc/network.conf" ;;
    *) die "LAB_FIREWALL must be iptables or nftables, not $LAB_FIREWALL" ;;
  esac
  mkdir -p "$S/lib"/{boot,images,dnsmasq,qemu,network} "$S/log/qemu" "$S/cache/qemu/capabilities"
  # These mount points must exist in the shared tree before they can be covered.
  mkdir -p /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt /etc/libvirt /run/sshd /run/virtnet
  in_host sh -ec '
    # DHCP clients write pid files and sockets straight into /run (dhclient.IF.pid, dhcpcd/):
    # a host that runs them gets a /run of its own, so nothing lands in the machine'"'"'s /run.
    if [ "$2" = 1 ]; then
      mount -t tmpfs -o mode=0755 lab-run-all /run
      mkdir -p /run/libvirt /run/sshd /run/lock
    fi
    mount -t tmpfs -o mode=0755 lab-run /run/libvirt
    # VirtNet'"'"'s own state (plan journals, the host lock) is per host, as on a real machine.
    mkdir -p /run/virtnet
    mount -t tmpfs -o mode=0700 lab-virtnet /run/virtnet
    mount --bind "$1/etc" /etc/libvirt
    mount --bind "$1/lib" /var/lib/libvirt
    mount --bind "$1/log" /var/log/libvirt
    mount --bind "$1/cache" /var/cache/libvirt
    # Own name and no DNS server: resolving the hostname (libvirt does, at each domain start)
    # must answer at once instead of timing out against an unreachable resolver.
    mount --bind "$1/hosts" /etc/hosts
    if [ -f /etc/resolv.conf ]; then mount --bind "$1/resolv.conf" /etc/resolv.conf; fi
    # Leases, DUIDs and secrets of DHCP clients run on this host stay in its state directory.
    if [ -d /var/lib/dhcp ]; then mount --bind "$1/dhcp-lib" /var/lib/dhcp; fi
    if [ -d /var/lib/dhcpcd ]; then
      chown --reference=/var/lib/dhcpcd "$1/dhcpcd-lib" && chmod --reference=/var/lib/dhcpcd "$1/dhcpcd-lib"
      mount --bind "$1/dhcpcd-lib" /var/lib/dhcpcd
    fi
    # KVM hangs on these machines: hide it. An inaccessible file (not /dev/null) makes libvirt
    # see "no KVM" consistently; otherwise it re-probes QEMU on every define (20-30 s each).
    if [ -e /dev/kvm ]; then mount --bind "$1/no-kvm" /dev/kvm; fi
  ' sh "$S" "${LAB_PRIVATE_RUN:-0}"

  cat >"$S/sshd_config" <<EOF
# sshd of lab host $NAME (generated by labhost.sh)
Port 22
ListenAddress $ADDR
HostKey $HDIR/hostkeys/ssh_host_ed25519_key
PidFile $S/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AuthorizedKeysFile $S/authorized_keys
# The key file lives in a checkout whose directory modes we do not control.
StrictModes no
PrintMotd no
MaxSessions 64
MaxStartups 64:30:128
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
  in_host /usr/sbin/sshd -t -f "$S/sshd_config"
  in_host_daemon /usr/sbin/sshd -f "$S/sshd_config" -E "$S/sshd.log" </dev/null >/dev/null 2>&1

  if [[ ${LAB_NO_LIBVIRT:-0} != 1 ]]; then
    start_libvirt
  fi

  with_lock add_client_entries
  wait_for "$TIMEOUT" "ssh to $NS" ssh -F "$SSH_CONFIG" "$NS" true ||
    { tail -n 20 "$S/sshd.log" >&2 || true; false; }

  UP_OK=1
  log "$NAME up in $((SECONDS - t0))s: ssh -F $SSH_CONFIG $NS  (address $ADDR)"
}

cmd_down() {
  [[ $# -eq 1 ]] || usage
  set_host "$1"
  local pids=() pid comm order1=() order2=() holder=""

  if ns_exists; then
    holder=$(holder_pid)
    # Everything in the netns is ours: the daemons, guests, dnsmasq, ssh sessions, the holder.
    mapfile -t pids < <(ip netns pids "$NS" 2>/dev/null || true)
    for pid in "${pids[@]}"; do
      [[ $pid == "$holder" ]] && continue
      comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
      # Guests first so libvirtd is alive to notice, then everything else.
      if [[ $comm == qemu* ]]; then order1+=("$pid"); else order2+=("$pid"); fi
    done
    for pid in "${order1[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${order1[@]}"; do stop_pid "$pid"; done
    for pid in "${order2[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${order2[@]}"; do stop_pid "$pid"; done
    [[ -n $holder ]] && stop_pid "$holder"
    # Anything that slipped in meanwhile (a session started during teardown).
    for pid in $(ip netns pids "$NS" 2>/dev/null || true); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$NS" 2>/dev/null || true
  fi
  # A process that left the netns but kept our mount namespace (none expected) would pin the mounts.
  if [[ -s $S/mntns ]]; then
    local mnt
    mnt=$(cat "$S/mntns")
    for p in /proc/[0-9]*; do
      [[ $(readlink "$p/ns/mnt" 2>/dev/null) == "$mnt" ]] && kill -KILL "${p#/proc/}" 2>/dev/null || true
    done
  fi
  # Normally gone with its peer; an orphan (peer never moved) needs deleting.
  if ip link show "$VETH" >/dev/null 2>&1; then ip link del "$VETH" 2>/dev/null || true; fi
  rm -f "$S"/{holder,libvirtd,virtlogd,sshd}.pid
  if [[ -d $LAB ]]; then with_lock drop_client_entries; fi
  log "$NAME down"
}

cmd_exec() {
  [[ $# -ge 3 && $2 == -- ]] || usage
  set_host "$1"
  shift 2
  need_holder
  exec nsenter -t "$HOLDER" -m -n -u -- "$@"
}

cmd_stop_libvirtd() {
  [[ $# -eq 1 ]] || usage
  set_host "$1"
  need_holder
  stop_libvirtd
}

cmd_start_libvirtd() {
  [[ $# -eq 1 ]] || usage
  set_host "$1"
  need_holder
  start_libvirt
}

cmd_status() {
  [[ $# -eq 1 ]] || usage
  set_host "$1"
  if ! ns_exists; then echo "$NAME: down"; return 1; fi
  HOLDER=$(holder_pid)
  printf '%s: netns %s, holder %s, index %s\n' "$NAME" "$NS" "${HOLDER:-missing}" "$(cat "$S/index" 2>/dev/null || echo '?')"
  for d in virtlogd libvirtd sshd; do
    pid=$(read_pid "$S/$d.pid")
    if pid_in_ns "$pid"; then echo "  $d: $pid"; else echo "  $d: not running"; fi
  done
}

cmd_list() {
  local n
  for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^vnl-' || true); do echo "${n#vnl-}"; done
}

[[ $# -ge 1 ]] || usage
cmd=$1
shift
case $cmd in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  exec) cmd_exec "$@" ;;
  stop-libvirtd) cmd_stop_libvirtd "$@" ;;
  start-libvirtd) cmd_start_libvirtd "$@" ;;
  status) cmd_status "$@" ;;
  list) cmd_list "$@" ;;
  *) usage ;;
esac
