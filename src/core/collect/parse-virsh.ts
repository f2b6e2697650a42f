/**
 * Parsers for libvirt: `net-dhcp-leases` tables here; network and domain XML in parse-network.ts
 * and parse-domain.ts (re-exported here). Pure functions of text.
 */
import type { Lease } from '../model/types';

export { classfulPrefix, netmaskToPrefix, pciAddressOf } from './xml-read';
export { parseNetworkXml, type NetworkFacts } from './parse-network';
export { parseDomainXml, type DomainFacts } from './parse-domain';

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
