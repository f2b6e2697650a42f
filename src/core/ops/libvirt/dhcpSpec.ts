/** Static DHCP hosts and ranges as users write them, checked once for create, add and the form. */
import type { DhcpRange } from '../../model/types';
import { checkIpv4, checkIpv6, inSubnet, ipOrder } from '../../validate';

export interface DhcpHostSpec {
  mac: string;
  ip: string;
  name?: string;
}

/** `mac,ip[,name]` as the CLI takes a static host. */
export function parseDhcpHost(text: string): DhcpHostSpec | string {
  const [mac, ip, name, ...rest] = text.split(',');
  if (!mac || !ip || rest.length) return `"${text}" is not MAC,IP[,NAME]`;
  return { mac: mac.toLowerCase(), ip, ...(name ? { name } : {}) };
}

/**
 * What is wrong with the DHCP range `START-END` in `subnet` (the host's address on the network
 * and its prefix, IPv4 or IPv6), with `taken` the network's other ranges: one checker for create
 * and add.
 */
export function rangeProblems(range: string, subnet: string, taken: readonly DhcpRange[] = []): string[] {
  const six = subnet.includes(':');
  const [s, e, extra] = range.split('-');
  const bad = (ip: string) => (six ? checkIpv6(ip) : checkIpv4(ip));
  if (!s || !e || extra !== undefined || bad(s) || bad(e)) return [`"${range}" is not an ${six ? 'IPv6' : 'IPv4'} range START-END`];
  const host = subnet.split('/')[0]!;
  const n = ipOrder;
  if (!inSubnet(s, subnet) || !inSubnet(e, subnet)) return [`the range ${range} is not inside ${subnet}`];
  if (n(s) > n(e)) return [`the range ${range} ends before it starts`];
  if (n(s) <= n(host) && n(host) <= n(e)) return [`the range ${range} holds the host's own address ${host}`];
  return taken.filter((r) => n(s) <= n(r.end) && n(r.start) <= n(e)).map((r) => `the range ${range} overlaps the range ${r.start}-${r.end}`);
}
