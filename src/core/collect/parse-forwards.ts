/**
 * What the inventory reads for port forwards besides VirtNet's own state: DNAT rules written by
 * hand in nat PREROUTING, the host's listening sockets, and the kernel's ephemeral port range.
 */
import type { HandForward, ListeningPort } from '../model/types';

/**
 * DNAT rules of `iptables -t nat -S PREROUTING` to one address and port (what users write by
 * hand, after the guide): `-A PREROUTING [-d A/32] [-i IF] -p tcp [-m tcp] --dport N -j DNAT
 * --to-destination IP:PORT`. Rules with anything else (quoted comments, port ranges, marks) are
 * not read as forwards.
 */
export function parseHandForwards(text: string): HandForward[] {
  const out: HandForward[] = [];
  let position = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('-A PREROUTING ')) continue;
    position++;
    const rule = line.slice('-A PREROUTING '.length).trim();
    const m =
      /^(?:-d (\d+\.\d+\.\d+\.\d+)(?:\/32)? )?(?:-i ([\w.-]+) )?-p (tcp|udp) (?:-m (?:tcp|udp) )?--dport (\d+) -j DNAT --to-destination (\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(
        rule,
      );
    if (!m) continue;
    out.push({
      proto: m[3] as 'tcp' | 'udp',
      hostPort: Number(m[4]),
      hostAddress: m[1] ?? null,
      inInterface: m[2] ?? null,
      guestIp: m[5]!,
      guestPort: Number(m[6]),
      rule,
      position,
    });
  }
  return out;
}

/** `ss -Hltnu` lines: `tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:*` (udp: UNCONN). */
export function parseListening(text: string): ListeningPort[] {
  const out: ListeningPort[] = [];
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    const local = w[4];
    if ((w[0] !== 'tcp' && w[0] !== 'udp') || !local) continue;
    const at = local.lastIndexOf(':');
    const port = Number(local.slice(at + 1));
    if (at > 0 && Number.isInteger(port) && port > 0) out.push({ proto: w[0], address: local.slice(0, at), port });
  }
  return out;
}

/** `net.ipv4.ip_local_port_range`: two numbers. */
export function parsePortRange(text: string): { low: number; high: number } | null {
  const [low, high] = text.trim().split(/\s+/).map(Number);
  return low && high && low <= high ? { low, high } : null;
}
