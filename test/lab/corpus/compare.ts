/**
 * The corpus comparison, pure (no lab, no processes): the model's typed fields next to what the
 * independent reader (facts.py) says the XML holds, field by field; and which fields the corpus
 * gave a value at least once. The lab test uses it on a live inventory; a unit test can use it on
 * the captured fixture (test/fixtures/corpus/).
 */
import type { Domain, Network } from '../../../src/core/model/libvirt';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One network as facts.py prints it: the model's XML fields, and what no field took. */
export interface NetworkFactsJson {
  name: string;
  unread: string[];
  [field: string]: Json;
}

export interface DomainFactsJson {
  name: string;
  interfaces: Json[];
  hostdevs: Json[];
  unread: string[];
  [field: string]: Json;
}

export interface FactsJson {
  networks: NetworkFactsJson[];
  domains: DomainFactsJson[];
}

/**
 * Fields of the model that are not facts of one XML dump: state from virsh's lists, leases, the
 * XML itself, and `pending` (what a definition holds differently from the running object: two
 * dumps compared, not a fact of either). inactiveXml is checked against `--inactive` instead;
 * state and leases by the inventory test.
 */
const NETWORK_NOT_XML = ['active', 'autostart', 'persistent', 'leases', 'pending', 'xml', 'inactiveXml'] as const;
const DOMAIN_NOT_XML = ['state', 'persistent', 'autostart', 'xml', 'inactiveXml'] as const;
/** A NIC's guest addresses (and where from) come from DHCP leases or the neighbour table, not from the domain XML. */
const INTERFACE_NOT_XML = ['ips', 'ipSource', 'pending'] as const;

function without<T extends object>(o: T, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

/** The part of a model Network that facts.py reads from the XML. */
export function networkXmlFields(n: Network): Record<string, unknown> {
  return without(n, NETWORK_NOT_XML);
}

/** The part of a model Domain that facts.py reads from the XML. */
export function domainXmlFields(d: Domain): Record<string, unknown> {
  const fields = without(d, DOMAIN_NOT_XML);
  fields.interfaces = d.interfaces.map((i) => without(i, INTERFACE_NOT_XML));
  return fields;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

/**
 * Every difference between the reader's facts (expected) and the model (actual), as
 * `path: expected X, got Y` lines. A field only one side has is a difference too: a model field
 * facts.py does not read would otherwise go unchecked, and a fact the model lacks is a gap.
 */
export function diffFacts(expected: unknown, actual: unknown, path: string, out: string[] = []): string[] {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) {
      out.push(`${path}: expected ${expected.length} item(s) ${show(expected)}, got ${actual.length} ${show(actual)}`);
      return out;
    }
    expected.forEach((e, i) => diffFacts(e, actual[i], `${path}[${i}]`, out));
    return out;
  }
  if (isRecord(expected) && isRecord(actual)) {
    for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      const p = `${path}.${key}`;
      if (!(key in actual)) out.push(`${p}: the model has no such field (the XML says ${show(expected[key])})`);
      else if (!(key in expected)) out.push(`${p}: facts.py does not read this model field (the model says ${show(actual[key])})`);
      else diffFacts(expected[key], actual[key], p, out);
    }
    return out;
  }
  if (!Object.is(expected, actual)) out.push(`${path}: expected ${show(expected)}, got ${show(actual)}`);
  return out;
}

/** The model's type of a value, by the field that holds it (for coverage per type and field). */
const TYPE_OF_FIELD: Record<string, string> = {
  ips: 'NetworkIp',
  portForwards: 'NicPortForward',
  ranges: 'PortForwardRange',
  dhcpRanges: 'DhcpRange',
  dhcpHosts: 'DhcpHost',
  lease: 'DhcpLeaseTime',
  bootp: 'Bootp',
  dns: 'NetworkDns',
  forwarders: 'DnsForwarder',
  hosts: 'DnsHost',
  txt: 'DnsTxt',
  srv: 'DnsSrv',
  nat: 'NatRange',
  routes: 'NetworkRoute',
  portgroups: 'Portgroup',
  vlan: 'Vlan',
  tags: 'VlanTag',
  bandwidth: 'Bandwidth',
  inbound: 'BandwidthLimit',
  outbound: 'BandwidthLimit',
  virtualport: 'Virtualport',
  interfaces: 'DomainInterface',
  hostdevs: 'DomainHostdev',
  socket: 'NicSocket',
  vhostUser: 'VhostUser',
  usb: 'UsbId',
};

export interface Coverage {
  /** `Type.field` → how many values of that field had a value (not null, not [] or ''). */
  withValue: Map<string, number>;
  /** `Type.field` → how many values of that field there were in all. */
  seen: Map<string, number>;
}

function hasValue(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

function walkCoverage(type: string, value: Record<string, unknown>, cov: Coverage): void {
  for (const [field, v] of Object.entries(value)) {
    const key = `${type}.${field}`;
    cov.seen.set(key, (cov.seen.get(key) ?? 0) + 1);
    if (hasValue(v)) cov.withValue.set(key, (cov.withValue.get(key) ?? 0) + 1);
    const inner = TYPE_OF_FIELD[field];
    if (!inner) continue;
    for (const item of Array.isArray(v) ? v : [v]) {
      if (isRecord(item)) walkCoverage(inner, item, cov);
    }
  }
}

/** Per type and field, how often the corpus gave it a value. */
export function coverageOf(networks: Record<string, unknown>[], domains: Record<string, unknown>[]): Coverage {
  const cov: Coverage = { withValue: new Map(), seen: new Map() };
  for (const n of networks) walkCoverage('Network', n, cov);
  for (const d of domains) walkCoverage('Domain', d, cov);
  return cov;
}

/** `Type.field` entries that never had a value. */
export function uncovered(cov: Coverage): string[] {
  return [...cov.seen.keys()].filter((k) => !cov.withValue.has(k)).sort();
}

/** The XML paths no field took, each with the objects it was found in. */
export function unreadPaths(facts: FactsJson): Map<string, string[]> {
  const where = new Map<string, string[]>();
  for (const o of [...facts.networks.map((n) => ({ ...n, kind: 'network' })), ...facts.domains.map((d) => ({ ...d, kind: 'domain' }))]) {
    for (const p of o.unread) where.set(p, [...(where.get(p) ?? []), `${o.kind} ${o.name}`]);
  }
  return new Map([...where.entries()].sort(([a], [b]) => a.localeCompare(b)));
}
