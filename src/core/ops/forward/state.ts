/**
 * Port forwards as the host keeps them: one line per forwarded port in a state file that VirtNet's
 * hook scripts read at every event that loses the rules (guest start, network start, libvirt's
 * reconnect after a daemon restart). Plain words, so the hooks need only a POSIX shell; every
 * value is checked here before it is written, so the shell never meets anything but safe words.
 */
import type { ForwardPort } from '../../model/types';
import { checkCidr, checkIpv4, checkMac, checkNewName } from '../../validate';

/** Where the host keeps the forwards: libvirt's own state directory (private per lab host too). */
export const FORWARDS_STATE = '/var/lib/libvirt/virtnet/forwards';

export type ForwardProto = ForwardPort['proto'];
export type { ForwardPort };

/** The most ports one forward may span: each port is a rule (nftables has no shifted ranges). */
export const MAX_RANGE = 64;

export interface PortSpec {
  hostPort: number;
  hostPortEnd: number;
  guestPort: number;
}

const port = (t: string) => (/^\d{1,5}$/.test(t) && Number(t) >= 1 && Number(t) <= 65535 ? Number(t) : null);

/** `HOSTPORT[-END]:GUESTPORT` (a range maps onto as many guest ports from GUESTPORT on). */
export function parsePortSpec(text: string): PortSpec | string {
  const m = /^(\d+)(?:-(\d+))?:(\d+)$/.exec(text);
  const bad = `"${text}" is not HOSTPORT[-END]:GUESTPORT (ports 1-65535), e.g. 19922:22 or 8000-8009:8000`;
  if (!m) return bad;
  const hostPort = port(m[1]!);
  const hostPortEnd = m[2] === undefined ? hostPort : port(m[2]);
  const guestPort = port(m[3]!);
  if (hostPort === null || hostPortEnd === null || guestPort === null) return bad;
  if (hostPortEnd < hostPort) return `the host ports ${hostPort}-${hostPortEnd} end before they start`;
  if (hostPortEnd - hostPort + 1 > MAX_RANGE) return `a forward spans at most ${MAX_RANGE} ports (${hostPort}-${hostPortEnd} is ${hostPortEnd - hostPort + 1})`;
  if (guestPort + (hostPortEnd - hostPort) > 65535) return `the guest ports from ${guestPort} run past 65535`;
  return { hostPort, hostPortEnd, guestPort };
}

/** What is wrong with a forward's values for the state file (each must be one safe word). */
export function forwardPortProblems(f: ForwardPort): string[] {
  const out: string[] = [];
  if (f.proto !== 'tcp' && f.proto !== 'udp') out.push(`"${String(f.proto)}" is not tcp or udp`);
  for (const [what, p] of [
    ['host port', f.hostPort],
    ['guest port', f.guestPort],
  ] as const)
    if (!Number.isInteger(p) || p < 1 || p > 65535) out.push(`${what} ${p} is not a port (1-65535)`);
  const ip = checkIpv4(f.guestIp);
  if (ip) out.push(`guest address: ${ip}`);
  if (f.hostAddress !== null) {
    const bad = checkIpv4(f.hostAddress);
    if (bad) out.push(`host address: ${bad}`);
  }
  if (f.hairpin !== null) {
    const bad = checkCidr(f.hairpin) ?? (f.hairpin.includes(':') ? 'an IPv4 subnet' : null);
    if (bad) out.push(`hairpin subnet: ${bad}`);
  }
  const br = checkNewName(f.bridge, 'bridge name');
  if (br) out.push(br);
  const vm = checkNewName(f.vm, 'VM name', false);
  if (vm) out.push(vm);
  const mac = checkMac(f.mac);
  if (mac) out.push(mac);
  return out;
}

const HEADER = '# VirtNet port forwards: proto host-port guest-ip guest-port bridge host-address|- from-host vm mac hairpin-subnet|-\n';

/** The forward lines alone, joined by newlines: what the `forwards` fact compares. */
export function forwardLines(ports: readonly ForwardPort[]): string {
  return ports
    .map((f) =>
      [f.proto, f.hostPort, f.guestIp, f.guestPort, f.bridge, f.hostAddress ?? '-', f.fromHost ? 1 : 0, f.vm, f.mac.toLowerCase(), f.hairpin ?? '-'].join(' '),
    )
    .join('\n');
}

/** The state file's text; the hooks rebuild every rule from it. */
export function stateText(ports: readonly ForwardPort[]): string {
  return HEADER + (ports.length ? `${forwardLines(ports)}\n` : '');
}

/** The forwards of a state file as written by stateText (lines that are not are skipped). */
export function parseState(text: string): ForwardPort[] {
  const out: ForwardPort[] = [];
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    // Nine words: written before hairpin existed (off).
    if ((w.length !== 9 && w.length !== 10) || (w[0] !== 'tcp' && w[0] !== 'udp')) continue;
    const [proto, hp, ip, gp, bridge, addr, from, vm, mac] = w as [ForwardProto, string, string, string, string, string, string, string, string];
    const hairpin = w[9] ?? '-';
    const f: ForwardPort = {
      proto,
      hostPort: Number(hp),
      guestIp: ip,
      guestPort: Number(gp),
      bridge,
      hostAddress: addr === '-' ? null : addr,
      fromHost: from === '1',
      hairpin: hairpin === '-' ? null : hairpin,
      vm,
      mac,
    };
    if (!forwardPortProblems(f).length) out.push(f);
  }
  return out;
}
