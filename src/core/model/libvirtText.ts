/**
 * The typed libvirt facts of a network, a NIC or an assigned device as tooltip rows: one place
 * that turns VLANs, bandwidth, DNS records, routes and sockets into short text, read by the
 * tree's network and VM nodes and the CLI's inventory alike.
 */
import type { Bandwidth, DomainHostdev, DomainInterface, Network, NicPortForward, Virtualport, Vlan } from './types';

export type Row = [string, string | number | boolean | null | undefined];

const yn = (v: boolean | null | undefined) => (v === null || v === undefined ? undefined : v ? 'yes' : 'no');
const join = (xs: string[]) => (xs.length ? xs.join(', ') : undefined);

export function vlanText(v: Vlan | null): string | undefined {
  if (!v) return undefined;
  const tags = v.tags.map((t) => `${t.id}${t.nativeMode ? ` (native, ${t.nativeMode})` : ''}`).join(', ');
  return `${v.trunk ? 'trunk ' : ''}${tags}`;
}

export function bandwidthText(b: Bandwidth | null): string | undefined {
  if (!b) return undefined;
  const one = (name: string, l: Bandwidth['inbound']) =>
    l
      ? `${name} ${[
          l.average !== null ? `avg ${l.average}` : '',
          l.peak !== null ? `peak ${l.peak}` : '',
          l.burst !== null ? `burst ${l.burst}` : '',
          l.floor !== null ? `floor ${l.floor}` : '',
        ]
          .filter(Boolean)
          .join(' ')} kB/s`
      : '';
  return [one('in', b.inbound), one('out', b.outbound)].filter(Boolean).join('; ') || undefined;
}

export function virtualportText(v: Virtualport | null): string | undefined {
  if (!v) return undefined;
  const params = [
    v.interfaceId && `interface ${v.interfaceId}`,
    v.profileId && `profile ${v.profileId}`,
    v.managerId && `manager ${v.managerId}`,
    v.typeId && `type id ${v.typeId}`,
    v.instanceId && `instance ${v.instanceId}`,
  ].filter(Boolean);
  return [v.type ?? 'virtualport', ...params].join(' · ');
}

const SETTING_NAMES: Record<string, string> = {
  forwardMode: 'forward mode',
  forwardDev: 'forward device',
  stpDelay: 'STP delay',
  bridgeMac: 'bridge MAC',
  mtu: 'MTU',
  domainName: 'DNS domain',
  domainLocalOnly: 'DNS domain local only',
  dns: 'DNS records',
  ips: 'addresses and DHCP',
  routes: 'static routes',
  portIsolated: 'port isolation',
  trustGuestRxFilters: 'trusts guest RX filters',
  ipv6: 'guest-to-guest IPv6',
  linkState: 'link',
  driverName: 'driver',
  bootOrder: 'boot order',
  virtualport: 'virtual port',
  vlan: 'VLAN',
};

/** Settings a definition holds differently from the running object: `MTU 1400, DNS domain lab`. */
export function pendingText(pending: object): string | undefined {
  const parts = Object.entries(pending).map(([k, v]: [string, unknown]) => {
    const name = SETTING_NAMES[k] ?? k;
    if (v === null || v === undefined) return `${name} ${k === 'linkState' ? 'up' : 'none'}`;
    return typeof v === 'object' ? `${name} changed` : `${name} ${String(v)}`;
  });
  return parts.length ? parts.join(', ') : undefined;
}

/** A network's rows beyond its name and state. */
export function networkRows(n: Network): Row[] {
  const nat = n.nat;
  return [
    ['in its definition, from its next start', pendingText(n.pending)],
    ['MTU', n.mtu],
    ['bridge MAC', n.bridgeMac],
    ['STP delay', n.stpDelay !== null ? `${n.stpDelay} s` : undefined],
    ['NAT addresses', nat?.addressStart ? `${nat.addressStart}–${nat.addressEnd ?? nat.addressStart}` : undefined],
    ['NAT ports', nat?.portStart !== null && nat?.portStart !== undefined ? `${nat.portStart}–${nat.portEnd ?? ''}` : undefined],
    ['NAT for IPv6', yn(nat?.ipv6)],
    ['static routes', join(n.routes.map((r) => `${r.address}/${r.prefix} via ${r.gateway}${r.metric !== null ? ` metric ${r.metric}` : ''}`))],
    ['DNS', n.dns?.enabled === false ? 'off' : undefined],
    ['DNS hosts', join((n.dns?.hosts ?? []).map((h) => `${h.ip} ${h.hostnames.join(' ')}`))],
    ['DNS forwarders', join((n.dns?.forwarders ?? []).map((f) => (f.domain ? `${f.domain} → ${f.addr ?? 'local only'}` : (f.addr ?? ''))))],
    ['DNS TXT', join((n.dns?.txt ?? []).map((t) => `${t.name}="${t.value}"`))],
    ['DNS SRV', join((n.dns?.srv ?? []).map((s) => `_${s.service}._${s.protocol}${s.domain ? `.${s.domain}` : ''} → ${s.target ?? ''}:${s.port ?? ''}`))],
    ['DNS domain local only', yn(n.domainLocalOnly)],
    ['plain names forwarded', yn(n.dns?.forwardPlainNames)],
    [
      'DHCP lease times',
      join(
        n.ips.flatMap((ip) =>
          ip.dhcpRanges
            .filter((r) => r.lease)
            .map((r) => `${r.start}–${r.end}: ${r.lease!.expiry === 0 ? 'never expire' : `${r.lease!.expiry} ${r.lease!.unit}`}`),
        ),
      ),
    ],
    ['PXE boot', join(n.ips.flatMap((ip) => (ip.bootp ? [`${ip.bootp.file}${ip.bootp.server ? ` from ${ip.bootp.server}` : ''}`] : [])))],
    [
      'portgroups',
      join(
        n.portgroups.map(
          (p) =>
            `${p.name}${p.default ? ' (default)' : ''}${p.vlan ? ` VLAN ${vlanText(p.vlan)}` : ''}${p.virtualport ? ` ${virtualportText(p.virtualport)}` : ''}`,
        ),
      ),
    ],
    ['VLAN', vlanText(n.vlan)],
    ['virtual port', virtualportText(n.virtualport)],
    ['port isolation', yn(n.portIsolated)],
    ['trusts guest RX filters', yn(n.trustGuestRxFilters)],
    ['bandwidth', bandwidthText(n.bandwidth)],
    ['guest-to-guest IPv6', yn(n.ipv6)],
    ['libvirt manages the VFs', yn(n.forwardManaged)],
  ];
}

/** A NIC's rows beyond type, source, model, MAC, tap and IP. */
/** A user-mode NIC's backend as the guide means it: passt, or QEMU's built-in SLIRP. */
export function userBackendText(i: Pick<DomainInterface, 'backend'>): string {
  return i.backend === 'passt'
    ? 'passt (forwards with <portForward>)'
    : i.backend
      ? i.backend
      : "SLIRP, QEMU's built-in (libvirt has no forwards for it; passt has)";
}

/** `tcp 127.0.0.1: 2022→22, 5000-5010 excluded`. */
export function portForwardText(pf: NicPortForward): string {
  const where = pf.address ?? (pf.dev ? `dev ${pf.dev}` : '*');
  const ranges = pf.ranges.length
    ? pf.ranges.map((r) => `${r.start}${r.end ? `-${r.end}` : ''}${r.exclude ? ' excluded' : `→${r.to ?? r.start}`}`).join(', ')
    : 'every port';
  return `${pf.proto} ${where}: ${ranges}`;
}

export function nicRows(i: DomainInterface): Row[] {
  const s = i.socket;
  return [
    ['in its definition, from the next cold boot', pendingText(i.pending)],
    ['link', i.linkState === 'down' ? 'down' : i.linkState === 'up' ? 'up' : undefined],
    ['driver', i.driverName],
    ['queues', i.queues],
    ['MTU', i.mtu],
    ['VLAN', vlanText(i.vlan)],
    ['virtual port', virtualportText(i.virtualport)],
    ['portgroup', i.portgroup],
    ['boot order', i.bootOrder],
    [
      'socket',
      s ? `${s.address ?? ''}:${s.port ?? ''}${s.localAddress || s.localPort ? ` (local ${s.localAddress ?? ''}:${s.localPort ?? ''})` : ''}` : undefined,
    ],
    ['vhost-user', i.vhostUser ? `${i.vhostUser.type ?? ''} ${i.vhostUser.path ?? ''}${i.vhostUser.mode ? ` (${i.vhostUser.mode})` : ''}`.trim() : undefined],
    ['user-mode backend', i.type === 'user' ? userBackendText(i) : i.backend],
    ['port forwards (passt)', i.portForwards.map(portForwardText).join('; ') || undefined],
    ['guest address', i.guestAddress],
    ['managed by libvirt', yn(i.managed)],
    ['bandwidth', bandwidthText(i.bandwidth)],
  ];
}

export function hostdevRows(h: DomainHostdev): Row[] {
  return [
    ['mode', h.mode],
    [
      'USB device',
      h.usb
        ? [
            h.usb.vendor && `vendor ${h.usb.vendor}`,
            h.usb.product && `product ${h.usb.product}`,
            h.usb.bus && `bus ${h.usb.bus}`,
            h.usb.device && `device ${h.usb.device}`,
          ]
            .filter(Boolean)
            .join(' ')
        : undefined,
    ],
    ['guest address', h.guestAddress],
    ['ROM BAR', h.romBar],
    ['ROM file', h.romFile],
  ];
}
