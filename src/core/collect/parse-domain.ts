/** libvirt domain XML (`virsh dumpxml`) into the model's Domain: its NICs and host devices, and the XML. */
import { NIC_SETTINGS, type Domain, type DomainHostdev, type DomainInterface, type NicSocket } from '../model/libvirt';
import { guestAddressOf, list, num, obj, parseXml, pciAddressOf, present, str, yes, type Node } from './xml-read';
import { bandwidthOf, differing, virtualportOf, vlanOf } from './xml-shared';

export interface DomainFacts {
  uuid: string;
  state: string;
  persistent: boolean;
  autostart: boolean;
}

const SOCKET_TYPES = new Set(['udp', 'mcast', 'server', 'client']);

function interfaceSource(type: string, source: Node): string | null {
  switch (type) {
    case 'network':
      return str(source['@network']);
    case 'bridge':
      return str(source['@bridge']);
    case 'direct':
      return str(source['@dev']);
    case 'hostdev':
      return pciAddressOf(obj(source.address));
    case 'vhostuser':
      return str(source['@path']);
    case 'udp':
    case 'mcast':
    case 'server':
    case 'client':
      return str(source['@address']);
    default:
      return str(source['@bridge']) ?? str(source['@network']) ?? str(source['@dev']);
  }
}

function socketOf(type: string, source: Node): NicSocket | null {
  if (!SOCKET_TYPES.has(type)) return null;
  const local = obj(source.local);
  return { address: str(source['@address']), port: num(source['@port']), localAddress: str(local['@address']), localPort: num(local['@port']) };
}

function interfaceOf(i: Node): DomainInterface {
  const type = str(i['@type']) ?? 'unknown';
  const source = obj(i.source);
  const driver = obj(i.driver);
  const link = str(obj(i.link)['@state']);
  return {
    type,
    source: interfaceSource(type, source),
    model: str(obj(i.model)['@type']),
    mac: str(obj(i.mac)['@address'])?.toLowerCase() ?? null,
    target: str(obj(i.target)['@dev']),
    ips: [],
    ipSource: null,
    sourceMode: type === 'direct' ? (str(source['@mode']) ?? 'vepa') : null,
    linkState: link === 'up' || link === 'down' ? link : null,
    driverName: str(driver['@name']),
    queues: num(driver['@queues']),
    mtu: num(obj(i.mtu)['@size']),
    vlan: vlanOf(i.vlan),
    virtualport: virtualportOf(i.virtualport),
    portgroup: str(source['@portgroup']),
    bootOrder: num(obj(i.boot)['@order']),
    socket: socketOf(type, source),
    vhostUser: type === 'vhostuser' ? { type: str(source['@type']), path: str(source['@path']), mode: str(source['@mode']) } : null,
    backend: str(obj(i.backend)['@type']),
    portForwards: list(i.portForward).map((pf) => ({
      proto: str(pf['@proto']) ?? 'tcp',
      address: str(pf['@address']),
      dev: str(pf['@dev']),
      ranges: list(pf.range).map((r) => ({ start: num(r['@start']) ?? 0, end: num(r['@end']), to: num(r['@to']), exclude: yes(r['@exclude']) === true })),
    })),
    guestAddress: guestAddressOf(i.address),
    managed: type === 'hostdev' ? yes(i['@managed']) : null,
    trustGuestRxFilters: yes(i['@trustGuestRxFilters']),
    bandwidth: bandwidthOf(i.bandwidth),
    pending: {},
  };
}

function hostdevOf(h: Node): DomainHostdev {
  const type = str(h['@type']) ?? 'unknown';
  const source = obj(h.source);
  const rom = present(h.rom) ? obj(h.rom) : null;
  const bar = rom ? str(rom['@bar']) : null;
  const usbAddress = obj(source.address);
  return {
    type,
    mode: str(h['@mode']),
    address: type === 'pci' ? pciAddressOf(obj(source.address)) : null,
    usb:
      type === 'usb'
        ? {
            vendor: str(obj(source.vendor)['@id']),
            product: str(obj(source.product)['@id']),
            bus: str(usbAddress['@bus']),
            device: str(usbAddress['@device']),
          }
        : null,
    managed: str(h['@managed']) === 'yes',
    guestAddress: guestAddressOf(h.address),
    romBar: bar === 'on' || bar === 'off' ? bar : null,
    romFile: rom ? str(rom['@file']) : null,
  };
}

/** `xml` as dumpxml printed it; `inactiveXml` the definition (null when transient). */
export function parseDomainXml(xml: string, facts: DomainFacts, inactiveXml: string | null = facts.persistent ? xml : null): Domain {
  const dom = obj(parseXml(xml).domain);
  const devices = obj(dom.devices);
  const interfaces = list(devices.interface).map(interfaceOf);
  if (inactiveXml !== null && inactiveXml !== xml) {
    // A NIC changed in the definition of a running VM (a new model waits for its next cold boot).
    const defined = list(obj(obj(parseXml(inactiveXml).domain).devices).interface).map(interfaceOf);
    for (const nic of interfaces) {
      const d = defined.find((x) => x.mac !== null && x.mac === nic.mac);
      if (d) nic.pending = differing(nic, d, NIC_SETTINGS);
    }
  }
  return {
    name: str(dom.name) ?? '',
    uuid: str(dom.uuid) ?? facts.uuid,
    state: facts.state,
    persistent: facts.persistent,
    autostart: facts.autostart,
    virtType: str(dom['@type']),
    interfaces,
    hostdevs: list(devices.hostdev).map(hostdevOf),
    xml,
    inactiveXml,
  };
}
