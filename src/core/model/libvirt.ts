/**
 * libvirt's networks and domains as the host model carries them: every fact of the network and
 * domain XML formats that VirtNet shows or plans from is a typed field here, and each object keeps
 * its XML as well (`xml`, and `inactiveXml`, the definition a planner edits), so nothing the model
 * has no field for is ever lost from a definition VirtNet rewrites.
 * Absent values are null (an attribute not written), never a default guessed on libvirt's behalf,
 * except where libvirt itself applies one the host shows (an IPv4 address's classful prefix).
 */
import type { NicPortForward } from './forwards';

export interface DhcpLeaseTime {
  /** 0 means the lease never expires (libvirt's `expiry='0'`). */
  expiry: number;
  unit: 'seconds' | 'minutes' | 'hours';
}

export interface DhcpRange {
  start: string;
  end: string;
  lease: DhcpLeaseTime | null;
}

export interface DhcpHost {
  mac: string | null;
  /** An IPv6 host's client id (DUID), which it has instead of a MAC. */
  id: string | null;
  name: string | null;
  ip: string;
  lease: DhcpLeaseTime | null;
}

export interface Bootp {
  file: string;
  server: string | null;
}

export interface NetworkIp {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
  /** `localPtr='yes'`: dnsmasq answers reverse lookups of this subnet itself. */
  localPtr: boolean | null;
  tftpRoot: string | null;
  bootp: Bootp | null;
  dhcpRanges: DhcpRange[];
  dhcpHosts: DhcpHost[];
}

export interface Lease {
  mac: string;
  ip: string;
  prefix: number | null;
  hostname: string | null;
  expiry: string | null;
}

export interface VlanTag {
  id: number;
  /** On a trunk, the tag sent untagged (`nativeMode`), or null. */
  nativeMode: 'tagged' | 'untagged' | null;
}

export interface Vlan {
  trunk: boolean;
  tags: VlanTag[];
}

/** One direction of `<bandwidth>`: kilobytes per second (burst and floor in kilobytes, kB/s). */
export interface BandwidthLimit {
  average: number | null;
  peak: number | null;
  burst: number | null;
  floor: number | null;
}

export interface Bandwidth {
  inbound: BandwidthLimit | null;
  outbound: BandwidthLimit | null;
}

/** `<virtualport type=...><parameters .../></virtualport>` (openvswitch, 802.1Qbg, 802.1Qbh, midonet). */
export interface Virtualport {
  type: string | null;
  interfaceId: string | null;
  profileId: string | null;
  managerId: string | null;
  typeId: string | null;
  typeIdVersion: string | null;
  instanceId: string | null;
}

export interface DnsForwarder {
  /** null with a domain only: names in that domain are answered locally, not forwarded. */
  addr: string | null;
  domain: string | null;
}

export interface DnsHost {
  ip: string;
  hostnames: string[];
}

export interface DnsTxt {
  name: string;
  value: string;
}

export interface DnsSrv {
  service: string;
  protocol: string;
  domain: string | null;
  target: string | null;
  port: number | null;
  priority: number | null;
  weight: number | null;
}

export interface NetworkDns {
  /** `enable='no'` turns libvirt's DNS off; null when not written (on). */
  enabled: boolean | null;
  forwardPlainNames: boolean | null;
  forwarders: DnsForwarder[];
  hosts: DnsHost[];
  txt: DnsTxt[];
  srv: DnsSrv[];
}

/** `<forward mode='nat'><nat>`: the public addresses and ports masquerading may use. */
export interface NatRange {
  addressStart: string | null;
  addressEnd: string | null;
  portStart: number | null;
  portEnd: number | null;
  /** `<nat ipv6='yes'/>`: IPv6 is NATed too (otherwise it is routed). */
  ipv6: boolean | null;
}

export interface NetworkRoute {
  family: 'ipv4' | 'ipv6';
  address: string;
  prefix: number;
  gateway: string;
  metric: number | null;
}

export interface Portgroup {
  name: string;
  default: boolean;
  vlan: Vlan | null;
  bandwidth: Bandwidth | null;
  virtualport: Virtualport | null;
  trustGuestRxFilters: boolean | null;
}

/** The settings of a network that a definition can hold differently from the running network. */
export const NETWORK_SETTINGS = [
  'forwardMode',
  'forwardDev',
  'bridge',
  'stp',
  'stpDelay',
  'bridgeMac',
  'mtu',
  'domainName',
  'domainLocalOnly',
  'dns',
  'ips',
  'routes',
  'portgroups',
  'vlan',
  'virtualport',
  'portIsolated',
  'trustGuestRxFilters',
  'bandwidth',
  'ipv6',
] as const;
export type NetworkSetting = (typeof NETWORK_SETTINGS)[number];

export interface Network {
  name: string;
  uuid: string | null;
  active: boolean;
  autostart: boolean;
  persistent: boolean;
  /** `nat|route|open|bridge|passthrough|private|vepa|hostdev|isolated` (isolated = no `<forward>`). */
  forwardMode: string;
  /** The forward device (`<forward dev=...>`), or null. */
  forwardDev: string | null;
  /** `<forward managed='yes'>` (hostdev pools: libvirt binds the VFs to vfio itself). */
  forwardManaged: boolean | null;
  /** `<forward><driver name=>` of a hostdev pool (vfio). */
  forwardDriver: string | null;
  /** PF or interface pool of bridge/macvtap forward modes. */
  forwardInterfaces: string[];
  /** The PCI addresses of a hostdev pool given address by address. */
  forwardAddresses: string[];
  forwardPf: string | null;
  nat: NatRange | null;
  bridge: string | null;
  stp: boolean | null;
  /** `<bridge delay=>`, seconds. */
  stpDelay: number | null;
  macTableManager: string | null;
  /** firewalld zone of the bridge. */
  zone: string | null;
  /** `<mac address=>` of the bridge. */
  bridgeMac: string | null;
  mtu: number | null;
  domainName: string | null;
  /** `<domain localOnly='yes'>`: names in the domain are never forwarded upstream. */
  domainLocalOnly: boolean | null;
  dns: NetworkDns | null;
  ips: NetworkIp[];
  routes: NetworkRoute[];
  portgroups: Portgroup[];
  vlan: Vlan | null;
  virtualport: Virtualport | null;
  /** `<port isolated='yes'/>`: guests on the network cannot reach each other. */
  portIsolated: boolean | null;
  trustGuestRxFilters: boolean | null;
  bandwidth: Bandwidth | null;
  /** `<network ipv6='yes'>`: guest-to-guest IPv6 without a gateway address. */
  ipv6: boolean | null;
  leases: Lease[];
  /**
   * What the definition says where it differs from the running network (an edit waiting for a
   * restart); empty when they agree or the network does not run.
   */
  pending: Partial<Pick<Network, NetworkSetting>>;
  /** The XML as `virsh net-dumpxml` printed it. */
  xml: string;
  /** The definition (`--inactive`), which edits start from; null for a transient network. */
  inactiveXml: string | null;
}

/** udp, mcast, server and client sockets: where the NIC's frames go, and (udp) from where. */
export interface NicSocket {
  address: string | null;
  port: number | null;
  localAddress: string | null;
  localPort: number | null;
}

export interface VhostUser {
  /** The socket's type (unix). */
  type: string | null;
  path: string | null;
  /** Who listens: `server` (QEMU) or `client`. */
  mode: string | null;
}

export interface DomainInterface {
  /** libvirt interface type: network, bridge, direct, hostdev, user, ethernet, vhostuser... */
  type: string;
  /** network name, bridge name, direct dev, the PCI address of a hostdev, a socket path or address. */
  source: string | null;
  model: string | null;
  mac: string | null;
  /** The host-side tap (`<target dev>`), present only while the domain runs. */
  target: string | null;
  /** Guest addresses: from the network's DHCP leases, else the host's neighbour table (matched by MAC). */
  ips: string[];
  /** Where `ips` came from: a libvirt DHCP lease, or the host's ARP/neighbour table; null: none known. */
  ipSource: 'lease' | 'arp' | null;
  /** For direct (macvtap): bridge, vepa, private, passthrough. */
  sourceMode: string | null;
  /** `<link state=>`; null when not written (up). */
  linkState: 'up' | 'down' | null;
  /** `<driver name=>`: vhost or qemu for virtio. */
  driverName: string | null;
  /** Multiqueue virtio: `<driver queues=>`. */
  queues: number | null;
  mtu: number | null;
  vlan: Vlan | null;
  virtualport: Virtualport | null;
  /** `<source portgroup=>` on a network with portgroups. */
  portgroup: string | null;
  bootOrder: number | null;
  socket: NicSocket | null;
  vhostUser: VhostUser | null;
  /** `<backend type=>`: passt for user-mode NICs on passt; null (SLIRP for user NICs) when not written. */
  backend: string | null;
  /** passt's forwards of host ports into the guest (libvirt has none for SLIRP). */
  portForwards: NicPortForward[];
  /** Where the NIC sits in the guest: a PCI address `0000:00:03.0`, or `type:...` for others. */
  guestAddress: string | null;
  /** hostdev interfaces: libvirt detaches the device from its host driver itself. */
  managed: boolean | null;
  trustGuestRxFilters: boolean | null;
  bandwidth: Bandwidth | null;
  /**
   * What the definition says where it differs from the running NIC (a model change waiting for
   * the next cold boot); empty when they agree or the VM does not run.
   */
  pending: Partial<Pick<DomainInterface, NicSetting>>;
}

/** The settings of a NIC that a definition can hold differently from the running guest. */
export const NIC_SETTINGS = ['type', 'source', 'model', 'linkState', 'driverName', 'queues', 'mtu', 'vlan', 'virtualport', 'portgroup', 'bootOrder'] as const;
export type NicSetting = (typeof NIC_SETTINGS)[number];

export interface UsbId {
  vendor: string | null;
  product: string | null;
  /** Bus and device numbers when the device is given by its place instead. */
  bus: string | null;
  device: string | null;
}

export interface DomainHostdev {
  /** pci, usb, scsi, mdev... */
  type: string;
  /** subsystem (a device) or capabilities (LXC). */
  mode: string | null;
  /** PCI address `0000:03:10.0` for PCI hostdevs, else null. */
  address: string | null;
  usb: UsbId | null;
  managed: boolean;
  /** Where the device sits in the guest, as for NICs. */
  guestAddress: string | null;
  /** `<rom bar=>`: whether the guest sees the device's option ROM. */
  romBar: 'on' | 'off' | null;
  romFile: string | null;
}

export interface Domain {
  name: string;
  uuid: string | null;
  /** `running|shut off|paused|...` as `virsh domstate` says it. */
  state: string;
  persistent: boolean;
  autostart: boolean;
  /** `kvm` or `qemu` (TCG). */
  virtType: string | null;
  interfaces: DomainInterface[];
  hostdevs: DomainHostdev[];
  /** The XML as `virsh dumpxml` printed it (the running guest's, when it runs). */
  xml: string;
  /** The definition (`--inactive`), which edits start from; null for a transient domain. */
  inactiveXml: string | null;
}
