/**
 * What the inventory reads for port forwards besides VirtNet's own state: DNAT rules written by
 * hand in nat PREROUTING, the host's listening sockets, and the kernel's ephemeral port range.
 */
import type { HandForward, HookDriver, LibvirtHooks, ListeningPort } from '../model/types';

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

/**
 * The collector's `libvirt.hooks` lines: which daemon runs each hook driver now, and whether an
 * executable hook of that driver existed when it started (its ctime not after the daemon's start;
 * a hook rewritten since then counts as unseen, which at worst asks for a restart not needed).
 * null: the collector did not look (an older capture).
 */
export function parseHooks(text: string): LibvirtHooks | null {
  if (!text.trim()) return null;
  const daemons = new Map<string, { pid: number; start: number }>();
  const hooks: { driver: string; ctime: number }[] = [];
  let systemd = false;
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'systemd') systemd = true;
    else if (w[0] === 'daemon' && w.length === 4 && /^(libvirtd|virtqemud|virtnetworkd)$/.test(w[1]!))
      daemons.set(w[1]!, { pid: Number(w[2]), start: Number(w[3]) });
    else if (w[0] === 'hook' && w.length === 3 && (w[1] === 'qemu' || w[1] === 'network')) hooks.push({ driver: w[1], ctime: Number(w[2]) });
  }
  const driver = (name: 'qemu' | 'network', modular: string): HookDriver => {
    const daemon = daemons.has(modular) ? modular : daemons.has('libvirtd') ? 'libvirtd' : null;
    const d = daemon ? daemons.get(daemon)! : null;
    return { daemon, pid: d?.pid ?? null, seen: d !== null && hooks.some((h) => h.driver === name && h.ctime <= d.start) };
  };
  return { systemd, qemu: driver('qemu', 'virtqemud'), network: driver('network', 'virtnetworkd') };
}

/** `net.ipv4.ip_local_port_range`: two numbers. */
export function parsePortRange(text: string): { low: number; high: number } | null {
  const [low, high] = text.trim().split(/\s+/).map(Number);
  return low && high && low <= high ? { low, high } : null;
}
