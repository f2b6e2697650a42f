/**
 * The host model: plain, JSON-serialisable data describing one KVM host's networking.
 * `virtnet inventory --json` prints exactly this; the tree view renders it.
 */

export type PortKind = 'physical' | 'tap' | 'veth' | 'vf' | 'bond' | 'vlan' | 'bridge' | 'other';

export interface BridgePort {
  name: string;
  kind: PortKind;
  /** The libvirt domain owning this tap (from the domain XML's `<target dev>`), or null. */
  domain: string | null;
  /** Port state as the bridge reports it: forwarding, blocking, listening, learning, disabled. */
  state: string | null;
  up: boolean;
  mac: string | null;
  /** Kernel driver of the netdev (physical and VF ports), or null. */
  driver: string | null;
  /** PCI address of the PF behind a VF port, or null. */
  physfn: string | null;
}

export interface Bridge {
  name: string;
  stp: boolean;
  vlanFiltering: boolean;
  up: boolean;
  mac: string | null;
  mtu: number | null;
  /** CIDR strings, e.g. `192.168.9.10/24`, IPv4 first. */
  addresses: string[];
  /** Forward delay in seconds (kernel keeps centiseconds). */
  forwardDelay: number | null;
  ports: BridgePort[];
}

export interface Link {
  name: string;
  /** iproute2 `linkinfo.info_kind` (bridge, veth, tun, vlan, bond...) or null for plain NICs. */
  kind: string | null;
  portKind: PortKind;
  up: boolean;
  operState: string;
  mac: string | null;
  mtu: number | null;
  master: string | null;
  addresses: string[];
  /**
   * The subset of `addresses` the kernel will expire (DHCP leases, SLAAC): not configuration.
   * Absent when there are none.
   */
  dynamicAddresses?: string[];
}

export interface Route {
  dst: string;
  gateway: string | null;
  dev: string | null;
  protocol: string | null;
  metric: number | null;
  family: 'ipv4' | 'ipv6';
}

export type * from './libvirt';
export type * from './forwards';
import type { ForwardPort, HandForward, LibvirtHooks, ListeningPort } from './forwards';
import type { Domain, Network } from './libvirt';

export interface Sriov {
  totalVfs: number;
  numVfs: number;
}

export interface PciDevice {
  address: string;
  /** Full class code, e.g. `0x020000`. */
  class: string;
  vendorId: string;
  deviceId: string;
  vendorName: string | null;
  deviceName: string | null;
  driver: string | null;
  iommuGroup: number | null;
  numaNode: number | null;
  netdevs: string[];
  sriov: Sriov | null;
  /** PF address of a VF, or null. */
  physfn: string | null;
  /** VF addresses of a PF, ordered by VF index. */
  vfs: string[];
  /** The domain holding it as a hostdev, or null. */
  assignedTo: string | null;
}

export interface Check {
  /** Stable identifier: `kvm`, `tun`, `iommu`, `vfio`, `libvirt`, `tool:ip`, `nic-models`... */
  id: string;
  ok: boolean;
  /** One line: what was found, and when not ok, why and how to fix it. */
  detail: string;
}

export interface HostInfo {
  hostname: string;
  /** /etc/machine-id, or null when unreadable: with the hostname, what a saved plan is tied to. */
  machineId: string | null;
  kernel: string | null;
  /** Kernel command line, for IOMMU parameters. */
  cmdline: string | null;
  /** Whether the collector ran as root (some facts need it). */
  root: boolean;
  /** Tools found on PATH, by name. */
  tools: Record<string, boolean>;
  /** NIC models the host's QEMU offers (`-device help`), empty when QEMU is absent. */
  nicModels: string[];
  /** /dev/vhost-net exists: a tap may ask for vhost-net (QEMU's vhost=on fails without it). */
  vhostNet: boolean;
  /** Which network manager owns the host's networking, if any is detected. */
  networkManager: 'networkmanager' | 'networkd' | 'ifupdown' | 'netplan' | 'none';
}

/** The SSH session VirtNet (or VS Code's Remote-SSH) arrived on, as the host sees it. */
export interface Connection {
  clientAddress: string;
  serverAddress: string;
  serverPort: number;
  /** The interface the kernel routes replies to the client through. */
  dev: string | null;
  /** The gateway on that path, or null when the client is on-link. */
  gateway: string | null;
}

/**
 * What became of a plan the runner started (its journal on the host): running; applied (to its
 * end); awaiting-confirmation (guarded, not yet confirmed); rolled-back (guarded, nobody
 * confirmed); failed or cancelled (what ran was undone); changed or busy (refused, nothing ran);
 * lost (its run ended without saying how).
 */
export type PlanState = 'running' | 'applied' | 'awaiting-confirmation' | 'rolled-back' | 'failed' | 'cancelled' | 'changed' | 'busy' | 'lost';

export interface PlanRecord {
  /** The journal id: `20261202T140210Z-1a2b3c4d`. */
  id: string;
  title: string;
  /** ISO time the plan started. */
  started: string | null;
  /** The client address of the session that started it, when it came over SSH. */
  by: string | null;
  /** The user it ran as on the host (root, through sudo). */
  user: string | null;
  steps: number;
  guarded: boolean;
  state: PlanState;
  exitCode: number | null;
  failedStep: number | null;
  cancelledAtStep: number | null;
  /** The plan script said its undo finished. */
  undone: boolean;
  rolledBackAt: string | null;
  /** Why the host refused it (state `changed`). */
  changed: string[];
  /** Where the host read back differently from what the plan promised. */
  notAsPlanned: string[];
  /** Some client was told the outcome before this read. */
  seen: boolean;
  /** This read is the one that reports it: its client never learnt the outcome. */
  claimed: boolean;
}

export interface HostModel {
  /** The destination as the user gave it (`local` for this machine). */
  host: string;
  /** The libvirt URI the inventory read; every libvirt step of a plan names it. */
  libvirtUri: string;
  collectedAt: string;
  /** Collector wall time on the host, milliseconds. */
  collectMs: number | null;
  info: HostInfo;
  /** Null when the inventory was not read over SSH (a local run outside Remote-SSH). */
  connection: Connection | null;
  links: Link[];
  routes: Route[];
  bridges: Bridge[];
  networks: Network[];
  domains: Domain[];
  pciDevices: PciDevice[];
  checks: Check[];
  /** The newest plans VirtNet ran on the host (its journals, newest first); empty when unreadable. */
  plans: PlanRecord[];
  /** VirtNet's port forwards, as the host's state file holds them. */
  forwards: ForwardPort[];
  /**
   * What of those forwards the firewall does not hold now (a firewalld reload, a network daemon
   * restarted alone, a flush by hand), one line each as the sync script's --check says it; empty:
   * all in force (or none).
   */
  forwardsAmiss: string[];
  /** DNAT rules in nat PREROUTING that are not VirtNet's (iptables; empty when unreadable). */
  handForwards: HandForward[];
  /** Sockets listening on the host; empty when ss is missing. */
  listening: ListeningPort[];
  /** net.ipv4.ip_local_port_range: ports the kernel hands out to outgoing connections. */
  ephemeralPorts: { low: number; high: number } | null;
  /** Whether libvirt's daemons run hooks added now (they look only when they start); null: not read. */
  libvirtHooks: LibvirtHooks | null;
}
