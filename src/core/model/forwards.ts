/** The host model's port forwards: VirtNet's own, passt's in a NIC's definition, and hand-written DNAT rules. */

/** One forwarded host port: to a guest NIC's fixed address and port (VirtNet's state file). */
export interface ForwardPort {
  proto: 'tcp' | 'udp';
  hostPort: number;
  guestIp: string;
  guestPort: number;
  /** libvirt's bridge of the NIC's network (the forward's way in). */
  bridge: string;
  /** Only connections to this host address; null: any of the host's addresses. */
  hostAddress: string | null;
  /** Also from the host itself (a DNAT in nat OUTPUT). */
  fromHost: boolean;
  /**
   * Hairpin: also from other guests on the same network through the host's address; connections
   * from this subnet (the network's, as CIDR) are masqueraded towards the guest so its replies
   * come back through the host. null: off.
   */
  hairpin: string | null;
  vm: string;
  mac: string;
}

/** A DNAT rule someone wrote by hand in nat PREROUTING (the guide's way): shown, and adoptable. */
export interface HandForward {
  proto: 'tcp' | 'udp';
  hostPort: number;
  /** `-d` of the rule, without its /32; null: any address. */
  hostAddress: string | null;
  /** `-i` of the rule; null: any interface. */
  inInterface: string | null;
  guestIp: string;
  guestPort: number;
  /** The rule as `iptables -S` prints it, after `-A PREROUTING`. */
  rule: string;
  /** Its place in PREROUTING, from 1. */
  position: number;
}

/** One libvirt hook driver (qemu, network) as its running daemon found it when it started. */
export interface HookDriver {
  /** The daemon running the driver now (libvirtd, or virtqemud / virtnetworkd on a modular host); null: none runs (socket activation starts one on demand, which then reads the hooks). */
  daemon: string | null;
  pid: number | null;
  /** An executable hook of this driver existed when that daemon started: it runs the hooks. */
  seen: boolean;
}

/** What libvirt's daemons make of hook scripts: they look for them only when they start. */
export interface LibvirtHooks {
  /** systemd runs the host: the daemons restart as units. */
  systemd: boolean;
  qemu: HookDriver;
  network: HookDriver;
}

/** A socket listening on the host (`ss -Hltnu`). */
export interface ListeningPort {
  proto: 'tcp' | 'udp';
  /** As ss prints it: `0.0.0.0`, `[::]`, `*`, `127.0.0.53%lo`. */
  address: string;
  port: number;
}

/** One `<range>` of a passt `<portForward>`: host ports start[-end] to guest port `to` (default: the same). */
export interface PortForwardRange {
  start: number;
  end: number | null;
  to: number | null;
  /** These ports are left out of a wider forward. */
  exclude: boolean;
}

/** A user-mode (passt) NIC's `<portForward>`: host ports of one protocol, on an address or device. */
export interface NicPortForward {
  proto: string;
  address: string | null;
  dev: string | null;
  /** None: every port of that protocol and address. */
  ranges: PortForwardRange[];
}
