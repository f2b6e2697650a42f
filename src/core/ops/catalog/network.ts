/** The libvirt network operations of the catalog. */
import { OWN_BRIDGE_MODES } from '../../model/queries';
import { PlanInputError } from '../plan';
import { parseDhcpHost, type DhcpHostSpec } from '../libvirt/dhcpSpec';
import { FORWARD_MODES, planNetworkCreate, type ForwardMode } from '../libvirt/networkCreate';
import { planNetworkEdit } from '../libvirt/networkEdit';
import { planNetworkRedefine } from '../libvirt/networkRedefine';
import {
  networkInUse,
  planDhcpHostAdd,
  planDhcpHostRemove,
  planDhcpRangeAdd,
  planDhcpRangeRemove,
  planNetworkAutostart,
  planNetworkDelete,
  planNetworkStart,
  planNetworkStop,
} from '../libvirt/networkLife';
import { arg, type Args, type Operation } from './types';

/** Addresses, DHCP and the rest belong to networks with a bridge of libvirt's own. */
const ownBridge = (a: Args) => OWN_BRIDGE_MODES.includes(String(a.forward));

function hostsOf(texts: string[]): DhcpHostSpec[] {
  const parsed = texts.map(parseDhcpHost);
  const bad = parsed.filter((p): p is string => typeof p === 'string');
  if (bad.length) throw new PlanInputError(bad);
  return parsed as DhcpHostSpec[];
}

export const NETWORK_OPS: readonly Operation[] = [
  {
    id: 'network.create',
    area: 'network',
    cli: 'create',
    summary: 'Create, start (and autostart) a libvirt network: NAT, routed, open, isolated, on a host bridge, or macvtap',
    args: [
      { name: 'name', kind: 'newNetworkName', positional: true, placeholder: '<name>', description: 'the new network' },
      { name: 'forward', kind: 'forwardMode', required: true, placeholder: FORWARD_MODES.join('|'), description: 'how its guests reach the outside' },
      {
        name: 'dev',
        kind: 'networkDev',
        placeholder: '<ifname>',
        description: 'the uplink (nat, route), host bridge (bridge) or NIC (macvtap)',
        relevant: (a) => a.forward !== 'isolated' && a.forward !== 'open',
      },
      { name: 'bridgeName', kind: 'newBridgeName', placeholder: '<bridge>', description: "libvirt's bridge (default: the first free virbrN)" },
      { name: 'stp', kind: 'onOff', description: "spanning tree on libvirt's bridge (default on)", relevant: ownBridge },
      { name: 'delay', kind: 'seconds', description: "the bridge's forward delay (default 0)", relevant: ownBridge },
      { name: 'address', kind: 'cidr', placeholder: '<cidr>', description: "the host's IPv4 address on it, e.g. 192.168.50.1/24", relevant: ownBridge },
      { name: 'dhcpRange', kind: 'dhcpRange', multiple: true, placeholder: '<start-end>', description: 'a DHCP range inside the subnet', relevant: ownBridge },
      { name: 'dhcpHost', kind: 'dhcpHost', multiple: true, placeholder: '<mac,ip[,name]>', description: 'a static DHCP host' },
      { name: 'ipv6', kind: 'cidr', placeholder: '<cidr>', description: "the host's IPv6 address on it, e.g. fd00:50::1/64" },
      { name: 'ipv6Range', kind: 'dhcpRange', multiple: true, placeholder: '<start-end>', description: 'a DHCPv6 range inside the IPv6 subnet' },
      { name: 'domain', kind: 'dnsDomain', placeholder: '<domain>', description: 'the DNS domain its dnsmasq serves' },
      { name: 'forwarder', kind: 'ip', multiple: true, placeholder: '<ip>', description: 'an upstream DNS server for its dnsmasq' },
      { name: 'mtu', kind: 'mtu', placeholder: '<mtu>', description: 'the MTU of its bridge and taps' },
      { name: 'isolatePorts', kind: 'flag', description: 'guests cannot reach each other, only the host and beyond' },
      { name: 'autostart', kind: 'flag', description: 'start it at every boot' },
    ],
    plan(model, a) {
      const mtu = arg.num(a, 'mtu');
      return {
        plan: planNetworkCreate(model, {
          name: arg.str(a, 'name'),
          forward: arg.str(a, 'forward') as ForwardMode,
          dev: arg.opt(a, 'dev'),
          bridgeName: arg.opt(a, 'bridgeName'),
          address: arg.opt(a, 'address'),
          dhcpRanges: arg.list(a, 'dhcpRange'),
          dhcpHosts: hostsOf(arg.list(a, 'dhcpHost')),
          ipv6: arg.opt(a, 'ipv6'),
          ipv6Ranges: arg.list(a, 'ipv6Range'),
          domain: arg.opt(a, 'domain'),
          forwarders: arg.list(a, 'forwarder'),
          ...(mtu !== undefined && mtu !== 0 ? { mtu } : {}),
          // Absent: libvirt's defaults (STP on, no delay), which the XML then spells out.
          ...(a.stp !== undefined ? { stp: a.stp === true } : {}),
          ...(arg.num(a, 'delay') !== undefined ? { delay: arg.num(a, 'delay') } : {}),
          isolatePorts: arg.bool(a, 'isolatePorts'),
          autostart: arg.bool(a, 'autostart'),
        }),
      };
    },
    commands: [
      {
        id: 'virtnet.network.create',
        title: 'Create Network...',
        icon: 'add',
        ask: ['name', 'forward', 'dev', 'address', 'dhcpRange'],
        targets: ['host'],
        form: { id: 'network', mode: 'create' },
      },
    ],
  },
  {
    id: 'network.start',
    area: 'network',
    cli: 'start',
    summary: 'Start a libvirt network',
    args: [{ name: 'network', kind: 'network', positional: true, placeholder: '<network>', description: 'the libvirt network' }],
    plan: (model, a) => ({ plan: planNetworkStart(model, arg.str(a, 'network')) }),
    commands: [{ id: 'virtnet.network.start', title: 'Start Network', icon: 'debug-start', ask: ['network'], targets: ['network'] }],
  },
  {
    id: 'network.stop',
    area: 'network',
    cli: 'stop',
    summary: 'Stop a libvirt network (--force when running VMs use it)',
    args: [
      { name: 'network', kind: 'network', positional: true, placeholder: '<network>', description: 'the libvirt network' },
      { name: 'force', kind: 'force', description: 'stop it although running VMs use it' },
    ],
    insist: (model, a) => networkInUse(model, arg.str(a, 'network')),
    plan: (model, a) => ({ plan: planNetworkStop(model, arg.str(a, 'network'), arg.bool(a, 'force')) }),
    commands: [{ id: 'virtnet.network.stop', title: 'Stop Network', icon: 'debug-stop', ask: ['network', 'force'], targets: ['network'] }],
  },
  {
    id: 'network.autostart',
    area: 'network',
    cli: 'autostart',
    summary: 'Start a libvirt network at boot, or not',
    args: [
      { name: 'network', kind: 'network', positional: true, placeholder: '<network>', description: 'the libvirt network' },
      { name: 'on', kind: 'onOff', positional: true, description: 'autostart on or off' },
    ],
    plan: (model, a) => ({ plan: planNetworkAutostart(model, arg.str(a, 'network'), arg.bool(a, 'on')) }),
    commands: [
      { id: 'virtnet.network.autostartOn', title: 'Autostart Network', icon: 'sync', preset: { on: true }, ask: ['network'], targets: ['network'] },
      {
        id: 'virtnet.network.autostartOff',
        title: 'Do Not Autostart Network',
        icon: 'sync-ignored',
        preset: { on: false },
        ask: ['network'],
        targets: ['network'],
      },
    ],
  },
  {
    id: 'network.delete',
    area: 'network',
    cli: 'delete',
    summary: 'Stop and undefine a libvirt network (--force when running VMs use it)',
    args: [
      { name: 'network', kind: 'network', positional: true, placeholder: '<network>', description: 'the libvirt network' },
      { name: 'force', kind: 'force', description: 'delete it although running VMs use it' },
    ],
    insist: (model, a) => networkInUse(model, arg.str(a, 'network')),
    plan: (model, a) => ({ plan: planNetworkDelete(model, arg.str(a, 'network'), arg.bool(a, 'force')) }),
    commands: [{ id: 'virtnet.network.delete', title: 'Delete Network', icon: 'trash', ask: ['network', 'force'], targets: ['network'] }],
  },
  {
    id: 'network.dhcpHostAdd',
    area: 'network',
    cli: 'dhcp-host-add',
    summary: 'Give a MAC a fixed address on a network (live and in its definition)',
    args: [
      { name: 'network', kind: 'network', positional: true, placeholder: '<network>', description: 'the libvirt network' },
      { name: 'host', kind: 'dhcpHost', positional: true, placeholder: '<mac,ip[,name]>', description: 'the static host' },
    ],
    plan: (model, a) => ({ plan: planDhcpHostAdd(model, arg.str(a, 'network'), hostsOf([arg.str(a, 'host')])[0]!) }),
    commands: [
      { id: 'virtnet.network.addStaticHost', title: 'Add Static DHCP Host...', icon: 'add', ask: ['network', 'host'], targets: ['network'] },
      { id: 'virtnet.network.makeLeaseStatic', title: 'Make Lease Static', icon: 'pin', ask: ['network', 'host'], targets: ['dhcpHost'] },
    ],
  },
  {
    id: 'network.dhcpRangeAdd',
    area: 'network',
    cli: 'dhcp-range-add',
    summary: 'Add a DHCP range to a network (live and in its definition)',
    args: [
      { name: 'network', kind: 'network', positional: true, placeholder: '<network>', description: 'the libvirt network' },
      { name: 'range', kind: 'dhcpRange', positional: true, placeholder: '<start-end>', description: 'the range, inside the subnet' },
    ],
    plan: (model, a) => ({ plan: planDhcpRangeAdd(model, arg.str(a, 'network'), arg.str(a, 'range')) }),
    commands: [{ id: 'virtnet.network.addDhcpRange', title: 'Add DHCP Range...', icon: 'add', ask: ['network', 'range'], targets: ['network'] }],
  },
  {
    id: 'network.dhcpRangeRemove',
    area: 'network',
    cli: 'dhcp-range-remove',
    summary: 'Take a DHCP range off a network (live and in its definition)',
    args: [
      { name: 'network', kind: 'network', positional: true, placeholder: '<network>', description: 'the libvirt network' },
      { name: 'range', kind: 'networkRange', positional: true, placeholder: '<start-end>', description: 'one of its ranges' },
    ],
    plan: (model, a) => ({ plan: planDhcpRangeRemove(model, arg.str(a, 'network'), arg.str(a, 'range')) }),
    commands: [{ id: 'virtnet.network.removeDhcpRange', title: 'Remove DHCP Range...', icon: 'remove', ask: ['network', 'range'], targets: ['network'] }],
  },
  {
    id: 'network.dhcpHostRemove',
    area: 'network',
    cli: 'dhcp-host-remove',
    summary: 'Take a static DHCP host off a network (live and in its definition)',
    args: [
      { name: 'network', kind: 'network', positional: true, placeholder: '<network>', description: 'the libvirt network' },
      { name: 'mac', kind: 'staticHost', positional: true, placeholder: '<mac>', description: "the static host's MAC" },
    ],
    plan: (model, a) => ({ plan: planDhcpHostRemove(model, arg.str(a, 'network'), arg.str(a, 'mac')) }),
    commands: [{ id: 'virtnet.network.removeStaticHost', title: 'Remove Static DHCP Host...', icon: 'remove', ask: ['network', 'mac'], targets: ['network'] }],
  },
  {
    id: 'network.edit',
    area: 'network',
    cli: 'edit',
    summary: "Change a libvirt network's MTU or DNS domain in its definition (the rest of it kept as it is)",
    args: [
      { name: 'network', kind: 'network', positional: true, placeholder: '<network>', description: 'the libvirt network' },
      { name: 'mtu', kind: 'mtu', placeholder: '<mtu>|default', description: 'the MTU of its bridge and taps' },
      { name: 'dnsDomain', kind: 'dnsDomain', placeholder: '<domain>', description: 'the DNS domain its dnsmasq serves' },
      { name: 'noDnsDomain', kind: 'flag', description: 'take the DNS domain away' },
    ],
    plan(model, a) {
      const mtu = arg.num(a, 'mtu');
      const domain = arg.opt(a, 'dnsDomain');
      return {
        plan: planNetworkEdit(model, {
          network: arg.str(a, 'network'),
          ...(mtu !== undefined ? { mtu: mtu === 0 ? null : mtu } : {}),
          ...(domain !== undefined ? { dnsDomain: domain } : arg.bool(a, 'noDnsDomain') ? { dnsDomain: null } : {}),
        }),
      };
    },
    commands: [
      { id: 'virtnet.network.setMtu', title: 'Set MTU...', icon: 'symbol-ruler', ask: ['network', 'mtu'], targets: ['network'] },
      { id: 'virtnet.network.setDnsDomain', title: 'Set DNS Domain...', icon: 'symbol-namespace', ask: ['network', 'dnsDomain'], targets: ['network'] },
    ],
  },
  {
    id: 'network.redefine',
    area: 'network',
    cli: 'redefine',
    summary: "Replace a libvirt network's definition with an edited one (the preview shows the diff); --restart applies it now",
    args: [
      { name: 'network', kind: 'network', positional: true, placeholder: '<network>', description: 'the libvirt network' },
      {
        name: 'file',
        kind: 'definition',
        required: true,
        placeholder: '<file>|-',
        description: 'the new definition (XML), e.g. edited from virsh net-dumpxml --inactive',
      },
      { name: 'restart', kind: 'restart', description: 'restart the running network now (its VMs lose their link for a moment)' },
    ],
    plan: (model, a) => ({ plan: planNetworkRedefine(model, { network: arg.str(a, 'network'), xml: arg.str(a, 'file'), restart: arg.bool(a, 'restart') }) }),
    commands: [{ id: 'virtnet.network.redefine', title: 'Edit Definition...', icon: 'edit', ask: ['network', 'file', 'restart'], targets: ['network'] }],
  },
];
