/**
 * Facts about a host that a plan depends on (before) or promises (after), as data. The same
 * facts are read two ways: on the host by one small shell library (factsScript), in the same
 * round trip as the plan and under its lock; and against a HostModel by factProblems, which the
 * tests use to check that every planner's facts hold on the model it was made from.
 *
 * Facts compare what the inventory shows: addresses are IPv4 and non-link-local IPv6 in CIDR
 * form; a bridge's STP is on when the kernel's stp_state is not 0.
 */
import { shJoin } from '../exec/quote';
import type { HostModel } from '../model/types';
import { FORWARDS_STATE, forwardLines } from './forward/state';
import { FORWARDS_SYNC } from './forward/script';

export type Fact =
  /** The plan was made for this host (a saved plan must not run anywhere else). */
  | { fact: 'host'; hostname: string; machineId: string | null }
  /** No interface by this name. */
  | { fact: 'absent'; name: string }
  /**
   * The interface exists, and each given property is as stated: `master` (null = no bridge),
   * `bridge` (it is one), `stp`, `up`, `addresses` (the exact set), `has` / `lacks` (these).
   */
  | { fact: 'link'; name: string; master?: string | null; bridge?: true; stp?: boolean; up?: true; addresses?: string[]; has?: string[]; lacks?: string[] }
  /** An IPv4 or IPv6 route is there (or not, with `present: false`). */
  | { fact: 'route'; dst: string; gateway: string | null; dev: string; present: boolean }
  /**
   * A libvirt object's definition (`--inactive` XML) is exactly this text: an edit planned from it
   * must not overwrite a change someone made since (virsh net-edit, virt-manager).
   */
  | { fact: 'definition'; kind: 'network' | 'domain'; name: string; uri: string; xml: string }
  /** A running VM's NIC (by MAC) has this link state, as `virsh domif-getlink` says. */
  | { fact: 'nicLink'; domain: string; mac: string; uri: string; state: 'up' | 'down' }
  /** A libvirt network starts at boot, or not. */
  | { fact: 'netAutostart'; name: string; uri: string; on: boolean }
  /** A network's definition holds (or not) this exact text, e.g. `<host mac='52:54:00:aa:00:01'`. */
  | { fact: 'netXml'; name: string; uri: string; text: string; present: boolean }
  /** VirtNet's port-forward state file holds exactly these forward lines (none: no file, or none in it). */
  | { fact: 'forwards'; lines: string }
  /** A VM has (or has not) a NIC with this MAC: running (`config` false) or in its definition. */
  | { fact: 'nicPresent'; domain: string; mac: string; uri: string; config: boolean; present: boolean }
  /** The firewall holds every forward of VirtNet's state file (its sync script's --check). */
  | { fact: 'forwardsInForce' };

export const isV6 = (a: string) => a.includes(':');

const sorted = (xs: readonly string[]) => [...xs].sort();
const trimEnd = (s: string) => s.replace(/\n+$/, '');

/** One line for a person: what the fact says. */
export function describeFact(f: Fact): string {
  switch (f.fact) {
    case 'host':
      return `the host is ${f.hostname}${f.machineId ? ` (machine id ${f.machineId.slice(0, 12)}…)` : ''}`;
    case 'absent':
      return `no interface is named ${f.name}`;
    case 'route':
      return `the route ${f.dst}${f.gateway ? ` via ${f.gateway}` : ''} dev ${f.dev} is ${f.present ? 'there' : 'gone'}`;
    case 'definition':
      return `the definition of ${f.kind} ${f.name} is as read`;
    case 'nicLink':
      return `the link of ${f.mac} on ${f.domain} is ${f.state}`;
    case 'netAutostart':
      return `network ${f.name} ${f.on ? 'starts' : 'does not start'} at boot`;
    case 'netXml':
      return `the definition of network ${f.name} ${f.present ? 'has' : 'lacks'} ${f.text}`;
    case 'forwards':
      return `VirtNet's port forwards are ${f.lines === '' ? 'none' : f.lines.split('\n').length}, as read`;
    case 'forwardsInForce':
      return "the firewall holds every one of VirtNet's port forwards";
    case 'nicPresent':
      return `${f.config ? `the definition of ${f.domain}` : `the running ${f.domain}`} ${f.present ? 'has' : 'has no'} NIC ${f.mac}`;
    case 'link': {
      const parts = [
        f.master !== undefined ? (f.master === null ? 'in no bridge' : `a port of ${f.master}`) : '',
        f.bridge ? 'a bridge' : '',
        f.stp !== undefined ? `STP ${f.stp ? 'on' : 'off'}` : '',
        f.up ? 'up' : '',
        f.addresses ? `addresses ${f.addresses.join(', ') || 'none'}` : '',
        f.has?.length ? `has ${f.has.join(', ')}` : '',
        f.lacks?.length ? `lacks ${f.lacks.join(', ')}` : '',
      ].filter(Boolean);
      return `${f.name} exists${parts.length ? `: ${parts.join(', ')}` : ''}`;
    }
  }
}

/**
 * The shell functions the checks call. $L is the word each finding starts with; every finding is
 * one stderr line `virtnet: <L>: ...`, and `bad` ends up 1 when there was any. Parameter
 * expansions are written `@{...}` and turned into `$` + `{...}` after, since a template literal
 * would read them as its own.
 */
const FACTS_LIB = String.raw`
export LC_ALL=C
bad=0
say() { echo "virtnet: $L: $*" >&2; bad=1; }
master_of() { m=; [ -e "/sys/class/net/$1/master" ] && m=$(basename "$(readlink "/sys/class/net/$1/master")"); }
addrs_of() { ip -o addr show dev "$1" 2>/dev/null | awk '!($3 == "inet6" && / scope link /) { print $4 }' | sort | tr '\n' ' ' | sed 's/ $//'; }
f_host() {
  h=$(cat /proc/sys/kernel/hostname 2>/dev/null)
  id=$(cat /etc/machine-id 2>/dev/null)
  # Both must match: cloned images share a machine id, and two hosts may share a name.
  if [ "$h" != "$1" ] || { [ -n "$2" ] && [ "$id" != "$2" ]; }; then
    say "this is not the host the plan was made for (this is $h; the plan is for $1)"
  fi
}
f_absent() { [ ! -e "/sys/class/net/$1" ] && [ ! -L "/sys/class/net/$1" ] || say "an interface named $1 exists"; }
f_link() {
  n=$1; shift
  [ -e "/sys/class/net/$n" ] || { say "$n does not exist"; return; }
  for a; do
    case $a in
      master=*) w=@{a#master=}; master_of "$n"; [ "$m" = "$w" ] || say "$n is $( [ -n "$m" ] && echo "a port of $m" || echo "in no bridge") (the plan expects it $( [ -n "$w" ] && echo "a port of $w" || echo "in no bridge"))" ;;
      bridge) [ -d "/sys/class/net/$n/bridge" ] || say "$n is not a bridge" ;;
      stp=*) w=@{a#stp=}; s=; read -r s 2>/dev/null < "/sys/class/net/$n/bridge/stp_state"; [ -n "$s" ] && [ "$s" != 0 ] && s=1; [ "$s" = "$w" ] || say "$n has STP $( [ "$s" = 1 ] && echo on || echo off) (the plan expects it $( [ "$w" = 1 ] && echo on || echo off))" ;;
      up) fl=0; read -r fl 2>/dev/null < "/sys/class/net/$n/flags"; [ $((fl & 1)) = 1 ] || say "$n is down" ;;
      addrs=*) w=@{a#addrs=}; h=$(addrs_of "$n"); [ "$h" = "$w" ] || say "$n has the addresses @{h:-(none)} (the plan expects @{w:-(none)})" ;;
      has=*) w=@{a#has=}; case " $(addrs_of "$n") " in *" $w "*) ;; *) say "$n does not have $w" ;; esac ;;
      lacks=*) w=@{a#lacks=}; case " $(addrs_of "$n") " in *" $w "*) say "$n still has $w" ;; esac ;;
    esac
  done
}
f_def() {
  if [ "$1" = network ]; then x=$(virsh -q -c "$2" net-dumpxml --inactive --network "$3" 2>/dev/null)
  else x=$(virsh -q -c "$2" dumpxml --inactive --domain "$3" 2>/dev/null); fi
  [ "$x" = "$4" ] || say "the definition of $1 $3 changed since it was read"
}
f_link_state() {
  s=$(virsh -q -c "$2" domif-getlink --domain "$1" --interface "$3" 2>/dev/null | awk '{ print $NF }')
  [ "$s" = "$4" ] || say "the link of $3 on $1 is @{s:-unknown} (the plan expects it $4)"
}
f_net_autostart() {
  a=$(virsh -q -c "$2" net-info --network "$1" 2>/dev/null | awk '$1 == "Autostart:" { print $2 }')
  [ "$a" = "$3" ] || say "network $1 has autostart @{a:-unknown} (the plan expects $3)"
}
f_net_xml() {
  if virsh -q -c "$2" net-dumpxml --inactive --network "$1" 2>/dev/null | grep -qF -- "$3"; then h=present; else h=absent; fi
  [ "$h" = "$4" ] || say "the definition of network $1 $( [ "$h" = present ] && echo has || echo lacks) $3 (the plan expects it $4)"
}
f_forwards() {
  x=$(grep -E '^(tcp|udp) ' ${FORWARDS_STATE} 2>/dev/null)
  [ "$x" = "$1" ] || say "VirtNet's port forwards on the host changed since they were read"
}
f_nic_present() {
  if virsh -q -c "$2" domiflist --domain "$1" $( [ "$4" = config ] && echo --inactive) 2>/dev/null | awk '{ print tolower($NF) }' | grep -qx "$3"; then h=present; else h=absent; fi
  [ "$h" = "$5" ] || say "$( [ "$4" = config ] && echo "the definition of $1" || echo "the running $1") $( [ "$h" = present ] && echo has || echo "has no") NIC $3 (the plan expects it $5)"
}
f_forwards_in_force() {
  [ -x ${FORWARDS_SYNC} ] || { say "VirtNet's forward script is not installed"; return; }
  x=$(${FORWARDS_SYNC} --check 2>&1) || say "not every port forward is in force: $(echo "$x" | tr '\n' ';')"
}
f_route() {
  fam=-4; case "$2$3" in *:*) fam=-6 ;; esac
  if [ -n "$3" ]; then r=$(ip "$fam" route show exact "$2" via "$3" dev "$4" 2>/dev/null); else r=$(ip "$fam" route show exact "$2" dev "$4" 2>/dev/null); fi
  d="$2$( [ -n "$3" ] && echo " via $3") dev $4"
  if [ "$1" = present ]; then [ -n "$r" ] || say "there is no route $d"; else [ -z "$r" ] || say "the route $d is there"; fi
}
`.replaceAll('@{', '$' + '{');

function factLine(f: Fact): string[] {
  switch (f.fact) {
    case 'host':
      return ['f_host', f.hostname, f.machineId ?? ''];
    case 'absent':
      return ['f_absent', f.name];
    case 'route':
      return ['f_route', f.present ? 'present' : 'absent', f.dst, f.gateway ?? '', f.dev];
    case 'nicLink':
      return ['f_link_state', f.domain, f.uri, f.mac, f.state];
    case 'netAutostart':
      return ['f_net_autostart', f.name, f.uri, f.on ? 'yes' : 'no'];
    case 'netXml':
      return ['f_net_xml', f.name, f.uri, f.text, f.present ? 'present' : 'absent'];
    case 'forwards':
      return ['f_forwards', f.lines];
    case 'forwardsInForce':
      return ['f_forwards_in_force'];
    case 'nicPresent':
      return ['f_nic_present', f.domain, f.uri, f.mac, f.config ? 'config' : 'live', f.present ? 'present' : 'absent'];
    case 'definition':
      // $(...) on the host drops trailing newlines; so does this side.
      return ['f_def', f.kind, f.uri, f.name, trimEnd(f.xml)];
    case 'link': {
      const args = ['f_link', f.name];
      if (f.master !== undefined) args.push(`master=${f.master ?? ''}`);
      if (f.bridge) args.push('bridge');
      if (f.stp !== undefined) args.push(`stp=${f.stp ? 1 : 0}`);
      if (f.up) args.push('up');
      if (f.addresses) args.push(`addrs=${sorted(f.addresses).join(' ')}`);
      for (const a of f.has ?? []) args.push(`has=${a}`);
      for (const a of f.lacks ?? []) args.push(`lacks=${a}`);
      return args;
    }
  }
}

/**
 * A script that checks `facts` on the host. Each finding is a stderr line `virtnet: <label>: ...`;
 * it exits `failExit` when there was any, 0 otherwise. Values are quoted by the one audited
 * function; the library is a constant.
 */
export function factsScript(facts: readonly Fact[], label: string, failExit: number): string {
  const lines = [
    '#!/bin/sh',
    `L=${shJoin([label])}`,
    FACTS_LIB.trim(),
    ...facts.map((f) => shJoin(factLine(f))),
    `[ "$bad" = 0 ] || exit ${failExit}`,
    'exit 0',
  ];
  return `${lines.join('\n')}\n`;
}

/** What does not hold of `facts` in `model` (empty: all hold). The same wording as the host's. */
export function factProblems(model: HostModel, facts: readonly Fact[]): string[] {
  const out: string[] = [];
  for (const f of facts) {
    if (f.fact === 'host') {
      if (f.hostname !== model.info.hostname || (f.machineId !== null && model.info.machineId !== f.machineId))
        out.push(`this is not the host the plan was made for (this is ${model.info.hostname}; the plan is for ${f.hostname})`);
      continue;
    }
    if (f.fact === 'absent') {
      if (model.links.some((l) => l.name === f.name)) out.push(`an interface named ${f.name} exists`);
      continue;
    }
    if (f.fact === 'netAutostart') {
      const n = model.networks.find((x) => x.name === f.name);
      const a = n ? (n.autostart ? 'yes' : 'no') : 'unknown';
      if (a !== (f.on ? 'yes' : 'no')) out.push(`network ${f.name} has autostart ${a} (the plan expects ${f.on ? 'yes' : 'no'})`);
      continue;
    }
    if (f.fact === 'netXml') {
      const h = model.networks.find((x) => x.name === f.name)?.inactiveXml?.includes(f.text) ? 'present' : 'absent';
      const want = f.present ? 'present' : 'absent';
      if (h !== want) out.push(`the definition of network ${f.name} ${h === 'present' ? 'has' : 'lacks'} ${f.text} (the plan expects it ${want})`);
      continue;
    }
    if (f.fact === 'forwards') {
      if (forwardLines(model.forwards) !== f.lines) out.push("VirtNet's port forwards on the host changed since they were read");
      continue;
    }
    if (f.fact === 'nicPresent') {
      const d = model.domains.find((x) => x.name === f.domain);
      const has = f.config
        ? new RegExp(`<mac address='${f.mac}'`, 'i').test(d?.inactiveXml ?? '')
        : !!d && (d.state === 'running' || d.state === 'paused') && d.interfaces.some((n) => n.mac?.toLowerCase() === f.mac);
      if (has !== f.present)
        out.push(
          `${f.config ? `the definition of ${f.domain}` : `the running ${f.domain}`} ${has ? 'has' : 'has no'} NIC ${f.mac} (the plan expects it ${f.present ? 'present' : 'absent'})`,
        );
      continue;
    }
    if (f.fact === 'forwardsInForce') {
      if (model.forwardsAmiss?.length) out.push(`not every port forward is in force: ${model.forwardsAmiss.join('; ')}`);
      continue;
    }
    if (f.fact === 'nicLink') {
      const nic = model.domains.find((d) => d.name === f.domain)?.interfaces.find((i) => i.mac === f.mac);
      const s = nic ? (nic.linkState ?? 'up') : 'unknown';
      if (s !== f.state) out.push(`the link of ${f.mac} on ${f.domain} is ${s} (the plan expects it ${f.state})`);
      continue;
    }
    if (f.fact === 'definition') {
      const objs: { name: string; inactiveXml: string | null }[] = f.kind === 'network' ? model.networks : model.domains;
      const now = objs.find((o) => o.name === f.name)?.inactiveXml;
      if (now == null || trimEnd(now) !== trimEnd(f.xml)) out.push(`the definition of ${f.kind} ${f.name} changed since it was read`);
      continue;
    }
    if (f.fact === 'route') {
      const there = model.routes.some((r) => r.dst === f.dst && r.dev === f.dev && (f.gateway === null || r.gateway === f.gateway));
      if (there !== f.present) out.push(f.present ? `there is no route ${f.dst} dev ${f.dev}` : `the route ${f.dst} dev ${f.dev} is there`);
      continue;
    }
    const link = model.links.find((l) => l.name === f.name);
    if (!link) {
      out.push(`${f.name} does not exist`);
      continue;
    }
    const bridge = model.bridges.find((b) => b.name === f.name);
    if (f.master !== undefined && (link.master ?? null) !== f.master)
      out.push(
        `${f.name} is ${link.master ? `a port of ${link.master}` : 'in no bridge'} (the plan expects it ${f.master ? `a port of ${f.master}` : 'in no bridge'})`,
      );
    if (f.bridge && !bridge) out.push(`${f.name} is not a bridge`);
    if (f.stp !== undefined && bridge?.stp !== f.stp) out.push(`${f.name} has STP ${bridge?.stp ? 'on' : 'off'} (the plan expects it ${f.stp ? 'on' : 'off'})`);
    if (f.up && !link.up) out.push(`${f.name} is down`);
    if (f.addresses && sorted(link.addresses).join(' ') !== sorted(f.addresses).join(' '))
      out.push(`${f.name} has the addresses ${sorted(link.addresses).join(' ') || '(none)'} (the plan expects ${sorted(f.addresses).join(' ') || '(none)'})`);
    for (const a of f.has ?? []) if (!link.addresses.includes(a)) out.push(`${f.name} does not have ${a}`);
    for (const a of f.lacks ?? []) if (link.addresses.includes(a)) out.push(`${f.name} still has ${a}`);
  }
  return out;
}
