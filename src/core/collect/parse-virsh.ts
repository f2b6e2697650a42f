/**
 * Parsers for libvirt: network and domain XML (fast-xml-parser), `net-dhcp-leases` tables and the
 * UUID lists of the collector's first virsh run. Pure functions of text.
 */
import { XMLParser } from 'fast-xml-parser';
import type { DhcpHost, DhcpRange, Domain, DomainHostdev, DomainInterface, Lease, Network, NetworkIp } from '../model/types';

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseAttributeValue: false,
  parseTagValue: false,
  // Elements that may repeat are always arrays, so one and many look the same to the code.
  isArray: (name) => ['ip', 'range', 'host', 'interface', 'hostdev', 'route'].includes(name),
});

type Node = Record<string, unknown>;

function obj(v: unknown): Node {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : {};
}

function list(v: unknown): Node[] {
  if (Array.isArray(v)) {
    return v.map(obj);
  }
  return v === undefined || v === null || v === '' ? [] : [obj(v)];
}

function str(v: unknown): string | null {
  if (typeof v === 'string') {
    return v;
  }
  if (typeof v === 'number') {
    return String(v);
  }
  // An element with attributes keeps its text under '#text'.
  if (v && typeof v === 'object' && '#text' in (v as Node)) {
    return str((v as Node)['#text']);
  }
  return null;
}

/** `255.255.255.0` → 24; null when not a contiguous IPv4 mask. */
export function netmaskToPrefix(mask: string): number | null {
  const parts = mask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    return null;
  }
  const bits = parts.reduce((acc, p) => acc * 256 + p, 0);
  let prefix = 0;
  while (prefix < 32 && bits & (2 ** (31 - prefix))) {
    prefix++;
  }
  const expected = prefix === 0 ? 0 : 2 ** 32 - 2 ** (32 - prefix);
  return bits === expected ? prefix : null;
}

/** A libvirt PCI `<address domain= bus= slot= function=>` as `0000:03:10.0`. */
export function pciAddressOf(a: Node): string | null {
  const dom = str(a['@domain']);
  const bus = str(a['@bus']);
  const slot = str(a['@slot']);
  const fn = str(a['@function']);
  if (bus === null || slot === null || fn === null) {
    return null;
  }
  const hex = (v: string, width: number) => parseInt(v, 16).toString(16).padStart(width, '0');
  return `${hex(dom ?? '0x0', 4)}:${hex(bus, 2)}:${hex(slot, 2)}.${parseInt(fn, 16).toString(16)}`;
}

export interface NetworkFacts {
  uuid: string;
  active: boolean;
  autostart: boolean;
  persistent: boolean;
}

export function parseNetworkXml(text: string, facts: NetworkFacts, leases: Lease[]): Network {
  const net = obj(xml.parse(text).network);
  const forward = net.forward === undefined ? null : obj(net.forward);
  const bridge = obj(net.bridge);
  const ips: NetworkIp[] = list(net.ip).map((ip) => {
    const family = str(ip['@family']) === 'ipv6' ? 'ipv6' : 'ipv4';
    const prefixAttr = str(ip['@prefix']);
    const mask = str(ip['@netmask']);
    const prefix = prefixAttr !== null ? Number(prefixAttr) : mask ? (netmaskToPrefix(mask) ?? 0) : family === 'ipv6' ? 64 : 24;
    const dhcp = obj(ip.dhcp);
    const dhcpRanges: DhcpRange[] = list(dhcp.range).map((r) => ({ start: str(r['@start']) ?? '', end: str(r['@end']) ?? '' }));
    const dhcpHosts: DhcpHost[] = list(dhcp.host).map((h) => ({
      mac: str(h['@mac']),
      name: str(h['@name']),
      ip: str(h['@ip']) ?? '',
    }));
    return { address: str(ip['@address']) ?? '', prefix, family, dhcpRanges, dhcpHosts };
  });
  const forwardInterfaces = forward
    ? list(forward.interface)
        .map((i) => str(i['@dev']))
        .filter((d): d is string => d !== null)
    : [];
  const stp = str(bridge['@stp']);
  return {
    name: str(net.name) ?? '',
    uuid: str(net.uuid) ?? facts.uuid,
    active: facts.active,
    autostart: facts.autostart,
    persistent: facts.persistent,
    // libvirt: <forward/> without a mode is NAT; no <forward> at all is an isolated network.
    forwardMode: forward ? (str(forward['@mode']) ?? 'nat') : 'isolated',
    forwardDev: forward ? str(forward['@dev']) : null,
    bridge: str(bridge['@name']),
    stp: stp === null ? null : stp !== 'off',
    domainName: str(obj(net.domain)['@name']),
    ips,
    leases,
    forwardInterfaces,
    forwardPf: forward ? str(obj(forward.pf)['@dev']) : null,
  };
}

/**
 * `virsh net-dhcp-leases` prints a table; virsh 9 has no JSON for it. Rows are
 * `date time  mac  proto  ip/prefix  hostname  clientid`, with `-` for an unknown hostname.
 */
export function parseLeases(text: string): Lease[] {
  const leases: Lease[] = [];
  const row = /^\s*(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+([0-9a-fA-F:]{17})\s+(ipv4|ipv6)\s+(\S+)\s+(\S+)/;
  for (const line of text.split('\n')) {
    const m = row.exec(line);
    if (!m) {
      continue;
    }
    const [address, prefix] = (m[4] ?? '').split('/');
    leases.push({
      expiry: m[1] ?? null,
      mac: (m[2] ?? '').toLowerCase(),
      ip: address ?? '',
      prefix: prefix ? Number(prefix) : null,
      hostname: m[5] && m[5] !== '-' ? m[5] : null,
    });
  }
  return leases;
}

export interface DomainFacts {
  uuid: string;
  state: string;
  persistent: boolean;
  autostart: boolean;
}

function interfaceSource(type: string, source: Node): string | null {
  switch (type) {
    case 'network':
      return str(source['@network']);
    case 'bridge':
      return str(source['@bridge']);
    case 'direct':
      return str(source['@dev']);
    case 'hostdev':
      return pciAddressOf(obj(source.address));
    case 'vhostuser':
    case 'server':
    case 'client':
      return str(source['@path']) ?? str(source['@address']);
    default:
      return str(source['@bridge']) ?? str(source['@network']) ?? str(source['@dev']);
  }
}

export function parseDomainXml(text: string, facts: DomainFacts): Domain {
  const dom = obj(xml.parse(text).domain);
  const devices = obj(dom.devices);
  const interfaces: DomainInterface[] = list(devices.interface).map((i) => {
    const type = str(i['@type']) ?? 'unknown';
    const source = obj(i.source);
    return {
      type,
      source: interfaceSource(type, source),
      model: str(obj(i.model)['@type']),
      mac: str(obj(i.mac)['@address'])?.toLowerCase() ?? null,
      target: str(obj(i.target)['@dev']),
      ips: [],
      sourceMode: type === 'direct' ? (str(source['@mode']) ?? 'vepa') : null,
    };
  });
  const hostdevs: DomainHostdev[] = list(devices.hostdev).map((h) => {
    const type = str(h['@type']) ?? 'unknown';
    return {
      type,
      address: type === 'pci' ? pciAddressOf(obj(obj(h.source).address)) : null,
      managed: str(h['@managed']) === 'yes',
    };
  });
  return {
    name: str(dom.name) ?? '',
    uuid: str(dom.uuid) ?? facts.uuid,
    state: facts.state,
    persistent: facts.persistent,
    autostart: facts.autostart,
    virtType: str(dom['@type']),
    interfaces,
    hostdevs,
  };
}
