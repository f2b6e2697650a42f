/**
 * Asking DHCP for an interface's IPv4 address, as plan steps, for `uplink --dhcp` and
 * `address --dhcp`. What makes this honest:
 *  - the client stays as a daemon that renews the lease (a one-shot client's address outlives its
 *    lease, and the server may hand it to someone else), and undo releases the lease and stops it;
 *  - the client runs for a bounded time, so a silent server fails the plan well inside the
 *    connectivity guard's rollback time instead of racing it;
 *  - a client that "succeeds" without configuring anything fails the plan (a check step), so the
 *    applier undoes everything;
 *  - whatever the client's hooks write into /etc/resolv.conf is put back by undo.
 * Only dhclient and dhcpcd are offered. Busybox's udhcpc is not: in one-shot mode (-q) nothing
 * renews the lease, and without the script its package ships (busybox alone has none) it gets a
 * lease and configures nothing.
 */
import type { HostModel } from '../model/types';
import { step, type Step } from './plan';

export type DhcpClient = 'dhclient' | 'dhcpcd';

/** Seconds the client may take without STP in the way: a LAN server answers in about one. */
export const DHCP_WAIT_SECONDS = 10;

/** The client VirtNet runs on this host, in order of preference, or null. */
export function dhcpClient(model: HostModel): DhcpClient | null {
  const t = model.info.tools;
  if (t.dhclient) return 'dhclient';
  if (t.dhcpcd) return 'dhcpcd';
  return null;
}

/** Why DHCP cannot be planned on this host (for PlanInputError), or null when it can. */
export function dhcpProblem(model: HostModel): string | null {
  if (dhcpClient(model)) return null;
  if (model.info.tools.udhcpc) {
    return "the host has only busybox udhcpc, which VirtNet does not run (one-shot, it leaves nothing to renew the lease, and without its package's script it configures nothing): install isc-dhcp-client or dhcpcd-base, or use a static address";
  }
  return 'no DHCP client on the host (dhclient or dhcpcd): install isc-dhcp-client or dhcpcd-base, or use a static address';
}

export interface DhcpStepOptions {
  /** How long the client may try (STP settling included by the caller). */
  waitSeconds: number;
  /** The plan took a default route off the interface DHCP replaces: DHCP must bring one back. */
  expectDefaultRoute: boolean;
  touchesConnection: boolean;
}

// Constant scripts; every value arrives as a positional parameter.
const KEEP_RESOLV = 'if [ -e /etc/resolv.conf ]; then cat /etc/resolv.conf > "$1"; fi';
// cat, not mv: /etc/resolv.conf may be a symlink or a mount point; its inode must stay.
const RESTORE_RESOLV = 'if [ -e "$1" ]; then cat "$1" > /etc/resolv.conf && rm -f "$1"; fi';
const CHECK = [
  'ip -4 -o addr show dev "$1" scope global | grep -q " inet " || { echo "virtnet: the DHCP client left $1 without an IPv4 address" >&2; exit 1; }',
  'if [ "$2" = 1 ]; then ip -4 route show default dev "$1" | grep -q . || { echo "virtnet: DHCP gave $1 no default route (the one it replaces was taken off)" >&2; exit 1; }; fi',
].join('\n');

/** The client's run and release, per client. Paths follow ifupdown's (and AppArmor's profile). */
export function dhcpArgv(client: DhcpClient, ifname: string, waitSeconds: number): { run: string[]; release: string[] } {
  if (client === 'dhclient') {
    const files = ['-pf', `/run/dhclient.${ifname}.pid`, '-lf', `/var/lib/dhcp/dhclient.${ifname}.leases`];
    // dhclient -1 waits up to its config's timeout (60 s by default) and has no flag for it:
    // `timeout` bounds it. With a lease it forks a daemon that renews; `-r` releases and stops it.
    return { run: ['timeout', '-k', '5', String(waitSeconds), 'dhclient', '-1', ...files, ifname], release: ['dhclient', '-r', ...files, ifname] };
  }
  // Not -1: dhcpcd's oneshot exits after configuring, so nothing renews and -k finds no daemon.
  // -w: fork to the background only once an address is set; -L: no 169.254 fallback address.
  return { run: ['dhcpcd', '-4', '-L', '-w', '-t', String(waitSeconds), ifname], release: ['dhcpcd', '-4', '-k', ifname] };
}

/**
 * Steps that give `ifname` its IPv4 address by DHCP: keep resolv.conf, run the client, check.
 * Call only when dhcpProblem(model) is null.
 */
export function dhcpSteps(model: HostModel, ifname: string, opts: DhcpStepOptions): Step[] {
  const client = dhcpClient(model);
  if (!client) throw new Error(dhcpProblem(model) ?? 'no DHCP client');
  const { run, release } = dhcpArgv(client, ifname, opts.waitSeconds);
  const flags = { touchesConnection: opts.touchesConnection };
  const copy = `/run/virtnet-resolv.conf.${ifname}`;
  return [
    step(
      ['sh', '-c', KEEP_RESOLV, 'virtnet-keep', copy],
      `keep a copy of /etc/resolv.conf in ${copy}: the DHCP client's hooks may rewrite it, and undo puts it back`,
      ['sh', '-c', RESTORE_RESOLV, 'virtnet-restore', copy],
      {
        kind: 'file',
        display: `copy /etc/resolv.conf to ${copy}`,
      },
    ),
    step(
      run,
      `ask DHCP for ${ifname}'s address${opts.expectDefaultRoute ? ' and default route' : ''} (${client}, at most ${opts.waitSeconds} s; it stays to renew the lease)`,
      release,
      { ...flags, kind: 'dhcp' },
    ),
    step(
      ['sh', '-c', CHECK, 'virtnet-check-dhcp', ifname, opts.expectDefaultRoute ? '1' : '0'],
      `check that ${ifname} got an IPv4 address${opts.expectDefaultRoute ? ' and a default route' : ''}; otherwise the plan fails and is undone`,
      null,
      {
        ...flags,
        kind: 'check',
        display: `check ${ifname} has an IPv4 address${opts.expectDefaultRoute ? ' and a default route' : ''}`,
      },
    ),
  ];
}
