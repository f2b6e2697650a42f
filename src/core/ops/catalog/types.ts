/**
 * The shape of the operation catalog: every change VirtNet can make, described once. The CLI's
 * subcommands and usage, the VS Code commands and their pickers, and the package.json check are
 * all generated from these records, so an operation is written in one place.
 */
import type { HostModel } from '../../model/types';
import type { PersistOp } from '../persist/intents';
import type { Plan } from '../plan';

/**
 * What an argument is, which decides how it is parsed (CLI), picked (VS Code palette) and which
 * tree nodes can supply it. `host` is implicit in every operation.
 */
export type ArgKind =
  /** An existing Linux bridge. */
  | 'bridge'
  /** A port of the bridge named by the operation's `bridge` argument. */
  | 'port'
  /** An interface free to become a bridge port. */
  | 'freeInterface'
  /** An interface that can be a host's uplink: free, and not a tap. */
  | 'uplinkNic'
  /** A name for a new bridge. */
  | 'newBridgeName'
  /** A name for a new tap. */
  | 'newTapName'
  /** A tap that no VM holds. */
  | 'rawTap'
  /** A bridge to plug into, or none. */
  | 'optionalBridge'
  /** A new address with prefix. */
  | 'cidr'
  /** One of the bridge's addresses. */
  | 'bridgeAddress'
  /** An IP address (a gateway). */
  | 'ip'
  /** on or off. */
  | 'onOff'
  /** Whole seconds. */
  | 'seconds'
  /** A switch (--dhcp, --clear). */
  | 'flag'
  /** Insisting after a warning (--force); VS Code asks with the operation's `insist` reasons. */
  | 'force'
  /** An existing libvirt network. */
  | 'network'
  /** An existing libvirt domain (VM). */
  | 'domain'
  /** A NIC (by MAC) of the VM named by the operation's `domain` argument. */
  | 'nic'
  /** An MTU; 0 (the CLI's `default`) takes it away. */
  | 'mtu'
  /** A DNS domain name. */
  | 'dnsDomain'
  /** A NIC model the host's QEMU offers. */
  | 'nicModel'
  /** up or down. */
  | 'linkState'
  /** A name for a new libvirt network. */
  | 'newNetworkName'
  /** nat, route, open, isolated, bridge, private, vepa, passthrough. */
  | 'forwardMode'
  /** The device a network forwards through: an uplink, a host bridge or a host NIC, by mode. */
  | 'networkDev'
  /** `START-END`. */
  | 'dhcpRange'
  /** `MAC,IP[,NAME]`: a static DHCP host to add (a lease node supplies its own). */
  | 'dhcpHost'
  /** The MAC of one of the network's static DHCP hosts. */
  | 'staticHost'
  /** One of the network's DHCP ranges, `START-END`. */
  | 'networkRange'
  /** A whole libvirt definition (XML): the CLI reads it from a file, VS Code from an editor. */
  | 'definition'
  /** Restart a running network now so a new definition takes effect (--restart). */
  | 'restart'
  /** Consent to restart libvirt's daemons so they run newly installed hooks (--restart-libvirt). */
  | 'restartLibvirt'
  /** `HOSTPORT[-END]:GUESTPORT`. */
  | 'portSpec'
  /** tcp or udp. */
  | 'proto'
  /** One of the VM's forwarded host ports, `PORT[-END][/udp]`. */
  | 'forwardedPort'
  /** A hand-written DNAT rule's host port, `PORT[/udp]`. */
  | 'handForward'
  /** What a new NIC connects to: network, bridge, direct (macvtap) or user (VS Code asks; the CLI infers it). */
  | 'nicVia'
  /** Where a NIC moves: network or bridge (VS Code asks; the CLI infers it). */
  | 'moveVia'
  /** A macvtap mode: bridge, vepa, private, passthrough. */
  | 'macvtapMode'
  /** A MAC for a new NIC (none: VirtNet makes a free one). */
  | 'newMac'
  /** virtio-net queues, a whole number. */
  | 'queues';

/** What a tree node can be the target of: the host itself, or an argument kind. */
export type TargetKind = 'host' | ArgKind;

export interface ArgSpec {
  /** The key in Args; in the CLI, the option name (`--forward-delay` for `forwardDelay`). */
  name: string;
  kind: ArgKind;
  /** A CLI positional (in order); otherwise an option. */
  positional?: boolean;
  /** The CLI needs it (positionals always are). */
  required?: boolean;
  /** Given more than once (`--port a --port b`). */
  multiple?: boolean;
  /** The CLI's placeholder in usage, e.g. `<bridge>`. */
  placeholder?: string;
  description: string;
  /** Whether asking for it makes sense given the arguments so far (VS Code skips it otherwise). */
  relevant?: (args: Args) => boolean;
}

export type ArgValue = string | string[] | boolean | number;
/** Argument values by name: strings, string lists, booleans (onOff, flag, force), numbers (seconds). */
export type Args = Readonly<Record<string, ArgValue | undefined>>;

/** The runtime plan, and the operation as persistence sees it (absent: nothing to save). */
export interface Planned {
  plan: Plan;
  persist?: PersistOp;
}

/** A VS Code command of an operation; several may share one (Turn STP On / Off). */
export interface OpCommand {
  /** `virtnet.<area>.<name>`. */
  id: string;
  /** Title Case; "..." when it asks for something. */
  title: string;
  /** A codicon id (`plug`), for menus that show icons. */
  icon?: string;
  /** Fixed arguments this command always passes. */
  preset?: Args;
  /** Arguments this command asks for, in order, when neither a node nor the caller gave them. */
  ask: readonly string[];
  /** What a tree node must supply for this command to be offered on it (one of these). */
  targets: readonly TargetKind[];
  /**
   * Opens this form (in `mode`) instead of asking argument by argument; a caller that passes the
   * named arguments (a script, a test) runs the operation without it.
   */
  form?: { id: 'bridge' | 'network'; mode: string };
}

export interface Operation {
  /** `<area>.<name>`, e.g. `bridge.addPort`. */
  id: string;
  area: 'bridge' | 'tap' | 'network' | 'nic' | 'forward';
  /** The CLI's word after the area: `virtnet bridge add-port`. */
  cli: string;
  /** One line for the CLI's usage. */
  summary: string;
  args: readonly ArgSpec[];
  /** Plans from the host's model; throws PlanInputError with every problem. */
  plan(model: HostModel, args: Args): Planned;
  /**
   * Why a user must insist (the `force` argument) before this is planned, or none: VS Code asks
   * "... anyway?" with these; the CLI needs --force, and the planner refuses without it.
   */
  insist?(model: HostModel, args: Args): string[];
  commands: readonly OpCommand[];
}

/** Typed reads of Args; the CLI and the pickers already gave each value its kind's type. */
export const arg = {
  str(args: Args, name: string): string {
    const v = args[name];
    return typeof v === 'string' ? v : '';
  },
  opt(args: Args, name: string): string | undefined {
    const v = args[name];
    return typeof v === 'string' && v !== '' ? v : undefined;
  },
  list(args: Args, name: string): string[] {
    const v = args[name];
    return Array.isArray(v) ? v : typeof v === 'string' && v !== '' ? [v] : [];
  },
  bool(args: Args, name: string): boolean {
    return args[name] === true;
  },
  num(args: Args, name: string): number | undefined {
    const v = args[name];
    return typeof v === 'number' ? v : undefined;
  },
};
