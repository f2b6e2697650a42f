/**
 * The tree's `contextValue` tokens, built from typed facts in one place. package.json's menu
 * `when` clauses match these tokens with regexes; a unit test enumerates every token each builder
 * can make and checks each menu entry against the operation catalog: an entry may only match
 * nodes that supply what its command acts on (`offers`), so a menu item that could only end in a
 * refusal cannot be written. No `vscode` import: the unit tier reads this file.
 */
import type { PortKind } from '../core/model/types';
import type { TargetKind } from '../core/ops/catalog/types';

export type HostState = 'ok' | 'error' | 'loading' | 'idle';
export type GroupKind = 'bridges' | 'networks' | 'vms' | 'pci' | 'readiness';
export type NicClass = 'virtio' | 'emulated' | 'unknown';
/** A PCI NIC's netdev: free (can be bridged), bridged (a port already), none (no netdev: vfio, no driver). */
export type NetdevUse = 'free' | 'bridged' | 'none';

export type NodeFacts =
  | { node: 'host'; state: HostState; where: 'this' | 'ssh' }
  | { node: 'group'; kind: GroupKind }
  | { node: 'bridge'; up: boolean; stp: boolean; addresses: boolean }
  | { node: 'port'; kind: PortKind; vm: boolean }
  | { node: 'network'; active: boolean; defined: boolean; autostart: boolean; staticHosts: boolean; ranges: boolean }
  | { node: 'network-nic'; model: NicClass; link: 'up' | 'down' }
  | { node: 'lease'; static: boolean }
  | { node: 'vm'; state: string; forwardable: boolean }
  | { node: 'vm-nic'; model: NicClass; link: 'up' | 'down'; forwardable: boolean }
  | { node: 'forward' }
  | { node: 'hand-forward' }
  | { node: 'hostdev'; type: string }
  | { node: 'pci'; role: 'nic' | 'pf' | 'device'; netdev: NetdevUse }
  | { node: 'vf'; assigned: boolean }
  | { node: 'check'; ok: boolean }
  | { node: 'status'; kind: 'loading' | 'error' }
  | { node: 'action'; action: 'retry' | 'settings' | 'log' }
  | { node: 'note' };

const onOff = (b: boolean) => (b ? 'on' : 'off');
const yesNo = (b: boolean) => (b ? 'yes' : 'no');

export function tokenOf(f: NodeFacts): string {
  switch (f.node) {
    case 'host':
      return `host:${f.state}:${f.where}`;
    case 'group':
      return `group:${f.kind}`;
    case 'bridge':
      // The STP and address parts let the menu offer only what changes something.
      return `bridge:${f.up ? 'up' : 'down'}:stp-${onOff(f.stp)}:addr-${yesNo(f.addresses)}`;
    case 'port':
      return `port:${f.kind}:${f.vm ? 'vm' : 'none'}`;
    case 'network':
      // `defined`: a persistent network (its definition can be edited); a transient one is not.
      return `network:${f.active ? 'active' : 'inactive'}:${f.defined ? 'defined' : 'transient'}:autostart-${onOff(f.autostart)}:hosts-${yesNo(f.staticHosts)}:ranges-${yesNo(f.ranges)}`;
    case 'network-nic':
      return `network-nic:${f.model}:link-${f.link}`;
    case 'lease':
      // A lease that is a static host already has nothing to make static.
      return f.static ? 'lease:static' : 'lease:dynamic';
    case 'vm':
      // fwd-yes: it has a NIC a port forward can go to (on a NAT or routed network).
      return `vm:${f.state}:fwd-${yesNo(f.forwardable)}`;
    case 'vm-nic':
      return `vm-nic:${f.model}:link-${f.link}:fwd-${yesNo(f.forwardable)}`;
    case 'forward':
      return 'forward';
    case 'hand-forward':
      return 'hand-forward';
    case 'hostdev':
      return `hostdev:${f.type}`;
    case 'pci':
      return `pci:${f.role}:${f.netdev}`;
    case 'vf':
      return f.assigned ? 'vf:assigned' : 'vf:free';
    case 'check':
      return f.ok ? 'check:ok' : 'check:failed';
    case 'status':
      return `status:${f.kind}`;
    case 'action':
      return `action:${f.action}`;
    case 'note':
      return 'note';
  }
}

/**
 * What a node with these facts can be the target of: the argument kinds it supplies for a
 * command to act on. A menu entry must only match nodes offering one of its command's targets.
 */
export function offers(f: NodeFacts): TargetKind[] {
  switch (f.node) {
    case 'host':
      // Changes are planned from a model: a host that was never read offers nothing.
      return f.state === 'ok' ? ['host'] : [];
    case 'group':
      return f.kind === 'bridges' || f.kind === 'networks' ? ['host'] : [];
    case 'bridge':
      return ['bridge', ...(f.addresses ? (['bridgeAddress'] as const) : [])];
    case 'port':
      // A VM's tap is libvirt's: only a raw tap can be deleted as a tap.
      return ['port', ...(f.kind === 'tap' && !f.vm ? (['rawTap'] as const) : [])];
    case 'network':
      // Its static hosts and ranges are picked from it (the token's hosts-/ranges- parts say
      // whether it has any, so Remove is only offered where there is something to remove).
      return ['network'];
    case 'lease':
      return f.static ? [] : ['dhcpHost'];
    case 'network-nic':
    case 'vm-nic':
      return ['nic'];
    case 'vm':
      return ['domain'];
    case 'forward':
      return ['forwardedPort'];
    case 'hand-forward':
      return ['handForward'];
    case 'pci':
      // A bridge port or a device without a netdev (vfio, no driver) cannot become an uplink.
      return f.role !== 'device' && f.netdev === 'free' ? ['uplinkNic'] : [];
    default:
      return [];
  }
}

const PORT_KINDS: readonly PortKind[] = ['physical', 'tap', 'veth', 'vf', 'bond', 'vlan', 'bridge', 'other'];
const BOOLS = [false, true] as const;
/** The states `virsh domstate` prints, as tokens. */
export const VM_STATES = ['running', 'idle', 'paused', 'in-shutdown', 'shut-off', 'crashed', 'pmsuspended'] as const;

/** Every token value the builders can produce (finite: the facts are enums and booleans). */
export function allFacts(): NodeFacts[] {
  const out: NodeFacts[] = [];
  for (const state of ['ok', 'error', 'loading', 'idle'] as const) for (const where of ['this', 'ssh'] as const) out.push({ node: 'host', state, where });
  for (const kind of ['bridges', 'networks', 'vms', 'pci', 'readiness'] as const) out.push({ node: 'group', kind });
  for (const up of BOOLS) for (const stp of BOOLS) for (const addresses of BOOLS) out.push({ node: 'bridge', up, stp, addresses });
  for (const kind of PORT_KINDS) for (const vm of BOOLS) out.push({ node: 'port', kind, vm });
  for (const active of BOOLS)
    for (const defined of BOOLS)
      for (const autostart of BOOLS)
        for (const staticHosts of BOOLS) for (const ranges of BOOLS) out.push({ node: 'network', active, defined, autostart, staticHosts, ranges });
  for (const model of ['virtio', 'emulated', 'unknown'] as const)
    for (const link of ['up', 'down'] as const) {
      out.push({ node: 'network-nic', model, link });
      for (const forwardable of BOOLS) out.push({ node: 'vm-nic', model, link, forwardable });
    }
  out.push({ node: 'lease', static: false }, { node: 'lease', static: true }, { node: 'note' });
  for (const state of VM_STATES) for (const forwardable of BOOLS) out.push({ node: 'vm', state, forwardable });
  out.push({ node: 'forward' }, { node: 'hand-forward' });
  for (const type of ['pci', 'usb', 'scsi', 'mdev']) out.push({ node: 'hostdev', type });
  for (const role of ['nic', 'pf', 'device'] as const) for (const netdev of ['free', 'bridged', 'none'] as const) out.push({ node: 'pci', role, netdev });
  for (const assigned of BOOLS) out.push({ node: 'vf', assigned });
  for (const ok of BOOLS) out.push({ node: 'check', ok });
  for (const kind of ['loading', 'error'] as const) out.push({ node: 'status', kind });
  for (const action of ['retry', 'settings', 'log'] as const) out.push({ node: 'action', action });
  return out;
}
