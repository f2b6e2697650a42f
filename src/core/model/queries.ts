/**
 * Questions asked of a host model in more than one place (pickers, forms, planners, persistence),
 * answered once here.
 */
import type { HostModel, Link } from './types';

/** Interfaces that may become a bridge port: not a bridge, not loopback, not already a port. */
export function freeInterfaces(model: HostModel): Link[] {
  return model.links.filter((l) => l.name !== 'lo' && l.kind !== 'bridge' && !l.master);
}

/** Interfaces that can be an uplink: free, and not a tap (a tap leads to a VM, not off the host). */
export function uplinkCandidates(model: HostModel): Link[] {
  return freeInterfaces(model).filter((l) => l.portKind !== 'tap');
}

/** Short facts of an interface for pickers: `physical · up · 10.0.0.2/24`. */
export function linkFacts(l: Link): string {
  return [l.portKind === 'other' ? (l.kind ?? 'interface') : l.portKind, l.up ? 'up' : 'down', ...l.addresses].join(' · ');
}

/** The VM whose NIC is the tap `ifname` (its `<target dev>`), if any. */
export function vmOfTap(model: HostModel, ifname: string): string | undefined {
  return model.domains.find((d) => d.interfaces.some((i) => i.target === ifname))?.name;
}

/** Taps that no VM holds: the ones VirtNet may delete. */
export function rawTaps(model: HostModel): Link[] {
  return model.links.filter(
    (l) => l.portKind === 'tap' && !vmOfTap(model, l.name) && !model.bridges.some((b) => b.ports.some((p) => p.name === l.name && p.domain)),
  );
}
