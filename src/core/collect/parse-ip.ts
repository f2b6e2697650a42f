/**
 * Parsers for iproute2's JSON (`ip -j -d link`, `ip -j addr`, `ip -j route`, `bridge -j link`).
 * Pure functions of text; unknown fields are ignored, missing ones become null.
 */
import type { Link, PortKind, Route } from '../model/types';

/** The per-netdev sysfs facts the collector's net walk prints. */
export interface NetdevSysfs {
  name: string;
  /** Bus id of the device behind the netdev (PCI address for PCI NICs), or null for virtual ones. */
  device: string | null;
  physfn: string | null;
  driver: string | null;
}

interface IpLinkJson {
  ifname?: string;
  flags?: string[];
  mtu?: number;
  operstate?: string;
  address?: string;
  link_type?: string;
  master?: string;
  linkinfo?: {
    info_kind?: string;
    info_data?: Record<string, unknown>;
    info_slave_kind?: string;
    info_slave_data?: Record<string, unknown>;
  };
}

interface IpAddrJson {
  ifname?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number; scope?: string; dynamic?: boolean }[];
}

interface IpRouteJson {
  dst?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  metric?: number;
}

interface BridgeLinkJson {
  ifname?: string;
  master?: string;
  state?: string;
}

/** Parses JSON from iproute2, tolerating empty output (a namespace with nothing in it). */
export function parseJsonArray<T>(text: string, what: string): T[] {
  const trimmed = text.trim();
  if (trimmed === '') {
    return [];
  }
  const value: unknown = JSON.parse(trimmed);
  if (!Array.isArray(value)) {
    throw new Error(`${what}: expected a JSON array`);
  }
  return value as T[];
}

export interface ParsedLink extends Link {
  /** Raw `linkinfo.info_data` of the link (bridge STP state, tun type...). */
  infoData: Record<string, unknown>;
  /** Raw `linkinfo.info_slave_data` (bridge port state...). */
  slaveData: Record<string, unknown>;
}

export function portKindOf(kind: string | null, infoData: Record<string, unknown>, sysfs: NetdevSysfs | undefined, linkType: string | undefined): PortKind {
  if (sysfs?.physfn) {
    return 'vf';
  }
  switch (kind) {
    case 'tun':
      // A tun-type device cannot join a bridge; the ones that do are taps.
      return infoData.type === 'tun' ? 'other' : 'tap';
    case 'veth':
      return 'veth';
    case 'bond':
      return 'bond';
    case 'vlan':
      return 'vlan';
    case 'bridge':
      return 'bridge';
    case null:
      return sysfs?.device && linkType === 'ether' ? 'physical' : 'other';
    default:
      return 'other';
  }
}

export function parseLinks(linkJson: string, addrJson: string, sysfs: NetdevSysfs[]): ParsedLink[] {
  const links = parseJsonArray<IpLinkJson>(linkJson, 'ip -j -d link');
  const addrs = parseJsonArray<IpAddrJson>(addrJson, 'ip -j addr');
  const byName = new Map(sysfs.map((s) => [s.name, s]));
  const addressesOf = new Map<string, string[]>();
  const dynamicOf = new Map<string, string[]>();
  for (const a of addrs) {
    if (!a.ifname) {
      continue;
    }
    const infos = (a.addr_info ?? [])
      .filter((i) => i.local && i.prefixlen !== undefined)
      // IPv4 first, then global IPv6; link-local IPv6 adds noise without helping anyone.
      .filter((i) => !(i.family === 'inet6' && i.scope === 'link'))
      .sort((x, y) => (x.family === y.family ? 0 : x.family === 'inet' ? -1 : 1));
    addressesOf.set(
      a.ifname,
      infos.map((i) => `${i.local}/${i.prefixlen}`),
    );
    // iproute2 marks addresses with a finite lifetime (leases, SLAAC) "dynamic".
    const dyn = infos.filter((i) => i.dynamic === true).map((i) => `${i.local}/${i.prefixlen}`);
    if (dyn.length) dynamicOf.set(a.ifname, dyn);
  }
  return links
    .filter((l): l is IpLinkJson & { ifname: string } => typeof l.ifname === 'string')
    .map((l) => {
      const kind = l.linkinfo?.info_kind ?? null;
      const infoData = l.linkinfo?.info_data ?? {};
      return {
        name: l.ifname,
        kind,
        portKind: portKindOf(kind, infoData, byName.get(l.ifname), l.link_type),
        up: (l.flags ?? []).includes('UP'),
        operState: l.operstate ?? 'UNKNOWN',
        mac: l.link_type === 'ether' && l.address ? l.address : null,
        mtu: typeof l.mtu === 'number' ? l.mtu : null,
        master: l.master ?? null,
        addresses: addressesOf.get(l.ifname) ?? [],
        ...(dynamicOf.has(l.ifname) ? { dynamicAddresses: dynamicOf.get(l.ifname)! } : {}),
        infoData,
        slaveData: l.linkinfo?.info_slave_data ?? {},
      };
    });
}

export function parseRoutes(text: string, family: 'ipv4' | 'ipv6'): Route[] {
  return parseJsonArray<IpRouteJson>(text, 'ip -j route').map((r) => ({
    dst: r.dst ?? 'default',
    gateway: r.gateway ?? null,
    dev: r.dev ?? null,
    protocol: r.protocol ?? null,
    metric: typeof r.metric === 'number' ? r.metric : null,
    family,
  }));
}

/** Port states from `bridge -j link`, keyed by port name. */
export function parseBridgeLink(text: string): Map<string, { master: string | null; state: string | null }> {
  const ports = new Map<string, { master: string | null; state: string | null }>();
  for (const p of parseJsonArray<BridgeLinkJson>(text, 'bridge -j link')) {
    if (p.ifname) {
      ports.set(p.ifname, { master: p.master ?? null, state: p.state ?? null });
    }
  }
  return ports;
}

/** The net walk's `name|device|physfn|driver|tun_flags` lines. */
export function parseNetWalk(text: string): NetdevSysfs[] {
  return text
    .split('\n')
    .filter((l) => l.includes('|'))
    .map((l) => {
      const [name = '', device = '', physfn = '', driver = ''] = l.split('|');
      return { name, device: device || null, physfn: physfn || null, driver: driver || null };
    });
}
