/**
 * Planning port forwards: a host port (or a short range) to a port of a guest NIC on a NAT or
 * routed libvirt network. The NIC's address must not move, so the plan pins it with a static
 * DHCP host when it has none (its lease's address, or a free one). The first forward installs
 * VirtNet's sync script and its libvirt hooks; every change rewrites the state file and runs the
 * script, so the firewall holds exactly the forwards; the last one removed takes all of it away.
 * Refused before anything runs: a host port something already listens on, one already forwarded,
 * one in the kernel's ephemeral range (without --force), a NIC on no NAT or routed network.
 */
import { forwardableNics, nicHolding, ownBridgeOf } from '../../model/queries';
import type { ForwardPort, HandForward, HostModel, Network } from '../../model/types';
import { checkIpv4, inSubnet, ipv4Number } from '../../validate';
import { planDhcpHostAdd } from '../libvirt/networkLife';
import { PlanInputError, plan, step, type Plan, type Step } from '../plan';
import { FORWARD_HOOKS, FORWARDS_SYNC, hookScript, SYNC_SCRIPT } from './script';
import { planPasstForward } from './passt';
import { FORWARDS_STATE, forwardLines, forwardPortProblems, parsePortSpec, stateText, type ForwardProto, type PortSpec } from './state';

export interface ForwardAddIntent {
  vm: string;
  /** `HOSTPORT[-END]:GUESTPORT`. */
  ports: string;
  proto: ForwardProto;
  /** The guest NIC, by MAC; needed only when the VM has more than one on NAT or routed networks. */
  mac?: string;
  /** Only connections to this address of the host. */
  hostAddress?: string;
  fromHost: boolean;
  /** Also from the other guests of the NIC's network, through the host's address (masqueraded). */
  hairpin?: boolean;
  /** Take a port in the ephemeral range anyway. */
  force: boolean;
  /** Consent: restart libvirt's daemons that have not seen a hook since they started. */
  restartLibvirt?: boolean;
  /** The hand-written rule this forward replaces (adopt): not a conflict. */
  adopting?: HandForward;
}

/** A wildcard ss address listens on every address of its family. */
const isWildcard = (a: string) => a === '*' || a === '0.0.0.0' || a === '[::]' || a === '::';

/** The network's IPv4 subnet as CIDR (its address with the host bits cleared). */
function subnetOf(v4: { address: string; prefix: number }): string {
  const v = (ipv4Number(v4.address) & (v4.prefix === 0 ? 0 : ~0 << (32 - v4.prefix))) >>> 0;
  return `${[v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.')}/${v4.prefix}`;
}

/** The address a guest NIC keeps: its static host, else its lease (pinned), else a free one. */
function guestAddress(net: Network, mac: string): { ip: string; pin: 'no' | 'lease' | 'free' } | string {
  const v4 = net.ips.find((ip) => ip.family === 'ipv4');
  if (!v4) return `network ${net.name} has no IPv4 address: nothing to forward to`;
  const fixed = v4.dhcpHosts.find((h) => h.mac === mac);
  if (fixed) return { ip: fixed.ip, pin: 'no' };
  const lease = net.leases.find((l) => l.mac === mac);
  if (lease) return { ip: lease.ip, pin: 'lease' };
  const n = ipv4Number;
  const used = new Set([v4.address, ...v4.dhcpHosts.map((h) => h.ip), ...net.leases.map((l) => l.ip)]);
  const inRange = (ip: string) => v4.dhcpRanges.some((r) => n(r.start) <= n(ip) && n(ip) <= n(r.end));
  const base = n(v4.address) & (v4.prefix === 0 ? 0 : ~0 << (32 - v4.prefix));
  const size = Math.min(2 ** (32 - v4.prefix) - 1, 4096);
  // Outside the ranges first; else inside one (dnsmasq never leases a reserved address to another).
  for (const outside of [true, false])
    for (let k = 2; k < size; k++) {
      const v = (base + k) >>> 0;
      const ip = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
      if (!used.has(ip) && inRange(ip) !== outside && inSubnet(ip, `${v4.address}/${v4.prefix}`)) return { ip, pin: 'free' };
    }
  return `network ${net.name} has no free address for ${mac}`;
}

const WRITE_STATE = 'umask 022; mkdir -p "$(dirname "$2")" && printf %s "$1" > "$2.new" && mv "$2.new" "$2" && "$3"';
/** The state file written as `text`, then the sync script run: the firewall holds exactly that. */
export const stateArgv = (text: string) => ['sh', '-c', WRITE_STATE, 'virtnet-forwards', text, FORWARDS_STATE, FORWARDS_SYNC];

/** The state file rewritten and the firewall made to match; undone by the old text and a sync. */
function stateStep(model: HostModel, next: readonly ForwardPort[], why: string, display: string): Step {
  return step(stateArgv(stateText(next)), why, stateArgv(stateText(model.forwards)), { kind: 'firewall', display });
}

// A file already as wanted is left alone: its ctime then still says the daemon saw it at start.
const INSTALL =
  'umask 022; set -e; while [ $# -gt 1 ]; do mkdir -p "$(dirname "$2")"; printf %s "$1" > "$2.new"; chmod 755 "$2.new"; ' +
  'if cmp -s "$2.new" "$2" && [ -x "$2" ]; then rm -f "$2.new"; else mv "$2.new" "$2"; fi; shift 2; done';
const FILES: [string, string][] = [
  [SYNC_SCRIPT, FORWARDS_SYNC],
  [hookScript('qemu'), FORWARD_HOOKS.qemu],
  [hookScript('network'), FORWARD_HOOKS.network],
];
/** VirtNet's sync script and its two hooks written (mode 755); and taken away with the state. */
export const installArgv = () => ['sh', '-c', INSTALL, 'virtnet-install', ...FILES.flat()];
export const uninstallArgv = () => ['rm', '-f', ...FILES.map(([, p]) => p), FORWARDS_STATE, `${FORWARDS_STATE}.hairpin`];

function installStep(first: boolean): Step {
  return step(installArgv(), `VirtNet's forward script and its libvirt hooks (qemu.d, network.d) on the host`, first ? uninstallArgv() : null, {
    kind: 'file',
    display: `install ${FORWARDS_SYNC} and its hooks in /etc/libvirt/hooks/{qemu.d,network.d}`,
    document: { label: `${FORWARDS_SYNC}, written exactly as`, text: SYNC_SCRIPT },
  });
}

/** Host ports something listens on, or in the ephemeral range without --force. */
function hostPortProblems(model: HostModel, i: ForwardAddIntent, spec: PortSpec): string[] {
  const out: string[] = [];
  for (let p = spec.hostPort; p <= spec.hostPortEnd; p++) {
    const listening = model.listening.find(
      (l) => l.proto === i.proto && l.port === p && (i.hostAddress === undefined || isWildcard(l.address) || l.address === i.hostAddress),
    );
    if (listening) out.push(`${i.proto} port ${p} is in use on ${model.info.hostname} (something listens on ${listening.address}:${p})`);
  }
  const eph = ephemeralClash(model, spec);
  if (eph && !i.force)
    out.push(`port ${spec.hostPort}${spec.hostPortEnd !== spec.hostPort ? `-${spec.hostPortEnd}` : ''} is in ${eph}: choose another, or --force`);
  return out;
}

/** The host's ephemeral range when `spec` falls in it (outgoing connections may take those ports). */
export function ephemeralClash(model: HostModel, spec: PortSpec): string | null {
  const eph = model.ephemeralPorts;
  return eph && spec.hostPort <= eph.high && spec.hostPortEnd >= eph.low
    ? `the host's ephemeral range ${eph.low}-${eph.high} (outgoing connections may take it)`
    : null;
}

/** Host ports a passt NIC of any VM forwards already (passt binds them when its VM runs). */
function passtTaken(model: HostModel, proto: ForwardProto, spec: PortSpec): string[] {
  const out: string[] = [];
  for (const d of model.domains)
    for (const n of d.interfaces)
      for (const pf of n.portForwards)
        for (const r of pf.ranges)
          if (pf.proto === proto && !r.exclude && r.start <= spec.hostPortEnd && spec.hostPort <= (r.end ?? r.start))
            out.push(`${proto} port ${r.start}${r.end ? `-${r.end}` : ''} is forwarded already by passt, to ${d.name} (NIC ${n.mac})`);
  return out;
}

const HOOK_NOTE =
  'libvirt reads its hook folders when it starts: until libvirtd (virtqemud and virtnetworkd on a modular host) restarts, a guest or network restart drops this forward (restart the daemon when convenient; running guests keep running)';

/**
 * The running daemons that found no hook of their driver when they started, so they would not
 * run VirtNet's (libvirt looks for hooks only at start). None also when no daemon runs: socket
 * activation starts one on demand, which reads the hooks then.
 */
export function hooksUnseen(model: HostModel): string[] {
  const h = model.libvirtHooks;
  if (!h) return [];
  return [...new Set([h.qemu, h.network].filter((d) => d.daemon !== null && !d.seen).map((d) => d.daemon!))];
}

/** Either the daemons restart now (consent given, under systemd), or the plan says what is lost until they do. */
function hookLiveness(model: HostModel, i: ForwardAddIntent, first: boolean, problems: string[]): { steps: Step[]; warnings: string[] } {
  if (!model.libvirtHooks) return { steps: [], warnings: first ? [HOOK_NOTE] : [] };
  const unseen = hooksUnseen(model);
  if (!unseen.length) return { steps: [], warnings: [] };
  const who = unseen.join(' and ');
  if (!i.restartLibvirt)
    return {
      steps: [],
      warnings: [
        `libvirt reads hook scripts only when it starts, and ${who} found none when it did: until it restarts, a guest or network restart drops this forward (--restart-libvirt restarts it now; running guests keep running)`,
      ],
    };
  if (!model.libvirtHooks.systemd) {
    problems.push(`--restart-libvirt: ${model.info.hostname} does not run ${who} as a systemd service; restart it yourself (running guests keep running)`);
    return { steps: [], warnings: [] };
  }
  const units = unseen.map((d) => `${d}.service`);
  return {
    steps: [
      step(
        ['systemctl', 'restart', ...units],
        `${who} starts again and finds VirtNet's hooks (libvirt looks for them only at start); running guests keep running`,
        null,
      ),
    ],
    warnings: [`${who} restarts: running guests keep running; virsh clients and VS Code reconnect`],
  };
}

export function planForwardAdd(model: HostModel, i: ForwardAddIntent): Plan {
  const problems: string[] = [];
  const domain = model.domains.find((d) => d.name === i.vm);
  if (!domain) throw new PlanInputError([`${model.info.hostname} has no VM named "${i.vm}"`]);
  const spec = parsePortSpec(i.ports);
  if (typeof spec === 'string') problems.push(spec);
  if (i.proto !== 'tcp' && i.proto !== 'udp') problems.push(`"${String(i.proto)}" is not tcp or udp`);
  const candidates = forwardableNics(model, domain);
  const mac = i.mac?.toLowerCase();
  // A user-mode NIC: libvirt's own <portForward> on passt (SLIRP has none: refused, saying why).
  const users = domain.interfaces.filter((n) => n.type === 'user' && n.mac);
  const user = mac ? users.find((n) => n.mac === mac) : candidates.length === 0 && users.length === 1 ? users[0] : undefined;
  if (user && typeof spec !== 'string') {
    problems.push(...hostPortProblems(model, i, spec), ...passtTaken(model, i.proto, spec));
    if (problems.length) throw new PlanInputError(problems);
    return planPasstForward(model, domain, user, { add: { proto: i.proto, spec, hostAddress: i.hostAddress ?? null } });
  }
  let chosen = mac ? candidates.find((c) => c.nic.mac === mac) : candidates.length === 1 ? candidates[0] : undefined;
  if (mac && !chosen) {
    const nic = domain.interfaces.find((n) => n.mac === mac);
    problems.push(
      nic
        ? `${i.vm}'s NIC ${mac} is on ${nic.type === 'network' ? `network ${nic.source} (forward mode ${model.networks.find((n) => n.name === nic.source)?.forwardMode ?? '?'})` : `a ${nic.type} source`}: forwards go to NICs on NAT or routed libvirt networks (on a bridge the guest is on the LAN already; user-mode NICs forward with passt)`
        : `${i.vm} has no NIC ${mac}`,
    );
  } else if (!mac && candidates.length === 0) problems.push(`${i.vm} has no NIC on a NAT or routed libvirt network`);
  else if (!mac && candidates.length > 1) {
    problems.push(`${i.vm} has ${candidates.length} NICs on NAT or routed networks: say which with --nic (${candidates.map((c) => c.nic.mac).join(', ')})`);
    chosen = undefined;
  }
  if (i.hostAddress !== undefined) {
    const bad = checkIpv4(i.hostAddress);
    if (bad) problems.push(`--host-address: ${bad}`);
    else if (!model.links.some((l) => l.addresses.some((a) => a.split('/')[0] === i.hostAddress)))
      problems.push(`${model.info.hostname} has no address ${i.hostAddress}`);
  }
  const addr = chosen ? guestAddress(chosen.net, chosen.nic.mac!) : undefined;
  if (typeof addr === 'string') problems.push(addr);
  if (typeof spec !== 'string') {
    problems.push(...hostPortProblems(model, i, spec));
    for (let p = spec.hostPort; p <= spec.hostPortEnd; p++) {
      const taken = model.forwards.find(
        (f) => f.proto === i.proto && f.hostPort === p && (f.hostAddress === null || i.hostAddress === undefined || f.hostAddress === i.hostAddress),
      );
      if (taken) problems.push(`${i.proto} port ${p} is forwarded already, to ${taken.vm} (${taken.guestIp}:${taken.guestPort})`);
    }
    problems.push(...passtTaken(model, i.proto, spec));
    for (const h of model.handForwards)
      if (h !== i.adopting && h.proto === i.proto && spec.hostPort <= h.hostPort && h.hostPort <= spec.hostPortEnd)
        problems.push(
          `${i.proto} port ${h.hostPort} has a DNAT rule written by hand (iptables -t nat PREROUTING ${h.rule}): adopt it (virtnet forward adopt VM ${h.hostPort}${h.proto === 'udp' ? '/udp' : ''}) or delete it`,
        );
  }
  if (problems.length || !chosen || typeof addr !== 'object' || typeof spec === 'string') throw new PlanInputError(problems);

  const bridge = ownBridgeOf(chosen.net)!;
  const added: ForwardPort[] = [];
  for (let p = spec.hostPort; p <= spec.hostPortEnd; p++) {
    const f: ForwardPort = {
      proto: i.proto,
      hostPort: p,
      guestIp: addr.ip,
      guestPort: spec.guestPort + (p - spec.hostPort),
      bridge,
      hostAddress: i.hostAddress ?? null,
      fromHost: i.fromHost,
      hairpin: i.hairpin ? subnetOf(chosen.net.ips.find((ip) => ip.family === 'ipv4')!) : null,
      vm: i.vm,
      mac: chosen.nic.mac!,
    };
    const bad = forwardPortProblems(f);
    if (bad.length) throw new PlanInputError(bad);
    added.push(f);
  }
  const next = [...model.forwards, ...added];
  const first = model.forwards.length === 0;
  const range = spec.hostPortEnd !== spec.hostPort ? `${spec.hostPort}-${spec.hostPortEnd}` : `${spec.hostPort}`;
  const target = `${addr.ip}:${spec.guestPort}${spec.hostPortEnd !== spec.hostPort ? `-${spec.guestPort + spec.hostPortEnd - spec.hostPort}` : ''}`;
  const steps: Step[] = [];
  const warnings: string[] = [];
  const live = hookLiveness(model, i, first, problems);
  if (problems.length) throw new PlanInputError(problems);
  if (addr.pin !== 'no') {
    const pinned = planDhcpHostAdd(model, chosen.net.name, { mac: chosen.nic.mac!, ip: addr.ip, name: i.vm });
    steps.push(...pinned.steps);
    warnings.push(
      addr.pin === 'lease'
        ? `${i.vm}'s address ${addr.ip} (its lease) becomes a static DHCP host of ${chosen.net.name}, so it cannot move`
        : `${i.vm} has no lease: ${addr.ip} becomes its static DHCP host on ${chosen.net.name}, which the guest takes when it renews or restarts`,
    );
  }
  steps.unshift(installStep(first));
  steps.push(stateStep(model, next, `the firewall forwards ${i.proto} ${range} to ${target} (${i.vm})`, `forward ${i.proto} ${range} → ${i.vm} ${target}`));
  steps.push(...live.steps);
  warnings.push(...live.warnings);
  if (i.fromHost) warnings.push(`--from-host: connections from ${model.info.hostname} itself to its own addresses on port ${range} go to ${i.vm} too`);
  if (i.hairpin)
    warnings.push(
      `--hairpin: guests on ${chosen.net.name} reach ${i.vm} through the host's address on port ${range} too; ${i.vm} sees those connections come from the host (${added[0]!.hairpin}, masqueraded), not from the guest; where br_netfilter is on (bridge-nf-call-iptables), ${i.vm}'s tap is put in hairpin mode so it can reach its own forward (it then also hears its own broadcasts)`,
    );
  return plan(`Forward ${i.proto} ${range} to ${i.vm}`, steps, {
    warnings,
    before: [{ fact: 'forwards', lines: forwardLines(model.forwards) }],
    // In force is only promised where libvirt's network runs (its rules are what ours go beside).
    after: [{ fact: 'forwards', lines: forwardLines(next) }, ...(chosen.net.active ? [{ fact: 'forwardsInForce' as const }] : [])],
  });
}

/**
 * Re-applies every forward: for whatever rebuilt the firewall without running libvirt's hooks (a
 * firewalld reload, a network daemon restarted alone, a flush by hand); the inventory says what
 * is amiss. Promises every forward in force afterwards.
 */
export function planForwardReapply(model: HostModel): Plan {
  const host = model.info.hostname;
  if (!model.forwards.length) throw new PlanInputError([`${host} has no VirtNet port forward to re-apply`]);
  const amiss = model.forwardsAmiss;
  return plan(
    `Re-apply the port forwards of ${host}`,
    [
      step([FORWARDS_SYNC], `the firewall made to hold every forward again${amiss.length ? ` (${amiss.join('; ')})` : ''}`, null, {
        kind: 'firewall',
        display: `run ${FORWARDS_SYNC}`,
      }),
    ],
    {
      warnings: amiss.length ? [] : ['every forward is in force already: re-applying changes nothing'],
      before: [{ fact: 'forwards', lines: forwardLines(model.forwards) }],
      after: [{ fact: 'forwards', lines: forwardLines(model.forwards) }, { fact: 'forwardsInForce' }],
    },
  );
}

/** Removes the forwards of `vm` on host ports `ports` (`HOSTPORT[-END]`); the last one takes VirtNet's files away. */
export function planForwardRemove(model: HostModel, vm: string, ports: string, proto: ForwardProto): Plan {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(ports);
  if (!m) throw new PlanInputError([`"${ports}" is not HOSTPORT or HOSTPORT-END`]);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  const gone = model.forwards.filter((f) => f.vm === vm && f.proto === proto && f.hostPort >= lo && f.hostPort <= hi);
  const passt = model.domains
    .find((d) => d.name === vm)
    ?.interfaces.find((n) => n.portForwards.some((pf) => pf.proto === proto && pf.ranges.some((r) => !r.exclude && r.start <= lo && lo <= (r.end ?? r.start))));
  if (!gone.length && passt)
    return planPasstForward(
      model,
      model.domains.find((d) => d.name === vm)!,
      passt,
      { remove: { proto, port: lo } },
    );
  if (!gone.length) {
    const of = model.forwards.filter((f) => f.vm === vm);
    throw new PlanInputError([
      `${vm} has no ${proto} forward on port ${ports}${of.length ? ` (it has ${of.map((f) => `${f.proto} ${f.hostPort}`).join(', ')})` : ''}`,
    ]);
  }
  const next = model.forwards.filter((f) => !gone.includes(f));
  const steps = [stateStep(model, next, `the firewall stops forwarding ${proto} ${ports} to ${vm}`, `unforward ${proto} ${ports} (${vm})`)];
  if (!next.length)
    steps.push(
      step(uninstallArgv(), "the last forward: VirtNet's script, hooks and state file go", installArgv(), {
        kind: 'file',
        display: `remove ${FORWARDS_SYNC}, its hooks and ${FORWARDS_STATE}`,
      }),
    );
  return plan(`Stop forwarding ${proto} ${ports} to ${vm}`, steps, {
    warnings: [`${vm}'s static DHCP host stays (its address does not move); Remove Static DHCP Host takes it away`],
    before: [{ fact: 'forwards', lines: forwardLines(model.forwards) }],
    after: [{ fact: 'forwards', lines: forwardLines(next) }],
  });
}

/**
 * Adopting a DNAT rule written by hand (`PORT[/udp]`): the same forward as VirtNet's (its rules,
 * its pinned address, its hooks), then the hand rule deleted; undone, the rule goes back where it was.
 */
export function planForwardAdopt(model: HostModel, vm: string, port: string): Plan {
  const [p, proto = 'tcp'] = port.split('/');
  const hand = model.handForwards.find((h) => h.proto === proto && String(h.hostPort) === p);
  if (!hand)
    throw new PlanInputError([
      `${model.info.hostname} has no hand-written ${proto} DNAT rule for port ${p} in nat PREROUTING${model.handForwards.length ? ` (it has ${model.handForwards.map((h) => `${h.proto} ${h.hostPort}`).join(', ')})` : ''}`,
    ]);
  const holder = nicHolding(model, hand.guestIp);
  if (!holder)
    throw new PlanInputError([`no VM holds ${hand.guestIp} (the rule's target) by a lease or a static host: there is nothing to tie the forward to`]);
  if (holder.vm !== vm) throw new PlanInputError([`the rule forwards to ${hand.guestIp}, which is ${holder.vm}'s, not ${vm}'s`]);
  const added = planForwardAdd(model, {
    vm,
    ports: `${hand.hostPort}:${hand.guestPort}`,
    proto: hand.proto,
    mac: holder.mac,
    ...(hand.hostAddress ? { hostAddress: hand.hostAddress } : {}),
    fromHost: false,
    force: true,
    adopting: hand,
  });
  const words = hand.rule.split(' ');
  const del = step(['iptables', '-w', '-t', 'nat', '-D', 'PREROUTING', ...words], `the hand-written rule goes (VirtNet's forward now carries the port)`, [
    'iptables',
    '-w',
    '-t',
    'nat',
    '-I',
    'PREROUTING',
    String(hand.position),
    ...words,
  ]);
  return plan(`Adopt the hand-written forward of ${hand.proto} ${hand.hostPort} to ${vm}`, [...added.steps, del], {
    warnings: [
      ...added.warnings,
      ...(hand.inInterface
        ? [`the rule matched only -i ${hand.inInterface}; VirtNet's forward takes connections to the host's addresses on any interface`]
        : []),
      'a FORWARD accept written by hand for it stays: delete it yourself if nothing else needs it',
    ],
    before: added.before,
    after: added.after,
  });
}
