/**
 * Creating a libvirt network: VirtNet writes its XML (every value escaped, in libvirt's own
 * element order so it reads back as written), and the plan defines, starts and sets it to
 * autostart; each step's undo takes it back (autostart off, destroy, undefine). Everything a
 * user commonly gets wrong is refused before anything runs, with the reason: a subnet already
 * used on the host or by another network (libvirt's "network is already in use by interface"),
 * a range outside the subnet or holding the host's own address, static hosts outside it or
 * repeated, a bridge name in use, a macvtap source that carries the session.
 */
import { OWN_BRIDGE_MODES } from '../../model/queries';
import type { DhcpRange, HostModel } from '../../model/types';
import { checkCidr, checkDnsDomain, checkIfName, checkIp, checkMac, checkMtu, checkNewName, inSubnet } from '../../validate';
import { rangeProblems, type DhcpHostSpec } from './dhcpSpec';
import { freeBridgeName, libvirtOwner, subnetClash, subnetsInUse } from './networkRoom';
import { PlanInputError, plan, step, type Plan, type Step } from '../plan';
import { fitDisplay, virshArgv, virshWithXmlArgv } from './virsh';
import { escapeAttr } from './xmlEdit';

export const FORWARD_MODES = ['nat', 'route', 'open', 'isolated', 'bridge', 'private', 'vepa', 'passthrough'] as const;
export type ForwardMode = (typeof FORWARD_MODES)[number];
/** What each mode means for the guests, in a line (pickers, the form). */
export const FORWARD_MODE_HELP: Readonly<Record<ForwardMode, string>> = {
  nat: "NAT behind the host's uplink (libvirt's default network is one)",
  isolated: 'guests reach each other and the host only',
  route: 'routed to the LAN (its router needs a route back)',
  open: 'routed, and libvirt adds no firewall rules',
  bridge: 'guests on an existing host bridge, in the LAN',
  private: 'macvtap on a host NIC; guests isolated from each other',
  vepa: 'macvtap on a host NIC; the switch hairpins',
  passthrough: 'macvtap: one guest takes the NIC',
};
/** Modes on macvtap over a host NIC. */
const MACVTAP: readonly ForwardMode[] = ['private', 'vepa', 'passthrough'];

export interface NetworkCreateIntent {
  name: string;
  forward: ForwardMode;
  /** The uplink (nat, route), the host bridge (bridge) or the host NIC (macvtap modes). */
  dev?: string;
  /** libvirt's bridge (own-bridge modes); the first free virbrN when not given. */
  bridgeName?: string;
  /** `192.168.50.1/24`: the host's address on the network. */
  address?: string;
  /** `START-END` inside the subnet. */
  dhcpRanges?: string[];
  dhcpHosts?: DhcpHostSpec[];
  /** `fd00:50::1/64`. */
  ipv6?: string;
  /** IPv6 `START-END` inside the IPv6 subnet (dnsmasq's DHCPv6). */
  ipv6Ranges?: string[];
  domain?: string;
  /** Upstream DNS servers dnsmasq forwards to (instead of the host's resolv.conf). */
  forwarders?: string[];
  mtu?: number;
  /** Spanning tree on libvirt's bridge; libvirt's default is on. */
  stp?: boolean;
  /** The bridge's forward delay in seconds; libvirt's default is 0. */
  delay?: number;
  /** Guests on the network cannot talk to each other, only to the host and beyond. */
  isolatePorts?: boolean;
  autostart?: boolean;
}

const a = (v: string) => escapeAttr(v);

/** The network's XML, in the order libvirt prints it. */
export function networkXml(i: NetworkCreateIntent, bridgeName: string | null): string {
  const lines = ['<network>', `  <name>${a(i.name)}</name>`];
  if (i.forward === 'isolated') {
    // No <forward> at all: libvirt's isolated network.
  } else if (MACVTAP.includes(i.forward)) {
    lines.push(`  <forward mode='${i.forward}'>`, `    <interface dev='${a(i.dev ?? '')}'/>`, '  </forward>');
  } else {
    lines.push(`  <forward mode='${i.forward}'${i.dev && i.forward !== 'bridge' ? ` dev='${a(i.dev)}'` : ''}/>`);
  }
  if (bridgeName)
    lines.push(
      OWN_BRIDGE_MODES.includes(i.forward)
        ? `  <bridge name='${a(bridgeName)}' stp='${i.stp === false ? 'off' : 'on'}' delay='${i.delay ?? 0}'/>`
        : `  <bridge name='${a(bridgeName)}'/>`,
    );
  if (i.mtu !== undefined) lines.push(`  <mtu size='${i.mtu}'/>`);
  if (i.domain) lines.push(`  <domain name='${a(i.domain)}'/>`);
  if (i.forwarders?.length) lines.push('  <dns>', ...i.forwarders.map((f) => `    <forwarder addr='${a(f)}'/>`), '  </dns>');
  if (i.isolatePorts) lines.push("  <port isolated='yes'/>");
  if (i.address) {
    const [addr, prefix] = i.address.split('/');
    const body = (i.dhcpRanges ?? []).map((r) => r.split('-'));
    lines.push(`  <ip address='${a(addr!)}' prefix='${prefix}'>`);
    if (body.length || i.dhcpHosts?.length) {
      lines.push('    <dhcp>');
      for (const [s, e] of body) lines.push(`      <range start='${a(s!)}' end='${a(e!)}'/>`);
      for (const h of i.dhcpHosts ?? []) lines.push(`      <host mac='${a(h.mac)}'${h.name ? ` name='${a(h.name)}'` : ''} ip='${a(h.ip)}'/>`);
      lines.push('    </dhcp>');
    }
    lines.push('  </ip>');
  }
  if (i.ipv6) {
    const [addr, prefix] = i.ipv6.split('/');
    const ranges = (i.ipv6Ranges ?? []).map((r) => r.split('-'));
    if (!ranges.length) lines.push(`  <ip family='ipv6' address='${a(addr!)}' prefix='${prefix}'/>`);
    else {
      lines.push(`  <ip family='ipv6' address='${a(addr!)}' prefix='${prefix}'>`, '    <dhcp>');
      for (const [s, e] of ranges) lines.push(`      <range start='${a(s!)}' end='${a(e!)}'/>`);
      lines.push('    </dhcp>', '  </ip>');
    }
  }
  lines.push('</network>');
  return `${lines.join('\n')}\n`;
}

export function planNetworkCreate(model: HostModel, i: NetworkCreateIntent): Plan {
  const problems: string[] = [];
  const nameBad = checkNewName(i.name, 'network name', false);
  if (nameBad) problems.push(nameBad);
  if (model.networks.some((n) => n.name === i.name)) problems.push(`${model.info.hostname} already has a libvirt network named "${i.name}"`);
  if (!FORWARD_MODES.includes(i.forward)) problems.push(`"${String(i.forward)}" is not a forward mode (${FORWARD_MODES.join(', ')})`);
  const own = OWN_BRIDGE_MODES.includes(i.forward);
  const link = (n: string) => model.links.find((l) => l.name === n);

  // The device: an uplink for nat/route, a host bridge for bridge, a host NIC for macvtap.
  if (i.dev !== undefined) {
    const bad = checkIfName(i.dev);
    if (bad) problems.push(bad);
    else if (!link(i.dev)) problems.push(`${model.info.hostname} has no interface "${i.dev}"`);
  }
  if (i.forward === 'open' && i.dev) problems.push('an open network takes no device: libvirt adds no rules for it and forbids dev');
  if (i.forward === 'bridge' && !i.dev) problems.push('a bridge network needs the host bridge it uses (--dev br0)');
  if (i.forward === 'bridge' && i.dev && !model.bridges.some((b) => b.name === i.dev)) problems.push(`${i.dev} is not a Linux bridge`);
  const owner = i.forward === 'bridge' && i.dev ? libvirtOwner(model, i.dev) : undefined;
  if (owner) problems.push(`${i.dev} is the bridge libvirt made for network ${owner} (it goes when ${owner} stops): put the guests on ${owner} instead`);
  if (MACVTAP.includes(i.forward) && !i.dev) problems.push(`a ${i.forward} (macvtap) network needs the host NIC it sits on (--dev eno1)`);
  if (MACVTAP.includes(i.forward) && i.dev && model.connection?.dev === i.dev) {
    problems.push(
      `${i.dev} carries this SSH session: guests on macvtap cannot reach the host through it, and the host cannot reach them (choose another NIC, or a bridge network)`,
    );
  }
  if (i.forward === 'route' && !i.dev) problems.push('a routed network needs its uplink (--dev eth1); the LAN router also needs a route back to the subnet');

  let bridgeName: string | null = null;
  if (own) {
    bridgeName = i.bridgeName ?? freeBridgeName(model);
    const bad = checkNewName(bridgeName, 'bridge name');
    if (bad) problems.push(bad);
    else if (link(bridgeName)) problems.push(`an interface named ${bridgeName} already exists`);
    else if (model.networks.some((n) => n.bridge === bridgeName))
      problems.push(`libvirt network ${model.networks.find((n) => n.bridge === bridgeName)!.name} already uses the bridge ${bridgeName}`);
  } else {
    if (i.bridgeName) problems.push(`a ${i.forward} network has no bridge of its own: leave the bridge name out`);
    if (
      i.address ||
      i.ipv6 ||
      i.dhcpRanges?.length ||
      i.ipv6Ranges?.length ||
      i.dhcpHosts?.length ||
      i.domain ||
      i.forwarders?.length ||
      i.mtu !== undefined ||
      i.stp !== undefined ||
      i.delay !== undefined ||
      i.isolatePorts
    )
      problems.push(
        `a ${i.forward} network has no addresses, DHCP, DNS, MTU, STP or port isolation of libvirt's: the ${i.forward === 'bridge' ? 'bridge' : 'NIC'} carries those`,
      );
    if (i.forward === 'bridge') bridgeName = i.dev ?? null;
  }
  if ((i.forward === 'nat' || i.forward === 'route') && !i.address) problems.push(`a ${i.forward} network needs an IPv4 address (--address 192.168.50.1/24)`);

  // Addresses: valid, not in use anywhere on the host.
  const inUse = subnetsInUse(model);
  for (const cidr of [i.address, i.ipv6].filter((c): c is string => c !== undefined)) {
    const bad = checkCidr(cidr);
    if (bad) {
      problems.push(bad);
      continue;
    }
    const six = cidr.includes(':');
    if (cidr === i.address && six) problems.push(`--address takes IPv4 (${cidr} is IPv6: use --ipv6)`);
    if (cidr === i.ipv6 && !six) problems.push(`--ipv6 takes IPv6 (${cidr} is IPv4: use --address)`);
    const clash = subnetClash(inUse, cidr);
    if (clash) problems.push(clash);
  }
  const subnet = i.address && !checkCidr(i.address) ? i.address : undefined;
  const hostIp = subnet?.split('/')[0];
  const ranges: DhcpRange[] = [];
  for (const r of i.dhcpRanges ?? []) {
    if (!subnet) {
      problems.push(`the range ${r} needs --address (its subnet)`);
      continue;
    }
    const bad = rangeProblems(r, subnet, ranges);
    problems.push(...bad);
    const [start, end] = r.split('-');
    if (!bad.length) ranges.push({ start: start!, end: end!, lease: null });
  }
  const subnet6 = i.ipv6 && !checkCidr(i.ipv6) && i.ipv6.includes(':') ? i.ipv6 : undefined;
  const ranges6: DhcpRange[] = [];
  for (const r of i.ipv6Ranges ?? []) {
    if (!subnet6) {
      problems.push(`the IPv6 range ${r} needs --ipv6 (its subnet)`);
      continue;
    }
    const bad = rangeProblems(r, subnet6, ranges6);
    problems.push(...bad);
    const [start, end] = r.split('-');
    if (!bad.length) ranges6.push({ start: start!, end: end!, lease: null });
  }
  const seen = { mac: new Set<string>(), ip: new Set<string>(), name: new Set<string>() };
  for (const h of i.dhcpHosts ?? []) {
    const macBad = checkMac(h.mac);
    if (macBad) problems.push(macBad);
    const ipBad = checkIp(h.ip);
    if (ipBad) problems.push(ipBad);
    else if (!subnet) problems.push(`the static host ${h.ip} needs --address (its subnet)`);
    else if (!inSubnet(h.ip, subnet)) problems.push(`the static host ${h.ip} is not inside ${subnet}`);
    else if (h.ip === hostIp) problems.push(`the static host ${h.ip} is the host's own address`);
    if (h.name !== undefined) {
      const nb = checkNewName(h.name, 'host name', false);
      if (nb) problems.push(nb);
    }
    for (const [k, v] of [
      ['mac', h.mac],
      ['ip', h.ip],
      ['name', h.name],
    ] as const) {
      if (v === undefined) continue;
      if (seen[k].has(v)) problems.push(`two static hosts share the ${k === 'ip' ? 'IP' : k === 'mac' ? 'MAC' : 'name'} ${v}`);
      seen[k].add(v);
    }
  }
  if (i.domain !== undefined) {
    const bad = checkDnsDomain(i.domain);
    if (bad) problems.push(bad);
  }
  for (const f of i.forwarders ?? []) {
    const bad = checkIp(f);
    if (bad) problems.push(`DNS forwarder: ${bad}`);
  }
  if (i.mtu !== undefined) {
    const bad = checkMtu(i.mtu);
    if (bad) problems.push(bad);
  }
  // The kernel holds an STP bridge's delay to 30 s at most; libvirt's 0 (its default) forwards at once.
  if (i.delay !== undefined && (!Number.isInteger(i.delay) || i.delay < 0 || i.delay > 30))
    problems.push(`a forward delay is a whole number of seconds from 0 to 30 (${i.delay})`);
  if (problems.length) throw new PlanInputError(problems);

  const uri = model.libvirtUri;
  const xml = networkXml(i, bridgeName);
  const steps: Step[] = [
    step(
      virshWithXmlArgv(uri, xml, 'net-define', '--file'),
      `define ${i.name} from VirtNet's XML (shown in full)`,
      virshArgv(uri, 'net-undefine', '--network', i.name),
      {
        kind: 'libvirt',
        display: fitDisplay(`virsh net-define ${i.name} (${i.forward}${bridgeName ? ` on ${bridgeName}` : ''}${i.address ? ` ${i.address}` : ''})`),
        document: { label: 'The definition, exactly as VirtNet writes it', text: xml },
      },
    ),
    step(
      virshArgv(uri, 'net-start', '--network', i.name),
      `start ${i.name}${own ? ` (libvirt makes ${bridgeName}${i.address ? ' and its dnsmasq' : ''})` : ''}`,
      virshArgv(uri, 'net-destroy', '--network', i.name),
      {
        kind: 'libvirt',
      },
    ),
  ];
  if (i.autostart) {
    steps.push(
      step(
        virshArgv(uri, 'net-autostart', '--network', i.name),
        `start ${i.name} at every boot`,
        virshArgv(uri, 'net-autostart', '--network', i.name, '--disable'),
        { kind: 'libvirt' },
      ),
    );
  }
  const warnings: string[] = [];
  if (i.forward === 'route') warnings.push(`a routed network needs a route back on the LAN's router: ${i.address} via this host's address on ${i.dev}`);
  if (MACVTAP.includes(i.forward)) warnings.push(`guests on a macvtap network cannot talk to this host through ${i.dev} (a hairpinning switch aside)`);
  return plan(`Create network ${i.name}`, steps, {
    warnings,
    before: [...(own && bridgeName ? [{ fact: 'absent' as const, name: bridgeName }] : [])],
    after: own && bridgeName ? [{ fact: 'link', name: bridgeName, bridge: true, ...(i.address ? { has: [i.address] } : {}) }] : [],
  });
}
