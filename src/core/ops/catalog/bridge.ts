/** The bridge operations of the catalog: what the guide does with brctl, ip and dhclient. */
import { planAddresses } from '../address';
import { planAddPort, planCreateBridge, planDeleteBridge, planRemovePort, planSetStp, type CreateBridgeIntent } from '../bridge';
import { planUplink, type UplinkIntent } from '../uplink';
import { arg, type Operation } from './types';

/** What makes a bridge "in use": deleting it needs --force (the planner says the same). */
function inUse(model: Parameters<Operation['plan']>[0], bridge: string): string[] {
  const br = model.bridges.find((b) => b.name === bridge);
  if (!br) return [];
  const vms = br.ports.filter((p) => p.domain).map((p) => `${p.name} (VM ${p.domain})`);
  return [
    ...(br.addresses.length ? [`the host's addresses ${br.addresses.join(', ')} (deleting it may cut the connection)`] : []),
    ...(vms.length ? [`VM NICs ${vms.join(', ')}`] : []),
  ];
}

export const BRIDGE_OPS: readonly Operation[] = [
  {
    id: 'bridge.create',
    area: 'bridge',
    cli: 'create',
    summary: 'Create a Linux bridge, optionally with ports',
    args: [
      { name: 'name', kind: 'newBridgeName', positional: true, placeholder: '<name>', description: 'the new bridge' },
      { name: 'stp', kind: 'onOff', description: 'spanning tree (default off)' },
      { name: 'forwardDelay', kind: 'seconds', description: 'STP forward delay, 2-30 s' },
      { name: 'port', kind: 'freeInterface', multiple: true, placeholder: '<ifname>', description: 'an interface to enslave' },
    ],
    plan(model, a) {
      const intent: CreateBridgeIntent = {
        name: arg.str(a, 'name'),
        stp: arg.bool(a, 'stp'),
        forwardDelay: arg.num(a, 'forwardDelay'),
        ports: arg.list(a, 'port'),
      };
      return { plan: planCreateBridge(model, intent), persist: { op: 'create-bridge', intent } };
    },
    commands: [{ id: 'virtnet.bridge.create', title: 'Create Bridge...', icon: 'add', ask: [], targets: ['host'], form: { id: 'bridge', mode: 'create' } }],
  },
  {
    id: 'bridge.uplink',
    area: 'bridge',
    cli: 'uplink',
    summary: "Move the host's addresses and routes from a NIC onto a new bridge holding that NIC (guarded)",
    args: [
      { name: 'nic', kind: 'uplinkNic', positional: true, placeholder: '<nic>', description: 'the NIC that carries the uplink' },
      { name: 'bridge', kind: 'newBridgeName', required: true, placeholder: '<name>', description: 'the new bridge' },
      { name: 'dhcp', kind: 'flag', description: 'the bridge asks DHCP for its address' },
      { name: 'address', kind: 'cidr', placeholder: '<cidr>', description: "the bridge's static address" },
      { name: 'gateway', kind: 'ip', placeholder: '<ip>', description: 'default gateway with --address' },
      { name: 'stp', kind: 'onOff', description: 'spanning tree (default off)' },
      { name: 'forwardDelay', kind: 'seconds', description: 'STP forward delay, 2-30 s' },
    ],
    plan(model, a) {
      const intent: UplinkIntent = {
        nic: arg.str(a, 'nic'),
        bridge: arg.str(a, 'bridge'),
        stp: arg.bool(a, 'stp'),
        forwardDelay: arg.num(a, 'forwardDelay'),
        dhcp: arg.bool(a, 'dhcp'),
        address: arg.opt(a, 'address'),
        gateway: arg.opt(a, 'gateway'),
      };
      return { plan: planUplink(model, intent), persist: { op: 'uplink', intent } };
    },
    commands: [
      {
        id: 'virtnet.bridge.uplink',
        title: 'Bridge My Uplink...',
        icon: 'type-hierarchy-sub',
        ask: [],
        targets: ['host', 'uplinkNic'],
        form: { id: 'bridge', mode: 'uplink' },
      },
    ],
  },
  {
    id: 'bridge.addPort',
    area: 'bridge',
    cli: 'add-port',
    summary: 'Make an interface a port of a bridge',
    args: [
      { name: 'bridge', kind: 'bridge', positional: true, placeholder: '<bridge>', description: 'the bridge' },
      { name: 'port', kind: 'freeInterface', positional: true, placeholder: '<ifname>', description: 'the interface' },
    ],
    plan(model, a) {
      const bridge = arg.str(a, 'bridge');
      const port = arg.str(a, 'port');
      return { plan: planAddPort(model, bridge, port), persist: { op: 'add-port', bridge, port } };
    },
    commands: [{ id: 'virtnet.bridge.addPort', title: 'Add Port to Bridge...', icon: 'plug', ask: ['bridge', 'port'], targets: ['bridge'] }],
  },
  {
    id: 'bridge.removePort',
    area: 'bridge',
    cli: 'remove-port',
    summary: 'Release a port from its bridge',
    args: [
      { name: 'bridge', kind: 'bridge', positional: true, placeholder: '<bridge>', description: 'the bridge' },
      { name: 'port', kind: 'port', positional: true, placeholder: '<ifname>', description: 'its port' },
    ],
    plan(model, a) {
      const bridge = arg.str(a, 'bridge');
      const port = arg.str(a, 'port');
      return { plan: planRemovePort(model, bridge, port), persist: { op: 'remove-port', bridge, port } };
    },
    commands: [{ id: 'virtnet.bridge.removePort', title: 'Remove Port from Bridge', icon: 'debug-disconnect', ask: ['bridge', 'port'], targets: ['port'] }],
  },
  {
    id: 'bridge.stp',
    area: 'bridge',
    cli: 'stp',
    summary: 'Turn spanning tree on or off',
    args: [
      { name: 'bridge', kind: 'bridge', positional: true, placeholder: '<bridge>', description: 'the bridge' },
      { name: 'on', kind: 'onOff', positional: true, placeholder: 'on|off', description: 'on or off' },
    ],
    plan(model, a) {
      const bridge = arg.str(a, 'bridge');
      const on = arg.bool(a, 'on');
      return { plan: planSetStp(model, bridge, on), persist: { op: 'stp', bridge, on } };
    },
    commands: [
      { id: 'virtnet.bridge.stpOn', title: 'Turn STP On', icon: 'pulse', preset: { on: true }, ask: ['bridge'], targets: ['bridge'] },
      { id: 'virtnet.bridge.stpOff', title: 'Turn STP Off', icon: 'circle-slash', preset: { on: false }, ask: ['bridge'], targets: ['bridge'] },
    ],
  },
  {
    id: 'bridge.delete',
    area: 'bridge',
    cli: 'delete',
    summary: "Delete a bridge (one holding the host's addresses or VM NICs only with --force)",
    args: [
      { name: 'bridge', kind: 'bridge', positional: true, placeholder: '<bridge>', description: 'the bridge' },
      { name: 'force', kind: 'force', description: 'delete it even while in use' },
    ],
    plan(model, a) {
      const bridge = arg.str(a, 'bridge');
      return { plan: planDeleteBridge(model, bridge, arg.bool(a, 'force')), persist: { op: 'delete-bridge', bridge } };
    },
    insist: (model, a) => inUse(model, arg.str(a, 'bridge')),
    commands: [{ id: 'virtnet.bridge.delete', title: 'Delete Bridge', icon: 'trash', ask: ['bridge', 'force'], targets: ['bridge'] }],
  },
  {
    id: 'bridge.address',
    area: 'bridge',
    cli: 'address',
    summary: "Change a bridge's addresses: add, remove, clear, or ask DHCP",
    args: [
      { name: 'ifname', kind: 'bridge', positional: true, placeholder: '<bridge>', description: 'the bridge' },
      { name: 'add', kind: 'cidr', multiple: true, placeholder: '<cidr>', description: 'an address to add' },
      { name: 'del', kind: 'bridgeAddress', multiple: true, placeholder: '<cidr>', description: 'an address to remove' },
      { name: 'clear', kind: 'flag', description: 'remove every address' },
      { name: 'dhcp', kind: 'flag', description: 'ask DHCP for the address' },
    ],
    plan(model, a) {
      const intent = {
        ifname: arg.str(a, 'ifname'),
        add: arg.list(a, 'add'),
        remove: arg.list(a, 'del'),
        clear: arg.bool(a, 'clear'),
        dhcp: arg.bool(a, 'dhcp'),
      };
      return { plan: planAddresses(model, intent), persist: { op: 'address', intent } };
    },
    commands: [
      { id: 'virtnet.bridge.addAddress', title: 'Add Address to Bridge...', icon: 'add', ask: ['ifname', 'add'], targets: ['bridge'] },
      { id: 'virtnet.bridge.removeAddress', title: 'Remove Address from Bridge...', icon: 'remove', ask: ['ifname', 'del'], targets: ['bridgeAddress'] },
      {
        id: 'virtnet.bridge.dhcpAddress',
        title: 'Get Bridge Address by DHCP',
        icon: 'cloud-download',
        preset: { dhcp: true },
        ask: ['ifname'],
        targets: ['bridge'],
      },
    ],
  },
];
