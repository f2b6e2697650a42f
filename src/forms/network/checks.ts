/**
 * Live checks of the Create Network form's fields, run in the webview as the user types and again
 * by the extension before planning. Each uses the core's own checker for that value, so the form,
 * the CLI and the planner refuse the same input for the same reason; what needs the whole host
 * (a subnet in use, a bridge that is not one) comes back from the planner in the preview.
 * No `vscode` import: bundled into the webview.
 */
import { OWN_BRIDGE_MODES } from '../../core/model/queries';
import { parseDhcpHost, rangeProblems } from '../../core/ops/libvirt/dhcpSpec';
import { checkCidr, checkDnsDomain, checkIp, checkMac, checkMtu, checkNewName, inSubnet } from '../../core/validate';
import type { Draft, NetworkFormData } from './draft';

export type Field = 'name' | 'dev' | 'bridgeName' | 'delay' | 'address' | 'dhcpRanges' | 'dhcpHosts' | 'ipv6' | 'ipv6Ranges' | 'domain' | 'forwarders' | 'mtu';
export const FIELDS: readonly Field[] = [
  'name',
  'dev',
  'bridgeName',
  'delay',
  'address',
  'dhcpRanges',
  'dhcpHosts',
  'ipv6',
  'ipv6Ranges',
  'domain',
  'forwarders',
  'mtu',
];

/** Modes whose bridge is libvirt's own take addresses, DHCP, DNS, STP and an MTU. */
export const ownBridge = (d: Pick<Draft, 'forward'>) => OWN_BRIDGE_MODES.includes(d.forward);

/** A whole number as typed, undefined when empty, NaN when not one. */
export function wholeOf(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  return /^\d{1,5}$/.test(t) ? Number(t) : Number.NaN;
}

export function forwardersOf(text: string): string[] {
  return text.split(/[\s,]+/).filter((f) => f !== '');
}

const lines = (list: string[]) => list.map((l) => l.trim()).filter((l) => l !== '');

/** One message per field that is wrong now; fields the draft's mode does not use are skipped. */
export function fieldProblems(d: Draft, data: Pick<NetworkFormData, 'networks' | 'taken'>): Partial<Record<Field, string>> {
  const out: Partial<Record<Field, string>> = {};
  const name = checkNewName(d.name, 'network name', false);
  if (name) out.name = name;
  else if (data.networks.includes(d.name)) out.name = `a libvirt network named "${d.name}" already exists`;

  const needsDev = d.forward === 'route' || !ownBridge(d);
  if (needsDev && d.dev === '') out.dev = d.forward === 'bridge' ? 'choose the host bridge its guests join' : 'choose the interface it forwards through';
  if (!ownBridge(d)) return out;

  if (d.bridgeName !== '') {
    const bad = checkNewName(d.bridgeName, 'bridge name');
    if (bad) out.bridgeName = bad;
    else if (data.taken.includes(d.bridgeName)) out.bridgeName = `an interface named "${d.bridgeName}" already exists`;
  }
  const delay = wholeOf(d.delay);
  if (delay !== undefined && !(delay <= 30)) out.delay = 'a whole number of seconds from 0 to 30';

  const address = d.address.trim();
  const v4 = address === '' ? null : (checkCidr(address) ?? (address.includes(':') ? 'an IPv4 address here; IPv6 goes below' : null));
  if (address === '' && (d.forward === 'nat' || d.forward === 'route'))
    out.address = `a ${d.forward} network needs an address with its prefix, like 192.168.50.1/24`;
  else if (v4) out.address = v4;
  const subnet = address !== '' && !v4 ? address : undefined;

  const ranges = lines(d.dhcpRanges);
  if (ranges.length) {
    if (!subnet) out.dhcpRanges = 'a DHCP range needs the address (its subnet) first';
    else {
      const taken: { start: string; end: string; lease: null }[] = [];
      for (const r of ranges) {
        const bad = rangeProblems(r, subnet, taken)[0];
        if (bad) {
          out.dhcpRanges = bad;
          break;
        }
        const [start, end] = r.split('-');
        taken.push({ start: start!, end: end!, lease: null });
      }
    }
  }
  const seen = new Set<string>();
  for (const text of lines(d.dhcpHosts)) {
    const h = parseDhcpHost(text);
    const bad =
      typeof h === 'string'
        ? h
        : (checkMac(h.mac) ??
          checkIp(h.ip) ??
          (!subnet ? 'a static host needs the address (its subnet) first' : !inSubnet(h.ip, subnet) ? `${h.ip} is not inside ${subnet}` : null) ??
          (h.name !== undefined ? checkNewName(h.name, 'host name', false) : null) ??
          ([h.mac, h.ip, h.name].some((v) => v !== undefined && seen.has(v)) ? `"${text}" repeats a MAC, IP or name of a host above` : null));
    if (bad || typeof h === 'string') {
      out.dhcpHosts = bad ?? text;
      break;
    }
    for (const v of [h.mac, h.ip, h.name]) if (v !== undefined) seen.add(v);
  }

  const ipv6 = d.ipv6.trim();
  const v6 = ipv6 === '' ? null : (checkCidr(ipv6) ?? (!ipv6.includes(':') ? 'an IPv6 address here; IPv4 goes above' : null));
  if (v6) out.ipv6 = v6;
  const ranges6 = lines(d.ipv6Ranges);
  if (ranges6.length) {
    const bad = ipv6 === '' || v6 ? 'a DHCPv6 range needs the IPv6 address (its subnet) first' : ranges6.flatMap((r) => rangeProblems(r, ipv6))[0];
    if (bad) out.ipv6Ranges = bad;
  }

  if (d.domain.trim() !== '') {
    const bad = checkDnsDomain(d.domain.trim());
    if (bad) out.domain = bad;
  }
  const fwd = forwardersOf(d.forwarders)
    .map((f) => checkIp(f))
    .find((p) => p !== null);
  if (fwd) out.forwarders = fwd;
  const mtu = wholeOf(d.mtu);
  if (mtu !== undefined) {
    const bad = checkMtu(mtu);
    if (bad) out.mtu = bad;
  }
  return out;
}
