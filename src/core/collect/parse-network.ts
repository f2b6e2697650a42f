/** libvirt network XML (`virsh net-dumpxml`) into the model's Network: every typed field, and the XML. */
import {
  NETWORK_SETTINGS,
  type DhcpHost,
  type DhcpLeaseTime,
  type DhcpRange,
  type Lease,
  type Network,
  type NetworkDns,
  type NetworkIp,
  type NetworkRoute,
  type Portgroup,
} from '../model/libvirt';
import { classfulPrefix, list, netmaskToPrefix, num, obj, parseXml, pciAddressOf, present, str, yes, type Node } from './xml-read';
import { bandwidthOf, differing, virtualportOf, vlanOf } from './xml-shared';

export interface NetworkFacts {
  uuid: string;
  active: boolean;
  autostart: boolean;
  persistent: boolean;
}

function leaseTimeOf(v: unknown): DhcpLeaseTime | null {
  if (!present(v)) return null;
  const n = obj(v);
  const unit = str(n['@unit']);
  // libvirt's default unit is minutes.
  return { expiry: num(n['@expiry']) ?? 0, unit: unit === 'seconds' || unit === 'hours' ? unit : 'minutes' };
}

/** The prefix as libvirt applies it: prefix, else netmask, else IPv6's 64 or IPv4's class. */
function prefixOf(ip: Node, family: 'ipv4' | 'ipv6', address: string): number {
  const prefix = num(ip['@prefix']);
  if (prefix !== null) return prefix;
  const mask = str(ip['@netmask']);
  if (mask) return netmaskToPrefix(mask) ?? 0;
  return family === 'ipv6' ? 64 : (classfulPrefix(address) ?? 0);
}

function ipOf(ip: Node): NetworkIp {
  const family = str(ip['@family']) === 'ipv6' ? 'ipv6' : 'ipv4';
  const address = str(ip['@address']) ?? '';
  const dhcp = obj(ip.dhcp);
  const dhcpRanges: DhcpRange[] = list(dhcp.range).map((r) => ({ start: str(r['@start']) ?? '', end: str(r['@end']) ?? '', lease: leaseTimeOf(r.lease) }));
  const dhcpHosts: DhcpHost[] = list(dhcp.host).map((h) => ({
    mac: str(h['@mac'])?.toLowerCase() ?? null,
    id: str(h['@id']),
    name: str(h['@name']),
    ip: str(h['@ip']) ?? '',
    lease: leaseTimeOf(h.lease),
  }));
  const bootp = present(dhcp.bootp) ? { file: str(obj(dhcp.bootp)['@file']) ?? '', server: str(obj(dhcp.bootp)['@server']) } : null;
  return {
    address,
    prefix: prefixOf(ip, family, address),
    family,
    localPtr: yes(ip['@localPtr']),
    tftpRoot: present(ip.tftp) ? str(obj(ip.tftp)['@root']) : null,
    bootp,
    dhcpRanges,
    dhcpHosts,
  };
}

function dnsOf(v: unknown): NetworkDns | null {
  if (!present(v)) return null;
  const dns = obj(v);
  const enable = str(dns['@enable']);
  return {
    enabled: enable === null ? null : enable === 'yes',
    forwardPlainNames: yes(dns['@forwardPlainNames']),
    forwarders: list(dns.forwarder).map((f) => ({ addr: str(f['@addr']), domain: str(f['@domain']) })),
    hosts: list(dns.host).map((h) => ({
      ip: str(h['@ip']) ?? '',
      hostnames: (Array.isArray(h.hostname) ? h.hostname : []).map((n) => str(n) ?? '').filter(Boolean),
    })),
    txt: list(dns.txt).map((t) => ({ name: str(t['@name']) ?? '', value: str(t['@value']) ?? '' })),
    srv: list(dns.srv).map((s) => ({
      service: str(s['@service']) ?? '',
      protocol: str(s['@protocol']) ?? '',
      domain: str(s['@domain']),
      target: str(s['@target']),
      port: num(s['@port']),
      priority: num(s['@priority']),
      weight: num(s['@weight']),
    })),
  };
}

function routeOf(r: Node): NetworkRoute {
  const family = str(r['@family']) === 'ipv6' ? 'ipv6' : 'ipv4';
  const address = str(r['@address']) ?? '';
  const mask = str(r['@netmask']);
  // Unlike an <ip>, a route without prefix or netmask is /0 to libvirt (a default route; it
  // refuses any other address written that way as "not a network address").
  const prefix = num(r['@prefix']) ?? (mask ? (netmaskToPrefix(mask) ?? 0) : 0);
  return { family, address, prefix, gateway: str(r['@gateway']) ?? '', metric: num(r['@metric']) };
}

function portgroupOf(p: Node): Portgroup {
  return {
    name: str(p['@name']) ?? '',
    default: yes(p['@default']) === true,
    vlan: vlanOf(p.vlan),
    bandwidth: bandwidthOf(p.bandwidth),
    virtualport: virtualportOf(p.virtualport),
    trustGuestRxFilters: yes(p['@trustGuestRxFilters']),
  };
}

/** `xml` as net-dumpxml printed it; `inactiveXml` the definition (null when transient). */
export function parseNetworkXml(xml: string, facts: NetworkFacts, leases: Lease[], inactiveXml: string | null = facts.persistent ? xml : null): Network {
  const running = readNetwork(xml, facts, leases, inactiveXml);
  if (inactiveXml !== null && inactiveXml !== xml) {
    // An edit of a running network's definition waits for its restart: the tree says so.
    const defined = readNetwork(inactiveXml, facts, [], null);
    running.pending = differing(running, defined, NETWORK_SETTINGS);
  }
  return running;
}

function readNetwork(xml: string, facts: NetworkFacts, leases: Lease[], inactiveXml: string | null): Network {
  const net = obj(parseXml(xml).network);
  const forward = present(net.forward) ? obj(net.forward) : null;
  const bridge = obj(net.bridge);
  const stp = str(bridge['@stp']);
  const domain = obj(net.domain);
  const nat = forward && present(forward.nat) ? obj(forward.nat) : null;
  const natAddress = nat ? obj(nat.address) : {};
  const natPort = nat ? obj(nat.port) : {};
  return {
    name: str(net.name) ?? '',
    uuid: str(net.uuid) ?? facts.uuid,
    active: facts.active,
    autostart: facts.autostart,
    persistent: facts.persistent,
    // libvirt: <forward/> without a mode is NAT; no <forward> at all is an isolated network.
    forwardMode: forward ? (str(forward['@mode']) ?? 'nat') : 'isolated',
    forwardDev: forward ? str(forward['@dev']) : null,
    forwardManaged: forward ? yes(forward['@managed']) : null,
    forwardDriver: forward && present(forward.driver) ? str(obj(forward.driver)['@name']) : null,
    forwardInterfaces: forward
      ? list(forward.interface)
          .map((i) => str(i['@dev']))
          .filter((d): d is string => d !== null)
      : [],
    forwardAddresses: forward
      ? list(forward.address)
          .map((a) => pciAddressOf(a))
          .filter((a): a is string => a !== null)
      : [],
    forwardPf: forward ? str(obj(forward.pf)['@dev']) : null,
    nat: nat
      ? {
          addressStart: str(natAddress['@start']),
          addressEnd: str(natAddress['@end']),
          portStart: num(natPort['@start']),
          portEnd: num(natPort['@end']),
          ipv6: yes(nat['@ipv6']),
        }
      : null,
    bridge: str(bridge['@name']),
    stp: stp === null ? null : stp !== 'off',
    stpDelay: num(bridge['@delay']),
    macTableManager: str(bridge['@macTableManager']),
    zone: str(bridge['@zone']),
    bridgeMac: str(obj(net.mac)['@address'])?.toLowerCase() ?? null,
    mtu: num(obj(net.mtu)['@size']),
    domainName: str(domain['@name']),
    domainLocalOnly: yes(domain['@localOnly']),
    dns: dnsOf(net.dns),
    ips: list(net.ip).map(ipOf),
    routes: list(net.route).map(routeOf),
    portgroups: list(net.portgroup).map(portgroupOf),
    vlan: vlanOf(net.vlan),
    virtualport: virtualportOf(net.virtualport),
    portIsolated: present(net.port) ? yes(obj(net.port)['@isolated']) : null,
    trustGuestRxFilters: yes(net['@trustGuestRxFilters']),
    bandwidth: bandwidthOf(net.bandwidth),
    ipv6: yes(net['@ipv6']),
    leases,
    pending: {},
    xml,
    inactiveXml,
  };
}
