/**
 * The script that makes the host's firewall hold exactly the forwards of the state file, and the
 * libvirt hooks that run it. It is the only writer of VirtNet's rules: a plan changes the state
 * file and runs it; the hooks run it again whenever libvirt has rebuilt its own rules or brought
 * a guest or network up. With no forwards left it takes every rule, chain and table of VirtNet's
 * away, so the firewall is as it was before the first forward.
 *
 * Where the rules go, so libvirt's reject of new inbound connections cannot shadow them:
 * - iptables: VirtNet's own chains, jumped to first (FORWARD position 1, ahead of libvirt's
 *   LIBVIRT_FWX/FWI/FWO jumps; nat PREROUTING and OUTPUT for local destinations; nat POSTROUTING
 *   for the hairpin's masquerade);
 * - nftables: the DNAT in VirtNet's own table (`ip virtnet`), the accept inside libvirt's own
 *   `ip libvirt_network` table, chain guest_input (an accept in another table cannot override
 *   libvirt's reject there), first in that chain.
 * The backend is the one libvirt uses now (its table or its chain exists). Hooks must not call
 * libvirt (it would deadlock) and must not fail (a failing reconnect hook kills the guest): the
 * script calls only iptables, nft and ip (a forwarded guest's tap back on its bridge after a
 * network restart), and the hooks always exit 0.
 */
import { FORWARDS_STATE } from './state';

/** Where the plan installs the script (libvirt's state directory, beside the state file). */
export const FORWARDS_SYNC = '/var/lib/libvirt/virtnet/forwards-sync';

/** VirtNet's own hook files: beside the user's main hook scripts, never instead of them. */
export const FORWARD_HOOKS = { qemu: '/etc/libvirt/hooks/qemu.d/virtnet-forwards', network: '/etc/libvirt/hooks/network.d/virtnet-forwards' } as const;

/** The comment every rule carries, so the script finds its own and touches nothing else. */
export const RULE_TAG = 'virtnet-forward';

// A template: ${'{'} writes the shell's own "${", which a template would take for its own.
export const SYNC_SCRIPT = String.raw`#!/bin/sh
# Written by VirtNet: makes the firewall hold exactly the forwards in the state file.
# Usage: forwards-sync [--check] [STATE]   (errors go to stderr; the hooks ignore the status)
#   --check: change nothing; say (on stdout) what of the state is not in force, exit 1 if any.
check=0
# fd 3: where a refused rule's own error goes (nowhere while checking).
exec 3>&2
[ "$1" = --check ] && { check=1; exec 3>/dev/null; shift; }
state=$1
[ -n "$state" ] || state=${FORWARDS_STATE}
tag=${RULE_TAG}
status=0
fail() { if [ $check = 1 ]; then echo "$*"; else echo "virtnet forwards: $*" >&2; fi; status=1; }

# The forwards as words: proto host-port guest-ip guest-port bridge host-address from-host vm mac
# hairpin-subnet (absent in lines written before hairpin existed: off).
lines() { [ -f "$state" ] && grep -E '^(tcp|udp) ' "$state"; }

backend=none
if nft list table ip libvirt_network >/dev/null 2>&1; then backend=nftables
elif iptables -w -S LIBVIRT_FWI >/dev/null 2>&1; then backend=iptables
fi

ipt() { iptables -w "$@"; }

# A running guest's tap, by the guest's MAC (libvirt gives the tap the guest's with fe: first).
tap_of() {
  want=fe:$(echo "$1" | cut -d: -f2-)
  for d in /sys/class/net/*; do [ "$(cat "$d/address" 2>/dev/null)" = "$want" ] && basename "$d"; done
}

# libvirt leaves a running guest's tap off the bridge it makes anew when its network restarts; a
# forward needs it on.
reattach() {
  for t in $(tap_of "$2"); do
    [ -e "/sys/class/net/$t/master" ] || ip link set dev "$t" master "$1" || fail "cannot put $t back on $1"
  done
}

# With br_netfilter on (bridge-nf-call-iptables), a DNAT back onto the bridge a frame came from is
# bridged, not routed: a guest's connection to its own forward must leave by the port it came in
# on, which a bridge does only in hairpin mode. VirtNet remembers the taps it set, to unset only those.
hairpins=$state.hairpin
hairpin_now=
hairpin_tap() {
  [ -n "$1" ] && [ "$1" != - ] || return 0
  [ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)" = 1 ] || return 0
  for t in $(tap_of "$2"); do
    ip link set dev "$t" type bridge_slave hairpin on || fail "cannot set hairpin mode on $t"
    hairpin_now="$hairpin_now $t"
  done
}
hairpin_settle() {
  for t in $(cat "$hairpins" 2>/dev/null); do
    case " $hairpin_now " in *" $t "*) continue ;; esac
    [ -e "/sys/class/net/$t" ] && { ip link set dev "$t" type bridge_slave hairpin off || fail "cannot unset hairpin mode on $t"; }
  done
  if [ -n "$hairpin_now" ]; then echo "$hairpin_now" > "$hairpins"; else rm -f "$hairpins"; fi
}

iptables_clear() {
  while ipt -D FORWARD -j VIRTNET_FWD 2>/dev/null; do :; done
  while ipt -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j VIRTNET_DNAT 2>/dev/null; do :; done
  while ipt -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j VIRTNET_OUT 2>/dev/null; do :; done
  while ipt -t nat -D POSTROUTING -j VIRTNET_SNAT 2>/dev/null; do :; done
  for c in filter:VIRTNET_FWD nat:VIRTNET_DNAT nat:VIRTNET_OUT nat:VIRTNET_SNAT; do
    ipt -t "$${'{'}c%%:*}" -F "$${'{'}c#*:}" 2>/dev/null && ipt -t "$${'{'}c%%:*}" -X "$${'{'}c#*:}"
  done
  return 0
}

# One forward's rules; $1 is -A (add them) or -C (check that they are there), the rest its words.
ipt_forward() {
  a=$1 proto=$2 hp=$3 ip=$4 gp=$5 br=$6 addr=$7 fromhost=$8 vm=$9
  shift 9
  mac=$1 hairpin=$2
  dst=; [ "$addr" = - ] || dst="-d $addr"
  c="$tag:$vm:$mac"
  ipt -t nat "$a" VIRTNET_DNAT -p "$proto" $dst --dport "$hp" -m comment --comment "$c" -j DNAT --to-destination "$ip:$gp" 2>&3 || fail "$proto $hp: no DNAT"
  [ "$fromhost" = 1 ] && { ipt -t nat "$a" VIRTNET_OUT -p "$proto" $dst --dport "$hp" -m comment --comment "$c" -j DNAT --to-destination "$ip:$gp" 2>&3 || fail "$proto $hp: no OUTPUT DNAT"; }
  ipt "$a" VIRTNET_FWD -o "$br" -d "$ip" -p "$proto" --dport "$gp" -m conntrack --ctstate NEW -m comment --comment "$c" -j ACCEPT 2>&3 || fail "$proto $hp: no accept"
  # Hairpin: a neighbour's connection, DNATed back onto its own bridge, leaves with the host's
  # address as its source, so the guest answers through the host and not straight to it.
  [ -n "$hairpin" ] && [ "$hairpin" != - ] && { ipt -t nat "$a" VIRTNET_SNAT -s "$hairpin" -o "$br" -d "$ip" -p "$proto" --dport "$gp" -m conntrack --ctstate DNAT -m comment --comment "$c" -j MASQUERADE 2>&3 || fail "$proto $hp: no hairpin masquerade"; }
  return 0
}

iptables_apply() {
  iptables_clear
  [ -n "$(lines)" ] || return 0
  ipt -N VIRTNET_FWD && ipt -t nat -N VIRTNET_DNAT && ipt -t nat -N VIRTNET_OUT && ipt -t nat -N VIRTNET_SNAT ||
    { fail "cannot make VirtNet's chains"; return; }
  # A here-document, not a pipe: the loop runs in this shell, so fail() sets the status.
  while read -r proto hp ip gp br addr fromhost vm mac hairpin; do
    ipt_forward -A "$proto" "$hp" "$ip" "$gp" "$br" "$addr" "$fromhost" "$vm" "$mac" "$hairpin"
    reattach "$br" "$mac"
    hairpin_tap "$hairpin" "$mac"
  done <<EOF
$(lines)
EOF
  # First, ahead of libvirt's own jumps (which it adds only where missing).
  ipt -I FORWARD 1 -j VIRTNET_FWD && ipt -t nat -I PREROUTING 1 -m addrtype --dst-type LOCAL -j VIRTNET_DNAT &&
    ipt -t nat -I OUTPUT 1 -m addrtype --dst-type LOCAL -j VIRTNET_OUT && ipt -t nat -I POSTROUTING 1 -j VIRTNET_SNAT ||
    fail "cannot jump to VirtNet's chains"
}

# What a firewall rebuilt since the last sync (a firewalld reload, a network daemon restarted on
# its own, a flush by hand) took from the forwards: what the hooks would put back.
iptables_check() {
  [ "$(ipt -S FORWARD 2>/dev/null | grep "^-A" | head -n 1)" = "-A FORWARD -j VIRTNET_FWD" ] || fail "FORWARD does not jump to VIRTNET_FWD first"
  ipt -t nat -C PREROUTING -m addrtype --dst-type LOCAL -j VIRTNET_DNAT 2>/dev/null || fail "nat PREROUTING does not jump to VIRTNET_DNAT"
  ipt -t nat -C POSTROUTING -j VIRTNET_SNAT 2>/dev/null || fail "nat POSTROUTING does not jump to VIRTNET_SNAT"
  while read -r proto hp ip gp br addr fromhost vm mac hairpin; do
    ipt_forward -C "$proto" "$hp" "$ip" "$gp" "$br" "$addr" "$fromhost" "$vm" "$mac" "$hairpin"
  done <<EOF
$(lines)
EOF
}

nft_check() {
  pre=$(nft list chain ip virtnet prerouting 2>/dev/null) || { fail "no table ip virtnet"; return; }
  gi=$(nft list chain ip libvirt_network guest_input 2>/dev/null)
  while read -r proto hp ip gp br addr fromhost vm mac hairpin; do
    c="$tag:$vm:$mac"
    echo "$pre" | grep -F "$proto dport $hp dnat to $ip:$gp" | grep -qF "\"$c\"" || fail "$proto $hp: no DNAT"
    # libvirt inserts its rules at the top when it rebuilds them: its reject (with a counter
    # between: oifname "virbr0" counter packets 0 bytes 0 reject) may now come first.
    first=$(echo "$gi" | grep -E "dport $gp ct state new accept comment \"$c\"|oif(name)? \"?$br\"? .*reject" | head -n 1)
    case $first in *accept*) ;; *) fail "$proto $hp: no accept ahead of libvirt's reject in guest_input" ;; esac
  done <<EOF
$(lines)
EOF
}

# A running guest's tap off its bridge (a network restarted without the hook) gets nothing.
taps_check() {
  while read -r proto hp ip gp br addr fromhost vm mac hairpin; do
    for t in $(tap_of "$mac"); do [ -e "/sys/class/net/$t/master" ] || fail "$proto $hp: $vm's tap $t is off $br"; done
  done <<EOF
$(lines)
EOF
}

if [ $check = 1 ]; then
  [ -n "$(lines)" ] || exit 0
  case $backend in
    iptables) iptables_check ;;
    nftables) nft_check ;;
    none) fail "no libvirt network runs: no forward is in force" ;;
  esac
  taps_check
  exit $status
fi

nft_clear() {
  nft delete table ip virtnet 2>/dev/null
  # Our accepts inside libvirt's table, by their comment.
  nft -a list chain ip libvirt_network guest_input 2>/dev/null |
    sed -n "s/.*comment \"$tag[^\"]*\".*# handle \([0-9][0-9]*\)$/\1/p" |
    while read -r h; do nft delete rule ip libvirt_network guest_input handle "$h" || fail "cannot delete rule $h"; done
  return 0
}

nft_apply() {
  nft_clear
  [ -n "$(lines)" ] || return 0
  nft add table ip virtnet &&
    nft add chain ip virtnet prerouting '{ type nat hook prerouting priority dstnat; policy accept; }' &&
    nft add chain ip virtnet output '{ type nat hook output priority -100; policy accept; }' &&
    nft add chain ip virtnet postrouting '{ type nat hook postrouting priority srcnat; policy accept; }' || { fail "cannot make table ip virtnet"; return; }
  while read -r proto hp ip gp br addr fromhost vm mac hairpin; do
    dst=; [ "$addr" = - ] || dst="ip daddr $addr"
    c="\"$tag:$vm:$mac\""
    nft add rule ip virtnet prerouting fib daddr type local $dst "$proto" dport "$hp" dnat to "$ip:$gp" comment "$c" || fail "DNAT $hp"
    [ "$fromhost" = 1 ] && { nft add rule ip virtnet output fib daddr type local $dst "$proto" dport "$hp" dnat to "$ip:$gp" comment "$c" || fail "OUTPUT DNAT $hp"; }
    nft insert rule ip libvirt_network guest_input oifname "$br" ip daddr "$ip" "$proto" dport "$gp" ct state new accept comment "$c" || fail "accept $hp"
    [ -n "$hairpin" ] && [ "$hairpin" != - ] && { nft add rule ip virtnet postrouting ip saddr "$hairpin" oifname "$br" ip daddr "$ip" "$proto" dport "$gp" ct status dnat masquerade comment "$c" || fail "hairpin $hp"; }
    reattach "$br" "$mac"
    hairpin_tap "$hairpin" "$mac"
  done <<EOF
$(lines)
EOF
}

case $backend in
  iptables) iptables_apply ;;
  nftables) nft_apply ;;
  # No libvirt network runs: nothing to attach to; the network hook runs this when one starts.
  none) iptables_clear; nft delete table ip virtnet 2>/dev/null ;;
esac
hairpin_settle
exit $status
`;

/**
 * A hook file: on the events after which libvirt's rules (or a guest's network) are new, run the
 * sync script; never fail, never call libvirt. stdin (the XML) is not needed.
 */
export function hookScript(kind: keyof typeof FORWARD_HOOKS): string {
  const events = kind === 'qemu' ? 'started|reconnect' : 'started|updated';
  return [
    '#!/bin/sh',
    `# Written by VirtNet: re-applies its port forwards after libvirt ${kind === 'qemu' ? 'starts or reconnects a guest' : 'starts or updates a network'}.`,
    '# Arguments: object operation sub-operation extra. It must not call libvirt, and must not fail.',
    `case "$2" in ${events}) [ -x ${FORWARDS_SYNC} ] && ${FORWARDS_SYNC} </dev/null >/dev/null 2>&1 ;; esac`,
    'exit 0',
    '',
  ].join('\n');
}
