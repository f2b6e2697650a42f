/**
 * Questions asked of a host model in more than one place (pickers, forms, planners, persistence),
 * answered once here.
 */
import type { Bridge, Domain, DomainInterface, ForwardPort, HostModel, Link, Network } from './types';

/** What the firewall lacks of this forward now (the inventory's check): its own lines, and those that concern every forward. */
export function forwardAmiss(amiss: readonly string[], f: ForwardPort): string[] {
  return amiss.filter((l) => !/^(tcp|udp) \d+:/.test(l) || l.startsWith(`${f.proto} ${f.hostPort}:`));
}

/** Interfaces that may become a bridge port: not a bridge, not loopback, not already a port. */
export function freeInterfaces(model: HostModel): Link[] {
  return model.links.filter((l) => l.name !== 'lo' && l.kind !== 'bridge' && !l.master);
}

/** Interfaces that can be an uplink: free, and not a tap (a tap leads to a VM, not off the host). */
export function uplinkCandidates(model: HostModel): Link[] {
  return freeInterfaces(model).filter((l) => l.portKind !== 'tap');
}

/** Short facts of an interface for pickers: `physical · up · 10.0.0.2/24`. */
/** A bridge's facts in one line, for pickers and forms. */
export function bridgeFacts(b: Bridge): string {
  return [b.up ? 'up' : 'down', b.stp ? 'STP on' : 'STP off', `${b.ports.length} ports`, ...b.addresses].join(' · ');
}

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

/** Forward modes in which libvirt makes the network's bridge (and its dnsmasq) itself. */
export const OWN_BRIDGE_MODES: readonly string[] = ['nat', 'route', 'open', 'isolated'];

/** The bridge libvirt makes for `net`, or null (a host bridge, macvtap, hostdev pool). */
export function ownBridgeOf(net: Network): string | null {
  return net.bridge !== null && OWN_BRIDGE_MODES.includes(net.forwardMode) ? net.bridge : null;
}

/** Every VM NIC attached to a network: by network name, or by the network's bridge. */
export function nicsOnNetwork(model: HostModel, net: Network): Array<{ domain: Domain; nic: DomainInterface }> {
  const out: Array<{ domain: Domain; nic: DomainInterface }> = [];
  for (const domain of model.domains) {
    for (const nic of domain.interfaces) {
      const byName = nic.type === 'network' && nic.source === net.name;
      const byBridge = nic.type === 'bridge' && net.bridge !== null && nic.source === net.bridge;
      if (byName || byBridge) out.push({ domain, nic });
    }
  }
  return out;
}

/** The running (or paused) VMs with a NIC on `net`, by name, each once. */
export function networkUsers(model: HostModel, net: Network): string[] {
  const running = nicsOnNetwork(model, net).filter(({ domain }) => domain.state === 'running' || domain.state === 'paused');
  return [...new Set(running.map(({ domain }) => domain.name))];
}

/** virtio-net (paravirtual) rather than an emulated NIC model. */
export function isVirtioModel(model: string | null | undefined): boolean {
  return !!model && /^virtio/.test(model);
}

/**
 * The NICs of `domain` a port forward can go to: on a NAT or routed libvirt network with a bridge
 * of libvirt's own (on a host bridge the guest is on the LAN already; user-mode NICs use passt).
 */
export function forwardableNics(model: HostModel, domain: Domain): { nic: DomainInterface; net: Network }[] {
  return domain.interfaces.flatMap((nic) => {
    const net = nic.type === 'network' ? model.networks.find((n) => n.name === nic.source) : undefined;
    return net && nic.mac && (net.forwardMode === 'nat' || net.forwardMode === 'route') && ownBridgeOf(net) ? [{ nic, net }] : [];
  });
}

/** The VM and NIC that hold `ip` now: by a lease or a static DHCP host of their network. */
export function nicHolding(model: HostModel, ip: string): { vm: string; mac: string } | undefined {
  for (const d of model.domains)
    for (const n of d.interfaces) {
      if (!n.mac || n.type !== 'network') continue;
      const net = model.networks.find((x) => x.name === n.source);
      if (n.ips.includes(ip) || net?.ips.some((v) => v.dhcpHosts.some((h) => h.mac === n.mac && h.ip === ip))) return { vm: d.name, mac: n.mac };
    }
  return undefined;
}
