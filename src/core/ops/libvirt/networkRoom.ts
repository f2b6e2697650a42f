/**
 * Where on a host a new (or redefined) libvirt network fits: the subnets already held and by
 * whom, the first free bridge name and /24, the devices each forward mode can use, and the
 * bridges that are libvirt's own.
 */
import { bridgeFacts, linkFacts, ownBridgeOf, uplinkCandidates } from '../../model/queries';
import type { HostModel, Network } from '../../model/types';
import { inSubnet } from '../../validate';
import type { ForwardMode } from './networkCreate';

/** Two subnets overlap when either one holds the other's address (with its own prefix). */
export function subnetsOverlap(a: string, b: string): boolean {
  const [aa] = a.split('/');
  const [ba] = b.split('/');
  return !!aa && !!ba && (inSubnet(aa, b) || inSubnet(ba, a));
}

/**
 * What a network of `mode` can forward through, with each one's facts: a host bridge (bridge),
 * else a free interface that is not a tap (an uplink, or the NIC under macvtap).
 */
export function networkDevCandidates(model: HostModel, mode: ForwardMode): { name: string; detail: string }[] {
  if (mode === 'isolated' || mode === 'open') return [];
  if (mode === 'bridge') return model.bridges.filter((b) => !libvirtOwner(model, b.name)).map((b) => ({ name: b.name, detail: bridgeFacts(b) }));
  return uplinkCandidates(model).map((l) => ({ name: l.name, detail: linkFacts(l) }));
}

/** The libvirt network whose own bridge `bridge` is, if any. */
export function libvirtOwner(model: HostModel, bridge: string): string | undefined {
  return model.networks.find((n) => ownBridgeOf(n) === bridge)?.name;
}

/** The first `virbrN` no interface and no libvirt network uses. */
export function freeBridgeName(model: HostModel): string {
  const used = new Set([...model.links.map((l) => l.name), ...model.networks.map((n) => n.bridge).filter((b): b is string => b !== null)]);
  for (let i = 0; ; i++) if (!used.has(`virbr${i}`)) return `virbr${i}`;
}

/** The first 192.168.N.1/24 (N from 100) that nothing on the host uses: a suggestion, not a rule. */
export function freeSubnet(model: HostModel): string {
  const inUse = subnetsInUse(model);
  for (let n = 100; n < 255; n++) {
    const cidr = `192.168.${n}.1/24`;
    if (!inUse.some((u) => !u.cidr.includes(':') && subnetsOverlap(cidr, u.cidr))) return cidr;
  }
  return '192.168.100.1/24';
}

/** Why `cidr` cannot be a network's subnet: the holder of an overlapping one, or null. */
export function subnetClash(inUse: readonly { cidr: string; by: string }[], cidr: string): string | null {
  const clash = inUse.find((u) => u.cidr.includes(':') === cidr.includes(':') && subnetsOverlap(cidr, u.cidr));
  return clash ? `${cidr} overlaps ${clash.cidr} of ${clash.by}: libvirt would refuse to start it ("network is already in use")` : null;
}

/**
 * Every subnet the host or its networks hold, with who holds it (for the overlap message);
 * `except` leaves out one network and its own bridge (the one being redefined).
 */
export function subnetsInUse(model: HostModel, except?: Network): { cidr: string; by: string }[] {
  const out: { cidr: string; by: string }[] = [];
  const own = except ? ownBridgeOf(except) : null;
  for (const l of model.links) if (l.name !== own) for (const a of l.addresses) out.push({ cidr: a, by: `interface ${l.name}` });
  for (const r of model.routes)
    if (r.dst !== 'default' && r.dst.includes('/') && (own === null || r.dev !== own))
      out.push({ cidr: r.dst, by: `a route via ${r.dev ?? r.gateway ?? '?'}` });
  for (const n of model.networks)
    if (n.name !== except?.name) for (const ip of n.ips) out.push({ cidr: `${ip.address}/${ip.prefix}`, by: `libvirt network ${n.name}` });
  return out;
}
